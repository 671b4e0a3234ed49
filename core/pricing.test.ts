import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DomainError } from './errors'
import type { ResolvedLine } from './menu'
import { sumFen } from './money'
import { ORDER_MODES } from './order-machine'
import {
  type Coupon,
  type PriceBreakdown,
  type PricingInput,
  type Promotions,
  PromotionsSchema,
  priceOrder,
} from './pricing'

function line(over: Partial<ResolvedLine> = {}): ResolvedLine {
  const unitPriceFen = over.unitPriceFen ?? 1000
  return {
    itemId: 'rice',
    skuId: 'std',
    optionIds: [],
    qty: 1,
    note: '',
    name: '米饭',
    skuName: '标准',
    optionNames: [],
    categoryId: 'staple',
    station: 'hot',
    prepMinutes: 5,
    allergens: [],
    unitPriceFen,
    memberUnitPriceFen: unitPriceFen,
    packagingFeeFen: 0,
    ...over,
  }
}

const promos = (p: Partial<Record<keyof Promotions, unknown>> = {}): Promotions => PromotionsSchema.parse(p)
const coupon = (c: Partial<Coupon> & Pick<Coupon, 'code' | 'kind'>): unknown => ({ label: c.code, ...c })

function price(input: Partial<PricingInput> & Pick<PricingInput, 'lines'>): PriceBreakdown {
  const out = priceOrder({ mode: 'dine_in', member: false, promotions: promos(), ...input })
  // The explanation must always add up to the total the diner pays.
  expect(sumFen(out.steps.map((s) => s.amountFen))).toBe(out.totalFen)
  expect(out.totalFen).toBe(out.itemsFen - out.discountFen + out.feesFen)
  return out
}

const amounts = (b: PriceBreakdown) => b.steps.map((s) => [s.kind, s.amountFen])

describe('priceOrder: list price', () => {
  it('sums list prices with no promotions', () => {
    const b = price({
      lines: [line({ unitPriceFen: 1800, qty: 2 }), line({ itemId: 'tea', unitPriceFen: 1200 })],
    })
    expect(b.itemsFen).toBe(4800)
    expect(b.totalFen).toBe(4800)
    expect(b.discountFen).toBe(0)
    expect(b.steps).toEqual([{ kind: 'items', label: '商品', amountFen: 4800 }])
    expect(b.lines.map((l) => [l.lineNo, l.unitPaidFen, l.lineTotalFen])).toEqual([
      [1, 1800, 3600],
      [2, 1200, 1200],
    ])
  })

  it('prices an empty order at zero', () => {
    expect(price({ lines: [] }).totalFen).toBe(0)
  })

  it('refuses malformed lines and fees instead of mispricing', () => {
    expect(() =>
      priceOrder({ lines: [line({ qty: 0 })], mode: 'dine_in', member: false, promotions: promos() }),
    ).toThrow(DomainError)
    expect(() =>
      priceOrder({
        lines: [line({ unitPriceFen: 10.5 })],
        mode: 'dine_in',
        member: false,
        promotions: promos(),
      }),
    ).toThrow(RangeError)
    expect(() =>
      priceOrder({
        lines: [line()],
        mode: 'delivery',
        member: false,
        promotions: promos(),
        deliveryFeeFen: -1,
      }),
    ).toThrow(DomainError)
  })
})

