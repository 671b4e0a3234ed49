// Geofences: a circle or a polygon, a signed distance to its edge, and enter/leave transitions with
// hysteresis so that GPS jitter at the edge does not flap.
import type { LatLng } from './coords'
import { haversineM, projector, type XY } from './distance'

export type Fence =
  | { readonly kind: 'circle'; readonly center: LatLng; readonly radiusM: number }
  | { readonly kind: 'polygon'; readonly points: readonly LatLng[] }

/** A rider within 100 m of the store has arrived there: the store is told to hand over the food. */
export const STORE_ARRIVAL_RADIUS_M = 100
/**
 * Within 300 m of the customer, about a minute out at e-bike speed (~18 km/h = 300 m/min): the diner is
 * told the rider is near, in time to come down.
 */
export const CUSTOMER_NEAR_RADIUS_M = 300
/**
 * Phone GPS in a city is typically 5-20 m off and wanders by that much while standing still; 30 m of
 * hysteresis absorbs it, and is small next to the 100 m and 300 m fences above.
 */
export const FENCE_HYSTERESIS_M = 30

export const circleFence = (center: LatLng, radiusM: number): Fence => ({ kind: 'circle', center, radiusM })

/**
 * Ray casting in the lat/lng plane (edges taken as straight in degrees, which is what a drawn map
 * polygon means). A point exactly on an edge may go either way; fences use a hysteresis band instead of
 * relying on it. Polygons crossing ±180° are not supported.
 */
export function pointInPolygon(p: LatLng, polygon: readonly LatLng[]): boolean {
  let inside = false
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i]!
    const b = polygon[j]!
    if (a.lat > p.lat !== b.lat > p.lat) {
      const lngAtLat = a.lng + ((p.lat - a.lat) / (b.lat - a.lat)) * (b.lng - a.lng)
      if (p.lng < lngAtLat) inside = !inside
    }
  }
  return inside
}

/** Signed distance in metres from p to the fence's edge: negative inside, positive outside. */
export function signedDistanceM(p: LatLng, fence: Fence): number {
  if (fence.kind === 'circle') return haversineM(fence.center, p) - fence.radiusM
  // Edges measured in a local flat frame around p: exact enough for fences of a few km.
  const proj = projector(p)
  const pts = fence.points.map(proj.toXY)
  let d = Number.POSITIVE_INFINITY
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    d = Math.min(d, distanceToSegment({ x: 0, y: 0 }, pts[j]!, pts[i]!))
  }
  return pointInPolygon(p, fence.points) ? -d : d
}

/** Distance in metres from p to the fence; 0 inside. */
export const distanceToFenceM = (p: LatLng, fence: Fence): number => Math.max(0, signedDistanceM(p, fence))

export type FenceTransition = 'enter' | 'leave' | null

/**
 * Enter as soon as the point is inside the fence; leave only once it is more than hysteresisM outside.
 * Between the two edges nothing changes, so a run of fixes whose signed distances stay within a band
 * narrower than hysteresisM produces at most one transition.
 */
export function fenceTransition(
  prevInside: boolean,
  point: LatLng,
  fence: Fence,
  hysteresisM = FENCE_HYSTERESIS_M,
): FenceTransition {
  const d = signedDistanceM(point, fence)
  if (!prevInside && d <= 0) return 'enter'
  if (prevInside && d > hysteresisM) return 'leave'
  return null
}

function distanceToSegment(p: XY, a: XY, b: XY): number {
  const dx = b.x - a.x
  const dy = b.y - a.y
  const len2 = dx * dx + dy * dy
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2))
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy))
}
