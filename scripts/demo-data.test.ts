import { describe, expect, it } from 'vitest'
import { type Menu, resolveLine, STATIONS } from '../core/menu'
import { PromotionsSchema, priceOrder } from '../core/pricing'
import { StoreSetupSchema } from '../core/store'
import { DEMO_PRINTER_HOST, DEMO_STORE_ID, demoStoreSetup } from './demo-data'

describe('demo store', () => {
  const setup = demoStoreSetup()
  const { items, categories } = setup.menu

  it('passes the schema the Worker validates with', () => {
    expect(DEMO_STORE_ID).toMatch(/^\d{3}$/)
    expect(() => StoreSetupSchema.parse(setup)).not.toThrow()
    expect(() => PromotionsSchema.parse(setup.settings.promotions)).not.toThrow()
  })

  it('has a realistic menu: at least 30 dishes, every category used, every station used', () => {
    expect(items.length).toBeGreaterThanOrEqual(30)
    for (const c of categories) expect(items.filter((i) => i.categoryId === c.id).length).toBeGreaterThan(0)
    for (const s of STATIONS) expect(items.some((i) => i.station === s)).toBe(true)
    expect(items.every((i) => categories.some((c) => c.id === i.categoryId))).toBe(true)
  })

  it('uses unique ids, so stock and discounts name exactly one thing', () => {
    const itemIds = items.map((i) => i.id)
    const skuIds = items.flatMap((i) => i.skus.map((s) => s.id))
    expect(new Set(itemIds).size).toBe(itemIds.length)
    expect(new Set(skuIds).size).toBe(skuIds.length)
    for (const skuId of Object.keys(setup.stock)) expect(skuIds).toContain(skuId)
    for (const i of items) {
      const optionIds = i.optionGroups.flatMap((g) => g.options.map((o) => o.id))
      expect(new Set(optionIds).size, i.id).toBe(optionIds.length)
    }
    for (const d of setup.settings.promotions.discounts) {
      for (const id of d.categoryIds ?? []) expect(categories.map((c) => c.id)).toContain(id)
      for (const id of d.itemIds ?? []) expect(itemIds).toContain(id)
    }
  })

  it('exercises sizes, required and optional choices, member prices and packaging fees', () => {
    expect(items.filter((i) => i.skus.length > 1).length).toBeGreaterThanOrEqual(3)
    expect(
      items.some((i) => i.optionGroups.some((g) => g.name === '辣度' && g.min === 1 && g.max === 1)),
    ).toBe(true)
    expect(
      items.some((i) => i.optionGroups.some((g) => g.name === '加料' && g.min === 0 && g.max === 3)),
    ).toBe(true)
    expect(
      items.some((i) => i.skus.some((s) => s.memberPriceFen !== undefined && s.memberPriceFen < s.priceFen)),
    ).toBe(true)
    expect(items.some((i) => i.skus.some((s) => s.packagingFeeFen > 0))).toBe(true)
  })

  it('lets a diner order every SKU of every dish with the fewest choices', () => {
    const menu: Menu = { storeId: DEMO_STORE_ID, version: 1, categories, items }
    for (const item of items)
      for (const sku of item.skus) {
        const optionIds = item.optionGroups.flatMap((g) => g.options.slice(0, g.min).map((o) => o.id))
        expect(() =>
          resolveLine(menu, { itemId: item.id, skuId: sku.id, optionIds, qty: 1, note: '' }),
        ).not.toThrow()
      }
  })

  it('prices a typical table of four with the drinks discount and 满200减30', () => {
    const menu: Menu = { storeId: DEMO_STORE_ID, version: 1, categories, items }
    const line = (itemId: string, skuId: string, optionIds: string[], qty = 1) =>
      resolveLine(menu, { itemId, skuId, optionIds, qty, note: '' })
    const lines = [
      line('shuizhuyu', 'shuizhuyu-l', ['spice-medium', 'add-tofu']), // 88 + 4
      line('huiguorou', 'huiguorou-std', ['spice-mild']), // 36
      line('koushuiji', 'koushuiji-half', ['spice-none']), // 38
      line('fanqiedanhuatang', 'fanqiedanhuatang-l', []), // 28
      line('mifan', 'mifan-bowl', [], 4), // 8
      line('suanmeitang', 'suanmeitang-jug', ['sweet-half', 'ice-less']), // 28, 8.8折 -> 24.64
    ]
    const price = priceOrder({ lines, mode: 'dine_in', member: false, promotions: setup.settings.promotions })
    expect(price.itemsFen).toBe(23_000)
    expect(price.steps.map((s) => s.kind)).toEqual(['items', 'discount', 'tier'])
    expect(price.totalFen).toBe(23_000 - 336 - 3_000)
    expect(price.feesFen).toBe(0) // dine-in pays no packaging
  })

  it('has 20 tables in two areas with unique keys', () => {
    expect(setup.tables).toHaveLength(20)
    expect(new Set(setup.tables.map((t) => t.areaNo))).toEqual(new Set(['0001', '0002']))
    const keys = setup.tables.map((t) => `${t.areaNo}-${t.tableNo}`)
    expect(new Set(keys).size).toBe(20)
    expect(setup.tables.find((t) => t.label === 'A01')).toMatchObject({ areaNo: '0001', tableNo: '00001' })
  })

  it('has one staff account per role', () => {
    expect(setup.staff.map((s) => s.role).sort()).toEqual(['kitchen', 'manager', 'owner', 'waiter'])
  })

  describe('printers', () => {
    const printers = setup.printers ?? []
    const byId = new Map(printers.map((p) => [p.id, p]))

    it('has the four printers npm start runs virtual printers for, with unique ids and ports', () => {
      expect(printers.map((p) => p.id)).toEqual(['hot', 'cold', 'bar', 'front'])
      expect(byId.size).toBe(printers.length)
      const addresses = printers.map((p) => (p.transport.kind === 'lan' ? p.transport.address : ''))
      expect(addresses).toEqual([9101, 9102, 9103, 9104].map((port) => `tcp://${DEMO_PRINTER_HOST}:${port}`))
      expect(byId.get('hot')).toMatchObject({ name: '热菜', stations: ['hot'], width: 80, buzzer: true })
      expect(byId.get('cold')).toMatchObject({ name: '凉菜', stations: ['cold'], width: 58 })
      expect(byId.get('bar')).toMatchObject({ name: '吧台', stations: ['bar'], width: 58, copies: 1 })
      expect(byId.get('front')).toMatchObject({ name: '前台', stations: ['pass'], receipts: true, width: 80 })
    })

    it('covers every station with a printer, so no dish falls back to another station', () => {
      for (const s of STATIONS)
        expect(
          printers.some((p) => p.stations.includes(s)),
          s,
        ).toBe(true)
      for (const i of items)
        expect(
          printers.some((p) => p.stations.includes(i.station)),
          i.id,
        ).toBe(true)
    })

    it('prints receipts somewhere', () => {
      expect(printers.filter((p) => p.receipts).map((p) => p.id)).toEqual(['front'])
    })

    it('backs the wok line up with the front counter, and every backup is another printer', () => {
      expect(byId.get('hot')?.backupId).toBe('front')
      for (const p of printers)
        if (p.backupId !== undefined) {
          expect(byId.has(p.backupId), p.id).toBe(true)
          expect(p.backupId, p.id).not.toBe(p.id)
        }
    })
  })
})