describe('priceOrder: member price and item discounts', () => {
  it('applies the member price only to members', () => {
    const l = line({ unitPriceFen: 2000, memberUnitPriceFen: 1800, qty: 2 })
    expect(price({ lines: [l] }).totalFen).toBe(4000)
    const b = price({ lines: [l], member: true })
    expect(amounts(b)).toEqual([
      ['items', 4000],
      ['member', -400],
    ])
    expect(b.steps[1]).toMatchObject({ label: '会员价', lineNo: 1 })
    expect(b.lines[0]!.unitPaidFen).toBe(1800)
    expect(b.totalFen).toBe(3600)
  })

  it('ignores a member price above the list price', () => {
    const b = price({ lines: [line({ unitPriceFen: 1000, memberUnitPriceFen: 1200 })], member: true })
    expect(b.totalFen).toBe(1000)
    expect(b.steps.some((s) => s.kind === 'member')).toBe(false)
  })

  it('rounds a percentage reduction down, per unit', () => {
    const p = promos({ discounts: [{ id: 'd12', label: '全场88折', kind: 'percent', percentOff: 12 }] })
    const b = price({ lines: [line({ unitPriceFen: 1999, qty: 3 })], promotions: p })
    // 12% of 1999 is 239.88: the diner gets 239 off each unit.
    expect(b.lines[0]!.unitPaidFen).toBe(1760)
    expect(amounts(b)).toEqual([
      ['items', 5997],
      ['discount', -717],
    ])
    expect(b.steps[1]).toMatchObject({ label: '全场88折', ref: 'd12', lineNo: 1 })
  })

  it('picks the single best discount per line and respects its scope', () => {
    const p = promos({
      discounts: [
        { id: 'p20', label: '8折', kind: 'percent', percentOff: 20, itemIds: ['beef'] },
        { id: 'f500', label: '立减5元', kind: 'fixed', offFen: 500, categoryIds: ['noodle'] },
        { id: 'drink', label: '饮品减1元', kind: 'fixed', offFen: 100, categoryIds: ['drink'] },
      ],
    })
    const b = price({
      lines: [
        line({ itemId: 'beef', categoryId: 'noodle', unitPriceFen: 2000 }), // 400 vs 500: fixed wins
        line({ itemId: 'beef', categoryId: 'noodle', unitPriceFen: 3000 }), // 600 vs 500: percent wins
        line({ itemId: 'rice', categoryId: 'staple', unitPriceFen: 300 }), // out of every scope
      ],
      promotions: p,
    })
    expect(b.lines.map((l) => l.unitPaidFen)).toEqual([1500, 2400, 300])
    expect(b.steps.filter((s) => s.kind === 'discount').map((s) => [s.ref, s.lineNo])).toEqual([
      ['f500', 1],
      ['p20', 2],
    ])
  })

  it('never discounts a unit below zero', () => {
    const p = promos({ discounts: [{ id: 'big', label: '立减50元', kind: 'fixed', offFen: 5000 }] })
    const b = price({ lines: [line({ unitPriceFen: 1200, qty: 2 })], promotions: p })
    expect(b.lines[0]!.unitPaidFen).toBe(0)
    expect(amounts(b)).toEqual([
      ['items', 2400],
      ['discount', -2400],
    ])
    expect(b.totalFen).toBe(0)
  })

  it('discounts the member price, not the list price', () => {
    const p = promos({ discounts: [{ id: 'd10', label: '9折', kind: 'percent', percentOff: 10 }] })
    const b = price({
      lines: [line({ unitPriceFen: 2000, memberUnitPriceFen: 1800 })],
      member: true,
      promotions: p,
    })
    expect(amounts(b)).toEqual([
      ['items', 2000],
      ['member', -200],
      ['discount', -180],
    ])
    expect(b.totalFen).toBe(1620)
  })
})

