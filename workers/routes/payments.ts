// Payments at the edge: provider callbacks (verified and decrypted here, applied by the store), diners
// paying a round or a table's bill, mini-program login for JSAPI pay, and refund requests.
import type { Context } from 'hono'
import { Hono } from 'hono'
import { z } from 'zod'
import { DomainError, type ErrorBody, type Outcome, unwrap } from '../../core/errors'
import { publicOrder } from '../../core/order'
import { PROVIDERS, type ProviderName } from '../../core/payment-types'
import { storeOfRefundId } from '../../core/payments'
import { StoreIdSchema } from '../../core/store'
import { type AppEnv, diner, requireDiner } from '../auth/middleware'
import { PAYER_TTL_MS, signPayerToken, verifyPayerToken } from '../auth/tokens'
import { parse, readJson, send } from '../http'
import { describe } from '../openapi'
import { configuredProviders, paymentProvider } from '../payments/index'
import {
  NotifyRejected,
  PAY_CHANNELS,
  type PayChannel,
  type PaymentProvider,
  ProviderError,
} from '../payments/provider'
import { storeStub } from '../stubs'

export const paymentRoutes = new Hono<AppEnv>()

/** Callbacks are small JSON or forms; anything bigger is not from a provider. */
const MAX_NOTIFY_BYTES = 64 * 1024

const ProviderNameSchema = z.enum(PROVIDERS)
function providerOr404(c: Context<AppEnv>, name: string): PaymentProvider {
  const parsed = ProviderNameSchema.safeParse(name)
  const p = parsed.success ? paymentProvider(c.env, parsed.data) : null
  if (!p) throw new DomainError('NOT_FOUND', `${name} payments are not configured here`)
  return p
}

// ---------- provider callbacks ----------

/** The error of a DO outcome (RPC typing hides the failure branch behind its serialisation rules). */
function failure(o: unknown): ErrorBody | null {
  const r = o as Outcome<unknown>
  return r.ok ? null : r.error
}

/**
 * One handler for every callback: verify + decrypt (the provider module), hand to the store named by the
 * trade's attach (payments) or the refund id (refunds), and answer the provider's way only after the
 * store committed. Refused callbacks get the provider's failure reply, so a genuine one is retried.
 */
async function handleNotify(c: Context<AppEnv>, provider: PaymentProvider): Promise<Response> {
  const raw = await c.req.text()
  if (raw.length > MAX_NOTIFY_BYTES) return provider.nack('body too large', 413)
  let event: Awaited<ReturnType<PaymentProvider['parseNotify']>>
  try {
    event = await provider.parseNotify(c.req.raw.headers, raw)
  } catch (e) {
    if (e instanceof NotifyRejected) {
      console.warn(`${provider.name} notify refused: ${e.reason} ${e.message}`)
      return provider.nack(e.reason, e.reason === 'MALFORMED' ? 400 : 401)
    }
    if (e instanceof ProviderError) return provider.nack(e.code, e.retryable ? 503 : 400)
    throw e
  }
  if (event.kind === 'ignored') return provider.ack()
  if (event.kind === 'payment') {
    const storeId = StoreIdSchema.safeParse(event.trade.attach)
    if (!storeId.success) return provider.nack('unknown order', 404)
    const error = failure(await storeStub(c.env, storeId.data).settlePayment(event.trade, 'notify'))
    if (!error) return provider.ack()
    return provider.nack(error.code, error.code === 'ORDER_NOT_FOUND' ? 404 : 500)
  }
  const storeId = storeOfRefundId(event.refund.outRefundNo)
  if (!storeId) return provider.nack('unknown refund', 404)
  const error = failure(await storeStub(c.env, storeId).refundNotified(event.refund))
  if (!error) return provider.ack()
  return provider.nack(error.code, error.code === 'NOT_FOUND' ? 404 : 500)
}

for (const [provider, path] of [
  ['wechat', '/api/v1/payments/wechat/notify'],
  ['wechat', '/api/v1/payments/wechat/refund-notify'],
  ['alipay', '/api/v1/payments/alipay/notify'],
] as const) {
  describe({
    method: 'post',
    path,
    summary: `${provider} callback (signed by the provider; answered per its protocol)`,
    tag: 'payments',
    auth: 'none',
  })
  paymentRoutes.post(path, (c) => handleNotify(c, providerOr404(c, provider)))
}

