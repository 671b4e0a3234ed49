// The diner path for bench/riders.ts: a delivery store, K paid + accepted + ready delivery orders, K riders
// on duty beside the store who auto-accept the cell's offers, and the K customers' tracking sockets
// (GET /api/v1/customer/orders/:id/ws). During the load the K riders report like the others; every 'rider'
// message a customer socket receives carries the fix's device time `at`, which the bench makes unique across
// these riders, so each is matched to the report that produced it: report sent -> diner's socket received.
//
// Only reports that pass the RiderDO's throttle reach a diner: it forwards a 'position' to the store of each
// order it holds at most every 3 s (POSITION_THROTTLE_MS in durable-objects/rider.ts), so at one report per
// 500 ms about one in six (or seven) is forwarded; the others are acked and end at the RiderDO.
import WebSocket from 'ws'
import { fromGcj02, type LatLng } from '../core/geo'
import { testStore } from '../test/workers/fixtures'
import { signToken } from '../workers/auth/tokens'

export async function json(res: Response) {
  const body = await res.json()
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`)
  return body as any
}

/** Setup requests are retried: a dropped keep-alive connection under load is not what is measured. */
export async function retry<T>(f: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f()
    } catch (e) {
      if (i >= tries) throw e
      await new Promise((r) => setTimeout(r, 200 * i))
    }
  }
}

/** Run `n` tasks with at most `c` in flight. */
export async function pool<T>(n: number, c: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(c, n) }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await task(i)
    }),
  )
  return out
}

/** 解放碑, Chongqing (GCJ-02): ~1,400 km from the Shanghai riders, so dispatch only sees the K riders. */
export const STORE_AT: LatLng = { lat: 29.5576, lng: 106.5772 }
const STORE_ID = '901'

/** A point `northM` metres north and `eastM` east of p (small offsets). */
function offset(p: LatLng, northM: number, eastM = 0): LatLng {
  return {
    lat: p.lat + northM / 111_195,
    lng: p.lng + eastM / (111_195 * Math.cos((p.lat * Math.PI) / 180)),
  }
}

export interface TrackingRider {
  id: string
  token: string
  /** WGS-84, as the phone reports. */
  wgs: LatLng
  heading: number
}

interface CustomerTrack {
  orderId: string
  token: string
  ws?: WebSocket
  assigned: boolean
}

export class Tracking {
  readonly riders: TrackingRider[] = []
  private readonly customers: CustomerTrack[] = []
  /** Report `at` (unique over the tracking riders) -> when it was sent, and whether in the load window. */
  private readonly reports = new Map<number, { t: number; measured: boolean }>()
  private lastAt = 0
  /** report sent -> diner socket received, for reports sent in the measuring window. */
  readonly lat: number[] = []
  /** Tracking riders' own report -> ack, in the window (the same hop as the big load's ack). */
  readonly ackLat: number[] = []
  sentMeasured = 0
  sentTotal = 0
  /** 'rider' messages received: matched to a report in the window, before it, or not at all. */
  matched = 0
  matchedOutsideWindow = 0
  unmatched = 0
  /** The same report on more than one socket (a rider holding a bundle of this store's orders). */
  fanout = 0
  socketErrors = 0
  private readonly seen = new Map<number, number>()
  lastDinerMessage = 0

  constructor(
    private readonly base: string,
    private readonly admin: Record<string, string>,
    private readonly tokenSecret: string,
    private readonly log: (m: string) => void,
  ) {}

  /** A device time for a tracking rider's report, unique across them, and remember when it went out. */
  nextAt(measuring: boolean): number {
    const at = Math.max(Date.now(), this.lastAt + 1)
    this.lastAt = at
    this.reports.set(at, { t: performance.now(), measured: measuring })
    this.sentTotal++
    if (measuring) this.sentMeasured++
    return at
  }

  get assigned(): number {
    return this.customers.filter((c) => c.assigned).length
  }

  get socketsOpen(): number {
    return this.customers.filter((c) => c.ws).length
  }

  /** Store, orders (paid at the counter, accepted, ready), riders on duty, diners' sockets; waits for dispatch. */
  async setup(k: number, assignTimeoutMs = 90_000): Promise<void> {
    const b = this.base
    const t0 = performance.now()
    const setup = testStore({
      payMode: 'pay_first',
      autoAccept: false,
      location: STORE_AT,
      delivery: {
        area: { kind: 'radius', radiusM: 3_000 },
        feeBrackets: [{ upToM: 3_000, feeFen: 400 }],
        feeDiscounts: [],
        minOrderFen: 0,
        packingFeeFen: 0,
      },
    })
    const seeded = await json(
      await fetch(`${b}/api/v1/admin/stores/${STORE_ID}`, {
        method: 'PUT',
        headers: this.admin,
        body: JSON.stringify(setup),
      }),
    )
    const login = await json(
      await fetch(`${b}/api/v1/stores/${STORE_ID}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'owner', password: 'fixture-pass-1' }),
      }),
    )
    const staff = { authorization: `Bearer ${login.token}`, 'content-type': 'application/json' }
    const exp = Date.now() + 3600_000
    let rnd = 7
    const rand = () => {
      rnd = (rnd * 1103515245 + 12345) % 2 ** 31
      return rnd / 2 ** 31
    }

    // Customers (tokens signed here, like the riders': no 50 sessions through the per-IP limit), an
    // address 1-2.5 km out, a delivery order each; paid at the counter, accepted, ready.
    await pool(k, 8, async (i) => {
      const token = await signToken(this.tokenSecret, {
        role: 'customer',
        sub: `cus_bench${String(i).padStart(4, '0')}`,
        name: `顾客${i}`,
        exp,
      })
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
      const angle = rand() * 2 * Math.PI
      const dist = 1_000 + rand() * 1_500
      const door = fromGcj02(offset(STORE_AT, dist * Math.cos(angle), dist * Math.sin(angle)), 'WGS84')
      const addr = await retry(async () =>
        json(
          await fetch(`${b}/api/v1/customer/addresses`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({
              name: `顾客${i}`,
              phone: `136${String(i).padStart(8, '0')}`,
              text: `重庆市渝中区民族路${i + 1}号`,
              ...door,
              datum: 'WGS84',
            }),
          }),
        ),
      )
      const key = `bench-track-${Date.now()}-${i}`
      const order = await retry(async () =>
        json(
          await fetch(`${b}/api/v1/customer/orders`, {
            method: 'POST',
            headers: { ...auth, 'idempotency-key': key },
            body: JSON.stringify({
              storeId: STORE_ID,
              mode: 'delivery',
              menuVersion: seeded.menuVersion,
              lines: [{ itemId: 'rice', skuId: 'bowl', qty: 2, optionIds: [], note: '' }],
              addressId: addr.id,
            }),
          }),
        ),
      )
      for (const event of ['pay', 'accept', 'ready'])
        await retry(async () =>
          json(
            await fetch(`${b}/api/v1/stores/${STORE_ID}/orders/${order.id}/events`, {
              method: 'POST',
              headers: staff,
              body: JSON.stringify({ event }),
            }),
          ),
        )
      this.customers[i] = { orderId: order.id, token, assigned: false }
    })
    this.log(
      `tracking: ${k} delivery orders paid, accepted, ready in ${Math.round(performance.now() - t0)} ms`,
    )

    // The diners' sockets, open before dispatch so they hear RIDER_ASSIGNED.
    await pool(k, 16, async (i) => {
      const c = this.customers[i]!
      await new Promise<void>((resolve) => {
        const ws = new WebSocket(
          `${b.replace(/^http/, 'ws')}/api/v1/customer/orders/${c.orderId}/ws?token=${encodeURIComponent(c.token)}`,
        )
        // A socket with no snapshot in 15 s is counted as not open (its 'open' may still come later).
        setTimeout(resolve, 15_000)
        ws.on('message', (data) => {
          const text = data.toString()
          if (text === 'pong') return
          this.onDinerMessage(c, JSON.parse(text))
          resolve()
        })
        ws.on('open', () => {
          c.ws = ws
        })
        ws.on('error', () => {
          this.socketErrors++
          resolve()
        })
      })
    })

    // Riders 100-600 m from the store, auto-accepting: the store's cell batch (every 5 s) offers them the jobs.
    await pool(k, 8, async (i) => {
      const id = `trk-${i}`
      const token = await signToken(this.tokenSecret, { role: 'rider', sub: id, name: `跟踪骑手${i}`, exp })
      const angle = rand() * 2 * Math.PI
      const dist = 100 + rand() * 500
      const pos = offset(STORE_AT, dist * Math.cos(angle), dist * Math.sin(angle))
      await retry(async () =>
        json(
          await fetch(`${b}/api/v1/admin/riders/${id}`, {
            method: 'PUT',
            headers: this.admin,
            body: JSON.stringify({
              name: `跟踪骑手${i}`,
              phone: `137${String(i).padStart(8, '0')}`,
              // One order each: K riders carry K orders (capacity 3 lets dispatch bundle this store's orders).
              capacity: 1,
              autoAccept: true,
            }),
          }),
        ),
      )
      const wgs = fromGcj02(pos, 'WGS84')
      await retry(async () =>
        json(
          await fetch(`${b}/api/v1/rider/duty`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ onDuty: true, ...wgs }),
          }),
        ),
      )
      this.riders[i] = { id, token, wgs, heading: rand() * 2 * Math.PI }
    })
    const until = performance.now() + assignTimeoutMs
    while (this.assigned < k && performance.now() < until) await new Promise((r) => setTimeout(r, 200))
    this.log(
      `tracking: ${this.socketsOpen} diner sockets, ${this.assigned}/${k} orders with a rider in ${Math.round(performance.now() - t0)} ms`,
    )
  }

  private onDinerMessage(c: CustomerTrack, m: any): void {
    const now = performance.now()
    if (m.type === 'error') this.socketErrors++
    if (m.type === 'snapshot' && (m.state.rider || m.state.riderPos)) c.assigned = true
    if (m.type === 'status' && m.state === 'RIDER_ASSIGNED') c.assigned = true
    if (m.type !== 'rider') return
    this.lastDinerMessage = now
    const at = m.pos.at as number
    const r = this.reports.get(at)
    if (!r) {
      this.unmatched++
      return
    }
    const n = (this.seen.get(at) ?? 0) + 1
    this.seen.set(at, n)
    if (n > 1) this.fanout++
    if (!r.measured) {
      this.matchedOutsideWindow++
      return
    }
    this.matched++
    this.lat.push(now - r.t)
  }

  close(): void {
    for (const c of this.customers) c?.ws?.close(1000, 'done')
  }
}
