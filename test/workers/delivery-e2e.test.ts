// One delivery from order to door with every object real: the customer orders through the Worker, the
// store (auto-accept) hands the job to its GeoCellDO, a batch offers it to a RiderDO, the rider's reports and
// actions come back to the store as DeliveryUpdates, and the customer's tracking socket follows along.
import { describe, expect, it } from 'vitest'
import { cellOf, type LatLng } from '../../core/geo'
import type { StoreSetup } from '../../core/store'
import { api, idemKey, line, login, seedStore, socket } from './client'
import { testStore } from './fixtures'
import { createRider, offset, onDuty, quietCell, wgs } from './riders-support'

/** 解放碑, Chongqing (GCJ-02): far from every other suite's cells. */
const STORE_AT: LatLng = { lat: 29.5576, lng: 106.5772 }
const DOOR = offset(STORE_AT, 1_000)

function store(): StoreSetup {
  return testStore({
    payMode: 'pay_first',
    autoAccept: true,
    location: STORE_AT,
    delivery: {
      area: { kind: 'radius', radiusM: 3_000 },
      feeBrackets: [{ upToM: 3_000, feeFen: 400 }],
      feeDiscounts: [],
      minOrderFen: 0,
      packingFeeFen: 0,
    },
  })
}

async function poll<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  timeoutMs = 8_000,
): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (ok(v)) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('a delivery from order to door', () => {
  it('customer -> store -> cell -> rider -> store -> customer', async () => {
    const { stub: cell } = await quietCell(STORE_AT)
    const seeded = await seedStore('561', store())
    const owner = await login('561')

    const session = await api('POST', '/api/v1/customers/session', {
      body: { name: '小周' },
      headers: { 'cf-connecting-ip': '10.9.0.1' },
    })
    const customer = session.json.token as string
    const addr = await api('POST', '/api/v1/customer/addresses', {
      token: customer,
      body: {
        name: '周五',
        phone: '13600001234',
        text: '重庆市渝中区民族路188号',
        ...wgs(DOOR),
        datum: 'WGS84',
      },
    })
    expect(addr.status).toBe(201)
    const placed = await api('POST', '/api/v1/customer/orders', {
      token: customer,
      headers: { 'idempotency-key': idemKey() },
      body: {
        storeId: '561',
        mode: 'delivery',
        menuVersion: seeded.menuVersion,
        lines: [line('rice', 'bowl', 2)],
        addressId: addr.json.id,
      },
    })
    expect(placed.status, JSON.stringify(placed.json)).toBe(201)
    const orderId = placed.json.id as string
    expect(placed.json.delivery.distanceM).toBeGreaterThan(990)
    expect(placed.json.delivery.distanceM).toBeLessThan(1_010)

    // Paid (at the counter here) and accepted at once: the job goes to the store's cell.
    const paid = await api('POST', `/api/v1/stores/561/orders/${orderId}/events`, {
      token: owner,
      body: { event: 'pay' },
    })
    expect(paid.json.state).toBe('ACCEPTED')
    await poll(
      async () => ((await cell.state()) as { ok: true; value: { jobs: { orderId: string }[] } }).value.jobs,
      (jobs) => jobs.some((j) => j.orderId === orderId),
      'the job at the cell',
    )
    expect(cellOf(STORE_AT)).toHaveLength(5)
    // Dispatch commits a rider when the food is nearly ready (core/dispatch): the kitchen says it is now.
    const ready = await api('POST', `/api/v1/stores/561/orders/${orderId}/events`, {
      token: owner,
      body: { event: 'ready' },
    })
    expect(ready.json.state).toBe('READY')
    await poll(
      async () =>
        ((await cell.state()) as { ok: true; value: { jobs: { orderId: string; readyAt: number }[] } }).value
          .jobs,
      (jobs) => (jobs.find((j) => j.orderId === orderId)?.readyAt ?? Infinity) <= Date.now(),
      'ready at the cell',
    )

    const track = await socket(`/api/v1/customer/orders/${orderId}/ws`, customer)
    await track.next((m) => m.type === 'snapshot')

    // A rider 300 m away takes it (auto-accept): the store hears "assigned", the customer sees the rider.
    const rider = await createRider('r-e2e-1', { autoAccept: true, name: '赵六', phone: '13500009999' })
    await onDuty(rider, offset(STORE_AT, 0, 300))
    expect(await cell.runBatch()).toMatchObject({ assigned: 1 })
    const assigned = await track.next((m) => m.type === 'status' && m.state === 'RIDER_ASSIGNED')
    expect(assigned.rider.phone).toBe('135****9999')
    expect(JSON.stringify(assigned)).not.toContain('13500009999')

    // The rider rides to the store: positions reach the customer; the fence says "arrived".
    const ws = await socket('/api/v1/rider/ws', rider)
    await ws.next((m) => m.type === 'snapshot')
    // Device times in the recent past: the rider's fences want a fix from the last 2.5 minutes.
    let at = Date.now() - 120_000
    const later = (ms: number) => {
      at += ms
      return at
    }
    ws.send({ type: 'loc', ...wgs(offset(STORE_AT, 0, 150)), accuracyM: 10, at: later(20_000) })
    const moved = await track.next((m) => m.type === 'rider')
    expect(moved.pos.lat).toBeCloseTo(STORE_AT.lat, 3)
    ws.send({ type: 'loc', ...wgs(offset(STORE_AT, 0, 40)), accuracyM: 10, at: later(20_000) })
    await track.next((m) => m.type === 'status' && m.state === 'RIDER_AT_STORE')

    const pick = await api('POST', `/api/v1/rider/tasks/${orderId}/pickup`, { token: rider })
    expect(pick.status, JSON.stringify(pick.json)).toBe(200)
    // After pickup the rider gets the exact door and the customer's masked phone.
    expect(pick.json.customerPhone).toBe('136****1234')
    expect(pick.json.dropoff.lat).toBeCloseTo(DOOR.lat, 6)
    await track.next((m) => m.type === 'status' && m.state === 'DELIVERING')

    // 1 km in a minute: fast, but a ride, not a GPS jump (core/geo/track.ts).
    ws.send({ type: 'loc', ...wgs(offset(DOOR, -30)), accuracyM: 10, at: later(60_000) })
    const done = await poll(
      () => api('POST', `/api/v1/rider/tasks/${orderId}/deliver`, { token: rider }),
      (r) => r.status === 200,
      'delivery inside the fence',
    )
    expect(done.json.status).toBe('delivered')
    await track.next((m) => m.type === 'status' && m.state === 'DELIVERED')

    const view = await poll(
      () => api('GET', `/api/v1/customer/orders/${orderId}`, { token: customer }),
      (r) => r.json.state === 'DELIVERED',
      'DELIVERED',
    )
    expect(view.json.timeline.map((t: { state: string }) => t.state)).toEqual([
      'PENDING_PAYMENT',
      'PLACED',
      'ACCEPTED',
      'READY',
      'RIDER_ASSIGNED',
      'RIDER_AT_STORE',
      'DELIVERING',
      'DELIVERED',
    ])
    expect(view.json.delivery.rider).toEqual({ name: expect.any(String), phone: '135****9999' })
    expect(view.json.riderPos).toBeNull()
    ws.close()
    track.close()
  })
})
