// Money end to end, nothing stubbed: the Worker and StoreDO in a throwaway `wrangler dev`, the payment
// sandbox (scripts/payment-sandbox) speaking WeChat Pay v3 and Alipay over real HTTP, its notifies signed
// and encrypted with its own keys, and every fault it can inject. After each test the store's audit must
// hold: every checkout settled once or closed, every extra payment refunded, the ledger balanced.
//   npx vitest run --config vitest.node.config.ts test/payments/settlement.test.ts
//
// Time is compressed on both sides: the sandbox retries notifies at 1/1000 of the providers' schedules
// (15 ms, 15 ms, 30 ms, ...), and the store runs its payment timers at PAYMENT_TIME_SCALE (active query
// after 30 s x scale, payment window 15 min x scale).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Checkout, PaymentRecord, RefundRecord } from '../../core/payment-types'
import { type RunningPaymentSandbox, startPaymentSandbox } from '../../scripts/payment-sandbox/server'
import { wechatPaymentNotify } from '../../scripts/payment-sandbox/wechat'
import { DEV_ADMIN_TOKEN, freePort, startWranglerDev } from '../../scripts/wrangler-dev'
import { generateRsaPem, importPrivateKey, randomNonce, rsaSign } from '../../workers/payments/crypto'
import { apiClient, eventually } from '../support/http'
import { testStore } from '../workers/fixtures'

/** 30 s x 0.02 = the first active query 600 ms after a cashier opens; the window is 18 s. */
const SCALE = 0.02
const WINDOW_MS = 15 * 60_000 * SCALE
const STORE = '871'
const AFTER_STORE = '872'

let sb: RunningPaymentSandbox
let server: { base: string; stop(): Promise<void> }
let call: ReturnType<typeof apiClient>
let menuVersion = 0
let tables: { code: string; label: string }[] = []
let afterTables: { code: string; label: string }[] = []
let owner = ''
let idem = 0

const line = (itemId: string, skuId: string, qty = 1, optionIds: string[] = []) => ({
  itemId,
  skuId,
  qty,
  optionIds,
  note: '',
})
const RICE = line('rice', 'bowl', 1)
const TEA = line('tea', 'cup', 2)
/** Limited: 10 in stock (test/workers/fixtures.ts). */
const DUCK = line('duck', 'half', 1)

beforeAll(async () => {
  sb = await startPaymentSandbox({ timeScale: 0.001, refundDelayMs: 300 })
  const port = await freePort()
  server = await startWranglerDev(port, { ...sb.env, PAYMENT_TIME_SCALE: String(SCALE) })
  call = apiClient(server.base)
  const seeded = await call('PUT', `/api/v1/admin/stores/${STORE}`, {
    token: DEV_ADMIN_TOKEN,
    body: testStore({ payMode: 'pay_first' }, 20),
  })
  expect(seeded.status).toBe(200)
  menuVersion = seeded.json.menuVersion
  tables = seeded.json.tables
  const after = await call('PUT', `/api/v1/admin/stores/${AFTER_STORE}`, {
    token: DEV_ADMIN_TOKEN,
    body: testStore({ payMode: 'pay_after' }, 4),
  })
  afterTables = after.json.tables
  owner = (
    await call('POST', `/api/v1/stores/${STORE}/login`, {
      body: { username: 'owner', password: 'fixture-pass-1' },
    })
  ).json.token
}, 120_000)

afterAll(async () => {
  await server?.stop()
  await sb?.stop()
})

// ---- steps --------------------------------------------------------------------------------------------

let nextTable = 0
/** A diner at a fresh table of the pay-first store. */
async function dinerAt(list = tables): Promise<string> {
  const t = list[nextTable++ % list.length]
  if (!t) throw new Error('no table')
  const r = await call('POST', `/api/v1/tables/${t.code}/join`, { body: { name: '食客' } })
  return r.json.token
}

async function round(token: string, lines = [RICE, TEA]): Promise<{ orderId: string; totalFen: number }> {
  const r = await call('POST', '/api/v1/table/rounds', {
    token,
    headers: { 'idempotency-key': `pay-e2e-${Date.now()}-${++idem}` },
    body: { menuVersion, lines },
  })
  expect(r.status, JSON.stringify(r.json)).toBe(201)
  return { orderId: r.json.round.orderId, totalFen: r.json.round.totalFen }
}

