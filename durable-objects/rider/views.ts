// What the rider's app is shown. Pure. Privacy rule: before pickup a task shows where it goes only as the
// store's hint (district and road); the exact point and the (masked) phone appear once it is picked up.
import type { OfferView, RouteStop, TaskStatus, TaskView } from '../../core/channels/rider'
import type { DeliveryJob, DeliveryOffer } from '../../core/delivery'
import { haversineM } from '../../core/geo'
import type { PlannedRoute } from './route'

export interface TaskState {
  job: DeliveryJob
  status: TaskStatus
  assignedAt: number
}

export function taskView(t: TaskState, route: PlannedRoute, maskedPhone: string | null): TaskView {
  const j = t.job
  const pickupStop = route.stops.find((s) => s.kind === 'pickup' && s.orderId === j.orderId)
  const dropStop = route.stops.find((s) => s.kind === 'dropoff' && s.orderId === j.orderId)
  const picked = t.status === 'picked_up' || t.status === 'delivered'
  return {
    orderId: j.orderId,
    storeId: j.storeId,
    storeName: j.storeName,
    pickup: j.pickup,
    pickupNo: j.pickupNo,
    items: j.items,
    status: t.status,
    assignedAt: t.assignedAt,
    readyAt: j.readyAt,
    etaPickupAt: Math.round(pickupStop?.doneAt ?? t.assignedAt),
    etaDropoffAt: Math.round(dropStop?.doneAt ?? route.freeAt),
    dropoffHint: j.dropoffHint,
    ...(picked ? { dropoff: j.dropoff } : {}),
    ...(picked && maskedPhone ? { customerPhone: maskedPhone } : {}),
  }
}

/** The route as the app draws it: a dropoff's point only once its order is picked up. */
export function routeView(route: PlannedRoute, pickedUp: ReadonlySet<string>): RouteStop[] {
  return route.stops.map((s) => ({
    kind: s.kind,
    orderId: s.orderId,
    at: Math.round(s.arriveAt),
    ...(s.kind === 'pickup' || pickedUp.has(s.orderId) ? { pos: s.pos } : {}),
  }))
}

/** Rounded to 100 m: enough to decide whether to take it, too coarse to find the door. */
export const TRIP_ROUNDING_M = 100

export function offerView(o: DeliveryOffer): OfferView {
  return {
    offerId: o.offerId,
    mode: o.mode,
    expiresAt: o.expiresAt,
    jobs: o.jobs.map((j) => ({
      orderId: j.orderId,
      storeName: j.storeName,
      pickup: j.pickup,
      pickupNo: j.pickupNo,
      items: j.items,
      readyAt: j.readyAt,
      dropoffHint: j.dropoffHint,
      tripM: Math.round(haversineM(j.pickup, j.dropoff) / TRIP_ROUNDING_M) * TRIP_ROUNDING_M,
    })),
  }
}

/** A name as a cell (and an operator's map) shows it: the first character, the rest starred. */
export function maskName(name: string): string {
  const chars = [...name.trim()]
  if (chars.length <= 1) return chars.join('')
  return chars[0] + '*'.repeat(Math.min(3, chars.length - 1))
}
