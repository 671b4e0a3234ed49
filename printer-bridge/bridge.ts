// The in-store printer bridge: one outbound WebSocket to the store's StoreDO, ESC/POS printers on the LAN.
//
// Per printer, one FIFO queue, one job at a time, in order. For each job: ask the printer's status
// (DLE EOT); if it is not ok the job waits where it is (and so does everything behind it) while the
// status is polled and reported; once ok, the job is journaled 'received', rendered bytes go out, the
// journal says 'printed', and the server gets an ack. A printer with a backup that stays not-ok for longer
// than `backupAfterMs` hands its waiting jobs to the backup, in order.
//
// Exactly once on paper across crashes, reconnects and resends comes from the journal (journal.ts): a job
// already 'printed' is acked again, never printed again.
import { createHash } from 'node:crypto'
import os from 'node:os'
import iconv from 'iconv-lite'
import WebSocket from 'ws'
import type { BridgeClientMessage, BridgePrinterStatus, BridgeServerMessage } from '../core/channels/bridge'
import { renderTicket } from '../core/escpos'
import type { PrinterConfig, PrintJob } from '../core/tickets'
import { Journal, type JournalState } from './journal'
import { queryStatus, sendToPrinter } from './printer'

export const BRIDGE_VERSION = '0.1.0'

/** A LAN printer as the bridge uses it: the server's config with the address it dials. */
export type LanPrinter = PrinterConfig & { transport: { kind: 'lan'; address: string } }

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type Logger = (level: LogLevel, message: string) => void

export interface BridgeOptions {
  /** ws(s)://<server>/api/v1/stores/<storeId>/bridge */
  url: string
  /** The store's bridge key, sent as `Authorization: Bearer <key>`. */
  key: string
  journalPath: string
  /** Stable name of this installation; the host name by default. */
  bridgeId?: string
  /** Printer id -> tcp://host:port, overriding the address from the server's config (--printer). */
  addresses?: Record<string, string>
  now?: () => number
  /** In [0, 1), for backoff jitter. */
  random?: () => number
  log?: Logger
  /** How long a printer with a backup may be not-ok before its waiting jobs move to the backup. */
  backupAfterMs?: number
  /** Status poll while jobs wait or a printer is not ok. */
  pollMs?: number
  /** Status poll of idle, healthy printers, so paper running out between orders shows before the next one. */
  idlePollMs?: number
  /** DLE EOT answer timeout; a LAN printer answers in a few ms, 500 ms is the reference's figure. */
  statusTimeoutMs?: number
  /** Connect timeout and idle timeout while sending a job. */
  printTimeoutMs?: number
  /** Reconnect backoff bounds. */
  minBackoffMs?: number
  maxBackoffMs?: number
  /** WebSocket ping interval; a missing pong by the next ping drops the socket and reconnects. */
  pingMs?: number
  /** Test seam: awaited after each journal record, before the bridge goes on. */
  onJournal?: (jobId: string, state: JournalState) => void | Promise<void>
}

interface Queued {
  job: PrintJob
  /** Set when the job moved here from a printer that was down (backup takeover). */
  from?: string
}

interface PrinterState {
  config: LanPrinter
  queue: Queued[]
  /** Effective status: what the printer says, or 'error' while the last print to it failed. */
  status: BridgePrinterStatus
  detail: string | undefined
  /** Whether the status was ever queried (hello only carries known statuses). */
  checked: boolean
  /** Since when the effective status has not been 'ok'; null while ok. */
  notOkSince: number | null
  /** The last print failed although the printer said ok; cleared by the next successful print. */
  printError: string | null
  /** One TCP conversation with a printer at a time: a status query or a job. */
  busy: boolean
  running: Promise<void> | null
}

// Why these numbers: backoff from half a second (a server restart is back quickly) to 30 s (a store's
// bridge hammering a down server helps nobody); 5 s status polls are how long a cook waits for a
// refilled printer to start; 60 s before a backup takes over lets staff swap a paper roll first.
const DEFAULTS = {
  backupAfterMs: 60_000,
  pollMs: 5_000,
  // Idle printers are asked every 30 s: a DLE EOT is a few bytes, and staff learn of an empty roll before
  // the lunch rush instead of with its first ticket.
  idlePollMs: 30_000,
  statusTimeoutMs: 800,
  printTimeoutMs: 10_000,
  minBackoffMs: 500,
  maxBackoffMs: 30_000,
  pingMs: 25_000,
}

