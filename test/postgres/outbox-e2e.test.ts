// The outbox end to end (DESIGN, Flows 7), with nothing stubbed: the Worker in `wrangler dev`, a StoreDO
// writing an outbox row with every order change, its alarm draining them with the Neon driver through the
// local WebSocket bridge into Postgres. Postgres is DATABASE_URL's server (in a scratch database made and
// dropped here, so another file truncating tables cannot interfere) or else PGlite in a temp dir.
//   npx vitest run --config vitest.pg.config.ts test/postgres/outbox-e2e.test.ts
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx vitest run --config vitest.pg.config.ts test/postgres/outbox-e2e.test.ts
//
// The stages share one Worker and one store and run in order:
// 1. History lands: rounds and kitchen moves appear in Postgres with the store's versions and states.
// 2. Outage: the Worker's bridge goes away; the API keeps working, the alarm keeps retrying with backoff
//    (seen as connections to a port that drops them), and once a bridge is back on the same port every
//    event written meanwhile arrives.
// 3. Replay: a bridge that lets a COMMIT through but loses its reply makes the drain write the same rows
//    again (at-least-once); Postgres keeps one row per event.
// The test reads Postgres through a bridge of its own that never goes down, so what it sees is the
// Worker's doing. It waits by polling with deadlines, not fixed sleeps; the one wait that is not for a
// condition is the quiet second that shows a drain's burst of attempts is over.
import { mkdtempSync, rmSync } from 'node:fs'
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { neonConfig } from '@neondatabase/serverless'
import { eq, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/neon-serverless'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import ws, { type RawData, WebSocketServer } from 'ws'
import type { Order, OrderEventRecord } from '../../core/order'
import { BACKOFF_BASE_MS } from '../../core/outbox'
import { startLocalPostgres, startWsProxy } from '../../scripts/local-db'
import { migrateDatabase } from '../../scripts/migrate'
import { DEV_ADMIN_TOKEN, startWranglerDev } from '../../scripts/wrangler-dev'
import { historyPool } from '../../workers/history/neon-config'
import { orderEvents, orderLines, orders } from '../../workers/history/schema'
import { testStore } from '../workers/fixtures'

neonConfig.webSocketConstructor = ws

const STORE_ID = '707'
const LANDS_WITHIN_MS = 20_000
// A row that failed k times waits 2 s * 2^(k-1) (up to 20% less); the outage below costs rows three or four
// failures, so the retry after it comes within 16 s, and rows failed three times then go one at a time.
const CATCHES_UP_WITHIN_MS = 60_000
const POLL_MS = 150
// One drain's attempts follow each other within milliseconds; the backoff between drains is at least 1.6 s.
const BURST_GAP_MS = 1_000

// ---- the rig -----------------------------------------------------------------------------------------------

/** Undo steps, run last-first in afterAll; each runs even if an earlier one failed. */
const cleanups: { what: string; run: () => Promise<void> }[] = []
let base = ''
let databaseUrl = ''
/** The Worker's way to Postgres: a bridge, a dead port or a lossy bridge, always on this port. */
let workerBridgePort = 0
let workerBridge: { close(): Promise<void> } | null = null
let db: ReturnType<typeof drizzle>

beforeAll(async () => {
  // The test's own way to Postgres; it stays up throughout.
  const testBridge = await startWsProxy({ port: 0 })
  cleanups.push({ what: 'test bridge', run: testBridge.close })

  if (process.env.DATABASE_URL) {
    databaseUrl = await scratchDatabase(process.env.DATABASE_URL, testBridge.wsProxy)
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-e2e-pg-'))
    cleanups.push({ what: 'PGlite dir', run: async () => rmSync(dir, { recursive: true, force: true }) })
    const pg = await startLocalPostgres({ dataDir: dir, port: 0 })
    cleanups.push({ what: 'PGlite', run: pg.close })
    databaseUrl = pg.url
  }

  const bridge = await startWsProxy({ port: 0 })
  workerBridge = bridge
  workerBridgePort = portOf(bridge.wsProxy)
  cleanups.push({ what: "Worker's bridge", run: () => swapWorkerBridge(null) })
  await migrateDatabase(databaseUrl, bridge.wsProxy)

  const pool = historyPool(databaseUrl, testBridge.wsProxy)
  pool.on('error', () => {})
  cleanups.push({ what: 'test pool', run: () => pool.end() })
  db = drizzle({ client: pool })

  const dev = await startWranglerDev(await freePort(), {
    DATABASE_URL: databaseUrl,
    NEON_WS_PROXY: bridge.wsProxy,
  })
  cleanups.push({ what: 'wrangler dev', run: dev.stop })
  base = dev.base
})

afterAll(async () => {
  const failed: string[] = []
  for (const step of cleanups.reverse()) {
    try {
      await step.run()
    } catch (e) {
      failed.push(`${step.what}: ${(e as Error).message}`)
    }
  }
  cleanups.length = 0
  if (failed.length) throw new Error(`teardown failed:\n${failed.join('\n')}`)
})

/** A database of its own on DATABASE_URL's server, dropped in afterAll. */
async function scratchDatabase(serverUrl: string, wsProxy: string): Promise<string> {
  const name = `outbox_e2e_${process.pid}_${Date.now()}`
  const admin = async (statement: string) => {
    const pool = historyPool(serverUrl, wsProxy)
    pool.on('error', () => {})
    try {
      await pool.query(statement)
    } finally {
      await pool.end()
    }
  }
  await admin(`CREATE DATABASE ${name}`)
  // Registered before anything uses it; runs after the Worker and every pool are gone (cleanups run last-first).
  cleanups.push({
    what: 'scratch database',
    run: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  })
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** Put `next` on the Worker's bridge port in place of what is there now (null: leave the port dead). */
async function swapWorkerBridge(next: ((port: number) => Promise<{ close(): Promise<void> }>) | null) {
  const current = workerBridge
  workerBridge = null
  await current?.close()
  if (next) workerBridge = await next(workerBridgePort)
}

function portOf(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** Postgres unreachable, observably: accepts each connection on the port and drops it, noting when. */
async function deadPort(port: number) {
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    hole.times.push(Date.now())
    sockets.add(s)
    s.destroy()
  })
  const hole = {
    /** When each connection came. */
    times: [] as number[],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  return hole
}

/**
 * The bridge of scripts/local-db.ts, except that it forwards the first COMMIT of a transaction that sent
 * `marker` and then loses the reply: the rows are committed, the drain sees a dropped connection and will
 * write them again. Then it turns connections away until `release()`, so the test can look at Postgres
 * between the two writes.
 */
async function lossyBridge(port: number, marker: string) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port })
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve)
    wss.once('error', reject)
  })
  const tcps = new Set<Socket>()
  const bridge = {
    /** COMMITs of marked transactions that reached Postgres; of their replies, lost and delivered. */
    commits: 0,
    lost: 0,
    delivered: 0,
    holding: false,
    release() {
      bridge.holding = false
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of tcps) t.destroy()
        for (const c of wss.clients) c.terminate()
        wss.close(() => resolve())
      }),
  }
  wss.on('connection', (sock, req) => {
    const m = /^(127\.[\d.]+|localhost):(\d+)$/.exec(
      new URL(req.url ?? '/', 'http://bridge').searchParams.get('address') ?? '',
    )
    if (bridge.holding || !m) return void sock.terminate()
    const tcp = connect({ host: m[1]!, port: Number(m[2]) })
    tcps.add(tcp)
    let marked = false
    let awaitingCommitReply = false
    sock.on('message', (data: RawData) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
      const text = bytes.toString('latin1')
      if (text.includes(marker)) marked = true
      else if (/\bbegin\b/i.test(text)) marked = false
      if (marked && /\bcommit\b/i.test(text)) {
        awaitingCommitReply = true
        bridge.commits++
      }
      tcp.write(bytes)
    })
    tcp.on('data', (chunk) => {
      if (awaitingCommitReply) {
        awaitingCommitReply = false
        if (bridge.lost === 0) {
          bridge.lost++
          bridge.holding = true
          tcp.destroy()
          sock.terminate()
          return
        }
        bridge.delivered++
      }
      sock.send(chunk)
    })
    const end = () => {
      tcps.delete(tcp)
      tcp.destroy()
      if (sock.readyState === sock.OPEN || sock.readyState === sock.CONNECTING) sock.close()
    }
    tcp.on('close', end)
    tcp.on('error', end)
    sock.on('close', end)
    sock.on('error', end)
  })
  return bridge
}

