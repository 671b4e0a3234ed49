// The outbox from a store to Postgres history. Each state change writes one row in the same storage
// transaction as the change; an alarm drains due rows in batches. The drain is pure logic over injected
// storage and writer (tldraw's outboxDrain style) so it is tested without the runtime.
//
// Guarantees: a row is removed only after a write that contained it resolved, so nothing is lost; a
// failed write keeps every row of its batch and backs off; the drain never throws because of the writer
// (an alarm that throws burns the runtime's few automatic retries). Delivery is at-least-once: a write
// that timed out may still have committed, so the Postgres side is idempotent by event id.
import type { Order, OrderEventRecord } from './order'
import type { LedgerEntry, PaymentRecord, RefundRecord } from './payment-types'

/**
 * Order rows carry `OutboxPayload`; money rows carry the record itself: 'payment' a PaymentRecord and
 * 'refund' a RefundRecord (both upserted by `version`), 'ledger' a LedgerEntry (insert once).
 */
export type OutboxKind = 'order.created' | 'order.event' | 'payment' | 'refund' | 'ledger'

export type MoneyOutboxPayload = PaymentRecord | RefundRecord | LedgerEntry

export interface OutboxRow {
  /** Event id, unique, e.g. `evt_…`; sortable, so id order is creation order. */
  id: string
  kind: OutboxKind
  storeId: string
  createdAt: number
  /** Failed writes so far. */
  attempts: number
  /** JSON of `OutboxPayload`. */
  payload: string
}

/** What `payload` holds for both kinds: the event and the order as it was right after it. */
export interface OutboxPayload {
  event: OrderEventRecord
  order: Order
}

export interface OutboxDeps {
  /** Due rows (next attempt at or before `now`), oldest first, at most `limit`. */
  take(limit: number, now: number): OutboxRow[]
  /** Delete delivered rows. */
  remove(ids: string[]): void
  /** Increment `attempts` of these rows and make them due again at `nextAt`. */
  markFailed(ids: string[], nextAt: number, error: string): void
  /** When the earliest remaining row is due, or null when the outbox is empty. */
  nextDueAt(): number | null
  /** Write rows to Postgres; resolves only once they are committed. */
  write(rows: OutboxRow[]): Promise<void>
  now(): number
}

export interface DrainOptions {
  batchSize?: number
  maxBatches?: number
  writeTimeoutMs?: number
  /** Uniform in [0, 1); injected so tests are deterministic. */
  random?: () => number
}

export interface DrainResult {
  written: number
  failed: number
  /** When to run the drain again (`now()` for at once); null when the outbox is empty. */
  nextAlarmAt: number | null
}

// 100 rows make one transaction of three multi-row INSERTs: enough that a busy store (a few hundred
// writes a second at most) keeps up in a few round trips, small enough that a batch's JSON and its bound
// parameters stay small in a Worker's 128 MB.
export const BATCH_SIZE = 100
// Ten batches bound one alarm's wall time; a larger backlog re-arms the alarm at once instead of holding
// the object's event loop (and its input gate) for one long drain.
export const MAX_BATCHES_PER_DRAIN = 10
// Neon answers in tens of milliseconds and a cold compute wakes in a few seconds; 30 s (tldraw's
// per-effect timeout) means the database is not coming back soon, and the alarm must not hang on it.
export const WRITE_TIMEOUT_MS = 30_000
// The first retry waits 2 s, the same base as the runtime's own alarm retries: long enough to ride out a
// dropped WebSocket, short enough that history is seconds behind after a blip.
export const BACKOFF_BASE_MS = 2_000
// Doubling stops at 5 min: an outage of hours costs 12 attempts an hour per store, and history catches
// up within 5 minutes of Postgres returning.
export const BACKOFF_MAX_MS = 5 * 60_000
// Up to 20% earlier, so thousands of stores that failed together do not all retry in the same second.
export const BACKOFF_JITTER = 0.2
// A row that failed three times may be the problem itself (say a value Postgres refuses), not the
// network. It is then written alone first, so one poison row cannot hold back the rows behind it.
export const ISOLATE_AFTER_ATTEMPTS = 3
// Errors are stored for the console; a stack of a driver error can be kilobytes.
const MAX_ERROR_CHARS = 500

