// One batch decision: the orders waiting for a courier and the couriers that could take them in, the
// plans that must start now out. Pure: no clock, no I/O, the same call in the MDRP simulator and in a
// GeoCellDO.
//
// 1. Bundle same-store orders (bundling.ts), as large as the courier supply makes worthwhile.
// 2. Price every courier x bundle pair from predicted arrival and ready times (route.ts, cost.ts).
// 3. Solve that rectangular assignment exactly (assignment.ts).
// 4. Commit only what is due: a courier whose latest departure (to arrive as the food gets ready) falls
//    before the next batch, or whose open pickup at the same store happens before then. Everything else
//    goes back to the pool and is decided again next batch with more information (new orders to bundle,
//    couriers freed meanwhile): committing late is what makes a rolling horizon better than first-come.
import { solveAssignment } from './assignment'
import { type BundlingRules, formBundles } from './bundling'
import { type CostWeights, planCost } from './cost'
import { planRepositions, type Reposition, type RepositionRules, type StoreDemand } from './reposition'
import { planRoute } from './route'
import type { Bundle, CourierState, DispatchOrder, RoutePlan, ServiceTimes, TravelTime } from './types'

export interface BatchPolicy {
  /** Minutes between batches. */
  interval: number
  /** A courier counts for this batch if it is free (or starts its shift) within this many minutes. */
  horizon: number
  weights: CostWeights
  bundling: BundlingRules
  /** Bundles may grow only when waiting orders outnumber soon-free couriers by this factor. */
  bundleWhenOrdersPerCourier: number
  /** Couriers priced per bundle: the ones that could reach its store first (undefined: all of them). A
   * bound for very large pools; on the MDRP days pruning to 12 cost 1.5 min of click-to-door, because an
   * unpriced courier counts as unwanted and gets repositioned away, so the simulator prices all. */
  candidatesPerBundle?: number
  /** Couriers free within this many minutes count as supply when deciding to bundle. */
  supplyWindow: number
  /** Priority of waiting orders when couriers are short: each order's pairs get `urgencyWeight` minutes of
   * credit per minute it is past (ready - urgencyLead). The credit is the same for all couriers of a
   * bundle, so it never changes who serves a bundle, only which bundles are served first. Without it the
   * matching would drop the bundles that cost the most, i.e. the oldest ones, again and again. */
  urgencyWeight: number
  urgencyLead: number
  /** Move idle couriers nobody wants now to busy stores (null: they wait where they are). */
  reposition: RepositionRules | null
}

export interface BatchInput {
  now: number
  /** Placed, not yet committed orders. */
  orders: readonly DispatchOrder[]
  couriers: readonly CourierState[]
  travel: TravelTime
  service: ServiceTimes
  policy: BatchPolicy
  /** Recent demand per store, for repositioning idle couriers. */
  stores?: readonly StoreDemand[]
}

export type { Reposition, StoreDemand }

export interface BatchResult {
  bundles: Bundle[]
  /** Every matched pair, due or not (what the batch would do if nothing changed). */
  plans: RoutePlan[]
  /** The pairs to act on now. */
  commits: RoutePlan[]
  /** Idle couriers to move to a store now. */
  repositions: Reposition[]
}

/** Bundle size the supply allows right now: 1 while couriers keep up, larger when orders pile up. */
export function bundleRules(input: BatchInput): BundlingRules {
  const { now, orders, couriers, policy } = input
  let supply = 0
  for (const c of couriers) if (c.freeAt <= now + policy.supplyWindow && c.offAt > now) supply++
  const ratio = orders.length / Math.max(1, supply)
  if (ratio < policy.bundleWhenOrdersPerCourier) return { ...policy.bundling, maxSize: 1 }
  return policy.bundling
}

export function dispatchBatch(input: BatchInput): BatchResult {
  const { now, couriers, travel, service, policy } = input
  const bundles = formBundles(input.orders, bundleRules(input), travel, service)
  const pool = couriers.filter(
    (c) => c.offAt >= now && c.freeAt <= now + policy.horizon && c.onAt <= now + policy.horizon,
  )
  if (bundles.length === 0 || pool.length === 0) {
    return { bundles, plans: [], commits: [], repositions: reposition(input, new Set()) }
  }

  const ctx = { now, travel, service, interval: policy.interval }
  // Candidates: per bundle the couriers that could reach its store first. Like the cell + 8 neighbours
  // of a GeoCellDO, this bounds the problem; the matching over the candidates is still solved exactly.
  const k = policy.candidatesPerBundle ?? pool.length
  const candidates = bundles.map((b) => nearestCouriers(b, pool, now, travel, k))
  const columns = [...new Set(candidates.flat())].sort((a, b) => a - b)
  const columnOf = new Map(columns.map((ci, j) => [ci, j]))
  const plans: (RoutePlan | null)[][] = []
  const cost: number[][] = []
  bundles.forEach((b, i) => {
    let credit = 0
    for (const o of b.orders)
      credit += policy.urgencyWeight * Math.max(0, now - (o.readyAt - policy.urgencyLead))
    const planRow = new Array<RoutePlan | null>(columns.length).fill(null)
    const costRow = new Array<number>(columns.length).fill(Number.POSITIVE_INFINITY)
    for (const ci of candidates[i]!) {
      const c = pool[ci]!
      const j = columnOf.get(ci)!
      const plan = planRoute(c, b, ctx)
      planRow[j] = plan
      if (plan) costRow[j] = planCost(plan, c, policy.weights, travel, service) - credit
    }
    plans.push(planRow)
    cost.push(costRow)
  })
  const { rowToCol } = solveAssignment(cost)
  const matched: RoutePlan[] = []
  const commits: RoutePlan[] = []
  rowToCol.forEach((j, i) => {
    if (j < 0) return
    const plan = plans[i]![j]!
    matched.push(plan)
    if (plan.due) commits.push(plan)
  })
  return {
    bundles,
    plans: matched,
    commits,
    repositions: reposition(input, new Set(matched.map((p) => p.courierId))),
  }
}

/** Indexes into `pool` of the `k` couriers with the earliest possible arrival at the bundle's store (a
 * courier with an open pickup there counts as already arrived). */
function nearestCouriers(
  b: Bundle,
  pool: readonly CourierState[],
  now: number,
  travel: TravelTime,
  k: number,
): number[] {
  const eta = pool.map((c, i) => {
    if (c.open && c.open.bundle.storeId === b.storeId && now <= c.open.pickupAt) return { i, t: now }
    return { i, t: Math.max(now, c.freeAt, c.onAt) + travel(c.at, b.store) }
  })
  if (eta.length <= k) return eta.map((e) => e.i)
  eta.sort((x, y) => x.t - y.t || x.i - y.i)
  return eta.slice(0, k).map((e) => e.i)
}

/** Repositioning of the couriers free now that no bundle of this batch wants. */
function reposition(input: BatchInput, wanted: ReadonlySet<string>): Reposition[] {
  const { policy, stores, couriers, now, travel } = input
  if (!policy.reposition || !stores || stores.length === 0) return []
  const waiting = new Map<string, number>()
  for (const c of couriers) if (c.atStoreId) waiting.set(c.atStoreId, (waiting.get(c.atStoreId) ?? 0) + 1)
  const idle = couriers.filter((c) => !wanted.has(c.id) && !c.atStoreId)
  return planRepositions(idle, stores, waiting, now, travel, policy.reposition)
}
