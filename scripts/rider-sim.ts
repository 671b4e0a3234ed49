// Simulated riders for the demo: N riders around the demo store, created through the admin API, logged in
// and on duty like a phone would be. They ride a grid of streets around the store at e-bike speed (a random
// walk while idle), report their position over the rider socket at the interval the server asks (their
// GCJ-02 position converted to WGS-84 with a little GPS noise, as a phone reports it), accept offers after
// a human-like pause, ride to the store, arrive, pick up when the kitchen says ready, ride to the customer
// and deliver. Everything goes through the public API: the server cannot tell them from real phones.
//
// In-process (scripts/start.ts):  const sim = await startRiderSim({ base, adminToken }); …; await sim.stop()
// Standalone:                     npx tsx scripts/rider-sim.ts --base http://localhost:8787 --count 8
import { existsSync, readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import WebSocket from 'ws'
import {
  applyRiderMessage,
  type RiderServerMessage,
  type RiderSnapshot,
  type RouteStop,
  type TaskView,
} from '../core/channels/rider'
import { fromGcj02, haversineM, type LatLng, projector, type XY } from '../core/geo'
import { demoStoreSetup } from './demo-data'
import { parseDevVars } from './dev-vars'

// ---------- movement: pure, tested in rider-sim.test.ts ----------

/** Chengdu's Tianfu Square, when the demo store has no location. */
export const CHENGDU: LatLng = { lat: 30.6586, lng: 104.0648 }
/** A city block in central Chengdu is 150-300 m on a side. */
export const BLOCK_M = 250
/** Idle riders stay within this of the centre: the store's delivery area is 5 km. */
export const ROAM_M = 2_500
/** E-bike pace in city traffic (GB 17761 caps e-bikes at 25 km/h ≈ 7 m/s), stops included. */
export const DEFAULT_SPEED: [number, number] = [5, 8]
/** Close enough to a stop to act on it: well inside the 100 m store fence, a doorway from the customer. */
export const AT_STOP_M = 15

/** A small seeded PRNG (mulberry32): the same seed rides the same streets. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Streets every `spacingM` metres, north-south and east-west, through `origin`. */
export interface Grid {
  origin: LatLng
  spacingM: number
  roamM: number
  toXY(p: LatLng): XY
  fromXY(xy: XY): LatLng
}

/** An intersection: i blocks east, j blocks north of the origin. */
export interface GridNode {
  i: number
  j: number
}

export function makeGrid(origin: LatLng, spacingM = BLOCK_M, roamM = ROAM_M): Grid {
  const proj = projector(origin)
  return { origin, spacingM, roamM, toXY: proj.toXY, fromXY: proj.fromXY }
}

export const nodePos = (g: Grid, n: GridNode): LatLng =>
  g.fromXY({ x: n.i * g.spacingM, y: n.j * g.spacingM })

export function nearestNode(g: Grid, p: LatLng): GridNode {
  const { x, y } = g.toXY(p)
  return { i: Math.round(x / g.spacingM), j: Math.round(y / g.spacingM) }
}

const sameNode = (a: GridNode | null, b: GridNode | null) => !!a && !!b && a.i === b.i && a.j === b.j

/**
 * The next intersection of an idle ride: one of the four neighbours inside the roaming area, never straight
 * back the way it came unless it is a dead end; going on straight is a little likelier (people keep to a road).
 */
export function walkStep(g: Grid, at: GridNode, prev: GridNode | null, rng: () => number): GridNode {
  const limit = Math.floor(g.roamM / g.spacingM)
  const all: GridNode[] = [
    { i: at.i + 1, j: at.j },
    { i: at.i - 1, j: at.j },
    { i: at.i, j: at.j + 1 },
    { i: at.i, j: at.j - 1 },
  ].filter((n) => Math.hypot(n.i, n.j) <= limit)
  const forward = all.filter((n) => !sameNode(n, prev))
  const options = forward.length > 0 ? forward : all.length > 0 ? all : [{ i: 0, j: 0 }]
  const straight = prev ? { i: 2 * at.i - prev.i, j: 2 * at.j - prev.j } : null
  const weights = options.map((n) => (sameNode(n, straight) ? 2 : 1))
  let r = rng() * weights.reduce((a, b) => a + b, 0)
  for (let k = 0; k < options.length; k++) {
    r -= weights[k]!
    if (r < 0) return options[k]!
  }
  return options.at(-1)!
}

/**
 * A ride along the streets from `from` to `to`: onto the nearest intersection, along one axis then the
 * other (which first is the rider's whim), and off the grid to the door. Waypoints after `from`, ending at `to`.
 */
export function gridRoute(g: Grid, from: LatLng, to: LatLng, rng: () => number): LatLng[] {
  const a = nearestNode(g, from)
  const b = nearestNode(g, to)
  const corner: GridNode = rng() < 0.5 ? { i: b.i, j: a.j } : { i: a.i, j: b.j }
  const nodes: GridNode[] = [a, corner, b].filter((n, k, arr) => k === 0 || !sameNode(n, arr[k - 1]!))
  const points = [...nodes.map((n) => nodePos(g, n)), to]
  // A door that is nearer than its intersection is reached directly.
  const direct = haversineM(from, to)
  if (direct <= g.spacingM / 2) return [to]
  return points.filter(
    (p, k) => k === points.length - 1 || haversineM(p, k === 0 ? from : points[k - 1]!) > 0.5,
  )
}

/** Move `metres` along the waypoints; reached waypoints are dropped. */
export function advance(
  pos: LatLng,
  waypoints: readonly LatLng[],
  metres: number,
): { pos: LatLng; waypoints: LatLng[]; travelledM: number } {
  let here = pos
  let left = metres
  const rest = [...waypoints]
  while (rest.length > 0 && left > 0) {
    const next = rest[0]!
    const d = haversineM(here, next)
    if (d <= left) {
      here = next
      left -= d
      rest.shift()
    } else {
      const f = left / d
      here = { lat: here.lat + (next.lat - here.lat) * f, lng: here.lng + (next.lng - here.lng) * f }
      left = 0
    }
  }
  return { pos: here, waypoints: rest, travelledM: metres - left }
}

/** What a phone would report at `pos` (GCJ-02 inside): WGS-84, a few metres of noise, an accuracy radius. */
export function phoneFix(
  pos: LatLng,
  at: number,
  rng: () => number,
): { lat: number; lng: number; accuracyM: number; at: number } {
  const accuracyM = Math.round(5 + rng() * 10)
  // Noise well inside the accuracy circle (a third of it, uniform in a disc).
  const r = (accuracyM / 3) * Math.sqrt(rng())
  const th = rng() * 2 * Math.PI
  const proj = projector(pos)
  const noisy = proj.fromXY({ x: r * Math.cos(th), y: r * Math.sin(th) })
  const wgs = fromGcj02(noisy, 'WGS84')
  return { lat: wgs.lat, lng: wgs.lng, accuracyM, at }
}

/** The stop the rider heads for: the first one on the server's route whose task is still open. */
export function nextStop(state: RiderSnapshot): { stop: RouteStop; task: TaskView } | null {
  for (const stop of state.route) {
    const task = state.tasks.find((t) => t.orderId === stop.orderId)
    if (!task || task.status === 'delivered') continue
    if (stop.kind === 'pickup' && task.status === 'picked_up') continue
    return { stop, task }
  }
  // No route yet (just accepted): the oldest open task.
  const task = state.tasks.find((t) => t.status !== 'delivered')
  if (!task) return null
  return {
    stop: { kind: task.status === 'picked_up' ? 'dropoff' : 'pickup', orderId: task.orderId, at: 0 },
    task,
  }
}

// ---------- the simulation ----------

export interface RiderSimOptions {
  /** The Worker, e.g. http://127.0.0.1:8787. */
  base: string
  adminToken: string
  /** Riders to run (default 8). */
  count?: number
  /** GCJ-02; default the demo store's location, else Chengdu. */
  center?: LatLng
  /** Metres per second, or a range each rider picks from (default 5-8). */
  speedMps?: number | [number, number]
  log?: (line: string) => void
  /** Rider ids are `${idPrefix}-01` …; default 'sim'. */
  idPrefix?: string
  /** Seed of the riders' whims (routes, pauses, noise). */
  seed?: number
  /** Orders each rider can carry (default 3). */
  capacity?: number
}

export interface RiderSim {
  riders: string[]
  stop(): Promise<void>
}

const SIM_PASSWORD = 'sim-rider-pass-1'
const NAMES = [
  '王师傅',
  '李师傅',
  '张师傅',
  '刘师傅',
  '陈师傅',
  '杨师傅',
  '赵师傅',
  '黄师傅',
  '周师傅',
  '吴师傅',
]
/** One simulation step. */
const TICK_MS = 1_000
/** Until the server says otherwise: the moving rate (core/geo/track.ts MOVING_INTERVAL_MS). */
const FIRST_INTERVAL_MS = 15_000
/** A human glances at the phone, reads the offer, taps 接单. */
const ACCEPT_DELAY_MS: [number, number] = [1_500, 5_000]
/** After a failed action (network, a fence), try again this much later. */
const RETRY_MS = 5_000
/** A fence that keeps refusing (GPS noise at the edge) is overridden after this many tries, like a rider would. */
const FENCE_TRIES = 3
/** Before a pickup after waiting at the pass: a report older than this is sent again first. */
const FRESH_REPORT_MS = 30_000
/** Keepalive for the socket (the object answers 'ping' with 'pong'). */
const PING_MS = 20_000

class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

async function http<T>(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  })
  const text = await res.text()
  const json = text ? (JSON.parse(text) as unknown) : null
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error
    throw new ApiFailure(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? text.slice(0, 200))
  }
  return json as T
}

