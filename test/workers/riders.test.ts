// Riders end to end through the Worker: profile and login, the location stream, geofences, dispatch
// through the cells (offers, races between cells, grab mode), going off duty, privacy, bad input.
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { DeliveryUpdate } from '../../core/delivery'
import { cellOf, MOVING_INTERVAL_MS, neighbours, STILL_INTERVAL_MS, toGcj02 } from '../../core/geo'
import type { RiderDO } from '../../durable-objects/rider'
import { api, login, seedStore, socket } from './client'
import { ADMIN } from './fixtures'
import { createRider, job, offset, onDuty, PASSWORD, place, quietCell, wgs } from './riders-support'

type Sock = Awaited<ReturnType<typeof socket>>

/** Device time moving forward in steps. */
function clock(start: number) {
  let t = start
  return (stepMs: number) => {
    t += stepMs
    return t
  }
}

/** Send one fix and wait for its answer (only answers that arrive after sending count). */
async function report(s: Sock, p: { lat: number; lng: number }, at: number, accuracyM = 10) {
  const from = s.messages.length
  s.send({ type: 'loc', ...wgs(p), accuracyM, at })
  const isAnswer = (m: any) => m.type === 'loc.ack' || m.type === 'loc.rejected'
  await s.next((m) => isAnswer(m) && s.messages.indexOf(m) >= from)
  return s.messages.slice(from).find(isAnswer)
}

/** Replace the rider object's way to reach stores with a recorder (the store side is another part). */
async function storeRecorder(riderId: string): Promise<DeliveryUpdate[]> {
  const got: DeliveryUpdate[] = []
  await runInDurableObject(env.RIDER.getByName(riderId), (instance: RiderDO) => {
    Object.defineProperty(instance, 'storeTarget', {
      value: () => ({
        deliveryUpdate: async (u: DeliveryUpdate) => {
          got.push(u)
          return { ok: true, value: null }
        },
      }),
      configurable: true,
    })
  })
  return got
}

const outbox = async (riderId: string) =>
  (await api('GET', `/api/v1/admin/riders/${riderId}`, { token: ADMIN })).json.outbox
/** Every update the rider's object produced for stores: still queued or already sent. */
const storeUpdates = async (riderId: string): Promise<DeliveryUpdate[]> => {
  const o = await outbox(riderId)
  return [...o.sent, ...o.pending].filter((r: any) => r.target.startsWith('store:')).map((r: any) => r.body)
}

describe('rider profile', () => {
  it('creates, logs in, shows the profile with a masked phone, and keeps name and phone encrypted', async () => {
    const token = await createRider('r-prof', { name: '李四', phone: '13912345678', capacity: 2 })
    const me = await api('GET', '/api/v1/rider', { token })
    expect(me.status).toBe(200)
    expect(me.json).toMatchObject({
      riderId: 'r-prof',
      name: '李四',
      phone: '139****5678',
      capacity: 2,
      onDuty: false,
      load: 0,
      tasks: [],
      offers: [],
    })
    await runInDurableObject(env.RIDER.getByName('r-prof'), (_i, state) => {
      const dump = JSON.stringify(state.storage.sql.exec('SELECT * FROM _meta').toArray())
      expect(dump).not.toContain('13912345678')
      expect(dump).not.toContain('李四')
      expect(dump).toContain('pii1.')
    })
    // Updating without a password keeps the old one.
    const upd = await api('PUT', '/api/v1/admin/riders/r-prof', {
      token: ADMIN,
      body: { name: '李四', phone: '13912345678', capacity: 4 },
    })
    expect(upd.status).toBe(200)
    expect((await api('POST', '/api/v1/riders/r-prof/login', { body: { password: PASSWORD } })).status).toBe(
      200,
    )
    const wrong = await api('POST', '/api/v1/riders/r-prof/login', { body: { password: 'not-the-password' } })
    expect(wrong.status).toBe(401)
    expect(wrong.json.error.code).toBe('INVALID_CREDENTIALS')
    const nobody = await api('POST', '/api/v1/riders/r-nobody/login', { body: { password: 'whatever12' } })
    expect(nobody.json.error.code).toBe('INVALID_CREDENTIALS')
  })
})

