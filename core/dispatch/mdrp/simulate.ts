// Replays an MDRP instance minute by minute through the same batch code a GeoCellDO runs. Honest online:
// a batch at minute t sees only orders placed at or before t (with the ready time the instance predicts
// for them), couriers' states as their committed plans leave them, and the couriers' shift schedule
// (known in advance, as in the paper). Nothing about later orders.
//
// Every decision becomes one of three records, which are exactly the solution files:
// - a committed trip writes the courier's move to the store at once (it has left);
// - at the pickup moment the bundle is final: its assignment row, the moves store -> customers and the
//   orders' pickup/dropoff times are written. Until then more orders of the store may join it (an
//   assignment update at the store, as in the paper), which is why the assignment time written is the
//   time of its last change.
import { type BatchPolicy, dispatchBatch, type Reposition, type StoreDemand } from '../batch'
import { euclideanCeil } from '../travel'
import type { CourierState, DispatchOrder, RoutePlan, ServiceTimes } from '../types'
import type { MdrpCourier, MdrpInstance } from './instance'
import type { Solution, SolutionAssignment, SolutionMove, SolutionOrder } from './solution'

export interface SimulationOptions {
  policy: BatchPolicy
  /** Minutes of placed orders that count as a store's recent demand (for repositioning). */
  demandWindow?: number
  /** Monotonic milliseconds, to time each batch decision. Optional so the core needs no runtime clock. */
  clock?: () => number
}

export interface SimulationResult {
  solution: Solution
  batches: number
  /** Slowest single batch decision, ms (0 without a clock). */
  worstBatchMs: number
  totalBatchMs: number
  /** Every batch's decision time, ms, in order (empty without a clock). */
  batchMs: number[]
}

interface SimCourier {
  spec: MdrpCourier
  state: CourierState
  /** Location id of where the courier is or will be at state.freeAt: `0` = its starting point. */
  locId: string
  /** Committed trip not picked up yet. */
  plan: RoutePlan | null
  assignedAt: number
}