const pick = (rng: () => number, [lo, hi]: [number, number]) => lo + rng() * (hi - lo)

class SimRider {
  private token = ''
  private ws: WebSocket | null = null
  private state: RiderSnapshot | null = null
  private seq = 0
  private pos: LatLng
  private waypoints: LatLng[] = []
  private goal = ''
  private lastNode: GridNode | null = null
  private prevNode: GridNode | null = null
  private intervalMs = FIRST_INTERVAL_MS
  private lastReportAt = 0
  private lastFixAt = 0
  private acting = false
  private notBefore = 0
  private fenceMisses = new Map<string, number>()
  private readonly answered = new Set<string>()
  private readonly waiters = new Map<number, () => void>()
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private tick: ReturnType<typeof setInterval> | undefined
  private ping: ReturnType<typeof setInterval> | undefined
  private stopped = false

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly phone: string,
    private readonly opts: Required<Pick<RiderSimOptions, 'base' | 'adminToken' | 'capacity'>>,
    private readonly grid: Grid,
    private readonly speedMps: number,
    private readonly rng: () => number,
    private readonly log: (line: string) => void,
  ) {
    const limit = Math.floor((grid.roamM * 0.8) / grid.spacingM)
    let n: GridNode
    do n = { i: Math.round((rng() * 2 - 1) * limit), j: Math.round((rng() * 2 - 1) * limit) }
    while (Math.hypot(n.i, n.j) > limit)
    this.lastNode = n
    this.pos = nodePos(grid, n)
  }

  private say(line: string): void {
    this.log(`[${this.id} ${this.name}] ${line}`)
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t)
      if (!this.stopped) fn()
    }, ms)
    this.timers.add(t)
  }

  async start(): Promise<void> {
    const { base, adminToken, capacity } = this.opts
    await http(base, 'PUT', `/api/v1/admin/riders/${this.id}`, adminToken, {
      name: this.name,
      phone: this.phone,
      password: SIM_PASSWORD,
      capacity,
    })
    const login = await http<{ token: string }>(base, 'POST', `/api/v1/riders/${this.id}/login`, undefined, {
      password: SIM_PASSWORD,
    })
    this.token = login.token
    const wgs = fromGcj02(this.pos, 'WGS84')
    await http(base, 'POST', '/api/v1/rider/duty', this.token, { onDuty: true, lat: wgs.lat, lng: wgs.lng })
    // The duty call placed the rider at the server's "now": fixes must be newer than that.
    this.notBefore = Date.now()
    this.connect()
    this.tick = setInterval(() => this.step(), TICK_MS)
    this.say(`上班 @ ${this.pos.lat.toFixed(5)},${this.pos.lng.toFixed(5)}，${this.speedMps.toFixed(1)} m/s`)
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.tick)
    clearInterval(this.ping)
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    for (const w of this.waiters.values()) w()
    this.ws?.close(1000)
    this.ws = null
    if (this.token)
      // Best effort: a rider carrying food cannot go off duty; the server keeps them on then.
      await http(this.opts.base, 'POST', '/api/v1/rider/duty', this.token, { onDuty: false }).catch(
        () => undefined,
      )
  }

  // ---------- the socket ----------

  private connect(): void {
    if (this.stopped) return
    const url = `${this.opts.base.replace(/^http/, 'ws')}/api/v1/rider/ws?token=${encodeURIComponent(this.token)}`
    const ws = new WebSocket(url)
    this.ws = ws
    ws.on('message', (data) => {
      const text = data.toString()
      if (text === 'pong') return
      let msg: RiderServerMessage
      try {
        msg = JSON.parse(text) as RiderServerMessage
      } catch {
        return
      }
      this.receive(msg)
    })
    ws.on('open', () => {
      clearInterval(this.ping)
      this.ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('ping'), PING_MS)
    })
    ws.on('error', () => undefined)
    ws.on('close', () => {
      if (this.ws !== ws) return
      this.ws = null
      clearInterval(this.ping)
      this.later(2_000, () => this.connect())
    })
  }

  private send(msg: object): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false
    this.ws.send(JSON.stringify(msg))
    return true
  }

  private receive(msg: RiderServerMessage): void {
    if (msg.type === 'loc.ack' || msg.type === 'loc.rejected') {
      this.intervalMs = msg.intervalMs
      if (msg.type === 'loc.rejected') this.say(`定位被拒：${msg.reason}`)
      this.waiters.get(msg.at)?.()
      this.waiters.delete(msg.at)
      return
    }
    if (msg.type === 'error') {
      this.say(`服务端错误 ${msg.code}: ${msg.message}`)
      return
    }
    const next = applyRiderMessage(this.state, this.seq, msg)
    if (next === 'gap') {
      this.send({ type: 'resync' })
      return
    }
    this.state = next.state
    this.seq = next.seq
    for (const o of this.state?.offers ?? []) {
      if (this.answered.has(o.offerId)) continue
      this.answered.add(o.offerId)
      const what = o.jobs.map((j) => `${j.pickupNo} ${j.storeName}→${j.dropoffHint}`).join('，')
      this.say(`${o.mode === 'grab' ? '抢单大厅' : '收到派单'}：${what}`)
      this.later(
        pick(this.rng, ACCEPT_DELAY_MS),
        () => void this.answer(o.offerId, o.mode === 'grab' ? 'grab' : 'accept'),
      )
    }
    if (msg.type === 'task.removed' && msg.reason === 'cancelled') this.say(`订单 ${msg.orderId} 已取消`)
  }

  private async answer(offerId: string, answer: 'accept' | 'grab'): Promise<void> {
    if (!this.state?.offers.some((o) => o.offerId === offerId)) return
    try {
      await http(this.opts.base, 'POST', `/api/v1/rider/offers/${offerId}/${answer}`, this.token)
      this.say(answer === 'grab' ? '抢单成功' : '已接单')
    } catch (e) {
      this.say(`${answer === 'grab' ? '抢单' : '接单'}失败：${e instanceof ApiFailure ? e.code : String(e)}`)
    }
  }

  // ---------- moving and reporting ----------

  private step(): void {
    if (this.stopped) return
    const target = this.state ? nextStop(this.state) : null
    if (target) this.headFor(target.stop, target.task)
    else if (this.goal !== 'roam' || this.waypoints.length === 0) this.roam()
    const moved = advance(this.pos, this.waypoints, (this.speedMps * TICK_MS) / 1000)
    this.pos = moved.pos
    this.waypoints = moved.waypoints
    this.report(false)
  }

  private roam(): void {
    if (this.goal !== 'roam') {
      // Back onto the streets from wherever the last stop was.
      this.goal = 'roam'
      this.lastNode = nearestNode(this.grid, this.pos)
      this.prevNode = null
      this.waypoints = [nodePos(this.grid, this.lastNode)]
      return
    }
    const at = this.lastNode ?? nearestNode(this.grid, this.pos)
    const next = walkStep(this.grid, at, this.prevNode, this.rng)
    this.prevNode = at
    this.lastNode = next
    this.waypoints = [nodePos(this.grid, next)]
  }

  private headFor(stop: RouteStop, task: TaskView): void {
    const to = stop.kind === 'pickup' ? task.pickup : (task.dropoff ?? stop.pos)
    if (!to) return
    const key = `${stop.kind}:${task.orderId}`
    if (haversineM(this.pos, to) <= AT_STOP_M) {
      this.waypoints = []
      this.goal = key
      if (!this.acting) void this.act(stop, task)
      return
    }
    if (this.goal !== key) {
      this.goal = key
      this.waypoints = gridRoute(this.grid, this.pos, to, this.rng)
      const dist = Math.round(haversineM(this.pos, to))
      this.say(`${stop.kind === 'pickup' ? '前往门店' : '前往顾客'} ${task.pickupNo}（直线 ${dist} 米）`)
    }
  }

  /** Report when the interval is up, or now when `force` (before an action the fence will check). */
  private report(force: boolean): number | null {
    const now = Date.now()
    if (!force && now - this.lastReportAt < this.intervalMs) return null
    const at = Math.max(now, this.lastFixAt + 1, this.notBefore + 1)
    if (!this.send({ type: 'loc', ...phoneFix(this.pos, at, this.rng) })) return null
    this.lastReportAt = now
    this.lastFixAt = at
    return at
  }

  /** Report now and wait (up to 3 s) for the server's verdict, so an action after it sees this position. */
  private async reportNow(): Promise<void> {
    const at = this.report(true)
    if (at === null) return
    await new Promise<void>((resolve) => {
      this.waiters.set(at, resolve)
      this.later(3_000, () => {
        this.waiters.delete(at)
        resolve()
      })
    })
  }

  // ---------- acting on a stop ----------

  private async act(stop: RouteStop, task: TaskView): Promise<void> {
    this.acting = true
    try {
      if (stop.kind === 'pickup') {
        if (task.status === 'assigned') {
          await this.reportNow()
          await this.taskCall(task, 'arrive')
          this.say(`到店 ${task.storeName}（${task.pickupNo}）`)
        }
        const fresh = this.state?.tasks.find((t) => t.orderId === task.orderId) ?? task
        if (fresh.readyAt > Date.now()) {
          // Waiting at the pass; asked again on a later tick (the kitchen's "ready" moves readyAt up).
          this.pause(Math.min(RETRY_MS, fresh.readyAt - Date.now()))
          return
        }
        // The fence wants a recent fix; a rider who waited at the pass may have reported minutes ago.
        if (Date.now() - this.lastReportAt > FRESH_REPORT_MS) await this.reportNow()
        const view = await this.taskCall(fresh, 'pickup')
        const phone = view.customerPhone ? `（${view.customerPhone}）` : ''
        this.say(`已取餐 ${task.pickupNo}，送往 ${view.dropoffHint}${phone}`)
      } else {
        await this.reportNow()
        await this.taskCall(task, 'deliver')
        this.say(`已送达 ${task.pickupNo}`)
      }
      this.acting = false
    } catch (e) {
      const why = e instanceof ApiFailure ? `${e.code} ${e.message}` : String(e)
      this.say(`${stop.kind === 'pickup' ? '到店/取餐' : '送达'}失败：${why}`)
      this.pause(RETRY_MS)
    }
  }

  private pause(ms: number): void {
    this.later(Math.max(500, ms), () => {
      this.acting = false
    })
  }

  /** arrive / pickup / deliver; after a few fence refusals the rider overrides with a reason, as people do. */
  private async taskCall(task: TaskView, action: 'arrive' | 'pickup' | 'deliver'): Promise<TaskView> {
    const key = `${action}:${task.orderId}`
    const misses = this.fenceMisses.get(key) ?? 0
    const body = misses >= FENCE_TRIES ? { override: '模拟骑手：定位偏差，已到达' } : {}
    try {
      const view = await http<TaskView>(
        this.opts.base,
        'POST',
        `/api/v1/rider/tasks/${task.orderId}/${action}`,
        this.token,
        body,
      )
      this.fenceMisses.delete(key)
      this.patchTask(view)
      return view
    } catch (e) {
      if (e instanceof ApiFailure && e.code === 'OUTSIDE_GEOFENCE') this.fenceMisses.set(key, misses + 1)
      throw e
    }
  }

  /** The HTTP answer is news before the socket's copy arrives: no second 'pickup' on the next tick. */
  private patchTask(view: TaskView): void {
    const s = this.state
    if (!s) return
    this.state = { ...s, tasks: s.tasks.map((t) => (t.orderId === view.orderId ? view : t)) }
  }
}