describe('location stream', () => {
  it('converts WGS-84, rejects out-of-order, jumps and inaccurate fixes with the reason, and answers the interval', async () => {
    const p = place(1)
    const token = await createRider('r-loc')
    const s = await socket('/api/v1/rider/ws', token)
    await s.next((m) => m.type === 'snapshot')
    const t0 = Date.now() - 60_000
    // Off duty: reports are refused.
    expect(await report(s, p, t0)).toMatchObject({ type: 'loc.rejected', reason: 'off_duty' })
    await onDuty(token, p)
    const a = await report(s, p, t0 + 1_000)
    expect(a).toMatchObject({ type: 'loc.ack', intervalMs: MOVING_INTERVAL_MS, cell: cellOf(p) })
    // Stored as GCJ-02: the WGS-84 sent converts back to the point we started from (to a millimetre).
    const me = (await api('GET', '/api/v1/rider', { token })).json
    expect(me.position.lat).toBeCloseTo(p.lat, 7)
    expect(me.position.lng).toBeCloseTo(p.lng, 7)
    const raw = wgs(p)
    expect(Math.abs(raw.lng - p.lng)).toBeGreaterThan(1e-3) // the datums really differ here (~500 m)
    expect(toGcj02(raw, 'WGS84').lat).toBeCloseTo(me.position.lat, 7)

    expect(await report(s, offset(p, 20), t0 + 1_000)).toMatchObject({ reason: 'out_of_order' })
    expect(await report(s, offset(p, 20), t0 + 500)).toMatchObject({ reason: 'out_of_order' })
    expect(await report(s, offset(p, 5_000), t0 + 2_000)).toMatchObject({ reason: 'impossible_jump' })
    expect(await report(s, offset(p, 30), t0 + 3_000, 500)).toMatchObject({ reason: 'inaccurate' })
    expect(await report(s, offset(p, 20), Date.now() + 3_600_000)).toMatchObject({ reason: 'from_future' })
    // 4.5 m/s is a rider.
    expect(await report(s, offset(p, 45), t0 + 11_000)).toMatchObject({ type: 'loc.ack' })
    // Three jumps in a row: the old fix was the glitch, the rider is where the new ones say.
    const far = offset(p, 8_000)
    expect(await report(s, far, t0 + 12_000)).toMatchObject({ reason: 'impossible_jump' })
    expect(await report(s, offset(far, 5), t0 + 13_000)).toMatchObject({ reason: 'impossible_jump' })
    expect(await report(s, offset(far, 10), t0 + 14_000)).toMatchObject({
      type: 'loc.ack',
      cell: cellOf(far),
    })
    // Malformed frames get an error, not a crash.
    s.ws.send('{"type":"loc","lat":"north"}')
    expect(await s.next((m) => m.type === 'error')).toMatchObject({ code: 'VALIDATION_FAILED' })
    s.close()
  })

  it('tells a rider standing still to report every 2 minutes, and a moving one every 15 s', async () => {
    const p = place(2)
    const token = await createRider('r-still')
    await onDuty(token, p)
    const s = await socket('/api/v1/rider/ws', token)
    await s.next((m) => m.type === 'snapshot')
    const t0 = Date.now() - 200_000
    let last: any
    for (let i = 1; i <= 10; i++) last = await report(s, offset(p, i % 2 ? 3 : -3), t0 + i * 15_000)
    expect(last).toMatchObject({ type: 'loc.ack', intervalMs: STILL_INTERVAL_MS })
    const moved = await report(s, offset(p, 300), t0 + 11 * 15_000)
    expect(moved).toMatchObject({ type: 'loc.ack', intervalMs: MOVING_INTERVAL_MS })
    s.close()
  })

  it('forwards a summary to its cell, not every fix, and moves between cells', async () => {
    const p = place(3)
    const token = await createRider('r-cell')
    await onDuty(token, p)
    const cell = cellOf(p)
    const inCell = await api('GET', `/api/v1/admin/cells/${cell}/riders`, { token: ADMIN })
    expect(inCell.json.riders.map((r: any) => r.riderId)).toEqual(['r-cell'])
    expect(inCell.json.riders[0]).toMatchObject({ name: '张*', load: 0, capacity: 3 })
    const near = await api(
      'GET',
      `/api/v1/admin/riders/nearby?lat=${p.lat}&lng=${p.lng + 0.001}&radiusM=500`,
      {
        token: ADMIN,
      },
    )
    expect(near.json.riders).toHaveLength(1)
    expect(near.json.riders[0].distanceM).toBeGreaterThan(50)
    // Ride into the next cell: the old cell forgets the rider, the new one has them.
    const s = await socket('/api/v1/rider/ws', token)
    await s.next((m) => m.type === 'snapshot')
    const next = neighbours(cell)[0]!
    const b = await api('GET', `/api/v1/admin/cells/${next}`, { token: ADMIN })
    expect(b.status).toBe(200)
    let t = Date.now() - 1_000_000
    let pos = p
    while (cellOf(pos) === cell) {
      pos = offset(pos, 400)
      t += 100_000
      expect(await report(s, pos, t)).toMatchObject({ type: 'loc.ack' })
    }
    await expect
      .poll(
        async () =>
          (await api('GET', `/api/v1/admin/cells/${next}/riders`, { token: ADMIN })).json.riders.length,
      )
      .toBe(1)
    await expect
      .poll(
        async () =>
          (await api('GET', `/api/v1/admin/cells/${cell}/riders`, { token: ADMIN })).json.riders.length,
      )
      .toBe(0)
    s.close()
  })
})

