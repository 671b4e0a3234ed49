// Run after `npm install` changes package-lock.json. Some registry mirrors carry only the platform
// binaries of the machine they serve (Biome's @biomejs/cli-<platform>), so npm leaves the other platforms
// out of the lock and `npm ci` then calls the lock out of sync. This adds those optional entries with
// their os/cpu constraints; npm skips them on every other platform without fetching anything.
import { readFileSync, writeFileSync } from 'node:fs'

type Entry = {
  version: string
  optional?: boolean
  dev?: boolean
  os?: string[]
  cpu?: string[]
  libc?: string[]
  license?: string
  engines?: unknown
  optionalDependencies?: Record<string, string>
}
const path = 'package-lock.json'
const lock = JSON.parse(readFileSync(path, 'utf8')) as { packages: Record<string, Entry> }
const PLATFORM = /^@biomejs\/cli-(android|darwin|linux|win32)-(arm64|x64)(-musl)?$/
let added = 0
for (const [key, pkg] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const m = PLATFORM.exec(dep)
    const target = `node_modules/${dep}`
    if (!m || lock.packages[target]) continue
    lock.packages[target] = {
      version,
      cpu: [m[2]!],
      dev: pkg.dev ?? false,
      license: pkg.license,
      optional: true,
      os: [m[1]!],
      ...(m[1] === 'linux' ? { libc: [m[3] ? 'musl' : 'glibc'] } : {}),
    } as Entry
    added++
  }
  void key
}
const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
)
writeFileSync(path, `${JSON.stringify({ ...lock, packages: sorted }, null, 2)}\n`)
console.log(`added ${added} platform entries to ${path}`)
