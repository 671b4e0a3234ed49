import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { LatLng } from './coords'
import { haversineM, projector } from './distance'
import {
  CUSTOMER_NEAR_RADIUS_M,
  circleFence,
  distanceToFenceM,
  FENCE_HYSTERESIS_M,
  type Fence,
  fenceTransition,
  pointInPolygon,
  STORE_ARRIVAL_RADIUS_M,
  signedDistanceM,
} from './geofence'

const store = { lat: 31.2304, lng: 121.4737 }
const local = projector(store)
/** A point x metres east and y metres north of the store. */
const at = (x: number, y = 0): LatLng => local.fromXY({ x, y })

/** A 400 m x 300 m rectangle east/north of the store, plus a concave notch. */
const lShape: Fence = {
  kind: 'polygon',
  points: [at(0, 0), at(400, 0), at(400, 300), at(200, 300), at(200, 150), at(0, 150)],
}

describe('circle fences', () => {
  const fence = circleFence(store, STORE_ARRIVAL_RADIUS_M)

  it('measures signed distance to the rim', () => {
    expect(signedDistanceM(store, fence)).toBeCloseTo(-100, 6)
    expect(signedDistanceM(at(150), fence)).toBeCloseTo(50, 0)
    expect(distanceToFenceM(at(50), fence)).toBe(0)
    expect(distanceToFenceM(at(0, 130), fence)).toBeCloseTo(30, 0)
  })

  it('enters at the rim and leaves only beyond the hysteresis band', () => {
    expect(fenceTransition(false, at(101), fence)).toBe(null)
    expect(fenceTransition(false, at(99), fence)).toBe('enter')
    expect(fenceTransition(true, at(50), fence)).toBe(null)
    expect(fenceTransition(true, at(100 + FENCE_HYSTERESIS_M - 1), fence)).toBe(null)
    expect(fenceTransition(true, at(100 + FENCE_HYSTERESIS_M + 1), fence)).toBe('leave')
    expect(fenceTransition(false, at(200), fence)).toBe(null)
  })

  it('follows a rider driving in and out again: one enter, one leave', () => {
    const fence300 = circleFence(store, CUSTOMER_NEAR_RADIUS_M)
    let inside = false
    const events: string[] = []
    for (let x = 1000; x >= -1000; x -= 20) {
      const t = fenceTransition(inside, at(x, 10), fence300)
      if (t) {
        events.push(`${t}@${x}`)
        inside = t === 'enter'
      }
    }
    // 10 m off-centre: x = 300 is just outside (300.2 m), x = -340 the first step past 300 + 30 m.
    expect(events).toEqual(['enter@280', 'leave@-340'])
  })
})

describe('no flapping under jitter within the hysteresis band', () => {
  const fences: [string, Fence][] = [
    ['circle', circleFence(store, STORE_ARRIVAL_RADIUS_M)],
    ['polygon', lShape],
  ]
  for (const [name, fence] of fences) {
    it(`${name}: a run whose distances to the edge span less than the band changes state at most once`, () => {
      fc.assert(
        fc.property(
          fc.boolean(),
          // Centre of the jitter somewhere near the edge, then readings scattered around it.
          fc.double({ min: -40, max: 40, noNaN: true }),
          fc.array(fc.double({ min: -0.49, max: 0.49, noNaN: true }), { minLength: 1, maxLength: 60 }),
          (startInside, centreOffset, jitter) => {
            // Walk out along a ray from inside the fence that crosses its edge at a known point.
            const edge = name === 'circle' ? at(STORE_ARRIVAL_RADIUS_M) : at(400, 75)
            const edgeXY = local.toXY(edge)
            let inside = startInside
            let transitions = 0
            for (const j of jitter) {
              const p = local.fromXY({ x: edgeXY.x + centreOffset + j * FENCE_HYSTERESIS_M, y: edgeXY.y })
              const t = fenceTransition(inside, p, fence)
              if (t) {
                transitions++
                inside = t === 'enter'
              }
            }
            expect(transitions).toBeLessThanOrEqual(1)
          },
        ),
        { numRuns: 2000 },
      )
    })
  }

  it('with no hysteresis, the same jitter does flap (the band is what prevents it)', () => {
    const fence = circleFence(store, STORE_ARRIVAL_RADIUS_M)
    let inside = false
    let transitions = 0
    for (const x of [99, 101, 99, 101, 99, 101]) {
      const t = fenceTransition(inside, at(x), fence, 0)
      if (t) {
        transitions++
        inside = t === 'enter'
      }
    }
    expect(transitions).toBe(6)
  })
})

describe('polygons', () => {
  it('contains points inside and not in the notch or outside', () => {
    const pts = (lShape as Extract<Fence, { kind: 'polygon' }>).points
    expect(pointInPolygon(at(100, 75), pts)).toBe(true)
    expect(pointInPolygon(at(300, 250), pts)).toBe(true)
    expect(pointInPolygon(at(100, 250), pts)).toBe(false) // the notch
    expect(pointInPolygon(at(500, 75), pts)).toBe(false)
    expect(pointInPolygon(at(-10, 75), pts)).toBe(false)
  })

  it('measures distance to the nearest edge, negative inside', () => {
    expect(signedDistanceM(at(100, 75), lShape)).toBeCloseTo(-75, 0)
    expect(signedDistanceM(at(100, 200), lShape)).toBeCloseTo(50, 0) // up into the notch
    expect(signedDistanceM(at(450, 400), lShape)).toBeCloseTo(Math.hypot(50, 100), 0) // corner
  })

  it('agrees with the signed distance sign everywhere (property)', () => {
    const pts = (lShape as Extract<Fence, { kind: 'polygon' }>).points
    fc.assert(
      fc.property(
        fc.double({ min: -200, max: 600, noNaN: true }),
        fc.double({ min: -200, max: 500, noNaN: true }),
        (x, y) => {
          const p = at(x, y)
          const d = signedDistanceM(p, lShape)
          // Points within a millimetre of an edge may go either way.
          if (Math.abs(d) > 0.001) expect(d < 0).toBe(pointInPolygon(p, pts))
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('a square polygon and a point inside a circle agree with haversine', () => {
    const p = at(30, 40)
    expect(haversineM(store, p)).toBeCloseTo(50, 0)
    expect(signedDistanceM(p, circleFence(store, 60))).toBeCloseTo(-10, 0)
  })
})