/** Connection times grouped into bursts (one drain's attempts): a gap of BURST_GAP_MS starts a new one. */
function bursts(times: number[]): number[][] {
  const out: number[][] = []
  for (const t of times) {
    const last = out.at(-1)
    if (last && t - last.at(-1)! < BURST_GAP_MS) last.push(t)
    else out.push([t])
  }
  return out
}

async function until<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (done(v)) return v
    if (Date.now() > deadline)
      throw new Error(`waited ${timeoutMs} ms for ${what}; last seen: ${JSON.stringify(v).slice(0, 3_000)}`)
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}

// ---- the API, over HTTP like a phone or the merchant board -------------------------------------------------

/** Response bodies: checked by the assertions that use them. */
type Json = any

async function call(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; key?: string } = {},
): Promise<Json> {
  const headers: Record<string, string> = {}
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.key) headers['idempotency-key'] = opts.key
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return text ? JSON.parse(text) : null
}

let keyN = 0
const menuVersion = { value: 0 }
let tables: { tableKey: string; code: string }[] = []
let owner = ''

async function seat(table: number, name: string): Promise<string> {
  return (await call('POST', `/api/v1/tables/${tables[table]!.code}/join`, { body: { name } })).token
}

/** Put dishes in the table's cart and send them as one round; the round's order id. */
async function round(
  diner: string,
  dishes: [itemId: string, skuId: string, qty: number, optionIds?: string[]][],
) {
  for (const [itemId, skuId, qty, optionIds = []] of dishes)
    await call('POST', '/api/v1/table/cart', {
      token: diner,
      body: { menuVersion: menuVersion.value, line: { itemId, skuId, qty, optionIds, note: '' } },
    })
  const sent = await call('POST', '/api/v1/table/rounds', {
    token: diner,
    key: `e2e-${Date.now()}-${++keyN}`,
    body: { menuVersion: menuVersion.value },
  })
  return sent.round.orderId as string
}

