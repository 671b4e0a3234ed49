// 飞鹅 (Feie) cloud printer driver: fetch + Web Crypto only, so it runs in a Worker or a Durable Object.
//
// Protocol (Feie open API, "Api/Open"): every call is a form-encoded POST to one endpoint with the public
// parameters user, stime (unix seconds), sig = sha1(user + UKEY + stime) as 40 lowercase hex digits, and
// apiname; the answer is JSON { ret, msg, data, serverExecutedTime } where ret 0 means success.
//   Open_printMsg            sn, content, times -> data: Feie's order id, e.g. "316500004_20160823165104_1853029628"
//   Open_queryPrinterStatus  sn                 -> data: "离线。" | "在线，工作状态正常。" | "在线，工作状态不正常。"
//   Open_queryOrderState     orderid            -> data: true (printed) | false (not yet)

/** The mainland endpoint. Accounts registered on another station (e.g. api.de.feieyun.com) pass theirs. */
export const FEIE_ENDPOINT = 'http://api.feieyun.cn/Api/Open/'

/** Feie answers in a few hundred ms; a kitchen ticket that takes longer is better retried than waited for. */
const DEFAULT_TIMEOUT_MS = 8_000

export type FeiePrinterStatus = 'ok' | 'offline' | 'paper_out' | 'error'

export type FeieErrorKind =
  /** The request never got an answer: DNS, connection refused, reset. Retryable. */
  | 'network'
  /** No answer within the timeout. Retryable; a print may still have reached Feie (check orderPrinted). */
  | 'timeout'
  /** HTTP 5xx or 429 from Feie. Retryable. */
  | 'http'
  /** Feie answered ret != 0: bad signature, unknown sn, content too long ... Retrying the same call won't help. */
  | 'api'
  /** An answer that is not Feie's JSON shape, or HTTP 4xx other than 429: our request or the endpoint is wrong. Not retryable. */
  | 'protocol'

export interface FeieErrorInit {
  kind: FeieErrorKind
  message: string
  /** The apiname that failed. */
  apiname: string
  /** Feie's ret when it answered (kind 'api'). */
  ret?: number
  /** Feie's msg when it answered (kind 'api'). */
  msg?: string
  /** HTTP status when the transport answered. */
  status?: number
  cause?: unknown
}

export class FeieError extends Error {
  override readonly name = 'FeieError'
  readonly kind: FeieErrorKind
  readonly apiname: string
  readonly ret: number | undefined
  readonly msg: string | undefined
  readonly status: number | undefined

  constructor(init: FeieErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.kind = init.kind
    this.apiname = init.apiname
    this.ret = init.ret
    this.msg = init.msg
    this.status = init.status
  }

  /** Whether the same call may succeed later: transport trouble yes, an answer from Feie no. */
  get retryable(): boolean {
    return this.kind === 'network' || this.kind === 'timeout' || this.kind === 'http'
  }
}

export interface FeieClientOptions {
  /** The Feie account (USER): the e-mail or phone number registered at the Feie console. */
  user: string
  /** The account's UKEY from the Feie console. Never sent over the wire, only hashed into sig. */
  ukey: string
  endpoint?: string
  fetch?: typeof fetch
  /** Epoch ms; stime is derived from it. */
  now?: () => number
  /** Per-call timeout in ms (default 8 s). */
  timeoutMs?: number
}

export interface FeieClient {
  /** Queues content on printer sn, `times` copies (联数). Returns Feie's order id for orderPrinted. */
  print(sn: string, content: string, times?: number): Promise<{ orderId: string }>
  printerStatus(sn: string): Promise<FeiePrinterStatus>
  /** Whether Feie's order (from print) has come out of the printer. */
  orderPrinted(feieOrderId: string): Promise<boolean>
}

interface FeieResponse {
  ret: number
  msg?: string
  data: unknown
  serverExecutedTime?: number
}

/** sha1(user + ukey + stime) as 40 lowercase hex digits. Exported for the fake server and tests. */
export async function feieSig(user: string, ukey: string, stime: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(user + ukey + stime))
  let hex = ''
  for (const b of new Uint8Array(digest)) hex += b.toString(16).padStart(2, '0')
  return hex
}

/**
 * Maps Feie's status sentence. The Asia-Pacific station answers in Chinese ("离线。", "在线，工作状态正常。",
 * "在线，工作状态不正常。"), others in English; "abnormal" is, per Feie's notes, nearly always no paper.
 */
