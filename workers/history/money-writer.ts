// The money half of the history writer: outbox rows of kind 'payment', 'refund' and 'ledger' (each
// carrying the record of core/payment-types.ts as JSON) to rows of payments, refunds and ledger_entries.
// Pure: writer.ts runs the statements, in the same transaction as the order rows of the batch.
import type { MoneyOutboxPayload, OutboxRow } from '../../core/outbox'
import type { LedgerEntry, PaymentRecord, RefundRecord } from '../../core/payment-types'
import type { ledgerEntries, payments, refunds } from './schema'

export type PaymentRow = typeof payments.$inferInsert
export type RefundRow = typeof refunds.$inferInsert
export type LedgerRow = typeof ledgerEntries.$inferInsert

export const MONEY_KINDS = ['payment', 'refund', 'ledger'] as const
export type MoneyKind = (typeof MONEY_KINDS)[number]

export function isMoneyRow(row: OutboxRow): row is OutboxRow & { kind: MoneyKind } {
  return (MONEY_KINDS as readonly string[]).includes(row.kind)
}

/**
 * Money rows to table rows. Payments and refunds fold to their highest version in the batch (Postgres
 * refuses to upsert one row twice in a statement); a ledger entry is kept once per id.
 */
export function toMoneyHistory(rows: OutboxRow[]): {
  paymentRows: PaymentRow[]
  refundRows: RefundRow[]
  ledgerRows: LedgerRow[]
} {
  const pays = new Map<string, PaymentRecord>()
  const refs = new Map<string, RefundRecord>()
  const ledger = new Map<string, LedgerEntry>()
  for (const row of rows) {
    if (row.kind === 'payment') {
      const p = parseMoney(row, checkPayment)
      const seen = pays.get(p.id)
      if (!seen || seen.version < p.version) pays.set(p.id, p)
    } else if (row.kind === 'refund') {
      const r = parseMoney(row, checkRefund)
      const seen = refs.get(r.id)
      if (!seen || seen.version < r.version) refs.set(r.id, r)
    } else if (row.kind === 'ledger') {
      const e = parseMoney(row, checkLedger)
      if (!ledger.has(e.id)) ledger.set(e.id, e)
    } else {
      throw new Error(`outbox row ${row.id}: kind ${row.kind} is not money`)
    }
  }
  return {
    paymentRows: [...pays.values()].map(paymentRow),
    refundRows: [...refs.values()].map(refundRow),
    ledgerRows: [...ledger.values()].map(ledgerRow),
  }
}

function paymentRow(p: PaymentRecord): PaymentRow {
  return {
    id: p.id,
    storeId: p.storeId,
    checkoutId: p.checkoutId,
    orderIds: p.orderIds,
    provider: p.provider,
    transactionId: p.transactionId,
    amountFen: p.amountFen,
    outcome: p.outcome,
    source: p.source,
    payerId: p.payerId ?? null,
    paidAt: new Date(p.paidAt),
    refundedFen: p.refundedFen,
    createdAt: new Date(p.createdAt),
    updatedAt: new Date(p.updatedAt),
    version: p.version,
  }
}

function refundRow(r: RefundRecord): RefundRow {
  return {
    id: r.id,
    storeId: r.storeId,
    paymentId: r.paymentId,
    checkoutId: r.checkoutId,
    orderId: r.orderId ?? null,
    provider: r.provider,
    transactionId: r.transactionId,
    amountFen: r.amountFen,
    reason: r.reason,
    lines: r.lines ?? null,
    state: r.state,
    providerState: r.providerState ?? null,
    providerRefundId: r.providerRefundId ?? null,
    attempts: r.attempts,
    lastError: r.lastError ?? null,
    requestedBy: r.requestedBy,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    succeededAt: r.succeededAt === undefined ? null : new Date(r.succeededAt),
    version: r.version,
  }
}