async function startPay(token: string, orderId: string, provider: 'wechat' | 'alipay') {
  const r = await call('POST', `/api/v1/table/orders/${orderId}/pay`, {
    token,
    body: { provider, channel: provider === 'wechat' ? 'h5' : 'wap', returnUrl: `${server.base}/` },
  })
  expect(r.status, JSON.stringify(r.json)).toBe(201)
  return r.json as { checkoutId: string; amountFen: number; pay: { kind: string; url: string } }
}

/** An Alipay wap trade exists only once the diner opens the cashier: open it like a browser would. */
async function openCashier(pay: { kind: string; url: string }): Promise<void> {
  const res = await fetch(pay.url, { redirect: 'manual' })
  expect(res.status).toBeLessThan(400)
  await res.text()
}

/** A diner with a pay-first round and an open cashier, ready to pay. */
async function pendingOrder(provider: 'wechat' | 'alipay' = 'wechat', lines = [RICE, TEA]) {
  const token = await dinerAt()
  const o = await round(token, lines)
  const started = await startPay(token, o.orderId, provider)
  await openCashier(started.pay)
  return { token, ...o, checkoutId: started.checkoutId }
}

async function order(orderId: string, storeId = STORE): Promise<any> {
  const r = await call('GET', `/api/v1/stores/${storeId}/orders/${orderId}`, {
    token: storeId === STORE ? owner : await login(storeId),
  })
  return r.json
}

const tokens = new Map<string, string>()
async function login(storeId: string): Promise<string> {
  if (!tokens.has(storeId))
    tokens.set(
      storeId,
      (
        await call('POST', `/api/v1/stores/${storeId}/login`, {
          body: { username: 'owner', password: 'fixture-pass-1' },
        })
      ).json.token,
    )
  return tokens.get(storeId) as string
}

async function money(orderId: string): Promise<{
  checkouts: Checkout[]
  payments: PaymentRecord[]
  refunds: RefundRecord[]
}> {
  return (await call('GET', `/api/v1/stores/${STORE}/orders/${orderId}/money`, { token: owner })).json
}

interface Audit {
  checkouts: Checkout[]
  payments: PaymentRecord[]
  refunds: RefundRecord[]
  ledger: { checkoutId: string; amountFen: number; kind: string }[]
  violations: string[]
  pendingReturns: unknown[]
}
async function audit(storeId = STORE): Promise<Audit> {
  return (await call('GET', `/api/v1/admin/stores/${storeId}/payments/audit`, { token: DEV_ADMIN_TOKEN }))
    .json
}

/** The bar: each order ends settled once or closed, and the ledger balances. */
async function expectBalanced(storeId = STORE): Promise<void> {
  const a = await eventually(
    () => audit(storeId),
    (x) =>
      x.pendingReturns.length === 0 && x.refunds.every((r) => r.state === 'SUCCESS' || r.state === 'FAILED'),
    20_000,
  )
  expect(a.violations).toEqual([])
  for (const c of a.checkouts) {
    const settled = a.payments.filter((p) => p.checkoutId === c.id && p.outcome === 'SETTLED')
    expect(settled.length, `checkout ${c.id} ${c.state}`).toBe(c.state === 'PAID' ? 1 : 0)
  }
}

const paid = (orderId: string, storeId = STORE) =>
  eventually(
    () => order(orderId, storeId),
    (o) => o.paid === true,
    10_000,
  )

// ---- the tests --------------------------------------------------------------------------------------------

