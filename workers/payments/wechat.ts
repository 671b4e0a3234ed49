// WeChat Pay API v3, direct merchant (直连商户), on Web Crypto and fetch only: it runs in Workers and Durable
// Objects as well as in Node. Protocol notes and sources: shared/reference/payments-printers-lbs-dispatch.md §1.
//
// - Every request is signed WECHATPAY2-SHA256-RSA2048 with the merchant API key (5-line string).
// - Every response (but the unsigned bill file, which is checked by SHA1) and every notify is verified with
//   WeChat's key chosen by Wechatpay-Serial: a "WeChat Pay public key" (PUB_KEY_ID_...) or a platform
//   certificate (hex serial; more are fetched from GET /v3/certificates when an unknown one shows up).
// - Notifies are decrypted with AEAD_AES_256_GCM under the APIv3 key and checked to be for our mchid/appid.

import type { Env } from '../env'
import {
  aesGcmDecrypt,
  importPrivateKey,
  importPublicKey,
  parseCertificate,
  pemToDer,
  randomNonce,
  rsaSign,
  rsaVerify,
  sha1Hex,
  utf8,
} from './crypto'
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
  type RefundState,
  type Trade,
  type TradeState,
} from './provider'
import { parseWeChatTradeBill } from './wechat-bill'

export const WECHAT_API_BASE = 'https://api.mch.weixin.qq.com'
export const WECHAT_OAUTH_BASE = 'https://api.weixin.qq.com'
/** Fixed callback paths under the notify base (the Worker routes them). */
export const WECHAT_NOTIFY_PATH = '/api/v1/payments/wechat/notify'
export const WECHAT_REFUND_NOTIFY_PATH = '/api/v1/payments/wechat/refund-notify'

/** Why 300 s: the official SDKs reject |Wechatpay-Timestamp − now| ≥ 5 min (wechatpay-go validators). */
const MAX_CLOCK_SKEW_S = 300
/**
 * Why 60 s: an unknown serial may be a real certificate rotation (WeChat lists new certificates 24 h before
 * using them) or a forged notify; one download a minute covers the first and stops the second from turning
 * every forged request into a call to WeChat.
 */
const CERT_REFRESH_MIN_INTERVAL_MS = 60_000
/** Why 127 and 128: WeChat's limits for description (string(127)) and attach (string(128)). */
const MAX_DESCRIPTION_CHARS = 127
const MAX_ATTACH_CHARS = 128
/** Why 80: refund `reason` is limited to 80 bytes. */
const MAX_REASON_BYTES = 80
const USER_AGENT = 'edge-canteen/0.1 (WeChatPay-APIv3; Web Crypto)'
const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/'
/** Error codes that mean "the same call may succeed later". */
const RETRYABLE_CODES = new Set(['SYSTEM_ERROR', 'SYSTEMERROR', 'FREQUENCY_LIMITED', 'BANKERROR', 'NETWORK'])

export interface WeChatPayConfig {
  mchid: string
  appid: string
  /** Mini-program AppSecret; only login() needs it. */
  appSecret?: string
  /** Serial number of the merchant API certificate (apiclient_cert.pem), sent as serial_no. */
  merchantSerial: string
  /** Merchant API private key (apiclient_key.pem), PKCS#8 (or PKCS#1) PEM. */
  merchantPrivateKeyPem: string
  /** APIv3 key: 32 bytes of UTF-8. */
  apiV3Key: string
  /** Public-key mode: PUB_KEY_ID_... and its PEM (pub_key.pem). Sent as Wechatpay-Serial on requests. */
  publicKeyId?: string
  publicKeyPem?: string
  /** Platform-certificate mode: PEM certificates, concatenated. Unknown serials are fetched from /v3/certificates. */
  platformCertsPem?: string
  /** Default https://api.mch.weixin.qq.com (point it at the sandbox locally). */
  apiBase?: string
  /** Default https://api.weixin.qq.com (code2Session). */
  oauthBase?: string
  /** https://your.domain: the fixed notify paths are appended. */
  notifyBase: string
  /** Tests only: accept a 16- or 24-byte APIv3 key (the official Go SDK vectors use 16). */
  allowShortApiV3Key?: boolean
  fetch?: typeof fetch
  /** Clock in epoch ms (tests pin it). */
  now?: () => number
}

/**
 * The WeChat provider from the Worker's environment: null when WECHAT_MCHID is unset (WeChat Pay not offered);
 * an Error naming the variable when it is partly configured.
 */