// ---------- what a diner can use ----------

describe({
  method: 'get',
  path: '/api/v1/payments/providers',
  summary: 'payment providers and channels this deployment offers',
  tag: 'payments',
  auth: 'none',
})
paymentRoutes.get('/api/v1/payments/providers', (c) => c.json({ providers: configuredProviders(c.env) }))

const LoginBody = z.object({ code: z.string().trim().min(1).max(256) })
describe({
  method: 'post',
  path: '/api/v1/payments/:provider/login',
  summary: 'mini-program login (wx.login / my.getAuthCode code) -> a payer token for JSAPI pay',
  tag: 'payments',
  auth: 'none',
  body: LoginBody,
})
paymentRoutes.post('/api/v1/payments/:provider/login', async (c) => {
  const provider = providerOr404(c, c.req.param('provider'))
  const { code } = await readJson(c, LoginBody)
  const { success } = await c.env.LOGIN_LIMIT.limit({
    key: `payer:${c.req.header('cf-connecting-ip') ?? ''}`,
  })
  if (!success) throw new DomainError('RATE_LIMITED', 'too many logins; wait a moment')
  let who: Awaited<ReturnType<PaymentProvider['login']>>
  try {
    who = await provider.login(code)
  } catch (e) {
    if (e instanceof ProviderError && !e.retryable)
      throw new DomainError('INVALID_CREDENTIALS', 'the login code is invalid or used; log in again')
    throw e
  }
  const exp = Date.now() + PAYER_TTL_MS
  const payerToken = await signPayerToken(c.env.TOKEN_SECRET, {
    role: 'payer',
    provider: provider.name,
    sub: who.payerId,
    exp,
  })
  return c.json({ payerToken, provider: provider.name, expiresAt: exp })
})

// ---------- a diner pays ----------

paymentRoutes.use('/api/v1/table/orders/*', requireDiner)
paymentRoutes.use('/api/v1/table/checkout', requireDiner)
paymentRoutes.use('/api/v1/table/checkouts/*', requireDiner)

export const PayBody = z.object({
  provider: z.enum(PROVIDERS),
  channel: z.enum(['jsapi', 'h5', 'mini', 'wap']),
  /** From /payments/:provider/login: required for jsapi (WeChat) and mini (Alipay). */
  payerToken: z.string().max(4096).optional(),
  /** Where the cashier sends the diner back (same origin only). */
  returnUrl: z.string().url().max(1000).optional(),
})
export type PayBody = z.infer<typeof PayBody>

async function pay(c: Context<AppEnv>, body: PayBody, target: { orderId?: string }) {
  const d = diner(c)
  return openCashier(c, body, d.store, { ...target, tableKey: d.table, sessionId: d.ses })
}

/**
 * The shared pay flow: open (or reuse) the store's checkout for `scope` (the store checks it is the
 * caller's: a diner's table + seating, or a customer's own order), then ask the provider for the prepay
 * and answer 201 with what the client needs to open the cashier.
 */
