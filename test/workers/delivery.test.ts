// Delivery and pickup through the Worker, as a phone would use them: a customer identity, saved addresses
// (sealed at rest, masked in answers), stores that deliver to a point, orders refused outside the area before
// any payment, the fee in the price, the store handing the job to its cell, riders' updates driving the
// order, and a tracking socket that only ever hears about its own order.
import { env, runInDurableObject, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
  applyTrackingMessage,
  type TrackingServerMessage,
  TrackingServerMessageSchema,
  type TrackingSnapshot,
} from '../../core/channels/tracking'
import type { DeliveryUpdate } from '../../core/delivery'
import { cellOf } from '../../core/geo'
import { deliveryEtaMinutes, type StoreSetup } from '../../core/store'
import { addressHint, maskAddressText, maskName } from '../../durable-objects/customer'
import { api, BASE, idemKey, line, login, seedStore, socket } from './client'
import { testStore } from './fixtures'

/** 玉林西路, Chengdu, GCJ-02. */
const STORE_AT = { lat: 30.62936, lng: 104.0637 }
/** About 1 km north (first fee bracket), 2.2 km (second), 5.6 km (outside the 3 km area). */
const NEAR = { lat: 30.63836, lng: 104.0637 }
const MID = { lat: 30.64936, lng: 104.0637 }
const FAR = { lat: 30.67936, lng: 104.0637 }

const PHONE = '13812345678'
const ADDRESS_TEXT = '四川省成都市武侯区玉林西路88号3栋2单元501'

function deliveryStore(over: Partial<StoreSetup['settings']> = {}): StoreSetup {
  return testStore({
    payMode: 'pay_first',
    location: STORE_AT,
    delivery: {
      area: { kind: 'radius', radiusM: 3_000 },
      feeBrackets: [
        { upToM: 1_500, feeFen: 300 },
        { upToM: 3_000, feeFen: 500 },
      ],
      freeDeliveryFromFen: 20_000,
      feeDiscounts: [],
      minOrderFen: 3_000,
      packingFeeFen: 100,
    },
    prepMinutes: 10,
    ...over,
  })
}

/** 麻婆豆腐 (28, box 1) + 米饭 (2): 30 yuan at list price, exactly 起送价. */
const MEAL = [line('mapo', 'std', 1, ['mild']), line('rice', 'bowl', 1)]

let phones = 0
/** A new customer on their own phone (own address: new identities are rate-limited per address). */
async function customerSession(name = '小李'): Promise<{ token: string; id: string }> {
  const ip = `10.0.${Math.floor(++phones / 250)}.${phones % 250}`
  const r = await api('POST', '/api/v1/customers/session', {
    body: { name },
    headers: { 'cf-connecting-ip': ip },
  })
  expect(r.status, JSON.stringify(r.json)).toBe(200)
  return { token: r.json.token, id: r.json.customer.id }
}

async function saveAddress(token: string, at: { lat: number; lng: number }, datum = 'GCJ02') {
  const r = await api('POST', '/api/v1/customer/addresses', {
    token,
    body: { label: '家', name: '张三', phone: PHONE, text: ADDRESS_TEXT, ...at, datum },
  })
  expect(r.status, JSON.stringify(r.json)).toBe(201)
  return r.json as { id: string; phone: string; text: string; name: string }
}

async function order(
  token: string,
  body: Record<string, unknown>,
  key = idemKey(),
): Promise<{ status: number; json: any }> {
  return api('POST', '/api/v1/customer/orders', { token, headers: { 'idempotency-key': key }, body })
}

async function staffEvent(storeId: string, owner: string, orderId: string, event: string, reason?: string) {
  const r = await api('POST', `/api/v1/stores/${storeId}/orders/${orderId}/events`, {
    token: owner,
    body: { event, ...(reason ? { reason } : {}) },
  })
  expect(r.status, `${event}: ${JSON.stringify(r.json)}`).toBe(200)
  return r.json
}

