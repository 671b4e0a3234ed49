// Rules for a rider's location stream: which fixes to keep, how often the app should report, and the
// bounded trail the RiderDO holds. Pure: the RiderDO applies them to what its socket receives.
import { assertLatLng } from './coords'
import { haversineM } from './distance'

/** One GPS fix, already converted to GCJ-02 at the edge. */
export interface Fix {
  readonly lat: number
  readonly lng: number
  /** Epoch ms, taken on the device when the fix was measured. */
  readonly at: number
  /** Radius of the device's 68% confidence circle, metres (what browsers and SDKs report). */
  readonly accuracyM: number
}

export interface TrackRules {
  maxSpeedMps: number
  maxAccuracyM: number
}

export const DEFAULT_TRACK_RULES: TrackRules = {
  /**
   * 40 m/s = 144 km/h. Riders ride e-bikes (capped at 25 km/h by GB 17761-2018) or motorbikes, at most
   * a car on an urban expressway (100-120 km/h); GPS glitches jump kilometres in seconds. 40 m/s is
   * above every honest rider and far below a glitch.
   */
  maxSpeedMps: 40,
  /**
   * 50 m: worse than that cannot place the rider inside or outside a 100 m store fence. Phone GPS is
   * 5-20 m in a city; fixes of 100 m to km come from Wi-Fi or cell towers and would only add noise.
   */
  maxAccuracyM: 50,
}

export type FixVerdict = 'ok' | 'out_of_order' | 'impossible_jump' | 'inaccurate'

/**
 * Judges `next` against `prev`, the last accepted fix (undefined for the first). The speed check grants
 * both fixes' accuracy as slack, so two honest fixes a second apart with 15 m of jitter each are not a
 * "jump". A caller that rejects several jumps in a row should suspect `prev` and start afresh.
 */
export function acceptFix(
  prev: Fix | undefined,
  next: Fix,
  rules: TrackRules = DEFAULT_TRACK_RULES,
): FixVerdict {
  assertLatLng(next, 'fix')
  if (!(next.accuracyM >= 0 && next.accuracyM <= rules.maxAccuracyM)) return 'inaccurate'
  if (!prev) return 'ok'
  if (!(next.at > prev.at)) return 'out_of_order'
  const travelledM = haversineM(prev, next) - prev.accuracyM - next.accuracyM
  return travelledM > (rules.maxSpeedMps * (next.at - prev.at)) / 1000 ? 'impossible_jump' : 'ok'
}

/** Report every 15 s while moving: the diner's map moves smoothly and a 100 m fence is not overshot
 * by much at e-bike speed (~7 m/s -> ~100 m between fixes). */
export const MOVING_INTERVAL_MS = 15_000
/** Every 2 min while standing still (waiting at a store, in a lift): saves battery and writes. */
export const STILL_INTERVAL_MS = 120_000
/** "Still" means staying within 30 m, above a parked phone's GPS wander (5-20 m in a city) and below
 * the ~35 m an e-bike covers in 5 s, so any real ride breaks it. */
export const STILL_RADIUS_M = 30
/** ... for the last 2 min: long enough that a red light (30-90 s) does not count as still. */
export const STILL_WINDOW_MS = 120_000

/**
 * Still when the fixes cover at least STILL_WINDOW_MS and every fix since the newest one at or before the
 * window's start lies within STILL_RADIUS_M of the latest. Too little history counts as moving: reporting
 * often is the safe default. `recentFixes` are accepted fixes, oldest first.
 */
export function isStill(recentFixes: readonly Fix[]): boolean {
  const last = recentFixes.at(-1)
  if (!last) return false
  const windowStart = last.at - STILL_WINDOW_MS
  for (let i = recentFixes.length - 1; i >= 0; i--) {
    const f = recentFixes[i]!
    if (haversineM(f, last) >= STILL_RADIUS_M) return false
    if (f.at <= windowStart) return true
  }
  return false
}

/** The reporting interval to tell the rider's app after its latest fix. */
export function reportIntervalMs(recentFixes: readonly Fix[]): number {
  return isStill(recentFixes) ? STILL_INTERVAL_MS : MOVING_INTERVAL_MS
}

/**
 * 60 fixes: 15 min at the moving rate, enough for the still window and for the tail drawn on the diner's
 * map; older points go to Postgres as the rider's track, not into the object's memory.
 */
export const DEFAULT_TRAIL_LEN = 60

/** A new trail with `fix` appended, keeping the latest maxLen fixes. */
export function trailAppend(trail: readonly Fix[], fix: Fix, maxLen = DEFAULT_TRAIL_LEN): Fix[] {
  if (!Number.isSafeInteger(maxLen) || maxLen < 1) throw new RangeError(`maxLen must be >= 1, got ${maxLen}`)
  const keep = trail.length + 1 - maxLen
  return keep > 0 ? [...trail.slice(keep), fix] : [...trail, fix]
}
