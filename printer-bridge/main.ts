// The printer bridge's entry point: `npm run bridge -- --server … --store … --key …` (see config.ts).
// Runs until SIGINT/SIGTERM; then lets a ticket being printed finish, closes the socket and the journal.
import { Bridge, consoleLogger } from './bridge'
import { bridgeUrl, ConfigError, parseConfig, USAGE } from './config'

function main(): void {
  let config: ReturnType<typeof parseConfig>
  try {
    config = parseConfig(process.argv.slice(2))
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(`printer-bridge: ${err.message}\n\n${USAGE}`)
    process.exit(2)
  }
  if (config === 'help') {
    console.log(USAGE)
    return
  }

  const url = bridgeUrl(config.server, config.storeId)
  const mapped = Object.entries(config.printers).map(([id, a]) => `${id}=${a}`)
  consoleLogger('info', `printer bridge for store ${config.storeId} -> ${url}`)
  if (mapped.length > 0) consoleLogger('info', `printer addresses from flags: ${mapped.join(', ')}`)

  const bridge = new Bridge({
    url,
    key: config.key,
    journalPath: config.journalPath,
    addresses: config.printers,
    bridgeId: config.bridgeId,
    backupAfterMs: config.backupAfterMs,
    log: consoleLogger,
  })

  let closing = false
  const shutdown = (signal: string) => {
    if (closing) {
      consoleLogger('warn', `${signal} again: exiting now`)
      process.exit(1)
    }
    closing = true
    consoleLogger('info', `${signal}: finishing the current ticket, then closing`)
    bridge.close().then(
      () => process.exit(0),
      (err: unknown) => {
        consoleLogger('error', `close failed: ${err instanceof Error ? err.message : err}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))

  bridge.start()
}

main()
