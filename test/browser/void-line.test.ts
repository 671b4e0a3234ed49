// 退菜 in a real browser: a dine-in round of two dishes is accepted, then the owner takes the second dish
// back from its card on the merchant board (reason 沽清). The line stays on the card struck through, the
// total drops within a second, and the API has the line marked voided with that reason.
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { DEMO_PASSWORD } from '../../scripts/demo-data'
import {
  ACTION_MS,
  closeAll,
  LIVE_MS,
  launchBrowser,
  loginMerchant,
  type Person,
  RESULTS_DIR,
  type SeededTable,
  type Server,
  screenshot,
  seedDemo,
  startServer,
  within,
} from './support'

let server: Server
let browser: Browser
let tables: SeededTable[]
let m: Person | undefined

beforeAll(async () => {
  const [s, b] = await Promise.allSettled([startServer(), launchBrowser()])
  if (s.status === 'fulfilled') server = s.value
  if (b.status === 'fulfilled') browser = b.value
  for (const r of [s, b]) if (r.status === 'rejected') throw r.reason
  tables = await seedDemo(server.base)
})

afterAll(async () => {
  await closeAll(m)
  await browser?.close()
  await server?.stop()
})

async function call(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${server.base}${path}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const json = (await res.json()) as any
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

/** "¥38.00" → 3800 */
const fen = (text: string | null) => Math.round(Number((text ?? '').replace(/[^\d.]/g, '')) * 100)

test('the owner takes one dish back from an accepted order; the card strikes it and reprices live', async () => {
  const { menu } = await call('GET', '/api/v1/stores/001/menu')
  // Two dishes orderable with no required options.
  const simple = menu.items.filter((i: any) => i.optionGroups.every((g: any) => g.min === 0)).slice(0, 2)
  expect(simple).toHaveLength(2)
  const diner = await call('POST', `/api/v1/tables/${tables[3]!.code}/join`, { name: '阿亮' })
  const lines = simple.map((i: any) => ({ itemId: i.id, skuId: i.skus[0].id, qty: 1 }))
  const { round } = await call(
    'POST',
    '/api/v1/table/rounds',
    { menuVersion: menu.version, lines },
    diner.token,
    { 'idempotency-key': 'void-line-browser-round-1' },
  )
  const owner = (
    await call('POST', '/api/v1/stores/001/login', { username: 'owner', password: DEMO_PASSWORD })
  ).token
  const accepted = await call(
    'POST',
    `/api/v1/stores/001/orders/${round.orderId}/events`,
    { event: 'accept' },
    owner,
  )
  expect(accepted.paid).toBe(false)

  m = await loginMerchant(browser, server.base)
  const page = m.page
  const card = await within(page.getByTestId(`order-${round.orderId}`), ACTION_MS, 'the accepted order')
  const before = fen(await card.getByTestId('total').textContent())
  expect(before).toBeGreaterThan(0)
  // Both lines can be taken back; nothing is voided yet.
  await within(page.getByTestId(`void-${round.orderId}-1`), ACTION_MS, 'the 退菜 button of line 1')
  expect(await card.getByTestId('line-voided').count()).toBe(0)

  await page.getByTestId(`void-${round.orderId}-2`).click()
  const form = await within(card.getByTestId('void-form'), ACTION_MS, 'the 退菜 reason form')
  await form.getByRole('button', { name: '沽清', exact: true }).click()
  expect(await form.getByTestId('void-reason').inputValue()).toBe('沽清')
  await form.getByTestId('void-confirm').click()

  // Within 1 s: line 2 is struck through on the card and the total has dropped.
  const started = Date.now()
  await within(card.locator('li.line-voided').getByTestId('line-voided'), LIVE_MS, 'line 2 marked 已退菜')
  const left = LIVE_MS - (Date.now() - started)
  await expect
    .poll(async () => fen(await card.getByTestId('total').textContent()), { timeout: Math.max(left, 50) })
    .toBeLessThan(before)
  expect(await card.locator('.order-lines li').nth(1).getAttribute('class')).toContain('line-voided')
  expect(await card.getByTestId('void-form').count()).toBe(0)
  // Line 2 no longer offers 退菜; line 1 still does.
  expect(await page.getByTestId(`void-${round.orderId}-2`).count()).toBe(0)
  expect(await page.getByTestId(`void-${round.orderId}-1`).count()).toBe(1)

  const order = await call('GET', `/api/v1/stores/001/orders/${round.orderId}`, undefined, owner)
  expect(order.lines).toHaveLength(2)
  expect(order.lines[1].voided.reason).toBe('沽清')
  expect(order.lines[0].voided).toBeUndefined()
  expect(order.totalFen).toBe(fen(await card.getByTestId('total').textContent()))
  expect(order.totalFen).toBeLessThan(before)

  await card.screenshot({ path: path.join(RESULTS_DIR, 'void-line-card.png') })
  await screenshot(page, 'void-line.png')
  expect(m.errors).toEqual([])
})
