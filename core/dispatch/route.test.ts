import { describe, expect, it } from 'vitest'
import { planRoute } from './route'
import { euclideanCeil } from './travel'
import type { Bundle, CourierState, DispatchOrder } from './types'

const travel = euclideanCeil(100) // 100 m per minute: 1 km = 10 min
const service = { pickup: 4, dropoff: 4 }
const ctx = (now: number) => ({ now, travel, service, interval: 1 })

const order = (id: string, readyAt: number, dx: number, placedAt = 0): DispatchOrder => ({
  id,
  storeId: 's1',
  store: { x: 0, y: 0 },
  dropoff: { x: dx, y: 0 },
  placedAt,
  readyAt,
})
const bundle = (...orders: DispatchOrder[]): Bundle => ({
  storeId: 's1',
  store: { x: 0, y: 0 },
  orders,
  readyAt: Math.max(...orders.map((o) => o.readyAt)),
})
const courier = (over: Partial<CourierState> = {}): CourierState => ({
  id: 'c1',
  freeAt: 0,
  at: { x: 0, y: 1000 },
  arrivedAt: 0,
  onAt: 0,
  offAt: 600,
  orders: 0,
  guaranteedOrders: 0,
  ...over,
})

describe('planRoute', () => {
  it('leaves as late as still arrives half the pickup service before the food is ready', () => {
    const p = planRoute(courier(), bundle(order('o1', 30, 500)), ctx(0))!
    // 10 min to the store, arrives at 28 = 30 - 2, picks up at 30, leaves at 32, 5 min to the door.
    expect(p.departAt).toBe(18)
    expect(p.arriveStoreAt).toBe(28)
    expect(p.pickupAt).toBe(30)
    expect(p.leaveStoreAt).toBe(32)
    expect(p.dropoffAt).toEqual([39])
    expect(p.freeAt).toBe(41)
    expect(p.due).toBe(false)
    expect(planRoute(courier(), bundle(order('o1', 30, 500)), ctx(18))!.due).toBe(true)
  })

  it('is late but due at once when the food is already waiting', () => {
    const p = planRoute(courier(), bundle(order('o1', 5, 500)), ctx(10))!
    expect(p.departAt).toBe(10)
    expect(p.pickupAt).toBe(22)
    expect(p.due).toBe(true)
  })

  it('is never due for a courier still busy, and starts after it is free', () => {
    const p = planRoute(courier({ freeAt: 40 }), bundle(order('o1', 5, 500)), ctx(10))!
    expect(p.departAt).toBe(40)
    expect(p.due).toBe(false)
  })

  it('refuses a pickup after the courier goes off shift', () => {
    expect(planRoute(courier({ offAt: 29 }), bundle(order('o1', 30, 500)), ctx(0))).toBeNull()
    expect(planRoute(courier({ offAt: 30 }), bundle(order('o1', 30, 500)), ctx(0))).not.toBeNull()
  })

  it('waits for the shift to start', () => {
    const p = planRoute(courier({ onAt: 50, freeAt: 50 }), bundle(order('o1', 30, 500)), ctx(0))!
    expect(p.departAt).toBe(50)
    expect(p.pickupAt).toBe(62)
  })

  it('needs no move for a courier waiting at the store', () => {
    const c = courier({ at: { x: 0, y: 0 }, atStoreId: 's1', arrivedAt: 3 })
    const p = planRoute(c, bundle(order('o1', 30, 500)), ctx(10))!
    expect(p.arriveStoreAt).toBe(3)
    expect(p.pickupAt).toBe(30)
  })

  it('extends an open pickup at the same store and re-sequences the dropoffs', () => {
    const first = order('o1', 30, 1000)
    const c = courier({
      freeAt: 45,
      at: first.dropoff,
      open: { bundle: bundle(first), arriveAt: 28, pickupAt: 30 },
    })
    const p = planRoute(c, bundle(order('o2', 29, 500)), ctx(25))!
    expect(p.extendsOpen).toBe(true)
    expect(p.bundle.orders.map((o) => o.id)).toEqual(['o2', 'o1'])
    expect(p.pickupAt).toBe(30)
    expect(p.dropoffAt).toEqual([39, 48])
    expect(p.due).toBe(false)
    expect(planRoute(c, bundle(order('o2', 29, 500)), ctx(30))!.due).toBe(true)
    // After the pickup it is a new trip from the last customer.
    expect(planRoute(c, bundle(order('o2', 29, 500)), ctx(31))!.extendsOpen).toBe(false)
  })
})
