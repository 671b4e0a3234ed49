// Local stand-ins for Neon: PGlite (Postgres in WASM, persisted to a directory) served on the Postgres
// wire protocol, and the WebSocket-to-TCP bridge the Neon driver needs to reach any plain Postgres.
// Used by `npm start` without DATABASE_URL and by test/postgres.
import { mkdirSync } from 'node:fs'
import { type AddressInfo, connect, createServer, isIP, type Socket } from 'node:net'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket'
import { WebSocketServer } from 'ws'
import { WS_PROXY_PATH } from '../workers/history/neon-config'

// Simultaneous clients: a store drain, a migration, the console's reports.
const MAX_CONNECTIONS = 64

export interface LocalPostgres {
  /** postgres:// URL of the server, for DATABASE_URL. */
  url: string
  close(): Promise<void>
}

/**
 * PGlite in `dataDir`, served on the Postgres wire protocol by pglite-socket's connection handler.
 * PGlite is a single Postgres session. pglite-socket's own server multiplexes clients message by message,
 * which breaks concurrent clients using the extended protocol (client B's Parse lands between client A's
 * Parse and Bind: "unnamed prepared statement does not exist"). So clients here take turns per unit of
 * work instead, see `SessionQueue`.
 */
export async function startLocalPostgres(opts: {
  dataDir: string
  port: number
  host?: string
}): Promise<LocalPostgres> {
  const host = opts.host ?? '127.0.0.1'
  mkdirSync(opts.dataDir, { recursive: true })
  const db = await PGlite.create(opts.dataDir)
  const queue = new SessionQueue(db)
  const handlers = new Set<PGLiteSocketHandler>()
  const server = createServer((socket) => {
    if (handlers.size >= MAX_CONNECTIONS) return void socket.destroy()
    const handler = new PGLiteSocketHandler({ queryQueue: queue.asQueryQueue(), closeOnDetach: true })
    handlers.add(handler)
    const forget = () => handlers.delete(handler)
    handler.addEventListener('close', forget)
    handler.addEventListener('error', forget)
    handler.attach(socket).catch(() => socket.destroy())
  })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(opts.port, host, resolve)
    })
  } catch (e) {
    await db.close()
    throw e
  }
  const { port } = server.address() as AddressInfo
  return {
    url: `postgres://postgres@${urlHost(host)}:${port}/postgres`,
    async close() {
      await Promise.all([...handlers].map((h) => h.detach(true)))
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await db.close()
    },
  }
}

type Pending = { handlerId: number; message: Uint8Array; onData(d: Uint8Array): void; done(e?: Error): void }

/**
 * Gives one client the PGlite session for a whole unit of work: from its first message up to a Sync or
 * a simple Query that leaves no transaction open. Other clients' messages wait in arrival order. It
 * plugs into PGLiteSocketHandler in place of pglite-socket's message-by-message queue (same three
 * methods; that option's type is not exported, hence `asQueryQueue`).
 */
class SessionQueue {
  private pending: Pending[] = []
  private owner: number | null = null
  private running = false
  constructor(private readonly db: PGlite) {}

  asQueryQueue(): PGLiteSocketHandlerOptions['queryQueue'] {
    return this as unknown as PGLiteSocketHandlerOptions['queryQueue']
  }

  enqueue(handlerId: number, message: Uint8Array, onData: (d: Uint8Array) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ handlerId, message, onData, done: (e) => (e ? reject(e) : resolve()) })
      void this.run()
    })
  }

  /** The client is gone: drop what it still had queued. */
  clearQueueForHandler(handlerId: number): void {
    const mine = this.pending.filter((p) => p.handlerId === handlerId)
    this.pending = this.pending.filter((p) => p.handlerId !== handlerId)
    for (const p of mine) p.done(new Error('client disconnected'))
  }

  /** The client is gone: roll back what it left open and hand the session on. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK')
    this.owner = null
    void this.run()
  }

  private async run(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      for (;;) {
        const i = this.owner === null ? 0 : this.pending.findIndex((p) => p.handlerId === this.owner)
        const next = i < 0 ? undefined : this.pending.splice(i, 1)[0]
        if (!next) return // empty, or the owner is still composing its next message
        this.owner = next.handlerId
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(next.message, { onRawData: next.onData }),
          )
          next.done()
        } catch (e) {
          next.done(e as Error)
        }
        if (endsUnit(next.message) && !this.db.isInTransaction()) this.owner = null
      }
    } finally {
      this.running = false
    }
  }
}

// Frontend message types after which the session is consistent for another client: Sync ends an
// extended-protocol exchange, Query is a whole simple-protocol exchange, Terminate ends the client.
// A startup packet has no type byte; its first byte is the high byte of its length, i.e. 0.
const UNIT_ENDS = new Set(['S', 'Q', 'X', '\0'].map((c) => c.charCodeAt(0)))
const endsUnit = (message: Uint8Array) => UNIT_ENDS.has(message[0] ?? 0)

export interface WsProxy {
  /** Value for NEON_WS_PROXY: `host:port`, no protocol. */
  wsProxy: string
  close(): Promise<void>
}

/**
 * Bridges each WebSocket at `/v2?address=host:port` to a TCP connection to that address, byte for byte
 * (what Neon's wsproxy does). Only loopback targets are allowed: a dev tool must not become an open
 * relay into the LAN.
 */
export async function startWsProxy(opts: { port: number; host?: string }): Promise<WsProxy> {
  const host = opts.host ?? '127.0.0.1'
  const wss = new WebSocketServer({ host, port: opts.port })
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve)
    wss.once('error', reject)
  })
  const sockets = new Set<Socket>()
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url ?? '/', 'http://proxy')
    const target = url.pathname === WS_PROXY_PATH ? parseAddress(url.searchParams.get('address')) : null
    // The Neon driver does not surface a close reason, so say it here too.
    const refuse = (reason: string) => {
      console.warn(`ws proxy: refused ${req.url}: ${reason}`)
      ws.close(1008, reason)
    }
    if (!target) return refuse('expected /v2?address=host:port')
    if (!isLoopback(target.host)) return refuse('only loopback targets are allowed')

    const tcp = connect({ host: target.host, port: target.port })
    sockets.add(tcp)
    tcp.setNoDelay(true)
    // Writes before the TCP connect completes are buffered by Node, so nothing needs queueing here.
    ws.on('message', (data: Buffer) => tcp.write(data))
    tcp.on('data', (chunk) => ws.send(chunk))
    const end = () => {
      sockets.delete(tcp)
      tcp.destroy()
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close()
    }
    tcp.on('close', end)
    tcp.on('error', end)
    ws.on('close', end)
    ws.on('error', end)
  })
  const { port } = wss.address() as AddressInfo
  return {
    wsProxy: `${urlHost(host)}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        for (const c of wss.clients) c.terminate()
        wss.close(() => resolve())
      }),
  }
}

function parseAddress(address: string | null): { host: string; port: number } | null {
  const m = address ? /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address) : null
  if (!m) return null
  const port = Number(m[2])
  return port > 0 && port < 65536 ? { host: m[1]!, port } : null
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  if (isIP(host) === 6) return host === '::1' || host.startsWith('::ffff:127.')
  return false
}

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host)
