// The records of money: what a store keeps about checkouts, payments, refunds and its ledger, and what
// a provider's bill says. Shared by StoreDO (live state), the outbox (history) and reconciliation.
// Money is integer fen, times epoch ms.

export const PROVIDERS = ['wechat', 'alipay'] as const
export type ProviderName = (typeof PROVIDERS)[number]

/**
 * What one out_trade_no pays for: one pay-first order (the id is the order id) or a pay-after-meal
 * table's bill (`chk_…`, covering every unpaid round of the seating at the time it was opened).
 * OPEN: payable. PAID: settled once. CLOSED: timed out or the order ended unpaid. SUPERSEDED: the table's
 * bill changed (a new round, a round taken back) and a new checkout replaced this one.
 */
export type CheckoutState = 'OPEN' | 'PAID' | 'CLOSED' | 'SUPERSEDED'

export interface Checkout {
  id: string
  storeId: string
  kind: 'order' | 'session'
  orderIds: string[]
  tableKey?: string
  sessionId?: string
  amountFen: number
  state: CheckoutState
  /** Providers the diner opened a cashier with; each may hold a trade to query and close. */
  providers: ProviderName[]
  /** The payment that settled it. */
  paymentId?: string
  /** Active queries made so far (the backoff's position). */
  queries?: number
  createdAt: number
  expiresAt: number
  updatedAt: number
}

/**
 * What happened to money that arrived:
 * SETTLED: it paid the checkout (exactly once per checkout).
 * LATE: the checkout was no longer payable (closed, superseded, order ended): refunded automatically.
 * SECOND: the checkout was already paid by another transaction: refunded automatically.
 * MISMATCH: the amount (or currency) differs from what was asked: not settled, raised to the merchant.
 */
export type PaymentOutcome = 'SETTLED' | 'LATE' | 'SECOND' | 'MISMATCH'

export type PaymentSource = 'notify' | 'query' | 'confirm'

export interface PaymentRecord {
  id: string
  storeId: string
  checkoutId: string
  orderIds: string[]
  provider: ProviderName
  transactionId: string
  amountFen: number
  outcome: PaymentOutcome
  source: PaymentSource
  payerId?: string
  paidAt: number
  /** Sum of successful refunds against this payment. */
  refundedFen: number
  createdAt: number
  updatedAt: number
  version: number
}

/**
 * PENDING: to be sent (or re-sent after a failure) by the alarm. PROCESSING: the provider accepted it.
 * SUCCESS: money is back with the diner. FAILED: the provider refused or it went ABNORMAL; staff can
 * retry, and the alarm retries what can succeed later.
 */
export type RefundState = 'PENDING' | 'PROCESSING' | 'SUCCESS' | 'FAILED'

export interface RefundLine {
  lineNo: number
  qty: number
}

export interface RefundRecord {
  /** Also the provider's out_refund_no / out_request_no, and it names the store (see refundId()). */
  id: string
  storeId: string
  paymentId: string
  checkoutId: string
  /** The order refunded (absent for a LATE/SECOND/MISMATCH payment returned whole). */
  orderId?: string
  provider: ProviderName
  transactionId: string
  amountFen: number
  reason: string
  /** Line-level refunds: which lines and how many of each. Absent: the whole remaining amount. */
  lines?: RefundLine[]
  state: RefundState
  providerState?: string
  providerRefundId?: string
  attempts: number
  lastError?: string
  requestedBy: string
  createdAt: number
  updatedAt: number
  succeededAt?: number
  version: number
}

/** One money movement. Payments in are positive, refunds out negative. Immutable once written. */
export interface LedgerEntry {
  id: string
  storeId: string
  at: number
  kind: 'payment' | 'refund'
  provider: ProviderName
  /** The checkout (out_trade_no) the money moved for. */
  checkoutId: string
  orderIds: string[]
  paymentId: string
  refundId?: string
  transactionId: string
  amountFen: number
  /** PaymentOutcome for payments; the refund's reason for refunds. */
  memo: string
}

/** One row of a provider's daily bill, normalised. */
export interface BillRow {
  provider: ProviderName
  at: number
  kind: 'payment' | 'refund'
  outTradeNo: string
  transactionId: string
  /** Payment: amount paid; refund: amount refunded (positive). */
  amountFen: number
  outRefundNo?: string
  refundId?: string
  /** Provider fee (手续费) in fen when the bill has it. */
  feeFen?: number
  attach?: string
}

/** What the merchant board shows until someone acts: money that arrived wrong, refunds that failed. */
export interface MoneyAlert {
  kind: 'amount_mismatch' | 'refund_failed' | 'auto_refund'
  orderIds: string[]
  checkoutId: string
  paymentId?: string
  refundId?: string
  amountFen: number
  message: string
  at: number
}