describe('dispatch', () => {
  it('offers a job, the rider accepts on the socket, the store hears "assigned", the geofence "arrived_store"', async () => {
    const p = place(4)
    const { stub: cell } = await quietCell(p)
    const token = await createRider('r-geo')
    await onDuty(token, offset(p, 0, 800))
    const got = await storeRecorder('r-geo')
    const s = await socket('/api/v1/rider/ws', token)
    await s.next((m) => m.type === 'snapshot')
    const j = job(p)
    expect((await cell.addJob(j)).ok).toBe(true)
    expect(await cell.runBatch()).toEqual({ offers: 1, assigned: 0 })
    const offer = await s.next((m) => m.type === 'offer')
    expect(offer.offer.jobs[0]).toMatchObject({ orderId: j.orderId, dropoffHint: j.dropoffHint, tripM: 1500 })
    expect(JSON.stringify(offer)).not.toContain(String(j.dropoff.lat))
    s.send({ type: 'offer.accept', offerId: offer.offer.offerId })
    const task = await s.next((m) => m.type === 'task')
    expect(task.task).toMatchObject({ orderId: j.orderId, status: 'assigned' })
    await expect.poll(() => got.map((u) => u.kind)).toEqual(['assigned'])
    expect(got[0]).toMatchObject({ riderId: 'r-geo', riderName: '张三', riderPhone: '138****5678' })
    const state = unwrapped(await cell.state())
    expect(state.jobs).toMatchObject([{ orderId: j.orderId, status: 'assigned', riderId: 'r-geo' }])

    // Ride to the store: 150 m out nothing, 60 m out 'arrived_store', once.
    const t = clock(Date.now() - 100_000)
    expect(await report(s, offset(p, 0, 400), t(20_000))).toMatchObject({ type: 'loc.ack' })
    expect(await report(s, offset(p, 0, 150), t(20_000))).toMatchObject({ type: 'loc.ack' })
    expect(await report(s, offset(p, 0, 60), t(20_000))).toMatchObject({ type: 'loc.ack' })
    expect((await s.next((m) => m.type === 'task' && m.task.status === 'arrived')).task.orderId).toBe(
      j.orderId,
    )
    expect(await report(s, offset(p, 0, 110), t(5_000))).toMatchObject({ type: 'loc.ack' })
    expect(await report(s, offset(p, 0, 40), t(5_000))).toMatchObject({ type: 'loc.ack' })
    await expect.poll(() => got.filter((u) => u.kind === 'arrived_store').length).toBe(1)
    s.close()
  })

  it('keeps updates a store does not take in the outbox and retries them on the alarm', async () => {
    const p = place(5)
    const { stub: cell } = await quietCell(p)
    const token = await createRider('r-outbox', { autoAccept: true })
    await onDuty(token, offset(p, 0, 50))
    const j = job(p)
    await cell.addJob(j)
    expect(await cell.runBatch()).toEqual({ offers: 1, assigned: 1 })
    // The real StoreDO has no deliveryUpdate yet (or is down): nothing is lost, the rider's state holds.
    const pickup = await api('POST', `/api/v1/rider/tasks/${j.orderId}/pickup`, { token })
    expect(pickup.status).toBe(200)
    expect(pickup.json.status).toBe('picked_up')
    await expect
      .poll(async () => (await storeUpdates('r-outbox')).map((u) => u.kind))
      .toEqual(['assigned', 'arrived_store', 'picked_up'])
    const stub = env.RIDER.getByName('r-outbox')
    const before = await outbox('r-outbox')
    if (before.pending.length > 0) {
      // Not taken: the alarm tries again with backoff; the order holds.
      await runInDurableObject(stub, (_i, state) => state.storage.sql.exec('UPDATE outbox SET next_at = 0'))
      await runDurableObjectAlarm(stub)
      const after = await outbox('r-outbox')
      expect(after.pending.map((r: any) => r.body.kind)).toEqual(['assigned', 'arrived_store', 'picked_up'])
      expect(after.pending[0].attempts).toBeGreaterThan(before.pending[0].attempts)
    }
    // Once a store takes them, they go in order and the outbox empties.
    const got = await storeRecorder('r-outbox')
    await runInDurableObject(stub, (_i, state) => state.storage.sql.exec('UPDATE outbox SET next_at = 0'))
    await runDurableObjectAlarm(stub)
    expect((await outbox('r-outbox')).pending).toEqual([])
    if (before.pending.length > 0)
      expect(got.map((u) => u.kind)).toEqual(['assigned', 'arrived_store', 'picked_up'])
    const me = (await api('GET', '/api/v1/rider', { token })).json
    expect(me.tasks).toMatchObject([{ orderId: j.orderId, status: 'picked_up' }])
  })

  it('two cells racing for one rider: one assignment, the other job re-queued and given to another rider', async () => {
    const p = place(6)
    const { cell: cellA, stub: a } = await quietCell(p)
    const cellB = neighbours(cellA)[2]! // east
    const b = env.GEOCELL.getByName(cellB)
    await b.configure({ batchIntervalMs: 120_000 })
    // One rider, room for one order, in A near the border with B: both cells see them.
    const t1 = await createRider('r-race1', { capacity: 1, autoAccept: true })
    await onDuty(t1, p)
    const storeB = (() => {
      let q = p
      while (cellOf(q) !== cellB) q = offset(q, 0, 300)
      return offset(q, 0, 300)
    })()
    const ja = job(p, { storeId: 'stA' })
    const jb = job(storeB, { storeId: 'stB' })
    await Promise.all([a.addJob(ja), b.addJob(jb)])
    const [ra, rb] = await Promise.all([a.runBatch(), b.runBatch()])
    expect(ra.offers + rb.offers).toBe(2)
    expect(ra.assigned + rb.assigned).toBe(1)
    const me = (await api('GET', '/api/v1/rider', { token: t1 })).json
    expect(me.tasks).toHaveLength(1)
    const [won, lostCell, lostJob] = ra.assigned === 1 ? [ja, b, jb] : [jb, a, ja]
    expect(me.tasks[0].orderId).toBe(won.orderId)
    expect(unwrapped(await lostCell.state()).jobs).toMatchObject([
      { orderId: lostJob.orderId, status: 'waiting' },
    ])

    // Another rider arrives near the lost job's store; the next batch gives it to them.
    const t2 = await createRider('r-race2', { capacity: 1, autoAccept: true })
    await onDuty(t2, offset(lostJob.pickup, 200))
    expect(await lostCell.runBatch()).toEqual({ offers: 1, assigned: 1 })
    const me2 = (await api('GET', '/api/v1/rider', { token: t2 })).json
    expect(me2.tasks.map((t: any) => t.orderId)).toEqual([lostJob.orderId])
    expect((await api('GET', '/api/v1/rider', { token: t1 })).json.tasks).toHaveLength(1)
  })

  it('a rider offered twice at once (offer mode) holds one offer; the other cell gets busy', async () => {
    const p = place(7)
    const { cell: cellA, stub: a } = await quietCell(p)
    const cellB = neighbours(cellA)[6]! // west
    const b = env.GEOCELL.getByName(cellB)
    await b.configure({ batchIntervalMs: 120_000 })
    const token = await createRider('r-twice', { capacity: 3 })
    await onDuty(token, p)
    let storeB = p
    while (cellOf(storeB) !== cellB) storeB = offset(storeB, 0, -300)
    const ja = job(p)
    const jb = job(offset(storeB, 0, -200))
    await Promise.all([a.addJob(ja), b.addJob(jb)])
    await Promise.all([a.runBatch(), b.runBatch()])
    const me = (await api('GET', '/api/v1/rider', { token })).json
    expect(me.offers).toHaveLength(1)
    const offered = me.offers[0].jobs[0].orderId
    const [, otherCell, otherJob] = offered === ja.orderId ? [a, b, jb] : [b, a, ja]
    expect(unwrapped(await otherCell.state()).jobs).toMatchObject([
      { orderId: otherJob.orderId, status: 'waiting' },
    ])
    const acc = await api('POST', `/api/v1/rider/offers/${me.offers[0].offerId}/accept`, { token })
    expect(acc.status).toBe(200)
    expect(acc.json.tasks.map((t: any) => t.orderId)).toEqual([offered])
    // Accepting again is idempotent; declining a settled offer is not possible.
    const again = await api('POST', `/api/v1/rider/offers/${me.offers[0].offerId}/accept`, { token })
    expect(again.json.tasks.map((t: any) => t.orderId)).toEqual([offered])
    const gone = await api('POST', `/api/v1/rider/offers/${me.offers[0].offerId}/decline`, { token })
    expect(gone.status).toBe(409)
    expect(gone.json.error.code).toBe('OFFER_GONE')
  })

  it('a declined offer goes back to the queue and is not offered to the same rider again', async () => {
    const p = place(8)
    const { stub: cell } = await quietCell(p)
    const t1 = await createRider('r-dec1')
    await onDuty(t1, offset(p, 100))
    const j = job(p)
    await cell.addJob(j)
    await cell.runBatch()
    const me = (await api('GET', '/api/v1/rider', { token: t1 })).json
    const dec = await api('POST', `/api/v1/rider/offers/${me.offers[0].offerId}/decline`, { token: t1 })
    expect(dec.status).toBe(200)
    await expect.poll(async () => unwrapped(await cell.state()).jobs[0]?.status).toBe('waiting')
    expect(await cell.runBatch()).toEqual({ offers: 0, assigned: 0 })
    const t2 = await createRider('r-dec2', { autoAccept: true })
    await onDuty(t2, offset(p, 2_000))
    expect(await cell.runBatch()).toEqual({ offers: 1, assigned: 1 })
    expect((await api('GET', '/api/v1/rider', { token: t2 })).json.tasks[0].orderId).toBe(j.orderId)
  })

  it('an offer nobody answers expires at the rider and the cell, and the job waits again', async () => {
    const p = place(9)
    const { stub: cell } = await quietCell(p, { offerTimeoutMs: 1_000 })
    const token = await createRider('r-lapse')
    await onDuty(token, p)
    await cell.addJob(job(p))
    await cell.runBatch()
    const s = await socket('/api/v1/rider/ws', token)
    const snap = await s.next((m) => m.type === 'snapshot')
    expect(snap.state.offers).toHaveLength(1)
    await new Promise((r) => setTimeout(r, 1_100))
    await runDurableObjectAlarm(env.RIDER.getByName('r-lapse'))
    expect((await s.next((m) => m.type === 'offer.closed')).reason).toBe('expired')
    const late = await api('POST', `/api/v1/rider/offers/${snap.state.offers[0].offerId}/accept`, { token })
    expect(late.json.error.code).toBe('OFFER_GONE')
    await expect.poll(async () => unwrapped(await cell.state()).jobs[0]?.status).toBe('waiting')
    s.close()
  })

  it('grab mode: the offer shows to several riders, the first grab wins, the others see it taken', async () => {
    const p = place(10)
    const { stub: cell } = await quietCell(p, { mode: 'grab' })
    const tokens = await Promise.all(['r-grab1', 'r-grab2', 'r-grab3'].map((id) => createRider(id)))
    await Promise.all(tokens.map((t, i) => onDuty(t, offset(p, 100 * (i + 1)))))
    const socks = await Promise.all(tokens.map((t) => socket('/api/v1/rider/ws', t)))
    await Promise.all(socks.map((s) => s.next((m) => m.type === 'snapshot')))
    const j = job(p)
    await cell.addJob(j)
    expect(await cell.runBatch()).toEqual({ offers: 1, assigned: 0 })
    const offers = await Promise.all(socks.map((s) => s.next((m) => m.type === 'offer')))
    const offerId = offers[0].offer.offerId
    expect(offers.every((o) => o.offer.offerId === offerId && o.offer.mode === 'grab')).toBe(true)
    // Accepting is for offer mode; in grab mode one grabs.
    expect((await api('POST', `/api/v1/rider/offers/${offerId}/accept`, { token: tokens[0] })).status).toBe(
      409,
    )
    const results = await Promise.all(
      tokens.map((t) => api('POST', `/api/v1/rider/offers/${offerId}/grab`, { token: t })),
    )
    const winners = results.filter((r) => r.status === 200)
    expect(winners).toHaveLength(1)
    expect(results.filter((r) => r.status === 409).every((r) => r.json.error.code === 'OFFER_GONE')).toBe(
      true,
    )
    const w = results.findIndex((r) => r.status === 200)
    expect(unwrapped(await cell.state()).jobs).toMatchObject([
      { orderId: j.orderId, status: 'assigned', riderId: `r-grab${w + 1}` },
    ])
    for (const [i, s] of socks.entries()) {
      if (i === w) continue
      expect((await s.next((m) => m.type === 'offer.closed')).reason).toMatch(/taken|expired/)
      const me = (await api('GET', '/api/v1/rider', { token: tokens[i]! })).json
      expect(me.offers).toEqual([])
      expect(me.tasks).toEqual([])
      s.close()
    }
    socks[w]!.close()
  })

  it('reassignment when a rider goes off duty: "unassigned" to the store, the job back to the cell, then to another rider', async () => {
    const p = place(11)
    const { stub: cell } = await quietCell(p)
    const t1 = await createRider('r-off1', { autoAccept: true })
    await onDuty(t1, offset(p, 300))
    const j1 = job(p)
    const j2 = job(p, { readyAt: Date.now() })
    await cell.addJob(j1)
    expect(await cell.runBatch()).toMatchObject({ assigned: 1 })
    await cell.addJob(j2)
    await cell.runBatch()
    const held = (await api('GET', '/api/v1/rider', { token: t1 })).json.tasks.map((t: any) => t.orderId)
    expect(held).toContain(j1.orderId)
    // Picked-up food cannot be abandoned by going off duty.
    const pick = await api('POST', `/api/v1/rider/tasks/${j1.orderId}/pickup`, {
      token: t1,
      body: { override: 'test: handed over at the door' },
    })
    expect(pick.status).toBe(200)
    const refused = await api('POST', '/api/v1/rider/duty', { token: t1, body: { onDuty: false } })
    expect(refused.status).toBe(409)
    await api('POST', `/api/v1/rider/tasks/${j1.orderId}/deliver`, {
      token: t1,
      body: { override: 'test: delivered' },
    })
    // A third job assigned, not picked up, then the rider stops.
    const j3 = job(p)
    await cell.addJob(j3)
    await cell.runBatch()
    const before = (await api('GET', '/api/v1/rider', { token: t1 })).json.tasks.map((t: any) => t.orderId)
    expect(before).toContain(j3.orderId)
    const off = await api('POST', '/api/v1/rider/duty', { token: t1, body: { onDuty: false } })
    expect(off.status).toBe(200)
    const me = (await api('GET', '/api/v1/rider', { token: t1 })).json
    expect(me).toMatchObject({ onDuty: false, tasks: [] })
    const updates = await storeUpdates('r-off1')
    for (const id of before)
      expect(updates).toContainEqual(
        expect.objectContaining({ kind: 'unassigned', orderId: id, reason: 'rider_off_duty' }),
      )
    const jobs = unwrapped(await cell.state()).jobs
    for (const id of before) expect(jobs.find((x) => x.orderId === id)?.status).toBe('waiting')
    expect(unwrapped(await cell.state()).riders.map((r) => r.riderId)).not.toContain('r-off1')
    // Another rider takes them.
    const t2 = await createRider('r-off2', { autoAccept: true, capacity: 3 })
    await onDuty(t2, offset(p, -400))
    await cell.runBatch()
    const me2 = (await api('GET', '/api/v1/rider', { token: t2 })).json
    expect(me2.tasks.map((t: any) => t.orderId).sort()).toEqual([...before].sort())
  })

  it('never holds more than its capacity, however many cells offer at once', async () => {
    const p = place(12)
    const { cell: c0 } = await quietCell(p)
    const cells = [c0, ...neighbours(c0)]
    await Promise.all(cells.map((c) => env.GEOCELL.getByName(c).configure({ batchIntervalMs: 120_000 })))
    const token = await createRider('r-cap', { capacity: 2, autoAccept: true })
    await onDuty(token, p)
    // A job in each of the 9 cells, each batch offering this rider at once.
    const { cellBounds } = await import('../../core/geo')
    await Promise.all(
      cells.map((c) => {
        const b = cellBounds(c)
        const store = { lat: (b.north + b.south) / 2, lng: (b.east + b.west) / 2 }
        return env.GEOCELL.getByName(c).addJob(job(store))
      }),
    )
    const results = await Promise.all(cells.map((c) => env.GEOCELL.getByName(c).runBatch()))
    const assigned = results.reduce((n, r) => n + r.assigned, 0)
    const me = (await api('GET', '/api/v1/rider', { token })).json
    expect(me.tasks.length).toBe(assigned)
    expect(me.tasks.length).toBeLessThanOrEqual(2)
    expect(me.tasks.length).toBeGreaterThanOrEqual(1)
  })
})

