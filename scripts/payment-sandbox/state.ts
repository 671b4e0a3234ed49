// The sandbox's in-memory records and the small helpers every protocol file shares: China-time formats,
// yuan strings, and ids shaped like the real ones (so a client's validation of them is exercised too).

export type SandboxProvider = 'wechat' | 'alipay'
export type SandboxChannel = 'jsapi' | 'h5' | 'mini' | 'wap'

/** Provider-neutral life of a trade; each protocol derives its own state word from it (see below). */
export type TradeStatus = 'PENDING' | 'PAID' | 'CLOSED'

export interface SandboxTrade {
  provider: SandboxProvider
  channel: SandboxChannel
  outTradeNo: string
  /** WeChat transaction_id (assigned when paid) / Alipay trade_no (assigned when the trade exists). */
  transactionId?: string
  /** What the merchant asked for. */
  orderFen: number
  /** What the trade reports: orderFen, or the wrong_amount fault's amount once paid. */
  amountFen: number
  description: string
  /** WeChat attach / Alipay passback_params, echoed untouched. */
  attach?: string
  /** Alipay body (订单附加信息). */
  body?: string
  notifyUrl?: string
  /** Alipay return_url / quit_url (the WeChat redirect_url travels on the cashier URL instead). */
  returnUrl?: string
  quitUrl?: string
  /** WeChat openid / Alipay buyer_open_id. */
  payerId?: string
  /** Alipay buyer_user_id (2088...). */
  buyerUserId?: string
  clientIp?: string
  status: TradeStatus
  createdAt: number
  expiresAt?: number
  paidAt?: number
  closedAt?: number
  refundedFen: number
  /** WeChat prepay ids handed out for this trade (a repeated create returns a fresh one). */
  prepayIds: string[]
  /** The creation parameters that must match when the merchant creates the same out_trade_no again. */
  fingerprint: string
}

export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'ABNORMAL'

export interface SandboxRefund {
  provider: SandboxProvider
  outTradeNo: string
  transactionId: string
  /** WeChat out_refund_no / Alipay out_request_no. */
  outRefundNo: string
  refundId: string
  refundFen: number
  totalFen: number
  reason?: string
  notifyUrl?: string
  status: RefundStatus
  createdAt: number
  successAt?: number
}

export const tradeKey = (provider: SandboxProvider, outTradeNo: string): string => `${provider}:${outTradeNo}`
/** WeChat out_refund_no is unique per merchant; Alipay out_request_no only within its trade. */
export const refundKey = (provider: SandboxProvider, outTradeNo: string, outRefundNo: string): string =>
  provider === 'wechat' ? `wechat:${outRefundNo}` : `alipay:${outTradeNo}:${outRefundNo}`

/** WeChat trade_state: NOTPAY, SUCCESS, REFUND (any refund made), CLOSED. */
export function wechatTradeState(t: SandboxTrade): 'NOTPAY' | 'SUCCESS' | 'REFUND' | 'CLOSED' {
  if (t.status === 'PAID') return t.refundedFen > 0 ? 'REFUND' : 'SUCCESS'
  return t.status === 'CLOSED' ? 'CLOSED' : 'NOTPAY'
}

export const WECHAT_STATE_DESC: Record<string, string> = {
  NOTPAY: '未支付',
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  CLOSED: '已关闭',
}

/**
 * Alipay trade_status: WAIT_BUYER_PAY, TRADE_SUCCESS (through partial refunds), TRADE_CLOSED (closed, timed
 * out unpaid, or fully refunded). Alipay closes an unpaid trade by itself at its deadline.
 */
export function alipayTradeStatus(
  t: SandboxTrade,
  now: number,
): 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED' {
  if (t.status === 'PAID') return t.refundedFen >= t.amountFen ? 'TRADE_CLOSED' : 'TRADE_SUCCESS'
  if (t.status === 'CLOSED') return 'TRADE_CLOSED'
  return t.expiresAt !== undefined && now > t.expiresAt ? 'TRADE_CLOSED' : 'WAIT_BUYER_PAY'
}

// ---------- time (China time, UTC+8 all year) ----------

const CN_OFFSET_MS = 8 * 3600_000
const p2 = (n: number) => String(n).padStart(2, '0')

function cnParts(ms: number) {
  const d = new Date(ms + CN_OFFSET_MS)
  return {
    y: String(d.getUTCFullYear()),
    mo: p2(d.getUTCMonth() + 1),
    d: p2(d.getUTCDate()),
    h: p2(d.getUTCHours()),
    mi: p2(d.getUTCMinutes()),
    s: p2(d.getUTCSeconds()),
  }
}

