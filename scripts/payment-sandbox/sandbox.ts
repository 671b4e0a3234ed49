// The payment sandbox: one web-standard `fetch(Request)` that answers as WeChat Pay v3 (and code2Session),
// as Alipay's gateway, as both cashiers, and as a control API under /__sandbox for tests. State lives in
// memory; reset() forgets it. server.ts puts it behind node:http.

import { importPrivateKey, importPublicKey } from '../../workers/payments/crypto'
import { alipayPaymentNotify, alipayReturnUrl, handleBillDownload, handleGateway } from './alipay'
import { cashierPage, resultPage } from './cashier'
import { type Fault, FaultBook, FaultError, type FaultSpec } from './faults'
import type { SandboxConfig, SandboxKeys } from './keys'
import { type DeliveryLogEntry, type NotificationRecord, Notifier, type NotifyJob } from './notifier'
import {
  alipayTradeStatus,
  refundKey,
  rfc3339Cn,
  type SandboxProvider,
  type SandboxRefund,
  type SandboxTrade,
  stableDigits,
  tradeKey,
  wechatTradeState,
  wechatTransactionId,
} from './state'
import {
  handleWechat,
  jscode2session,
  wechatOpenidForCode,
  wechatPaymentNotify,
  wechatRefundNotify,
} from './wechat'

export interface PaymentSandboxOptions {
  keys: SandboxKeys
  /** Where the sandbox is reachable (h5_url, bill download URLs): http://127.0.0.1:8790. */
  base: string
  /** Multiplies every provider delay: notify retries, refund completion, deadline floors. Default 1. */
  timeScale?: number
  /** How notifies are sent (default: global fetch). */
  fetch?: typeof fetch
  /** The sandbox's clock (default Date.now). */
  now?: () => number
  /** How long a WeChat refund stays PROCESSING before it ends, in ms before scaling (default 3000). */
  refundDelayMs?: number
}

export interface PayInput {
  provider: SandboxProvider
  outTradeNo: string
  /** The payer's openid / buyer_open_id; defaults to the one given at creation or a derived one. */
  payerId?: string
  /** Pay even a closed or expired trade: a diner who paid between the merchant's last query and its close. */
  force?: boolean
}

/** A refusal of the control API or the cashier, with the provider-style code. */
export class SandboxError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'SandboxError'
  }
}

export interface StoredBill {
  bytes: Uint8Array
  contentType: string
  fileName?: string
  expiresAt: number
}

interface CryptoKeys {
  merchantPublic: CryptoKey
  platformPrivate: CryptoKey
  appPublic: CryptoKey
  alipayPrivate: CryptoKey
}

/** A trade as the control API shows it: the record plus the provider's own state word. */
export type TradeView = SandboxTrade & { providerState: string }

export class PaymentSandbox {
  readonly keys: SandboxKeys
  readonly config: SandboxConfig
  base: string
  readonly faults = new FaultBook()
  readonly notifier: Notifier
  private scale: number
  private readonly clock: () => number
  private readonly refundDelayMs: number
  private readonly tradeMap = new Map<string, SandboxTrade>()
  private readonly refundMap = new Map<string, SandboxRefund>()
  private readonly prepayMap = new Map<string, string>()
  private readonly txnMap = new Map<string, string>()
  private readonly bills = new Map<string, StoredBill>()
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private keyPromise?: Promise<CryptoKeys>

