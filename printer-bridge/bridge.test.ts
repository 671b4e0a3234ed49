// The bridge end to end: a small WebSocket server in the test plays the StoreDO side of the protocol
// (core/channels/bridge.ts), virtual printers (virtual-printer.ts) play the kitchen's ESC/POS printers.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import type { IncomingMessage } from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type WebSocket, WebSocketServer } from 'ws'
import { BridgeClientMessage, type BridgeServerMessage } from '../core/channels/bridge'
import type { PrinterConfig, PrintJob, Ticket } from '../core/tickets'
import { BRIDGE_VERSION, Bridge, type BridgeOptions, backoffDelay } from './bridge'
import { bridgeUrl, ConfigError, parseConfig } from './config'
import type { JournalState } from './journal'
import { startVirtualPrinter, type VirtualPrinter } from './virtual-printer'

const KEY = 'bk_test_key'
const STORE = '001'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

// ---------- the StoreDO side ----------

interface StoredJob {
  job: PrintJob
  acked: boolean
}

class FakeStore {
  readonly messages: BridgeClientMessage[] = []
  readonly jobs: StoredJob[] = []
  readonly sockets = new Set<WebSocket>()
  readonly rejected: string[] = []
  connections = 0
  /** Acks for these job ids are "lost in flight": not applied (the server resends the job later). */
  readonly loseAcks = new Set<string>()
  /** Called for each ack as it arrives, before it is applied. */
  onAck: (jobId: string) => void = () => {}
  private constructor(
    private readonly wss: WebSocketServer,
    public printers: PrinterConfig[],
  ) {}

  static async start(printers: PrinterConfig[]): Promise<FakeStore> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    await new Promise<void>((r) => wss.once('listening', () => r()))
    const store = new FakeStore(wss, printers)
    wss.on('connection', (ws, req) => store.onConnection(ws, req))
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const s of store.sockets) s.terminate()
          wss.close(() => r())
        }),
    )
    return store
  }

  get url(): string {
    return bridgeUrl(`http://127.0.0.1:${(this.wss.address() as net.AddressInfo).port}`, STORE)
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    if (req.url !== `/api/v1/stores/${STORE}/bridge` || req.headers.authorization !== `Bearer ${KEY}`) {
      this.rejected.push(`${req.url} ${req.headers.authorization}`)
      ws.close(4003, 'bad bridge key')
      return
    }
    this.connections++
    this.sockets.add(ws)
    ws.on('close', () => this.sockets.delete(ws))
    ws.on('message', (data) => {
      // Validated exactly as the StoreDO validates it.
      const msg = BridgeClientMessage.parse(JSON.parse(data.toString()))
      this.messages.push(msg)
      if (msg.type === 'ack') {
        this.onAck(msg.jobId)
        if (this.loseAcks.has(msg.jobId)) return
        const j = this.jobs.find((x) => x.job.id === msg.jobId)
        if (j) j.acked = true
      }
    })
    // On connect: welcome, then every unacked job, oldest first.
    send(ws, { type: 'welcome', storeId: STORE, printers: this.printers })
    for (const j of this.jobs) if (!j.acked) send(ws, { type: 'job', job: j.job })
  }

  /** A new job: stored, and sent to a connected bridge at once. */
  add(...jobs: PrintJob[]): void {
    for (const job of jobs) {
      this.jobs.push({ job, acked: false })
      for (const ws of this.sockets) send(ws, { type: 'job', job })
    }
  }

  /** The server drops the socket (a deploy, a network blip). */
  drop(): void {
    for (const ws of this.sockets) ws.terminate()
  }

  acks(jobId?: string) {
    return this.messages.filter(
      (m): m is Extract<BridgeClientMessage, { type: 'ack' }> =>
        m.type === 'ack' && (jobId === undefined || m.jobId === jobId),
    )
  }

  statuses(printerId: string): string[] {
    return this.messages.flatMap((m) => (m.type === 'status' && m.printerId === printerId ? [m.status] : []))
  }

  hellos() {
    return this.messages.filter(
      (m): m is Extract<BridgeClientMessage, { type: 'hello' }> => m.type === 'hello',
    )
  }

  allAcked(): boolean {
    return this.jobs.every((j) => j.acked)
  }
}