async function move(orderId: string, ...events: string[]): Promise<Order> {
  let order: Order | undefined
  for (const event of events)
    order = await call('POST', `/api/v1/stores/${STORE_ID}/orders/${orderId}/events`, {
      token: owner,
      body: { event },
    })
  return order!
}

async function settle(table: number) {
  return call('POST', `/api/v1/stores/${STORE_ID}/tables/${tables[table]!.tableKey}/settle`, { token: owner })
}

/** What the store itself holds: the orders and every event it recorded (each one wrote an outbox row). */
async function storeTruth(orderIds: string[]) {
  const os: Order[] = []
  const events: OrderEventRecord[] = []
  for (const id of orderIds) {
    os.push(await call('GET', `/api/v1/stores/${STORE_ID}/orders/${id}`, { token: owner }))
    events.push(...(await call('GET', `/api/v1/stores/${STORE_ID}/orders/${id}/events`, { token: owner })))
  }
  return { orders: os, events }
}
type Truth = Awaited<ReturnType<typeof storeTruth>>

// ---- Postgres ----------------------------------------------------------------------------------------------

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const byId = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => cmp(a.id, b.id))
const lineKey = (l: { orderId: string; lineNo: number }) =>
  `${l.orderId}/${String(l.lineNo).padStart(4, '0')}`
const eventKey = (e: { orderId: string; version: number }) =>
  `${e.orderId}/${String(e.version).padStart(4, '0')}`

async function history() {
  const [os, ls, es] = await Promise.all([
    db.select().from(orders).where(eq(orders.storeId, STORE_ID)),
    db
      .select()
      .from(orderLines)
      .where(sql`${orderLines.orderId} IN (SELECT id FROM orders WHERE store_id = ${STORE_ID})`),
    db.select().from(orderEvents).where(eq(orderEvents.storeId, STORE_ID)),
  ])
  // Sorted here, not in SQL: the server's collation must not decide the order the assertions expect.
  return {
    orders: byId(os),
    lines: ls.sort((a, b) => cmp(lineKey(a), lineKey(b))),
    events: es.sort((a, b) => cmp(eventKey(a), eventKey(b))),
  }
}
type History = Awaited<ReturnType<typeof history>>

/** Every event of `truth` is in Postgres and every order is at the store's version. */
function caughtUp(truth: Truth, h: History): boolean {
  const ids = new Set(h.events.map((e) => e.id))
  const versions = new Map(h.orders.map((o) => [o.id, o.version]))
  return (
    truth.events.every((e) => ids.has(e.id)) && truth.orders.every((o) => versions.get(o.id) === o.version)
  )
}

