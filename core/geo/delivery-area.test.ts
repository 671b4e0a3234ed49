import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DomainError } from '../errors'
import { sumFen } from '../money'
import type { LatLng } from './coords'
import {
  type DeliveryQuote,
  type DeliverySettings,
  DeliverySettingsSchema,
  quoteDelivery,
} from './delivery-area'
import { projector } from './distance'

const store = { lat: 30.2741, lng: 120.1551 }
const local = projector(store)
/** x metres east, y metres north of the store. */
const at = (x: number, y = 0): LatLng => local.fromXY({ x, y })

const settings = (over: Record<string, unknown> = {}): DeliverySettings =>
  DeliverySettingsSchema.parse({
    area: { kind: 'radius', radiusM: 5000 },
    feeBrackets: [
      { upToM: 3000, feeFen: 300 },
      { upToM: 5000, feeFen: 500 },
    ],
    ...over,
  })

function quote(s: DeliverySettings, address: LatLng, subtotalFen = 5000): DeliveryQuote {
  const q = quoteDelivery(s, store, address, subtotalFen)
  // The explanation always adds up to the fee charged.
  expect(sumFen(q.explanation.map((e) => e.amountFen))).toBe(q.feeFen)
  expect(q.feeFen).toBeGreaterThanOrEqual(0)
  return q
}

function thrown(fn: () => unknown): DomainError {
  try {
    fn()
  } catch (e) {
    if (e instanceof DomainError) return e
    throw e
  }
  throw new Error('expected a DomainError')
}

describe('settings schema', () => {
  it('fills defaults', () => {
    const s = settings()
    expect(s.minOrderFen).toBe(0)
    expect(s.packingFeeFen).toBe(0)
    expect(s.feeDiscounts).toEqual([])
  })

  it.each([
    [
      'brackets not increasing',
      {
        feeBrackets: [
          { upToM: 3000, feeFen: 1 },
          { upToM: 3000, feeFen: 2 },
        ],
      },
    ],
    ['last bracket short of the radius', { feeBrackets: [{ upToM: 3000, feeFen: 300 }] }],
    ['no brackets', { feeBrackets: [] }],
    ['a polygon of 2 points', { area: { kind: 'polygon', points: [store, at(100)] } }],
    [
      'a polygon of 201 points',
      { area: { kind: 'polygon', points: Array.from({ length: 201 }, (_, i) => at(i)) } },
    ],
    ['a radius over 30 km', { area: { kind: 'radius', radiusM: 30_001 } }],
    ['fractional fen', { minOrderFen: 10.5 }],
    [
      'duplicate discount thresholds',
      {
        feeDiscounts: [
          { minSubtotalFen: 100, offFen: 1 },
          { minSubtotalFen: 100, offFen: 2 },
        ],
      },
    ],
    ['a vertex off the globe', { area: { kind: 'polygon', points: [store, at(100), { lat: 91, lng: 0 }] } }],
  ])('refuses %s', (_, over) => {
    expect(DeliverySettingsSchema.safeParse({ ...settings(), ...over }).success).toBe(false)
  })
})

describe('fee brackets', () => {
  it('prices by the first bracket that reaches the address', () => {
    const s = settings()
    expect(quote(s, at(1000)).feeFen).toBe(300)
    expect(quote(s, at(2999)).feeFen).toBe(300)
    expect(quote(s, at(3500)).feeFen).toBe(500)
    expect(quote(s, at(0, -4900)).feeFen).toBe(500)
  })

  it('reports distance in whole metres and prices that', () => {
    expect(quote(settings(), at(3000.4)).feeFen).toBe(300)
    const q = quote(settings(), at(3000.6))
    expect(q.distanceM).toBe(3001)
    expect(q.feeFen).toBe(500)
    expect(q.bracket).toEqual({ upToM: 5000, feeFen: 500 })
    expect(q.ok).toBe(true)
  })

  it('is monotonic in distance (property)', () => {
    const s = settings()
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4990 }), fc.integer({ min: 0, max: 4990 }), (a, b) => {
        const [near, far] = a <= b ? [a, b] : [b, a]
        expect(quote(s, at(near)).feeFen).toBeLessThanOrEqual(quote(s, at(far)).feeFen)
      }),
    )
  })

  it('explains the base fee in Chinese', () => {
    expect(quote(settings(), at(1000)).explanation).toEqual([
      { kind: 'base', label: '配送费（3 km内）', amountFen: 300 },
    ])
  })
})

