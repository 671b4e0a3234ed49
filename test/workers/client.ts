// Test client: talks to the Worker through its real fetch handler, like a phone or a browser would.
import { SELF } from 'cloudflare:test'
import type { StoreSetup } from '../../core/store'
import { ADMIN, testStore } from './fixtures'

export const BASE = 'http://example.test'

export async function api(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  let body: string | undefined
  if (opts.raw !== undefined) body = opts.raw
  else if (opts.body !== undefined) body = JSON.stringify(opts.body)
  if (body !== undefined) headers['content-type'] ??= 'application/json'
  const res = await SELF.fetch(`${BASE}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) })
  const text = await res.text()
  let json: any = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = { text }
  }
  return { status: res.status, json }
}

export interface SeededStore {
  storeId: string
  menuVersion: number
  tables: { tableKey: string; label: string; code: string; url: string }[]
}

export async function seedStore(storeId: string, setup: StoreSetup = testStore()): Promise<SeededStore> {
  const r = await api('PUT', `/api/v1/admin/stores/${storeId}`, { token: ADMIN, body: setup })
  if (r.status !== 200) throw new Error(`seed failed: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json
}

export async function login(storeId: string, username = 'owner'): Promise<string> {
  const r = await api('POST', `/api/v1/stores/${storeId}/login`, {
    body: { username, password: 'fixture-pass-1' },
  })
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json.token
}

export async function join(
  code: string,
  name = '小明',
): Promise<{ token: string; diner: { id: string }; sessionId: string }> {
  const r = await api('POST', `/api/v1/tables/${code}/join`, { body: { name } })
  if (r.status !== 200) throw new Error(`join failed: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json
}

export const line = (itemId: string, skuId: string, qty = 1, optionIds: string[] = [], note = '') => ({
  itemId,
  skuId,
  qty,
  optionIds,
  note,
})

let keyN = 0
export const idemKey = () => `test-key-${Date.now()}-${++keyN}`

/** Open a socket through the Worker and collect its messages. */
export async function socket(path: string, token: string) {
  const res = await SELF.fetch(`${BASE}${path}?token=${encodeURIComponent(token)}`, {
    headers: { Upgrade: 'websocket' },
  })
  const ws = res.webSocket
  if (!ws) throw new Error(`no socket: ${res.status} ${await res.text()}`)
  ws.accept()
  const messages: any[] = []
  const waiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = []
  ws.addEventListener('message', (e) => {
    if (typeof e.data !== 'string' || e.data === 'pong') return
    const m = JSON.parse(e.data)
    messages.push(m)
    for (const w of [...waiters])
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(m)
      }
  })
  return {
    ws,
    messages,
    send: (m: unknown) => ws.send(JSON.stringify(m)),
    next(pred: (m: any) => boolean, timeoutMs = 5000): Promise<any> {
      const found = messages.find(pred)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`no matching message; got ${JSON.stringify(messages.map((m) => m.type))}`)),
          timeoutMs,
        )
        waiters.push({
          pred,
          resolve: (m) => {
            clearTimeout(t)
            resolve(m)
          },
        })
      })
    },
    close: () => ws.close(1000, 'done'),
  }
}
