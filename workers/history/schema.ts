// Postgres history, fed from store outboxes (core/outbox.ts). Never read on a diner's request; it serves
// reports and the console's order history. Money is integer fen: int4 holds up to ¥21,474,836.47 per
// order or line, and node-postgres returns int4 as a JS number (int8 would come back as a string).
// Change this file, then `npm run db:generate` and commit the new SQL under drizzle/.
import { sql } from 'drizzle-orm'
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import type { PayMode } from '../../core/order'
import type { Actor, OrderEvent, OrderMode, OrderState } from '../../core/order-machine'
import type {
  LedgerEntry,
  PaymentOutcome,
  PaymentSource,
  ProviderName,
  RefundLine,
  RefundState,
} from '../../core/payment-types'
import type { PriceStep } from '../../core/pricing'

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })
const fen = (name: string) => integer(name).notNull()

export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    mode: text('mode').$type<OrderMode>().notNull(),
    state: text('state').$type<OrderState>().notNull(),
    paid: boolean('paid').notNull(),
    payMode: text('pay_mode').$type<PayMode>().notNull(),
    pickupNo: text('pickup_no').notNull(),
    tableKey: text('table_key'),
    tableLabel: text('table_label'),
    sessionId: text('session_id'),
    roundNo: integer('round_no'),
    dinerId: text('diner_id'),
    totalFen: fen('total_fen'),
    itemsFen: fen('items_fen'),
    discountFen: fen('discount_fen'),
    feesFen: fen('fees_fen'),
    /** The price explanation (member price, discounts, 满减, coupons, fees), as shown on the receipt. */
    priceSteps: jsonb('price_steps').$type<PriceStep[]>().notNull().default(sql`'[]'::jsonb`),
    note: text('note').notNull().default(''),
    reason: text('reason'),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
    /** The store's version of the order; an upsert only ever raises it. */
    version: integer('version').notNull(),
  },
  (t) => [
    // The console's order list and daily reports: one store, a time range.
    index('orders_store_created_idx').on(t.storeId, t.createdAt),
    // Open orders of a store by state (e.g. refunds to handle).
    index('orders_store_state_idx').on(t.storeId, t.state),
    // All rounds of one table seating, for the bill.
    index('orders_session_idx').on(t.sessionId),
    // A diner's own history.
    index('orders_diner_created_idx').on(t.dinerId, t.createdAt),
  ],
)

export const orderLines = pgTable(
  'order_lines',
  {
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    lineNo: integer('line_no').notNull(),
    itemId: text('item_id').notNull(),
    skuId: text('sku_id').notNull(),
    name: text('name').notNull(),
    skuName: text('sku_name').notNull(),
    optionNames: jsonb('option_names').$type<string[]>().notNull(),
    qty: integer('qty').notNull(),
    unitPriceFen: fen('unit_price_fen'),
    unitPaidFen: fen('unit_paid_fen'),
    lineTotalFen: fen('line_total_fen'),
    station: text('station').notNull(),
    note: text('note').notNull().default(''),
    /** The order's version this row was written from: a line changes only towards a newer one. */
    version: integer('version').notNull().default(0),
    /** Set when staff took the line back (退菜). Sales by dish must leave these lines out. */
    voidedReason: text('voided_reason'),
    voidedAt: timestamp('voided_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.lineNo] }),
    // Sales per dish.
    index('order_lines_item_idx').on(t.itemId),
  ],
)

export const orderEvents = pgTable(
  'order_events',
  {
    /** The outbox row id: the idempotency key of the whole pipeline. */
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    storeId: text('store_id').notNull(),
    version: integer('version').notNull(),
    event: text('event').$type<OrderEvent | 'create' | 'void_line'>().notNull(),
    fromState: text('from_state').$type<OrderState>(),
    toState: text('to_state').$type<OrderState>().notNull(),
    actor: text('actor').$type<Actor>().notNull(),
    actorId: text('actor_id').notNull(),
    reason: text('reason'),
    at: at('at').notNull(),
  },
  (t) => [
    // An order's timeline.
    index('order_events_order_version_idx').on(t.orderId, t.version),
    // A store's audit trail over time.
    index('order_events_store_at_idx').on(t.storeId, t.at),
  ],
)

// ---- money: fed by the outbox kinds 'payment', 'refund' and 'ledger' (core/payment-types.ts) ----------

export const payments = pgTable(
  'payments',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    /** The out_trade_no: an order id (pay-first) or a table bill's `chk_…`. */
    checkoutId: text('checkout_id').notNull(),
    orderIds: jsonb('order_ids').$type<string[]>().notNull(),
    provider: text('provider').$type<ProviderName>().notNull(),
    transactionId: text('transaction_id').notNull(),
    amountFen: fen('amount_fen'),
    outcome: text('outcome').$type<PaymentOutcome>().notNull(),
    source: text('source').$type<PaymentSource>().notNull(),
    payerId: text('payer_id'),
    paidAt: at('paid_at').notNull(),
    /** Sum of successful refunds against this payment. */
    refundedFen: fen('refunded_fen'),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
    /** The store's version of the payment; an upsert only ever raises it. */
    version: integer('version').notNull(),
  },
  (t) => [
    // A provider's transaction is money that arrived once: two payments for it would be a store's bug.
    uniqueIndex('payments_provider_transaction_idx').on(t.provider, t.transactionId),
    // A store's payments over a day.
    index('payments_store_paid_idx').on(t.storeId, t.paidAt),
  ],
)

