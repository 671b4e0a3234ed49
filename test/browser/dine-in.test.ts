// Scan-to-order end to end in a real browser: two diners share one table's cart live, send rounds, and the
// merchant board drives each round through the kitchen while both phones follow. One `wrangler dev` and
// one Chromium for the whole file; every person has their own browser context.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeTableCode, signTableCode } from '../../core/table-code'
import {
  ACTION_MS,
  closeAll,
  fillLogin,
  LIVE_MS,
  launchBrowser,
  loginMerchant,
  openDiner,
  openMerchant,
  type Person,
  type SeededTable,
  type Server,
  screenshot,
  seedDemo,
  startServer,
  tableByLabel,
  tableLink,
  within,
} from './support'

let server: Server
let browser: Browser
let tables: SeededTable[]

beforeAll(async () => {
  // Both at once; whichever did start is kept so afterAll can stop it if the other failed.
  const [s, b] = await Promise.allSettled([startServer(), launchBrowser()])
  if (s.status === 'fulfilled') server = s.value
  if (b.status === 'fulfilled') browser = b.value
  for (const r of [s, b]) if (r.status === 'rejected') throw r.reason
  tables = await seedDemo(server.base)
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const round = (page: Page, n: number, state: string) =>
  page.locator(`[data-testid="round-${n}"][data-state="${state}"]`)

describe('dine-in, two diners and the merchant board', () => {
  let a: Person | undefined
  let b: Person | undefined
  let m: Person | undefined
  afterAll(() => closeAll(a, b, m))

  test('shared cart is live, rounds flow to the board and their state back to both phones', async () => {
    const link = tableLink(server.base, tableByLabel(tables, 'A01'))
    ;[a, b, m] = await Promise.all([
      openDiner(browser, link, '小明'),
      openDiner(browser, link, '小红'),
      loginMerchant(browser, server.base),
    ])
    const A = a.page
    const B = b.page
    const M = m.page

    // Both are seated at the same table and see each other.
    await B.getByTestId('cart-bar').click()
    const diners = B.getByTestId('cart-panel').getByTestId('diner')
    await within(diners.filter({ hasText: '小明' }), ACTION_MS, 'B sees A at the table')
    await within(diners.filter({ hasText: '小红' }), ACTION_MS, 'B sees themself at the table')

    // A: 番茄炒蛋 has one spec and nothing to choose, so one tap adds it. B's open cart shows it within 1 s.
    await A.getByTestId('dish-fanqiechaodan').click()
    const bLine = await within(
      B.locator('[data-testid="cart-line"][data-diner="小明"]').filter({ hasText: '番茄炒蛋' }),
      LIVE_MS,
      "A's line in B's cart",
    )
    expect(await bLine.getByTestId('line-diner').textContent()).toBe('小明')
    expect(await bLine.getByTestId('line-qty').textContent()).toBe('1')
    await within(A.locator('[data-testid="dish-fanqiechaodan"] [data-testid="in-cart"]'), ACTION_MS, 'badge')

    // B changes the quantity of A's line; A's open cart shows 2 within 1 s.
    await A.getByTestId('cart-bar').click()
    const aLine = A.locator('[data-testid="cart-line"][data-diner="小明"]')
    await within(aLine, ACTION_MS, "A's own line in A's cart")
    expect(await aLine.getByTestId('line-diner').textContent()).toBe('我')
    await bLine.getByTestId('line-qty-plus').click()
    await within(aLine.getByTestId('line-qty').filter({ hasText: /^2$/ }), LIVE_MS, 'qty 2 on A')
    await within(A.locator('[data-testid="cart-bar"][data-count="2"]'), LIVE_MS, "A's cart count 2")

    // B sends the round. Both phones show round 1 as placed; the board gets a new card.
    await A.getByTestId('cart-backdrop').click()
    await A.getByTestId('tab-rounds').click()
    expect(await B.getByTestId('send-round').textContent()).toBe('下单')
    await B.getByTestId('send-round').click()
    await within(round(B, 1, 'PLACED'), ACTION_MS, 'round 1 placed on B')
    await within(round(A, 1, 'PLACED'), LIVE_MS, 'round 1 placed on A')
    await within(A.locator('[data-testid="cart-bar"][data-count="0"]'), LIVE_MS, "A's cart emptied")

    const card1 = await within(
      M.locator('article[data-testid^="order-ord_"][data-state="PLACED"]'),
      ACTION_MS,
      'new order card',
    )
    const order1 = (await card1.getAttribute('data-testid'))!.slice('order-'.length)
    const card = M.getByTestId(`order-${order1}`)
    expect(await card.getByTestId('where').textContent()).toBe('A01')
    expect(await card.getByTestId('round-badge').textContent()).toBe('第1轮')
    expect(await card.locator('.order-lines li').allTextContents()).toEqual([
      expect.stringMatching(/^2×番茄炒蛋/),
    ])
    expect(await round(A, 1, 'PLACED').getByTestId('pickup-no').textContent()).toBe(
      await card.getByTestId('pickup-no').textContent(),
    )

    // The kitchen steps; each state reaches both phones live. The demo store has kitchen printers, so an
    // accepted order goes straight on to QUEUED (its tickets are in the kitchen's print queue).
    const steps: [event: string, state: string][] = [
      ['accept', 'QUEUED'],
      ['start_cooking', 'COOKING'],
      ['ready', 'READY'],
      ['serve', 'SERVED'],
    ]
    for (const [event, state] of steps) {
      await card.getByTestId(`event-${event}`).click()
      await within(M.locator(`[data-testid="order-${order1}"][data-state="${state}"]`), ACTION_MS, state)
      await Promise.all([
        within(round(A, 1, state), LIVE_MS, `round 1 ${state} on A`),
        within(round(B, 1, state), LIVE_MS, `round 1 ${state} on B`),
      ])
    }
    expect(await round(B, 1, 'SERVED').getByTestId('state-label').textContent()).toBe('已上菜')

    // 加菜: A picks 麻婆豆腐 through the sheet (size and spice), B sees it, A sends round 2.
    await A.getByTestId('tab-menu').click()
    await A.getByTestId('dish-mapodoufu').click()
    const sheet = A.getByTestId('sheet')
    await within(sheet, ACTION_MS, 'dish sheet')
    await sheet.getByTestId('sku-mapodoufu-s').click()
    await sheet.getByTestId('option-spice-hot').click()
    expect(await sheet.getByTestId('option-spice-hot').getAttribute('aria-pressed')).toBe('true')
    expect(await sheet.getByTestId('sheet-total').textContent()).toBe('¥18.00')
    await sheet.getByTestId('sheet-add').click()
    await within(B.locator('[data-testid="cart-bar"][data-count="1"]'), LIVE_MS, "A's 加菜 line on B")
    await A.getByTestId('sheet').waitFor({ state: 'detached' })

    expect(await A.getByTestId('send-round').textContent()).toBe('加菜')
    await A.getByTestId('send-round').click()
    await within(round(A, 2, 'PLACED'), ACTION_MS, 'round 2 placed on A')
    await within(round(B, 2, 'PLACED'), LIVE_MS, 'round 2 placed on B')
    expect(await round(A, 1, 'SERVED').count()).toBe(1)

    const card2 = await within(
      M.locator('article[data-testid^="order-ord_"][data-state="PLACED"]').filter({
        has: M.getByTestId('round-badge').filter({ hasText: '加菜 · 第2轮' }),
      }),
      ACTION_MS,
      '加菜 card',
    )
    expect(await card2.getAttribute('data-testid')).not.toBe(`order-${order1}`)
    expect(await card2.getByTestId('where').textContent()).toBe('A01')
    const lines2 = await card2.locator('.order-lines li').allTextContents()
    expect(lines2).toHaveLength(1)
    expect(lines2[0]).toMatch(/^1×麻婆豆腐.*小份.*特辣/)
    // The first round is still on the board, done, and was not sent again.
    expect(await M.locator('article[data-testid^="order-ord_"]').count()).toBe(2)
    expect(await card.getAttribute('data-state')).toBe('SERVED')

    await A.getByTestId('toast').waitFor({ state: 'detached' })
    await screenshot(A, 'diner-rounds.png')
    await screenshot(M, 'merchant-board.png')
    expect([...a.errors, ...b.errors, ...m.errors]).toEqual([])
  })
})

describe('沽清 from the merchant menu tab', () => {
  let d: Person | undefined
  let m: Person | undefined
  afterAll(() => closeAll(d, m))

  test('a dish switched off shows 已售罄 on a diner phone live, and back on', async () => {
    const link = tableLink(server.base, tableByLabel(tables, 'A02'))
    ;[d, m] = await Promise.all([openDiner(browser, link, '阿强'), loginMerchant(browser, server.base)])
    const D = d.page
    const M = m.page
    const dish = D.getByTestId('dish-suanlatang')
    expect(await dish.getAttribute('data-soldout')).toBe('false')

    await M.getByTestId('tab-menu').click()
    const toggle = await within(M.getByTestId('soldout-suanlatang'), ACTION_MS, 'sold-out switch')
    expect(await toggle.getAttribute('data-soldout')).toBe('false')
    await toggle.click()
    await within(M.locator('[data-testid="soldout-suanlatang"][data-soldout="true"]'), ACTION_MS, 'switch on')

    await within(D.locator('[data-testid="dish-suanlatang"][data-soldout="true"]'), LIVE_MS, 'dish sold out')
    expect(await dish.locator('.sold-out-tag').textContent()).toBe('已售罄')
    // A tap on a sold-out dish adds nothing (no toast, the cart stays empty).
    await dish.click({ force: true })
    expect(await D.getByTestId('toast').count()).toBe(0)
    expect(await D.getByTestId('cart-bar').getAttribute('data-count')).toBe('0')

    await M.getByTestId('soldout-suanlatang').click()
    await within(D.locator('[data-testid="dish-suanlatang"][data-soldout="false"]'), LIVE_MS, 'dish back')
    await dish.click()
    await within(D.locator('[data-testid="cart-bar"][data-count="1"]'), ACTION_MS, 'added after restock')
    expect([...d.errors, ...m.errors]).toEqual([])
  })
})

describe('what a stranger gets', () => {
  let p: Person | undefined
  afterAll(() => closeAll(p))

  test('a forged table link shows the 404 page; a wrong password shows a login error', async () => {
    p = await openMerchant(browser, server.base)
    const page = p.page
    const [digits, signature] = tableByLabel(tables, 'A03').code.split('.') as [string, string]
    const a04 = makeTableCode('001', '0001', '00004')
    const forged = [
      // A tampered signature; a real signature moved to the next table; a code signed with a guessed secret.
      `${digits}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`,
      `${a04}.${signature}`,
      await signTableCode('guessed-secret', a04),
    ]
    for (const code of forged) {
      const res = await page.goto(`${server.base}/t/${code}`)
      expect(res?.status(), code).toBe(404)
      expect(await page.locator('body').textContent()).toContain('这个二维码无效')
      expect(await page.getByTestId('join-name').count()).toBe(0)
    }

    await page.goto(`${server.base}/merchant/`)
    await fillLogin(page, 'not-the-password')
    const error = await within(page.getByTestId('login-error'), ACTION_MS, 'login error')
    expect((await error.textContent())?.trim()).not.toBe('')
    expect(await page.getByTestId('board-store').count()).toBe(0)
    expect(await page.getByTestId('login-submit').isEnabled()).toBe(true)
    expect(p.errors).toEqual([])
  })
})
