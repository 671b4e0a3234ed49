// npm run bench:orders — full order path over HTTP (Worker -> TableDO -> StoreDO: validated, priced, stock
// reserved) across 50 stores, against a bare Worker -> StoreDO RPC baseline measured in the same run.
// Prints one JSON line.
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
  const warm = await load(500, CONCURRENCY, async (i) => {
    await json(await fetch(`${b}/api/v1/stores/${stores[i % STORES]!.id}`))
  })
  const baseline = await load(ORDERS, CONCURRENCY, async (i) => {
    await json(await fetch(`${b}/api/v1/stores/${stores[i % STORES]!.id}`))
  })

  log(`baseline ${JSON.stringify(baseline)}`)
  // One order = add a line to the table's cart, then send the round; both on the critical path.
  let n = 0
  const addMs: number[] = []
  const roundMs: number[] = []
  const p50 = (xs: number[]) => Math.round(xs.sort((a, c) => a - c)[Math.floor(xs.length / 2)]! * 10) / 10
  // Each worker owns its own diners, so no two requests race for one table's cart.
  const orders = await load(ORDERS, CONCURRENCY, async (i, worker) => {
    const mine = Math.floor(diners.length / CONCURRENCY)
    const d = diners[worker * mine + (i % mine)]!
    const h = { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' }
    const t0 = performance.now()
    await json(
      await fetch(`${b}/api/v1/table/cart`, {
        method: 'POST',
        headers: h,
        body: JSON.stringify({
          menuVersion: d.menuVersion,
          line: { itemId: i % 3 ? 'duck' : 'rice', skuId: i % 3 ? 'half' : 'bowl', qty: 1 },
        }),
      }),
    )
    const t1 = performance.now()
    addMs.push(t1 - t0)
    await json(
      await fetch(`${b}/api/v1/table/rounds`, {
        method: 'POST',
        headers: { ...h, 'idempotency-key': `bench-${i}-${++n}-xxxx` },
        body: JSON.stringify({ menuVersion: d.menuVersion }),
      }),
    )
    roundMs.push(performance.now() - t1)
  })
  console.log(
    JSON.stringify({
      bench: 'orders',
      host: dev.host,
      stores: STORES,
      tables: STORES * TABLES,
      concurrency: CONCURRENCY,
      orders_per_s: orders.perSec,
      order_p50_ms: orders.p50,
      order_p99_ms: orders.p99,
      order_errors: orders.errors,
      cart_add_p50_ms: p50(addMs),
      round_p50_ms: p50(roundMs),
      http_requests_per_order: 2,
      baseline: 'GET /api/v1/stores/:id (Worker -> StoreDO RPC)',
      baseline_per_s: baseline.perSec,
      baseline_p50_ms: baseline.p50,
      baseline_p99_ms: baseline.p99,
      ratio_to_baseline: Math.round((orders.perSec / baseline.perSec) * 100) / 100,
      warmup_per_s: warm.perSec,
    }),
  )
} finally {
  await dev.stop()
}
