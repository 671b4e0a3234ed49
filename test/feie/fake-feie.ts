// A local stand-in for Feie's open API (http://api.feieyun.cn/Api/Open/) on node:http, for driver tests
// over real HTTP. It checks what the real service checks first (account, stime, sig = sha1(user + UKEY +
// stime)), keeps printers with a status each, records what was printed, and can be told to misbehave.
//
// The response shapes and status sentences follow Feie's published demo; the non-zero ret codes below are
// this fake's own, since a caller must treat any ret != 0 alike.

import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type FakePrinterState = 'online' | 'offline' | 'paper_out'

export const FAKE_RET = {
  UNKNOWN_USER: -2,
  BAD_PARAMS: 1001,
  BAD_SIG: 1002,
  UNKNOWN_PRINTER: 1003,
  UNKNOWN_ORDER: 1004,
  UNKNOWN_API: 1005,
} as const

/** The three sentences Open_queryPrinterStatus answers on the Chinese station. */
export const STATUS_TEXT: Record<FakePrinterState, string> = {
  offline: '离线。',
  online: '在线，工作状态正常。',
  paper_out: '在线，工作状态不正常。',
}

export interface FakePrint {
  orderId: string
  sn: string
  content: string
  times: number
  printed: boolean
}

export interface FakeRequest {
  contentType: string | undefined
  fields: Record<string, string>
}

/** One-shot misbehaviour for the next request(s). */
export type FakeFault =
  | { kind: 'http'; status: number }
  | { kind: 'ret'; ret: number; msg: string }
  | { kind: 'garbage' }
  /** Closes the connection without answering. */
  | { kind: 'reset' }
  /** Answers normally after delayMs (longer than the client's timeout to test it). */
  | { kind: 'delay'; delayMs: number }

export interface FakeFeieOptions {
  /** user -> UKEY. */
  accounts: Record<string, string>
  /** sn -> state; printers not listed are unknown to the account. */
  printers?: Record<string, FakePrinterState>
  /** Seconds a stime may differ from the fake's clock; undefined skips the check. */
  maxSkewSeconds?: number
  now?: () => number
}

export interface FakeFeie {
  url: string
  requests: FakeRequest[]
  prints: FakePrint[]
  setPrinter(sn: string, state: FakePrinterState): void
  /** Queues a fault for the next request; several queue in order. */
  fault(f: FakeFault): void
  close(): Promise<void>
}

export async function startFakeFeie(opts: FakeFeieOptions): Promise<FakeFeie> {
  const printers = new Map(Object.entries(opts.printers ?? {}))
  const prints: FakePrint[] = []
  const requests: FakeRequest[] = []
  const faults: FakeFault[] = []
  const now = opts.now ?? Date.now
  let seq = 0

  /** A printer prints what is queued for it as soon as it is online with paper. */
  function flush(sn: string) {
    if (printers.get(sn) !== 'online') return
    for (const p of prints) if (p.sn === sn) p.printed = true
  }

  function handle(fields: Record<string, string>): { ret: number; msg: string; data: unknown } {
    const fail = (ret: number, msg: string) => ({ ret, msg, data: null })
    const { user, stime, sig, apiname } = fields
    if (!user || !stime || !sig || !apiname) return fail(FAKE_RET.BAD_PARAMS, '参数错误 : 缺少公共参数。')
    const ukey = opts.accounts[user]
    if (ukey === undefined) return fail(FAKE_RET.UNKNOWN_USER, '参数错误 : 该帐号未注册.')
    if (!/^\d{10}$/.test(stime)) return fail(FAKE_RET.BAD_PARAMS, '参数错误 : 时间格式不正确。')
    if (opts.maxSkewSeconds !== undefined && Math.abs(Number(stime) - now() / 1000) > opts.maxSkewSeconds) {
      return fail(FAKE_RET.BAD_PARAMS, '参数错误 : 时间戳已过期。')
    }
    const expected = createHash('sha1')
      .update(user + ukey + stime, 'utf8')
      .digest('hex')
    if (sig !== expected) return fail(FAKE_RET.BAD_SIG, '参数错误 : sig 签名错误。')

    switch (apiname) {
      case 'Open_printMsg': {
        const { sn, content } = fields
        const times = Number(fields.times ?? '1')
        if (!sn || !printers.has(sn)) return fail(FAKE_RET.UNKNOWN_PRINTER, '参数错误 : 打印机编号不存在。')
        if (!content) return fail(FAKE_RET.BAD_PARAMS, '参数错误 : 打印内容不能为空。')
        if (!Number.isInteger(times) || times < 1 || times > 65535) {
          return fail(FAKE_RET.BAD_PARAMS, '参数错误 : 打印联数不正确。')
        }
        // Feie's order ids look like "<sn>_<yyyyMMddHHmmss>_<random>".
        const orderId = `${sn}_${stamp(now())}_${String(1_000_000_000 + ++seq)}`
        prints.push({ orderId, sn, content, times, printed: false })
        flush(sn)
        return { ret: 0, msg: 'ok', data: orderId }
      }
      case 'Open_queryPrinterStatus': {
        const state = fields.sn ? printers.get(fields.sn) : undefined
        if (!state) return fail(FAKE_RET.UNKNOWN_PRINTER, '参数错误 : 打印机编号不存在。')
        return { ret: 0, msg: 'ok', data: STATUS_TEXT[state] }
      }
      case 'Open_queryOrderState': {
        const p = prints.find((x) => x.orderId === fields.orderid)
        if (!p) return fail(FAKE_RET.UNKNOWN_ORDER, '参数错误 : 订单编号不存在。')
        return { ret: 0, msg: 'ok', data: p.printed }
      }
      default:
        return fail(FAKE_RET.UNKNOWN_API, '参数错误 : apiname 不存在。')
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const fields = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
    requests.push({ contentType: req.headers['content-type'], fields })
    const fault = faults.shift()

    if (fault?.kind === 'reset') {
      req.socket.destroy()
      return
    }
    if (fault?.kind === 'http') {
      res.writeHead(fault.status, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>')
      return
    }
    if (fault?.kind === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>')
      return
    }
    if (req.method !== 'POST' || req.url !== '/Api/Open/') {
      res.writeHead(404).end()
      return
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.delayMs))
    const answer = fault?.kind === 'ret' ? { ret: fault.ret, msg: fault.msg, data: null } : handle(fields)
    const body = JSON.stringify({ ...answer, serverExecutedTime: 3 })
    if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body)
  }

  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch(() => res.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/Api/Open/`,
    requests,
    prints,
    setPrinter(sn, state) {
      printers.set(sn, state)
      flush(sn)
    },
    fault(f) {
      faults.push(f)
    },
    close() {
      // Delayed answers would keep close() waiting; drop every connection.
      server.closeAllConnections()
      return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())))
    },
  }
}

/** yyyyMMddHHmmss in Beijing time, as in Feie's order ids. */
function stamp(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14)
}
