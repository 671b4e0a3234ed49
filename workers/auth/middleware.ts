// Who is calling: a verified token, scoped by role and store. Routes declare what they need.
import type { Context, MiddlewareHandler } from 'hono'
import { DomainError } from '../../core/errors'
import { STAFF_ROLES, type StaffRole } from '../../core/store'
import type { Env } from '../env'
import {
  type Claims,
  type CustomerClaims,
  type DinerClaims,
  type RiderClaims,
  type StaffClaims,
  verifyToken,
} from './tokens'

export type AppEnv = { Bindings: Env; Variables: { claims: Claims } }

function bearer(c: Context): string | null {
  const h = c.req.header('authorization')
  if (h?.startsWith('Bearer ')) return h.slice(7).trim()
  // Browsers cannot set headers on a WebSocket: sockets carry the token in the query.
  if (c.req.header('upgrade') === 'websocket') return c.req.query('token') ?? null
  return null
}

async function claimsOf(c: Context<AppEnv>): Promise<Claims> {
  const token = bearer(c)
  if (!token) throw new DomainError('UNAUTHENTICATED', 'sign in first (Authorization: Bearer <token>)')
  const claims = await verifyToken(c.env.TOKEN_SECRET, token)
  if (!claims) throw new DomainError('UNAUTHENTICATED', 'the token is invalid or expired')
  return claims
}

export const requireDiner: MiddlewareHandler<AppEnv> = async (c, next) => {
  const claims = await claimsOf(c)
  if (claims.role !== 'diner') throw new DomainError('FORBIDDEN', 'this is for diners at a table')
  c.set('claims', claims)
  await next()
}

/** Staff of the store named in the path, with one of the given roles (any staff role if none given). */
export function requireStaff(...roles: StaffRole[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const any = await claimsOf(c)
    // Only staff roles: diners, riders and customers hold tokens too, and none of them is staff.
    if (!(STAFF_ROLES as readonly string[]).includes(any.role))
      throw new DomainError('FORBIDDEN', 'staff only')
    const claims = any as StaffClaims
    if (claims.store !== c.req.param('storeId')) throw new DomainError('FORBIDDEN', 'not your store')
    if (roles.length > 0 && !roles.includes(claims.role))
      throw new DomainError('FORBIDDEN', `needs role ${roles.join(' or ')}`)
    c.set('claims', claims)
    await next()
  }
}

export const requireRider: MiddlewareHandler<AppEnv> = async (c, next) => {
  const claims = await claimsOf(c)
  if (claims.role !== 'rider') throw new DomainError('FORBIDDEN', 'this is for riders')
  c.set('claims', claims)
  await next()
}

export const requireCustomer: MiddlewareHandler<AppEnv> = async (c, next) => {
  const claims = await claimsOf(c)
  if (claims.role !== 'customer') throw new DomainError('FORBIDDEN', 'sign in as a customer first')
  c.set('claims', claims)
  await next()
}

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c)
  if (!token || !c.env.ADMIN_TOKEN || !constantTimeEqual(token, c.env.ADMIN_TOKEN))
    throw new DomainError('UNAUTHENTICATED', 'platform admin token required')
  await next()
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return d === 0
}

export const diner = (c: Context<AppEnv>): DinerClaims => c.get('claims') as DinerClaims
export const staff = (c: Context<AppEnv>): StaffClaims => c.get('claims') as StaffClaims
export const rider = (c: Context<AppEnv>): RiderClaims => c.get('claims') as RiderClaims
export const customer = (c: Context<AppEnv>): CustomerClaims => c.get('claims') as CustomerClaims