describe('priceOrder: 满减 tiers', () => {
  const tiers = [
    { thresholdFen: 5000, offFen: 500 },
    { thresholdFen: 10000, offFen: 2000 },
  ]

  it('applies the best tier the subtotal reaches', () => {
    const b = price({ lines: [line({ unitPriceFen: 10500 })], promotions: promos({ tiers }) })
    expect(b.steps.at(-1)).toMatchObject({ kind: 'tier', label: '满100减20', amountFen: -2000 })
    expect(b.totalFen).toBe(8500)
  })

  it('reads the threshold on the discounted subtotal', () => {
    const p = promos({ tiers, discounts: [{ id: 'd10', label: '9折', kind: 'percent', percentOff: 10 }] })
    const b = price({ lines: [line({ unitPriceFen: 10500 })], promotions: p })
    // 10500 -> 9450 after 9折: below 100 yuan, so only 满50减5.
    expect(b.steps.at(-1)).toMatchObject({ kind: 'tier', label: '满50减5', amountFen: -500 })
    expect(b.totalFen).toBe(8950)
  })

  it('applies no tier below every threshold, and labels odd amounts in yuan', () => {
    expect(price({ lines: [line({ unitPriceFen: 4999 })], promotions: promos({ tiers }) }).totalFen).toBe(
      4999,
    )
    const b = price({
      lines: [line({ unitPriceFen: 9950 })],
      promotions: promos({ tiers: [{ thresholdFen: 9950, offFen: 1005 }] }),
    })
    expect(b.steps.at(-1)?.label).toBe('满99.5减10.05')
  })

  it('never takes off more than the subtotal', () => {
    const b = price({
      lines: [line({ unitPriceFen: 300 })],
      promotions: promos({ tiers: [{ thresholdFen: 100, offFen: 500 }] }),
    })
    expect(b.steps.at(-1)?.amountFen).toBe(-300)
    expect(b.totalFen).toBe(0)
  })
})