/** Every row of every table of an object's SQLite, as one string: for "not stored in plain text". */
async function dumpStorage(stub: DurableObjectStub): Promise<string> {
  return runInDurableObject(stub, (_i, state) => {
    const sql = state.storage.sql
    const tables = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'")
      .toArray()
    return JSON.stringify(tables.map((t) => sql.exec(`SELECT * FROM "${t.name}"`).toArray()))
  })
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (ok(v) || Date.now() > until) return v
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A paid, accepted delivery order of a fresh customer, ready for riders. */
async function acceptedDelivery(storeId: string, owner: string, menuVersion: number, at = NEAR) {
  const c = await customerSession()
  const addr = await saveAddress(c.token, at)
  const r = await order(c.token, { storeId, mode: 'delivery', menuVersion, lines: MEAL, addressId: addr.id })
  expect(r.status, JSON.stringify(r.json)).toBe(201)
  await staffEvent(storeId, owner, r.json.id, 'pay')
  const accepted = await staffEvent(storeId, owner, r.json.id, 'accept')
  expect(accepted.state).toBe('ACCEPTED')
  return { customer: c, orderId: r.json.id as string }
}

const rpc = (storeId: string) => env.STORE.getByName(storeId)

function assigned(orderId: string, riderId = 'r1001', at = Date.now()): DeliveryUpdate {
  return {
    kind: 'assigned',
    orderId,
    riderId,
    riderName: '王师傅',
    riderPhone: '139****0001',
    at,
    etaPickupAt: at + 5 * 60_000,
    etaDropoffAt: at + 20 * 60_000,
  }
}

describe('customers and addresses', () => {
  it('gives a device a customer token and keeps its identity when it signs in again', async () => {
    const first = await customerSession('小李')
    expect(first.id).toMatch(/^cus_[0-9A-Z]{26}$/)
    const again = await api('POST', '/api/v1/customers/session', {
      token: first.token,
      body: { name: '李四' },
    })
    expect(again.json.customer).toEqual({ id: first.id, name: '李四' })
    expect((await api('POST', '/api/v1/customers/session', { body: {} })).status).toBe(400)
    expect((await api('GET', '/api/v1/customer/addresses')).status).toBe(401)
    // A customer is not a diner at a table, and not staff.
    expect((await api('GET', '/api/v1/table', { token: first.token })).status).toBe(403)
    expect((await api('GET', '/api/v1/stores/501/board', { token: first.token })).status).toBe(403)
  })

  it('answers addresses masked and keeps them sealed at rest', async () => {
    const c = await customerSession()
    const saved = await saveAddress(c.token, NEAR)
    expect(saved).toMatchObject({ name: '张*', phone: '138****5678', text: '四川省成都市武侯区玉林西路…' })
    expect(saved.text).not.toContain('88号')
    const list = await api('GET', '/api/v1/customer/addresses', { token: c.token })
    expect(list.json.addresses).toHaveLength(1)
    expect(list.json.addresses[0]).toMatchObject({
      id: saved.id,
      phone: '138****5678',
      hint: '武侯区 玉林西路附近',
    })
    expect(JSON.stringify(list.json)).not.toContain(PHONE)
    expect(JSON.stringify(list.json)).not.toContain(String(NEAR.lat))

    const stored = await dumpStorage(env.CUSTOMER.getByName(c.id))
    expect(stored).toContain(saved.id)
    for (const secret of [PHONE, '88号', '3栋2单元', '张三', String(NEAR.lat)])
      expect(stored).not.toContain(secret)

    // Another customer does not see it.
    const other = await customerSession()
    expect((await api('GET', '/api/v1/customer/addresses', { token: other.token })).json.addresses).toEqual(
      [],
    )
    expect(
      (await api('DELETE', `/api/v1/customer/addresses/${saved.id}`, { token: other.token })).status,
    ).toBe(404)
    expect((await api('DELETE', `/api/v1/customer/addresses/${saved.id}`, { token: c.token })).status).toBe(
      200,
    )
    expect((await api('GET', '/api/v1/customer/addresses', { token: c.token })).json.addresses).toEqual([])
  })

  it('refuses bad addresses with a 400', async () => {
    const c = await customerSession()
    const ok = { name: '张三', phone: PHONE, text: ADDRESS_TEXT, ...NEAR, datum: 'GCJ02' }
    for (const bad of [
      { ...ok, phone: '12345' },
      { ...ok, datum: 'MARS' },
      { ...ok, datum: undefined },
      { ...ok, lat: 91 },
      { ...ok, text: '' },
      { ...ok, name: '' },
    ]) {
      const r = await api('POST', '/api/v1/customer/addresses', { token: c.token, body: bad })
      expect(r.status, JSON.stringify(bad)).toBe(400)
      expect(r.json.error.code).toBe('VALIDATION_FAILED')
    }
    const badId = await api('DELETE', '/api/v1/customer/addresses/nope', { token: c.token })
    expect(badId.status).toBe(400)
  })
})

it('documents the customer routes in the OpenAPI document', async () => {
  const doc = await api('GET', '/api/v1/openapi.json')
  expect(doc.status).toBe(200)
  for (const path of [
    '/api/v1/customers/session',
    '/api/v1/customer/addresses',
    '/api/v1/stores/nearby',
    '/api/v1/customer/orders',
    '/api/v1/customer/orders/{orderId}/pay',
    '/api/v1/customer/orders/{orderId}/ws',
  ])
    expect(Object.keys(doc.json.paths)).toContain(path)
  expect(doc.json.paths['/api/v1/customer/orders'].post.parameters).toContainEqual(
    expect.objectContaining({ name: 'Idempotency-Key' }),
  )
})

describe('masking', () => {
  it('keeps the family name, the carrier prefix and last four, and the address up to the road', () => {
    expect(maskName('张三')).toBe('张*')
    expect(maskName('欧阳娜娜')).toBe('欧***')
    expect(maskName('李')).toBe('李*')
    expect(maskAddressText('北京市朝阳区建国路88号院3号楼')).toBe('北京市朝阳区建国路…')
    expect(maskAddressText('上海市浦东新区世纪大道100号')).toBe('上海市浦东新区世纪大道…')
    expect(maskAddressText('广东省深圳市南山区科技园南区A栋')).toBe('广东省深圳市…')
    expect(addressHint('北京市朝阳区建国路88号院3号楼')).toBe('朝阳区 建国路附近')
    expect(addressHint('上海市浦东新区世纪大道100号')).toBe('浦东新区 世纪大道附近')
    expect(addressHint(ADDRESS_TEXT)).toBe('武侯区 玉林西路附近')
  })
})

describe('stores nearby', () => {
  it('lists stores that deliver to the point with distance, fee and ETA, and not those that do not', async () => {
    await seedStore('511', deliveryStore())
    const near = await api('GET', `/api/v1/stores/nearby?lat=${NEAR.lat}&lng=${NEAR.lng}&datum=GCJ02`)
    expect(near.status).toBe(200)
    const s = near.json.stores.find((x: { storeId: string }) => x.storeId === '511')
    expect(s).toMatchObject({ name: '测试小馆', deliveryFeeFen: 300, packingFeeFen: 100, minOrderFen: 3_000 })
    expect(s.distanceM).toBeGreaterThan(950)
    expect(s.distanceM).toBeLessThan(1_050)
    expect(s.etaMinutes).toBe(deliveryEtaMinutes({ prepMinutes: 10, distanceM: s.distanceM }))

    const far = await api('GET', `/api/v1/stores/nearby?lat=${FAR.lat}&lng=${FAR.lng}&datum=GCJ02`)
    expect(far.json.stores.some((x: { storeId: string }) => x.storeId === '511')).toBe(false)

    // Device GPS (WGS-84) at the store's own door: converted, it is the store (GCJ-02 is ~350 m off there).
    const gps = await api('GET', '/api/v1/stores/nearby?lat=30.6318&lng=104.0612&datum=WGS84')
    const mars = await api('GET', '/api/v1/stores/nearby?lat=30.6318&lng=104.0612&datum=GCJ02')
    const at = (r: { json: { stores: { storeId: string; distanceM: number }[] } }) =>
      r.json.stores.find((x) => x.storeId === '511')!.distanceM
    expect(at(gps)).toBeLessThan(30)
    expect(at(mars)).toBeGreaterThan(250)
  })

  it('drops a store from the index when it stops delivering', async () => {
    await seedStore('512', deliveryStore())
    const here = `/api/v1/stores/nearby?lat=${MID.lat}&lng=${MID.lng}&datum=GCJ02`
    expect((await api('GET', here)).json.stores.some((x: { storeId: string }) => x.storeId === '512')).toBe(
      true,
    )
    await seedStore('512', testStore({ payMode: 'pay_first' }))
    expect((await api('GET', here)).json.stores.some((x: { storeId: string }) => x.storeId === '512')).toBe(
      false,
    )
  })

  it('refuses a query without a valid point and datum', async () => {
    for (const q of ['lat=30&lng=104', 'lat=abc&lng=104&datum=GCJ02', 'lat=100&lng=104&datum=GCJ02', ''])
      expect((await api('GET', `/api/v1/stores/nearby?${q}`)).status, q).toBe(400)
  })
})

describe('placing delivery and pickup orders', () => {
  it('refuses an address outside the area before payment, creating nothing', async () => {
    const seeded = await seedStore('521', deliveryStore())
    const c = await customerSession()
    const far = await saveAddress(c.token, FAR)
    const r = await order(c.token, {
      storeId: '521',
      mode: 'delivery',
      menuVersion: seeded.menuVersion,
      lines: MEAL,
      addressId: far.id,
    })
    expect(r.status).toBe(422)
    expect(r.json.error.code).toBe('OUT_OF_DELIVERY_AREA')
    expect(r.json.error.details).toMatchObject({ limitM: 3_000 })
    const owner = await login('521')
    expect((await api('GET', '/api/v1/stores/521/orders', { token: owner })).json.orders).toEqual([])
    expect((await api('GET', '/api/v1/customer/orders', { token: c.token })).json.orders).toEqual([])
    // Stock was not touched either: the limited duck still has all 10.
    const menu = await api('GET', '/api/v1/stores/521/menu')
    expect(menu.json.availability.remaining.half).toBe(10)
  })

  it('refuses an order under 起送价 with what is missing', async () => {
    const seeded = await seedStore('522', deliveryStore())
    const c = await customerSession()
    const near = await saveAddress(c.token, NEAR)
    const r = await order(c.token, {
      storeId: '522',
      mode: 'delivery',
      menuVersion: seeded.menuVersion,
      lines: [line('rice', 'bowl', 2)],
      addressId: near.id,
    })
    expect(r.status).toBe(422)
    expect(r.json.error.code).toBe('BELOW_MINIMUM_ORDER')
    expect(r.json.error.details).toEqual({ subtotalFen: 400, minOrderFen: 3_000, shortFen: 2_600 })
  })

  it('prices the delivery fee and packing into the breakdown and keeps the address sealed', async () => {
    const seeded = await seedStore('523', deliveryStore())
    const c = await customerSession()
    const near = await saveAddress(c.token, NEAR)
    const key = idemKey()
    const body = {
      storeId: '523',
      mode: 'delivery',
      menuVersion: seeded.menuVersion,
      lines: MEAL,
      addressId: near.id,
    }
    const r = await order(c.token, body, key)
    expect(r.status, JSON.stringify(r.json)).toBe(201)
    const o = r.json
    expect(o).toMatchObject({ mode: 'delivery', state: 'PENDING_PAYMENT', paid: false, storeId: '523' })
    expect(o.pickupNo).toMatch(/^D\d{3}$/)
    expect(o.price.steps).toEqual([
      { kind: 'items', label: '商品', amountFen: 3_000 },
      { kind: 'packaging', label: '打包费', amountFen: 200 },
      { kind: 'delivery', label: '配送费（1.5 km内）', amountFen: 300 },
    ])
    expect(o.totalFen).toBe(3_500)
    expect(o.price.totalFen).toBe(o.price.itemsFen + o.price.feesFen - o.price.discountFen)
    expect(o.delivery).toMatchObject({ feeFen: 300, address: { phone: '138****5678', name: '张*' } })
    const minutes = deliveryEtaMinutes({ prepMinutes: 12, distanceM: o.delivery.distanceM })
    expect(o.etaAt - o.createdAt).toBe(minutes * 60_000)
    expect(JSON.stringify(o)).not.toContain('sealed')
    expect(JSON.stringify(o)).not.toContain(PHONE)

    // The same key is the same order; the order shows up in the customer's list.
    const again = await order(c.token, body, key)
    expect(again.json.id).toBe(o.id)
    const mine = await api('GET', '/api/v1/customer/orders', { token: c.token })
    expect(mine.json.orders).toEqual([expect.objectContaining({ orderId: o.id, storeId: '523' })])

    const stored = await dumpStorage(rpc('523'))
    expect(stored).toContain(o.id)
    for (const secret of [PHONE, '88号', '3栋2单元', String(NEAR.lat)]) expect(stored).not.toContain(secret)
  })

  it('converts a GPS (WGS-84) address before quoting', async () => {
    const seeded = await seedStore('524', deliveryStore())
    const c = await customerSession()
    const gps = await saveAddress(c.token, { lat: 30.6318, lng: 104.0612 }, 'WGS84')
    const r = await order(c.token, {
      storeId: '524',
      mode: 'delivery',
      menuVersion: seeded.menuVersion,
      lines: MEAL,
      addressId: gps.id,
    })
    expect(r.status).toBe(201)
    expect(r.json.delivery.distanceM).toBeLessThan(30)
  })

  it('pickup: no address, no delivery fee, and the PICKED_UP branch', async () => {
    const seeded = await seedStore('525', deliveryStore())
    const owner = await login('525')
    const c = await customerSession()
    const r = await order(c.token, {
      storeId: '525',
      mode: 'pickup',
      menuVersion: seeded.menuVersion,
      lines: MEAL,
    })
    expect(r.status, JSON.stringify(r.json)).toBe(201)
    expect(r.json.pickupNo).toMatch(/^P\d{3}$/)
    expect(r.json.price.steps.map((s: { kind: string }) => s.kind)).toEqual(['items', 'packaging'])
    expect(r.json.price.feesFen).toBe(100)
    expect(r.json.delivery).toBeUndefined()
    expect(r.json.etaAt - r.json.createdAt).toBe(12 * 60_000)
    // Pickup never needs 起送价 nor an area: one bowl of rice is an order.
    const small = await order(c.token, {
      storeId: '525',
      mode: 'pickup',
      menuVersion: seeded.menuVersion,
      lines: [line('rice', 'bowl', 1)],
    })
    expect(small.status).toBe(201)

    for (const e of ['pay', 'accept', 'ready', 'pick_up']) await staffEvent('525', owner, r.json.id, e)
    const got = await api('GET', `/api/v1/customer/orders/${r.json.id}`, { token: c.token })
    expect(got.json.state).toBe('PICKED_UP')
    expect(got.json.timeline.map((t: { state: string }) => t.state)).toEqual([
      'PENDING_PAYMENT',
      'PLACED',
      'ACCEPTED',
      'READY',
      'PICKED_UP',
    ])
    // A pickup order never goes to a cell.
    expect((await rpc('525').deliveryState()).jobs).toEqual([])
  })

  it('refuses bad orders with a 4xx', async () => {
    const seeded = await seedStore('526', deliveryStore())
    const c = await customerSession()
    const near = await saveAddress(c.token, NEAR)
    const base = {
      storeId: '526',
      mode: 'delivery',
      menuVersion: seeded.menuVersion,
      lines: MEAL,
      addressId: near.id,
    }
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...base, addressId: undefined }, 400, 'VALIDATION_FAILED'],
      [{ ...base, mode: 'pickup' }, 400, 'VALIDATION_FAILED'],
      [{ ...base, mode: 'dine_in' }, 400, 'VALIDATION_FAILED'],
      [{ ...base, storeId: 'abc' }, 400, 'VALIDATION_FAILED'],
      [{ ...base, lines: [] }, 400, 'VALIDATION_FAILED'],
      [{ ...base, addressId: `adr_${'0'.repeat(26)}` }, 404, 'NOT_FOUND'],
      [{ ...base, storeId: '999' }, 404, 'STORE_NOT_FOUND'],
      [{ ...base, menuVersion: seeded.menuVersion + 5 }, 409, 'MENU_STALE'],
    ]
    for (const [body, status, code] of cases) {
      const r = await order(c.token, body)
      expect(r.status, JSON.stringify(body)).toBe(status)
      expect(r.json.error.code).toBe(code)
    }
    const noKey = await api('POST', '/api/v1/customer/orders', { token: c.token, body: base })
    expect(noKey.status).toBe(400)
    // Another customer's address id is unknown to this one.
    const other = await customerSession()
    expect((await order(other.token, base)).status).toBe(404)
    // A store that does not deliver refuses delivery but takes pickup.
    const plain = await seedStore('527', testStore({ payMode: 'pay_first' }))
    const refused = await order(c.token, { ...base, storeId: '527', menuVersion: plain.menuVersion })
    expect(refused.status).toBe(400)
    expect(refused.json.error.code).toBe('BAD_REQUEST')
  })
})

