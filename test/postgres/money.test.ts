// Money history through the production path: drainOutbox -> neonHistorySink -> @neondatabase/serverless
// Pool over WebSocket -> scripts/local-db.ts bridge -> Postgres (a scratch database on DATABASE_URL's
// server, so other files truncating the shared database cannot interfere, or else PGlite in a temp dir).
// Then the reports over what landed: revenue by hour, a provider's bill day, reconciliation runs.
//   npx vitest run --config vitest.pg.config.ts test/postgres/money.test.ts
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx vitest run --config vitest.pg.config.ts test/postgres/money.test.ts
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { neonConfig } from '@neondatabase/serverless'
import { asc, eq, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/neon-serverless'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import ws from 'ws'
import type { Order } from '../../core/order'
import { drainOutbox, memoryOutbox, type OutboxKind, type OutboxRow } from '../../core/outbox'
import type {
  BillRow,
  LedgerEntry,
  PaymentRecord,
  ProviderName,
  RefundRecord,
} from '../../core/payment-types'
import { reconcile, hourlyRevenue as revenueInMemory } from '../../core/payments'
import { startLocalPostgres, startWsProxy } from '../../scripts/local-db'
import { migrateDatabase } from '../../scripts/migrate'
import { neonHistorySink } from '../../workers/history/neon'
import { historyPool } from '../../workers/history/neon-config'
import {
  hourlyRevenue,
  latestReconciliations,
  ledgerForDay,
  type RevenueRow,
  reconciliationRun,
  saveReconciliation,
} from '../../workers/history/reports'
import {
  ledgerEntries,
  orderEvents,
  orderLines,
  orders,
  payments,
  reconciliationRuns,
  refunds,
} from '../../workers/history/schema'
import { writeOutboxRows } from '../../workers/history/writer'

neonConfig.webSocketConstructor = ws

let url: string
let wsProxy: string
/** Undo steps, run in order in afterAll. */
let cleanup: (() => Promise<void>)[] = []
let pool: ReturnType<typeof historyPool>
let db: ReturnType<typeof drizzle>

beforeAll(async () => {
  const proxy = await startWsProxy({ port: 0 })
  wsProxy = proxy.wsProxy
  cleanup.push(proxy.close)
  if (process.env.DATABASE_URL) {
    url = await scratchDatabase(process.env.DATABASE_URL)
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'money-pg-'))
    const local = await startLocalPostgres({ dataDir: dir, port: 0 })
    url = local.url
    cleanup.unshift(local.close, async () => rmSync(dir, { recursive: true, force: true }))
  }
  await migrateDatabase(url, wsProxy)
  pool = historyPool(url, wsProxy)
  pool.on('error', () => {})
  db = drizzle({ client: pool })
  cleanup.unshift(() => pool.end())
})

afterAll(async () => {
  for (const fn of cleanup) await fn().catch((e) => console.error(e))
  cleanup = []
})

beforeEach(async () => {
  await db.execute(
    sql`TRUNCATE ${payments}, ${refunds}, ${ledgerEntries}, ${reconciliationRuns}, ${orderEvents}, ${orderLines}, ${orders}`,
  )
})

