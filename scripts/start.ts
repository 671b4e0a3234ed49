// `npm start`: the whole system on one machine with no setup. Secrets in .dev.vars, Postgres in PGlite
// behind the Neon WebSocket proxy, the H5 apps built, the Worker and its Durable Objects in `wrangler dev`,
// and a demo store seeded on first run. Kitchen printing works out of the box: a virtual printer per demo
// printer and the printer bridge run in this process, so tickets show up in the terminal and as pictures.
// Everything it keeps lives in .data/; Ctrl-C stops it all.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { hostname, networkInterfaces } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import type { PrinterConfig } from '../core/tickets'
import { Bridge, type LogLevel } from '../printer-bridge/bridge'
import { bridgeUrl } from '../printer-bridge/config'
import { startVirtualPrinter } from '../printer-bridge/virtual-printer'
import { DEMO_PASSWORD, DEMO_STORE_ID, demoStoreSetup } from './demo-data'
import { ensureDevVars } from './dev-vars'
import { startLocalPostgres, startWsProxy } from './local-db'
import { migrateDatabase } from './migrate'
import { generateSandboxKeys, type SandboxKeys } from './payment-sandbox/keys'
import { startPaymentSandbox } from './payment-sandbox/server'
import { startRiderSim } from './rider-sim'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const DATA_DIR = '.data'
const PG_DIR = join(DATA_DIR, 'pglite')
const WRANGLER_DIR = join(DATA_DIR, 'wrangler')
/** Each virtual printer writes its tickets (.txt and .png) to PRINTERS_DIR/<printer id>/. */
const PRINTERS_DIR = join(DATA_DIR, 'printers')
/** The store's bridge key: shown once by the server, so kept here for the next start (and a real bridge). */
const BRIDGE_KEY_FILE = join(DATA_DIR, 'bridge-key')
/** The in-process bridge's journal: what was printed, so a restart never prints a ticket twice. */
const BRIDGE_JOURNAL = join(DATA_DIR, 'bridge-journal.jsonl')
/** The payment sandbox's keys: kept so orders paid before a restart still match its signatures. */
const SANDBOX_KEYS = join(DATA_DIR, 'payment-sandbox-keys.json')
const SANDBOX_PORT = 8790
/** 5433, not 5432: leaves a Postgres the developer already runs alone. */
const PG_PORT = 5433
/** The port Neon's own wsproxy examples use, so nothing else is likely on it. */
const WS_PROXY_PORT = 5488
const WORKER_PORT = 8787
const WORKER = `http://127.0.0.1:${WORKER_PORT}`
/** The first `wrangler dev` bundles the Worker and downloads nothing, but a cold laptop can take a while. */
const HEALTH_TIMEOUT_MS = 90_000
/** How long a child gets to exit after SIGTERM before it is killed outright. */
const CHILD_GRACE_MS = 5_000
/** Upper bound on a clean shutdown, so a stuck close never leaves Ctrl-C hanging. */
const SHUTDOWN_TIMEOUT_MS = 15_000

const require = createRequire(import.meta.url)
// qrcode-terminal ships no types; this is the one call we make.
const qrcode = require('qrcode-terminal') as {
  generate(text: string, opts: { small: boolean }, cb: (qr: string) => void): void
}

/** The demo printers, each with the local port its virtual printer listens on (tcp://127.0.0.1:<port>). */
const DEMO_PRINTERS = (demoStoreSetup().printers ?? []).flatMap((p) => {
  const m = p.transport.kind === 'lan' ? /^tcp:\/\/([^:]+):(\d+)$/.exec(p.transport.address) : null
  return m ? [{ config: p, host: m[1]!, port: Number(m[2]) }] : []
})

interface TableLink {
  tableKey: string
  label: string
  code: string
  url: string
}

// ---- lifecycle ---------------------------------------------------------------------------------------------

/** Undo steps for everything started so far, run last-first on the way out. */
const cleanups: { name: string; run: () => Promise<void> }[] = []
const children = new Set<ChildProcess>()
let stopping = false

function onCleanup(name: string, run: () => Promise<void>): void {
  cleanups.push({ name, run })
}