describe('paying, refunds and scope', () => {
  it("keeps a customer's orders theirs: pay, confirm, refund, view and socket refuse others", async () => {
    const seeded = await seedStore('531', deliveryStore())
    const c = await customerSession()
    const r = await order(c.token, {
      storeId: '531',
      mode: 'pickup',
      menuVersion: seeded.menuVersion,
      lines: MEAL,
    })
    const id = r.json.id
    const other = await customerSession()
    const payBody = { provider: 'wechat', channel: 'h5' }
    for (const [method, path, body] of [
      ['GET', `/api/v1/customer/orders/${id}`, undefined],
      ['POST', `/api/v1/customer/orders/${id}/pay`, payBody],
      ['POST', `/api/v1/customer/checkouts/${id}/confirm`, undefined],
      ['POST', `/api/v1/customer/orders/${id}/refund`, { reason: '不想要了' }],
      ['POST', `/api/v1/customer/orders/${id}/cancel`, undefined],
    ] as const) {
      const res = await api(method, path, { token: other.token, ...(body ? { body } : {}) })
      expect(res.status, path).toBe(404)
      expect(res.json.error.code).toBe('ORDER_NOT_FOUND')
    }
    await expect(socket(`/api/v1/customer/orders/${id}/ws`, other.token)).rejects.toThrow(/404/)
    expect((await api('GET', '/api/v1/customer/orders/nope', { token: c.token })).status).toBe(400)
    // No payment provider is configured in this test runtime: the owner's pay route answers so, clearly.
    const pay = await api('POST', `/api/v1/customer/orders/${id}/pay`, { token: c.token, body: payBody })
    expect(pay.status).toBe(404)
    expect(pay.json.error.message).toMatch(/not configured/)
    const confirm = await api('POST', `/api/v1/customer/checkouts/${id}/confirm`, { token: c.token })
    expect(confirm.status).toBe(404)
    // Unpaid: nothing to refund; the customer may cancel.
    const refund = await api('POST', `/api/v1/customer/orders/${id}/refund`, {
      token: c.token,
      body: { reason: '不想要了' },
    })
    expect(refund.status).toBe(409)
    const cancelled = await api('POST', `/api/v1/customer/orders/${id}/cancel`, { token: c.token })
    expect(cancelled.json.state).toBe('CANCELLED')
  })

  it("the store opens a customer's checkout for that customer only (and never for a table)", async () => {
    const seeded = await seedStore('533', deliveryStore())
    const c = await customerSession()
    const r = await order(c.token, {
      storeId: '533',
      mode: 'pickup',
      menuVersion: seeded.menuVersion,
      lines: MEAL,
    })
    for (const scope of [
      { customerId: 'cus_someone_else' },
      { tableKey: '0001-00001', sessionId: 'ses_x' },
    ]) {
      const refused = await rpc('533').startCheckout({ orderId: r.json.id, provider: 'wechat', ...scope })
      expect(refused).toMatchObject({ ok: false, error: { code: 'ORDER_NOT_FOUND' } })
    }
    const money = await rpc('533').orderMoney(r.json.id)
    expect(money.ok && money.value.checkouts).toEqual([])
  })

  it('refunds a paid order in full before the store accepts it', async () => {
    const seeded = await seedStore('532', deliveryStore())
    const owner = await login('532')
    const c = await customerSession()
    const r = await order(c.token, {
      storeId: '532',
      mode: 'pickup',
      menuVersion: seeded.menuVersion,
      lines: MEAL,
    })
    await staffEvent('532', owner, r.json.id, 'pay')
    const refund = await api('POST', `/api/v1/customer/orders/${r.json.id}/refund`, {
      token: c.token,
      body: { reason: '不想要了' },
    })
    expect(refund.status, JSON.stringify(refund.json)).toBe(200)
    // Paid at the counter in this test: nothing to send back through a provider, so it completes at once.
    expect(refund.json.state).toBe('REFUNDED')
  })
})

