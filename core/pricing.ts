// Pricing: list price -> member price -> item discounts -> 满减 -> coupon -> packaging -> delivery.
// Every reduction is capped at what it reduces, so no step can push a total below zero, and every
// step is recorded with a Chinese label so the diner can see why the total is what it is.
import { z } from 'zod'
import { DomainError } from './errors'
import type { ResolvedLine } from './menu'
import { assertFen, type Fen, percentOf, sumFen } from './money'
import { ORDER_MODES, type OrderMode } from './order-machine'

const ref = z.string().min(1).max(40)
const label = z.string().min(1).max(40)
const fen = z.number().int().min(0).max(100_000_000)
const positiveFen = z.number().int().min(1).max(100_000_000)
const percent = z.number().int().min(1).max(99)
/** Codes are typed by diners: letters, digits, _ and -; matched case-insensitively. */
const couponCode = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and -, at most 32')

/** No itemIds and no categoryIds means the whole menu. */
const scope = { itemIds: z.array(ref).max(500).optional(), categoryIds: z.array(ref).max(100).optional() }

export const DiscountSchema = z.discriminatedUnion('kind', [
  z.object({ id: ref, label, kind: z.literal('percent'), percentOff: percent, ...scope }),
  /** offFen is per unit. */
  z.object({ id: ref, label, kind: z.literal('fixed'), offFen: fen, ...scope }),
])
export type Discount = z.infer<typeof DiscountSchema>

export const TierSchema = z.object({ thresholdFen: positiveFen, offFen: positiveFen })
export type Tier = z.infer<typeof TierSchema>

export const CouponSchema = z
  .object({
    code: couponCode,
    label,
    kind: z.enum(['amount', 'percent']),
    valueFen: positiveFen.optional(),
    percentOff: percent.optional(),
    minSpendFen: fen.default(0),
    maxOffFen: positiveFen.optional(),
    stackWithTiers: z.boolean().default(false),
    stackWithDiscounts: z.boolean().default(true),
    modes: z.array(z.enum(ORDER_MODES)).min(1).optional(),
  })
  .refine((c) => (c.kind === 'amount' ? c.valueFen !== undefined : c.percentOff !== undefined), {
    message: 'an amount coupon needs valueFen, a percent coupon needs percentOff',
  })
export type Coupon = z.infer<typeof CouponSchema>

export const PromotionsSchema = z
  .object({
    discounts: z.array(DiscountSchema).max(200).default([]),
    tiers: z.array(TierSchema).max(20).default([]),
    coupons: z.array(CouponSchema).max(200).default([]),
  })
  .refine((p) => new Set(p.discounts.map((d) => d.id)).size === p.discounts.length, {
    message: 'discount ids must be unique',
    path: ['discounts'],
  })
  .refine((p) => new Set(p.coupons.map((c) => normalizeCode(c.code))).size === p.coupons.length, {
    message: 'coupon codes must be unique (ignoring case)',
    path: ['coupons'],
  })
export type Promotions = z.infer<typeof PromotionsSchema>

export interface PricingInput {
  lines: ResolvedLine[]
  mode: OrderMode
  member: boolean
  promotions: Promotions
  couponCodes?: string[]
  /** Delivery fee after free delivery and fee discounts (core/geo quoteDelivery); delivery mode only. */
  deliveryFeeFen?: Fen
  /** Label of the delivery step, e.g. "配送费（3 km内）"; default "配送费". */
  deliveryLabel?: string
  /** Per-order packing fee (DeliverySettings.packingFeeFen), added to 打包费; delivery mode only. */
  packingFeeFen?: Fen
}

export interface PricedLine extends ResolvedLine {
  lineNo: number
  /** Unit price after member price and item discounts. */
  unitPaidFen: Fen
  /** unitPaidFen * qty. */
  lineTotalFen: Fen
  /** Set when staff took the line back (退菜): kept for history, no longer priced, cooked or printed. */
  voided?: { reason: string; at: number; by: string }
}

export interface PriceStep {
  kind: 'items' | 'member' | 'discount' | 'tier' | 'coupon' | 'packaging' | 'delivery'
  label: string
  /** Negative for reductions. */
  amountFen: Fen
  ref?: string
  lineNo?: number
}

export interface PriceBreakdown {
  lines: PricedLine[]
  steps: PriceStep[]
  /** List-price subtotal. */
  itemsFen: Fen
  /** Total of all reductions, >= 0. */
  discountFen: Fen
  feesFen: Fen
  totalFen: Fen
  appliedCoupon?: string
  rejectedCoupons: { code: string; reason: string }[]
}

