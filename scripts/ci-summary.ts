// Adds up the JSON reports the suites wrote under CI_REPORT_DIR and prints one closing line.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.argv[2] ?? process.env.CI_REPORT_DIR
if (!dir) throw new Error('usage: tsx scripts/ci-summary.ts <report dir>')
let passed = 0
let failed = 0
let skipped = 0
for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
  const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
    numPassedTests: number
    numFailedTests: number
    numPendingTests: number
    numTodoTests: number
  }
  console.log(`${f.replace('.json', '')}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)
  passed += r.numPassedTests
  failed += r.numFailedTests
  skipped += r.numPendingTests + r.numTodoTests
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 ? 1 : 0)
