import type { Point, TravelTime } from './types'

/** Straight-line metres. */
export function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y)
}

/** Travel time of the MDRP: ceil(euclidean metres / metres per minute). Whole minutes, as the instances'
 * evaluator computes them, so simulated times stay integers. */
export function euclideanCeil(metresPerMinute: number): TravelTime {
  if (!(metresPerMinute > 0)) throw new RangeError('metresPerMinute must be > 0')
  return (a, b) => Math.ceil(distance(a, b) / metresPerMinute)
}

/** Same points, in the sense of the travel function: no move is needed between them. */
export function samePlace(a: Point, b: Point): boolean {
  return a.x === b.x && a.y === b.y
}