function send(ws: WebSocket, msg: BridgeServerMessage): void {
  ws.send(JSON.stringify(msg))
}

// ---------- fixtures ----------

async function printer(name: string): Promise<VirtualPrinter> {
  const vp = await startVirtualPrinter({ port: 0, name })
  cleanups.push(() => vp.close())
  return vp
}

function lan(
  id: string,
  vp: VirtualPrinter | { port: number },
  over: Partial<PrinterConfig> = {},
): PrinterConfig {
  return {
    id,
    name: id,
    stations: ['hot'],
    receipts: false,
    copies: 1,
    width: 80,
    buzzer: false,
    transport: { kind: 'lan', address: `tcp://127.0.0.1:${vp.port}` },
    ...over,
  }
}

let seq = 0
function job(
  printerId: string,
  pickupNo: string,
  over: Partial<PrintJob> = {},
  ticket: Partial<Ticket> = {},
): PrintJob {
  seq++
  return {
    id: `job_${String(seq).padStart(6, '0')}_${pickupNo}`,
    printerId,
    copies: 1,
    createdAt: 1_700_000_000_000 + seq,
    ticket: {
      kind: 'kitchen',
      storeName: '测试小馆',
      orderId: `ord_${pickupNo}`,
      pickupNo,
      mode: 'pickup',
      addOn: false,
      station: 'hot',
      lines: [
        {
          name: '麻婆豆腐',
          skuName: '标准',
          optionNames: [],
          qty: 1,
          note: '',
          allergens: [],
          station: 'hot',
          lineTotalFen: 2800,
        },
      ],
      note: '',
      orderedAt: 1_700_000_000_000,
      reprint: false,
      ...ticket,
    },
    ...over,
  }
}

function tmpJournal(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-'))
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  return path.join(dir, 'journal.jsonl')
}

function startBridge(store: FakeStore, journalPath: string, over: Partial<BridgeOptions> = {}): Bridge {
  const logs: string[] = []
  const bridge = new Bridge({
    url: store.url,
    key: KEY,
    journalPath,
    bridgeId: 'test-bridge',
    pollMs: 50,
    statusTimeoutMs: 500,
    printTimeoutMs: 2_000,
    minBackoffMs: 50,
    maxBackoffMs: 200,
    log: (level, msg) => logs.push(`${level} ${msg}`),
    ...over,
  })
  bridge.start()
  cleanups.push(() => bridge.close())
  return bridge
}

