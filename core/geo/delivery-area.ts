// A store's delivery settings and the quote for one address: is it inside the area, is the order big
// enough (起送价), and what does delivery cost (distance brackets, free over a total, discounts by total).
// Called before payment, so an address outside the area is refused before the diner pays anything.
import { z } from 'zod'
import { DomainError } from '../errors'
import { type Fen, formatFen } from '../money'
import { assertLatLng, type LatLng, LatLngSchema } from './coords'
import { haversineM } from './distance'
import { pointInPolygon, signedDistanceM } from './geofence'

/** Straight-line metres. 30 km is past any e-bike delivery (an hour's ride); bigger is a typo. */
export const MAX_DELIVERY_RADIUS_M = 30_000

const fen = z.number().int().min(0).max(100_000_000)
const positiveFen = z.number().int().min(1).max(100_000_000)
const metres = z.number().int().min(1).max(MAX_DELIVERY_RADIUS_M)

export const DeliveryAreaSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('radius'), radiusM: metres }),
  /** GCJ-02 vertices, in order, not closed (the last point joins the first). */
  z.object({ kind: z.literal('polygon'), points: z.array(LatLngSchema).min(3).max(200) }),
])
export type DeliveryArea = z.infer<typeof DeliveryAreaSchema>

/** Addresses up to upToM metres from the store pay feeFen. */
export const FeeBracketSchema = z.object({ upToM: metres, feeFen: fen })
export type FeeBracket = z.infer<typeof FeeBracketSchema>

/** From minSubtotalFen on, offFen comes off the delivery fee (never below zero). */
export const FeeDiscountSchema = z.object({ minSubtotalFen: positiveFen, offFen: positiveFen })
export type FeeDiscount = z.infer<typeof FeeDiscountSchema>

export const DeliverySettingsSchema = z
  .object({
    area: DeliveryAreaSchema,
    feeBrackets: z.array(FeeBracketSchema).min(1).max(20),
    /** Subtotal at or above this delivers free. */
    freeDeliveryFromFen: positiveFen.optional(),
    feeDiscounts: z.array(FeeDiscountSchema).max(10).default([]),
    /** 起送价: below this subtotal the store does not deliver. */
    minOrderFen: fen.default(0),
    /** Per-order packing fee (打包费), on top of any per-item packaging the menu sets. */
    packingFeeFen: fen.default(0),
  })
  // Refinements also run over input that failed a field check (zod reports every issue at once), so they
  // must not assume the fields are well formed.
  .refine((s) => s.feeBrackets.every((b, i) => i === 0 || b.upToM > s.feeBrackets[i - 1]!.upToM), {
    message: 'fee brackets must go strictly outwards (upToM increasing)',
    path: ['feeBrackets'],
  })
  .refine((s) => s.area.kind !== 'radius' || (s.feeBrackets.at(-1)?.upToM ?? 0) >= s.area.radiusM, {
    message: 'the last fee bracket must reach the delivery radius',
    path: ['feeBrackets'],
  })
  .refine((s) => new Set(s.feeDiscounts.map((d) => d.minSubtotalFen)).size === s.feeDiscounts.length, {
    message: 'fee discounts need distinct minSubtotalFen',
    path: ['feeDiscounts'],
  })
export type DeliverySettings = z.infer<typeof DeliverySettingsSchema>

export interface QuoteStep {
  kind: 'base' | 'free' | 'discount'
  label: string
  /** Negative for reductions; the steps add up to feeFen. */
  amountFen: Fen
}

export interface DeliveryQuote {
  ok: true
  /** Straight line from the store, rounded to whole metres; brackets and the radius compare this. */
  distanceM: number
  /** Delivery fee after free-delivery and discounts. */
  feeFen: Fen
  packingFeeFen: Fen
  bracket: FeeBracket
  explanation: QuoteStep[]
}

/**
 * Quote delivery from `store` to `address` (both GCJ-02) for an items subtotal. Throws
 * OUT_OF_DELIVERY_AREA (details {distanceM, limitM}; limitM is null for a polygon the address is outside)
 * or BELOW_MINIMUM_ORDER (details {subtotalFen, minOrderFen, shortFen}). The area is checked first: no
 * amount of food brings a far address in range.
 */