describe('priceOrder: coupons', () => {
  const coupons = [
    coupon({ code: 'SAVE5', kind: 'amount', valueFen: 500, minSpendFen: 3000 }),
    coupon({ code: 'PCT10', kind: 'percent', percentOff: 10, maxOffFen: 800 }),
    coupon({ code: 'DELIVERY', kind: 'amount', valueFen: 300, modes: ['delivery'] }),
    coupon({ code: 'PURE', kind: 'amount', valueFen: 300, stackWithDiscounts: false }),
    coupon({ code: 'STACK', kind: 'amount', valueFen: 1000, stackWithTiers: true, minSpendFen: 8000 }),
    coupon({ code: 'BIG', kind: 'amount', valueFen: 3000 }),
  ]

  it('applies an amount coupon once its minimum spend is reached', () => {
    const p = promos({ coupons })
    const b = price({ lines: [line({ unitPriceFen: 3000 })], promotions: p, couponCodes: ['SAVE5'] })
    expect(b.steps.at(-1)).toMatchObject({ kind: 'coupon', amountFen: -500, ref: 'SAVE5' })
    expect(b.steps.at(-1)?.label).toContain('优惠券')
    expect(b.appliedCoupon).toBe('SAVE5')
    expect(b.totalFen).toBe(2500)

    const short = price({ lines: [line({ unitPriceFen: 2999 })], promotions: p, couponCodes: ['SAVE5'] })
    expect(short.appliedCoupon).toBeUndefined()
    expect(short.rejectedCoupons).toEqual([{ code: 'SAVE5', reason: '未满30元' }])
    expect(short.totalFen).toBe(2999)
  })

  it('caps a percent coupon at maxOffFen and rounds down', () => {
    const p = promos({ coupons })
    expect(
      price({ lines: [line({ unitPriceFen: 4999 })], promotions: p, couponCodes: ['PCT10'] }).totalFen,
    ).toBe(4500)
    expect(
      price({ lines: [line({ unitPriceFen: 20000 })], promotions: p, couponCodes: ['PCT10'] }).totalFen,
    ).toBe(19200)
  })

  it('never takes off more than the items cost', () => {
    const b = price({
      lines: [line({ unitPriceFen: 1000 })],
      promotions: promos({ coupons }),
      couponCodes: ['BIG'],
    })
    expect(b.steps.at(-1)?.amountFen).toBe(-1000)
    expect(b.totalFen).toBe(0)
  })

  it('reports unknown and unusable codes without throwing, and uses the first valid one', () => {
    const b = price({
      lines: [line({ unitPriceFen: 3000 })],
      promotions: promos({ coupons }),
      couponCodes: ['NOPE', 'DELIVERY', 'save5', 'PCT10'],
    })
    expect(b.appliedCoupon).toBe('SAVE5')
    expect(b.rejectedCoupons).toEqual([
      { code: 'NOPE', reason: '优惠券不存在' },
      { code: 'DELIVERY', reason: '不适用于当前点餐方式' },
      { code: 'PCT10', reason: '每单限用一张优惠券' },
    ])
    expect(b.steps.filter((s) => s.kind === 'coupon')).toHaveLength(1)
  })

  it('honours modes', () => {
    const b = price({
      lines: [line({ unitPriceFen: 3000 })],
      mode: 'delivery',
      promotions: promos({ coupons }),
      couponCodes: ['DELIVERY'],
    })
    expect(b.appliedCoupon).toBe('DELIVERY')
  })

  it('refuses a coupon that does not stack with discounts once any member or item discount applied', () => {
    const p = promos({ coupons })
    const plain = line({ unitPriceFen: 2000, memberUnitPriceFen: 1800 })
    expect(price({ lines: [plain], promotions: p, couponCodes: ['PURE'] }).appliedCoupon).toBe('PURE')
    const b = price({ lines: [plain], member: true, promotions: p, couponCodes: ['PURE'] })
    expect(b.appliedCoupon).toBeUndefined()
    expect(b.rejectedCoupons).toEqual([{ code: 'PURE', reason: '不与会员价或折扣同享' }])
  })

  it('lets a non-stacking coupon replace a smaller tier, and says why', () => {
    const p = promos({ coupons, tiers: [{ thresholdFen: 10000, offFen: 2000 }] })
    const b = price({ lines: [line({ unitPriceFen: 12000 })], promotions: p, couponCodes: ['BIG'] })
    expect(amounts(b)).toEqual([
      ['items', 12000],
      ['coupon', -3000],
    ])
    expect(b.steps[1]?.label).toContain('不与满减同享')
    expect(b.steps[1]?.label).toContain('满100减20')
    expect(b.totalFen).toBe(9000)
  })

  it('keeps a larger or equal tier and hands the coupon back with the reason', () => {
    const p = promos({ coupons, tiers: [{ thresholdFen: 10000, offFen: 3000 }] })
    const b = price({ lines: [line({ unitPriceFen: 12000 })], promotions: p, couponCodes: ['BIG', 'SAVE5'] })
    expect(b.appliedCoupon).toBeUndefined()
    expect(b.rejectedCoupons.map((r) => r.reason)).toEqual([
      '不与满减同享，满100减30更优惠',
      '不与满减同享，满100减30更优惠',
    ])
    expect(amounts(b)).toEqual([
      ['items', 12000],
      ['tier', -3000],
    ])
  })

  it('moves on to a later code that stacks after a non-stacking one lost to the tier', () => {
    const p = promos({ coupons, tiers: [{ thresholdFen: 10000, offFen: 3000 }] })
    const b = price({
      lines: [line({ unitPriceFen: 12000 })],
      promotions: p,
      couponCodes: ['SAVE5', 'STACK'],
    })
    expect(b.appliedCoupon).toBe('STACK')
    expect(amounts(b)).toEqual([
      ['items', 12000],
      ['tier', -3000],
      ['coupon', -1000],
    ])
  })

  it('checks the minimum spend of a stacking coupon after 满减', () => {
    const p = promos({ coupons, tiers: [{ thresholdFen: 5000, offFen: 1000 }] })
    // 8500 - 1000 = 7500 is below STACK's 80 yuan.
    const b = price({ lines: [line({ unitPriceFen: 8500 })], promotions: p, couponCodes: ['STACK'] })
    expect(b.rejectedCoupons).toEqual([{ code: 'STACK', reason: '未满80元' }])
    const ok = price({ lines: [line({ unitPriceFen: 9000 })], promotions: p, couponCodes: ['STACK'] })
    expect(ok.totalFen).toBe(7000)
  })

  it('does not spend a coupon on a free order', () => {
    const b = price({
      lines: [line({ unitPriceFen: 0 })],
      promotions: promos({ coupons }),
      couponCodes: ['BIG'],
    })
    expect(b.appliedCoupon).toBeUndefined()
    expect(b.rejectedCoupons).toEqual([{ code: 'BIG', reason: '没有可抵扣的金额' }])
  })

  it('rejects a coupon stored without its value rather than throwing', () => {
    const p: Promotions = {
      discounts: [],
      tiers: [],
      coupons: [
        {
          code: 'BROKEN',
          label: 'x',
          kind: 'amount',
          minSpendFen: 0,
          stackWithTiers: false,
          stackWithDiscounts: true,
        },
      ],
    }
    const b = price({ lines: [line()], promotions: p, couponCodes: ['BROKEN'] })
    expect(b.rejectedCoupons).toEqual([{ code: 'BROKEN', reason: '优惠券配置无效' }])
  })
})

