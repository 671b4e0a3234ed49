// Table codes printed on QR stickers: store (3) + area (4) + table (5) + a Damm check digit, signed.
// The check digit catches a mistyped code before any lookup; the signature stops anyone from walking
// the number space to sit at another store's tables.

const CODE12 = /^\d{12}$/
const CODE13 = /^\d{13}$/
/** 12 bytes of HMAC-SHA256 is 96 bits: unguessable, and still short enough for a small QR code. */
const SIG_BYTES = 12
const SIG = /^[A-Za-z0-9_-]{16}$/

// Damm's quasigroup of order 10 (weakly totally anti-symmetric): a single check digit that detects every
// single-digit error and every adjacent transposition, which Luhn does not (09 <-> 90).
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
] as const

function damm(digits: string): number {
  let interim = 0
  for (const ch of digits) interim = DAMM[interim]![Number(ch)]!
  return interim
}

export function checkDigit(digits12: string): string {
  if (!CODE12.test(digits12)) throw new RangeError(`a table code body is 12 digits, got ${digits12}`)
  return String(damm(digits12))
}

export function makeTableCode(storeId: string, areaNo: string, tableNo: string): string {
  if (!/^\d{3}$/.test(storeId) || !/^\d{4}$/.test(areaNo) || !/^\d{5}$/.test(tableNo))
    throw new RangeError(`store 3, area 4 and table 5 digits expected, got ${storeId}/${areaNo}/${tableNo}`)
  const body = storeId + areaNo + tableNo
  return body + checkDigit(body)
}

export function parseTableCode(code13: string): { storeId: string; areaNo: string; tableNo: string } | null {
  // A valid code (check digit included) runs the quasigroup back to 0.
  if (!CODE13.test(code13) || damm(code13) !== 0) return null
  return { storeId: code13.slice(0, 3), areaNo: code13.slice(3, 7), tableNo: code13.slice(7, 12) }
}

export async function signTableCode(secret: string, code13: string): Promise<string> {
  if (!parseTableCode(code13)) throw new RangeError(`not a valid table code: ${code13}`)
  return `${code13}.${await signature(secret, code13)}`
}

export async function verifyTableCode(
  secret: string,
  signed: string,
): Promise<{ storeId: string; areaNo: string; tableNo: string; code: string } | null> {
  const dot = signed.indexOf('.')
  if (dot !== 13) return null
  const code = signed.slice(0, 13)
  const sig = signed.slice(14)
  const parts = parseTableCode(code)
  if (!parts || !SIG.test(sig)) return null
  if (!constantTimeEqual(sig, await signature(secret, code))) return null
  return { ...parts, code }
}

// Importing the key once per secret saves work on every scan; a Worker isolate serves one secret.
let cachedKey: { secret: string; key: Promise<CryptoKey> } | undefined

function hmacKey(secret: string): Promise<CryptoKey> {
  // An empty secret would sign every code with a publicly known key: a deployment error, not a bad code.
  if (!secret) throw new Error('table code secret is not configured')
  if (cachedKey?.secret !== secret) {
    const raw = new TextEncoder().encode(secret)
    cachedKey = {
      secret,
      key: crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
    }
  }
  return cachedKey.key
}

async function signature(secret: string, code13: string): Promise<string> {
  const mac = await crypto.subtle.sign(
    'HMAC',
    await hmacKey(secret),
    new TextEncoder().encode(`table:${code13}`),
  )
  return base64url(new Uint8Array(mac, 0, SIG_BYTES))
}

function base64url(bytes: Uint8Array): string {
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Compares every character whatever the first difference, so timing does not reveal a prefix. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
