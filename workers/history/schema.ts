// Postgres history, fed from store outboxes (core/outbox.ts). Never read on a diner's request; it serves
// reports and the console's order history. Money is integer fen: int4 holds up to ¥21,474,836.47 per
// order or line, and node-postgres returns int4 as a JS number (int8 would come back as a string).
// Change this file, then `npm run db:generate` and commit the new SQL under drizzle/.
import { sql } from 'drizzle-orm'
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'
import type { PayMode } from '../../core/order'
import type { Actor, OrderEvent, OrderMode, OrderState } from '../../core/order-machine'
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
