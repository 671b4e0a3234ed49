// npm run bench:payments — provider notifies at load: the Worker verifies the signature and timestamp,
// decrypts (WeChat AES-GCM) or parses the form (Alipay), and StoreDO settles the checkout in one
// transaction (payment + ledger + order event + outbox rows) before the reply. Half WeChat, half Alipay,
// across 20 stores, 64 concurrent clients; then the same notifies again (all duplicates); against a bare
// Worker -> StoreDO RPC baseline and the cost of verification alone, measured in the same run. One JSON line.
//
// The checkouts are real: pay-first orders placed through the diner routes, each opened through the pay
// route (WeChat h5 calls the sandbox's create; Alipay wap's cashier URL is opened at the sandbox). The
// notifies are the sandbox's own renderings (bench/payment-notifies.ts), signed just before the load.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import WebSocket from 'ws'
import { startPaymentSandbox } from '../scripts/payment-sandbox/server'
import { testStore } from '../test/workers/fixtures'
import { DEV_ADMIN_TOKEN, startBenchHost } from './host'
import { load } from './load'
import { acked, type BenchNotify, payQuietly, renderNotify, unroutable } from './payment-notifies'

const STORES = Number(process.env.STORES ?? 20)
const TABLES = Number(process.env.TABLES ?? 20)
const NOTIFIES = Number(process.env.NOTIFIES ?? 4000)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64)
/** Notifies for an unknown store: verification + decryption without the Durable Object. */
const VERIFY_ONLY = Number(process.env.VERIFY_ONLY ?? 2000)
const PORT = Number(process.env.PORT ?? 8796)
// Why 100: every payment timer (active query at ~1 min, close at 15 min) is 100x later, so none fires while
// the run lasts and the only writer of a checkout is the notify under test.
const TIME_SCALE = '100'

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`)

/** Setup requests (not measured) retried on a dropped connection; the round's Idempotency-Key makes it safe. */
async function retry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn()
    } catch (e) {
      if (i >= attempts || !(e instanceof TypeError)) throw e
      log(`retrying after ${String(e)} ${String((e as { cause?: unknown }).cause ?? '')}`)
    }
  }
}

async function json(res: Response) {
  const body = await res.json()
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`)
  return body as any
}

/** Deterministic shuffle (mulberry32), so stores and providers interleave the same way every run. */
function shuffle<T>(xs: T[], seed = 42): T[] {
  let s = seed >>> 0
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[xs[i], xs[j]] = [xs[j] as T, xs[i] as T]
  }
  return xs
}

/**
 * With BENCH_INSPECT=<port> and BENCH_PROFILE=<file>: a V8 CPU profile of workerd during one load phase
 * (BENCH_PROFILE_PHASE: notify (default), replay, verify or baseline), written as a .cpuprofile (Chrome
 * DevTools opens it).
 */
async function startProfile(phase: string): Promise<(() => Promise<void>) | null> {
  const port = process.env.BENCH_INSPECT
  const file = process.env.BENCH_PROFILE
  if (!port || !file || (process.env.BENCH_PROFILE_PHASE ?? 'notify') !== phase) return null
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as {
    webSocketDebuggerUrl: string
  }[]
  const url = targets.find((t) => t.webSocketDebuggerUrl.includes('edge-canteen'))?.webSocketDebuggerUrl
  if (!url) throw new Error(`no edge-canteen target at inspector port ${port}`)
  const ws = new WebSocket(url)
  await new Promise((ok, fail) => ws.once('open', ok).once('error', fail))
  let id = 0
  const pending = new Map<number, (r: any) => void>()
  ws.on('message', (m) => {
    const msg = JSON.parse(String(m))
    if (msg.id) pending.get(msg.id)?.(msg.result)
  })
  const call = (method: string, params: object = {}) =>
    new Promise<any>((ok) => {
      pending.set(++id, ok)
      ws.send(JSON.stringify({ id, method, params }))
    })
  await call('Profiler.enable')
  await call('Profiler.setSamplingInterval', { interval: 200 })
  await call('Profiler.start')
  return async () => {
    const { profile } = await call('Profiler.stop')
    writeFileSync(file, JSON.stringify(profile))
    ws.close()
    log(`profile written to ${file}`)
  }
}