async function shutdown(code: number, why?: string): Promise<never> {
  if (stopping) return new Promise<never>(() => {})
  stopping = true
  if (why) (code === 0 ? console.log : console.error)(`\n${why}`)
  // Not unref'd: it also keeps the process alive (and the exit code right) while a close is pending.
  setTimeout(() => {
    console.error(`Shutdown took longer than ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting anyway.`)
    process.exit(code || 1)
  }, SHUTDOWN_TIMEOUT_MS)
  for (const step of cleanups.reverse()) {
    try {
      await step.run()
    } catch (e) {
      console.error(`Stopping ${step.name} failed: ${(e as Error).message}`)
    }
  }
  if (code === 0) console.log(`Stopped. Data is kept in ${DATA_DIR}/ for the next npm start.`)
  process.exit(code)
}

process.on('SIGINT', () => {
  // A second Ctrl-C means "now": the clean path is already running or stuck.
  if (stopping) process.exit(130)
  void shutdown(0, 'Stopping…')
})
process.on('SIGTERM', () => void shutdown(0, 'Stopping…'))
// Last resort if we crash: children run in their own process group, so nothing else would stop them.
process.on('exit', () => {
  for (const child of children) killGroup(child, 'SIGKILL')
})

// ---- child processes ---------------------------------------------------------------------------------------

/**
 * Run a Node script as a child in its own process group with prefixed output. Its own group, because
 * wrangler starts workerd underneath it: signalling the group stops the grandchild too, and the terminal's
 * Ctrl-C reaches only us, so the order of shutdown is ours to choose.
 */
function spawnNode(prefix: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  const tag = dim(prefix)
  for (const stream of [child.stdout, child.stderr])
    if (stream) createInterface({ input: stream }).on('line', (line) => console.log(`${tag} ${line}`))
  return child
}

/** Dims a line prefix on a terminal, so the lines' own text stands out. */
function dim(prefix: string): string {
  return process.stdout.isTTY ? `\x1b[2m${prefix}\x1b[0m` : prefix
}

/** Signal the child's whole group, even when the child itself is gone: workerd may have outlived wrangler. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // ESRCH: every process of the group is gone.
  }
}

function waitForExit(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? 1)
  return new Promise((done) => child.once('exit', (code) => done(code ?? 1)))
}

async function stopChild(child: ChildProcess): Promise<void> {
  killGroup(child, 'SIGTERM')
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), CHILD_GRACE_MS)
  await waitForExit(child)
  clearTimeout(timer)
  children.delete(child)
}

// ---- steps -------------------------------------------------------------------------------------------------

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer()
    server.once('error', () => done(false))
    server.listen({ port, host, exclusive: true }, () => server.close(() => done(true)))
  })
}

/**
 * Both addresses: on Linux 0.0.0.0 already conflicts with any IPv4 listener, but macOS lets a wildcard
 * bind coexist with a 127.0.0.1 one, where PGlite and the proxy listen.
 */
async function portIsFree(port: number): Promise<boolean> {
  return (await canListen(port, '0.0.0.0')) && (await canListen(port, '127.0.0.1'))
}

async function checkPorts(ports: { port: number; what: string }[]): Promise<void> {
  const busy: { port: number; what: string }[] = []
  for (const p of ports) if (!(await portIsFree(p.port))) busy.push(p)
  if (busy.length === 0) return
  throw new Error(
    `These ports are in use:\n${busy.map((p) => `  ${p.port} (${p.what})`).join('\n')}\n` +
      'Another `npm start` may still be running (stop it with Ctrl-C), or another program uses the port:\n' +
      `  find it with: lsof -i :${busy[0]!.port}   (or ss -ltnp)` +
      (busy.some((p) => p.what.startsWith('virtual printer'))
        ? '\n  or start without the virtual printers: npm start -- --no-printers'
        : ''),
  )
}

/** Neon's own endpoints speak WebSocket already; only a plain Postgres needs our proxy in front. */
function needsWsProxy(databaseUrl: string): boolean {
  try {
    return !new URL(databaseUrl).hostname.endsWith('.neon.tech')
  } catch {
    return true
  }
}

