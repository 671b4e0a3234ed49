// The history sink a store's outbox drain writes through: a Pool per call over Neon's WebSocket driver,
// drizzle on top, one transaction per batch, and the Pool always ended (Workers forbid keeping I/O
// objects across requests, and an open socket would keep the alarm's invocation alive).
import { drizzle } from 'drizzle-orm/neon-serverless'
import type { OutboxRow } from '../../core/outbox'
import { historyPool } from './neon-config'
import { writeOutboxRows } from './writer'

export interface HistoryEnv {
  DATABASE_URL?: string
  NEON_WS_PROXY?: string
}

export type HistorySink = (rows: OutboxRow[]) => Promise<void>

/** Null when no database is configured; what the outbox does then is the caller's choice. */
export function neonHistorySink(env: HistoryEnv): HistorySink | null {
  const url = env.DATABASE_URL
  if (!url) return null
  const wsProxy = env.NEON_WS_PROXY || undefined
  return async (rows) => {
    const pool = historyPool(url, wsProxy)
    // A socket that dies while idle emits 'error' on the Pool; unhandled, that would crash the isolate.
    pool.on('error', () => {})
    try {
      await writeOutboxRows(drizzle({ client: pool }), rows)
    } finally {
      await pool.end().catch(() => {})
    }
  }
}

/**
 * Run read queries (reports, reconciliation) on history: a Pool for this call only, always ended.
 * Null when no database is configured.
 */
export async function withHistoryDb<T>(
  env: HistoryEnv,
  fn: (db: ReturnType<typeof drizzle>) => Promise<T>,
): Promise<T | null> {
  const url = env.DATABASE_URL
  if (!url) return null
  const pool = historyPool(url, env.NEON_WS_PROXY || undefined)
  pool.on('error', () => {})
  try {
    return await fn(drizzle({ client: pool }))
  } finally {
    await pool.end().catch(() => {})
  }
}
