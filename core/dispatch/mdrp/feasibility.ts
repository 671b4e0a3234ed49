// Feasibility of a solution against every rule of the instances' README and their public evaluator, plus
// the service-time rules the evaluator leaves implicit. Returns human-readable violations; none means
// feasible. Runs on the parsed solution files, so what is checked is what was written.
//
// Time convention (see core/dispatch/types.ts ServiceTimes): a courier reaching a place at a spends half
// the service there before the pickup/dropoff moment and half after it, so for a stop [arrive, depart]:
// arrive + s/2 <= event <= depart - s/2. The evaluator's own test (arrive < event <= depart) follows.
import type { MdrpInstance, MdrpOrder } from './instance'
import type { Solution } from './solution'

export function checkFeasibility(instance: MdrpInstance, solution: Solution, maxViolations = 50): string[] {
  const out: string[] = []
  const fail = (msg: string) => {
    if (out.length < maxViolations) out.push(msg)
    else if (out.length === maxViolations) out.push('… more violations')
  }
  const { params } = instance
  const halfPickup = params.pickupService / 2
  const halfDropoff = params.dropoffService / 2
  const orders = new Map<string, MdrpOrder>(instance.orders.map((o) => [o.id, o]))
  const couriers = new Map(instance.couriers.map((c) => [c.id, c]))
  const place = (id: string, courierId: string): { x: number; y: number } | undefined => {
    if (id === '0') return couriers.get(courierId)
    return orders.get(id) ?? instance.restaurants.get(id) ?? couriers.get(id)
  }
  const travel = (a: { x: number; y: number }, b: { x: number; y: number }) =>
    Math.ceil(Math.hypot(a.x - b.x, a.y - b.y) / params.metresPerMinute)

  // Orders file: one row per instance order, NA consistently, times and courier of the assignment.
  const orderRows = new Map(solution.orders.map((o) => [o.orderId, o]))
  if (orderRows.size !== solution.orders.length) fail('orders file: an order appears twice')
  for (const o of instance.orders) if (!orderRows.has(o.id)) fail(`orders file: ${o.id} missing`)
  for (const r of solution.orders) {
    if (!orders.has(r.orderId)) fail(`orders file: unknown order ${r.orderId}`)
    const nulls = [r.pickupAt, r.dropoffAt, r.courierId].filter((v) => v === null).length
    if (nulls !== 0 && nulls !== 3) fail(`orders file: ${r.orderId} partly NA`)
  }

  // Assignments: each order at most once, revealed before assignment, one restaurant, ready before pickup,
  // pickup before the courier's off time, assigned no later than picked up.
  const bundleOf = new Map<string, number>()
  solution.assignments.forEach((a, k) => {
    const courier = couriers.get(a.courierId)
    if (!courier) fail(`assignment ${k}: unknown courier ${a.courierId}`)
    if (a.orderIds.length === 0) fail(`assignment ${k}: empty bundle`)
    if (!(a.assignedAt <= a.pickupAt))
      fail(`assignment ${k}: assigned at ${a.assignedAt} after pickup ${a.pickupAt}`)
    if (courier && a.pickupAt > courier.offAt) {
      fail(`assignment ${k}: pickup ${a.pickupAt} after ${courier.id} off at ${courier.offAt}`)
    }
    if (courier && a.assignedAt < courier.onAt && a.pickupAt < courier.onAt) {
      fail(`assignment ${k}: pickup before ${courier.id} is on shift`)
    }
    const restaurants = new Set<string>()
    let lastDrop = Number.NEGATIVE_INFINITY
    for (const id of a.orderIds) {
      const o = orders.get(id)
      if (!o) {
        fail(`assignment ${k}: unknown order ${id}`)
        continue
      }
      if (bundleOf.has(id)) fail(`order ${id} in more than one assignment`)
      bundleOf.set(id, k)
      restaurants.add(o.restaurantId)
      if (a.assignedAt < o.placedAt)
        fail(`order ${id}: assigned at ${a.assignedAt} before placed at ${o.placedAt}`)
      if (a.pickupAt < o.readyAt) fail(`order ${id}: picked up at ${a.pickupAt} before ready at ${o.readyAt}`)
      const r = orderRows.get(id)
      if (!r || r.courierId !== a.courierId || r.pickupAt !== a.pickupAt || r.dropoffAt === null) {
        fail(`order ${id}: orders file disagrees with its assignment`)
        continue
      }
      if (r.dropoffAt < lastDrop + params.dropoffService) {
        fail(`order ${id}: dropoff ${r.dropoffAt} breaks the bundle's sequence (previous ${lastDrop})`)
      }
      if (r.dropoffAt <= a.pickupAt)
        fail(`order ${id}: dropoff ${r.dropoffAt} not after pickup ${a.pickupAt}`)
      lastDrop = r.dropoffAt
    }
    if (restaurants.size > 1) fail(`assignment ${k}: orders of ${restaurants.size} restaurants in one bundle`)
  })
  for (const r of solution.orders) {
    if (r.courierId !== null && !bundleOf.has(r.orderId))
      fail(`order ${r.orderId}: delivered but never assigned`)
  }

  // Moves: per courier a chain from its start (origin 0 first), each origin the previous destination,
  // departures not before the previous arrival (travel = ceil(dist / mpm)) nor before the shift starts.
  interface Stop {
    id: string
    arrive: number
    depart: number
  }
  const stops = new Map<string, Stop[]>()
  const movesBy = new Map<string, typeof solution.moves>()
  for (const m of solution.moves) {
    const list = movesBy.get(m.courierId)
    if (list) list.push(m)
    else movesBy.set(m.courierId, [m])
  }
  for (const [cid, list] of movesBy) {
    const courier = couriers.get(cid)
    if (!courier) {
      fail(`moves: unknown courier ${cid}`)
      continue
    }
    const chain: Stop[] = [{ id: '0', arrive: courier.onAt, depart: Number.POSITIVE_INFINITY }]
    for (const m of list) {
      const last = chain[chain.length - 1]!
      if (m.from !== last.id && !(last.id === '0' && m.from === cid)) {
        fail(`moves of ${cid}: departs ${m.from} at ${m.departAt} but is at ${last.id}`)
      }
      if (m.departAt < last.arrive)
        fail(`moves of ${cid}: departs ${m.from} at ${m.departAt} before arriving ${last.arrive}`)
      const a = place(m.from, cid)
      const b = place(m.to, cid)
      if (!a || !b) {
        fail(`moves of ${cid}: unknown place ${a ? m.to : m.from}`)
        continue
      }
      last.depart = m.departAt
      chain.push({ id: m.to, arrive: m.departAt + travel(a, b), depart: Number.POSITIVE_INFINITY })
    }
    stops.set(cid, chain)
  }
  // The courier is at the right place, with the service time around the event.
  const at = (cid: string, placeId: string, t: number, half: number): boolean => {
    const chain = stops.get(cid)
    if (!chain) return false
    return chain.some((s) => s.id === placeId && s.arrive + half <= t && t <= s.depart - half && s.arrive < t)
  }
  solution.assignments.forEach((a, k) => {
    const first = orders.get(a.orderIds[0] ?? '')
    if (!first) return
    if (!at(a.courierId, first.restaurantId, a.pickupAt, halfPickup)) {
      fail(
        `assignment ${k}: ${a.courierId} not at ${first.restaurantId} (with service time) at pickup ${a.pickupAt}`,
      )
    }
  })
  for (const r of solution.orders) {
    if (r.courierId === null || r.dropoffAt === null) continue
    if (!at(r.courierId, r.orderId, r.dropoffAt, halfDropoff)) {
      fail(
        `order ${r.orderId}: ${r.courierId} not at the customer (with service time) at dropoff ${r.dropoffAt}`,
      )
    }
  }
  return out
}
