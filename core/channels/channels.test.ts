import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Order } from '../order'
import { PromotionsSchema, priceOrder } from '../pricing'
import { applyStoreMessage, type StoreServerMessage, type StoreSnapshot, type TableMapEntry } from './store'
import {
  applyTableMessage,
  type CartLine,
  cartOrder,
  type RoundSummary,
  TableClientMessage,
  type TableServerMessage,
  type TableSnapshot,
} from './table'

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x)
    Object.freeze(v)
  }
  return v
}

const cartLine = (lineId: string, qty = 1): CartLine => ({
  lineId,
  dinerId: 'din_1',
  dinerName: '小王',
  itemId: 'rice',
  skuId: 'std',
  optionIds: [],
  qty,
  note: '',
  name: '米饭',
  skuName: '标准',
  optionNames: [],
  unitPriceFen: 200,
  addedAt: 1,
})

const round = (roundNo: number, state: RoundSummary['state'] = 'PLACED'): RoundSummary => ({
  roundNo,
  orderId: `ord_${roundNo}`,
  pickupNo: `A00${roundNo}`,
  state,
  paid: false,
  totalFen: 1000,
  dinerId: 'din_1',
  lines: [],
  placedAt: 1,
})

const table = (): TableSnapshot => ({
  storeId: '001',
  tableKey: '0001-00001',
  label: 'A1',
  status: 'seated',
  sessionId: 'ses_1',
  payMode: 'pay_after',
  menuVersion: 1,
  diners: [{ id: 'din_1', name: '小王' }],
  cart: [cartLine('l1')],
  rounds: [],
  soldOut: [],
})

