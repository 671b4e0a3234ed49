// Delivery (外卖) and pickup (自提) customers: an anonymous device identity, saved addresses (sealed at rest,
// masked in every answer), stores that deliver to a point, ordering, paying through the same checkout and
// provider flow as a table, refunds, and a tracking socket for one order.
//
// The customer identity is a device token, nothing more: no phone verification in this version (the phone
// on an address is what the rider calls, not a login). Losing the token loses the saved addresses.
import { Hono } from 'hono'
import { z } from 'zod'
import { RIDER_VISIBLE_STATES } from '../../core/channels/tracking'
import { DomainError, unwrap } from '../../core/errors'
import { DATUMS, type LatLng, quoteDelivery, toGcj02 } from '../../core/geo'
import { newId } from '../../core/ids'
import { LineRequestSchema } from '../../core/menu'
import { type Order, type OrderEventRecord, publicOrder } from '../../core/order'
import { deliveryEtaMinutes, StoreIdSchema } from '../../core/store'
import {
  AddressInputSchema,
  type AddressPlain,
  addressContext,
  addressHint,
  maskAddress,
  type StoredAddress,
} from '../../durable-objects/customer'
import { type IndexedStore, lookupCells } from '../../durable-objects/store-index'
import { type AppEnv, customer, requireCustomer } from '../auth/middleware'
import { decryptPii, encryptPii, maskPhone, piiKey } from '../auth/pii'
import { signToken, verifyToken } from '../auth/tokens'
import type { Env } from '../env'
import { forwardHeaders, parse, readJson, send } from '../http'
import { describe as describeRoute } from '../openapi'
import { storeStub } from '../stubs'
import { CheckoutId, openCashier, PayBody, RefundBody } from './payments'

export const customerRoutes = new Hono<AppEnv>()
customerRoutes.use('/api/v1/customer/*', requireCustomer)

/** A device keeps its customer identity for a month of not ordering; each session call renews it. */
export const CUSTOMER_TTL_MS = 30 * 24 * 3600_000
/** The nearby list is for choosing, not for scrolling the city: the closest 50 are plenty. */
const NEARBY_LIMIT = 50

// The OpenAPI module lists the bearer schemes it knows; customer routes are described with their own.
const describe = (doc: Omit<Parameters<typeof describeRoute>[0], 'auth'> & { auth: 'none' | 'customer' }) =>
  describeRoute(doc as Parameters<typeof describeRoute>[0])

const customerStub = (env: Env, customerId: string) => env.CUSTOMER.getByName(customerId)

/** Ids core/ids.ts has no prefix for yet: the same sortable shape under our own prefix. */
const idWith = (prefix: 'cus' | 'adr'): string => newId('din').replace(/^din_/, `${prefix}_`)

const OrderId = z.string().regex(/^ord_[0-9A-Z]{26}$/, 'not an order id')
const AddressId = z.string().regex(/^adr_[0-9A-Z]{26}$/, 'not an address id')
const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,64}$/, 'Idempotency-Key: 8-64 letters, digits, _ or -')

// ---------- identity ----------

const SessionBody = z.object({ name: z.string().trim().min(1).max(20) })
describe({
  method: 'post',
  path: '/api/v1/customers/session',
  summary: 'a customer token for this device (anonymous; no phone verification in this version)',
  tag: 'customer',
  auth: 'none',
  body: SessionBody,
})
customerRoutes.post('/api/v1/customers/session', async (c) => {
  const { name } = await readJson(c, SessionBody)
  // A device that already has a customer token keeps its identity (and its addresses and orders).
  const auth = c.req.header('authorization')
  const prior = auth?.startsWith('Bearer ') ? await verifyToken(c.env.TOKEN_SECRET, auth.slice(7)) : null
  if (prior?.role !== 'customer') {
    // New identities are a brake point for scripts (each one is an object); renewals are not limited.
    const { success } = await c.env.LOGIN_LIMIT.limit({
      key: `customer:${c.req.header('cf-connecting-ip') ?? ''}`,
    })
    if (!success) throw new DomainError('RATE_LIMITED', 'too many new customers from here; wait a moment')
  }
  const sub = prior?.role === 'customer' ? prior.sub : idWith('cus')
  const expiresAt = Date.now() + CUSTOMER_TTL_MS
  const token = await signToken(c.env.TOKEN_SECRET, { role: 'customer', sub, name, exp: expiresAt })
  return c.json({ token, expiresAt, customer: { id: sub, name } })
})

// ---------- addresses ----------