export class Bridge {
  private readonly opts: Required<Omit<BridgeOptions, 'onJournal' | 'addresses'>> &
    Pick<BridgeOptions, 'onJournal'> & { addresses: Record<string, string> }
  private readonly journal: Journal
  private readonly printers = new Map<string, PrinterState>()
  /** Job id -> printer id of every job queued or printing, so a resend is not queued twice. */
  private readonly pending = new Map<string, string>()
  /** What the server was last told per printer on this connection. */
  private reported = new Map<string, BridgePrinterStatus>()
  private ws: WebSocket | null = null
  private attempt = 0
  private reconnectTimer: NodeJS.Timeout | undefined
  private pollTimer: NodeJS.Timeout | undefined
  private pingTimer: NodeJS.Timeout | undefined
  private alive = false
  private started = false
  private stopped = false
  /** Set by abort(): behave like a killed process, do nothing more at all. */
  private dead = false
  private welcomed = false

  constructor(opts: BridgeOptions) {
    this.opts = {
      ...DEFAULTS,
      bridgeId: os.hostname(),
      now: Date.now,
      random: Math.random,
      log: consoleLogger,
      ...stripUndefined(opts),
      addresses: opts.addresses ?? {},
    }
    this.journal = Journal.open(opts.journalPath, { now: this.opts.now })
  }

  /** Connects (and keeps reconnecting) until close(). */
  start(): void {
    if (this.started) return
    this.started = true
    this.log('info', `journal ${this.journal.path} (${this.journal.size} jobs remembered)`)
    this.connect()
  }

  /** Whether the server's welcome arrived on the current connection. */
  get connected(): boolean {
    return this.welcomed && this.ws?.readyState === WebSocket.OPEN
  }

  /** Printer id -> effective status and queue length (for logs and tests). */
  snapshot(): Record<string, { status: BridgePrinterStatus; waiting: number; address: string }> {
    const out: Record<string, { status: BridgePrinterStatus; waiting: number; address: string }> = {}
    for (const [id, p] of this.printers)
      out[id] = { status: p.status, waiting: p.queue.length, address: p.config.transport.address }
    return out
  }

