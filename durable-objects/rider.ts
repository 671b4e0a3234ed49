// RiderDO: one per rider id. Credential and profile (name and phone encrypted at rest), on/off duty, the
// location stream from the rider's app (validated, converted to GCJ-02, a bounded trail, the adaptive
// report interval), offers and tasks with their planned route, geofence events, and the rider's socket.
//
// It absorbs the high-frequency stream: a fix writes the trail and answers the app, nothing else on the
// way. Summaries travel on: to the GeoCellDO when the rider changes cell, changes load or every 30 s, and
// a throttled position to the StoreDO of each order the rider holds. Updates the stores must not miss
// ('assigned', 'arrived_store', ...) and commands to cells go through an outbox in the same transaction
// as the change that caused them, sent at once and retried on the alarm: a store or a cell failing never
// loses the rider's own state.
//
// Capacity is decided here and only here, synchronously: every check and the write it guards sit in one
// block with no await between, so two cells offering at once cannot both win, and an accept racing a new
// offer cannot push the rider past capacity.
import { DurableObject } from 'cloudflare:workers'
import {
  type LocRejectReason,
  type OfferCloseReason,
  RiderClientMessage,
  type RiderServerMessage,
  type RiderSnapshot,
  type TaskStatus,
  type TaskView,
} from '../core/channels/rider'
import type { DeliveryOffer, DeliveryUpdate, OfferReply, RiderInCell } from '../core/delivery'
import { DomainError, type Outcome, outcome, outcomeAsync } from '../core/errors'
import {
  acceptFix,
  CUSTOMER_NEAR_RADIUS_M,
  cellOf,
  circleFence,
  DEFAULT_TRACK_RULES,
  DEFAULT_TRAIL_LEN,
  FENCE_HYSTERESIS_M,
  type Fix,
  fenceTransition,
  haversineM,
  type LatLng,
  reportIntervalMs,
  STILL_INTERVAL_MS,
  STORE_ARRIVAL_RADIUS_M,
  toGcj02,
} from '../core/geo'
import { decryptPii, encryptPii, maskPhone, piiKey } from '../workers/auth/pii'
import type { Env } from '../workers/env'
import { CELL_HEARTBEAT_MS } from './geo-cell/settings'
import { type JobWithPhone, openJob, openPhone, type SealedJob, sealJob } from './rider/jobs'
import { OUTBOX_FIRST_RETRY_MS, OUTBOX_GIVE_UP_MS, outboxBackoffMs, SENT_KEEP } from './rider/outbox'
import { type PlannedRoute, planRiderRoute } from './rider/route'
import { RIDER_MIGRATIONS } from './rider/schema'
import { maskName, offerView, routeView, taskView } from './rider/views'
import { acceptSocket, enableAutoPong, parseFrame, replyClose, SequencedChannel } from './sockets'
import { atomic, Meta, migrate, Timers } from './sql'

/** Device clocks drift; a fix stamped more than this ahead of ours is a broken clock, not a fix. */
const FUTURE_SKEW_MS = 120_000
/** core/geo acceptFix: after this many "impossible jumps" in a row the fix before them is the suspect:
 * the rider really is where the new fixes say (GPS came back after a tunnel, or the old fix was a glitch). */
const JUMPS_BEFORE_RESET = 3
/** A diner's map gets the rider's position at most this often: smooth enough for a moving dot, and
 * StoreDO sees one call per order per 3 s instead of every fix. */
const POSITION_THROTTLE_MS = 3_000
/** A fix older than this cannot place the rider for a pickup or delivery check: a still rider reports every
 * 2 min, so that plus slack. */
const FIX_FRESH_MS = STILL_INTERVAL_MS + 30_000
/** The trail reaches storage at least this often while fixes stream in (see appendFix). */
const TRAIL_SAVE_MS = 10_000
/** Offers shown at once in grab mode (抢单大厅): more is noise on a phone screen. */
const MAX_SHOWN_OFFERS = 10
/** An accept or grab that reached no cell is retried this often until the cell answers. */
const CONFIRM_RETRY_MS = 2_000
/** ... and abandoned this long past the offer's expiry (the cell then gets a 'timeout' and re-queues). */
const CONFIRM_GIVE_UP_MS = 60_000
/** Delivered tasks are kept this long for idempotent retries of 'deliver', then pruned. */
const DELIVERED_KEEP_MS = 24 * 3600_000
/** Capacity bounds (orders at once): an e-bike box holds 3-5 orders. */
export const MAX_CAPACITY = 10

export interface RiderSetup {
  riderId: string
  name: string
  phone: string
  /** PBKDF2 hash (workers/auth/password.ts); omitted on update keeps the old one. A rider created without
   * one cannot log in until an operator sets it (bulk onboarding: create first, hand out passwords later). */
  pwHash?: string
  capacity: number
  autoAccept?: boolean
}

export interface RiderCredential {
  riderId: string
  name: string
  pwHash: string
}

interface Profile {
  riderId: string
  nameEnc: string
  phoneEnc: string
  pwHash: string | null
  capacity: number
  autoAccept: boolean
}

/** Commands a rider's object sends its cells through the outbox. */
export type CellCommand =
  | { op: 'answer'; offerId: string; answer: 'declined' | 'timeout' }
  | { op: 'requeue'; job: SealedJob; reason: string }
  | { op: 'leave' }

type OfferState = 'open' | 'accepting' | 'shown' | 'grabbing'

interface OfferRow {
  offer: DeliveryOffer
  state: OfferState
  expiresAt: number
}

interface TaskRow {
  orderId: string
  job: SealedJob['job']
  phoneEnc: string | null
  status: TaskStatus
  cell: string
  offerId: string
  assignedAt: number
  atStore: boolean
  nearCustomer: boolean
}

type TaskAction = 'arrive' | 'pickup' | 'deliver'

/** The StoreDO method another part adds; called through this shape so a store without it is only a retry. */
interface DeliveryUpdateTarget {
  deliveryUpdate(u: DeliveryUpdate): Promise<Outcome<unknown>>
}

