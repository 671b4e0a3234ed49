// Notify delivery: POST to the notify_url given at creation, retried until acknowledged on the providers'
// real schedules, every delay multiplied by the time scale. Runs on timers only, so it never blocks the
// HTTP response of the call that caused it. Each attempt is logged.

import type { DeliveryFaults } from './faults'
import type { SandboxProvider } from './state'

/** Delays after the 1st, 2nd, ... failed delivery, in ms (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter3_2_5.shtml). */
export const WECHAT_RETRY_MS = [
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
].map((s) => s * 1000)
/** Alipay: 4m, 10m, 10m, 1h, 2h, 6h, 15h (opendocs.alipay.com/open/203/105286). */
export const ALIPAY_RETRY_MS = [240, 600, 600, 3600, 7200, 21600, 54000].map((s) => s * 1000)

/** How long the sandbox waits for the merchant's answer; WeChat asks for an answer within 5 s. */
const DELIVERY_TIMEOUT_MS = 5000

export interface RenderedNotify {
  headers: Record<string, string>
  body: string
}

export interface NotifyJob {
  provider: SandboxProvider
  kind: 'payment' | 'refund'
  /** The provider's notify id (WeChat envelope id / Alipay notify_id), the same on every retry. */
  notifyId: string
  outTradeNo: string
  outRefundNo?: string
  url: string
  /** Sign (again) for one delivery: `stale` signs with a timestamp 10 minutes old. */
  render(opts: { stale: boolean }): Promise<RenderedNotify>
  /** The body altered after signing (tamper). */
  tamper(body: string): string
}

export interface DeliveryLogEntry {
  provider: SandboxProvider
  kind: 'payment' | 'refund'
  notifyId: string
  outTradeNo: string
  outRefundNo?: string
  url: string
  /** 1 for the first delivery; copies of a duplicated delivery share its number. */
  attempt: number
  /** HTTP status, or 0 when the request failed (connection refused, timeout). */
  status: number
  acked: boolean
  at: number
  /** The fault that shaped this delivery, if any. */
  fault?: 'delay' | 'duplicate' | 'reorder' | 'tamper' | 'stale'
  error?: string
  /** The merchant's reply, first 200 characters. */
  reply?: string
}

export type NotificationState =
  | 'scheduled'
  | 'held'
  | 'delivering'
  | 'retrying'
  | 'acked'
  | 'dropped'
  | 'gave_up'

export interface NotificationRecord {
  provider: SandboxProvider
  kind: 'payment' | 'refund'
  notifyId: string
  outTradeNo: string
  outRefundNo?: string
  url: string
  state: NotificationState
  attempts: number
  faults: DeliveryFaults
  createdAt: number
}

interface Entry {
  job: NotifyJob
  record: NotificationRecord
  faults: DeliveryFaults
}

export interface NotifierOptions {
  fetch: typeof fetch
  timeScale: () => number
  now: () => number
}

export class Notifier {
  readonly log: DeliveryLogEntry[] = []
  readonly records: NotificationRecord[] = []
  private timers = new Set<ReturnType<typeof setTimeout>>()
  private held: Entry[] = []
  /** Bumped by clear(): deliveries in flight from before are not logged or retried. */
  private generation = 0
  private inFlight = 0

  constructor(private readonly opts: NotifierOptions) {}

  enqueue(job: NotifyJob, faults: DeliveryFaults): NotificationRecord {
    const record: NotificationRecord = {
      provider: job.provider,
      kind: job.kind,
      notifyId: job.notifyId,
      outTradeNo: job.outTradeNo,
      ...(job.outRefundNo ? { outRefundNo: job.outRefundNo } : {}),
      url: job.url,
      state: 'scheduled',
      attempts: 0,
      faults,
      createdAt: this.opts.now(),
    }
    this.records.push(record)
    const entry: Entry = { job, record, faults }
    if (faults.drop) {
      record.state = 'dropped'
      return record
    }
    if (faults.reorder) {
      record.state = 'held'
      this.held.push(entry)
      return record
    }
    this.later(faults.delayMs ?? 0, () => this.deliver(entry, 1))
    return record
  }