export function parseFeieStatus(data: unknown): FeiePrinterStatus {
  if (typeof data !== 'string') return 'error'
  const s = data.trim()
  if (s.includes('离线') || /off-?line/i.test(s)) return 'offline'
  if (s.includes('不正常') || /abnormal|not normal/i.test(s)) return 'paper_out'
  if (s.includes('正常') || /normal/i.test(s)) return 'ok'
  return 'error'
}

export function feieClient(opts: FeieClientOptions): FeieClient {
  const endpoint = opts.endpoint ?? FEIE_ENDPOINT
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init))
  const now = opts.now ?? Date.now
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS

  async function call(apiname: string, params: Record<string, string>): Promise<FeieResponse> {
    const stime = String(Math.floor(now() / 1000))
    const body = new URLSearchParams({
      user: opts.user,
      stime,
      sig: await feieSig(opts.user, opts.ukey, stime),
      apiname,
      ...params,
    })
    const transportError = (e: unknown, status?: number) =>
      isTimeout(e)
        ? new FeieError({
            kind: 'timeout',
            message: `${apiname}: no answer within ${timeoutMs} ms`,
            apiname,
            status,
            cause: e,
          })
        : new FeieError({
            kind: 'network',
            message: `${apiname}: ${errorText(e)}`,
            apiname,
            status,
            cause: e,
          })

    let res: Response
    let text: string
    try {
      // One signal covers the headers and the body: a server that stalls mid-body times out too.
      res = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: body.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (e) {
      throw transportError(e)
    }
    try {
      text = await res.text()
    } catch (e) {
      throw transportError(e, res.status)
    }
    if (!res.ok) {
      // 5xx and 429 are Feie's (or its proxy's) trouble and pass; another 4xx means our request is wrong.
      const passing = res.status >= 500 || res.status === 429
      throw new FeieError({
        kind: passing ? 'http' : 'protocol',
        message: `${apiname}: HTTP ${res.status}`,
        apiname,
        status: res.status,
      })
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (e) {
      throw new FeieError({
        kind: 'protocol',
        message: `${apiname}: answer is not JSON`,
        apiname,
        status: res.status,
        cause: e,
      })
    }
    if (!isFeieResponse(json)) {
      throw new FeieError({
        kind: 'protocol',
        message: `${apiname}: answer lacks a numeric ret`,
        apiname,
        status: res.status,
      })
    }
    if (json.ret !== 0) {
      throw new FeieError({
        kind: 'api',
        message: `${apiname}: ret ${json.ret}: ${json.msg ?? ''}`,
        apiname,
        ret: json.ret,
        msg: json.msg,
        status: res.status,
      })
    }
    return json
  }

  return {
    async print(sn, content, times = 1) {
      // Feie accepts 1..65535 copies; anything else is our bug, not a request to send.
      if (!Number.isInteger(times) || times < 1 || times > 65535) {
        throw new RangeError(`times must be an integer from 1 to 65535, got ${times}`)
      }
      const apiname = 'Open_printMsg'
      const r = await call(apiname, { sn, content, times: String(times) })
      if (typeof r.data !== 'string' || r.data === '') {
        throw new FeieError({
          kind: 'protocol',
          message: `${apiname}: no order id in data`,
          apiname,
          ret: r.ret,
          msg: r.msg,
        })
      }
      return { orderId: r.data }
    },
    async printerStatus(sn) {
      const r = await call('Open_queryPrinterStatus', { sn })
      return parseFeieStatus(r.data)
    },
    async orderPrinted(feieOrderId) {
      const apiname = 'Open_queryOrderState'
      const r = await call(apiname, { orderid: feieOrderId })
      if (typeof r.data !== 'boolean') {
        throw new FeieError({
          kind: 'protocol',
          message: `${apiname}: data is not a boolean`,
          apiname,
          ret: r.ret,
          msg: r.msg,
        })
      }
      return r.data
    },
  }
}

function isTimeout(e: unknown): boolean {
  // AbortSignal.timeout rejects with a DOMException named TimeoutError (AbortError in older runtimes).
  return e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')
}

function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e)
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : ''
  return e.message + cause
}

function isFeieResponse(v: unknown): v is FeieResponse {
  if (typeof v !== 'object' || v === null) return false
  const o = v as Record<string, unknown>
  return typeof o.ret === 'number' && (typeof o.msg === 'string' || o.msg === undefined)
}