describe('priceOrder: fees', () => {
  const lines = [
    line({ unitPriceFen: 2000, qty: 2, packagingFeeFen: 100 }),
    line({ unitPriceFen: 500, packagingFeeFen: 50 }),
  ]

  it('charges no packaging for dine-in', () => {
    const b = price({ lines, mode: 'dine_in', deliveryFeeFen: 500 })
    expect(b.feesFen).toBe(0)
    expect(b.totalFen).toBe(4500)
  })

  it('charges packaging per unit for pickup', () => {
    const b = price({ lines, mode: 'pickup', deliveryFeeFen: 500 })
    expect(b.steps.at(-1)).toEqual({ kind: 'packaging', label: '打包费', amountFen: 250 })
    expect(b.totalFen).toBe(4750)
  })

  it('adds packaging and delivery for delivery, after every reduction', () => {
    const p = promos({ tiers: [{ thresholdFen: 4000, offFen: 4500 }] })
    const b = price({ lines, mode: 'delivery', deliveryFeeFen: 500, promotions: p })
    expect(amounts(b)).toEqual([
      ['items', 4500],
      ['tier', -4500],
      ['packaging', 250],
      ['delivery', 500],
    ])
    expect(b.steps.at(-1)?.label).toBe('配送费')
    expect(b.feesFen).toBe(750)
    expect(b.discountFen).toBe(4500)
    expect(b.totalFen).toBe(750)
  })
})

describe('PromotionsSchema', () => {
  it('defaults every list', () => {
    expect(PromotionsSchema.parse({})).toEqual({ discounts: [], tiers: [], coupons: [] })
  })

  it('fills coupon defaults', () => {
    const p = promos({ coupons: [{ code: 'A1', label: '满减券', kind: 'amount', valueFen: 100 }] })
    expect(p.coupons[0]).toMatchObject({ minSpendFen: 0, stackWithTiers: false, stackWithDiscounts: true })
  })

  it.each([
    ['a percent coupon without percentOff', { coupons: [{ code: 'A', label: 'x', kind: 'percent' }] }],
    ['an amount coupon without valueFen', { coupons: [{ code: 'A', label: 'x', kind: 'amount' }] }],
    ['percentOff 100', { discounts: [{ id: 'd', label: 'x', kind: 'percent', percentOff: 100 }] }],
    ['a fractional fixed discount', { discounts: [{ id: 'd', label: 'x', kind: 'fixed', offFen: 1.5 }] }],
    ['a zero tier', { tiers: [{ thresholdFen: 100, offFen: 0 }] }],
    [
      'codes equal but for case',
      {
        coupons: [
          { code: 'ab', label: 'x', kind: 'amount', valueFen: 1 },
          { code: 'AB', label: 'y', kind: 'amount', valueFen: 2 },
        ],
      },
    ],
    [
      'duplicate discount ids',
      {
        discounts: [
          { id: 'd', label: 'x', kind: 'fixed', offFen: 1 },
          { id: 'd', label: 'y', kind: 'fixed', offFen: 2 },
        ],
      },
    ],
  ])('rejects %s', (_, input) => {
    expect(PromotionsSchema.safeParse(input).success).toBe(false)
  })
})

// ---- properties ----

const ITEMS = ['a', 'b', 'c']
const CATEGORIES = ['x', 'y']
const CODES = ['C0', 'C1', 'C2', 'C3']

