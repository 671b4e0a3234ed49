// Riders: the operator creates them, they log in, go on and off duty, stream their location over a
// socket, answer offers and move their tasks along. Positions from the app are WGS-84 (device GPS) unless
// it says GCJ-02; they are converted here, at the edge. Operators' queries take GCJ-02 (map SDKs' datum).
import { Hono } from 'hono'
import { z } from 'zod'
import type { RiderInCell } from '../../core/delivery'
import { DomainError, unwrap } from '../../core/errors'
import { CELL_PRECISION, cellsWithin, haversineM, toGcj02 } from '../../core/geo'
import { MAX_CAPACITY } from '../../durable-objects/rider'
import { type AppEnv, requireAdmin, requireRider, rider } from '../auth/middleware'
import { DUMMY_HASH, hashPassword, verifyPassword } from '../auth/password'
import { STAFF_TTL_MS, signToken } from '../auth/tokens'
import type { Env } from '../env'
import { forwardHeaders, parse, readJson, send } from '../http'
import { describe } from '../openapi'

export const riderRoutes = new Hono<AppEnv>()
riderRoutes.use('/api/v1/rider', requireRider)
riderRoutes.use('/api/v1/rider/*', requireRider)

/** A rider's token lasts a shift, like staff's. */
export const RIDER_TTL_MS = STAFF_TTL_MS
/** The widest nearby query: 10 km is ~25 cells at precision 5, each one RPC. */
const MAX_NEARBY_RADIUS_M = 10_000

export const RiderIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{2,32}$/, 'a rider id is 2-32 letters, digits, _ or -')
const CellSchema = z
  .string()
  .regex(
    new RegExp(`^[0-9b-hjkmnp-z]{${CELL_PRECISION}}$`),
    `a cell is a geohash of ${CELL_PRECISION} characters`,
  )
const OrderIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an order id is 1-64 letters, digits, _ or -')
const OfferIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an offer id is 1-64 letters, digits, _ or -')

const riderStub = (env: Env, riderId: string) => env.RIDER.getByName(riderId)

const NearbyQuery = z.object({
  lat: z.coerce.number().min(-90).max(90),
  lng: z.coerce.number().min(-180).max(180),
  radiusM: z.coerce.number().min(1).max(MAX_NEARBY_RADIUS_M).default(3000),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})
describe({
  method: 'get',
  path: '/api/v1/admin/riders/nearby',
  summary: 'riders within radiusM of lat,lng (GCJ-02), nearest first',
  tag: 'riders',
  auth: 'admin',
})
riderRoutes.get('/api/v1/admin/riders/nearby', requireAdmin, async (c) => {
  const q = parse(NearbyQuery, c.req.query())
  const center = { lat: q.lat, lng: q.lng }
  const cells = cellsWithin(center, q.radiusM)
  const lists = await Promise.all(cells.map((cell) => c.env.GEOCELL.getByName(cell).riders()))
  const seen = new Map<string, RiderInCell & { distanceM: number }>()
  for (const r of lists.flat()) {
    const d = haversineM(center, r.pos)
    const prior = seen.get(r.riderId)
    if (d <= q.radiusM && (!prior || r.at > prior.at)) seen.set(r.riderId, { ...r, distanceM: Math.round(d) })
  }
  const riders = [...seen.values()].sort((a, b) => a.distanceM - b.distanceM).slice(0, q.limit)
  return c.json({ cells, riders })
})

const CellSettingsBody = z
  .object({
    mode: z.enum(['offer', 'grab']).optional(),
    offerTimeoutMs: z.number().int().min(1_000).max(300_000).optional(),
    batchIntervalMs: z.number().int().min(200).max(120_000).optional(),
  })
  .nullable()
describe({
  method: 'put',
  path: '/api/v1/admin/cells/:cell/settings',
  summary: "set a cell's dispatch apart from the city's (mode, offer timeout, batch interval); null resets",
  tag: 'riders',
  auth: 'admin',
  body: CellSettingsBody,
})
riderRoutes.put('/api/v1/admin/cells/:cell/settings', requireAdmin, async (c) => {
  const cell = parse(CellSchema, c.req.param('cell'))
  const body = await readJson(c, CellSettingsBody)
  return send(c, await c.env.GEOCELL.getByName(cell).configure(body))
})

