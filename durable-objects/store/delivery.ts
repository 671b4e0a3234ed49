// The store's side of delivery and pickup, inside StoreDO: quoting an address before the order exists,
// handing accepted delivery orders to the GeoCellDO of the store's cell, applying what riders report
// (core/delivery.ts DeliveryUpdate) to the order machine, the customers' tracking sockets, and keeping the
// store's entries in the store index (durable-objects/store-index.ts).
//
// Calls to other objects (cells, index) never happen inside a transaction: the transaction writes a row to
// `delivery_outbox`, and `flush` sends rows after it commits, oldest first, one order's rows in order. A
// failed send stays queued and is retried by the alarm with backoff, so an unreachable cell (a deploy, a
// restart, a binding not configured yet) loses nothing.
import type { TrackingServerMessage, TrackingSnapshot } from '../../core/channels/tracking'
import { RIDER_VISIBLE_STATES, TrackingClientMessage } from '../../core/channels/tracking'
import type { DeliveryJob, DeliveryUpdate } from '../../core/delivery'
import { DomainError } from '../../core/errors'
import { cellOf, type LatLng, quoteDelivery } from '../../core/geo'
import type { ResolvedLine } from '../../core/menu'
import type { MaskedAddress, Order, OrderDelivery } from '../../core/order'
import type { Actor, OrderEvent, OrderMode, OrderState } from '../../core/order-machine'
import type { PricingInput } from '../../core/pricing'
import { DEFAULT_PREP_MINUTES, deliveryEtaMinutes, type StoreSettings } from '../../core/store'
import { decryptPii, piiKey } from '../../workers/auth/pii'
import type { Env } from '../../workers/env'
import { type AddressPlain, addressContext } from '../customer'
import { acceptSocket, parseFrame, safeSend, type WithoutSeq } from '../sockets'
import type { Timers } from '../sql'
import { coverCells, type IndexedStore } from '../store-index'
import type { OrdersRepo } from './orders-repo'

/** The timer key StoreDO's alarm hands to `onTimer` (kind `dlv`). */
export const DELIVERY_TIMER = 'dlv:outbox'
/** A failed send is retried after 2 s, doubling to 5 min: a cell down for an hour is asked every 5 min. */
const RETRY_FIRST_MS = 2_000
const RETRY_MAX_MS = 5 * 60_000
/** After a day a job or index change is history, not news: dropped and logged. */
const GIVE_UP_MS = 24 * 3600_000
/** Rows sent per pass; the rest go in the next pass of the same flush. */
const FLUSH_BATCH = 50

/** The delivery part of a placement, as the Worker hands it to StoreDO.placeOrder. */
export interface DeliveryRequest {
  /** encryptPii(JSON AddressPlain, addressContext(customerId)). */
  sealedAddress: string
  address: MaskedAddress
  hint: string
  /** GCJ-02, used to quote here and not stored in clear. */
  point: LatLng
}

export interface DeliveryHost {
  storeId(): string
  settings(): StoreSettings
  env: Env
  orders: OrdersRepo
  timers: Timers
  /** Inside the caller's transaction. */
  applyEventSync(orderId: string, event: OrderEvent, actor: Actor, actorId: string, reason?: string): Order
  /** After commit: sockets, tables, the board. */
  changed(order: Order): void
  /** Staff board only: the order again (the rider moved), without news for anyone else. */
  staffOrder(order: Order): void
  events(orderId: string): { to: OrderState; at: number }[]
}

/** What GeoCellDO offers the store (durable-objects/geo-cell): the calls the outbox makes. */
interface CellApi {
  addJob(job: DeliveryJob): Promise<unknown>
  jobReady(orderId: string, readyAt: number): Promise<unknown>
  cancelJob(orderId: string): Promise<unknown>
}

type OutboxKind = 'add_job' | 'job_ready' | 'cancel_job' | 'index_put' | 'index_remove'
type OutboxRowDb = {
  id: number
  order_id: string
  kind: OutboxKind
  target: string
  payload: string
  attempts: number
  next_at: number
  created_at: number
  last_error: string | null
}

export interface DeliveryOutboxRow {
  id: number
  orderId: string
  kind: OutboxKind
  target: string
  attempts: number
  nextAt: number
  lastError: string | null
}

export type JobStatus = 'queued' | 'handed' | 'cancelled'

/** Pending changes to the order that an update makes along with its machine event (see deliveryUpdate). */
type Patch = (o: Order) => void

