// Geohash cells (ngeohash). Precision 5 keys a GeoCellDO: 0.044° square, about 4.9 km at the equator and
// 3.7-4.2 km wide at 30-40°N, so one cell holds a district's riders and a 3x3 block covers a usual 3-5 km
// delivery radius. Precision 7 (~150 m) and 8 (~38 x 19 m) are for fine use: caching route pairs,
// clustering pins on a map.
import ngeohash from 'ngeohash'
import { DomainError } from '../errors'
import { assertLatLng, type LatLng } from './coords'
import { EARTH_RADIUS_M, haversineM } from './distance'

export const CELL_PRECISION = 5
export const FINE_PRECISION = 7
export const FINER_PRECISION = 8

/**
 * cellsWithin refuses circles wider than 50 km: no store delivers that far, and at precision 5 it is
 * already ~700 cells, each a GeoCellDO the caller would ask.
 */
export const MAX_CELLS_RADIUS_M = 50_000

export function cellOf(p: LatLng, precision = CELL_PRECISION): string {
  assertLatLng(p)
  return ngeohash.encode(p.lat, p.lng, precision)
}

/** The 8 cells around `cell`, clockwise from north: N, NE, E, SE, S, SW, W, NW. */
export function neighbours(cell: string): string[] {
  return ngeohash.neighbors(cell)
}

export interface CellBounds {
  south: number
  west: number
  north: number
  east: number
}

export function cellBounds(cell: string): CellBounds {
  const [south, west, north, east] = ngeohash.decode_bbox(cell)
  return { south, west, north, east }
}

/** Shortest distance in metres from p to the rectangle of `cell`; 0 inside. */
export function distanceToCellM(p: LatLng, cell: string): number {
  const b = cellBounds(cell)
  const nearest = { lat: clamp(p.lat, b.south, b.north), lng: clamp(p.lng, b.west, b.east) }
  return haversineM(p, nearest)
}

/**
 * Clamping in lat/lng is not quite the spherical nearest point on a cell's edge; over a few km the gap
 * is well under a metre. A cell that the circle misses by less than this is still returned: asking one
 * extra GeoCellDO is cheap, missing a cell's riders is not.
 */
const CELL_EDGE_SLACK_M = 1

/**
 * Cells (at `precision`, default the GeoCellDO's) that a circle touches: every point within radiusM of
 * `center` lies in one of them. The bounding box of the circle gives candidates; the exact
 * point-to-rectangle distance drops the corners the circle does not reach.
 */
export function cellsWithin(center: LatLng, radiusM: number, precision = CELL_PRECISION): string[] {
  assertLatLng(center, 'center')
  if (!Number.isFinite(radiusM) || radiusM < 0 || radiusM > MAX_CELLS_RADIUS_M) {
    throw new DomainError('VALIDATION_FAILED', `radius must be 0..${MAX_CELLS_RADIUS_M} m`, { radiusM })
  }
  const dLat = (radiusM / EARTH_RADIUS_M) * (180 / Math.PI)
  const south = Math.max(-90, center.lat - dLat)
  const north = Math.min(90, center.lat + dLat)
  // The circle is widest in longitude at its edge farthest from the equator.
  const widestLat = Math.max(Math.abs(south), Math.abs(north))
  const cos = Math.cos((widestLat * Math.PI) / 180)
  const dLng = cos > 1e-9 ? Math.min(180, dLat / cos) : 180
  // Circles crossing ±180° are clamped to it: there is nothing to deliver to out there.
  const west = Math.max(-180, center.lng - dLng)
  const east = Math.min(180, center.lng + dLng)
  const candidates = ngeohash.bboxes(south, west, north, east, precision)
  return [...new Set(candidates)].filter((c) => distanceToCellM(center, c) <= radiusM + CELL_EDGE_SLACK_M)
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v))
}
