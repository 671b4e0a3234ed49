// Writes outbox rows into Postgres history in one transaction. Idempotent, because the outbox is
// at-least-once: events and ledger entries are keyed by their ids and inserted once; an order and its
// lines, a payment and a refund only move to a higher version (a line changes when staff take it back,
// 退菜, and the order is priced again; a payment when it is refunded; a refund as the provider answers).
// Driver-agnostic: any drizzle Postgres database (neon-serverless in production, PGlite, node-postgres).
import { getTableColumns, type SQL, sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTable } from 'drizzle-orm/pg-core'
import type { OutboxPayload, OutboxRow } from '../../core/outbox'
import { isMoneyRow, toMoneyHistory } from './money-writer'
import { ledgerEntries, orderEvents, orderLines, orders, payments, refunds } from './schema'

// Postgres allows 65,535 bound parameters per statement; 1,000 rows of the widest table (orders, 22
// columns) use 22,000, so a batch of any size is split into statements that always fit.
const MAX_ROWS_PER_STATEMENT = 1_000

type OrderRow = typeof orders.$inferInsert
type LineRow = typeof orderLines.$inferInsert
type EventRow = typeof orderEvents.$inferInsert

export async function writeOutboxRows<Q extends PgQueryResultHKT, S extends Record<string, unknown>>(
  db: PgDatabase<Q, S>,
  rows: OutboxRow[],
): Promise<void> {
  if (rows.length === 0) return
  // Parsed and checked before the transaction: a bad row of any kind fails the batch without a round trip.
  const { orderRows, lineRows, eventRows } = toHistory(rows.filter((r) => !isMoneyRow(r)))
  const { paymentRows, refundRows, ledgerRows } = toMoneyHistory(rows.filter(isMoneyRow))
  await db.transaction(async (tx) => {
    // Orders first: lines reference them.
    for (const part of chunks(orderRows))
      await tx
        .insert(orders)
        .values(part)
        .onConflictDoUpdate({
          target: orders.id,
          set: excludedColumns(orders, ['id']),
          // Only a newer version wins, so a late or replayed row never rolls an order back.
          setWhere: sql`${orders.version} < excluded.version`,
        })
    for (const part of chunks(lineRows))
      await tx
        .insert(orderLines)
        .values(part)
        .onConflictDoUpdate({
          target: [orderLines.orderId, orderLines.lineNo],
          set: excludedColumns(orderLines, ['orderId', 'lineNo']),
          setWhere: sql`${orderLines.version} < excluded.version`,
        })
    for (const part of chunks(eventRows)) await tx.insert(orderEvents).values(part).onConflictDoNothing()
    // Money: payments and refunds never roll back to an older version; ledger entries are immutable.
    for (const part of chunks(paymentRows))
      await tx
        .insert(payments)
        .values(part)
        .onConflictDoUpdate({
          target: payments.id,
          set: excludedColumns(payments, ['id']),
          setWhere: sql`${payments.version} < excluded.version`,
        })
    for (const part of chunks(refundRows))
      await tx
        .insert(refunds)
        .values(part)
        .onConflictDoUpdate({
          target: refunds.id,
          set: excludedColumns(refunds, ['id']),
          setWhere: sql`${refunds.version} < excluded.version`,
        })
    for (const part of chunks(ledgerRows))
      await tx.insert(ledgerEntries).values(part).onConflictDoNothing({ target: ledgerEntries.id })
  })
}

/**
 * Order rows ('order.created', 'order.event') to table rows, with duplicates folded: Postgres refuses to
 * upsert one row twice in a statement.
 */