async function until(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const t0 = Date.now()
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for: ${what}`)
    await sleep(10)
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const journalRecords = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { jobId: string; state: JournalState; at: number; hash?: string })

const pickupNos = (vp: VirtualPrinter) => vp.tickets.map((t) => /\b([A-Z]\d{3})\b/.exec(t.text)?.[1])

// ---------- tests ----------

describe('bridge', () => {
  it('prints a job, and acks it only after the printer took every byte', async () => {
    const vp = await printer('kitchen')
    const store = await FakeStore.start([lan('kitchen', vp)])
    const ticketsAtAck: number[] = []
    store.onAck = () => ticketsAtAck.push(vp.tickets.length)
    const journal = tmpJournal()
    startBridge(store, journal)
    await until('welcome', () => store.hellos().length === 1)
    expect(store.hellos()[0]).toEqual({
      type: 'hello',
      bridgeId: 'test-bridge',
      version: BRIDGE_VERSION,
      printers: [],
    })

    const j = job('kitchen', 'A001')
    store.add(j)
    await until('ack', () => store.allAcked())
    expect(ticketsAtAck).toEqual([1])
    const [ticket] = vp.tickets
    expect(ticket!.text).toContain('A001')
    expect(ticket!.text).toContain('麻婆豆腐') // GB18030 through iconv, read back by the printer
    expect(ticket!.parsed.cuts).toBe(1)
    const ack = store.acks(j.id)[0]!
    expect(ack.printedAt).toBeGreaterThanOrEqual(ticket!.at)
    // The journal: received (with the hash of exactly the bytes that landed), printed, acked, in that order.
    const recs = journalRecords(journal).filter((r) => r.jobId === j.id)
    expect(recs.map((r) => r.state)).toEqual(['received', 'printed', 'acked'])
    expect(recs[0]!.hash).toBe(createHash('sha256').update(ticket!.bytes).digest('hex'))
    expect(recs[1]!.at).toBe(ack.printedAt)
    // The first status check was reported.
    expect(store.statuses('kitchen')).toEqual(['ok'])
  })

  it('does not ack while a printer takes the bytes but never finishes; retries and acks once it does', async () => {
    // A raw printer that answers status 'ok' but, until fixed, never ends a print connection.
    let fixed = false
    const received: Buffer[] = []
    const sockets = new Set<net.Socket>()
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {})
      s.on('data', (d: Buffer) => {
        if (d[0] === 0x10 && d[1] === 0x04) s.write(Uint8Array.of(0x12, 0x12, 0x12))
        else received.push(d)
      })
      s.on('end', () => {
        if (fixed) s.end()
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy()
          server.close(() => r())
        }),
    )
    const port = (server.address() as net.AddressInfo).port
    const store = await FakeStore.start([lan('kitchen', { port })])
    startBridge(store, tmpJournal(), { printTimeoutMs: 200 })
    const j = job('kitchen', 'A001')
    store.add(j)
    await until('error status', () => store.statuses('kitchen').includes('error'))
    expect(received.length).toBeGreaterThan(0) // bytes went out...
    expect(store.acks()).toHaveLength(0) // ...but nothing proves the printer took them
    const error = store.messages.find((m) => m.type === 'status' && m.status === 'error')
    expect(error).toMatchObject({ detail: expect.stringMatching(/no progress/) })
    fixed = true
    await until('ack', () => store.allAcked())
    expect(store.statuses('kitchen').at(-1)).toBe('ok')
  })

  it('prints copies with a cut between them, beeping once on kitchen tickets only', async () => {
    const vp = await printer('kitchen')
    const store = await FakeStore.start([lan('kitchen', vp, { buzzer: true, receipts: true })])
    startBridge(store, tmpJournal())
    store.add(
      job('kitchen', 'A001', { copies: 2 }),
      job('kitchen', 'A002', {}, { kind: 'receipt', totalFen: 2800 }),
    )
    await until('acks', () => store.allAcked())
    expect(vp.tickets).toHaveLength(3)
    expect(vp.tickets.map((t) => t.parsed.beeps > 0)).toEqual([true, false, false])
    expect(pickupNos(vp)).toEqual(['A001', 'A001', 'A002'])
  })

  it('never prints a job twice when killed after journaling "received": the restarted bridge prints it once', async () => {
    const vp = await printer('kitchen')
    const store = await FakeStore.start([lan('kitchen', vp)])
    const journal = tmpJournal()
    const j1 = job('kitchen', 'A001')
    const j2 = job('kitchen', 'A002')
    store.add(j1, j2)
    let first: Bridge | undefined
    let crashed = false
    first = startBridge(store, journal, {
      onJournal: (id, state) => {
        if (id === j1.id && state === 'received') {
          crashed = true
          first!.abort() // the process dies here: before any byte reached the printer
          return new Promise(() => {})
        }
      },
    })
    await until('crash', () => crashed)
    await sleep(200)
    expect(vp.tickets).toHaveLength(0)
    expect(store.acks()).toHaveLength(0)
    expect(journalRecords(journal).map((r) => `${r.jobId}:${r.state}`)).toEqual([`${j1.id}:received`])

    startBridge(store, journal)
    await until('acks', () => store.allAcked())
    await sleep(300) // nothing more comes out
    expect(pickupNos(vp)).toEqual(['A001', 'A002'])
    expect(store.acks().map((a) => a.jobId)).toEqual([j1.id, j2.id])
  })

  it('never prints a job twice when killed after "printed" but before the ack: the restart only acks it', async () => {
    const vp = await printer('kitchen')
    const store = await FakeStore.start([lan('kitchen', vp)])
    const journal = tmpJournal()
    const j1 = job('kitchen', 'A001')
    const j2 = job('kitchen', 'A002')
    store.add(j1, j2)
    let first: Bridge | undefined
    let crashed = false
    first = startBridge(store, journal, {
      onJournal: (id, state) => {
        if (id === j1.id && state === 'printed') {
          crashed = true
          first!.abort() // dies with the ticket on paper and the ack not sent
          return new Promise(() => {})
        }
      },
    })
    await until('crash', () => crashed)
    await sleep(200)
    expect(pickupNos(vp)).toEqual(['A001'])
    expect(store.acks()).toHaveLength(0)

    startBridge(store, journal)
    await until('acks', () => store.allAcked())
    await sleep(300)
    expect(pickupNos(vp)).toEqual(['A001', 'A002']) // A001 was not printed again
    expect(store.acks().map((a) => a.jobId)).toEqual([j1.id, j2.id])
    // The re-ack carries the original print time from the journal.
    const printed = journalRecords(journal).find((r) => r.jobId === j1.id && r.state === 'printed')!
    expect(store.acks(j1.id)[0]!.printedAt).toBe(printed.at)
  })

  it('holds jobs in order while the printer is offline and prints them all, in order, when it returns', async () => {
    const vp = await printer('kitchen')
    await vp.setStatus({ online: false })
    const store = await FakeStore.start([lan('kitchen', vp)])
    startBridge(store, tmpJournal())
    const jobs = ['A001', 'A002', 'A003', 'A004', 'A005'].map((n) => job('kitchen', n))
    store.add(jobs[0]!, jobs[1]!)
    await until('offline reported', () => store.statuses('kitchen').includes('offline'))
    store.add(jobs[2]!, jobs[3]!, jobs[4]!)
    await sleep(400) // several polls with the printer still down
    expect(vp.tickets).toHaveLength(0)
    expect(store.acks()).toHaveLength(0)
    await vp.setStatus({ online: true })
    await until('acks', () => store.allAcked())
    await sleep(200)
    expect(pickupNos(vp)).toEqual(['A001', 'A002', 'A003', 'A004', 'A005'])
    expect(store.acks().map((a) => a.jobId)).toEqual(jobs.map((j) => j.id))
    expect(store.statuses('kitchen')).toEqual(['offline', 'ok'])
    const offline = store.messages.find((m) => m.type === 'status' && m.status === 'offline')
    expect(offline).toMatchObject({
      printerId: 'kitchen',
      detail: expect.stringContaining('no status answer'),
    })
  })

  it('reports paper out and cover open as status messages, and prints nothing into a stopped printer', async () => {
    const vp = await printer('kitchen')
    const store = await FakeStore.start([lan('kitchen', vp)])
    startBridge(store, tmpJournal())
    await until('first status', () => store.statuses('kitchen').length === 1)
    await vp.setStatus({ paperOut: true })
    store.add(job('kitchen', 'A001'))
    await until('paper_out', () => store.statuses('kitchen').includes('paper_out'))
    const msg = store.messages.find((m) => m.type === 'status' && m.status === 'paper_out')
    expect(msg).toMatchObject({
      type: 'status',
      printerId: 'kitchen',
      status: 'paper_out',
      detail: 'out of paper',
    })
    expect(typeof (msg as { at: number }).at).toBe('number')
    await vp.setStatus({ paperOut: false, coverOpen: true })
    await until('cover_open', () => store.statuses('kitchen').includes('cover_open'))
    expect(vp.discarded).toHaveLength(0) // the job was never sent into the stopped printer
    expect(store.acks()).toHaveLength(0)
    await vp.setStatus({ coverOpen: false })
    await until('ack', () => store.allAcked())
    expect(pickupNos(vp)).toEqual(['A001'])
    expect(store.statuses('kitchen')).toEqual(['ok', 'paper_out', 'cover_open', 'ok'])
  })

  it('notices an idle printer running out of paper, before any ticket is due', async () => {
    const vp = await printer('kitchen')
    const store = await FakeStore.start([lan('kitchen', vp)])
    startBridge(store, tmpJournal(), { idlePollMs: 200 })
    await until('first status', () => store.statuses('kitchen').length === 1)
    await vp.setStatus({ paperOut: true })
    await until('paper_out while idle', () => store.statuses('kitchen').includes('paper_out'))
    await vp.setStatus({ paperOut: false })
    await until('ok again', () => store.statuses('kitchen').at(-1) === 'ok')
  })

  it('hands a down printer’s waiting jobs to its backup after backupAfterMs, in order', async () => {
    const kitchen = await printer('kitchen')
    const bar = await printer('bar')
    await kitchen.setStatus({ online: false })
    const store = await FakeStore.start([
      lan('kitchen', kitchen, { backupId: 'bar' }),
      lan('bar', bar, { stations: ['bar'], width: 58 }),
    ])
    const journal = tmpJournal()
    startBridge(store, journal, { backupAfterMs: 400 })
    await until('kitchen offline', () => store.statuses('kitchen').includes('offline'))
    const down = store.messages.find((m) => m.type === 'status' && m.status === 'offline') as { at: number }
    const jobs = ['A001', 'A002', 'A003'].map((n) => job('kitchen', n))
    store.add(...jobs)
    await sleep(200)
    expect(bar.tickets).toHaveLength(0) // not yet: the kitchen printer may just need a paper roll
    await until('acks', () => store.allAcked())
    // Handed over once the printer had been down for longer than backupAfterMs, and soon after.
    expect(bar.tickets[0]!.at - down.at).toBeGreaterThan(400)
    expect(bar.tickets[0]!.at - down.at).toBeLessThan(1500)
    expect(pickupNos(bar)).toEqual(['A001', 'A002', 'A003'])
    expect(kitchen.tickets).toHaveLength(0)
    const received = journalRecords(journal).filter((r) => r.state === 'received') as { printerId?: string }[]
    expect(received.map((r) => r.printerId)).toEqual(['bar', 'bar', 'bar'])

    // The kitchen printer comes back: its new jobs print there again.
    await kitchen.setStatus({ online: true })
    await until('kitchen ok', () => store.statuses('kitchen').at(-1) === 'ok')
    store.add(job('kitchen', 'A004'))
    await until('ack', () => store.allAcked())
    expect(pickupNos(kitchen)).toEqual(['A004'])
    expect(bar.tickets).toHaveLength(3)
  })

  it('reconnects after the server drops the socket; resent jobs are deduped by the journal', async () => {
    const vp = await printer('kitchen')
    const store = await FakeStore.start([lan('kitchen', vp)])
    startBridge(store, tmpJournal())
    const j1 = job('kitchen', 'A001')
    const j2 = job('kitchen', 'A002')
    store.loseAcks.add(j2.id) // the ack for A002 is lost with the socket
    store.add(j1, j2)
    await until('two acks sent', () => store.acks().length === 2)
    const t0 = Date.now()
    store.drop()
    store.loseAcks.clear()
    const j3 = job('kitchen', 'A003')
    store.add(j3) // made while the bridge is away: sent after the next welcome
    await until('hello again', () => store.hellos().length === 2)
    expect(store.connections).toBe(2)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(20) // backoff, not a tight loop
    expect(store.hellos()[1]!.printers).toEqual([{ id: 'kitchen', status: 'ok' }])
    await until('all acked', () => store.allAcked())
    await sleep(300)
    expect(pickupNos(vp)).toEqual(['A001', 'A002', 'A003']) // A002 was resent, acked again, not reprinted
    expect(store.acks().map((a) => a.jobId)).toEqual([j1.id, j2.id, j2.id, j3.id])
  })

  it('does not queue a resent job twice while it waits for its printer', async () => {
    const vp = await printer('kitchen')
    await vp.setStatus({ online: false })
    const store = await FakeStore.start([lan('kitchen', vp)])
    startBridge(store, tmpJournal())
    store.add(job('kitchen', 'A001'), job('kitchen', 'A002'))
    await until('offline', () => store.statuses('kitchen').includes('offline'))
    store.drop()
    await until('reconnected', () => store.connections === 2)
    store.drop()
    await until('reconnected again', () => store.connections === 3)
    await vp.setStatus({ online: true })
    await until('acks', () => store.allAcked())
    await sleep(300)
    expect(pickupNos(vp)).toEqual(['A001', 'A002'])
  })

  it('maps printer ids to LAN addresses from --printer and ignores jobs for printers that are not LAN', async () => {
    const vp = await printer('kitchen')
    const store = await FakeStore.start([
      // The console saved an address that is wrong for this LAN; the bridge's flag wins.
      lan('kitchen', { port: 1 }),
      {
        ...lan('cloud', { port: 1 }),
        transport: { kind: 'feie', sn: 'ABC123' },
      },
    ])
    const bridge = startBridge(store, tmpJournal(), { addresses: { kitchen: `tcp://127.0.0.1:${vp.port}` } })
    const cloudJob = job('cloud', 'C001')
    const kitchenJob = job('kitchen', 'A001')
    store.add(cloudJob, kitchenJob)
    await until('ack', () => store.acks().length === 1)
    await sleep(200)
    expect(store.acks().map((a) => a.jobId)).toEqual([kitchenJob.id])
    expect(pickupNos(vp)).toEqual(['A001'])
    expect(Object.keys(bridge.snapshot())).toEqual(['kitchen'])
    expect(bridge.snapshot().kitchen!.address).toBe(`tcp://127.0.0.1:${vp.port}`)
  })

  it('sends the key as a Bearer header; with a wrong key it keeps retrying with backoff', async () => {
    const store = await FakeStore.start([])
    const logs: string[] = []
    const random = () => 0.5
    const bridge = startBridge(store, tmpJournal(), {
      key: 'wrong',
      minBackoffMs: 20,
      maxBackoffMs: 80,
      random,
      log: (l, m) => logs.push(`${l} ${m}`),
    })
    await until('three tries', () => store.rejected.length >= 3)
    expect(store.rejected[0]).toBe(`/api/v1/stores/${STORE}/bridge Bearer wrong`)
    expect(store.connections).toBe(0)
    expect(bridge.connected).toBe(false)
    expect(logs.some((l) => l.includes('4003'))).toBe(true)
  })

  it('closes cleanly: a job being printed finishes and is acked before the socket closes', async () => {
    const vp = await printer('kitchen')
    const store = await FakeStore.start([lan('kitchen', vp)])
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    let atGate = false
    const j = job('kitchen', 'A001')
    const bridge = startBridge(store, tmpJournal(), {
      onJournal: (_id, state) => {
        if (state !== 'received') return
        atGate = true
        return gate
      },
    })
    store.add(j)
    await until('journaled, about to print', () => atGate)
    const closing = bridge.close()
    await sleep(50)
    expect(vp.tickets).toHaveLength(0)
    release()
    await closing
    expect(pickupNos(vp)).toEqual(['A001'])
    expect(store.acks(j.id)).toHaveLength(1)
  })
})

