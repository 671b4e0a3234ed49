// npm run bench:print — kitchen printing under load: staff accept an order -> the ticket's last byte (the
// cut) reaches the store's printer. The production bundle in one workerd (bench/host.ts); per store one
// virtual ESC/POS printer (printer-bridge/virtual-printer.ts) and one real printer bridge
// (printer-bridge/bridge.ts, own journal) dialling out to its StoreDO, all in this process.
//
// Open loop: the orders are placed first (spread over tables, so no diner comes near the 30 per 10 s order
// limit), then accepts are fired on a fixed schedule, one every 1000/RATE ms round-robin over the stores,
// whatever the answers do. Latency runs from an accept's scheduled time (so a late scheduler counts against
// us, not for us) to the ticket's completion at the printer; tickets are matched to orders by store and the
// pickup number printed on them (and checked against the order id, printed too).
// Baseline in the same run: the very bytes each order printed, written straight to the same printers over
// TCP (printer-bridge/printer.ts sendToPrinter) on the same schedule. One JSON line on stdout.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { PrinterConfig } from '../core/tickets'
import { Bridge } from '../printer-bridge/bridge'
import { bridgeUrl } from '../printer-bridge/config'
import { sendToPrinter } from '../printer-bridge/printer'
import {
  type PrintedTicket,
  startVirtualPrinter,
  type VirtualPrinter,
} from '../printer-bridge/virtual-printer'
import { testStore } from '../test/workers/fixtures'
import { DEV_ADMIN_TOKEN, startBenchHost } from './host'

