import fc from 'fast-check'
import gcoord from 'gcoord'
import { describe, expect, it } from 'vitest'
import { DomainError } from '../errors'
import { assertLatLng, fromGcj02, inChinaBox, type LatLng, toGcj02 } from './coords'
import { haversineM } from './distance'

/**
 * gcoord's China box inset by 0.05°: the largest shift is ~0.007°, so a point this far inside keeps its
 * shifted image inside too. Closer to the box's edges (open sea and foreign land) the shift is a step
 * function and has no exact inverse.
 */
const china = fc.record({
  lat: fc.double({ min: 0.8293 + 0.05, max: 55.8271 - 0.05, noNaN: true }),
  lng: fc.double({ min: 72.004 + 0.05, max: 137.8347 - 0.05, noNaN: true }),
})

/** The design target from the issue. */
const ROUND_TRIP_LIMIT_M = 0.5

describe('datum conversion round trips', () => {
  it('WGS-84 -> GCJ-02 -> WGS-84 stays within 0.5 m (measured max ~0.15 mm)', () => {
    let worst = 0
    fc.assert(
      fc.property(china, (wgs) => {
        const back = fromGcj02(toGcj02(wgs, 'WGS84'), 'WGS84')
        const err = haversineM(wgs, back)
        worst = Math.max(worst, err)
        expect(err).toBeLessThan(ROUND_TRIP_LIMIT_M)
      }),
      { numRuns: 5000 },
    )
    // The iteration runs to 1e-9° (~0.1 mm); far tighter than the 0.5 m asked for.
    expect(worst).toBeLessThan(0.001)
  })

  it('GCJ-02 -> WGS-84 -> GCJ-02 stays within 0.5 m', () => {
    fc.assert(
      fc.property(china, (gcj) => {
        expect(haversineM(gcj, toGcj02(fromGcj02(gcj, 'WGS84'), 'WGS84'))).toBeLessThan(0.001)
      }),
      { numRuns: 2000 },
    )
  })

  it('BD-09 round trips both ways within 0.5 m (gcoord alone is ~0.2 m off; we refine)', () => {
    let worst = 0
    fc.assert(
      fc.property(china, (p) => {
        const a = haversineM(p, toGcj02(fromGcj02(p, 'BD09'), 'BD09'))
        const b = haversineM(p, fromGcj02(toGcj02(p, 'BD09'), 'BD09'))
        worst = Math.max(worst, a, b)
        expect(Math.max(a, b)).toBeLessThan(ROUND_TRIP_LIMIT_M)
      }),
      { numRuns: 3000 },
    )
    expect(worst).toBeLessThan(0.001)
  })

  it("gcoord's own BD-09 inverse is the approximation we refine", () => {
    // Documents why toGcj02(_, 'BD09') iterates: the closed-form inverse alone misses by centimetres+.
    let worst = 0
    for (let lat = 18; lat <= 53; lat += 0.5) {
      for (let lng = 74; lng <= 134; lng += 0.5) {
        const bd = fromGcj02({ lat, lng }, 'BD09')
        const [gLng, gLat] = gcoord.transform([bd.lng, bd.lat], gcoord.BD09, gcoord.GCJ02) as [number, number]
        worst = Math.max(worst, haversineM({ lat, lng }, { lat: gLat, lng: gLng }))
      }
    }
    expect(worst).toBeGreaterThan(0.01)
    expect(worst).toBeLessThan(ROUND_TRIP_LIMIT_M)
  })

  it('returns at the edge of the China box, where gcoord GCJ02->WGS84 would loop forever', () => {
    // lng 72.0041 lies inside the box, but its would-be WGS preimage lies outside and is not shifted.
    const p = { lat: 40, lng: 72.0041 }
    const w = fromGcj02(p, 'WGS84')
    expect(Number.isFinite(w.lat) && Number.isFinite(w.lng)).toBe(true)
    expect(haversineM(p, w)).toBeLessThan(1000)
  })
})

describe('reference points', () => {
  it('Tiananmen WGS-84 (39.90872, 116.39748) -> GCJ-02 ~(39.91012, 116.40372), ~555 m shift', () => {
    const wgs = { lat: 39.90872, lng: 116.39748 }
    const gcj = toGcj02(wgs, 'WGS84')
    expect(haversineM(gcj, { lat: 39.91012, lng: 116.40372 })).toBeLessThan(3)
    // The well-known Beijing offset is some 500-700 m, mostly eastward.
    const shift = haversineM(wgs, gcj)
    expect(shift).toBeGreaterThan(500)
    expect(shift).toBeLessThan(700)
    expect(gcj.lng).toBeGreaterThan(wgs.lng)
  })

  it("matches gcoord's published test vector at (45, 123)", () => {
    // hujiulong/gcoord test/unit/crs/WGS84.spec.ts
    const gcj = toGcj02({ lat: 45, lng: 123 }, 'WGS84')
    expect(gcj.lat).toBeCloseTo(45.00197815, 6)
    expect(gcj.lng).toBeCloseTo(123.00607541, 6)
    const bd = fromGcj02(gcj, 'BD09')
    expect(bd.lat).toBeCloseTo(45.0083293, 6)
    expect(bd.lng).toBeCloseTo(123.0124491, 6)
  })

  it('WGS->GCJ shifts stay under 750 m across the box (measured max ~719 m)', () => {
    fc.assert(
      fc.property(china, (wgs) => {
        expect(haversineM(wgs, toGcj02(wgs, 'WGS84'))).toBeLessThan(750)
      }),
    )
  })
})

describe('outside China and validation', () => {
  it('leaves WGS-84 points outside the China box unchanged; BD-09 is offset everywhere', () => {
    const paris = { lat: 48.8584, lng: 2.2945 }
    expect(inChinaBox(paris)).toBe(false)
    expect(toGcj02(paris, 'WGS84')).toEqual(paris)
    expect(fromGcj02(paris, 'WGS84')).toEqual(paris)
    const bd = fromGcj02(paris, 'BD09')
    expect(haversineM(paris, bd)).toBeGreaterThan(500)
    expect(haversineM(paris, toGcj02(bd, 'BD09'))).toBeLessThan(0.001)
  })

  it('GCJ02 to GCJ02 is the identity', () => {
    const p = { lat: 31.2304, lng: 121.4737 }
    expect(toGcj02(p, 'GCJ02')).toBe(p)
    expect(fromGcj02(p, 'GCJ02')).toBe(p)
  })

  it.each<[string, LatLng]>([
    ['lat > 90', { lat: 90.0001, lng: 0 }],
    ['lat < -90', { lat: -91, lng: 0 }],
    ['lng > 180', { lat: 0, lng: 180.5 }],
    ['lng < -180', { lat: 0, lng: -181 }],
    ['NaN', { lat: Number.NaN, lng: 116 }],
    ['Infinity', { lat: 39, lng: Number.POSITIVE_INFINITY }],
  ])('refuses %s with VALIDATION_FAILED', (_, p) => {
    for (const call of [() => toGcj02(p, 'WGS84'), () => fromGcj02(p, 'BD09'), () => assertLatLng(p)]) {
      try {
        call()
        expect.unreachable()
      } catch (e) {
        expect(e).toBeInstanceOf(DomainError)
        expect((e as DomainError).code).toBe('VALIDATION_FAILED')
        expect((e as DomainError).status).toBe(400)
      }
    }
  })

  it('accepts the range limits', () => {
    expect(() => assertLatLng({ lat: 90, lng: 180 })).not.toThrow()
    expect(() => assertLatLng({ lat: -90, lng: -180 })).not.toThrow()
  })
})
