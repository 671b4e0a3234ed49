// Kitchen printing inside StoreDO: which jobs an order change makes, delivery to the store's bridge socket
// or to cloud printers, acks and printer status. Jobs are written in the caller's transaction; delivery
// happens after it commits (`flush`), and anything unconfirmed is sent again on the next connect or retry.
import { BridgeClientMessage, type BridgeServerMessage } from '../../core/channels/bridge'
import { feieContent } from '../../core/feie-format'
import { newId } from '../../core/ids'
import type { Order } from '../../core/order'
import type { OrderEvent, OrderState } from '../../core/order-machine'
import { kitchenJobs, type PrinterConfig, type PrintJob, receiptJobs, voidJobs } from '../../core/tickets'
import { FeieError, feieClient } from '../../workers/printers/feie'
import { safeSend } from '../sockets'
import type { Timers } from '../sql'
import { type PrinterState, type PrinterStatus, PrintRepo } from './print-repo'

/** Cloud print retries: 5 s doubling to 5 min; a job is never dropped, only retried slower. */
const FEIE_RETRY_BASE_MS = 5_000
const FEIE_RETRY_MAX_MS = 5 * 60_000
/** States in which the kitchen may have started on an order: cancelling then needs a 退菜 ticket. */
const KITCHEN_STATES: readonly OrderState[] = ['ACCEPTED', 'QUEUED', 'COOKING', 'READY']

export interface FeieEnv {
  FEIE_USER?: string
  FEIE_UKEY?: string
  FEIE_ENDPOINT?: string
}

export class Printing {
  readonly repo: PrintRepo
  /** Jobs written in the current transaction, delivered by `flush` once it commits. */
  private outgoing: PrintJob[] = []

  constructor(
    private readonly ctx: DurableObjectState,
    sql: SqlStorage,
    private readonly timers: Timers,
    private readonly storeName: () => string,
    private readonly onStatus: (state: PrinterState, alert: boolean) => void,
  ) {
    this.repo = new PrintRepo(sql)
  }

  private opts(reprint = false) {
    return { now: Date.now(), newId: () => newId('job'), reprint }
  }

  /** Called inside the order's transaction: the tickets this change prints. Returns how many. */
  onOrderEvent(event: OrderEvent, from: OrderState, order: Order, reason?: string): number {
    const printers = this.repo.printers()
    if (printers.length === 0) return 0
    let jobs: PrintJob[] = []
    if (event === 'accept') jobs = kitchenJobs(order, this.storeName(), printers, this.opts())
    else if ((event === 'cancel' || event === 'reject') && KITCHEN_STATES.includes(from))
      jobs = voidJobs(order, this.storeName(), printers, { ...this.opts(), reason: reason ?? '' })
    this.add(jobs)
    return jobs.length
  }

  /** One line taken back (退菜): a void ticket to the stations that have it. */
  voidLine(order: Order, lineNo: number, reason: string): void {
    const printers = this.repo.printers()
    if (printers.length === 0 || !KITCHEN_STATES.includes(order.state)) return
    this.add(voidJobs(order, this.storeName(), printers, { ...this.opts(), reason, lines: [lineNo] }))
  }

  /** The bill at the counter (pay-after-meal settle). */
  receipts(order: Order): void {
    this.add(receiptJobs(order, this.storeName(), this.repo.printers(), this.opts()))
  }

  reprint(jobId: string): PrintJob | null {
    const job = this.repo.job(jobId)
    if (!job) return null
    const copy: PrintJob = {
      ...job,
      id: newId('job'),
      createdAt: Date.now(),
      ticket: { ...job.ticket, reprint: true },
    }
    this.add([copy])
    return copy
  }

  private add(jobs: PrintJob[]): void {
    if (jobs.length === 0) return
    this.repo.enqueue(jobs)
    this.outgoing.push(...jobs)
  }

  /** After a rolled-back transaction: its jobs never existed. */
  discard(): void {
    this.outgoing = []
  }

