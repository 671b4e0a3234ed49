// Reconciliation (对账) and revenue end to end: orders paid and refunded through the payment sandbox, the
// ledger drained by the stores' outboxes into Postgres, then the provider's real bill (downloaded, checked,
// parsed) compared with it by the admin API, and the hourly revenue report read back.
//   npx vitest run --config vitest.pg.config.ts test/postgres/reconcile-e2e.test.ts
// Postgres: a scratch database on DATABASE_URL's server, or PGlite in a temp dir.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { neonConfig } from '@neondatabase/serverless'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import ws from 'ws'
import { startLocalPostgres, startWsProxy } from '../../scripts/local-db'
import { migrateDatabase } from '../../scripts/migrate'
import { startPaymentSandbox } from '../../scripts/payment-sandbox/server'
import { DEV_ADMIN_TOKEN, freePort, startWranglerDev } from '../../scripts/wrangler-dev'
import type { Env } from '../../workers/env'
import { historyPool } from '../../workers/history/neon-config'
import { wechatFromEnv } from '../../workers/payments/wechat'
import { apiClient, eventually } from '../support/http'
import { testStore } from '../workers/fixtures'

neonConfig.webSocketConstructor = ws

const STORE = '881'
const cleanups: (() => Promise<void>)[] = []
let call: ReturnType<typeof apiClient>
let base = ''
let sandboxEnv: Record<string, string> = {}
let sb: Awaited<ReturnType<typeof startPaymentSandbox>>
let query: (text: string) => Promise<any[]>
let menuVersion = 0

beforeAll(async () => {
  const bridge = await startWsProxy({ port: 0 })
  cleanups.push(bridge.close)
  let url: string
  if (process.env.DATABASE_URL) url = await scratchDatabase(process.env.DATABASE_URL, bridge.wsProxy)
  else {
    const dir = mkdtempSync(join(tmpdir(), 'reconcile-pg-'))
    const pg = await startLocalPostgres({ dataDir: dir, port: 0 })
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }), pg.close)
    url = pg.url
  }
  await migrateDatabase(url, bridge.wsProxy)
  query = async (text) => {
    const pool = historyPool(url, bridge.wsProxy)
    pool.on('error', () => {})
    try {
      return (await pool.query(text)).rows
    } finally {
      await pool.end()
    }
  }
  sb = await startPaymentSandbox({ timeScale: 0.001, refundDelayMs: 100 })
  cleanups.push(() => sb.stop())
  sandboxEnv = sb.env
  const server = await startWranglerDev(await freePort(), {
    ...sb.env,
    DATABASE_URL: url,
    NEON_WS_PROXY: bridge.wsProxy,
  })
  cleanups.push(server.stop)
  base = server.base
  call = apiClient(base)
  const seeded = await call('PUT', `/api/v1/admin/stores/${STORE}`, {
    token: DEV_ADMIN_TOKEN,
    body: testStore({ payMode: 'pay_first' }, 4),
  })
  expect(seeded.status).toBe(200)
  menuVersion = seeded.json.menuVersion
}, 180_000)

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
})

async function scratchDatabase(serverUrl: string, wsProxy: string): Promise<string> {
  const name = `reconcile_e2e_${process.pid}_${Date.now()}`
  const admin = async (statement: string) => {
    const pool = historyPool(serverUrl, wsProxy)
    pool.on('error', () => {})
    try {
      await pool.query(statement)
    } finally {
      await pool.end()
    }
  }
  await admin(`CREATE DATABASE ${name}`)
  cleanups.push(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  const u = new URL(serverUrl)
  u.pathname = `/${name}`
  return u.toString()
}

/** A pay-first round at a table, paid with WeChat through the sandbox; returns its id and total. */
async function paidOrder(table: { code: string }): Promise<{ id: string; totalFen: number; token: string }> {
  const token = (await call('POST', `/api/v1/tables/${table.code}/join`, { body: { name: '食客' } })).json
    .token
  const r = await call('POST', '/api/v1/table/rounds', {
    token,
    headers: { 'idempotency-key': `reconcile-${Date.now()}-${Math.random().toString(36).slice(2)}` },
    body: {
      menuVersion,
      lines: [{ itemId: 'rice', skuId: 'bowl', qty: 1, optionIds: [], note: '' }],
    },
  })
  expect(r.status, JSON.stringify(r.json)).toBe(201)
  const id = r.json.round.orderId as string
  const pay = await call('POST', `/api/v1/table/orders/${id}/pay`, {
    token,
    body: { provider: 'wechat', channel: 'h5', returnUrl: `${base}/` },
  })
  expect(pay.status, JSON.stringify(pay.json)).toBe(201)
  await sb.sandbox.pay({ provider: 'wechat', outTradeNo: id })
  return { id, totalFen: r.json.round.totalFen, token }
}

/** Today in Beijing time: the sandbox bills the day a trade happened. */
const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)

