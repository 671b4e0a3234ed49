// The dispatch policy the simulator and the bench run. Every constant has its reason here; the numbers
// behind the choices are in docs/DISPATCH.md (sweeps over all 144 instances).
import type { BatchPolicy } from '../batch'

export const DEFAULT_POLICY: BatchPolicy = {
  // One batch a minute: the instances' clock has whole minutes (placements, ready times, ceil'd travel),
  // so a shorter interval sees nothing new; Meituan batches every 30-60 s for the same reason of scale.
  interval: 1,
  // Couriers free (or starting their known shift) within 45 min may be planned for: a little over the
  // longest preparation time, so an order placed now can be promised to whoever frees up before it is ready.
  horizon: 45,
  weights: {
    // A courier minute weighs a tenth of an order's minute: enough to send the nearer of two couriers that
    // both arrive in time, small enough never to make an order wait to save driving (0.3 and 0.5 were
    // 0.1-0.2 min worse in click-to-door, 0.05 no better).
    courierMinute: 0.1,
    // An order covered by a courier's guaranteed pay saves the platform $10 and is worth 3 minutes: this
    // cut cost per order from ~10.8 to ~10.5 $ for a few hundredths of a minute of click-to-door.
    guaranteeCredit: 3,
  },
  // Bundles of up to 3 orders ready within 10 min of each other, adding at most 10 summed minutes against
  // riding alone; only when orders outnumber couriers (below). Larger bundles or looser rules made
  // click-to-door worse on these days (2nd and 3rd orders wait for dropoffs).
  bundling: { maxSize: 3, maxReadySpread: 10, maxExtraDelay: 10 },
  // Bundle when waiting orders >= couriers free within 10 min: a courier shortage, where a bundle frees
  // a whole trip; with couriers to spare every order rides alone.
  bundleWhenOrdersPerCourier: 1,
  supplyWindow: 10,
  // Priority: 3 min of credit per minute an order is past (ready - 10 min), so bundles waiting longest are
  // matched first when couriers are short; without it the old ones starved (125 undelivered vs ~60).
  urgencyWeight: 3,
  urgencyLead: 10,
  // Idle couriers nobody wants go to a store that had orders in the last hour, up to 20 min away, one
  // courier per store; it took 0.15-0.25 min off click-to-door and made couriers busier (lower cost).
  reposition: { maxMinutes: 20, closeEnough: 1, perStore: 1, minWeight: 1, shiftEndSlack: 5 },
}
