// Test helpers for the sandbox's own tests: a minimal WeChat v3 signer/verifier and Alipay RSA2
// signer/verifier written directly on the crypto.ts primitives (independent of the real clients), a
// capture server to receive notifies, and a poller.

import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  importPrivateKey,
  importPublicKey,
  randomNonce,
  rsaSign,
  rsaVerify,
} from '../../workers/payments/crypto'
import { alipaySignContent } from './alipay'
import type { RunningPaymentSandbox } from './server'
import { cnDateTime } from './state'

/** Parsed JSON in tests, read field by field. */
// biome-ignore lint/suspicious/noExplicitAny: assertions check the shape
export type Loose = any

export interface WechatReply {
  status: number
  headers: Headers
  text: string
  json: () => Loose
}

export async function getJson(url: string, init?: RequestInit): Promise<Loose> {
  return (await fetch(url, init)).json()
}

export async function wechatTestClient(sb: RunningPaymentSandbox) {
  const env = sb.env
  const merchantKey = await importPrivateKey(env.WECHAT_MCH_PRIVATE_KEY as string)
  const platformKey = await importPublicKey(
    (env.WECHAT_PAY_PUBLIC_KEY ?? env.WECHAT_PLATFORM_CERTS) as string,
  )

  async function authorization(
    method: string,
    pathAndQuery: string,
    body: string,
    opts: { ts?: number; key?: CryptoKey } = {},
  ) {
    const ts = String(opts.ts ?? Math.floor(Date.now() / 1000))
    const nonce = randomNonce(32)
    const signature = await rsaSign(
      opts.key ?? merchantKey,
      `${method}\n${pathAndQuery}\n${ts}\n${nonce}\n${body}\n`,
    )
    return `WECHATPAY2-SHA256-RSA2048 mchid="${env.WECHAT_MCHID}",nonce_str="${nonce}",signature="${signature}",timestamp="${ts}",serial_no="${env.WECHAT_MCH_SERIAL}"`
  }

  async function request(
    method: 'GET' | 'POST',
    pathAndQuery: string,
    body?: unknown,
    opts: { ts?: number; key?: CryptoKey; authorization?: string } = {},
  ): Promise<WechatReply> {
    const text = body === undefined ? '' : JSON.stringify(body)
    const res = await fetch(`${sb.base}${pathAndQuery}`, {
      method,
      headers: {
        Accept: 'application/json',
        ...(text ? { 'Content-Type': 'application/json' } : {}),
        Authorization: opts.authorization ?? (await authorization(method, pathAndQuery, text, opts)),
      },
      ...(text ? { body: text } : {}),
    })
    const out = await res.text()
    return { status: res.status, headers: res.headers, text: out, json: () => JSON.parse(out) }
  }

  /** Verify a response or notify: "TIMESTAMP\nNONCE\nBODY\n" with the platform key. */
  async function verify(headers: Headers, body: string): Promise<boolean> {
    const ts = headers.get('wechatpay-timestamp')
    const nonce = headers.get('wechatpay-nonce')
    const sig = headers.get('wechatpay-signature')
    if (!ts || !nonce || !sig) return false
    return rsaVerify(platformKey, `${ts}\n${nonce}\n${body}\n`, sig)
  }

  return { request, verify, authorization, merchantKey }
}

export async function alipayTestClient(sb: RunningPaymentSandbox) {
  const env = sb.env
  const appKey = await importPrivateKey(env.ALIPAY_APP_PRIVATE_KEY as string)
  const alipayKey = await importPublicKey(env.ALIPAY_PUBLIC_KEY as string)

  async function signed(method: string, biz: unknown, extra: Record<string, string> = {}, key = appKey) {
    const params: Record<string, string> = {
      app_id: env.ALIPAY_APP_ID as string,
      method,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: cnDateTime(Date.now()),
      version: '1.0',
      ...(biz === undefined ? {} : { biz_content: JSON.stringify(biz) }),
      ...extra,
    }
    return { ...params, sign: await rsaSign(key, alipaySignContent(params)) }
  }

  /** As the official SDK sends it: common params in the query, biz_content in the form body. */
  async function call(method: string, biz: unknown, extra: Record<string, string> = {}, key = appKey) {
    const params: Record<string, string> = await signed(method, biz, extra, key)
    const { biz_content, ...common } = params
    const res = await fetch(`${sb.base}/gateway.do?${new URLSearchParams(common)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8' },
      body: new URLSearchParams(biz_content ? { biz_content } : {}).toString(),
    })
    const text = await res.text()
    const parsed = JSON.parse(text) as Record<string, unknown>
    const key2 = `${method.replaceAll('.', '_')}_response`
    const responseKey = key2 in parsed ? key2 : 'error_response'
    const start = text.indexOf(`"${responseKey}":`) + responseKey.length + 3
    const end = text.lastIndexOf(',"sign":"')
    const verified =
      typeof parsed.sign === 'string' && (await rsaVerify(alipayKey, text.slice(start, end), parsed.sign))
    return {
      status: res.status,
      text,
      responseKey,
      body: parsed[responseKey] as Record<string, unknown>,
      verified,
    }
  }

  /** Verify a notify or a return URL's params (rsaCheckV1: without sign and sign_type). */
  async function verifyParams(params: Record<string, string>): Promise<boolean> {
    return rsaVerify(alipayKey, alipaySignContent(params, ['sign', 'sign_type']), params.sign ?? '')
  }

  return { call, signed, verifyParams, appKey }
}

export interface Captured {
  method: string
  path: string
  headers: Headers
  body: string
  at: number
}

/** A tiny notify target: records every request and answers with `reply` (default 200, empty body). */
export async function captureServer() {
  const requests: Captured[] = []
  let reply: (r: Captured) => { status: number; body: string } = () => ({ status: 200, body: '' })
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const headers = new Headers()
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v)
    const captured: Captured = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: Date.now(),
    }
    requests.push(captured)
    const r = reply(captured)
    res.writeHead(r.status, { 'Content-Type': 'text/plain' }).end(r.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    setReply(fn: typeof reply) {
      reply = fn
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export async function waitFor<T>(
  fn: () => T | undefined | false,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