describe('applyTableMessage', () => {
  it('takes a snapshot whatever came before', () => {
    const snap = table()
    expect(applyTableMessage(null, 0, { type: 'snapshot', seq: 7, state: snap })).toEqual({
      state: snap,
      seq: 7,
    })
    expect(applyTableMessage(table(), 99, { type: 'snapshot', seq: 3, state: snap })).toEqual({
      state: snap,
      seq: 3,
    })
  })

  it('applies each kind of update in order without touching the old state', () => {
    const s0 = deepFreeze(table())
    const msgs: TableServerMessage[] = [
      { type: 'cart.line', seq: 1, line: cartLine('l2') },
      { type: 'cart.line', seq: 2, line: cartLine('l1', 3) },
      { type: 'cart.removed', seq: 3, lineIds: ['l2'] },
      { type: 'round', seq: 4, round: round(1) },
      { type: 'round', seq: 5, round: round(1, 'COOKING') },
      { type: 'status', seq: 6, status: 'dining', sessionId: 'ses_1' },
      { type: 'diners', seq: 7, diners: [{ id: 'din_2', name: '小李' }] },
      { type: 'sold_out', seq: 8, soldOut: ['rice'] },
      { type: 'menu', seq: 9, menuVersion: 2 },
    ]
    let cur: { state: TableSnapshot | null; seq: number } = { state: s0, seq: 0 }
    for (const m of msgs) {
      const r = applyTableMessage(cur.state, cur.seq, m)
      if (r === 'gap') throw new Error(`unexpected gap at ${m.type}`)
      cur = r
    }
    expect(cur.seq).toBe(9)
    expect(cur.state).toMatchObject({
      cart: [cartLine('l1', 3)],
      rounds: [round(1, 'COOKING')],
      status: 'dining',
      diners: [{ id: 'din_2', name: '小李' }],
      soldOut: ['rice'],
      menuVersion: 2,
    })
    expect(s0).toEqual(table())
  })

  it('reports a gap when a message was missed', () => {
    expect(applyTableMessage(table(), 4, { type: 'menu', seq: 6, menuVersion: 2 })).toBe('gap')
  })

  it('needs a snapshot before any update', () => {
    expect(applyTableMessage(null, 0, { type: 'menu', seq: 1, menuVersion: 2 })).toBe('gap')
  })

  it('ignores duplicates and stale messages', () => {
    const s = table()
    expect(applyTableMessage(s, 5, { type: 'menu', seq: 5, menuVersion: 9 })).toEqual({ state: s, seq: 5 })
    expect(applyTableMessage(s, 5, { type: 'menu', seq: 2, menuVersion: 9 })).toEqual({ state: s, seq: 5 })
  })

  it('passes errors through without moving seq', () => {
    const s = table()
    expect(
      applyTableMessage(s, 5, { type: 'error', code: 'ITEM_SOLD_OUT', message: 'x', opId: 'op1' }),
    ).toEqual({
      state: s,
      seq: 5,
    })
  })

  it('validates client messages on receipt', () => {
    expect(TableClientMessage.safeParse({ type: 'cart.qty', lineId: 'l1', qty: 2 }).success).toBe(true)
    expect(
      TableClientMessage.parse({
        type: 'cart.add',
        menuVersion: 1,
        line: { itemId: 'rice', skuId: 'std', qty: 1 },
      }),
    ).toMatchObject({ line: { optionIds: [], note: '' } })
    expect(TableClientMessage.safeParse({ type: 'cart.qty', lineId: 'l1', qty: -1 }).success).toBe(false)
    expect(
      TableClientMessage.safeParse({ type: 'cart.add', menuVersion: 1, line: { itemId: 'rice', qty: 1 } })
        .success,
    ).toBe(false)
    expect(TableClientMessage.safeParse({ type: 'drop_tables' }).success).toBe(false)
  })

  type CartUpdate = Extract<TableServerMessage, { type: 'cart.line' | 'cart.removed' }>
  // Model: the cart after the first k updates, applied in order, kept in the one cart order (cartOrder).
  const cartModel = (msgs: CartUpdate[], k: number): CartLine[] => {
    let cart = table().cart
    for (const m of msgs.slice(0, k)) {
      if (m.type === 'cart.line')
        cart = cart.some((l) => l.lineId === m.line.lineId)
          ? cart.map((l) => (l.lineId === m.line.lineId ? m.line : l))
          : [...cart, m.line].sort(cartOrder)
      if (m.type === 'cart.removed') cart = cart.filter((l) => !m.lineIds.includes(l.lineId))
    }
    return cart
  }

  it('delivered out of order, with drops and duplicates, the state always equals the in-order prefix (property)', () => {
    const update = fc.oneof(
      fc
        .record({ lineId: fc.constantFrom('l1', 'l2', 'l3'), qty: fc.integer({ min: 1, max: 9 }) })
        .map(({ lineId, qty }) => ({ type: 'cart.line' as const, line: cartLine(lineId, qty) })),
      fc.subarray(['l1', 'l2', 'l3']).map((lineIds) => ({ type: 'cart.removed' as const, lineIds })),
    )
    fc.assert(
      fc.property(
        fc.array(update, { minLength: 1, maxLength: 15 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (updates, order) => {
          const msgs: CartUpdate[] = updates.map((u, i) => ({ ...u, seq: i + 1 }))
          let cur: { state: TableSnapshot | null; seq: number } = { state: table(), seq: 0 }
          // Whatever the network does, then the missing messages in order (as after a resync).
          const delivery = [...order.map((n) => msgs[n % msgs.length]!), ...msgs]
          for (const m of delivery) {
            const r = applyTableMessage(cur.state, cur.seq, m)
            if (r === 'gap') {
              expect(m.seq).toBeGreaterThan(cur.seq + 1)
              continue
            }
            expect(r.seq === cur.seq || r.seq === cur.seq + 1).toBe(true)
            cur = r
            expect(cur.state?.cart).toEqual(cartModel(msgs, cur.seq))
          }
          expect(cur.seq).toBe(msgs.length)
        },
      ),
    )
  })
})

// ---- store channel ----

const entry = (tableKey: string, status: TableMapEntry['status'] = 'idle'): TableMapEntry => ({
  tableKey,
  areaNo: '0001',
  areaName: '大厅',
  tableNo: tableKey.slice(-5),
  label: tableKey,
  seats: 4,
  status,
  openOrders: 0,
  updatedAt: 1,
})

function order(id: string, state: Order['state'] = 'PLACED'): Order {
  const price = priceOrder({
    lines: [],
    mode: 'pickup',
    member: false,
    promotions: PromotionsSchema.parse({}),
  })
  return {
    id,
    storeId: '001',
    mode: 'pickup',
    state,
    paid: true,
    payMode: 'pay_first',
    pickupNo: 'A001',
    lines: price.lines,
    price,
    totalFen: price.totalFen,
    note: '',
    createdAt: 1,
    updatedAt: 1,
    version: 1,
  }
}

const store = (): StoreSnapshot => ({
  storeId: '001',
  name: '面馆',
  menuVersion: 1,
  orders: [order('ord_1')],
  tables: [entry('0001-00001')],
  soldOut: [],
  remaining: {},
  printers: [],
  moneyAlerts: [],
})

describe('applyStoreMessage', () => {
  it('applies each kind of update in order without touching the old state', () => {
    const s0 = deepFreeze(store())
    const msgs: StoreServerMessage[] = [
      { type: 'order', seq: 11, order: order('ord_2'), alert: true },
      { type: 'order', seq: 12, order: order('ord_1', 'ACCEPTED'), alert: false },
      { type: 'table', seq: 13, table: entry('0001-00001', 'dining') },
      { type: 'table', seq: 14, table: entry('0001-00002') },
      { type: 'availability', seq: 15, soldOut: ['rice'], remaining: { std: 3 } },
      { type: 'menu', seq: 16, menuVersion: 5 },
    ]
    let cur: { state: StoreSnapshot | null; seq: number } = { state: s0, seq: 10 }
    for (const m of msgs) {
      const r = applyStoreMessage(cur.state, cur.seq, m)
      if (r === 'gap') throw new Error(`unexpected gap at ${m.type}`)
      cur = r
    }
    expect(cur.seq).toBe(16)
    expect(cur.state?.orders.map((o) => [o.id, o.state])).toEqual([
      ['ord_1', 'ACCEPTED'],
      ['ord_2', 'PLACED'],
    ])
    expect(cur.state?.tables.map((t) => [t.tableKey, t.status])).toEqual([
      ['0001-00001', 'dining'],
      ['0001-00002', 'idle'],
    ])
    expect(cur.state).toMatchObject({ soldOut: ['rice'], remaining: { std: 3 }, menuVersion: 5 })
    expect(s0).toEqual(store())
  })

  it('detects gaps, ignores duplicates and needs a snapshot first', () => {
    const s = store()
    expect(applyStoreMessage(s, 3, { type: 'menu', seq: 5, menuVersion: 2 })).toBe('gap')
    expect(applyStoreMessage(s, 3, { type: 'menu', seq: 3, menuVersion: 2 })).toEqual({ state: s, seq: 3 })
    expect(applyStoreMessage(null, 0, { type: 'menu', seq: 1, menuVersion: 2 })).toBe('gap')
    expect(applyStoreMessage(null, 0, { type: 'snapshot', seq: 4, state: s })).toEqual({ state: s, seq: 4 })
    expect(applyStoreMessage(s, 3, { type: 'error', code: 'X', message: 'x' })).toEqual({ state: s, seq: 3 })
  })

  it('never skips a message whatever the delivery order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.nat(), { maxLength: 40 }), (n, order) => {
        const msgs: StoreServerMessage[] = Array.from({ length: n }, (_, i) => ({
          type: 'menu',
          seq: i + 1,
          menuVersion: i + 1,
        }))
        let cur: { state: StoreSnapshot | null; seq: number } = { state: store(), seq: 0 }
        for (const m of [...order.map((k) => msgs[k % n]!), ...msgs]) {
          const r = applyStoreMessage(cur.state, cur.seq, m)
          if (r === 'gap') continue
          cur = r
          // menuVersion i is message i: equal means every earlier message was applied.
          expect(cur.state?.menuVersion).toBe(cur.seq === 0 ? 1 : cur.seq)
        }
        expect(cur.seq).toBe(n)
      }),
    )
  })
})
