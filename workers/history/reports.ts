// Reads of money history for the console and the daily reconciliation: revenue by hour, one provider's
// ledger for a bill day, and the reconciliation runs. All over the ledger (money that moved, payments in
// positive, refunds out negative), never over orders: an order's total is what was asked, the ledger is
// what arrived and what went back.
// Driver-agnostic like writer.ts: query builders only, so every driver returns plain arrays.
import { and, asc, desc, eq, getTableColumns, gte, lt, type SQL, sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { LedgerEntry, ProviderName } from '../../core/payment-types'
import type { ReconcileReport, RevenueRow } from '../../core/payments'
import { ledgerEntries, reconciliationRuns } from './schema'

export type { RevenueRow }

// Beijing time has had no daylight saving since 1991: a bill day is always [00:00, 24:00) at UTC+8.
const BEIJING_OFFSET_MS = 8 * 3_600_000
const DAY_MS = 24 * 3_600_000

/**
 * Revenue per (store, UTC hour, provider) for entries with `from <= at < to` (epoch ms), ordered by store,
 * hour, provider: what core/payments.ts hourlyRevenue() computes over the same entries in memory. Each
 * entry counts in the hour it moved: a refund of an earlier hour's payment lowers its own hour.
 */
export async function hourlyRevenue<Q extends PgQueryResultHKT, S extends Record<string, unknown>>(
  db: PgDatabase<Q, S>,
  range: { storeId?: string; from: number; to: number },
): Promise<RevenueRow[]> {
  const e = ledgerEntries
  // The time zone is explicit: date_trunc over timestamptz otherwise follows the session's TimeZone.
  const hour = sql`date_trunc('hour', ${e.at}, 'UTC')`
  // Sums of int4 are bigint, which drivers return as strings; the values fit a double exactly.
  const num = (expr: SQL) => sql`${expr}`.mapWith(Number)
  const where = [gte(e.at, new Date(range.from)), lt(e.at, new Date(range.to))]
  if (range.storeId !== undefined) where.push(eq(e.storeId, range.storeId))
  const rows = await db
    .select({
      storeId: e.storeId,
      hourStart: num(sql`(extract(epoch from ${hour}) * 1000)::bigint`),
      provider: e.provider,
      paymentsFen: num(sql`coalesce(sum(${e.amountFen}) filter (where ${e.kind} = 'payment'), 0)`),
      refundsFen: num(sql`coalesce(-sum(${e.amountFen}) filter (where ${e.kind} = 'refund'), 0)`),
      netFen: num(sql`sum(${e.amountFen})`),
      payments: num(sql`count(*) filter (where ${e.kind} = 'payment')`),
      refunds: num(sql`count(*) filter (where ${e.kind} = 'refund')`),
    })
    .from(e)
    .where(and(...where))
    .groupBy(e.storeId, hour, e.provider)
    .orderBy(e.storeId, hour, e.provider)
  return rows as RevenueRow[]
}

/** [start, end) in epoch ms of a Beijing-time day 'YYYY-MM-DD'. */
export function beijingDayRange(billDate: string): { from: number; to: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(billDate)
  const midnight = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN
  // Date.UTC rolls 2026-02-30 over to March; a bill date that does so is not a date.
  if (!m || new Date(midnight).toISOString().slice(0, 10) !== billDate)
    throw new RangeError(`bill date must be YYYY-MM-DD, got ${JSON.stringify(billDate)}`)
  const from = midnight - BEIJING_OFFSET_MS
  return { from, to: from + DAY_MS }
}

/** One provider's ledger entries of a bill day (Beijing time, as providers cut their bills), by time. */
export async function ledgerForDay<Q extends PgQueryResultHKT, S extends Record<string, unknown>>(
  db: PgDatabase<Q, S>,
  provider: ProviderName,
  billDate: string,
): Promise<LedgerEntry[]> {
  const { from, to } = beijingDayRange(billDate)
  const e = ledgerEntries
  const rows = await db
    .select()
    .from(e)
    .where(and(eq(e.provider, provider), gte(e.at, new Date(from)), lt(e.at, new Date(to))))
    .orderBy(asc(e.at), asc(e.id))
  return rows.map((r) => ({
    id: r.id,
    storeId: r.storeId,
    at: r.at.getTime(),
    kind: r.kind,
    provider: r.provider,
    checkoutId: r.checkoutId,
    orderIds: r.orderIds,
    paymentId: r.paymentId,
    ...(r.refundId === null ? {} : { refundId: r.refundId }),
    transactionId: r.transactionId,
    amountFen: r.amountFen,
    memo: r.memo,
  }))
}

/** A reconciliation of one provider's bill day, as stored; `report` holds the full lists behind the counts. */
export interface ReconciliationRun<R = ReconcileReport> {
  id: string
  provider: ProviderName
  /** Beijing-time day of the bill, 'YYYY-MM-DD'. */
  billDate: string
  ranAt: number
  matched: number
  /** 长款: paid at the provider, missing locally. */
  providerOnly: number
  /** 短款: in the ledger, missing at the provider. */
  localOnly: number
  amountMismatch: number
  /** Net of the bill and of the ledger for the day (payments minus refunds). */
  billFen: number
  ledgerFen: number
  report: R
}

/** The run to store for core/payments.ts reconcile()'s report: its counts and totals, and the report itself. */
export function reconciliationRun(
  run: { id: string; provider: ProviderName; billDate: string; ranAt: number },
  report: ReconcileReport,
): ReconciliationRun {
  return {
    ...run,
    matched: report.matched,
    providerOnly: report.providerOnly.length,
    localOnly: report.localOnly.length,
    amountMismatch: report.amountMismatch.length,
    billFen: report.totals.billFen,
    ledgerFen: report.totals.ledgerFen,
    report,
  }
}

/** Stores a run; a rerun of the same provider and bill day replaces the earlier one, id included. */
export async function saveReconciliation<Q extends PgQueryResultHKT, S extends Record<string, unknown>>(
  db: PgDatabase<Q, S>,
  run: ReconciliationRun<unknown>,
): Promise<void> {
  for (const [what, v] of [
    ['billFen', run.billFen],
    ['ledgerFen', run.ledgerFen],
  ] as const)
    if (!Number.isSafeInteger(v)) throw new Error(`reconciliation ${run.id}: ${what} is not whole fen (${v})`)
  beijingDayRange(run.billDate)
  const row = { ...run, ranAt: new Date(run.ranAt) }
  const set: Record<string, SQL> = {}
  for (const [key, col] of Object.entries(getTableColumns(reconciliationRuns)))
    if (key !== 'provider' && key !== 'billDate') set[key] = sql.raw(`excluded."${col.name}"`)
  await db
    .insert(reconciliationRuns)
    .values(row)
    .onConflictDoUpdate({ target: [reconciliationRuns.provider, reconciliationRuns.billDate], set })
}

/** The newest runs first (by when they ran). */
export async function latestReconciliations<Q extends PgQueryResultHKT, S extends Record<string, unknown>>(
  db: PgDatabase<Q, S>,
  limit: number,
): Promise<ReconciliationRun[]> {
  // `report` is whatever the job stored: ReconcileReport when it came through reconciliationRun().
  const rows = await db
    .select()
    .from(reconciliationRuns)
    .orderBy(
      desc(reconciliationRuns.ranAt),
      desc(reconciliationRuns.billDate),
      asc(reconciliationRuns.provider),
    )
    .limit(limit)
  return rows.map((r) => ({ ...r, ranAt: r.ranAt.getTime(), report: r.report as ReconcileReport }))
}
