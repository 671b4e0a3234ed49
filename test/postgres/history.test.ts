// History through the production path: drainOutbox -> neonHistorySink -> @neondatabase/serverless Pool
// over WebSocket -> scripts/local-db.ts bridge -> Postgres (DATABASE_URL, or PGlite in a temp dir).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { neonConfig } from '@neondatabase/serverless'
import { asc, eq, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/neon-serverless'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import ws from 'ws'
import type { Order, OrderEventRecord } from '../../core/order'
import type { OrderEvent, OrderState } from '../../core/order-machine'
import { drainOutbox, memoryOutbox, type OutboxRow } from '../../core/outbox'
import type { PricedLine } from '../../core/pricing'
import { startLocalPostgres, startWsProxy } from '../../scripts/local-db'
import { migrateDatabase } from '../../scripts/migrate'
import { neonHistorySink } from '../../workers/history/neon'
import { historyPool } from '../../workers/history/neon-config'
import { orderEvents, orderLines, orders } from '../../workers/history/schema'
import { writeOutboxRows } from '../../workers/history/writer'

neonConfig.webSocketConstructor = ws

let url: string
let wsProxy: string
let cleanup: (() => Promise<void>)[] = []
let pool: ReturnType<typeof historyPool>
let db: ReturnType<typeof drizzle>

beforeAll(async () => {
  const proxy = await startWsProxy({ port: 0 })
  wsProxy = proxy.wsProxy
  cleanup.push(proxy.close)
  if (process.env.DATABASE_URL) {
    url = process.env.DATABASE_URL
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'history-pg-'))
    const local = await startLocalPostgres({ dataDir: dir, port: 0 })
    url = local.url
    cleanup.unshift(local.close, async () => rmSync(dir, { recursive: true, force: true }))
  }
  await migrateDatabase(url, wsProxy)
  // Twice: a rerun (or a second deploy) finds the journal and does nothing.
  await migrateDatabase(url, wsProxy)
  pool = historyPool(url, wsProxy)
  db = drizzle({ client: pool })
  cleanup.unshift(() => pool.end())
})

afterAll(async () => {
  for (const fn of cleanup) await fn()
  cleanup = []
})

beforeEach(async () => {
  await db.execute(sql`TRUNCATE ${orderEvents}, ${orderLines}, ${orders}`)
})

const T0 = Date.UTC(2026, 4, 1, 4, 0, 0)
let seq = 0

function line(lineNo: number, over: Partial<PricedLine> = {}): PricedLine {
  return {
    lineNo,
    itemId: `itm_${lineNo}`,
    skuId: `sku_${lineNo}`,
    optionIds: ['opt_spicy'],
    qty: 2,
    note: '',
    name: '宫保鸡丁',
    skuName: '大份',
    optionNames: ['微辣'],
    categoryId: 'cat_hot',
    station: 'hot',
    prepMinutes: 8,
    allergens: ['peanut'],
    unitPriceFen: 3_800,
    memberUnitPriceFen: 3_600,
    packagingFeeFen: 0,
    unitPaidFen: 3_600,
    lineTotalFen: 7_200,
    ...over,
  }
}

function order(id: string, version: number, state: OrderState, storeId = 'st_1'): Order {
  const lines = [
    line(1),
    line(2, {
      name: '米饭',
      skuName: '碗',
      optionNames: [],
      unitPriceFen: 200,
      memberUnitPriceFen: 200,
      unitPaidFen: 200,
      lineTotalFen: 400,
    }),
  ]
  return {
    id,
    storeId,
    mode: 'dine_in',
    state,
    paid: state !== 'PENDING_PAYMENT',
    payMode: 'pay_first',
    pickupNo: 'A012',
    tableKey: 'A-05',
    tableLabel: 'A区 5号桌',
    sessionId: 'ses_1',
    roundNo: 1,
    lines,
    price: {
      lines,
      steps: [
        { kind: 'items', label: '商品', amountFen: 8_000 },
        { kind: 'member', label: '会员价', amountFen: -400, lineNo: 1 },
      ],
      itemsFen: 8_000,
      discountFen: 400,
      feesFen: 0,
      totalFen: 7_600,
      rejectedCoupons: [],
    },
    totalFen: 7_600,
    note: '少放辣',
    createdAt: T0,
    updatedAt: T0 + version * 1_000,
    version,
  }
}

