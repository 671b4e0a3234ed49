import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type BatchPolicy, dispatchBatch } from './batch'
import { euclideanCeil } from './travel'
import type { CourierState, DispatchOrder } from './types'

const travel = euclideanCeil(100)
const service = { pickup: 4, dropoff: 4 }
const policy: BatchPolicy = {
  interval: 1,
  horizon: 30,
  weights: { courierMinute: 0.3, guaranteeCredit: 0 },
  bundling: { maxSize: 3, maxReadySpread: 10, maxExtraDelay: 10 },
  bundleWhenOrdersPerCourier: 1.5,
  supplyWindow: 10,
  urgencyWeight: 2,
  urgencyLead: 10,
  reposition: null,
}

const order = (
  id: string,
  store: { x: number; y: number },
  readyAt: number,
  storeId = 's1',
): DispatchOrder => ({
  id,
  storeId,
  store,
  dropoff: { x: store.x + 500, y: store.y },
  placedAt: 0,
  readyAt,
})
const courier = (id: string, x: number, y: number, over: Partial<CourierState> = {}): CourierState => ({
  id,
  freeAt: 0,
  at: { x, y },
  arrivedAt: 0,
  onAt: 0,
  offAt: 600,
  orders: 0,
  guaranteedOrders: 0,
  ...over,
})

describe('dispatchBatch', () => {
  it('sends the nearer courier, and only once it has to leave', () => {
    const orders = [order('o1', { x: 0, y: 0 }, 20)]
    const couriers = [courier('far', 0, 1500), courier('near', 0, 500)]
    const early = dispatchBatch({ now: 0, orders, couriers, travel, service, policy })
    expect(early.plans.map((p) => p.courierId)).toEqual(['near'])
    expect(early.commits).toEqual([])
    // near needs 5 min: leaves at 20 - 2 - 5 = 13.
    const due = dispatchBatch({ now: 13, orders, couriers, travel, service, policy })
    expect(due.commits.map((p) => [p.courierId, p.departAt])).toEqual([['near', 13]])
  })

  it('prices only the nearest candidates when asked, and still matches exactly among them', () => {
    const orders = [order('o1', { x: 0, y: 0 }, 20), order('o2', { x: 3000, y: 0 }, 20, 's2')]
    const couriers = [courier('a', 0, 500), courier('b', 3000, 500), courier('c', 0, 2500)]
    const res = dispatchBatch({
      now: 0,
      orders,
      couriers,
      travel,
      service,
      policy: { ...policy, candidatesPerBundle: 1 },
    })
    expect(res.plans.map((p) => [p.bundle.storeId, p.courierId]).sort()).toEqual([
      ['s1', 'a'],
      ['s2', 'b'],
    ])
  })

  it('moves an idle courier nobody wants to a busy store', () => {
    const res = dispatchBatch({
      now: 0,
      orders: [],
      couriers: [courier('idle', 2000, 0)],
      travel,
      service,
      policy: {
        ...policy,
        reposition: { maxMinutes: 30, closeEnough: 1, perStore: 1, minWeight: 1, shiftEndSlack: 5 },
      },
      stores: [{ storeId: 's1', at: { x: 0, y: 0 }, weight: 3 }],
    })
    expect(res.repositions).toEqual([
      { courierId: 'idle', storeId: 's1', at: { x: 0, y: 0 }, departAt: 0, arriveAt: 20 },
    ])
  })

  it('serves the bundle waiting longest first when couriers are short', () => {
    const a = order('old', { x: 0, y: 0 }, 0, 'sa')
    const b = order('new', { x: 3000, y: 0 }, 9, 'sb')
    const res = dispatchBatch({
      now: 10,
      orders: [b, a],
      couriers: [courier('c', 1500, 0)],
      travel,
      service,
      policy,
    })
    expect(res.commits.map((p) => p.bundle.orders[0]!.id)).toEqual(['old'])
  })

  it('bundles same-store orders only when orders outnumber couriers', () => {
    const s = { x: 0, y: 0 }
    const orders = [order('o1', s, 10), order('o2', s, 11), order('o3', s, 12)]
    const plenty = dispatchBatch({
      now: 0,
      orders,
      couriers: [courier('a', 0, 100), courier('b', 0, 200), courier('c', 0, 300)],
      travel,
      service,
      policy,
    })
    expect(plenty.bundles).toHaveLength(3)
    const loose = { ...policy, bundling: { ...policy.bundling, maxExtraDelay: 30 } }
    const short = dispatchBatch({
      now: 0,
      orders,
      couriers: [courier('a', 0, 100)],
      travel,
      service,
      policy: loose,
    })
    expect(short.bundles).toHaveLength(1)
    expect(short.plans[0]!.bundle.orders).toHaveLength(3)
  })

  it('never commits a courier or an order twice, nor a plan that breaks ready or off times', () => {
    const pt = fc.record({ x: fc.integer({ min: 0, max: 3000 }), y: fc.integer({ min: 0, max: 3000 }) })
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: pt,
            ready: fc.integer({ min: 0, max: 40 }),
            store: fc.integer({ min: 0, max: 3 }),
          }),
          {
            maxLength: 12,
          },
        ),
        fc.array(
          fc.record({ at: pt, free: fc.integer({ min: 0, max: 20 }), off: fc.integer({ min: 0, max: 90 }) }),
          {
            maxLength: 8,
          },
        ),
        fc.integer({ min: 0, max: 30 }),
        (os, cs, now) => {
          const stores = [
            { x: 0, y: 0 },
            { x: 3000, y: 0 },
            { x: 0, y: 3000 },
            { x: 1500, y: 1500 },
          ]
          const orders = os.map((o, i) => order(`o${i}`, stores[o.store]!, o.ready, `s${o.store}`))
          const couriers = cs.map((c, i) =>
            courier(`c${i}`, c.at.x, c.at.y, { freeAt: c.free, offAt: c.off }),
          )
          const res = dispatchBatch({ now, orders, couriers, travel, service, policy })
          const cids = res.plans.map((p) => p.courierId)
          expect(new Set(cids).size).toBe(cids.length)
          const oids = res.plans.flatMap((p) => p.bundle.orders.map((o) => o.id))
          expect(new Set(oids).size).toBe(oids.length)
          for (const p of res.plans) {
            const c = couriers.find((x) => x.id === p.courierId)!
            expect(p.pickupAt).toBeLessThanOrEqual(c.offAt)
            for (const o of p.bundle.orders) expect(p.pickupAt).toBeGreaterThanOrEqual(o.readyAt)
            expect(new Set(p.bundle.orders.map((o) => o.storeId)).size).toBe(1)
            if (p.due) {
              expect(c.freeAt).toBeLessThanOrEqual(now)
              expect(p.departAt).toBeGreaterThanOrEqual(now)
            }
          }
          expect(res.commits.every((p) => p.due)).toBe(true)
        },
      ),
      { numRuns: 150 },
    )
  })
})
