// The pure rules of money: what a payment that arrives means, when to ask a provider again, how much of an
// order can still be refunded, whether the books balance, and how our ledger compares with a provider's
// bill. No runtime APIs: StoreDO owns the state and the clock and calls these.
// Money is integer fen, times epoch ms (see core/money.ts).

import { DomainError } from './errors'
import { newId } from './ids'
import type { Fen } from './money'
import type {
  BillRow,
  CheckoutState,
  LedgerEntry,
  PaymentOutcome,
  PaymentRecord,
  ProviderName,
  RefundLine,
  RefundRecord,
} from './payment-types'

// --- settlement ---------------------------------------------------------------------------------------

/** The only currency a checkout is priced in; providers report `CNY` for it. */
const CURRENCY = 'CNY'

/**
 * What money that arrived for a checkout means. The caller has already answered the exact duplicate (same
 * provider and transactionId: a retried notify, or notify and query racing) before asking.
 * - MISMATCH: the amount (or a stated currency) is not what we asked for. Checked first: money we did not
 *   ask for never settles anything, whatever the checkout's state; the merchant decides.
 * - SECOND: the checkout is already settled by another transaction (`settledBy`): a double payment, e.g.
 *   the diner paid with WeChat and then with Alipay. Refunded automatically.
 * - LATE: the checkout is no longer payable (CLOSED by timeout, SUPERSEDED by a new bill, or the order
 *   ended: `payable` false), e.g. paid between our last query and the close. Refunded automatically.
 * - SETTLED: the one payment of an OPEN, payable checkout.
 */
export function settlementOutcome(input: {
  checkoutState: CheckoutState
  payable: boolean
  expectedFen: number
  paidFen: number
  currency?: string
  settledBy?: string
  transactionId: string
}): PaymentOutcome {
  const { checkoutState, payable, expectedFen, paidFen, currency, settledBy, transactionId } = input
  if (paidFen !== expectedFen || (currency !== undefined && currency !== CURRENCY)) return 'MISMATCH'
  if (settledBy && settledBy !== transactionId) return 'SECOND'
  if (checkoutState !== 'OPEN' || !payable) return 'LATE'
  return 'SETTLED'
}

// --- schedules ----------------------------------------------------------------------------------------

const SECOND_MS = 1000
const MINUTE_MS = 60 * SECOND_MS

/** First active query: WeChat asks to start querying within 1 minute of the cashier when no notify came. */
export const PAYMENT_QUERY_FIRST_MS = 30 * SECOND_MS
/** Later queries double (60 s, 120 s, 240 s): most notifies arrive in seconds, stragglers in minutes. */
const PAYMENT_QUERY_FACTOR = 2
/** Cap: a 15 min checkout still gets a query every 5 min until it expires and is closed. */
export const PAYMENT_QUERY_MAX_MS = 5 * MINUTE_MS

/** A refund the provider did not accept (network, 5xx, rate limit), re-sent with the same out_refund_no. */
export const REFUND_RETRY_MS = [
  10 * SECOND_MS, // a blip: try again soon
  30 * SECOND_MS, // still failing: give a restarting gateway time
  MINUTE_MS, // beyond a blip
  5 * MINUTE_MS, // an outage: do not hammer the provider
  15 * MINUTE_MS, // a long outage or insufficient balance the merchant must top up
  60 * MINUTE_MS, // cap: keep trying hourly; staff see the refund on the board meanwhile
] as const

/** A PROCESSING refund, queried until SUCCESS or ABNORMAL/CLOSED. */
export const REFUND_QUERY_MS = [
  10 * SECOND_MS, // Alipay: query no sooner than 10 s after the refund request
  30 * SECOND_MS, // WeChat refunds to change usually finish within a minute
  MINUTE_MS,
  5 * MINUTE_MS, // cap: card refunds can take days; the provider's refund notify usually comes first
] as const

/** `ms` scaled (tests compress time), a whole number of ms and at least 1 so an alarm always moves on. */
function scaled(ms: number, scale: number): number {
  return Math.max(1, Math.round(ms * scale))
}

/** 0, 1, 2, … whatever a caller passes (negative, fractional, NaN count as the first attempt). */
function attemptNo(attempt: number): number {
  return Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0
}