export const refunds = pgTable(
  'refunds',
  {
    /** Also the provider's out_refund_no / out_request_no. */
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    paymentId: text('payment_id').notNull(),
    checkoutId: text('checkout_id').notNull(),
    orderId: text('order_id'),
    provider: text('provider').$type<ProviderName>().notNull(),
    transactionId: text('transaction_id').notNull(),
    amountFen: fen('amount_fen'),
    reason: text('reason').notNull(),
    /** Line-level refunds; null: the whole remaining amount. */
    lines: jsonb('lines').$type<RefundLine[]>(),
    state: text('state').$type<RefundState>().notNull(),
    providerState: text('provider_state'),
    providerRefundId: text('provider_refund_id'),
    attempts: integer('attempts').notNull(),
    lastError: text('last_error'),
    requestedBy: text('requested_by').notNull(),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
    succeededAt: at('succeeded_at'),
    /** The store's version of the refund; an upsert only ever raises it. */
    version: integer('version').notNull(),
  },
  (t) => [
    // A store's refunds over time (the console's refund list).
    index('refunds_store_created_idx').on(t.storeId, t.createdAt),
  ],
)

/** Money movements, immutable: payments in positive, refunds out negative. Reports sum this table. */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    at: at('at').notNull(),
    kind: text('kind').$type<LedgerEntry['kind']>().notNull(),
    provider: text('provider').$type<ProviderName>().notNull(),
    checkoutId: text('checkout_id').notNull(),
    orderIds: jsonb('order_ids').$type<string[]>().notNull(),
    paymentId: text('payment_id').notNull(),
    refundId: text('refund_id'),
    transactionId: text('transaction_id').notNull(),
    /** Signed: + in, - out. */
    amountFen: fen('amount_fen'),
    memo: text('memo').notNull(),
  },
  (t) => [
    // A store's revenue by hour or day.
    index('ledger_entries_store_at_idx').on(t.storeId, t.at),
    // Reconciliation: one provider's entries of one bill day.
    index('ledger_entries_provider_at_idx').on(t.provider, t.at),
    // Everything that moved for one out_trade_no.
    index('ledger_entries_checkout_idx').on(t.checkoutId),
  ],
)

/** One daily reconciliation of a provider's bill against the ledger; a rerun of a day replaces it. */
export const reconciliationRuns = pgTable(
  'reconciliation_runs',
  {
    id: text('id').primaryKey(),
    provider: text('provider').$type<ProviderName>().notNull(),
    /** The bill's day in Beijing time, 'YYYY-MM-DD'. */
    billDate: text('bill_date').notNull(),
    ranAt: at('ran_at').notNull(),
    matched: integer('matched').notNull(),
    /** 长款: at the provider, not in the ledger. */
    providerOnly: integer('provider_only').notNull(),
    /** 短款: in the ledger, not at the provider. */
    localOnly: integer('local_only').notNull(),
    amountMismatch: integer('amount_mismatch').notNull(),
    /** Net of the bill (payments minus refunds) and of the ledger for the same day. */
    billFen: fen('bill_fen'),
    ledgerFen: fen('ledger_fen'),
    /** The full lists behind the counts, as the reconciliation produced them. */
    report: jsonb('report').$type<unknown>().notNull(),
  },
  (t) => [uniqueIndex('reconciliation_runs_provider_day_idx').on(t.provider, t.billDate)],
)
