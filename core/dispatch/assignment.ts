// Exact minimum-cost assignment on a rectangular matrix: the Hungarian method with potentials
// (Kuhn-Munkres in the O(n^2 m) shortest-augmenting-path form of Jonker and Volgenant). Each batch of
// dispatch solves one such problem exactly; nothing greedy here.
//
// Rows may stay unassigned: every row gets its own "skip" column. Without a skip cost, skipping costs more
// than any set of real pairs, so the result first matches as many rows as possible and then, among those
// matchings, takes the cheapest. Non-finite costs forbid a pair.

export interface AssignmentResult {
  /** Column of each row, or -1 when the row is left unassigned. */
  rowToCol: number[]
  /** Sum of the costs of the chosen pairs (skips not included). */
  cost: number
  /** Rows left unassigned. */
  skipped: number
}

export interface AssignmentOptions {
  /** Cost of leaving a row unassigned. Default: more than any finite pair, i.e. maximum cardinality first. */
  skipCost?: number
}

/** Minimum-cost assignment of rows to distinct columns. `cost[i][j]` non-finite forbids row i with column j. */
export function solveAssignment(
  cost: readonly (readonly number[])[],
  options: AssignmentOptions = {},
): AssignmentResult {
  const n = cost.length
  const m = n === 0 ? 0 : cost[0]!.length
  const rowToCol = new Array<number>(n).fill(-1)
  if (n === 0 || m === 0) return { rowToCol, cost: 0, skipped: n }

  let absSum = 1
  for (const row of cost) {
    if (row.length !== m) throw new RangeError('cost matrix must be rectangular')
    for (const c of row) if (Number.isFinite(c)) absSum += Math.abs(c)
  }
  const skip = options.skipCost ?? absSum
  // Big enough that one forbidden pair costs more than skipping every row.
  const forbid = (n + 1) * (Math.abs(skip) + absSum)

  // Columns 0..m-1 are real, m+i is row i's private skip column.
  const cols = m + n
  const a = new Float64Array(n * cols)
  for (let i = 0; i < n; i++) {
    const row = cost[i]!
    for (let j = 0; j < m; j++) {
      const c = row[j]!
      a[i * cols + j] = Number.isFinite(c) ? c : forbid
    }
    for (let k = 0; k < n; k++) a[i * cols + m + k] = k === i ? skip : forbid
  }

  const match = hungarian(a, n, cols)
  let total = 0
  let skipped = 0
  for (let i = 0; i < n; i++) {
    const j = match[i]!
    const c = j < m ? cost[i]![j]! : Number.NaN
    if (j < m && Number.isFinite(c)) {
      rowToCol[i] = j
      total += c
    } else skipped++
  }
  return { rowToCol, cost: total, skipped }
}

/** Hungarian method for n <= m on a flat row-major matrix; returns the column of each row. */
function hungarian(a: Float64Array, n: number, m: number): Int32Array {
  const u = new Float64Array(n + 1)
  const v = new Float64Array(m + 1)
  const p = new Int32Array(m + 1) // p[j] = row (1-based) matched to column j (1-based), 0 = none
  const way = new Int32Array(m + 1)
  const minv = new Float64Array(m + 1)
  const used = new Uint8Array(m + 1)
  for (let i = 1; i <= n; i++) {
    p[0] = i
    let j0 = 0
    minv.fill(Number.POSITIVE_INFINITY)
    used.fill(0)
    do {
      used[j0] = 1
      const i0 = p[j0]!
      const base = (i0 - 1) * m
      const ui0 = u[i0]!
      let delta = Number.POSITIVE_INFINITY
      let j1 = 0
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue
        const cur = a[base + j - 1]! - ui0 - v[j]!
        if (cur < minv[j]!) {
          minv[j] = cur
          way[j] = j0
        }
        if (minv[j]! < delta) {
          delta = minv[j]!
          j1 = j
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          const i = p[j]!
          u[i] = u[i]! + delta
          v[j] = v[j]! - delta
        } else minv[j] = minv[j]! - delta
      }
      j0 = j1
    } while (p[j0] !== 0)
    do {
      const j1 = way[j0]!
      p[j0] = p[j1]!
      j0 = j1
    } while (j0 !== 0)
  }
  const rowToCol = new Int32Array(n).fill(-1)
  for (let j = 1; j <= m; j++) if (p[j]! > 0) rowToCol[p[j]! - 1] = j - 1
  return rowToCol
}
