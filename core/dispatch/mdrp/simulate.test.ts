// The simulator on real delivery days: a few half-size instances (o50: half the orders, r50: half the
// restaurants) from /work/shared/data/mdrp, which CI has. The full 144 run in `npm run bench:dispatch`.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkFeasibility } from './feasibility'
import { INSTANCE_FILE_NAMES, type InstanceFiles, parseInstance } from './instance'
import { computeMetrics } from './metrics'
import { DEFAULT_POLICY } from './policy'
import { simulate } from './simulate'
import { parseSolutionFiles, writeSolutionFiles } from './solution'

const DATA = '/work/shared/data/mdrp'
const INSTANCES = ['0o50t100s1p100', '1r50t75s2p125', '2r50t100s1p100', '4o50t100s1p125']

function load(name: string) {
  const files = Object.fromEntries(
    Object.entries(INSTANCE_FILE_NAMES).map(([k, f]) => [k, readFileSync(join(DATA, name, f), 'utf8')]),
  ) as unknown as InstanceFiles
  return parseInstance(name, files)
}

describe('MDRP simulator', () => {
  for (const name of INSTANCES) {
    it(`${name}: feasible solution files and sane metrics`, () => {
      const instance = load(name)
      const { solution, batches } = simulate(instance, { policy: DEFAULT_POLICY })
      const parsed = parseSolutionFiles(writeSolutionFiles(instance, solution))
      expect(checkFeasibility(instance, parsed)).toEqual([])
      const m = computeMetrics(instance, parsed)
      expect(batches).toBeGreaterThan(100)
      // Orders ready after every courier's shift cannot be delivered; everything else should be.
      const lastOff = Math.max(...instance.couriers.map((c) => c.offAt))
      const deliverable = instance.orders.filter((o) => o.readyAt <= lastOff).length
      expect(m.delivered).toBeGreaterThanOrEqual(deliverable - Math.ceil(0.01 * deliverable))
      expect(m.readyToPickup).toBeGreaterThanOrEqual(0)
      expect(m.clickToDoor).toBeGreaterThan(15)
      expect(m.clickToDoor).toBeLessThan(50)
      expect(m.costPerOrder).toBeGreaterThanOrEqual(instance.params.payPerOrder)
    })
  }

  it('is deterministic: the same day replays to the same files', () => {
    const instance = load(INSTANCES[0]!)
    const a = writeSolutionFiles(instance, simulate(instance, { policy: DEFAULT_POLICY }).solution)
    const b = writeSolutionFiles(instance, simulate(instance, { policy: DEFAULT_POLICY }).solution)
    expect(a).toEqual(b)
  })

  it('never assigns an order before it is placed (online): hiding later orders changes nothing before them', () => {
    const instance = load(INSTANCES[0]!)
    const cut = 600
    const early = { ...instance, orders: instance.orders.filter((o) => o.placedAt < cut) }
    const full = simulate(instance, { policy: DEFAULT_POLICY }).solution
    const part = simulate(early, { policy: DEFAULT_POLICY }).solution
    const decidedBefore = (s: typeof full) => s.assignments.filter((a) => a.pickupAt < cut)
    expect(decidedBefore(part)).toEqual(decidedBefore(full))
  })
})
