// A store's money for its managers (payments and refunds of an order, line refunds, failed refunds, the
// ledger, hourly revenue), and the platform's reconciliation runs.
import { Hono } from 'hono'
import { z } from 'zod'
import { DomainError } from '../../core/errors'
import { PROVIDERS } from '../../core/payment-types'
import { checkLedger, pendingReturns } from '../../core/payments'
import { StoreIdSchema } from '../../core/store'
import { type AppEnv, requireAdmin, requireStaff, staff } from '../auth/middleware'
import { withHistoryDb } from '../history/neon'
import { hourlyRevenue, latestReconciliations } from '../history/reports'
import { parse, readJson, send } from '../http'
import { describe } from '../openapi'
import { runReconciliation } from '../payments/reconcile'
import { storeStub } from '../stubs'

export const moneyRoutes = new Hono<AppEnv>()
const base = '/api/v1/stores/:storeId'
const store = (c: { env: AppEnv['Bindings']; req: { param(k: 'storeId'): string } }) =>
  storeStub(c.env, parse(StoreIdSchema, c.req.param('storeId')))
const managers = requireStaff('owner', 'manager')

describe({
  method: 'get',
  path: `${base}/orders/:orderId/money`,
  summary: "an order's checkouts, payments and refunds",
  tag: 'money',
  auth: 'staff',
})
moneyRoutes.get(`${base}/orders/:orderId/money`, requireStaff(), async (c) =>
  send(c, await store(c).orderMoney(c.req.param('orderId'))),
)

const LineRefundBody = z.object({
  lines: z
    .array(z.object({ lineNo: z.number().int().min(1), qty: z.number().int().min(1).max(999) }))
    .min(1)
    .max(100),
  reason: z.string().trim().min(1).max(80),
})
describe({
  method: 'post',
  path: `${base}/orders/:orderId/refunds`,
  summary: 'refund some lines of a paid order (the whole order: approve_refund)',
  tag: 'money',
  auth: 'staff',
  body: LineRefundBody,
})
moneyRoutes.post(`${base}/orders/:orderId/refunds`, managers, async (c) => {
  const body = await readJson(c, LineRefundBody)
  const r = await store(c).refundLines(c.req.param('orderId'), body.lines, body.reason, staff(c).sub)
  return send(c, r, 201)
})

const ReasonBody = z.object({ reason: z.string().trim().min(1).max(80) })
describe({
  method: 'post',
  path: `${base}/payments/:paymentId/refund`,
  summary: 'return a payment that settled nothing (amount mismatch)',
  tag: 'money',
  auth: 'staff',
  body: ReasonBody,
})
moneyRoutes.post(`${base}/payments/:paymentId/refund`, managers, async (c) => {
  const { reason } = await readJson(c, ReasonBody)
  return send(c, await store(c).refundPayment(c.req.param('paymentId'), reason, staff(c).sub), 201)
})

describe({
  method: 'post',
  path: `${base}/refunds/:refundId/retry`,
  summary: 'send a refund again now (a failed one under a new number)',
  tag: 'money',
  auth: 'staff',
})
moneyRoutes.post(`${base}/refunds/:refundId/retry`, managers, async (c) =>
  send(c, await store(c).retryRefund(c.req.param('refundId'), staff(c).sub)),
)

const Range = z
  .object({
    from: z.coerce.number().int().min(0),
    to: z.coerce.number().int().min(0),
  })
  .refine((r) => r.to > r.from && r.to - r.from <= 92 * 86_400_000, 'from < to, at most 92 days')
describe({
  method: 'get',
  path: `${base}/ledger`,
  summary: "the store's recent money movements (?from&to epoch ms)",
  tag: 'money',
  auth: 'staff',
})
moneyRoutes.get(`${base}/ledger`, managers, async (c) => {
  const q = parse(Range, c.req.query())
  return send(c, await store(c).ledger(q.from, q.to))
})

async function revenue(env: AppEnv['Bindings'], range: { storeId?: string; from: number; to: number }) {
  const rows = await withHistoryDb(env, (db) => hourlyRevenue(db, range))
  if (rows === null) throw new DomainError('BAD_REQUEST', 'reports need history: set DATABASE_URL')
  return { rows }
}

describe({
  method: 'get',
  path: `${base}/reports/revenue`,
  summary: 'hourly revenue per provider (?from&to epoch ms), from history',
  tag: 'money',
  auth: 'staff',
})
moneyRoutes.get(`${base}/reports/revenue`, managers, async (c) => {
  const q = parse(Range, c.req.query())
  return c.json(await revenue(c.env, { storeId: c.req.param('storeId'), ...q }))
})

describe({
  method: 'get',
  path: '/api/v1/admin/reports/revenue',
  summary: 'hourly revenue of every store per provider (?from&to)',
  tag: 'admin',
  auth: 'admin',
})
moneyRoutes.get('/api/v1/admin/reports/revenue', requireAdmin, async (c) =>
  c.json(await revenue(c.env, parse(Range, c.req.query()))),
)

const ReconcileBody = z.object({
  provider: z.enum(PROVIDERS),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'date as YYYY-MM-DD (Beijing time)'),
})
describe({
  method: 'post',
  path: '/api/v1/admin/reconcile',
  summary: "compare a provider's daily bill with the ledger (对账); reruns replace",
  tag: 'admin',
  auth: 'admin',
  body: ReconcileBody,
})
moneyRoutes.post('/api/v1/admin/reconcile', requireAdmin, async (c) => {
  const body = await readJson(c, ReconcileBody)
  const run = await runReconciliation(c.env, body.provider, body.date)
  if (!run)
    throw new DomainError('BAD_REQUEST', `${body.provider} or history (DATABASE_URL) is not configured`)
  return c.json(run)
})

describe({
  method: 'get',
  path: '/api/v1/admin/reconciliations',
  summary: 'the latest reconciliation runs',
  tag: 'admin',
  auth: 'admin',
})
moneyRoutes.get('/api/v1/admin/reconciliations', requireAdmin, async (c) => {
  const runs = await withHistoryDb(c.env, (db) => latestReconciliations(db, 30))
  return c.json({ runs: runs ?? [] })
})

describe({
  method: 'get',
  path: '/api/v1/admin/stores/:storeId/payments/audit',
  summary: "a store's checkouts, payments, refunds and ledger, with invariant violations and pending returns",
  tag: 'admin',
  auth: 'admin',
})
moneyRoutes.get('/api/v1/admin/stores/:storeId/payments/audit', requireAdmin, async (c) => {
  const audit = await store(c).paymentAudit()
  return c.json({
    ...audit,
    violations: checkLedger(audit),
    pendingReturns: pendingReturns(audit),
  })
})