const SetupBody = z.object({
  name: z.string().trim().min(1).max(32),
  /** Mainland mobile (11 digits) or any phone with an optional +country code. */
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9][0-9 -]{5,19}$/, 'a phone number: digits, spaces or dashes'),
  /** Omitted: an update keeps the current one; a new rider cannot log in until one is set. */
  password: z.string().min(8).max(128).optional(),
  capacity: z.number().int().min(1).max(MAX_CAPACITY),
  /** Take offers without asking (offer mode only). */
  autoAccept: z.boolean().optional(),
})
describe({
  method: 'put',
  path: '/api/v1/admin/riders/:riderId',
  summary: 'create or update a rider (without a password a new rider cannot log in yet)',
  tag: 'riders',
  auth: 'admin',
  body: SetupBody,
})
riderRoutes.put('/api/v1/admin/riders/:riderId', requireAdmin, async (c) => {
  const riderId = parse(RiderIdSchema, c.req.param('riderId'))
  const body = await readJson(c, SetupBody)
  const pwHash = body.password ? await hashPassword(body.password) : undefined
  const r = unwrap(
    await riderStub(c.env, riderId).setup({
      riderId,
      name: body.name,
      phone: body.phone,
      capacity: body.capacity,
      ...(pwHash ? { pwHash } : {}),
      ...(body.autoAccept !== undefined ? { autoAccept: body.autoAccept } : {}),
    }),
  )
  return c.json(r, r.created ? 201 : 200)
})

describe({
  method: 'get',
  path: '/api/v1/admin/riders/:riderId',
  summary: "a rider's state, and the updates waiting to reach stores and cells",
  tag: 'riders',
  auth: 'admin',
})
riderRoutes.get('/api/v1/admin/riders/:riderId', requireAdmin, async (c) => {
  const stub = riderStub(c.env, parse(RiderIdSchema, c.req.param('riderId')))
  const state = unwrap(await stub.view())
  return c.json({ ...state, outbox: await stub.outboxState() })
})

const LoginBody = z.object({ password: z.string().min(1).max(128) })
describe({
  method: 'post',
  path: '/api/v1/riders/:riderId/login',
  summary: 'rider login',
  tag: 'riders',
  auth: 'none',
  body: LoginBody,
})
riderRoutes.post('/api/v1/riders/:riderId/login', async (c) => {
  const riderId = parse(RiderIdSchema, c.req.param('riderId'))
  const { password } = await readJson(c, LoginBody)
  const { success } = await c.env.LOGIN_LIMIT.limit({ key: `rider:${riderId}` })
  if (!success) throw new DomainError('RATE_LIMITED', 'too many attempts; wait a minute')
  const cred = await riderStub(c.env, riderId).credential()
  const ok = await verifyPassword(password, cred?.pwHash ?? DUMMY_HASH)
  if (!cred || !ok) throw new DomainError('INVALID_CREDENTIALS', 'wrong rider id or password')
  const expiresAt = Date.now() + RIDER_TTL_MS
  const token = await signToken(c.env.TOKEN_SECRET, {
    role: 'rider',
    sub: riderId,
    name: cred.name,
    exp: expiresAt,
  })
  return c.json({ token, expiresAt, rider: { riderId, name: cred.name } })
})

describe({
  method: 'get',
  path: '/api/v1/rider',
  summary: 'me: profile, duty, tasks in route order, open offers',
  tag: 'riders',
  auth: 'rider',
})
riderRoutes.get('/api/v1/rider', async (c) => send(c, await riderStub(c.env, rider(c).sub).view()))

const Datum = z.enum(['WGS84', 'GCJ02']).optional()
const DutyBody = z
  .object({
    onDuty: z.boolean(),
    /** Where the rider is, from the device (WGS-84 unless `datum` says GCJ02). */
    lat: z.number().min(-90).max(90).optional(),
    lng: z.number().min(-180).max(180).optional(),
    datum: Datum,
  })
  .refine((b) => (b.lat === undefined) === (b.lng === undefined), 'give both lat and lng, or neither')
