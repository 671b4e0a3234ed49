import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { STATIONS, type Station } from './menu'
import type { Order } from './order'
import type { PricedLine } from './pricing'
import { kitchenJobs, type PrinterConfig, PrinterConfigSchema, receiptJobs, voidJobs } from './tickets'

function pricedLine(over: Partial<PricedLine> = {}): PricedLine {
  return {
    itemId: 'mapo',
    skuId: 'std',
    optionIds: [],
    qty: 1,
    note: '',
    name: '麻婆豆腐',
    skuName: '标准',
    optionNames: [],
    categoryId: 'hot',
    station: 'hot',
    prepMinutes: 10,
    allergens: [],
    unitPriceFen: 2800,
    memberUnitPriceFen: 2800,
    packagingFeeFen: 0,
    lineNo: 1,
    unitPaidFen: 2800,
    lineTotalFen: 2800,
    ...over,
  }
}

function order(lines: PricedLine[], over: Partial<Order> = {}): Order {
  const numbered = lines.map((l, i) => ({ ...l, lineNo: i + 1 }))
  const total = numbered.reduce((a, l) => a + l.lineTotalFen, 0)
  return {
    id: 'ord_01HZX5K3Q7',
    storeId: 'st_1',
    mode: 'dine_in',
    state: 'ACCEPTED',
    paid: true,
    payMode: 'pay_first',
    pickupNo: 'T012',
    tableKey: 'a1',
    tableLabel: 'A1',
    sessionId: 'ses_1',
    roundNo: 1,
    lines: numbered,
    price: {
      lines: numbered,
      steps: [
        { kind: 'items', label: '商品', amountFen: total },
        { kind: 'tier', label: '满50减5', amountFen: -500 },
      ],
      itemsFen: total,
      discountFen: 500,
      feesFen: 0,
      totalFen: total - 500,
      rejectedCoupons: [],
    },
    totalFen: total - 500,
    note: '',
    createdAt: Date.UTC(2024, 4, 1, 4, 30),
    updatedAt: Date.UTC(2024, 4, 1, 4, 30),
    version: 1,
    ...over,
  }
}

const printer = (id: string, over: Partial<PrinterConfig> = {}): PrinterConfig =>
  PrinterConfigSchema.parse({
    id,
    name: id,
    transport: { kind: 'lan', address: 'tcp://192.168.1.50:9100' },
    ...over,
  })

function ids() {
  let n = 0
  return () => `job_${++n}`
}
const opts = () => ({ now: 1_000, newId: ids() })

const hot = pricedLine({ name: '麻婆豆腐', station: 'hot' })
const cold = pricedLine({ name: '拍黄瓜', station: 'cold', itemId: 'cuke' })
const beer = pricedLine({ name: '青岛啤酒', station: 'bar', itemId: 'beer', qty: 2 })

describe('PrinterConfigSchema', () => {
  it('fills defaults', () => {
    const p = printer('kitchen-1')
    expect(p).toMatchObject({ stations: [], receipts: false, copies: 1, width: 80, buzzer: false })
  })
  it('refuses bad ids, copies, widths and addresses', () => {
    const base = { id: 'p1', name: 'p', transport: { kind: 'lan', address: 'tcp://10.0.0.2:9100' } }
    expect(PrinterConfigSchema.safeParse(base).success).toBe(true)
    expect(PrinterConfigSchema.safeParse({ ...base, id: 'P1' }).success).toBe(false)
    expect(PrinterConfigSchema.safeParse({ ...base, copies: 6 }).success).toBe(false)
    expect(PrinterConfigSchema.safeParse({ ...base, copies: 0 }).success).toBe(false)
    expect(PrinterConfigSchema.safeParse({ ...base, width: 76 }).success).toBe(false)
    expect(PrinterConfigSchema.safeParse({ ...base, name: 'x'.repeat(31) }).success).toBe(false)
    expect(PrinterConfigSchema.safeParse({ ...base, stations: ['grill'] }).success).toBe(false)
    expect(
      PrinterConfigSchema.safeParse({ ...base, transport: { kind: 'lan', address: '192.168.1.5' } }).success,
    ).toBe(false)
    expect(
      PrinterConfigSchema.safeParse({ ...base, transport: { kind: 'feie', sn: '916500123' } }).success,
    ).toBe(true)
  })
})