export function wechatFromEnv(env: Env): WeChatPay | null {
  const mchid = env.WECHAT_MCHID?.trim()
  if (!mchid) return null
  const need = (name: keyof Env): string => {
    const v = env[name]
    if (typeof v !== 'string' || v.trim() === '')
      throw new Error(`WeChat Pay: WECHAT_MCHID is set but ${String(name)} is missing`)
    return v.trim()
  }
  const pem = (v: string | undefined): string | undefined => (v ? v.replace(/\\n/g, '\n') : undefined)
  const publicKeyId = env.WECHAT_PAY_PUBLIC_KEY_ID?.trim() || undefined
  const publicKeyPem = pem(env.WECHAT_PAY_PUBLIC_KEY?.trim() || undefined)
  if (publicKeyId && !publicKeyPem)
    throw new Error('WeChat Pay: WECHAT_PAY_PUBLIC_KEY_ID is set but WECHAT_PAY_PUBLIC_KEY is missing')
  if (publicKeyPem && !publicKeyId)
    throw new Error('WeChat Pay: WECHAT_PAY_PUBLIC_KEY is set but WECHAT_PAY_PUBLIC_KEY_ID is missing')
  const notifyBase = env.PAYMENT_NOTIFY_BASE?.trim() || env.PUBLIC_BASE_URL?.trim()
  if (!notifyBase) throw new Error('WeChat Pay: PAYMENT_NOTIFY_BASE (or PUBLIC_BASE_URL) is missing')
  return new WeChatPay({
    mchid,
    appid: need('WECHAT_APPID'),
    appSecret: env.WECHAT_APP_SECRET?.trim() || undefined,
    merchantSerial: need('WECHAT_MCH_SERIAL'),
    merchantPrivateKeyPem: pem(need('WECHAT_MCH_PRIVATE_KEY'))!,
    apiV3Key: need('WECHAT_API_V3_KEY'),
    publicKeyId,
    publicKeyPem,
    platformCertsPem: pem(env.WECHAT_PLATFORM_CERTS?.trim() || undefined),
    apiBase: env.WECHAT_API_BASE?.trim() || undefined,
    oauthBase: env.WECHAT_OAUTH_BASE?.trim() || undefined,
    notifyBase,
  })
}

/** A WeChat API error response, with whether its signature was verified (only verified ones decide states). */
export class WeChatApiError extends ProviderError {
  constructor(
    code: string,
    message: string,
    retryable: boolean,
    status: number | undefined,
    readonly verified: boolean,
  ) {
    super('wechat', code, message, retryable, status)
    this.name = 'WeChatApiError'
  }
}

type VerifyFailure = {
  reason: 'MISSING_HEADERS' | 'BAD_SIGNATURE' | 'STALE_TIMESTAMP' | 'UNKNOWN_SERIAL' | 'MALFORMED'
  message: string
}

interface RawResponse {
  status: number
  headers: Headers
  bytes: Uint8Array
  text: string
}

interface Resource {
  algorithm?: string
  ciphertext?: string
  associated_data?: string
  nonce?: string
  original_type?: string
}

/** A verified notify envelope and its decrypted resource (parseNotify maps it to a NotifyEvent). */
export interface OpenedNotify {
  id: string
  eventType: string
  envelope: Record<string, unknown>
  plaintext: string
  resource: Record<string, unknown>
}

type Json = Record<string, unknown>

const td = new TextDecoder('utf-8', { ignoreBOM: true })

export class WeChatPay implements PaymentProvider {
  readonly name = 'wechat' as const
  readonly apiBase: string
  readonly oauthBase: string
  readonly notifyUrl: string
  readonly refundNotifyUrl: string
  private readonly cfg: WeChatPayConfig
  private readonly doFetch: typeof fetch
  private readonly clock: () => number
  private merchantKey?: Promise<CryptoKey>
  /** Serial (normalised) -> verification key: PUB_KEY_ID_... and platform certificate serials. */
  private readonly verifiers = new Map<string, CryptoKey>()
  private keysLoaded?: Promise<void>
  private certRefresh?: Promise<void>
  private lastCertRefreshAt = Number.NEGATIVE_INFINITY

  constructor(config: WeChatPayConfig) {
    for (const k of [
      'mchid',
      'appid',
      'merchantSerial',
      'merchantPrivateKeyPem',
      'apiV3Key',
      'notifyBase',
    ] as const)
      if (!config[k]) throw new Error(`WeChatPay: ${k} is required`)
    const keyBytes = utf8(config.apiV3Key).length
    const okLengths = config.allowShortApiV3Key ? [16, 24, 32] : [32]
    if (!okLengths.includes(keyBytes))
      throw new Error(`WeChatPay: the APIv3 key must be 32 bytes of UTF-8, got ${keyBytes}`)
    if (!!config.publicKeyId !== !!config.publicKeyPem)
      throw new Error('WeChatPay: publicKeyId and publicKeyPem go together')
    if (config.publicKeyId && !config.publicKeyId.startsWith('PUB_KEY_ID_'))
      throw new Error('WeChatPay: publicKeyId must start with PUB_KEY_ID_')
    this.cfg = config
    this.apiBase = trimSlash(config.apiBase ?? WECHAT_API_BASE)
    this.oauthBase = trimSlash(config.oauthBase ?? WECHAT_OAUTH_BASE)
    const notifyBase = trimSlash(config.notifyBase)
    this.notifyUrl = notifyBase + WECHAT_NOTIFY_PATH
    this.refundNotifyUrl = notifyBase + WECHAT_REFUND_NOTIFY_PATH
    const f = config.fetch
    // Bound call: a bare `fetch` reference detached from globalThis throws "Illegal invocation" in Workers.
    this.doFetch = f ?? ((input, init) => fetch(input, init))
    this.clock = config.now ?? Date.now
  }

