// Dispatch settings from the environment, and the timing constants the cell and the rider share.
import { DEFAULT_DISPATCH, type DispatchSettings } from '../../core/delivery'

export interface DispatchEnv {
  DISPATCH_MODE?: string
  DISPATCH_OFFER_TIMEOUT_MS?: string
  DISPATCH_BATCH_MS?: string
}

/** Bounds on the env values: a typo must not make offers vanish in a millisecond or batches stop. */
const OFFER_TIMEOUT_RANGE = [1_000, 300_000] as const
const BATCH_RANGE = [200, 120_000] as const

function num(v: string | undefined, dflt: number, [lo, hi]: readonly [number, number]): number {
  const n = Number(v)
  return v !== undefined && v !== '' && Number.isFinite(n) ? Math.min(hi, Math.max(lo, Math.round(n))) : dflt
}

export function dispatchSettings(env: DispatchEnv): DispatchSettings {
  return {
    mode: env.DISPATCH_MODE === 'grab' ? 'grab' : DEFAULT_DISPATCH.mode,
    offerTimeoutMs: num(env.DISPATCH_OFFER_TIMEOUT_MS, DEFAULT_DISPATCH.offerTimeoutMs, OFFER_TIMEOUT_RANGE),
    batchIntervalMs: num(env.DISPATCH_BATCH_MS, DEFAULT_DISPATCH.batchIntervalMs, BATCH_RANGE),
  }
}

/**
 * A rider's object tells its cell where it is at least this often (and at once on changing cell or load):
 * the cell's view may be 30 s old, which at 4.5 m/s is ~135 m, well inside dispatch's precision.
 */
export const CELL_HEARTBEAT_MS = 30_000
/**
 * A rider not heard of for this long leaves the cell's list. A rider standing still reports every 2 min
 * (core/geo STILL_INTERVAL_MS), so two missed still reports plus slack: an app killed or out of signal
 * stops being offered work within ~4.5 min.
 */
export const RIDER_STALE_MS = 270_000
/**
 * The cell waits this long past an offer's expiry before taking the jobs back: a rider's accept sent a
 * moment before expiry is still in flight, and the rider's object refuses accepts after expiresAt itself.
 */
export const OFFER_GRACE_MS = 3_000
