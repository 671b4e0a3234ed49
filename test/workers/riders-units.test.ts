// The pure pieces behind riders and cells: PII sealing, the rider's route, one cell batch, what the app is
// shown, settings and retry timing, and the client's state machine for the rider channel.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyRiderMessage, type RiderSnapshot } from '../../core/channels/rider'
import type { DeliveryJob, RiderInCell } from '../../core/delivery'
import { DEFAULT_DISPATCH } from '../../core/delivery'
import { haversineM, type LatLng } from '../../core/geo'
import { planBatch } from '../../durable-objects/geo-cell/plan'
import { dispatchSettings } from '../../durable-objects/geo-cell/settings'
import { openJob, sealJob } from '../../durable-objects/rider/jobs'
import { OUTBOX_MAX_BACKOFF_MS, outboxBackoffMs } from '../../durable-objects/rider/outbox'
import { DROPOFF_SERVICE_MS, planRiderRoute, rideMs } from '../../durable-objects/rider/route'
import { maskName, offerView, routeView, taskView } from '../../durable-objects/rider/views'
import { decryptPii, encryptPii, maskPhone, piiKey } from '../../workers/auth/pii'
import { offset } from './riders-support'

const O: LatLng = { lat: 31.2304, lng: 121.4737 }
const NOW = 1_750_000_000_000

describe('pii', () => {
  it('round-trips, binds each value to its context, and refuses tampering', async () => {
    const key = await piiKey({ PII_KEY: 'k1', TOKEN_SECRET: 't' })
    const sealed = await encryptPii(key, '13812345678', 'rider:r1:phone')
    expect(sealed).toMatch(/^pii1\.[\w-]+\.[\w-]+$/)
    expect(sealed).not.toContain('1381234')
    expect(await decryptPii(key, sealed, 'rider:r1:phone')).toBe('13812345678')
    expect(await decryptPii(key, sealed, 'rider:r2:phone')).toBeNull()
    const [a, b, c] = sealed.split('.')
    // Change the second-to-last character to something else, whatever it is.
    const flipped = `${a}.${b}.${c!.slice(0, -2)}${c!.at(-2) === 'A' ? 'B' : 'A'}${c!.slice(-1)}`
    expect(await decryptPii(key, flipped, 'rider:r1:phone')).toBeNull()
    expect(await decryptPii(key, 'plain text', 'rider:r1:phone')).toBeNull()
    // Another key (or the dev fallback from TOKEN_SECRET) cannot read it.
    expect(
      await decryptPii(await piiKey({ PII_KEY: 'k2', TOKEN_SECRET: 't' }), sealed, 'rider:r1:phone'),
    ).toBeNull()
    expect(await decryptPii(await piiKey({ TOKEN_SECRET: 'k1' }), sealed, 'rider:r1:phone')).toBeNull()
    // Two seals of one value differ (random IV).
    expect(await encryptPii(key, 'x', 'c')).not.toBe(await encryptPii(key, 'x', 'c'))
  })

  it('masks phones the usual way', () => {
    expect(maskPhone('13812345678')).toBe('138****5678')
    expect(maskPhone('+86 138-1234-5678')).toBe('138****5678')
    expect(maskPhone('02112345678')).toBe('021****5678')
    expect(maskPhone('12345')).toBe('***45')
    expect(maskPhone('')).toBe('')
    expect(maskName('王小明')).toBe('王**')
    expect(maskName('Li')).toBe('L*')
  })

  it('seals a job without its phone and opens it again', async () => {
    const key = await piiKey({ TOKEN_SECRET: 't' })
    const j = { ...job('o1', O), customerPhone: '13700001111' }
    const s = await sealJob(key, j)
    expect(JSON.stringify(s.job)).not.toContain('13700001111')
    expect(await openJob(key, s)).toEqual(j)
    expect((await sealJob(key, job('o2', O))).phoneEnc).toBeNull()
  })
})

function job(orderId: string, store: LatLng, over: Partial<DeliveryJob> = {}): DeliveryJob {
  return {
    orderId,
    storeId: 's1',
    storeName: 'S',
    pickup: store,
    dropoff: offset(store, 1500),
    dropoffHint: 'hint',
    placedAt: NOW - 60_000,
    readyAt: NOW,
    pickupNo: 'D001',
    items: 1,
    ...over,
  }
}

