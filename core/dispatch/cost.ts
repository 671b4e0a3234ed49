// What one courier doing one bundle costs, in minutes of an order's wait. The batch minimises the sum over
// its matching, so these weights are the whole policy:
// - every minute between an order's ready time and its dropoff counts 1 (click-to-door minus the kitchen's
//   time, which dispatch cannot change);
// - every minute the courier is tied up (driving to the store, service, delivering) counts `courierMinute`:
//   it is capacity the next orders will miss, and it is what makes a near courier beat a far one when both
//   are in time;
// - an order given to a courier whose guaranteed pay already covers it is free, one given to anyone else
//   costs a per-order fee: `guaranteeCredit` minutes per order steer work toward under-used couriers.
import { dropoffTimes } from './route'
import type { CourierState, RoutePlan, ServiceTimes, TravelTime } from './types'

export interface CostWeights {
  courierMinute: number
  guaranteeCredit: number
}

function readyToDoor(orders: readonly { readyAt: number }[], dropoffAt: readonly number[]): number {
  let s = 0
  for (let i = 0; i < orders.length; i++) s += dropoffAt[i]! - orders[i]!.readyAt
  return s
}

/** Marginal cost of `plan` for `courier` (see the weights above). */
export function planCost(
  plan: RoutePlan,
  courier: CourierState,
  weights: CostWeights,
  travel: TravelTime,
  service: ServiceTimes,
): number {
  const half = service.pickup / 2
  let delay = readyToDoor(plan.bundle.orders, plan.dropoffAt)
  let tied: number
  let added = plan.bundle.orders.length
  if (plan.extendsOpen && courier.open) {
    const open = courier.open
    const before = dropoffTimes(open.bundle, open.pickupAt + half, travel, service)
    delay -= readyToDoor(open.bundle.orders, before.dropoffAt)
    tied = plan.freeAt - before.freeAt
    added -= open.bundle.orders.length
  } else {
    const driveToStore = plan.arriveStoreAt > plan.departAt ? plan.arriveStoreAt - plan.departAt : 0
    tied = driveToStore + service.pickup + (plan.freeAt - plan.leaveStoreAt)
  }
  const covered = Math.max(0, Math.min(added, courier.guaranteedOrders - courier.orders))
  return delay + weights.courierMinute * tied - weights.guaranteeCredit * covered
}
