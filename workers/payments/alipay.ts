// Alipay OpenAPI gateway v1 (https://openapi.alipay.com/gateway.do) with RSA2 keys, on Web Crypto and fetch
// only, so it runs in Workers and Durable Objects. It does what the official Node SDK (alipay-sdk-nodejs-all,
// src/alipay.ts + src/util.ts) does for the calls we need, without its Node-only dependencies:
// - requests: common params + biz_content, signed over every non-empty param but `sign`, sorted by key,
//   `k=v` joined with `&`, raw values (sign_type included); common params in the URL query, the rest in an
//   application/x-www-form-urlencoded body;
// - responses: `sign` verified with Alipay's public key over the exact text of the `<method>_response`
//   (or `error_response`) value as received, never re-serialised;
// - notifies: rsaCheckV1/V2 as checkNotifySign tries them (sign_type kept, then removed), plus both again
//   with empty values dropped, which some merchants needed in practice.
// Amounts are yuan strings on the wire ("12.34") and integer fen here; times are Beijing time on the wire.

import iconv from 'iconv-lite'
import type { Env } from '../env'
import { fenToYuan, formatBeijingTime, parseBeijingTime, tradeBillFromFiles, yuanToFen } from './alipay-bill'
import { b64decode, importPrivateKey, importPublicKey, rsaSign, rsaVerify, utf8 } from './crypto'
import {
  type BillRow,
  type ClientPayParams,
  type CreatePaymentInput,
  type NotifyEvent,
  NotifyRejected,
  type PayerIdentity,
  type PaymentProvider,
  ProviderError,
  type Refund,
  type RefundInput,
  type Trade,
  type TradeState,
} from './provider'
import { unzip } from './zip'

export { fenToYuan, yuanToFen } from './alipay-bill'

export const ALIPAY_GATEWAY = 'https://openapi.alipay.com/gateway.do'
/** Fixed route of our notify handler; the config only supplies the origin in front of it. */
export const ALIPAY_NOTIFY_PATH = '/api/v1/payments/alipay/notify'

export interface AlipayConfig {
  appId: string
  /** The merchant's PID (2088…), which notifies must carry as seller_id. */
  sellerId: string
  /** App private key: PKCS#8 or PKCS#1, PEM or bare Base64 (what Alipay's key tool produces). */
  appPrivateKeyPem: string
  /** Alipay's public key (支付宝公钥), PEM or bare Base64. */
  alipayPublicKeyPem: string
  /** Default https://openapi.alipay.com/gateway.do; the sandbox's `${base}/gateway.do` locally. */
  gateway?: string
  /** https://your.domain; ALIPAY_NOTIFY_PATH is appended. */
  notifyBase: string
  fetch?: typeof fetch
  now?: () => number
}

/** null when Alipay is not configured (ALIPAY_APP_ID unset); an Error naming what is missing when half set. */
export function alipayFromEnv(env: Env): Alipay | null {
  if (!env.ALIPAY_APP_ID) return null
  const need = (name: 'ALIPAY_SELLER_ID' | 'ALIPAY_APP_PRIVATE_KEY' | 'ALIPAY_PUBLIC_KEY'): string => {
    const v = env[name]
    if (!v) throw new Error(`Alipay is configured (ALIPAY_APP_ID is set) but ${name} is missing`)
    return v
  }
  const notifyBase = env.PAYMENT_NOTIFY_BASE || env.PUBLIC_BASE_URL
  if (!notifyBase)
    throw new Error('Alipay is configured but neither PAYMENT_NOTIFY_BASE nor PUBLIC_BASE_URL is set')
  return new Alipay({
    appId: env.ALIPAY_APP_ID,
    sellerId: need('ALIPAY_SELLER_ID'),
    appPrivateKeyPem: need('ALIPAY_APP_PRIVATE_KEY'),
    alipayPublicKeyPem: need('ALIPAY_PUBLIC_KEY'),
    gateway: env.ALIPAY_GATEWAY || ALIPAY_GATEWAY,
    notifyBase,
  })
}

// ---------- the wire format, exported for the sandbox and the tests ----------

