import { describe, expect, it } from 'vitest'
import { checkFeasibility } from './feasibility'
import { tinyFiles } from './fixtures'
import { parseInstance } from './instance'
import { DEFAULT_POLICY } from './policy'
import { simulate } from './simulate'
import { parseSolutionFiles, type Solution, writeSolutionFiles } from './solution'

const instance = parseInstance('tiny', tinyFiles)
const solved = simulate(instance, { policy: DEFAULT_POLICY }).solution
const clone = (s: Solution): Solution => structuredClone(s)

describe('checkFeasibility', () => {
  it('accepts the simulator output, which delivers all three orders', () => {
    const files = writeSolutionFiles(instance, solved)
    expect(checkFeasibility(instance, parseSolutionFiles(files))).toEqual([])
    expect(solved.orders.every((o) => o.dropoffAt !== null)).toBe(true)
  })

  it('writes the files in the evaluator layout', () => {
    const files = writeSolutionFiles(instance, solved)
    expect(files.assignments.split('\n')[0]).toBe('assignment_time pickup_time courier orders')
    expect(files.orders.split('\n')[0]).toBe(
      'order placement_time restaurant x y ready_time pickup_time dropoff_time courier',
    )
    expect(files.couriers.split('\n')[0]).toBe('courier departure_time origin destination')
    expect(files.couriers.split('\n')[1]).toMatch(/^c\d \d+ 0 r\d$/)
    expect(parseSolutionFiles(files)).toEqual({
      ...solved,
      assignments: solved.assignments,
      moves: [...solved.moves].sort((a, b) =>
        a.courierId === b.courierId ? a.departAt - b.departAt : a.courierId < b.courierId ? -1 : 1,
      ),
    })
  })

  it('reports undelivered orders as NA and accepts them', () => {
    const s = clone(solved)
    const a = s.assignments.find((x) => x.orderIds.includes('o3'))!
    s.assignments = s.assignments.filter((x) => x !== a)
    s.moves = s.moves.filter((m) => m.courierId !== a.courierId || m.departAt < a.pickupAt - 20)
    s.orders = s.orders.map((o) =>
      o.orderId === 'o3' ? { ...o, pickupAt: null, dropoffAt: null, courierId: null } : o,
    )
    const files = writeSolutionFiles(instance, s)
    expect(files.orders).toMatch(/^o3 40 r2 3200 960 55 NA NA NA$/m)
    expect(checkFeasibility(instance, parseSolutionFiles(files))).toEqual([])
  })

  const broken: [string, (s: Solution) => void, RegExp][] = [
    ['pickup before ready', (s) => shiftPickup(s, -10), /before ready|not at/],
    ['assignment before placement', (s) => (s.assignments[0]!.assignedAt = 0), /before placed/],
    [
      'assignment after pickup',
      (s) => (s.assignments[0]!.assignedAt = s.assignments[0]!.pickupAt + 1),
      /after pickup/,
    ],
    ['order twice', (s) => s.assignments.push({ ...s.assignments[0]! }), /more than one assignment/],
    [
      'bundle of two restaurants',
      (s) => {
        const a = s.assignments.find((x) => x.orderIds.includes('o1'))!
        a.orderIds.push('o3')
      },
      /restaurants in one bundle|more than one/,
    ],
    ['broken move chain', (s) => (s.moves[1]!.from = 'r2'), /departs|not at/],
    ['teleport (too early)', (s) => (s.moves[s.moves.length - 1]!.departAt -= 30), /before arriving|not at/],
    [
      'dropoff out of sequence',
      (s) => (s.orders[1]!.dropoffAt = (s.orders[0]!.dropoffAt ?? 0) + 1),
      /sequence|not at/,
    ],
    [
      'pickup after off time',
      (s) => {
        s.assignments[0]!.pickupAt = 500
      },
      /after c\d off|disagrees|not at/,
    ],
    [
      'start before shift',
      (s) => (s.moves.find((m) => m.courierId === 'c2')!.departAt = 0),
      /before arriving|not at/,
    ],
  ]
  for (const [what, mutate, msg] of broken) {
    it(`rejects ${what}`, () => {
      const s = clone(solved)
      mutate(s)
      const v = checkFeasibility(instance, parseSolutionFiles(writeSolutionFiles(instance, s)))
      expect(v.length).toBeGreaterThan(0)
      expect(v.join('\n')).toMatch(msg)
    })
  }
})

function shiftPickup(s: Solution, by: number) {
  const a = s.assignments[0]!
  a.pickupAt += by
  for (const o of s.orders) if (a.orderIds.includes(o.orderId)) o.pickupAt = a.pickupAt
}
