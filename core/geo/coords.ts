// Coordinates and datums. GCJ-02 (火星坐标, what Tencent, AMap and WeChat maps use) is the internal datum:
// every LatLng stored or passed between our parts is GCJ-02. Device GPS (WGS-84) and Baidu (BD-09)
// are converted once, at the edge, with toGcj02 / fromGcj02.
//
// gcoord applies the WGS-84 <-> GCJ-02 shift only inside its rough China box (lng 72.004..137.8347,
// lat 0.8293..55.8271) and leaves every other point unchanged, so outside China WGS-84 and GCJ-02
// coincide here. The box is a rectangle: it also shifts Hong Kong, Macau, Taiwan and bits of neighbouring
// countries. BD-09's extra offset (~0.006°) has no box: gcoord applies it everywhere, as Baidu does.
import gcoord from 'gcoord'
import { z } from 'zod'
import { DomainError } from '../errors'

/** Degrees. GCJ-02 unless a name or parameter says otherwise. */
export interface LatLng {
  readonly lat: number
  readonly lng: number
}

export const DATUMS = ['WGS84', 'GCJ02', 'BD09'] as const
export type Datum = (typeof DATUMS)[number]

export const LatLngSchema = z.object({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
})

/** Throws VALIDATION_FAILED unless p has finite lat in -90..90 and lng in -180..180. */
export function assertLatLng(p: LatLng, what = 'point'): LatLng {
  const ok =
    p !== null &&
    typeof p === 'object' &&
    Number.isFinite(p.lat) &&
    Number.isFinite(p.lng) &&
    Math.abs(p.lat) <= 90 &&
    Math.abs(p.lng) <= 180
  if (!ok) {
    throw new DomainError('VALIDATION_FAILED', `${what} must have lat in -90..90 and lng in -180..180`, {
      lat: p?.lat,
      lng: p?.lng,
    })
  }
  return p
}

/** Same box as gcoord's isInChinaBbox: only points inside it are shifted. */
export function inChinaBox(p: LatLng): boolean {
  return p.lng >= 72.004 && p.lng <= 137.8347 && p.lat >= 0.8293 && p.lat <= 55.8271
}

export function toGcj02(p: LatLng, from: Datum): LatLng {
  assertLatLng(p)
  if (from === 'GCJ02') return p
  if (from === 'WGS84') return wgsToGcj(p)
  // gcoord's BD-09 -> GCJ-02 is the closed-form approximate inverse (~0.2 m off); refine it to exact.
  return invert(gcjToBd, p, gcoordTransform(p, 'BD09', 'GCJ02'))
}

export function fromGcj02(p: LatLng, to: Datum): LatLng {
  assertLatLng(p)
  if (to === 'GCJ02') return p
  if (to === 'BD09') return gcjToBd(p)
  // Not gcoord's GCJ-02 -> WGS-84: it iterates with no cap and never returns for a point just inside the
  // China box whose WGS preimage would lie outside it (e.g. lng 72.0041, lat 40: the forward shift jumps
  // there). Our capped iteration runs on gcoord's forward transform instead.
  return invert(wgsToGcj, p, p)
}

const wgsToGcj = (p: LatLng): LatLng => gcoordTransform(p, 'WGS84', 'GCJ02')
const gcjToBd = (p: LatLng): LatLng => gcoordTransform(p, 'GCJ02', 'BD09')

function gcoordTransform(p: LatLng, from: Datum, to: Datum): LatLng {
  // gcoord speaks [lng, lat] (GeoJSON order).
  const [lng, lat] = gcoord.transform([p.lng, p.lat], gcoord[from], gcoord[to]) as [number, number]
  return { lat, lng }
}

/** 1e-9 degrees is about 0.1 mm: far below anything a map or a fee can see. */
const INVERSE_TOLERANCE_DEG = 1e-9
/** The fixed-point iteration reaches 1e-9 degrees in at most 4 steps across China; 10 leaves room. */
const INVERSE_MAX_STEPS = 10

/**
 * Finds x with forward(x) = target by fixed-point iteration x -= forward(x) - target, starting at `start`.
 * The datum shifts change slowly (hundreds of metres over hundreds of km), so each step gains several
 * digits. Where no exact preimage exists (the edge of the China box) it returns the best step found.
 */
function invert(forward: (p: LatLng) => LatLng, target: LatLng, start: LatLng): LatLng {
  let x = start
  let best = x
  let bestErr = Number.POSITIVE_INFINITY
  for (let i = 0; i < INVERSE_MAX_STEPS; i++) {
    const f = forward(x)
    const dLat = f.lat - target.lat
    const dLng = f.lng - target.lng
    const err = Math.max(Math.abs(dLat), Math.abs(dLng))
    if (err < bestErr) {
      best = x
      bestErr = err
    }
    if (err <= INVERSE_TOLERANCE_DEG) break
    x = { lat: x.lat - dLat, lng: x.lng - dLng }
  }
  return best
}