const lineArb = fc
  .record({
    itemId: fc.constantFrom(...ITEMS),
    categoryId: fc.constantFrom(...CATEGORIES),
    unitPriceFen: fc.integer({ min: 0, max: 50_000 }),
    memberDelta: fc.integer({ min: -5_000, max: 5_000 }),
    qty: fc.integer({ min: 1, max: 99 }),
    packagingFeeFen: fc.integer({ min: 0, max: 500 }),
  })
  .map(({ memberDelta, unitPriceFen, ...l }) =>
    line({ ...l, unitPriceFen, memberUnitPriceFen: Math.max(0, unitPriceFen + memberDelta) }),
  )

const scopeArb = fc.record(
  { itemIds: fc.subarray(ITEMS), categoryIds: fc.subarray(CATEGORIES) },
  { requiredKeys: [] },
)
const discountArb = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 99 }), scopeArb)
    .map(([percentOff, s]) => ({ kind: 'percent', percentOff, ...s })),
  fc
    .tuple(fc.integer({ min: 0, max: 60_000 }), scopeArb)
    .map(([offFen, s]) => ({ kind: 'fixed', offFen, ...s })),
)
const couponArb = fc.record(
  {
    kind: fc.constantFrom('amount', 'percent'),
    valueFen: fc.integer({ min: 1, max: 200_000 }),
    percentOff: fc.integer({ min: 1, max: 99 }),
    minSpendFen: fc.integer({ min: 0, max: 300_000 }),
    maxOffFen: fc.integer({ min: 1, max: 100_000 }),
    stackWithTiers: fc.boolean(),
    stackWithDiscounts: fc.boolean(),
    modes: fc.subarray([...ORDER_MODES], { minLength: 1 }),
  },
  { requiredKeys: ['kind', 'valueFen', 'percentOff'] },
)
const promotionsArb = fc
  .record({
    discounts: fc.array(discountArb, { maxLength: 4 }),
    tiers: fc.array(
      fc.record({
        thresholdFen: fc.integer({ min: 1, max: 500_000 }),
        offFen: fc.integer({ min: 1, max: 600_000 }),
      }),
      { maxLength: 4 },
    ),
    coupons: fc.uniqueArray(fc.tuple(fc.constantFrom(...CODES), couponArb), {
      selector: ([c]) => c,
      maxLength: 4,
    }),
  })
  .map((p) =>
    PromotionsSchema.parse({
      discounts: p.discounts.map((d, i) => ({ id: `d${i}`, label: `折扣${i}`, ...d })),
      tiers: p.tiers,
      coupons: p.coupons.map(([code, c]) => ({ code, label: code, ...c })),
    }),
  )

const inputArb: fc.Arbitrary<PricingInput> = fc.record({
  lines: fc.array(lineArb, { maxLength: 6 }),
  mode: fc.constantFrom(...ORDER_MODES),
  member: fc.boolean(),
  promotions: promotionsArb,
  couponCodes: fc.array(fc.constantFrom(...CODES, 'c1', 'UNKNOWN'), { maxLength: 4 }),
  deliveryFeeFen: fc.integer({ min: 0, max: 2_000 }),
})