describe('privacy', () => {
  it('before pickup a task shows only the hint; after, the exact point and a masked phone', async () => {
    const p = place(13)
    const { stub: cell } = await quietCell(p)
    const token = await createRider('r-priv', { autoAccept: true })
    await onDuty(token, offset(p, 30))
    const j = job(p, { customerPhone: '13700001111' })
    await cell.addJob(j)
    await cell.runBatch()
    const before = (await api('GET', '/api/v1/rider', { token })).json
    const t = before.tasks[0]
    expect(t).toMatchObject({ orderId: j.orderId, dropoffHint: j.dropoffHint, status: 'assigned' })
    expect(t.dropoff).toBeUndefined()
    expect(t.customerPhone).toBeUndefined()
    const text = JSON.stringify(before)
    expect(text).not.toContain('13700001111')
    expect(text).not.toContain(String(j.dropoff.lat))
    // Not in the cell's or the rider's storage in plaintext either.
    await runInDurableObject(env.RIDER.getByName('r-priv'), (_i, state) => {
      expect(JSON.stringify(state.storage.sql.exec('SELECT * FROM tasks').toArray())).not.toContain(
        '13700001111',
      )
    })
    await runInDurableObject(cell, (_i, state) => {
      expect(JSON.stringify(state.storage.sql.exec('SELECT * FROM jobs').toArray())).not.toContain(
        '13700001111',
      )
    })
    // At the store: pickup (inside the fence, no override needed).
    const pick = await api('POST', `/api/v1/rider/tasks/${j.orderId}/pickup`, { token })
    expect(pick.status).toBe(200)
    expect(pick.json).toMatchObject({ status: 'picked_up', customerPhone: '137****1111' })
    expect(pick.json.dropoff.lat).toBeCloseTo(j.dropoff.lat, 9)
    const after = (await api('GET', '/api/v1/rider', { token })).json
    expect(after.tasks[0]).toMatchObject({ customerPhone: '137****1111', dropoff: j.dropoff })
    expect(after.route.find((s: any) => s.kind === 'dropoff').pos).toEqual(j.dropoff)
  })
})

