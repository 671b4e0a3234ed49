// The providers this deployment is configured for, built once per isolate from the environment (importing
// RSA keys costs milliseconds; a notify should not pay that each time).
import type { ProviderName } from '../../core/payment-types'
import type { Env } from '../env'
import { alipayFromEnv } from './alipay'
import { PAY_CHANNELS, type PaymentProvider } from './provider'
import { wechatFromEnv } from './wechat'

export type PaymentEnv = Pick<
  Env,
  | 'PUBLIC_BASE_URL'
  | 'PAYMENT_NOTIFY_BASE'
  | 'PAYMENT_TIME_SCALE'
  | 'WECHAT_MCHID'
  | 'WECHAT_APPID'
  | 'WECHAT_APP_SECRET'
  | 'WECHAT_MCH_SERIAL'
  | 'WECHAT_MCH_PRIVATE_KEY'
  | 'WECHAT_API_V3_KEY'
  | 'WECHAT_PAY_PUBLIC_KEY_ID'
  | 'WECHAT_PAY_PUBLIC_KEY'
  | 'WECHAT_PLATFORM_CERTS'
  | 'WECHAT_API_BASE'
  | 'WECHAT_OAUTH_BASE'
  | 'ALIPAY_APP_ID'
  | 'ALIPAY_SELLER_ID'
  | 'ALIPAY_APP_PRIVATE_KEY'
  | 'ALIPAY_PUBLIC_KEY'
  | 'ALIPAY_GATEWAY'
>

const cache = new Map<string, PaymentProvider | null>()

/** The provider, or null when this deployment has no merchant account for it. */
export function paymentProvider(env: PaymentEnv, name: ProviderName): PaymentProvider | null {
  // Keyed by the settings that make a provider, so tests with several sandboxes never share one.
  const key =
    name === 'wechat'
      ? `wechat|${env.WECHAT_MCHID}|${env.WECHAT_MCH_SERIAL}|${env.WECHAT_API_BASE}|${notifyBase(env)}|${env.WECHAT_PAY_PUBLIC_KEY_ID}`
      : `alipay|${env.ALIPAY_APP_ID}|${env.ALIPAY_GATEWAY}|${notifyBase(env)}|${env.ALIPAY_PUBLIC_KEY?.length}`
  if (!cache.has(key)) {
    const withBase = { ...env, PAYMENT_NOTIFY_BASE: notifyBase(env) } as Env
    cache.set(key, name === 'wechat' ? wechatFromEnv(withBase) : alipayFromEnv(withBase))
  }
  return cache.get(key) ?? null
}

/** What the diner's page may offer. */
export function configuredProviders(env: PaymentEnv): { provider: ProviderName; channels: string[] }[] {
  const out: { provider: ProviderName; channels: string[] }[] = []
  if (env.WECHAT_MCHID) out.push({ provider: 'wechat', channels: [...PAY_CHANNELS.wechat] })
  if (env.ALIPAY_APP_ID) out.push({ provider: 'alipay', channels: [...PAY_CHANNELS.alipay] })
  return out
}

export function notifyBase(env: PaymentEnv): string {
  return (env.PAYMENT_NOTIFY_BASE || env.PUBLIC_BASE_URL).replace(/\/+$/, '')
}

/** Tests and the local sandbox compress payment timers; production leaves it at 1. */
export function paymentTimeScale(env: PaymentEnv): number {
  const v = Number(env.PAYMENT_TIME_SCALE ?? '1')
  return Number.isFinite(v) && v > 0 ? v : 1
}