async function startDatabase(): Promise<{ url: string; wsProxy?: string }> {
  let url = process.env.DATABASE_URL
  if (url) {
    console.log('Postgres: using DATABASE_URL from the environment.')
  } else {
    mkdirSync(PG_DIR, { recursive: true })
    const pg = await startLocalPostgres({ dataDir: PG_DIR, port: PG_PORT })
    onCleanup('Postgres (PGlite)', () => pg.close())
    url = pg.url
    console.log(`Postgres: PGlite on port ${PG_PORT}, data in ${PG_DIR}/`)
  }
  let wsProxy: string | undefined
  if (needsWsProxy(url)) {
    const proxy = await startWsProxy({ port: WS_PROXY_PORT })
    onCleanup('WebSocket proxy', () => proxy.close())
    wsProxy = proxy.wsProxy
    console.log(`Postgres: WebSocket proxy on port ${WS_PROXY_PORT}`)
  }
  await migrateDatabase(url, wsProxy)
  console.log('Postgres: migrations applied.')
  return wsProxy === undefined ? { url } : { url, wsProxy }
}

async function buildWeb(): Promise<void> {
  console.log('Building the web apps…')
  const child = spawnNode('[web]', [require.resolve('tsx/cli'), 'scripts/build-web.ts'])
  const code = await waitForExit(child)
  children.delete(child)
  if (code !== 0)
    throw new Error(`Building the web apps failed (exit code ${code}); see the [web] lines above.`)
}

/** The address a phone on the same Wi-Fi can reach, so the printed QR code works when scanned. */
function lanAddress(): string {
  const candidates: string[] = []
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    // Container and VM bridges have private addresses too, but no phone can reach them.
    if (/^(docker|br-|veth|virbr|vmnet|utun|tun|tap|lo)/.test(name)) continue
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) candidates.push(a.address)
  }
  const isPrivate = (ip: string) => /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(ip)
  return candidates.find(isPrivate) ?? candidates[0] ?? 'localhost'
}

function startWorker(
  db: { url: string; wsProxy?: string },
  publicBaseUrl: string,
  extra: Record<string, string> = {},
): ChildProcess {
  const vars = [`DATABASE_URL:${db.url}`, `PUBLIC_BASE_URL:${publicBaseUrl}`]
  // One-line values: PEM keys travel with literal \n (workers/payments/crypto.ts reads them back).
  for (const [k, v] of Object.entries(extra)) vars.push(`${k}:${v.replaceAll('\n', '\\n')}`)
  if (db.wsProxy) vars.push(`NEON_WS_PROXY:${db.wsProxy}`)
  const args = [
    require.resolve('wrangler/bin/wrangler.js'),
    'dev',
    '--port',
    String(WORKER_PORT),
    '--ip',
    '0.0.0.0',
    '--persist-to',
    WRANGLER_DIR,
    '--show-interactive-dev-session=false',
    // `--var KEY:VALUE` splits on the first colon only, so URLs with ports survive.
    ...vars.flatMap((v) => ['--var', v]),
  ]
  const child = spawnNode('[worker]', args, { ...process.env, WRANGLER_SEND_METRICS: 'false' })
  onCleanup('wrangler dev', () => stopChild(child))
  child.once('exit', (code, signal) => {
    if (!stopping)
      void shutdown(1, `wrangler dev exited on its own (${signal ?? `code ${code}`}); stopping everything.`)
  })
  return child
}

async function waitForHealth(worker: ChildProcess): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (worker.exitCode !== null || worker.signalCode !== null)
      throw new Error('wrangler dev exited before it was ready.')
    try {
      const res = await fetch(`${WORKER}/api/v1/health`, { signal: AbortSignal.timeout(2_000) })
      if (res.status === 200) return
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(
    `The Worker did not answer GET /api/v1/health with 200 within ${HEALTH_TIMEOUT_MS / 1000} s; ` +
      'see the [worker] lines above.',
  )
}

async function admin(
  adminToken: string,
  method: 'GET' | 'PUT',
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${WORKER}/api/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
}

async function failure(res: Response, what: string): Promise<Error> {
  return new Error(`${what}: HTTP ${res.status} ${await res.text()}`)
}

/** Seed the demo store the first time only: a restart keeps whatever the merchant changed since. */
async function ensureDemoStore(adminToken: string): Promise<TableLink[]> {
  const path = `/stores/${DEMO_STORE_ID}/tables`
  let res = await admin(adminToken, 'GET', path)
  if (res.status === 404) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null
    if (body?.error?.code !== 'STORE_NOT_FOUND') throw new Error(`GET ${path}: 404 without STORE_NOT_FOUND`)
    console.log(`Seeding demo store ${DEMO_STORE_ID}…`)
    const put = await admin(adminToken, 'PUT', `/stores/${DEMO_STORE_ID}`, demoStoreSetup())
    if (!put.ok) throw await failure(put, 'Seeding the demo store failed')
    res = await admin(adminToken, 'GET', path)
  }
  if (!res.ok) throw await failure(res, `GET /api/v1/admin${path} failed`)
  return ((await res.json()) as { tables: TableLink[] }).tables
}