describe('settlement', () => {
  it('WeChat: the notify settles the order once and the sandbox gets 204', async () => {
    const o = await pendingOrder('wechat')
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: o.orderId })
    const after = await paid(o.orderId)
    expect(after.state).toBe('PLACED')
    const m = await money(o.orderId)
    expect(m.payments).toHaveLength(1)
    expect(m.payments[0]).toMatchObject({ outcome: 'SETTLED', amountFen: o.totalFen, provider: 'wechat' })
    const log = await eventually(
      () => sb.sandbox.notifies().filter((n) => n.outTradeNo === o.orderId),
      (l) => l.some((n) => n.acked),
    )
    expect(log.find((n) => n.acked)?.status).toBe(204)
    await expectBalanced()
  })

  it('Alipay: the notify settles the order and the reply is exactly `success`', async () => {
    const o = await pendingOrder('alipay')
    await sb.sandbox.pay({ provider: 'alipay', outTradeNo: o.orderId })
    await paid(o.orderId)
    const log = await eventually(
      () => sb.sandbox.notifies().filter((n) => n.outTradeNo === o.orderId),
      (l) => l.some((n) => n.acked),
    )
    expect(log.find((n) => n.acked)?.reply).toBe('success')
    expect((await money(o.orderId)).payments).toHaveLength(1)
  })

  it('10 duplicate notifies racing the client confirm settle exactly once', async () => {
    const o = await pendingOrder('wechat')
    sb.sandbox.addFault({
      provider: 'wechat',
      target: 'payment',
      outTradeNo: o.orderId,
      action: 'duplicate',
      copies: 10,
    })
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: o.orderId })
    const confirms = await Promise.all(
      [1, 2, 3].map(() =>
        call('POST', `/api/v1/table/checkouts/${o.checkoutId}/confirm`, { token: o.token }),
      ),
    )
    for (const c of confirms) expect(c.status).toBe(200)
    await paid(o.orderId)
    await eventually(
      () => sb.sandbox.notifies().filter((n) => n.outTradeNo === o.orderId),
      (l) => l.length >= 10 && l.every((n) => n.status !== 0),
    )
    const m = await money(o.orderId)
    expect(m.payments).toHaveLength(1)
    const events = (await call('GET', `/api/v1/stores/${STORE}/orders/${o.orderId}/events`, { token: owner }))
      .json
    expect(events.filter((e: { event: string }) => e.event === 'pay')).toHaveLength(1)
    await expectBalanced()
  })

  it('a dropped notify is recovered by the active query', async () => {
    const o = await pendingOrder('wechat')
    sb.sandbox.addFault({ provider: 'wechat', target: 'payment', outTradeNo: o.orderId, action: 'drop' })
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: o.orderId })
    await paid(o.orderId)
    const m = await money(o.orderId)
    expect(m.payments[0]?.source).toBe('query')
    expect(sb.sandbox.notifies().filter((n) => n.outTradeNo === o.orderId)).toHaveLength(0)
  })

  it('a dropped Alipay notify is recovered by the active query too', async () => {
    const o = await pendingOrder('alipay')
    sb.sandbox.addFault({ provider: 'alipay', target: 'payment', outTradeNo: o.orderId, action: 'drop' })
    await sb.sandbox.pay({ provider: 'alipay', outTradeNo: o.orderId })
    await paid(o.orderId)
    expect((await money(o.orderId)).payments[0]?.source).toBe('query')
  })

  it('tampered and stale notifies are refused (401, FAIL) and the genuine retry settles once', async () => {
    for (const action of ['tamper', 'stale'] as const) {
      const o = await pendingOrder('wechat')
      sb.sandbox.addFault({ provider: 'wechat', target: 'payment', outTradeNo: o.orderId, action })
      await sb.sandbox.pay({ provider: 'wechat', outTradeNo: o.orderId })
      await paid(o.orderId)
      const log = await eventually(
        () => sb.sandbox.notifies().filter((n) => n.outTradeNo === o.orderId),
        (l) => l.some((n) => n.acked),
      )
      const first = log.find((n) => n.attempt === 1)
      expect(first?.status, action).toBe(401)
      expect(first?.acked).toBe(false)
      expect(first?.reply).toContain('FAIL')
      expect((await money(o.orderId)).payments).toHaveLength(1)
    }
  })

  it('delayed and reordered notifies still settle each order once', async () => {
    const a = await pendingOrder('wechat')
    const b = await pendingOrder('wechat')
    sb.sandbox.addFault({ provider: 'wechat', target: 'payment', outTradeNo: a.orderId, action: 'reorder' })
    sb.sandbox.addFault({
      provider: 'wechat',
      target: 'payment',
      outTradeNo: b.orderId,
      action: 'delay',
      delayMs: 300,
    })
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: a.orderId })
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: b.orderId })
    await paid(a.orderId)
    await paid(b.orderId)
    expect((await money(a.orderId)).payments).toHaveLength(1)
    expect((await money(b.orderId)).payments).toHaveLength(1)
  })

  it('forged signature, wrong key serial, unknown order and replay: refused or absorbed, nothing changes', async () => {
    const o = await pendingOrder('wechat')
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: o.orderId })
    await paid(o.orderId)
    const trade = sb.sandbox.getTrade('wechat', o.orderId)
    if (!trade) throw new Error('no trade')
    const job = wechatPaymentNotify(sb.sandbox, trade)
    if (!job) throw new Error('no notify job')
    const url = `${server.base}/api/v1/payments/wechat/notify`
    const post = (headers: Record<string, string>, body: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
    const genuine = await job.render({ stale: false })

    // Replay of a genuine notify: acknowledged, absorbed, no second payment.
    const replay = await post(genuine.headers, genuine.body)
    expect(replay.status).toBe(204)

    // Forged: the body of another amount under the genuine signature.
    const forged = await post(genuine.headers, genuine.body.replace('"summary":"', '"summary":"x'))
    expect(forged.status).toBe(401)
    expect(await forged.json()).toMatchObject({ code: 'FAIL' })

    // Signed by a key WeChat never gave us, under a serial we do not know.
    const stranger = await importPrivateKey((await generateRsaPem()).privatePem)
    const ts = String(Math.floor(Date.now() / 1000))
    const nonce = randomNonce()
    const wrongSerial = await post(
      {
        'wechatpay-timestamp': ts,
        'wechatpay-nonce': nonce,
        'wechatpay-serial': 'PUB_KEY_ID_0000000000000000000000000000STRANGER',
        'wechatpay-signature': await rsaSign(stranger, `${ts}\n${nonce}\n${genuine.body}\n`),
        'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      },
      genuine.body,
    )
    expect(wrongSerial.status).toBe(401)

    // A genuine notify for an order this store never had: refused so the provider keeps it on record.
    const unknown = wechatPaymentNotify(sb.sandbox, {
      ...trade,
      outTradeNo: 'ord_0000000000UNKNOWNORDER0000',
      transactionId: '4200000000000000000000000001',
    })
    const u = await unknown?.render({ stale: false })
    if (!u) throw new Error('no render')
    const unknownReply = await post(u.headers, u.body)
    expect(unknownReply.status).toBe(404)

    expect((await money(o.orderId)).payments).toHaveLength(1)
    await expectBalanced()
  })

  it('a wrong amount is refused, raised to the merchant, and can be returned', async () => {
    const o = await pendingOrder('wechat')
    sb.sandbox.addFault({
      provider: 'wechat',
      target: 'payment',
      outTradeNo: o.orderId,
      action: 'wrong_amount',
      amountFen: 1,
    })
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: o.orderId })
    const m = await eventually(
      () => money(o.orderId),
      (x) => x.payments.length === 1,
    )
    expect(m.payments[0]?.outcome).toBe('MISMATCH')
    expect((await order(o.orderId)).state).toBe('PENDING_PAYMENT')
    const board = (await call('GET', `/api/v1/stores/${STORE}/board`, { token: owner })).json
    expect(board.moneyAlerts.some((a: { paymentId?: string }) => a.paymentId === m.payments[0]?.id)).toBe(
      true,
    )
    const back = await call('POST', `/api/v1/stores/${STORE}/payments/${m.payments[0]?.id}/refund`, {
      token: owner,
      body: { reason: '金额不符' },
    })
    expect(back.status).toBe(201)
    await eventually(
      () => money(o.orderId),
      (x) => x.payments[0]?.refundedFen === 1,
    )
    await expectBalanced()
  })
})