describe('priceOrder properties', () => {
  it('totals are never negative and the steps add up to the total', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const b = priceOrder(input)
        expect(b.totalFen).toBeGreaterThanOrEqual(0)
        expect(sumFen(b.steps.map((s) => s.amountFen))).toBe(b.totalFen)
        expect(b.totalFen).toBe(b.itemsFen - b.discountFen + b.feesFen)
        expect(b.discountFen).toBeGreaterThanOrEqual(0)
        expect(b.discountFen).toBeLessThanOrEqual(b.itemsFen)
        for (const s of b.steps) expect(Number.isSafeInteger(s.amountFen)).toBe(true)
        for (const v of [b.totalFen, b.itemsFen, b.discountFen, b.feesFen])
          expect(Object.is(v, -0)).toBe(false)
      }),
    )
  })

  it('no reduction exceeds what it reduces', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const b = priceOrder(input)
        for (const l of b.lines) {
          const memberUnit = input.member ? Math.min(l.memberUnitPriceFen, l.unitPriceFen) : l.unitPriceFen
          expect(l.unitPaidFen).toBeGreaterThanOrEqual(0)
          expect(l.unitPaidFen).toBeLessThanOrEqual(memberUnit)
          expect(l.lineTotalFen).toBe(l.unitPaidFen * l.qty)
          const own = b.steps.filter((s) => s.lineNo === l.lineNo)
          expect(sumFen(own.map((s) => s.amountFen))).toBe((l.unitPaidFen - l.unitPriceFen) * l.qty)
          const discount = own.find((s) => s.kind === 'discount')
          if (discount) expect(-discount.amountFen).toBeLessThanOrEqual(memberUnit * l.qty)
        }
        const subtotal = sumFen(b.lines.map((l) => l.lineTotalFen))
        const tier = b.steps.filter((s) => s.kind === 'tier')
        const coupons = b.steps.filter((s) => s.kind === 'coupon')
        expect(tier.length).toBeLessThanOrEqual(1)
        expect(coupons.length).toBeLessThanOrEqual(1)
        const afterTier = subtotal + (tier[0]?.amountFen ?? 0)
        expect(afterTier).toBeGreaterThanOrEqual(0)
        expect(afterTier + (coupons[0]?.amountFen ?? 0)).toBeGreaterThanOrEqual(0)
        for (const s of b.steps)
          if (s.kind === 'items' || s.kind === 'packaging' || s.kind === 'delivery')
            expect(s.amountFen).toBeGreaterThanOrEqual(0)
          else expect(s.amountFen).toBeLessThan(0)
      }),
    )
  })

  it('lists steps in the order they apply', () => {
    const rank = ['items', 'member', 'discount', 'tier', 'coupon', 'packaging', 'delivery']
    fc.assert(
      fc.property(inputArb, (input) => {
        const ranks = priceOrder(input).steps.map((s) => rank.indexOf(s.kind))
        expect(ranks[0]).toBe(0)
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b))
      }),
    )
  })

  it('accounts for every coupon code exactly once', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const b = priceOrder(input)
        const applied = b.steps.find((s) => s.kind === 'coupon')
        expect(b.appliedCoupon).toBe(applied?.ref)
        expect(b.rejectedCoupons.length + (applied ? 1 : 0)).toBe(input.couponCodes?.length ?? 0)
      }),
    )
  })

  it('charges fees only where they apply', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const b = priceOrder(input)
        const packaging = sumFen(input.lines.map((l) => l.packagingFeeFen * l.qty))
        const expected = { dine_in: 0, pickup: packaging, delivery: packaging + (input.deliveryFeeFen ?? 0) }
        expect(b.feesFen).toBe(expected[input.mode])
      }),
    )
  })

  it('promotions never make an order dearer than list price', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plain = priceOrder({ ...input, member: false, promotions: promos(), couponCodes: [] })
        expect(priceOrder(input).totalFen).toBeLessThanOrEqual(plain.totalFen)
        expect(plain.totalFen).toBe(plain.itemsFen + plain.feesFen)
      }),
    )
  })

  it('does not modify its input', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const copy = structuredClone(input)
        priceOrder(input)
        expect(input).toEqual(copy)
      }),
    )
  })
})

it('the generators reach every kind of step, so the properties above mean something', () => {
  const seen = new Set<string>()
  for (const input of fc.sample(inputArb, { numRuns: 2000, seed: 42 })) {
    const b = priceOrder(input)
    for (const s of b.steps) seen.add(s.kind)
    if (b.steps.some((s) => s.label.includes('不与满减同享'))) seen.add('coupon-beats-tier')
    if (b.rejectedCoupons.some((r) => r.reason.includes('不与满减同享'))) seen.add('tier-beats-coupon')
    if (b.steps.some((s) => s.kind === 'tier') && b.steps.some((s) => s.kind === 'coupon'))
      seen.add('stacked')
  }
  expect([...seen].sort()).toEqual(
    [
      'items',
      'member',
      'discount',
      'tier',
      'coupon',
      'packaging',
      'delivery',
      'coupon-beats-tier',
      'tier-beats-coupon',
      'stacked',
    ].sort(),
  )
})

