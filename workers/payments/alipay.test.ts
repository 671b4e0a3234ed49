import iconv from 'iconv-lite'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../env'
import {
  ALIPAY_NOTIFY_PATH,
  Alipay,
  type AlipayConfig,
  alipayFromEnv,
  alipaySignContent,
  fenToYuan,
  parseAlipayForm,
  topLevelSpans,
  yuanToFen,
} from './alipay'
import { formatBeijingTime, parseAlipayTradeBill, parseBeijingTime, tradeBillFromFiles } from './alipay-bill'
import { generateRsaPem, importPrivateKey, importPublicKey, rsaSign, rsaVerify } from './crypto'
import { NotifyRejected, ProviderError } from './provider'
import { crc32 } from './zip'

const APP_ID = '2021000000000001'
const SELLER_ID = '2088000000000001'
const GATEWAY = 'https://sandbox.test/gateway.do'
/** 2024-05-01 12:00:00 in Beijing. */
const NOW = Date.UTC(2024, 4, 1, 4, 0, 0)

let app: { privatePem: string; publicPem: string }
let ali: { privatePem: string; publicPem: string }
let rogue: { privatePem: string; publicPem: string }
let appPublic: CryptoKey
let aliPrivate: CryptoKey
let roguePrivate: CryptoKey

beforeAll(async () => {
  ;[app, ali, rogue] = await Promise.all([generateRsaPem(), generateRsaPem(), generateRsaPem()])
  appPublic = await importPublicKey(app.publicPem)
  aliPrivate = await importPrivateKey(ali.privatePem)
  roguePrivate = await importPrivateKey(rogue.privatePem)
})

interface Captured {
  url: URL
  query: Record<string, string>
  form: Record<string, string>
  contentType: string
  /** The signature checked over the fake gateway's own sorted string. */
  signatureOk: boolean
}

type Answer =
  | Record<string, unknown>
  | { raw: (sign: (s: string) => Promise<string>) => Promise<string> | string }

/**
 * A fake gateway: checks the request signature with the app public key (the way the sandbox and Alipay do),
 * answers `{"<method>_response":{...},"sign":"..."}` signed over the exact JSON text of the response value.
 */
function fakeGateway(
  answer: (method: string, biz: Record<string, unknown>, params: Record<string, string>) => Answer,
  downloads: Record<string, Uint8Array> = {},
) {
  const requests: Captured[] = []
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input))
    if ((init?.method ?? 'GET') === 'GET') {
      const file = downloads[url.toString()]
      return file ? new Response(new Uint8Array(file)) : new Response('gone', { status: 404 })
    }
    const query = Object.fromEntries(url.searchParams)
    const form = Object.fromEntries(new URLSearchParams(String(init?.body ?? '')))
    const params = { ...query, ...form }
    const content = Object.keys(params)
      .filter((k) => k !== 'sign' && params[k] !== '')
      .sort()
      .map((k) => `${k}=${params[k]}`)
      .join('&')
    const signatureOk = await rsaVerify(appPublic, content, params.sign ?? '')
    requests.push({
      url,
      query,
      form,
      contentType: new Headers(init?.headers).get('content-type') ?? '',
      signatureOk,
    })
    const method = params.method ?? ''
    const biz = params.biz_content ? (JSON.parse(params.biz_content) as Record<string, unknown>) : {}
    const a = answer(method, biz, params)
    const sign = (s: string) => rsaSign(aliPrivate, s)
    if ('raw' in a && typeof a.raw === 'function') return new Response(await a.raw(sign))
    const inner = JSON.stringify(a)
    return new Response(
      `{"${method.replaceAll('.', '_')}_response":${inner},"sign":"${await sign(inner)}"}`,
      {
        headers: { 'content-type': 'text/html;charset=utf-8' },
      },
    )
  }) as typeof fetch
  return { fetch: fetchFn, requests }
}

const ok = (fields: Record<string, unknown> = {}) => ({ code: '10000', msg: 'Success', ...fields })
const bizFail = (sub_code: string, fields: Record<string, unknown> = {}) => ({
  code: '40004',
  msg: 'Business Failed',
  sub_code,
  sub_msg: sub_code,
  ...fields,
})

function client(fetchFn: typeof fetch, over: Partial<AlipayConfig> = {}): Alipay {
  return new Alipay({
    appId: APP_ID,
    sellerId: SELLER_ID,
    appPrivateKeyPem: app.privatePem,
    alipayPublicKeyPem: ali.publicPem,
    gateway: GATEWAY,
    notifyBase: 'https://canteen.example/',
    fetch: fetchFn,
    now: () => NOW,
    ...over,
  })
}

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ProviderError)
  return err as ProviderError
}

