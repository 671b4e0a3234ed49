// Session tokens: base64url(JSON claims) + "." + base64url(HMAC-SHA256). Stateless, so the Worker checks
// them without a round trip; scoped by role and store (and table + session for diners).
import { z } from 'zod'
import { PROVIDERS } from '../../core/payment-types'
import { STAFF_ROLES } from '../../core/store'
import { b64urlDecode, b64urlEncode, hmacKey, timingSafeEqual } from './crypto'

export const DinerClaims = z.object({
  role: z.literal('diner'),
  sub: z.string(),
  store: z.string(),
  table: z.string(),
  ses: z.string(),
  name: z.string(),
  exp: z.number(),
})
export const StaffClaims = z.object({
  role: z.enum(STAFF_ROLES),
  sub: z.string(),
  store: z.string(),
  name: z.string(),
  exp: z.number(),
})
/** A rider of the platform (riders are not a store's staff): scoped to their own tasks. */
export const RiderClaims = z.object({
  role: z.literal('rider'),
  sub: z.string(),
  name: z.string(),
  exp: z.number(),
})
/** A delivery or pickup customer (no table): scoped to their own orders and addresses. */
export const CustomerClaims = z.object({
  role: z.literal('customer'),
  sub: z.string(),
  name: z.string(),
  exp: z.number(),
})
export const Claims = z.union([DinerClaims, StaffClaims, RiderClaims, CustomerClaims])
export type DinerClaims = z.infer<typeof DinerClaims>
export type StaffClaims = z.infer<typeof StaffClaims>
export type RiderClaims = z.infer<typeof RiderClaims>
export type CustomerClaims = z.infer<typeof CustomerClaims>
export type Claims = z.infer<typeof Claims>

/** A diner's seat lasts a meal; staff log in once a shift. */
export const DINER_TTL_MS = 12 * 3600_000
export const STAFF_TTL_MS = 14 * 3600_000

const enc = new TextEncoder()

/**
 * Who pays, from a mini-program login (WeChat openid / Alipay open id): a separate token kind, never
 * accepted where diner or staff claims are (its role is in neither union).
 */
export const PayerClaims = z.object({
  role: z.literal('payer'),
  provider: z.enum(PROVIDERS),
  sub: z.string().min(1).max(128),
  exp: z.number(),
})
export type PayerClaims = z.infer<typeof PayerClaims>
export const PAYER_TTL_MS = 2 * 3600_000

export const signToken = (secret: string, claims: Claims): Promise<string> => signBody(secret, claims)
export const verifyToken = (secret: string, token: string, now = Date.now()): Promise<Claims | null> =>
  verifyBody(secret, token, Claims, now)
export const signPayerToken = (secret: string, claims: PayerClaims): Promise<string> =>
  signBody(secret, claims)
export const verifyPayerToken = (secret: string, token: string, now = Date.now()) =>
  verifyBody(secret, token, PayerClaims, now)

async function signBody(secret: string, value: object): Promise<string> {
  const body = b64urlEncode(enc.encode(JSON.stringify(value)))
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), enc.encode(body)))
  return `${body}.${b64urlEncode(sig)}`
}

async function verifyBody<S extends z.ZodType<{ exp: number }>>(
  secret: string,
  token: string,
  schema: S,
  now: number,
): Promise<z.infer<S> | null> {
  const dot = token.indexOf('.')
  if (dot <= 0 || token.length > 4096) return null
  const body = token.slice(0, dot)
  let sig: Uint8Array
  try {
    sig = b64urlDecode(token.slice(dot + 1))
  } catch {
    return null
  }
  const expected = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), enc.encode(body)))
  if (!timingSafeEqual(sig, expected)) return null
  try {
    const parsed = schema.safeParse(JSON.parse(new TextDecoder().decode(b64urlDecode(body))))
    if (!parsed.success || parsed.data.exp <= now) return null
    return parsed.data
  } catch {
    return null
  }
}