  // ---------------------------------------------------------------- PaymentProvider

  async create(input: CreatePaymentInput): Promise<ClientPayParams> {
    const { channel } = input
    if (channel !== 'jsapi' && channel !== 'h5')
      throw new ProviderError('wechat', 'UNSUPPORTED_CHANNEL', `WeChat Pay has no channel ${channel}`, false)
    if (!Number.isSafeInteger(input.amountFen) || input.amountFen <= 0)
      throw new ProviderError('wechat', 'PARAM_ERROR', 'amountFen must be a positive integer', false)
    if ([...input.attach].length > MAX_ATTACH_CHARS)
      throw new ProviderError('wechat', 'PARAM_ERROR', `attach longer than ${MAX_ATTACH_CHARS}`, false)
    // Everything below is a pure function of the input, so creating again with the same input sends the
    // same parameters and WeChat answers with a fresh prepay_id for the same trade (no second trade).
    const common = {
      appid: this.cfg.appid,
      mchid: this.cfg.mchid,
      description: [...input.description].slice(0, MAX_DESCRIPTION_CHARS).join('') || input.outTradeNo,
      out_trade_no: input.outTradeNo,
      time_expire: toChinaRfc3339(input.expiresAt),
      attach: input.attach,
      notify_url: this.notifyUrl,
      amount: { total: input.amountFen, currency: 'CNY' },
    }
    if (channel === 'jsapi') {
      if (!input.payerId)
        throw new ProviderError('wechat', 'PARAM_ERROR', 'jsapi payment needs payerId (openid)', false)
      const { data } = await this.call('POST', '/v3/pay/transactions/jsapi', {
        ...common,
        payer: { openid: input.payerId },
      })
      const prepayId = str(data?.prepay_id)
      if (!prepayId) throw malformed('jsapi response has no prepay_id')
      return this.jsapiParams(prepayId)
    }
    if (!input.clientIp)
      throw new ProviderError('wechat', 'PARAM_ERROR', 'h5 payment needs clientIp (payer_client_ip)', false)
    const { data } = await this.call('POST', '/v3/pay/transactions/h5', {
      ...common,
      scene_info: { payer_client_ip: input.clientIp, h5_info: { type: 'Wap' } },
    })
    const h5Url = str(data?.h5_url)
    if (!h5Url) throw malformed('h5 response has no h5_url')
    // WeChat's rule for coming back to the merchant's page: append &redirect_url=<urlencoded>. (Real h5_urls
    // always carry a query; '?' only guards a URL without one, so the parameter stays a query parameter.)
    const sep = h5Url.includes('?') ? '&' : '?'
    const url = input.returnUrl ? `${h5Url}${sep}redirect_url=${encodeURIComponent(input.returnUrl)}` : h5Url
    return { kind: 'redirect', url }
  }

  /** wx.requestPayment parameters for a prepay_id, paySign over `appId\ntimeStamp\nnonceStr\npackage\n`. */
  async jsapiParams(prepayId: string): Promise<Extract<ClientPayParams, { kind: 'wechat_jsapi' }>> {
    const appId = this.cfg.appid
    const timeStamp = String(Math.floor(this.clock() / 1000))
    const nonceStr = randomNonce(32)
    const pkg = `prepay_id=${prepayId}`
    const paySign = await rsaSign(await this.privateKey(), `${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`)
    return { kind: 'wechat_jsapi', appId, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign }
  }

