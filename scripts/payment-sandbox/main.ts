// Standalone sandbox: `npx tsx scripts/payment-sandbox/main.ts --port 8790 [--mode certificate]
// [--time-scale 1] [--keys .data/payment-sandbox-keys.json]`. Prints the env block for .dev.vars. Keys are
// kept in the keys file (gitignored .data/) so restarting the sandbox does not invalidate .dev.vars.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { formatDevVars, generateSandboxKeys, type SandboxKeys, type WechatMode } from './keys'
import { startPaymentSandbox } from './server'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

async function loadKeys(path: string, mode: WechatMode): Promise<SandboxKeys> {
  if (existsSync(path)) {
    const keys = JSON.parse(readFileSync(path, 'utf8')) as SandboxKeys
    if (keys.config?.wechatMode === mode) return keys
  }
  const keys = await generateSandboxKeys({ wechatMode: mode })
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(keys, null, 2), { mode: 0o600 })
  return keys
}

async function main(): Promise<void> {
  const port = Number(arg('port') ?? 8790)
  const mode: WechatMode = arg('mode') === 'certificate' ? 'certificate' : 'public_key'
  const timeScale = Number(arg('time-scale') ?? 1)
  const keysPath = arg('keys') ?? '.data/payment-sandbox-keys.json'
  const keys = await loadKeys(keysPath, mode)
  const running = await startPaymentSandbox({ port, keys, timeScale, host: arg('host') ?? '127.0.0.1' })
  console.log(
    `payment sandbox on ${running.base} (WeChat ${mode} mode, time scale ${timeScale}, keys ${keysPath})`,
  )
  console.log('# ---- add to .dev.vars ----')
  console.log(formatDevVars(running.env))
  console.log('# ---------------------------')
  const stop = () => {
    void running.stop().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
