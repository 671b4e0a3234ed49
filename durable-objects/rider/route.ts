// A rider's planned route over the tasks they hold: which stop next and when each is reached. Pure: the
// RiderDO calls it with its tasks and last fix; tests call it with numbers.
//
// The search is exact (depth-first with a bound) up to EXACT_STOPS stops, which covers every rider within
// the capacities we hand out (3-4 orders -> 6-8 stops); beyond that it takes the nearest feasible stop
// each time. The objective is what a customer feels: the sum of dropoff times; the finish time breaks ties.
import type { LatLng } from '../../core/geo'
import { haversineM } from '../../core/geo'

/** Streets are not straight: road distance is about 1.3 times the straight line in Chinese city grids. */
export const DETOUR_FACTOR = 1.3
/** 4.5 m/s (16 km/h): an e-bike's average across a city with lights and lifts, not its top speed (25). */
export const RIDE_SPEED_MPS = 4.5
/** At a store: park, walk in, find the order at the pass, walk out (the MDRP instances use 4 min). */
export const PICKUP_SERVICE_MS = 4 * 60_000
/** At a customer: park, lift or stairs, hand over (the MDRP instances use 4 min). */
export const DROPOFF_SERVICE_MS = 4 * 60_000
/** 8 stops = 4 orders; 8!/2^4 = 2,520 precedence-respecting orders at most, well under a millisecond. */
export const EXACT_STOPS = 8

export const rideMs = (a: LatLng, b: LatLng): number =>
  ((haversineM(a, b) * DETOUR_FACTOR) / RIDE_SPEED_MPS) * 1000

export interface RouteTask {
  orderId: string
  pickup: LatLng
  dropoff: LatLng
  readyAt: number
  /** Picked up already: only the dropoff remains. */
  pickedUp: boolean
}

export interface PlannedStop {
  kind: 'pickup' | 'dropoff'
  orderId: string
  pos: LatLng
  /** When the rider gets there. */
  arriveAt: number
  /** Pickup: when the food is handed over (arrival + half the service, not before it is ready).
   * Dropoff: arrival + half the service. */
  doneAt: number
}

export interface PlannedRoute {
  stops: PlannedStop[]
  /** Free again: after the last stop's service. */
  freeAt: number
  freePos: LatLng
}

interface Stop {
  kind: 'pickup' | 'dropoff'
  task: number
  pos: LatLng
}

/** Simulate `order` from `start` at `now`. */
function walk(start: LatLng, now: number, tasks: readonly RouteTask[], order: readonly Stop[]): PlannedRoute {
  let t = now
  let pos = start
  const stops: PlannedStop[] = []
  for (const s of order) {
    t += rideMs(pos, s.pos)
    const arriveAt = t
    let doneAt: number
    if (s.kind === 'pickup') {
      doneAt = Math.max(arriveAt + PICKUP_SERVICE_MS / 2, tasks[s.task]!.readyAt)
      t = doneAt + PICKUP_SERVICE_MS / 2
    } else {
      doneAt = arriveAt + DROPOFF_SERVICE_MS / 2
      t = arriveAt + DROPOFF_SERVICE_MS
    }
    stops.push({ kind: s.kind, orderId: tasks[s.task]!.orderId, pos: s.pos, arriveAt, doneAt })
    pos = s.pos
  }
  return { stops, freeAt: t, freePos: pos }
}

function score(r: PlannedRoute): number {
  let sum = 0
  for (const s of r.stops) if (s.kind === 'dropoff') sum += s.doneAt
  return sum
}

/** The best order of stops for `tasks` starting at `start` at `now`: every pickup before its dropoff. */
export function planRiderRoute(start: LatLng, now: number, tasks: readonly RouteTask[]): PlannedRoute {
  const all: Stop[] = []
  tasks.forEach((t, i) => {
    if (!t.pickedUp) all.push({ kind: 'pickup', task: i, pos: t.pickup })
    all.push({ kind: 'dropoff', task: i, pos: t.dropoff })
  })
  if (all.length === 0) return { stops: [], freeAt: now, freePos: start }
  const ready = (s: Stop, done: ReadonlySet<Stop>) =>
    s.kind === 'pickup' ||
    tasks[s.task]!.pickedUp ||
    [...done].some((d) => d.kind === 'pickup' && d.task === s.task)

  if (all.length > EXACT_STOPS) {
    // Nearest feasible stop next: not optimal, but sound and linear in practice.
    const order: Stop[] = []
    const done = new Set<Stop>()
    let pos = start
    while (order.length < all.length) {
      let best: Stop | null = null
      let bestD = Number.POSITIVE_INFINITY
      for (const s of all) {
        if (done.has(s) || !ready(s, done)) continue
        const d = haversineM(pos, s.pos)
        if (d < bestD) {
          best = s
          bestD = d
        }
      }
      order.push(best!)
      done.add(best!)
      pos = best!.pos
    }
    return walk(start, now, tasks, order)
  }

  let best: PlannedRoute | null = null
  let bestScore = Number.POSITIVE_INFINITY
  const order: Stop[] = []
  const done = new Set<Stop>()
  const dfs = () => {
    if (order.length === all.length) {
      const r = walk(start, now, tasks, order)
      const sc = score(r)
      if (sc < bestScore || (sc === bestScore && best && r.freeAt < best.freeAt)) {
        best = r
        bestScore = sc
      }
      return
    }
    // Bound: the dropoffs placed so far already cost at least this much.
    if (order.length > 0 && best) {
      const partial = score(walk(start, now, tasks, order))
      if (partial >= bestScore) return
    }
    for (const s of all) {
      if (done.has(s) || !ready(s, done)) continue
      order.push(s)
      done.add(s)
      dfs()
      order.pop()
      done.delete(s)
    }
  }
  dfs()
  return best!
}