  async query(outTradeNo: string): Promise<Trade> {
    const path = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(this.cfg.mchid)}`
    try {
      const { data } = await this.call('GET', path)
      if (!data) throw malformed('query response is empty')
      return toTrade(data)
    } catch (e) {
      if (isVerified(e, ['ORDER_NOT_EXIST', 'ORDERNOTEXIST']))
        return { provider: 'wechat', state: 'NOT_FOUND', providerState: 'ORDER_NOT_EXIST', outTradeNo }
      throw e
    }
  }

  async close(outTradeNo: string): Promise<'CLOSED' | 'ALREADY_PAID'> {
    const path = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`
    try {
      await this.call('POST', path, { mchid: this.cfg.mchid })
      return 'CLOSED'
    } catch (e) {
      if (isVerified(e, ['ORDERPAID', 'ORDER_PAID'])) return 'ALREADY_PAID'
      if (
        e instanceof WeChatApiError &&
        e.verified &&
        e.code === 'TRADE_ERROR' &&
        /已支付|paid/i.test(e.message)
      )
        return 'ALREADY_PAID'
      if (isVerified(e, ['ORDER_CLOSED', 'ORDERCLOSED'])) return 'CLOSED'
      throw e
    }
  }

  async refund(input: RefundInput): Promise<Refund> {
    for (const [k, v] of [
      ['refundFen', input.refundFen],
      ['totalFen', input.totalFen],
    ] as const)
      if (!Number.isSafeInteger(v) || v <= 0)
        throw new ProviderError('wechat', 'PARAM_ERROR', `${k} must be a positive integer`, false)
    const reason = truncateUtf8(input.reason ?? '', MAX_REASON_BYTES)
    const { data } = await this.call('POST', '/v3/refund/domestic/refunds', {
      ...(input.transactionId ? { transaction_id: input.transactionId } : {}),
      out_trade_no: input.outTradeNo,
      out_refund_no: input.outRefundNo,
      ...(reason ? { reason } : {}),
      notify_url: this.refundNotifyUrl,
      amount: { refund: input.refundFen, total: input.totalFen, currency: 'CNY' },
    })
    if (!data) throw malformed('refund response is empty')
    return toRefund(data, { outTradeNo: input.outTradeNo, outRefundNo: input.outRefundNo })
  }

  async queryRefund(outRefundNo: string, outTradeNo: string): Promise<Refund> {
    try {
      const { data } = await this.call(
        'GET',
        `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`,
      )
      if (!data) throw malformed('refund query response is empty')
      return toRefund(data, { outTradeNo, outRefundNo })
    } catch (e) {
      if (isVerified(e, ['RESOURCE_NOT_EXISTS', 'ORDER_NOT_EXIST', 'NOT_FOUND']))
        return {
          provider: 'wechat',
          state: 'NOT_FOUND',
          providerState: (e as ProviderError).code,
          outTradeNo,
          outRefundNo,
        }
      throw e
    }
  }

  async parseNotify(headers: Headers, rawBody: string, now?: number): Promise<NotifyEvent> {
    const opened = await this.openNotify(headers, rawBody, now)
    const { id, eventType, resource } = opened
    if (eventType === 'TRANSACTION.SUCCESS') {
      if (resource.appid === undefined)
        throw new NotifyRejected('WRONG_MERCHANT', 'transaction without appid')
      const trade = toTrade(resource)
      if (trade.currency !== undefined && trade.currency !== 'CNY')
        throw new NotifyRejected('MALFORMED', `currency ${trade.currency}, expected CNY`)
      return { kind: 'payment', id, trade }
    }
    if (eventType === 'REFUND.SUCCESS' || eventType === 'REFUND.ABNORMAL' || eventType === 'REFUND.CLOSED') {
      const amount = obj(resource.amount)
      const currency = str(amount?.currency)
      if (currency !== undefined && currency !== 'CNY')
        throw new NotifyRejected('MALFORMED', `currency ${currency}, expected CNY`)
      // The notify names it refund_status; the refund API names it status.
      return { kind: 'refund', id, refund: toRefund(resource, {}) }
    }
    return { kind: 'ignored', id, reason: `event_type ${eventType}` }
  }

  /**
   * Verify a callback (headers + raw body), decrypt its resource and check that it is for our merchant.
   * Throws NotifyRejected. `now` in epoch ms (default the configured clock).
   */
  async openNotify(headers: Headers, rawBody: string, now?: number): Promise<OpenedNotify> {
    const failure = await this.verifyMessage(headers, rawBody, now ?? this.clock(), { refresh: true })
    if (failure) throw new NotifyRejected(failure.reason, failure.message)
    let envelope: Json
    try {
      envelope = JSON.parse(rawBody) as Json
    } catch {
      throw new NotifyRejected('MALFORMED', 'body is not JSON')
    }
    const id = str(envelope?.id)
    const eventType = str(envelope?.event_type)
    const res = obj(envelope?.resource) as Resource | undefined
    if (!id || !eventType || !res) throw new NotifyRejected('MALFORMED', 'missing id, event_type or resource')
    if (
      res.algorithm !== 'AEAD_AES_256_GCM' ||
      typeof res.ciphertext !== 'string' ||
      typeof res.nonce !== 'string'
    )
      throw new NotifyRejected('MALFORMED', `unsupported resource (algorithm ${res.algorithm})`)
    let plaintext: string
    try {
      plaintext = await aesGcmDecrypt(this.cfg.apiV3Key, res.nonce, res.associated_data ?? '', res.ciphertext)
    } catch {
      throw new NotifyRejected('DECRYPT_FAILED', 'resource does not decrypt with the APIv3 key')
    }
    let resource: Json
    try {
      resource = JSON.parse(plaintext) as Json
    } catch {
      throw new NotifyRejected('MALFORMED', 'decrypted resource is not JSON')
    }
    if (!resource || typeof resource !== 'object')
      throw new NotifyRejected('MALFORMED', 'resource is not an object')
    const mchid = resource.mchid ?? resource.sp_mchid
    if (mchid !== undefined && mchid !== this.cfg.mchid)
      throw new NotifyRejected('WRONG_MERCHANT', `mchid ${String(mchid)} is not ours`)
    if (resource.appid !== undefined && resource.appid !== this.cfg.appid)
      throw new NotifyRejected('WRONG_MERCHANT', `appid ${String(resource.appid)} is not ours`)
    if (mchid === undefined && (eventType.startsWith('TRANSACTION.') || eventType.startsWith('REFUND.')))
      throw new NotifyRejected('WRONG_MERCHANT', 'resource names no mchid')
    return { id, eventType, envelope, plaintext, resource }
  }

  ack(): Response {
    return new Response(null, { status: 204 })
  }

  nack(message: string, status = 400): Response {
    // The HTTP status is what makes WeChat retry: anything 2xx is taken as success whatever the body says.
    const s = Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500
    return new Response(JSON.stringify({ code: 'FAIL', message }), {
      status: s,
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
    })
  }

  async downloadBill(date: string): Promise<BillRow[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
      throw new ProviderError('wechat', 'PARAM_ERROR', `bill date ${date} is not YYYY-MM-DD`, false)
    let data: Json | undefined
    try {
      ;({ data } = await this.call('GET', `/v3/bill/tradebill?bill_date=${date}&bill_type=ALL`))
    } catch (e) {
      // A day without a single trade has no bill. [UNVERIFIED code name, from community answers]
      if (isVerified(e, ['NO_STATEMENT_EXIST'])) return []
      throw e
    }
    const downloadUrl = str(data?.download_url)?.trim()
    const hashValue = str(data?.hash_value)
    const hashType = str(data?.hash_type) ?? 'SHA1'
    if (!downloadUrl || !hashValue) throw malformed('tradebill response has no download_url or hash_value')
    if (hashType.toUpperCase() !== 'SHA1') throw malformed(`unsupported bill hash_type ${hashType}`)
    // Signed GET; the file itself comes unsigned, its integrity is the SHA1 from the signed response above.
    const res = await this.send('GET', downloadUrl)
    if (res.status < 200 || res.status > 299) throw this.errorFrom(res, false)
    const digest = await sha1Hex(res.bytes)
    if (digest !== hashValue.toLowerCase())
      throw new ProviderError(
        'wechat',
        'BILL_HASH_MISMATCH',
        `bill SHA1 ${digest} != ${hashValue}`,
        true,
        res.status,
      )
    try {
      return parseWeChatTradeBill(res.text).rows
    } catch (e) {
      throw new ProviderError('wechat', 'BILL_FORMAT', (e as Error).message, false, res.status)
    }
  }

  async login(code: string): Promise<PayerIdentity> {
    if (!this.cfg.appSecret)
      throw new ProviderError('wechat', 'CONFIG', 'WECHAT_APP_SECRET is not configured', false)
    if (!code) throw new ProviderError('wechat', '40029', 'empty js_code', false)
    const q = new URLSearchParams({
      appid: this.cfg.appid,
      secret: this.cfg.appSecret,
      js_code: code,
      grant_type: 'authorization_code',
    })
    let res: Response
    try {
      res = await this.doFetch(`${this.oauthBase}/sns/jscode2session?${q}`, {
        headers: { Accept: 'application/json', 'User-Agent': USER_AGENT },
      })
    } catch (e) {
      throw new ProviderError('wechat', 'NETWORK', `code2Session: ${(e as Error).message}`, true)
    }
    const text = await res.text()
    let body: Json | undefined
    try {
      body = JSON.parse(text) as Json
    } catch {
      body = undefined
    }
    const errcode = body && typeof body.errcode === 'number' ? body.errcode : 0
    if (errcode !== 0) {
      // -1 system busy and 45011 rate limit pass with time; 40029 (invalid code), 40226 (risky user),
      // 40163 (code used) never will.
      const retryable = errcode === -1 || errcode === 45011
      throw new ProviderError(
        'wechat',
        String(errcode),
        `code2Session: ${str(body?.errmsg) ?? ''}`,
        retryable,
        res.status,
      )
    }
    if (!res.ok)
      throw new ProviderError(
        'wechat',
        `HTTP_${res.status}`,
        'code2Session failed',
        res.status >= 500,
        res.status,
      )
    const openid = str(body?.openid)
    if (!openid) throw malformed('code2Session returned no openid')
    const unionId = str(body?.unionid)
    return { provider: 'wechat', payerId: openid, ...(unionId ? { unionId } : {}) }
  }

  // ---------------------------------------------------------------- keys

  /**
   * Download the platform certificates now (GET /v3/certificates), decrypt them with the APIv3 key, verify the
   * response with them, and add them to the key map. Returns the serials known afterwards.
   */
  async refreshPlatformCertificates(): Promise<string[]> {
    await this.loadKeys()
    const res = await this.send('GET', '/v3/certificates')
    // refresh: false, here and below: looking up an unknown serial would wait for this very download.
    if (res.status < 200 || res.status > 299) throw await this.checkedError(res, false)
    let data: unknown
    try {
      data = (JSON.parse(res.text) as Json).data
    } catch {
      throw malformed('certificates response is not JSON')
    }
    const fresh = new Map<string, CryptoKey>()
    for (const item of Array.isArray(data) ? data : []) {
      const enc = obj(obj(item)?.encrypt_certificate) as Resource | undefined
      const serial = str(obj(item)?.serial_no)
      if (!enc || !serial || typeof enc.ciphertext !== 'string' || typeof enc.nonce !== 'string') continue
      let pem: string
      try {
        pem = await aesGcmDecrypt(this.cfg.apiV3Key, enc.nonce, enc.associated_data ?? '', enc.ciphertext)
      } catch {
        continue // not encrypted with our APIv3 key: not from WeChat for us
      }
      const cert = parseCertificate(pemToDer(pem))
      if (normSerial(cert.serialHex) !== normSerial(serial)) continue
      fresh.set(normSerial(serial), await importPublicKey(pem))
    }
    // The answer may be signed by one of the certificates it carries (first download, rotation).
    const failure = await this.verifyMessage(res.headers, res.text, this.clock(), {
      refresh: false,
      extra: fresh,
    })
    if (failure)
      throw new WeChatApiError('SIGNATURE', `certificates: ${failure.message}`, false, res.status, false)
    for (const [k, v] of fresh) this.verifiers.set(k, v)
    return [...this.verifiers.keys()]
  }

  private privateKey(): Promise<CryptoKey> {
    this.merchantKey ??= importPrivateKey(this.cfg.merchantPrivateKeyPem)
    return this.merchantKey
  }

  private loadKeys(): Promise<void> {
    this.keysLoaded ??= (async () => {
      if (this.cfg.publicKeyId && this.cfg.publicKeyPem)
        this.verifiers.set(this.cfg.publicKeyId, await importPublicKey(this.cfg.publicKeyPem))
      for (const pem of splitCertificates(this.cfg.platformCertsPem ?? '')) {
        const { serialHex } = parseCertificate(pemToDer(pem))
        this.verifiers.set(normSerial(serialHex), await importPublicKey(pem))
      }
    })()
    return this.keysLoaded
  }

  private async keyFor(serial: string, refresh: boolean, extra?: Map<string, CryptoKey>) {
    await this.loadKeys()
    const id = normSerial(serial)
    const known = this.verifiers.get(id) ?? extra?.get(id)
    if (known || !refresh || id.startsWith('PUB_KEY_ID_')) return known
    await this.refreshCertificatesRateLimited()
    return this.verifiers.get(id)
  }

  private async refreshCertificatesRateLimited(): Promise<void> {
    if (this.certRefresh) return this.certRefresh
    const now = this.clock()
    if (now - this.lastCertRefreshAt < CERT_REFRESH_MIN_INTERVAL_MS) return
    this.lastCertRefreshAt = now
    this.certRefresh = this.refreshPlatformCertificates()
      .then(
        () => undefined,
        () => undefined, // the caller sees UNKNOWN_SERIAL; the next attempt waits for the interval
      )
      .finally(() => {
        this.certRefresh = undefined
      })
    return this.certRefresh
  }

  /** Checks in the order of the official SDK: headers present, timestamp fresh, then the signature. */
  private async verifyMessage(
    headers: Headers,
    body: string,
    nowMs: number,
    opts: { refresh: boolean; extra?: Map<string, CryptoKey> },
  ): Promise<VerifyFailure | null> {
    const names = [
      'Wechatpay-Timestamp',
      'Wechatpay-Nonce',
      'Wechatpay-Signature',
      'Wechatpay-Serial',
    ] as const
    const [ts, nonce, signature, serial] = names.map((n) => headers.get(n)?.trim() ?? '')
    const missing = names.filter((_, i) => ![ts, nonce, signature, serial][i])
    if (missing.length) return { reason: 'MISSING_HEADERS', message: `missing ${missing.join(', ')}` }
    // WeChat's signature probes: deliberately wrong signatures to check that we verify. Refuse them.
    if (signature!.startsWith(SIGNTEST_PREFIX)) return { reason: 'BAD_SIGNATURE', message: 'signature probe' }
    if (!/^\d{1,12}$/.test(ts!))
      return { reason: 'MALFORMED', message: `timestamp ${ts} is not unix seconds` }
    if (Math.abs(Number(ts) - Math.floor(nowMs / 1000)) >= MAX_CLOCK_SKEW_S)
      return { reason: 'STALE_TIMESTAMP', message: `timestamp ${ts} is more than 5 minutes from now` }
    const key = await this.keyFor(serial!, opts.refresh, opts.extra)
    if (!key) return { reason: 'UNKNOWN_SERIAL', message: `no key for serial ${serial}` }
    if (!(await rsaVerify(key, `${ts}\n${nonce}\n${body}\n`, signature!)))
      return { reason: 'BAD_SIGNATURE', message: 'signature does not verify' }
    return null
  }

  // ---------------------------------------------------------------- HTTP

  /** Signed request, verified response, WeChat errors as WeChatApiError; JSON body (undefined for 204). */
  private async call(
    method: 'GET' | 'POST',
    target: string,
    body?: unknown,
  ): Promise<{ status: number; data?: Json }> {
    const res = await this.send(method, target, body)
    if (res.status < 200 || res.status > 299) throw await this.checkedError(res, true)
    const failure = await this.verifyMessage(res.headers, res.text, this.clock(), { refresh: true })
    if (failure)
      throw new WeChatApiError(
        'SIGNATURE',
        `response to ${method} ${pathOf(target)}: ${failure.message}`,
        false,
        res.status,
        false,
      )
    if (res.text === '') return { status: res.status }
    try {
      return { status: res.status, data: JSON.parse(res.text) as Json }
    } catch {
      throw malformed(`response to ${method} ${pathOf(target)} is not JSON`)
    }
  }

  /**
   * One signed request. `target` is a path (+query) under apiBase, or an absolute URL (the bill download).
   * The canonical URL signed is exactly the path and query the URL parser will send.
   */
  private async send(method: 'GET' | 'POST', target: string, body?: unknown): Promise<RawResponse> {
    const url = /^https?:\/\//i.test(target) ? new URL(target) : new URL(this.apiBase + target)
    const bodyText = body === undefined ? '' : JSON.stringify(body)
    const timestamp = String(Math.floor(this.clock() / 1000))
    const nonce = randomNonce(32)
    const message = `${method}\n${url.pathname}${url.search}\n${timestamp}\n${nonce}\n${bodyText}\n`
    const signature = await rsaSign(await this.privateKey(), message)
    const headers: Record<string, string> = {
      Authorization:
        `WECHATPAY2-SHA256-RSA2048 mchid="${this.cfg.mchid}",nonce_str="${nonce}",` +
        `signature="${signature}",timestamp="${timestamp}",serial_no="${this.cfg.merchantSerial}"`,
      Accept: 'application/json',
      'User-Agent': USER_AGENT,
    }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    // Public-key mode: tells WeChat to sign its answer with the public key's pair.
    if (this.cfg.publicKeyId) headers['Wechatpay-Serial'] = this.cfg.publicKeyId
    let res: Response
    try {
      res = await this.doFetch(url.href, {
        method,
        headers,
        ...(body !== undefined ? { body: bodyText } : {}),
      })
    } catch (e) {
      throw new WeChatApiError(
        'NETWORK',
        `${method} ${url.pathname}: ${(e as Error).message}`,
        true,
        undefined,
        false,
      )
    }
    const bytes = new Uint8Array(await res.arrayBuffer())
    return { status: res.status, headers: res.headers, bytes, text: td.decode(bytes) }
  }

  /** An error response: verified when it carries WeChat's signature headers, which must then verify. */
  private async checkedError(res: RawResponse, refresh: boolean): Promise<WeChatApiError> {
    const signed = res.headers.has('Wechatpay-Signature')
    if (!signed) return this.errorFrom(res, false)
    const failure = await this.verifyMessage(res.headers, res.text, this.clock(), { refresh })
    if (failure)
      return new WeChatApiError('SIGNATURE', `error response: ${failure.message}`, false, res.status, false)
    return this.errorFrom(res, true)
  }

  private errorFrom(res: RawResponse, verified: boolean): WeChatApiError {
    let code = `HTTP_${res.status}`
    let message = res.text.slice(0, 200)
    try {
      const b = JSON.parse(res.text) as Json
      if (typeof b.code === 'string') code = b.code
      if (typeof b.message === 'string') message = b.message
    } catch {
      // not JSON (a proxy's error page): keep the status as the code
    }
    const retryable = res.status >= 500 || res.status === 429 || RETRYABLE_CODES.has(code)
    return new WeChatApiError(code, message, retryable, res.status, verified)
  }
}

