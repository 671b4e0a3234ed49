// Staff of one store: the live board, moving orders through the kitchen, tables, menu and stock.
import { Hono } from 'hono'
import { z } from 'zod'
import { DomainError, type Outcome, unwrap } from '../../core/errors'
import { CategorySchema, MenuItemSchema } from '../../core/menu'
import { ORDER_EVENTS, ORDER_STATES } from '../../core/order-machine'
import { AreaNoSchema, StoreIdSchema, TableNoSchema } from '../../core/store'
import { type AppEnv, requireStaff, staff } from '../auth/middleware'
import { forwardHeaders, parse, readJson, send } from '../http'
import { describe } from '../openapi'
import { storeStub, tableStub } from '../stubs'

export const staffRoutes = new Hono<AppEnv>()
const base = '/api/v1/stores/:storeId'
const store = (c: { env: AppEnv['Bindings']; req: { param(k: 'storeId'): string } }) =>
  storeStub(c.env, parse(StoreIdSchema, c.req.param('storeId')))

describe({
  method: 'get',
  path: `${base}/ws`,
  summary: 'store channel WebSocket (?token=)',
  tag: 'staff',
  auth: 'staff',
})
staffRoutes.get(`${base}/ws`, requireStaff(), async (c) => {
  if (c.req.header('upgrade') !== 'websocket')
    throw new DomainError('BAD_REQUEST', 'expected a WebSocket upgrade')
  const s = staff(c)
  const headers = forwardHeaders(c.req.raw, { 'x-staff-role': s.role, 'x-staff-sub': s.sub })
  return store(c).fetch(new Request(c.req.raw, { headers }))
})

describe({
  method: 'get',
  path: `${base}/board`,
  summary: 'orders, tables and availability',
  tag: 'staff',
  auth: 'staff',
})
staffRoutes.get(`${base}/board`, requireStaff(), async (c) => send(c, await store(c).board()))

