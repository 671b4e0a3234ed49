// Paying on the phone in a real browser, against the local payment sandbox (its cashier stands in for
// WeChat's and Alipay's): a pay-first round paid with 微信支付 turns paid on the phone and on the merchant
// board; a pay-after table pays its whole bill with 支付宝; a diner refunds a paid round before the store
// accepts it and sees 已退款. One sandbox, one `wrangler dev` and one Chromium for the file.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { PayMode } from '../../core/order'
import { DEMO_PASSWORD, DEMO_STORE_ID, demoStoreSetup } from '../../scripts/demo-data'
import { type RunningPaymentSandbox, startPaymentSandbox } from '../../scripts/payment-sandbox/server'
import { DEV_ADMIN_TOKEN } from '../../scripts/wrangler-dev'
import {
  ACTION_MS,
  closeAll,
  launchBrowser,
  openDiner,
  openMerchant,
  type Person,
  type SeededTable,
  type Server,
  screenshot,
  startServer,
  tableByLabel,
  tableLink,
  within,
} from './support'

/** A second store of the same demo data that pays after the meal. */
const PAY_AFTER_STORE = '002'
/** From the cashier's 确认支付 to the merchant's board: redirect, confirm, socket. */
const PAID_MS = 10_000
/** A refund goes to the sandbox and its result comes back (notify or the store's active query). */
const REFUND_MS = 20_000

let sandbox: RunningPaymentSandbox
let server: Server
let browser: Browser
let payFirst: SeededTable[]
let payAfter: SeededTable[]

async function seed(storeId: string, payMode: PayMode, name: string): Promise<SeededTable[]> {
  const setup = demoStoreSetup()
  setup.settings = { ...setup.settings, payMode, name }
  const res = await fetch(`${server.base}/api/v1/admin/stores/${storeId}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(setup),
  })
  if (!res.ok) throw new Error(`seeding store ${storeId} failed: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { tables: SeededTable[] }).tables
}

beforeAll(async () => {
  // Compressed provider timers in the sandbox; the Worker's payment timers (query backoff, windows) too.
  sandbox = await startPaymentSandbox({ timeScale: 0.001 })
  const [s, b] = await Promise.allSettled([
    startServer({ ...sandbox.env, PAYMENT_TIME_SCALE: '0.05' }),
    launchBrowser(),
  ])
  if (s.status === 'fulfilled') server = s.value
  if (b.status === 'fulfilled') browser = b.value
  for (const r of [s, b]) if (r.status === 'rejected') throw r.reason
  ;[payFirst, payAfter] = await Promise.all([
    seed(DEMO_STORE_ID, 'pay_first', '蜀味小馆'),
    seed(PAY_AFTER_STORE, 'pay_after', '蜀味小馆·餐后付'),
  ])
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await sandbox?.stop()
})

/** The owner's board of one store. */
async function merchantOf(storeId: string, name: string): Promise<Person> {
  const p = await openMerchant(browser, server.base)
  await p.page.getByTestId('login-store').fill(storeId)
  await p.page.getByTestId('login-username').fill('owner')
  await p.page.getByTestId('login-password').fill(DEMO_PASSWORD)
  await p.page.getByTestId('login-submit').click()
  await p.page.getByTestId('board-store').filter({ hasText: name }).waitFor()
  return p
}

/** Taps on a dish without options, then 下单 / 加菜; answers the round's 取餐号. */
async function orderDish(page: Page, dish: string, roundNo: number, taps = 1): Promise<string> {
  await page.getByTestId('tab-menu').click()
  for (let i = 1; i <= taps; i++) {
    await page.getByTestId(`dish-${dish}`).click()
    await within(page.locator(`[data-testid="cart-bar"][data-count="${i}"]`), ACTION_MS, `${i} in the cart`)
  }
  await page.getByTestId('send-round').click()
  const round = await within(page.getByTestId(`round-${roundNo}`), ACTION_MS, `round ${roundNo} sent`)
  const pickup = await round.getByTestId('pickup-no').textContent()
  expect(pickup).toBeTruthy()
  return pickup!
}

