// npm run bench:dispatch [-- <instances dir>] [--out <dir>] [--workers N]
// Dispatch quality on real delivery days: replays every MDRP instance (grubhub/mdrplib layout) in the
// directory through core/dispatch, checks each solution with core/dispatch/mdrp/feasibility (on the
// written files, read back) and computes the published metrics. Per-instance lines on stderr; one JSON
// line on stdout with the means over instances (as the paper averages), per class, the worst batch
// decision time and the published online baseline (Reyes et al. 2018). `--out` also writes each
// instance's three solution files, for the instances' own Python evaluator.
//
// Instances are read in place (default ../shared/data/mdrp next to the repository), never copied in.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isMainThread, parentPort, Worker } from 'node:worker_threads'
import type { BatchPolicy } from '../core/dispatch/batch'
import { checkFeasibility } from '../core/dispatch/mdrp/feasibility'
import {
  INSTANCE_FILE_NAMES,
  type InstanceFiles,
  instanceClass,
  parseInstance,
} from '../core/dispatch/mdrp/instance'
import { computeMetrics, type MdrpMetrics } from '../core/dispatch/mdrp/metrics'
import { DEFAULT_POLICY } from '../core/dispatch/mdrp/policy'
import { simulate } from '../core/dispatch/mdrp/simulate'
import { parseSolutionFiles, SOLUTION_FILE_NAMES, writeSolutionFiles } from '../core/dispatch/mdrp/solution'

/** Reyes, Erera, Savelsbergh, Sahasrabudhe, O'Neil (2018), online rolling-horizon algorithm, mean of all
 * 240 instances. */
const BASELINE = {
  source: 'Reyes et al. 2018, MDRP online algorithm, mean over 240 instances',
  delivered_pct: 99.75,
  click_to_door_min: 32.74,
  ready_to_pickup_min: 1.93,
  cost_per_order: 11.42,
}

interface Job {
  dir: string
  name: string
  out: string | null
  policy: BatchPolicy
}

interface JobResult {
  name: string
  metrics: MdrpMetrics
  violations: string[]
  worstBatchMs: number
  batchMs: number[]
  batches: number
  simMs: number
}

function runOne(job: Job): JobResult {
  const read = (f: string) => readFileSync(join(job.dir, job.name, f), 'utf8')
  const files = Object.fromEntries(
    Object.entries(INSTANCE_FILE_NAMES).map(([k, f]) => [k, read(f)]),
  ) as unknown as InstanceFiles
  const instance = parseInstance(job.name, files)
  const t0 = performance.now()
  const sim = simulate(instance, { policy: job.policy, clock: () => performance.now() })
  const simMs = performance.now() - t0
  const written = writeSolutionFiles(instance, sim.solution)
  if (job.out) {
    const dir = join(job.out, job.name)
    mkdirSync(dir, { recursive: true })
    for (const [k, f] of Object.entries(SOLUTION_FILE_NAMES)) {
      writeFileSync(join(dir, f), written[k as keyof typeof written])
    }
  }
  const parsed = parseSolutionFiles(written)
  return {
    name: job.name,
    metrics: computeMetrics(instance, parsed),
    violations: checkFeasibility(instance, parsed),
    worstBatchMs: sim.worstBatchMs,
    batchMs: sim.batchMs,
    batches: sim.batches,
    simMs,
  }
}

if (!isMainThread) {
  parentPort!.on('message', (job: Job | null) => {
    if (job === null) process.exit(0)
    parentPort!.postMessage(runOne(job))
  })
} else {
  await main()
}

function parseArgs(argv: string[]) {
  let dir: string | null = null
  let out: string | null = null
  let workers = Math.max(1, Math.min(availableParallelism(), 8))
  let policy: BatchPolicy = DEFAULT_POLICY
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--out') out = resolve(argv[++i] ?? '')
    else if (a === '--workers') workers = Math.max(1, Number(argv[++i]))
    else if (a === '--policy') policy = mergePolicy(policy, JSON.parse(argv[++i] ?? '{}'))
    else dir = resolve(a)
  }
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  return { dir: dir ?? resolve(root, '../shared/data/mdrp'), out, workers, policy }
}

/** `--policy '{"interval":2,"weights":{"courierMinute":0.5}}'` overrides fields of the default policy, for
 * sweeps; nested objects merge one level deep. */
function mergePolicy(base: BatchPolicy, patch: Record<string, unknown>): BatchPolicy {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(patch)) {
    const cur = out[k]
    out[k] = v && typeof v === 'object' && cur && typeof cur === 'object' ? { ...cur, ...v } : v
  }
  return out as unknown as BatchPolicy
}