type Params = Record<string, string>

/** The string Alipay signs: non-empty params except `sign`, sorted by key (code unit order = ASCII), raw values. */
export function alipaySignContent(params: Readonly<Record<string, string | undefined>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&')
}

/** The params the official SDK sends in the URL query (formatUrl); everything else goes in the body. */
export const ALIPAY_URL_PARAMS: ReadonlySet<string> = new Set([
  'app_id',
  'method',
  'format',
  'charset',
  'sign_type',
  'sign',
  'timestamp',
  'version',
  'notify_url',
  'return_url',
  'auth_token',
  'app_auth_token',
  'app_cert_sn',
  'alipay_root_cert_sn',
  'ws_service_url',
])

/**
 * Spans [start, end) of the values of a JSON object's top-level members, in the raw text: a tiny scanner
 * (strings with escapes, nesting) so the signed substring is exactly what Alipay sent.
 */
export function topLevelSpans(raw: string): Map<string, { start: number; end: number }> {
  const spans = new Map<string, { start: number; end: number }>()
  let i = 0
  const ws = () => {
    while (i < raw.length && ' \t\r\n'.includes(raw[i] as string)) i++
  }
  const fail = (what: string): never => {
    throw new SyntaxError(`response JSON: ${what} at ${i}`)
  }
  const skipString = () => {
    if (raw[i] !== '"') fail('expected a string')
    i++
    while (i < raw.length && raw[i] !== '"') i += raw[i] === '\\' ? 2 : 1
    if (i >= raw.length) fail('unterminated string')
    i++
  }
  const skipValue = () => {
    const c = raw[i]
    if (c === '"') return skipString()
    if (c === '{' || c === '[') {
      let depth = 0
      while (i < raw.length) {
        const d = raw[i]
        if (d === '"') {
          skipString()
          continue
        }
        if (d === '{' || d === '[') depth++
        else if (d === '}' || d === ']') depth--
        i++
        if (depth === 0) return
      }
      return fail('unterminated object')
    }
    while (i < raw.length && !',}] \t\r\n'.includes(raw[i] as string)) i++
  }
  ws()
  if (raw[i] !== '{') fail('expected an object')
  i++
  ws()
  if (raw[i] === '}') return spans
  for (;;) {
    ws()
    const keyStart = i
    skipString()
    const key = JSON.parse(raw.slice(keyStart, i)) as string
    ws()
    if (raw[i] !== ':') fail('expected ":"')
    i++
    ws()
    const start = i
    skipValue()
    spans.set(key, { start, end: i })
    ws()
    if (raw[i] === ',') {
      i++
      continue
    }
    if (raw[i] === '}') return spans
    fail('expected "," or "}"')
  }
}

/** `alipay.trade.query` -> `alipay_trade_query_response`. */
export const responseKey = (method: string): string => `${method.replaceAll('.', '_')}_response`

/**
 * The strings a notify may have been signed over, in the order the official SDK tries them: with sign_type
 * (rsaCheckV2), without it (rsaCheckV1, what Alipay documents), then both with empty values dropped.
 */
export function notifySignCandidates(params: Readonly<Params>): string[] {
  const withType: Record<string, string> = { ...params, sign_type: params.sign_type || 'RSA2' }
  const withoutType: Record<string, string> = { ...params }
  delete withoutType.sign_type
  const keepEmpty = (p: Record<string, string>) =>
    Object.keys(p)
      .filter((k) => k !== 'sign')
      .sort()
      .map((k) => `${k}=${p[k]}`)
      .join('&')
  const candidates = [
    keepEmpty(withType),
    keepEmpty(withoutType),
    alipaySignContent(withType),
    alipaySignContent(withoutType),
  ]
  return [...new Set(candidates)]
}