  constructor(opts: PaymentSandboxOptions) {
    this.keys = opts.keys
    this.config = opts.keys.config
    this.base = opts.base.replace(/\/+$/, '')
    this.scale = opts.timeScale ?? 1
    this.clock = opts.now ?? Date.now
    this.refundDelayMs = opts.refundDelayMs ?? 3000
    const send = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init))
    this.notifier = new Notifier({ fetch: send, timeScale: () => this.scale, now: () => this.now() })
  }

  // ---------- clock and keys (used by the protocol files) ----------

  now(): number {
    return this.clock()
  }

  get timeScale(): number {
    return this.scale
  }

  setTimeScale(timeScale: number): void {
    if (!Number.isFinite(timeScale) || timeScale <= 0)
      throw new SandboxError('PARAM_ERROR', 400, 'timeScale > 0')
    this.scale = timeScale
  }

  /** Both providers raise a deadline closer than 1 minute to 1 minute; scaled like every provider delay. */
  expiryFloorMs(): number {
    return 60_000 * this.scale
  }

  rfc3339(ms: number): string {
    return rfc3339Cn(ms)
  }

  cryptoKeys(): Promise<CryptoKeys> {
    this.keyPromise ??= (async () => ({
      merchantPublic: await importPublicKey(this.config.wechat.mchPublicKeyPem),
      platformPrivate: await importPrivateKey(this.config.wechat.platformPrivateKeyPem),
      appPublic: await importPublicKey(this.config.alipay.appPublicKeyPem),
      alipayPrivate: await importPrivateKey(this.config.alipay.alipayPrivateKeyPem),
    }))()
    return this.keyPromise
  }

  // ---------- records ----------

  getTrade(provider: SandboxProvider, outTradeNo: string): SandboxTrade | undefined {
    return this.tradeMap.get(tradeKey(provider, outTradeNo))
  }

  tradeByTransactionId(provider: SandboxProvider, transactionId: string): SandboxTrade | undefined {
    const key = this.txnMap.get(`${provider}:${transactionId}`)
    return key ? this.tradeMap.get(key) : undefined
  }

  tradeByPrepayId(prepayId: string): SandboxTrade | undefined {
    const key = this.prepayMap.get(prepayId)
    return key ? this.tradeMap.get(key) : undefined
  }

  putTrade(t: SandboxTrade): void {
    this.tradeMap.set(tradeKey(t.provider, t.outTradeNo), t)
    if (t.transactionId)
      this.txnMap.set(`${t.provider}:${t.transactionId}`, tradeKey(t.provider, t.outTradeNo))
  }

  addPrepay(t: SandboxTrade, prepayId: string): void {
    t.prepayIds.push(prepayId)
    this.prepayMap.set(prepayId, tradeKey(t.provider, t.outTradeNo))
  }

  getRefund(provider: SandboxProvider, outTradeNo: string, outRefundNo: string): SandboxRefund | undefined {
    return this.refundMap.get(refundKey(provider, outTradeNo, outRefundNo))
  }

  putRefund(r: SandboxRefund): void {
    this.refundMap.set(refundKey(r.provider, r.outTradeNo, r.outRefundNo), r)
  }

  storeBill(token: string, bill: StoredBill): void {
    this.bills.set(token, bill)
  }

  takeBill(token: string): StoredBill | undefined {
    const bill = this.bills.get(token)
    if (!bill || this.now() > bill.expiresAt) return undefined
    return bill
  }

  trades(): SandboxTrade[] {
    return [...this.tradeMap.values()]
  }

  refunds(): SandboxRefund[] {
    return [...this.refundMap.values()]
  }

  tradeViews(): TradeView[] {
    return this.trades().map((t) => ({
      ...t,
      providerState: t.provider === 'wechat' ? wechatTradeState(t) : alipayTradeStatus(t, this.now()),
    }))
  }

  /** The delivery log: one entry per HTTP attempt (copies of a duplicated delivery each count). */
  notifies(): DeliveryLogEntry[] {
    return [...this.notifier.log]
  }

  /** One record per notify: its faults and where it stands (scheduled, held, acked, dropped, gave_up...). */
  notifications(): NotificationRecord[] {
    return this.notifier.records.map((r) => ({ ...r }))
  }

  addFault(spec: FaultSpec): Fault {
    return this.faults.add(spec)
  }

  /** Forget every trade, refund, fault, notify and timer. Keys and time scale stay. */
  reset(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.tradeMap.clear()
    this.refundMap.clear()
    this.prepayMap.clear()
    this.txnMap.clear()
    this.bills.clear()
    this.faults.clear()
    this.notifier.clear()
  }

  /** Stop every timer (server shutdown); state stays readable. */
  stop(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.notifier.stop()
  }

  /** Resolves once no delivery is scheduled or in flight (or after timeoutMs). For tests. */
  async settled(timeoutMs = 5000): Promise<boolean> {
    const until = Date.now() + timeoutMs
    while (Date.now() < until) {
      if (this.notifier.pending === 0 && this.timers.size === 0) return true
      await new Promise((r) => setTimeout(r, 5))
    }
    return false
  }

  // ---------- paying ----------

  /** A diner pays (the cashier's 确认支付, or POST /__sandbox/pay). */
  async pay(input: PayInput): Promise<SandboxTrade> {
    const t = this.getTrade(input.provider, input.outTradeNo)
    if (!t) throw new SandboxError('ORDER_NOT_EXIST', 404, `no ${input.provider} trade ${input.outTradeNo}`)
    return this.settle(t, input)
  }

  private settle(t: SandboxTrade, input: { payerId?: string; force?: boolean }): SandboxTrade {
    const now = this.now()
    if (t.status === 'PAID') throw new SandboxError('ORDERPAID', 409, '订单已支付')
    const expired = t.expiresAt !== undefined && now > t.expiresAt
    if (!input.force && (t.status === 'CLOSED' || expired))
      throw new SandboxError('ORDER_CLOSED', 409, t.status === 'CLOSED' ? '订单已关闭' : '订单已过期')
    const [wrong] = this.faults.take(t.provider, 'payment', t.outTradeNo, ['wrong_amount'])
    if (wrong?.amountFen) t.amountFen = wrong.amountFen
    t.status = 'PAID'
    t.paidAt = now
    if (t.provider === 'wechat') {
      t.transactionId = wechatTransactionId(now)
      t.payerId =
        input.payerId ??
        t.payerId ??
        wechatOpenidForCode(this.config.wechat.appid, `h5-payer:${t.outTradeNo}`)
    } else {
      if (input.payerId) t.payerId = input.payerId
      t.buyerUserId ??= `2088${stableDigits(`buyer:${t.payerId ?? t.outTradeNo}`, 12)}`
    }
    this.putTrade(t)
    this.send(
      t.provider === 'wechat' ? wechatPaymentNotify(this, t) : alipayPaymentNotify(this, t),
      t,
      'payment',
    )
    return t
  }

  private send(job: NotifyJob | undefined, t: SandboxTrade, target: 'payment' | 'refund'): void {
    if (!job) return
    this.notifier.enqueue(job, this.faults.takeDelivery(t.provider, target, t.outTradeNo))
  }

  /** A WeChat refund is PROCESSING for a moment, then SUCCESS (or ABNORMAL), then its notify goes out. */
  completeRefundLater(r: SandboxRefund, abnormal: boolean): void {
    const t = setTimeout(() => {
      this.timers.delete(t)
      r.status = abnormal ? 'ABNORMAL' : 'SUCCESS'
      if (!abnormal) r.successAt = this.now()
      const trade = this.getTrade(r.provider, r.outTradeNo)
      if (trade) this.send(wechatRefundNotify(this, r), trade, 'refund')
    }, this.refundDelayMs * this.scale)
    this.timers.add(t)
  }

  // ---------- HTTP ----------

  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url)
    const path = url.pathname
    try {
      if (path.startsWith('/__sandbox/')) return await this.control(req, url)
      if (path === '/sns/jscode2session') return jscode2session(this, url)
      if (path.startsWith('/v3/')) return await handleWechat(this, req, url)
      if (path === '/gateway.do') return await handleGateway(this, req, url)
      if (path === '/downloadBillFile.resource') return handleBillDownload(this, url)
      if (path.startsWith('/cashier/')) return await this.cashier(req, url)
      if (path === '/' || path === '')
        return new Response(
          'edge-canteen payment sandbox: WeChat Pay v3 + Alipay gateway. See docs/PAYMENT-SANDBOX.md\n',
          {
            headers: { 'Content-Type': 'text/plain; charset=utf-8' },
          },
        )
      return json({ error: { code: 'NOT_FOUND', message: `${req.method} ${path}` } }, 404)
    } catch (err) {
      if (err instanceof SandboxError)
        return json({ error: { code: err.code, message: err.message } }, err.status)
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err)
      return json({ error: { code: 'SANDBOX_FAILURE', message } }, 500)
    }
  }

  private async control(req: Request, url: URL): Promise<Response> {
    const route = `${req.method} ${url.pathname}`
    const body = async (): Promise<Record<string, unknown>> => {
      try {
        const v = await req.json()
        return v && typeof v === 'object' ? (v as Record<string, unknown>) : {}
      } catch {
        throw new SandboxError('PARAM_ERROR', 400, 'body must be a JSON object')
      }
    }
    switch (route) {
      case 'POST /__sandbox/pay': {
        const b = await body()
        if (b.provider !== 'wechat' && b.provider !== 'alipay')
          throw new SandboxError('PARAM_ERROR', 400, 'provider: wechat or alipay')
        if (typeof b.outTradeNo !== 'string') throw new SandboxError('PARAM_ERROR', 400, 'outTradeNo: string')
        const trade = await this.pay({
          provider: b.provider,
          outTradeNo: b.outTradeNo,
          ...(typeof b.payerId === 'string' ? { payerId: b.payerId } : {}),
          force: b.force === true,
        })
        return json({ trade: this.view(trade) })
      }
      case 'POST /__sandbox/faults': {
        try {
          return json({ fault: this.addFault((await body()) as unknown as FaultSpec) })
        } catch (err) {
          if (err instanceof FaultError) throw new SandboxError('PARAM_ERROR', 400, err.message)
          throw err
        }
      }
      case 'GET /__sandbox/faults':
        return json({ faults: this.faults.list() })
      case 'GET /__sandbox/trades':
        return json({ trades: this.tradeViews() })
      case 'GET /__sandbox/refunds':
        return json({ refunds: this.refunds() })
      case 'GET /__sandbox/notifies':
        return json({ notifies: this.notifies(), notifications: this.notifications() })
      case 'POST /__sandbox/time': {
        const b = await body()
        this.setTimeScale(Number(b.timeScale))
        return json({ timeScale: this.scale })
      }
      case 'GET /__sandbox/time':
        return json({ timeScale: this.scale })
      case 'POST /__sandbox/reset':
        this.reset()
        return json({ ok: true })
      case 'GET /__sandbox/env':
        return json({ env: this.keys.env })
      default:
        throw new SandboxError('NOT_FOUND', 404, `no control route ${route}`)
    }
  }

  private view(t: SandboxTrade): TradeView {
    return {
      ...t,
      providerState: t.provider === 'wechat' ? wechatTradeState(t) : alipayTradeStatus(t, this.now()),
    }
  }

  /**
   * GET /cashier/{wechat|alipay}/{ref} shows the trade; POST .../pay pays and sends the browser back;
   * POST .../cancel sends it back unpaid. WeChat's ref is the prepay id (the merchant may append
   * `&redirect_url=...` to h5_url as WeChat's docs say, or `?redirect_url=...`); Alipay's is the trade_no.
   */
  private async cashier(req: Request, url: URL): Promise<Response> {
    const m = /^\/cashier\/(wechat|alipay)\/([^/]+)(?:\/(pay|cancel))?$/.exec(url.pathname)
    if (!m) return html(resultPage('收银台', '页面不存在'), 404)
    const provider = m[1] as SandboxProvider
    const action = m[3]
    let ref = decodeURIComponent(m[2] as string)
    let redirectUrl = url.searchParams.get('redirect_url') ?? undefined
    const amp = ref.indexOf('&')
    if (amp >= 0) {
      redirectUrl ??= new URLSearchParams(ref.slice(amp + 1)).get('redirect_url') ?? undefined
      ref = ref.slice(0, amp)
    }
    if (req.method === 'POST') {
      const form = new URLSearchParams(await req.text())
      redirectUrl = form.get('redirect_url') ?? redirectUrl
    }
    const trade = provider === 'wechat' ? this.tradeByPrepayId(ref) : this.tradeByTransactionId('alipay', ref)
    if (!trade) return html(resultPage(provider === 'wechat' ? '微信支付' : '支付宝', '订单不存在'), 404)
    const page = (note?: string, status = 200) =>
      html(
        cashierPage({
          provider,
          trade,
          ref,
          now: this.now(),
          ...(redirectUrl ? { redirectUrl } : {}),
          ...(note ? { note } : {}),
        }),
        status,
      )
    if (req.method === 'GET' && !action) return page()
    if (req.method !== 'POST' || !action) return html(resultPage('收银台', '不支持的请求'), 405)
    if (action === 'pay') {
      try {
        this.settle(trade, {})
      } catch (err) {
        if (err instanceof SandboxError) return page(err.message, 409)
        throw err
      }
    }
    const back =
      provider === 'wechat'
        ? redirectUrl
        : action === 'pay'
          ? await alipayReturnUrl(this, trade)
          : (trade.quitUrl ?? trade.returnUrl)
    if (back) return new Response(null, { status: 303, headers: { Location: back } })
    return html(
      resultPage(provider === 'wechat' ? '微信支付' : '支付宝', action === 'pay' ? '支付成功' : '已取消支付'),
    )
  }
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
  })
}

function html(body: string, status = 200): Response {
  return new Response(body, { status, headers: { 'Content-Type': 'text/html; charset=utf-8' } })
}