function stepOf(table: readonly number[], attempt: number): number {
  return table[Math.min(attemptNo(attempt), table.length - 1)]!
}

/** Delay before active query number `attempt` (0-based) of a checkout whose cashier a diner opened. */
export function paymentQueryDelayMs(attempt: number, scale = 1): number {
  // Clamp the exponent before Math.pow so a huge attempt count cannot overflow to Infinity.
  const n = Math.min(attemptNo(attempt), 16)
  return scaled(Math.min(PAYMENT_QUERY_FIRST_MS * PAYMENT_QUERY_FACTOR ** n, PAYMENT_QUERY_MAX_MS), scale)
}

/** Delay before re-sending a refund after failed attempt number `attempt` (0-based). */
export function refundRetryDelayMs(attempt: number, scale = 1): number {
  return scaled(stepOf(REFUND_RETRY_MS, attempt), scale)
}

/** Delay before query number `attempt` (0-based) of a PROCESSING refund. */
export function refundQueryDelayMs(attempt: number, scale = 1): number {
  return scaled(stepOf(REFUND_QUERY_MS, attempt), scale)
}

// --- refund amounts -----------------------------------------------------------------------------------

/** What can still be refunded from a payment: paid − refunded − in flight (PENDING/PROCESSING), ≥ 0. */
export function refundableFen(payment: { amountFen: number; refundedFen: number }, pendingFen: number): Fen {
  return Math.max(0, payment.amountFen - payment.refundedFen - pendingFen)
}

/** What a whole-order refund returns: the order total less what was refunded or is in flight, ≥ 0. */
export function fullRefundFen(totalFen: number, alreadyFen: number): Fen {
  return Math.max(0, totalFen - alreadyFen)
}

export interface RefundableOrder {
  totalFen: number
  price: { itemsFen: number }
  lines: { lineNo: number; qty: number; lineTotalFen: number; voided?: unknown }[]
}

/**
 * A line-level partial refund (退部分菜). `request` names lines and quantities (duplicates merged);
 * `already` and `alreadyFen` are what was refunded or is in flight for this order so far.
 *
 * The amount is the requested lines' share of what the diner actually paid:
 * floor(Σ lineTotalFen × qty/line.qty × totalFen / base), so order-level discounts (满减, coupons) and fees
 * (packaging, delivery) are spread in proportion, and floor keeps refunds from ever exceeding the total.
 * `base` is Σ lineTotalFen of the live (non-voided) lines: the subtotal totalFen was priced from. Not
 * price.itemsFen: that is the list-price subtotal, before member prices and item discounts, which
 * lineTotalFen already carries, so dividing by it would take those reductions off a second time.
 * The refund that leaves every live line fully refunded takes the remainder, totalFen − alreadyFen, so
 * refunding everything returns exactly what was paid. A zero base (all free) refunds 0 until then.
 */
export function lineRefund(
  order: RefundableOrder,
  already: RefundLine[],
  alreadyFen: number,
  request: RefundLine[],
): { amountFen: Fen; lines: RefundLine[] } {
  const byNo = new Map(order.lines.map((l) => [l.lineNo, l]))
  const wanted = new Map<number, number>()
  for (const r of request) {
    const line = byNo.get(r.lineNo)
    if (!line)
      throw new DomainError('VALIDATION_FAILED', `order has no line ${r.lineNo}`, { lineNo: r.lineNo })
    if (line.voided)
      throw new DomainError('VALIDATION_FAILED', `line ${r.lineNo} was taken back`, { lineNo: r.lineNo })
    if (!Number.isSafeInteger(r.qty) || r.qty <= 0)
      throw new DomainError('VALIDATION_FAILED', 'a refund quantity is a whole number above 0', {
        lineNo: r.lineNo,
        qty: r.qty,
      })
    wanted.set(r.lineNo, (wanted.get(r.lineNo) ?? 0) + r.qty)
  }
  if (wanted.size === 0) throw new DomainError('VALIDATION_FAILED', 'name at least one line to refund')

  const done = refundedQty(already)
  for (const [lineNo, qty] of wanted) {
    const left = byNo.get(lineNo)!.qty - (done.get(lineNo) ?? 0)
    if (qty > left)
      throw new DomainError(
        'VALIDATION_FAILED',
        `line ${lineNo} has only ${Math.max(0, left)} left to refund`,
        {
          lineNo,
          qty,
          left: Math.max(0, left),
        },
      )
  }

  const lines = [...wanted].sort((a, b) => a[0] - b[0]).map(([lineNo, qty]) => ({ lineNo, qty }))
  const remainder = fullRefundFen(order.totalFen, alreadyFen)
  const live = order.lines.filter((l) => !l.voided)
  const allRefunded = live.every((l) => (done.get(l.lineNo) ?? 0) + (wanted.get(l.lineNo) ?? 0) >= l.qty)
  if (allRefunded) return { amountFen: remainder, lines }

  // Exact rational arithmetic in BigInt: Σ lineTotal × qty / lineQty, over base, times total; floor once.
  const base = BigInt(live.reduce((s, l) => s + l.lineTotalFen, 0))
  if (base <= 0n || order.totalFen <= 0) return { amountFen: 0, lines }
  let num = 0n
  let den = 1n
  for (const { lineNo, qty } of lines) {
    const line = byNo.get(lineNo)!
    const n = BigInt(line.lineTotalFen) * BigInt(qty)
    const d = BigInt(line.qty)
    num = num * d + n * den
    den *= d
  }
  const share = Number((num * BigInt(order.totalFen)) / (den * base))
  // Never more than is left: an earlier amount-only refund may have taken part of these lines' share.
  return { amountFen: Math.max(0, Math.min(share, remainder)), lines }
}

