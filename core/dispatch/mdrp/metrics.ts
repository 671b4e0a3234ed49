// The published MDRP metrics, computed from an instance and a solution the way the instances' evaluator
// does: click-to-door = dropoff - placement and ready-to-pickup = pickup - ready over delivered orders;
// courier cost = sum over ALL couriers of max(pay per order x orders, guaranteed pay per hour x shift
// hours), so idle couriers cost their guarantee. Cost per order divides by delivered orders (the stricter
// reading: undelivered orders do not dilute it).
import type { MdrpInstance } from './instance'
import type { Solution } from './solution'

export interface MdrpMetrics {
  orders: number
  delivered: number
  deliveredPct: number
  clickToDoor: number
  readyToPickup: number
  /** Mean max(0, click-to-door - target). */
  clickToDoorOverage: number
  /** Share of delivered orders over the target click-to-door, %. */
  overTargetPct: number
  totalCost: number
  costPerOrder: number
  ordersPerBundle: number
  bundles: number
  /** Share of couriers paid their guarantee rather than per order, %. */
  guaranteePaidPct: number
}

const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / xs.length)

export function computeMetrics(instance: MdrpInstance, solution: Solution): MdrpMetrics {
  const { params } = instance
  const byId = new Map(instance.orders.map((o) => [o.id, o]))
  const ctd: number[] = []
  const rtp: number[] = []
  const perCourier = new Map<string, number>()
  for (const r of solution.orders) {
    const o = byId.get(r.orderId)
    if (!o || r.pickupAt === null || r.dropoffAt === null || r.courierId === null) continue
    ctd.push(r.dropoffAt - o.placedAt)
    rtp.push(r.pickupAt - o.readyAt)
    perCourier.set(r.courierId, (perCourier.get(r.courierId) ?? 0) + 1)
  }
  let totalCost = 0
  let guaranteePaid = 0
  for (const c of instance.couriers) {
    const perOrder = params.payPerOrder * (perCourier.get(c.id) ?? 0)
    const guaranteed = (params.guaranteedPayPerHour * (c.offAt - c.onAt)) / 60
    if (perOrder < guaranteed) guaranteePaid++
    totalCost += Math.max(perOrder, guaranteed)
  }
  const delivered = ctd.length
  const sizes = solution.assignments.map((a) => a.orderIds.length)
  return {
    orders: instance.orders.length,
    delivered,
    deliveredPct: instance.orders.length === 0 ? 100 : (100 * delivered) / instance.orders.length,
    clickToDoor: mean(ctd),
    readyToPickup: mean(rtp),
    clickToDoorOverage: mean(ctd.map((x) => Math.max(0, x - params.targetClickToDoor))),
    overTargetPct:
      delivered === 0 ? 0 : (100 * ctd.filter((x) => x > params.targetClickToDoor).length) / delivered,
    totalCost,
    costPerOrder: delivered === 0 ? Number.NaN : totalCost / delivered,
    ordersPerBundle: mean(sizes),
    bundles: sizes.length,
    guaranteePaidPct: instance.couriers.length === 0 ? 0 : (100 * guaranteePaid) / instance.couriers.length,
  }
}