async function main() {
  const { dir, out, workers, policy } = parseArgs(process.argv.slice(2))
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'orders.txt')))
    .map((d) => d.name)
    .sort()
  if (names.length === 0) throw new Error(`no MDRP instances under ${dir}`)
  const log = (m: string) => process.stderr.write(`${m}\n`)
  log(`[bench] ${names.length} instances from ${dir} on ${workers} worker(s)`)
  const started = performance.now()
  const results = await runAll(
    names.map((name) => ({ dir, name, out, policy })),
    workers,
    (r) => {
      const m = r.metrics
      log(
        `${r.name.padEnd(16)} orders ${String(m.orders).padStart(4)}  delivered ${m.deliveredPct.toFixed(2).padStart(6)}%` +
          `  ctd ${m.clickToDoor.toFixed(2)}  r2p ${m.readyToPickup.toFixed(2)}  $/order ${m.costPerOrder.toFixed(2)}` +
          `  o/bundle ${m.ordersPerBundle.toFixed(2)}  worst batch ${r.worstBatchMs.toFixed(1)} ms` +
          `  violations ${r.violations.length}${r.violations.length ? ` (${r.violations[0]})` : ''}`,
      )
    },
  )
  results.sort((a, b) => (a.name < b.name ? -1 : 1))
  const summary = (rs: JobResult[]) => {
    const avg = (f: (m: MdrpMetrics) => number) => round(rs.reduce((s, r) => s + f(r.metrics), 0) / rs.length)
    return {
      instances: rs.length,
      delivered_pct: avg((m) => m.deliveredPct),
      click_to_door_min: avg((m) => m.clickToDoor),
      ready_to_pickup_min: avg((m) => m.readyToPickup),
      cost_per_order: avg((m) => m.costPerOrder),
      orders_per_bundle: avg((m) => m.ordersPerBundle),
      click_to_door_overage_min: avg((m) => m.clickToDoorOverage),
    }
  }
  const perClass: Record<string, ReturnType<typeof summary>> = {}
  const groups = new Map<string, JobResult[]>()
  for (const r of results) {
    const c = instanceClass(r.name)
    const keys = c ? [c.size, c.travel, c.shifts, c.prep, `seed${c.seed}`] : ['unclassified']
    for (const k of keys) groups.set(k, [...(groups.get(k) ?? []), r])
  }
  for (const [k, rs] of [...groups].sort()) perClass[k] = summary(rs)
  const all = summary(results)
  const violations = results.reduce((s, r) => s + r.violations.length, 0)
  log(`[bench] done in ${((performance.now() - started) / 1000).toFixed(1)} s, violations ${violations}`)
  const line = {
    bench: 'dispatch',
    instances: results.length,
    delivered_pct: all.delivered_pct,
    click_to_door_min: all.click_to_door_min,
    ready_to_pickup_min: all.ready_to_pickup_min,
    cost_per_order: all.cost_per_order,
    orders_per_bundle: all.orders_per_bundle,
    click_to_door_overage_min: all.click_to_door_overage_min,
    undelivered_orders: results.reduce((s, r) => s + r.metrics.orders - r.metrics.delivered, 0),
    violations,
    infeasible_instances: results.filter((r) => r.violations.length > 0).length,
    worst_batch_ms: round(Math.max(...results.map((r) => r.worstBatchMs))),
    p99_batch_ms: round(
      quantile(
        results.flatMap((r) => r.batchMs),
        0.99,
      ),
    ),
    mean_batch_ms: round(
      results.reduce((s, r) => s + r.batchMs.reduce((a, b) => a + b, 0), 0) /
        Math.max(
          1,
          results.reduce((s, r) => s + r.batchMs.length, 0),
        ),
    ),
    beats_baseline: {
      delivered: all.delivered_pct > BASELINE.delivered_pct,
      click_to_door: all.click_to_door_min < BASELINE.click_to_door_min,
      ready_to_pickup: all.ready_to_pickup_min < BASELINE.ready_to_pickup_min,
      cost_per_order: all.cost_per_order < BASELINE.cost_per_order,
    },
    baseline: BASELINE,
    policy,
    per_class: perClass,
  }
  process.stdout.write(`${JSON.stringify(line)}\n`)
  if (violations > 0) process.exitCode = 1
}

function quantile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}

async function runAll(jobs: Job[], n: number, onResult: (r: JobResult) => void): Promise<JobResult[]> {
  if (n <= 1) {
    return jobs.map((j) => {
      const r = runOne(j)
      onResult(r)
      return r
    })
  }
  const results: JobResult[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(n, jobs.length) }, async () => {
      // Workers run this same file; they register tsx's loader first so they can import the TypeScript.
      const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}) })`
      const w = new Worker(boot, { eval: true })
      try {
        for (let i = next++; i < jobs.length; i = next++) {
          const r = await new Promise<JobResult>((res, rej) => {
            w.once('message', res)
            w.once('error', rej)
            w.postMessage(jobs[i])
          })
          w.removeAllListeners('error')
          onResult(r)
          results.push(r)
        }
      } finally {
        await w.terminate()
      }
    }),
  )
  return results
}