/** Quantity refunded (or in flight) per line number. */
function refundedQty(lines: readonly RefundLine[]): Map<number, number> {
  const out = new Map<number, number>()
  for (const l of lines) out.set(l.lineNo, (out.get(l.lineNo) ?? 0) + l.qty)
  return out
}

// --- ids ----------------------------------------------------------------------------------------------

const STORE_ID = /^\d{3}$/
const REFUND_ID = /^rfd_[0-9A-HJKMNP-TV-Z]{26}_(\d{3})$/

/**
 * A refund id, also sent as the provider's out_refund_no (WeChat) / out_request_no (Alipay): ≤ 64 chars of
 * [0-9A-Za-z_]. It ends in the store id because a refund notify carries no attach, and the Worker must
 * still find the StoreDO that owns the refund: `rfd_<time+random, 26>_<storeId>`, 34 chars.
 */
export function refundIdFor(storeId: string, now = Date.now(), random?: (n: number) => Uint8Array): string {
  if (!STORE_ID.test(storeId)) throw new RangeError(`a store id is 3 digits, got ${JSON.stringify(storeId)}`)
  return `${newId('rfd', now, random)}_${storeId}`
}

/** The store a refund id names, or null when it is not one of ours. */
export function storeOfRefundId(id: string): string | null {
  return REFUND_ID.exec(id)?.[1] ?? null
}

/** The id of a table's bill (pay after the meal): 30 chars, a valid out_trade_no for WeChat and Alipay. */
export function checkoutIdFor(now = Date.now(), random?: (n: number) => Uint8Array): string {
  return newId('chk', now, random)
}

// --- ledger invariants --------------------------------------------------------------------------------

/** Net money per checkout: payments in minus refunds out. */
export function ledgerBalance(entries: readonly LedgerEntry[]): Map<string, Fen> {
  const out = new Map<string, Fen>()
  for (const e of entries) out.set(e.checkoutId, (out.get(e.checkoutId) ?? 0) + e.amountFen)
  return out
}

export interface LedgerInput {
  checkouts: { id: string; state: CheckoutState; amountFen: number; paymentId?: string }[]
  payments: PaymentRecord[]
  refunds: RefundRecord[]
  ledger: LedgerEntry[]
}

/** Refunds that hold money: done, or on their way (a FAILED one holds none until retried). */
const IN_FLIGHT: readonly RefundRecord['state'][] = ['PENDING', 'PROCESSING']

/**
 * The books' invariants, as human-readable violations; empty means they balance. Only impossible states
 * are violations: a LATE/SECOND payment whose return is still under way is normal (see pendingReturns).
 * - every payment has exactly one ledger entry of +amount for its checkout;
 * - every SUCCESS refund exactly one of −amount, and no other refund any;
 * - no ledger entry names a payment or refund we do not have;
 * - per checkout, the ledger balance is Σ payments − Σ successful refunds (settled or not: a LATE payment
 *   and its refund net to zero, a MISMATCH one stays until the merchant returns it);
 * - a payment's refundedFen is the sum of its successful refunds, and successful plus in-flight refunds
 *   never exceed what it paid;
 * - a PAID checkout has exactly one SETTLED payment, of its amount (and it is the checkout's paymentId);
 *   an OPEN, CLOSED or SUPERSEDED one has none.
 */