describe('money and time on the wire', () => {
  it('converts fen to yuan strings and back exactly, on the edges', () => {
    for (const [fen, yuan] of [
      [1, '0.01'],
      [10, '0.10'],
      [100, '1.00'],
      [9999999, '99999.99'],
      [1234, '12.34'],
    ] as const) {
      expect(fenToYuan(fen)).toBe(yuan)
      expect(yuanToFen(yuan)).toBe(fen)
    }
    expect(yuanToFen('0.1')).toBe(10)
    expect(yuanToFen('\t  12.30\t')).toBe(1230)
    expect(yuanToFen('-0.01')).toBe(-1)
    expect(() => yuanToFen('0.001')).toThrow()
    expect(() => fenToYuan(1.5)).toThrow()
    expect(() => fenToYuan(-1)).toThrow()
    // The floating-point trap this avoids: 0.1 + 0.2 style drift never reaches an amount.
    for (let fen = 0; fen < 2000; fen++) expect(yuanToFen(fenToYuan(fen))).toBe(fen)
  })

  it('writes and reads Beijing time', () => {
    expect(formatBeijingTime(NOW)).toBe('2024-05-01 12:00:00')
    expect(formatBeijingTime(Date.UTC(2024, 11, 31, 16, 0, 1))).toBe('2025-01-01 00:00:01')
    expect(parseBeijingTime('2024-05-01 12:00:00')).toBe(NOW)
    expect(parseBeijingTime('2024-05-01 12:00:00.250')).toBe(NOW + 250)
    expect(parseBeijingTime('yesterday')).toBeUndefined()
  })
})

describe('requests', () => {
  it('signs the exact sorted string, common params in the query and biz_content in the form body', async () => {
    const gw = fakeGateway(() => ok({ trade_no: '2024050122001400000000000001', out_trade_no: 'ord_1' }))
    const alipay = client(gw.fetch)
    const params = await alipay.create({
      outTradeNo: 'ord_1',
      amountFen: 1234,
      description: '午餐 2 份 & 饮料',
      expiresAt: NOW + 15 * 60_000,
      attach: 'store_01:t=5',
      channel: 'mini',
      payerId: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5',
    })
    expect(params).toEqual({ kind: 'alipay_trade', tradeNo: '2024050122001400000000000001' })
    const [req] = gw.requests
    expect(req!.signatureOk).toBe(true)
    expect(req!.contentType).toBe('application/x-www-form-urlencoded;charset=utf-8')
    expect(Object.keys(req!.form)).toEqual(['biz_content'])
    expect(Object.keys(req!.query).sort()).toEqual(
      [
        'app_id',
        'charset',
        'format',
        'method',
        'notify_url',
        'sign',
        'sign_type',
        'timestamp',
        'version',
      ].sort(),
    )
    const q = req!.query
    expect(q).toMatchObject({
      app_id: APP_ID,
      method: 'alipay.trade.create',
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: '2024-05-01 12:00:00',
      version: '1.0',
      notify_url: `https://canteen.example${ALIPAY_NOTIFY_PATH}`,
    })
    const biz = JSON.parse(req!.form.biz_content!)
    expect(biz).toEqual({
      out_trade_no: 'ord_1',
      total_amount: '12.34',
      subject: '午餐 2 份   饮料',
      time_expire: '2024-05-01 12:15:00',
      passback_params: 'store_01%3At%3D5',
      product_code: 'JSAPI_PAY',
      buyer_open_id: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5',
      op_app_id: APP_ID,
    })
    // The string, written out by hand: keys in ASCII order, raw values, sign_type included, sign excluded.
    const expected =
      `app_id=${APP_ID}&biz_content=${req!.form.biz_content}&charset=utf-8&format=JSON` +
      `&method=alipay.trade.create&notify_url=https://canteen.example${ALIPAY_NOTIFY_PATH}` +
      '&sign_type=RSA2&timestamp=2024-05-01 12:00:00&version=1.0'
    expect(alipaySignContent({ ...q, ...req!.form })).toBe(expected)
    expect(await rsaVerify(appPublic, expected, q.sign!)).toBe(true)
  })

  it('sends buyer_id for a 2088 user id and refuses the mini channel without a payer', async () => {
    const gw = fakeGateway(() => ok({ trade_no: 'T1' }))
    const alipay = client(gw.fetch)
    const input = {
      outTradeNo: 'ord_2',
      amountFen: 1,
      description: 'x',
      expiresAt: NOW,
      attach: 's',
      channel: 'mini' as const,
    }
    await alipay.create({ ...input, payerId: '2088102146225135' })
    expect(JSON.parse(gw.requests[0]!.form.biz_content!)).toMatchObject({
      buyer_id: '2088102146225135',
      total_amount: '0.01',
    })
    expect((await rejection(alipay.create(input))).code).toBe('PARAM_ERROR')
    expect(gw.requests).toHaveLength(1)
  })

  it('builds the wap cashier URL with every signed param, verifiable as the gateway would', async () => {
    const alipay = client(fakeGateway(() => ok()).fetch)
    const pay = await alipay.create({
      outTradeNo: 'ord_3',
      amountFen: 10,
      description: '外卖',
      expiresAt: NOW + 60_000,
      attach: 'store_01',
      channel: 'wap',
      returnUrl: 'https://canteen.example/o/ord_3?paid=1',
    })
    expect(pay.kind).toBe('redirect')
    const url = new URL((pay as { url: string }).url)
    expect(`${url.origin}${url.pathname}`).toBe(GATEWAY)
    const params = Object.fromEntries(url.searchParams)
    expect(params).toMatchObject({
      method: 'alipay.trade.wap.pay',
      return_url: 'https://canteen.example/o/ord_3?paid=1',
      notify_url: `https://canteen.example${ALIPAY_NOTIFY_PATH}`,
    })
    expect(JSON.parse(params.biz_content!)).toEqual({
      out_trade_no: 'ord_3',
      total_amount: '0.10',
      subject: '外卖',
      time_expire: '2024-05-01 12:01:00',
      passback_params: 'store_01',
      product_code: 'QUICK_WAP_WAY',
      quit_url: 'https://canteen.example/o/ord_3?paid=1',
    })
    expect((pay as { url: string }).url).not.toContain('+') // spaces as %20: unambiguous in a GET query
    const { sign, ...rest } = params
    expect(await rsaVerify(appPublic, alipaySignContent(rest), sign!)).toBe(true)
  })
})

