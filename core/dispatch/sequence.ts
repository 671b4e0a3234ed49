// Dropoff order inside a bundle. Bundles are small (a handful of orders of one store), so the exact best
// sequence by enumeration is cheap; larger ones fall back to cheapest insertion.
import type { DispatchOrder, Point, ServiceTimes, TravelTime } from './types'

/** Largest bundle sequenced by full enumeration (5! = 120 sequences). */
const EXACT_UP_TO = 5

/** Sum of (dropoff - readyAt) over the orders if delivered in this sequence, leaving the store at 0, and
 * the time the last dropoff is done. What dispatch minimises is the orders' waiting, so that is the key;
 * the route's length breaks ties. */
export function sequenceScore(
  store: Point,
  orders: readonly DispatchOrder[],
  travel: TravelTime,
  service: ServiceTimes,
): { latency: number; end: number } {
  let t = 0
  let pos = store
  let latency = 0
  for (const o of orders) {
    t += travel(pos, o.dropoff)
    latency += t + service.dropoff / 2
    t += service.dropoff
    pos = o.dropoff
  }
  return { latency, end: t }
}

function better(a: { latency: number; end: number }, b: { latency: number; end: number }): boolean {
  return a.latency < b.latency || (a.latency === b.latency && a.end < b.end)
}

/** The sequence of `orders` that minimises the summed dropoff times (ties: the shorter route). */
export function sequenceDropoffs(
  store: Point,
  orders: readonly DispatchOrder[],
  travel: TravelTime,
  service: ServiceTimes,
): DispatchOrder[] {
  if (orders.length <= 1) return [...orders]
  if (orders.length <= EXACT_UP_TO) {
    let best: DispatchOrder[] = [...orders]
    let bestScore = sequenceScore(store, best, travel, service)
    permute([...orders], 0, (seq) => {
      const s = sequenceScore(store, seq, travel, service)
      if (better(s, bestScore)) {
        bestScore = s
        best = [...seq]
      }
    })
    return best
  }
  let seq: DispatchOrder[] = []
  for (const o of orders) {
    let bestSeq: DispatchOrder[] | null = null
    let bestScore = { latency: Number.POSITIVE_INFINITY, end: Number.POSITIVE_INFINITY }
    for (let k = 0; k <= seq.length; k++) {
      const cand = [...seq.slice(0, k), o, ...seq.slice(k)]
      const s = sequenceScore(store, cand, travel, service)
      if (better(s, bestScore)) {
        bestScore = s
        bestSeq = cand
      }
    }
    seq = bestSeq!
  }
  return seq
}

function permute<T>(a: T[], k: number, visit: (a: T[]) => void): void {
  if (k === a.length) {
    visit(a)
    return
  }
  for (let i = k; i < a.length; i++) {
    ;[a[k], a[i]] = [a[i]!, a[k]!]
    permute(a, k + 1, visit)
    ;[a[k], a[i]] = [a[i]!, a[k]!]
  }
}
