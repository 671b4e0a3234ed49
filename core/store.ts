// A store's setup: settings, tables and staff. Validated by the Worker, kept by StoreDO.
import { z } from 'zod'
import { LatLngSchema } from './geo/coords'
import { DeliverySettingsSchema } from './geo/delivery-area'
import { CategorySchema, MenuItemSchema } from './menu'
import { PromotionsSchema } from './pricing'
import { PrinterConfigSchema } from './tickets'

export const STAFF_ROLES = ['owner', 'manager', 'waiter', 'kitchen'] as const
export type StaffRole = (typeof STAFF_ROLES)[number]

export const StoreIdSchema = z.string().regex(/^\d{3}$/, 'a store id is 3 digits')
export const AreaNoSchema = z.string().regex(/^\d{4}$/, 'an area number is 4 digits')
export const TableNoSchema = z.string().regex(/^\d{5}$/, 'a table number is 5 digits')

export const StoreSettingsSchema = z
  .object({
    name: z.string().min(1).max(60),
    address: z.string().max(200).default(''),
    /** Pay before the kitchen sees a round, or after the meal at the counter / by QR. */
    payMode: z.enum(['pay_first', 'pay_after']).default('pay_after'),
    /** Accept new paid rounds without a tap from staff. */
    autoAccept: z.boolean().default(false),
    promotions: PromotionsSchema.default({ discounts: [], tiers: [], coupons: [] }),
    // ---- delivery and pickup (外卖 / 自提) ----
    /** Where the store is, GCJ-02 (what a map picker gives). Needed for delivery and the nearby list. */
    location: LatLngSchema.optional(),
    /** Delivery area, fee brackets, 起送价; absent = the store does not deliver (pickup may still work). */
    delivery: DeliverySettingsSchema.optional(),
    /** Usual minutes from accepting an order to handing it over; DEFAULT_PREP_MINUTES when unset. */
    prepMinutes: z.number().int().min(1).max(180).optional(),
  })
  // Refinements run over input that failed a field check too: they must not assume fields are well formed.
  .refine((s) => !s.delivery || Boolean(s.location), {
    message: 'a store that delivers needs its location',
    path: ['location'],
  })
export type StoreSettings = z.infer<typeof StoreSettingsSchema>

// ---- delivery time estimate ----

/** A kitchen that did not say: 15 minutes is the usual quick-service promise. */
export const DEFAULT_PREP_MINUTES = 15
/**
 * Minutes from "ready" to a rider leaving the store, on average: dispatch batches every few seconds and
 * sends a rider who is usually a few minutes away (core/dispatch assigns riders while the food cooks, so
 * most of the approach overlaps the prep time). 5 minutes is a deliberately cautious figure.
 */
export const EXPECTED_RIDER_WAIT_MINUTES = 5
/**
 * Rider speed for the estimate: an e-bike in city traffic, ~15 km/h = 250 m/min, over the straight line
 * times a detour factor of 1.3 (roads are not straight): docs/reference LBS 5.4 suggests the same.
 */
export const RIDER_METRES_PER_MINUTE = 250
export const DETOUR_FACTOR = 1.3

/**
 * Minutes from placing (paid and accepted at once) to the door: prep + rider wait + travel. Rounded up
 * to whole minutes; a promise, not a measurement, so it errs on the late side.
 */
export function deliveryEtaMinutes(input: { prepMinutes?: number; distanceM: number }): number {
  const prep = input.prepMinutes ?? DEFAULT_PREP_MINUTES
  const travel = (Math.max(0, input.distanceM) * DETOUR_FACTOR) / RIDER_METRES_PER_MINUTE
  return Math.ceil(prep + EXPECTED_RIDER_WAIT_MINUTES + travel)
}

export const TableSchema = z.object({
  areaNo: AreaNoSchema,
  areaName: z.string().min(1).max(20),
  tableNo: TableNoSchema,
  label: z.string().min(1).max(20),
  seats: z.number().int().min(1).max(50).default(4),
})
export type Table = z.infer<typeof TableSchema>

export const StaffSetupSchema = z.object({
  username: z.string().regex(/^[a-z0-9_.-]{3,32}$/),
  displayName: z.string().min(1).max(40),
  role: z.enum(STAFF_ROLES),
  password: z.string().min(8).max(128),
})
export type StaffSetup = z.infer<typeof StaffSetupSchema>

export const MenuInputSchema = z.object({
  categories: z.array(CategorySchema).max(100),
  items: z.array(MenuItemSchema).max(2000),
})
export type MenuInput = z.infer<typeof MenuInputSchema>

export const StoreSetupSchema = z.object({
  settings: StoreSettingsSchema,
  menu: MenuInputSchema,
  /** skuId -> units in stock; a SKU not listed is unlimited. */
  stock: z.record(z.string(), z.number().int().min(0).max(1_000_000)).default({}),
  tables: z.array(TableSchema).max(500),
  staff: z.array(StaffSetupSchema).min(1).max(200),
  /** Kitchen printers (stations, receipts, copies, LAN address or cloud printer). */
  printers: z.array(PrinterConfigSchema).max(32).optional(),
})
export type StoreSetup = z.infer<typeof StoreSetupSchema>

export const TABLE_STATUSES = ['idle', 'seated', 'ordering', 'dining', 'to_clean'] as const
export type TableStatus = (typeof TABLE_STATUSES)[number]

/** The table's name inside its store: area + table digits. */
export const tableKey = (areaNo: string, tableNo: string): string => `${areaNo}-${tableNo}`
