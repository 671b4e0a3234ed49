// Host for benchmarks: the production bundle (`wrangler deploy --dry-run`) in one local workerd through
// Miniflare, configured from wrangler.toml. `wrangler dev` adds a proxy workerd and a file watcher in front
// of the Worker, which measures the dev tooling rather than this code (docs/BENCHMARKS.md has both).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Miniflare } from 'miniflare'
import { unstable_getMiniflareWorkerOptions } from 'wrangler'
import { DEV_ADMIN_TOKEN, startWranglerDev } from '../scripts/wrangler-dev'

export { DEV_ADMIN_TOKEN }

export async function startBenchHost(
  port: number,
  vars: Record<string, string> = {},
): Promise<{ base: string; host: string; stop(): Promise<void> }> {
  if (process.env.BENCH_HOST === 'wrangler-dev') {
    const dev = await startWranglerDev(port, vars)
    return { ...dev, host: 'wrangler dev' }
  }
  const out = mkdtempSync(join(tmpdir(), 'bench-bundle-'))
  execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', out], {
    stdio: 'ignore',
    env: { ...process.env, WRANGLER_LOG: 'error' },
  })
  const { workerOptions } = unstable_getMiniflareWorkerOptions('wrangler.toml')
  const base = `http://127.0.0.1:${port}`
  const mf = new Miniflare({
    ...(workerOptions as object),
    name: 'edge-canteen',
    host: '127.0.0.1',
    port,
    ...(process.env.BENCH_INSPECT ? { inspectorPort: Number(process.env.BENCH_INSPECT) } : {}),
    modules: true,
    scriptPath: join(out, 'index.js'),
    modulesRoot: out,
    bindings: {
      ...((workerOptions as { bindings?: Record<string, unknown> }).bindings ?? {}),
      TOKEN_SECRET: 'test-fixture-token-secret',
      TABLE_CODE_SECRET: 'test-fixture-table-secret',
      ADMIN_TOKEN: DEV_ADMIN_TOKEN,
      PUBLIC_BASE_URL: base,
      ...vars,
    },
  } as ConstructorParameters<typeof Miniflare>[0])
  await mf.ready
  return {
    base,
    host: 'miniflare (production bundle, one workerd)',
    async stop() {
      await mf.dispose()
      // Kept when profiling, so sampled line numbers can be read against the bundle that ran.
      if (process.env.BENCH_INSPECT) console.error(`bundle kept at ${out}`)
      else rmSync(out, { recursive: true, force: true })
    },
  }
}