describe('reconciliation against the provider bill', () => {
  it('matches what both sides know and lists money only the provider saw', async () => {
    const tables = (await call('GET', `/api/v1/admin/stores/${STORE}/tables`, { token: DEV_ADMIN_TOKEN }))
      .json.tables as { code: string }[]
    const a = await paidOrder(tables[0] as { code: string })
    const b = await paidOrder(tables[1] as { code: string })
    // A is refunded by its diner before the store accepts it.
    await eventually(
      () =>
        call('POST', `/api/v1/table/orders/${a.id}/refund`, { token: a.token, body: { reason: '不要了' } }),
      (r) => r.status === 200,
      10_000,
    )
    // Money the provider took for a trade this system never opened (paid at the provider only, 长款).
    const stranger = wechatFromEnv({
      ...sandboxEnv,
      PUBLIC_BASE_URL: 'http://127.0.0.1:9',
    } as unknown as Env)
    if (!stranger) throw new Error('no wechat client')
    await stranger.create({
      outTradeNo: 'ord_0000000000STRANGERTRADE01',
      amountFen: 777,
      description: 'not ours',
      expiresAt: Date.now() + 3600_000,
      attach: '999',
      channel: 'h5',
      clientIp: '127.0.0.1',
      returnUrl: 'http://127.0.0.1:9/',
    })
    await sb.sandbox.pay({ provider: 'wechat', outTradeNo: 'ord_0000000000STRANGERTRADE01' })

    // Both payments and the refund reach Postgres through the stores' outboxes.
    await eventually(
      () => query(`SELECT kind, amount_fen FROM ledger_entries WHERE store_id = '${STORE}'`),
      (rows) => rows.length === 3,
      30_000,
    )

    const run = await call('POST', '/api/v1/admin/reconcile', {
      token: DEV_ADMIN_TOKEN,
      body: { provider: 'wechat', date: today() },
    })
    expect(run.status, JSON.stringify(run.json)).toBe(200)
    expect(run.json).toMatchObject({ matched: 3, providerOnly: 1, localOnly: 0, amountMismatch: 0 })
    expect(run.json.report.providerOnly[0]).toMatchObject({
      outTradeNo: 'ord_0000000000STRANGERTRADE01',
      amountFen: 777,
    })
    expect(run.json.ledgerFen).toBe(b.totalFen)
    expect(run.json.billFen).toBe(b.totalFen + 777)

    // A rerun of the same day replaces the stored run.
    await call('POST', '/api/v1/admin/reconcile', {
      token: DEV_ADMIN_TOKEN,
      body: { provider: 'wechat', date: today() },
    })
    const runs = (await call('GET', '/api/v1/admin/reconciliations', { token: DEV_ADMIN_TOKEN })).json.runs
    expect(runs.filter((r: { billDate: string }) => r.billDate === today())).toHaveLength(1)

    // Hourly revenue: money in minus money out, per provider.
    const owner = (
      await call('POST', `/api/v1/stores/${STORE}/login`, {
        body: { username: 'owner', password: 'fixture-pass-1' },
      })
    ).json.token
    const now = Date.now()
    const revenue = await call(
      'GET',
      `/api/v1/stores/${STORE}/reports/revenue?from=${now - 2 * 3600_000}&to=${now + 3600_000}`,
      { token: owner },
    )
    expect(revenue.status, JSON.stringify(revenue.json)).toBe(200)
    const rows = revenue.json.rows as { netFen: number; paymentsFen: number; refundsFen: number }[]
    expect(rows.reduce((s, r) => s + r.netFen, 0)).toBe(b.totalFen)
    expect(rows.reduce((s, r) => s + r.refundsFen, 0)).toBe(a.totalFen)
  }, 90_000)

  it('bad input to the reconciliation API is a clear 4xx', async () => {
    const bad = await call('POST', '/api/v1/admin/reconcile', {
      token: DEV_ADMIN_TOKEN,
      body: { provider: 'wechat', date: '22/11/2026' },
    })
    expect(bad.status).toBe(400)
    const noAuth = await call('POST', '/api/v1/admin/reconcile', {
      body: { provider: 'wechat', date: today() },
    })
    expect(noAuth.status).toBe(401)
  })
})