export function quoteDelivery(
  settings: DeliverySettings,
  store: LatLng,
  address: LatLng,
  subtotalFen: Fen,
): DeliveryQuote {
  assertLatLng(store, 'store location')
  assertLatLng(address, 'address')
  if (!Number.isSafeInteger(subtotalFen) || subtotalFen < 0) {
    throw new DomainError('VALIDATION_FAILED', 'subtotal must be a whole number of fen, >= 0', {
      subtotalFen,
    })
  }
  const distanceM = Math.round(haversineM(store, address))
  const bracket = checkArea(settings, address, distanceM)

  if (subtotalFen < settings.minOrderFen) {
    const shortFen = settings.minOrderFen - subtotalFen
    throw new DomainError(
      'BELOW_MINIMUM_ORDER',
      `还差${formatFen(shortFen)}起送（起送价${formatFen(settings.minOrderFen)}） / ` +
        `${formatFen(shortFen)} short of the ${formatFen(settings.minOrderFen)} minimum order for delivery`,
      { subtotalFen, minOrderFen: settings.minOrderFen, shortFen },
    )
  }

  const explanation: QuoteStep[] = [
    { kind: 'base', label: `配送费（${km(bracket.upToM)}内）`, amountFen: bracket.feeFen },
  ]
  let feeFen = bracket.feeFen
  const free = settings.freeDeliveryFromFen
  if (free !== undefined && subtotalFen >= free && feeFen > 0) {
    explanation.push({ kind: 'free', label: `满${formatFen(free)}免配送费`, amountFen: -feeFen })
    feeFen = 0
  }
  const discount = bestDiscount(settings.feeDiscounts, subtotalFen)
  if (discount && feeFen > 0) {
    const off = Math.min(discount.offFen, feeFen)
    explanation.push({
      kind: 'discount',
      label: `满${formatFen(discount.minSubtotalFen)}减配送费${formatFen(discount.offFen)}`,
      amountFen: -off,
    })
    feeFen -= off
  }
  return { ok: true, distanceM, feeFen, packingFeeFen: settings.packingFeeFen, bracket, explanation }
}

/** The bracket that prices this distance, or OUT_OF_DELIVERY_AREA. */
function checkArea(settings: DeliverySettings, address: LatLng, distanceM: number): FeeBracket {
  const { area, feeBrackets } = settings
  if (area.kind === 'radius' && distanceM > area.radiusM) throw outOfArea(distanceM, area.radiusM)
  if (area.kind === 'polygon' && !pointInPolygon(address, area.points)) {
    const outsideByM = Math.round(signedDistanceM(address, area))
    throw outOfArea(distanceM, null, { outsideByM })
  }
  const bracket = feeBrackets.find((b) => distanceM <= b.upToM)
  // Only a polygon reaching past the last bracket gets here: its far corners are not priced.
  if (!bracket) throw outOfArea(distanceM, feeBrackets.at(-1)!.upToM)
  return bracket
}

function outOfArea(distanceM: number, limitM: number | null, extra: Record<string, unknown> = {}) {
  const limit = limitM === null ? '' : `，最远配送${km(limitM)}`
  const limitEn = limitM === null ? '' : `, the limit is ${km(limitM)}`
  return new DomainError(
    'OUT_OF_DELIVERY_AREA',
    `地址超出配送范围：距门店${km(distanceM)}${limit} / ` +
      `The address is outside the store's delivery area: ${km(distanceM)} away${limitEn}`,
    { distanceM, limitM, ...extra },
  )
}

function bestDiscount(discounts: readonly FeeDiscount[], subtotalFen: Fen): FeeDiscount | undefined {
  let best: FeeDiscount | undefined
  for (const d of discounts) {
    if (subtotalFen >= d.minSubtotalFen && (!best || d.offFen > best.offFen)) best = d
  }
  return best
}

/** 800 -> "800 m", 3000 -> "3 km", 5001 -> "5.01 km": up to the next 10 m so 5001 never reads as 5 km. */
function km(m: number): string {
  return m < 1000 ? `${m} m` : `${Math.ceil(m / 10) / 100} km`
}
