// Every key and id the sandbox needs, freshly generated: the merchant's WeChat API key pair (the sandbox
// keeps only the public half to verify requests), WeChat Pay's platform key (public-key mode: PUB_KEY_ID_...;
// certificate mode: a self-signed certificate), the APIv3 key, the Alipay app key pair and Alipay's own
// pair. `env` is what the Worker reads (names as in workers/env.ts); `config` is what the sandbox reads.

import { b64encode, generateRsaPem, pemToDer, randomNonce } from '../../workers/payments/crypto'
import { cnDateCompact, randomDigits, randomHex } from './state'
import { selfSignedCertificate } from './x509'

export type WechatMode = 'public_key' | 'certificate'

export interface SandboxConfig {
  wechatMode: WechatMode
  wechat: {
    mchid: string
    appid: string
    appSecret: string
    /** Serial of the merchant API certificate: requests must name it in serial_no. */
    mchSerial: string
    mchPublicKeyPem: string
    /** 32 ASCII characters: encrypts notify resources and /v3/certificates. */
    apiV3Key: string
    platformPrivateKeyPem: string
    platformPublicKeyPem: string
    /** Wechatpay-Serial of responses and notifies: PUB_KEY_ID_... or the certificate's serial. */
    platformSerial: string
    /** Certificate mode only. */
    platformCertPem?: string
    platformCertNotBefore?: number
    platformCertNotAfter?: number
  }
  alipay: {
    appId: string
    /** The merchant's PID (2088...), seller_id in notifies. */
    sellerId: string
    /** Verifies our requests. */
    appPublicKeyPem: string
    /** Signs responses and notifies. */
    alipayPrivateKeyPem: string
    alipayPublicKeyPem: string
  }
}

export interface SandboxKeys {
  config: SandboxConfig
  env: Record<string, string>
}

/** Bare Base64 of a PEM's DER: how Alipay's console hands out keys (one line, .dev.vars friendly). */
const bareBase64 = (pem: string): string => b64encode(pemToDer(pem))

export async function generateSandboxKeys(opts: { wechatMode?: WechatMode } = {}): Promise<SandboxKeys> {
  const wechatMode = opts.wechatMode ?? 'public_key'
  const [merchant, platform, app, alipay] = await Promise.all([
    generateRsaPem(),
    generateRsaPem(),
    generateRsaPem(),
    generateRsaPem(),
  ])
  const now = Date.now()
  const mchid = `19${randomDigits(8)}`
  const cert =
    wechatMode === 'certificate'
      ? await selfSignedCertificate({
          privatePem: platform.privatePem,
          publicPem: platform.publicPem,
          commonName: 'Tenpay.com Root CA',
        })
      : undefined
  // PUB_KEY_ID_ + 34 digits, e.g. PUB_KEY_ID_0000000000000024101100397200000006.
  const pubKeyId = `PUB_KEY_ID_01${mchid}${cnDateCompact(now)}${randomDigits(14)}`
  const config: SandboxConfig = {
    wechatMode,
    wechat: {
      mchid,
      appid: `wx${randomHex(16)}`,
      appSecret: randomHex(32),
      mchSerial: randomHex(40).toUpperCase(),
      mchPublicKeyPem: merchant.publicPem,
      apiV3Key: randomNonce(32),
      platformPrivateKeyPem: platform.privatePem,
      platformPublicKeyPem: platform.publicPem,
      platformSerial: cert ? cert.serialHex : pubKeyId,
      ...(cert
        ? {
            platformCertPem: cert.pem,
            platformCertNotBefore: cert.notBefore,
            platformCertNotAfter: cert.notAfter,
          }
        : {}),
    },
    alipay: {
      appId: `2021${randomDigits(12)}`,
      sellerId: `2088${randomDigits(12)}`,
      appPublicKeyPem: app.publicPem,
      alipayPrivateKeyPem: alipay.privatePem,
      alipayPublicKeyPem: alipay.publicPem,
    },
  }
  const env: Record<string, string> = {
    WECHAT_MCHID: config.wechat.mchid,
    WECHAT_APPID: config.wechat.appid,
    WECHAT_APP_SECRET: config.wechat.appSecret,
    WECHAT_MCH_SERIAL: config.wechat.mchSerial,
    WECHAT_MCH_PRIVATE_KEY: merchant.privatePem,
    WECHAT_API_V3_KEY: config.wechat.apiV3Key,
    ...(cert
      ? { WECHAT_PLATFORM_CERTS: cert.pem }
      : { WECHAT_PAY_PUBLIC_KEY_ID: pubKeyId, WECHAT_PAY_PUBLIC_KEY: platform.publicPem }),
    ALIPAY_APP_ID: config.alipay.appId,
    ALIPAY_SELLER_ID: config.alipay.sellerId,
    ALIPAY_APP_PRIVATE_KEY: bareBase64(app.privatePem),
    ALIPAY_PUBLIC_KEY: bareBase64(alipay.publicPem),
  }
  return { config, env }
}

/** The Worker's env for a sandbox listening at `base`: the keys plus the three endpoint overrides. */
export function sandboxEnv(keys: SandboxKeys, base: string): Record<string, string> {
  const b = base.replace(/\/+$/, '')
  return { ...keys.env, WECHAT_API_BASE: b, WECHAT_OAUTH_BASE: b, ALIPAY_GATEWAY: `${b}/gateway.do` }
}

/** `KEY="value"` lines for .dev.vars (dotenv: newlines of PEMs written as \n inside double quotes). */
export function formatDevVars(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => (v.includes('\n') ? `${k}="${v.replace(/\n/g, '\\n')}"` : `${k}=${v}`))
    .join('\n')
}