describe('kitchenJobs', () => {
  it('sends each printer one ticket with just its stations, in order-line order', () => {
    const printers = [
      printer('hot', { stations: ['hot'] }),
      printer('cold-bar', { stations: ['bar', 'cold'] }),
    ]
    const jobs = kitchenJobs(order([hot, beer, cold]), '川味小馆', printers, opts())
    expect(jobs.map((j) => [j.id, j.printerId, j.ticket.station, j.ticket.lines.map((l) => l.name)])).toEqual(
      [
        ['job_1', 'hot', 'hot', ['麻婆豆腐']],
        ['job_2', 'cold-bar', 'bar', ['青岛啤酒', '拍黄瓜']],
      ],
    )
    const t = jobs[0]!.ticket
    expect(t).toMatchObject({
      kind: 'kitchen',
      storeName: '川味小馆',
      orderId: 'ord_01HZX5K3Q7',
      pickupNo: 'T012',
      mode: 'dine_in',
      tableLabel: 'A1',
      roundNo: 1,
      addOn: false,
      reprint: false,
      orderedAt: Date.UTC(2024, 4, 1, 4, 30),
    })
    expect(t.totalFen).toBeUndefined()
    expect(t.qr).toBeUndefined()
    expect(jobs[0]!.createdAt).toBe(1_000)
  })

  it('prints a station on every printer that covers it', () => {
    const printers = [printer('a', { stations: ['hot'] }), printer('b', { stations: ['hot'] })]
    const jobs = kitchenJobs(order([hot]), 's', printers, opts())
    expect(jobs.map((j) => j.printerId)).toEqual(['a', 'b'])
  })

  it('sends an uncovered station to the first receipt printer, never drops it', () => {
    const printers = [printer('hot', { stations: ['hot'] }), printer('front', { receipts: true })]
    const jobs = kitchenJobs(order([hot, beer]), 's', printers, opts())
    expect(jobs.map((j) => [j.printerId, j.ticket.station, j.ticket.lines.map((l) => l.name)])).toEqual([
      ['hot', 'hot', ['麻婆豆腐']],
      ['front', 'bar', ['青岛啤酒']],
    ])
  })

  it('with no receipt printer, an uncovered station goes to the first printer', () => {
    const printers = [printer('hot', { stations: ['hot'] }), printer('cold', { stations: ['cold'] })]
    const jobs = kitchenJobs(order([hot, beer]), 's', printers, opts())
    expect(jobs.map((j) => [j.printerId, j.ticket.station, j.ticket.lines.map((l) => l.name)])).toEqual([
      ['hot', 'hot', ['麻婆豆腐', '青岛啤酒']],
    ])
  })

  it('copies come from the printer', () => {
    const jobs = kitchenJobs(order([hot]), 's', [printer('p', { stations: ['hot'], copies: 3 })], opts())
    expect(jobs.map((j) => j.copies)).toEqual([3])
  })

  it('marks a later round as 加菜 and prints only its own lines', () => {
    const round2 = order([pricedLine({ name: '米饭', qty: 2 })], { roundNo: 2 })
    const [job] = kitchenJobs(round2, 's', [printer('p', { stations: ['hot'] })], opts())
    expect(job!.ticket.addOn).toBe(true)
    expect(job!.ticket.roundNo).toBe(2)
    expect(job!.ticket.lines.map((l) => [l.name, l.qty])).toEqual([['米饭', 2]])
    const [first] = kitchenJobs(order([hot], { roundNo: undefined }), 's', [printer('p')], opts())
    expect(first!.ticket.addOn).toBe(false)
  })

  it('marks reprints', () => {
    const [job] = kitchenJobs(order([hot]), 's', [printer('p', { stations: ['hot'] })], {
      ...opts(),
      reprint: true,
    })
    expect(job!.ticket.reprint).toBe(true)
  })

  it('makes no jobs without printers or without lines', () => {
    expect(kitchenJobs(order([hot]), 's', [], opts())).toEqual([])
    expect(kitchenJobs(order([]), 's', [printer('p', { stations: ['hot'] })], opts())).toEqual([])
  })

  it('a printer listed twice still prints each line once', () => {
    const p = printer('p', { stations: ['hot'] })
    const jobs = kitchenJobs(order([hot]), 's', [p, p], opts())
    expect(jobs).toHaveLength(1)
  })

  it('copies line fields without sharing arrays with the order', () => {
    const o = order([pricedLine({ optionNames: ['加辣'], allergens: ['大豆'], note: '少油' })])
    const [job] = kitchenJobs(o, 's', [printer('p', { stations: ['hot'] })], opts())
    expect(job!.ticket.lines[0]).toEqual({
      name: '麻婆豆腐',
      skuName: '标准',
      optionNames: ['加辣'],
      qty: 1,
      note: '少油',
      allergens: ['大豆'],
      station: 'hot',
      lineTotalFen: 2800,
    })
    expect(job!.ticket.lines[0]!.optionNames).not.toBe(o.lines[0]!.optionNames)
  })
})