describe('geofenced actions', () => {
  it('refuses pickup away from the store and delivery away from the customer unless overridden', async () => {
    const p = place(14)
    const { stub: cell } = await quietCell(p)
    const token = await createRider('r-fence', { autoAccept: true })
    await onDuty(token, offset(p, 0, 900))
    const j = job(p)
    await cell.addJob(j)
    await cell.runBatch()
    const far = await api('POST', `/api/v1/rider/tasks/${j.orderId}/pickup`, { token })
    expect(far.status).toBe(422)
    expect(far.json.error).toMatchObject({ code: 'OUTSIDE_GEOFENCE', details: { radiusM: 100 } })
    const early = await api('POST', `/api/v1/rider/tasks/${j.orderId}/deliver`, { token })
    expect(early.status).toBe(409)
    expect(early.json.error.code).toBe('INVALID_TRANSITION')
    const arrive = await api('POST', `/api/v1/rider/tasks/${j.orderId}/arrive`, {
      token,
      body: { override: 'GPS lost in the mall' },
    })
    expect(arrive.json.status).toBe('arrived')
    const ok = await api('POST', `/api/v1/rider/tasks/${j.orderId}/pickup`, {
      token,
      body: { override: 'GPS lost in the mall' },
    })
    expect(ok.json.status).toBe('picked_up')
    const notThere = await api('POST', `/api/v1/rider/tasks/${j.orderId}/deliver`, { token })
    expect(notThere.json.error.code).toBe('OUTSIDE_GEOFENCE')
    const s = await socket('/api/v1/rider/ws', token)
    await s.next((m) => m.type === 'snapshot')
    const t = clock(Date.now() - 60_000)
    expect(await report(s, offset(j.dropoff, -200), t(30_000))).toMatchObject({ type: 'loc.ack' })
    const done = await api('POST', `/api/v1/rider/tasks/${j.orderId}/deliver`, { token })
    expect(done.status).toBe(200)
    expect(done.json.status).toBe('delivered')
    const again = await api('POST', `/api/v1/rider/tasks/${j.orderId}/deliver`, { token })
    expect(again.status).toBe(409)
    const kinds = (await storeUpdates('r-fence')).map((u) => u.kind)
    expect(kinds).toEqual(['assigned', 'arrived_store', 'picked_up', 'near_customer', 'delivered'])
    const picked = (await storeUpdates('r-fence')).find((u) => u.kind === 'picked_up') as any
    expect(picked.override).toBe('GPS lost in the mall')
    expect((await api('GET', '/api/v1/rider', { token })).json.tasks).toEqual([])
    s.close()
  })
})

