// The menu model: SPU (item) -> SKUs (sizes/specs, each priced) + option groups (加料, 辣度 ...).
// Schemas are zod so the Worker validates merchant input with the same definition the objects use.
import { z } from 'zod'
import { DomainError } from './errors'
import type { Fen } from './money'

export const STATIONS = ['hot', 'cold', 'bar', 'pass'] as const
export type Station = (typeof STATIONS)[number]

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lowercase letters, digits, _ and -, at most 40')
const fen = z.number().int().min(0).max(100_000_000)

export const OptionSchema = z.object({ id, name: z.string().min(1).max(40), priceFen: fen.default(0) })
export const OptionGroupSchema = z
  .object({
    id,
    name: z.string().min(1).max(40),
    min: z.number().int().min(0).max(20).default(0),
    max: z.number().int().min(1).max(20).default(1),
    options: z.array(OptionSchema).min(1).max(30),
  })
  .refine((g) => g.min <= g.max && g.min <= g.options.length, 'min must be <= max and <= number of options')

export const SkuSchema = z.object({
  id,
  name: z.string().min(1).max(40),
  priceFen: fen,
  /** Price for members, when lower than priceFen. */
  memberPriceFen: fen.optional(),
  /** Per-unit packaging fee charged for takeaway, pickup and delivery, not for dine-in. */
  packagingFeeFen: fen.default(0),
})

export const MenuItemSchema = z.object({
  id,
  categoryId: id,
  name: z.string().min(1).max(60),
  description: z.string().max(300).default(''),
  image: z.string().max(500).optional(),
  skus: z.array(SkuSchema).min(1).max(20),
  optionGroups: z.array(OptionGroupSchema).max(10).default([]),
  allergens: z.array(z.string().min(1).max(20)).max(14).default([]),
  prepMinutes: z.number().int().min(0).max(240).default(10),
  station: z.enum(STATIONS).default('hot'),
  spicy: z.number().int().min(0).max(3).default(0),
  tags: z.array(z.string().min(1).max(12)).max(8).default([]),
  sort: z.number().int().default(0),
})

export const CategorySchema = z.object({
  id,
  name: z.string().min(1).max(30),
  sort: z.number().int().default(0),
})

export type MenuOption = z.infer<typeof OptionSchema>
export type OptionGroup = z.infer<typeof OptionGroupSchema>
export type Sku = z.infer<typeof SkuSchema>
export type MenuItem = z.infer<typeof MenuItemSchema>
export type Category = z.infer<typeof CategorySchema>

/** Availability changes (sold out, stock) do not change the menu version: carts stay valid. */
export interface Availability {
  /** item ids switched off by staff (沽清). */
  soldOut: string[]
  /** skuId -> units left to sell (stock minus reservations); absent means unlimited. */
  remaining: Record<string, number>
}

export interface Menu {
  storeId: string
  /** Bumped on every structural or price change; a cart built on an older version is refused. */
  version: number
  categories: Category[]
  items: MenuItem[]
}

/** What a diner asks for: one line of a cart or an order. */
export const LineRequestSchema = z.object({
  itemId: id,
  skuId: id,
  optionIds: z.array(id).max(30).default([]),
  qty: z.number().int().min(1).max(99),
  note: z.string().max(100).default(''),
})
export type LineRequest = z.infer<typeof LineRequestSchema>

/** A line checked against the menu, with its unit price (SKU + options) fixed. */
export interface ResolvedLine {
  itemId: string
  skuId: string
  optionIds: string[]
  qty: number
  note: string
  name: string
  skuName: string
  optionNames: string[]
  categoryId: string
  station: Station
  prepMinutes: number
  allergens: string[]
  /** SKU price + option prices, per unit. */
  unitPriceFen: Fen
  /** SKU member price + option prices, per unit (equals unitPriceFen when there is none). */
  memberUnitPriceFen: Fen
  packagingFeeFen: Fen
}

export function findItem(menu: Menu, itemId: string): MenuItem | undefined {
  return menu.items.find((i) => i.id === itemId)
}

/** Check a requested line against the menu and price it per unit. Throws DomainError on anything invalid. */
export function resolveLine(menu: Menu, req: LineRequest, availability?: Availability): ResolvedLine {
  if (!Number.isInteger(req.qty) || req.qty < 1 || req.qty > 99)
    throw new DomainError('INVALID_QUANTITY', 'quantity must be a whole number from 1 to 99', {
      qty: req.qty,
    })
  const item = findItem(menu, req.itemId)
  if (!item)
    throw new DomainError('UNKNOWN_ITEM', `no dish ${req.itemId} on this menu`, { itemId: req.itemId })
  const sku = item.skus.find((s) => s.id === req.skuId)
  if (!sku)
    throw new DomainError('UNKNOWN_SKU', `${item.name} has no spec ${req.skuId}`, {
      itemId: item.id,
      skuId: req.skuId,
    })
  if (availability?.soldOut.includes(item.id))
    throw new DomainError('ITEM_SOLD_OUT', `${item.name} is sold out`, { itemId: item.id })

  const chosen = new Set(req.optionIds)
  if (chosen.size !== req.optionIds.length)
    throw new DomainError('INVALID_OPTIONS', 'an option was chosen twice', { itemId: item.id })
  const known = new Set(item.optionGroups.flatMap((g) => g.options.map((o) => o.id)))
  for (const o of chosen)
    if (!known.has(o))
      throw new DomainError('INVALID_OPTIONS', `${item.name} has no option ${o}`, {
        itemId: item.id,
        optionId: o,
      })

  let optionFen = 0
  const optionNames: string[] = []
  for (const g of item.optionGroups) {
    const picked = g.options.filter((o) => chosen.has(o.id))
    if (picked.length < g.min || picked.length > g.max)
      throw new DomainError(
        'INVALID_OPTIONS',
        `${item.name}: choose ${g.min === g.max ? g.min : `${g.min}-${g.max}`} of ${g.name}`,
        { itemId: item.id, groupId: g.id, min: g.min, max: g.max, chosen: picked.length },
      )
    for (const o of picked) {
      optionFen += o.priceFen
      optionNames.push(o.name)
    }
  }
  return {
    itemId: item.id,
    skuId: sku.id,
    optionIds: [...req.optionIds].sort(),
    qty: req.qty,
    note: req.note,
    name: item.name,
    skuName: sku.name,
    optionNames,
    categoryId: item.categoryId,
    station: item.station,
    prepMinutes: item.prepMinutes,
    allergens: item.allergens,
    unitPriceFen: sku.priceFen + optionFen,
    memberUnitPriceFen: Math.min(sku.memberPriceFen ?? sku.priceFen, sku.priceFen) + optionFen,
    packagingFeeFen: sku.packagingFeeFen,
  }
}
