// Personal data at rest (rider names and phones, customer phones and addresses): AES-256-GCM under a key
// derived with HKDF-SHA256 from env PII_KEY. Each value is bound to what it is (additional data such as
// `rider:r1001:phone`), so a ciphertext copied into another record or field does not decrypt there.
//
// Format: "pii1.<iv b64url>.<ciphertext+tag b64url>". The version prefix lets the scheme or key change later
// without guessing what a stored value is.
//
// Without PII_KEY (local development, tests) the key is derived from TOKEN_SECRET under a different HKDF
// label: values are still not plaintext on disk, but anyone with the token secret reads them. Production
// sets PII_KEY (`wrangler secret put PII_KEY`); rotating it makes stored values unreadable, so a rotation
// re-encrypts first (not built yet: no data to migrate).
import { b64urlDecode, b64urlEncode } from './crypto'

const enc = new TextEncoder()
const dec = new TextDecoder()
const PREFIX = 'pii1'
/** 96-bit IVs, random per value: the GCM standard size; 2^32 values per key keep collisions negligible. */
const IV_BYTES = 12

export interface PiiSecrets {
  PII_KEY?: string
  TOKEN_SECRET: string
}

const keys = new Map<string, Promise<CryptoKey>>()

/** The AES-GCM key for these secrets, derived once per isolate. */
export function piiKey(env: PiiSecrets): Promise<CryptoKey> {
  const [secret, label] = env.PII_KEY
    ? [env.PII_KEY, 'edge-canteen pii v1']
    : [env.TOKEN_SECRET, 'edge-canteen pii v1 (dev fallback from TOKEN_SECRET)']
  const id = `${label}\u0000${secret}`
  let k = keys.get(id)
  if (!k) {
    k = (async () => {
      const ikm = await crypto.subtle.importKey('raw', enc.encode(secret), 'HKDF', false, ['deriveKey'])
      return crypto.subtle.deriveKey(
        { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: enc.encode(label) },
        ikm,
        { name: 'AES-GCM', length: 256 },
        false,
        ['encrypt', 'decrypt'],
      )
    })()
    keys.set(id, k)
  }
  return k
}

/** Encrypt `plain`, bound to `context` (e.g. `rider:r1001:phone`). */
export async function encryptPii(key: CryptoKey, plain: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: enc.encode(context) },
    key,
    enc.encode(plain),
  )
  return `${PREFIX}.${b64urlEncode(iv)}.${b64urlEncode(new Uint8Array(ct))}`
}

/** Decrypt a value from encryptPii with the same context; null when it is not ours, altered or misplaced. */
export async function decryptPii(key: CryptoKey, sealed: string, context: string): Promise<string | null> {
  const [prefix, iv, ct, extra] = sealed.split('.')
  if (prefix !== PREFIX || !iv || !ct || extra !== undefined) return null
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: b64urlDecode(iv), additionalData: enc.encode(context) },
      key,
      b64urlDecode(ct),
    )
    return dec.decode(plain)
  } catch {
    return null
  }
}

/**
 * A phone number as others may see it: 13812345678 -> 138****5678 (the usual Chinese masking: carrier
 * prefix and the last four, enough to confirm "is this you" without dialling). Spaces, dashes and a +86
 * prefix are dropped first; numbers too short to keep seven digits show only their last two.
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[\s-]/g, '').replace(/^\+?86(?=1\d{10}$)/, '')
  if (digits.length >= 11) return `${digits.slice(0, 3)}****${digits.slice(-4)}`
  if (digits.length <= 2) return '*'.repeat(digits.length)
  return `${'*'.repeat(digits.length - 2)}${digits.slice(-2)}`
}