/** Modes whose food leaves the store in a box. */
const PACKAGED_MODES: readonly OrderMode[] = ['pickup', 'delivery']

export function priceOrder(input: PricingInput): PriceBreakdown {
  const { mode, member, promotions } = input
  const steps: PriceStep[] = []
  const itemsFen = sumFen(input.lines.map((l) => checkLine(l).unitPriceFen * l.qty))
  steps.push({ kind: 'items', label: '商品', amountFen: itemsFen })

  // Member price and item discounts work per unit, so unitPaidFen stays a whole number of fen.
  const memberSteps: PriceStep[] = []
  const discountSteps: PriceStep[] = []
  const lines = input.lines.map((line, i): PricedLine => {
    const lineNo = i + 1
    const memberUnit = member ? Math.min(line.memberUnitPriceFen, line.unitPriceFen) : line.unitPriceFen
    const memberOff = (line.unitPriceFen - memberUnit) * line.qty
    if (memberOff > 0) memberSteps.push({ kind: 'member', label: '会员价', amountFen: -memberOff, lineNo })
    const best = bestDiscount(promotions.discounts, line, memberUnit)
    if (best) {
      const { id, label } = best.discount
      discountSteps.push({ kind: 'discount', label, amountFen: -best.offFen * line.qty, ref: id, lineNo })
    }
    const unitPaidFen = memberUnit - (best?.offFen ?? 0)
    return { ...line, lineNo, unitPaidFen, lineTotalFen: unitPaidFen * line.qty }
  })
  steps.push(...memberSteps, ...discountSteps)

  const subtotal = sumFen(lines.map((l) => l.lineTotalFen))
  const tier = bestTier(promotions.tiers, subtotal)
  const lineReduced = memberSteps.length + discountSteps.length > 0
  const coupon = chooseCoupon(input, subtotal, tier, lineReduced)
  if (tier && !coupon.dropTier) {
    const ref = `${tier.thresholdFen}-${tier.offFen}`
    steps.push({ kind: 'tier', label: tier.label, amountFen: -tier.offFen, ref })
  }
  if (coupon.step) steps.push(coupon.step)

  const perOrderPacking = mode === 'delivery' ? checkFee(input.packingFeeFen ?? 0, 'packingFeeFen') : 0
  const packagingFen = PACKAGED_MODES.includes(mode)
    ? sumFen(lines.map((l) => l.packagingFeeFen * l.qty)) + perOrderPacking
    : 0
  if (packagingFen > 0) steps.push({ kind: 'packaging', label: '打包费', amountFen: packagingFen })
  const deliveryFen = mode === 'delivery' ? checkFee(input.deliveryFeeFen ?? 0, 'deliveryFeeFen') : 0
  const deliveryLabel = input.deliveryLabel?.slice(0, 40) || '配送费'
  if (deliveryFen > 0) steps.push({ kind: 'delivery', label: deliveryLabel, amountFen: deliveryFen })

  const discountFen = sumFen(steps.filter((s) => s.amountFen < 0).map((s) => -s.amountFen))
  const feesFen = packagingFen + deliveryFen
  const out: PriceBreakdown = {
    lines,
    steps,
    itemsFen,
    discountFen,
    feesFen,
    totalFen: sumFen(steps.map((s) => s.amountFen)),
    rejectedCoupons: coupon.rejected,
  }
  if (coupon.step?.ref) out.appliedCoupon = coupon.step.ref
  return out
}

/** The discount that takes the most off one unit; the first listed wins a tie. */
function bestDiscount(
  discounts: readonly Discount[],
  line: ResolvedLine,
  unitFen: Fen,
): { discount: Discount; offFen: Fen } | undefined {
  let best: { discount: Discount; offFen: Fen } | undefined
  for (const d of discounts) {
    if (!inScope(d, line)) continue
    const off = d.kind === 'percent' ? percentOf(unitFen, d.percentOff) : Math.min(d.offFen, unitFen)
    if (off > 0 && off > (best?.offFen ?? 0)) best = { discount: d, offFen: off }
  }
  return best
}

function inScope(d: Discount, line: ResolvedLine): boolean {
  if (!d.itemIds && !d.categoryIds) return true
  return Boolean(d.itemIds?.includes(line.itemId) || d.categoryIds?.includes(line.categoryId))
}

interface AppliedTier {
  thresholdFen: Fen
  offFen: Fen
  label: string
}