// ---------------------------------------------------------------- mapping

const TRADE_STATES: Record<string, TradeState> = {
  SUCCESS: 'SUCCESS',
  REFUND: 'SUCCESS',
  NOTPAY: 'PENDING',
  USERPAYING: 'PENDING',
  CLOSED: 'CLOSED',
  REVOKED: 'CLOSED',
  PAYERROR: 'CLOSED',
}

/** A transaction object (query response or decrypted TRANSACTION.* resource) -> Trade. */
function toTrade(t: Json): Trade {
  const providerState = str(t.trade_state) ?? ''
  const state = TRADE_STATES[providerState]
  if (!state) throw malformed(`unknown trade_state ${providerState}`)
  const amount = obj(t.amount)
  const total = amount?.total
  const paidAt = str(t.success_time) ? Date.parse(str(t.success_time)!) : Number.NaN
  const payer = str(obj(t.payer)?.openid)
  const transactionId = str(t.transaction_id)
  const currency = str(amount?.currency)
  return {
    provider: 'wechat',
    state,
    providerState,
    outTradeNo: str(t.out_trade_no) ?? '',
    ...(transactionId ? { transactionId } : {}),
    ...(typeof total === 'number' ? { amountFen: total } : {}),
    ...(currency ? { currency } : {}),
    ...(Number.isFinite(paidAt) ? { paidAt } : {}),
    ...(payer ? { payerId: payer } : {}),
    ...(typeof t.attach === 'string' ? { attach: t.attach } : {}),
  }
}

