// node:http around PaymentSandbox.fetch: for `npm start` (the H5 diner pays on the sandbox's cashier) and
// for tests (a live sandbox on a free port, its env ready for wechatFromEnv / alipayFromEnv).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateSandboxKeys, type SandboxKeys, sandboxEnv, type WechatMode } from './keys'
import { PaymentSandbox } from './sandbox'

export interface StartPaymentSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number
  /** Host to bind; default 127.0.0.1. */
  host?: string
  /** The base URL others use (a phone on the LAN opening the cashier), when it differs from the bound host. */
  publicBase?: string
  keys?: SandboxKeys
  timeScale?: number
  /** Used only when `keys` is not given. */
  wechatMode?: WechatMode
  /** How long a WeChat refund stays PROCESSING, in ms before scaling (default 3000). */
  refundDelayMs?: number
}

export interface RunningPaymentSandbox {
  /** http://127.0.0.1:<port> */
  base: string
  keys: SandboxKeys
  /** keys.env plus WECHAT_API_BASE, WECHAT_OAUTH_BASE and ALIPAY_GATEWAY pointing here. */
  env: Record<string, string>
  sandbox: PaymentSandbox
  stop(): Promise<void>
}

export async function startPaymentSandbox(
  opts: StartPaymentSandboxOptions = {},
): Promise<RunningPaymentSandbox> {
  const keys = opts.keys ?? (await generateSandboxKeys({ wechatMode: opts.wechatMode ?? 'public_key' }))
  let sandbox: PaymentSandbox | undefined
  const server = createServer((req, res) => {
    if (!sandbox) {
      res.writeHead(503).end()
      return
    }
    void handle(sandbox, req, res)
  })
  const host = opts.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const base = opts.publicBase ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  sandbox = new PaymentSandbox({
    keys,
    base,
    ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}),
    ...(opts.refundDelayMs !== undefined ? { refundDelayMs: opts.refundDelayMs } : {}),
  })
  const running = sandbox
  return {
    base,
    keys,
    env: sandboxEnv(keys, base),
    sandbox: running,
    stop: async () => {
      running.stop()
      server.closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

async function handle(sandbox: PaymentSandbox, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const headers = new Headers()
    for (const [k, v] of Object.entries(req.headers)) {
      if (Array.isArray(v)) for (const x of v) headers.append(k, x)
      else if (v !== undefined) headers.set(k, v)
    }
    const method = req.method ?? 'GET'
    const request = new Request(`${sandbox.base}${req.url ?? '/'}`, {
      method,
      headers,
      ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
    })
    const response = await sandbox.fetch(request)
    const out: Record<string, string> = {}
    response.headers.forEach((v, k) => {
      out[k] = v
    })
    res.writeHead(response.status, out)
    res.end(Buffer.from(await response.arrayBuffer()))
  } catch (err) {
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' })
    res.end(err instanceof Error ? err.message : String(err))
  }
}
