import type { CustomerDO } from '../durable-objects/customer'
import type { GeoCellDO } from '../durable-objects/geo-cell'
import type { RiderDO } from '../durable-objects/rider'
import type { StoreDO } from '../durable-objects/store'
import type { StoreIndexDO } from '../durable-objects/store-index'
import type { TableDO } from '../durable-objects/table'

export interface Env {
  STORE: DurableObjectNamespace<StoreDO>
  TABLE: DurableObjectNamespace<TableDO>
  /** One per rider id: duty, position stream, offers, tasks. */
  RIDER: DurableObjectNamespace<RiderDO>
  /** One per geohash-5 cell: riders present and the delivery jobs of its stores; dispatch batches. */
  GEOCELL: DurableObjectNamespace<GeoCellDO>
  /** One per delivery/pickup customer: sealed saved addresses and which store each order is in. */
  CUSTOMER: DurableObjectNamespace<CustomerDO>
  /** One per geohash cell (5 or 4 characters): the stores delivering into it, for the nearby list. */
  STORE_INDEX: DurableObjectNamespace<StoreIndexDO>
  ASSETS: Fetcher
  LOGIN_LIMIT: RateLimit
  ORDER_LIMIT: RateLimit
  /** Signs session tokens. Secret. */
  TOKEN_SECRET: string
  /** Signs table QR codes. Secret; rotating it invalidates printed codes. */
  TABLE_CODE_SECRET: string
  /** Platform operator's bearer token for /api/v1/admin. Secret. */
  ADMIN_TOKEN: string
  PUBLIC_BASE_URL: string
  /** Postgres for history (Neon pooled URL in production). Unset: history waits in the outboxes. */
  DATABASE_URL?: string
  /** Local development only: host:port of the WebSocket-to-TCP proxy in front of a plain Postgres. */
  NEON_WS_PROXY?: string
  /** Feie (飞鹅) cloud printers: the account and its UKEY (secret). Only needed for stores using them. */
  FEIE_USER?: string
  FEIE_UKEY?: string
  /** Override of Feie's API endpoint (tests and a local fake). */
  FEIE_ENDPOINT?: string

  // ---- payments (README "Payments"); unset provider = that provider is not offered ----
  /** Where providers send callbacks: https://your.domain (paths /api/v1/payments/... are fixed). Default PUBLIC_BASE_URL. */
  PAYMENT_NOTIFY_BASE?: string
  /** Tests and the local sandbox only: multiplies payment timers (query backoff, close window, refund retry). */
  PAYMENT_TIME_SCALE?: string
  /** WeChat Pay API v3, direct merchant (直连商户). */
  WECHAT_MCHID?: string
  WECHAT_APPID?: string
  /** Mini-program AppSecret for code2Session. Secret. */
  WECHAT_APP_SECRET?: string
  /** Serial number of the merchant API certificate (apiclient_cert.pem). */
  WECHAT_MCH_SERIAL?: string
  /** Merchant API private key, PKCS#8 PEM (apiclient_key.pem). Secret. */
  WECHAT_MCH_PRIVATE_KEY?: string
  /** APIv3 key (32 bytes) that encrypts callbacks and certificates. Secret. */
  WECHAT_API_V3_KEY?: string
  /** WeChat Pay public key mode: PUB_KEY_ID_... and the PEM (pub_key.pem). */
  WECHAT_PAY_PUBLIC_KEY_ID?: string
  WECHAT_PAY_PUBLIC_KEY?: string
  /** Platform-certificate mode: PEM certificates (concatenated); more are fetched from /v3/certificates. */
  WECHAT_PLATFORM_CERTS?: string
  /** Override of https://api.mch.weixin.qq.com (the sandbox locally). */
  WECHAT_API_BASE?: string
  /** Override of https://api.weixin.qq.com for code2Session (the sandbox locally). */
  WECHAT_OAUTH_BASE?: string
  /** Alipay OpenAPI (RSA2). */
  ALIPAY_APP_ID?: string
  /** The merchant's PID (2088...), checked as seller_id on notifies. */
  ALIPAY_SELLER_ID?: string
  /** App private key (PKCS#8 or PKCS#1, PEM or bare Base64). Secret. */
  ALIPAY_APP_PRIVATE_KEY?: string
  /** Alipay's public key (支付宝公钥), verifies notifies and responses. */
  ALIPAY_PUBLIC_KEY?: string
  /** Override of https://openapi.alipay.com/gateway.do (the sandbox locally). */
  ALIPAY_GATEWAY?: string

  // ---- riders and dispatch ----
  /**
   * Encrypts personal data at rest (rider names and phones, customer phones): AES-256-GCM with a key derived
   * by HKDF from this secret (workers/auth/pii.ts). Secret; rotating it makes stored values unreadable.
   * Unset (local development): derived from TOKEN_SECRET under a different label, never for production.
   */
  PII_KEY?: string
  /** 'offer' (a rider accepts or declines within the timeout) or 'grab' (抢单: first to grab wins). Default offer. */
  DISPATCH_MODE?: string
  /** How long a rider has to answer an offer (ms). Default 30000. */
  DISPATCH_OFFER_TIMEOUT_MS?: string
  /** Time between dispatch batches in a cell while jobs wait (ms). Default 5000. */
  DISPATCH_BATCH_MS?: string
}