describe('free delivery and discounts by order total', () => {
  const s = settings({
    freeDeliveryFromFen: 8000,
    feeDiscounts: [
      { minSubtotalFen: 3000, offFen: 100 },
      { minSubtotalFen: 5000, offFen: 200 },
    ],
  })

  it('charges the full fee below every threshold', () => {
    expect(quote(s, at(4000), 2999).feeFen).toBe(500)
  })

  it('takes the best discount reached', () => {
    expect(quote(s, at(4000), 3000).feeFen).toBe(400)
    const q = quote(s, at(4000), 5000)
    expect(q.feeFen).toBe(300)
    expect(q.explanation.at(-1)).toEqual({
      kind: 'discount',
      label: '满¥50.00减配送费¥2.00',
      amountFen: -200,
    })
  })

  it('delivers free from the threshold on', () => {
    const q = quote(s, at(4000), 8000)
    expect(q.feeFen).toBe(0)
    expect(q.explanation).toEqual([
      { kind: 'base', label: '配送费（5 km内）', amountFen: 500 },
      { kind: 'free', label: '满¥80.00免配送费', amountFen: -500 },
    ])
  })

  it('never discounts below zero', () => {
    const cheap = settings({ feeDiscounts: [{ minSubtotalFen: 1000, offFen: 1000 }] })
    const q = quote(cheap, at(1000), 2000)
    expect(q.feeFen).toBe(0)
    expect(q.explanation.at(-1)?.amountFen).toBe(-300)
  })

  it('passes on the packing fee separately', () => {
    expect(quote(settings({ packingFeeFen: 150 }), at(100)).packingFeeFen).toBe(150)
  })
})

describe('minimum order (起送价)', () => {
  const s = settings({ minOrderFen: 2000 })

  it('refuses below it with the shortfall', () => {
    const e = thrown(() => quoteDelivery(s, store, at(100), 1500))
    expect(e.code).toBe('BELOW_MINIMUM_ORDER')
    expect(e.status).toBe(422)
    expect(e.details).toEqual({ subtotalFen: 1500, minOrderFen: 2000, shortFen: 500 })
    expect(e.message).toContain('还差¥5.00起送')
    expect(e.message).toContain('minimum order')
  })

  it('accepts exactly the minimum', () => {
    expect(quote(s, at(100), 2000).feeFen).toBe(300)
  })

  it('checks the area before the minimum', () => {
    expect(thrown(() => quoteDelivery(s, store, at(6000), 100)).code).toBe('OUT_OF_DELIVERY_AREA')
  })
})

describe('refusal outside the area', () => {
  it('refuses past the radius with distance and limit', () => {
    const e = thrown(() => quoteDelivery(settings(), store, at(0, 5200), 5000))
    expect(e.code).toBe('OUT_OF_DELIVERY_AREA')
    expect(e.status).toBe(422)
    expect(e.details).toEqual({ distanceM: 5200, limitM: 5000 })
    expect(e.message).toBe(
      '地址超出配送范围：距门店5.2 km，最远配送5 km / ' +
        "The address is outside the store's delivery area: 5.2 km away, the limit is 5 km",
    )
  })

  it('accepts up to the radius and refuses a metre past it', () => {
    expect(quote(settings(), at(5000.4)).distanceM).toBe(5000)
    expect(thrown(() => quoteDelivery(settings(), store, at(5000.6), 5000)).details).toEqual({
      distanceM: 5001,
      limitM: 5000,
    })
  })

  const polygon = settings({
    area: { kind: 'polygon', points: [at(-1000, -1000), at(6000, -1000), at(6000, 1000), at(-1000, 1000)] },
    feeBrackets: [
      { upToM: 3000, feeFen: 300 },
      { upToM: 5000, feeFen: 500 },
    ],
  })

  it('polygon: quotes inside, refuses outside with how far out', () => {
    expect(quote(polygon, at(2000, 500)).feeFen).toBe(300)
    const e = thrown(() => quoteDelivery(polygon, store, at(0, 1500), 5000))
    expect(e.code).toBe('OUT_OF_DELIVERY_AREA')
    expect(e.details).toEqual({ distanceM: 1500, limitM: null, outsideByM: 500 })
    expect(e.message).toContain('地址超出配送范围')
  })

  it('polygon: a far corner past the last bracket is refused with the bracket as limit', () => {
    const e = thrown(() => quoteDelivery(polygon, store, at(5500, 0), 5000))
    expect(e.details).toEqual({ distanceM: 5500, limitM: 5000 })
  })

  it('refuses every address past the radius and quotes every one within (property)', () => {
    const s = settings()
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
        (r, angle) => {
          const p = at(r * Math.cos(angle), r * Math.sin(angle))
          if (r <= 4990) expect(quote(s, p).feeFen).toBeGreaterThan(0)
          if (r >= 5010)
            expect(thrown(() => quoteDelivery(s, store, p, 5000)).code).toBe('OUT_OF_DELIVERY_AREA')
        },
      ),
    )
  })
})

describe('input validation', () => {
  it('refuses bad coordinates and subtotals', () => {
    for (const call of [
      () => quoteDelivery(settings(), { lat: 100, lng: 0 }, at(0), 1000),
      () => quoteDelivery(settings(), store, { lat: Number.NaN, lng: 120 }, 1000),
      () => quoteDelivery(settings(), store, at(10), -1),
      () => quoteDelivery(settings(), store, at(10), 10.5),
    ]) {
      expect(thrown(call).code).toBe('VALIDATION_FAILED')
    }
  })
})