/** The single tier that saves the most among those the subtotal reaches, capped at the subtotal. */
function bestTier(tiers: readonly Tier[], subtotal: Fen): AppliedTier | undefined {
  let best: AppliedTier | undefined
  for (const t of tiers) {
    if (subtotal < t.thresholdFen) continue
    const off = Math.min(t.offFen, subtotal)
    if (off > (best?.offFen ?? 0))
      best = {
        thresholdFen: t.thresholdFen,
        offFen: off,
        label: `满${yuan(t.thresholdFen)}减${yuan(t.offFen)}`,
      }
  }
  return best
}

interface CouponChoice {
  step?: PriceStep
  /** The coupon does not stack with 满减 and saves more, so the tier is not applied. */
  dropTier: boolean
  rejected: { code: string; reason: string }[]
}

/**
 * At most one coupon: the first code that is valid and worth using. A code that cannot be used is
 * reported with the reason instead of failing the order, so a stale coupon never blocks checkout.
 */
function chooseCoupon(
  input: PricingInput,
  subtotal: Fen,
  tier: AppliedTier | undefined,
  lineReduced: boolean,
): CouponChoice {
  const choice: CouponChoice = { dropTier: false, rejected: [] }
  const byCode = new Map(input.promotions.coupons.map((c) => [normalizeCode(c.code), c]))
  for (const code of input.couponCodes ?? []) {
    const reject = (reason: string) => choice.rejected.push({ code, reason })
    if (choice.step) {
      reject('每单限用一张优惠券')
      continue
    }
    const c = byCode.get(normalizeCode(code))
    if (!c) {
      reject('优惠券不存在')
      continue
    }
    if (c.modes && !c.modes.includes(input.mode)) {
      reject('不适用于当前点餐方式')
      continue
    }
    if (!c.stackWithDiscounts && lineReduced) {
      reject('不与会员价或折扣同享')
      continue
    }
    // Stacking applies the coupon after 满减; otherwise it competes with the tier on the same base.
    const stacks = c.stackWithTiers || !tier
    const base = stacks ? subtotal - (tier?.offFen ?? 0) : subtotal
    if (base < c.minSpendFen) {
      reject(`未满${yuan(c.minSpendFen)}元`)
      continue
    }
    const off = couponOff(c, base)
    if (off === undefined) {
      reject('优惠券配置无效')
      continue
    }
    if (off <= 0) {
      reject('没有可抵扣的金额')
      continue
    }
    let stepLabel = `优惠券·${c.label}`
    if (!stacks && tier) {
      // A tie keeps the tier: the diner keeps the coupon for another order.
      if (off <= tier.offFen) {
        reject(`不与满减同享，${tier.label}更优惠`)
        continue
      }
      choice.dropTier = true
      stepLabel += `（不与满减同享，比${tier.label}更优惠）`
    }
    choice.step = { kind: 'coupon', label: stepLabel, amountFen: -off, ref: c.code }
  }
  return choice
}

/** What a coupon takes off `base`, never more than base; undefined when it was stored without its value. */
function couponOff(c: Coupon, base: Fen): Fen | undefined {
  const raw =
    c.kind === 'amount' ? c.valueFen : c.percentOff === undefined ? undefined : percentOf(base, c.percentOff)
  if (raw === undefined) return undefined
  return Math.min(raw, c.maxOffFen ?? raw, base)
}

const normalizeCode = (code: string): string => code.trim().toUpperCase()

/** 10000 -> "100", 9950 -> "99.5": how amounts read in a 满减 label. */
function yuan(fen: Fen): string {
  const cents = fen % 100
  if (cents === 0) return String(fen / 100)
  return `${Math.floor(fen / 100)}.${String(cents).padStart(2, '0').replace(/0$/, '')}`
}

// Resolved lines come from resolveLine, so a bad one is a bug upstream: fail loudly, never misprice.
function checkLine(l: ResolvedLine): ResolvedLine {
  if (!Number.isInteger(l.qty) || l.qty < 1)
    throw new DomainError('INVALID_QUANTITY', 'quantity must be a whole number from 1', { qty: l.qty })
  for (const [what, v] of [
    ['unitPriceFen', l.unitPriceFen],
    ['memberUnitPriceFen', l.memberUnitPriceFen],
    ['packagingFeeFen', l.packagingFeeFen],
  ] as const)
    if (assertFen(v, what) < 0) throw new RangeError(`${what} must not be negative, got ${v}`)
  return l
}

function checkFee(fee: Fen, what: 'deliveryFeeFen' | 'packingFeeFen'): Fen {
  if (assertFen(fee, what) < 0)
    throw new DomainError('VALIDATION_FAILED', `${what} must not be negative`, { [what]: fee })
  return fee
}