export async function openCashier(
  c: Context<AppEnv>,
  body: PayBody,
  storeId: string,
  scope: { orderId?: string; tableKey?: string; sessionId?: string; customerId?: string },
) {
  const provider = providerOr404(c, body.provider)
  if (!(PAY_CHANNELS[body.provider] as readonly string[]).includes(body.channel))
    throw new DomainError('VALIDATION_FAILED', `${body.provider} has no channel ${body.channel}`)
  let payerId: string | undefined
  if (body.channel === 'jsapi' || body.channel === 'mini') {
    const payer = body.payerToken ? await verifyPayerToken(c.env.TOKEN_SECRET, body.payerToken) : null
    if (!payer || payer.provider !== body.provider)
      throw new DomainError('UNAUTHENTICATED', `log in with ${body.provider} first (payerToken)`)
    payerId = payer.sub
  }
  const origin = new URL(c.req.url).origin
  const returnUrl = body.returnUrl ?? `${origin}/`
  const allowed = [origin, new URL(c.env.PUBLIC_BASE_URL).origin]
  if (!allowed.includes(new URL(returnUrl).origin))
    throw new DomainError('VALIDATION_FAILED', 'returnUrl must be on this site')
  const started = unwrap(
    await storeStub(c.env, storeId).startCheckout({ ...scope, provider: body.provider as ProviderName }),
  )
  const { checkout, description } = started
  let params: Awaited<ReturnType<PaymentProvider['create']>>
  try {
    params = await provider.create({
      outTradeNo: checkout.id,
      amountFen: checkout.amountFen,
      description,
      // Providers refuse deadlines under a minute away (WeChat raises them to one minute).
      expiresAt: Math.max(checkout.expiresAt, Date.now() + 60_000),
      attach: storeId,
      channel: body.channel as PayChannel,
      ...(payerId ? { payerId } : {}),
      ...(c.req.header('cf-connecting-ip') ? { clientIp: c.req.header('cf-connecting-ip') } : {}),
      returnUrl: withCheckout(returnUrl, checkout.id),
    })
  } catch (e) {
    if (e instanceof ProviderError)
      throw new DomainError(
        e.retryable ? 'PAYMENT_UNAVAILABLE' : 'PAYMENT_REFUSED',
        `${provider.name}: ${e.message}`,
      )
    throw e
  }
  return c.json(
    {
      checkoutId: checkout.id,
      amountFen: checkout.amountFen,
      expiresAt: checkout.expiresAt,
      orderIds: checkout.orderIds,
      pay: params,
    },
    201,
  )
}

/** The page the cashier returns to learns which checkout to confirm. */
function withCheckout(url: string, checkoutId: string): string {
  const u = new URL(url)
  u.searchParams.set('checkout', checkoutId)
  return u.toString()
}

describe({
  method: 'post',
  path: '/api/v1/table/orders/:orderId/pay',
  summary: 'pay one round of a pay-first table: opens the provider cashier',
  tag: 'diner',
  auth: 'diner',
  body: PayBody,
})
paymentRoutes.post('/api/v1/table/orders/:orderId/pay', async (c) =>
  pay(c, await readJson(c, PayBody), { orderId: c.req.param('orderId') }),
)

describe({
  method: 'post',
  path: '/api/v1/table/checkout',
  summary: "pay a pay-after-meal table's bill (every unpaid round)",
  tag: 'diner',
  auth: 'diner',
  body: PayBody,
})
paymentRoutes.post('/api/v1/table/checkout', async (c) => pay(c, await readJson(c, PayBody), {}))

describe({
  method: 'post',
  path: '/api/v1/table/checkouts/:checkoutId/confirm',
  summary: 'back from the cashier: the store asks the provider now',
  tag: 'diner',
  auth: 'diner',
})
paymentRoutes.post('/api/v1/table/checkouts/:checkoutId/confirm', async (c) => {
  const d = diner(c)
  const id = parse(CheckoutId, c.req.param('checkoutId'))
  return send(c, await storeStub(c.env, d.store).confirmCheckout(id, { tableKey: d.table, sessionId: d.ses }))
})

export const CheckoutId = z.string().regex(/^(ord|chk)_[0-9A-Z]{26}$/, 'not a checkout id')

export const RefundBody = z.object({ reason: z.string().trim().min(1).max(80) })
describe({
  method: 'post',
  path: '/api/v1/table/orders/:orderId/refund',
  summary: 'ask for a refund: in full at once before the store accepts, else the merchant decides',
  tag: 'diner',
  auth: 'diner',
  body: RefundBody,
})
paymentRoutes.post('/api/v1/table/orders/:orderId/refund', async (c) => {
  const d = diner(c)
  const { reason } = await readJson(c, RefundBody)
  const order = unwrap(
    await storeStub(c.env, d.store).dinerRefund(
      c.req.param('orderId'),
      { tableKey: d.table, sessionId: d.ses },
      d.sub,
      reason,
    ),
  )
  return c.json(publicOrder(order))
})