/** The charset of an Alipay form: its own `charset` param, else the Content-Type's, else UTF-8. */
export function alipayFormCharset(body: string, contentType?: string | null): string {
  const fromForm = /(?:^|&)charset=([^&]*)/.exec(body)?.[1]
  const fromHeader = /charset=([^;\s]+)/i.exec(contentType ?? '')?.[1]
  const charset = (fromForm || fromHeader || 'utf-8').replace(/"/g, '').toLowerCase()
  return charset === 'utf8' ? 'utf-8' : charset
}

/**
 * application/x-www-form-urlencoded -> params, percent-decoded in the form's charset (alipayFormCharset);
 * GBK forms decode through iconv-lite. The first of repeated keys wins.
 */
export function parseAlipayForm(body: string, contentType?: string | null): Params {
  const charset = alipayFormCharset(body, contentType)
  const encoder = new TextEncoder()
  const decode = (s: string): string => {
    // Fast path: well-formed UTF-8 percent-encoding (every notify Alipay sends); anything odd falls through.
    if (charset === 'utf-8' && !s.includes('%') && !s.includes('+')) return s
    if (charset === 'utf-8')
      try {
        return decodeURIComponent(s.replaceAll('+', ' '))
      } catch {}
    const bytes: number[] = []
    for (let i = 0; i < s.length; i++) {
      const c = s[i] as string
      if (c === '+') bytes.push(0x20)
      else if (c === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
        bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16))
        i += 2
      } else for (const b of encoder.encode(c)) bytes.push(b)
    }
    const u8 = new Uint8Array(bytes)
    return charset === 'utf-8' ? new TextDecoder().decode(u8) : iconv.decode(u8, charset)
  }
  const params: Params = {}
  for (const pair of body.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = decode(eq < 0 ? pair : pair.slice(0, eq))
    if (!(key in params)) params[key] = eq < 0 ? '' : decode(pair.slice(eq + 1))
  }
  return params
}

/** passback_params went out URL-encoded (the docs require it) and comes back as sent. */
function decodePassback(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined
  try {
    return decodeURIComponent(v)
  } catch {
    return v
  }
}

/** Alipay's subject may not contain / = & (trade.create docs); at most 256 characters. */
const subjectOf = (description: string): string =>
  [...description.replace(/[/=&]/g, ' ').trim()].slice(0, 256).join('') || '订单'

/** The mini-program pays with buyer_open_id; apps still on user ids (2088 + 12 digits) send buyer_id. */
const buyerField = (payerId: string): Params =>
  /^2088\d{12}$/.test(payerId) ? { buyer_id: payerId } : { buyer_open_id: payerId }

function tradeState(status: string | undefined, paid: boolean): TradeState {
  switch (status) {
    case 'WAIT_BUYER_PAY':
      return 'PENDING'
    case 'TRADE_SUCCESS':
    case 'TRADE_FINISHED':
      return 'SUCCESS'
    // TRADE_CLOSED is both "never paid, timed out or closed" and "paid, then refunded in full"; the
    // second is a payment that happened (as WeChat's REFUND state), so it must not read as unpaid.
    case 'TRADE_CLOSED':
      return paid ? 'SUCCESS' : 'CLOSED'
    default:
      return 'PENDING'
  }
}

/** A gateway answer: `data` is the `*_response` object; `signed` says whether its signature was checked. */
interface GatewayAnswer {
  data: Record<string, unknown>
  signed: boolean
}

/** Sub-codes that ask to try again (ACQ.SYSTEM_ERROR "系统错误，请重试", isp.unknow-error). */
const RETRYABLE_SUB_CODE = /SYSTEM_ERROR$|^isp\.unknow-error$|^aop\.ACQ\.SYSTEM_ERROR$/

export class Alipay implements PaymentProvider {
  readonly name = 'alipay' as const
  readonly gateway: string
  readonly notifyUrl: string
  private readonly fetcher: typeof fetch
  private readonly now: () => number
  private privateKey?: Promise<CryptoKey>
  private publicKey?: Promise<CryptoKey>

  constructor(readonly config: AlipayConfig) {
    this.gateway = config.gateway || ALIPAY_GATEWAY
    this.notifyUrl = config.notifyBase.replace(/\/+$/, '') + ALIPAY_NOTIFY_PATH
    this.fetcher = config.fetch ?? ((input, init) => fetch(input, init))
    this.now = config.now ?? Date.now
  }

