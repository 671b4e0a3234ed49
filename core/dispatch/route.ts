// The timed plan of one courier doing one bundle: go to the store (as late as still arrives in time for
// the food), wait for the food, drop off in sequence. Pure arithmetic on the travel function; every other
// module (cost, batch, the simulator) reads times from here so they cannot disagree.
import { sequenceDropoffs } from './sequence'
import type { Bundle, CourierState, RoutePlan, ServiceTimes, TravelTime } from './types'

export interface RouteContext {
  now: number
  travel: TravelTime
  service: ServiceTimes
  /** Minutes to the next batch: a plan whose action must start before then is due now. */
  interval: number
}

/** Dropoff times of `orders` in sequence, starting from the store at `leaveAt`. */
export function dropoffTimes(
  bundle: Bundle,
  leaveAt: number,
  travel: TravelTime,
  service: ServiceTimes,
): { dropoffAt: number[]; freeAt: number } {
  const half = service.dropoff / 2
  let t = leaveAt
  let pos = bundle.store
  const dropoffAt: number[] = []
  for (const o of bundle.orders) {
    t += travel(pos, o.dropoff)
    dropoffAt.push(t + half)
    t += service.dropoff
    pos = o.dropoff
  }
  return { dropoffAt, freeAt: t }
}

/** Plan `courier` doing `bundle`, or null when it cannot pick up before its shift ends. When the courier
 * already heads for (or waits at) the same store and has not picked up yet, the plan extends that pickup
 * with the bundle's orders instead of starting a new trip. */
export function planRoute(courier: CourierState, bundle: Bundle, ctx: RouteContext): RoutePlan | null {
  const { now, travel, service, interval } = ctx
  const halfPickup = service.pickup / 2
  const open = courier.open
  if (open && open.bundle.storeId === bundle.storeId && now <= open.pickupAt) {
    const orders = sequenceDropoffs(bundle.store, [...open.bundle.orders, ...bundle.orders], travel, service)
    const merged: Bundle = { ...open.bundle, orders, readyAt: Math.max(open.bundle.readyAt, bundle.readyAt) }
    const pickupAt = Math.max(open.arriveAt + halfPickup, merged.readyAt, now)
    if (pickupAt > courier.offAt) return null
    const leaveStoreAt = pickupAt + halfPickup
    const { dropoffAt, freeAt } = dropoffTimes(merged, leaveStoreAt, travel, service)
    return {
      courierId: courier.id,
      bundle: merged,
      departAt: open.arriveAt,
      arriveStoreAt: open.arriveAt,
      pickupAt,
      leaveStoreAt,
      dropoffAt,
      freeAt,
      end: orders[orders.length - 1]!.dropoff,
      // The courier hands over at open.pickupAt; after the next batch it would be too late to add.
      due: open.pickupAt < now + interval,
      extendsOpen: true,
    }
  }

  const start = Math.max(now, courier.freeAt, courier.onAt)
  let departAt: number
  let arriveStoreAt: number
  if (courier.atStoreId === bundle.storeId && !open) {
    // Already waiting at this store: no move, the arrival happened at arrivedAt.
    departAt = start
    arriveStoreAt = Math.min(courier.arrivedAt, start)
  } else {
    const tt = travel(courier.at, bundle.store)
    // Leave as late as still arrives (half the pickup service) before the food is ready: the courier stays
    // available to the next batches meanwhile.
    departAt = Math.max(start, bundle.readyAt - halfPickup - tt)
    arriveStoreAt = departAt + tt
  }
  const pickupAt = Math.max(arriveStoreAt + halfPickup, bundle.readyAt, start)
  if (pickupAt > courier.offAt) return null
  const leaveStoreAt = pickupAt + halfPickup
  const { dropoffAt, freeAt } = dropoffTimes(bundle, leaveStoreAt, travel, service)
  return {
    courierId: courier.id,
    bundle,
    departAt,
    arriveStoreAt,
    pickupAt,
    leaveStoreAt,
    dropoffAt,
    freeAt,
    end: bundle.orders[bundle.orders.length - 1]!.dropoff,
    due: courier.freeAt <= now && departAt < now + interval,
    extendsOpen: false,
  }
}