describe('closing and late money', () => {
  it('an unpaid order closes at the window: provider trade closed, stock released; a late payment is refunded', async () => {
    const remaining = async () =>
      (await call('GET', `/api/v1/stores/${STORE}/board`, { token: owner })).json.remaining.half
    const before = await remaining()
    const o = await pendingOrder('wechat', [DUCK])
    expect(await remaining()).toBe(before - 1)
    const closed = await eventually(
      () => order(o.orderId),
      (x) => x.state === 'CLOSED',
      WINDOW_MS + 15_000,
    )
    expect(closed.paid).toBe(false)
    expect(sb.sandbox.getTrade('wechat', o.orderId)?.status).toBe('CLOSED')
    expect(await remaining()).toBe(before)
    // The diner paid between our last query and our close.
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: o.orderId, force: true })
    const m = await eventually(
      () => money(o.orderId),
      (x) => x.refunds.length === 1 && x.refunds[0]?.state === 'SUCCESS',
      20_000,
    )
    expect(m.payments[0]?.outcome).toBe('LATE')
    expect(m.refunds[0]?.amountFen).toBe(o.totalFen)
    expect((await order(o.orderId)).state).toBe('CLOSED')
    await expectBalanced()
  }, 60_000)

  it('a second payment for a paid order is refunded automatically', async () => {
    const o = await pendingOrder('wechat')
    const ali = await startPay(o.token, o.orderId, 'alipay')
    await openCashier(ali.pay)
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: o.orderId })
    await paid(o.orderId)
    await sb.sandbox.pay({ provider: 'alipay', outTradeNo: o.orderId, force: true })
    const m = await eventually(
      () => money(o.orderId),
      (x) => x.payments.length === 2 && x.refunds.some((r) => r.state === 'SUCCESS'),
      20_000,
    )
    expect(m.payments.map((p) => p.outcome).sort()).toEqual(['SECOND', 'SETTLED'])
    expect(m.refunds[0]?.provider).toBe('alipay')
    await expectBalanced()
  })

  it('a cancelled order closes its provider trade', async () => {
    const o = await pendingOrder('alipay')
    const r = await call('POST', `/api/v1/stores/${STORE}/orders/${o.orderId}/events`, {
      token: owner,
      body: { event: 'cancel', reason: '顾客离开' },
    })
    expect(r.status).toBe(200)
    await eventually(
      () => sb.sandbox.getTrade('alipay', o.orderId)?.status,
      (s) => s === 'CLOSED',
    )
  })
})

