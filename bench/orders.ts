// npm run bench:orders — the full order path over HTTP (Worker -> TableDO -> StoreDO: validated, priced,
// stock reserved, history row written) across 50 stores, against a bare Worker -> StoreDO RPC baseline
// measured in the same run. Two flows: a direct order (one request) and the shared cart (two). One JSON line.
import { testStore } from '../test/workers/fixtures'
import { DEV_ADMIN_TOKEN, startBenchHost } from './host'
import { load } from './load'

const STORES = Number(process.env.STORES ?? 50)
const TABLES = Number(process.env.TABLES ?? 20)
const ORDERS = Number(process.env.ORDERS ?? 6000)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64)

async function json(res: Response) {
  const body = await res.json()
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`)
  return body as any
}

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`)
const dev = await startBenchHost(Number(process.env.PORT ?? 8799))
log(`host up: ${dev.host}`)
try {
  const b = dev.base
  const stores = await Promise.all(
    Array.from({ length: STORES }, async (_, i) => {
      const id = String(500 + i)
      const setup = testStore({}, TABLES)
      setup.stock = { half: 1_000_000 } // stock is checked and taken on every order, never runs out here
      const s = await json(
        await fetch(`${b}/api/v1/admin/stores/${id}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(setup),
        }),
      )
      return {
        id,
        menuVersion: s.menuVersion as number,
        codes: (s.tables as { code: string }[]).map((t) => t.code),
      }
    }),
  )
  log(`seeded ${STORES} stores`)
  const diners = await Promise.all(
    stores.flatMap((s) =>
      s.codes.map(async (code) => {
        const j = await json(await fetch(`${b}/api/v1/tables/${code}/join`, { method: 'POST' }))
        return { token: j.token as string, menuVersion: s.menuVersion }
      }),
    ),
  )

  log(`${diners.length} diners joined`)
  await load(500, CONCURRENCY, async (i) => {
    await json(await fetch(`${b}/api/v1/stores/${stores[i % STORES]!.id}`))
  })
  const baseline = await load(ORDERS, CONCURRENCY, async (i) => {
    await json(await fetch(`${b}/api/v1/stores/${stores[i % STORES]!.id}`))
  })

  log(`baseline ${JSON.stringify(baseline)}`)
  const line = (i: number) => ({ itemId: i % 3 ? 'duck' : 'rice', skuId: i % 3 ? 'half' : 'bowl', qty: 1 })
  // Each worker owns its own diners, so no two requests race for one table's cart.
  const dinerFor = (i: number, worker: number) => {
    const mine = Math.floor(diners.length / CONCURRENCY)
    return diners[worker * mine + (i % mine)]!
  }
  let n = 0
  const round = (d: (typeof diners)[number], body: object) =>
    fetch(`${b}/api/v1/table/rounds`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${d.token}`,
        'content-type': 'application/json',
        'idempotency-key': `bench-${++n}-xxxxxxxx`,
      },
      body: JSON.stringify({ menuVersion: d.menuVersion, ...body }),
    })

  // Direct: one request carries the lines; the table adds them to its cart and sends the round.
  const direct = await load(ORDERS, CONCURRENCY, async (i, worker) => {
    await json(await round(dinerFor(i, worker), { lines: [line(i)] }))
  })
  log(`direct ${JSON.stringify(direct)}`)

  // Shared cart: add a line (what a phone at the table does), then send the round.
  const cart = await load(Math.floor(ORDERS / 2), CONCURRENCY, async (i, worker) => {
    const d = dinerFor(i, worker)
    await json(
      await fetch(`${b}/api/v1/table/cart`, {
        method: 'POST',
        headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ menuVersion: d.menuVersion, line: line(i) }),
      }),
    )
    await json(await round(d, {}))
  })
  console.log(
    JSON.stringify({
      bench: 'orders',
      host: dev.host,
      stores: STORES,
      tables: STORES * TABLES,
      concurrency: CONCURRENCY,
      orders_per_s: direct.perSec,
      order_p50_ms: direct.p50,
      order_p99_ms: direct.p99,
      order_errors: direct.errors,
      cart_flow_orders_per_s: cart.perSec,
      cart_flow_p50_ms: cart.p50,
      cart_flow_p99_ms: cart.p99,
      cart_flow_errors: cart.errors,
      baseline: 'GET /api/v1/stores/:id (Worker -> StoreDO RPC)',
      baseline_per_s: baseline.perSec,
      baseline_p50_ms: baseline.p50,
      baseline_p99_ms: baseline.p99,
      ratio_to_baseline: Math.round((direct.perSec / baseline.perSec) * 100) / 100,
    }),
  )
} finally {
  await dev.stop()
}