// ---- payments ------------------------------------------------------------------------------------------

/**
 * The payment sandbox (scripts/payment-sandbox): WeChat Pay v3 and Alipay with their own keys, so the H5
 * diner pays on its cashier page. Skipped when real merchant keys are configured in .dev.vars.
 */
async function startSandbox(
  secrets: Record<string, string>,
  lan: string,
): Promise<{ base: string; env: Record<string, string> } | null> {
  if (secrets.WECHAT_MCHID || secrets.ALIPAY_APP_ID) {
    console.log('Payments: real merchant keys found in .dev.vars; no sandbox.')
    return null
  }
  let keys: SandboxKeys
  if (existsSync(SANDBOX_KEYS)) keys = JSON.parse(readFileSync(SANDBOX_KEYS, 'utf8')) as SandboxKeys
  else {
    keys = await generateSandboxKeys()
    writeFileSync(SANDBOX_KEYS, JSON.stringify(keys), { mode: 0o600 })
  }
  const sandbox = await startPaymentSandbox({
    port: SANDBOX_PORT,
    host: '0.0.0.0',
    publicBase: `http://${lan}:${SANDBOX_PORT}`,
    keys,
  })
  onCleanup('payment sandbox', () => sandbox.stop())
  console.log(`Payments: sandbox (WeChat Pay v3 + Alipay) on ${sandbox.base}`)
  // The sandbox calls the Worker back on this machine.
  return {
    base: sandbox.base,
    env: { ...sandbox.env, PAYMENT_NOTIFY_BASE: `http://127.0.0.1:${WORKER_PORT}` },
  }
}

// ---- riders ----------------------------------------------------------------------------------------------

/** Simulated riders around the demo store (scripts/rider-sim.ts), so dispatch and tracking can be watched. */
async function startRiders(adminToken: string): Promise<string[]> {
  try {
    const sim = await startRiderSim({
      base: WORKER,
      adminToken,
      count: 8,
      log: (line) => console.log(`${dim('[riders]')} ${line}`),
    })
    onCleanup('simulated riders', () => sim.stop())
    return sim.riders
  } catch (e) {
    console.error(`Riders: the simulation did not start: ${(e as Error).message}`)
    return []
  }
}

// ---- kitchen printing -------------------------------------------------------------------------------------

/** The staff API as the demo owner; the token is fetched on first use (and only if something needs it). */
class OwnerSession {
  private token: Promise<string> | undefined

  async fetch(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<Response> {
    this.token ??= this.login()
    const token = await this.token
    return fetch(`${WORKER}/api/v1/stores/${DEMO_STORE_ID}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  }

  private async login(): Promise<string> {
    const res = await fetch(`${WORKER}/api/v1/stores/${DEMO_STORE_ID}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'owner', password: DEMO_PASSWORD }),
    })
    if (!res.ok)
      throw await failure(
        res,
        `Logging in as owner with the demo password failed (changed on the merchant board?)`,
      )
    return ((await res.json()) as { token: string }).token
  }
}

/**
 * A store seeded by an older `npm start` has no printers: give it the demo ones. A store that has printers
 * keeps them, whatever the merchant set. Returns the store's printers.
 */
async function ensureDemoPrinters(owner: OwnerSession): Promise<PrinterConfig[]> {
  const res = await owner.fetch('GET', '/printers')
  if (!res.ok) throw await failure(res, "GET the store's printers failed")
  const { printers } = (await res.json()) as { printers: PrinterConfig[] }
  if (printers.length > 0) return printers
  const demo = DEMO_PRINTERS.map((p) => p.config)
  const put = await owner.fetch('PUT', '/printers', { printers: demo })
  if (!put.ok) throw await failure(put, 'Adding the demo printers failed')
  console.log(`Printers: store ${DEMO_STORE_ID} had none; added the demo printers.`)
  return demo
}

