import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DomainError } from './errors'
import {
  type Availability,
  findItem,
  type LineRequest,
  LineRequestSchema,
  type Menu,
  MenuItemSchema,
  OptionGroupSchema,
  resolveLine,
} from './menu'

const menu: Menu = {
  storeId: '001',
  version: 3,
  categories: [{ id: 'noodle', name: '面', sort: 0 }],
  items: [
    MenuItemSchema.parse({
      id: 'beef-noodle',
      categoryId: 'noodle',
      name: '牛肉面',
      skus: [
        { id: 'small', name: '小碗', priceFen: 1800, memberPriceFen: 1600, packagingFeeFen: 100 },
        { id: 'large', name: '大碗', priceFen: 2200 },
      ],
      optionGroups: [
        {
          id: 'spice',
          name: '辣度',
          min: 1,
          max: 1,
          options: [
            { id: 'mild', name: '微辣' },
            { id: 'hot', name: '特辣' },
          ],
        },
        {
          id: 'extra',
          name: '加料',
          min: 0,
          max: 2,
          options: [
            { id: 'egg', name: '加蛋', priceFen: 200 },
            { id: 'beef', name: '加牛肉', priceFen: 800 },
            { id: 'tofu', name: '加豆腐', priceFen: 300 },
          ],
        },
      ],
      allergens: ['gluten'],
      prepMinutes: 8,
    }),
    MenuItemSchema.parse({
      id: 'tea',
      categoryId: 'noodle',
      name: '柠檬茶',
      station: 'bar',
      skus: [{ id: 'cup', name: '杯', priceFen: 900, memberPriceFen: 1200 }],
    }),
  ],
}

const req = (over: Partial<Parameters<typeof resolveLine>[1]> = {}) =>
  LineRequestSchema.parse({ itemId: 'beef-noodle', skuId: 'small', optionIds: ['mild'], qty: 1, ...over })

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
    return undefined
  } catch (e) {
    if (e instanceof DomainError) return e.code
    throw e
  }
}

describe('resolveLine', () => {
  it('prices SKU plus options, per unit, for list and member price', () => {
    const l = resolveLine(menu, req({ optionIds: ['hot', 'egg', 'beef'], qty: 2, note: '少葱' }))
    expect(l).toMatchObject({
      itemId: 'beef-noodle',
      skuId: 'small',
      qty: 2,
      note: '少葱',
      name: '牛肉面',
      skuName: '小碗',
      optionNames: ['特辣', '加蛋', '加牛肉'],
      categoryId: 'noodle',
      station: 'hot',
      prepMinutes: 8,
      allergens: ['gluten'],
      unitPriceFen: 2800,
      memberUnitPriceFen: 2600,
      packagingFeeFen: 100,
    })
    expect(l.optionIds).toEqual(['beef', 'egg', 'hot'])
  })

  it('uses the list price as member price when there is none or it is higher', () => {
    expect(resolveLine(menu, req({ skuId: 'large' })).memberUnitPriceFen).toBe(2200)
    expect(
      resolveLine(menu, LineRequestSchema.parse({ itemId: 'tea', skuId: 'cup', qty: 1 })).memberUnitPriceFen,
    ).toBe(900)
  })

  it.each([
    ['an unknown item', { itemId: 'pizza' }, 'UNKNOWN_ITEM'],
    ['an unknown sku', { skuId: 'huge' }, 'UNKNOWN_SKU'],
    ['an unknown option', { optionIds: ['mild', 'cheese'] }, 'INVALID_OPTIONS'],
    ['an option of another item', { itemId: 'tea', skuId: 'cup', optionIds: ['egg'] }, 'INVALID_OPTIONS'],
    ['an option chosen twice', { optionIds: ['mild', 'egg', 'egg'] }, 'INVALID_OPTIONS'],
    ['too few options', { optionIds: ['egg'] }, 'INVALID_OPTIONS'],
    ['too many in one group', { optionIds: ['mild', 'hot'] }, 'INVALID_OPTIONS'],
    ['too many extras', { optionIds: ['mild', 'egg', 'beef', 'tofu'] }, 'INVALID_OPTIONS'],
    ['qty 0', { qty: 0 }, 'INVALID_QUANTITY'],
    ['qty 100', { qty: 100 }, 'INVALID_QUANTITY'],
    ['a fractional qty', { qty: 1.5 }, 'INVALID_QUANTITY'],
    ['a NaN qty', { qty: Number.NaN }, 'INVALID_QUANTITY'],
  ] as [string, Partial<LineRequest>, string][])('rejects %s', (_, over, code) => {
    // Bypass the schema: objects call resolveLine with whatever reached them.
    const raw = { itemId: 'beef-noodle', skuId: 'small', optionIds: ['mild'], qty: 1, note: '', ...over }
    expect(codeOf(() => resolveLine(menu, raw))).toBe(code)
  })

  it('reports which group is wrong', () => {
    try {
      resolveLine(menu, req({ optionIds: [] }))
      expect.unreachable()
    } catch (e) {
      expect((e as DomainError).details).toMatchObject({ groupId: 'spice', min: 1, max: 1, chosen: 0 })
    }
  })

  it('rejects a sold-out item', () => {
    const availability: Availability = { soldOut: ['beef-noodle'], remaining: {} }
    expect(codeOf(() => resolveLine(menu, req(), availability))).toBe('ITEM_SOLD_OUT')
    expect(
      codeOf(() =>
        resolveLine(menu, LineRequestSchema.parse({ itemId: 'tea', skuId: 'cup', qty: 1 }), availability),
      ),
    ).toBe(undefined)
  })

  it('accepts every valid choice of extras and prices it exactly (property)', () => {
    const extras = { egg: 200, beef: 800, tofu: 300 }
    fc.assert(
      fc.property(
        fc.constantFrom('mild', 'hot'),
        fc.subarray(Object.keys(extras) as (keyof typeof extras)[], { maxLength: 2 }),
        fc.constantFrom('small', 'large'),
        fc.integer({ min: 1, max: 99 }),
        (spice, picked, skuId, qty) => {
          const l = resolveLine(menu, req({ optionIds: [spice, ...picked], skuId, qty }))
          const base = skuId === 'small' ? 1800 : 2200
          expect(l.unitPriceFen).toBe(base + picked.reduce((a, o) => a + extras[o], 0))
          expect(l.memberUnitPriceFen).toBeLessThanOrEqual(l.unitPriceFen)
          expect(l.qty).toBe(qty)
        },
      ),
    )
  })
})