/** 去支付 -> 微信支付 on round 1 -> the cashier -> back. */
async function payFirstRound(page: Page): Promise<void> {
  const round = page.getByTestId('round-1')
  const total = (await round.locator('.round-total .price').textContent())!
  await round.getByTestId('pay-round').click()
  await page.getByTestId('pay-sheet').getByTestId('pay-wechat').click()
  await payOnCashier(page, total, 'wechat')
}

/** On the sandbox cashier: check the amount, pay, and come back to the table page. */
async function payOnCashier(page: Page, amount: string, provider: 'wechat' | 'alipay'): Promise<void> {
  await page.waitForURL((u) => u.origin === sandbox.base, { timeout: ACTION_MS })
  await within(page.getByTestId('sandbox-pay'), ACTION_MS, `${provider} cashier`)
  expect(await page.getByTestId('sandbox-amount').textContent()).toBe(amount)
  await screenshot(page, `pay-${provider}-cashier.png`)
  await page.getByTestId('sandbox-pay').click()
  await page.waitForURL((u) => u.origin === server.base && u.pathname.startsWith('/t/'), {
    timeout: ACTION_MS,
  })
}

/** The card on the board whose 取餐号 is `pickup` (and, if given, in that state). */
const cardOf = (page: Page, pickup: string, state?: string) =>
  page.locator(`article[data-testid^="order-ord_"]${state ? `[data-state="${state}"]` : ''}`).filter({
    has: page.locator(`[data-testid="pickup-no"]`, { hasText: new RegExp(`^${pickup}$`) }),
  })