/** Starts a virtual printer per demo printer, at the paper width the store has for it. */
async function startVirtualPrinters(storePrinters: PrinterConfig[]): Promise<void> {
  for (const { config, host, port } of DEMO_PRINTERS) {
    const width = storePrinters.find((p) => p.id === config.id)?.width ?? config.width
    const tag = dim(`[printer ${config.id}]`)
    const own = `[${config.id}] `
    const vp = await startVirtualPrinter({
      port,
      host,
      name: config.id,
      outDir: join(PRINTERS_DIR, config.id),
      width,
      chinese: true,
      log: (text) => {
        for (const line of text.split('\n'))
          console.log(`${tag} ${line.startsWith(own) ? line.slice(own.length) : line}`)
      },
    }).catch((e: unknown) => {
      if ((e as { code?: string }).code !== 'EADDRINUSE') throw e
      throw new Error(
        `Port ${port} (virtual printer ${config.id}, ${config.name}) is in use.\n` +
          `  Another program listens there: find it with lsof -i :${port}   (or ss -ltnp)`,
      )
    })
    onCleanup(`virtual printer ${config.id}`, () => vp.close())
  }
}

/**
 * Whether the server takes this bridge key: 'ok', or 'refused' when the socket is turned away with 401 or
 * 403 (the store's Durable Object state was wiped while the key file stayed, or the key was rotated on the
 * merchant board). The probe closes right after the server's welcome and acks nothing, so any job it is
 * sent is sent again to the bridge that follows.
 */
function probeBridgeKey(url: string, key: string): Promise<'ok' | 'refused'> {
  return new Promise((done, fail) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } })
    const timer = setTimeout(() => {
      ws.terminate()
      fail(new Error(`The printer bridge socket ${url} did not answer within 10 s.`))
    }, 10_000)
    const finish = (result: 'ok' | 'refused' | Error) => {
      clearTimeout(timer)
      if (result instanceof Error) fail(result)
      else done(result)
    }
    ws.once('open', () => {
      ws.close(1000, 'key check')
      finish('ok')
    })
    ws.once('unexpected-response', (req, res) => {
      const status = res.statusCode ?? 0
      res.resume()
      req.destroy()
      finish(
        status === 401 || status === 403
          ? 'refused'
          : new Error(`The printer bridge socket ${url} answered HTTP ${status}.`),
      )
    })
    // on, not once: destroying a refused handshake emits an error too, after the answer is known.
    ws.on('error', (err) => finish(new Error(`The printer bridge socket ${url}: ${err.message}`)))
  })
}

/** The bridge key from .data/bridge-key; a new one (saved there) when there is none or it is refused. */
async function ensureBridgeKey(url: string, owner: OwnerSession): Promise<string> {
  const saved = existsSync(BRIDGE_KEY_FILE) ? readFileSync(BRIDGE_KEY_FILE, 'utf8').trim() : ''
  if (saved && (await probeBridgeKey(url, saved)) === 'ok') return saved
  const res = await owner.fetch('POST', '/bridge-key')
  if (!res.ok) throw await failure(res, 'Getting a printer bridge key failed')
  const { key } = (await res.json()) as { key: string }
  writeFileSync(BRIDGE_KEY_FILE, `${key}\n`, { mode: 0o600 })
  console.log(
    `Printers: ${saved ? 'the saved bridge key was refused; saved a new one' : 'new bridge key saved'} in ${BRIDGE_KEY_FILE}`,
  )
  return key
}

function startBridge(url: string, key: string): void {
  const tag = dim('[bridge]')
  let hinted = false
  const bridge = new Bridge({
    url,
    key,
    journalPath: BRIDGE_JOURNAL,
    // Tells this bridge apart from a real one on the merchant board.
    bridgeId: `npm-start@${hostname()}`.slice(0, 64),
    log: (level: LogLevel, message: string) => {
      if (level === 'debug' && !process.env.BRIDGE_DEBUG) return
      console.log(`${tag} ${level === 'warn' || level === 'error' ? `${level}: ` : ''}${message}`)
      // The key changed under us (rotated on the merchant board, say for a real bridge): taking it back
      // would cut that bridge off, so only say how to get a new one.
      if (!hinted && /\b401\b|key was rotated/.test(message)) {
        hinted = true
        console.log(
          `${tag} The server refused the key in ${BRIDGE_KEY_FILE}. If it was rotated on purpose for another ` +
            'bridge, ignore this; otherwise restart npm start, which saves a new key.',
        )
      }
    },
  })
  onCleanup('printer bridge', () => bridge.close())
  bridge.start()
}

/**
 * Kitchen printing for the demo store: its printers (added to a store from an older start), a bridge key,
 * the virtual printers and the bridge. With --no-printers only the printers and the key are ensured.
 */