  /** Stops taking work, lets a job being printed finish (and be acked), then closes the socket. */
  async close(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.clearTimers()
    await Promise.all([...this.printers.values()].map((p) => p.running))
    const ws = this.ws
    this.ws = null
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          ws.terminate()
          resolve()
        }, 2_000)
        ws.once('close', () => {
          clearTimeout(t)
          resolve()
        })
        ws.close(1000, 'bridge shutting down')
      })
    }
    this.journal.close()
    this.log('info', 'closed')
  }

  /** Drops everything at once, as if the process were killed: no more writes, sends or prints. For tests. */
  abort(): void {
    this.dead = true
    this.stopped = true
    this.clearTimers()
    this.ws?.terminate()
    this.ws = null
    this.journal.close()
  }

  // ---------- the socket ----------

  private connect(): void {
    if (this.stopped) return
    this.welcomed = false
    this.reported = new Map()
    const ws = new WebSocket(this.opts.url, { headers: { Authorization: `Bearer ${this.opts.key}` } })
    this.ws = ws
    ws.on('open', () => {
      this.log('info', `connected to ${this.opts.url}`)
      this.alive = true
      this.startPing(ws)
      const printers: { id: string; status: BridgePrinterStatus }[] = []
      for (const [id, p] of this.printers) if (p.checked) printers.push({ id, status: p.status })
      this.send({ type: 'hello', bridgeId: this.opts.bridgeId, version: BRIDGE_VERSION, printers })
      for (const p of printers) this.reported.set(p.id, p.status)
    })
    ws.on('message', (data) => this.onMessage(ws, data))
    ws.on('pong', () => {
      this.alive = true
    })
    ws.on('error', (err) => {
      const rejected = /\b(401|403)\b/.test(err.message) ? ' (is the bridge key right?)' : ''
      this.log('warn', `socket: ${err.message}${rejected}`)
    })
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return
      this.ws = null
      this.welcomed = false
      clearInterval(this.pingTimer)
      if (this.stopped) return
      const why = reason.length > 0 ? ` ${reason.toString()}` : ''
      if (code === 4003)
        this.log('warn', 'the server closed the socket: the bridge key was rotated or is wrong')
      if (code === 4009) {
        // Another bridge connected for this store and the server now sends jobs there. Jobs this bridge has
        // not started would print twice (each bridge has its own journal): drop them, the server resends
        // every unconfirmed job to the bridge that holds the socket. Retry slowly so two machines do not
        // take the socket from each other every second.
        const dropped = this.dropUnstarted()
        this.log('warn', `another bridge connected for this store; ${dropped} waiting job(s) left to it`)
        this.attempt = Math.max(this.attempt, 16)
      }
      const delay = this.backoff()
      this.log('warn', `disconnected (${code}${why}); reconnecting in ${(delay / 1000).toFixed(1)} s`)
      this.reconnectTimer = setTimeout(() => this.connect(), delay)
    })
  }

  /** Remove queued jobs that were never handed to a printer; returns how many. */
  private dropUnstarted(): number {
    let n = 0
    for (const p of this.printers.values()) {
      const keep = p.queue.filter((q) => this.journal.has(q.job.id, 'received'))
      n += p.queue.length - keep.length
      p.queue = keep
    }
    return n
  }

  private backoff(): number {
    const { minBackoffMs: min, maxBackoffMs: max } = this.opts
    return backoffDelay(this.attempt++, this.opts.random(), min, max)
  }

  private startPing(ws: WebSocket): void {
    clearInterval(this.pingTimer)
    this.pingTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return
      if (!this.alive) {
        this.log('warn', 'no pong from the server; dropping the socket')
        ws.terminate()
        return
      }
      this.alive = false
      ws.ping()
    }, this.opts.pingMs)
  }

  private send(msg: BridgeClientMessage): boolean {
    const ws = this.ws
    if (this.dead || !ws || ws.readyState !== WebSocket.OPEN) return false
    ws.send(JSON.stringify(msg))
    return true
  }

  private onMessage(ws: WebSocket, data: WebSocket.RawData): void {
    if (this.ws !== ws || this.dead) return
    let msg: BridgeServerMessage
    try {
      msg = JSON.parse(data.toString()) as BridgeServerMessage
    } catch {
      this.log('warn', 'ignored a frame that is not JSON')
      return
    }
    switch (msg?.type) {
      case 'welcome':
        this.onWelcome(msg)
        break
      case 'job':
        if (!isJob(msg.job)) this.log('warn', 'ignored a malformed job')
        else this.onJob(msg.job)
        break
      case 'error':
        this.log('warn', `server: ${msg.code} ${msg.message}`)
        break
      default:
        this.log('debug', `ignored message ${JSON.stringify((msg as { type?: unknown })?.type)}`)
    }
  }

  // ---------- printers and jobs ----------

  private onWelcome(msg: Extract<BridgeServerMessage, { type: 'welcome' }>): void {
    this.welcomed = true
    this.attempt = 0
    const lan = (Array.isArray(msg.printers) ? msg.printers : []).filter(
      (p): p is LanPrinter => p?.transport?.kind === 'lan',
    )
    const seen = new Set<string>()
    for (const cfg of lan) {
      seen.add(cfg.id)
      const address = this.opts.addresses[cfg.id] ?? cfg.transport.address
      const config: LanPrinter = { ...cfg, transport: { kind: 'lan', address } }
      const p = this.printers.get(cfg.id)
      if (p) {
        if (p.config.transport.address !== address) this.log('info', `printer ${cfg.id} now at ${address}`)
        p.config = config
      } else {
        this.printers.set(cfg.id, newPrinterState(config))
        this.log(
          'info',
          `printer ${cfg.id} (${cfg.name}) at ${address}${cfg.backupId ? `, backup ${cfg.backupId}` : ''}`,
        )
      }
    }
    for (const [id, p] of this.printers) {
      if (seen.has(id) || p.busy) continue
      for (const q of p.queue) this.pending.delete(q.job.id)
      this.printers.delete(id)
      this.log('warn', `printer ${id} is no longer configured; dropped ${p.queue.length} waiting job(s)`)
    }
    for (const id of Object.keys(this.opts.addresses))
      if (!seen.has(id)) this.log('warn', `--printer ${id}: the store has no LAN printer with that id`)
    this.log('info', `welcome from store ${msg.storeId}: ${lan.length} LAN printer(s)`)
    // Fresh statuses for everything (the first ones are reported as changes), then whatever waits prints.
    for (const p of this.printers.values()) {
      if (p.queue.length > 0) this.pump(p)
      else this.check(p)
    }
  }

  private onJob(job: PrintJob): void {
    if (this.stopped) return
    const printedAt = this.journal.at(job.id, 'printed')
    if (printedAt !== undefined) {
      // Printed before (an ack lost with a socket, or a crash before the ack): ack again, never print again.
      this.log('info', `job ${job.id} was already printed; acking again`)
      this.ack(job.id, printedAt)
      return
    }
    if (this.pending.has(job.id)) return // a resend of a job still waiting here
    const p = this.printers.get(job.printerId)
    if (!p) {
      this.log(
        'debug',
        `job ${job.id}: printer ${job.printerId} is not a LAN printer of this bridge; ignored`,
      )
      return
    }
    this.pending.set(job.id, p.config.id)
    p.queue.push({ job })
    this.log('info', `job ${job.id} (${job.ticket.kind}, ${job.ticket.pickupNo}) queued on ${p.config.id}`)
    this.pump(p)
  }

  /** Runs the printer's queue unless it is already running. */
  private pump(p: PrinterState): void {
    if (p.busy || this.stopped) return
    void this.exclusive(p, () => this.drain(p))
  }

  /** Status check only; jobs that arrived meanwhile start right after it rather than at the next poll. */
  private check(p: PrinterState): void {
    if (p.busy || this.stopped) return
    void this.exclusive(p, () => this.refresh(p), true)
  }

  private exclusive(p: PrinterState, work: () => Promise<unknown>, thenPump = false): Promise<void> {
    p.busy = true
    const run = work()
      .then(() => undefined)
      .catch((err: unknown) => this.log('error', `printer ${p.config.id}: ${errorText(err)}`))
      .finally(() => {
        if (this.dead) return
        p.busy = false
        p.running = null
        if (thenPump && p.queue.length > 0) this.pump(p)
        else this.schedulePoll()
      })
    p.running = run
    return run
  }

  private async drain(p: PrinterState): Promise<void> {
    while (p.queue.length > 0 && !this.stopped) {
      const raw = await this.refresh(p)
      if (this.dead || this.stopped) return
      if (this.handOver(p)) return
      if (raw !== 'ok') {
        this.log('debug', `printer ${p.config.id} is ${raw}; ${p.queue.length} job(s) wait`)
        return
      }
      const head = p.queue[0]!
      const done = await this.print(p, head)
      if (this.dead) return
      if (done === 'failed') return
      p.queue.shift()
      this.pending.delete(head.job.id)
    }
  }

  /** Renders, journals, sends, journals, acks. 'failed' leaves the job at the head of the queue. */
  private async print(p: PrinterState, { job, from }: Queued): Promise<'printed' | 'skipped' | 'failed'> {
    let bytes: Uint8Array
    try {
      bytes = this.render(job, p.config)
    } catch (err) {
      // A ticket that cannot be rendered would block the queue forever. Not acked: the server keeps it.
      this.log('error', `job ${job.id}: cannot render (${errorText(err)}); skipped`)
      return 'skipped'
    }
    const hash = createHash('sha256').update(bytes).digest('hex')
    this.journal.mark(job.id, 'received', { hash, printerId: p.config.id })
    await this.opts.onJournal?.(job.id, 'received')
    if (this.dead) return 'failed'
    const address = p.config.transport.address
    try {
      await sendToPrinter(address, bytes, { timeoutMs: this.opts.printTimeoutMs })
    } catch (err) {
      if (this.dead) return 'failed'
      const detail = errorText(err)
      this.log('warn', `job ${job.id} on ${p.config.id} failed: ${detail}; will retry`)
      p.printError = detail
      // Paper running out mid-job shows as a stalled socket; ask the printer what is wrong.
      const raw = await queryStatus(address, { timeoutMs: this.opts.statusTimeoutMs })
      if (this.dead) return 'failed'
      this.setStatus(p, raw, raw === 'ok' ? detail : statusDetail(raw, address))
      return 'failed'
    }
    if (this.dead) return 'failed'
    this.journal.mark(job.id, 'printed')
    const printedAt = this.journal.at(job.id, 'printed')!
    if (p.printError) {
      p.printError = null
      this.setStatus(p, 'ok')
    }
    const copies = job.copies > 1 ? ` x${job.copies}` : ''
    const via = from ? ` (backup for ${from})` : ''
    this.log('info', `printed job ${job.id}${copies} on ${p.config.id}${via}, ${bytes.length} bytes`)
    await this.opts.onJournal?.(job.id, 'printed')
    if (this.dead) return 'printed'
    this.ack(job.id, printedAt)
    return 'printed'
  }

  private render(job: PrintJob, printer: LanPrinter): Uint8Array {
    const encode = (s: string) => iconv.encode(s, 'gb18030')
    const buzzer = printer.buzzer && job.ticket.kind === 'kitchen'
    const first = renderTicket(job.ticket, { width: printer.width, encode, buzzer })
    const copies = Math.max(1, Math.min(5, Math.floor(job.copies) || 1))
    if (copies === 1) return first
    // Every copy ends in a cut; one beep per job is the alert, more is noise.
    const rest = buzzer ? renderTicket(job.ticket, { width: printer.width, encode, buzzer: false }) : first
    const out = new Uint8Array(first.length + rest.length * (copies - 1))
    out.set(first, 0)
    for (let i = 1; i < copies; i++) out.set(rest, first.length + rest.length * (i - 1))
    return out
  }

  private ack(jobId: string, printedAt: number): void {
    if (this.send({ type: 'ack', jobId, printedAt })) {
      if (!this.journal.has(jobId, 'acked')) this.journal.mark(jobId, 'acked')
      void this.opts.onJournal?.(jobId, 'acked')
    } else {
      this.log('info', `job ${jobId}: not connected, the ack goes out when the server resends it`)
    }
  }

  /**
   * A printer not-ok for longer than backupAfterMs gives its waiting jobs, in order, to its backup, if the
   * backup was last seen ok. They join the end of the backup's queue and stay there.
   */
  private handOver(p: PrinterState): boolean {
    if (p.status === 'ok' || p.notOkSince === null || p.queue.length === 0) return false
    if (this.opts.now() - p.notOkSince <= this.opts.backupAfterMs) return false
    const backupId = p.config.backupId
    const backup = backupId !== undefined ? this.printers.get(backupId) : undefined
    if (!backup || backup === p || backup.status !== 'ok') return false
    const moved = p.queue.splice(0)
    for (const q of moved) {
      backup.queue.push({ job: q.job, from: q.from ?? p.config.id })
      this.pending.set(q.job.id, backup.config.id)
    }
    const secs = Math.round((this.opts.now() - p.notOkSince) / 1000)
    this.log(
      'warn',
      `printer ${p.config.id} ${p.status} for ${secs} s: ${moved.length} job(s) moved to ${backup.config.id}`,
    )
    this.pump(backup)
    return true
  }

  /** Queries the printer, updates and reports its status; returns what the printer itself said. */
  private async refresh(p: PrinterState): Promise<BridgePrinterStatus> {
    const address = p.config.transport.address
    const raw = await queryStatus(address, { timeoutMs: this.opts.statusTimeoutMs })
    if (this.dead) return raw
    this.setStatus(p, raw, raw === 'ok' ? (p.printError ?? undefined) : statusDetail(raw, address))
    return raw
  }

  private setStatus(p: PrinterState, raw: BridgePrinterStatus, detail?: string): void {
    const status: BridgePrinterStatus = raw === 'ok' && p.printError ? 'error' : raw
    const before = p.checked ? p.status : undefined
    p.checked = true
    p.status = status
    p.detail = status === 'ok' ? undefined : detail
    if (status === 'ok') p.notOkSince = null
    else p.notOkSince ??= this.opts.now()
    if (before !== status) {
      const level = status === 'ok' ? 'info' : 'warn'
      this.log(
        level,
        `printer ${p.config.id}: ${before ?? 'unknown'} -> ${status}${p.detail ? ` (${p.detail})` : ''}`,
      )
    }
    if (this.reported.get(p.config.id) !== status) {
      const msg: BridgeClientMessage = { type: 'status', printerId: p.config.id, status, at: this.opts.now() }
      if (p.detail) msg.detail = p.detail.slice(0, 200)
      if (this.send(msg)) this.reported.set(p.config.id, status)
    }
    if (status !== 'ok') this.schedulePoll()
  }

  // ---------- polling ----------

  /** Whether the pending poll timer is the fast one. */
  private pollUrgent = false

  private needsPoll(): boolean {
    for (const p of this.printers.values()) if (p.queue.length > 0 || p.status !== 'ok') return true
    return false
  }

  /** Fast polls while anything waits or is wrong; slow ones otherwise, so an idle printer's trouble shows. */
  private schedulePoll(): void {
    if (this.stopped || this.printers.size === 0) return
    const urgent = this.needsPoll()
    if (this.pollTimer) {
      // A slow idle poll must not hold back the fast one a waiting job or a failing printer needs.
      if (!urgent || this.pollUrgent) return
      clearTimeout(this.pollTimer)
    }
    this.pollUrgent = urgent
    this.pollTimer = setTimeout(
      () => {
        this.pollTimer = undefined
        this.tick(urgent)
      },
      urgent ? this.opts.pollMs : this.opts.idlePollMs,
    )
  }

  private tick(urgent = true): void {
    if (this.stopped) return
    for (const p of this.printers.values()) {
      if (p.busy) continue
      if (p.queue.length > 0) this.pump(p)
      else if (p.status !== 'ok' || !urgent) this.check(p)
    }
    this.schedulePoll()
  }

  private clearTimers(): void {
    clearTimeout(this.reconnectTimer)
    clearTimeout(this.pollTimer)
    clearInterval(this.pingTimer)
    this.reconnectTimer = undefined
    this.pollTimer = undefined
  }

  private log(level: LogLevel, message: string): void {
    if (!this.dead) this.opts.log(level, message)
  }
}

