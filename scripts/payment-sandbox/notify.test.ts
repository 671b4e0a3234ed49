// Notify delivery and fault injection, on the compressed clock (timeScale 0.001: WeChat's 15 s retry is
// 15 ms, Alipay's 4 min is 240 ms).

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { aesGcmDecrypt } from '../../workers/payments/crypto'
import { ALIPAY_RETRY_MS, WECHAT_RETRY_MS } from './notifier'
import { type RunningPaymentSandbox, startPaymentSandbox } from './server'
import {
  alipayTestClient,
  captureServer,
  getJson,
  type Loose,
  sleep,
  waitFor,
  wechatTestClient,
} from './testkit'

describe('notifies and faults', () => {
  let sb: RunningPaymentSandbox
  let wx: Awaited<ReturnType<typeof wechatTestClient>>
  let ali: Awaited<ReturnType<typeof alipayTestClient>>
  let cap: Awaited<ReturnType<typeof captureServer>>
  let seq = 0

  beforeAll(async () => {
    sb = await startPaymentSandbox({ timeScale: 0.001, refundDelayMs: 20_000 })
    wx = await wechatTestClient(sb)
    ali = await alipayTestClient(sb)
    cap = await captureServer()
  })
  afterEach(() => {
    sb.sandbox.reset()
    cap.requests.length = 0
    cap.setReply(() => ({ status: 200, body: '' }))
  })
  afterAll(async () => {
    await sb.stop()
    await cap.close()
  })

  async function wechatTrade(path = '/wx'): Promise<string> {
    const no = `wxn_${++seq}_${Date.now()}`
    const res = await wx.request('POST', '/v3/pay/transactions/jsapi', {
      appid: sb.env.WECHAT_APPID,
      mchid: sb.env.WECHAT_MCHID,
      description: '测试',
      out_trade_no: no,
      notify_url: `${cap.base}${path}`,
      amount: { total: 500, currency: 'CNY' },
      payer: { openid: 'o_payer' },
      attach: 'store_9',
    })
    expect(res.status).toBe(200)
    return no
  }

  async function alipayTrade(path = '/ali'): Promise<string> {
    const no = `alin_${++seq}_${Date.now()}`
    const res = await ali.call(
      'alipay.trade.create',
      {
        out_trade_no: no,
        total_amount: '5.00',
        subject: '测试',
        buyer_open_id: 'ox',
        passback_params: 'store_9',
      },
      { notify_url: `${cap.base}${path}` },
    )
    expect(res.body.code).toBe('10000')
    return no
  }

  const pay = (provider: 'wechat' | 'alipay', outTradeNo: string) => sb.sandbox.pay({ provider, outTradeNo })
  const fault = (spec: Record<string, unknown>) =>
    fetch(`${sb.base}/__sandbox/faults`, { method: 'POST', body: JSON.stringify(spec) }).then(async (r) => {
      expect(r.status).toBe(200)
      return r.json()
    })
  const forTrade = (no: string) => cap.requests.filter((r) => r.body.includes(no) || r.path.includes(no))
  const wechatPlain = async (body: string) => {
    const r = JSON.parse(body).resource
    return JSON.parse(
      await aesGcmDecrypt(sb.env.WECHAT_API_V3_KEY as string, r.nonce, r.associated_data, r.ciphertext),
    )
  }

  it('WeChat: delivers a signed, encrypted TRANSACTION.SUCCESS without blocking the pay call', async () => {
    const no = await wechatTrade()
    const started = Date.now()
    const res = await fetch(`${sb.base}/__sandbox/pay`, {
      method: 'POST',
      body: JSON.stringify({ provider: 'wechat', outTradeNo: no }),
    })
    expect(res.status).toBe(200)
    cap.setReply(() => ({ status: 200, body: '' }))
    const req = await waitFor(() => cap.requests[0], 3000, 'notify')
    expect(Date.now() - started).toBeLessThan(3000)
    expect(await wx.verify(req.headers, req.body)).toBe(true)
    expect(req.headers.get('wechatpay-serial')).toBe(sb.env.WECHAT_PAY_PUBLIC_KEY_ID)
    const envelope = JSON.parse(req.body)
    expect(envelope).toMatchObject({ event_type: 'TRANSACTION.SUCCESS', resource_type: 'encrypt-resource' })
    const plain = await wechatPlain(req.body)
    expect(plain).toMatchObject({
      out_trade_no: no,
      trade_state: 'SUCCESS',
      attach: 'store_9',
      amount: { total: 500 },
    })
    await sleep(60)
    expect(cap.requests).toHaveLength(1) // acknowledged: no retry
    const log = (await getJson(`${sb.base}/__sandbox/notifies`)).notifies
    expect(log).toEqual([
      expect.objectContaining({
        provider: 'wechat',
        attempt: 1,
        status: 200,
        acked: true,
        url: `${cap.base}/wx`,
      }),
    ])
  })

  it('WeChat: retries a non-2xx on the (scaled) schedule with the same notify id, stops after the ack', async () => {
    const no = await wechatTrade()
    let n = 0
    cap.setReply(() =>
      ++n < 4 ? { status: 500, body: '{"code":"FAIL","message":"失败"}' } : { status: 204, body: '' },
    )
    await pay('wechat', no)
    await waitFor(() => cap.requests.length >= 4, 3000, '4 deliveries')
    await sleep(100)
    expect(cap.requests).toHaveLength(4)
    const ids = cap.requests.map((r) => JSON.parse(r.body).id)
    expect(new Set(ids).size).toBe(1)
    for (const r of cap.requests) expect(await wx.verify(r.headers, r.body)).toBe(true)
    // Gaps follow 15 s, 15 s, 30 s x 0.001 (timers: at least that long).
    const gaps = cap.requests.slice(1).map((r, i) => r.at - (cap.requests[i]?.at ?? 0))
    for (const [i, g] of gaps.entries())
      expect(g).toBeGreaterThanOrEqual((WECHAT_RETRY_MS[i] as number) * 0.001 - 2)
    expect(sb.sandbox.notifies().map((e) => [e.attempt, e.acked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ])
  })

  it('WeChat: gives up after the 15 retries of the schedule', async () => {
    sb.sandbox.setTimeScale(0.00001)
    try {
      const no = await wechatTrade()
      cap.setReply(() => ({ status: 503, body: '' }))
      await pay('wechat', no)
      await waitFor(() => sb.sandbox.notifications()[0]?.state === 'gave_up', 5000, 'give up')
      expect(cap.requests).toHaveLength(1 + WECHAT_RETRY_MS.length)
    } finally {
      sb.sandbox.setTimeScale(0.001)
    }
  })

  it('Alipay: form notify signed with RSA2 (without sign, sign_type); acked only by the body "success"', async () => {
    const no = await alipayTrade()
    let n = 0
    // "SUCCESS", " success" and a 200 with HTML are not acknowledgements.
    cap.setReply(() => ({ status: 200, body: ['SUCCESS', 'success\n', 'success'][n++] ?? 'success' }))
    await pay('alipay', no)
    await waitFor(() => cap.requests.length >= 3, 3000, '3 deliveries')
    await sleep(300)
    expect(cap.requests).toHaveLength(3)
    const first = Object.fromEntries(new URLSearchParams(cap.requests[0]?.body))
    expect(first).toMatchObject({
      out_trade_no: no,
      trade_status: 'TRADE_SUCCESS',
      total_amount: '5.00',
      passback_params: 'store_9',
      notify_type: 'trade_status_sync',
      sign_type: 'RSA2',
      app_id: sb.env.ALIPAY_APP_ID,
      seller_id: sb.env.ALIPAY_SELLER_ID,
    })
    expect(await ali.verifyParams(first)).toBe(true)
    const ids = cap.requests.map((r) => new URLSearchParams(r.body).get('notify_id'))
    expect(new Set(ids).size).toBe(1)
    const gap = (cap.requests[1]?.at ?? 0) - (cap.requests[0]?.at ?? 0)
    expect(gap).toBeGreaterThanOrEqual((ALIPAY_RETRY_MS[0] as number) * 0.001 - 2)
  })

  it('fault drop: never delivered, no retries', async () => {
    const no = await wechatTrade()
    await fault({ provider: 'wechat', target: 'payment', outTradeNo: no, action: 'drop' })
    await pay('wechat', no)
    await sleep(150)
    expect(cap.requests).toHaveLength(0)
    expect(sb.sandbox.notifications()[0]?.state).toBe('dropped')
  })

  it('fault delay: the first delivery waits delayMs', async () => {
    const no = await wechatTrade()
    await fault({ provider: 'wechat', target: 'payment', action: 'delay', delayMs: 200 })
    const t0 = Date.now()
    await pay('wechat', no)
    await sleep(100)
    expect(cap.requests).toHaveLength(0)
    const r = await waitFor(() => cap.requests[0], 2000, 'delayed notify')
    expect(r.at - t0).toBeGreaterThanOrEqual(190)
  })

  it('fault duplicate: `copies` identical deliveries at once', async () => {
    const no = await alipayTrade()
    cap.setReply(() => ({ status: 200, body: 'success' }))
    await fault({ provider: 'alipay', target: 'payment', outTradeNo: no, action: 'duplicate', copies: 3 })
    await pay('alipay', no)
    await waitFor(() => cap.requests.length >= 3, 2000, 'copies')
    await sleep(300)
    expect(cap.requests).toHaveLength(3)
    expect(new Set(cap.requests.map((r) => r.body)).size).toBe(1)
  })

  it('fault reorder: held until the next notify has been sent', async () => {
    const a = await wechatTrade('/first')
    const b = await wechatTrade('/second')
    await fault({ provider: 'wechat', target: 'payment', outTradeNo: a, action: 'reorder' })
    await pay('wechat', a)
    await sleep(60)
    expect(cap.requests).toHaveLength(0)
    await pay('wechat', b)
    await waitFor(() => cap.requests.length >= 2, 2000, 'both')
    expect(cap.requests.map((r) => r.path)).toEqual(['/second', '/first'])
  })

  it('fault tamper: the first delivery fails verification, the retry is genuine', async () => {
    const no = await wechatTrade()
    cap.setReply(() => ({ status: 401, body: '' })) // the merchant rejects what it cannot verify
    await fault({ provider: 'wechat', target: 'payment', outTradeNo: no, action: 'tamper' })
    await pay('wechat', no)
    await waitFor(() => cap.requests.length >= 2, 2000, 'retry')
    expect(await wx.verify(cap.requests[0]?.headers as Headers, cap.requests[0]?.body as string)).toBe(false)
    expect(await wx.verify(cap.requests[1]?.headers as Headers, cap.requests[1]?.body as string)).toBe(true)
    expect(sb.sandbox.notifies()[0]?.fault).toBe('tamper')

    const ano = await alipayTrade()
    await fault({ provider: 'alipay', target: 'payment', outTradeNo: ano, action: 'tamper' })
    await pay('alipay', ano)
    const [t1, t2] = await waitFor(
      () => {
        const got = forTrade(ano)
        return got.length >= 2 && got
      },
      2000,
      'alipay retry',
    )
    const p1 = Object.fromEntries(new URLSearchParams(t1?.body))
    expect(p1.total_amount).toBe('6.00')
    expect(await ali.verifyParams(p1)).toBe(false)
    expect(await ali.verifyParams(Object.fromEntries(new URLSearchParams(t2?.body)))).toBe(true)
  })

  it('fault stale: the first delivery is signed with a timestamp 10 minutes old', async () => {
    const no = await wechatTrade()
    cap.setReply(() => ({ status: 400, body: '' }))
    await fault({ provider: 'wechat', target: 'payment', outTradeNo: no, action: 'stale' })
    await pay('wechat', no)
    await waitFor(() => cap.requests.length >= 2, 2000, 'retry')
    const [first, second] = cap.requests
    const age = (r: typeof first) => Date.now() / 1000 - Number(r?.headers.get('wechatpay-timestamp'))
    expect(age(first)).toBeGreaterThan(590)
    expect(await wx.verify(first?.headers as Headers, first?.body as string)).toBe(true) // authentic, just old
    expect(age(second)).toBeLessThan(30)
  })

  it('fault wrong_amount: the trade is paid with another amount, and query agrees', async () => {
    const no = await wechatTrade()
    await fault({
      provider: 'wechat',
      target: 'payment',
      outTradeNo: no,
      action: 'wrong_amount',
      amountFen: 1,
    })
    await pay('wechat', no)
    const q = await wx.request('GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${sb.env.WECHAT_MCHID}`)
    expect(q.json().amount).toMatchObject({ total: 1, payer_total: 1 })
    const req = await waitFor(() => cap.requests[0], 2000, 'notify')
    expect((await wechatPlain(req.body)).amount.total).toBe(1)

    const ano = await alipayTrade()
    await fault({
      provider: 'alipay',
      target: 'payment',
      outTradeNo: ano,
      action: 'wrong_amount',
      amountFen: 499,
    })
    await pay('alipay', ano)
    expect((await ali.call('alipay.trade.query', { out_trade_no: ano })).body.total_amount).toBe('4.99')
  })

  it('fault refund_error: the refund API fails `times` times, then the same request succeeds', async () => {
    const no = await wechatTrade()
    await pay('wechat', no)
    await fault({ provider: 'wechat', target: 'refund', action: 'refund_error', times: 2 })
    const refund = () =>
      wx.request('POST', '/v3/refund/domestic/refunds', {
        out_trade_no: no,
        out_refund_no: `${no}_r`,
        amount: { refund: 100, total: 500, currency: 'CNY' },
      })
    for (let i = 0; i < 2; i++) {
      const res = await refund()
      expect([res.status, res.json().code]).toEqual([500, 'SYSTEM_ERROR'])
      expect(await wx.verify(res.headers, res.text)).toBe(true)
    }
    expect((await refund()).json().status).toBe('PROCESSING')

    const ano = await alipayTrade()
    await pay('alipay', ano)
    await fault({ provider: 'alipay', target: 'refund', outTradeNo: ano, action: 'refund_error' })
    const call = () =>
      ali.call('alipay.trade.refund', { out_trade_no: ano, refund_amount: '1.00', out_request_no: 'x1' })
    expect((await call()).body.code).toBe('20000')
    expect((await call()).body).toMatchObject({ code: '10000', fund_change: 'Y' })
  })

  it('fault refund_abnormal: WeChat ends ABNORMAL (REFUND.ABNORMAL notify), Alipay REFUND_FAIL', async () => {
    sb.sandbox.setTimeScale(0.00001) // refundDelayMs 20 s -> 0.2 ms
    try {
      const no = await wechatTrade()
      await pay('wechat', no)
      await waitFor(() => cap.requests[0], 2000, 'payment notify')
      await fault({ provider: 'wechat', target: 'refund', outTradeNo: no, action: 'refund_abnormal' })
      const res = await wx.request('POST', '/v3/refund/domestic/refunds', {
        out_trade_no: no,
        out_refund_no: `${no}_r`,
        notify_url: `${cap.base}/refund`,
        amount: { refund: 100, total: 500, currency: 'CNY' },
      })
      expect(res.json().status).toBe('PROCESSING')
      const n = await waitFor(() => cap.requests.find((r) => r.path === '/refund'), 2000, 'refund notify')
      expect(JSON.parse(n.body).event_type).toBe('REFUND.ABNORMAL')
      expect((await wechatPlain(n.body)).refund_status).toBe('ABNORMAL')
      expect((await wx.request('GET', `/v3/refund/domestic/refunds/${no}_r`)).json().status).toBe('ABNORMAL')
    } finally {
      sb.sandbox.setTimeScale(0.001)
    }
    const ano = await alipayTrade()
    await pay('alipay', ano)
    await fault({ provider: 'alipay', target: 'refund', outTradeNo: ano, action: 'refund_abnormal' })
    const r = await ali.call('alipay.trade.refund', {
      out_trade_no: ano,
      refund_amount: '1.00',
      out_request_no: 'x1',
    })
    expect(r.body).toMatchObject({ code: '10000', fund_change: 'N' })
    const q = await ali.call('alipay.trade.fastpay.refund.query', { out_trade_no: ano, out_request_no: 'x1' })
    expect(q.body.refund_status).toBe('REFUND_FAIL')
  })

  it('control API: faults validate, trades/refunds list, time scale, reset', async () => {
    const bad = await fetch(`${sb.base}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ provider: 'wechat', target: 'payment', action: 'refund_error' }),
    })
    expect(bad.status).toBe(400)
    const no = await wechatTrade()
    const trades = (await getJson(`${sb.base}/__sandbox/trades`)).trades
    expect(trades).toEqual([
      expect.objectContaining({ provider: 'wechat', outTradeNo: no, providerState: 'NOTPAY' }),
    ])
    const time = await fetch(`${sb.base}/__sandbox/time`, {
      method: 'POST',
      body: JSON.stringify({ timeScale: 0.002 }),
    })
    expect(((await time.json()) as Loose).timeScale).toBe(0.002)
    sb.sandbox.setTimeScale(0.001)
    await fetch(`${sb.base}/__sandbox/reset`, { method: 'POST' })
    expect((await getJson(`${sb.base}/__sandbox/trades`)).trades).toEqual([])
    expect((await getJson(`${sb.base}/__sandbox/refunds`)).refunds).toEqual([])
  })
})
