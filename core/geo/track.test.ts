import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DomainError } from '../errors'
import { projector } from './distance'
import {
  acceptFix,
  DEFAULT_TRACK_RULES,
  DEFAULT_TRAIL_LEN,
  type Fix,
  isStill,
  MOVING_INTERVAL_MS,
  reportIntervalMs,
  STILL_INTERVAL_MS,
  STILL_WINDOW_MS,
  trailAppend,
} from './track'

const origin = { lat: 22.5431, lng: 114.0579 }
const local = projector(origin)
const T0 = 1_700_000_000_000

/** A fix x metres east, y metres north of the origin, `s` seconds after T0. */
function fix(x: number, y: number, s: number, accuracyM = 10): Fix {
  return { ...local.fromXY({ x, y }), at: T0 + s * 1000, accuracyM }
}

describe('acceptFix', () => {
  it('accepts the first fix and ordinary riding', () => {
    expect(acceptFix(undefined, fix(0, 0, 0))).toBe('ok')
    // 7 m/s e-bike for 15 s.
    expect(acceptFix(fix(0, 0, 0), fix(105, 0, 15))).toBe('ok')
    // A car on an expressway, 33 m/s (120 km/h).
    expect(acceptFix(fix(0, 0, 0), fix(500, 0, 15))).toBe('ok')
  })

  it('refuses out-of-order and repeated timestamps', () => {
    expect(acceptFix(fix(0, 0, 10), fix(10, 0, 9))).toBe('out_of_order')
    expect(acceptFix(fix(0, 0, 10), fix(10, 0, 10))).toBe('out_of_order')
  })

  it('refuses impossible jumps', () => {
    // 2 km in 10 s is 200 m/s.
    expect(acceptFix(fix(0, 0, 0), fix(2000, 0, 10))).toBe('impossible_jump')
    // Just over 40 m/s once both fixes' accuracy (10 + 10 m) is granted.
    expect(acceptFix(fix(0, 0, 0), fix(0, 40 * 15 + 20 + 2, 15))).toBe('impossible_jump')
    expect(acceptFix(fix(0, 0, 0), fix(0, 40 * 15 + 20 - 2, 15))).toBe('ok')
  })

  it('does not call jitter between close fixes a jump', () => {
    // Standing still, 1 s apart, the fix wanders 25 m: 25 m/s raw, but within the two 15 m accuracies.
    expect(acceptFix(fix(0, 0, 0, 15), fix(25, 0, 1, 15))).toBe('ok')
  })

  it('refuses inaccurate fixes, even as the first', () => {
    expect(acceptFix(undefined, fix(0, 0, 0, 51))).toBe('inaccurate')
    expect(acceptFix(fix(0, 0, 0), fix(5, 0, 5, 200))).toBe('inaccurate')
    expect(acceptFix(fix(0, 0, 0), fix(5, 0, 5, Number.NaN))).toBe('inaccurate')
    expect(acceptFix(fix(0, 0, 0), fix(5, 0, 5, 50))).toBe('ok')
  })

  it('honours custom rules', () => {
    const strict = { maxSpeedMps: 10, maxAccuracyM: 20 }
    expect(acceptFix(fix(0, 0, 0, 5), fix(200, 0, 10, 5), strict)).toBe('impossible_jump')
    expect(acceptFix(undefined, fix(0, 0, 0, 25), strict)).toBe('inaccurate')
  })

  it('throws on coordinates off the globe', () => {
    expect(() => acceptFix(undefined, { lat: 95, lng: 0, at: T0, accuracyM: 5 })).toThrow(DomainError)
  })

  it('accepts any physically possible move (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
        (dtMs, speedShare, angle) => {
          const d = DEFAULT_TRACK_RULES.maxSpeedMps * speedShare * (dtMs / 1000)
          const a = fix(0, 0, 0)
          const b = {
            ...local.fromXY({ x: d * Math.cos(angle), y: d * Math.sin(angle) }),
            at: a.at + dtMs,
            accuracyM: 10,
          }
          expect(acceptFix(a, b)).toBe('ok')
        },
      ),
    )
  })
})