/** What a customer (or anyone) ever gets back of an address: masked. */
function publicAddress(a: StoredAddress) {
  return { id: a.id, label: a.label, ...a.masked, hint: a.hint, createdAt: a.createdAt }
}

describe({
  method: 'post',
  path: '/api/v1/customer/addresses',
  summary: 'save an address (sealed at rest; answered masked). datum: WGS84 (GPS) / GCJ02 (map) / BD09',
  tag: 'customer',
  auth: 'customer',
  body: AddressInputSchema,
})
customerRoutes.post('/api/v1/customer/addresses', async (c) => {
  const me = customer(c)
  const input = await readJson(c, AddressInputSchema)
  const point = toGcj02({ lat: input.lat, lng: input.lng }, input.datum)
  const plain: AddressPlain = {
    name: input.name,
    phone: input.phone,
    text: input.text,
    lat: point.lat,
    lng: point.lng,
  }
  const key = await piiKey(c.env)
  const stored: StoredAddress = {
    id: idWith('adr'),
    label: input.label,
    masked: maskAddress(plain, maskPhone),
    hint: addressHint(plain.text),
    sealed: await encryptPii(key, JSON.stringify(plain), addressContext(me.sub)),
    createdAt: Date.now(),
  }
  const saved = unwrap(await customerStub(c.env, me.sub).addAddress(stored))
  return c.json(publicAddress(saved), 201)
})

describe({
  method: 'get',
  path: '/api/v1/customer/addresses',
  summary: 'saved addresses, masked',
  tag: 'customer',
  auth: 'customer',
})
customerRoutes.get('/api/v1/customer/addresses', async (c) => {
  const list = await customerStub(c.env, customer(c).sub).addresses()
  return c.json({ addresses: list.map(publicAddress) })
})

describe({
  method: 'delete',
  path: '/api/v1/customer/addresses/:addressId',
  summary: 'forget a saved address',
  tag: 'customer',
  auth: 'customer',
})
customerRoutes.delete('/api/v1/customer/addresses/:addressId', async (c) => {
  const id = parse(AddressId, c.req.param('addressId'))
  return send(c, await customerStub(c.env, customer(c).sub).deleteAddress(id))
})

// ---------- stores near the customer ----------

const NearbyQuery = z.object({
  lat: z.coerce.number().min(-90).max(90),
  lng: z.coerce.number().min(-180).max(180),
  datum: z.enum(DATUMS),
})
describe({
  method: 'get',
  path: '/api/v1/stores/nearby',
  summary: 'stores that deliver to ?lat&lng&datum (WGS84/GCJ02/BD09): distance, fee at 起送价, ETA',
  tag: 'public',
  auth: 'none',
})
customerRoutes.get('/api/v1/stores/nearby', async (c) => {
  const q = parse(NearbyQuery, c.req.query())
  const here = toGcj02({ lat: q.lat, lng: q.lng }, q.datum)
  const lists = await Promise.all(lookupCells(here).map((cell) => c.env.STORE_INDEX.getByName(cell).list()))
  // A store may sit in both precisions while a changed area is being re-indexed: the newest entry wins.
  const newest = new Map<string, IndexedStore>()
  for (const e of lists.flat())
    if ((newest.get(e.storeId)?.updatedAt ?? -1) < e.updatedAt) newest.set(e.storeId, e)
  const stores = [...newest.values()]
    .flatMap((e) => {
      const quote = quoteIfInArea(e, here)
      if (!quote) return []
      return [
        {
          storeId: e.storeId,
          name: e.name,
          distanceM: quote.distanceM,
          /** The fee for an order at 起送价; bigger orders may pay less (freeDeliveryFromFen, discounts). */
          deliveryFeeFen: quote.feeFen,
          packingFeeFen: quote.packingFeeFen,
          minOrderFen: e.delivery.minOrderFen,
          ...(e.delivery.freeDeliveryFromFen ? { freeDeliveryFromFen: e.delivery.freeDeliveryFromFen } : {}),
          etaMinutes: deliveryEtaMinutes({ prepMinutes: e.prepMinutes, distanceM: quote.distanceM }),
          explanation: quote.explanation,
        },
      ]
    })
    .sort((a, b) => a.distanceM - b.distanceM || a.storeId.localeCompare(b.storeId))
    .slice(0, NEARBY_LIMIT)
  return c.json({ at: here, stores }, 200, { 'cache-control': 'no-store' })
})

function quoteIfInArea(e: IndexedStore, here: LatLng) {
  try {
    return quoteDelivery(e.delivery, e.location, here, e.delivery.minOrderFen)
  } catch (err) {
    if (err instanceof DomainError && err.code === 'OUT_OF_DELIVERY_AREA') return null
    throw err
  }
}

