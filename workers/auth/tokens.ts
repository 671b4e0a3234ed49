// Session tokens: base64url(JSON claims) + "." + base64url(HMAC-SHA256). Stateless, so the Worker checks
// them without a round trip; scoped by role and store (and table + session for diners).
import { z } from 'zod'
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
export const Claims = z.union([DinerClaims, StaffClaims])
export type DinerClaims = z.infer<typeof DinerClaims>
export type StaffClaims = z.infer<typeof StaffClaims>
export type Claims = z.infer<typeof Claims>

/** A diner's seat lasts a meal; staff log in once a shift. */
export const DINER_TTL_MS = 12 * 3600_000
export const STAFF_TTL_MS = 14 * 3600_000

const enc = new TextEncoder()

export async function signToken(secret: string, claims: Claims): Promise<string> {
  const body = b64urlEncode(enc.encode(JSON.stringify(claims)))
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), enc.encode(body)))
  return `${body}.${b64urlEncode(sig)}`
}

export async function verifyToken(secret: string, token: string, now = Date.now()): Promise<Claims | null> {
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
    const parsed = Claims.safeParse(JSON.parse(new TextDecoder().decode(b64urlDecode(body))))
    if (!parsed.success || parsed.data.exp <= now) return null
    return parsed.data
  } catch {
    return null
  }
}