describe('refunds', () => {
  it('before acceptance the diner refunds in full by themself', async () => {
    const o = await pendingOrder('wechat')
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: o.orderId })
    await paid(o.orderId)
    const r = await call('POST', `/api/v1/table/orders/${o.orderId}/refund`, {
      token: o.token,
      body: { reason: '不想要了' },
    })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    expect(r.json.state).toBe('REFUNDING')
    const done = await eventually(
      () => order(o.orderId),
      (x) => x.state === 'REFUNDED',
      20_000,
    )
    expect(done.state).toBe('REFUNDED')
    const m = await money(o.orderId)
    expect(m.refunds[0]).toMatchObject({ state: 'SUCCESS', amountFen: o.totalFen })
    await expectBalanced()
  })

  it('while cooking the merchant decides; a line-level partial refund leaves the order going', async () => {
    const o = await pendingOrder('alipay')
    await sb.sandbox.pay({ provider: 'alipay', outTradeNo: o.orderId })
    await paid(o.orderId)
    await call('POST', `/api/v1/stores/${STORE}/orders/${o.orderId}/events`, {
      token: owner,
      body: { event: 'accept' },
    })
    const asked = await call('POST', `/api/v1/table/orders/${o.orderId}/refund`, {
      token: o.token,
      body: { reason: '上错了' },
    })
    expect(asked.json.state).toBe('REFUND_REQUESTED')
    const refused = await call('POST', `/api/v1/stores/${STORE}/orders/${o.orderId}/events`, {
      token: owner,
      body: { event: 'refuse_refund', reason: '已在制作' },
    })
    expect(refused.status).toBe(200)
    expect(refused.json.state).toBe('ACCEPTED')
    // The merchant refunds the tea (line 2: two cups) only.
    const part = await call('POST', `/api/v1/stores/${STORE}/orders/${o.orderId}/refunds`, {
      token: owner,
      body: { lines: [{ lineNo: 2, qty: 2 }], reason: '茶没上' },
    })
    expect(part.status, JSON.stringify(part.json)).toBe(201)
    expect(part.json.amountFen).toBeGreaterThan(0)
    expect(part.json.amountFen).toBeLessThan(o.totalFen)
    const m = await eventually(
      () => money(o.orderId),
      (x) => x.refunds[0]?.state === 'SUCCESS',
    )
    expect(m.payments[0]?.refundedFen).toBe(part.json.amountFen)
    expect((await order(o.orderId)).state).toBe('ACCEPTED')
    // The same line cannot be refunded twice.
    const again = await call('POST', `/api/v1/stores/${STORE}/orders/${o.orderId}/refunds`, {
      token: owner,
      body: { lines: [{ lineNo: 2, qty: 1 }], reason: '再退' },
    })
    expect(again.status).toBe(400)
    await expectBalanced()
  })

  it('a refund the provider fails is retried by the alarm until it succeeds', async () => {
    const o = await pendingOrder('wechat')
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: o.orderId })
    await paid(o.orderId)
    sb.sandbox.addFault({
      provider: 'wechat',
      target: 'refund',
      outTradeNo: o.orderId,
      action: 'refund_error',
      times: 2,
    })
    await call('POST', `/api/v1/table/orders/${o.orderId}/refund`, { token: o.token, body: { reason: '退' } })
    await eventually(
      () => order(o.orderId),
      (x) => x.state === 'REFUNDED',
      30_000,
    )
    const m = await money(o.orderId)
    expect(m.refunds).toHaveLength(1)
    expect(m.refunds[0]?.attempts).toBeGreaterThanOrEqual(3)
    await expectBalanced()
  }, 45_000)

  it('an abnormal refund is raised, kept asking about, and completes once resolved at the provider', async () => {
    const o = await pendingOrder('wechat')
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: o.orderId })
    await paid(o.orderId)
    sb.sandbox.addFault({
      provider: 'wechat',
      target: 'refund',
      outTradeNo: o.orderId,
      action: 'refund_abnormal',
    })
    await call('POST', `/api/v1/table/orders/${o.orderId}/refund`, { token: o.token, body: { reason: '退' } })
    const failed = await eventually(
      () => money(o.orderId),
      (x) => x.refunds[0]?.state === 'FAILED',
      20_000,
    )
    const board = (await call('GET', `/api/v1/stores/${STORE}/board`, { token: owner })).json
    expect(board.moneyAlerts.some((a: { kind: string }) => a.kind === 'refund_failed')).toBe(true)
    // WeChat refuses a new number while the abnormal refund holds the money: a retry asks again instead.
    const refundId = failed.refunds[0]?.id
    const retry = await call('POST', `/api/v1/stores/${STORE}/refunds/${refundId}/retry`, { token: owner })
    expect(retry.status).toBe(200)
    expect(retry.json.refundId).toBe(refundId)
    // The merchant resolves it on the provider's platform (the sandbox's record flips to SUCCESS).
    const stuck = sb.sandbox.refunds().find((r) => r.outRefundNo === refundId)
    if (!stuck) throw new Error('sandbox has no such refund')
    stuck.status = 'SUCCESS'
    stuck.successAt = Date.now()
    await eventually(
      () => order(o.orderId),
      (x) => x.state === 'REFUNDED',
      20_000,
    )
    const after = (await call('GET', `/api/v1/stores/${STORE}/board`, { token: owner })).json
    expect(after.moneyAlerts.some((a: { refundId?: string }) => a.refundId === refundId)).toBe(false)
    await expectBalanced()
  }, 45_000)
})

