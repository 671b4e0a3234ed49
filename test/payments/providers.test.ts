// The real providers (workers/payments/wechat.ts, alipay.ts) against a live payment sandbox over HTTP:
// every call of both, in both WeChat verification modes, with notifies captured from the sandbox and
// handed to parseNotify. The clients are built from the sandbox's env exactly as the Worker builds them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alipayIdsForCode } from '../../scripts/payment-sandbox/alipay'
import { type RunningPaymentSandbox, startPaymentSandbox } from '../../scripts/payment-sandbox/server'
import { captureServer, sleep, waitFor } from '../../scripts/payment-sandbox/testkit'
import { wechatOpenidForCode } from '../../scripts/payment-sandbox/wechat'
import { alipayFromEnv } from '../../workers/payments/alipay'
import { importPublicKey, rsaVerify } from '../../workers/payments/crypto'
import { NotifyRejected, type PaymentProvider } from '../../workers/payments/provider'
import { wechatFromEnv } from '../../workers/payments/wechat'

type Capture = Awaited<ReturnType<typeof captureServer>>

const todayCn = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
let seq = 0
const orderNo = (prefix: string) => `${prefix}${Date.now().toString(36)}${++seq}`.slice(0, 32)

/** The notifies captured for one trade, oldest first. */
function notifiesFor(cap: Capture, needle: string) {
  return cap.requests.filter((r) => r.body.includes(needle) || decodeURIComponent(r.body).includes(needle))
}

async function setup(mode: 'public_key' | 'certificate') {
  const sb = await startPaymentSandbox({ wechatMode: mode, timeScale: 0.001, refundDelayMs: 50_000 })
  const cap = await captureServer()
  const env = { ...sb.env, PAYMENT_NOTIFY_BASE: cap.base, PUBLIC_BASE_URL: cap.base } as any
  const wx = wechatFromEnv(env)
  const ali = alipayFromEnv(env)
  if (!wx || !ali) throw new Error('providers not configured from the sandbox env')
  return { sb, cap, wx, ali }
}