/** A database of its own on the server, dropped after the file (before the bridge closes). */
async function scratchDatabase(serverUrl: string): Promise<string> {
  const name = `money_${process.pid}_${Date.now()}`
  const admin = async (statement: string) => {
    const p = historyPool(serverUrl, wsProxy)
    p.on('error', () => {})
    try {
      await p.query(statement)
    } finally {
      await p.end()
    }
  }
  await admin(`CREATE DATABASE ${name}`)
  cleanup.unshift(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  const u = new URL(serverUrl)
  u.pathname = `/${name}`
  return u.toString()
}

// ---- fixtures ------------------------------------------------------------------------------------------

// 2026-05-01 10:00 in Beijing.
const H0 = Date.UTC(2026, 4, 1, 2, 0, 0)
const HOUR = 3_600_000
const MIN = 60_000
const DAY = 24 * HOUR
let seq = 0

function outboxRow<T extends { storeId: string }>(kind: OutboxKind, rec: T, createdAt = H0): OutboxRow {
  const id = `evt_${String(++seq).padStart(6, '0')}`
  return { id, kind, storeId: rec.storeId, createdAt, attempts: 0, payload: JSON.stringify(rec) }
}

function payment(over: Partial<PaymentRecord> = {}): PaymentRecord {
  return {
    id: 'pay_1',
    storeId: 'st_1',
    checkoutId: 'ord_1',
    orderIds: ['ord_1'],
    provider: 'wechat',
    transactionId: '4200000001202605010000000001',
    amountFen: 7_600,
    outcome: 'SETTLED',
    source: 'notify',
    paidAt: H0 + 5 * MIN,
    refundedFen: 0,
    createdAt: H0 + 5 * MIN,
    updatedAt: H0 + 5 * MIN,
    version: 1,
    ...over,
  }
}

function refund(over: Partial<RefundRecord> = {}): RefundRecord {
  return {
    id: 'rfd_st_1_1',
    storeId: 'st_1',
    paymentId: 'pay_1',
    checkoutId: 'ord_1',
    orderId: 'ord_1',
    provider: 'wechat',
    transactionId: '4200000001202605010000000001',
    amountFen: 400,
    reason: '米饭退菜',
    lines: [{ lineNo: 2, qty: 2 }],
    state: 'PENDING',
    attempts: 0,
    requestedBy: 'stf_1',
    createdAt: H0 + 20 * MIN,
    updatedAt: H0 + 20 * MIN,
    version: 1,
    ...over,
  }
}

function entry(id: string, over: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    id,
    storeId: 'st_1',
    at: H0,
    kind: 'payment',
    provider: 'wechat',
    checkoutId: `ord_${id}`,
    orderIds: [`ord_${id}`],
    paymentId: `pay_${id}`,
    transactionId: `tx_${id}`,
    amountFen: 1_000,
    memo: 'SETTLED',
    ...over,
  }
}

/** A refund's ledger entry: money out, negative. */
const out = (id: string, amountFen: number, over: Partial<LedgerEntry>): LedgerEntry =>
  entry(id, { kind: 'refund', refundId: `rfd_${id}`, amountFen: -amountFen, memo: '退款', ...over })

function order(id: string): Order {
  const price = { lines: [], steps: [], itemsFen: 7_600, discountFen: 0, feesFen: 0, totalFen: 7_600 }
  return {
    id,
    storeId: 'st_1',
    mode: 'pickup',
    state: 'PLACED',
    paid: true,
    payMode: 'pay_first',
    pickupNo: 'P001',
    lines: [],
    price: { ...price, rejectedCoupons: [] },
    totalFen: 7_600,
    note: '',
    createdAt: H0,
    updatedAt: H0 + 5 * MIN,
    version: 2,
  }
}

function orderRow(o: Order): OutboxRow {
  const row = outboxRow('order.event', o, o.updatedAt)
  const event = {
    id: row.id,
    orderId: o.id,
    storeId: o.storeId,
    version: o.version,
    event: 'pay',
    from: 'PENDING_PAYMENT',
    to: o.state,
    actor: 'system',
    actorId: 'wechat',
    at: o.updatedAt,
  }
  return { ...row, payload: JSON.stringify({ event, order: o }) }
}

const sink = () => neonHistorySink({ DATABASE_URL: url, NEON_WS_PROXY: wsProxy })!

