// CustomerDO: one per delivery/pickup customer (customer token `sub`). Holds the customer's saved
// addresses, sealed (AES-GCM, workers/auth/pii.ts: the Worker seals before they get here, so this object
// never sees them in clear), and the list of the customer's orders with the store each lives in, which is
// how the Worker finds an order's store and checks it is this customer's.
//
// Why an object and not a sealed blob handed to the client: GET/DELETE of saved addresses need somewhere
// to live, and an order id alone must lead to its store. The cost is one small object per customer, idle
// between orders (SQLite storage, no sockets).
import { DurableObject } from 'cloudflare:workers'
import { z } from 'zod'
import { DomainError, type Outcome, outcome } from '../core/errors'
import { LatLngSchema } from '../core/geo'
import type { MaskedAddress } from '../core/order'
import type { Env } from '../workers/env'

/** Home, office, school, family and friends fit in twenty; more looks like a script. */
export const MAX_ADDRESSES = 20
/** Orders kept for lookup; older ones live in history (Postgres). */
const MAX_ORDERS = 500

/** What the customer types or picks; the point is converted to GCJ-02 by the Worker before sealing. */
export const AddressInputSchema = z.object({
  /** 家 / 公司 / 学校 ... */
  label: z.string().trim().max(10).default(''),
  name: z.string().trim().min(1).max(20),
  phone: z
    .string()
    .transform((p) => p.replace(/[\s-]/g, '').replace(/^\+?86(?=1\d{10}$)/, ''))
    .pipe(z.string().regex(/^1[3-9]\d{9}$/, 'a mainland mobile number, 11 digits')),
  /** The text address: province/city/district, road and number, building and door. */
  text: z.string().trim().min(4).max(200),
  ...LatLngSchema.shape,
  /** WGS84 from device GPS, GCJ02 from a Tencent/AMap/WeChat map picker, BD09 from Baidu. */
  datum: z.enum(['WGS84', 'GCJ02', 'BD09']),
})
export type AddressInput = z.infer<typeof AddressInputSchema>

/** The address in clear, as sealed: only the store (to hand a job) and the rider (after pickup) open it. */
export interface AddressPlain {
  name: string
  phone: string
  text: string
  /** GCJ-02. */
  lat: number
  lng: number
}

export interface StoredAddress {
  id: string
  label: string
  masked: MaskedAddress
  /** District and road, for a rider before pickup. */
  hint: string
  /** encryptPii(JSON AddressPlain, addressContext(customerId)). */
  sealed: string
  createdAt: number
}

/** The AES-GCM additional data of a customer's addresses: a sealed address only opens for its customer. */
export const addressContext = (customerId: string): string => `customer:${customerId}:address`

/** "张三" -> "张*", "欧阳娜娜" -> "欧***": the family name, enough for a rider to ask "张先生?". */
export function maskName(name: string): string {
  const chars = [...name.trim()]
  if (chars.length === 0) return '*'
  return `${chars[0]}${'*'.repeat(Math.min(3, Math.max(1, chars.length - 1)))}`
}

const ROAD = /^(.*?(?:大道|大街|路|街|巷|胡同|弄))/

/**
 * The address cut after the road: "四川省成都市武侯区玉林西路88号3栋2单元501" -> "四川省成都市武侯区玉林西路…".
 * Without a road name, the first six characters (about the city and district) and the ellipsis.
 */
export function maskAddressText(text: string): string {
  const t = text.replace(/\s+/g, '')
  const road = t.match(ROAD)?.[1]
  if (road && road.length < t.length) return `${road}…`
  if (road) return road
  const chars = [...t]
  return chars.length <= 6 ? `${chars.slice(0, 2).join('')}…` : `${chars.slice(0, 6).join('')}…`
}

