// Distances on a sphere and a flat local frame for planar code (dispatch works in metres east/north).
// A sphere is within 0.5% of the WGS-84 ellipsoid; GCJ-02 adds a smooth shift that cancels over city
// distances. Both are far below what fee brackets or a rider's ETA can tell apart.
import type { LatLng } from './coords'

/** IUGG mean Earth radius (2R1 + R3) / 3, the usual choice for haversine. */
export const EARTH_RADIUS_M = 6_371_008.8

const RAD = Math.PI / 180

/** Great-circle distance in metres. */
export function haversineM(a: LatLng, b: LatLng): number {
  const dLat = (b.lat - a.lat) * RAD
  const dLng = (b.lng - a.lng) * RAD
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLng / 2) ** 2
  // min() guards against h creeping past 1 from rounding on antipodal points.
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Initial bearing from a to b in degrees clockwise from north, 0 <= bearing < 360. */
export function bearingDeg(a: LatLng, b: LatLng): number {
  const phi1 = a.lat * RAD
  const phi2 = b.lat * RAD
  const dLng = (b.lng - a.lng) * RAD
  const y = Math.sin(dLng) * Math.cos(phi2)
  const x = Math.cos(phi1) * Math.sin(phi2) - Math.sin(phi1) * Math.cos(phi2) * Math.cos(dLng)
  return (((Math.atan2(y, x) / RAD) % 360) + 360) % 360
}

/** Metres east (x) and north (y) of a projector's origin. */
export interface XY {
  readonly x: number
  readonly y: number
}

export interface Projector {
  readonly origin: LatLng
  toXY(p: LatLng): XY
  fromXY(xy: XY): LatLng
}

/**
 * Equirectangular projection around `origin`: x = R·Δλ·cos φ0, y = R·Δφ. Exact along the origin's
 * meridian; east-west scale drifts by about tan φ0 · Δφ away from the origin's parallel. Distances
 * between two points both within r of the origin, against haversine, at latitudes up to 50° (measured,
 * distance.test.ts): r = 5 km under 0.07% (~4 m), 10 km under 0.15% (~15 m), 30 km under 0.4% (~125 m).
 * Across a city that is well below road detour (~1.3x) and GPS noise; re-centre beyond ~30 km.
 * Longitudes are taken the short way round, so an origin near ±180° still works.
 */
export function projector(origin: LatLng): Projector {
  const kx = EARTH_RADIUS_M * RAD * Math.cos(origin.lat * RAD)
  const ky = EARTH_RADIUS_M * RAD
  return {
    origin,
    toXY: (p) => ({ x: wrapLng(p.lng - origin.lng) * kx, y: (p.lat - origin.lat) * ky }),
    fromXY: (xy) => ({ lat: origin.lat + xy.y / ky, lng: wrapLng(origin.lng + xy.x / kx) }),
  }
}

/** Planar distance between two projected points, metres. */
export const planarM = (a: XY, b: XY): number => Math.hypot(b.x - a.x, b.y - a.y)

function wrapLng(d: number): number {
  return d > 180 ? d - 360 : d < -180 ? d + 360 : d
}
