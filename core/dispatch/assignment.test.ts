import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { solveAssignment } from './assignment'

/** Every partial injective map rows -> columns, each row matched or skipped; lexicographic
 * (most pairs, then least cost) when no skip cost is given. */
function bruteForce(cost: number[][], skipCost?: number): { pairs: number; cost: number } {
  const n = cost.length
  const m = n === 0 ? 0 : cost[0]!.length
  let best = { pairs: -1, cost: Number.POSITIVE_INFINITY, score: Number.POSITIVE_INFINITY }
  const used = new Array<boolean>(m).fill(false)
  const walk = (i: number, pairs: number, sum: number) => {
    if (i === n) {
      if (skipCost === undefined) {
        if (pairs > best.pairs || (pairs === best.pairs && sum < best.cost - 1e-9))
          best = { pairs, cost: sum, score: 0 }
      } else {
        const score = sum + (n - pairs) * skipCost
        if (score < best.score - 1e-9) best = { pairs, cost: sum, score }
      }
      return
    }
    walk(i + 1, pairs, sum)
    for (let j = 0; j < m; j++) {
      const c = cost[i]![j]!
      if (used[j] || !Number.isFinite(c)) continue
      used[j] = true
      walk(i + 1, pairs + 1, sum + c)
      used[j] = false
    }
  }
  walk(0, 0, 0)
  return { pairs: best.pairs, cost: best.cost }
}

const cell = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -20, max: 100 }) },
  { weight: 1, arbitrary: fc.constant(Number.POSITIVE_INFINITY) },
)
const matrix = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
  .chain(([n, m]) => fc.array(fc.array(cell, { minLength: m, maxLength: m }), { minLength: n, maxLength: n }))

function check(cost: number[][], res: ReturnType<typeof solveAssignment>) {
  const cols = res.rowToCol.filter((j) => j >= 0)
  expect(new Set(cols).size).toBe(cols.length)
  let sum = 0
  res.rowToCol.forEach((j, i) => {
    if (j < 0) return
    expect(Number.isFinite(cost[i]![j]!)).toBe(true)
    sum += cost[i]![j]!
  })
  expect(res.cost).toBeCloseTo(sum, 9)
  expect(res.skipped).toBe(cost.length - cols.length)
}

describe('solveAssignment', () => {
  it('solves a textbook square case', () => {
    const cost = [
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ]
    const res = solveAssignment(cost)
    expect(res.cost).toBe(5)
    expect(res.rowToCol).toEqual([1, 0, 2])
  })

  it('handles wide, tall and empty matrices', () => {
    expect(solveAssignment([[5, 1, 9]]).rowToCol).toEqual([1])
    const tall = solveAssignment([[5], [1], [9]])
    expect(tall.rowToCol).toEqual([-1, 0, -1])
    expect(tall.skipped).toBe(2)
    expect(solveAssignment([]).rowToCol).toEqual([])
  })

  it('never uses forbidden pairs and matches as many rows as possible', () => {
    const inf = Number.POSITIVE_INFINITY
    const res = solveAssignment([
      [1, inf],
      [2, inf],
    ])
    expect(res.skipped).toBe(1)
    expect(res.rowToCol).toEqual([0, -1])
  })

  it('equals brute force (max cardinality, then min cost) on small matrices', () => {
    fc.assert(
      fc.property(matrix, (cost) => {
        const res = solveAssignment(cost)
        check(cost, res)
        const best = bruteForce(cost)
        expect(cost.length - res.skipped).toBe(best.pairs)
        expect(res.cost).toBeCloseTo(best.cost, 6)
      }),
      { numRuns: 400 },
    )
  })

  it('equals brute force with a finite skip cost', () => {
    fc.assert(
      fc.property(matrix, fc.integer({ min: 0, max: 60 }), (cost, skip) => {
        const res = solveAssignment(cost, { skipCost: skip })
        check(cost, res)
        const best = bruteForce(cost, skip)
        const score = res.cost + res.skipped * skip
        expect(score).toBeCloseTo(best.cost + (cost.length - best.pairs) * skip, 6)
      }),
      { numRuns: 400 },
    )
  })

  it('agrees with brute force on real-valued costs', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })).chain(([n, m]) =>
          fc.array(fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { minLength: m, maxLength: m }), {
            minLength: n,
            maxLength: n,
          }),
        ),
        (cost) => {
          const res = solveAssignment(cost)
          expect(res.cost).toBeCloseTo(bruteForce(cost).cost, 6)
        },
      ),
      { numRuns: 200 },
    )
  })
})