describe('voidJobs', () => {
  const printers = [printer('hot', { stations: ['hot'] }), printer('bar', { stations: ['bar'] })]

  it('voids a subset, routed like the kitchen ticket, with the reason', () => {
    const jobs = voidJobs(order([hot, beer, cold]), 's', printers, {
      ...opts(),
      reason: '客人取消',
      lines: [2],
    })
    expect(
      jobs.map((j) => [j.printerId, j.ticket.kind, j.ticket.reason, j.ticket.lines.map((l) => l.name)]),
    ).toEqual([['bar', 'void', '客人取消', ['青岛啤酒']]])
  })

  it('voids every line when none are given, and nothing for unknown lineNos', () => {
    const all = voidJobs(order([hot, beer]), 's', printers, { ...opts(), reason: '整单取消' })
    expect(all.map((j) => j.printerId)).toEqual(['hot', 'bar'])
    expect(voidJobs(order([hot]), 's', printers, { ...opts(), reason: 'x', lines: [9] })).toEqual([])
  })

  it('goes exactly where the kitchen ticket went', () => {
    const ps = [...printers, printer('front', { receipts: true })]
    const o = order([hot, beer, cold])
    const k = kitchenJobs(o, 's', ps, opts()).map((j) => [j.printerId, j.ticket.lines])
    const v = voidJobs(o, 's', ps, { ...opts(), reason: 'r' }).map((j) => [j.printerId, j.ticket.lines])
    expect(v).toEqual(k)
  })
})

describe('receiptJobs', () => {
  it('goes to every receipt printer with total, steps and a QR of the order id', () => {
    const printers = [
      printer('hot', { stations: ['hot'] }),
      printer('front', { receipts: true, copies: 2 }),
      printer('bar', { stations: ['bar'], receipts: true }),
    ]
    const jobs = receiptJobs(order([hot, beer]), '川味小馆', printers, opts())
    expect(jobs.map((j) => [j.printerId, j.copies])).toEqual([
      ['front', 2],
      ['bar', 1],
    ])
    const t = jobs[0]!.ticket
    expect(t.kind).toBe('receipt')
    expect(t.lines).toHaveLength(2)
    expect(t.totalFen).toBe(2800 * 2 - 500)
    expect(t.steps).toEqual([
      { label: '商品', amountFen: 5600 },
      { label: '满50减5', amountFen: -500 },
    ])
    expect(t.qr).toBe('ord_01HZX5K3Q7')
    expect(t.station).toBeUndefined()
  })

  it('makes none without a receipt printer', () => {
    expect(receiptJobs(order([hot]), 's', [printer('hot', { stations: ['hot'] })], opts())).toEqual([])
    expect(receiptJobs(order([hot]), 's', [], opts())).toEqual([])
  })
})