export class RiderDO extends DurableObject<Env> {
  private readonly meta: Meta
  private readonly timers: Timers
  private trail: Fix[]
  private unsaved: Fix[] = []
  private lastTrailSave = 0
  private saveTimer: ReturnType<typeof setTimeout> | null = null
  private tasksCache: TaskRow[] | null = null
  /** Decrypted name and phone: memory only, never written. */
  private plain: { name: string; phone: string } | null = null
  private readonly maskedPhones = new Map<string, string>()
  private jumps = 0
  private lastCellSyncAt = 0
  private cellSyncing = false
  private lastPositionAt = 0
  private flushing = false

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    migrate(ctx.storage, RIDER_MIGRATIONS)
    this.meta = new Meta(ctx.storage.sql)
    this.timers = new Timers(ctx.storage, () => this.outboxDue())
    enableAutoPong(ctx)
    this.trail = ctx.storage.sql
      .exec<{ lat: number; lng: number; at: number; accuracy_m: number }>(
        'SELECT lat, lng, at, accuracy_m FROM trail ORDER BY id',
      )
      .toArray()
      .map((r) => ({ lat: r.lat, lng: r.lng, at: r.at, accuracyM: r.accuracy_m }))
  }

  // ---------- profile ----------

  private get profile(): Profile | undefined {
    return this.meta.get<Profile>('profile')
  }
  private requireProfile(): Profile {
    const p = this.profile
    if (!p) throw new DomainError('RIDER_NOT_FOUND', 'no such rider')
    return p
  }
  private get riderId(): string {
    return this.profile?.riderId ?? ''
  }
  private get onDuty(): boolean {
    return this.meta.get<boolean>('on_duty') ?? false
  }
  private get cell(): string {
    return this.meta.get<string>('cell') ?? ''
  }

  private async plainProfile(): Promise<{ name: string; phone: string }> {
    if (this.plain) return this.plain
    const p = this.requireProfile()
    const key = await piiKey(this.env)
    const [name, phone] = await Promise.all([
      decryptPii(key, p.nameEnc, `rider:${p.riderId}:name`),
      decryptPii(key, p.phoneEnc, `rider:${p.riderId}:phone`),
    ])
    this.plain = { name: name ?? '', phone: phone ?? '' }
    return this.plain
  }

  /** Create or update the rider (from the admin route; the password arrives hashed). */
  async setup(input: RiderSetup): Promise<Outcome<{ riderId: string; created: boolean }>> {
    return outcomeAsync(async () => {
      const old = this.profile
      if (old && old.riderId !== input.riderId)
        throw new DomainError('CONFLICT', 'this object belongs to another rider', { riderId: old.riderId })
      if (!Number.isInteger(input.capacity) || input.capacity < 1 || input.capacity > MAX_CAPACITY)
        throw new DomainError('VALIDATION_FAILED', `capacity is 1..${MAX_CAPACITY}`)
      const key = await piiKey(this.env)
      const [nameEnc, phoneEnc] = await Promise.all([
        encryptPii(key, input.name, `rider:${input.riderId}:name`),
        encryptPii(key, input.phone, `rider:${input.riderId}:phone`),
      ])
      this.meta.set('profile', {
        riderId: input.riderId,
        nameEnc,
        phoneEnc,
        pwHash: input.pwHash ?? old?.pwHash ?? null,
        capacity: input.capacity,
        autoAccept: input.autoAccept ?? old?.autoAccept ?? false,
      } satisfies Profile)
      this.plain = { name: input.name, phone: input.phone }
      if (this.onDuty) this.syncCell(true)
      return { riderId: input.riderId, created: !old }
    })
  }

  /** For login: the Worker verifies the password. Null for an unknown rider or one without a password. */
  async credential(): Promise<RiderCredential | null> {
    const p = this.profile
    if (!p?.pwHash) return null
    const { name } = await this.plainProfile()
    return { riderId: p.riderId, name, pwHash: p.pwHash }
  }

  // ---------- state ----------

  private tasks(): TaskRow[] {
    if (this.tasksCache) return this.tasksCache
    this.tasksCache = this.ctx.storage.sql
      .exec<{
        order_id: string
        job: string
        phone_enc: string | null
        status: TaskStatus
        cell: string
        offer_id: string
        assigned_at: number
        at_store: number
        near_customer: number
      }>(
        `SELECT order_id, job, phone_enc, status, cell, offer_id, assigned_at, at_store, near_customer
         FROM tasks WHERE status != 'delivered' ORDER BY assigned_at, order_id`,
      )
      .toArray()
      .map((r) => ({
        orderId: r.order_id,
        job: JSON.parse(r.job),
        phoneEnc: r.phone_enc,
        status: r.status,
        cell: r.cell,
        offerId: r.offer_id,
        assignedAt: r.assigned_at,
        atStore: r.at_store === 1,
        nearCustomer: r.near_customer === 1,
      }))
    return this.tasksCache
  }

  private putTask(t: TaskRow, now: number): void {
    this.ctx.storage.sql.exec(
      `INSERT INTO tasks (order_id, job, phone_enc, status, cell, offer_id, assigned_at, updated_at, at_store,
         near_customer, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (order_id) DO UPDATE SET job = excluded.job, phone_enc = excluded.phone_enc,
         status = excluded.status, cell = excluded.cell, offer_id = excluded.offer_id,
         assigned_at = excluded.assigned_at, updated_at = excluded.updated_at, at_store = excluded.at_store,
         near_customer = excluded.near_customer, done_at = excluded.done_at`,
      t.orderId,
      JSON.stringify(t.job),
      t.phoneEnc,
      t.status,
      t.cell,
      t.offerId,
      t.assignedAt,
      now,
      t.atStore ? 1 : 0,
      t.nearCustomer ? 1 : 0,
      t.status === 'delivered' ? now : null,
    )
    this.tasksCache = null
  }

  private deleteTask(orderId: string): void {
    this.ctx.storage.sql.exec('DELETE FROM tasks WHERE order_id = ?', orderId)
    this.tasksCache = null
  }

  private offers(): OfferRow[] {
    return this.ctx.storage.sql
      .exec<{ offer: string; state: OfferState; expires_at: number }>(
        'SELECT offer, state, expires_at FROM offers ORDER BY received_at',
      )
      .toArray()
      .map((r) => ({ offer: JSON.parse(r.offer), state: r.state, expiresAt: r.expires_at }))
  }

  private offerRow(offerId: string): OfferRow | undefined {
    return this.offers().find((o) => o.offer.offerId === offerId)
  }

  private setOfferState(offerId: string, state: OfferState): void {
    this.ctx.storage.sql.exec('UPDATE offers SET state = ? WHERE offer_id = ?', state, offerId)
  }

  private deleteOffer(offerId: string): void {
    this.ctx.storage.sql.exec('DELETE FROM offers WHERE offer_id = ?', offerId)
    this.timers.clear(`offer:${offerId}`)
    this.timers.clear(`confirm:${offerId}`)
  }

  /** Orders held: tasks not delivered plus those of offers the rider is answering or holds in offer mode. */
  private reserved(): number {
    let n = this.tasks().length
    for (const o of this.offers()) if (o.state !== 'shown') n += o.offer.jobs.length
    return n
  }

  private position(): Fix | undefined {
    return this.meta.get<Fix>('duty_pos') ?? this.trail.at(-1)
  }

  private route(now = Date.now()): PlannedRoute {
    const pos = this.position() ?? this.tasks()[0]?.job.pickup
    if (!pos) return { stops: [], freeAt: now, freePos: { lat: 0, lng: 0 } }
    return planRiderRoute(
      pos,
      now,
      this.tasks().map((t) => ({
        orderId: t.orderId,
        pickup: t.job.pickup,
        dropoff: t.job.dropoff,
        readyAt: t.job.readyAt,
        pickedUp: t.status === 'picked_up',
      })),
    )
  }

  private taskViewOf(t: TaskRow, route: PlannedRoute): TaskView {
    return taskView(t, route, this.maskedPhones.get(t.orderId) ?? null)
  }

  private routeStops(route: PlannedRoute) {
    return routeView(
      route,
      new Set(
        this.tasks()
          .filter((t) => t.status === 'picked_up')
          .map((t) => t.orderId),
      ),
    )
  }

  /** Masked phones of picked-up tasks, decrypted once into memory. */
  private async loadPhones(): Promise<void> {
    const missing = this.tasks().filter(
      (t) => t.status === 'picked_up' && t.phoneEnc && !this.maskedPhones.has(t.orderId),
    )
    if (missing.length === 0) return
    const key = await piiKey(this.env)
    for (const t of missing) {
      const phone = await openPhone(key, t.orderId, t.phoneEnc)
      if (phone) this.maskedPhones.set(t.orderId, maskPhone(phone))
    }
  }

  private async snapshotNow(): Promise<RiderSnapshot> {
    const p = this.requireProfile()
    const { name, phone } = await this.plainProfile()
    await this.loadPhones()
    const now = Date.now()
    const route = this.route(now)
    const pos = this.position()
    return {
      riderId: p.riderId,
      name,
      phone: maskPhone(phone),
      capacity: p.capacity,
      autoAccept: p.autoAccept,
      onDuty: this.onDuty,
      load: this.tasks().length,
      tasks: this.tasks().map((t) => this.taskViewOf(t, route)),
      route: this.routeStops(route),
      offers: this.offers().map((o) => offerView(o.offer)),
      ...(pos ? { position: { lat: pos.lat, lng: pos.lng, at: pos.at, accuracyM: pos.accuracyM } } : {}),
      intervalMs: reportIntervalMs(this.trail),
    }
  }

  async view(): Promise<Outcome<RiderSnapshot>> {
    return outcomeAsync(() => this.snapshotNow())
  }

  private channel(): SequencedChannel<RiderServerMessage> {
    return new SequencedChannel(this.ctx, this.meta, 'rider')
  }

  // ---------- duty ----------

  /** On duty at `pos` (GCJ-02, optional), or off duty: tasks not picked up go back to dispatch. */
  async setDuty(onDuty: boolean, pos?: LatLng): Promise<Outcome<{ onDuty: boolean; cell: string | null }>> {
    return outcomeAsync(async () => {
      this.requireProfile()
      const now = Date.now()
      if (onDuty) {
        // A coarse position from the duty button: where the rider is until the first fix arrives. Kept
        // out of the trail: stamped with our clock, it would make a device's slightly slow clock look
        // out of order.
        if (pos) this.meta.set('duty_pos', { ...pos, at: now, accuracyM: DEFAULT_TRACK_RULES.maxAccuracyM })
        if (!this.onDuty) {
          this.meta.set('on_duty', true)
          this.channel().broadcast({ type: 'duty', onDuty: true })
        }
        await this.syncCellNow(true).catch(() => undefined)
        return { onDuty: true, cell: this.cell || null }
      }
      if (!this.onDuty) return { onDuty: false, cell: null }
      if (this.tasks().some((t) => t.status === 'picked_up'))
        throw new DomainError('CONFLICT', 'deliver the orders you carry before going off duty')
      if (this.offers().some((o) => o.state === 'accepting' || o.state === 'grabbing'))
        throw new DomainError('CONFLICT', 'an offer is being confirmed; try again in a moment')
      const released = this.tasks()
      atomic(this.ctx.storage, this.meta, () => {
        for (const t of released) {
          this.deleteTask(t.orderId)
          this.enqueue(`store:${t.job.storeId}`, {
            kind: 'unassigned',
            orderId: t.orderId,
            riderId: this.riderId,
            at: now,
            reason: 'rider_off_duty',
          } satisfies DeliveryUpdate)
          this.enqueue(`cell:${t.cell}`, {
            op: 'requeue',
            job: { job: t.job, phoneEnc: t.phoneEnc },
            reason: 'rider_off_duty',
          } satisfies CellCommand)
        }
        for (const o of this.offers()) {
          this.deleteOffer(o.offer.offerId)
          if (o.state === 'open')
            this.enqueue(`cell:${o.offer.cell}`, {
              op: 'answer',
              offerId: o.offer.offerId,
              answer: 'declined',
            } satisfies CellCommand)
        }
        if (this.cell) this.enqueue(`cell:${this.cell}`, { op: 'leave' } satisfies CellCommand)
        this.meta.set('on_duty', false)
        this.meta.set('cell', '')
        this.meta.set('duty_pos', null)
      })
      const ch = this.channel()
      for (const t of released)
        ch.broadcast({ type: 'task.removed', orderId: t.orderId, reason: 'off_duty', route: [] })
      ch.broadcast({ type: 'duty', onDuty: false })
      // Sent now so the jobs are back in dispatch at once; the alarm retries whatever fails.
      await this.flushOutbox(true)
      await this.timers.arm()
      return { onDuty: false, cell: null }
    })
  }

  // ---------- location stream ----------

  /**
   * Keep a fix. The trail is written to storage at most every TRAIL_SAVE_MS (and with any other write), not
   * per fix: a write per fix made every ack wait for a storage flush, and at 2 fixes a second that flush was
   * the whole cost of a report (bench/riders.ts). A restart loses at most that much trail, which the app's
   * next reports replace; everything that matters (geofence events, tasks, outbox) is written at once.
   */
  private appendFix(fix: Fix, now: number): void {
    this.trail.push(fix)
    this.unsaved.push(fix)
    if (this.trail.length > DEFAULT_TRAIL_LEN) this.trail = this.trail.slice(-DEFAULT_TRAIL_LEN)
    if (now - this.lastTrailSave >= TRAIL_SAVE_MS) this.saveTrail(now)
    else if (!this.saveTimer)
      // Save the tail even if the stream stops here (the object must not hibernate with it unsaved).
      this.saveTimer = setTimeout(() => {
        this.saveTimer = null
        this.saveTrail(Date.now())
      }, TRAIL_SAVE_MS)
  }

  private saveTrail(now: number): void {
    this.lastTrailSave = now
    if (this.unsaved.length === 0) return
    const sql = this.ctx.storage.sql
    for (const f of this.unsaved.slice(-DEFAULT_TRAIL_LEN))
      sql.exec(
        'INSERT INTO trail (lat, lng, at, accuracy_m) VALUES (?, ?, ?, ?)',
        f.lat,
        f.lng,
        f.at,
        f.accuracyM,
      )
    sql.exec('DELETE FROM trail WHERE id <= (SELECT MAX(id) FROM trail) - ?', DEFAULT_TRAIL_LEN)
    this.unsaved = []
  }

  /**
   * One report from the app (WGS-84 unless it says GCJ-02). Synchronous: judged, stored and answered in
   * one go; the cell and the stores hear of it in the background, throttled.
   */
  report(input: {
    lat: number
    lng: number
    accuracyM: number
    at: number
    datum?: 'WGS84' | 'GCJ02'
  }): Extract<RiderServerMessage, { type: 'loc.ack' | 'loc.rejected' }> {
    const now = Date.now()
    const reject = (reason: LocRejectReason) =>
      ({ type: 'loc.rejected', at: input.at, reason, intervalMs: reportIntervalMs(this.trail) }) as const
    if (!this.profile || !this.onDuty) return reject('off_duty')
    if (input.at > now + FUTURE_SKEW_MS) return reject('from_future')
    const p = toGcj02({ lat: input.lat, lng: input.lng }, input.datum === 'GCJ02' ? 'GCJ02' : 'WGS84')
    const fix: Fix = { lat: p.lat, lng: p.lng, at: input.at, accuracyM: input.accuracyM }
    const verdict = acceptFix(this.trail.at(-1), fix)
    if (verdict === 'impossible_jump' && this.jumps + 1 >= JUMPS_BEFORE_RESET) {
      this.jumps = 0
    } else if (verdict !== 'ok') {
      if (verdict === 'impossible_jump') this.jumps++
      return reject(verdict)
    } else {
      this.jumps = 0
    }
    this.appendFix(fix, now)
    if (this.meta.get('duty_pos')) this.meta.set('duty_pos', null)
    this.geofences(fix, now)
    const cell = cellOf(fix)
    if (cell !== this.cell || now - this.lastCellSyncAt >= CELL_HEARTBEAT_MS) this.syncCell(false)
    if (now - this.lastPositionAt >= POSITION_THROTTLE_MS && this.tasks().length > 0)
      this.sendPositions(fix, now)
    return { type: 'loc.ack', at: fix.at, intervalMs: reportIntervalMs(this.trail), cell }
  }

  /** Store arrival and customer nearness from the stream; each is one event, with hysteresis at the edge. */
  private geofences(fix: Fix, now: number): void {
    const changed: TaskRow[] = []
    for (const t of this.tasks()) {
      if (t.status === 'assigned' || t.status === 'arrived') {
        const tr = fenceTransition(t.atStore, fix, circleFence(t.job.pickup, STORE_ARRIVAL_RADIUS_M))
        if (tr === 'enter') {
          const next: TaskRow = { ...t, atStore: true, status: 'arrived' }
          if (t.status === 'assigned')
            this.enqueue(`store:${t.job.storeId}`, {
              kind: 'arrived_store',
              orderId: t.orderId,
              riderId: this.riderId,
              at: now,
            } satisfies DeliveryUpdate)
          changed.push(next)
        } else if (tr === 'leave') changed.push({ ...t, atStore: false })
      } else if (t.status === 'picked_up' && !t.nearCustomer) {
        const tr = fenceTransition(false, fix, circleFence(t.job.dropoff, CUSTOMER_NEAR_RADIUS_M))
        if (tr === 'enter') {
          this.enqueue(`store:${t.job.storeId}`, {
            kind: 'near_customer',
            orderId: t.orderId,
            riderId: this.riderId,
            at: now,
          } satisfies DeliveryUpdate)
          changed.push({ ...t, nearCustomer: true })
        }
      }
    }
    if (changed.length === 0) return
    this.saveTrail(now)
    for (const t of changed) this.putTask(t, now)
    const route = this.route(now)
    for (const t of changed)
      if (t.status === 'arrived')
        this.channel().broadcast({
          type: 'task',
          task: this.taskViewOf(t, route),
          route: this.routeStops(route),
        })
    this.kickOutbox()
  }

  private sendPositions(fix: Fix, now: number): void {
    this.lastPositionAt = now
    const route = this.route(now)
    for (const t of this.tasks()) {
      const drop = route.stops.find((s) => s.kind === 'dropoff' && s.orderId === t.orderId)
      const u: DeliveryUpdate = {
        kind: 'position',
        orderId: t.orderId,
        riderId: this.riderId,
        pos: { lat: fix.lat, lng: fix.lng },
        at: fix.at,
        ...(drop ? { etaDropoffAt: Math.round(drop.doneAt) } : {}),
      }
      // A position is news for 3 s: never queued, the next one replaces it.
      this.storeTarget(t.job.storeId)
        .deliveryUpdate(u)
        .catch(() => undefined)
    }
  }

  // ---------- the cell ----------

  private summary(now: number): RiderInCell | null {
    const p = this.profile
    const pos = this.position()
    if (!p || !pos || !this.plain) return null
    const route = this.route(now)
    return {
      riderId: p.riderId,
      name: maskName(this.plain.name),
      pos: { lat: pos.lat, lng: pos.lng },
      at: pos.at,
      load: this.tasks().length,
      capacity: p.capacity,
      freeAt: Math.round(route.freeAt),
      freePos: route.stops.length > 0 ? route.freePos : { lat: pos.lat, lng: pos.lng },
    }
  }

  /** Background heartbeat; one at a time. */
  private syncCell(force: boolean): void {
    if (this.cellSyncing) return
    void this.syncCellNow(force).catch(() => undefined)
  }

  /** Tell the rider's cell where they are (and the old cell they left). Failures wait for the next fix. */
  private async syncCellNow(force: boolean): Promise<void> {
    if (!this.onDuty) return
    const pos = this.position()
    if (!pos) return
    await this.plainProfile()
    const now = Date.now()
    const cell = cellOf(pos)
    if (!force && cell === this.cell && now - this.lastCellSyncAt < CELL_HEARTBEAT_MS) return
    const summary = this.summary(now)
    if (!summary) return
    this.cellSyncing = true
    // Until it succeeds, do not try again on every fix: the next heartbeat, 5 s on.
    this.lastCellSyncAt = now - CELL_HEARTBEAT_MS + 5_000
    try {
      const old = this.cell
      await this.env.GEOCELL.getByName(cell).upsertRider(summary)
      if (old && old !== cell)
        await this.env.GEOCELL.getByName(old)
          .leave(summary.riderId)
          .catch(() => undefined)
      if (this.onDuty) this.meta.set('cell', cell)
      this.lastCellSyncAt = now
    } finally {
      this.cellSyncing = false
    }
  }

  // ---------- offers ----------

  /**
   * An offer from a cell. Offer mode: at most one open offer, within capacity, answered before expiresAt
   * (or taken at once if the rider auto-accepts). Grab mode: shown on the board; the rider's `grab` races
   * other riders at the cell. Idempotent by offerId.
   */
  async offer(o: DeliveryOffer): Promise<OfferReply> {
    const p = this.profile
    if (!p) return { status: 'busy', reason: 'unknown rider' }
    if (!this.onDuty) return { status: 'busy', reason: 'off duty' }
    const auto = o.mode === 'offer' && p.autoAccept
    // Everything that awaits happens before the checks, so the checks and the write are one step.
    const key = await piiKey(this.env)
    const sealed = await Promise.all(o.jobs.map((j) => sealJob(key, j as JobWithPhone)))
    if (auto) {
      await this.plainProfile()
      for (const j of o.jobs as JobWithPhone[])
        if (j.customerPhone) this.maskedPhones.set(j.orderId, maskPhone(j.customerPhone))
    }
    const now = Date.now()
    const prior = this.offerRow(o.offerId)
    if (prior) return { status: 'offered' }
    if (this.tasks().some((t) => t.offerId === o.offerId)) return { status: 'accepted' }
    if (!this.onDuty) return { status: 'busy', reason: 'off duty' }
    if (now >= o.expiresAt) return { status: 'busy', reason: 'expired' }
    const offers = this.offers()
    if (o.mode === 'offer' && offers.some((x) => x.state !== 'shown'))
      return { status: 'busy', reason: 'holding another offer' }
    if (o.mode === 'grab' && offers.filter((x) => x.state === 'shown').length >= MAX_SHOWN_OFFERS)
      return { status: 'busy', reason: 'board full' }
    if (this.tasks().some((t) => o.jobs.some((j) => j.orderId === t.orderId)))
      return { status: 'busy', reason: 'already holds this order' }
    if (this.reserved() + o.jobs.length > p.capacity) return { status: 'busy', reason: 'at capacity' }
    if (auto) {
      this.commitTasks(o, sealed, now)
      return { status: 'accepted' }
    }
    const stored: DeliveryOffer = { ...o, jobs: sealed.map((s) => s.job) }
    this.ctx.storage.sql.exec(
      'INSERT INTO offers (offer_id, offer, state, expires_at, received_at) VALUES (?, ?, ?, ?, ?)',
      o.offerId,
      JSON.stringify(stored),
      o.mode === 'offer' ? 'open' : 'shown',
      o.expiresAt,
      now,
    )
    this.timers.set(`offer:${o.offerId}`, o.expiresAt)
    this.channel().broadcast({ type: 'offer', offer: offerView(stored) })
    await this.timers.arm()
    return { status: 'offered' }
  }

  /** Take the jobs of an offer: tasks, 'assigned' to each store, the cell told of the new load. Sync. */
  private commitTasks(o: DeliveryOffer, sealed: SealedJob[], now: number): void {
    const p = this.requireProfile()
    const plain = this.plain!
    atomic(this.ctx.storage, this.meta, () => {
      this.deleteOffer(o.offerId)
      for (const s of sealed)
        this.putTask(
          {
            orderId: s.job.orderId,
            job: s.job,
            phoneEnc: s.phoneEnc,
            status: 'assigned',
            cell: o.cell,
            offerId: o.offerId,
            assignedAt: now,
            atStore: false,
            nearCustomer: false,
          },
          now,
        )
      const route = this.route(now)
      for (const s of sealed) {
        const pick = route.stops.find((x) => x.kind === 'pickup' && x.orderId === s.job.orderId)
        const drop = route.stops.find((x) => x.kind === 'dropoff' && x.orderId === s.job.orderId)
        this.enqueue(`store:${s.job.storeId}`, {
          kind: 'assigned',
          orderId: s.job.orderId,
          riderId: p.riderId,
          riderName: plain.name,
          riderPhone: maskPhone(plain.phone),
          at: now,
          etaPickupAt: Math.round(pick?.doneAt ?? now),
          etaDropoffAt: Math.round(drop?.doneAt ?? now),
        } satisfies DeliveryUpdate)
      }
    })
    const route = this.route(now)
    const ch = this.channel()
    ch.broadcast({ type: 'offer.closed', offerId: o.offerId, reason: 'accepted' })
    for (const t of this.tasks())
      if (t.offerId === o.offerId)
        ch.broadcast({ type: 'task', task: this.taskViewOf(t, route), route: this.routeStops(route) })
    this.kickOutbox()
    this.syncCell(true)
  }

  private closeOffer(offerId: string, reason: OfferCloseReason): void {
    this.deleteOffer(offerId)
    this.channel().broadcast({ type: 'offer.closed', offerId, reason })
  }

  /** The rider answers an offer (offer mode), or grabs one (grab mode). */
  async answerOffer(
    offerId: string,
    answer: 'accept' | 'decline' | 'grab',
  ): Promise<Outcome<{ tasks: TaskView[] }>> {
    return outcomeAsync(async () => {
      const p = this.requireProfile()
      const row = this.offerRow(offerId)
      if (!row) {
        if (answer !== 'decline' && this.tasks().some((t) => t.offerId === offerId))
          return { tasks: this.offerTasks(offerId) }
        throw new DomainError('OFFER_GONE', 'this offer is no longer open', { offerId })
      }
      const now = Date.now()
      if (answer === 'decline') {
        if (row.state === 'accepting' || row.state === 'grabbing')
          throw new DomainError('CONFLICT', 'this offer is being confirmed', { offerId })
        atomic(this.ctx.storage, this.meta, () => {
          this.closeOffer(offerId, 'declined')
          if (row.state === 'open')
            this.enqueue(`cell:${row.offer.cell}`, {
              op: 'answer',
              offerId,
              answer: 'declined',
            } satisfies CellCommand)
        })
        this.kickOutbox()
        await this.timers.arm()
        return { tasks: [] }
      }
      const wantMode = answer === 'grab' ? 'grab' : 'offer'
      if (row.offer.mode !== wantMode)
        throw new DomainError(
          'CONFLICT',
          answer === 'grab' ? 'this offer is accepted, not grabbed' : 'grab this one',
          {
            offerId,
            mode: row.offer.mode,
          },
        )
      if (row.state === 'accepting' || row.state === 'grabbing')
        throw new DomainError('CONFLICT', 'already confirming this offer', { offerId })
      if (now > row.expiresAt) {
        this.closeOffer(offerId, 'expired')
        await this.timers.arm()
        throw new DomainError('OFFER_GONE', 'this offer has expired', { offerId })
      }
      if (!this.onDuty) throw new DomainError('RIDER_OFF_DUTY', 'go on duty first')
      if (answer === 'grab') {
        if (this.offers().some((o) => o.state === 'grabbing'))
          throw new DomainError('CONFLICT', 'one grab at a time')
        if (this.reserved() + row.offer.jobs.length > p.capacity)
          throw new DomainError('CONFLICT', 'that is more than you can carry now', { capacity: p.capacity })
      }
      this.setOfferState(offerId, answer === 'grab' ? 'grabbing' : 'accepting')
      return { tasks: await this.confirm(offerId) }
    })
  }

  private offerTasks(offerId: string): TaskView[] {
    const route = this.route()
    return this.tasks()
      .filter((t) => t.offerId === offerId)
      .map((t) => this.taskViewOf(t, route))
  }

  /**
   * Ask the cell to confirm an accept or a grab (idempotent there), then take the jobs. If the cell cannot
   * be reached the offer stays `accepting`/`grabbing` and the alarm asks again: the cell may have said yes.
   */
  private async confirm(offerId: string): Promise<TaskView[]> {
    const row = this.offerRow(offerId)
    if (!row) return this.offerTasks(offerId)
    const cell = this.env.GEOCELL.getByName(row.offer.cell)
    let r: Outcome<{ jobs: JobWithPhone[] }>
    try {
      r = (
        row.state === 'grabbing'
          ? await cell.claim(offerId, this.riderId)
          : await cell.offerAnswered(offerId, this.riderId, 'accepted')
      ) as Outcome<{ jobs: JobWithPhone[] }>
    } catch {
      this.timers.set(`confirm:${offerId}`, Date.now() + CONFIRM_RETRY_MS)
      await this.timers.arm()
      throw new DomainError('DISPATCH_UNAVAILABLE', 'dispatch did not answer; still trying', { offerId })
    }
    if (!r.ok) {
      if (this.offerRow(offerId)) this.closeOffer(offerId, row.state === 'grabbing' ? 'taken' : 'expired')
      await this.timers.arm()
      throw new DomainError(r.error.code, r.error.message, r.error.details)
    }
    const key = await piiKey(this.env)
    const sealed = await Promise.all(r.value.jobs.map((j) => sealJob(key, j)))
    await this.plainProfile()
    for (const j of r.value.jobs)
      if (j.customerPhone) this.maskedPhones.set(j.orderId, maskPhone(j.customerPhone))
    // Re-checked after the awaits: the offer may have been settled by a parallel confirm.
    if (!this.offerRow(offerId)) return this.offerTasks(offerId)
    const p = this.requireProfile()
    const others = this.reserved() - row.offer.jobs.length
    if (sealed.length === 0 || others + sealed.length > p.capacity) {
      // Cannot happen while reservations hold (the offer's jobs were counted); kept as the last guard:
      // never over capacity, the cell takes the jobs back.
      atomic(this.ctx.storage, this.meta, () => {
        this.closeOffer(offerId, 'withdrawn')
        this.enqueue(`cell:${row.offer.cell}`, {
          op: 'answer',
          offerId,
          answer: 'timeout',
        } satisfies CellCommand)
      })
      this.kickOutbox()
      await this.timers.arm()
      throw new DomainError('OFFER_GONE', 'nothing left to take in this offer', { offerId })
    }
    this.commitTasks(row.offer, sealed, Date.now())
    await this.timers.arm()
    return this.offerTasks(offerId)
  }

  /** From a cell: the offer expired there, another rider grabbed it, or its jobs were cancelled. */
  async withdrawOffer(
    offerId: string,
    reason: 'withdrawn' | 'taken' | 'expired' = 'withdrawn',
  ): Promise<void> {
    const row = this.offerRow(offerId)
    if (!row || row.state === 'accepting' || row.state === 'grabbing') return
    this.closeOffer(offerId, reason)
    await this.timers.arm()
  }

  /** For a cell that lost the reply to `offer`: did this rider take it? */
  async offerStatus(offerId: string): Promise<'accepted' | 'open' | 'unknown'> {
    if (this.tasks().some((t) => t.offerId === offerId)) return 'accepted'
    if (this.offerRow(offerId)) return 'open'
    return 'unknown'
  }

  // ---------- tasks ----------

  /** arrive / pickup / deliver, checked against the fences unless the rider gives a reason to override. */
  async taskAction(orderId: string, action: TaskAction, override?: string): Promise<Outcome<TaskView>> {
    return outcomeAsync(async () => {
      this.requireProfile()
      const now = Date.now()
      const done = this.ctx.storage.sql
        .exec<{ n: number }>(
          "SELECT COUNT(*) AS n FROM tasks WHERE order_id = ? AND status = 'delivered'",
          orderId,
        )
        .toArray()[0]!.n
      const t = this.tasks().find((x) => x.orderId === orderId)
      if (!t) {
        if (done && action === 'deliver')
          throw new DomainError('INVALID_TRANSITION', 'already delivered', { orderId })
        throw new DomainError('TASK_NOT_FOUND', 'you do not hold this order', { orderId })
      }
      const fenceCheck = (center: LatLng, radiusM: number, what: string) => {
        if (override) return
        const fix = this.position()
        if (!fix || now - fix.at > FIX_FRESH_MS)
          throw new DomainError('OUTSIDE_GEOFENCE', `no recent position to confirm you are at the ${what}`, {
            radiusM,
          })
        const d = haversineM(fix, center)
        // The fix's own uncertainty and the fence's hysteresis are granted: GPS in a lobby wanders.
        if (d - fix.accuracyM > radiusM + FENCE_HYSTERESIS_M)
          throw new DomainError('OUTSIDE_GEOFENCE', `you are ${Math.round(d)} m from the ${what}`, {
            distanceM: Math.round(d),
            radiusM,
          })
      }
      const store = `store:${t.job.storeId}`
      const base = { orderId, riderId: this.riderId, at: now }
      const ov = override ? { override } : {}
      let next: TaskRow
      const updates: DeliveryUpdate[] = []
      if (action === 'arrive') {
        if (t.status !== 'assigned') return this.taskViewOf(t, this.route(now))
        fenceCheck(t.job.pickup, STORE_ARRIVAL_RADIUS_M, 'store')
        next = { ...t, status: 'arrived', atStore: true }
        updates.push({ kind: 'arrived_store', ...base })
      } else if (action === 'pickup') {
        if (t.status === 'picked_up') return this.taskViewOf(t, this.route(now))
        fenceCheck(t.job.pickup, STORE_ARRIVAL_RADIUS_M, 'store')
        if (t.status === 'assigned') updates.push({ kind: 'arrived_store', ...base })
        updates.push({ kind: 'picked_up', ...base, ...ov })
        next = { ...t, status: 'picked_up', atStore: true }
        if (t.phoneEnc && !this.maskedPhones.has(orderId)) {
          const phone = await openPhone(await piiKey(this.env), orderId, t.phoneEnc)
          if (phone) this.maskedPhones.set(orderId, maskPhone(phone))
        }
      } else {
        if (t.status !== 'picked_up')
          throw new DomainError('INVALID_TRANSITION', 'pick the order up first', { orderId })
        fenceCheck(t.job.dropoff, CUSTOMER_NEAR_RADIUS_M, 'customer')
        if (!t.nearCustomer) updates.push({ kind: 'near_customer', ...base })
        updates.push({ kind: 'delivered', ...base, ...ov })
        next = { ...t, status: 'delivered', nearCustomer: true }
      }
      // Re-read after the await above: another action on the same task may have landed meanwhile.
      const current = this.tasks().find((x) => x.orderId === orderId)
      if (!current || current.status !== t.status)
        throw new DomainError('CONFLICT', 'the task changed meanwhile; reload', { orderId })
      atomic(this.ctx.storage, this.meta, () => {
        this.putTask(next, now)
        for (const u of updates) this.enqueue(store, u)
      })
      const route = this.route(now)
      const view = this.taskViewOf(next, route)
      if (next.status === 'delivered') {
        this.maskedPhones.delete(orderId)
        this.channel().broadcast({
          type: 'task.removed',
          orderId,
          reason: 'delivered',
          route: this.routeStops(route),
        })
        this.syncCell(true)
        const pruning = this.ctx.storage.sql.exec("SELECT 1 FROM _timers WHERE key = 'prune'").toArray()
        if (pruning.length === 0) this.timers.set('prune', now + DELIVERED_KEEP_MS)
      } else this.channel().broadcast({ type: 'task', task: view, route: this.routeStops(route) })
      this.kickOutbox()
      await this.timers.arm()
      return view
    })
  }

  /** From a cell or a store: the order was cancelled; the rider drops it. */
  async jobCancelled(orderId: string): Promise<Outcome<{ removed: boolean }>> {
    return outcome(() => {
      const t = this.tasks().find((x) => x.orderId === orderId)
      if (!t) return { removed: false }
      this.deleteTask(orderId)
      this.maskedPhones.delete(orderId)
      this.channel().broadcast({
        type: 'task.removed',
        orderId,
        reason: 'cancelled',
        route: this.routeStops(this.route()),
      })
      this.syncCell(true)
      return { removed: true }
    })
  }

  /** The kitchen's new ready time for an order the rider holds: the route and ETAs follow. */
  async jobReady(orderId: string, readyAt: number): Promise<Outcome<{ updated: boolean }>> {
    return outcome(() => {
      const t = this.tasks().find((x) => x.orderId === orderId)
      if (!t) return { updated: false }
      const now = Date.now()
      const next = { ...t, job: { ...t.job, readyAt } }
      this.putTask(next, now)
      const route = this.route(now)
      this.channel().broadcast({
        type: 'task',
        task: this.taskViewOf(next, route),
        route: this.routeStops(route),
      })
      return { updated: true }
    })
  }

  // ---------- outbox ----------

  private enqueue(target: string, body: DeliveryUpdate | CellCommand): void {
    const now = Date.now()
    this.ctx.storage.sql.exec(
      'INSERT INTO outbox (target, body, next_at, created_at) VALUES (?, ?, ?, ?)',
      target,
      JSON.stringify(body),
      now + OUTBOX_FIRST_RETRY_MS,
      now,
    )
  }

  private outboxDue(): number | null {
    return (
      this.ctx.storage.sql.exec<{ at: number | null }>('SELECT MIN(next_at) AS at FROM outbox').toArray()[0]
        ?.at ?? null
    )
  }

  /** Send fresh rows now, in the background; the alarm (armed for the first retry) covers failures. */
  private kickOutbox(): void {
    void this.flushOutbox(true)
      .then(() => this.timers.arm())
      .catch(() => undefined)
  }

  private storeTarget(storeId: string): DeliveryUpdateTarget {
    return this.env.STORE.getByName(storeId) as unknown as DeliveryUpdateTarget
  }

  /** Deliver one row; returns the result to log, throws to retry. */
  private async deliver(target: string, body: string): Promise<string> {
    const [kind, name] = [target.slice(0, target.indexOf(':')), target.slice(target.indexOf(':') + 1)]
    if (kind === 'store') {
      const r: Outcome<unknown> | undefined = await this.storeTarget(name).deliveryUpdate(
        JSON.parse(body) as DeliveryUpdate,
      )
      // A refusal is final (unknown order, a state the store will not take): logged, not retried.
      return r?.ok === false ? `refused:${r.error.code}` : 'ok'
    }
    const cmd = JSON.parse(body) as CellCommand
    const cell = this.env.GEOCELL.getByName(name)
    if (cmd.op === 'leave') await cell.leave(this.riderId)
    else if (cmd.op === 'answer') await cell.offerAnswered(cmd.offerId, this.riderId, cmd.answer)
    else {
      const job = await openJob(await piiKey(this.env), cmd.job)
      await cell.requeue(job, this.riderId, cmd.reason)
    }
    return 'ok'
  }

  /**
   * Send due rows (all fresh ones when `fresh`), oldest first. A failure holds back later rows for the same
   * target and order, so a store never sees 'picked_up' before 'arrived_store'.
   */
  private async flushOutbox(fresh = false): Promise<void> {
    if (this.flushing) return
    this.flushing = true
    try {
      const now = Date.now()
      const rows = this.ctx.storage.sql
        .exec<{ id: number; target: string; body: string; attempts: number; created_at: number }>(
          `SELECT id, target, body, attempts, created_at FROM outbox
           WHERE next_at <= ? OR (? AND attempts = 0) ORDER BY id LIMIT 100`,
          now,
          fresh ? 1 : 0,
        )
        .toArray()
      const held = new Set<string>()
      for (const row of rows) {
        const orderId = (JSON.parse(row.body) as { orderId?: string }).orderId ?? ''
        const key = `${row.target}|${orderId}`
        if (held.has(key)) continue
        let result: string
        try {
          result = await this.deliver(row.target, row.body)
        } catch (e) {
          const attempts = row.attempts + 1
          if (now - row.created_at > OUTBOX_GIVE_UP_MS) {
            console.error(`rider ${this.riderId}: gave up on ${row.target}`, String(e))
            this.logSent(row.id, row.target, row.body, 'gave_up')
          } else {
            this.ctx.storage.sql.exec(
              'UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?',
              attempts,
              Date.now() + outboxBackoffMs(attempts),
              String(e).slice(0, 200),
              row.id,
            )
          }
          held.add(key)
          continue
        }
        this.logSent(row.id, row.target, row.body, result)
      }
    } finally {
      this.flushing = false
    }
  }

  private logSent(id: number, target: string, body: string, result: string): void {
    const sql = this.ctx.storage.sql
    sql.exec('DELETE FROM outbox WHERE id = ?', id)
    sql.exec(
      'INSERT OR REPLACE INTO sent (id, target, body, sent_at, result) VALUES (?, ?, ?, ?, ?)',
      id,
      target,
      body,
      Date.now(),
      result,
    )
    sql.exec('DELETE FROM sent WHERE id <= (SELECT MAX(id) FROM sent) - ?', SENT_KEEP)
  }

  /** Operators and tests: what is waiting to go out and what went. */
  async outboxState(): Promise<{
    pending: { target: string; body: unknown; attempts: number }[]
    sent: { target: string; body: unknown; result: string }[]
  }> {
    const sql = this.ctx.storage.sql
    return {
      pending: sql
        .exec<{ target: string; body: string; attempts: number }>(
          'SELECT target, body, attempts FROM outbox ORDER BY id',
        )
        .toArray()
        .map((r) => ({ target: r.target, body: JSON.parse(r.body), attempts: r.attempts })),
      sent: sql
        .exec<{ target: string; body: string; result: string }>(
          'SELECT target, body, result FROM sent ORDER BY id',
        )
        .toArray()
        .map((r) => ({ target: r.target, body: JSON.parse(r.body), result: r.result })),
    }
  }

  // ---------- socket ----------

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade') !== 'websocket')
      return new Response('expected a WebSocket', { status: 426 })
    const riderId = request.headers.get('x-rider-id') ?? ''
    if (!this.profile || riderId !== this.riderId)
      return Response.json({ error: { code: 'RIDER_NOT_FOUND', message: 'no such rider' } }, { status: 404 })
    const { response, socket } = acceptSocket(this.ctx, ['rider'], { riderId })
    const ch = this.channel()
    ch.send(socket, { type: 'snapshot', seq: ch.seq, state: await this.snapshotNow() })
    return response
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const parsed = RiderClientMessage.safeParse(parseFrame(message))
    const ch = this.channel()
    if (!parsed.success) {
      ch.send(ws, {
        type: 'error',
        code: 'VALIDATION_FAILED',
        message: parsed.error.issues[0]?.message ?? 'message not understood',
      })
      return
    }
    const m = parsed.data
    switch (m.type) {
      case 'loc': {
        let reply: RiderServerMessage
        try {
          reply = this.report(m)
        } catch (e) {
          if (!(e instanceof DomainError)) throw e
          reply = { type: 'error', code: e.code, message: e.message }
        }
        ch.send(ws, reply)
        return
      }
      case 'resync':
        ch.send(ws, { type: 'snapshot', seq: ch.seq, state: await this.snapshotNow() })
        return
      case 'offer.accept':
      case 'offer.decline':
      case 'grab': {
        const answer = m.type === 'grab' ? 'grab' : m.type === 'offer.accept' ? 'accept' : 'decline'
        const r = await this.answerOffer(m.offerId, answer)
        if (!r.ok)
          ch.send(ws, { type: 'error', code: r.error.code, message: r.error.message, offerId: m.offerId })
        return
      }
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    replyClose(ws, code)
  }

  // ---------- alarm: offer expiry, confirmations, outbox retries ----------

  override async alarm(): Promise<void> {
    this.timers.fired()
    const now = Date.now()
    for (const key of this.timers.due(now)) {
      this.timers.clear(key)
      const [kind, offerId = ''] = key.split(/:(.*)/s) as [string, string?]
      const row = this.offerRow(offerId)
      if (kind === 'offer' && row) {
        if (row.state === 'open' || row.state === 'shown') {
          atomic(this.ctx.storage, this.meta, () => {
            this.closeOffer(offerId, 'expired')
            if (row.state === 'open')
              this.enqueue(`cell:${row.offer.cell}`, {
                op: 'answer',
                offerId,
                answer: 'timeout',
              } satisfies CellCommand)
          })
        }
      } else if (kind === 'confirm' && row && (row.state === 'accepting' || row.state === 'grabbing')) {
        if (now > row.expiresAt + CONFIRM_GIVE_UP_MS) {
          atomic(this.ctx.storage, this.meta, () => {
            this.closeOffer(offerId, 'expired')
            this.enqueue(`cell:${row.offer.cell}`, {
              op: 'answer',
              offerId,
              answer: 'timeout',
            } satisfies CellCommand)
          })
        } else await this.confirm(offerId).catch(() => undefined)
      } else if (kind === 'prune') {
        this.ctx.storage.sql.exec(
          "DELETE FROM tasks WHERE status = 'delivered' AND done_at < ?",
          now - DELIVERED_KEEP_MS,
        )
      }
    }
    await this.flushOutbox(true)
    await this.timers.arm()
  }
}