/**
 * Reconnect delay before attempt `attempt` (0-based): exponential from `min`, capped at `max`, with jitter
 * in [half, full] of that (so a city's bridges do not all reconnect in lockstep after a deploy), never
 * below `min`. `random` is in [0, 1).
 */
export function backoffDelay(attempt: number, random: number, min: number, max: number): number {
  const base = Math.min(max, min * 2 ** Math.min(attempt, 30))
  return Math.max(min, Math.round(base * (0.5 + random * 0.5)))
}

function newPrinterState(config: LanPrinter): PrinterState {
  return {
    config,
    queue: [],
    status: 'offline',
    detail: undefined,
    checked: false,
    notOkSince: null,
    printError: null,
    busy: false,
    running: null,
  }
}

function statusDetail(status: BridgePrinterStatus, address: string): string {
  switch (status) {
    case 'offline':
      return `no status answer from ${address}`
    case 'paper_out':
      return 'out of paper'
    case 'cover_open':
      return 'cover open'
    default:
      return status
  }
}

function isJob(v: unknown): v is PrintJob {
  if (typeof v !== 'object' || v === null) return false
  const j = v as Record<string, unknown>
  return (
    typeof j.id === 'string' &&
    typeof j.printerId === 'string' &&
    typeof j.copies === 'number' &&
    typeof j.ticket === 'object' &&
    j.ticket !== null
  )
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

export const consoleLogger: Logger = (level, message) => {
  if (level === 'debug' && !process.env.BRIDGE_DEBUG) return
  const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`
  if (level === 'error' || level === 'warn') console.error(line)
  else console.log(line)
}
