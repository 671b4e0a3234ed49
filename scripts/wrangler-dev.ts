// A throwaway `wrangler dev` for benchmarks and cross-part tests: fresh state dir, TEST-FIXTURE secrets,
// its own process group, waits for health.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const DEV_ADMIN_TOKEN = 'test-fixture-admin-token'

export async function startWranglerDev(
  port: number,
  vars: Record<string, string> = {},
): Promise<{ base: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'wrangler-dev-'))
  const all: Record<string, string> = {
    TOKEN_SECRET: 'test-fixture-token-secret',
    TABLE_CODE_SECRET: 'test-fixture-table-secret',
    ADMIN_TOKEN: DEV_ADMIN_TOKEN,
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    ...vars,
  }
  // wrangler's debugger defaults to 9229; two servers started together would both try it.
  const inspector = await freePort()
  const args = [
    'wrangler',
    'dev',
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--persist-to',
    dir,
    '--log-level',
    'error',
    '--inspector-port',
    String(inspector),
  ]
  for (const [k, v] of Object.entries(all)) args.push('--var', `${k}:${v}`)
  // Own process group, so stopping reaches workerd too; a crash of this script must not leave it behind.
  const child: ChildProcess = spawn('npx', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  })
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig)
    } catch {
      // already gone
    }
  }
  process.once('exit', () => killGroup('SIGKILL'))
  let log = ''
  child.stdout?.on('data', (d) => (log += d))
  child.stderr?.on('data', (d) => (log += d))
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 90_000
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`wrangler dev exited:\n${log}`)
    }
    if (Date.now() > deadline) killGroup('SIGKILL')
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) break
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`wrangler dev did not start:\n${log}`)
    }
    await new Promise((r) => setTimeout(r, 300))
  }
  return {
    base,
    async stop() {
      killGroup('SIGINT')
      await new Promise((r) => setTimeout(r, 500))
      killGroup('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A port the OS says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}
