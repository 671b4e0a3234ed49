import { X509Certificate } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateRsaPem, importPublicKey, parseCertificate, pemToDer } from '../../workers/payments/crypto'
import { formatDevVars, generateSandboxKeys } from './keys'
import { selfSignedCertificate } from './x509'

describe('self-signed platform certificate', () => {
  it('is a valid X.509 v3 certificate, self-signed with SHA256withRSA, that crypto.ts can read', async () => {
    const pair = await generateRsaPem()
    const cert = await selfSignedCertificate({ ...pair, commonName: 'Tenpay.com Root CA' })
    const x = new X509Certificate(cert.pem)
    expect(x.verify(x.publicKey)).toBe(true)
    expect(x.serialNumber.toUpperCase()).toBe(cert.serialHex)
    expect(cert.serialHex).toMatch(/^[1-7][0-9A-F]{39}$/)
    expect(x.subject).toContain('CN=Tenpay.com Root CA')
    expect(new Date(x.validTo).getTime() - new Date(x.validFrom).getTime()).toBeGreaterThan(
      4 * 365 * 86400_000,
    )
    const parsed = parseCertificate(pemToDer(cert.pem))
    expect(parsed.serialHex).toBe(cert.serialHex)
    expect(parsed.spki).toEqual(pemToDer(pair.publicPem))
    await expect(importPublicKey(cert.pem)).resolves.toBeDefined()
  })
})

describe('sandbox keys', () => {
  it('public-key and certificate modes produce exactly the Worker env names', async () => {
    const pk = await generateSandboxKeys()
    expect(Object.keys(pk.env).sort()).toEqual(
      [
        'WECHAT_MCHID',
        'WECHAT_APPID',
        'WECHAT_APP_SECRET',
        'WECHAT_MCH_SERIAL',
        'WECHAT_MCH_PRIVATE_KEY',
        'WECHAT_API_V3_KEY',
        'WECHAT_PAY_PUBLIC_KEY_ID',
        'WECHAT_PAY_PUBLIC_KEY',
        'ALIPAY_APP_ID',
        'ALIPAY_SELLER_ID',
        'ALIPAY_APP_PRIVATE_KEY',
        'ALIPAY_PUBLIC_KEY',
      ].sort(),
    )
    expect(pk.env.WECHAT_MCHID).toMatch(/^19\d{8}$/)
    expect(pk.env.WECHAT_APPID).toMatch(/^wx[0-9a-f]{16}$/)
    expect(pk.env.WECHAT_API_V3_KEY).toMatch(/^[A-Za-z0-9]{32}$/)
    expect(pk.env.WECHAT_PAY_PUBLIC_KEY_ID).toMatch(/^PUB_KEY_ID_\d{34}$/)
    expect(pk.env.ALIPAY_APP_ID).toMatch(/^2021\d{12}$/)
    expect(pk.env.ALIPAY_SELLER_ID).toMatch(/^2088\d{12}$/)
    const cert = await generateSandboxKeys({ wechatMode: 'certificate' })
    expect(cert.env.WECHAT_PLATFORM_CERTS).toContain('BEGIN CERTIFICATE')
    expect(cert.env.WECHAT_PAY_PUBLIC_KEY_ID).toBeUndefined()
    expect(cert.config.wechat.platformSerial).toBe(
      parseCertificate(pemToDer(cert.env.WECHAT_PLATFORM_CERTS as string)).serialHex,
    )
    // .dev.vars: one line per key, PEM newlines escaped inside double quotes.
    const lines = formatDevVars(pk.env).split('\n')
    expect(lines).toHaveLength(Object.keys(pk.env).length)
    expect(lines.find((l) => l.startsWith('WECHAT_MCH_PRIVATE_KEY='))).toMatch(
      /^WECHAT_MCH_PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\\n/,
    )
  })
})