describe('menu schemas', () => {
  it('fills item defaults', () => {
    const item = MenuItemSchema.parse({
      id: 'x',
      categoryId: 'c',
      name: 'X',
      skus: [{ id: 's', name: 'S', priceFen: 1 }],
    })
    expect(item).toMatchObject({
      description: '',
      optionGroups: [],
      allergens: [],
      prepMinutes: 10,
      station: 'hot',
      spicy: 0,
      tags: [],
      sort: 0,
    })
    expect(item.skus[0]!.packagingFeeFen).toBe(0)
  })

  it('refuses option groups whose minimum cannot be met', () => {
    const opts = [{ id: 'a', name: 'A' }]
    expect(OptionGroupSchema.safeParse({ id: 'g', name: 'G', min: 2, max: 1, options: opts }).success).toBe(
      false,
    )
    expect(OptionGroupSchema.safeParse({ id: 'g', name: 'G', min: 2, max: 2, options: opts }).success).toBe(
      false,
    )
    expect(OptionGroupSchema.safeParse({ id: 'g', name: 'G', min: 1, max: 1, options: opts }).success).toBe(
      true,
    )
  })

  it('refuses bad ids, prices and quantities', () => {
    const sku = { id: 's', name: 'S', priceFen: 1 }
    expect(MenuItemSchema.safeParse({ id: 'Bad Id', categoryId: 'c', name: 'X', skus: [sku] }).success).toBe(
      false,
    )
    expect(
      MenuItemSchema.safeParse({ id: 'x', categoryId: 'c', name: 'X', skus: [{ ...sku, priceFen: 1.5 }] })
        .success,
    ).toBe(false)
    expect(MenuItemSchema.safeParse({ id: 'x', categoryId: 'c', name: 'X', skus: [] }).success).toBe(false)
    expect(LineRequestSchema.safeParse({ itemId: 'x', skuId: 's', qty: 0 }).success).toBe(false)
    expect(LineRequestSchema.parse({ itemId: 'x', skuId: 's', qty: 1 })).toEqual({
      itemId: 'x',
      skuId: 's',
      qty: 1,
      optionIds: [],
      note: '',
    })
  })

  it('finds items by id', () => {
    expect(findItem(menu, 'tea')?.name).toBe('柠檬茶')
    expect(findItem(menu, 'nope')).toBeUndefined()
  })
})
