// Every shared delivery day through the simulator, and its solution files (written, read back) through
// our own feasibility checks: the "accepted on every instance". The data lives outside the repo
// (/work/shared/data/mdrp, which CI has); its metrics are the benchmark's business (npm run bench:dispatch).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkFeasibility } from './feasibility'
import { INSTANCE_FILE_NAMES, type InstanceFiles, parseInstance } from './instance'
import { DEFAULT_POLICY } from './policy'
import { simulate } from './simulate'
import { parseSolutionFiles, writeSolutionFiles } from './solution'

const DATA = '/work/shared/data/mdrp'
const NAMES = readdirSync(DATA, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()

describe('every MDRP instance', () => {
  it('there are 144 of them', () => expect(NAMES).toHaveLength(144))

  for (const name of NAMES)
    it(`${name}: feasible`, { timeout: 60_000 }, () => {
      const files = Object.fromEntries(
        Object.entries(INSTANCE_FILE_NAMES).map(([k, f]) => [k, readFileSync(join(DATA, name, f), 'utf8')]),
      ) as unknown as InstanceFiles
      const instance = parseInstance(name, files)
      const { solution } = simulate(instance, { policy: DEFAULT_POLICY })
      const parsed = parseSolutionFiles(writeSolutionFiles(instance, solution))
      expect(checkFeasibility(instance, parsed)).toEqual([])
    })
})