describe('responses', () => {
  const paid = {
    trade_no: '2024050122001400000000000009',
    out_trade_no: 'ord_9',
    buyer_logon_id: '159****5620',
    trade_status: 'TRADE_SUCCESS',
    total_amount: '99999.99',
    buyer_pay_amount: '99999.99',
    send_pay_date: '2024-05-01 12:03:04',
    buyer_open_id: 'open_9',
  }

  it('maps a paid trade, amounts exact and times Beijing', async () => {
    const alipay = client(fakeGateway(() => ok(paid)).fetch)
    expect(await alipay.query('ord_9')).toEqual({
      provider: 'alipay',
      state: 'SUCCESS',
      providerState: 'TRADE_SUCCESS',
      outTradeNo: 'ord_9',
      transactionId: '2024050122001400000000000009',
      amountFen: 9999999,
      currency: 'CNY',
      paidAt: Date.UTC(2024, 4, 1, 4, 3, 4),
      payerId: 'open_9',
    })
  })

  it('maps the other trade states; TRADE_NOT_EXIST is NOT_FOUND, not an error', async () => {
    const states: Record<string, unknown> = {
      ord_wait: ok({ out_trade_no: 'ord_wait', trade_status: 'WAIT_BUYER_PAY', total_amount: '0.10' }),
      ord_closed: ok({ out_trade_no: 'ord_closed', trade_status: 'TRADE_CLOSED', total_amount: '0.01' }),
      ord_refunded: ok({ ...paid, out_trade_no: 'ord_refunded', trade_status: 'TRADE_CLOSED' }),
      ord_done: ok({
        ...paid,
        out_trade_no: 'ord_done',
        trade_status: 'TRADE_FINISHED',
        buyer_open_id: undefined,
        buyer_user_id: '2088000000000077',
      }),
      ord_none: bizFail('ACQ.TRADE_NOT_EXIST', { out_trade_no: 'ord_none' }),
    }
    const gw = fakeGateway((_m, biz) => states[biz.out_trade_no as string] as Record<string, unknown>)
    const alipay = client(gw.fetch)
    const wait = await alipay.query('ord_wait')
    expect([wait.state, wait.amountFen]).toEqual(['PENDING', 10])
    expect((await alipay.query('ord_closed')).state).toBe('CLOSED')
    // Closed after being paid (a full refund): the payment happened.
    expect((await alipay.query('ord_refunded')).state).toBe('SUCCESS')
    const done = await alipay.query('ord_done')
    expect([done.state, done.payerId]).toEqual(['SUCCESS', '2088000000000077'])
    expect(await alipay.query('ord_none')).toEqual({
      provider: 'alipay',
      state: 'NOT_FOUND',
      providerState: 'TRADE_NOT_EXIST',
      outTradeNo: 'ord_none',
    })
  })

  it('verifies the exact substring as received: other formatting and key order still verify', async () => {
    const inner =
      '{ "code" : "10000",\n  "msg":"Success", "out_trade_no":"ord_9", "trade_status":"WAIT_BUYER_PAY", "note":"a \\"}\\" b" }'
    const gw = fakeGateway(() => ({
      raw: async (sign) =>
        `{\n "sign" : "${await sign(inner)}",\n "alipay_trade_query_response" : ${inner}\n}\n`,
    }))
    expect((await client(gw.fetch).query('ord_9')).state).toBe('PENDING')
    const spans = topLevelSpans('{"a_response":{"x":"}"},"sign":"s"}')
    expect(spans.get('a_response')).toEqual({ start: 14, end: 23 })
  })

  it('rejects an answer whose signed substring was altered, as a non-retryable SIGNATURE error', async () => {
    const gw = fakeGateway(() => ({
      raw: async (sign) => {
        const genuine = JSON.stringify(ok({ ...paid, total_amount: '0.01' }))
        const altered = genuine.replace('"0.01"', '"99999.99"')
        return `{"alipay_trade_query_response":${altered},"sign":"${await sign(genuine)}"}`
      },
    }))
    const err = await rejection(client(gw.fetch).query('ord_9'))
    expect([err.code, err.retryable]).toEqual(['SIGNATURE', false])
    // Signed by someone else's key.
    const forged = fakeGateway(() => ({
      raw: async () => {
        const inner = JSON.stringify(ok(paid))
        return `{"alipay_trade_query_response":${inner},"sign":"${await rsaSign(roguePrivate, inner)}"}`
      },
    }))
    expect((await rejection(client(forged.fetch).query('ord_9'))).code).toBe('SIGNATURE')
    // Unsigned success.
    const unsigned = fakeGateway(() => ({
      raw: () => `{"alipay_trade_query_response":${JSON.stringify(ok(paid))}}`,
    }))
    expect((await rejection(client(unsigned.fetch).query('ord_9'))).code).toBe('SIGNATURE')
    // An unsigned business failure is never taken for NOT_FOUND.
    const unsignedMissing = fakeGateway(() => ({
      raw: () => `{"alipay_trade_query_response":${JSON.stringify(bizFail('ACQ.TRADE_NOT_EXIST'))}}`,
    }))
    expect((await rejection(client(unsignedMissing.fetch).query('ord_9'))).code).toBe('ACQ.TRADE_NOT_EXIST')
  })

  it('treats network failures, 5xx, code 20000 and ACQ.SYSTEM_ERROR as retryable; 40002 is not', async () => {
    const down = client((async () => {
      throw new TypeError('fetch failed')
    }) as typeof fetch)
    expect(await rejection(down.query('x'))).toMatchObject({ code: 'NETWORK', retryable: true })
    const http502 = client((async () => new Response('bad gateway', { status: 502 })) as typeof fetch)
    expect(await rejection(http502.query('x'))).toMatchObject({
      code: 'HTTP_502',
      retryable: true,
      status: 502,
    })
    const busy = client(
      fakeGateway(() => ({
        code: '20000',
        msg: 'Service Currently Unavailable',
        sub_code: 'isp.unknow-error',
      })).fetch,
    )
    expect(await rejection(busy.query('x'))).toMatchObject({ code: 'isp.unknow-error', retryable: true })
    const sysErr = client(fakeGateway(() => bizFail('ACQ.SYSTEM_ERROR')).fetch)
    expect(
      await rejection(
        sysErr.refund({ outTradeNo: 'o', outRefundNo: 'r', refundFen: 1, totalFen: 1, reason: '' }),
      ),
    ).toMatchObject({
      code: 'ACQ.SYSTEM_ERROR',
      retryable: true,
    })
    const badSign = client(
      fakeGateway(() => ({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature' }))
        .fetch,
    )
    expect(await rejection(badSign.query('x'))).toMatchObject({
      code: 'isv.invalid-signature',
      retryable: false,
    })
    const gatewayError = client(
      fakeGateway(() => ({
        raw: () => '{"error_response":{"code":"40001","msg":"Missing Required Arguments"}}',
      })).fetch,
    )
    expect(await rejection(gatewayError.query('x'))).toMatchObject({ code: 'CODE_40001', retryable: false })
  })
})

describe('close, refund, login', () => {
  it('closes; a trade never created is CLOSED; a paid one is ALREADY_PAID', async () => {
    const gw = fakeGateway((method, biz) => {
      const no = biz.out_trade_no as string
      if (method === 'alipay.trade.query')
        return ok({
          out_trade_no: no,
          trade_status: no === 'paid2' ? 'TRADE_SUCCESS' : 'TRADE_CLOSED',
          total_amount: '1.00',
        })
      if (no === 'open') return ok({ out_trade_no: no, trade_no: 'T' })
      if (no === 'never') return bizFail('ACQ.TRADE_NOT_EXIST')
      if (no === 'paid') return bizFail('ACQ.TRADE_HAS_SUCCESS')
      return bizFail('ACQ.TRADE_STATUS_ERROR')
    })
    const alipay = client(gw.fetch)
    expect(await alipay.close('open')).toBe('CLOSED')
    expect(await alipay.close('never')).toBe('CLOSED')
    expect(await alipay.close('paid')).toBe('ALREADY_PAID')
    // TRADE_STATUS_ERROR is ambiguous: the trade is asked.
    expect(await alipay.close('paid2')).toBe('ALREADY_PAID')
    expect(await alipay.close('closed')).toBe('CLOSED')
    expect(gw.requests.map((r) => r.query.method)).toContain('alipay.trade.query')
  })

  it('refunds with out_request_no as the idempotency key; fund_change N is confirmed by the refund query', async () => {
    const refunded = new Set<string>()
    const gw = fakeGateway((method, biz) => {
      const req = biz.out_request_no as string
      if (method === 'alipay.trade.refund') {
        const first = !refunded.has(req)
        refunded.add(req)
        return ok({
          trade_no: 'T9',
          out_trade_no: biz.out_trade_no,
          refund_fee: biz.refund_amount,
          fund_change: first ? 'Y' : 'N',
          gmt_refund_pay: '2024-05-01 12:10:00',
        })
      }
      if (!refunded.has(req)) return ok({})
      return ok({
        out_trade_no: biz.out_trade_no,
        out_request_no: req,
        refund_amount: '5.50',
        total_amount: '20.00',
        refund_status: 'REFUND_SUCCESS',
        gmt_refund_pay: '2024-05-01 12:10:00.123',
      })
    })
    const alipay = client(gw.fetch)
    const input = {
      outTradeNo: 'ord_r',
      outRefundNo: 'rfd_1',
      refundFen: 550,
      totalFen: 2000,
      reason: '少菜',
    }
    const first = await alipay.refund(input)
    expect(first).toMatchObject({
      state: 'SUCCESS',
      refundFen: 550,
      outRefundNo: 'rfd_1',
      successAt: Date.UTC(2024, 4, 1, 4, 10),
    })
    expect(JSON.parse(gw.requests[0]!.form.biz_content!)).toEqual({
      out_trade_no: 'ord_r',
      refund_amount: '5.50',
      refund_reason: '少菜',
      out_request_no: 'rfd_1',
    })
    const retry = await alipay.refund(input)
    expect(retry).toMatchObject({
      state: 'SUCCESS',
      providerState: 'REFUND_SUCCESS',
      refundFen: 550,
      successAt: Date.UTC(2024, 4, 1, 4, 10, 0, 123),
    })
    const lastBiz = JSON.parse(gw.requests.at(-1)!.form.biz_content!)
    expect(lastBiz).toEqual({
      out_trade_no: 'ord_r',
      out_request_no: 'rfd_1',
      query_options: ['gmt_refund_pay'],
    })
    expect((await alipay.queryRefund('rfd_unknown', 'ord_r')).state).toBe('NOT_FOUND')
  })

  it('reads older refund-query answers (refund_amount, no refund_status) as success', async () => {
    const alipay = client(fakeGateway(() => ok({ out_request_no: 'r', refund_amount: '0.01' })).fetch)
    expect(await alipay.queryRefund('r', 'o')).toMatchObject({ state: 'SUCCESS', refundFen: 1 })
  })

  it('logs in with an auth code (common params only) and prefers open_id', async () => {
    const gw = fakeGateway((_m, _b, params) =>
      params.code === 'good'
        ? ok({ user_id: '2088000000000003', open_id: 'open_abc', access_token: 't', expires_in: 1296000 })
        : {
            raw: () =>
              '{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.code-invalid"}}',
          },
    )
    const alipay = client(gw.fetch)
    expect(await alipay.login('good')).toEqual({ provider: 'alipay', payerId: 'open_abc' })
    const req = gw.requests[0]!
    expect(req.signatureOk).toBe(true)
    expect(req.form).toEqual({ grant_type: 'authorization_code', code: 'good' })
    expect(req.query.method).toBe('alipay.system.oauth.token')
    expect((await rejection(alipay.login('bad'))).code).toBe('isv.code-invalid')
  })
})

// ---------- notifies ----------

function notifyFields(over: Record<string, string> = {}): Record<string, string> {
  return {
    gmt_create: '2024-05-01 12:02:00',
    charset: 'utf-8',
    seller_email: 'canteen@example.com',
    subject: '午餐 2 份',
    buyer_id: '2088102122524333',
    invoice_amount: '12.34',
    notify_id: '2024050100222120312345678901234567',
    fund_bill_list: '[{"amount":"12.34","fundChannel":"ALIPAYACCOUNT"}]',
    notify_type: 'trade_status_sync',
    trade_status: 'TRADE_SUCCESS',
    receipt_amount: '12.34',
    app_id: APP_ID,
    buyer_pay_amount: '12.34',
    seller_id: SELLER_ID,
    gmt_payment: '2024-05-01 12:03:04',
    notify_time: '2024-05-01 12:03:05',
    version: '1.0',
    out_trade_no: 'ord_9',
    total_amount: '12.34',
    trade_no: '2024050122001400000000000009',
    auth_app_id: APP_ID,
    buyer_logon_id: '159****5620',
    point_amount: '0.00',
    passback_params: encodeURIComponent('store_01:t=5&x'),
    body: '',
    ...over,
  }
}

type Variant = 'v1' | 'v2' | 'drop-empty'

/** A notify body signed the way Alipay (v1) or another SDK variant would, form-encoded. */
async function signedNotify(
  fields: Record<string, string>,
  variant: Variant,
  key = aliPrivate,
): Promise<string> {
  const signed: Record<string, string> = { ...fields, ...(variant === 'v2' ? { sign_type: 'RSA2' } : {}) }
  const content = Object.keys(signed)
    .filter((k) => variant !== 'drop-empty' || signed[k] !== '')
    .sort()
    .map((k) => `${k}=${signed[k]}`)
    .join('&')
  const sign = await rsaSign(key, content)
  return new URLSearchParams({ ...fields, sign, sign_type: 'RSA2' }).toString()
}

const formHeaders = new Headers({ 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' })

describe('notifies', () => {
  it('accepts each variant the official SDKs sign with', async () => {
    const alipay = client(fakeGateway(() => ok()).fetch)
    for (const variant of ['v1', 'v2', 'drop-empty'] as const) {
      const event = await alipay.parseNotify(formHeaders, await signedNotify(notifyFields(), variant))
      expect(event).toEqual({
        kind: 'payment',
        id: '2024050100222120312345678901234567',
        trade: {
          provider: 'alipay',
          state: 'SUCCESS',
          providerState: 'TRADE_SUCCESS',
          outTradeNo: 'ord_9',
          transactionId: '2024050122001400000000000009',
          amountFen: 1234,
          currency: 'CNY',
          paidAt: Date.UTC(2024, 4, 1, 4, 3, 4),
          payerId: '2088102122524333',
          attach: 'store_01:t=5&x',
        },
      })
    }
  })

  it('refuses forged, tampered, foreign and unsigned notifies', async () => {
    const alipay = client(fakeGateway(() => ok()).fetch)
    const reason = async (body: string) => {
      const err = await alipay.parseNotify(formHeaders, body).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(NotifyRejected)
      return (err as NotifyRejected).reason
    }
    expect(await reason(await signedNotify(notifyFields(), 'v1', roguePrivate))).toBe('BAD_SIGNATURE')
    const genuine = await signedNotify(notifyFields(), 'v1')
    expect(await reason(genuine.replace('total_amount=12.34', 'total_amount=0.01'))).toBe('BAD_SIGNATURE')
    expect(
      await reason(
        await signedNotify(
          notifyFields({ app_id: '2021999999999999', auth_app_id: '2021999999999999' }),
          'v1',
        ),
      ),
    ).toBe('WRONG_MERCHANT')
    expect(await reason(await signedNotify(notifyFields({ seller_id: '2088999999999999' }), 'v1'))).toBe(
      'WRONG_MERCHANT',
    )
    expect(await reason(new URLSearchParams(notifyFields()).toString())).toBe('MALFORMED')
    expect(await reason(genuine.replace('sign_type=RSA2', 'sign_type=RSA'))).toBe('BAD_SIGNATURE')
  })

  it('reads refund notifies (refund_fee is cumulative, so no amount is claimed) and ignores unpaid states', async () => {
    const alipay = client(fakeGateway(() => ok()).fetch)
    const refund = await alipay.parseNotify(
      formHeaders,
      await signedNotify(
        notifyFields({
          notify_id: 'n-refund',
          refund_fee: '5.50',
          gmt_refund: '2024-05-01 13:00:00.456',
          out_biz_no: 'rfd_1',
        }),
        'v1',
      ),
    )
    expect(refund).toEqual({
      kind: 'refund',
      id: 'n-refund',
      refund: {
        provider: 'alipay',
        state: 'SUCCESS',
        providerState: 'TRADE_SUCCESS',
        outTradeNo: 'ord_9',
        outRefundNo: 'rfd_1',
        successAt: Date.UTC(2024, 4, 1, 5, 0, 0, 456),
      },
    })
    const full = await alipay.parseNotify(
      formHeaders,
      await signedNotify(
        notifyFields({
          trade_status: 'TRADE_CLOSED',
          refund_fee: '12.34',
          out_biz_no: 'rfd_2',
          gmt_close: '2024-05-01 13:00:01',
        }),
        'v1',
      ),
    )
    expect(full.kind).toBe('refund')
    for (const status of ['WAIT_BUYER_PAY', 'TRADE_CLOSED']) {
      const event = await alipay.parseNotify(
        formHeaders,
        await signedNotify(notifyFields({ trade_status: status }), 'v1'),
      )
      expect(event).toMatchObject({ kind: 'ignored', id: '2024050100222120312345678901234567' })
    }
  })

  it('decodes and verifies a GBK-encoded notify', async () => {
    const fields = notifyFields({ charset: 'gbk', subject: '麻婆豆腐', body: '加辣' })
    const content = Object.keys(fields)
      .sort()
      .map((k) => `${k}=${fields[k]}`)
      .join('&')
    // Alipay signs the GBK bytes of the string for a gbk form.
    const priv = aliPrivate
    const sig = new Uint8Array(
      await crypto.subtle.sign('RSASSA-PKCS1-v1_5', priv, new Uint8Array(iconv.encode(content, 'gbk'))),
    )
    const sign = btoa(String.fromCharCode(...sig))
    const enc = (s: string) =>
      [...iconv.encode(s, 'gbk')]
        .map((b) =>
          /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
            ? String.fromCharCode(b)
            : `%${b.toString(16).padStart(2, '0').toUpperCase()}`,
        )
        .join('')
    const body = Object.entries({ ...fields, sign, sign_type: 'RSA2' })
      .map(([k, v]) => `${k}=${enc(v)}`)
      .join('&')
    expect(parseAlipayForm(body).subject).toBe('麻婆豆腐')
    const event = await client(fakeGateway(() => ok()).fetch).parseNotify(
      new Headers({ 'content-type': 'application/x-www-form-urlencoded' }),
      body,
    )
    expect(event.kind).toBe('payment')
  })

  it('acknowledges with exactly the 7 bytes `success`, and refuses with anything else', async () => {
    const alipay = client(fakeGateway(() => ok()).fetch)
    const ack = alipay.ack()
    expect(ack.status).toBe(200)
    expect([...new Uint8Array(await ack.arrayBuffer())]).toEqual([...new TextEncoder().encode('success')])
    const nack = alipay.nack('database down')
    expect(nack.status).toBe(400)
    expect(await nack.text()).toBe('fail')
  })
})

// ---------- bills ----------

const HEADER =
  '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注'

const BILL = [
  '#支付宝业务明细查询',
  `#账号：[${SELLER_ID}0156]`,
  '#起始日期：[2024年05月01日 00:00:00]   终止日期：[2024年05月02日 00:00:00]',
  '#-----------------------------------------业务明细列表----------------------------------------',
  HEADER,
  '2024050122001400000000000009\t,ord_9\t,交易\t,午餐 2 份\t,2024-05-01 12:02:00,2024-05-01 12:03:04,,,,,159****5620,   12.34\t,12.34,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,-0.07,0.00,',
  '2024050122001400000000000009\t,ord_9\t,退款\t,午餐 2 份\t,2024-05-01 13:00:00,2024-05-01 13:00:00,,,,,159****5620,-5.50\t,-5.50,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,rfd_1\t,0.03,0.00,',
  '2024050122001400000000000010\t,ord_10\t,交易\t,饮料\t,2024-05-01 18:00:00,2024-05-01 18:00:09,,,,,138****0000,0.01,0.01,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,0.00,0.00,',
  '#-----------------------------------------业务明细列表结束------------------------------------',
  '#交易合计：2笔，商家实收共12.35元，商家优惠共0.00元',
  '#退款合计：1笔，商家实收退款共-5.50元，商家优惠退款共0.00元',
  '#导出时间：[2024年05月02日 10:46:05]',
].join('\r\n')

const SUMMARY = [
  '#支付宝业务汇总查询',
  '门店编号,门店名称,交易订单总笔数,退款订单总笔数',
  ',,2,1',
  '#结束',
].join('\r\n')

/** Stored-only ZIP (names in GBK, no UTF-8 flag), as Alipay's bill archive is built. */
function storedZip(files: { name: string; data: Uint8Array }[]): Uint8Array {
  const out: number[] = []
  const central: number[] = []
  const u16 = (a: number[], v: number) => a.push(v & 0xff, (v >>> 8) & 0xff)
  const u32 = (a: number[], v: number) =>
    a.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff)
  for (const f of files) {
    const name = [...iconv.encode(f.name, 'gbk')]
    const offset = out.length
    const crc = crc32(f.data)
    u32(out, 0x04034b50)
    for (const v of [20, 0, 0, 0, 0]) u16(out, v)
    u32(out, crc)
    u32(out, f.data.length)
    u32(out, f.data.length)
    u16(out, name.length)
    u16(out, 0)
    out.push(...name, ...f.data)
    u32(central, 0x02014b50)
    for (const v of [20, 20, 0, 0, 0, 0]) u16(central, v)
    u32(central, crc)
    u32(central, f.data.length)
    u32(central, f.data.length)
    for (const v of [name.length, 0, 0, 0, 0]) u16(central, v)
    u32(central, 0)
    u32(central, offset)
    central.push(...name)
  }
  const cdOffset = out.length
  out.push(...central)
  u32(out, 0x06054b50)
  for (const v of [0, 0, files.length, files.length]) u16(out, v)
  u32(out, central.length)
  u32(out, cdOffset)
  u16(out, 0)
  return new Uint8Array(out)
}

describe('bills', () => {
  const expectedRows = [
    {
      provider: 'alipay',
      at: Date.UTC(2024, 4, 1, 4, 3, 4),
      kind: 'payment',
      outTradeNo: 'ord_9',
      transactionId: '2024050122001400000000000009',
      amountFen: 1234,
      feeFen: 7,
    },
    {
      provider: 'alipay',
      at: Date.UTC(2024, 4, 1, 5, 0, 0),
      kind: 'refund',
      outTradeNo: 'ord_9',
      transactionId: '2024050122001400000000000009',
      amountFen: 550,
      outRefundNo: 'rfd_1',
      feeFen: 3,
    },
    {
      provider: 'alipay',
      at: Date.UTC(2024, 4, 1, 10, 0, 9),
      kind: 'payment',
      outTradeNo: 'ord_10',
      transactionId: '2024050122001400000000000010',
      amountFen: 1,
      feeFen: 0,
    },
  ]

  it('parses the GBK 业务明细 with padded cells and refund rows', () => {
    const gbk = new Uint8Array(iconv.encode(BILL, 'gbk'))
    expect(
      tradeBillFromFiles([{ data: new Uint8Array(iconv.encode(SUMMARY, 'gbk')) }, { data: gbk }]),
    ).toEqual(expectedRows)
    expect(() => parseAlipayTradeBill(SUMMARY)).toThrow(/header/)
    expect(() => parseAlipayTradeBill(BILL.replace('-5.50\t', '-5.5x'))).toThrow(/yuan/)
  })

  it('downloads the bill: signed URL query, unsigned GET, zip, GBK', async () => {
    const zip = storedZip([
      { name: `${SELLER_ID}0156_20240501_业务明细.csv`, data: new Uint8Array(iconv.encode(BILL, 'gbk')) },
      {
        name: `${SELLER_ID}0156_20240501_业务明细(汇总).csv`,
        data: new Uint8Array(iconv.encode(SUMMARY, 'gbk')),
      },
    ])
    const url = 'https://dwbillcenter.alipay.com/downloadBillFile.resource?bizType=trade&fileType=csv.zip&t=1'
    const gw = fakeGateway(
      (_m, biz) =>
        biz.bill_date === '2024-05-01' ? ok({ bill_download_url: url }) : bizFail('isp.bill_not_exist'),
      { [url]: zip },
    )
    const alipay = client(gw.fetch)
    expect(await alipay.downloadBill('2024-05-01')).toEqual(expectedRows)
    expect(JSON.parse(gw.requests[0]!.form.biz_content!)).toEqual({
      bill_type: 'trade',
      bill_date: '2024-05-01',
    })
    expect(await rejection(alipay.downloadBill('2024-04-30'))).toMatchObject({
      code: 'BILL_NOT_EXIST',
      retryable: true,
    })
    expect((await rejection(alipay.downloadBill('2024/05/01'))).code).toBe('PARAM_ERROR')
  })
})

describe('configuration', () => {
  it('is off without ALIPAY_APP_ID and names what is missing when half configured', () => {
    const base = { PUBLIC_BASE_URL: 'https://canteen.example' } as unknown as Env
    expect(alipayFromEnv(base)).toBeNull()
    expect(() =>
      alipayFromEnv({ ...base, ALIPAY_APP_ID: APP_ID, ALIPAY_SELLER_ID: SELLER_ID } as Env),
    ).toThrow(/ALIPAY_APP_PRIVATE_KEY/)
    const full = alipayFromEnv({
      ...base,
      ALIPAY_APP_ID: APP_ID,
      ALIPAY_SELLER_ID: SELLER_ID,
      ALIPAY_APP_PRIVATE_KEY: app.privatePem,
      ALIPAY_PUBLIC_KEY: ali.publicPem,
      PAYMENT_NOTIFY_BASE: 'https://pay.canteen.example',
    } as Env)
    expect(full?.gateway).toBe('https://openapi.alipay.com/gateway.do')
    expect(full?.notifyUrl).toBe(`https://pay.canteen.example${ALIPAY_NOTIFY_PATH}`)
  })
})