describe('priceOrder: delivery quote inputs', () => {
  const lines = [line({ unitPriceFen: 2000, qty: 2, packagingFeeFen: 100 })]

  it('adds the per-order packing fee to 打包费 and labels the delivery step', () => {
    const b = price({
      lines,
      mode: 'delivery',
      deliveryFeeFen: 400,
      deliveryLabel: '配送费（3 km内）',
      packingFeeFen: 150,
    })
    expect(amounts(b)).toEqual([
      ['items', 4000],
      ['packaging', 350],
      ['delivery', 400],
    ])
    expect(b.steps.at(-1)?.label).toBe('配送费（3 km内）')
    expect(b.feesFen).toBe(750)
  })

  it('charges neither the packing fee nor delivery for pickup or dine-in', () => {
    for (const mode of ['pickup', 'dine_in'] as const) {
      const b = price({ lines, mode, deliveryFeeFen: 400, packingFeeFen: 150 })
      expect(b.steps.some((s) => s.kind === 'delivery')).toBe(false)
      expect(b.feesFen).toBe(mode === 'pickup' ? 200 : 0)
    }
  })

  it('refuses a negative or fractional packing fee', () => {
    const input = { lines, mode: 'delivery' as const, member: false, promotions: promos() }
    expect(() => priceOrder({ ...input, packingFeeFen: -1 })).toThrow(DomainError)
    expect(() => priceOrder({ ...input, packingFeeFen: 1.5 })).toThrow(RangeError)
  })

  it('free delivery (fee 0) adds no delivery step', () => {
    const b = price({ lines, mode: 'delivery', deliveryFeeFen: 0 })
    expect(b.steps.map((s) => s.kind)).toEqual(['items', 'packaging'])
  })
})

describe('priceOrder properties with delivery quotes', () => {
  const deliveryArb: fc.Arbitrary<PricingInput> = fc
    .tuple(
      inputArb,
      fc.integer({ min: 0, max: 3_000 }),
      fc.integer({ min: 0, max: 500 }),
      fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
    )
    .map(([input, deliveryFeeFen, packingFeeFen, deliveryLabel]) => ({
      ...input,
      deliveryFeeFen,
      packingFeeFen,
      ...(deliveryLabel === undefined ? {} : { deliveryLabel }),
    }))

  it('total = lines + fees - discounts, never negative', () => {
    fc.assert(
      fc.property(deliveryArb, (input) => {
        const b = priceOrder(input)
        expect(b.totalFen).toBeGreaterThanOrEqual(0)
        expect(b.totalFen).toBe(b.itemsFen + b.feesFen - b.discountFen)
        expect(sumFen(b.steps.map((s) => s.amountFen))).toBe(b.totalFen)
        for (const s of b.steps) expect(s.label.length).toBeGreaterThan(0)
      }),
    )
  })

  it('fees are exactly packaging (+ packing + delivery for delivery), untouched by promotions', () => {
    fc.assert(
      fc.property(deliveryArb, (input) => {
        const b = priceOrder(input)
        const packaging = sumFen(input.lines.map((l) => l.packagingFeeFen * l.qty))
        const extra = (input.packingFeeFen ?? 0) + (input.deliveryFeeFen ?? 0)
        const expected = { dine_in: 0, pickup: packaging, delivery: packaging + extra }
        expect(b.feesFen).toBe(expected[input.mode])
        const plain = priceOrder({ ...input, promotions: promos(), couponCodes: [], member: false })
        expect(plain.feesFen).toBe(b.feesFen)
      }),
    )
  })

  it('a dearer delivery never lowers the total, and raises it by exactly the difference', () => {
    fc.assert(
      fc.property(deliveryArb, fc.integer({ min: 0, max: 1_000 }), (input, more) => {
        const a = priceOrder(input)
        const b = priceOrder({ ...input, deliveryFeeFen: (input.deliveryFeeFen ?? 0) + more })
        expect(b.totalFen - a.totalFen).toBe(input.mode === 'delivery' ? more : 0)
      }),
    )
  })
})