const REFUND_STATES: Record<string, RefundState> = {
  SUCCESS: 'SUCCESS',
  PROCESSING: 'PROCESSING',
  CLOSED: 'CLOSED',
  ABNORMAL: 'ABNORMAL',
}

/** A refund object (refund API `status`, or refund notify `refund_status`) -> Refund. */
function toRefund(r: Json, fallback: { outTradeNo?: string; outRefundNo?: string }): Refund {
  const providerState = str(r.status) ?? str(r.refund_status) ?? ''
  const state = REFUND_STATES[providerState]
  if (!state) throw malformed(`unknown refund status ${providerState}`)
  const refundFen = obj(r.amount)?.refund
  const successAt = str(r.success_time) ? Date.parse(str(r.success_time)!) : Number.NaN
  const refundId = str(r.refund_id)
  return {
    provider: 'wechat',
    state,
    providerState,
    outTradeNo: str(r.out_trade_no) ?? fallback.outTradeNo ?? '',
    outRefundNo: str(r.out_refund_no) ?? fallback.outRefundNo ?? '',
    ...(refundId ? { refundId } : {}),
    ...(typeof refundFen === 'number' ? { refundFen } : {}),
    ...(Number.isFinite(successAt) ? { successAt } : {}),
  }
}

// ---------------------------------------------------------------- helpers