async function startPrinting(withPrinters: boolean): Promise<Printing> {
  const owner = new OwnerSession()
  const url = bridgeUrl(WORKER, DEMO_STORE_ID)
  // Printing is a demo of its own: the rest of the system is worth starting without it, e.g. when the
  // merchant changed the owner's password and the demo one no longer logs in.
  let storePrinters = DEMO_PRINTERS.map((p) => p.config)
  try {
    storePrinters = await ensureDemoPrinters(owner)
  } catch (e) {
    console.error(`Printers: could not check the store's printers. ${(e as Error).message}`)
  }
  let key: string
  try {
    key = await ensureBridgeKey(url, owner)
  } catch (e) {
    console.error(`Printers: no printer bridge key, so no printing here. ${(e as Error).message}`)
    return 'failed'
  }
  if (!withPrinters) return 'off'
  await startVirtualPrinters(storePrinters)
  startBridge(url, key)
  return 'virtual'
}

/** What printWelcome says about printing. */
type Printing = 'virtual' | 'off' | 'failed'

function printWelcome(
  tables: TableLink[],
  publicBaseUrl: string,
  printing: Printing,
  sandboxBase: string | null,
  riders: string[],
): void {
  const a01 = tables.find((t) => t.label === 'A01') ?? tables[0]
  const a02 = tables.find((t) => t.label === 'A02') ?? tables[1]
  const line = '─'.repeat(72)
  console.log(`\n${line}\n  蜀味小馆 is open: edge-canteen is running\n${line}`)
  if (a01) {
    console.log(`\n  Scan with a phone on the same network to sit at table ${a01.label}:\n`)
    qrcode.generate(a01.url, { small: true }, (qr) => console.log(qr.replace(/^/gm, '  ')))
  }
  console.log('  Diner (scan-to-order):')
  for (const t of [a01, a02]) if (t) console.log(`    table ${t.label}: ${t.url}`)
  console.log(`\n  Merchant board:  http://localhost:${WORKER_PORT}/merchant/`)
  console.log(
    `    store ${DEMO_STORE_ID}, user owner (or manager / waiter / kitchen), password ${DEMO_PASSWORD}`,
  )
  console.log(`  Kitchen display: http://localhost:${WORKER_PORT}/kds/`)
  console.log(`    store ${DEMO_STORE_ID}, user kitchen, password ${DEMO_PASSWORD}`)
  console.log(`  API docs:        http://localhost:${WORKER_PORT}/api/docs`)
  console.log(`  QR codes point at ${publicBaseUrl} (set PUBLIC_BASE_URL to change it).`)
  if (sandboxBase) {
    console.log(`\n  Payments: the sandbox at ${sandboxBase} plays WeChat Pay and Alipay. Diners pay on its`)
    console.log('    cashier page; its signed callbacks settle the orders. Trades: GET /__sandbox/trades')
  } else console.log('\n  Payments: no sandbox (--no-sandbox or real merchant keys).')
  console.log(`\n  Delivery (外卖/自提): http://localhost:${WORKER_PORT}/delivery/`)
  console.log(`  Rider app:           http://localhost:${WORKER_PORT}/rider/`)
  if (riders.length > 0) {
    console.log(
      `    ${riders.length} simulated riders (${riders[0]} … ${riders.at(-1)}) ride around the store,`,
    )
    console.log(
      '    take offers and deliver; mark an order 出餐 (ready) on the board or KDS to see it dispatched.',
    )
  }
  if (printing === 'virtual') {
    console.log('\n  Kitchen printers: virtual ones, driven by a printer bridge in this process:')
    for (const p of DEMO_PRINTERS)
      console.log(
        `    ${p.config.name} ${p.config.id.padEnd(5)} ${p.host}:${p.port}  ${p.config.width} mm  ${describePrinter(p.config)}`,
      )
    console.log('    Tickets appear in this terminal as [printer <id>] lines, and as PNG + TXT in')
    console.log(`    ${join(ROOT, PRINTERS_DIR)}/<id>/`)
    console.log('  Real printers instead: `npm start -- --no-printers`, then in another terminal')
  } else if (printing === 'off') {
    console.log('\n  Kitchen printers: none here (--no-printers). For real printers run, in another terminal')
  } else {
    console.log('\n  Kitchen printers: not started (see the Printers: lines above). A bridge for real')
    console.log('  printers, once .data/bridge-key holds a key, runs with')
  }
  console.log(
    `    BRIDGE_KEY="$(cat ${BRIDGE_KEY_FILE})" npm run bridge -- --server http://localhost:${WORKER_PORT} \\\n` +
      `      --store ${DEMO_STORE_ID} --journal ${join(DATA_DIR, 'bridge-journal-real.jsonl')} \\\n` +
      `      ${DEMO_PRINTERS.map((p) => `--printer ${p.config.id}=tcp://<its IP>:9100`).join(' ')}`,
  )
  console.log("    (or set each printer's address on the merchant board and leave out --printer).")
  console.log(`\n  Data: ${join(ROOT, DATA_DIR)}/ (Postgres in pglite/, Durable Objects in wrangler/,`)
  console.log('        tickets in printers/, the bridge key in bridge-key), kept across restarts;')
  console.log('        `npm start -- --reset` starts from a clean demo store.')
  console.log(`  Stop: Ctrl-C\n${line}\n`)
}

