// A self-signed X.509 v3 certificate built from DER by hand, for WeChat Pay's platform-certificate mode:
// the client must pull the serial and the public key out of a real certificate, so the sandbox hands it
// one. Certificate ::= SEQUENCE { TBSCertificate, AlgorithmIdentifier, BIT STRING signature } (RFC 5280).

import { der, derToPem, importPrivateKey, pemToDer } from '../../workers/payments/crypto'
import { randomHex } from './state'

const node = der.node
const bytes = (...b: number[]) => new Uint8Array(b)
const text = (s: string) => new TextEncoder().encode(s)

/** sha256WithRSAEncryption (1.2.840.113549.1.1.11) with NULL parameters. */
const SHA256_WITH_RSA = node(
  0x30,
  bytes(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b),
  bytes(0x05, 0x00),
)

/** Attribute type OIDs under 2.5.4. */
const OID = { C: 6, O: 10, OU: 11, CN: 3 } as const

function rdn(type: keyof typeof OID, value: string): Uint8Array {
  // countryName must be a PrintableString (0x13); the rest UTF8String (0x0c) so Chinese names survive.
  const tag = type === 'C' ? 0x13 : 0x0c
  return node(0x31, node(0x30, node(0x06, bytes(0x55, 0x04, OID[type])), node(tag, text(value))))
}

function name(parts: [keyof typeof OID, string][]): Uint8Array {
  return node(0x30, ...parts.map(([t, v]) => rdn(t, v)))
}

/** UTCTime (years 1950-2049) or GeneralizedTime, as RFC 5280 requires. */
function time(ms: number): Uint8Array {
  const iso = new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) // yyyyMMddHHmmss
  const year = Number(iso.slice(0, 4))
  return year >= 1950 && year < 2050 ? node(0x17, text(`${iso.slice(2)}Z`)) : node(0x18, text(`${iso}Z`))
}

export interface SelfSignedCertificate {
  pem: string
  der: Uint8Array
  /** Upper-case hex without a leading zero byte, as WeChat writes Wechatpay-Serial. */
  serialHex: string
  notBefore: number
  notAfter: number
}

export interface CertificateOptions {
  privatePem: string
  publicPem: string
  commonName: string
  organization?: string
  /** 40 hex digits by default (20 bytes, positive), like WeChat's platform serials. */
  serialHex?: string
  notBefore?: number
  /** WeChat platform certificates live 5 years. */
  notAfter?: number
}

export async function selfSignedCertificate(opts: CertificateOptions): Promise<SelfSignedCertificate> {
  let serialHex = (opts.serialHex ?? randomHex(40)).toUpperCase()
  // A positive INTEGER without a leading zero: force the first byte into 0x10..0x7f.
  const first = Number.parseInt(serialHex.slice(0, 2), 16)
  if (!opts.serialHex) serialHex = ((first % 0x70) + 0x10).toString(16).toUpperCase() + serialHex.slice(2)
  const serial = Uint8Array.from(serialHex.match(/../g) ?? [], (h) => Number.parseInt(h, 16))
  if ((serial[0] ?? 0) & 0x80) throw new Error('serial must be a positive integer without padding')

  const notBefore = opts.notBefore ?? Date.now() - 3600_000
  const notAfter = opts.notAfter ?? notBefore + 5 * 365 * 86400_000
  const subject = name([
    ['C', 'CN'],
    ['O', opts.organization ?? '财付通支付科技有限公司'],
    ['OU', 'Tenpay.com CA Center'],
    ['CN', opts.commonName],
  ])
  const tbs = node(
    0x30,
    node(0xa0, node(0x02, bytes(0x02))), // [0] EXPLICIT version v3
    node(0x02, serial),
    SHA256_WITH_RSA,
    subject, // issuer = subject: self-signed
    node(0x30, time(notBefore), time(notAfter)),
    subject,
    pemToDer(opts.publicPem), // SubjectPublicKeyInfo as is
  )
  const key = await importPrivateKey(opts.privatePem)
  const signature = new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, tbs))
  const certDer = node(0x30, tbs, SHA256_WITH_RSA, node(0x03, bytes(0x00), signature))
  return { pem: derToPem(certDer, 'CERTIFICATE'), der: certDer, serialHex, notBefore, notAfter }
}