/** Postgres holds exactly what the store holds: no row missing, none extra, none twice. */
function expectSameAsStore(truth: Truth, h: History) {
  expect(h.orders).toEqual(
    byId(truth.orders).map((o) => ({
      id: o.id,
      storeId: STORE_ID,
      mode: o.mode,
      state: o.state,
      paid: o.paid,
      payMode: o.payMode,
      pickupNo: o.pickupNo,
      tableKey: o.tableKey ?? null,
      tableLabel: o.tableLabel ?? null,
      sessionId: o.sessionId ?? null,
      roundNo: o.roundNo ?? null,
      dinerId: o.dinerId ?? null,
      totalFen: o.totalFen,
      itemsFen: o.price.itemsFen,
      discountFen: o.price.discountFen,
      feesFen: o.price.feesFen,
      priceSteps: o.price.steps,
      note: o.note,
      reason: o.reason ?? null,
      createdAt: new Date(o.createdAt),
      updatedAt: new Date(o.updatedAt),
      version: o.version,
    })),
  )
  expect(h.lines).toEqual(
    byId(truth.orders).flatMap((o) =>
      o.lines.map((l) => ({
        orderId: o.id,
        lineNo: l.lineNo,
        itemId: l.itemId,
        skuId: l.skuId,
        name: l.name,
        skuName: l.skuName,
        optionNames: l.optionNames,
        qty: l.qty,
        unitPriceFen: l.unitPriceFen,
        unitPaidFen: l.unitPaidFen,
        lineTotalFen: l.lineTotalFen,
        station: l.station,
        note: l.note,
        version: o.version,
        voidedReason: l.voided?.reason ?? null,
        voidedAt: l.voided ? new Date(l.voided.at) : null,
      })),
    ),
  )
  expect(h.events).toEqual(
    [...truth.events]
      .sort((a, b) => cmp(eventKey(a), eventKey(b)))
      .map((e) => ({
        id: e.id,
        orderId: e.orderId,
        storeId: STORE_ID,
        version: e.version,
        event: e.event,
        fromState: e.from,
        toState: e.to,
        actor: e.actor,
        actorId: e.actorId,
        reason: e.reason ?? null,
        at: new Date(e.at),
      })),
  )
  // One row per event id (the key) and per order version: a replay written under a new id would show here.
  expect(new Set(h.events.map(eventKey)).size).toBe(h.events.length)
  expect(new Set(truth.events.map((e) => e.id)).size).toBe(truth.events.length)
  // Money is whole fen in int4, and adds up.
  for (const o of h.orders) {
    for (const v of [o.totalFen, o.itemsFen, o.discountFen, o.feesFen])
      expect(Number.isSafeInteger(v)).toBe(true)
    expect(o.totalFen).toBe(o.itemsFen - o.discountFen + o.feesFen)
  }
  for (const l of h.lines) {
    for (const v of [l.unitPriceFen, l.unitPaidFen, l.lineTotalFen])
      expect(Number.isSafeInteger(v)).toBe(true)
    expect(l.lineTotalFen).toBe(l.unitPaidFen * l.qty)
  }
}

async function counts() {
  const { rows } = await db.execute<{ orders: number; lines: number; events: number }>(sql`
    SELECT (SELECT count(*)::int FROM orders WHERE store_id = ${STORE_ID}) AS orders,
           (SELECT count(*)::int FROM order_lines WHERE order_id IN (SELECT id FROM orders WHERE store_id = ${STORE_ID})) AS lines,
           (SELECT count(*)::int FROM order_events WHERE store_id = ${STORE_ID}) AS events`)
  return rows[0]!
}

const expectedCounts = (truth: Truth) => ({
  orders: truth.orders.length,
  lines: truth.orders.reduce((n, o) => n + o.lines.length, 0),
  events: truth.events.length,
})

// ---- the stages --------------------------------------------------------------------------------------------

const orderIds: string[] = []
/** What the last stage saw land; a stage that fails leaves it unset, and the next one stops at once. */
let landed: Truth | undefined

