// What the store needs from a payment provider, whatever its protocol. WeChat Pay v3 (wechat.ts) and
// Alipay (alipay.ts) implement it on Web Crypto and fetch only; the sandbox (scripts/payment-sandbox/)
// speaks both protocols for development and tests. Amounts are integer fen, times epoch ms.

import type { BillRow, ProviderName } from '../../core/payment-types'

export { type BillRow, PROVIDERS, type ProviderName } from '../../core/payment-types'

/**
 * How the diner pays:
 * - wechat `jsapi`: inside WeChat (mini-program or official-account page), needs the payer's openid;
 * - wechat `h5`: a mobile browser outside WeChat, redirected to WeChat's cashier (h5_url);
 * - alipay `mini`: Alipay mini-program (alipay.trade.create + my.tradePay), needs the buyer's open id;
 * - alipay `wap`: a mobile browser, redirected to Alipay's wap cashier (alipay.trade.wap.pay).
 */
export const PAY_CHANNELS = { wechat: ['jsapi', 'h5'], alipay: ['mini', 'wap'] } as const
export type PayChannel = 'jsapi' | 'h5' | 'mini' | 'wap'

export interface CreatePaymentInput {
  /** Our order id (or table checkout id): a valid out_trade_no, ≤ 32 chars of [0-9A-Za-z_]. */
  outTradeNo: string
  amountFen: number
  /** What the diner sees on the cashier and the bill, ≤ 127 characters. */
  description: string
  /** The provider must refuse payment after this (WeChat time_expire, Alipay time_expire). */
  expiresAt: number
  /** Returned untouched in notifies and queries: the store id, so a notify finds its StoreDO. */
  attach: string
  channel: PayChannel
  /** openid (WeChat jsapi) or buyer_open_id (Alipay mini); required for those channels. */
  payerId?: string
  clientIp?: string
  /** Where the cashier sends the diner back to (H5 / wap). */
  returnUrl?: string
}

/** What the client needs to open the provider's cashier. */
export type ClientPayParams =
  /** wx.requestPayment / WeixinJSBridge getBrandWCPayRequest, signed with the merchant key. */
  | {
      kind: 'wechat_jsapi'
      appId: string
      timeStamp: string
      nonceStr: string
      package: string
      signType: 'RSA'
      paySign: string
    }
  /** Send the browser here: WeChat h5_url, or Alipay's wap gateway URL with the signed request. */
  | { kind: 'redirect'; url: string }
  /** my.tradePay({ tradeNO }) in an Alipay mini-program. */
  | { kind: 'alipay_trade'; tradeNo: string }

/**
 * A trade as the provider reports it, normalised:
 * PENDING (WeChat NOTPAY/USERPAYING, Alipay WAIT_BUYER_PAY), SUCCESS (WeChat SUCCESS/REFUND, Alipay
 * TRADE_SUCCESS/TRADE_FINISHED), CLOSED (WeChat CLOSED/REVOKED/PAYERROR, Alipay TRADE_CLOSED without a
 * payment), NOT_FOUND (Alipay creates the trade only when the cashier opens; WeChat ORDER_NOT_EXIST).
 */
export type TradeState = 'PENDING' | 'SUCCESS' | 'CLOSED' | 'NOT_FOUND'

export interface Trade {
  provider: ProviderName
  state: TradeState
  /** The provider's own state word, kept for the record (e.g. "NOTPAY", "TRADE_SUCCESS"). */
  providerState: string
  outTradeNo: string
  /** WeChat transaction_id / Alipay trade_no; present once paid. */
  transactionId?: string
  amountFen?: number
  currency?: string
  paidAt?: number
  payerId?: string
  attach?: string
}

export type RefundState = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL' | 'NOT_FOUND'

export interface RefundInput {
  outTradeNo: string
  transactionId?: string
  /** Our refund id: out_refund_no (WeChat) / out_request_no (Alipay); the same id never refunds twice. */
  outRefundNo: string
  refundFen: number
  /** The payment's whole amount (WeChat needs it). */
  totalFen: number
  reason: string
}

export interface Refund {
  provider: ProviderName
  state: RefundState
  providerState: string
  outTradeNo: string
  outRefundNo: string
  refundId?: string
  refundFen?: number
  successAt?: number
}

/** A verified, decrypted callback. `id` identifies the delivery (WeChat notify id, Alipay notify_id). */
export type NotifyEvent =
  | { kind: 'payment'; id: string; trade: Trade }
  | { kind: 'refund'; id: string; refund: Refund }
  /** Authentic but not for us to act on (e.g. another event type): acknowledge and move on. */
  | { kind: 'ignored'; id: string; reason: string }

export interface PayerIdentity {
  provider: ProviderName
  /** WeChat openid for the configured appid / Alipay open_id (or user_id for older apps). */
  payerId: string
  unionId?: string
}

/**
 * Why a provider call or a notify failed. `retryable` says whether trying again later can help
 * (network, provider 5xx) or not (bad signature, a business refusal such as ORDER_PAID).
 */
export class ProviderError extends Error {
  constructor(
    readonly provider: ProviderName,
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'ProviderError'
  }
}

/** A notify we refuse: bad or missing signature, stale timestamp, unknown key serial, foreign merchant. */
export class NotifyRejected extends Error {
  constructor(
    readonly reason:
      | 'MISSING_HEADERS'
      | 'BAD_SIGNATURE'
      | 'STALE_TIMESTAMP'
      | 'UNKNOWN_SERIAL'
      | 'DECRYPT_FAILED'
      | 'WRONG_MERCHANT'
      | 'MALFORMED',
    message: string,
  ) {
    super(message)
    this.name = 'NotifyRejected'
  }
}

export interface PaymentProvider {
  readonly name: ProviderName
  create(input: CreatePaymentInput): Promise<ClientPayParams>
  query(outTradeNo: string): Promise<Trade>
  /** CLOSED when closed (or already closed); ALREADY_PAID when the diner paid first. */
  close(outTradeNo: string): Promise<'CLOSED' | 'ALREADY_PAID'>
  refund(input: RefundInput): Promise<Refund>
  queryRefund(outRefundNo: string, outTradeNo: string): Promise<Refund>
  /** Verify and decrypt a callback; throws NotifyRejected. `now` is injectable for fixed test vectors. */
  parseNotify(headers: Headers, rawBody: string, now?: number): Promise<NotifyEvent>
  /** The reply the provider expects once the event is durably applied, and when it is not. */
  ack(): Response
  nack(message: string, status?: number): Response
  /** The day's trade bill (date in China time, YYYY-MM-DD). */
  downloadBill(date: string): Promise<BillRow[]>
  /** Mini-program login: the code from wx.login / my.getAuthCode to the payer's id. */
  login(code: string): Promise<PayerIdentity>
}
