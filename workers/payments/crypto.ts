// Web Crypto building blocks shared by the payment providers and their sandbox: PEM and Base64, RSA
// SHA256withRSA (RSASSA-PKCS1-v1_5) sign/verify, AES-GCM, and just enough DER to read an X.509
// certificate's serial and public key (Web Crypto cannot import a certificate). Nothing here is Node-only,
// so it runs in Workers, Durable Objects and Node alike.

const te = new TextEncoder()
const td = new TextDecoder()

/** Bytes backed by a plain ArrayBuffer, which is what Web Crypto accepts. */
export type Bytes = Uint8Array<ArrayBuffer>

export const utf8 = (s: string): Bytes => te.encode(s) as Bytes
export const fromUtf8 = (b: Uint8Array): string => td.decode(b)

export function b64encode(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, Math.min(i + 0x8000, bytes.length)))
  return btoa(s)
}

export function b64decode(text: string): Bytes {
  const bin = atob(text.replace(/\s+/g, ''))
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

export const hex = (bytes: Uint8Array): string =>
  [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')

/** The DER inside a PEM block; bare Base64 (how Alipay's console hands out keys) is accepted too. */
export function pemToDer(pem: string): Bytes {
  // Keys passed as one-line environment variables often carry literal "\n" for their line breaks.
  const body = pem.replaceAll('\\n', '\n').replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '')
  return b64decode(body)
}

export function derToPem(der: Uint8Array, label: string): string {
  const lines = b64encode(der).match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const

/**
 * A private key for SHA256withRSA. PKCS#8 ("BEGIN PRIVATE KEY", WeChat's apiclient_key.pem) or PKCS#1
 * ("BEGIN RSA PRIVATE KEY", what many Alipay tools still produce), PEM or bare Base64.
 */
export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  let der = pemToDer(pem)
  if (pem.includes('BEGIN RSA PRIVATE KEY') || isPkcs1(der)) der = pkcs1ToPkcs8(der)
  return crypto.subtle.importKey('pkcs8', der, RSA, false, ['sign'])
}

/** A public key for verification: SPKI PEM/Base64, or an X.509 certificate (its SPKI is extracted). */
export async function importPublicKey(pemOrCert: string): Promise<CryptoKey> {
  const der = pemToDer(pemOrCert)
  const spki = pemOrCert.includes('BEGIN CERTIFICATE') ? parseCertificate(der).spki : der
  return crypto.subtle.importKey('spki', spki, RSA, false, ['verify'])
}

export async function rsaSign(key: CryptoKey, message: string): Promise<string> {
  return b64encode(new Uint8Array(await crypto.subtle.sign(RSA.name, key, utf8(message))))
}

/** False (never a throw) for a signature that is not Base64 or does not match. */
export async function rsaVerify(key: CryptoKey, message: string, signatureB64: string): Promise<boolean> {
  let sig: Bytes
  try {
    sig = b64decode(signatureB64)
  } catch {
    return false
  }
  return crypto.subtle.verify(RSA.name, key, sig, utf8(message))
}

/** AEAD_AES_256_GCM as WeChat Pay uses it: Base64(ciphertext ‖ 16-byte tag), key/nonce/AAD as UTF-8. */
export async function aesGcmDecrypt(
  key: string,
  nonce: string,
  associatedData: string,
  ciphertextB64: string,
): Promise<string> {
  const k = await crypto.subtle.importKey('raw', utf8(key), 'AES-GCM', false, ['decrypt'])
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: utf8(nonce), additionalData: utf8(associatedData), tagLength: 128 },
    k,
    b64decode(ciphertextB64),
  )
  return fromUtf8(new Uint8Array(plain))
}

export async function aesGcmEncrypt(
  key: string,
  nonce: string,
  associatedData: string,
  plaintext: string,
): Promise<string> {
  const k = await crypto.subtle.importKey('raw', utf8(key), 'AES-GCM', false, ['encrypt'])
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: utf8(nonce), additionalData: utf8(associatedData), tagLength: 128 },
    k,
    utf8(plaintext),
  )
  return b64encode(new Uint8Array(sealed))
}

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Random [A-Za-z0-9] string; WeChat nonces are at most 32 characters. */
export function randomNonce(length = 32): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  let s = ''
  for (const b of bytes) s += NONCE_ALPHABET[b % NONCE_ALPHABET.length]
  return s
}