/** CPU seconds (user + system) used so far by this process's workerd descendants (Linux /proc; else 0). */
function workerdCpuSeconds(): number {
  try {
    const children = new Map<number, number[]>()
    const names = new Map<number, string>()
    const stats = new Map<number, string[]>()
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
        const close = stat.lastIndexOf(')')
        const fields = stat.slice(close + 2).split(' ')
        const pid = Number(d)
        names.set(pid, stat.slice(stat.indexOf('(') + 1, close))
        stats.set(pid, fields)
        const ppid = Number(fields[1])
        children.set(ppid, [...(children.get(ppid) ?? []), pid])
      } catch {
        // gone meanwhile
      }
    }
    let ticks = 0
    const walk = (pid: number) => {
      for (const c of children.get(pid) ?? []) {
        const f = stats.get(c)
        if (names.get(c) === 'workerd' && f) ticks += Number(f[11]) + Number(f[12])
        walk(c)
      }
    }
    walk(process.pid)
    return ticks / 100 // USER_HZ
  } catch {
    return 0
  }
}

/**
 * A measured load phase at the bench's concurrency (profiled when BENCH_PROFILE_PHASE names it), with the
 * CPU workerd spent per request: unlike req/s, it does not move when other programs share the machine.
 */
async function measured(phase: string, total: number, task: (i: number) => Promise<void>) {
  const stop = await startProfile(phase)
  const cpu0 = workerdCpuSeconds()
  const own0 = process.cpuUsage()
  const r = await load(total, CONCURRENCY, task)
  const own = process.cpuUsage(own0)
  const cpuMs = Math.round(((workerdCpuSeconds() - cpu0) * 1000 * 100) / Math.max(1, r.ok)) / 100
  const clientMs = Math.round(((own.user + own.system) / 1000 / Math.max(1, r.ok)) * 100) / 100
  await stop?.()
  log(`${phase}: workerd ${cpuMs} ms CPU per request, load generator ${clientMs} ms`)
  return { ...r, cpuMs, clientMs }
}

