// A diner at a table: the shared cart, sending rounds, the table socket. The token says which table.
import { Hono } from 'hono'
import { z } from 'zod'
import { DomainError } from '../../core/errors'
import { LineRequestSchema } from '../../core/menu'
import type { DinerRef } from '../../durable-objects/table'
import { type AppEnv, diner, requireDiner } from '../auth/middleware'
import type { DinerClaims } from '../auth/tokens'
import { forwardHeaders, readJson, send } from '../http'
import { describe } from '../openapi'
import { tableStub } from '../stubs'

export const dinerRoutes = new Hono<AppEnv>()
dinerRoutes.use('/api/v1/table', requireDiner)
dinerRoutes.use('/api/v1/table/*', requireDiner)

const ref = (d: DinerClaims): DinerRef => ({ id: d.sub, name: d.name, sessionId: d.ses })
const stub = (c: { env: AppEnv['Bindings'] }, d: DinerClaims) => tableStub(c.env, d.store, d.table)

describe({
  method: 'get',
  path: '/api/v1/table/ws',
  summary: 'table channel WebSocket (?token=)',
  tag: 'diner',
  auth: 'diner',
})
dinerRoutes.get('/api/v1/table/ws', async (c) => {
  if (c.req.header('upgrade') !== 'websocket')
    throw new DomainError('BAD_REQUEST', 'expected a WebSocket upgrade')
  const d = diner(c)
  const headers = forwardHeaders(c.req.raw, {
    'x-diner-id': d.sub,
    'x-diner-name': encodeURIComponent(d.name),
    'x-session-id': d.ses,
  })
  // Forwarded raw so the object accepts a hibernatable socket (no Hono upgrade helper in between).
  return stub(c, d).fetch(new Request(c.req.raw, { headers }))
})

describe({
  method: 'get',
  path: '/api/v1/table',
  summary: 'the table: cart, rounds, status',
  tag: 'diner',
  auth: 'diner',
})
dinerRoutes.get('/api/v1/table', async (c) => {
  const d = diner(c)
  return send(c, await stub(c, d).snapshot(ref(d)))
})

const AddBody = z.object({ menuVersion: z.number().int().min(0), line: LineRequestSchema })
describe({
  method: 'post',
  path: '/api/v1/table/cart',
  summary: 'add a dish to the shared cart',
  tag: 'diner',
  auth: 'diner',
  body: AddBody,
})
dinerRoutes.post('/api/v1/table/cart', async (c) => {
  const d = diner(c)
  const body = await readJson(c, AddBody)
  return send(c, await stub(c, d).cartAdd(ref(d), body.menuVersion, body.line), 201)
})

const PatchBody = z
  .object({ qty: z.number().int().min(0).max(99).optional(), note: z.string().max(100).optional() })
  .refine((b) => b.qty !== undefined || b.note !== undefined, 'give qty or note')
describe({
  method: 'patch',
  path: '/api/v1/table/cart/:lineId',
  summary: 'change quantity (0 removes) or note',
  tag: 'diner',
  auth: 'diner',
  body: PatchBody,
})
dinerRoutes.patch('/api/v1/table/cart/:lineId', async (c) => {
  const d = diner(c)
  const body = await readJson(c, PatchBody)
  const t = stub(c, d)
  const lineId = c.req.param('lineId')
  if (body.note !== undefined) {
    const r = await t.cartNote(ref(d), lineId, body.note)
    if (!r.ok || body.qty === undefined) return send(c, r)
  }
  return send(c, await t.cartQty(ref(d), lineId, body.qty!))
})

describe({
  method: 'delete',
  path: '/api/v1/table/cart/:lineId',
  summary: 'remove a cart line',
  tag: 'diner',
  auth: 'diner',
})
dinerRoutes.delete('/api/v1/table/cart/:lineId', async (c) => {
  const d = diner(c)
  return send(c, await stub(c, d).cartRemove(ref(d), c.req.param('lineId')))
})

const RoundBody = z.object({
  menuVersion: z.number().int().min(0),
  note: z.string().max(200).optional(),
  /** Coupon codes to try, in order; at most one applies (core/pricing.ts decides). */
  couponCodes: z.array(z.string().trim().min(1).max(32)).max(3).optional(),
  /** Lines to order now, for clients that keep their own cart; they join whatever the table's cart holds. */
  lines: z.array(LineRequestSchema).min(1).max(50).optional(),
})
const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,64}$/, 'Idempotency-Key: 8-64 letters, digits, _ or -')
describe({
  method: 'post',
  path: '/api/v1/table/rounds',
  summary: 'send the cart to the kitchen as one round (加菜)',
  tag: 'diner',
  auth: 'diner',
  body: RoundBody,
  idempotent: true,
})
dinerRoutes.post('/api/v1/table/rounds', async (c) => {
  const d = diner(c)
  const key = IdempotencyKey.safeParse(c.req.header('idempotency-key'))
  if (!key.success)
    throw new DomainError('VALIDATION_FAILED', 'send an Idempotency-Key header (8-64 characters)')
  const body = await readJson(c, RoundBody)
  const { success } = await c.env.ORDER_LIMIT.limit({ key: `round:${d.sub}` })
  if (!success) throw new DomainError('RATE_LIMITED', 'too many orders in a short time; wait a moment')
  const input = {
    idempotencyKey: key.data,
    menuVersion: body.menuVersion,
    ...(body.note ? { note: body.note } : {}),
    ...(body.couponCodes?.length ? { couponCodes: body.couponCodes } : {}),
    ...(body.lines ? { lines: body.lines } : {}),
  }
  return send(c, await stub(c, d).sendRound(ref(d), input), 201)
})