// ---------- orders ----------

/** The customer's view of their order: public fields, the price explanation, the timeline, the rider. */
function customerView(o: Order, events: OrderEventRecord[] = []) {
  const pos = o.delivery?.riderPos
  return {
    ...publicOrder(o),
    storeId: o.storeId,
    price: {
      steps: o.price.steps.map((s) => ({ kind: s.kind, label: s.label, amountFen: s.amountFen })),
      itemsFen: o.price.itemsFen,
      discountFen: o.price.discountFen,
      feesFen: o.price.feesFen,
      totalFen: o.price.totalFen,
      ...(o.price.appliedCoupon ? { appliedCoupon: o.price.appliedCoupon } : {}),
      rejectedCoupons: o.price.rejectedCoupons,
    },
    timeline: events.map((e) => ({ state: e.to, event: e.event, at: e.at })),
    riderPos: pos && RIDER_VISIBLE_STATES.includes(o.state) ? pos : null,
  }
}

const OrderBody = z
  .object({
    storeId: StoreIdSchema,
    mode: z.enum(['delivery', 'pickup']),
    menuVersion: z.number().int().min(0),
    lines: z.array(LineRequestSchema).min(1).max(50),
    /** A saved address (POST /customer/addresses); delivery only. */
    addressId: AddressId.optional(),
    note: z.string().max(200).optional(),
    /** Coupon codes to try, in order; at most one applies (core/pricing.ts decides). */
    couponCodes: z.array(z.string().trim().min(1).max(32)).max(3).optional(),
  })
  .refine((b) => b.mode !== 'delivery' || b.addressId !== undefined, {
    message: 'a delivery order needs addressId',
    path: ['addressId'],
  })
  .refine((b) => b.mode !== 'pickup' || b.addressId === undefined, {
    message: 'a pickup order has no address',
    path: ['addressId'],
  })
describe({
  method: 'post',
  path: '/api/v1/customer/orders',
  summary: 'order for delivery or pickup (pay next); an address outside the area is refused here',
  tag: 'customer',
  auth: 'customer',
  body: OrderBody,
  idempotent: true,
})
customerRoutes.post('/api/v1/customer/orders', async (c) => {
  const me = customer(c)
  const key = IdempotencyKey.safeParse(c.req.header('idempotency-key'))
  if (!key.success)
    throw new DomainError('VALIDATION_FAILED', 'send an Idempotency-Key header (8-64 characters)')
  const body = await readJson(c, OrderBody)
  const { success } = await c.env.ORDER_LIMIT.limit({ key: `customer:${me.sub}` })
  if (!success) throw new DomainError('RATE_LIMITED', 'too many orders in a short time; wait a moment')
  const cust = customerStub(c.env, me.sub)
  let delivery: Parameters<ReturnType<typeof storeStub>['placeOrder']>[0]['delivery']
  if (body.mode === 'delivery' && body.addressId) {
    const addr = await cust.address(body.addressId)
    if (!addr) throw new DomainError('NOT_FOUND', 'no such saved address')
    const opened = await decryptPii(await piiKey(c.env), addr.sealed, addressContext(me.sub))
    if (!opened) throw new DomainError('INTERNAL', 'a saved address could not be opened')
    const plain = JSON.parse(opened) as AddressPlain
    delivery = {
      sealedAddress: addr.sealed,
      address: addr.masked,
      hint: addr.hint,
      point: { lat: plain.lat, lng: plain.lng },
    }
  }
  const order = unwrap(
    await storeStub(c.env, body.storeId).placeOrder({
      // Keys are the customer's own: another customer's identical key is another order.
      idempotencyKey: `cus:${me.sub}:${key.data}`,
      mode: body.mode,
      menuVersion: body.menuVersion,
      lines: body.lines,
      ...(body.note ? { note: body.note } : {}),
      ...(body.couponCodes?.length ? { couponCodes: body.couponCodes } : {}),
      actor: 'diner',
      actorId: me.sub,
      customerId: me.sub,
      ...(delivery ? { delivery } : {}),
    }),
  )
  await cust.orderPlaced(order.id, body.storeId)
  return c.json(customerView(order), 201)
})

describe({
  method: 'get',
  path: '/api/v1/customer/orders',
  summary: "this customer's recent orders (ids and stores)",
  tag: 'customer',
  auth: 'customer',
})
customerRoutes.get('/api/v1/customer/orders', async (c) =>
  c.json({ orders: await customerStub(c.env, customer(c).sub).orders() }),
)

