import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formBundles } from './bundling'
import { euclideanCeil } from './travel'
import type { DispatchOrder } from './types'

const travel = euclideanCeil(300)
const service = { pickup: 4, dropoff: 4 }
const stores = [
  { x: 0, y: 0 },
  { x: 2000, y: 0 },
  { x: 0, y: 2000 },
]

const orderArb = fc.record({
  store: fc.integer({ min: 0, max: 2 }),
  x: fc.integer({ min: -4000, max: 4000 }),
  y: fc.integer({ min: -4000, max: 4000 }),
  ready: fc.integer({ min: 0, max: 40 }),
})
const toOrders = (rows: { store: number; x: number; y: number; ready: number }[]): DispatchOrder[] =>
  rows.map((r, i) => ({
    id: `o${i}`,
    storeId: `s${r.store}`,
    store: stores[r.store]!,
    dropoff: { x: r.x, y: r.y },
    placedAt: 0,
    readyAt: r.ready,
  }))

describe('formBundles', () => {
  it('puts every order in exactly one single-store bundle within the rules', () => {
    fc.assert(
      fc.property(
        fc.array(orderArb, { maxLength: 25 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 20 }),
        (rows, maxSize, spread) => {
          const orders = toOrders(rows)
          const rules = { maxSize, maxReadySpread: spread, maxExtraDelay: 15 }
          const bundles = formBundles(orders, rules, travel, service)
          const ids = bundles.flatMap((b) => b.orders.map((o) => o.id))
          expect(ids.sort()).toEqual(orders.map((o) => o.id).sort())
          for (const b of bundles) {
            expect(b.orders.length).toBeGreaterThan(0)
            expect(b.orders.length).toBeLessThanOrEqual(maxSize)
            expect(b.orders.every((o) => o.storeId === b.storeId)).toBe(true)
            const ready = b.orders.map((o) => o.readyAt)
            expect(b.readyAt).toBe(Math.max(...ready))
            expect(Math.max(...ready) - Math.min(...ready)).toBeLessThanOrEqual(spread)
          }
        },
      ),
    )
  })

  it('keeps orders alone when bundling is off', () => {
    const orders = toOrders([
      { store: 0, x: 100, y: 0, ready: 5 },
      { store: 0, x: 120, y: 0, ready: 5 },
    ])
    expect(
      formBundles(orders, { maxSize: 1, maxReadySpread: 10, maxExtraDelay: 10 }, travel, service),
    ).toHaveLength(2)
  })

  it('bundles same-store neighbours ready together, not opposite customers', () => {
    const near = toOrders([
      { store: 0, x: 1500, y: 0, ready: 5 },
      { store: 0, x: 1600, y: 0, ready: 6 },
    ])
    const rules = { maxSize: 3, maxReadySpread: 10, maxExtraDelay: 10 }
    expect(formBundles(near, rules, travel, service)).toHaveLength(1)
    const opposite = toOrders([
      { store: 0, x: 3000, y: 0, ready: 5 },
      { store: 0, x: -3000, y: 0, ready: 5 },
    ])
    expect(formBundles(opposite, rules, travel, service)).toHaveLength(2)
  })
})