describe('store outbox -> alarm -> Neon driver -> bridge -> Postgres, in wrangler dev', () => {
  it('lands rounds and kitchen moves with the store versions, states and integer money', async () => {
    const seeded = await call('PUT', `/api/v1/admin/stores/${STORE_ID}`, {
      token: DEV_ADMIN_TOKEN,
      body: testStore(),
    })
    menuVersion.value = seeded.menuVersion
    tables = seeded.tables
    owner = (
      await call('POST', `/api/v1/stores/${STORE_ID}/login`, {
        body: { username: 'owner', password: 'fixture-pass-1' },
      })
    ).token

    const diner = await seat(0, '小红')
    const o1 = await round(diner, [
      ['mapo', 'std', 2, ['hot', 'egg']],
      ['rice', 'bowl', 2],
    ])
    // 加菜 over ¥100: 满100减10 applies.
    const o2 = await round(diner, [
      ['duck', 'half', 2],
      ['tea', 'pot', 1],
    ])
    orderIds.push(o1, o2)
    expect(await move(o1, 'accept', 'start_cooking', 'ready', 'serve')).toMatchObject({
      state: 'SERVED',
      version: 6,
    })
    expect(await move(o2, 'accept')).toMatchObject({ state: 'ACCEPTED', version: 3 })

    const truth = await storeTruth(orderIds)
    expect(truth.events.map((e) => `${e.orderId === o1 ? 1 : 2}:${e.event}:${e.version}`)).toEqual([
      '1:create:1',
      '1:submit_unpaid:2',
      '1:accept:3',
      '1:start_cooking:4',
      '1:ready:5',
      '1:serve:6',
      '2:create:1',
      '2:submit_unpaid:2',
      '2:accept:3',
    ])
    const h = await until('the first events in Postgres', history, (h) => caughtUp(truth, h), LANDS_WITHIN_MS)
    expectSameAsStore(truth, h)
    expect(await counts()).toEqual({ orders: 2, lines: 4, events: 9 })

    const money = (id: string) => h.orders.find((o) => o.id === id)!
    expect(money(o1)).toMatchObject({
      state: 'SERVED',
      version: 6,
      itemsFen: 6_600,
      discountFen: 0,
      totalFen: 6_600,
    })
    expect(money(o2)).toMatchObject({
      state: 'ACCEPTED',
      version: 3,
      itemsFen: 15_600,
      discountFen: 1_000,
      totalFen: 14_600,
    })
    expect(
      h.lines
        .filter((l) => l.orderId === o1)
        .map((l) => [l.name, l.optionNames, l.qty, l.unitPaidFen, l.lineTotalFen]),
    ).toEqual([
      ['麻婆豆腐', ['特辣', '加蛋'], 2, 3_100, 6_200],
      ['米饭', [], 2, 200, 400],
    ])
    const { rows: types } = await db.execute<{ column_name: string; data_type: string }>(sql`
      SELECT table_name || '.' || column_name AS column_name, data_type FROM information_schema.columns
      WHERE table_schema = current_schema() AND right(column_name, 4) = '_fen' ORDER BY 1`)
    // orders 4, order_lines 3, payments 2, refunds 1, ledger_entries 1, reconciliation_runs 2.
    expect(types.length).toBe(13)
    expect(types.every((t) => t.data_type === 'integer')).toBe(true)
    landed = truth
  })

  it('keeps taking orders while Postgres is unreachable, retries, and delivers everything when it is back', async () => {
    const before = landed
    landed = undefined
    expect(before, 'the first stage landed its orders').toBeDefined()
    const [o1, o2] = orderIds as [string, string]
    await swapWorkerBridge(null)

    // The API does not wait on Postgres: a new table, rounds, the kitchen, two settled bills.
    const diner = await seat(1, '小明')
    const o3 = await round(diner, [['tea', 'cup', 3, ['less']]])
    const o4 = await round(await seat(2, '老王'), [['mapo', 'std', 1, ['mild', 'beef']]])
    orderIds.push(o3, o4)
    await move(o2, 'start_cooking', 'ready', 'serve')
    await move(o3, 'accept', 'ready', 'serve')
    await move(o4, 'accept', 'start_cooking')
    for (const table of [0, 1]) {
      const settled = await settle(table)
      expect(
        settled.rounds.every((r: { paid: boolean; state: string }) => r.paid && r.state === 'COMPLETED'),
      ).toBe(true)
    }
    const truth = await storeTruth(orderIds)
    const landedIds = new Set(before!.events.map((e) => e.id))
    const during = truth.events.filter((e) => !landedIds.has(e.id))
    expect(during.length).toBe(18)
    expect(truth.orders.map((o) => o.state)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COOKING'])
    expect([o1, o2].map((id) => truth.orders.find((o) => o.id === id)!.version)).toEqual([8, 8])

    // Each change armed the alarm, and each drain failed: none of it is in Postgres.
    const unreachable = (h: History) => {
      const ids = new Set(h.events.map((e) => e.id))
      return during.every((e) => !ids.has(e.id))
    }
    expect(unreachable(await history())).toBe(true)
    // The alarm retries on its own, with backoff: the attempts arrive at a port that drops them. One drain
    // makes at most two (a suspect row alone, then the rest) and stops; the next waits for the backoff.
    const hole = await deadPort(workerBridgePort)
    let retries: number[][]
    try {
      retries = await until(
        'two rounds of retries during the outage',
        async () => bursts(hole.times),
        (b) => b.length >= 2 && Date.now() - b.at(-1)!.at(-1)! > BURST_GAP_MS,
        40_000,
      )
    } finally {
      await hole.close()
    }
    const pattern = `retries at ${JSON.stringify(retries.map((b) => b.map((t) => t - retries[0]![0]!)))} ms`
    expect(Math.max(...retries.map((b) => b.length)), pattern).toBeLessThanOrEqual(2)
    // Backoff: base 2 s, up to 20% earlier.
    const gaps = retries.slice(1).map((b, i) => b[0]! - retries[i]!.at(-1)!)
    expect(Math.min(...gaps), pattern).toBeGreaterThanOrEqual(BACKOFF_BASE_MS * 0.8 - 100)
    const mid = await history()
    expect(unreachable(mid)).toBe(true)
    expect(mid.orders.find((o) => o.id === o1)).toMatchObject({ state: 'SERVED', version: 6 })

    // Back on the same port: the retries (with backoff) bring every event written meanwhile.
    const back = Date.now()
    await swapWorkerBridge((port) => startWsProxy({ port }))
    const h = await until(
      'the outage events in Postgres',
      history,
      (h) => caughtUp(truth, h),
      CATCHES_UP_WITHIN_MS,
    )
    console.info(`outage: ${pattern}; caught up ${Date.now() - back} ms after the bridge returned`)
    expectSameAsStore(truth, h)
    expect(await counts()).toEqual(expectedCounts(truth))
    expect(h.orders.map((o) => [o.state, o.paid])).toEqual(byId(truth.orders).map((o) => [o.state, o.paid]))
    landed = truth
  }, 90_000)

  it('writes a batch again when the commit reply is lost, and Postgres keeps one row per event', async () => {
    expect(landed, 'the outage stage landed its orders').toBeDefined()
    landed = undefined
    let lossy: Awaited<ReturnType<typeof lossyBridge>> | undefined
    await swapWorkerBridge(async (port) => {
      // Only o5 sits at table 4, so only its writes carry this table key.
      lossy = await lossyBridge(port, tables[3]!.tableKey)
      return lossy
    })
    const bridge = lossy!

    const o5 = await round(await seat(3, '阿强'), [['rice', 'bowl', 4]])
    orderIds.push(o5)
    const truth = await storeTruth(orderIds)
    expect(truth.events.filter((e) => e.orderId === o5).map((e) => e.event)).toEqual([
      'create',
      'submit_unpaid',
    ])

    // The first write committed, but the drain never heard so: its rows are still in the outbox.
    await until(
      'a commit whose reply is lost',
      async () => bridge.lost,
      (n) => n === 1,
      LANDS_WITHIN_MS,
    )
    const committed = await history()
    expect(caughtUp(truth, committed)).toBe(true)
    expectSameAsStore(truth, committed)

    // Let the retry through: the same rows again, delivered this time.
    bridge.release()
    await until(
      'the retried commit, delivered',
      async () => bridge.delivered,
      (n) => n >= 1,
      CATCHES_UP_WITHIN_MS,
    )
    expect(bridge.commits).toBe(2)
    const replayed = await history()
    expectSameAsStore(truth, replayed)
    expect(await counts()).toEqual(expectedCounts(truth))

    // And the store goes on: a later change still lands, after the replayed rows.
    await move(o5, 'accept')
    const after = await storeTruth(orderIds)
    const h = await until('the change after the replay', history, (h) => caughtUp(after, h), LANDS_WITHIN_MS)
    expectSameAsStore(after, h)
    expect(await counts()).toEqual(expectedCounts(after))
    expect(h.orders.find((o) => o.id === o5)).toMatchObject({ state: 'ACCEPTED', version: 3 })
  }, 60_000)
})
