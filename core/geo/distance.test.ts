import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bearingDeg, haversineM, planarM, projector } from './distance'

const beijing = { lat: 39.9087, lng: 116.3975 }
const shanghai = { lat: 31.2304, lng: 121.4737 }

describe('haversineM', () => {
  it('is zero to itself and symmetric', () => {
    expect(haversineM(beijing, beijing)).toBe(0)
    expect(haversineM(beijing, shanghai)).toBeCloseTo(haversineM(shanghai, beijing), 6)
  })

  it('gives ~1067 km Beijing-Shanghai and 111.2 km per degree of latitude', () => {
    // Straight-line Beijing-Shanghai is commonly quoted as about 1,070 km.
    expect(haversineM(beijing, shanghai) / 1000).toBeGreaterThan(1060)
    expect(haversineM(beijing, shanghai) / 1000).toBeLessThan(1075)
    expect(haversineM({ lat: 0, lng: 0 }, { lat: 1, lng: 0 })).toBeCloseTo(111_195, -1)
  })
})

describe('bearingDeg', () => {
  it('points north, east, south and west', () => {
    const o = { lat: 30, lng: 120 }
    expect(bearingDeg(o, { lat: 30.01, lng: 120 })).toBeCloseTo(0, 6)
    expect(bearingDeg(o, { lat: 30, lng: 120.01 })).toBeCloseTo(90, 2)
    expect(bearingDeg(o, { lat: 29.99, lng: 120 })).toBeCloseTo(180, 6)
    expect(bearingDeg(o, { lat: 30, lng: 119.99 })).toBeCloseTo(270, 2)
  })

  it('stays in [0, 360)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -80, max: 80, noNaN: true }),
        fc.double({ min: -179, max: 179, noNaN: true }),
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        (lat, lng, dLat, dLng) => {
          const b = bearingDeg({ lat, lng }, { lat: lat + dLat, lng: lng + dLng })
          expect(b).toBeGreaterThanOrEqual(0)
          expect(b).toBeLessThan(360)
        },
      ),
    )
  })
})

describe('projector (equirectangular)', () => {
  const origin = fc.record({
    lat: fc.double({ min: -50, max: 50, noNaN: true }),
    lng: fc.double({ min: -180, max: 180, noNaN: true }),
  })
  /** A point within `km` of the origin, as metres east/north. */
  const offset = (km: number) => {
    const axis = fc.double({ min: -km * 700, max: km * 700, noNaN: true })
    return fc.record({ x: axis, y: axis })
  }

  it('round-trips fromXY(toXY(p)) to the millimetre', () => {
    fc.assert(
      fc.property(origin, offset(30), (o, xy) => {
        const proj = projector(o)
        const p = proj.fromXY(xy)
        const back = proj.toXY(p)
        expect(Math.abs(back.x - xy.x)).toBeLessThan(0.001)
        expect(Math.abs(back.y - xy.y)).toBeLessThan(0.001)
      }),
      { numRuns: 1000 },
    )
  })

  it('puts east on +x and north on +y', () => {
    const proj = projector(beijing)
    expect(proj.toXY(beijing)).toEqual({ x: 0, y: 0 })
    const ne = proj.toXY({ lat: beijing.lat + 0.01, lng: beijing.lng + 0.01 })
    expect(ne.x).toBeGreaterThan(0)
    expect(ne.y).toBeGreaterThan(0)
  })

  // The error the projector's comment documents: planar vs great-circle distance, up to latitude 50°.
  for (const [km, limit] of [
    [5, 0.0007],
    [10, 0.0015],
    [30, 0.004],
  ] as const) {
    it(`planar distance is within ${limit * 100}% of haversine within ${km} km`, () => {
      fc.assert(
        fc.property(origin, offset(km), offset(km), (o, a, b) => {
          const proj = projector(o)
          const pa = proj.fromXY(a)
          const pb = proj.fromXY(b)
          const h = haversineM(pa, pb)
          const planar = planarM(proj.toXY(pa), proj.toXY(pb))
          expect(Math.abs(planar - h)).toBeLessThanOrEqual(limit * h + 0.01)
        }),
        { numRuns: 3000 },
      )
    })
  }

  it('a 20 km diagonal across the origin at 45°N stays within 0.15%', () => {
    const o = { lat: 45, lng: 120 }
    const proj = projector(o)
    const a = proj.fromXY({ x: 7071, y: 7071 })
    const b = proj.fromXY({ x: -7071, y: -7071 })
    const rel = Math.abs(planarM(proj.toXY(a), proj.toXY(b)) - haversineM(a, b)) / haversineM(a, b)
    expect(rel).toBeLessThan(0.0015)
  })

  it('handles an origin near the antimeridian', () => {
    const proj = projector({ lat: 0, lng: 179.99 })
    const p = proj.toXY({ lat: 0, lng: -179.99 })
    expect(p.x).toBeGreaterThan(2000)
    expect(p.x).toBeLessThan(2300)
  })
})
