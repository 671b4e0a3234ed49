// npx tsx bench/riders.ts [--riders 750] [--seconds 60] [--interval 500] [--tracking 50] — riders streaming
// locations over WebSockets into their RiderDOs (validated, converted, trail written, acked with the next
// interval), the cells kept fresh by the 30 s heartbeat, and operators asking for nearby riders meanwhile.
// Baseline in the same run: GET /api/v1/stores/:id, a bare Worker -> Durable Object RPC. One JSON line on
// stdout.
//
// Measured: sustained ingest (acks per second over the load window, against the offered rate), report ->
// ack latency, p99 of the nearby-riders query under load, how stale the cells' view of riders is (the
// heartbeat path), and the diner path in the same run (bench/riders-tracking.ts): `--tracking` delivery
// orders, each carried by one of as many extra riders who report at the same interval as the load, followed
// on the customers' tracking sockets; report sent -> position on the diner's socket. Only reports that pass
// the RiderDO's 3 s position throttle reach a diner (about one in six at 500 ms).
//
// Default 750 riders: the most the 2-vCPU bench machine sustains, and a run of ~2 minutes. The aim
// is --riders 5000 (~4 minutes; past ~2,760 rider objects one local workerd fails with SQLITE_NOMEM).
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { fromGcj02, type LatLng } from '../core/geo'
import { testStore } from '../test/workers/fixtures'
import { signToken } from '../workers/auth/tokens'
import { DEV_ADMIN_TOKEN, startBenchHost } from './host'
import { load } from './load'
import { json, pool, retry, STORE_AT, Tracking } from './riders-tracking'

