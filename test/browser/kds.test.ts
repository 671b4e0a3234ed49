// The kitchen display in a real browser: a cook logs in, filters to a station, taps a line to start it
// (the order moves to cooking) and bumps lines until the order is ready; the merchant board follows.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { DEMO_PASSWORD } from '../../scripts/demo-data'
import { apiClient, eventually } from '../support/http'
import {
  ACTION_MS,
  closeAll,
  fillLogin,
  LIVE_MS,
  launchBrowser,
  type Person,
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
let cook: Person | undefined

beforeAll(async () => {
  const [s, b] = await Promise.allSettled([startServer(), launchBrowser()])
  if (s.status === 'fulfilled') server = s.value
  if (b.status === 'fulfilled') browser = b.value
  for (const r of [s, b]) if (r.status === 'rejected') throw r.reason
  tables = await seedDemo(server.base)
})

afterAll(async () => {
  await closeAll(cook)
  await browser?.close()
  await server?.stop()
})

/** JSON call that must succeed: these are the test's own setup steps. */
async function call(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  headers: Record<string, string> = {},
) {
  const r = await apiClient(server.base)(method, path, { body, ...(token ? { token } : {}), headers })
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json
}

test('a cook starts and bumps lines; the order goes to cooking, then ready', async () => {
  const { menu } = await call('GET', '/api/v1/stores/001/menu')
  // One hot dish and one dish from another station, each orderable with no required options.
  const simple = (station: string) =>
    menu.items.find((i: any) => i.station === station && i.optionGroups.every((g: any) => g.min === 0))
  const hot = simple('hot')
  const other = simple('cold') ?? simple('bar')
  expect(hot && other).toBeTruthy()
  const diner = await call('POST', `/api/v1/tables/${tables[2]!.code}/join`, { name: '阿明' })
  const lines = [hot, other].map((i: any) => ({ itemId: i.id, skuId: i.skus[0].id, qty: 1 }))
  const { round } = await call(
    'POST',
    '/api/v1/table/rounds',
    { menuVersion: menu.version, lines },
    diner.token,
    {
      'idempotency-key': 'kds-browser-round-1',
    },
  )
  const owner = (
    await call('POST', '/api/v1/stores/001/login', { username: 'owner', password: DEMO_PASSWORD })
  ).token
  await call('POST', `/api/v1/stores/001/orders/${round.orderId}/events`, { event: 'accept' }, owner)

  cook = await (async () => {
    const context = await browser.newContext({
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      viewport: { width: 1280, height: 800 },
    })
    context.setDefaultTimeout(ACTION_MS)
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    return { context, page, errors }
  })()
  const page = cook.page
  await page.goto(`${server.base}/kds/`)
  await fillLogin(page, DEMO_PASSWORD, 'kitchen')
  const card = await within(
    page.getByTestId(`kds-order-${round.orderId}`),
    ACTION_MS,
    'the accepted order on the KDS',
  )

  // The hot station sees only its line.
  await page.getByTestId('kds-station-hot').click()
  await within(page.getByTestId(`kds-line-${round.orderId}-1`), LIVE_MS, 'the hot line')
  expect(await card.locator('[data-testid^="kds-line-"]').count()).toBe(1)

  const hotLine = page.getByTestId(`kds-line-${round.orderId}-1`)
  await hotLine.click()
  await within(
    page.locator(`[data-testid="kds-line-${round.orderId}-1"][data-kds="started"]`),
    LIVE_MS,
    'line started',
  )
  await within(
    page.locator(`[data-testid="kds-order-${round.orderId}"][data-state="COOKING"]`),
    LIVE_MS,
    'order cooking',
  )
  await hotLine.click()
  await within(
    page.locator(`[data-testid="kds-line-${round.orderId}-1"][data-kds="done"]`),
    LIVE_MS,
    'line bumped',
  )

  // All stations: bump the rest of the order at once; it becomes ready everywhere.
  await page.getByTestId('kds-station-all').click()
  await page.getByTestId(`kds-all-${round.orderId}`).click()
  const order = await eventually(
    async () => (await call('GET', `/api/v1/stores/001/orders/${round.orderId}`, undefined, owner)).state,
    (s) => s === 'READY',
    ACTION_MS,
  )
  expect(order).toBe('READY')
  await screenshot(page, 'kds.png')
  expect(cook.errors).toEqual([])
})
