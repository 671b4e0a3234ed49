// Kitchen printing end to end, nothing stubbed: the Worker and StoreDO in a throwaway `wrangler dev`, the
// real printer bridge (printer-bridge/bridge.ts) dialling out to it with the store's bridge key, and three
// virtual ESC/POS printers (printer-bridge/virtual-printer.ts) on free ports the bridge prints to over TCP.
//   npx vitest run --config vitest.bridge.config.ts test/kitchen/e2e.test.ts
//
// The store is testStore() with three printers: hot (麻婆豆腐, 限量烤鸭), bar (柠檬茶), and front (米饭 at the
// pass, plus receipts). The tests share the server, the store and the printers and run in order; each one
// uses its own table, so its orders are told apart by the order id printed on every ticket (单号 …).
// Waits poll with deadlines; the one fixed wait is the 10 s that shows an offline printer's jobs stay put.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { PrinterConfig } from '../../core/tickets'
import { Bridge } from '../../printer-bridge/bridge'
import { bridgeUrl } from '../../printer-bridge/config'
import type { JournalState } from '../../printer-bridge/journal'
import {
  type PrintedTicket,
  startVirtualPrinter,
  type VirtualPrinter,
} from '../../printer-bridge/virtual-printer'
import { DEV_ADMIN_TOKEN, freePort, startWranglerDev } from '../../scripts/wrangler-dev'
import { testStore } from '../workers/fixtures'

const STORE = '861'
/** How long anything the system does on its own may take here (a print is milliseconds; polls are 250 ms). */
const SOON_MS = 10_000
/** Status polls of the bridge while jobs wait or a printer is not ok (5 s in production). */
const POLL_MS = 250

// ---- the rig -----------------------------------------------------------------------------------------------

/** Undo steps, run last-first in afterAll; each runs even if an earlier one failed. */
const cleanups: { what: string; run: () => Promise<void> | void }[] = []
let base = ''
let owner = ''
let bridgeKey = ''
let menuVersion = 0
let tables: { code: string; label: string }[] = []
let journalPath = ''
const vp: Record<'hot' | 'bar' | 'front', VirtualPrinter> = {} as never
/** The bridge now running (test c replaces it). */
let bridge: Bridge
const bridgeLog: string[] = []
/** Per-test hook into the bridge's journal records (set by test c). */
let journalHook: ((jobId: string, state: JournalState) => void | Promise<void>) | null = null

function startBridge(): Bridge {
  const b = new Bridge({
    url: bridgeUrl(base, STORE),
    key: bridgeKey,
    journalPath,
    bridgeId: 'kitchen-e2e',
    pollMs: POLL_MS,
    minBackoffMs: 100,
    maxBackoffMs: 1_000,
    log: (level, message) => bridgeLog.push(`${new Date().toISOString()} ${level} ${message}`),
    onJournal: (jobId, state) => journalHook?.(jobId, state),
  })
  b.start()
  return b
}

beforeAll(async () => {
  for (const name of ['hot', 'bar', 'front'] as const) {
    vp[name] = await startVirtualPrinter({ port: 0, name })
    cleanups.push({ what: `printer ${name}`, run: () => vp[name].close() })
  }
  const dev = await startDev()
  cleanups.push({ what: 'wrangler dev', run: dev.stop })
  base = dev.base

  const lan = (address: VirtualPrinter) => ({
    kind: 'lan' as const,
    address: `tcp://127.0.0.1:${address.port}`,
  })
  const printers: PrinterConfig[] = [
    {
      id: 'hot',
      name: '热菜',
      stations: ['hot'],
      receipts: false,
      copies: 1,
      width: 80,
      buzzer: true,
      transport: lan(vp.hot),
    },
    {
      id: 'bar',
      name: '吧台',
      stations: ['bar'],
      receipts: false,
      copies: 1,
      width: 80,
      buzzer: false,
      transport: lan(vp.bar),
    },
    {
      id: 'front',
      name: '前台',
      stations: ['pass'],
      receipts: true,
      copies: 1,
      width: 80,
      buzzer: false,
      transport: lan(vp.front),
    },
  ]
  const seeded = await call('PUT', `/api/v1/admin/stores/${STORE}`, {
    token: DEV_ADMIN_TOKEN,
    body: { ...testStore(), printers },
  })
  menuVersion = seeded.menuVersion
  tables = seeded.tables
  owner = (
    await call('POST', `/api/v1/stores/${STORE}/login`, {
      body: { username: 'owner', password: 'fixture-pass-1' },
    })
  ).token
  bridgeKey = (await call('POST', `/api/v1/stores/${STORE}/bridge-key`, { token: owner })).key

  const dir = mkdtempSync(join(tmpdir(), 'kitchen-e2e-'))
  cleanups.push({ what: 'journal dir', run: () => rmSync(dir, { recursive: true, force: true }) })
  journalPath = join(dir, 'journal.jsonl')
  bridge = startBridge()
  // abort(), not close(): teardown must not wait on a print, whatever state a failed test left.
  cleanups.push({ what: 'bridge', run: () => bridge.abort() })
  await until('the bridge is connected and has checked its printers', () => {
    const s = bridge.snapshot()
    return bridge.connected && ['hot', 'bar', 'front'].every((id) => s[id]?.status === 'ok')
  })
}, 120_000)

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
}, 30_000)

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') console.error(`bridge log:\n${bridgeLog.slice(-60).join('\n')}`)
  journalHook = null
})