const ListQuery = z.object({
  state: z.enum(ORDER_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})
describe({
  method: 'get',
  path: `${base}/orders`,
  summary: 'orders, newest first',
  tag: 'staff',
  auth: 'staff',
})
staffRoutes.get(`${base}/orders`, requireStaff(), async (c) => {
  const q = parse(ListQuery, c.req.query())
  const orders = await store(c).listOrders({ ...(q.state ? { states: [q.state] } : {}), limit: q.limit })
  return c.json({ orders })
})

describe({
  method: 'get',
  path: `${base}/orders/:orderId`,
  summary: 'one order',
  tag: 'staff',
  auth: 'staff',
})
staffRoutes.get(`${base}/orders/:orderId`, requireStaff(), async (c) =>
  send(c, await store(c).getOrder(c.req.param('orderId'))),
)

describe({
  method: 'get',
  path: `${base}/orders/:orderId/events`,
  summary: 'who did what to an order, when',
  tag: 'staff',
  auth: 'staff',
})
staffRoutes.get(`${base}/orders/:orderId/events`, requireStaff(), async (c) =>
  send(c, await store(c).getOrderEvents(c.req.param('orderId'))),
)

const EventBody = z.object({ event: z.enum(ORDER_EVENTS), reason: z.string().max(200).optional() })
describe({
  method: 'post',
  path: `${base}/orders/:orderId/events`,
  summary: 'move an order (accept, reject, start_cooking, ready, serve, complete, pay, cancel ...)',
  tag: 'staff',
  auth: 'staff',
  body: EventBody,
})
staffRoutes.post(`${base}/orders/:orderId/events`, requireStaff(), async (c) => {
  const s = staff(c)
  const body = await readJson(c, EventBody)
  return send(c, await store(c).applyEvent(c.req.param('orderId'), body.event, s.role, s.sub, body.reason))
})

describe({
  method: 'get',
  path: `${base}/tables`,
  summary: 'table map with status',
  tag: 'staff',
  auth: 'staff',
})
staffRoutes.get(`${base}/tables`, requireStaff(), async (c) => c.json({ tables: await store(c).tableMap() }))

const TableKey = z.string().refine((k) => {
  const [a, t] = k.split('-')
  return AreaNoSchema.safeParse(a).success && TableNoSchema.safeParse(t).success
}, 'a table key is <area 4 digits>-<table 5 digits>')

describe({
  method: 'post',
  path: `${base}/tables/:tableKey/settle`,
  summary: 'paid at the counter: settle the table',
  tag: 'staff',
  auth: 'staff',
})
staffRoutes.post(`${base}/tables/:tableKey/settle`, requireStaff('owner', 'manager', 'waiter'), async (c) => {
  const s = staff(c)
  const key = parse(TableKey, c.req.param('tableKey'))
  requireTable(await store(c).getTable(key))
  return send(
    c,
    await tableStub(c.env, s.store, key).staffSettle(s.role as 'owner' | 'manager' | 'waiter', s.sub),
  )
})

describe({
  method: 'post',
  path: `${base}/tables/:tableKey/clear`,
  summary: 'table cleaned: start a new session',
  tag: 'staff',
  auth: 'staff',
})
staffRoutes.post(`${base}/tables/:tableKey/clear`, requireStaff('owner', 'manager', 'waiter'), async (c) => {
  const s = staff(c)
  const key = parse(TableKey, c.req.param('tableKey'))
  requireTable(await store(c).getTable(key))
  return send(c, await tableStub(c.env, s.store, key).staffClear())
})

/** A table key staff typed: unknown is a plain 404 here, not a bad QR code. */
function requireTable<T>(o: Outcome<T>): T {
  if (!o.ok && o.error.code === 'TABLE_CODE_INVALID') throw new DomainError('NOT_FOUND', 'no such table')
  return unwrap(o)
}

describe({
  method: 'put',
  path: `${base}/menu/items/:itemId`,
  summary: 'create or change a dish',
  tag: 'menu',
  auth: 'staff',
  body: MenuItemSchema,
})
staffRoutes.put(`${base}/menu/items/:itemId`, requireStaff('owner', 'manager'), async (c) => {
  const item = await readJson(c, MenuItemSchema)
  if (item.id !== c.req.param('itemId'))
    throw new DomainError('VALIDATION_FAILED', 'item id in the path and body differ')
  return send(c, await store(c).upsertItem(item))
})

describe({
  method: 'delete',
  path: `${base}/menu/items/:itemId`,
  summary: 'remove a dish',
  tag: 'menu',
  auth: 'staff',
})
staffRoutes.delete(`${base}/menu/items/:itemId`, requireStaff('owner', 'manager'), async (c) =>
  send(c, await store(c).deleteItem(c.req.param('itemId'))),
)

describe({
  method: 'put',
  path: `${base}/menu/categories/:categoryId`,
  summary: 'create or change a category',
  tag: 'menu',
  auth: 'staff',
  body: CategorySchema,
})
staffRoutes.put(`${base}/menu/categories/:categoryId`, requireStaff('owner', 'manager'), async (c) => {
  const cat = await readJson(c, CategorySchema)
  if (cat.id !== c.req.param('categoryId'))
    throw new DomainError('VALIDATION_FAILED', 'category id in the path and body differ')
  return send(c, await store(c).upsertCategory(cat))
})

const SoldOutBody = z.object({ soldOut: z.boolean() })
describe({
  method: 'post',
  path: `${base}/menu/items/:itemId/sold-out`,
  summary: '沽清: switch a dish off or on',
  tag: 'menu',
  auth: 'staff',
  body: SoldOutBody,
})
staffRoutes.post(`${base}/menu/items/:itemId/sold-out`, requireStaff(), async (c) => {
  const { soldOut } = await readJson(c, SoldOutBody)
  return send(c, await store(c).setSoldOut(c.req.param('itemId'), soldOut))
})

const StockBody = z.object({ stock: z.number().int().min(0).max(1_000_000).nullable() })
describe({
  method: 'put',
  path: `${base}/stock/:skuId`,
  summary: 'set units in stock (null = unlimited)',
  tag: 'menu',
  auth: 'staff',
  body: StockBody,
})
staffRoutes.put(`${base}/stock/:skuId`, requireStaff('owner', 'manager'), async (c) => {
  const { stock } = await readJson(c, StockBody)
  return send(c, await store(c).setStock(c.req.param('skuId'), stock))
})