describe('backoffDelay', () => {
  it('grows exponentially from 0.5 s, is capped at 30 s, and jitters within [half, full]', () => {
    const min = 500
    const max = 30_000
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((a) => backoffDelay(a, 0.999999, min, max))).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ])
    expect([0, 1, 2, 6, 50].map((a) => backoffDelay(a, 0, min, max))).toEqual([500, 500, 1000, 15000, 15000])
    for (let a = 0; a < 20; a++)
      for (const r of [0, 0.3, 0.7, 0.99]) {
        const d = backoffDelay(a, r, min, max)
        expect(d).toBeGreaterThanOrEqual(min)
        expect(d).toBeLessThanOrEqual(max)
      }
  })
})

describe('main (npm run bridge)', () => {
  it('runs from the command line, maps --printer, prints, and exits 0 on SIGTERM', async () => {
    const vp = await printer('kitchen')
    const store = await FakeStore.start([lan('kitchen', { port: 1 })])
    const journal = tmpJournal()
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'printer-bridge/main.ts',
        '--server',
        store.url.replace(/^ws:/, 'http:').replace(/\/api\/v1\/.*$/, ''),
        '--store',
        STORE,
        '--journal',
        journal,
        '--printer',
        `kitchen=tcp://127.0.0.1:${vp.port}`,
      ],
      { env: { ...process.env, BRIDGE_KEY: KEY }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString()
    })
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL')
    })
    const j = job('kitchen', 'A001')
    store.add(j)
    await until('ack', () => store.allAcked(), 20_000)
    expect(pickupNos(vp)).toEqual(['A001'])
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(out).toContain(`printed job ${j.id}`)
    expect(out).toContain('SIGTERM')
    expect(out).toContain('closed')
    expect(fs.readFileSync(journal, 'utf8')).toContain(j.id)
  })
})