/** RFC 3339 with +08:00, as WeChat writes success_time and create_time. */
export function rfc3339Cn(ms: number): string {
  const t = cnParts(ms)
  return `${t.y}-${t.mo}-${t.d}T${t.h}:${t.mi}:${t.s}+08:00`
}

/** "yyyy-MM-dd HH:mm:ss" China time: Alipay's timestamps, and both bills' time columns. */
export function cnDateTime(ms: number): string {
  const t = cnParts(ms)
  return `${t.y}-${t.mo}-${t.d} ${t.h}:${t.mi}:${t.s}`
}

/** "yyyy-MM-dd" China date. */
export const cnDate = (ms: number): string => cnDateTime(ms).slice(0, 10)

/** "yyyyMMdd" China date. */
export const cnDateCompact = (ms: number): string => cnDate(ms).replaceAll('-', '')

/** "yyyy年MM月dd日 HH:mm:ss", as Alipay's bill headers write dates. */
export function cnDateTimeZh(ms: number): string {
  const t = cnParts(ms)
  return `${t.y}年${t.mo}月${t.d}日 ${t.h}:${t.mi}:${t.s}`
}

/** "yyyy-MM-dd HH:mm[:ss]" in China time -> epoch ms. */
export function parseCnDateTime(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim())
  if (!m) return undefined
  const [, y, mo, d, h, mi, s] = m
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)) - CN_OFFSET_MS
}

/** Start of a China-time day "yyyy-MM-dd" as epoch ms, or undefined when malformed. */
export function cnDayStart(date: string): number | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? parseCnDateTime(`${date} 00:00:00`) : undefined
}

// ---------- money ----------

/** 1234 -> "12.34"; -5 -> "-0.05". */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : ''
  const a = Math.abs(Math.round(fen))
  return `${sign}${Math.floor(a / 100)}.${p2(a % 100)}`
}

/** "12.34" / "12.3" / "12" -> 1234; anything else (or more than 2 decimals) -> undefined. */
export function parseYuanStrict(text: unknown): number | undefined {
  if (typeof text !== 'string' && typeof text !== 'number') return undefined
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(String(text).trim())
  if (!m) return undefined
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
}

// ---------- ids ----------

export function randomDigits(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n))
  let s = ''
  for (const b of bytes) s += String(b % 10)
  return s
}

export function randomHex(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(n / 2)))
  return [...bytes]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, n)
}

/** WeChat transaction_id: 28 digits, "4200" + channel digits + the date + a sequence. */
export const wechatTransactionId = (now: number): string =>
  `42000${randomDigits(3)}${cnDateCompact(now)}${randomDigits(12)}`
/** WeChat refund_id: 29 digits starting 50. */
export const wechatRefundId = (now: number): string =>
  `5030${randomDigits(3)}${cnDateCompact(now)}${randomDigits(14)}`
/** WeChat prepay_id: "wx" + yyyyMMddHHmmss + 20 hex + "0000" (36 characters). */
export function wechatPrepayId(now: number): string {
  const t = cnDateTime(now).replace(/\D/g, '')
  return `wx${t}${randomHex(16)}0000`
}
/** Alipay trade_no: 28 digits, the date first (2026...). */
export const alipayTradeNo = (now: number): string => `${cnDateCompact(now)}22001${randomDigits(15)}`
/** Alipay notify_id: 35 hex-ish characters. */
export const alipayNotifyId = (): string => `${randomHex(32)}${randomDigits(3)}`

/** A short stable hash (FNV-1a 64 as hex) for deterministic ids derived from login codes. */
export function stableHash(text: string, seed = 0xcbf29ce484222325n): bigint {
  let h = seed
  for (const b of new TextEncoder().encode(text)) {
    h ^= BigInt(b)
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return h
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const ALNUM = BASE64URL.slice(0, 62)

/** `length` characters of [A-Za-z0-9-_] (or [A-Za-z0-9] with alnum) derived deterministically from `text`. */
export function stableId(text: string, length: number, alnum = false): string {
  const alphabet = alnum ? ALNUM : BASE64URL
  let out = ''
  for (let round = 0; out.length < length; round++) {
    let h = stableHash(`${round}:${text}`)
    for (let i = 0; i < 8 && out.length < length; i++) {
      out += alphabet[Number(h % BigInt(alphabet.length))]
      h /= BigInt(alphabet.length)
    }
  }
  return out
}

/** `length` decimal digits derived deterministically from `text`. */
export function stableDigits(text: string, length: number): string {
  let out = ''
  for (let round = 0; out.length < length; round++)
    out += stableHash(`${round}:${text}`).toString().slice(-12)
  return out.slice(0, length)
}
