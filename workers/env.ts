import type { StoreDO } from '../durable-objects/store'
import type { TableDO } from '../durable-objects/table'

export interface Env {
  STORE: DurableObjectNamespace<StoreDO>
  TABLE: DurableObjectNamespace<TableDO>
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
}