/** Start `count` simulated riders; resolves once all are on duty (or failed, which is logged). */
export async function startRiderSim(options: RiderSimOptions): Promise<RiderSim> {
  const log = options.log ?? ((line: string) => console.log(line))
  const count = options.count ?? 8
  const center = options.center ?? demoCenter()
  const speed = options.speedMps ?? DEFAULT_SPEED
  const rng = mulberry32(options.seed ?? 20_240_601)
  const grid = makeGrid(center)
  const prefix = options.idPrefix ?? 'sim'
  const riders: SimRider[] = []
  for (let k = 0; k < count; k++) {
    const id = `${prefix}-${String(k + 1).padStart(2, '0')}`
    const mps = typeof speed === 'number' ? speed : pick(rng, speed)
    const phone = `1390000${String(k + 1).padStart(4, '0')}`
    const seed = Math.floor(rng() * 2 ** 32)
    riders.push(
      new SimRider(
        id,
        NAMES[k % NAMES.length]!,
        phone,
        {
          base: options.base.replace(/\/$/, ''),
          adminToken: options.adminToken,
          capacity: options.capacity ?? 3,
        },
        grid,
        mps,
        mulberry32(seed),
        log,
      ),
    )
  }
  const started = await Promise.allSettled(riders.map((r) => r.start()))
  started.forEach((s, k) => {
    if (s.status === 'rejected') log(`[${riders[k]!.id}] 启动失败：${String(s.reason)}`)
  })
  const live = riders.filter((_, k) => started[k]!.status === 'fulfilled')
  log(`模拟骑手 ${live.length}/${count} 已上班，中心 ${center.lat.toFixed(5)},${center.lng.toFixed(5)}`)
  return {
    riders: live.map((r) => r.id),
    async stop() {
      await Promise.all(riders.map((r) => r.stop()))
    },
  }
}