describe('pay after the meal', () => {
  it('the table pays its whole bill once; a new round supersedes an open checkout', async () => {
    nextTable = 0
    const token = await dinerAt(afterTables)
    const first = await round(token, [RICE])
    const bill1 = await call('POST', '/api/v1/table/checkout', {
      token,
      body: { provider: 'wechat', channel: 'h5', returnUrl: `${server.base}/` },
    })
    expect(bill1.status, JSON.stringify(bill1.json)).toBe(201)
    expect(bill1.json.orderIds).toEqual([first.orderId])
    // Another round arrives: the first bill is no longer the table's bill.
    const second = await round(token, [TEA])
    const bill2 = await call('POST', '/api/v1/table/checkout', {
      token,
      body: { provider: 'wechat', channel: 'h5', returnUrl: `${server.base}/` },
    })
    expect(bill2.json.checkoutId).not.toBe(bill1.json.checkoutId)
    expect(bill2.json.amountFen).toBe(first.totalFen + second.totalFen)
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: bill2.json.checkoutId })
    await paid(first.orderId, AFTER_STORE)
    await paid(second.orderId, AFTER_STORE)
    // Paying the superseded bill anyway is refunded.
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: bill1.json.checkoutId, force: true })
    const a = await eventually(
      () => audit(AFTER_STORE),
      (x) => x.payments.length === 2,
    )
    await expectBalanced(AFTER_STORE)
    expect(a.payments.map((p) => p.outcome).sort()).toEqual(['LATE', 'SETTLED'])
  }, 45_000)
})

