// The bridge's configuration: command-line flags, optionally on top of a JSON file (--config).
//
//   npm run bridge -- --server http://localhost:8787 --store 001 --key <bridge key>
//                     [--journal .data/bridge-journal.jsonl] [--printer kitchen=tcp://192.168.1.50:9100 ...]
//   npm run bridge -- --config bridge.json
//
// Staff set up printers in the console; --printer maps a printer id to the address this bridge dials,
// overriding the address saved on the server. The key may also come from BRIDGE_KEY, which keeps it out
// of the process list.
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { bridgePath } from '../core/channels/bridge'
import { parseAddress } from './printer'

export interface BridgeConfig {
  server: string
  storeId: string
  key: string
  journalPath: string
  /** Printer id -> tcp://host:port. */
  printers: Record<string, string>
  bridgeId?: string
  backupAfterMs?: number
}

export const DEFAULT_JOURNAL = '.data/bridge-journal.jsonl'

const ConfigFile = z
  .object({
    server: z.string().min(1),
    store: z.string().min(1),
    key: z.string().min(1),
    journal: z.string().min(1),
    printers: z.record(z.string(), z.string()),
    bridgeId: z.string().min(1).max(64),
    backupAfterMs: z.number().int().min(0),
  })
  .partial()
  .strict()

export const USAGE = `Usage: npm run bridge -- --server <url> --store <storeId> --key <bridgeKey>
         [--journal ${DEFAULT_JOURNAL}] [--printer <id>=tcp://<host>:<port> ...]
         [--bridge-id <name>] [--backup-after <seconds>]
       npm run bridge -- --config bridge.json   (same fields: server, store, key, journal, printers,
                                                 bridgeId, backupAfterMs; flags given too win)
The key may also be given as BRIDGE_KEY in the environment.`

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function parseConfig(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  readFile: (path: string) => string = (p) => fs.readFileSync(p, 'utf8'),
): BridgeConfig | 'help' {
  let values: ReturnType<typeof parse>['values']
  try {
    values = parse(argv).values
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err))
  }
  if (values.help) return 'help'

  let file: z.infer<typeof ConfigFile> = {}
  if (values.config) {
    let text: string
    try {
      text = readFile(values.config)
    } catch (err) {
      throw new ConfigError(`cannot read ${values.config}: ${err instanceof Error ? err.message : err}`)
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new ConfigError(`${values.config} is not valid JSON`)
    }
    const parsed = ConfigFile.safeParse(json)
    if (!parsed.success)
      throw new ConfigError(
        `${values.config}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
      )
    file = parsed.data
  }

  const printers: Record<string, string> = { ...file.printers }
  for (const flag of values.printer ?? []) {
    const eq = flag.indexOf('=')
    if (eq <= 0) throw new ConfigError(`--printer ${flag}: expected <id>=tcp://<host>:<port>`)
    printers[flag.slice(0, eq)] = flag.slice(eq + 1)
  }
  for (const [id, address] of Object.entries(printers)) {
    if (!address.startsWith('tcp://'))
      throw new ConfigError(`printer ${id}: expected tcp://<host>:<port>, got ${address}`)
    try {
      parseAddress(address)
    } catch (err) {
      throw new ConfigError(`printer ${id}: ${err instanceof Error ? err.message : err}`)
    }
  }

  const server = values.server ?? file.server
  const storeId = values.store ?? file.store
  const key = values.key ?? file.key ?? env.BRIDGE_KEY
  const missing = [!server && '--server', !storeId && '--store', !key && '--key (or BRIDGE_KEY)'].filter(
    Boolean,
  )
  if (missing.length > 0) throw new ConfigError(`missing ${missing.join(', ')}`)

  const config: BridgeConfig = {
    server: server!,
    storeId: storeId!,
    key: key!,
    journalPath: values.journal ?? file.journal ?? DEFAULT_JOURNAL,
    printers,
  }
  const bridgeId = values['bridge-id'] ?? file.bridgeId
  if (bridgeId) config.bridgeId = bridgeId
  if (values['backup-after'] !== undefined) {
    const s = Number(values['backup-after'])
    if (!Number.isFinite(s) || s < 0)
      throw new ConfigError(`--backup-after ${values['backup-after']}: seconds`)
    config.backupAfterMs = Math.round(s * 1000)
  } else if (file.backupAfterMs !== undefined) config.backupAfterMs = file.backupAfterMs
  bridgeUrl(config.server, config.storeId) // validates the server URL
  return config
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      server: { type: 'string' },
      store: { type: 'string' },
      key: { type: 'string' },
      journal: { type: 'string' },
      printer: { type: 'string', multiple: true },
      config: { type: 'string' },
      'bridge-id': { type: 'string' },
      'backup-after': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

/** http(s)://host[:port][/prefix] (or ws(s)://) + store id -> ws(s)://host[:port][/prefix]/api/v1/stores/<id>/bridge */
export function bridgeUrl(server: string, storeId: string): string {
  let url: URL
  try {
    url = new URL(server)
  } catch {
    throw new ConfigError(`--server ${server}: not a URL (e.g. https://canteen.example.com)`)
  }
  const schemes: Record<string, string> = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' }
  const scheme = schemes[url.protocol]
  if (!scheme) throw new ConfigError(`--server ${server}: expected http(s):// or ws(s)://`)
  url.protocol = scheme
  url.pathname = url.pathname.replace(/\/+$/, '') + bridgePath(storeId)
  url.search = ''
  url.hash = ''
  return url.toString()
}