  // ---------- signing and the gateway ----------

  private appKey(): Promise<CryptoKey> {
    this.privateKey ??= importPrivateKey(this.config.appPrivateKeyPem).catch((err: Error) => {
      this.privateKey = undefined
      throw new ProviderError('alipay', 'CONFIG', `ALIPAY_APP_PRIVATE_KEY unusable: ${err.message}`, false)
    })
    return this.privateKey
  }

  private alipayKey(): Promise<CryptoKey> {
    this.publicKey ??= importPublicKey(this.config.alipayPublicKeyPem).catch((err: Error) => {
      this.publicKey = undefined
      throw new ProviderError('alipay', 'CONFIG', `ALIPAY_PUBLIC_KEY unusable: ${err.message}`, false)
    })
    return this.publicKey
  }

  /** Common params + biz_content (+ extra common-level params), signed. */
  async signParams(method: string, biz?: object, extra: Params = {}): Promise<Params> {
    const params: Params = {
      app_id: this.config.appId,
      method,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: formatBeijingTime(this.now()),
      version: '1.0',
      ...extra,
    }
    if (biz) params.biz_content = JSON.stringify(biz)
    for (const k of Object.keys(params)) if (params[k] === undefined || params[k] === '') delete params[k]
    params.sign = await rsaSign(await this.appKey(), alipaySignContent(params))
    return params
  }

