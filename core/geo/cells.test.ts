import fc from 'fast-check'
import ngeohash from 'ngeohash'
import { describe, expect, it } from 'vitest'
import { DomainError } from '../errors'
import { CELL_PRECISION, cellBounds, cellOf, cellsWithin, distanceToCellM, neighbours } from './cells'
import { EARTH_RADIUS_M } from './distance'

const china = fc.record({
  lat: fc.double({ min: 18, max: 53, noNaN: true }),
  lng: fc.double({ min: 74, max: 134, noNaN: true }),
})

/** A point at distance d (metres) and bearing b (radians) from c, by the spherical direct formula. */
function destination(c: { lat: number; lng: number }, d: number, b: number) {
  const R = Math.PI / 180
  const delta = d / EARTH_RADIUS_M
  const phi1 = c.lat * R
  const phi2 = Math.asin(Math.sin(phi1) * Math.cos(delta) + Math.cos(phi1) * Math.sin(delta) * Math.cos(b))
  const lambda =
    c.lng * R +
    Math.atan2(
      Math.sin(b) * Math.sin(delta) * Math.cos(phi1),
      Math.cos(delta) - Math.sin(phi1) * Math.sin(phi2),
    )
  return { lat: phi2 / R, lng: lambda / R }
}

describe('cellOf', () => {
  it('is a precision-5 geohash by default, and 7/8 on request', () => {
    const p = { lat: 39.9087, lng: 116.3975 }
    expect(cellOf(p)).toHaveLength(CELL_PRECISION)
    expect(cellOf(p)).toBe('wx4g0')
    expect(cellOf(p, 7).startsWith(cellOf(p))).toBe(true)
    expect(cellOf(p, 8)).toHaveLength(8)
  })

  it('contains its point', () => {
    fc.assert(
      fc.property(china, fc.constantFrom(5, 7, 8), (p, precision) => {
        const b = cellBounds(cellOf(p, precision))
        expect(p.lat).toBeGreaterThanOrEqual(b.south)
        expect(p.lat).toBeLessThanOrEqual(b.north)
        expect(p.lng).toBeGreaterThanOrEqual(b.west)
        expect(p.lng).toBeLessThanOrEqual(b.east)
        expect(distanceToCellM(p, cellOf(p, precision))).toBe(0)
      }),
    )
  })

  it('validates the point', () => {
    expect(() => cellOf({ lat: 91, lng: 0 })).toThrow(DomainError)
  })
})

describe('neighbours', () => {
  it('gives 8 distinct cells around, none of them the cell itself', () => {
    fc.assert(
      fc.property(china, fc.constantFrom(5, 7, 8), (p, precision) => {
        const c = cellOf(p, precision)
        const ns = neighbours(c)
        expect(ns).toHaveLength(8)
        expect(new Set(ns).size).toBe(8)
        expect(ns).not.toContain(c)
      }),
    )
  })

  it('is symmetric: every neighbour counts the cell among its own neighbours', () => {
    fc.assert(
      fc.property(china, fc.constantFrom(5, 7, 8), (p, precision) => {
        const c = cellOf(p, precision)
        for (const n of neighbours(c)) expect(neighbours(n)).toContain(c)
      }),
    )
  })

  it('goes clockwise from north', () => {
    const c = cellOf({ lat: 30.5, lng: 114.3 })
    const [n, , e, , s, , w] = neighbours(c)
    const mid = cellBounds(c)
    expect(cellBounds(n!).south).toBeCloseTo(mid.north, 9)
    expect(cellBounds(e!).west).toBeCloseTo(mid.east, 9)
    expect(cellBounds(s!).north).toBeCloseTo(mid.south, 9)
    expect(cellBounds(w!).east).toBeCloseTo(mid.west, 9)
  })
})

describe('cellsWithin', () => {
  it('covers every point of the circle', () => {
    fc.assert(
      fc.property(
        china,
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
        (center, radiusM, f, bearing) => {
          const cells = new Set(cellsWithin(center, radiusM))
          // Points on the rim are the hardest case; sqrt spreads the rest evenly over the disc.
          for (const d of [radiusM, radiusM * Math.sqrt(f)]) {
            expect(cells.has(cellOf(destination(center, d, bearing)))).toBe(true)
          }
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('returns only cells the circle reaches', () => {
    fc.assert(
      fc.property(china, fc.integer({ min: 0, max: 10_000 }), (center, radiusM) => {
        for (const c of cellsWithin(center, radiusM)) {
          expect(distanceToCellM(center, c)).toBeLessThanOrEqual(radiusM + 1)
        }
      }),
    )
  })

  it('is the own cell alone for a zero radius, and a 3x3 block or less for 3 km at 30°N', () => {
    const p = { lat: 30.25, lng: 120.17 }
    expect(cellsWithin(p, 0)).toEqual([cellOf(p)])
    const cells = cellsWithin(p, 3000)
    expect(cells).toContain(cellOf(p))
    expect(cells.length).toBeLessThanOrEqual(9)
    for (const c of cells) expect([cellOf(p), ...neighbours(cellOf(p))]).toContain(c)
  })

  it('agrees with the exact candidate set from ngeohash.bboxes', () => {
    const p = { lat: 22.54, lng: 114.06 }
    const all = ngeohash.bboxes(22.4, 113.9, 22.7, 114.2, 5)
    const within = new Set(cellsWithin(p, 8000))
    for (const c of all) expect(within.has(c)).toBe(distanceToCellM(p, c) <= 8001)
  })

  it('refuses a negative, non-finite or huge radius', () => {
    const p = { lat: 30, lng: 120 }
    for (const r of [-1, Number.NaN, Number.POSITIVE_INFINITY, 50_001]) {
      expect(() => cellsWithin(p, r)).toThrow(DomainError)
    }
  })
})