describe('the store side of delivery', () => {
  it('hands an accepted delivery order to the cell of the store (auto-accept on payment)', async () => {
    const seeded = await seedStore('541', deliveryStore({ autoAccept: true }))
    const owner = await login('541')
    const c = await customerSession()
    const addr = await saveAddress(c.token, NEAR)
    const r = await order(c.token, {
      storeId: '541',
      mode: 'delivery',
      menuVersion: seeded.menuVersion,
      lines: MEAL,
      addressId: addr.id,
    })
    const paid = await staffEvent('541', owner, r.json.id, 'pay')
    expect(paid.state).toBe('ACCEPTED')
    const cell = cellOf(STORE_AT)
    const state = await eventually(
      () => rpc('541').deliveryState(),
      (s) => s.jobs[0]?.status === 'handed' && s.outbox.length === 0,
    )
    expect(state.jobs).toEqual([{ orderId: r.json.id, cell, status: 'handed', readySent: false }])
    expect(state.outbox).toEqual([])
    const cellState = (await env.GEOCELL.getByName(cell).state()) as { ok: boolean; value?: any }
    expect(cellState.ok).toBe(true)
    expect(cellState.value.jobs.map((j: { orderId: string }) => j.orderId)).toContain(r.json.id)

    // Ready in the kitchen: the cell hears it.
    await staffEvent('541', owner, r.json.id, 'ready')
    const ready = await eventually(
      () => rpc('541').deliveryState(),
      (s) => s.jobs[0]?.readySent === true && s.outbox.length === 0,
    )
    expect(ready.jobs[0]?.readySent).toBe(true)
  })

  it('queues the job in the outbox while the cell cannot be reached, and sends it once it can', async () => {
    const seeded = await seedStore('542', deliveryStore())
    const owner = await login('542')
    const stub = rpc('542')
    // This store's object loses its GEOCELL binding (as in a deployment without dispatch yet).
    let realEnv: unknown
    await runInDurableObject(stub, (instance) => {
      const host = (instance as unknown as { delivery: { host: { env: Record<string, unknown> } } }).delivery
        .host
      realEnv = host.env
      host.env = { ...host.env, GEOCELL: undefined }
    })
    const { orderId } = await acceptedDelivery('542', owner, seeded.menuVersion)
    const queued = await eventually(
      () => stub.deliveryState(),
      (s) => (s.outbox[0]?.attempts ?? 0) > 0,
    )
    expect(queued.jobs).toEqual([expect.objectContaining({ orderId, status: 'queued' })])
    expect(queued.outbox).toEqual([
      expect.objectContaining({
        orderId,
        kind: 'add_job',
        target: cellOf(STORE_AT),
        lastError: expect.stringMatching(/GEOCELL/),
      }),
    ])
    // The binding is back: the retry (the alarm, here run at once) hands it over.
    await runInDurableObject(stub, async (instance, state) => {
      const delivery = (
        instance as unknown as { delivery: { host: { env: unknown }; onTimer(): Promise<void> } }
      ).delivery
      delivery.host.env = realEnv
      state.storage.sql.exec('UPDATE delivery_outbox SET next_at = 0')
      await delivery.onTimer()
    })
    const handed = await stub.deliveryState()
    expect(handed.outbox).toEqual([])
    expect(handed.jobs).toEqual([expect.objectContaining({ orderId, status: 'handed' })])
  })

  it('drives the order to DELIVERED through rider updates, ignoring repeats and other riders', async () => {
    const seeded = await seedStore('543', deliveryStore())
    const owner = await login('543')
    const { customer: c, orderId } = await acceptedDelivery('543', owner, seeded.menuVersion)
    const store = rpc('543')
    const now = Date.now()
    const steps: [DeliveryUpdate, string][] = [
      [assigned(orderId, 'r1001', now), 'RIDER_ASSIGNED'],
      [{ kind: 'arrived_store', orderId, riderId: 'r1001', at: now + 1 }, 'RIDER_AT_STORE'],
      [{ kind: 'picked_up', orderId, riderId: 'r1001', at: now + 2 }, 'DELIVERING'],
      [{ kind: 'position', orderId, riderId: 'r1001', pos: NEAR, at: now + 3 }, 'DELIVERING'],
      [{ kind: 'near_customer', orderId, riderId: 'r1001', at: now + 4 }, 'DELIVERING'],
      [{ kind: 'delivered', orderId, riderId: 'r1001', at: now + 5 }, 'DELIVERED'],
    ]
    for (const [u, state] of steps) {
      const r = await store.deliveryUpdate(u)
      expect(r, u.kind).toEqual({ ok: true, value: { applied: u.kind !== 'near_customer', state } })
      if (u.kind === 'assigned') {
        const seen = await api('GET', `/api/v1/customer/orders/${orderId}`, { token: c.token })
        expect(seen.json.delivery.rider).toEqual({ name: '王师傅', phone: '139****0001' })
        expect(seen.json.etaAt).toBe(u.etaDropoffAt)
      }
    }
    // A repeat (RiderDO retries) changes nothing; a rider who does not carry it is refused.
    expect(await store.deliveryUpdate(steps.at(-1)![0])).toEqual({
      ok: true,
      value: { applied: false, state: 'DELIVERED' },
    })
    const stranger = await store.deliveryUpdate({ kind: 'delivered', orderId, riderId: 'r9999', at: now })
    expect(stranger.ok).toBe(false)
    const got = await api('GET', `/api/v1/customer/orders/${orderId}`, { token: c.token })
    expect(got.json.state).toBe('DELIVERED')
    expect(got.json.delivery.deliveredAt).toBe(now + 5)
    expect(got.json.riderPos).toBeNull()
    expect(got.json.timeline.map((t: { state: string }) => t.state)).toEqual([
      'PENDING_PAYMENT',
      'PLACED',
      'ACCEPTED',
      'RIDER_ASSIGNED',
      'RIDER_AT_STORE',
      'DELIVERING',
      'DELIVERED',
    ])
    const unknown = await store.deliveryUpdate({
      kind: 'arrived_store',
      orderId: 'ord_x',
      riderId: 'r1',
      at: now,
    })
    expect(unknown.ok).toBe(false)
  })

  it('returns an unassigned order to the kitchen state it is really in', async () => {
    const seeded = await seedStore('544', deliveryStore())
    const owner = await login('544')
    const kitchen = await login('544', 'kitchen')
    const store = rpc('544')

    // Assigned straight after acceptance, nothing cooked: back to ACCEPTED.
    const a = await acceptedDelivery('544', owner, seeded.menuVersion)
    await store.deliveryUpdate(assigned(a.orderId))
    const backA = await store.deliveryUpdate({
      kind: 'unassigned',
      orderId: a.orderId,
      riderId: 'r1001',
      at: Date.now(),
      reason: 'off duty',
    })
    expect(backA).toEqual({ ok: true, value: { applied: true, state: 'ACCEPTED' } })
    const seenA = await api('GET', `/api/v1/customer/orders/${a.orderId}`, { token: a.customer.token })
    expect(seenA.json.delivery.rider).toBeUndefined()

    // Assigned while cooking, and the kitchen display bumped every line meanwhile: back to READY.
    const b = await acceptedDelivery('544', owner, seeded.menuVersion)
    await staffEvent('544', owner, b.orderId, 'start_cooking')
    await store.deliveryUpdate(assigned(b.orderId, 'r1002'))
    for (const lineNo of [1, 2]) {
      const bump = await api('POST', `/api/v1/stores/544/orders/${b.orderId}/lines/${lineNo}/kds`, {
        token: kitchen,
        body: { action: 'bump' },
      })
      expect(bump.status, JSON.stringify(bump.json)).toBe(200)
      expect(bump.json.state).toBe('RIDER_ASSIGNED')
    }
    const readySent = await eventually(
      () => store.deliveryState(),
      (s) => s.jobs.find((j) => j.orderId === b.orderId)?.readySent === true,
    )
    expect(readySent.jobs.find((j) => j.orderId === b.orderId)?.readySent).toBe(true)
    const backB = await store.deliveryUpdate({
      kind: 'unassigned',
      orderId: b.orderId,
      riderId: 'r1002',
      at: Date.now(),
      reason: 'declined',
    })
    expect(backB).toEqual({ ok: true, value: { applied: true, state: 'READY' } })
    // The kitchen can still say "ready" with a rider on the way; the order stays with its rider.
    const c2 = await acceptedDelivery('544', owner, seeded.menuVersion)
    await store.deliveryUpdate(assigned(c2.orderId, 'r1004'))
    const readyWithRider = await staffEvent('544', owner, c2.orderId, 'ready')
    expect(readyWithRider.state).toBe('RIDER_ASSIGNED')
    // A stale unassign (another rider holds it now) changes nothing.
    await store.deliveryUpdate(assigned(b.orderId, 'r1003'))
    const stale = await store.deliveryUpdate({
      kind: 'unassigned',
      orderId: b.orderId,
      riderId: 'r1002',
      at: Date.now(),
      reason: 'late',
    })
    expect(stale).toEqual({ ok: true, value: { applied: false, state: 'RIDER_ASSIGNED' } })
  })

  it('cancels the job at the cell when an accepted delivery order is refunded', async () => {
    const seeded = await seedStore('545', deliveryStore())
    const owner = await login('545')
    const { customer: c, orderId } = await acceptedDelivery('545', owner, seeded.menuVersion)
    const store = rpc('545')
    await eventually(
      () => store.deliveryState(),
      (s) => s.jobs[0]?.status === 'handed',
    )
    const asked = await api('POST', `/api/v1/customer/orders/${orderId}/refund`, {
      token: c.token,
      body: { reason: '等太久了' },
    })
    expect(asked.json.state).toBe('REFUND_REQUESTED')
    await staffEvent('545', owner, orderId, 'approve_refund')
    const state = await eventually(
      () => store.deliveryState(),
      (s) => s.jobs[0]?.status === 'cancelled' && s.outbox.length === 0,
    )
    expect(state.jobs).toEqual([expect.objectContaining({ orderId, status: 'cancelled' })])
    const cellState = (await env.GEOCELL.getByName(cellOf(STORE_AT)).state()) as { value?: any }
    expect(cellState.value.jobs.map((j: { orderId: string }) => j.orderId)).not.toContain(orderId)
  })
})