const sb = await startPaymentSandbox()
const hostBase = `http://127.0.0.1:${PORT}`
const dev = await startBenchHost(PORT, {
  ...sb.env,
  PAYMENT_NOTIFY_BASE: hostBase,
  PAYMENT_TIME_SCALE: TIME_SCALE,
})
log(`host up: ${dev.host}; sandbox at ${sb.base}`)
try {
  const b = dev.base
  const admin = { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, 'content-type': 'application/json' }

  // ---------- setup: stores, diners, pay-first orders, open checkouts ----------
  const stores = await Promise.all(
    Array.from({ length: STORES }, async (_, i) => {
      const id = String(600 + i)
      const setup = testStore({ payMode: 'pay_first' }, TABLES)
      setup.stock = { half: 1_000_000 }
      const s = await json(
        await fetch(`${b}/api/v1/admin/stores/${id}`, {
          method: 'PUT',
          headers: admin,
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
  const diners = await Promise.all(
    stores.flatMap((s) =>
      s.codes.map(async (code) => {
        const j = await json(await fetch(`${b}/api/v1/tables/${code}/join`, { method: 'POST' }))
        return { token: j.token as string, menuVersion: s.menuVersion, store: s.id }
      }),
    ),
  )
  log(`seeded ${STORES} stores, ${diners.length} diners joined`)

  // Each worker owns its own diners (no two requests race for one table's cart); the per-diner order limit
  // (30 per 10 s) leaves room: 4,000 orders over 400 diners is 10 each.
  const dinerFor = (i: number, worker: number) => {
    const mine = Math.floor(diners.length / CONCURRENCY)
    return diners[worker * mine + (i % mine)]!
  }
  const orders: { orderId: string; token: string; store: string }[] = []
  let idem = 0
  const placed = await load(NOTIFIES, CONCURRENCY, async (i, worker) => {
    const d = dinerFor(i, worker)
    const key = `pay-bench-${++idem}-xxxxxxxx`
    const r = await retry(async () =>
      json(
        await fetch(`${b}/api/v1/table/rounds`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${d.token}`,
            'content-type': 'application/json',
            'idempotency-key': key,
          },
          body: JSON.stringify({
            menuVersion: d.menuVersion,
            lines: [
              i % 3 ? { itemId: 'duck', skuId: 'half', qty: 1 } : { itemId: 'rice', skuId: 'bowl', qty: 1 },
            ],
          }),
        }),
      ),
    )
    orders.push({ orderId: r.round.orderId as string, token: d.token, store: d.store })
  })
  if (orders.length !== NOTIFIES) throw new Error(`placed ${orders.length} of ${NOTIFIES} orders`)
  log(`placed ${orders.length} pay-first orders (${placed.perSec}/s)`)

  // Open a checkout for each through the diner's pay route: half WeChat h5 (the Worker calls the sandbox's
  // create), half Alipay wap (the Worker signs a cashier URL; opening it creates the trade at the sandbox).
  const trades: { provider: 'wechat' | 'alipay'; outTradeNo: string }[] = []
  const opened = await load(orders.length, CONCURRENCY, async (i) => {
    const o = orders[i]!
    const provider = i % 2 ? 'alipay' : 'wechat'
    // Opening the same checkout again reuses it (and WeChat answers the same trade), so a retry is safe.
    const r = await retry(async () =>
      json(
        await fetch(`${b}/api/v1/table/orders/${o.orderId}/pay`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${o.token}`,
            'content-type': 'application/json',
            'cf-connecting-ip': '203.0.113.7',
          },
          body: JSON.stringify({ provider, channel: provider === 'wechat' ? 'h5' : 'wap' }),
        }),
      ),
    )
    if (provider === 'alipay') {
      const cashier = await retry(() => fetch(r.pay.url as string, { redirect: 'manual' }))
      await cashier.arrayBuffer()
      if (!cashier.ok) throw new Error(`alipay cashier ${cashier.status}`)
    }
    trades.push({ provider, outTradeNo: r.checkoutId as string })
  })
  if (trades.length !== orders.length)
    throw new Error(`opened ${trades.length} of ${orders.length} checkouts`)
  log(`opened ${trades.length} checkouts (${opened.perSec}/s)`)

  const paid = await payQuietly(sb.sandbox, trades)
  log(`paid ${paid.length} trades at the sandbox (deliveries held back)`)

  // ---------- baseline: bare Worker -> StoreDO RPC ----------
  await load(500, CONCURRENCY, async (i) => {
    await json(await fetch(`${b}/api/v1/stores/${stores[i % STORES]!.id}`))
  })
  const baseline = await measured('baseline', NOTIFIES, async (i) => {
    await json(await fetch(`${b}/api/v1/stores/${stores[i % STORES]!.id}`))
  })
  log(`baseline ${JSON.stringify(baseline)}`)

  // ---------- render: genuine notifies, timestamped now (WeChat refuses |skew| >= 5 min) ----------
  const t0 = performance.now()
  const notifies: BenchNotify[] = []
  for (const t of shuffle([...paid])) notifies.push(await renderNotify(sb.sandbox, t))
  const verifyOnly: BenchNotify[] = []
  for (let i = 0; i < VERIFY_ONLY; i++)
    verifyOnly.push(await renderNotify(sb.sandbox, unroutable(paid[i % paid.length]!, i)))
  log(
    `rendered ${notifies.length + verifyOnly.length} signed notifies in ${Math.round(performance.now() - t0)} ms`,
  )

  const post = async (n: BenchNotify) => {
    try {
      const res = await fetch(n.url, { method: 'POST', headers: n.headers, body: n.body })
      return { status: res.status, text: await res.text() }
    } catch (e) {
      throw new Error(
        `${n.provider} ${n.outTradeNo}: ${String(e)} ${String((e as { cause?: unknown }).cause ?? '')}`,
      )
    }
  }

  // ---------- verification alone: refused after verify + decrypt, before any Durable Object ----------
  const verify = await measured('verify', verifyOnly.length, async (i) => {
    const n = verifyOnly[i]!
    const r = await post(n)
    if (r.status !== 404) throw new Error(`verify-only ${n.provider}: ${r.status} ${r.text.slice(0, 200)}`)
  })
  log(`verify only ${JSON.stringify(verify)}`)

  // ---------- load: every notify once ----------
  const replies = { wechat_204: 0, alipay_success: 0, other: 0 }
  const settle = await measured('notify', notifies.length, async (i) => {
    const n = notifies[i]!
    const r = await post(n)
    if (!acked(n.provider, r.status, r.text)) {
      replies.other++
      throw new Error(`${n.provider} ${n.outTradeNo}: ${r.status} ${r.text.slice(0, 200)}`)
    }
    if (n.provider === 'wechat' && r.status === 204) replies.wechat_204++
    else if (n.provider === 'alipay') replies.alipay_success++
  })
  log(`notifies ${JSON.stringify(settle)} ${JSON.stringify(replies)}`)

  // ---------- replay: the same notifies again, all absorbed as duplicates ----------
  let replayAcked = 0
  const replay = await measured('replay', notifies.length, async (i) => {
    const n = notifies[i]!
    const r = await post(n)
    if (!acked(n.provider, r.status, r.text))
      throw new Error(`replay ${n.provider} ${n.outTradeNo}: ${r.status} ${r.text.slice(0, 200)}`)
    replayAcked++
  })
  log(`replay ${JSON.stringify(replay)}`)

  // ---------- audit: every checkout PAID by exactly one SETTLED payment, ledger consistent ----------
  const expected = new Set(trades.map((t) => t.outTradeNo))
  let violations = 0
  let payments = 0
  let paidOnce = 0
  let problems: string[] = []
  for (const s of stores) {
    const a = await json(await fetch(`${b}/api/v1/admin/stores/${s.id}/payments/audit`, { headers: admin }))
    violations += (a.violations as unknown[]).length
    if (a.violations.length) problems.push(`${s.id}: ${JSON.stringify(a.violations).slice(0, 300)}`)
    const byCheckout = new Map<string, { outcome: string }[]>()
    for (const p of a.payments as { checkoutId: string; outcome: string }[]) {
      payments++
      byCheckout.set(p.checkoutId, [...(byCheckout.get(p.checkoutId) ?? []), p])
    }
    for (const c of a.checkouts as { id: string; state: string; paymentId?: string }[]) {
      if (!expected.has(c.id)) continue
      const ps = byCheckout.get(c.id) ?? []
      if (c.state === 'PAID' && c.paymentId && ps.length === 1 && ps[0]!.outcome === 'SETTLED') paidOnce++
      else problems.push(`${c.id}: ${c.state}, payments ${JSON.stringify(ps)}`)
    }
  }
  problems = problems.slice(0, 5)
  for (const p of problems) log(`audit: ${p}`)
  // Exactly once whatever the first pass lost to the network: a notify refused or dropped there is retried by
  // the provider (here: the replay), and the replay must not add a payment either way.
  const paidExactlyOnce = paidOnce === NOTIFIES && payments === NOTIFIES && replayAcked === NOTIFIES
  log(`audit: ${paidOnce}/${NOTIFIES} checkouts paid once, ${payments} payments, ${violations} violations`)

  console.log(
    JSON.stringify({
      bench: 'payments',
      host: dev.host,
      stores: STORES,
      notifies: NOTIFIES,
      concurrency: CONCURRENCY,
      notifies_per_s: settle.perSec,
      p50_ms: settle.p50,
      p99_ms: settle.p99,
      errors: settle.errors,
      replies,
      replay_per_s: replay.perSec,
      replay_p50_ms: replay.p50,
      replay_p99_ms: replay.p99,
      replay_errors: replay.errors,
      verify_only_per_s: verify.perSec,
      verify_only_p50_ms: verify.p50,
      verify_only_p99_ms: verify.p99,
      baseline: 'GET /api/v1/stores/:id (Worker -> StoreDO RPC)',
      baseline_per_s: baseline.perSec,
      baseline_p50_ms: baseline.p50,
      baseline_p99_ms: baseline.p99,
      ratio_to_baseline: Math.round((settle.perSec / baseline.perSec) * 100) / 100,
      // workerd CPU per request (all its threads): steady when other programs share the machine, where
      // req/s is not; 1000 / notify_cpu_ms is what one workerd thread could settle with a core to itself.
      notify_cpu_ms: settle.cpuMs,
      replay_cpu_ms: replay.cpuMs,
      verify_only_cpu_ms: verify.cpuMs,
      baseline_cpu_ms: baseline.cpuMs,
      paid_exactly_once: paidExactlyOnce,
      ledger_violations: violations,
    }),
  )
} finally {
  await dev.stop()
  await sb.stop()
}