async function countOf(
  table: typeof payments | typeof refunds | typeof ledgerEntries | typeof orders | typeof reconciliationRuns,
) {
  const { rows } = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM ${table}`)
  return rows[0]!.n
}

// ---- writing -------------------------------------------------------------------------------------------

describe('money history', () => {
  it('drains payments, refunds and ledger entries with an order, and reads them back', async () => {
    const pay = payment({ payerId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' })
    const rfd = refund({
      state: 'SUCCESS',
      providerRefundId: '50000000382019052709732678859',
      succeededAt: H0 + 21 * MIN,
    })
    const inEntry = entry('led_in', {
      paymentId: 'pay_1',
      checkoutId: 'ord_1',
      orderIds: ['ord_1'],
      at: pay.paidAt,
      amountFen: pay.amountFen,
    })
    const outEntry = out('led_out', 400, { paymentId: 'pay_1', refundId: rfd.id, at: rfd.succeededAt! })
    const box = memoryOutbox(() => H0 + HOUR)
    for (const r of [
      orderRow(order('ord_1')),
      outboxRow('payment', pay),
      outboxRow('ledger', inEntry),
      outboxRow('refund', rfd),
      outboxRow('ledger', outEntry),
    ])
      box.add(r)
    expect(await drainOutbox({ ...box, write: sink() })).toEqual({ written: 5, failed: 0, nextAlarmAt: null })

    expect(await countOf(orders)).toBe(1)
    const [p] = await db.select().from(payments)
    expect(p).toEqual({
      ...pay,
      paidAt: new Date(pay.paidAt),
      createdAt: new Date(pay.createdAt),
      updatedAt: new Date(pay.updatedAt),
    })
    const [r] = await db.select().from(refunds)
    expect(r).toEqual({
      ...rfd,
      providerState: null,
      lastError: null,
      createdAt: new Date(rfd.createdAt),
      updatedAt: new Date(rfd.updatedAt),
      succeededAt: new Date(rfd.succeededAt!),
    })
    const ledger = await db.select().from(ledgerEntries).orderBy(asc(ledgerEntries.at))
    expect(ledger).toEqual([
      { ...inEntry, refundId: null, at: new Date(inEntry.at) },
      { ...outEntry, at: new Date(outEntry.at) },
    ])
    // Integer fen all the way, the refund's sign included.
    const { rows } = await db.execute<{ net: number; type: string }>(
      sql`SELECT sum(amount_fen)::int AS net, pg_typeof(min(amount_fen))::text AS type FROM ${ledgerEntries}`,
    )
    expect(rows[0]).toEqual({ net: 7_200, type: 'integer' })
  })

  it('never rolls a payment or a refund back: replays and out-of-order versions', async () => {
    const p1 = outboxRow('payment', payment({ version: 1 }))
    const p2 = outboxRow('payment', payment({ version: 2, refundedFen: 400, updatedAt: H0 + 21 * MIN }))
    const r1 = outboxRow('refund', refund({ version: 1 }))
    const r2 = outboxRow(
      'refund',
      refund({ version: 2, state: 'PROCESSING', attempts: 1, updatedAt: H0 + 20 * MIN + 500 }),
    )
    const r3 = outboxRow(
      'refund',
      refund({
        version: 3,
        state: 'SUCCESS',
        attempts: 1,
        updatedAt: H0 + 21 * MIN,
        succeededAt: H0 + 21 * MIN,
      }),
    )
    await sink()([p2, r3])
    await sink()([r1, p1, r2, r1]) // late and repeated, e.g. a retried batch
    await sink()([p1, p2, p1, r2, r3, r2]) // every version in one batch, in no order
    expect(await countOf(payments)).toBe(1)
    expect(await countOf(refunds)).toBe(1)
    const [p] = await db.select().from(payments)
    expect(p).toMatchObject({ version: 2, refundedFen: 400, updatedAt: new Date(H0 + 21 * MIN) })
    const [r] = await db.select().from(refunds)
    expect(r).toMatchObject({ version: 3, state: 'SUCCESS', succeededAt: new Date(H0 + 21 * MIN) })

    // A newer version still moves forward.
    await sink()([
      outboxRow('refund', refund({ version: 4, state: 'SUCCESS', lastError: 'noted', attempts: 2 })),
    ])
    expect((await db.select().from(refunds))[0]).toMatchObject({
      version: 4,
      lastError: 'noted',
      attempts: 2,
    })
  })

  it('inserts a ledger entry once: duplicates in a batch, replays, and a changed copy', async () => {
    const e = entry('led_dup', { amountFen: 2_000 })
    const row = outboxRow('ledger', e)
    await sink()([row, row])
    await sink()([row])
    // The same entry re-emitted under another outbox row, even altered, is not a second movement of money.
    await sink()([outboxRow('ledger', { ...e, amountFen: 9_999, memo: 'changed' })])
    expect(await db.select().from(ledgerEntries)).toEqual([{ ...e, refundId: null, at: new Date(e.at) }])
    // An entry may lack the provider's transaction id (reconciliation then matches by out_trade_no).
    await sink()([outboxRow('ledger', entry('led_no_txn', { transactionId: '' }))])
    expect(await countOf(ledgerEntries)).toBe(2)
  })

  it('refuses fractional fen before touching Postgres, and the drain isolates such a row', async () => {
    const bad = [
      outboxRow('payment', payment({ id: 'pay_frac', amountFen: 7_600.5 })),
      outboxRow('payment', payment({ id: 'pay_frac', refundedFen: 0.1 })),
      outboxRow('refund', refund({ amountFen: 399.99 })),
      outboxRow('ledger', entry('led_frac', { amountFen: 12.5 })),
    ]
    for (const row of bad) await expect(sink()([row])).rejects.toThrow(/is not whole fen/)
    // A refund's entry must take money out, a payment's bring it in: reports sum by that sign.
    await expect(writeOutboxRows(db, [outboxRow('ledger', out('led_sign', -500, {}))])).rejects.toThrow(
      /sign/,
    )
    await expect(
      writeOutboxRows(db, [outboxRow('ledger', entry('led_sign', { amountFen: -1 }))]),
    ).rejects.toThrow(/sign/)
    await expect(
      writeOutboxRows(db, [outboxRow('payment', payment({ paidAt: Number.NaN }))]),
    ).rejects.toThrow(/paidAt is invalid/)

    await expect(writeOutboxRows(db, [outboxRow('payment', payment({ transactionId: '' }))])).rejects.toThrow(
      /transactionId is invalid/,
    )

    // In a drain: the bad row (oldest, so at the head) holds the batch back three times, then goes alone.
    let t = H0 + HOUR
    const box = memoryOutbox(() => t)
    const poison = outboxRow('ledger', entry('led_poison', { amountFen: 0.5 }))
    const good = [
      outboxRow('payment', payment()),
      outboxRow('refund', refund()),
      outboxRow('ledger', entry('led_good')),
      orderRow(order('ord_1')),
    ]
    for (const r of [poison, ...good]) box.add(r)
    for (let drain = 0; drain < 6 && box.rows.size > 1; drain++) {
      const result = await drainOutbox({ ...box, write: sink() }, { random: () => 0 })
      t = Math.max(t, result.nextAlarmAt ?? t)
    }
    expect([...box.rows.keys()]).toEqual([poison.id])
    expect(box.rows.get(poison.id)!.error).toMatch(/led_poison amountFen is not whole fen \(0.5\)/)
    expect([
      await countOf(payments),
      await countOf(refunds),
      await countOf(ledgerEntries),
      await countOf(orders),
    ]).toEqual([1, 1, 1, 1])
    expect(await db.select().from(ledgerEntries).where(eq(ledgerEntries.id, 'led_poison'))).toEqual([])
  })

  // ---- reports -----------------------------------------------------------------------------------------

  it('sums revenue by store, UTC hour and provider', async () => {
    const entries = [
      entry('a1', { storeId: 'st_a', at: H0 + 5 * MIN, amountFen: 5_000 }),
      entry('a2', { storeId: 'st_a', at: H0 + HOUR - 1, amountFen: 3_000 }),
      entry('a3', { storeId: 'st_a', at: H0 + 30 * MIN, amountFen: 2_000, provider: 'alipay' }),
      // a1 refunded in part in the next hour: it lowers that hour, not a1's.
      out('a1r', 1_200, { storeId: 'st_a', at: H0 + HOUR, paymentId: 'pay_a1' }),
      entry('a4', { storeId: 'st_a', at: H0 + HOUR + 10 * MIN, amountFen: 4_000 }),
      entry('b1', { storeId: 'st_b', at: H0 + MIN, amountFen: 8_800 }),
      entry('b2', { storeId: 'st_b', at: H0 + HOUR + 20 * MIN, amountFen: 1_500, provider: 'alipay' }),
      out('b2r', 1_500, {
        storeId: 'st_b',
        at: H0 + HOUR + 40 * MIN,
        provider: 'alipay',
        paymentId: 'pay_b2',
      }),
      // Only a refund in its hour: b1's, an hour later.
      out('b1r', 800, { storeId: 'st_b', at: H0 + HOUR + 50 * MIN, paymentId: 'pay_b1' }),
      // Outside [H0, H0 + 2h): just before and exactly at the end.
      entry('early', { storeId: 'st_a', at: H0 - 1, amountFen: 999 }),
      entry('late', { storeId: 'st_a', at: H0 + 2 * HOUR, amountFen: 777 }),
    ]
    await sink()(entries.map((e) => outboxRow('ledger', e)))

    const row = (
      storeId: string,
      hourStart: number,
      provider: ProviderName,
      paymentsFen: number,
      refundsFen: number,
      payments: number,
      refunds: number,
    ): RevenueRow => ({
      storeId,
      hourStart,
      provider,
      paymentsFen,
      refundsFen,
      netFen: paymentsFen - refundsFen,
      payments,
      refunds,
    })
    const H1 = H0 + HOUR
    const expected = [
      row('st_a', H0, 'alipay', 2_000, 0, 1, 0),
      row('st_a', H0, 'wechat', 8_000, 0, 2, 0),
      row('st_a', H1, 'wechat', 4_000, 1_200, 1, 1),
      row('st_b', H0, 'wechat', 8_800, 0, 1, 0),
      row('st_b', H1, 'alipay', 1_500, 1_500, 1, 1),
      row('st_b', H1, 'wechat', 0, 800, 0, 1),
    ]
    expect(await hourlyRevenue(db, { from: H0, to: H0 + 2 * HOUR })).toEqual(expected)
    // The same figures as the in-memory version over the same entries.
    expect(revenueInMemory(entries.filter((e) => e.at >= H0 && e.at < H0 + 2 * HOUR))).toEqual(expected)
    expect(await hourlyRevenue(db, { storeId: 'st_a', from: H0, to: H0 + 2 * HOUR })).toEqual(
      expected.filter((r) => r.storeId === 'st_a'),
    )
    expect(await hourlyRevenue(db, { storeId: 'st_a', from: H0 - HOUR, to: H0 + 3 * HOUR })).toEqual([
      row('st_a', H0 - HOUR, 'wechat', 999, 0, 1, 0),
      ...expected.filter((r) => r.storeId === 'st_a'),
      row('st_a', H0 + 2 * HOUR, 'wechat', 777, 0, 1, 0),
    ])
    expect(await hourlyRevenue(db, { from: H0 + 2 * HOUR + 1, to: H0 + 3 * HOUR })).toEqual([])

    // Hours are UTC whatever the session's time zone, even one half an hour off UTC.
    const client = await pool.connect()
    try {
      await client.query(`SET TIME ZONE 'Asia/Kolkata'`)
      expect(await hourlyRevenue(drizzle({ client }), { from: H0, to: H0 + 2 * HOUR })).toEqual(expected)
    } finally {
      await client.query('RESET TIME ZONE')
      client.release()
    }
  })

  it("reads one provider's ledger for a Beijing-time bill day", async () => {
    // 2026-05-01 in Beijing is [2026-04-30T16:00Z, 2026-05-01T16:00Z).
    const start = Date.parse('2026-04-30T16:00:00Z')
    const end = Date.parse('2026-05-01T16:00:00Z')
    const before = entry('d_before', { at: start - 1 })
    const first = entry('d_first', { at: start })
    const refundLast = out('d_last', 300, { at: end - 1 })
    const after = entry('d_after', { at: end })
    const otherProvider = entry('d_alipay', { at: start + HOUR, provider: 'alipay' })
    await sink()([before, first, refundLast, after, otherProvider].map((e) => outboxRow('ledger', e)))

    expect(await ledgerForDay(db, 'wechat', '2026-05-01')).toEqual([first, refundLast])
    expect(await ledgerForDay(db, 'wechat', '2026-04-30')).toEqual([before])
    expect(await ledgerForDay(db, 'wechat', '2026-05-02')).toEqual([after])
    expect(await ledgerForDay(db, 'alipay', '2026-05-01')).toEqual([otherProvider])
    await expect(ledgerForDay(db, 'wechat', '2026-02-30')).rejects.toThrow(/YYYY-MM-DD/)
    await expect(ledgerForDay(db, 'wechat', '20260501')).rejects.toThrow(/YYYY-MM-DD/)
  })

  it('stores a reconciliation of a bill day against the ledger; a rerun replaces it', async () => {
    const at = Date.parse('2026-05-01T03:00:00Z')
    const e1 = entry('e1', { at, amountFen: 5_000 })
    const e2 = entry('e2', { at: at + MIN, amountFen: 3_000 })
    const e2r = out('e2r', 1_000, { at: at + HOUR, paymentId: 'pay_e2', checkoutId: 'ord_e2' })
    await sink()([e1, e2, e2r].map((e) => outboxRow('ledger', e)))
    const billRow = (e: LedgerEntry, amountFen = Math.abs(e.amountFen)): BillRow => ({
      provider: 'wechat',
      at: e.at,
      kind: e.kind,
      outTradeNo: e.checkoutId,
      transactionId: e.transactionId,
      amountFen,
      ...(e.refundId ? { outRefundNo: e.refundId } : {}),
    })
    const stranger: BillRow = { ...billRow(e1), outTradeNo: 'ord_x', transactionId: 'tx_x', amountFen: 700 }

    // First run: e2's amount disagrees and the provider has a payment we never recorded (长款).
    const ledger = await ledgerForDay(db, 'wechat', '2026-05-01')
    const first = reconcile([billRow(e1), billRow(e2, 2_900), billRow(e2r), stranger], ledger)
    const ranAt = Date.parse('2026-05-02T02:05:00Z')
    await saveReconciliation(
      db,
      reconciliationRun({ id: 'rec_w_0501', provider: 'wechat', billDate: '2026-05-01', ranAt }, first),
    )
    // Runs of other days and providers stay apart.
    const clean = reconcile([], [])
    const other = [
      reconciliationRun(
        { id: 'rec_w_0430', provider: 'wechat', billDate: '2026-04-30', ranAt: ranAt - DAY },
        clean,
      ),
      reconciliationRun(
        { id: 'rec_a_0501', provider: 'alipay', billDate: '2026-05-01', ranAt: ranAt + 1 },
        clean,
      ),
    ]
    for (const r of other) await saveReconciliation(db, r)
    expect((await latestReconciliations(db, 10)).find((r) => r.id === 'rec_w_0501')).toMatchObject({
      matched: 2,
      providerOnly: 1,
      localOnly: 0,
      amountMismatch: 1,
      billFen: 5_000 + 2_900 - 1_000 + 700,
      ledgerFen: 7_000,
      report: { providerOnly: [stranger], amountMismatch: [{ bill: billRow(e2, 2_900), ledger: e2 }] },
    })

    // The rerun after the bill was corrected replaces the day's run, id included.
    const rerun = reconciliationRun(
      { id: 'rec_w_0501_b', provider: 'wechat', billDate: '2026-05-01', ranAt: ranAt + HOUR },
      reconcile([billRow(e1), billRow(e2), billRow(e2r)], await ledgerForDay(db, 'wechat', '2026-05-01')),
    )
    await saveReconciliation(db, rerun)
    expect(rerun).toMatchObject({
      matched: 3,
      providerOnly: 0,
      localOnly: 0,
      amountMismatch: 0,
      billFen: 7_000,
    })
    expect(await latestReconciliations(db, 10)).toEqual([rerun, other[1], other[0]])
    expect(await latestReconciliations(db, 1)).toEqual([rerun])
    expect(await countOf(reconciliationRuns)).toBe(3)

    const bad = { ...rerun, billFen: 0.5 }
    await expect(saveReconciliation(db, bad)).rejects.toThrow(/whole fen/)
    await expect(saveReconciliation(db, { ...rerun, billDate: '2026-5-1' })).rejects.toThrow(/YYYY-MM-DD/)
  })
})
