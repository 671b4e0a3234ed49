// Shared shapes of the dispatch core. Units, once for every module here:
// - positions are planar metres (x east, y north). The live system converts GCJ-02 lat/lng to a local
//   plane before calling in; the MDRP instances are already in metres.
// - times are minutes (floating point allowed) on one common clock, e.g. minutes since the day's start
//   in the simulator or epoch-ms / 60_000 in a Durable Object. Only differences matter.
// - travel time is whatever a `TravelTime` says, so road networks or speed profiles can be plugged in.

/** A point on the plane, metres. */
export interface Point {
  x: number
  y: number
}

/** Minutes to go from `a` to `b`. Must be >= 0 and 0 for equal points. */
export type TravelTime = (a: Point, b: Point) => number

/** Minutes a courier spends at a store and at a customer. Half is spent before the hand-over moment and
 * half after it (parking and walking in, then walking out), so a pickup or dropoff event always lies
 * strictly inside the stay, as the MDRP evaluator checks. */
export interface ServiceTimes {
  pickup: number
  dropoff: number
}

/** An order waiting for a courier. */
export interface DispatchOrder {
  id: string
  storeId: string
  store: Point
  dropoff: Point
  placedAt: number
  /** Predicted time the food is ready (what the kitchen or the instance says). */
  readyAt: number
}

/** Orders of ONE store, picked up together, dropped off in `orders` order. */
export interface Bundle {
  storeId: string
  store: Point
  orders: DispatchOrder[]
  /** Latest ready time of its orders: the earliest possible pickup. */
  readyAt: number
}

/** A job the courier is already committed to and has not picked up yet: it may still take more orders of
 * the same store (an assignment update at the store). */
export interface OpenPickup {
  bundle: Bundle
  /** When the courier reaches the store (or reached it, if in the past). */
  arriveAt: number
  /** Planned pickup time. */
  pickupAt: number
}

/** What dispatch knows of a courier at decision time. */
export interface CourierState {
  id: string
  /** When the courier is next free (its committed route done; `onAt` if not on shift yet). */
  freeAt: number
  /** Where it will be at `freeAt`. */
  at: Point
  /** When it arrived at `at` (may be < now when idle). Lets a courier already waiting at a store pick up
   * without a new arrival. */
  arrivedAt: number
  /** Store the courier waits at when idle at a store (after repositioning), else undefined. */
  atStoreId?: string
  /** Shift start and end: a courier starts moving no earlier than `onAt` and picks up no later than `offAt`. */
  onAt: number
  offAt: number
  /** Orders it carried so far today (committed): steers work toward couriers under their guaranteed pay. */
  orders: number
  /** Orders its guaranteed pay for the whole shift already covers (guarantee / pay per order; 0 when paid
   * per order only): up to that many, an extra order costs the platform nothing. */
  guaranteedOrders: number
  /** The committed job at a store, not yet picked up, if any. */
  open?: OpenPickup
}

/** The timed plan of a courier doing one bundle. */
export interface RoutePlan {
  courierId: string
  bundle: Bundle
  /** Leaves its current place (equals arrival time when already at the store: no move). */
  departAt: number
  arriveStoreAt: number
  pickupAt: number
  leaveStoreAt: number
  /** Dropoff moment of each order, in bundle order. */
  dropoffAt: number[]
  /** Free again (left the last customer). */
  freeAt: number
  end: Point
  /** True when the courier must not wait for another batch: it has to leave (or hand over) now. */
  due: boolean
  /** True when this plan extends the courier's open pickup at the same store rather than a new trip. */
  extendsOpen: boolean
}
