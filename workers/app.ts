// The Hono app: validate, authenticate, route. State lives in the objects; this stays stateless.
import { Hono } from 'hono'
import { DomainError, isErrorCode } from '../core/errors'
import type { AppEnv } from './auth/middleware'
import { errorResponse } from './http'
import { DOCS_HTML, openApiDocument } from './openapi'
import { adminRoutes } from './routes/admin'
import { customerRoutes } from './routes/customer'
import { dinerRoutes } from './routes/diner'
import { kitchenRoutes } from './routes/kitchen'
import { moneyRoutes } from './routes/money'
import { paymentRoutes } from './routes/payments'
import { publicRoutes } from './routes/public'
import { riderRoutes } from './routes/riders'
import { staffRoutes } from './routes/staff'

export const app = new Hono<AppEnv>()

// Before publicRoutes: GET /api/v1/stores/nearby must not be taken for /api/v1/stores/:storeId.
app.route('/', customerRoutes)
app.route('/', publicRoutes)
app.route('/', dinerRoutes)
app.route('/', staffRoutes)
app.route('/', adminRoutes)
app.route('/', kitchenRoutes)
app.route('/', paymentRoutes)
app.route('/', moneyRoutes)
app.route('/', riderRoutes)

app.get('/api/v1/openapi.json', (c) => c.json(openApiDocument(new URL(c.req.url).origin)))
app.get('/api/docs', (c) => c.html(DOCS_HTML))

app.notFound((c) =>
  errorResponse(
    { code: 'NOT_FOUND', message: `no route ${c.req.method} ${new URL(c.req.url).pathname}` },
    404,
  ),
)

app.onError((err) => {
  if (err instanceof DomainError) return errorResponse(err.toBody(), err.status)
  // An error that crossed DO RPC keeps only its message; a domain code in it is still the caller's fault.
  const code = (err as { code?: unknown }).code
  if (isErrorCode(code) && code !== 'INTERNAL')
    return errorResponse({ code, message: err.message }, new DomainError(code, err.message).status)
  console.error('unhandled', err)
  return errorResponse({ code: 'INTERNAL', message: 'something went wrong on our side; try again' }, 500)
})