for (const mode of ['public_key', 'certificate'] as const) {
  describe(`WeChat Pay client against the sandbox (${mode} mode)`, () => {
    let sb: RunningPaymentSandbox
    let cap: Capture
    let wx: PaymentProvider

    beforeAll(async () => {
      ;({ sb, cap, wx } = await setup(mode))
    })
    afterAll(async () => {
      await sb.stop()
      await cap.close()
    })

    const input = (outTradeNo: string, extra: Record<string, unknown> = {}) => ({
      outTradeNo,
      amountFen: 2580,
      description: '招牌牛肉面 x2',
      expiresAt: Date.now() + 15 * 60_000,
      attach: 'store_42',
      channel: 'jsapi' as const,
      payerId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      ...extra,
    })

    it('create (jsapi) -> signed wx.requestPayment params; query PENDING', async () => {
      const no = orderNo('wj')
      const params = await wx.create(input(no))
      expect(params.kind).toBe('wechat_jsapi')
      if (params.kind !== 'wechat_jsapi') return
      expect(params.package).toMatch(/^prepay_id=wx/)
      const merchantPublic = await importPublicKey(sb.keys.config.wechat.mchPublicKeyPem)
      const message = `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`
      expect(await rsaVerify(merchantPublic, message, params.paySign)).toBe(true)
      expect(sb.sandbox.getTrade('wechat', no)?.prepayIds).toContain(
        params.package.slice('prepay_id='.length),
      )
      const trade = await wx.query(no)
      expect(trade).toMatchObject({
        provider: 'wechat',
        state: 'PENDING',
        providerState: 'NOTPAY',
        outTradeNo: no,
      })
      expect(await wx.query(orderNo('none'))).toMatchObject({ state: 'NOT_FOUND' })
    })

    it('pay -> the captured notify parses to a payment; ack is 2xx; query SUCCESS', async () => {
      const no = orderNo('wp')
      await wx.create(input(no))
      await sb.sandbox.pay({ provider: 'wechat', outTradeNo: no })
      const req = await waitFor(() => notifiesFor(cap, no)[0] ?? capturedWechat(cap, sb, no), 3000, 'notify')
      const event = await wx.parseNotify(req.headers, req.body)
      expect(event.kind).toBe('payment')
      if (event.kind !== 'payment') return
      expect(event.trade).toMatchObject({
        state: 'SUCCESS',
        outTradeNo: no,
        amountFen: 2580,
        attach: 'store_42',
      })
      expect(event.trade.transactionId).toMatch(/^4200\d{24}$/)
      expect(wx.ack().status).toBeGreaterThanOrEqual(200)
      expect(wx.ack().status).toBeLessThan(300)
      const trade = await wx.query(no)
      expect(trade).toMatchObject({ state: 'SUCCESS', amountFen: 2580, attach: 'store_42' })
      expect(trade.transactionId).toBe(event.trade.transactionId)
    })

    it('parseNotify rejects a tampered and a stale notify (faults)', async () => {
      for (const action of ['tamper', 'stale'] as const) {
        const no = orderNo(`wf${action[0]}`)
        await wx.create(input(no))
        sb.sandbox.addFault({ provider: 'wechat', target: 'payment', outTradeNo: no, action })
        cap.setReply(() => ({ status: 500, body: '' }))
        await sb.sandbox.pay({ provider: 'wechat', outTradeNo: no })
        const first = await waitFor(() => capturedWechat(cap, sb, no), 3000, `${action} notify`)
        const err = await wx.parseNotify(first.headers, first.body).catch((e) => e)
        expect(err).toBeInstanceOf(NotifyRejected)
        expect((err as NotifyRejected).reason).toBe(action === 'tamper' ? 'BAD_SIGNATURE' : 'STALE_TIMESTAMP')
        const retry = await waitFor(() => capturedWechat(cap, sb, no, 2), 3000, 'genuine retry')
        cap.setReply(() => ({ status: 200, body: '' }))
        expect((await wx.parseNotify(retry.headers, retry.body)).kind).toBe('payment')
      }
    })

    it('close: CLOSED for an unpaid trade (query CLOSED), ALREADY_PAID for a paid one', async () => {
      const open = orderNo('wc')
      await wx.create(input(open))
      expect(await wx.close(open)).toBe('CLOSED')
      expect(await wx.close(open)).toBe('CLOSED')
      expect((await wx.query(open)).state).toBe('CLOSED')
      const paid = orderNo('wd')
      await wx.create(input(paid))
      await sb.sandbox.pay({ provider: 'wechat', outTradeNo: paid })
      expect(await wx.close(paid)).toBe('ALREADY_PAID')
    })

    it('create (h5) -> the cashier URL; paying there redirects back to returnUrl', async () => {
      const no = orderNo('wh')
      const params = await wx.create(
        input(no, {
          channel: 'h5',
          payerId: undefined,
          clientIp: '203.0.113.7',
          returnUrl: 'http://diner.test/o/1',
        }),
      )
      expect(params.kind).toBe('redirect')
      if (params.kind !== 'redirect') return
      expect(params.url.startsWith(`${sb.base}/cashier/wechat/`)).toBe(true)
      const page = await (await fetch(params.url)).text()
      const action = /<form method="post" action="([^"]+\/pay)">/.exec(page)?.[1] as string
      const redirect = /name="redirect_url" value="([^"]+)"/
        .exec(page)?.[1]
        ?.replaceAll('&amp;', '&') as string
      const paid = await fetch(`${sb.base}${action}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ redirect_url: redirect }),
      })
      expect(paid.headers.get('location')).toBe('http://diner.test/o/1')
      expect((await wx.query(no)).state).toBe('SUCCESS')
    })

    it('refund (PROCESSING, idempotent by outRefundNo) -> queryRefund SUCCESS and a REFUND.SUCCESS notify', async () => {
      const no = orderNo('wr')
      await wx.create(input(no))
      const trade = await sb.sandbox.pay({ provider: 'wechat', outTradeNo: no })
      const refundInput = {
        outTradeNo: no,
        transactionId: trade.transactionId as string,
        outRefundNo: `rfd_${no}`,
        refundFen: 1000,
        totalFen: 2580,
        reason: '少了一碗',
      }
      const r1 = await wx.refund(refundInput)
      expect(r1).toMatchObject({
        provider: 'wechat',
        state: 'PROCESSING',
        outRefundNo: `rfd_${no}`,
        refundFen: 1000,
      })
      const r2 = await wx.refund(refundInput)
      expect(r2.refundId).toBe(r1.refundId)
      expect(sb.sandbox.refunds().filter((r) => r.outTradeNo === no)).toHaveLength(1)
      await expect(
        wx.refund({ ...refundInput, outRefundNo: `rfe_${no}`, refundFen: 1581 }),
      ).rejects.toMatchObject({
        retryable: false,
      })
      expect((await wx.queryRefund(`rfd_${no}`, no)).state).toBe('PROCESSING')
      sb.sandbox.setTimeScale(0.00001) // let the refund finish now (50 s x 0.00001)
      try {
        await sleep(5)
        const r3 = await wx.refund({ ...refundInput, outRefundNo: `rfs_${no}`, refundFen: 500 })
        await waitFor(
          () => cap.requests.filter((r) => bodyHasRefund(r.body)).length >= 2,
          3000,
          'refund notifies',
        )
        const refundNotifies = cap.requests.filter((r) => bodyHasRefund(r.body))
        expect(refundNotifies.every((r) => r.path === '/api/v1/payments/wechat/refund-notify')).toBe(true)
        const events = await Promise.all(refundNotifies.map((r) => wx.parseNotify(r.headers, r.body)))
        const mine = events.find((e) => e.kind === 'refund' && e.refund.outRefundNo === r3.outRefundNo)
        expect(mine).toMatchObject({
          kind: 'refund',
          refund: { state: 'SUCCESS', refundFen: 500, outTradeNo: no },
        })
      } finally {
        sb.sandbox.setTimeScale(0.001)
      }
      await waitFor(
        () => sb.sandbox.getRefund('wechat', no, `rfd_${no}`)?.status === 'SUCCESS',
        3000,
        'refund done',
      )
      expect(await wx.queryRefund(`rfd_${no}`, no)).toMatchObject({ state: 'SUCCESS', refundFen: 1000 })
      expect((await wx.queryRefund('rfd_none', no)).state).toBe('NOT_FOUND')
    })

    it('refund: a SYSTEM_ERROR is retryable, the retry with the same number succeeds once', async () => {
      const no = orderNo('wx')
      await wx.create(input(no))
      const trade = await sb.sandbox.pay({ provider: 'wechat', outTradeNo: no })
      sb.sandbox.addFault({ provider: 'wechat', target: 'refund', outTradeNo: no, action: 'refund_error' })
      const refundInput = {
        outTradeNo: no,
        transactionId: trade.transactionId as string,
        outRefundNo: `rfx_${no}`,
        refundFen: 2580,
        totalFen: 2580,
        reason: '整单退',
      }
      await expect(wx.refund(refundInput)).rejects.toMatchObject({ retryable: true })
      expect((await wx.refund(refundInput)).state).toBe('PROCESSING')
    })

    it('downloadBill parses the sandbox bill (payments and refunds)', async () => {
      const rows = await wx.downloadBill(todayCn())
      const paid = sb.sandbox.trades().filter((t) => t.provider === 'wechat' && t.status === 'PAID')
      expect(
        rows
          .filter((r) => r.kind === 'payment')
          .map((r) => r.outTradeNo)
          .sort(),
      ).toEqual(paid.map((t) => t.outTradeNo).sort())
      const refund = rows.find((r) => r.kind === 'refund' && r.amountFen === 1000)
      expect(refund).toMatchObject({ provider: 'wechat', kind: 'refund' })
      const one = rows.find((r) => r.kind === 'payment')
      expect(one).toMatchObject({ amountFen: 2580, attach: 'store_42' })
    })

    it('login(code) -> a deterministic openid', async () => {
      const a = await wx.login('0a1B2c3D4e')
      expect(a).toMatchObject({
        provider: 'wechat',
        payerId: wechatOpenidForCode(sb.env.WECHAT_APPID as string, '0a1B2c3D4e'),
      })
      expect((await wx.login('0a1B2c3D4e')).payerId).toBe(a.payerId)
      await expect(wx.login('invalid-code')).rejects.toBeDefined()
    })
  })
}

function bodyHasRefund(body: string): boolean {
  try {
    return JSON.parse(body).event_type?.startsWith('REFUND.') ?? false
  } catch {
    return false
  }
}

/**
 * The n-th WeChat notify whose decrypted trade is `no` (the envelope is encrypted, so the trade is found
 * through the sandbox's delivery log: same notify id).
 */
function capturedWechat(cap: Capture, sb: RunningPaymentSandbox, no: string, n = 1) {
  const ids = new Set(
    sb.sandbox
      .notifications()
      .filter((r) => r.outTradeNo === no)
      .map((r) => r.notifyId),
  )
  const got = cap.requests.filter((r) => {
    try {
      return ids.has(JSON.parse(r.body).id)
    } catch {
      return false
    }
  })
  return got[n - 1]
}

describe('Alipay client against the sandbox', () => {
  let sb: RunningPaymentSandbox
  let cap: Capture
  let ali: PaymentProvider

  beforeAll(async () => {
    ;({ sb, cap, ali } = await setup('public_key'))
    cap.setReply(() => ({ status: 200, body: 'success' }))
  })
  afterAll(async () => {
    await sb.stop()
    await cap.close()
  })

  const input = (outTradeNo: string, extra: Record<string, unknown> = {}) => ({
    outTradeNo,
    amountFen: 1880,
    description: '鲜肉小笼 x1',
    expiresAt: Date.now() + 15 * 60_000,
    attach: 'store_7',
    channel: 'mini' as const,
    payerId: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5',
    ...extra,
  })

  it('create (mini) -> trade_no; query PENDING; pay -> notify parses; ack is "success"; query SUCCESS', async () => {
    const no = orderNo('am')
    const params = await ali.create(input(no))
    expect(params.kind).toBe('alipay_trade')
    if (params.kind !== 'alipay_trade') return
    expect(params.tradeNo).toBe(sb.sandbox.getTrade('alipay', no)?.transactionId)
    expect(await ali.query(no)).toMatchObject({
      state: 'PENDING',
      providerState: 'WAIT_BUYER_PAY',
      amountFen: 1880,
    })
    await sb.sandbox.pay({ provider: 'alipay', outTradeNo: no })
    const req = await waitFor(() => notifiesFor(cap, no)[0], 3000, 'notify')
    const event = await ali.parseNotify(req.headers, req.body)
    expect(event.kind).toBe('payment')
    if (event.kind !== 'payment') return
    expect(event.trade).toMatchObject({
      state: 'SUCCESS',
      outTradeNo: no,
      amountFen: 1880,
      attach: 'store_7',
      transactionId: params.tradeNo,
    })
    expect(await ali.ack().text()).toBe('success')
    expect(await ali.query(no)).toMatchObject({
      state: 'SUCCESS',
      amountFen: 1880,
      transactionId: params.tradeNo,
    })
    await sleep(30)
    expect(sb.sandbox.notifies().filter((e) => e.outTradeNo === no)).toEqual([
      expect.objectContaining({ acked: true }),
    ])
  })

  it('parseNotify rejects a tampered notify (fault)', async () => {
    const no = orderNo('at')
    await ali.create(input(no))
    sb.sandbox.addFault({ provider: 'alipay', target: 'payment', outTradeNo: no, action: 'tamper' })
    await sb.sandbox.pay({ provider: 'alipay', outTradeNo: no })
    const req = await waitFor(() => notifiesFor(cap, no)[0], 3000, 'notify')
    const err = await ali.parseNotify(req.headers, req.body).catch((e) => e)
    expect(err).toBeInstanceOf(NotifyRejected)
    expect((err as NotifyRejected).reason).toBe('BAD_SIGNATURE')
  })

  it('create (wap) -> gateway URL; NOT_FOUND until the cashier opens; paying there returns to returnUrl', async () => {
    const no = orderNo('aw')
    const params = await ali.create(
      input(no, { channel: 'wap', payerId: undefined, returnUrl: 'http://diner.test/o/9' }),
    )
    expect(params.kind).toBe('redirect')
    if (params.kind !== 'redirect') return
    expect(params.url.startsWith(`${sb.base}/gateway.do?`)).toBe(true)
    expect((await ali.query(no)).state).toBe('NOT_FOUND')
    expect(await ali.close(no)).toBe('CLOSED') // nothing to close yet
    const page = await fetch(params.url)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('¥18.80')
    expect((await ali.query(no)).state).toBe('PENDING')
    const action = /<form method="post" action="([^"]+\/pay)">/.exec(html)?.[1] as string
    const paid = await fetch(`${sb.base}${action}`, { method: 'POST', redirect: 'manual' })
    expect(paid.status).toBe(303)
    expect(paid.headers.get('location')?.startsWith('http://diner.test/o/9?')).toBe(true)
    expect((await ali.query(no)).state).toBe('SUCCESS')
  })

  it('close: CLOSED for an unpaid trade, ALREADY_PAID for a paid one', async () => {
    const open = orderNo('ac')
    await ali.create(input(open))
    expect(await ali.close(open)).toBe('CLOSED')
    expect((await ali.query(open)).state).toBe('CLOSED')
    expect(await ali.close(open)).toBe('CLOSED')
    const paid = orderNo('ad')
    await ali.create(input(paid))
    await sb.sandbox.pay({ provider: 'alipay', outTradeNo: paid })
    expect(await ali.close(paid)).toBe('ALREADY_PAID')
  })

  it('refund (synchronous, idempotent by out_request_no) and queryRefund', async () => {
    const no = orderNo('ar')
    const created = await ali.create(input(no))
    await sb.sandbox.pay({ provider: 'alipay', outTradeNo: no })
    const refundInput = {
      outTradeNo: no,
      ...(created.kind === 'alipay_trade' ? { transactionId: created.tradeNo } : {}),
      outRefundNo: `rfd_${no}`,
      refundFen: 880,
      totalFen: 1880,
      reason: '退一笼',
    }
    const r1 = await ali.refund(refundInput)
    expect(r1).toMatchObject({ state: 'SUCCESS', refundFen: 880, outRefundNo: `rfd_${no}` })
    const r2 = await ali.refund(refundInput) // fund_change N: the same refund, no money moved twice
    expect(r2).toMatchObject({ state: 'SUCCESS', refundFen: 880 })
    expect(sb.sandbox.getTrade('alipay', no)?.refundedFen).toBe(880)
    await expect(
      ali.refund({ ...refundInput, outRefundNo: `rfe_${no}`, refundFen: 1001 }),
    ).rejects.toMatchObject({
      retryable: false,
    })
    expect(await ali.queryRefund(`rfd_${no}`, no)).toMatchObject({ state: 'SUCCESS', refundFen: 880 })
    expect((await ali.queryRefund('rfd_none', no)).state).toBe('NOT_FOUND')
    sb.sandbox.addFault({ provider: 'alipay', target: 'refund', outTradeNo: no, action: 'refund_error' })
    await expect(
      ali.refund({ ...refundInput, outRefundNo: `rfy_${no}`, refundFen: 100 }),
    ).rejects.toMatchObject({
      retryable: true,
    })
    expect((await ali.refund({ ...refundInput, outRefundNo: `rfy_${no}`, refundFen: 100 })).state).toBe(
      'SUCCESS',
    )
  })

  it('downloadBill unzips and parses the GBK bill', async () => {
    const rows = await ali.downloadBill(todayCn())
    const paid = sb.sandbox.trades().filter((t) => t.provider === 'alipay' && t.status === 'PAID')
    expect(
      rows
        .filter((r) => r.kind === 'payment')
        .map((r) => r.outTradeNo)
        .sort(),
    ).toEqual(paid.map((t) => t.outTradeNo).sort())
    expect(rows.find((r) => r.kind === 'refund' && r.amountFen === 880)).toMatchObject({ provider: 'alipay' })
  })

  it('login(code) -> a deterministic open_id', async () => {
    const a = await ali.login('auth_code_1')
    expect(a).toMatchObject({
      provider: 'alipay',
      payerId: alipayIdsForCode(sb.env.ALIPAY_APP_ID as string, 'auth_code_1').openId,
    })
    expect((await ali.login('auth_code_1')).payerId).toBe(a.payerId)
    await expect(ali.login('invalid_code')).rejects.toBeDefined()
  })
})