export async function sha1Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? utf8(data) : (new Uint8Array(data) as Bytes)
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-1', bytes)))
}

/** A fresh RSA-2048 pair as PEM (PKCS#8 / SPKI): for the sandbox and for tests, never for production. */
export async function generateRsaPem(): Promise<{ privatePem: string; publicPem: string }> {
  const pair = (await crypto.subtle.generateKey(
    { ...RSA, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer)
  const spki = new Uint8Array((await crypto.subtle.exportKey('spki', pair.publicKey)) as ArrayBuffer)
  return { privatePem: derToPem(pkcs8, 'PRIVATE KEY'), publicPem: derToPem(spki, 'PUBLIC KEY') }
}

// ---------- DER: just enough to read certificates and to wrap PKCS#1 keys ----------

interface Tlv {
  tag: number
  /** Offset of the tag byte. */
  at: number
  /** Offset of the value and its length. */
  start: number
  length: number
  /** Offset just past the value. */
  end: number
}

function readTlv(der: Uint8Array, at: number): Tlv {
  const tag = der[at] ?? 0
  let len = der[at + 1] ?? 0
  let start = at + 2
  if (len & 0x80) {
    const n = len & 0x7f
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + (der[start + i] ?? 0)
    start += n
  }
  if (start + len > der.length) throw new Error('DER: length runs past the end')
  return { tag, at, start, length: len, end: start + len }
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = []
  for (let at = parent.start; at < parent.end; ) {
    const t = readTlv(der, at)
    out.push(t)
    at = t.end
  }
  return out
}

/**
 * Serial number (upper-case hex, no leading zero byte, as WeChat writes `Wechatpay-Serial`) and the
 * SubjectPublicKeyInfo of an X.509 certificate.
 */
export function parseCertificate(der: Uint8Array): { serialHex: string; spki: Bytes; notAfter?: string } {
  const cert = readTlv(der, 0)
  const tbs = children(der, cert)[0]
  if (!tbs) throw new Error('certificate: no TBSCertificate')
  const fields = children(der, tbs)
  // An explicit [0] version tag comes first in v2/v3 certificates.
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0
  const serial = fields[offset]
  const validity = fields[offset + 3]
  const spki = fields[offset + 5]
  if (!serial || !spki) throw new Error('certificate: missing serial or public key')
  let s = der.subarray(serial.start, serial.end)
  while (s.length > 1 && s[0] === 0) s = s.subarray(1)
  const notAfterTlv = validity ? children(der, validity)[1] : undefined
  return {
    serialHex: hex(s).toUpperCase(),
    spki: der.slice(spki.at, spki.end) as Bytes,
    ...(notAfterTlv ? { notAfter: fromUtf8(der.subarray(notAfterTlv.start, notAfterTlv.end)) } : {}),
  }
}

/** PKCS#1 RSAPrivateKey is SEQUENCE { INTEGER 0, INTEGER n, ... }; PKCS#8 starts SEQUENCE { INTEGER 0, SEQUENCE ... }. */
function isPkcs1(der: Uint8Array): boolean {
  try {
    const top = children(der, readTlv(der, 0))
    return top.length >= 9 && top[1]?.tag === 0x02
  } catch {
    return false
  }
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n]
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  return [0x80 | bytes.length, ...bytes]
}

function derNode(tag: number, ...parts: Uint8Array[]): Bytes {
  const len = parts.reduce((a, p) => a + p.length, 0)
  const head = [tag, ...derLength(len)]
  const out = new Uint8Array(head.length + len)
  out.set(head, 0)
  let at = head.length
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** rsaEncryption AlgorithmIdentifier: OID 1.2.840.113549.1.1.1 with NULL parameters. */
const RSA_ALGORITHM = new Uint8Array([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
])

export function pkcs1ToPkcs8(pkcs1: Uint8Array): Bytes {
  return derNode(0x30, new Uint8Array([0x02, 0x01, 0x00]), RSA_ALGORITHM, derNode(0x04, pkcs1))
}

/** Exposed for the sandbox's self-signed certificates. */
export const der = { node: derNode, length: derLength, RSA_ALGORITHM }