/** wrangler dev on a free port; again if the port (or wrangler's inspector port) was taken meanwhile. */
async function startDev() {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startWranglerDev(await freePort())
    } catch (e) {
      if (attempt >= 3 || !String(e).includes('Address already in use')) throw e
    }
  }
}

// ---- helpers -----------------------------------------------------------------------------------------------

async function call(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<any> {
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
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

async function until(
  what: string | (() => string),
  pred: () => boolean | Promise<boolean>,
  ms = SOON_MS,
): Promise<void> {
  const end = Date.now() + ms
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${typeof what === 'string' ? what : what()}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

let idem = 0
const line = (itemId: string, skuId: string, qty = 1, optionIds: string[] = []) => ({
  itemId,
  skuId,
  qty,
  optionIds,
  note: '',
})
const MAPO = line('mapo', 'std', 1, ['mild'])
const TEA = line('tea', 'cup', 2)
const RICE = line('rice', 'bowl', 1)
const DUCK = line('duck', 'half', 1)

/** A diner at the table with this label. */
async function diner(label: string): Promise<string> {
  const t = tables.find((x) => x.label === label)
  if (!t) throw new Error(`no table ${label}`)
  return (await call('POST', `/api/v1/tables/${t.code}/join`, { body: { name: `食客${label}` } })).token
}

/** The diner sends a round with these lines (one request, lines sent along); returns the order id. */
async function round(token: string, lines: ReturnType<typeof line>[]): Promise<string> {
  const r = await call('POST', '/api/v1/table/rounds', {
    token,
    headers: { 'idempotency-key': `kitchen-e2e-${Date.now()}-${++idem}` },
    body: { menuVersion, lines },
  })
  return r.round.orderId
}

async function accept(orderId: string): Promise<any> {
  return call('POST', `/api/v1/stores/${STORE}/orders/${orderId}/events`, {
    token: owner,
    body: { event: 'accept' },
  })
}

async function jobsOf(orderId: string): Promise<{ id: string; printerId: string; status: string }[]> {
  return call('GET', `/api/v1/stores/${STORE}/print-jobs?orderId=${orderId}`, { token: owner })
}

async function allAcked(orderId: string, expected: number): Promise<void> {
  let last: unknown
  await until(
    () => `${expected} print jobs of ${orderId} acked (last seen ${JSON.stringify(last)})`,
    async () => {
      const jobs = await jobsOf(orderId)
      last = jobs.map((j) => [j.printerId, j.status])
      return jobs.length === expected && jobs.every((j) => j.status === 'acked')
    },
  )
}

/** The order id a ticket names (单号 …; 80 mm paper keeps it on one line). */
const orderIdOn = (t: PrintedTicket) => /单号 (ord_\w+)/.exec(t.text)?.[1]
const ticketsFor = (p: VirtualPrinter, orderId: string) => p.tickets.filter((t) => orderIdOn(t) === orderId)
/** Double-size text prints with gaps between glyphs ("A 0 1", "加  菜"); compare without whitespace. */
const squash = (s: string) => s.replace(/\s+/g, '')

function count(p: VirtualPrinter, orderIds: string[]): Record<string, number> {
  return Object.fromEntries(orderIds.map((id) => [id, ticketsFor(p, id).length]))
}

/** The merchant console's live store socket, as a browser would open it. */
async function storeSocket() {
  const url = `${base.replace(/^http/, 'ws')}/api/v1/stores/${STORE}/ws?token=${encodeURIComponent(owner)}`
  const ws = new WebSocket(url)
  const messages: any[] = []
  ws.on('message', (data) => {
    const text = data.toString()
    if (text !== 'pong') messages.push(JSON.parse(text))
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const sock = {
    messages,
    async next(what: string, pred: (m: any) => boolean): Promise<any> {
      await until(`store socket: ${what}`, () => messages.some(pred))
      return messages.find(pred)
    },
    close: () => ws.terminate(),
  }
  cleanups.push({ what: 'store socket', run: sock.close })
  return sock
}

// ---- the tests ---------------------------------------------------------------------------------------------

describe('kitchen printing, end to end', () => {
  let a01 = ''
  let firstOrder = ''

  it('a) an accepted round prints one ticket per station, each with only its own dishes', async () => {
    a01 = await diner('A01')
    firstOrder = await round(a01, [MAPO, TEA, RICE])
    const accepted = await accept(firstOrder)
    expect(accepted.state).toBe('QUEUED')
    await allAcked(firstOrder, 3)

    const expected = { hot: '麻婆豆腐', bar: '柠檬茶', front: '米饭' } as const
    for (const [printer, dish] of Object.entries(expected) as [keyof typeof expected, string][]) {
      expect(vp[printer].tickets.map(orderIdOn), printer).toEqual([firstOrder])
      const text = vp[printer].tickets[0]!.text
      expect(text, printer).toContain(dish)
      expect(squash(text), printer).toContain('A01')
      for (const other of Object.values(expected))
        if (other !== dish) expect(text, printer).not.toContain(other)
    }
    expect(vp.bar.tickets[0]!.text).toMatch(/2 x 柠檬茶/)
    // The buzzer is the hot printer's; it beeps on kitchen tickets only.
    expect(vp.hot.tickets[0]!.parsed.beeps).toBeGreaterThan(0)
    expect(vp.bar.tickets[0]!.parsed.beeps).toBe(0)
  })

  it('b) 加菜: round 2 prints only its new dish, under a 加菜 header', async () => {
    const before = { hot: vp.hot.tickets.length, bar: vp.bar.tickets.length, front: vp.front.tickets.length }
    const second = await round(a01, [DUCK])
    expect((await accept(second)).state).toBe('QUEUED')
    await allAcked(second, 1)
    expect((await jobsOf(second)).map((j) => j.printerId)).toEqual(['hot'])
    const added = ticketsFor(vp.hot, second)
    expect(added).toHaveLength(1)
    const text = added[0]!.text
    expect(squash(text.split('\n')[0]!)).toBe('加菜') // the banner is the ticket's first line
    expect(text).toContain('限量烤鸭')
    expect(text).toContain('第2轮')
    expect(squash(text)).toContain('A01')
    expect(text).not.toContain('麻婆豆腐')
    expect(vp.hot.tickets).toHaveLength(before.hot + 1)
    expect(vp.bar.tickets).toHaveLength(before.bar)
    expect(vp.front.tickets).toHaveLength(before.front)
    // Round 1's ticket was not a 加菜 one.
    expect(squash(ticketsFor(vp.hot, firstOrder)[0]!.text)).not.toContain('加菜')
  })

  it('c) a bridge killed mid-job and restarted on its journal prints every ticket exactly once', async () => {
    const d = await diner('A02')
    const c1 = await round(d, [MAPO, TEA, RICE])
    await accept(c1)
    await allAcked(c1, 3)

    // Kill the bridge in the middle of order c2's three jobs: the hot and front tickets are on paper and
    // journaled 'printed' but not acked yet (held in the hook), the bar job is journaled 'received' and its
    // bytes have not gone out. Then the bridge dies as a killed process would (abort: no more writes,
    // sends or prints). A restarted bridge on the same journal must ack the first two without printing
    // them again and print the third once.
    let jobs!: Map<string, string>
    let known!: () => void
    const jobsKnown = new Promise<void>((r) => {
      known = r
    })
    const held = new Map<string, JournalState>()
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    let killed!: () => void
    const dead = new Promise<void>((r) => {
      killed = r
    })
    const victim = bridge
    journalHook = async (jobId, state) => {
      await jobsKnown
      const printer = jobs.get(jobId)
      if (printer === 'bar' && state === 'received') {
        try {
          await until('hot and front printed, not acked', () => held.size === 2)
        } finally {
          victim.abort()
          killed()
          release() // the held calls return into a dead bridge, which does nothing more
        }
      } else if ((printer === 'hot' || printer === 'front') && state === 'printed') {
        held.set(jobId, state)
        await gate
      }
    }
    const c2 = await round(d, [MAPO, TEA, RICE])
    await accept(c2)
    jobs = new Map((await jobsOf(c2)).map((j) => [j.id, j.printerId]))
    known()
    await dead
    journalHook = null
    expect(count(vp.hot, [c2])[c2]).toBe(1)
    expect(count(vp.front, [c2])[c2]).toBe(1)
    expect(count(vp.bar, [c2])[c2]).toBe(0)
    expect((await jobsOf(c2)).map((j) => j.status)).toEqual(['queued', 'queued', 'queued'])

    // While no bridge runs, the kitchen keeps accepting: those jobs wait on the server.
    const c3 = await round(d, [MAPO, TEA, RICE])
    await accept(c3)
    expect((await jobsOf(c3)).map((j) => j.status)).toEqual(['queued', 'queued', 'queued'])

    bridge = startBridge()
    for (const id of [c1, c2, c3]) await allAcked(id, 3)
    for (const p of [vp.hot, vp.bar, vp.front])
      expect(count(p, [c1, c2, c3]), p.name).toEqual({ [c1]: 1, [c2]: 1, [c3]: 1 })
    for (const jobId of held.keys())
      expect(bridgeLog.some((l) => l.includes(`job ${jobId} was already printed; acking again`))).toBe(true)
  })

  it('d) an offline printer keeps its jobs queued, then prints them all in acceptance order', async () => {
    const d = await diner('A03')
    const hotBefore = vp.hot.tickets.length
    await vp.hot.setStatus({ online: false })
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const id = await round(d, [MAPO, TEA])
      await accept(id)
      ids.push(id)
    }
    // The bar is a minute offline; 10 s keeps this file short and shows the same thing: the bar
    // printer goes on printing, the hot printer's tickets stay queued on the server and print nowhere.
    await until('the bar printer prints its 3 tickets', () =>
      ids.every((id) => ticketsFor(vp.bar, id).length === 1),
    )
    await new Promise((r) => setTimeout(r, 10_000))
    expect(vp.hot.tickets.length).toBe(hotBefore)
    for (const id of ids) {
      const jobs = await jobsOf(id)
      expect(jobs.find((j) => j.printerId === 'hot')?.status).toBe('queued')
      expect(jobs.find((j) => j.printerId === 'bar')?.status).toBe('acked')
    }
    const { states } = await call('GET', `/api/v1/stores/${STORE}/printers`, { token: owner })
    expect(states.find((s: any) => s.id === 'hot')).toMatchObject({ status: 'offline', queued: 3 })

    await vp.hot.setStatus({ online: true })
    for (const id of ids) await allAcked(id, 2)
    const printed = vp.hot.tickets.slice(hotBefore)
    expect(printed.map(orderIdOn)).toEqual(ids)
  }, 40_000)

  it('e) paper out reaches the merchant console live, is recorded, and clears when paper is back', async () => {
    const board = await storeSocket()
    await board.next('snapshot', (m) => m.type === 'snapshot')
    await vp.hot.setStatus({ paperOut: true })
    // The bridge asks a printer for its status before each job (and polls while any wait or one is not ok),
    // so an idle printer's paper running out shows once the next ticket is due.
    const d = await diner('A04')
    const id = await round(d, [MAPO])
    await accept(id)
    const alarm = await board.next(
      'hot paper_out',
      (m) => m.type === 'printer' && m.printer.id === 'hot' && m.printer.status === 'paper_out',
    )
    expect(alarm).toMatchObject({ type: 'printer', printer: { id: 'hot', status: 'paper_out' }, alert: true })

    const recorded = await call('GET', `/api/v1/stores/${STORE}/printers`, { token: owner })
    expect(recorded.events[0]).toMatchObject({ printerId: 'hot', status: 'paper_out' })
    expect(recorded.states.find((s: any) => s.id === 'hot')).toMatchObject({ status: 'paper_out', queued: 1 })
    expect(ticketsFor(vp.hot, id)).toHaveLength(0)
    expect(vp.hot.discarded).toHaveLength(0) // checked first, never sent into an empty printer

    await vp.hot.setStatus({ paperOut: false })
    const back = await board.next(
      'hot ok again',
      (m) => m.type === 'printer' && m.printer.id === 'hot' && m.printer.status === 'ok' && m.seq > alarm.seq,
    )
    expect(back.alert).toBe(false)
    await allAcked(id, 1)
    expect(ticketsFor(vp.hot, id)).toHaveLength(1)
    const after = await call('GET', `/api/v1/stores/${STORE}/printers`, { token: owner })
    expect(after.states.find((s: any) => s.id === 'hot')).toMatchObject({ status: 'ok', queued: 0 })
    expect(after.events[0]).toMatchObject({ printerId: 'hot', status: 'ok' })
    expect(after.events[1]).toMatchObject({ printerId: 'hot', status: 'paper_out' })
    board.close()
  })
})
