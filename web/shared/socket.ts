// A live channel to a Durable Object: snapshot + seq-numbered deltas applied with core's pure reducers,
// resync on a gap, reconnect with backoff and jitter, keepalive pings. UI reads it through useLive().
import { useEffect, useState } from 'preact/hooks'

export type LinkStatus = 'connecting' | 'open' | 'reconnecting' | 'closed'

export interface LiveView<S> {
  state: S | null
  status: LinkStatus
}

type Reducer<S, M> = (state: S | null, seq: number, msg: M) => { state: S | null; seq: number } | 'gap'

export interface LiveOptions<S, M> {
  url: string
  apply: Reducer<S, M>
  /** Every parsed server message, after it was applied (toasts, alerts). */
  onMessage?: (msg: M) => void
  /** Connections keep failing before they open, or the server closed with an app code: the token may be dead. */
  onUnreachable?: () => void
}

// Why: servers and proxies drop idle sockets after ~60-100 s; a 20 s ping stays well inside that.
const PING_MS = 20_000
// Why: two unanswered pings plus slack means the link is dead even if the browser has not noticed.
const SILENCE_MS = 50_000
const BACKOFF_BASE_MS = 500
const BACKOFF_MAX_MS = 15_000
// Why: if the snapshot a resync asked for never comes, ask again instead of waiting forever.
const RESYNC_RETRY_MS = 5_000
const FAILURES_BEFORE_UNREACHABLE = 3

export class LiveSocket<S, M extends { type: string }> {
  private ws: WebSocket | null = null
  private view: LiveView<S> = { state: null, status: 'connecting' }
  private seq = 0
  private readonly listeners = new Set<() => void>()
  private attempt = 0
  private failedBeforeOpen = 0
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private pingTimer: ReturnType<typeof setInterval> | undefined
  private resyncAt = 0
  private lastHeard = 0
  private stopped = false

  constructor(private readonly opts: LiveOptions<S, M>) {
    document.addEventListener('visibilitychange', this.wake)
    window.addEventListener('online', this.wake)
    this.connect()
  }

  get snapshot(): LiveView<S> {
    return this.view
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  /** Sends when the link is open; returns false otherwise so callers can fall back to HTTP. */
  send(msg: object): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false
    this.ws.send(JSON.stringify(msg))
    return true
  }

  resync(): void {
    const now = Date.now()
    if (now - this.resyncAt < RESYNC_RETRY_MS) return
    if (this.send({ type: 'resync' })) this.resyncAt = now
  }

  /** Local change from an HTTP answer; the next server message for the same thing overwrites it. */
  patch(fn: (s: S) => S): void {
    if (this.view.state) this.set({ ...this.view, state: fn(this.view.state) })
  }

  close(): void {
    this.stopped = true
    document.removeEventListener('visibilitychange', this.wake)
    window.removeEventListener('online', this.wake)
    clearTimeout(this.retryTimer)
    clearInterval(this.pingTimer)
    this.ws?.close(1000)
    this.ws = null
    this.set({ ...this.view, status: 'closed' })
  }

  private set(view: LiveView<S>): void {
    this.view = view
    for (const fn of this.listeners) fn()
  }

  private connect(): void {
    clearTimeout(this.retryTimer)
    if (this.stopped) return
    const ws = new WebSocket(this.opts.url)
    this.ws = ws
    let opened = false
    ws.onopen = () => {
      if (this.ws !== ws) return
      opened = true
      this.attempt = 0
      this.failedBeforeOpen = 0
      this.lastHeard = Date.now()
      this.resyncAt = 0
      clearInterval(this.pingTimer)
      this.pingTimer = setInterval(() => this.keepalive(ws), PING_MS)
      this.set({ ...this.view, status: 'open' })
    }
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return
      this.lastHeard = Date.now()
      if (typeof ev.data !== 'string' || ev.data === 'pong') return
      let msg: M
      try {
        msg = JSON.parse(ev.data) as M
      } catch {
        return
      }
      this.receive(msg)
    }
    ws.onclose = (ev) => {
      if (this.ws !== ws) return
      this.ws = null
      clearInterval(this.pingTimer)
      if (this.stopped) return
      if (!opened) this.failedBeforeOpen++
      if (this.failedBeforeOpen === FAILURES_BEFORE_UNREACHABLE || ev.code >= 4000)
        this.opts.onUnreachable?.()
      this.set({ ...this.view, status: this.view.state ? 'reconnecting' : 'connecting' })
      this.schedule()
    }
  }

  private receive(msg: M): void {
    const next = this.opts.apply(this.view.state, this.seq, msg)
    if (next === 'gap') {
      this.resync()
      return
    }
    this.seq = next.seq
    if (msg.type === 'snapshot') this.resyncAt = 0
    if (next.state !== this.view.state) this.set({ ...this.view, state: next.state })
    this.opts.onMessage?.(msg)
  }

  private keepalive(ws: WebSocket): void {
    if (Date.now() - this.lastHeard > SILENCE_MS) {
      ws.close(4000, 'silent')
      // The close event of a dead link can take minutes to arrive; reconnect now.
      if (this.ws === ws) {
        this.ws = null
        clearInterval(this.pingTimer)
        this.set({ ...this.view, status: 'reconnecting' })
        this.schedule()
      }
      return
    }
    if (ws.readyState === WebSocket.OPEN) ws.send('ping')
  }

  private schedule(): void {
    clearTimeout(this.retryTimer)
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt)
    this.attempt++
    // Jitter spreads a whole dining room reconnecting after a Wi-Fi blip.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2)
    this.retryTimer = setTimeout(() => this.connect(), delay)
  }

  private readonly wake = (): void => {
    if (this.stopped || document.visibilityState === 'hidden' || this.ws) return
    this.attempt = 0
    this.connect()
  }
}

/** Re-renders the component on every change of the live view. */
export function useLive<S, M extends { type: string }>(live: LiveSocket<S, M> | null): LiveView<S> {
  const [view, setView] = useState<LiveView<S>>(live?.snapshot ?? { state: null, status: 'connecting' })
  useEffect(() => {
    if (!live) return
    setView(live.snapshot)
    return live.subscribe(() => setView(live.snapshot))
  }, [live])
  return view
}