describe({
  method: 'post',
  path: '/api/v1/rider/duty',
  summary: 'go on duty (optionally at a position) or off duty (tasks not picked up go back to dispatch)',
  tag: 'riders',
  auth: 'rider',
  body: DutyBody,
})
riderRoutes.post('/api/v1/rider/duty', async (c) => {
  const body = await readJson(c, DutyBody)
  const pos =
    body.lat !== undefined && body.lng !== undefined
      ? toGcj02({ lat: body.lat, lng: body.lng }, body.datum ?? 'WGS84')
      : undefined
  return send(c, await riderStub(c.env, rider(c).sub).setDuty(body.onDuty, pos))
})

describe({
  method: 'get',
  path: '/api/v1/rider/ws',
  summary: 'rider channel WebSocket (?token=): location reports in, offers and tasks out',
  tag: 'riders',
  auth: 'rider',
})
riderRoutes.get('/api/v1/rider/ws', async (c) => {
  if (c.req.header('upgrade') !== 'websocket')
    throw new DomainError('BAD_REQUEST', 'expected a WebSocket upgrade')
  const headers = forwardHeaders(c.req.raw, { 'x-rider-id': rider(c).sub })
  // Forwarded raw so the object accepts a hibernatable socket (no Hono upgrade helper in between).
  return riderStub(c.env, rider(c).sub).fetch(new Request(c.req.raw, { headers }))
})

for (const answer of ['accept', 'decline', 'grab'] as const) {
  describe({
    method: 'post',
    path: `/api/v1/rider/offers/:offerId/${answer}`,
    summary:
      answer === 'grab'
        ? 'grab an offer (grab mode: first wins)'
        : `${answer} an offer (offer mode, before it expires)`,
    tag: 'riders',
    auth: 'rider',
  })
  riderRoutes.post(`/api/v1/rider/offers/:offerId/${answer}`, async (c) => {
    const offerId = parse(OfferIdSchema, c.req.param('offerId'))
    return send(c, await riderStub(c.env, rider(c).sub).answerOffer(offerId, answer))
  })
}

const ActionBody = z.object({
  /** Why the geofence is overridden (GPS lost in a mall, the customer met the rider at the gate). */
  override: z.string().trim().min(2).max(200).optional(),
})
for (const action of ['arrive', 'pickup', 'deliver'] as const) {
  describe({
    method: 'post',
    path: `/api/v1/rider/tasks/:orderId/${action}`,
    summary: `${action}: checked against the ${action === 'deliver' ? 'customer' : 'store'}'s geofence unless overridden`,
    tag: 'riders',
    auth: 'rider',
    body: ActionBody,
  })
  riderRoutes.post(`/api/v1/rider/tasks/:orderId/${action}`, async (c) => {
    const orderId = parse(OrderIdSchema, c.req.param('orderId'))
    // The body is optional: no override is the usual case.
    const hasBody =
      Number(c.req.header('content-length') ?? '0') > 0 || c.req.header('content-type') !== undefined
    const body = hasBody ? await readJson(c, ActionBody) : {}
    return send(c, await riderStub(c.env, rider(c).sub).taskAction(orderId, action, body.override))
  })
}

describe({
  method: 'get',
  path: '/api/v1/admin/cells/:cell',
  summary: "a cell's riders, jobs and open offers",
  tag: 'riders',
  auth: 'admin',
})
riderRoutes.get('/api/v1/admin/cells/:cell', requireAdmin, async (c) => {
  const cell = parse(CellSchema, c.req.param('cell'))
  return send(c, await c.env.GEOCELL.getByName(cell).state())
})

describe({
  method: 'get',
  path: '/api/v1/admin/cells/:cell/riders',
  summary: 'riders present in a cell',
  tag: 'riders',
  auth: 'admin',
})
riderRoutes.get('/api/v1/admin/cells/:cell/riders', requireAdmin, async (c) => {
  const cell = parse(CellSchema, c.req.param('cell'))
  return c.json({ cell, riders: await c.env.GEOCELL.getByName(cell).riders() })
})