export function simulate(instance: MdrpInstance, options: SimulationOptions): SimulationResult {
  const { params } = instance
  const { policy, clock } = options
  const travel = euclideanCeil(params.metresPerMinute)
  const service: ServiceTimes = { pickup: params.pickupService, dropoff: params.dropoffService }
  const guaranteeOrdersPerMinute =
    params.payPerOrder > 0 ? params.guaranteedPayPerHour / 60 / params.payPerOrder : 0

  const toDispatch = (o: MdrpInstance['orders'][number]): DispatchOrder => {
    const r = instance.restaurants.get(o.restaurantId)!
    return {
      id: o.id,
      storeId: o.restaurantId,
      store: { x: r.x, y: r.y },
      dropoff: { x: o.x, y: o.y },
      placedAt: o.placedAt,
      readyAt: o.readyAt,
    }
  }
  const upcoming = [...instance.orders].sort((a, b) => a.placedAt - b.placedAt || (a.id < b.id ? -1 : 1))
  const couriers: SimCourier[] = instance.couriers.map((c) => ({
    spec: c,
    locId: '0',
    plan: null,
    assignedAt: 0,
    state: {
      id: c.id,
      freeAt: c.onAt,
      at: { x: c.x, y: c.y },
      arrivedAt: c.onAt,
      onAt: c.onAt,
      offAt: c.offAt,
      orders: 0,
      guaranteedOrders: guaranteeOrdersPerMinute * (c.offAt - c.onAt),
    },
  }))
  const byId = new Map(couriers.map((c) => [c.spec.id, c]))

  const assignments: SolutionAssignment[] = []
  const moves: SolutionMove[] = []
  const served = new Map<string, SolutionOrder>()
  const pending = new Map<string, DispatchOrder>()

  const finalize = (c: SimCourier) => {
    const plan = c.plan!
    const orders = plan.bundle.orders
    assignments.push({
      assignedAt: c.assignedAt,
      pickupAt: plan.pickupAt,
      courierId: c.spec.id,
      orderIds: orders.map((o) => o.id),
    })
    let from = plan.bundle.storeId
    let departAt = plan.leaveStoreAt
    orders.forEach((o, i) => {
      moves.push({ courierId: c.spec.id, departAt, from, to: o.id })
      served.set(o.id, {
        orderId: o.id,
        pickupAt: plan.pickupAt,
        dropoffAt: plan.dropoffAt[i]!,
        courierId: c.spec.id,
      })
      from = o.id
      departAt = plan.dropoffAt[i]! + service.dropoff / 2
    })
    c.locId = from
    c.state = {
      ...c.state,
      freeAt: plan.freeAt,
      at: plan.end,
      arrivedAt: plan.dropoffAt[orders.length - 1]! - service.dropoff / 2,
      atStoreId: undefined,
      open: undefined,
    }
    c.plan = null
  }

  const commit = (plan: RoutePlan, now: number) => {
    const c = byId.get(plan.courierId)!
    const before = plan.extendsOpen && c.plan ? c.plan.bundle.orders.length : 0
    if (!plan.extendsOpen) {
      if (c.state.atStoreId !== plan.bundle.storeId) {
        moves.push({ courierId: c.spec.id, departAt: plan.departAt, from: c.locId, to: plan.bundle.storeId })
      }
      c.locId = plan.bundle.storeId
    }
    for (const o of plan.bundle.orders) pending.delete(o.id)
    c.plan = plan
    c.assignedAt = now
    c.state = {
      ...c.state,
      freeAt: plan.freeAt,
      at: plan.end,
      atStoreId: undefined,
      orders: c.state.orders + plan.bundle.orders.length - before,
      open: { bundle: plan.bundle, arriveAt: plan.arriveStoreAt, pickupAt: plan.pickupAt },
    }
  }

  // Recent demand per restaurant, from orders already placed (online knowledge only).
  const demandWindow = options.demandWindow ?? 60
  const demand = new Map<string, number>()
  const seen: MdrpInstance['orders'] = []
  let expired = 0
  const storeDemand = (now: number): StoreDemand[] => {
    while (expired < seen.length && seen[expired]!.placedAt <= now - demandWindow) {
      const id = seen[expired++]!.restaurantId
      demand.set(id, (demand.get(id) ?? 1) - 1)
    }
    const out: StoreDemand[] = []
    for (const [storeId, weight] of demand) {
      if (weight <= 0) continue
      const r = instance.restaurants.get(storeId)!
      out.push({ storeId, at: { x: r.x, y: r.y }, weight })
    }
    return out
  }
  const move = (r: Reposition) => {
    const c = byId.get(r.courierId)!
    moves.push({ courierId: c.spec.id, departAt: r.departAt, from: c.locId, to: r.storeId })
    c.locId = r.storeId
    c.state = { ...c.state, at: r.at, atStoreId: r.storeId, freeAt: r.arriveAt, arrivedAt: r.arriveAt }
  }

  let next = 0
  const lastShift = Math.max(...instance.couriers.map((c) => c.offAt), 0)
  const start = upcoming.length > 0 ? upcoming[0]!.placedAt : 0
  let batches = 0
  let worstBatchMs = 0
  let totalBatchMs = 0
  const batchMs: number[] = []
  for (let now = start; now <= lastShift; now += policy.interval) {
    while (next < upcoming.length && upcoming[next]!.placedAt <= now) {
      const o = upcoming[next++]!
      pending.set(o.id, toDispatch(o))
      seen.push(o)
      demand.set(o.restaurantId, (demand.get(o.restaurantId) ?? 0) + 1)
    }
    const stores = policy.reposition ? storeDemand(now) : undefined
    if (pending.size > 0 || stores) {
      const states = couriers.filter((c) => c.spec.offAt >= now).map((c) => c.state)
      const t0 = clock?.() ?? 0
      const result = dispatchBatch({
        now,
        orders: [...pending.values()],
        couriers: states,
        travel,
        service,
        policy,
        stores,
      })
      const ms = (clock?.() ?? 0) - t0
      batches++
      totalBatchMs += ms
      if (clock) batchMs.push(ms)
      if (ms > worstBatchMs) worstBatchMs = ms
      for (const plan of result.commits) commit(plan, now)
      for (const r of result.repositions) move(r)
    }
    for (const c of couriers) if (c.plan && c.plan.pickupAt <= now) finalize(c)
    if (next >= upcoming.length && pending.size === 0 && couriers.every((c) => !c.plan)) break
  }
  for (const c of couriers) if (c.plan) finalize(c)

  const orders: SolutionOrder[] = instance.orders.map(
    (o) => served.get(o.id) ?? { orderId: o.id, pickupAt: null, dropoffAt: null, courierId: null },
  )
  return { solution: { assignments, orders, moves }, batches, worstBatchMs, totalBatchMs, batchMs }
}
