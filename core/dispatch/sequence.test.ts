import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sequenceDropoffs, sequenceScore } from './sequence'
import { euclideanCeil } from './travel'
import type { DispatchOrder } from './types'

const travel = euclideanCeil(300)
const service = { pickup: 4, dropoff: 4 }
const store = { x: 0, y: 0 }

function allPermutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs]
  return xs.flatMap((x, i) => allPermutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]))
}

const orders = (n: number) =>
  fc.array(fc.tuple(fc.integer({ min: -5000, max: 5000 }), fc.integer({ min: -5000, max: 5000 })), {
    minLength: 1,
    maxLength: n,
  })
const toOrders = (pts: [number, number][]): DispatchOrder[] =>
  pts.map(([x, y], i) => ({ id: `o${i}`, storeId: 's', store, dropoff: { x, y }, placedAt: 0, readyAt: 0 }))

describe('sequenceDropoffs', () => {
  it('finds the least summed dropoff time (exact up to five orders)', () => {
    fc.assert(
      fc.property(orders(5), (pts) => {
        const os = toOrders(pts)
        const best = Math.min(
          ...allPermutations(os).map((p) => sequenceScore(store, p, travel, service).latency),
        )
        const seq = sequenceDropoffs(store, os, travel, service)
        expect(new Set(seq.map((o) => o.id))).toEqual(new Set(os.map((o) => o.id)))
        expect(sequenceScore(store, seq, travel, service).latency).toBe(best)
      }),
      { numRuns: 200 },
    )
  })

  it('keeps every order exactly once for larger bundles', () => {
    fc.assert(
      fc.property(orders(9), (pts) => {
        const os = toOrders(pts)
        const seq = sequenceDropoffs(store, os, travel, service)
        expect(seq.map((o) => o.id).sort()).toEqual(os.map((o) => o.id).sort())
      }),
    )
  })

  it('delivers the nearer customer first', () => {
    const os = toOrders([
      [3000, 0],
      [300, 0],
    ])
    expect(sequenceDropoffs(store, os, travel, service).map((o) => o.id)).toEqual(['o1', 'o0'])
  })
})