/** What a rider sees before pickup: "武侯区 玉林西路附近" (district and road, never the number or door). */
export function addressHint(text: string): string {
  const rest = text
    .replace(/\s+/g, '')
    .replace(/^[^省]{1,8}省/, '')
    .replace(/^[^市]{1,8}市/, '')
  const district = rest.match(/^([^区县]{1,6}[区县])/)?.[1] ?? ''
  const afterDistrict = district ? rest.slice(district.length) : rest
  const road = afterDistrict.match(ROAD)?.[1]?.slice(-12) ?? ''
  const hint = [district, road ? `${road}附近` : ''].filter(Boolean).join(' ')
  return hint || maskAddressText(text)
}

export function maskAddress(
  a: Pick<AddressPlain, 'name' | 'phone' | 'text'>,
  maskPhone: (p: string) => string,
) {
  return { name: maskName(a.name), phone: maskPhone(a.phone), text: maskAddressText(a.text) }
}

export class CustomerDO extends DurableObject<Env> {
  private readonly sql: SqlStorage

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    this.sql.exec(`CREATE TABLE IF NOT EXISTS addresses (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL,
      json TEXT NOT NULL)`)
    this.sql.exec(`CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, store_id TEXT NOT NULL,
      created_at INTEGER NOT NULL)`)
  }

  addAddress(a: StoredAddress): Outcome<StoredAddress> {
    return outcome(() => {
      const n = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM addresses').one().n
      if (n >= MAX_ADDRESSES)
        throw new DomainError('CONFLICT', `at most ${MAX_ADDRESSES} saved addresses; delete one first`)
      this.sql.exec(
        'INSERT INTO addresses (id, created_at, json) VALUES (?, ?, ?)',
        a.id,
        a.createdAt,
        JSON.stringify(a),
      )
      return a
    })
  }

  addresses(): StoredAddress[] {
    return this.sql
      .exec<{ json: string }>('SELECT json FROM addresses ORDER BY created_at DESC')
      .toArray()
      .map((r) => JSON.parse(r.json) as StoredAddress)
  }

  address(id: string): StoredAddress | null {
    const row = this.sql.exec<{ json: string }>('SELECT json FROM addresses WHERE id = ?', id).toArray()[0]
    return row ? (JSON.parse(row.json) as StoredAddress) : null
  }

  deleteAddress(id: string): Outcome<{ deleted: string }> {
    return outcome(() => {
      const n = this.sql.exec('DELETE FROM addresses WHERE id = ?', id).rowsWritten
      if (n === 0) throw new DomainError('NOT_FOUND', 'no such address')
      return { deleted: id }
    })
  }

  /** An order this customer placed, in `storeId` (idempotent). */
  orderPlaced(orderId: string, storeId: string): void {
    this.sql.exec(
      'INSERT INTO orders (order_id, store_id, created_at) VALUES (?, ?, ?) ON CONFLICT (order_id) DO NOTHING',
      orderId,
      storeId,
      Date.now(),
    )
    const n = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM orders').one().n
    if (n > MAX_ORDERS)
      this.sql.exec(
        'DELETE FROM orders WHERE order_id IN (SELECT order_id FROM orders ORDER BY created_at LIMIT ?)',
        n - MAX_ORDERS,
      )
  }

  /** The store of one of this customer's orders; null for someone else's (or an unknown) order. */
  storeOf(orderId: string): string | null {
    return (
      this.sql
        .exec<{ store_id: string }>('SELECT store_id FROM orders WHERE order_id = ?', orderId)
        .toArray()[0]?.store_id ?? null
    )
  }

  orders(limit = 50): { orderId: string; storeId: string; createdAt: number }[] {
    return this.sql
      .exec<{ order_id: string; store_id: string; created_at: number }>(
        'SELECT * FROM orders ORDER BY created_at DESC LIMIT ?',
        Math.min(limit, 200),
      )
      .toArray()
      .map((r) => ({ orderId: r.order_id, storeId: r.store_id, createdAt: r.created_at }))
  }
}
