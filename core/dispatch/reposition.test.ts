import { describe, expect, it } from 'vitest'
import { planRepositions, type RepositionRules } from './reposition'
import { euclideanCeil } from './travel'
import type { CourierState } from './types'

const travel = euclideanCeil(100)
const rules: RepositionRules = {
  maxMinutes: 10,
  closeEnough: 2,
  perStore: 1,
  minWeight: 2,
  shiftEndSlack: 10,
}
const stores = [
  { storeId: 'busy', at: { x: 0, y: 0 }, weight: 10 },
  { storeId: 'quiet', at: { x: 600, y: 0 }, weight: 1 },
  { storeId: 'other', at: { x: 0, y: 800 }, weight: 4 },
]
const courier = (id: string, x: number, y: number, over: Partial<CourierState> = {}): CourierState => ({
  id,
  freeAt: 0,
  at: { x, y },
  arrivedAt: 0,
  onAt: 0,
  offAt: 300,
  orders: 0,
  guaranteedOrders: 0,
  ...over,
})

describe('planRepositions', () => {
  it('sends an idle courier to the busiest store per minute of driving, ignoring quiet ones', () => {
    const moves = planRepositions([courier('c1', 700, 0)], stores, new Map(), 5, travel, rules)
    expect(moves).toEqual([
      { courierId: 'c1', storeId: 'busy', at: { x: 0, y: 0 }, departAt: 5, arriveAt: 12 },
    ])
  })

  it('leaves couriers already close to a busy store, busy couriers and couriers near the end of shift', () => {
    const idle = [
      courier('near', 100, 0),
      courier('busy', 700, 0, { freeAt: 20 }),
      courier('leaving', 700, 0, { offAt: 20 }),
      courier('tooFar', 5000, 5000),
    ]
    expect(planRepositions(idle, stores, new Map(), 5, travel, rules)).toEqual([])
  })

  it('caps couriers per store, counting those already there', () => {
    const moves = planRepositions(
      [courier('c1', 700, 300), courier('c2', 700, 400)],
      stores,
      new Map([['busy', 0]]),
      0,
      travel,
      rules,
    )
    expect(moves.map((m) => m.storeId)).toEqual(['busy', 'other'])
    const full = planRepositions([courier('c1', 700, 300)], stores, new Map([['busy', 1]]), 0, travel, rules)
    expect(full.map((m) => m.storeId)).toEqual(['other'])
  })
})