  /**
   * One gateway call. Returns the `*_response` object on code 10000, and on 40004 when its sub_code is one the
   * caller handles (and the answer is signed); throws ProviderError otherwise.
   */
  private async call(
    method: string,
    biz: object | undefined,
    extra: Params = {},
    handled: readonly string[] = [],
  ): Promise<Record<string, unknown>> {
    const params = await this.signParams(method, biz, extra)
    const url = new URL(this.gateway)
    const body = new URLSearchParams()
    for (const [k, v] of Object.entries(params)) {
      if (ALIPAY_URL_PARAMS.has(k)) url.searchParams.set(k, v)
      else body.set(k, v)
    }
    let res: Response
    try {
      res = await this.fetcher(url.toString(), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
          accept: 'application/json',
        },
        body: body.toString(),
      })
    } catch (err) {
      throw new ProviderError('alipay', 'NETWORK', `${method}: ${(err as Error).message}`, true)
    }
    const text = await res.text().catch(() => '')
    if (res.status !== 200) {
      const retryable = res.status >= 500 || res.status === 429
      throw new ProviderError(
        'alipay',
        `HTTP_${res.status}`,
        `${method}: HTTP ${res.status}`,
        retryable,
        res.status,
      )
    }
    const { data, signed } = await this.verifyResponse(method, text, res.status)
    const code = String(data.code ?? '')
    if (code === '10000') return data
    const subCode = typeof data.sub_code === 'string' ? data.sub_code : undefined
    const message = `${method}: ${code} ${String(data.msg ?? '')}${subCode ? ` ${subCode} ${String(data.sub_msg ?? '')}` : ''}`
    if (code === '40004' && signed && subCode && handled.includes(subCode)) return data
    if (code === '20000')
      throw new ProviderError('alipay', subCode ?? 'SERVICE_UNAVAILABLE', message, true, res.status)
    const retryable = subCode !== undefined && RETRYABLE_SUB_CODE.test(subCode)
    throw new ProviderError('alipay', subCode ?? `CODE_${code || 'MISSING'}`, message, retryable, res.status)
  }

  /** Parse a gateway answer and verify its signature over the exact response substring. */
  async verifyResponse(method: string, text: string, status = 200): Promise<GatewayAnswer> {
    let spans: Map<string, { start: number; end: number }>
    let json: Record<string, unknown>
    try {
      spans = topLevelSpans(text)
      json = JSON.parse(text) as Record<string, unknown>
    } catch {
      throw new ProviderError('alipay', 'BAD_RESPONSE', `${method}: not a JSON answer`, true, status)
    }
    const key = spans.has(responseKey(method)) ? responseKey(method) : 'error_response'
    const span = spans.get(key)
    const data = json[key]
    if (!span || !data || typeof data !== 'object')
      throw new ProviderError(
        'alipay',
        'BAD_RESPONSE',
        `${method}: no ${responseKey(method)} in the answer`,
        true,
        status,
      )
    const sign = typeof json.sign === 'string' ? json.sign : undefined
    const record = data as Record<string, unknown>
    if (!sign) {
      // Gateway-level errors (error_response) may come unsigned; they are only ever turned into errors.
      if (String(record.code) === '10000')
        throw new ProviderError('alipay', 'SIGNATURE', `${method}: unsigned success answer`, false, status)
      return { data: record, signed: false }
    }
    if (!(await rsaVerify(await this.alipayKey(), text.slice(span.start, span.end), sign)))
      throw new ProviderError(
        'alipay',
        'SIGNATURE',
        `${method}: answer signature does not verify`,
        false,
        status,
      )
    return { data: record, signed: true }
  }

  // ---------- PaymentProvider ----------

  async create(input: CreatePaymentInput): Promise<ClientPayParams> {
    if (!Number.isSafeInteger(input.amountFen) || input.amountFen <= 0)
      throw new ProviderError(
        'alipay',
        'PARAM_ERROR',
        `amount must be a positive fen integer: ${input.amountFen}`,
        false,
      )
    const common = {
      out_trade_no: input.outTradeNo,
      total_amount: fenToYuan(input.amountFen),
      subject: subjectOf(input.description),
      time_expire: formatBeijingTime(input.expiresAt),
      passback_params: input.attach ? encodeURIComponent(input.attach) : undefined,
    }
    if (input.channel === 'mini') {
      if (!input.payerId)
        throw new ProviderError(
          'alipay',
          'PARAM_ERROR',
          'alipay mini: payerId (buyer_open_id) is required',
          false,
        )
      const data = await this.call(
        'alipay.trade.create',
        { ...common, product_code: 'JSAPI_PAY', ...buyerField(input.payerId), op_app_id: this.config.appId },
        { notify_url: this.notifyUrl },
      )
      const tradeNo = typeof data.trade_no === 'string' ? data.trade_no : ''
      if (!tradeNo)
        throw new ProviderError('alipay', 'BAD_RESPONSE', 'alipay.trade.create: no trade_no', true)
      return { kind: 'alipay_trade', tradeNo }
    }
    if (input.channel === 'wap') {
      const biz = {
        ...common,
        product_code: 'QUICK_WAP_WAY',
        ...(input.returnUrl ? { quit_url: input.returnUrl } : {}),
      }
      return { kind: 'redirect', url: await this.pageUrl('alipay.trade.wap.pay', biz, input.returnUrl) }
    }
    throw new ProviderError('alipay', 'PARAM_ERROR', `alipay has no channel ${input.channel}`, false)
  }

  /**
   * A page-execute API (alipay.trade.wap.pay) as the browser opens it: every signed param, biz_content
   * included, in the gateway's query string (the GET form of the SDK's pageExec).
   */
  async pageUrl(method: string, biz: object, returnUrl?: string): Promise<string> {
    const params = await this.signParams(method, biz, {
      notify_url: this.notifyUrl,
      ...(returnUrl ? { return_url: returnUrl } : {}),
    })
    const query = Object.entries(params)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&')
    return `${this.gateway}${this.gateway.includes('?') ? '&' : '?'}${query}`
  }

  async query(outTradeNo: string): Promise<Trade> {
    const data = await this.call('alipay.trade.query', { out_trade_no: outTradeNo }, {}, [
      'ACQ.TRADE_NOT_EXIST',
    ])
    if (data.sub_code === 'ACQ.TRADE_NOT_EXIST')
      return { provider: 'alipay', state: 'NOT_FOUND', providerState: 'TRADE_NOT_EXIST', outTradeNo }
    return this.toTrade(data as Record<string, string | undefined>, 'send_pay_date', outTradeNo)
  }

  /** Trade fields shared by trade.query answers and notifies (paidAt from send_pay_date / gmt_payment). */
  private toTrade(f: Record<string, string | undefined>, paidField: string, outTradeNo?: string): Trade {
    const status = f.trade_status ?? ''
    const paidAt = parseBeijingTime(f[paidField])
    let amountFen: number | undefined
    try {
      amountFen = f.total_amount ? yuanToFen(f.total_amount) : undefined
    } catch {
      throw new ProviderError(
        'alipay',
        'BAD_RESPONSE',
        `total_amount is not a yuan amount: ${f.total_amount}`,
        false,
      )
    }
    const payerId = f.buyer_open_id || f.buyer_user_id || f.buyer_id || undefined
    const attach = decodePassback(f.passback_params)
    return {
      provider: 'alipay',
      state: tradeState(status, paidAt !== undefined),
      providerState: status,
      outTradeNo: f.out_trade_no || outTradeNo || '',
      ...(f.trade_no ? { transactionId: f.trade_no } : {}),
      ...(amountFen !== undefined ? { amountFen, currency: 'CNY' } : {}),
      ...(paidAt !== undefined ? { paidAt } : {}),
      ...(payerId ? { payerId } : {}),
      ...(attach !== undefined ? { attach } : {}),
    }
  }

  async close(outTradeNo: string): Promise<'CLOSED' | 'ALREADY_PAID'> {
    const data = await this.call('alipay.trade.close', { out_trade_no: outTradeNo }, {}, [
      'ACQ.TRADE_NOT_EXIST',
      'ACQ.TRADE_HAS_CLOSE',
      'ACQ.TRADE_HAS_SUCCESS',
      'ACQ.TRADE_HAS_FINISHED',
      'ACQ.TRADE_STATUS_ERROR',
    ])
    switch (data.sub_code) {
      case undefined:
      // Not created at Alipay yet (wap: the cashier never opened): nothing to close, and time_expire stops
      // a later payment.
      case 'ACQ.TRADE_NOT_EXIST':
      case 'ACQ.TRADE_HAS_CLOSE':
        return 'CLOSED'
      case 'ACQ.TRADE_HAS_SUCCESS':
      case 'ACQ.TRADE_HAS_FINISHED':
        return 'ALREADY_PAID'
      default: {
        // ACQ.TRADE_STATUS_ERROR ("only WAIT_BUYER_PAY can be closed") covers paid and already-closed
        // trades alike; the trade itself says which.
        const trade = await this.query(outTradeNo)
        if (trade.state === 'SUCCESS') return 'ALREADY_PAID'
        if (trade.state === 'CLOSED' || trade.state === 'NOT_FOUND') return 'CLOSED'
        throw new ProviderError(
          'alipay',
          String(data.sub_code),
          `alipay.trade.close refused a ${trade.providerState} trade`,
          true,
        )
      }
    }
  }

  async refund(input: RefundInput): Promise<Refund> {
    if (!Number.isSafeInteger(input.refundFen) || input.refundFen <= 0)
      throw new ProviderError(
        'alipay',
        'PARAM_ERROR',
        `refund must be a positive fen integer: ${input.refundFen}`,
        false,
      )
    const data = await this.call('alipay.trade.refund', {
      out_trade_no: input.outTradeNo,
      trade_no: input.transactionId || undefined,
      refund_amount: fenToYuan(input.refundFen),
      refund_reason: input.reason || undefined,
      out_request_no: input.outRefundNo,
    })
    if (data.fund_change === 'Y') {
      const successAt = parseBeijingTime(data.gmt_refund_pay as string | undefined) ?? this.now()
      return {
        provider: 'alipay',
        state: 'SUCCESS',
        providerState: 'FUND_CHANGE_Y',
        outTradeNo: input.outTradeNo,
        outRefundNo: input.outRefundNo,
        refundFen: input.refundFen,
        successAt,
      }
    }
    // fund_change "N": no money moved by this call, typically a retry of a refund that already went
    // through. The refund query says whether it did.
    const confirmed = await this.queryRefund(input.outRefundNo, input.outTradeNo)
    if (confirmed.state === 'NOT_FOUND')
      return { ...confirmed, state: 'PROCESSING', providerState: 'FUND_CHANGE_N' }
    return confirmed
  }

  async queryRefund(outRefundNo: string, outTradeNo: string): Promise<Refund> {
    const data = await this.call(
      'alipay.trade.fastpay.refund.query',
      { out_trade_no: outTradeNo, out_request_no: outRefundNo, query_options: ['gmt_refund_pay'] },
      {},
      ['ACQ.TRADE_NOT_EXIST'],
    )
    const base = { provider: 'alipay' as const, outTradeNo, outRefundNo }
    const status = typeof data.refund_status === 'string' ? data.refund_status : ''
    const amount =
      typeof data.refund_amount === 'string' && data.refund_amount !== '' ? data.refund_amount : undefined
    if (data.sub_code === 'ACQ.TRADE_NOT_EXIST' || (!status && !amount))
      return {
        ...base,
        state: 'NOT_FOUND',
        providerState: data.sub_code ? String(data.sub_code) : 'NOT_FOUND',
      }
    let refundFen: number | undefined
    try {
      refundFen = amount !== undefined ? yuanToFen(amount) : undefined
    } catch {
      throw new ProviderError(
        'alipay',
        'BAD_RESPONSE',
        `refund_amount is not a yuan amount: ${amount}`,
        false,
      )
    }
    // No refund_status but a refund_amount is how older answers said "succeeded".
    const state =
      status === 'REFUND_SUCCESS' || (!status && refundFen !== undefined && refundFen > 0)
        ? 'SUCCESS'
        : /FAIL/.test(status)
          ? 'ABNORMAL'
          : 'PROCESSING'
    const successAt =
      state === 'SUCCESS' ? parseBeijingTime(data.gmt_refund_pay as string | undefined) : undefined
    return {
      ...base,
      state,
      providerState: status || 'REFUND_AMOUNT_PRESENT',
      ...(refundFen !== undefined ? { refundFen } : {}),
      ...(successAt !== undefined ? { successAt } : {}),
    }
  }

  /**
   * Verify and read an async notification (POST form). The checks: signature (any variant the official
   * SDK accepts), then app_id (or auth_app_id) and seller_id are ours. Freshness is not checked: Alipay's
   * notifies carry no signed timestamp rule and are retried for 25 hours; replays are harmless because
   * applying one is idempotent by notify_id and by the order's state.
   */
  async parseNotify(headers: Headers, rawBody: string, _now?: number): Promise<NotifyEvent> {
    let params: Params
    try {
      params = parseAlipayForm(rawBody, headers.get('content-type'))
    } catch (err) {
      throw new NotifyRejected('MALFORMED', `alipay notify: unreadable form: ${(err as Error).message}`)
    }
    const sign = params.sign
    if (!sign) throw new NotifyRejected('MALFORMED', 'alipay notify: no sign')
    if (params.sign_type && params.sign_type !== 'RSA2')
      throw new NotifyRejected(
        'BAD_SIGNATURE',
        `alipay notify: sign_type ${params.sign_type} is not accepted`,
      )
    const key = await this.alipayKey()
    // Alipay signs the bytes of the string in the form's charset (UTF-8 for every request we make).
    const charset = alipayFormCharset(rawBody, headers.get('content-type'))
    let signature: Uint8Array<ArrayBuffer>
    try {
      signature = new Uint8Array(b64decode(sign))
    } catch {
      throw new NotifyRejected('BAD_SIGNATURE', 'alipay notify: sign is not Base64')
    }
    let verified = false
    for (const content of notifySignCandidates(params)) {
      const bytes = new Uint8Array(charset === 'utf-8' ? utf8(content) : iconv.encode(content, charset))
      if (await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, bytes)) {
        verified = true
        break
      }
    }
    if (!verified) throw new NotifyRejected('BAD_SIGNATURE', 'alipay notify: signature does not verify')
    if (params.app_id !== this.config.appId && params.auth_app_id !== this.config.appId)
      throw new NotifyRejected('WRONG_MERCHANT', `alipay notify: app_id ${params.app_id} is not ours`)
    if (params.seller_id !== this.config.sellerId)
      throw new NotifyRejected('WRONG_MERCHANT', `alipay notify: seller_id ${params.seller_id} is not ours`)
    const id = params.notify_id
    if (!id) throw new NotifyRejected('MALFORMED', 'alipay notify: no notify_id')
    const status = params.trade_status ?? ''
    const isRefund = Boolean(params.out_biz_no || params.gmt_refund || params.refund_fee)
    if (isRefund && (status === 'TRADE_SUCCESS' || status === 'TRADE_CLOSED')) {
      if (!params.out_biz_no) return { kind: 'ignored', id, reason: 'refund notify without out_biz_no' }
      const successAt = parseBeijingTime(params.gmt_refund)
      return {
        kind: 'refund',
        id,
        // refund_fee is the TOTAL refunded on the trade so far, not this refund's amount, so it is not
        // reported as refundFen: the refund (out_biz_no = our out_request_no) knows its own amount.
        refund: {
          provider: 'alipay',
          state: 'SUCCESS',
          providerState: status,
          outTradeNo: params.out_trade_no ?? '',
          outRefundNo: params.out_biz_no,
          ...(successAt !== undefined ? { successAt } : {}),
        },
      }
    }
    if (status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED')
      return { kind: 'payment', id, trade: this.toTrade(params, 'gmt_payment') }
    return { kind: 'ignored', id, reason: `trade_status ${status || '(none)'}` }
  }

  /** Alipay stops retrying only on a body of exactly `success` (7 bytes, nothing around it). */
  ack(): Response {
    return new Response('success', { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } })
  }

  /** Anything but `success` makes Alipay retry; 400 (by default) so the refusal shows in our logs. */
  nack(_message: string, status = 400): Response {
    return new Response('fail', { status, headers: { 'content-type': 'text/plain; charset=utf-8' } })
  }

  async downloadBill(date: string): Promise<BillRow[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
      throw new ProviderError('alipay', 'PARAM_ERROR', `bill date must be YYYY-MM-DD: ${date}`, false)
    const data = await this.call(
      'alipay.data.dataservice.bill.downloadurl.query',
      { bill_type: 'trade', bill_date: date },
      {},
      ['isp.bill_not_exist'],
    )
    if (data.sub_code === 'isp.bill_not_exist')
      throw new ProviderError(
        'alipay',
        'BILL_NOT_EXIST',
        `no Alipay bill for ${date} (not generated yet?)`,
        true,
      )
    const url = typeof data.bill_download_url === 'string' ? data.bill_download_url : ''
    if (!url) throw new ProviderError('alipay', 'BAD_RESPONSE', 'no bill_download_url', true)
    // The URL is valid for 30 s and needs no signature.
    let res: Response
    try {
      res = await this.fetcher(url, { method: 'GET' })
    } catch (err) {
      throw new ProviderError('alipay', 'NETWORK', `bill download: ${(err as Error).message}`, true)
    }
    if (res.status !== 200)
      throw new ProviderError(
        'alipay',
        `HTTP_${res.status}`,
        `bill download: HTTP ${res.status}`,
        true,
        res.status,
      )
    const zip = new Uint8Array(await res.arrayBuffer())
    try {
      return tradeBillFromFiles(await unzip(zip))
    } catch (err) {
      throw new ProviderError('alipay', 'BAD_BILL', `bill ${date}: ${(err as Error).message}`, false)
    }
  }

  /** my.getAuthCode's authCode -> the user's open_id (user_id for apps not yet on open ids). */
  async login(code: string): Promise<PayerIdentity> {
    const data = await this.call('alipay.system.oauth.token', undefined, {
      grant_type: 'authorization_code',
      code,
    })
    const payerId =
      (typeof data.open_id === 'string' && data.open_id) ||
      (typeof data.user_id === 'string' && data.user_id) ||
      ''
    if (!payerId)
      throw new ProviderError(
        'alipay',
        'BAD_RESPONSE',
        'alipay.system.oauth.token: no open_id/user_id',
        false,
      )
    return { provider: 'alipay', payerId }
  }
}