export function checkLedger(input: LedgerInput): string[] {
  const { checkouts, payments, refunds, ledger } = input
  const out: string[] = []
  const paymentIds = new Set(payments.map((p) => p.id))
  const refundIds = new Set(refunds.map((r) => r.id))
  const paymentEntries = group(
    ledger.filter((e) => e.kind === 'payment'),
    (e) => e.paymentId,
  )
  const refundEntries = group(
    ledger.filter((e) => e.kind === 'refund'),
    (e) => e.refundId ?? '',
  )
  const refundsOf = group(refunds, (r) => r.paymentId)

  for (const e of ledger) {
    if (e.kind === 'payment' && !paymentIds.has(e.paymentId))
      out.push(`ledger ${e.id}: payment entry for unknown payment ${e.paymentId}`)
    if (e.kind === 'refund' && !refundIds.has(e.refundId ?? ''))
      out.push(`ledger ${e.id}: refund entry for unknown refund ${e.refundId ?? '(none)'}`)
  }

  const expected = new Map<string, Fen>()
  const add = (checkoutId: string, fen: Fen) =>
    expected.set(checkoutId, (expected.get(checkoutId) ?? 0) + fen)

  for (const p of payments) {
    const entries = paymentEntries.get(p.id) ?? []
    if (entries.length !== 1) out.push(`payment ${p.id}: ${entries.length} ledger entries, want 1`)
    for (const e of entries) {
      if (e.amountFen !== p.amountFen)
        out.push(`payment ${p.id}: ledger ${e.id} has ${e.amountFen}, payment ${p.amountFen}`)
      if (e.checkoutId !== p.checkoutId)
        out.push(`payment ${p.id}: ledger ${e.id} is for checkout ${e.checkoutId}, payment ${p.checkoutId}`)
    }
    add(p.checkoutId, p.amountFen)

    const mine = refundsOf.get(p.id) ?? []
    const succeeded = sumOf(mine.filter((r) => r.state === 'SUCCESS'))
    const inFlight = sumOf(mine.filter((r) => IN_FLIGHT.includes(r.state)))
    if (p.refundedFen !== succeeded)
      out.push(`payment ${p.id}: refundedFen ${p.refundedFen}, successful refunds ${succeeded}`)
    if (succeeded + inFlight > p.amountFen)
      out.push(
        `payment ${p.id}: refunds ${succeeded} done + ${inFlight} in flight exceed ${p.amountFen} paid`,
      )
  }

  for (const r of refunds) {
    const entries = refundEntries.get(r.id) ?? []
    const want = r.state === 'SUCCESS' ? 1 : 0
    if (entries.length !== want)
      out.push(`refund ${r.id} (${r.state}): ${entries.length} ledger entries, want ${want}`)
    for (const e of entries) {
      if (e.amountFen !== -r.amountFen)
        out.push(`refund ${r.id}: ledger ${e.id} has ${e.amountFen}, refund −${r.amountFen}`)
      if (e.checkoutId !== r.checkoutId)
        out.push(`refund ${r.id}: ledger ${e.id} is for checkout ${e.checkoutId}, refund ${r.checkoutId}`)
    }
    if (!paymentIds.has(r.paymentId)) out.push(`refund ${r.id}: unknown payment ${r.paymentId}`)
    if (r.state === 'SUCCESS') add(r.checkoutId, -r.amountFen)
  }

  const balance = ledgerBalance(ledger)
  for (const id of new Set([...balance.keys(), ...expected.keys()])) {
    const got = balance.get(id) ?? 0
    const want = expected.get(id) ?? 0
    if (got !== want) out.push(`checkout ${id}: ledger balance ${got}, payments less refunds ${want}`)
  }

  const byCheckout = group(payments, (p) => p.checkoutId)
  const known = new Set(checkouts.map((c) => c.id))
  for (const c of checkouts) {
    const settled = (byCheckout.get(c.id) ?? []).filter((p) => p.outcome === 'SETTLED')
    if (c.state === 'PAID') {
      if (settled.length !== 1)
        out.push(`checkout ${c.id} (PAID): ${settled.length} settled payments, want 1`)
      for (const p of settled) {
        if (p.amountFen !== c.amountFen)
          out.push(`checkout ${c.id}: settled by ${p.id} with ${p.amountFen}, asked ${c.amountFen}`)
        if (c.paymentId !== undefined && c.paymentId !== p.id)
          out.push(`checkout ${c.id}: paymentId ${c.paymentId}, settled by ${p.id}`)
      }
    } else if (settled.length > 0)
      out.push(`checkout ${c.id} (${c.state}): ${settled.length} settled payments, want 0`)
  }
  for (const p of payments)
    if (!known.has(p.checkoutId)) out.push(`payment ${p.id}: unknown checkout ${p.checkoutId}`)
  return out
}

