// Staff passwords: PBKDF2-SHA256 via Web Crypto. Workers cap PBKDF2 at 100,000 iterations, so that is the
// cost; the format carries it so it can rise later without invalidating stored hashes.
import { b64urlDecode, b64urlEncode, timingSafeEqual } from './crypto'

const ITERATIONS = 100_000
const enc = new TextEncoder()

async function derive(
  password: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', enc.encode(password), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256)
  return new Uint8Array(bits)
}

/** "pbkdf2-sha256$<iterations>$<salt>$<hash>" */
export async function hashPassword(password: string, iterations = ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const hash = await derive(password, salt, iterations)
  return `pbkdf2-sha256$${iterations}$${b64urlEncode(salt)}$${b64urlEncode(hash)}`
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iter, salt, hash] = stored.split('$')
  if (scheme !== 'pbkdf2-sha256' || !iter || !salt || !hash) return false
  const iterations = Number(iter)
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 100_000) return false
  return timingSafeEqual(await derive(password, b64urlDecode(salt), iterations), b64urlDecode(hash))
}

/** Spend the same time on an unknown user as on a wrong password, so usernames cannot be probed. */
export const DUMMY_HASH =
  'pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