function ledgerRow(e: LedgerEntry): LedgerRow {
  return {
    id: e.id,
    storeId: e.storeId,
    at: new Date(e.at),
    kind: e.kind,
    provider: e.provider,
    checkoutId: e.checkoutId,
    orderIds: e.orderIds,
    paymentId: e.paymentId,
    refundId: e.refundId ?? null,
    transactionId: e.transactionId,
    amountFen: e.amountFen,
    memo: e.memo,
  }
}

// ---- checks: what Postgres cannot check for us. A bad row throws, fails its batch, and the drain then
// isolates it so the rows behind it still flow (as parsePayload does for orders). -----------------------

/**
 * fen: whole fen (int4 would reject 12.5 with an opaque error, or a driver might round it); int: times,
 * versions, counts; text: a non-empty string; str: a string, maybe empty; ids: an array of strings.
 */
type Check = [what: string, value: unknown, type: 'fen' | 'int' | 'text' | 'str' | 'ids']

const valid: Record<Check[2], (v: unknown) => boolean> = {
  fen: Number.isSafeInteger,
  int: Number.isSafeInteger,
  text: (v) => typeof v === 'string' && v.length > 0,
  str: (v) => typeof v === 'string',
  ids: (v) => Array.isArray(v) && v.every((id) => typeof id === 'string' && id.length > 0),
}

function parseMoney<T extends MoneyOutboxPayload>(row: OutboxRow, checks: (r: T) => Check[]): T {
  const rec = JSON.parse(row.payload) as T
  if (typeof rec !== 'object' || rec === null || !valid.text(rec.id))
    throw new Error(`outbox row ${row.id}: ${row.kind} payload has no id`)
  for (const [what, v, type] of checks(rec))
    if (!valid[type](v))
      throw new Error(
        `outbox row ${row.id}: ${row.kind} ${rec.id} ${what} ${type === 'fen' ? 'is not whole fen' : 'is invalid'} (${v})`,
      )
  return rec
}

// A ledger entry or a refund may lack the provider's transaction id (core/payments.ts reconcile() then
// matches by out_trade_no); a payment always has it: it is the key of the money that arrived.
const common = (r: {
  storeId: string
  provider: string
  transactionId: string
  checkoutId: string
}): Check[] => [
  ['storeId', r.storeId, 'text'],
  ['provider', r.provider, 'text'],
  ['transactionId', r.transactionId, 'str'],
  ['checkoutId', r.checkoutId, 'text'],
]

function checkPayment(p: PaymentRecord): Check[] {
  return [
    ...common(p),
    ['transactionId', p.transactionId, 'text'],
    ['orderIds', p.orderIds, 'ids'],
    ['amountFen', p.amountFen, 'fen'],
    ['refundedFen', p.refundedFen, 'fen'],
    ['paidAt', p.paidAt, 'int'],
    ['createdAt', p.createdAt, 'int'],
    ['updatedAt', p.updatedAt, 'int'],
    ['version', p.version, 'int'],
  ]
}

function checkRefund(r: RefundRecord): Check[] {
  return [
    ...common(r),
    ['paymentId', r.paymentId, 'text'],
    ['amountFen', r.amountFen, 'fen'],
    ['state', r.state, 'text'],
    ['attempts', r.attempts, 'int'],
    ['createdAt', r.createdAt, 'int'],
    ['updatedAt', r.updatedAt, 'int'],
    ...(r.succeededAt === undefined ? [] : [['succeededAt', r.succeededAt, 'int'] as Check]),
    ['version', r.version, 'int'],
  ]
}

function checkLedger(e: LedgerEntry): Check[] {
  // Reports sum amounts by kind, so the sign must agree with it: money in is positive, money out negative.
  const signed = e.kind === 'payment' ? e.amountFen >= 0 : e.kind === 'refund' && e.amountFen <= 0
  return [
    ...common(e),
    ['orderIds', e.orderIds, 'ids'],
    ['paymentId', e.paymentId, 'text'],
    ['amountFen', e.amountFen, 'fen'],
    ['at', e.at, 'int'],
    ['kind (with the sign of amountFen)', signed ? e.kind : '', 'text'],
  ]
}
