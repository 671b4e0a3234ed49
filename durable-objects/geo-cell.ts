// GeoCellDO: one per geohash-5 cell (about 4.9 x 4.9 km at the equator, 3.7-4.2 km wide in China's
// cities). Riders present in the cell (summaries from their RiderDOs, never the GPS stream) and the
// delivery jobs of the stores in it. While jobs wait, a batch alarm every DispatchSettings.batchIntervalMs
// gathers riders of this cell and its 8 neighbours, runs core/dispatch's batch (geo-cell/plan.ts), and
// offers each chosen bundle to its rider through RiderDO.offer: the rider's object decides, atomically,
// whether it can take it. Busy, declined and expired offers put the jobs back in the queue.
//
// The cell is the authority on a job until a rider holds it: an accept or a grab is confirmed here
// (idempotently, so a rider retrying after a lost reply gets the same answer), and only then does the
// rider's object take the job and tell the store.
import { DurableObject } from 'cloudflare:workers'
import type { DeliveryJob, DeliveryOffer, DispatchSettings, OfferReply, RiderInCell } from '../core/delivery'
import { DomainError, type Outcome, outcome, outcomeAsync } from '../core/errors'
import { cellBounds, cellOf, neighbours } from '../core/geo'
import { newId } from '../core/ids'
import { piiKey } from '../workers/auth/pii'
import type { Env } from '../workers/env'
import { planBatch, type WaitingJob } from './geo-cell/plan'
import { CELL_SCHEMA } from './geo-cell/schema'
import { dispatchSettings, OFFER_GRACE_MS, RIDER_STALE_MS } from './geo-cell/settings'
import { type JobWithPhone, openJob, type SealedJob, sealJob } from './rider/jobs'
import { atomic, Meta, migrate, Timers } from './sql'

/** A rider who answered busy sits out this cell's batches this long (holding another cell's offer). */
const BUSY_COOLDOWN_MS = 30_000
/** A rider who declined (or let time out) a job is not offered that job again for this long. */
const DECLINE_EXCLUSION_MS = 5 * 60_000
/** A lost reply to an offer: ask the rider's object again this often ... */
const UNKNOWN_RETRY_MS = 5_000
/** ... until this long past the offer's expiry, then take the jobs back. */
const UNKNOWN_GIVE_UP_MS = 60_000
/** Assigned jobs and closed offers are kept this long (idempotent confirmations, operators), then pruned. */
const KEEP_CLOSED_MS = 6 * 3600_000

type JobStatus = 'waiting' | 'offered' | 'assigned'
type CellOfferStatus = 'open' | 'assigned' | 'closed'

interface JobRow extends SealedJob {
  status: JobStatus
  offerId: string | null
  riderId: string | null
  declined: Record<string, number>
}

interface OfferRow {
  offer: DeliveryOffer
  riders: string[]
  status: CellOfferStatus
  winner: string | null
  unknown: boolean
}

export interface CellState {
  cell: string
  settings: DispatchSettings
  riders: RiderInCell[]
  jobs: {
    orderId: string
    storeId: string
    status: JobStatus
    riderId: string | null
    offerId: string | null
    readyAt: number
  }[]
  offers: {
    offerId: string
    mode: 'offer' | 'grab'
    riders: string[]
    orderIds: string[]
    expiresAt: number
  }[]
}