/** The outbox row a store writes for version `version` of an order, as in the lead's StoreDO. */
function outboxRow(o: Order, event: OrderEvent | 'create', from: OrderState | null): OutboxRow {
  const id = `evt_${String(++seq).padStart(6, '0')}`
  const rec: OrderEventRecord = {
    id,
    orderId: o.id,
    storeId: o.storeId,
    version: o.version,
    event,
    from,
    to: o.state,
    actor: event === 'create' ? 'diner' : 'waiter',
    actorId: event === 'create' ? 'din_1' : 'stf_1',
    at: o.updatedAt,
  }
  return {
    id,
    kind: event === 'create' ? 'order.created' : 'order.event',
    storeId: o.storeId,
    createdAt: o.updatedAt,
    attempts: 0,
    payload: JSON.stringify({ event: rec, order: o }),
  }
}

/** An order's life: created, paid, accepted (versions 1..3). */
function lifecycle(id: string, storeId = 'st_1'): OutboxRow[] {
  return [
    outboxRow(order(id, 1, 'PENDING_PAYMENT', storeId), 'create', null),
    outboxRow(order(id, 2, 'PLACED', storeId), 'pay', 'PENDING_PAYMENT'),
    outboxRow(order(id, 3, 'ACCEPTED', storeId), 'accept', 'PLACED'),
  ]
}

const counts = async () => {
  const [row] = await db
    .execute<{ orders: number; lines: number; events: number }>(sql`
    SELECT (SELECT count(*)::int FROM ${orders}) AS orders,
           (SELECT count(*)::int FROM ${orderLines}) AS lines,
           (SELECT count(*)::int FROM ${orderEvents}) AS events`)
    .then((r) => r.rows)
  return row
}

const sink = () => neonHistorySink({ DATABASE_URL: url, NEON_WS_PROXY: wsProxy })!