/** The store of one of the caller's orders, or ORDER_NOT_FOUND (someone else's order included). */
async function storeOfOwn(env: Env, customerId: string, rawOrderId: string) {
  const orderId = parse(OrderId, rawOrderId)
  const storeId = await customerStub(env, customerId).storeOf(orderId)
  if (!storeId) throw new DomainError('ORDER_NOT_FOUND', 'no such order')
  return { orderId, storeId, store: storeStub(env, storeId) }
}

describe({
  method: 'get',
  path: '/api/v1/customer/orders/:orderId',
  summary: 'one order: status timeline, price, rider (masked phone), ETA',
  tag: 'customer',
  auth: 'customer',
})
customerRoutes.get('/api/v1/customer/orders/:orderId', async (c) => {
  const me = customer(c)
  const { orderId, store } = await storeOfOwn(c.env, me.sub, c.req.param('orderId'))
  const { order, events } = unwrap(await store.customerOrder(orderId, me.sub))
  return c.json(customerView(order, events))
})

describe({
  method: 'post',
  path: '/api/v1/customer/orders/:orderId/pay',
  summary: 'pay an order: opens the provider cashier (same flow as a table)',
  tag: 'customer',
  auth: 'customer',
  body: PayBody,
})
customerRoutes.post('/api/v1/customer/orders/:orderId/pay', async (c) => {
  const me = customer(c)
  const { orderId, storeId } = await storeOfOwn(c.env, me.sub, c.req.param('orderId'))
  return openCashier(c, await readJson(c, PayBody), storeId, { orderId, customerId: me.sub })
})

describe({
  method: 'post',
  path: '/api/v1/customer/checkouts/:checkoutId/confirm',
  summary: 'back from the cashier: the store asks the provider now',
  tag: 'customer',
  auth: 'customer',
})
customerRoutes.post('/api/v1/customer/checkouts/:checkoutId/confirm', async (c) => {
  const me = customer(c)
  // A customer's checkout is one order's, and carries the order's id.
  const checkoutId = parse(CheckoutId, c.req.param('checkoutId'))
  const { orderId, store } = await storeOfOwn(c.env, me.sub, checkoutId)
  unwrap(await store.customerOrder(orderId, me.sub))
  return send(c, await store.confirmCheckout(orderId))
})

describe({
  method: 'post',
  path: '/api/v1/customer/orders/:orderId/refund',
  summary: 'ask for a refund: in full at once before the store accepts, else the merchant decides',
  tag: 'customer',
  auth: 'customer',
  body: RefundBody,
})
customerRoutes.post('/api/v1/customer/orders/:orderId/refund', async (c) => {
  const me = customer(c)
  const { orderId, store } = await storeOfOwn(c.env, me.sub, c.req.param('orderId'))
  const { reason } = await readJson(c, RefundBody)
  return c.json(customerView(unwrap(await store.customerRefund(orderId, me.sub, reason))))
})

describe({
  method: 'post',
  path: '/api/v1/customer/orders/:orderId/cancel',
  summary: 'cancel an order that is not paid yet',
  tag: 'customer',
  auth: 'customer',
})
customerRoutes.post('/api/v1/customer/orders/:orderId/cancel', async (c) => {
  const me = customer(c)
  const { orderId, store } = await storeOfOwn(c.env, me.sub, c.req.param('orderId'))
  unwrap(await store.customerOrder(orderId, me.sub))
  const order = unwrap(await store.applyEvent(orderId, 'cancel', 'diner', me.sub, '顾客取消'))
  return c.json(customerView(order))
})

describe({
  method: 'get',
  path: '/api/v1/customer/orders/:orderId/ws',
  summary: 'tracking WebSocket for one order (?token=): status, rider position, ETA',
  tag: 'customer',
  auth: 'customer',
})
customerRoutes.get('/api/v1/customer/orders/:orderId/ws', async (c) => {
  if (c.req.header('upgrade') !== 'websocket')
    throw new DomainError('BAD_REQUEST', 'expected a WebSocket upgrade')
  const me = customer(c)
  const { orderId, store } = await storeOfOwn(c.env, me.sub, c.req.param('orderId'))
  // Only this route says who is calling: no client-sent x-* header (x-bridge, x-staff-*) reaches the store.
  const headers = forwardHeaders(c.req.raw, { 'x-track-order': orderId, 'x-customer-id': me.sub })
  // Forwarded raw so the object accepts a hibernatable socket; it checks the order is this customer's.
  return store.fetch(new Request(c.req.raw, { headers }))
})