export class Delivery {
  private readonly sql: SqlStorage
  private flushing: Promise<void> | null = null
  /** Rows being sent right now (an RPC is awaited): a cancel must not drop them, they may already be there. */
  private readonly inFlight = new Set<number>()
  private again = false
  private patch: Patch | null = null

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly host: DeliveryHost,
  ) {
    this.sql = ctx.storage.sql
    this.sql.exec(`CREATE TABLE IF NOT EXISTS delivery_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT,
      order_id TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, payload TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, created_at INTEGER NOT NULL,
      last_error TEXT)`)
    this.sql.exec(`CREATE TABLE IF NOT EXISTS delivery_jobs (order_id TEXT PRIMARY KEY, cell TEXT NOT NULL,
      status TEXT NOT NULL, ready_sent INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL)`)
    this.sql.exec('CREATE TABLE IF NOT EXISTS tracking_seq (order_id TEXT PRIMARY KEY, seq INTEGER NOT NULL)')
    this.sql.exec('CREATE TABLE IF NOT EXISTS index_cells (cell TEXT PRIMARY KEY)')
  }

  private get env(): Env {
    return this.host.env
  }

  // ---------- placing an order ----------

  /**
   * The mode-specific part of placing an order, before anything is written: a delivery address outside
   * the area or an order under 起送价 throws here (OUT_OF_DELIVERY_AREA / BELOW_MINIMUM_ORDER), so the
   * customer never pays for an order the store cannot deliver. Returns the pricing inputs and order fields.
   */
  prepare(
    mode: OrderMode,
    req: { customerId?: string; delivery?: DeliveryRequest },
    lines: readonly ResolvedLine[],
    now: number,
  ): { pricing: Partial<PricingInput>; fields: Partial<Order> } {
    if (mode === 'dine_in') {
      if (req.delivery) throw new DomainError('VALIDATION_FAILED', 'a dine-in order has no delivery address')
      return { pricing: {}, fields: {} }
    }
    const settings = this.host.settings()
    const customer = req.customerId ? { customerId: req.customerId } : {}
    const prep = prepMinutesOf(settings, lines)
    if (mode === 'pickup') {
      if (req.delivery) throw new DomainError('VALIDATION_FAILED', 'a pickup order has no delivery address')
      return { pricing: {}, fields: { ...customer, etaAt: now + prep * 60_000 } }
    }
    if (!settings.delivery || !settings.location)
      throw new DomainError('BAD_REQUEST', 'this store does not deliver; order for pickup instead')
    if (!req.delivery || !req.customerId)
      throw new DomainError('VALIDATION_FAILED', 'a delivery order needs the customer and an address')
    // 起送价 and free delivery count the dishes at list price (the 商品 line), before promotions and fees.
    const itemsFen = lines.reduce((a, l) => a + l.unitPriceFen * l.qty, 0)
    const quote = quoteDelivery(settings.delivery, settings.location, req.delivery.point, itemsFen)
    const delivery: OrderDelivery = {
      sealedAddress: req.delivery.sealedAddress,
      address: req.delivery.address,
      hint: req.delivery.hint,
      distanceM: quote.distanceM,
      feeFen: quote.feeFen,
      quote: quote.explanation,
    }
    const minutes = deliveryEtaMinutes({ prepMinutes: prep, distanceM: quote.distanceM })
    return {
      pricing: {
        deliveryFeeFen: quote.feeFen,
        deliveryLabel: quote.explanation[0]?.label ?? '配送费',
        packingFeeFen: quote.packingFeeFen,
      },
      fields: { ...customer, delivery, etaAt: now + minutes * 60_000 },
    }
  }

  // ---------- the machine ----------

  /**
   * Inside applyEventSync, before the order is saved: fields that travel with the event (rider, times,
   * ETA) and the outbox rows it makes (job to the cell, ready, cancel).
   */
  onEvent(event: OrderEvent, from: OrderState, next: Order): void {
    if (this.patch) {
      this.patch(next)
      this.patch = null
    }
    if (next.mode === 'dine_in') return
    const now = next.updatedAt
    if (event === 'accept') {
      // The kitchen starts now, not when the order was placed (payment may have taken minutes).
      const settings = this.host.settings()
      const prep = prepMinutesOf(settings, next.lines)
      next.etaAt =
        now +
        60_000 *
          (next.mode === 'delivery' && next.delivery
            ? deliveryEtaMinutes({ prepMinutes: prep, distanceM: next.delivery.distanceM })
            : prep)
      if (next.mode === 'delivery' && settings.location) {
        const cell = cellOf(settings.location)
        this.sql.exec(
          `INSERT INTO delivery_jobs (order_id, cell, status, updated_at) VALUES (?, ?, 'queued', ?)
           ON CONFLICT (order_id) DO UPDATE SET cell = excluded.cell, status = 'queued', updated_at = excluded.updated_at`,
          next.id,
          cell,
          now,
        )
        this.enqueue(next.id, 'add_job', cell, { readyAt: now + prep * 60_000 }, now)
      }
      return
    }
    if (next.mode !== 'delivery') return
    if (event === 'ready') this.jobReady(next, now)
    const ended: readonly OrderState[] = ['CANCELLED', 'REJECTED', 'REFUNDING', 'REFUNDED']
    if (ended.includes(next.state) && !ended.includes(from)) this.cancelJob(next, now, next.state)
  }

  /** The state the kitchen is really in with this order, for a rider who went away (unassign_rider). */
  kitchenStateOf(order: Order): OrderState {
    const lines = order.lines.filter((l) => !l.voided)
    const done = lines.length > 0 && lines.every((l) => order.kds?.[l.lineNo]?.doneAt)
    const from = order.delivery?.assignedFrom ?? 'COOKING'
    if (done || from === 'READY' || this.job(order.id)?.readySent) return 'READY'
    const started = lines.some((l) => order.kds?.[l.lineNo]?.startedAt)
    if (started && (from === 'ACCEPTED' || from === 'QUEUED')) return 'COOKING'
    return from
  }

  private jobReady(order: Order, now: number): void {
    const job = this.job(order.id)
    if (!job || job.status === 'cancelled' || job.readySent) return
    this.sql.exec('UPDATE delivery_jobs SET ready_sent = 1, updated_at = ? WHERE order_id = ?', now, order.id)
    this.enqueue(order.id, 'job_ready', job.cell, { readyAt: now }, now)
  }

  private cancelJob(order: Order, now: number, why: string): void {
    const job = this.job(order.id)
    if (!job || job.status === 'cancelled') return
    this.sql.exec(
      "UPDATE delivery_jobs SET status = 'cancelled', updated_at = ? WHERE order_id = ?",
      now,
      order.id,
    )
    // Never handed (its add still waits, not on its way): the add and anything after it are dropped.
    const rows = this.sql
      .exec<{ id: number; kind: OutboxKind }>(
        'SELECT id, kind FROM delivery_outbox WHERE order_id = ?',
        order.id,
      )
      .toArray()
    const adds = rows.filter((r) => r.kind === 'add_job')
    if (adds.length > 0 && adds.every((r) => !this.inFlight.has(r.id))) {
      for (const r of rows)
        if (!this.inFlight.has(r.id)) this.sql.exec('DELETE FROM delivery_outbox WHERE id = ?', r.id)
      return
    }
    this.enqueue(order.id, 'cancel_job', job.cell, { reason: why }, now)
  }

  /** After commit: the customer's tracking sockets, readiness found by the kitchen display, and the outbox. */
  afterChange(order: Order): void {
    if (order.mode === 'dine_in') return
    if (
      order.mode === 'delivery' &&
      (order.state === 'RIDER_ASSIGNED' || order.state === 'RIDER_AT_STORE') &&
      order.lines.every((l) => l.voided || order.kds?.[l.lineNo]?.doneAt)
    )
      // Bumped on the kitchen display while a rider was already assigned: no `ready` event in that state.
      this.jobReady(order, Date.now())
    this.broadcast(order.id, {
      type: 'status',
      orderId: order.id,
      state: order.state,
      at: order.updatedAt,
      etaAt: order.etaAt ?? null,
      rider: riderOf(order),
    })
    this.kick()
  }

  // ---------- what riders report ----------

  /**
   * One DeliveryUpdate from a RiderDO. Repeats and late arrivals are answered `applied: false` (RiderDO
   * retries from its outbox, so the same update may come twice); an update from a rider who is not the
   * order's rider is refused.
   */
  update(u: DeliveryUpdate): { order: Order; applied: boolean; moved: boolean } {
    const order = this.host.orders.require(u.orderId)
    if (order.mode !== 'delivery')
      throw new DomainError('INVALID_TRANSITION', 'not a delivery order', { orderId: u.orderId })
    const rider = order.delivery?.rider
    const mine = rider?.id === u.riderId
    const skip = { order, applied: false, moved: false }
    const apply = (event: OrderEvent, patch: Patch) => {
      this.patch = patch
      try {
        return {
          order: this.host.applyEventSync(order.id, event, 'system', `rider:${u.riderId}`),
          applied: true,
        }
      } finally {
        this.patch = null
      }
    }
    switch (u.kind) {
      case 'assigned': {
        const riderInfo = {
          id: u.riderId,
          name: u.riderName.slice(0, 20),
          phone: u.riderPhone.slice(0, 20),
          assignedAt: u.at,
          etaPickupAt: u.etaPickupAt,
          etaDropoffAt: u.etaDropoffAt,
        }
        if (order.state === 'RIDER_ASSIGNED' || order.state === 'RIDER_AT_STORE') {
          if (mine) return skip
          // Reassigned without an unassign in between (that one was lost): the newest rider is the rider.
          const next: Order = {
            ...order,
            etaAt: u.etaDropoffAt,
            delivery: { ...order.delivery!, rider: riderInfo },
            version: order.version + 1,
            updatedAt: Date.now(),
          }
          delete next.delivery!.riderPos
          this.host.orders.save(next)
          return { order: next, applied: true, moved: false }
        }
        const from = order.state
        return {
          ...apply('assign_rider', (o) => {
            o.delivery = { ...o.delivery!, rider: riderInfo, assignedFrom: from }
            o.etaAt = u.etaDropoffAt
          }),
          moved: true,
        }
      }
      case 'arrived_store':
        if (!mine) throw notYours(u)
        if (order.state !== 'RIDER_ASSIGNED') return skip
        return { ...apply('rider_arrive', () => {}), moved: true }
      case 'picked_up':
        if (!mine) throw notYours(u)
        if (order.state !== 'RIDER_ASSIGNED' && order.state !== 'RIDER_AT_STORE') return skip
        return {
          ...apply('depart', (o) => {
            o.delivery = { ...o.delivery!, pickedUpAt: u.at }
            if (u.override) o.reason = `取餐：${u.override}`.slice(0, 200)
          }),
          moved: true,
        }
      case 'delivered':
        if (!mine) throw notYours(u)
        if (order.state !== 'DELIVERING') return skip
        return {
          ...apply('deliver', (o) => {
            o.delivery = { ...o.delivery!, deliveredAt: u.at }
            delete o.delivery.riderPos
            if (u.override) o.reason = `送达：${u.override}`.slice(0, 200)
          }),
          moved: true,
        }
      case 'unassigned': {
        // A stale unassign (another rider has it now) changes nothing.
        if (!mine || (order.state !== 'RIDER_ASSIGNED' && order.state !== 'RIDER_AT_STORE')) return skip
        return {
          ...apply('unassign_rider', (o) => {
            const d = { ...o.delivery! }
            delete d.rider
            delete d.riderPos
            delete d.assignedFrom
            o.delivery = d
            o.reason = `骑手取消：${u.reason}`.slice(0, 200)
          }),
          moved: true,
        }
      }
      case 'near_customer':
        if (!mine) throw notYours(u)
        if (order.state === 'DELIVERING')
          this.broadcast(order.id, { type: 'near', orderId: order.id, at: u.at })
        return skip
      case 'position': {
        if (!mine) throw notYours(u)
        if (!RIDER_VISIBLE_STATES.includes(order.state)) return skip
        // Out of order (a retried older update): the map never jumps back.
        if ((order.delivery?.riderPos?.at ?? 0) >= u.at) return skip
        const next: Order = {
          ...order,
          delivery: { ...order.delivery!, riderPos: { lat: u.pos.lat, lng: u.pos.lng, at: u.at } },
          ...(u.etaDropoffAt ? { etaAt: u.etaDropoffAt } : {}),
          updatedAt: Date.now(),
        }
        // No event and no history row: a position is not a change of state (orders.save).
        this.host.orders.save(next)
        return { order: next, applied: true, moved: false }
      }
    }
  }

  /** After an update committed: who hears what. Positions go to this order's sockets and the board only. */
  afterUpdate(u: DeliveryUpdate, r: { order: Order; applied: boolean; moved: boolean }): void {
    if (!r.applied) return
    if (r.moved) {
      this.host.changed(r.order)
      return
    }
    this.host.staffOrder(r.order)
    const pos = r.order.delivery?.riderPos
    if (u.kind === 'position' && pos)
      this.broadcast(r.order.id, {
        type: 'rider',
        orderId: r.order.id,
        pos,
        etaAt: r.order.etaAt ?? null,
      })
    else
      this.broadcast(r.order.id, {
        type: 'status',
        orderId: r.order.id,
        state: r.order.state,
        at: r.order.updatedAt,
        etaAt: r.order.etaAt ?? null,
        rider: riderOf(r.order),
      })
  }

  // ---------- the store index ----------

  /** Inside setup's transaction: index rows for every cell the delivery area touches, removals for the rest. */
  storeSaved(storeId: string, settings: StoreSettings, now: number): void {
    const before = new Set(
      this.sql
        .exec<{ cell: string }>('SELECT cell FROM index_cells')
        .toArray()
        .map((r) => r.cell),
    )
    const cells =
      settings.delivery && settings.location ? coverCells(settings.location, settings.delivery) : []
    this.sql.exec('DELETE FROM index_cells')
    // A newer save supersedes index rows the outbox has not sent yet.
    this.sql.exec("DELETE FROM delivery_outbox WHERE kind IN ('index_put', 'index_remove')")
    for (const cell of before)
      if (!cells.includes(cell)) this.enqueue('', 'index_remove', cell, { storeId, updatedAt: now }, now)
    if (!settings.delivery || !settings.location) return
    const entry: IndexedStore = {
      storeId,
      name: settings.name,
      location: settings.location,
      delivery: settings.delivery,
      prepMinutes: settings.prepMinutes ?? DEFAULT_PREP_MINUTES,
      updatedAt: now,
    }
    for (const cell of cells) {
      this.sql.exec('INSERT INTO index_cells (cell) VALUES (?)', cell)
      this.enqueue('', 'index_put', cell, entry, now)
    }
  }

  // ---------- the outbox ----------

  private enqueue(orderId: string, kind: OutboxKind, target: string, payload: unknown, now: number): void {
    this.sql.exec(
      `INSERT INTO delivery_outbox (order_id, kind, target, payload, attempts, next_at, created_at)
       VALUES (?, ?, ?, ?, 0, ?, ?)`,
      orderId,
      kind,
      target,
      JSON.stringify(payload),
      now,
      now,
    )
    this.host.timers.set(DELIVERY_TIMER, now)
  }

  /** Send what is due, after the transaction that wrote it committed (fire and forget; the alarm backs it up). */
  kick(): void {
    if (this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM delivery_outbox').one().n === 0) return
    this.ctx.waitUntil(this.flush().catch((e) => console.error('delivery outbox', e)))
  }

  async onTimer(): Promise<void> {
    await this.flush()
  }

  /** Send every due row; one flush at a time (a second caller waits for the running one to go round again). */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true
      return this.flushing
    }
    this.flushing = (async () => {
      try {
        do {
          this.again = false
          while (await this.flushOnce()) {}
        } while (this.again)
      } finally {
        this.flushing = null
        this.rearm()
        await this.host.timers.arm()
      }
    })()
    return this.flushing
  }

  /** One pass; true when something was sent (so another pass may find more). */
  private async flushOnce(): Promise<boolean> {
    const now = Date.now()
    const rows = this.sql
      .exec<OutboxRowDb>(
        'SELECT * FROM delivery_outbox WHERE next_at <= ? ORDER BY id LIMIT ?',
        now,
        FLUSH_BATCH,
      )
      .toArray()
    const blocked = new Set<string>()
    let sent = false
    for (const row of rows) {
      // An order's rows go in order: nothing after a failed add_job overtakes it.
      const lane = row.order_id || `${row.kind}:${row.target}`
      if (blocked.has(lane)) continue
      this.inFlight.add(row.id)
      try {
        await this.send(row)
        this.sql.exec('DELETE FROM delivery_outbox WHERE id = ?', row.id)
        if (row.kind === 'add_job')
          this.sql.exec(
            "UPDATE delivery_jobs SET status = 'handed', updated_at = ? WHERE order_id = ? AND status = 'queued'",
            Date.now(),
            row.order_id,
          )
        sent = true
      } catch (e) {
        blocked.add(lane)
        const message = e instanceof Error ? e.message : String(e)
        if (Date.now() - row.created_at > GIVE_UP_MS) {
          console.error(`delivery outbox: gave up ${row.kind} ${row.order_id || row.target}: ${message}`)
          this.sql.exec('DELETE FROM delivery_outbox WHERE id = ?', row.id)
          continue
        }
        const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** row.attempts)
        this.sql.exec(
          'UPDATE delivery_outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?',
          Date.now() + delay,
          message.slice(0, 300),
          row.id,
        )
      } finally {
        this.inFlight.delete(row.id)
      }
    }
    return sent
  }

  /** The timer follows the earliest row; none left, no timer. */
  private rearm(): void {
    const at = this.sql
      .exec<{ at: number | null }>('SELECT MIN(next_at) AS at FROM delivery_outbox')
      .toArray()[0]?.at
    if (typeof at === 'number') this.host.timers.set(DELIVERY_TIMER, at)
    else this.host.timers.clear(DELIVERY_TIMER)
  }

  private async send(row: OutboxRowDb): Promise<void> {
    const payload = JSON.parse(row.payload) as Record<string, unknown>
    if (row.kind === 'index_put' || row.kind === 'index_remove') {
      const ns = this.env.STORE_INDEX
      if (!ns) throw new Error('STORE_INDEX is not bound')
      const index = ns.getByName(row.target)
      if (row.kind === 'index_put') await index.put(payload as unknown as IndexedStore)
      else await index.remove(String(payload.storeId), Number(payload.updatedAt))
      return
    }
    const ns = this.env.GEOCELL
    if (!ns) throw new Error('GEOCELL is not bound')
    const cell = ns.getByName(row.target) as unknown as CellApi
    let answer: unknown
    if (row.kind === 'add_job') {
      const job = await this.buildJob(row.order_id, Number(payload.readyAt))
      if (!job) return // the order is gone or no longer waits for a rider
      answer = await cell.addJob(job)
    } else if (row.kind === 'job_ready') answer = await cell.jobReady(row.order_id, Number(payload.readyAt))
    else answer = await cell.cancelJob(row.order_id)
    const failed = answer as { ok?: boolean; error?: { code?: string; message?: string } } | undefined
    if (failed && failed.ok === false) {
      // A cell that does not know the job any more has nothing to cancel or mark ready.
      if (row.kind !== 'add_job' && failed.error?.code?.endsWith('NOT_FOUND')) return
      throw new Error(`${failed.error?.code ?? 'ERROR'}: ${failed.error?.message ?? ''}`)
    }
  }

  /**
   * The job as the cell gets it: the dropoff opened from the sealed address just for this call. The phone
   * rides along for the rider after pickup (the cell and the rider's object seal it again at rest).
   */
  private async buildJob(
    orderId: string,
    readyAt: number,
  ): Promise<(DeliveryJob & { customerPhone: string }) | null> {
    const order = this.host.orders.get(orderId)
    const settings = this.host.settings()
    if (!order?.delivery || !order.customerId || !settings.location) return null
    if (this.job(orderId)?.status === 'cancelled') return null
    const key = await piiKey(this.env)
    const opened = await decryptPii(key, order.delivery.sealedAddress, addressContext(order.customerId))
    if (!opened) throw new Error('the sealed address does not open (PII_KEY changed?)')
    const plain = JSON.parse(opened) as AddressPlain
    return {
      orderId,
      storeId: this.host.storeId(),
      storeName: settings.name,
      pickup: settings.location,
      dropoff: { lat: plain.lat, lng: plain.lng },
      dropoffHint: order.delivery.hint,
      placedAt: order.createdAt,
      readyAt,
      pickupNo: order.pickupNo,
      items: order.lines.filter((l) => !l.voided).reduce((a, l) => a + l.qty, 0),
      customerPhone: plain.phone,
    }
  }

  private job(orderId: string): { cell: string; status: JobStatus; readySent: boolean } | null {
    const r = this.sql
      .exec<{ cell: string; status: JobStatus; ready_sent: number }>(
        'SELECT cell, status, ready_sent FROM delivery_jobs WHERE order_id = ?',
        orderId,
      )
      .toArray()[0]
    return r ? { cell: r.cell, status: r.status, readySent: r.ready_sent === 1 } : null
  }

  /** For operators and tests: what waits to be sent, and each delivery job's status. */
  state(): {
    outbox: DeliveryOutboxRow[]
    jobs: { orderId: string; cell: string; status: JobStatus; readySent: boolean }[]
  } {
    return {
      outbox: this.sql
        .exec<OutboxRowDb>('SELECT * FROM delivery_outbox ORDER BY id')
        .toArray()
        .map((r) => ({
          id: r.id,
          orderId: r.order_id,
          kind: r.kind,
          target: r.target,
          attempts: r.attempts,
          nextAt: r.next_at,
          lastError: r.last_error,
        })),
      jobs: this.sql
        .exec<{ order_id: string; cell: string; status: JobStatus; ready_sent: number }>(
          'SELECT * FROM delivery_jobs ORDER BY order_id',
        )
        .toArray()
        .map((r) => ({ orderId: r.order_id, cell: r.cell, status: r.status, readySent: r.ready_sent === 1 })),
    }
  }

  // ---------- tracking sockets ----------

  /** A customer's socket for one order (the Worker checked the token; the order must be theirs). */
  acceptTracking(orderId: string, customerId: string): Response {
    const order = this.host.orders.get(orderId)
    // No customer on the order (a table's) or another customer's: unknown to this one.
    if (!customerId || order?.customerId !== customerId) return new Response('no such order', { status: 404 })
    const { response, socket } = acceptSocket(this.ctx, ['track', `track:${orderId}`], {
      orderId,
      customerId,
    })
    safeSend(
      socket,
      JSON.stringify({ type: 'snapshot', seq: this.seq(orderId), state: this.snapshot(order) }),
    )
    return response
  }

  onTrackingMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    const parsed = TrackingClientMessage.safeParse(parseFrame(message))
    const { orderId } = (ws.deserializeAttachment() ?? {}) as { orderId?: string }
    const order = orderId ? this.host.orders.get(orderId) : undefined
    if (!parsed.success || !order) {
      safeSend(ws, JSON.stringify({ type: 'error', code: 'VALIDATION_FAILED', message: 'unknown message' }))
      return
    }
    safeSend(ws, JSON.stringify({ type: 'snapshot', seq: this.seq(order.id), state: this.snapshot(order) }))
  }

  snapshot(order: Order): TrackingSnapshot {
    const settings = this.host.settings()
    const pos = order.delivery?.riderPos
    return {
      orderId: order.id,
      mode: order.mode,
      state: order.state,
      pickupNo: order.pickupNo,
      etaAt: order.etaAt ?? null,
      store: { name: settings.name, location: settings.location ?? null },
      rider: riderOf(order),
      riderPos: pos && RIDER_VISIBLE_STATES.includes(order.state) ? pos : null,
      timeline: this.host.events(order.id).map((e) => ({ state: e.to, at: e.at })),
    }
  }

  private seq(orderId: string): number {
    return (
      this.sql.exec<{ seq: number }>('SELECT seq FROM tracking_seq WHERE order_id = ?', orderId).toArray()[0]
        ?.seq ?? 0
    )
  }

  /** To the sockets following this order, and no one else. With nobody listening no seq is used. */
  private broadcast(orderId: string, msg: WithoutSeq<TrackingServerMessage>): void {
    const sockets = this.ctx.getWebSockets(`track:${orderId}`)
    if (sockets.length === 0) return
    const seq = this.sql
      .exec<{ seq: number }>(
        `INSERT INTO tracking_seq (order_id, seq) VALUES (?, 1)
         ON CONFLICT (order_id) DO UPDATE SET seq = seq + 1 RETURNING seq`,
        orderId,
      )
      .one().seq
    const text = JSON.stringify({ ...msg, seq })
    for (const ws of sockets) safeSend(ws, text)
  }
}

function prepMinutesOf(settings: StoreSettings, lines: readonly Pick<ResolvedLine, 'prepMinutes'>[]): number {
  const longest = lines.reduce((m, l) => Math.max(m, l.prepMinutes ?? 0), 0)
  return Math.max(settings.prepMinutes ?? DEFAULT_PREP_MINUTES, longest)
}

function riderOf(order: Order): { name: string; phone: string } | null {
  const r = order.delivery?.rider
  return r ? { name: r.name, phone: r.phone } : null
}

function notYours(u: DeliveryUpdate): DomainError {
  return new DomainError('FORBIDDEN', `rider ${u.riderId} does not carry order ${u.orderId}`, {
    orderId: u.orderId,
  })
}