export interface PendingReturn {
  payment: PaymentRecord
  /** Returned so far (SUCCESS refunds). */
  refundedFen: Fen
  /** PENDING or PROCESSING refunds. */
  inFlightFen: Fen
  /** Still to be returned in full: amount − refunded. */
  remainingFen: Fen
}

/**
 * LATE and SECOND payments not yet fully returned to the diner. Normal while their refunds run; once every
 * refund settled, a non-empty list means money we owe back. (MISMATCH payments wait for the merchant.)
 */
export function pendingReturns(input: {
  payments: PaymentRecord[]
  refunds: RefundRecord[]
}): PendingReturn[] {
  const refundsOf = group(input.refunds, (r) => r.paymentId)
  const out: PendingReturn[] = []
  for (const payment of input.payments) {
    if (payment.outcome !== 'LATE' && payment.outcome !== 'SECOND') continue
    const mine = refundsOf.get(payment.id) ?? []
    const refundedFen = sumOf(mine.filter((r) => r.state === 'SUCCESS'))
    if (refundedFen >= payment.amountFen) continue
    const inFlightFen = sumOf(mine.filter((r) => IN_FLIGHT.includes(r.state)))
    out.push({ payment, refundedFen, inFlightFen, remainingFen: payment.amountFen - refundedFen })
  }
  return out
}

function group<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const x of xs) {
    const k = key(x)
    const list = out.get(k)
    if (list) list.push(x)
    else out.set(k, [x])
  }
  return out
}

const sumOf = (xs: readonly { amountFen: number }[]): Fen => xs.reduce((s, x) => s + x.amountFen, 0)

// --- reconciliation (对账) -----------------------------------------------------------------------------

export interface ReconcileReport {
  /** Pairs that agree. */
  matched: number
  /** 长款: money moved at the provider that we have no record of. Repair from the bill, then fulfil or refund. */
  providerOnly: BillRow[]
  /** 短款: money we recorded that the provider did not move. Investigate: perhaps a forged notify. */
  localOnly: LedgerEntry[]
  /** Both sides know the movement, with different amounts. */
  amountMismatch: { bill: BillRow; ledger: LedgerEntry }[]
  /** Net: payments − refunds, on each side; equal when the day is clean. */
  totals: { billFen: Fen; ledgerFen: Fen }
}

/**
 * Compares one provider's daily bill with our ledger. The caller passes the ledger of the same provider
 * and the same bill day (the provider's day: Beijing time); entries of another provider simply show as
 * localOnly. Payments match by (provider, transactionId), falling back to (provider, out_trade_no =
 * checkoutId) when the entry has no transaction id; refunds by (provider, out_refund_no = our refund id,
 * or `refundIdOf(entry)` when the caller keeps it elsewhere). Bill refunds are positive, ledger refunds
 * negative: magnitudes are compared. Each row and entry pairs at most once.
 */