describe('paying through the sandbox cashier', () => {
  let d: Person | undefined
  let m: Person | undefined
  afterAll(() => closeAll(d, m))

  test('a diner pays a pay-first round with 微信支付 and the merchant board turns paid', async () => {
    const link = tableLink(server.base, tableByLabel(payFirst, 'A01'))
    ;[d, m] = await Promise.all([openDiner(browser, link, '小明'), merchantOf(DEMO_STORE_ID, '蜀味小馆')])
    const D = d.page
    const M = m.page

    const pickup = await orderDish(D, 'fanqiechaodan', 1)
    const round = D.getByTestId('round-1')
    await within(D.locator('[data-testid="round-1"][data-state="PENDING_PAYMENT"]'), ACTION_MS, 'unpaid')
    expect(await round.getByTestId('paid-label').textContent()).toBe('未支付')
    const card = await within(cardOf(M, pickup), ACTION_MS, 'unpaid card on the board')
    expect(await card.getByTestId('paid-label').textContent()).toBe('未支付')

    // 去支付 -> 微信支付 -> the sandbox cashier -> 确认支付 -> back on the table page.
    const total = (await round.locator('.round-total .price').textContent())!
    await round.getByTestId('pay-round').click()
    const sheet = await within(D.getByTestId('pay-sheet'), ACTION_MS, 'pay sheet')
    expect(await sheet.getByTestId('pay-amount').textContent()).toBe(total)
    await sheet.getByTestId('pay-wechat').click()
    await payOnCashier(D, total, 'wechat')

    await within(D.locator('[data-testid="pay-result"][data-status="paid"]'), PAID_MS, '支付成功')
    expect(await D.getByTestId('pay-result').textContent()).toContain('支付成功')
    // The return parameter is gone: a reload will not confirm again.
    expect(new URL(D.url()).searchParams.has('checkout')).toBe(false)
    await within(
      D.locator('[data-testid="round-1"] [data-testid="paid-label"][data-paid="true"]'),
      PAID_MS,
      'round 1 paid on the phone',
    )
    expect(await D.getByTestId('round-1').getAttribute('data-state')).toBe('PLACED')
    await screenshot(D, 'pay-wechat-back.png')

    await within(
      cardOf(M, pickup).locator('[data-testid="paid-label"][data-paid="true"]'),
      PAID_MS,
      'order paid on the board',
    )
    expect(await cardOf(M, pickup).getByTestId('paid-label').textContent()).toBe('已支付')
    expect(await cardOf(M, pickup).getAttribute('data-state')).toBe('PLACED')
    await screenshot(M, 'pay-board-paid.png')

    // The owner sees the money of the order: one settled WeChat payment.
    await cardOf(M, pickup).getByTestId('refund-open').click()
    const money = await within(M.getByTestId('refund-sheet'), ACTION_MS, 'refund sheet')
    await within(money.locator('[data-testid="money-payment"][data-outcome="SETTLED"]'), ACTION_MS, 'payment')
    expect(await money.getByTestId('money-payment').textContent()).toContain('微信支付')
    await money.getByTestId('refund-close').click()

    expect(d.errors).toEqual([])
    expect(m.errors).toEqual([])
  })

  test('a diner refunds a paid round before the store accepts it and sees 已退款', async () => {
    const link = tableLink(server.base, tableByLabel(payFirst, 'A02'))
    const r = await openDiner(browser, link, '小刚')
    try {
      const D = r.page
      const pickup = await orderDish(D, 'fanqiechaodan', 1)
      await payFirstRound(D)
      await within(
        D.locator(
          '[data-testid="round-1"][data-state="PLACED"] [data-testid="paid-label"][data-paid="true"]',
        ),
        PAID_MS,
        'round paid',
      )

      await D.getByTestId('round-1').getByTestId('refund-round').click()
      const sheet = await within(D.getByTestId('refund-sheet'), ACTION_MS, 'refund sheet')
      await sheet.getByTestId('refund-reason-chip').filter({ hasText: '点错了' }).click()
      await sheet.getByTestId('refund-confirm').click()
      await within(
        D.locator('[data-testid="round-1"] [data-testid="refund-label"][data-state="REFUNDED"]'),
        REFUND_MS,
        '已退款 on the phone',
      )
      expect(await D.getByTestId('round-1').getByTestId('refund-label').textContent()).toContain('已退款')
      expect(await D.getByTestId('round-1').getAttribute('data-state')).toBe('REFUNDED')

      // The board of the store shows it too.
      await within(
        cardOf(m!.page, pickup, 'REFUNDED').getByTestId('state-label').filter({ hasText: '已退款' }),
        ACTION_MS,
        '已退款 on the board',
      )
      await screenshot(D, 'pay-refunded.png')
      expect(r.errors).toEqual([])
    } finally {
      await closeAll(r)
    }
  })

  test('the owner refunds one dish from the board, and returns a payment whose amount did not match', async () => {
    const M = m!.page
    const r = await openDiner(browser, tableLink(server.base, tableByLabel(payFirst, 'A03')), '小李')
    const w = await openDiner(browser, tableLink(server.base, tableByLabel(payFirst, 'A04')), '小王')
    try {
      // A paid round of two portions; the owner refunds one of them.
      const pickup = await orderDish(r.page, 'fanqiechaodan', 1, 2)
      await payFirstRound(r.page)
      const card = cardOf(M, pickup)
      await within(card.locator('[data-testid="paid-label"][data-paid="true"]'), PAID_MS, 'paid on the board')
      await card.getByTestId('refund-open').click()
      const sheet = await within(M.getByTestId('refund-sheet'), ACTION_MS, 'refund sheet')
      const form = await within(sheet.getByTestId('refund-form'), ACTION_MS, 'refund form')
      expect(await form.getByTestId('refund-submit').isDisabled()).toBe(true)
      await form.getByTestId('refund-qty-plus').first().click()
      expect(await form.getByTestId('refund-preview').textContent()).toMatch(/^将退 ¥\d+\.\d\d/)
      await form.getByTestId('refund-reason').fill('上错菜')
      await form.getByTestId('refund-submit').click()
      await within(
        sheet.locator('[data-testid="money-refund"][data-state="SUCCESS"]'),
        REFUND_MS,
        'line refund succeeded',
      )
      expect(await sheet.getByTestId('money-refund').textContent()).toContain('上错菜')
      // One portion is left to refund; the order itself stays paid and placed.
      expect(await form.getByTestId('refund-line-1').textContent()).toContain('已退1份')
      expect(await card.getAttribute('data-state')).toBe('PLACED')
      await screenshot(M, 'pay-line-refund.png')
      await sheet.getByTestId('refund-close').click()

      // The sandbox takes 1 fen instead of the bill: the board raises it, 退还此笔 sends it back.
      const fault = await fetch(`${sandbox.base}/__sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'wechat', target: 'payment', action: 'wrong_amount', amountFen: 1 }),
      })
      expect(fault.ok).toBe(true)
      await orderDish(w.page, 'fanqiechaodan', 1)
      await payFirstRound(w.page)
      const alert = await within(
        M.locator('[data-testid="money-alert"][data-kind="amount_mismatch"]'),
        PAID_MS,
        'mismatch alert on the board',
      )
      expect(await alert.textContent()).toContain('¥0.01')
      // Not paid: the diner is told it is still being processed, and the round stays unpaid.
      await within(w.page.locator('[data-testid="pay-result"][data-status="pending"]'), ACTION_MS, 'pending')
      expect(await w.page.getByTestId('round-1').getByTestId('paid-label').getAttribute('data-paid')).toBe(
        'false',
      )
      await screenshot(M, 'pay-mismatch-alert.png')
      await alert.getByTestId('alert-refund').click()
      await M.getByTestId('money-alerts').waitFor({ state: 'detached', timeout: PAID_MS })
      expect(r.errors).toEqual([])
      expect(w.errors).toEqual([])
    } finally {
      await closeAll(r, w)
    }
  })

  test('a pay-after table pays its whole bill with 支付宝 and the board shows the rounds paid', async () => {
    const link = tableLink(server.base, tableByLabel(payAfter, 'A01'))
    const [p, mm] = await Promise.all([
      openDiner(browser, link, '小红'),
      merchantOf(PAY_AFTER_STORE, '蜀味小馆·餐后付'),
    ])
    try {
      const D = p.page
      const M = mm.page
      const first = await orderDish(D, 'fanqiechaodan', 1)
      const second = await orderDish(D, 'fanqiechaodan', 2)
      for (const n of [1, 2])
        await within(
          D.locator(
            `[data-testid="round-${n}"][data-state="PLACED"] [data-testid="paid-label"][data-paid="false"]`,
          ),
          ACTION_MS,
          `round ${n} placed, unpaid`,
        )
      for (const pickup of [first, second])
        expect(
          await (await within(cardOf(M, pickup), ACTION_MS, 'card')).getByTestId('paid-label').textContent(),
        ).toBe('未支付·餐后付')

      const owed = (await D.getByTestId('bill-owed').textContent())!
      await D.getByTestId('pay-bill').click()
      const sheet = await within(D.getByTestId('pay-sheet'), ACTION_MS, 'pay sheet')
      expect(await sheet.getByTestId('pay-amount').textContent()).toBe(owed)
      await sheet.getByTestId('pay-alipay').click()
      await payOnCashier(D, owed, 'alipay')

      await within(D.locator('[data-testid="pay-result"][data-status="paid"]'), PAID_MS, '支付成功')
      const url = new URL(D.url())
      expect([...url.searchParams.keys()]).toEqual([])
      for (const n of [1, 2])
        await within(
          D.locator(`[data-testid="round-${n}"] [data-testid="paid-label"][data-paid="true"]`),
          PAID_MS,
          `round ${n} paid on the phone`,
        )
      await within(D.getByTestId('bill-paid'), ACTION_MS, '本桌已全部付清')

      for (const pickup of [first, second])
        await within(
          cardOf(M, pickup).locator('[data-testid="paid-label"][data-paid="true"]'),
          PAID_MS,
          `round ${pickup} paid on the board`,
        )
      await screenshot(M, 'pay-after-board-paid.png')
      expect(p.errors).toEqual([])
      expect(mm.errors).toEqual([])
    } finally {
      await closeAll(p, mm)
    }
  })
})
