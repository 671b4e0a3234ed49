// HTTP client for /api/v1: JSON in and out, `{ error: { code, message } }` bodies become ApiError.

export class ApiError extends Error {
  readonly code: string
  readonly status: number
  readonly details: Record<string, unknown> | undefined
  constructor(code: string, message: string, status = 0, details?: Record<string, unknown>) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.status = status
    this.details = details
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  body?: unknown
  token?: string | null
  idempotencyKey?: string
}

// Why: a request stuck on a flaky mobile network should fail and let the diner retry, not spin forever.
const TIMEOUT_MS = 15_000

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey
  let res: Response
  try {
    res = await fetch(path, {
      method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (e) {
    const timeout = e instanceof DOMException && e.name === 'TimeoutError'
    throw new ApiError(
      timeout ? 'TIMEOUT' : 'NETWORK',
      timeout ? '请求超时，请重试' : '网络异常，请检查网络后重试',
    )
  }
  const text = await res.text()
  let data: unknown = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    // A proxy or platform error page: fall through with the status alone.
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error
    throw new ApiError(
      typeof err?.code === 'string' ? err.code : `HTTP_${res.status}`,
      typeof err?.message === 'string' ? err.message : `请求失败 (${res.status})`,
      res.status,
      err?.details && typeof err.details === 'object' ? (err.details as Record<string, unknown>) : undefined,
    )
  }
  return data as T
}

/** Random v4 uuid; crypto.randomUUID needs a secure context, which a LAN http:// demo is not. */
export function uuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** ws(s)://<this host><path>?token=… (browsers cannot set headers on a WebSocket). */
export function socketUrl(path: string, token: string): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${location.host}${path}?token=${encodeURIComponent(token)}`
}