export function reconcile(
  bill: readonly BillRow[],
  ledger: readonly LedgerEntry[],
  opts: { refundIdOf?: (e: LedgerEntry) => string | undefined } = {},
): ReconcileReport {
  const refundIdOf = opts.refundIdOf ?? ((e: LedgerEntry) => e.refundId)
  const byTxn = group(
    bill.filter((r) => r.kind === 'payment'),
    (r) => `${r.provider}\u0000${r.transactionId}`,
  )
  const byTrade = group(
    bill.filter((r) => r.kind === 'payment'),
    (r) => `${r.provider}\u0000${r.outTradeNo}`,
  )
  const byRefund = group(
    bill.filter((r) => r.kind === 'refund' && r.outRefundNo),
    (r) => `${r.provider}\u0000${r.outRefundNo}`,
  )
  const used = new Set<BillRow>()
  const take = (index: Map<string, BillRow[]>, key: string): BillRow | undefined => {
    const row = index.get(key)?.find((r) => !used.has(r))
    if (row) used.add(row)
    return row
  }

  const report: ReconcileReport = {
    matched: 0,
    providerOnly: [],
    localOnly: [],
    amountMismatch: [],
    totals: { billFen: 0, ledgerFen: 0 },
  }
  const pair = (e: LedgerEntry, row: BillRow | undefined) => {
    if (!row) report.localOnly.push(e)
    else if (row.amountFen === Math.abs(e.amountFen)) report.matched++
    else report.amountMismatch.push({ bill: row, ledger: e })
  }

  // Entries with a transaction id first, so the out_trade_no fallback only takes rows nobody else claims.
  const payments = ledger.filter((e) => e.kind === 'payment')
  const withTxn = payments.filter((e) => e.transactionId)
  const withoutTxn = payments.filter((e) => !e.transactionId)
  for (const e of withTxn) pair(e, take(byTxn, `${e.provider}\u0000${e.transactionId}`))
  for (const e of withoutTxn) pair(e, take(byTrade, `${e.provider}\u0000${e.checkoutId}`))
  for (const e of ledger) {
    if (e.kind !== 'refund') continue
    const id = refundIdOf(e)
    pair(e, id ? take(byRefund, `${e.provider}\u0000${id}`) : undefined)
  }

  report.providerOnly = bill.filter((r) => !used.has(r))
  // Keep the ledger's order in localOnly, whatever order the passes found them in.
  const local = new Set(report.localOnly)
  report.localOnly = ledger.filter((e) => local.has(e))
  for (const r of bill) report.totals.billFen += r.kind === 'payment' ? r.amountFen : -r.amountFen
  for (const e of ledger) report.totals.ledgerFen += e.amountFen
  return report
}

// --- revenue ------------------------------------------------------------------------------------------

export interface RevenueRow {
  storeId: string
  /** Epoch ms of the hour's start (in the zone of utcOffsetMs). */
  hourStart: number
  provider: ProviderName
  paymentsFen: Fen
  /** Refunded in the hour, positive. */
  refundsFen: Fen
  /** paymentsFen − refundsFen. */
  netFen: Fen
  payments: number
  refunds: number
}

const HOUR_MS = 60 * MINUTE_MS

/**
 * Money in and out per store, hour and provider. Every movement counts, whatever the payment's outcome:
 * this is cash flow, matching the provider's bill and our ledger, not sales. A LATE or SECOND payment and
 * its refund net to zero (across hours if the refund came later); a MISMATCH payment counts until returned.
 * `utcOffsetMs` aligns hours to a zone whose offset is not whole hours; Beijing (+8 h) needs none.
 */
export function hourlyRevenue(
  entries: readonly LedgerEntry[],
  opts: { utcOffsetMs?: number } = {},
): RevenueRow[] {
  const offset = opts.utcOffsetMs ?? 0
  const rows = new Map<string, RevenueRow>()
  for (const e of entries) {
    const hourStart = Math.floor((e.at + offset) / HOUR_MS) * HOUR_MS - offset
    const key = `${e.storeId}\u0000${hourStart}\u0000${e.provider}`
    let row = rows.get(key)
    if (!row) {
      row = {
        storeId: e.storeId,
        hourStart,
        provider: e.provider,
        paymentsFen: 0,
        refundsFen: 0,
        netFen: 0,
        payments: 0,
        refunds: 0,
      }
      rows.set(key, row)
    }
    if (e.kind === 'payment') {
      row.paymentsFen += e.amountFen
      row.payments++
    } else {
      row.refundsFen -= e.amountFen
      row.refunds++
    }
    row.netFen = row.paymentsFen - row.refundsFen
  }
  return [...rows.values()].sort(
    (a, b) =>
      (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0) ||
      a.hourStart - b.hourStart ||
      (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0),
  )
}