describe('history in Postgres', () => {
  it('has no sink without DATABASE_URL', () => {
    expect(neonHistorySink({})).toBeNull()
    expect(neonHistorySink({ DATABASE_URL: '', NEON_WS_PROXY: wsProxy })).toBeNull()
  })

  it('lands orders, lines and events', async () => {
    await sink()(lifecycle('ord_1'))
    expect(await counts()).toEqual({ orders: 1, lines: 2, events: 3 })
    const [o] = await db.select().from(orders).where(eq(orders.id, 'ord_1'))
    expect(o).toMatchObject({
      storeId: 'st_1',
      state: 'ACCEPTED',
      version: 3,
      paid: true,
      tableLabel: 'A区 5号桌',
      note: '少放辣',
      createdAt: new Date(T0),
      updatedAt: new Date(T0 + 3_000),
    })
    expect(o!.priceSteps).toHaveLength(2)
    const lines = await db.select().from(orderLines).orderBy(asc(orderLines.lineNo))
    expect(lines.map((l) => [l.lineNo, l.name, l.optionNames, l.qty])).toEqual([
      [1, '宫保鸡丁', ['微辣'], 2],
      [2, '米饭', [], 2],
    ])
    const events = await db.select().from(orderEvents).orderBy(asc(orderEvents.version))
    expect(events.map((e) => [e.event, e.fromState, e.toState, e.actor])).toEqual([
      ['create', null, 'PENDING_PAYMENT', 'diner'],
      ['pay', 'PENDING_PAYMENT', 'PLACED', 'waiter'],
      ['accept', 'PLACED', 'ACCEPTED', 'waiter'],
    ])
  })

  it('ignores duplicate rows, within a batch and across batches', async () => {
    const rows = lifecycle('ord_dup')
    await sink()([...rows, ...rows])
    await sink()(rows)
    await sink()([rows[1]!])
    expect(await counts()).toEqual({ orders: 1, lines: 2, events: 3 })
    const [o] = await db.select().from(orders)
    expect(o).toMatchObject({ version: 3, state: 'ACCEPTED' })
  })

  it('never lets an older version overwrite a newer order', async () => {
    const [created, paid, accepted] = lifecycle('ord_late')
    await sink()([accepted!])
    await sink()([paid!, created!]) // late arrivals, e.g. a retried batch
    const [o] = await db.select().from(orders)
    expect(o).toMatchObject({ version: 3, state: 'ACCEPTED', updatedAt: new Date(T0 + 3_000) })
    // The events of the older versions are history all the same.
    expect(await counts()).toEqual({ orders: 1, lines: 2, events: 3 })
  })

  it('follows a line taken back (退菜): voided and repriced lines land, an older version never undoes them', async () => {
    const [created, paid, accepted] = lifecycle('ord_void')
    await sink()([created!, paid!, accepted!])
    const base = order('ord_void', 4, 'ACCEPTED')
    const voided: Order = {
      ...base,
      lines: [
        { ...base.lines[0]!, lineTotalFen: base.lines[0]!.lineTotalFen },
        { ...base.lines[1]!, voided: { reason: '沽清', at: T0 + 4_000, by: 'owner' } },
      ],
    }
    await sink()([outboxRow(voided, 'void_line' as OrderEvent, 'ACCEPTED')])
    await sink()([accepted!]) // a late replay of version 3
    const lines = await db
      .select()
      .from(orderLines)
      .where(eq(orderLines.orderId, 'ord_void'))
      .orderBy(asc(orderLines.lineNo))
    expect(lines.map((l) => [l.lineNo, l.version, l.voidedReason])).toEqual([
      [1, 4, null],
      [2, 4, '沽清'],
    ])
    expect(lines[1]!.voidedAt).toEqual(new Date(T0 + 4_000))
  })

  it('keeps money in integer fen, and refuses fractions before touching Postgres', async () => {
    await sink()(lifecycle('ord_money'))
    const { rows } = await db.execute<Record<string, unknown>>(sql`
      SELECT o.total_fen, o.items_fen, o.discount_fen, o.fees_fen, l.unit_price_fen, l.unit_paid_fen,
             l.line_total_fen, pg_typeof(o.total_fen)::text AS total_type
      FROM ${orders} o JOIN ${orderLines} l ON l.order_id = o.id WHERE l.line_no = 1`)
    expect(rows[0]).toEqual({
      total_fen: 7_600,
      items_fen: 8_000,
      discount_fen: 400,
      fees_fen: 0,
      unit_price_fen: 3_800,
      unit_paid_fen: 3_600,
      line_total_fen: 7_200,
      total_type: 'integer',
    })
    const { rows: sums } = await db.execute<{ paid: number }>(
      sql`SELECT sum(${orderLines.lineTotalFen})::int AS paid FROM ${orderLines}`,
    )
    expect(sums[0]!.paid).toBe(7_600)

    const bad = order('ord_float', 1, 'PENDING_PAYMENT')
    bad.totalFen = 7_600.5
    await expect(sink()([outboxRow(bad, 'create', null)])).rejects.toThrow(/totalFen is not whole fen/)
    expect((await db.select().from(orders).where(eq(orders.id, 'ord_float'))).length).toBe(0)
  })

  it('keeps the outbox intact while Postgres is unreachable, then catches up', async () => {
    let t = T0 + 10_000
    const box = memoryOutbox(() => t)
    const rows = [...lifecycle('ord_outage_1'), ...lifecycle('ord_outage_2')]
    for (const r of rows) box.add(r)
    const before = JSON.stringify([...box.rows.values()].map((e) => e.row))

    // Postgres down: nothing listens on port 1. The bridge's TCP connect fails and the socket closes.
    const deadDb = neonHistorySink({ DATABASE_URL: url.replace(/:\d+\//, ':1/'), NEON_WS_PROXY: wsProxy })!
    // The bridge down: nothing speaks WebSocket on port 1 either.
    const deadProxy = neonHistorySink({ DATABASE_URL: url, NEON_WS_PROXY: '127.0.0.1:1' })!
    for (const write of [deadDb, deadProxy]) {
      const result = await drainOutbox({ ...box, write }, { writeTimeoutMs: 10_000, random: () => 0 })
      expect(result.written).toBe(0)
      expect(result.failed).toBe(6)
      expect(box.rows.size).toBe(6)
      t = result.nextAlarmAt!
    }
    expect(JSON.stringify([...box.rows.values()].map((e) => ({ ...e.row, attempts: 0 })))).toBe(before)
    expect([...box.rows.values()].every((e) => e.row.attempts === 2 && e.error)).toBe(true)
    expect(await counts()).toEqual({ orders: 0, lines: 0, events: 0 })

    // Back up: the next alarm writes everything.
    const result = await drainOutbox({ ...box, write: sink() })
    expect(result).toEqual({ written: 6, failed: 0, nextAlarmAt: null })
    expect(box.rows.size).toBe(0)
    expect(await counts()).toEqual({ orders: 2, lines: 4, events: 6 })
  })

  it('takes concurrent drains from many stores', async () => {
    const stores = Array.from({ length: 8 }, (_, s) => `st_c${s}`)
    await Promise.all(
      stores.map(async (storeId) => {
        const box = memoryOutbox()
        for (let i = 0; i < 5; i++) for (const r of lifecycle(`ord_${storeId}_${i}`, storeId)) box.add(r)
        const result = await drainOutbox({ ...box, write: sink() }, { batchSize: 4 })
        expect(result).toMatchObject({ written: 15, failed: 0 })
      }),
    )
    expect(await counts()).toEqual({ orders: 40, lines: 80, events: 120 })

    // Readers outside transactions, each on its own connection, with parameters (extended protocol). A
    // transaction held open meanwhile makes their messages queue up together: on PGlite, one client's
    // Parse, Bind and Execute must still not interleave with another's.
    const readers = stores.map(() => historyPool(url, wsProxy))
    const clients = await Promise.all(readers.map((r) => r.connect()))
    const blocker = await pool.connect()
    try {
      await blocker.query('BEGIN')
      const reads = Promise.all(
        stores.map(async (storeId, i) => {
          const seen = new Set<number>()
          for (let round = 0; round < 3; round++) {
            const { rows } = await clients[i]!.query<{ n: number; store: string }>(
              'SELECT count(*)::int AS n, $1::text AS store FROM orders WHERE store_id = $1',
              [storeId],
            )
            seen.add(rows[0]?.store === storeId ? rows[0].n : -1)
          }
          return [...seen]
        }),
      )
      await new Promise((resolve) => setTimeout(resolve, 200))
      await blocker.query('COMMIT')
      expect(await reads).toEqual(stores.map(() => [5]))
    } finally {
      blocker.release()
      for (const c of clients) c.release()
      await Promise.all(readers.map((r) => r.end()))
    }
  })

  it('splits a big batch into statements under the parameter limit', async () => {
    const many = Array.from({ length: 700 }, (_, i) =>
      outboxRow(order(`ord_big_${i}`, 1, 'PENDING_PAYMENT'), 'create', null),
    )
    await writeOutboxRows(db, many)
    expect(await counts()).toEqual({ orders: 700, lines: 1_400, events: 700 })
  })
})