function describePrinter(p: PrinterConfig): string {
  const parts = [p.stations.length > 0 ? `stations ${p.stations.join(', ')}` : '']
  if (p.receipts) parts.push('receipts')
  if (p.buzzer) parts.push('buzzer')
  if (p.copies > 1) parts.push(`${p.copies} copies`)
  if (p.backupId) parts.push(`backup ${p.backupId}`)
  return parts.filter(Boolean).join(', ')
}

// ---- main --------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(
      'Usage: npm start [-- [--reset] [--no-printers] [--no-sandbox]]\n' +
        '  --reset        delete .data/ (database, Durable Object state, printed tickets) first\n' +
        '  --no-printers  no virtual printers and no printer bridge here (to run a bridge for real printers)\n' +
        '  --no-sandbox   no payment sandbox (pay at the counter, or real keys in .dev.vars)\n' +
        '  --no-riders    no simulated riders around the demo store',
    )
    return
  }
  const withPrinters = !args.includes('--no-printers')
  const withSandbox = !args.includes('--no-sandbox')
  const withRiders = !args.includes('--no-riders')
  const unknown = args.filter((a) => !['--reset', '--no-printers', '--no-sandbox', '--no-riders'].includes(a))
  if (unknown.length > 0) throw new Error(`Unknown argument ${unknown.join(' ')}; try --help.`)
  process.chdir(ROOT) // wrangler finds wrangler.toml and .dev.vars in the working directory

  const secrets = ensureDevVars(join(ROOT, '.dev.vars'))
  const adminToken = secrets.ADMIN_TOKEN!
  // Check ports before --reset: wiping .data/ under a running instance would corrupt it.
  const ports = [
    { port: WORKER_PORT, what: 'wrangler dev' },
    { port: WS_PROXY_PORT, what: 'Postgres WebSocket proxy' },
  ]
  if (!process.env.DATABASE_URL) ports.push({ port: PG_PORT, what: 'PGlite Postgres' })
  if (withSandbox) ports.push({ port: SANDBOX_PORT, what: 'payment sandbox' })
  if (withPrinters)
    for (const p of DEMO_PRINTERS) ports.push({ port: p.port, what: `virtual printer ${p.config.id}` })
  await checkPorts(ports)
  if (args.includes('--reset')) {
    rmSync(DATA_DIR, { recursive: true, force: true })
    console.log(`--reset: deleted ${DATA_DIR}/`)
  }
  mkdirSync(DATA_DIR, { recursive: true })

  const db = await startDatabase()
  await buildWeb()
  const lan = lanAddress()
  const publicBaseUrl = process.env.PUBLIC_BASE_URL ?? `http://${lan}:${WORKER_PORT}`
  const sandbox = withSandbox ? await startSandbox(secrets, lan) : null
  const worker = startWorker(db, publicBaseUrl, sandbox?.env)
  await waitForHealth(worker)
  const tables = await ensureDemoStore(adminToken)
  const printing = await startPrinting(withPrinters)
  const riders = withRiders ? await startRiders(adminToken) : []
  printWelcome(tables, publicBaseUrl, printing, sandbox?.base ?? null, riders)
}

main().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e)
  const code = (e as { code?: string }).code
  const hint = code === 'EADDRINUSE' ? '\nA port is already in use: is another `npm start` running?' : ''
  void shutdown(1, `npm start failed: ${message}${hint}`)
})