describe('routing properties', () => {
  const station = fc.constantFrom<Station>(...STATIONS)
  const printersArb = fc
    .array(
      fc.record({
        stations: fc.uniqueArray(station, { maxLength: 4 }),
        receipts: fc.boolean(),
        copies: fc.integer({ min: 1, max: 5 }),
      }),
      { minLength: 1, maxLength: 5 },
    )
    .map((ps) => ps.map((p, i) => printer(`p${i}`, p)))
  const linesArb = fc.array(
    fc.record({ station, qty: fc.integer({ min: 1, max: 99 }) }).map((l) => pricedLine(l)),
    { maxLength: 12 },
  )

  it('every line lands on at least one kitchen ticket, never twice on one printer', () => {
    fc.assert(
      fc.property(printersArb, linesArb, (printers, lines) => {
        const o = order(lines.map((l, i) => ({ ...l, name: `菜${i + 1}` })))
        const jobs = kitchenJobs(o, 's', printers, opts())
        const perPrinter = new Map<string, string[]>()
        for (const j of jobs) {
          expect(perPrinter.has(j.printerId)).toBe(false) // one ticket per printer per order
          perPrinter.set(
            j.printerId,
            j.ticket.lines.map((l) => l.name),
          )
          expect(j.copies).toBe(printers.find((p) => p.id === j.printerId)!.copies)
        }
        for (const names of perPrinter.values()) expect(new Set(names).size).toBe(names.length)
        const printed = new Set([...perPrinter.values()].flat())
        for (const l of o.lines) expect(printed.has(l.name)).toBe(true)
        // Covered stations only print where they are covered.
        for (const j of jobs) {
          const p = printers.find((x) => x.id === j.printerId)!
          for (const l of j.ticket.lines)
            if (!p.stations.includes(l.station))
              expect(printers.some((x) => x.stations.includes(l.station))).toBe(false)
        }
      }),
    )
  })
})

describe('receipt arithmetic', () => {
  it('lines at list price plus the price steps add up to the total, whatever the discounts', async () => {
    const { priceOrder, PromotionsSchema } = await import('./pricing')
    const promotions = PromotionsSchema.parse({
      discounts: [
        { id: 'drinks', label: '饮品8.8折', kind: 'percent', percentOff: 12, categoryIds: ['drinks'] },
      ],
      tiers: [{ thresholdFen: 5000, offFen: 500 }],
    })
    const resolved = [
      {
        ...pricedLine({
          name: '酸梅汤',
          categoryId: 'drinks',
          station: 'bar',
          unitPriceFen: 800,
          memberUnitPriceFen: 800,
        }),
        qty: 2,
      },
      {
        ...pricedLine({ name: '水煮鱼', station: 'hot', unitPriceFen: 6800, memberUnitPriceFen: 6800 }),
        qty: 1,
      },
    ]
    const price = priceOrder({ lines: resolved, mode: 'dine_in', member: false, promotions })
    const o = order(price.lines, { price, totalFen: price.totalFen })
    const [job] = receiptJobs(o, '店', [printer('front', { receipts: true })], opts())
    const t = job!.ticket
    const lines = t.lines.reduce((s, l) => s + l.lineTotalFen, 0)
    const reductions = (t.steps ?? []).filter((s) => s.amountFen < 0).reduce((s, x) => s + x.amountFen, 0)
    expect(lines).toBe(2 * 800 + 6800)
    expect(lines + reductions).toBe(t.totalFen)
  })
})
