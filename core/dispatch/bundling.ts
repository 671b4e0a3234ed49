// Same-store bundling before matching. Orders of one store whose food is ready close together and whose
// customers lie roughly the same way ride with one courier; the matching then prices whole bundles. How
// large a bundle may get is decided per batch from the supply of couriers (see batch.ts): with couriers
// to spare every order rides alone (fastest to the door); when they run short, bundles trade a few
// minutes of the second order's wait for a whole courier trip.
import { sequenceDropoffs, sequenceScore } from './sequence'
import type { Bundle, DispatchOrder, ServiceTimes, TravelTime } from './types'

export interface BundlingRules {
  /** Largest bundle. 1 disables bundling. */
  maxSize: number
  /** Most minutes between the first and the last ready time in a bundle (the first order waits that long). */
  maxReadySpread: number
  /** Most extra ready-to-door minutes (summed over the bundle) that bundling may add against every order
   * riding alone from the store at its own ready time. */
  maxExtraDelay: number
}

function single(o: DispatchOrder): Bundle {
  return { storeId: o.storeId, store: o.store, orders: [o], readyAt: o.readyAt }
}

/** Ready-to-door minutes of a bundle leaving the store when its last order is ready. */
function bundleDelay(b: Bundle, travel: TravelTime, service: ServiceTimes): number {
  const s = sequenceScore(b.store, b.orders, travel, service)
  let waitForFood = 0
  for (const o of b.orders) waitForFood += b.readyAt - o.readyAt
  return s.latency + waitForFood + b.orders.length * service.pickup
}

/** Group `orders` into single-store bundles, each sequenced for dropoff. Deterministic: stores in order of
 * first appearance, orders by ready time, so a batch decides the same way on every replay. */
export function formBundles(
  orders: readonly DispatchOrder[],
  rules: BundlingRules,
  travel: TravelTime,
  service: ServiceTimes,
): Bundle[] {
  const byStore = new Map<string, DispatchOrder[]>()
  for (const o of orders) {
    const list = byStore.get(o.storeId)
    if (list) list.push(o)
    else byStore.set(o.storeId, [o])
  }
  const bundles: Bundle[] = []
  for (const list of byStore.values()) {
    list.sort((a, b) => a.readyAt - b.readyAt || (a.id < b.id ? -1 : 1))
    if (rules.maxSize <= 1 || list.length === 1) {
      for (const o of list) bundles.push(single(o))
      continue
    }
    let cur = single(list[0]!)
    let alone = bundleDelay(cur, travel, service)
    for (let i = 1; i < list.length; i++) {
      const o = list[i]!
      const solo = single(o)
      const soloDelay = bundleDelay(solo, travel, service)
      let joined: Bundle | null = null
      if (cur.orders.length < rules.maxSize && o.readyAt - cur.orders[0]!.readyAt <= rules.maxReadySpread) {
        const candidate: Bundle = {
          ...cur,
          orders: sequenceDropoffs(cur.store, [...cur.orders, o], travel, service),
          readyAt: Math.max(cur.readyAt, o.readyAt),
        }
        if (bundleDelay(candidate, travel, service) - (alone + soloDelay) <= rules.maxExtraDelay)
          joined = candidate
      }
      if (joined) {
        cur = joined
        alone += soloDelay
      } else {
        bundles.push(cur)
        cur = solo
        alone = soloDelay
      }
    }
    bundles.push(cur)
  }
  return bundles
}
