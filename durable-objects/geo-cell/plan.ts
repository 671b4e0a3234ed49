// One dispatch batch of a cell, as a pure function: waiting jobs and the riders of the cell and its
// neighbours in, offers out. GCJ-02 is projected to planar metres around the cell's centre and epoch ms
// become minutes, the units core/dispatch works in; its batch (same-store bundling, exact assignment,
// commit only what is due) decides. What is added here is what only the live system has: riders with
// some load (capacity), and riders who declined a job must not be offered it again.
import type { DeliveryJob, DispatchSettings, RiderInCell } from '../../core/delivery'
import { dispatchBatch } from '../../core/dispatch/batch'
import { DEFAULT_POLICY } from '../../core/dispatch/mdrp/policy'
import { distance } from '../../core/dispatch/travel'
import type { CourierState, DispatchOrder, Point, ServiceTimes, TravelTime } from '../../core/dispatch/types'
import { type LatLng, projector } from '../../core/geo'
import { DETOUR_FACTOR, DROPOFF_SERVICE_MS, PICKUP_SERVICE_MS, RIDE_SPEED_MPS } from '../rider/route'

const MIN = 60_000
/** A rider's shift is not known to the cell; 12 h means "not ending within any batch's horizon". */
const OPEN_SHIFT_MIN = 12 * 60
/** Grab mode shows a bundle to this many nearby riders: enough that one grabs it quickly, few enough that
 * most riders who try also win something. */
export const GRAB_FANOUT = 3
/** Re-runs of the batch without riders that declined a job the matching gave them. */
const MAX_PASSES = 3

/** Minutes by e-bike over city streets (same speed and detour as the rider's own route plan). */
export const cellTravel: TravelTime = (a: Point, b: Point) =>
  (distance(a, b) * DETOUR_FACTOR) / (RIDE_SPEED_MPS * 60)
export const CELL_SERVICE: ServiceTimes = {
  pickup: PICKUP_SERVICE_MS / MIN,
  dropoff: DROPOFF_SERVICE_MS / MIN,
}

export interface WaitingJob {
  job: DeliveryJob
  /** Riders who declined or let this job time out, and until when they are not asked again. */
  declined: Readonly<Record<string, number>>
}

export interface PlannedOffer {
  /** The matched rider first; in grab mode, the others who see it too. */
  riderIds: string[]
  jobs: DeliveryJob[]
}

export interface BatchPlanInput {
  now: number
  centre: LatLng
  jobs: readonly WaitingJob[]
  riders: readonly RiderInCell[]
  settings: DispatchSettings
}

const declinedBy = (w: WaitingJob, riderId: string, now: number) => (w.declined[riderId] ?? 0) > now

export function planBatch(input: BatchPlanInput): PlannedOffer[] {
  const { now, settings } = input
  const proj = projector(input.centre)
  const nowMin = now / MIN
  const policy = { ...DEFAULT_POLICY, interval: settings.batchIntervalMs / MIN, reposition: null }
  const byId = new Map(input.jobs.map((w) => [w.job.orderId, w]))
  const spare = new Map(input.riders.map((r) => [r.riderId, r.capacity - r.load]))
  let orders: DispatchOrder[] = input.jobs.map((w) => ({
    id: w.job.orderId,
    storeId: w.job.storeId,
    store: proj.toXY(w.job.pickup),
    dropoff: proj.toXY(w.job.dropoff),
    placedAt: w.job.placedAt / MIN,
    readyAt: w.job.readyAt / MIN,
  }))
  let couriers: CourierState[] = input.riders
    .filter((r) => (spare.get(r.riderId) ?? 0) > 0)
    .map((r) => {
      const freeAt = Math.max(now, r.freeAt) / MIN
      return {
        id: r.riderId,
        freeAt,
        at: proj.toXY(r.freePos),
        arrivedAt: freeAt,
        onAt: nowMin - 1,
        offAt: nowMin + OPEN_SHIFT_MIN,
        orders: 0,
        guaranteedOrders: 0,
      }
    })
  const planned: PlannedOffer[] = []
  for (let pass = 0; pass < MAX_PASSES && orders.length > 0 && couriers.length > 0; pass++) {
    const res = dispatchBatch({
      now: nowMin,
      orders,
      couriers,
      travel: cellTravel,
      service: CELL_SERVICE,
      policy,
    })
    const usedOrders = new Set<string>()
    const usedCouriers = new Set<string>()
    let conflicts = 0
    for (const plan of res.commits) {
      const waiting = plan.bundle.orders.map((o) => byId.get(o.id)!)
      if (waiting.some((w) => declinedBy(w, plan.courierId, now))) {
        // Asked before and said no: this rider sits out the next pass, the jobs stay in it.
        usedCouriers.add(plan.courierId)
        conflicts++
        continue
      }
      // More than the rider can still carry: the rest waits for the next batch.
      const take = waiting.slice(0, Math.max(0, spare.get(plan.courierId) ?? 0))
      if (take.length === 0) continue
      for (const w of take) usedOrders.add(w.job.orderId)
      usedCouriers.add(plan.courierId)
      planned.push({ riderIds: [plan.courierId], jobs: take.map((w) => w.job) })
    }
    orders = orders.filter((o) => !usedOrders.has(o.id))
    couriers = couriers.filter((c) => !usedCouriers.has(c.id))
    if (conflicts === 0) break
  }
  if (settings.mode === 'grab') {
    for (const p of planned) {
      const store = p.jobs[0]!.pickup
      const others = input.riders
        .filter(
          (r) =>
            !p.riderIds.includes(r.riderId) &&
            (spare.get(r.riderId) ?? 0) >= p.jobs.length &&
            !p.jobs.some((j) => declinedBy(byId.get(j.orderId)!, r.riderId, now)),
        )
        .map((r) => ({ id: r.riderId, d: distance(proj.toXY(r.freePos), proj.toXY(store)) }))
        .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : 1))
        .slice(0, GRAB_FANOUT - 1)
      p.riderIds.push(...others.map((o) => o.id))
    }
  }
  return planned
}