describe('config', () => {
  it('builds the socket URL from the server and store', () => {
    expect(bridgeUrl('http://localhost:8787', '001')).toBe('ws://localhost:8787/api/v1/stores/001/bridge')
    expect(bridgeUrl('https://canteen.example.com/', 'st 1')).toBe(
      'wss://canteen.example.com/api/v1/stores/st%201/bridge',
    )
    expect(() => bridgeUrl('ftp://x', '001')).toThrow(ConfigError)
  })

  it('parses flags, repeated --printer, and a --config file that flags override', () => {
    const argv = ['--server', 'http://localhost:8787', '--store', '001', '--key', 'k1']
    expect(
      parseConfig(
        [...argv, '--printer', 'kitchen=tcp://192.168.1.50:9100', '--printer', 'bar=tcp://192.168.1.51:9100'],
        {},
      ),
    ).toEqual({
      server: 'http://localhost:8787',
      storeId: '001',
      key: 'k1',
      journalPath: '.data/bridge-journal.jsonl',
      printers: { kitchen: 'tcp://192.168.1.50:9100', bar: 'tcp://192.168.1.51:9100' },
    })
    const file = JSON.stringify({
      server: 'https://canteen.example.com',
      store: '002',
      key: 'k2',
      journal: '/var/lib/bridge/journal.jsonl',
      printers: { kitchen: 'tcp://10.0.0.5:9100' },
      backupAfterMs: 30000,
    })
    const cfg = parseConfig(
      ['--config', 'bridge.json', '--printer', 'kitchen=tcp://10.0.0.9:9100'],
      {},
      () => file,
    )
    expect(cfg).toMatchObject({
      server: 'https://canteen.example.com',
      storeId: '002',
      key: 'k2',
      journalPath: '/var/lib/bridge/journal.jsonl',
      printers: { kitchen: 'tcp://10.0.0.9:9100' },
      backupAfterMs: 30000,
    })
    expect(parseConfig(['--server', 'http://x', '--store', '1'], { BRIDGE_KEY: 'from-env' })).toMatchObject({
      key: 'from-env',
    })
    expect(parseConfig(['--help'], {})).toBe('help')
  })

  it('rejects what it cannot use, with a clear message', () => {
    expect(() => parseConfig(['--store', '1', '--key', 'k'], {})).toThrow(/missing --server/)
    expect(() =>
      parseConfig(['--server', 'http://x', '--store', '1', '--key', 'k', '--printer', 'kitchen'], {}),
    ).toThrow(/--printer kitchen/)
    expect(() =>
      parseConfig(
        ['--server', 'http://x', '--store', '1', '--key', 'k', '--printer', 'k=192.168.1.5:9100'],
        {},
      ),
    ).toThrow(/tcp:\/\//)
    expect(() => parseConfig(['--bogus'], {})).toThrow(ConfigError)
    expect(() => parseConfig(['--config', 'b.json'], {}, () => '{"server": 1}')).toThrow(/server/)
  })
})