/** Delay before attempt `attempts + 1`, for a row that has failed `attempts` times (>= 1). */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1))
  return Math.round(exp * (1 - BACKOFF_JITTER * random()))
}

export async function drainOutbox(deps: OutboxDeps, opts: DrainOptions = {}): Promise<DrainResult> {
  const batchSize = opts.batchSize ?? BATCH_SIZE
  const maxBatches = opts.maxBatches ?? MAX_BATCHES_PER_DRAIN
  const timeoutMs = opts.writeTimeoutMs ?? WRITE_TIMEOUT_MS
  const random = opts.random ?? Math.random
  let written = 0
  let failed = 0
  let failures = 0
  let retryAt: number | null = null

  for (let batch = 0; batch < maxBatches && retryAt === null; batch++) {
    const due = deps.take(batchSize, deps.now())
    if (due.length === 0) break
    // A suspect head row goes alone; the rest of the batch comes round again in the next iteration.
    const isolated = due[0]!.attempts >= ISOLATE_AFTER_ATTEMPTS
    const rows = isolated ? due.slice(0, 1) : due
    const ids = rows.map((r) => r.id)
    try {
      await withTimeout(deps.write(rows), timeoutMs)
      deps.remove(ids)
      written += rows.length
      if (!isolated && rows.length < batchSize) break
    } catch (e) {
      const attempts = Math.max(...rows.map((r) => r.attempts)) + 1
      const nextAt = deps.now() + backoffMs(attempts, random)
      deps.markFailed(ids, nextAt, errorText(e))
      failed += rows.length
      failures++
      // A lone suspect failing may be poison: go on with the others. A whole batch failing, or a second
      // failure in one drain, means Postgres is unreachable: stop and come back after the backoff.
      if (!isolated || failures > 1) retryAt = nextAt
    }
  }
  // Rows still due (a backlog beyond maxBatches) mean at once. After an outage, rows that were due but
  // untried wait for the backoff too, since retrying them at once would hit the same outage.
  const next = deps.nextDueAt()
  if (next === null) return { written, failed, nextAlarmAt: null }
  return { written, failed, nextAlarmAt: Math.max(next, retryAt ?? deps.now()) }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`history write timed out after ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

function errorText(e: unknown): string {
  // Drivers also reject with non-Errors, e.g. a WebSocket ErrorEvent that only has `message`.
  const text =
    e instanceof Error
      ? `${e.name}: ${e.message}`
      : typeof e === 'object' && e !== null && 'message' in e
        ? String(e.message)
        : String(e)
  return text.slice(0, MAX_ERROR_CHARS)
}

/**
 * The storage half of `OutboxDeps` over memory: the executable spec of what a store's SQL does, used by
 * tests here and in test/postgres.
 */
export function memoryOutbox(now: () => number = Date.now) {
  const rows = new Map<string, { row: OutboxRow; nextAt: number; error?: string }>()
  return {
    rows,
    add(row: OutboxRow): void {
      rows.set(row.id, { row, nextAt: row.createdAt })
    },
    take(limit: number, at: number): OutboxRow[] {
      return [...rows.values()]
        .filter((e) => e.nextAt <= at)
        .sort((a, b) => (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0))
        .slice(0, limit)
        .map((e) => ({ ...e.row }))
    },
    remove(ids: string[]): void {
      for (const id of ids) rows.delete(id)
    },
    markFailed(ids: string[], nextAt: number, error: string): void {
      for (const id of ids) {
        const e = rows.get(id)
        if (e) rows.set(id, { row: { ...e.row, attempts: e.row.attempts + 1 }, nextAt, error })
      }
    },
    nextDueAt(): number | null {
      let min: number | null = null
      for (const e of rows.values()) if (min === null || e.nextAt < min) min = e.nextAt
      return min
    },
    now,
  }
}