  /** Deliveries still to come or in flight. */
  get pending(): number {
    return this.timers.size + this.inFlight
  }

  /** Cancel every scheduled or held delivery; in-flight ones are neither logged nor retried. */
  stop(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.held = []
    this.generation++
  }

  /** stop(), and forget the log. */
  clear(): void {
    this.stop()
    this.log.length = 0
    this.records.length = 0
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(
      () => {
        this.timers.delete(t)
        fn()
      },
      Math.max(0, ms),
    )
    this.timers.add(t)
  }

  private async deliver(entry: Entry, attempt: number): Promise<void> {
    const { job, record, faults } = entry
    const generation = this.generation
    const first = attempt === 1
    record.state = 'delivering'
    record.attempts = attempt
    const copies = first && faults.copies ? faults.copies : 1
    const fault: DeliveryLogEntry['fault'] = !first
      ? undefined
      : faults.tamper
        ? 'tamper'
        : faults.stale
          ? 'stale'
          : faults.copies
            ? 'duplicate'
            : faults.reorder
              ? 'reorder'
              : faults.delayMs !== undefined
                ? 'delay'
                : undefined
    this.inFlight++
    let acked = false
    try {
      const rendered = await job.render({ stale: first && !!faults.stale })
      const body = first && faults.tamper ? job.tamper(rendered.body) : rendered.body
      const results = await Promise.all(
        Array.from({ length: copies }, () => this.post(job, rendered.headers, body)),
      )
      if (generation !== this.generation) return
      for (const r of results) {
        this.log.push({
          provider: job.provider,
          kind: job.kind,
          notifyId: job.notifyId,
          outTradeNo: job.outTradeNo,
          ...(job.outRefundNo ? { outRefundNo: job.outRefundNo } : {}),
          url: job.url,
          attempt,
          status: r.status,
          acked: r.acked,
          at: this.opts.now(),
          ...(fault ? { fault } : {}),
          ...(r.error ? { error: r.error } : {}),
          ...(r.reply !== undefined ? { reply: r.reply } : {}),
        })
      }
      acked = results.some((r) => r.acked)
    } finally {
      this.inFlight--
    }
    if (generation !== this.generation) return
    if (first) this.releaseHeld(job)
    if (acked) {
      record.state = 'acked'
      return
    }
    const schedule = job.provider === 'wechat' ? WECHAT_RETRY_MS : ALIPAY_RETRY_MS
    const wait = schedule[attempt - 1]
    if (wait === undefined) {
      record.state = 'gave_up'
      return
    }
    record.state = 'retrying'
    this.later(wait * this.opts.timeScale(), () => this.deliver(entry, attempt + 1))
  }

  /** A notify was sent: whatever was held for reordering (same provider) goes out right after it. */
  private releaseHeld(sent: NotifyJob): void {
    const release = this.held.filter((e) => e.job.provider === sent.provider && e.job !== sent)
    if (release.length === 0) return
    this.held = this.held.filter((e) => !release.includes(e))
    for (const e of release) this.later(e.faults.delayMs ?? 0, () => this.deliver(e, 1))
  }

  private async post(
    job: NotifyJob,
    headers: Record<string, string>,
    body: string,
  ): Promise<{ status: number; acked: boolean; error?: string; reply?: string }> {
    try {
      const res = await this.opts.fetch(job.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual', // Alipay: notify_url must not redirect
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      })
      const reply = await res.text()
      // WeChat: any 2xx. Alipay: the body is exactly "success".
      const acked = job.provider === 'wechat' ? res.status >= 200 && res.status < 300 : reply === 'success'
      return { status: res.status, acked, reply: reply.slice(0, 200) }
    } catch (err) {
      return { status: 0, acked: false, error: err instanceof Error ? err.message : String(err) }
    }
  }
}