describe('bad input', () => {
  it('is refused with a clear 4xx and changes nothing', async () => {
    const token = await dinerAt()
    const o = await round(token)
    const pay = (body: unknown, orderId = o.orderId, t = token) =>
      call('POST', `/api/v1/table/orders/${orderId}/pay`, { token: t, body })
    const cases: [string, Promise<{ status: number; json: any }>, number, string][] = [
      ['unknown provider', pay({ provider: 'paypal', channel: 'h5' }), 400, 'VALIDATION_FAILED'],
      [
        'channel of the other provider',
        pay({ provider: 'wechat', channel: 'wap' }),
        400,
        'VALIDATION_FAILED',
      ],
      ['jsapi without a payer login', pay({ provider: 'wechat', channel: 'jsapi' }), 401, 'UNAUTHENTICATED'],
      [
        'a return URL on another site',
        pay({ provider: 'wechat', channel: 'h5', returnUrl: 'https://evil.example/' }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'an order of another table',
        pay({ provider: 'wechat', channel: 'h5' }, o.orderId, await dinerAt()),
        404,
        'ORDER_NOT_FOUND',
      ],
      [
        'a malformed checkout id',
        call('POST', '/api/v1/table/checkouts/not-an-id/confirm', { token }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a refund of an unpaid order',
        call('POST', `/api/v1/table/orders/${o.orderId}/refund`, { token, body: { reason: '不要了' } }),
        409,
        'INVALID_TRANSITION',
      ],
      [
        'a refund without a reason',
        call('POST', `/api/v1/table/orders/${o.orderId}/refund`, { token, body: {} }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a bad login code',
        call('POST', '/api/v1/payments/wechat/login', { body: { code: '' } }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a line refund by a diner token',
        call('POST', `/api/v1/stores/${STORE}/orders/${o.orderId}/refunds`, {
          token,
          body: { lines: [{ lineNo: 1, qty: 1 }], reason: 'x' },
        }),
        403,
        'FORBIDDEN',
      ],
    ]
    for (const [what, reply, status, code] of cases) {
      const r = await reply
      expect(r.status, what).toBe(status)
      expect(r.json.error.code, what).toBe(code)
    }
    // A callback that is not JSON at all: the provider's failure reply, not a 500.
    const junk = await fetch(`${server.base}/api/v1/payments/wechat/notify`, { method: 'POST', body: 'junk' })
    expect(junk.status).toBeGreaterThanOrEqual(400)
    expect(junk.status).toBeLessThan(500)
    const ali = await fetch(`${server.base}/api/v1/payments/alipay/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'trade_status=TRADE_SUCCESS&out_trade_no=x&sign=AAAA',
    })
    expect(ali.status).toBe(401)
    expect(await ali.text()).toBe('fail')
    expect((await money(o.orderId)).payments).toHaveLength(0)
    expect((await order(o.orderId)).state).toBe('PENDING_PAYMENT')
  })
})

describe('the whole run', () => {
  it('every checkout of every test ended settled once or closed, and the ledger balances', async () => {
    await expectBalanced(STORE)
    const a = await audit(STORE)
    const net = a.ledger.reduce((s, e) => s + e.amountFen, 0)
    const settled = a.payments
      .filter((p) => p.outcome === 'SETTLED')
      .reduce((s, p) => s + p.amountFen - p.refundedFen, 0)
    expect(net).toBe(settled)
  })
})