  /** After commit: LAN jobs to the bridge now (if connected), cloud jobs to the alarm. */
  flush(): void {
    const jobs = this.outgoing
    this.outgoing = []
    if (jobs.length === 0) return
    const printers = new Map(this.repo.printers().map((p) => [p.id, p]))
    const bridges = this.ctx.getWebSockets('bridge')
    for (const job of jobs) {
      const p = printers.get(job.printerId)
      if (p?.transport.kind === 'lan') for (const ws of bridges) send(ws, { type: 'job', job })
      else if (p?.transport.kind === 'feie') this.timers.set(`feie:${job.id}`, Date.now())
    }
  }

  /** A bridge connected: its printers and every unconfirmed job for them, oldest first. */
  welcome(ws: WebSocket, storeId: string): void {
    const printers = this.repo.printers().filter((p) => p.transport.kind === 'lan')
    send(ws, { type: 'welcome', storeId, printers })
    for (const job of this.repo.queued(printers.map((p) => p.id))) send(ws, { type: 'job', job })
  }

  /** A message from the bridge. Returns an error text for the bridge when it is not understood. */
  onBridgeMessage(raw: unknown): string | null {
    const parsed = BridgeClientMessage.safeParse(raw)
    if (!parsed.success) return 'message not understood'
    const m = parsed.data
    const known = new Set(this.repo.printers().map((p) => p.id))
    switch (m.type) {
      case 'ack':
        this.repo.ack(m.jobId, m.printedAt)
        break
      case 'status':
        if (known.has(m.printerId)) this.status(m.printerId, m.status, m.detail, m.at)
        break
      case 'hello':
        for (const p of m.printers) if (known.has(p.id)) this.status(p.id, p.status, undefined, Date.now())
        break
    }
    return null
  }

  private status(printerId: string, status: PrinterStatus, detail: string | undefined, at: number): void {
    if (!this.repo.setStatus(printerId, status, detail, at)) return
    const state = this.repo.states().find((s) => s.id === printerId)
    if (state) this.onStatus(state, status !== 'ok')
  }

  /** Alarm work for cloud printers: send a due job; on failure retry later, never drop it. */
  async sendCloudJob(jobId: string, env: FeieEnv): Promise<void> {
    const job = this.repo.job(jobId)
    const printer = this.repo.printers().find((p) => p.id === job?.printerId)
    if (
      !job ||
      printer?.transport.kind !== 'feie' ||
      !this.repo.queued([printer.id]).some((j) => j.id === jobId)
    )
      return
    if (!env.FEIE_USER || !env.FEIE_UKEY) {
      this.status(printer.id, 'error', 'FEIE_USER / FEIE_UKEY are not configured', Date.now())
      this.timers.set(`feie:${jobId}`, Date.now() + FEIE_RETRY_MAX_MS)
      return
    }
    const client = feieClient({
      user: env.FEIE_USER,
      ukey: env.FEIE_UKEY,
      ...(env.FEIE_ENDPOINT ? { endpoint: env.FEIE_ENDPOINT } : {}),
    })
    try {
      await client.print(printer.transport.sn, feieContent(job.ticket, printer.width), job.copies)
      this.repo.ack(jobId, Date.now())
      this.status(printer.id, 'ok', undefined, Date.now())
    } catch (e) {
      const attempts = this.repo.attempt(jobId)
      const detail = e instanceof FeieError ? e.message : String(e)
      this.status(printer.id, 'error', detail.slice(0, 200), Date.now())
      this.timers.set(
        `feie:${jobId}`,
        Date.now() + Math.min(FEIE_RETRY_MAX_MS, FEIE_RETRY_BASE_MS * 2 ** (attempts - 1)),
      )
    }
  }

  /** Printers changed in the console: bridges get the new configuration. */
  reconfigured(storeId: string, printers: PrinterConfig[]): void {
    this.repo.setPrinters(printers)
    for (const ws of this.ctx.getWebSockets('bridge')) this.welcome(ws, storeId)
  }
}

function send(ws: WebSocket, msg: BridgeServerMessage): void {
  safeSend(ws, JSON.stringify(msg))
}
