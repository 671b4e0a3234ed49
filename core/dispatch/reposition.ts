// Where an idle courier waits. A courier that just dropped off is usually out in the suburbs, while the
// next pickups will be at the stores that have been busy lately. Moving idle couriers to such a store
// shortens the next trip to a store, which is most of what keeps ready-to-pickup near zero at peaks.
// A move is a commitment (couriers are not diverted mid-move), so it is short and only for couriers no
// bundle wants right now; the matching prices a repositioning courier from the store it will reach.
import type { CourierState, Point, TravelTime } from './types'

export interface StoreDemand {
  storeId: string
  at: Point
  /** Recent orders of the store (what the caller saw placed, e.g. over the last hour). */
  weight: number
}

export interface RepositionRules {
  /** Longest move, minutes. */
  maxMinutes: number
  /** A courier this close (minutes) to a busy store stays where it is. */
  closeEnough: number
  /** Couriers waiting at (or heading to) one store. */
  perStore: number
  /** Stores with fewer recent orders are not worth waiting at. */
  minWeight: number
  /** No move in the last minutes of a shift. */
  shiftEndSlack: number
}

export interface Reposition {
  courierId: string
  storeId: string
  at: Point
  departAt: number
  arriveAt: number
}

/** Moves for `idle` couriers (free now, nothing planned), at most `perStore` per store counting those
 * already at or heading to it (`waiting`). Greedy by courier id order: the choice is a heuristic, not part
 * of the exact matching, and stable across replays. */
export function planRepositions(
  idle: readonly CourierState[],
  stores: readonly StoreDemand[],
  waiting: ReadonlyMap<string, number>,
  now: number,
  travel: TravelTime,
  rules: RepositionRules,
): Reposition[] {
  const busy = stores.filter((s) => s.weight >= rules.minWeight)
  if (busy.length === 0) return []
  const load = new Map(waiting)
  const out: Reposition[] = []
  for (const c of idle) {
    if (c.freeAt > now || c.open || c.onAt > now) continue
    let nearest = Number.POSITIVE_INFINITY
    for (const s of busy) nearest = Math.min(nearest, travel(c.at, s.at))
    if (nearest <= rules.closeEnough) continue
    let best: StoreDemand | null = null
    let bestScore = Number.NEGATIVE_INFINITY
    let bestTt = 0
    for (const s of busy) {
      if ((load.get(s.storeId) ?? 0) >= rules.perStore) continue
      const tt = travel(c.at, s.at)
      if (tt > rules.maxMinutes || now + tt > c.offAt - rules.shiftEndSlack) continue
      // Demand per minute of driving: a busy store a bit further beats a quiet one next door.
      const score = s.weight / (1 + tt)
      if (score > bestScore) {
        bestScore = score
        best = s
        bestTt = tt
      }
    }
    if (!best) continue
    load.set(best.storeId, (load.get(best.storeId) ?? 0) + 1)
    out.push({ courierId: c.id, storeId: best.storeId, at: best.at, departAt: now, arriveAt: now + bestTt })
  }
  return out
}