const STORES = Number(process.env.STORES ?? 20)
const RATE = Number(process.env.RATE ?? 100)
const SECONDS = Number(process.env.SECONDS ?? 20)
const TABLES = Number(process.env.TABLES ?? 20)
const ORDERS = RATE * SECONDS
const INTERVAL_MS = 1000 / RATE
/** How long after the last accept a ticket may still arrive before its order counts as lost. */
const DRAIN_MS = 15_000

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`)

async function json(res: Response) {
  const text = await res.text()
  if (!res.ok) throw new Error(`${res.status} ${text}`)
  return (text ? JSON.parse(text) : null) as any
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i]!)
    }),
  )
}

function quantile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10
}

/** Fires fire(i) for i in [0, n) at start + i * interval, never waiting for an answer; resolves once all fired. */
function openLoop(n: number, interval: number, start: number, fire: (i: number) => void): Promise<number> {
  let i = 0
  let maxLag = 0
  return new Promise((done) => {
    const tick = () => {
      const now = Date.now()
      while (i < n && start + i * interval <= now) {
        maxLag = Math.max(maxLag, now - (start + i * interval))
        fire(i++)
      }
      if (i >= n) return done(maxLag)
      setTimeout(tick, Math.max(0, start + i * interval - Date.now()))
    }
    tick()
  })
}

const pickupOn = (t: PrintedTicket) => /堂食 (T\d+)/.exec(t.text)?.[1]
const orderIdOn = (t: PrintedTicket) => /单号 (ord_\w+)/.exec(t.text)?.[1]

interface Store {
  id: string
  printer: VirtualPrinter
  address: string
  bridge: Bridge
  owner: string
  menuVersion: number
  diners: string[]
}

interface Order {
  i: number
  store: Store
  orderId: string
  pickupNo: string
}

const dir = mkdtempSync(join(tmpdir(), 'bench-print-'))
const printers: VirtualPrinter[] = []
const bridges: Bridge[] = []
let bridgeWarnings = 0
const host = await startBenchHost(Number(process.env.PORT ?? 8797))
log(`host up: ${host.host}`)
try {
  const b = host.base
  const MAPO = { itemId: 'mapo', skuId: 'std', qty: 1, optionIds: ['mild'], note: '' }
  const TEA = { itemId: 'tea', skuId: 'cup', qty: 2, optionIds: [], note: '' }

  const stores: Store[] = await Promise.all(
    Array.from({ length: STORES }, async (_, s) => {
      const id = String(600 + s)
      const printer = await startVirtualPrinter({ port: 0, name: `store-${id}` })
      printers.push(printer)
      const address = `tcp://127.0.0.1:${printer.port}`
      const config: PrinterConfig = {
        id: 'kitchen',
        name: '后厨',
        stations: ['hot', 'cold', 'bar', 'pass'],
        receipts: true,
        copies: 1,
        width: 80,
        buzzer: true,
        transport: { kind: 'lan', address },
      }
      const seeded = await json(
        await fetch(`${b}/api/v1/admin/stores/${id}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ...testStore({}, TABLES), printers: [config] }),
        }),
      )
      const { token: owner } = await json(
        await fetch(`${b}/api/v1/stores/${id}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'owner', password: 'fixture-pass-1' }),
        }),
      )
      const { key } = await json(
        await fetch(`${b}/api/v1/stores/${id}/bridge-key`, {
          method: 'POST',
          headers: { authorization: `Bearer ${owner}` },
        }),
      )
      const bridge = new Bridge({
        url: bridgeUrl(b, id),
        key,
        journalPath: join(dir, `journal-${id}.jsonl`),
        bridgeId: `bench-${id}`,
        log: (level, message) => {
          if (level !== 'warn' && level !== 'error') return
          bridgeWarnings++
          if (bridgeWarnings <= 5) log(`bridge ${id} ${level}: ${message}`)
        },
      })
      bridges.push(bridge)
      bridge.start()
      const diners = await Promise.all(
        (seeded.tables as { code: string }[]).map(
          async (t) =>
            (
              await json(
                await fetch(`${b}/api/v1/tables/${t.code}/join`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ name: '食客' }),
                }),
              )
            ).token as string,
        ),
      )
      return { id, printer, address, bridge, owner, menuVersion: seeded.menuVersion, diners }
    }),
  )
  const deadline = Date.now() + 20_000
  while (!stores.every((s) => s.bridge.connected && s.bridge.snapshot().kitchen?.status === 'ok')) {
    if (Date.now() > deadline) throw new Error('bridges did not connect')
    await new Promise((r) => setTimeout(r, 50))
  }
  log(`${STORES} stores seeded, ${STORES} bridges connected, ${STORES * TABLES} diners joined`)

  let idem = 0
  const place = async (store: Store, table: number, i: number): Promise<Order> => {
    const r = await json(
      await fetch(`${b}/api/v1/table/rounds`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${store.diners[table]}`,
          'content-type': 'application/json',
          'idempotency-key': `bench-print-${++idem}-xxxxxxxx`,
        },
        body: JSON.stringify({ menuVersion: store.menuVersion, lines: [MAPO, TEA] }),
      }),
    )
    return { i, store, orderId: r.round.orderId, pickupNo: r.round.pickupNo }
  }
  const accept = (o: Order) =>
    fetch(`${b}/api/v1/stores/${o.store.id}/orders/${o.orderId}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${o.store.owner}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'accept' }),
    })

  // Warm-up, not measured: one order per store placed, accepted and printed.
  const warm = await Promise.all(stores.map((s) => place(s, 0, -1)))
  await Promise.all(warm.map(async (o) => json(await accept(o))))
  for (const s of stores) await s.printer.waitFor(1, 10_000)

  // Order i goes to store i % STORES, and within its store to the tables in turn. One table's rounds are
  // placed one after another (a table's cart is shared), tables in parallel.
  const orders: Order[] = new Array(ORDERS)
  const byTable = new Map<string, number[]>()
  for (let i = 0; i < ORDERS; i++) {
    const key = `${i % STORES}:${Math.floor(i / STORES) % TABLES}`
    byTable.set(key, [...(byTable.get(key) ?? []), i])
  }
  const t0Place = Date.now()
  await pool([...byTable.entries()], 64, async ([key, list]) => {
    const [s, t] = key.split(':').map(Number) as [number, number]
    for (const i of list) orders[i] = await place(stores[s]!, t, i)
  })
  log(`${ORDERS} orders placed in ${((Date.now() - t0Place) / 1000).toFixed(1)} s; firing accepts`)

  // ---- timed: accept -> printed ----
  const startCounts = stores.map((s) => s.printer.tickets.length)
  const acceptMs: number[] = []
  let acceptErrors = 0
  // This process hosts the bridges, printers and the load; its own stalls show up as latency, so say how big.
  const loop = monitorEventLoopDelay({ resolution: 5 })
  loop.enable()
  const start = Date.now() + 200
  const fireLag = await openLoop(ORDERS, INTERVAL_MS, start, (i) => {
    const sent = Date.now()
    accept(orders[i]!)
      .then(async (res) => {
        const body = await json(res)
        if (body.state !== 'QUEUED') throw new Error(`accepted order is ${body.state}`)
        acceptMs.push(Date.now() - sent)
      })
      .catch((e) => {
        acceptErrors++
        if (acceptErrors <= 3) log(`accept ${i}: ${e}`)
      })
  })
  loop.disable()
  const printedCount = () => stores.reduce((n, s, k) => n + s.printer.tickets.length - startCounts[k]!, 0)
  const drainEnd = Date.now() + DRAIN_MS
  while (printedCount() < ORDERS && Date.now() < drainEnd) await new Promise((r) => setTimeout(r, 50))

  const byStorePickup = new Map<string, Order>()
  for (const o of orders) byStorePickup.set(`${o.store.id}:${o.pickupNo}`, o)
  const seen = new Map<number, PrintedTicket[]>()
  let unmatched = 0
  stores.forEach((s, k) => {
    for (const t of s.printer.tickets.slice(startCounts[k])) {
      const o = byStorePickup.get(`${s.id}:${pickupOn(t)}`)
      if (!o || orderIdOn(t) !== o.orderId) {
        unmatched++
        continue
      }
      seen.set(o.i, [...(seen.get(o.i) ?? []), t])
    }
  })
  const latency = [...seen.entries()]
    .map(([i, ts]) => ts[0]!.at - (start + i * INTERVAL_MS))
    .sort((a, b) => a - b)
  const lost = ORDERS - seen.size
  const duplicates = [...seen.values()].reduce((n, ts) => n + ts.length - 1, 0)
  acceptMs.sort((a, b) => a - b)
  log(
    `printed ${seen.size}/${ORDERS}: p50 ${quantile(latency, 0.5)} ms, p99 ${quantile(latency, 0.99)} ms, lost ${lost}, duplicates ${duplicates}`,
  )

  // ---- baseline: the same bytes straight to the printers over TCP, same schedule ----
  const baseCounts = stores.map((s) => s.printer.tickets.length)
  const replay = [...seen.entries()].sort(([a], [b]) => a - b)
  let baseErrors = 0
  const baseStart = Date.now() + 200
  const sends: Promise<void>[] = []
  const baseLag = await openLoop(replay.length, INTERVAL_MS, baseStart, (k) => {
    const [i, ts] = replay[k]!
    sends.push(
      sendToPrinter(orders[i]!.store.address, ts[0]!.bytes, { timeoutMs: 10_000 }).catch(() => {
        baseErrors++
      }),
    )
  })
  await Promise.all(sends)
  const replayIndex = new Map(replay.map(([i], k) => [orders[i]!.orderId, k]))
  const baseLatency: number[] = []
  stores.forEach((s, k) => {
    for (const t of s.printer.tickets.slice(baseCounts[k])) {
      const at = replayIndex.get(orderIdOn(t) ?? '')
      if (at !== undefined) baseLatency.push(t.at - (baseStart + at * INTERVAL_MS))
    }
  })
  baseLatency.sort((a, b) => a - b)

  console.log(
    JSON.stringify({
      bench: 'print',
      host: host.host,
      stores: STORES,
      orders: ORDERS,
      rate_per_s: RATE,
      accepted_to_printed_p50_ms: quantile(latency, 0.5),
      p99_ms: quantile(latency, 0.99),
      max_ms: latency.at(-1) ?? null,
      lost,
      duplicates,
      unmatched_tickets: unmatched,
      accept_errors: acceptErrors,
      accept_http_p50_ms: quantile(acceptMs, 0.5),
      accept_http_p99_ms: quantile(acceptMs, 0.99),
      scheduler_max_lag_ms: Math.max(fireLag, baseLag),
      bridge_warnings: bridgeWarnings,
      bench_loop_delay_p99_ms: Math.round(loop.percentile(99) / 1e5) / 10,
      bench_loop_delay_max_ms: Math.round(loop.max / 1e5) / 10,
      baseline: 'same ticket bytes -> sendToPrinter -> the same virtual printers, same schedule',
      baseline_tcp_p50_ms: quantile(baseLatency, 0.5),
      baseline_tcp_p99_ms: quantile(baseLatency, 0.99),
      baseline_tcp_max_ms: baseLatency.at(-1) ?? null,
      baseline_errors: baseErrors + (replay.length - baseLatency.length),
    }),
  )
} finally {
  for (const br of bridges) br.abort()
  await Promise.all(printers.map((p) => p.close()))
  await host.stop()
  rmSync(dir, { recursive: true, force: true })
}