describe('tracking', () => {
  it("sends the rider's position to the socket of that order only", async () => {
    const seeded = await seedStore('551', deliveryStore())
    const owner = await login('551')
    const a = await acceptedDelivery('551', owner, seeded.menuVersion)
    const b = await acceptedDelivery('551', owner, seeded.menuVersion, MID)
    const store = rpc('551')
    await store.deliveryUpdate(assigned(a.orderId, 'r2001'))
    await store.deliveryUpdate(assigned(b.orderId, 'r2002'))

    const wsA = await socket(`/api/v1/customer/orders/${a.orderId}/ws`, a.customer.token)
    const wsB = await socket(`/api/v1/customer/orders/${b.orderId}/ws`, b.customer.token)
    const board = await socket('/api/v1/stores/551/ws', owner)
    const snapA = await wsA.next((m) => m.type === 'snapshot')
    expect(snapA.state).toMatchObject({
      orderId: a.orderId,
      state: 'RIDER_ASSIGNED',
      rider: { name: '王师傅', phone: '139****0001' },
      store: { name: '测试小馆', location: STORE_AT },
    })
    await wsB.next((m) => m.type === 'snapshot')

    const at = Date.now()
    const r = await store.deliveryUpdate({
      kind: 'position',
      orderId: a.orderId,
      riderId: 'r2001',
      pos: { lat: 30.632, lng: 104.0637 },
      at,
      etaDropoffAt: at + 600_000,
    })
    expect(r).toEqual({ ok: true, value: { applied: true, state: 'RIDER_ASSIGNED' } })
    const moved = await wsA.next((m) => m.type === 'rider')
    expect(moved).toMatchObject({
      orderId: a.orderId,
      pos: { lat: 30.632, lng: 104.0637, at },
      etaAt: at + 600_000,
    })
    const onBoard = await board.next((m) => m.type === 'order' && m.order.delivery?.riderPos?.at === at)
    expect(onBoard.order.id).toBe(a.orderId)
    // An older position arriving late is not news.
    const late = await store.deliveryUpdate({
      kind: 'position',
      orderId: a.orderId,
      riderId: 'r2001',
      pos: STORE_AT,
      at: at - 1_000,
    })
    expect(late.ok && late.value.applied).toBe(false)
    // Status changes reach the socket too, and every message validates and folds without a gap.
    await store.deliveryUpdate({ kind: 'arrived_store', orderId: a.orderId, riderId: 'r2001', at: at + 1 })
    await wsA.next((m) => m.type === 'status' && m.state === 'RIDER_AT_STORE')
    let view: TrackingSnapshot | null = null
    let seq = 0
    for (const m of wsA.messages) {
      expect(TrackingServerMessageSchema.safeParse(m).success, JSON.stringify(m)).toBe(true)
      const next = applyTrackingMessage(view, seq, m as TrackingServerMessage)
      expect(next).not.toBe('gap')
      if (next !== 'gap') ({ view, seq } = next)
    }
    expect(view).toMatchObject({ state: 'RIDER_AT_STORE', riderPos: { lat: 30.632 }, etaAt: at + 600_000 })

    // B heard nothing of A: only its own snapshot.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(wsB.messages.map((m) => m.type)).toEqual(['snapshot'])
    expect(JSON.stringify(wsB.messages)).not.toContain(a.orderId)
    // A resync answers with a fresh snapshot.
    wsB.send({ type: 'resync' })
    await eventually(
      async () => wsB.messages.length,
      (n) => n >= 2,
    )
    expect(wsB.messages[1]).toMatchObject({ type: 'snapshot', state: { orderId: b.orderId } })
    wsB.send({ type: 'nonsense' })
    await wsB.next((m) => m.type === 'error')
    for (const s of [wsA, wsB, board]) s.close()
  })

  it('never lets a tracking request pose as the printer bridge', async () => {
    const seeded = await seedStore('552', deliveryStore())
    const c = await customerSession()
    const r = await order(c.token, {
      storeId: '552',
      mode: 'pickup',
      menuVersion: seeded.menuVersion,
      lines: MEAL,
    })
    const res = await SELF.fetch(
      `${BASE}/api/v1/customer/orders/${r.json.id}/ws?token=${encodeURIComponent(c.token)}`,
      { headers: { Upgrade: 'websocket', 'x-bridge': '1', 'x-staff-role': 'owner' } },
    )
    const ws = res.webSocket!
    expect(ws).toBeTruthy()
    const first = new Promise<any>((resolve) =>
      ws.addEventListener('message', (e) => resolve(JSON.parse(String(e.data)))),
    )
    ws.accept()
    expect(await first).toMatchObject({ type: 'snapshot', state: { orderId: r.json.id, mode: 'pickup' } })
    ws.close(1000, 'done')
    // Without an upgrade the route says so.
    expect((await api('GET', `/api/v1/customer/orders/${r.json.id}/ws`, { token: c.token })).status).toBe(400)
  })
})