describe('rider route', () => {
  it('picks up before dropping off, and waits for food that is not ready', () => {
    const tasks = [
      {
        orderId: 'a',
        pickup: offset(O, 0, 1000),
        dropoff: offset(O, 2000, 1000),
        readyAt: NOW + 20 * 60_000,
        pickedUp: false,
      },
    ]
    const r = planRiderRoute(O, NOW, tasks)
    expect(r.stops.map((s) => `${s.kind}:${s.orderId}`)).toEqual(['pickup:a', 'dropoff:a'])
    expect(r.stops[0]!.arriveAt).toBeCloseTo(NOW + rideMs(O, tasks[0]!.pickup), 0)
    expect(r.stops[0]!.doneAt).toBe(NOW + 20 * 60_000)
    expect(r.freeAt).toBeGreaterThan(r.stops[1]!.doneAt)
    expect(r.freePos).toEqual(tasks[0]!.dropoff)
  })

  it('respects precedence: every pickup before its dropoff, every dropoff once', () => {
    const pt = fc.record({
      n: fc.integer({ min: -3000, max: 3000 }),
      e: fc.integer({ min: -3000, max: 3000 }),
    })
    fc.assert(
      fc.property(
        fc.array(fc.record({ p: pt, d: pt, picked: fc.boolean(), ready: fc.integer({ min: 0, max: 30 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        (raw) => {
          const tasks = raw.map((t, i) => ({
            orderId: `t${i}`,
            pickup: offset(O, t.p.n, t.p.e),
            dropoff: offset(O, t.d.n, t.d.e),
            readyAt: NOW + t.ready * 60_000,
            pickedUp: t.picked,
          }))
          const r = planRiderRoute(O, NOW, tasks)
          const seen = new Set<string>()
          for (const s of r.stops) {
            if (s.kind === 'pickup') seen.add(s.orderId)
            else {
              const t = tasks.find((x) => x.orderId === s.orderId)!
              expect(t.pickedUp || seen.has(s.orderId)).toBe(true)
            }
          }
          expect(r.stops.filter((s) => s.kind === 'dropoff')).toHaveLength(tasks.length)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('delivers the nearer customer first from the same store', () => {
    const store = offset(O, 0, 500)
    const near = offset(store, 500)
    const far = offset(store, 3000)
    const r = planRiderRoute(O, NOW, [
      { orderId: 'far', pickup: store, dropoff: far, readyAt: NOW, pickedUp: false },
      { orderId: 'near', pickup: store, dropoff: near, readyAt: NOW, pickedUp: false },
    ])
    expect(r.stops.filter((s) => s.kind === 'dropoff').map((s) => s.orderId)).toEqual(['near', 'far'])
    const d = r.stops.filter((s) => s.kind === 'dropoff')
    expect(d[1]!.arriveAt - d[0]!.arriveAt).toBeCloseTo(DROPOFF_SERVICE_MS + rideMs(near, far), 0)
  })
})

const rider = (id: string, pos: LatLng, over: Partial<RiderInCell> = {}): RiderInCell => ({
  riderId: id,
  name: 'R',
  pos,
  at: NOW,
  load: 0,
  capacity: 3,
  freeAt: NOW,
  freePos: pos,
  ...over,
})
const settings = { ...DEFAULT_DISPATCH, batchIntervalMs: 5_000 }

describe('cell batch plan', () => {
  it('sends the nearest rider, never one who declined the job, and nobody without room', () => {
    const jobs = [{ job: job('o1', O), declined: {} }]
    const riders = [rider('near', offset(O, 200)), rider('far', offset(O, 2500))]
    expect(planBatch({ now: NOW, centre: O, jobs, riders, settings })).toEqual([
      { riderIds: ['near'], jobs: [jobs[0]!.job] },
    ])
    const declined = [{ job: jobs[0]!.job, declined: { near: NOW + 60_000 } }]
    expect(planBatch({ now: NOW, centre: O, jobs: declined, riders, settings })[0]!.riderIds).toEqual(['far'])
    // An exclusion ends.
    const lapsed = [{ job: jobs[0]!.job, declined: { near: NOW - 1 } }]
    expect(planBatch({ now: NOW, centre: O, jobs: lapsed, riders, settings })[0]!.riderIds).toEqual(['near'])
    const full = [rider('near', offset(O, 200), { load: 3 })]
    expect(planBatch({ now: NOW, centre: O, jobs, riders: full, settings })).toEqual([])
  })

  it('waits for food that is far from ready (rolling horizon), and commits when the rider must leave', () => {
    const later = [{ job: job('o1', O, { readyAt: NOW + 30 * 60_000 }), declined: {} }]
    const riders = [rider('r', offset(O, 500))]
    expect(planBatch({ now: NOW, centre: O, jobs: later, riders, settings })).toEqual([])
    expect(planBatch({ now: NOW + 28 * 60_000, centre: O, jobs: later, riders, settings })).toHaveLength(1)
  })

  it('bundles orders of one store when orders outnumber riders, within what the rider can carry', () => {
    const store = offset(O, 300)
    const jobs = ['a', 'b', 'c'].map((id) => ({
      job: job(id, store, { dropoff: offset(store, 1200, 100) }),
      declined: {},
    }))
    const plans = planBatch({ now: NOW, centre: O, jobs, riders: [rider('r', O, { capacity: 2 })], settings })
    expect(plans).toHaveLength(1)
    expect(plans[0]!.jobs.length).toBeGreaterThanOrEqual(1)
    expect(plans[0]!.jobs.length).toBeLessThanOrEqual(2)
  })

  it('grab mode shows a bundle to the nearest few riders', () => {
    const riders = ['a', 'b', 'c', 'd'].map((id, i) => rider(id, offset(O, 300 * (i + 1))))
    const plans = planBatch({
      now: NOW,
      centre: O,
      jobs: [{ job: job('o1', O), declined: {} }],
      riders,
      settings: { ...settings, mode: 'grab' },
    })
    expect(plans[0]!.riderIds).toEqual(['a', 'b', 'c'])
  })
})

describe('views', () => {
  it('hides the door and phone before pickup and shows them after', () => {
    const j = job('o1', O)
    const route = planRiderRoute(O, NOW, [
      { orderId: 'o1', pickup: j.pickup, dropoff: j.dropoff, readyAt: NOW, pickedUp: false },
    ])
    const before = taskView({ job: j, status: 'assigned', assignedAt: NOW }, route, '137****1111')
    expect(before.dropoff).toBeUndefined()
    expect(before.customerPhone).toBeUndefined()
    expect(before.etaDropoffAt).toBeGreaterThan(before.etaPickupAt)
    expect(routeView(route, new Set()).find((s) => s.kind === 'dropoff')!.pos).toBeUndefined()
    const after = taskView({ job: j, status: 'picked_up', assignedAt: NOW }, route, '137****1111')
    expect(after).toMatchObject({ dropoff: j.dropoff, customerPhone: '137****1111' })
    expect(routeView(route, new Set(['o1'])).find((s) => s.kind === 'dropoff')!.pos).toEqual(j.dropoff)
    const ov = offerView({ offerId: 'x', cell: 'ws10b', jobs: [j], expiresAt: NOW, mode: 'offer' })
    expect(JSON.stringify(ov)).not.toContain(String(j.dropoff.lat))
    expect(ov.jobs[0]!.tripM).toBe(Math.round(haversineM(j.pickup, j.dropoff) / 100) * 100)
  })
})

describe('settings and retries', () => {
  it('reads the env with defaults and bounds', () => {
    expect(dispatchSettings({})).toEqual(DEFAULT_DISPATCH)
    expect(
      dispatchSettings({
        DISPATCH_MODE: 'grab',
        DISPATCH_OFFER_TIMEOUT_MS: '15000',
        DISPATCH_BATCH_MS: '2000',
      }),
    ).toEqual({
      mode: 'grab',
      offerTimeoutMs: 15_000,
      batchIntervalMs: 2_000,
    })
    expect(
      dispatchSettings({
        DISPATCH_MODE: 'auction',
        DISPATCH_OFFER_TIMEOUT_MS: '1',
        DISPATCH_BATCH_MS: 'soon',
      }),
    ).toEqual({
      mode: 'offer',
      offerTimeoutMs: 1_000,
      batchIntervalMs: DEFAULT_DISPATCH.batchIntervalMs,
    })
  })

  it('backs off exponentially to a cap', () => {
    expect([1, 2, 3].map(outboxBackoffMs)).toEqual([2_000, 4_000, 8_000])
    expect(outboxBackoffMs(50)).toBe(OUTBOX_MAX_BACKOFF_MS)
  })
})

describe('rider channel client', () => {
  const snap: RiderSnapshot = {
    riderId: 'r',
    name: 'n',
    phone: 'p',
    capacity: 3,
    autoAccept: false,
    onDuty: true,
    load: 0,
    tasks: [],
    route: [],
    offers: [],
    intervalMs: 15_000,
  }
  it('applies messages in order and asks for a snapshot on a gap', () => {
    let st = applyRiderMessage(null, 0, { type: 'snapshot', seq: 4, state: snap })
    if (st === 'gap') throw new Error('gap')
    const offer = { offerId: 'o', mode: 'offer' as const, expiresAt: 1, jobs: [] }
    st = applyRiderMessage(st.state, st.seq, { type: 'offer', seq: 5, offer })
    if (st === 'gap') throw new Error('gap')
    expect(st.state!.offers).toHaveLength(1)
    st = applyRiderMessage(st.state, st.seq, { type: 'loc.ack', at: 1, intervalMs: 120_000, cell: 'ws10b' })
    if (st === 'gap') throw new Error('gap')
    expect(st).toMatchObject({ seq: 5, state: { intervalMs: 120_000 } })
    expect(applyRiderMessage(st.state, st.seq, { type: 'duty', seq: 7, onDuty: false })).toBe('gap')
    const old = applyRiderMessage(st.state, st.seq, { type: 'duty', seq: 5, onDuty: false })
    expect(old).toEqual({ state: st.state, seq: 5 })
  })
})