/** Epoch ms -> RFC 3339 in China time, second precision: "2024-05-20T13:29:35+08:00". */
export function toChinaRfc3339(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000 + 8 * 3600_000)
  return `${d.toISOString().slice(0, 19)}+08:00`
}

/** At most `maxBytes` of UTF-8, cut before a character that would not fit (never inside one). */
export function truncateUtf8(text: string, maxBytes: number): string {
  let out = ''
  let used = 0
  for (const ch of text) {
    const n = utf8(ch).length
    if (used + n > maxBytes) break
    out += ch
    used += n
  }
  return out
}

function splitCertificates(pems: string): string[] {
  return pems.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
}

/** PUB_KEY_ID_... as is; certificate serials upper-case hex without leading zeros (Go's %X drops them). */
function normSerial(serial: string): string {
  const s = serial.trim()
  if (s.startsWith('PUB_KEY_ID_')) return s
  return s.toUpperCase().replace(/^0+(?=.)/, '')
}

function isVerified(e: unknown, codes: string[]): e is WeChatApiError {
  return e instanceof WeChatApiError && e.verified && codes.includes(e.code)
}

function malformed(message: string): ProviderError {
  return new ProviderError('wechat', 'MALFORMED_RESPONSE', message, false)
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

function obj(v: unknown): Json | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined
}

function trimSlash(s: string): string {
  return s.replace(/\/+$/, '')
}

function pathOf(target: string): string {
  return target.replace(/^https?:\/\/[^/]+/i, '').split('?')[0] ?? target
}