/** The demo store's location (GCJ-02) when demo-data has one, else Chengdu. */
export function demoCenter(): LatLng {
  const loc = demoStoreSetup().settings.location
  return loc && Number.isFinite(loc.lat) && Number.isFinite(loc.lng) ? loc : CHENGDU
}

// ---------- standalone ----------

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`)
  if (i >= 0) return args[i + 1]
  const eq = args.find((a) => a.startsWith(`--${name}=`))
  return eq?.slice(name.length + 3)
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  if (args.includes('--help')) {
    console.log(
      'npx tsx scripts/rider-sim.ts [--base http://127.0.0.1:8787] [--count 8] [--admin-token …]\n' +
        '  [--center lat,lng (GCJ-02)] [--speed 5-8 | 6] [--prefix sim] [--seed n]\n' +
        'The admin token defaults to $ADMIN_TOKEN, then ADMIN_TOKEN in .dev.vars (written by npm start).',
    )
    return
  }
  const devVars = existsSync('.dev.vars') ? parseDevVars(readFileSync('.dev.vars', 'utf8')) : {}
  const adminToken = arg(args, 'admin-token') ?? process.env.ADMIN_TOKEN ?? devVars.ADMIN_TOKEN
  if (!adminToken)
    throw new Error('no admin token: pass --admin-token, set ADMIN_TOKEN, or run npm start once')
  const centerArg = arg(args, 'center')?.split(',').map(Number)
  const speedArg = arg(args, 'speed')?.split('-').map(Number)
  const sim = await startRiderSim({
    base: arg(args, 'base') ?? 'http://127.0.0.1:8787',
    adminToken,
    count: Number(arg(args, 'count') ?? 8),
    ...(centerArg?.length === 2 ? { center: { lat: centerArg[0]!, lng: centerArg[1]! } } : {}),
    ...(speedArg?.length === 2
      ? { speedMps: [speedArg[0]!, speedArg[1]!] as [number, number] }
      : speedArg?.length === 1
        ? { speedMps: speedArg[0]! }
        : {}),
    ...(arg(args, 'prefix') ? { idPrefix: arg(args, 'prefix')! } : {}),
    ...(arg(args, 'seed') ? { seed: Number(arg(args, 'seed')) } : {}),
    log: (line) => console.log(`${new Date().toLocaleTimeString('zh-CN', { hour12: false })} ${line}`),
  })
  let stopping = false
  const shutdown = () => {
    if (stopping) process.exit(1)
    stopping = true
    console.log('stopping riders (off duty)…')
    void sim.stop().finally(() => process.exit(0))
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e)
    process.exit(1)
  })