const { values: args } = parseArgs({
  options: {
    riders: { type: 'string', default: process.env.RIDERS ?? '750' },
    seconds: { type: 'string', default: process.env.SECONDS ?? '60' },
    interval: { type: 'string', default: process.env.INTERVAL_MS ?? '500' },
    concurrency: { type: 'string', default: '64' },
    tracking: { type: 'string', default: process.env.TRACKING ?? '50' },
  },
})
const RIDERS = Number(args.riders)
const SECONDS = Number(args.seconds)
const INTERVAL_MS = Number(args.interval)
const CONCURRENCY = Number(args.concurrency)
/** Delivery orders followed on a diner's socket, each carried by one of as many extra riders. */
const TRACKING = Number(args.tracking)
/** The secret bench/host.ts gives the Worker: the bench signs rider tokens itself (no 5,000 PBKDF2 logins). */
const TOKEN_SECRET = 'test-fixture-token-secret'
/** Riders spread over a 20 x 20 km square around People's Square, Shanghai (GCJ-02): ~25 geohash-5 cells. */
const CENTRE: LatLng = { lat: 31.2304, lng: 121.4737 }
const SPAN_DEG = 0.18

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`)
const q = (xs: number[], p: number) => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 10) / 10
}

interface Rider {
  id: string
  token: string
  pos: LatLng
  /** What the phone's GPS says: WGS-84, moved directly (converting every report cost the load generator
   * more CPU than the server spent on it). */
  wgs: LatLng
  heading: number
  ws?: WebSocket
  /** at -> send time, for the ack latency. */
  pending: Map<number, number>
  lastAt: number
  /** One of the tracking riders (bench/riders-tracking.ts): its reports are matched at the diners' sockets. */
  track?: boolean
}

const dev = await startBenchHost(Number(process.env.PORT ?? 8798))
log(`host up: ${dev.host}`)
const b = dev.base
const wsBase = b.replace(/^http/, 'ws')
const admin = { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, 'content-type': 'application/json' }
try {
  // ---- baseline: a bare Worker -> DO call, measured before the load ----
  await json(
    await fetch(`${b}/api/v1/admin/stores/900`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify(testStore()),
    }),
  )
  await load(500, CONCURRENCY, async () => {
    await json(await fetch(`${b}/api/v1/stores/900`))
  })
  const baseline = await load(3000, CONCURRENCY, async () => {
    await json(await fetch(`${b}/api/v1/stores/900`))
  })
  log(`baseline ${JSON.stringify(baseline)}`)

  // ---- the diner path: a delivery store, K orders ready with a rider each, the diners' sockets open ----
  const tracking = new Tracking(b, admin, TOKEN_SECRET, log)
  if (TRACKING > 0) await tracking.setup(TRACKING)

  // ---- riders: created, on duty, sockets open ----
  const rnd = (() => {
    let s = 42
    return () => {
      s = (s * 1103515245 + 12345) % 2 ** 31
      return s / 2 ** 31
    }
  })()
  const exp = Date.now() + 3600_000
  const riders: Rider[] = await Promise.all(
    Array.from({ length: RIDERS }, async (_, i) => {
      const id = `bench-${i}`
      const pos = { lat: CENTRE.lat + (rnd() - 0.5) * SPAN_DEG, lng: CENTRE.lng + (rnd() - 0.5) * SPAN_DEG }
      return {
        id,
        token: await signToken(TOKEN_SECRET, { role: 'rider', sub: id, name: `骑手${i}`, exp }),
        pos,
        wgs: fromGcj02(pos, 'WGS84'),
        heading: rnd() * 2 * Math.PI,
        pending: new Map(),
        lastAt: 0,
      }
    }),
  )
  let t0 = performance.now()
  await pool(RIDERS, CONCURRENCY, async (i) => {
    const r = riders[i]!
    await retry(async () =>
      json(
        await fetch(`${b}/api/v1/admin/riders/${r.id}`, {
          method: 'PUT',
          headers: admin,
          body: JSON.stringify({ name: `骑手${i}`, phone: `138${String(i).padStart(8, '0')}`, capacity: 3 }),
        }),
      ),
    )
    await retry(async () =>
      json(
        await fetch(`${b}/api/v1/rider/duty`, {
          method: 'POST',
          headers: { authorization: `Bearer ${r.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ onDuty: true, ...fromGcj02(r.pos, 'WGS84') }),
        }),
      ),
    )
  })
  log(`${RIDERS} riders created and on duty in ${Math.round(performance.now() - t0)} ms`)
  const trackers: Rider[] = tracking.riders.map((r) => ({
    id: r.id,
    token: r.token,
    pos: STORE_AT,
    wgs: r.wgs,
    heading: r.heading,
    pending: new Map(),
    lastAt: 0,
    track: true,
  }))
  // Tracking riders' sockets first: past ~2,760 rider objects this host's workerd refuses new ones.
  const everyone = [...trackers, ...riders]

  const stats = { sent: 0, acked: 0, rejected: {} as Record<string, number>, errors: 0, lat: [] as number[] }
  const total = { sent: 0, answered: 0 }
  let firstSend = 0
  let lastAnswer = 0
  // The load generator shares the machine: its own event-loop lag says when it, not the server, is the limit.
  const loopDelay = monitorEventLoopDelay({ resolution: 20 })
  let measuring = false
  const onMessage = (r: Rider) => (data: WebSocket.RawData) => {
    const text = data.toString()
    if (text === 'pong') return
    const m = JSON.parse(text) as { type: string; at?: number; reason?: string }
    if (m.type !== 'loc.ack' && m.type !== 'loc.rejected') {
      if (m.type === 'error') stats.errors++
      return
    }
    const sentAt = r.pending.get(m.at!)
    r.pending.delete(m.at!)
    total.answered++
    lastAnswer = performance.now()
    if (!measuring) return
    if (r.track) {
      if (sentAt !== undefined) tracking.ackLat.push(performance.now() - sentAt)
      return
    }
    if (m.type === 'loc.ack') stats.acked++
    else stats.rejected[m.reason!] = (stats.rejected[m.reason!] ?? 0) + 1
    if (sentAt !== undefined) stats.lat.push(performance.now() - sentAt)
  }
  t0 = performance.now()
  let openFailed = 0
  await pool(everyone.length, 200, async (i) => {
    const r = everyone[i]!
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(`${wsBase}/api/v1/rider/ws?token=${encodeURIComponent(r.token)}`)
      ws.on('open', () => {
        r.ws = ws
        resolve()
      })
      ws.on('message', onMessage(r))
      ws.on('error', () => {
        openFailed++
        resolve()
      })
    })
  })
  const open = riders.filter((r) => r.ws).length
  log(`${open} sockets open (${openFailed} failed) in ${Math.round(performance.now() - t0)} ms`)

  // ---- the load: every rider reports every INTERVAL_MS, moving at ~5 m/s ----
  const step = (r: Rider) => {
    if (!r.ws || r.ws.readyState !== WebSocket.OPEN) return
    const d = (5 * INTERVAL_MS) / 1000 / 111_195
    if (rnd() < 0.02) r.heading += (rnd() - 0.5) * Math.PI
    r.wgs = { lat: r.wgs.lat + d * Math.cos(r.heading), lng: r.wgs.lng + d * Math.sin(r.heading) }
    // A tracking rider's `at` is unique across the tracking riders: the diner's message is matched by it.
    const at = r.track ? tracking.nextAt(measuring) : Math.max(Date.now(), r.lastAt + 1)
    r.lastAt = at
    r.pending.set(at, performance.now())
    if (firstSend === 0) firstSend = performance.now()
    r.ws.send(`{"type":"loc","lat":${r.wgs.lat},"lng":${r.wgs.lng},"accuracyM":10,"at":${at}}`)
    total.sent++
    if (measuring && !r.track) stats.sent++
  }
  const timers: NodeJS.Timeout[] = []
  for (const [i, r] of everyone.entries()) {
    timers.push(
      setTimeout(
        () => {
          step(r)
          timers.push(setInterval(() => step(r), INTERVAL_MS))
        },
        (i / everyone.length) * INTERVAL_MS,
      ),
    )
  }
  // Warm-up: one interval plus a few seconds, then measure.
  await new Promise((r) => setTimeout(r, INTERVAL_MS + 3_000))
  measuring = true
  loopDelay.enable()
  const loadStart = performance.now()
  const nearbyLat: number[] = []
  const staleness: number[] = []
  let nearbyErrors = 0
  let stop = false
  const nearby = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (!stop) {
        const lat = CENTRE.lat + (Math.random() - 0.5) * SPAN_DEG * 0.8
        const lng = CENTRE.lng + (Math.random() - 0.5) * SPAN_DEG * 0.8
        const s = performance.now()
        try {
          const r = await json(
            await fetch(`${b}/api/v1/admin/riders/nearby?lat=${lat}&lng=${lng}&radiusM=3000&limit=20`, {
              headers: admin,
            }),
          )
          nearbyLat.push(performance.now() - s)
          const now = Date.now()
          for (const x of r.riders as { at: number }[]) staleness.push((now - x.at) / 1000)
        } catch {
          nearbyErrors++
        }
        await new Promise((r) => setTimeout(r, 50))
      }
    }),
  )
  await new Promise((r) => setTimeout(r, SECONDS * 1000))
  stop = true
  const secs = (performance.now() - loadStart) / 1000
  measuring = false
  for (const t of timers) clearInterval(t)
  // Answers still in flight get a few seconds; what is missing after that was lost (or still queued).
  const drainUntil = performance.now() + 10_000
  while (total.answered < total.sent && performance.now() < drainUntil)
    await new Promise((r) => setTimeout(r, 100))
  const unanswered = total.sent - total.answered
  loopDelay.disable()
  await nearby
  // Positions forwarded by the last reports of the window: a second more for them to reach the diners.
  const dinerUntil = performance.now() + 5_000
  while (performance.now() < dinerUntil && performance.now() - tracking.lastDinerMessage < 1_000)
    await new Promise((r) => setTimeout(r, 100))
  for (const r of everyone) r.ws?.close(1000, 'done')
  tracking.close()

  const result = {
    bench: 'riders',
    host: dev.host,
    riders: RIDERS,
    sockets_open: open,
    seconds: Math.round(secs),
    interval_ms: INTERVAL_MS,
    offered_per_s: Math.round((open * 1000) / INTERVAL_MS),
    sent_per_s: Math.round(stats.sent / secs),
    acked_per_s: Math.round(stats.acked / secs),
    rejected: stats.rejected,
    socket_errors: stats.errors,
    sent_total: total.sent,
    unanswered_after_drain: unanswered,
    answered_per_s_overall: Math.round(total.answered / ((lastAnswer - firstSend) / 1000)),
    ack_p50_ms: q(stats.lat, 0.5),
    ack_p99_ms: q(stats.lat, 0.99),
    nearby_queries: nearbyLat.length,
    nearby_errors: nearbyErrors,
    nearby_p50_ms: q(nearbyLat, 0.5),
    nearby_p99_ms: q(nearbyLat, 0.99),
    cell_staleness_p50_s: q(staleness, 0.5),
    cell_staleness_p99_s: q(staleness, 0.99),
    tracking_orders: TRACKING,
    tracking_orders_with_rider: tracking.assigned,
    tracking_diner_sockets: tracking.socketsOpen,
    tracking_rider_sockets: trackers.filter((r) => r.ws).length,
    tracking_reports_sent: tracking.sentMeasured,
    tracking_ack_p99_ms: q(tracking.ackLat, 0.99),
    // A RiderDO forwards at most one position per 3 s per order (POSITION_THROTTLE_MS): at most
    // orders x seconds / 3 of the reports can reach a diner; the rest are acked and stop at the RiderDO.
    tracking_forward_ceiling: Math.floor((tracking.assigned * secs) / 3),
    report_to_diner_matched: tracking.matched,
    // Positions of reports sent in the warm-up, received in the window: under a backlog, all there is.
    report_to_diner_from_warmup: tracking.matchedOutsideWindow,
    report_to_diner_unmatched: tracking.unmatched,
    report_to_diner_same_report_on_two_sockets: tracking.fanout,
    report_to_diner_p50_ms: q(tracking.lat, 0.5),
    report_to_diner_p99_ms: q(tracking.lat, 0.99),
    report_to_diner_max_ms: q(tracking.lat, 1),
    diner_path:
      'report sent -> rider message on the diner tracking socket, matched by the fix time; only reports past the RiderDO 3 s position throttle reach a diner',
    bench_loop_delay_p99_ms: Math.round(loopDelay.percentile(99) / 1e6),
    baseline: 'GET /api/v1/stores/:id (Worker -> StoreDO RPC)',
    baseline_per_s: baseline.perSec,
    baseline_p50_ms: baseline.p50,
    baseline_p99_ms: baseline.p99,
  }
  console.log(JSON.stringify(result))
} finally {
  await dev.stop()
}
process.exit(0)