describe('reportIntervalMs', () => {
  it('defaults to 15 s moving and 2 min still', () => {
    expect(MOVING_INTERVAL_MS).toBe(15_000)
    expect(STILL_INTERVAL_MS).toBe(120_000)
  })

  it('reports often with too little history', () => {
    expect(reportIntervalMs([])).toBe(MOVING_INTERVAL_MS)
    expect(reportIntervalMs([fix(0, 0, 0)])).toBe(MOVING_INTERVAL_MS)
    // Standing for 60 s is not yet "still" (a red light).
    const shortStop = Array.from({ length: 5 }, (_, i) => fix(i, 0, i * 15))
    expect(reportIntervalMs(shortStop)).toBe(MOVING_INTERVAL_MS)
  })

  it('switches to 2 min once the rider stays within 30 m for 2 min, with GPS jitter', () => {
    const waiting = Array.from({ length: 10 }, (_, i) => fix(i % 2 ? 12 : -12, i % 3 ? 8 : -8, i * 15))
    expect(isStill(waiting)).toBe(true)
    expect(reportIntervalMs(waiting)).toBe(STILL_INTERVAL_MS)
  })

  it('stays still at the 2-minute cadence it asked for', () => {
    const slow = [fix(0, 0, 0), fix(5, 5, 121), fix(-5, 3, 242)]
    expect(reportIntervalMs(slow)).toBe(STILL_INTERVAL_MS)
    // Even if the app reports a little early.
    expect(reportIntervalMs([fix(0, 0, 0), fix(5, 5, 119), fix(-5, 3, 238)])).toBe(STILL_INTERVAL_MS)
  })

  it('switches back to 15 s as soon as the rider moves', () => {
    const waiting = Array.from({ length: 10 }, (_, i) => fix(0, 0, i * 15))
    const movedOff = [...waiting, fix(60, 0, 150)]
    expect(reportIntervalMs(movedOff)).toBe(MOVING_INTERVAL_MS)
    // After a 2-minute report too.
    expect(reportIntervalMs([fix(0, 0, 0), fix(0, 0, 121), fix(400, 0, 242)])).toBe(MOVING_INTERVAL_MS)
  })

  it('counts a move earlier in the window', () => {
    // Moved 50 m during the window and came back: not still.
    const fixes = [fix(0, 0, 0), fix(50, 0, 60), fix(0, 0, 125)]
    expect(reportIntervalMs(fixes)).toBe(MOVING_INTERVAL_MS)
  })

  it('is moving for any ride at 5 m/s or more sampled every 15 s (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 5, max: 40, noNaN: true }),
        fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
        fc.integer({ min: 2, max: 20 }),
        (speed, angle, n) => {
          const fixes = Array.from({ length: n }, (_, i) =>
            fix(speed * 15 * i * Math.cos(angle), speed * 15 * i * Math.sin(angle), i * 15),
          )
          expect(reportIntervalMs(fixes)).toBe(MOVING_INTERVAL_MS)
        },
      ),
    )
  })

  it('is still for jitter of ±10 m per axis held over the window (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.double({ min: -10, max: 10, noNaN: true }),
            fc.double({ min: -10, max: 10, noNaN: true }),
          ),
          {
            minLength: STILL_WINDOW_MS / 15_000 + 1,
            maxLength: 40,
          },
        ),
        (offsets) => {
          const fixes = offsets.map(([x, y], i) => fix(x, y, i * 15))
          expect(reportIntervalMs(fixes)).toBe(STILL_INTERVAL_MS)
        },
      ),
    )
  })
})

describe('trailAppend', () => {
  it('appends without changing the input', () => {
    const trail = [fix(0, 0, 0)]
    const next = trailAppend(trail, fix(1, 0, 15))
    expect(next).toHaveLength(2)
    expect(trail).toHaveLength(1)
  })

  it('keeps the latest maxLen fixes, oldest first', () => {
    let trail: Fix[] = []
    for (let i = 0; i < 10; i++) trail = trailAppend(trail, fix(i, 0, i), 4)
    expect(trail.map((f) => f.at - T0)).toEqual([6000, 7000, 8000, 9000])
  })

  it('defaults to 60 fixes and refuses a silly maxLen', () => {
    expect(DEFAULT_TRAIL_LEN).toBe(60)
    let trail: Fix[] = []
    for (let i = 0; i < 100; i++) trail = trailAppend(trail, fix(i, 0, i))
    expect(trail).toHaveLength(60)
    expect(() => trailAppend([], fix(0, 0, 0), 0)).toThrow(RangeError)
    expect(() => trailAppend([], fix(0, 0, 0), 1.5)).toThrow(RangeError)
  })

  it('never exceeds maxLen and always ends with the new fix (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 50 }), (n, maxLen) => {
        const trail = Array.from({ length: n }, (_, i) => fix(i, 0, i))
        const next = trailAppend(trail, fix(0, 0, 1000), maxLen)
        expect(next.length).toBe(Math.min(n + 1, maxLen))
        expect(next.at(-1)?.at).toBe(T0 + 1_000_000)
      }),
    )
  })
})