describe('bad input', () => {
  it('answers 4xx in the one error format', async () => {
    const token = await createRider('r-bad')
    const cases: [string, string, { token?: string; body?: unknown; raw?: string }, number, string][] = [
      [
        'PUT',
        '/api/v1/admin/riders/r-bad',
        { body: { name: 'x', phone: '138', capacity: 1 } },
        401,
        'UNAUTHENTICATED',
      ],
      [
        'PUT',
        '/api/v1/admin/riders/a',
        { token: ADMIN, body: { name: 'x', phone: '13800000000', capacity: 1 } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'PUT',
        '/api/v1/admin/riders/r-bad',
        { token: ADMIN, body: { name: 'x', phone: 'call me', capacity: 1 } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'PUT',
        '/api/v1/admin/riders/r-bad',
        { token: ADMIN, body: { name: 'x', phone: '13800000000', capacity: 99 } },
        400,
        'VALIDATION_FAILED',
      ],
      ['PUT', '/api/v1/admin/riders/r-bad', { token: ADMIN, raw: '{"name":' }, 400, 'MALFORMED_JSON'],
      ['POST', '/api/v1/riders/r-bad/login', { body: {} }, 400, 'VALIDATION_FAILED'],
      ['GET', '/api/v1/rider', {}, 401, 'UNAUTHENTICATED'],
      ['GET', '/api/v1/rider', { token: 'forged.token' }, 401, 'UNAUTHENTICATED'],
      ['POST', '/api/v1/rider/duty', { token, body: { onDuty: 'yes' } }, 400, 'VALIDATION_FAILED'],
      ['POST', '/api/v1/rider/duty', { token, body: { onDuty: true, lat: 31 } }, 400, 'VALIDATION_FAILED'],
      [
        'POST',
        '/api/v1/rider/duty',
        { token, body: { onDuty: true, lat: 91, lng: 0 } },
        400,
        'VALIDATION_FAILED',
      ],
      ['POST', '/api/v1/rider/offers/nope/accept', { token }, 409, 'OFFER_GONE'],
      ['POST', '/api/v1/rider/offers/bad%20id/accept', { token }, 400, 'VALIDATION_FAILED'],
      ['POST', '/api/v1/rider/tasks/ord_none/pickup', { token }, 404, 'TASK_NOT_FOUND'],
      [
        'POST',
        '/api/v1/rider/tasks/ord_none/pickup',
        { token, body: { override: 'x'.repeat(300) } },
        400,
        'VALIDATION_FAILED',
      ],
      ['GET', '/api/v1/rider/ws', { token }, 400, 'BAD_REQUEST'],
      ['GET', '/api/v1/admin/cells/notacell/riders', { token: ADMIN }, 400, 'VALIDATION_FAILED'],
      ['GET', '/api/v1/admin/cells/ws10a', { token: ADMIN }, 400, 'VALIDATION_FAILED'],
      [
        'GET',
        '/api/v1/admin/riders/nearby?lat=22.5&lng=114&radiusM=50000',
        { token: ADMIN },
        400,
        'VALIDATION_FAILED',
      ],
      ['GET', '/api/v1/admin/riders/nearby?lat=x&lng=114', { token: ADMIN }, 400, 'VALIDATION_FAILED'],
      [
        'PUT',
        '/api/v1/admin/cells/ws10b/settings',
        { token: ADMIN, body: { mode: 'auction' } },
        400,
        'VALIDATION_FAILED',
      ],
    ]
    for (const [method, path, opts, status, code] of cases) {
      const r = await api(method, path, opts)
      expect([path, r.status, r.json?.error?.code]).toEqual([path, status, code])
    }
    // A rider created without a password exists but cannot log in yet.
    const bare = await api('PUT', '/api/v1/admin/riders/r-new', {
      token: ADMIN,
      body: { name: 'x', phone: '13800000000', capacity: 1 },
    })
    expect(bare.status).toBe(201)
    const noLogin = await api('POST', '/api/v1/riders/r-new/login', { body: { password: 'anything-at-all' } })
    expect([noLogin.status, noLogin.json.error.code]).toEqual([401, 'INVALID_CREDENTIALS'])
    // Other roles' tokens are not a rider's.
    await seedStore('391')
    const staff = await login('391')
    const r = await api('GET', '/api/v1/rider', { token: staff })
    expect([r.status, r.json.error.code]).toEqual([403, 'FORBIDDEN'])
    // Unknown rider behind a valid-looking id: 404 for the operator.
    const unknown = await api('GET', '/api/v1/admin/riders/r-ghost', { token: ADMIN })
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'RIDER_NOT_FOUND'])
  })
})

function unwrapped<T>(o: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!o.ok) throw new Error(JSON.stringify(o.error))
  return o.value
}