export class GeoCellDO extends DurableObject<Env> {
  private readonly meta: Meta
  private readonly timers: Timers
  private batching = false

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    migrate(ctx.storage, CELL_SCHEMA)
    this.meta = new Meta(ctx.storage.sql)
    this.timers = new Timers(ctx.storage)
  }

  /** The city's settings (env), unless an operator set this cell apart (e.g. grab mode for a busy district). */
  private get settings(): DispatchSettings {
    return { ...dispatchSettings(this.env), ...(this.meta.get<Partial<DispatchSettings>>('settings') ?? {}) }
  }

  /** Override the city's dispatch settings for this cell; null goes back to the city's. */
  async configure(s: Partial<DispatchSettings> | null): Promise<Outcome<DispatchSettings>> {
    return outcome(() => {
      this.meta.set('settings', s ?? {})
      return this.settings
    })
  }

  /** This cell's geohash: the object's name (getByName), remembered for alarms. */
  private cellName(hint?: string): string {
    const known = this.meta.get<string>('cell')
    if (known) return known
    const name = this.ctx.id.name ?? hint
    if (name) this.meta.set('cell', name)
    return name ?? ''
  }

  private hasTimer(key: string): boolean {
    return this.ctx.storage.sql.exec('SELECT 1 FROM _timers WHERE key = ?', key).toArray().length > 0
  }

  // ---------- riders ----------

  /** A rider's summary (on entering the cell, on a load change, on the 30 s heartbeat). */
  async upsertRider(r: RiderInCell): Promise<void> {
    this.cellName(cellOf(r.pos))
    const now = Date.now()
    this.ctx.storage.sql.exec(
      `INSERT INTO riders (rider_id, json, seen_at) VALUES (?, ?, ?)
       ON CONFLICT (rider_id) DO UPDATE SET json = excluded.json, seen_at = excluded.seen_at`,
      r.riderId,
      JSON.stringify(r),
      now,
    )
    if (!this.hasTimer('sweep')) {
      this.timers.set('sweep', now + RIDER_STALE_MS)
      await this.timers.arm()
    }
  }

  async leave(riderId: string): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM riders WHERE rider_id = ?', riderId)
  }

  /** Riders heard of recently. Neighbouring cells call this for their batches; operators for maps. */
  async riders(): Promise<RiderInCell[]> {
    return this.freshRiders(Date.now())
  }

  private freshRiders(now: number): RiderInCell[] {
    return this.ctx.storage.sql
      .exec<{ json: string }>(
        'SELECT json FROM riders WHERE seen_at >= ? ORDER BY rider_id',
        now - RIDER_STALE_MS,
      )
      .toArray()
      .map((r) => JSON.parse(r.json) as RiderInCell)
  }

  // ---------- jobs ----------

  private jobRows(where: string, ...args: (string | number)[]): JobRow[] {
    return this.ctx.storage.sql
      .exec<{
        job: string
        phone_enc: string | null
        status: JobStatus
        offer_id: string | null
        rider_id: string | null
        declined: string
      }>(
        `SELECT job, phone_enc, status, offer_id, rider_id, declined FROM jobs WHERE ${where} ORDER BY added_at, order_id`,
        ...args,
      )
      .toArray()
      .map((r) => ({
        job: JSON.parse(r.job),
        phoneEnc: r.phone_enc,
        status: r.status,
        offerId: r.offer_id,
        riderId: r.rider_id,
        declined: JSON.parse(r.declined),
      }))
  }

  private job(orderId: string): JobRow | undefined {
    return this.jobRows('order_id = ?', orderId)[0]
  }

  private putJob(j: JobRow, now: number): void {
    this.ctx.storage.sql.exec(
      `INSERT INTO jobs (order_id, job, phone_enc, status, offer_id, rider_id, declined, added_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (order_id) DO UPDATE SET job = excluded.job, phone_enc = excluded.phone_enc,
         status = excluded.status, offer_id = excluded.offer_id, rider_id = excluded.rider_id,
         declined = excluded.declined, updated_at = excluded.updated_at`,
      j.job.orderId,
      JSON.stringify(j.job),
      j.phoneEnc,
      j.status,
      j.offerId,
      j.riderId,
      JSON.stringify(j.declined),
      now,
      now,
    )
  }

  /** Batches run while jobs wait: armed when the first one arrives, stopped when none is left. */
  private ensureBatch(now: number): void {
    if (this.hasTimer('batch')) return
    if (this.jobRows("status = 'waiting'").length === 0) return
    this.timers.set('batch', now + this.settings.batchIntervalMs)
  }

  /** From the store: a delivery order waiting for a rider. Idempotent: a repeat only refreshes the job. */
  async addJob(job: DeliveryJob): Promise<Outcome<{ status: JobStatus }>> {
    return outcomeAsync(async () => {
      const sealed = await sealJob(await piiKey(this.env), job as JobWithPhone)
      this.cellName(cellOf(job.pickup))
      const now = Date.now()
      const prior = this.job(job.orderId)
      if (prior) {
        if (prior.status !== 'assigned') this.putJob({ ...prior, ...sealed }, now)
        return { status: prior.status }
      }
      this.putJob({ ...sealed, status: 'waiting', offerId: null, riderId: null, declined: {} }, now)
      this.ensureBatch(now)
      await this.timers.arm()
      return { status: 'waiting' as const }
    })
  }

  /**
   * The order was cancelled. Waiting or offered: gone from dispatch (an open offer with nothing left is
   * withdrawn). Assigned: the rider's object is told to drop it; `riderId` tells the store whom.
   */
  async cancelJob(orderId: string): Promise<Outcome<{ status: 'cancelled' | 'unknown'; riderId?: string }>> {
    return outcomeAsync(async () => {
      const j = this.job(orderId)
      if (!j) return { status: 'unknown' as const }
      this.ctx.storage.sql.exec('DELETE FROM jobs WHERE order_id = ?', orderId)
      if (j.status === 'assigned' && j.riderId) {
        await this.env.RIDER.getByName(j.riderId)
          .jobCancelled(orderId)
          .catch(() => undefined)
        return { status: 'cancelled' as const, riderId: j.riderId }
      }
      if (j.status === 'offered' && j.offerId && this.jobRows('offer_id = ?', j.offerId).length === 0) {
        const o = this.offerRow(j.offerId)
        if (o?.status === 'open') {
          this.setOfferStatus(j.offerId, 'closed', null)
          await this.withdraw(o, o.riders, 'withdrawn')
        }
      }
      return { status: 'cancelled' as const }
    })
  }

  /** The kitchen's real ready time. */
  async jobReady(orderId: string, readyAt: number): Promise<Outcome<{ status: JobStatus | 'unknown' }>> {
    return outcomeAsync(async () => {
      const j = this.job(orderId)
      if (!j) return { status: 'unknown' as const }
      this.putJob({ ...j, job: { ...j.job, readyAt } }, Date.now())
      if (j.status === 'assigned' && j.riderId)
        await this.env.RIDER.getByName(j.riderId)
          .jobReady(orderId, readyAt)
          .catch(() => undefined)
      return { status: j.status }
    })
  }

  /** From a rider's object: a job it held goes back to dispatch (rider off duty). */
  async requeue(job: DeliveryJob, riderId: string, reason: string): Promise<Outcome<{ status: JobStatus }>> {
    return outcomeAsync(async () => {
      const sealed = await sealJob(await piiKey(this.env), job as JobWithPhone)
      const now = Date.now()
      const j = this.job(job.orderId)
      if (j && !(j.status === 'assigned' && j.riderId === riderId)) return { status: j.status }
      const declined = { ...(j?.declined ?? {}), [riderId]: now + DECLINE_EXCLUSION_MS }
      this.putJob({ ...sealed, status: 'waiting', offerId: null, riderId: null, declined }, now)
      console.log(`cell ${this.cellName()}: ${job.orderId} back from ${riderId} (${reason})`)
      this.ensureBatch(now)
      await this.timers.arm()
      return { status: 'waiting' as const }
    })
  }

  // ---------- offers ----------

  private offerRow(offerId: string): OfferRow | undefined {
    const r = this.ctx.storage.sql
      .exec<{
        offer: string
        riders: string
        status: CellOfferStatus
        winner: string | null
        unknown: number
      }>('SELECT offer, riders, status, winner, unknown FROM offers WHERE offer_id = ?', offerId)
      .toArray()[0]
    return r
      ? {
          offer: JSON.parse(r.offer),
          riders: JSON.parse(r.riders),
          status: r.status,
          winner: r.winner,
          unknown: r.unknown === 1,
        }
      : undefined
  }

  private setOfferStatus(offerId: string, status: CellOfferStatus, winner: string | null): void {
    this.ctx.storage.sql.exec(
      'UPDATE offers SET status = ?, winner = ?, updated_at = ? WHERE offer_id = ?',
      status,
      winner,
      Date.now(),
      offerId,
    )
    if (status !== 'open') this.timers.clear(`offer:${offerId}`)
  }

  /** The offer's jobs now belong to `riderId`. Sync. */
  private assign(offerId: string, riderId: string, now: number): void {
    for (const j of this.jobRows("offer_id = ? AND status = 'offered'", offerId))
      this.putJob({ ...j, status: 'assigned', riderId }, now)
    this.setOfferStatus(offerId, 'assigned', riderId)
  }

  /** Jobs of the offer back to the queue; `declinedBy` are not asked for them again for a while. Sync. */
  private release(offerId: string, declinedBy: string[], now: number): void {
    for (const j of this.jobRows("offer_id = ? AND status = 'offered'", offerId)) {
      const declined = { ...j.declined }
      for (const r of declinedBy) declined[r] = now + DECLINE_EXCLUSION_MS
      this.putJob({ ...j, status: 'waiting', offerId: null, declined }, now)
    }
    this.setOfferStatus(offerId, 'closed', null)
    this.ensureBatch(now)
  }

  private async withdraw(
    o: OfferRow,
    riders: string[],
    reason: 'withdrawn' | 'taken' | 'expired',
  ): Promise<void> {
    await Promise.all(
      riders.map((r) =>
        this.env.RIDER.getByName(r)
          .withdrawOffer(o.offer.offerId, reason)
          .catch(() => undefined),
      ),
    )
  }

  private async assignedJobs(offerId: string, riderId: string): Promise<JobWithPhone[]> {
    const key = await piiKey(this.env)
    return Promise.all(
      this.jobRows("offer_id = ? AND status = 'assigned' AND rider_id = ?", offerId, riderId).map((j) =>
        openJob(key, j),
      ),
    )
  }

  /**
   * A rider's answer to an offer (offer mode). 'accepted' is confirmed only while the offer is open and
   * within its grace, and again (same jobs) to the rider it went to; 'declined' and 'timeout' give the jobs
   * back to the queue, even after an acceptance the rider's object could not complete.
   */
  async offerAnswered(
    offerId: string,
    riderId: string,
    answer: 'accepted' | 'declined' | 'timeout',
  ): Promise<Outcome<{ jobs: JobWithPhone[] }>> {
    return outcomeAsync(async () => {
      const o = this.offerRow(offerId)
      const now = Date.now()
      if (answer === 'accepted') {
        if (o?.status === 'assigned' && o.winner === riderId)
          return { jobs: await this.assignedJobs(offerId, riderId) }
        if (o?.status !== 'open' || !o.riders.includes(riderId) || o.offer.mode !== 'offer')
          throw new DomainError('OFFER_GONE', 'this offer is no longer open', { offerId })
        if (now > o.offer.expiresAt + OFFER_GRACE_MS) {
          this.release(offerId, [riderId], now)
          await this.timers.arm()
          throw new DomainError('OFFER_GONE', 'this offer has expired', { offerId })
        }
        this.assign(offerId, riderId, now)
        await this.timers.arm()
        return { jobs: await this.assignedJobs(offerId, riderId) }
      }
      if (o?.status === 'open' && o.riders.includes(riderId)) this.release(offerId, [riderId], now)
      else if (o?.status === 'assigned' && o.winner === riderId) {
        for (const j of this.jobRows(
          "offer_id = ? AND status = 'assigned' AND rider_id = ?",
          offerId,
          riderId,
        ))
          this.putJob(
            {
              ...j,
              status: 'waiting',
              offerId: null,
              riderId: null,
              declined: { ...j.declined, [riderId]: now + DECLINE_EXCLUSION_MS },
            },
            now,
          )
        this.setOfferStatus(offerId, 'closed', null)
        this.ensureBatch(now)
      }
      await this.timers.arm()
      return { jobs: [] }
    })
  }

  /** Grab mode: the first rider to claim an open offer gets it; the others see it withdrawn. */
  async claim(offerId: string, riderId: string): Promise<Outcome<{ jobs: JobWithPhone[] }>> {
    return outcomeAsync(async () => {
      const o = this.offerRow(offerId)
      const now = Date.now()
      if (o?.status === 'assigned' && o.winner === riderId)
        return { jobs: await this.assignedJobs(offerId, riderId) }
      if (o?.status !== 'open' || o.offer.mode !== 'grab' || !o.riders.includes(riderId))
        throw new DomainError('OFFER_GONE', 'someone else was quicker', { offerId })
      if (now > o.offer.expiresAt + OFFER_GRACE_MS)
        throw new DomainError('OFFER_GONE', 'this offer has expired', { offerId })
      this.assign(offerId, riderId, now)
      await this.timers.arm()
      const jobs = await this.assignedJobs(offerId, riderId)
      // The others' boards are cleared in the background: a late grab there is refused here anyway.
      this.ctx.waitUntil(
        this.withdraw(
          o,
          o.riders.filter((r) => r !== riderId),
          'taken',
        ),
      )
      return { jobs }
    })
  }

  // ---------- batches ----------

  /** One batch: riders around, the plan, offers out, replies in. */
  async runBatch(): Promise<{ offers: number; assigned: number }> {
    if (this.batching) return { offers: 0, assigned: 0 }
    this.batching = true
    try {
      return await this.batch()
    } finally {
      this.batching = false
    }
  }

  private async batch(): Promise<{ offers: number; assigned: number }> {
    const cell = this.cellName()
    const settings = this.settings
    if (!cell || this.jobRows("status = 'waiting'").length === 0) return { offers: 0, assigned: 0 }
    const around = await Promise.all(
      neighbours(cell).map((c) =>
        this.env.GEOCELL.getByName(c)
          .riders()
          .catch(() => [] as RiderInCell[]),
      ),
    )
    const key = await piiKey(this.env)
    const waitingNow = this.jobRows("status = 'waiting'")
    const opened = new Map(
      await Promise.all(waitingNow.map(async (j) => [j.job.orderId, await openJob(key, j)] as const)),
    )
    // Everything below up to the offers' RPCs is one synchronous step: the queue cannot change under it.
    const now = Date.now()
    const seen = new Map<string, RiderInCell>()
    for (const r of [...this.freshRiders(now), ...around.flat()]) {
      const prior = seen.get(r.riderId)
      if (!prior || r.at > prior.at) seen.set(r.riderId, r)
    }
    const cooling = new Set(
      this.ctx.storage.sql
        .exec<{ rider_id: string }>('SELECT rider_id FROM cooldown WHERE until > ?', now)
        .toArray()
        .map((r) => r.rider_id),
    )
    const riders = [...seen.values()].filter((r) => r.load < r.capacity && !cooling.has(r.riderId))
    const waiting: WaitingJob[] = this.jobRows("status = 'waiting'")
      .filter((j) => opened.has(j.job.orderId))
      .map((j) => ({ job: j.job, declined: j.declined }))
    const b = cellBounds(cell)
    const plans = planBatch({
      now,
      centre: { lat: (b.north + b.south) / 2, lng: (b.east + b.west) / 2 },
      jobs: waiting,
      riders,
      settings,
    })
    const offers: { offer: DeliveryOffer; riders: string[] }[] = []
    atomic(this.ctx.storage, this.meta, () => {
      for (const p of plans) {
        const offerId = `ofr_${newId('job', now).slice(4)}`
        const offer: DeliveryOffer = {
          offerId,
          cell,
          jobs: p.jobs.map((j) => opened.get(j.orderId)!),
          expiresAt: now + settings.offerTimeoutMs,
          mode: settings.mode,
        }
        this.ctx.storage.sql.exec(
          `INSERT INTO offers (offer_id, offer, riders, status, winner, unknown, expires_at, created_at, updated_at)
           VALUES (?, ?, ?, 'open', NULL, 0, ?, ?, ?)`,
          offerId,
          JSON.stringify({ ...offer, jobs: p.jobs }),
          JSON.stringify(p.riderIds),
          offer.expiresAt,
          now,
          now,
        )
        for (const j of p.jobs) {
          const row = this.job(j.orderId)!
          this.putJob({ ...row, status: 'offered', offerId }, now)
        }
        this.timers.set(`offer:${offerId}`, offer.expiresAt + OFFER_GRACE_MS)
        offers.push({ offer, riders: p.riderIds })
      }
      this.timers.clear('batch')
      this.ensureBatch(now)
    })
    await this.timers.arm()
    let assigned = 0
    await Promise.all(
      offers.map(async ({ offer, riders: to }) => {
        const replies = await Promise.all(
          to.map((r) =>
            this.env.RIDER.getByName(r)
              .offer(offer)
              .then(
                (reply) => ({ r, reply }) as { r: string; reply: OfferReply | null },
                () => ({ r, reply: null }),
              ),
          ),
        )
        if (this.settle(offer, replies)) assigned++
      }),
    )
    await this.timers.arm()
    return { offers: offers.length, assigned }
  }

  /** Apply the riders' replies to one offer; true when it ended assigned. Sync. */
  private settle(offer: DeliveryOffer, replies: { r: string; reply: OfferReply | null }[]): boolean {
    const now = Date.now()
    const o = this.offerRow(offer.offerId)
    if (o?.status !== 'open') return o?.status === 'assigned'
    return atomic(this.ctx.storage, this.meta, () => {
      const accepted = replies.find((x) => x.reply?.status === 'accepted')
      if (accepted) {
        this.assign(offer.offerId, accepted.r, now)
        return true
      }
      const busy = replies.filter((x) => x.reply?.status === 'busy').map((x) => x.r)
      for (const r of busy)
        this.ctx.storage.sql.exec(
          `INSERT INTO cooldown (rider_id, until) VALUES (?, ?)
           ON CONFLICT (rider_id) DO UPDATE SET until = excluded.until`,
          r,
          now + BUSY_COOLDOWN_MS,
        )
      const lost = replies.filter((x) => x.reply === null).map((x) => x.r)
      if (offer.mode === 'offer') {
        if (lost.length > 0) {
          // The rider may have taken it (auto-accept) and the reply was lost: ask again before re-queuing.
          this.ctx.storage.sql.exec('UPDATE offers SET unknown = 1 WHERE offer_id = ?', offer.offerId)
          this.timers.set(`offer:${offer.offerId}`, now + UNKNOWN_RETRY_MS)
        } else if (busy.length > 0) this.release(offer.offerId, [], now)
        return false
      }
      // Grab: riders who cannot see it drop out; nobody left, the jobs go back.
      const still = o.riders.filter((r) => !busy.includes(r) && !lost.includes(r))
      if (still.length === 0) this.release(offer.offerId, [], now)
      else
        this.ctx.storage.sql.exec(
          'UPDATE offers SET riders = ? WHERE offer_id = ?',
          JSON.stringify(still),
          offer.offerId,
        )
      return false
    })
  }

  /** An offer's time is up (or its reply was lost). */
  private async offerDue(offerId: string, now: number): Promise<void> {
    const o = this.offerRow(offerId)
    if (o?.status !== 'open') return
    if (o.unknown) {
      const rider = o.riders[0]!
      const status = await this.env.RIDER.getByName(rider)
        .offerStatus(offerId)
        .catch(() => 'error' as const)
      const cur = this.offerRow(offerId)
      if (cur?.status !== 'open') return
      if (status === 'accepted') this.assign(offerId, rider, now)
      else if (status === 'open' && now < o.offer.expiresAt + OFFER_GRACE_MS)
        this.timers.set(`offer:${offerId}`, o.offer.expiresAt + OFFER_GRACE_MS)
      else if (status === 'error' && now < o.offer.expiresAt + UNKNOWN_GIVE_UP_MS)
        this.timers.set(`offer:${offerId}`, now + UNKNOWN_RETRY_MS)
      else {
        this.release(offerId, [rider], now)
        await this.withdraw(o, o.riders, 'expired')
      }
      return
    }
    if (now < o.offer.expiresAt + OFFER_GRACE_MS) {
      this.timers.set(`offer:${offerId}`, o.offer.expiresAt + OFFER_GRACE_MS)
      return
    }
    // Offer mode: the rider let it lapse (declined for this job). Grab: nobody grabbed (nobody declined).
    this.release(offerId, o.offer.mode === 'offer' ? o.riders : [], now)
    await this.withdraw(o, o.riders, 'expired')
  }

  override async alarm(): Promise<void> {
    this.timers.fired()
    const now = Date.now()
    for (const key of this.timers.due(now)) {
      this.timers.clear(key)
      if (key === 'batch') await this.runBatch()
      else if (key.startsWith('offer:')) await this.offerDue(key.slice(6), now)
      else if (key === 'sweep') {
        const sql = this.ctx.storage.sql
        sql.exec('DELETE FROM riders WHERE seen_at < ?', now - RIDER_STALE_MS)
        sql.exec('DELETE FROM cooldown WHERE until < ?', now)
        const left = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM riders').toArray()[0]!.n
        if (left > 0) this.timers.set('sweep', now + RIDER_STALE_MS)
        sql.exec("DELETE FROM offers WHERE status != 'open' AND updated_at < ?", now - KEEP_CLOSED_MS)
        sql.exec("DELETE FROM jobs WHERE status = 'assigned' AND updated_at < ?", now - KEEP_CLOSED_MS)
      }
    }
    this.ensureBatch(Date.now())
    await this.timers.arm()
  }

  // ---------- operators ----------

  async state(): Promise<Outcome<CellState>> {
    return outcome(() => ({
      cell: this.cellName(),
      settings: this.settings,
      riders: this.freshRiders(Date.now()),
      jobs: this.jobRows('1 = 1').map((j) => ({
        orderId: j.job.orderId,
        storeId: j.job.storeId,
        status: j.status,
        riderId: j.riderId,
        offerId: j.offerId,
        readyAt: j.job.readyAt,
      })),
      offers: this.ctx.storage.sql
        .exec<{ offer: string; riders: string }>("SELECT offer, riders FROM offers WHERE status = 'open'")
        .toArray()
        .map((r) => {
          const o = JSON.parse(r.offer) as DeliveryOffer
          return {
            offerId: o.offerId,
            mode: o.mode,
            riders: JSON.parse(r.riders) as string[],
            orderIds: o.jobs.map((j) => j.orderId),
            expiresAt: o.expiresAt,
          }
        }),
    }))
  }
}