export function toHistory(rows: OutboxRow[]): {
  orderRows: OrderRow[]
  lineRows: LineRow[]
  eventRows: EventRow[]
} {
  const latest = new Map<string, OutboxPayload['order']>()
  const events = new Map<string, EventRow>()
  for (const row of rows) {
    const { event, order } = parsePayload(row)
    const seen = latest.get(order.id)
    if (!seen || seen.version < order.version) latest.set(order.id, order)
    events.set(row.id, {
      id: row.id,
      orderId: event.orderId,
      storeId: event.storeId,
      version: event.version,
      event: event.event,
      fromState: event.from,
      toState: event.to,
      actor: event.actor,
      actorId: event.actorId,
      reason: event.reason ?? null,
      at: new Date(event.at),
    })
  }
  const orderRows: OrderRow[] = []
  const lineRows: LineRow[] = []
  for (const o of latest.values()) {
    orderRows.push({
      id: o.id,
      storeId: o.storeId,
      mode: o.mode,
      state: o.state,
      paid: o.paid,
      payMode: o.payMode,
      pickupNo: o.pickupNo,
      tableKey: o.tableKey ?? null,
      tableLabel: o.tableLabel ?? null,
      sessionId: o.sessionId ?? null,
      roundNo: o.roundNo ?? null,
      dinerId: o.dinerId ?? null,
      totalFen: o.totalFen,
      itemsFen: o.price.itemsFen,
      discountFen: o.price.discountFen,
      feesFen: o.price.feesFen,
      priceSteps: o.price.steps,
      note: o.note,
      reason: o.reason ?? null,
      createdAt: new Date(o.createdAt),
      updatedAt: new Date(o.updatedAt),
      version: o.version,
    })
    for (const l of o.lines)
      lineRows.push({
        orderId: o.id,
        lineNo: l.lineNo,
        itemId: l.itemId,
        skuId: l.skuId,
        name: l.name,
        skuName: l.skuName,
        optionNames: l.optionNames,
        qty: l.qty,
        unitPriceFen: l.unitPriceFen,
        unitPaidFen: l.unitPaidFen,
        lineTotalFen: l.lineTotalFen,
        station: l.station,
        note: l.note,
        version: o.version,
        voidedReason: l.voided?.reason ?? null,
        voidedAt: l.voided ? new Date(l.voided.at) : null,
      })
  }
  return { orderRows, lineRows, eventRows: [...events.values()] }
}

/**
 * Parse and check what Postgres cannot check for us: money must be whole fen (int4 would reject 12.5
 * with an opaque error, or a driver might round it). A bad row fails its batch, and the drain then
 * isolates it so the rows behind it still flow.
 */
function parsePayload(row: OutboxRow): OutboxPayload {
  if (row.kind !== 'order.created' && row.kind !== 'order.event')
    throw new Error(`outbox row ${row.id}: unknown kind ${row.kind}`)
  const p = JSON.parse(row.payload) as OutboxPayload
  if (!p?.order?.id || !p.event?.orderId || p.event.orderId !== p.order.id)
    throw new Error(`outbox row ${row.id}: payload has no matching order and event`)
  const o = p.order
  const money: [string, unknown][] = [
    ['totalFen', o.totalFen],
    ['price.itemsFen', o.price?.itemsFen],
    ['price.discountFen', o.price?.discountFen],
    ['price.feesFen', o.price?.feesFen],
    ...o.lines.flatMap((l): [string, unknown][] => [
      [`lines[${l.lineNo}].unitPriceFen`, l.unitPriceFen],
      [`lines[${l.lineNo}].unitPaidFen`, l.unitPaidFen],
      [`lines[${l.lineNo}].lineTotalFen`, l.lineTotalFen],
    ]),
  ]
  for (const [what, v] of money)
    if (!Number.isSafeInteger(v)) throw new Error(`outbox row ${row.id}: ${what} is not whole fen (${v})`)
  return p
}

/** `SET col = excluded.col` for every column but the key. */
function excludedColumns(table: PgTable, except: string[]): Record<string, SQL> {
  const set: Record<string, SQL> = {}
  for (const [key, col] of Object.entries(getTableColumns(table)))
    if (!except.includes(key)) set[key] = sql.raw(`excluded."${col.name}"`)
  return set
}

function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += MAX_ROWS_PER_STATEMENT)
    out.push(xs.slice(i, i + MAX_ROWS_PER_STATEMENT))
  return out
}
