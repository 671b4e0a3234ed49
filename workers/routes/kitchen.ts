// Kitchen printing and the kitchen display: printers, the bridge's socket, reprints, line progress.
import { Hono } from 'hono'
import { z } from 'zod'
import { DomainError } from '../../core/errors'
import { StoreIdSchema } from '../../core/store'
import { PrinterConfigSchema } from '../../core/tickets'
import { type AppEnv, requireStaff, staff } from '../auth/middleware'
import { forwardHeaders, parse, readJson, send } from '../http'
import { describe } from '../openapi'
import { storeStub } from '../stubs'

export const kitchenRoutes = new Hono<AppEnv>()
const base = '/api/v1/stores/:storeId'
const store = (c: { env: AppEnv['Bindings']; req: { param(k: 'storeId'): string } }) =>
  storeStub(c.env, parse(StoreIdSchema, c.req.param('storeId')))

describe({
  method: 'get',
  path: `${base}/bridge`,
  summary: 'printer bridge WebSocket (Authorization: Bearer <bridge key>)',
  tag: 'kitchen',
  auth: 'none',
})
kitchenRoutes.get(`${base}/bridge`, async (c) => {
  if (c.req.header('upgrade') !== 'websocket')
    throw new DomainError('BAD_REQUEST', 'expected a WebSocket upgrade')
  const key = c.req.header('authorization')?.replace(/^Bearer\s+/, '') ?? ''
  const s = store(c)
  if (!key || !(await s.verifyBridgeKey(key)))
    throw new DomainError('UNAUTHENTICATED', 'bridge key not accepted')
  const headers = forwardHeaders(c.req.raw, { 'x-bridge': '1' })
  return s.fetch(new Request(c.req.raw, { headers }))
})

describe({
  method: 'post',
  path: `${base}/bridge-key`,
  summary: 'new printer bridge key (shown once; the old one stops working)',
  tag: 'kitchen',
  auth: 'staff',
})
kitchenRoutes.post(`${base}/bridge-key`, requireStaff('owner', 'manager'), async (c) =>
  send(c, await store(c).rotateBridgeKey(), 201),
)

const PrintersBody = z.object({ printers: z.array(PrinterConfigSchema).max(32) })
describe({
  method: 'put',
  path: `${base}/printers`,
  summary: 'kitchen printers: stations, receipts, copies, width, buzzer, backup, LAN or Feie',
  tag: 'kitchen',
  auth: 'staff',
  body: PrintersBody,
})
kitchenRoutes.put(`${base}/printers`, requireStaff('owner', 'manager'), async (c) => {
  const { printers } = await readJson(c, PrintersBody)
  return send(c, await store(c).setPrinters(printers))
})

describe({
  method: 'get',
  path: `${base}/printers`,
  summary: 'printers, their status and recent status changes',
  tag: 'kitchen',
  auth: 'staff',
})
kitchenRoutes.get(`${base}/printers`, requireStaff(), async (c) => send(c, await store(c).printers()))

const JobsQuery = z.object({
  orderId: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})
describe({
  method: 'get',
  path: `${base}/print-jobs`,
  summary: 'print jobs, newest first (or those of one order)',
  tag: 'kitchen',
  auth: 'staff',
})
kitchenRoutes.get(`${base}/print-jobs`, requireStaff(), async (c) => {
  const q = parse(JobsQuery, c.req.query())
  return send(c, await store(c).printJobs({ ...(q.orderId ? { orderId: q.orderId } : {}), limit: q.limit }))
})

describe({
  method: 'post',
  path: `${base}/print-jobs/:jobId/reprint`,
  summary: 'print a ticket again (marked 重打)',
  tag: 'kitchen',
  auth: 'staff',
})
kitchenRoutes.post(`${base}/print-jobs/:jobId/reprint`, requireStaff(), async (c) =>
  send(c, await store(c).reprint(c.req.param('jobId')), 201),
)

const VoidBody = z.object({ reason: z.string().trim().min(1).max(200) })
describe({
  method: 'post',
  path: `${base}/orders/:orderId/lines/:lineNo/void`,
  summary: '退菜: take one dish of an unpaid order back (void ticket to its stations)',
  tag: 'kitchen',
  auth: 'staff',
  body: VoidBody,
})
kitchenRoutes.post(
  `${base}/orders/:orderId/lines/:lineNo/void`,
  requireStaff('owner', 'manager', 'waiter'),
  async (c) => {
    const s = staff(c)
    const lineNo = parse(z.coerce.number().int().min(1).max(100), c.req.param('lineNo'))
    const { reason } = await readJson(c, VoidBody)
    return send(c, await store(c).voidLine(c.req.param('orderId'), lineNo, reason, s.role, s.sub))
  },
)

const KdsBody = z.object({ action: z.enum(['start', 'bump', 'undo']) })
describe({
  method: 'post',
  path: `${base}/orders/:orderId/lines/:lineNo/kds`,
  summary: 'kitchen display: start, bump or undo one line',
  tag: 'kitchen',
  auth: 'staff',
  body: KdsBody,
})
kitchenRoutes.post(`${base}/orders/:orderId/lines/:lineNo/kds`, requireStaff(), async (c) => {
  const s = staff(c)
  const lineNo = parse(z.coerce.number().int().min(1).max(100), c.req.param('lineNo'))
  const { action } = await readJson(c, KdsBody)
  return send(c, await store(c).kdsLine(c.req.param('orderId'), lineNo, action, s.role, s.sub))
})
