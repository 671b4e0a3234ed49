// The phone's GPS while on duty: watchPosition keeps the latest fix (WGS-84, as the device measures it),
// and one fix goes up the rider socket per interval, the interval the server says in every loc.ack. A phone
// standing still may stop calling back, so a due report with nothing new asks the GPS once more. Before a
// task action the latest fix goes up at once (`flush`), so the geofence check sees where the rider is now.
import type { LocRejectReason, RiderServerMessage } from '../../core/channels/rider'
import { MOVING_INTERVAL_MS } from '../../core/geo/track'

export interface DeviceFix {
  lat: number
  lng: number
  accuracyM: number
  /** When the device measured it (epoch ms). */
  at: number
}

export interface GpsView {
  watching: boolean
  /** The latest fix from the device, sent or not. */
  fix: DeviceFix | null
  /** Geolocation API error code (1 denied, 2 unavailable, 3 timeout; 0 no API), while it lasts. */
  error: number | null
  intervalMs: number
  /** The last report sent, and what the server said of it. */
  sentAt: number | null
  ackAt: number | null
  rejected: { reason: LocRejectReason; at: number } | null
}

type Reply = Extract<RiderServerMessage, { type: 'loc.ack' | 'loc.rejected' }>

/** Checked this often; a report itself goes only at the server's interval. */
const TICK_MS = 1_000
/** How long `flush` waits for the server's verdict on the fix it sent. */
const FLUSH_WAIT_MS = 3_000
/** A GPS that keeps failing is asked again at most this often. */
const REFRESH_EVERY_MS = 5_000

/**
 * Is a report due? One per interval, and only a fix newer than the last one sent (the server refuses a fix
 * that is not newer than the last it accepted). Pure.
 */
export function reportDue(
  now: number,
  lastSentAt: number | null,
  intervalMs: number,
  fix: DeviceFix | null,
  lastSentFixAt: number | null,
): 'send' | 'refresh' | 'wait' {
  if (lastSentAt !== null && now - lastSentAt < intervalMs) return 'wait'
  if (!fix) return 'refresh'
  return lastSentFixAt === null || fix.at > lastSentFixAt ? 'send' : 'refresh'
}

export function toDeviceFix(p: GeolocationPosition): DeviceFix {
  return {
    lat: p.coords.latitude,
    lng: p.coords.longitude,
    accuracyM: Math.min(100_000, Math.max(0, Math.round(p.coords.accuracy * 10) / 10)),
    at: Math.round(p.timestamp),
  }
}

/** One position now (for going on duty); null with the error code when the phone cannot tell. */
export function currentPosition(timeoutMs = 10_000): Promise<DeviceFix | { error: number }> {
  if (!('geolocation' in navigator)) return Promise.resolve({ error: 0 })
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve(toDeviceFix(p)),
      (e) => resolve({ error: e.code }),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 10_000 },
    )
  })
}

export class LocationReporter {
  private view: GpsView = {
    watching: false,
    fix: null,
    error: null,
    intervalMs: MOVING_INTERVAL_MS,
    sentAt: null,
    ackAt: null,
    rejected: null,
  }
  private watchId: number | null = null
  private timer: ReturnType<typeof setInterval> | undefined
  private lastSentFixAt: number | null = null
  private refreshing = false
  private refreshedAt = 0
  private readonly waiters = new Map<number, (r: Reply | null) => void>()

  constructor(
    /** Sends on the socket; false when the link is down (the report stays due). */
    private readonly send: (msg: object) => boolean,
    private readonly onChange: (v: GpsView) => void,
  ) {}

  get snapshot(): GpsView {
    return this.view
  }

  private set(patch: Partial<GpsView>): void {
    this.view = { ...this.view, ...patch }
    this.onChange(this.view)
  }

  start(): void {
    if (this.view.watching) return
    if (!('geolocation' in navigator)) {
      this.set({ watching: false, error: 0 })
      return
    }
    this.watchId = navigator.geolocation.watchPosition(
      (p) => this.onFix(toDeviceFix(p)),
      (e) => this.set({ error: e.code }),
      { enableHighAccuracy: true, maximumAge: 5_000, timeout: 30_000 },
    )
    this.timer = setInterval(() => this.tick(), TICK_MS)
    this.set({ watching: true, error: null })
  }

  stop(): void {
    if (this.watchId !== null) navigator.geolocation.clearWatch(this.watchId)
    this.watchId = null
    clearInterval(this.timer)
    for (const w of this.waiters.values()) w(null)
    this.waiters.clear()
    this.set({ watching: false, error: null, rejected: null })
  }

  /** The server's answer to a report: the interval it wants next, and whether the fix counted. */
  onReply(msg: Reply): void {
    if (msg.type === 'loc.ack') this.set({ intervalMs: msg.intervalMs, ackAt: msg.at, rejected: null })
    else this.set({ intervalMs: msg.intervalMs, rejected: { reason: msg.reason, at: msg.at } })
    this.waiters.get(msg.at)?.(msg)
    this.waiters.delete(msg.at)
  }

  /** Send the latest fix now if it has not gone up yet, and wait (briefly) for the verdict. */
  async flush(): Promise<Reply | null> {
    const fix = this.view.fix
    if (!fix || (this.lastSentFixAt !== null && fix.at <= this.lastSentFixAt)) return null
    const verdict = new Promise<Reply | null>((resolve) => {
      this.waiters.set(fix.at, resolve)
      setTimeout(() => {
        if (this.waiters.get(fix.at) === resolve) this.waiters.delete(fix.at)
        resolve(null)
      }, FLUSH_WAIT_MS)
    })
    if (!this.report(fix)) {
      this.waiters.get(fix.at)?.(null)
      this.waiters.delete(fix.at)
    }
    return verdict
  }

  private onFix(fix: DeviceFix): void {
    this.set({ fix, error: null })
    this.tick()
  }

  private tick(): void {
    const v = this.view
    const due = reportDue(Date.now(), v.sentAt, v.intervalMs, v.fix, this.lastSentFixAt)
    if (due === 'send' && v.fix) this.report(v.fix)
    else if (due === 'refresh') this.refresh()
  }

  private report(fix: DeviceFix): boolean {
    const ok = this.send({ type: 'loc', lat: fix.lat, lng: fix.lng, accuracyM: fix.accuracyM, at: fix.at })
    if (ok) {
      this.lastSentFixAt = fix.at
      this.set({ sentAt: Date.now() })
    }
    return ok
  }

  /** Nothing new from the watch: ask the GPS for a fresh fix once (at most one request at a time). */
  private refresh(): void {
    const now = Date.now()
    if (this.refreshing || !this.view.watching || now - this.refreshedAt < REFRESH_EVERY_MS) return
    this.refreshing = true
    this.refreshedAt = now
    navigator.geolocation.getCurrentPosition(
      (p) => {
        this.refreshing = false
        this.onFix(toDeviceFix(p))
      },
      (e) => {
        this.refreshing = false
        // A phone lying still may simply have nothing new: a timeout is not a fault while the watch has a fix.
        if (e.code !== 3 || !this.view.fix) this.set({ error: e.code })
      },
      { enableHighAccuracy: true, maximumAge: 0, timeout: 20_000 },
    )
  }
}
