// The store's menu, availability and stock on its SQLite. Stock is reserved when an unpaid order is placed,
// turned into a sale when it is paid (or placed on a pay-after-meal table), and given back otherwise.
import { DomainError } from '../../core/errors'
import type { Availability, Category, Menu, MenuItem } from '../../core/menu'
import type { Meta } from '../sql'

export interface StockNeed {
  skuId: string
  qty: number
  name: string
}

export class MenuRepo {
  private cache: Menu | null = null

  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: Meta,
    private readonly storeId: () => string,
  ) {}

  get version(): number {
    return this.meta.get<number>('menu_version') ?? 0
  }

  menu(): Menu {
    if (this.cache && this.cache.version === this.version) return this.cache
    const categories = this.sql
      .exec<{ json: string }>('SELECT json FROM categories')
      .toArray()
      .map((r) => JSON.parse(r.json) as Category)
      .sort((a, b) => a.sort - b.sort)
    const items = this.sql
      .exec<{ json: string }>('SELECT json FROM items')
      .toArray()
      .map((r) => JSON.parse(r.json) as MenuItem)
      .sort((a, b) => a.sort - b.sort || a.id.localeCompare(b.id))
    this.cache = { storeId: this.storeId(), version: this.version, categories, items }
    return this.cache
  }

  private bump(change: string): number {
    const v = this.meta.next('menu_version')
    this.sql.exec('INSERT INTO menu_versions (version, at, change) VALUES (?, ?, ?)', v, Date.now(), change)
    this.cache = null
    return v
  }

  replace(categories: Category[], items: MenuItem[]): number {
    this.sql.exec('DELETE FROM categories')
    this.sql.exec('DELETE FROM items')
    for (const c of categories)
      this.sql.exec('INSERT INTO categories (id, json) VALUES (?, ?)', c.id, JSON.stringify(c))
    for (const i of items) this.putItemRow(i, categories)
    return this.bump(`replace ${categories.length} categories, ${items.length} items`)
  }

  upsertCategory(c: Category): number {
    this.sql.exec(
      'INSERT INTO categories (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json',
      c.id,
      JSON.stringify(c),
    )
    return this.bump(`category ${c.id}`)
  }

  upsertItem(item: MenuItem): number {
    this.putItemRow(item, this.menu().categories)
    return this.bump(`item ${item.id}`)
  }

  deleteItem(itemId: string): number {
    const n = this.sql.exec('DELETE FROM items WHERE id = ?', itemId).rowsWritten
    if (n === 0) throw new DomainError('UNKNOWN_ITEM', `no dish ${itemId}`, { itemId })
    this.sql.exec('DELETE FROM sold_out WHERE item_id = ?', itemId)
    return this.bump(`delete item ${itemId}`)
  }

  private putItemRow(item: MenuItem, categories: Category[]): void {
    if (!categories.some((c) => c.id === item.categoryId))
      throw new DomainError('VALIDATION_FAILED', `no category ${item.categoryId}`, {
        categoryId: item.categoryId,
      })
    const skuIds = new Set(item.skus.map((s) => s.id))
    if (skuIds.size !== item.skus.length)
      throw new DomainError('VALIDATION_FAILED', `${item.name}: duplicate SKU ids`)
    const optionIds = item.optionGroups.flatMap((g) => g.options.map((o) => o.id))
    if (new Set(optionIds).size !== optionIds.length)
      throw new DomainError('VALIDATION_FAILED', `${item.name}: duplicate option ids`)
    this.sql.exec(
      'INSERT INTO items (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json',
      item.id,
      JSON.stringify(item),
    )
  }

  setSoldOut(itemId: string, soldOut: boolean): void {
    if (!this.menu().items.some((i) => i.id === itemId))
      throw new DomainError('UNKNOWN_ITEM', `no dish ${itemId}`, { itemId })
    if (soldOut)
      this.sql.exec(
        'INSERT INTO sold_out (item_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING',
        itemId,
        Date.now(),
      )
    else this.sql.exec('DELETE FROM sold_out WHERE item_id = ?', itemId)
  }

  /** null stock means unlimited. */
  setStock(skuId: string, onHand: number | null): void {
    if (!this.menu().items.some((i) => i.skus.some((s) => s.id === skuId)))
      throw new DomainError('UNKNOWN_SKU', `no spec ${skuId}`, { skuId })
    if (onHand === null) this.sql.exec('DELETE FROM stock WHERE sku_id = ?', skuId)
    else
      this.sql.exec(
        'INSERT INTO stock (sku_id, on_hand) VALUES (?, ?) ON CONFLICT (sku_id) DO UPDATE SET on_hand = excluded.on_hand',
        skuId,
        onHand,
      )
  }

  replaceStock(stock: Record<string, number>): void {
    this.sql.exec('DELETE FROM stock')
    for (const [sku, n] of Object.entries(stock))
      this.sql.exec('INSERT INTO stock (sku_id, on_hand) VALUES (?, ?)', sku, n)
  }

  availability(): Availability {
    const soldOut = this.sql
      .exec<{ item_id: string }>('SELECT item_id FROM sold_out ORDER BY item_id')
      .toArray()
      .map((r) => r.item_id)
    const remaining: Record<string, number> = {}
    const rows = this.sql.exec<{ sku_id: string; left: number }>(
      `SELECT s.sku_id, s.on_hand - COALESCE((SELECT SUM(qty) FROM reservations r WHERE r.sku_id = s.sku_id), 0) AS left
       FROM stock s`,
    )
    for (const r of rows) remaining[r.sku_id] = Math.max(0, r.left)
    return { soldOut, remaining }
  }

  /**
   * Check and hold stock for an order in one synchronous step, so concurrent orders can never oversell.
   * `commit` takes it off the shelf at once (pay-after-meal); otherwise it is reserved until `expiresAt`.
   */
  take(
    orderId: string,
    needs: StockNeed[],
    commit: boolean,
    expiresAt: number,
    remaining: Record<string, number> = this.availability().remaining,
  ): void {
    const total = new Map<string, StockNeed>()
    for (const n of needs) {
      const t = total.get(n.skuId)
      total.set(n.skuId, t ? { ...t, qty: t.qty + n.qty } : { ...n })
    }
    const short = [...total.values()].filter((n) => n.skuId in remaining && remaining[n.skuId]! < n.qty)
    if (short.length > 0)
      throw new DomainError('STOCK_INSUFFICIENT', `${short.map((s) => s.name).join('、')} 库存不足`, {
        items: short.map((s) => ({ skuId: s.skuId, wanted: s.qty, left: remaining[s.skuId] })),
      })
    for (const n of total.values()) {
      if (!(n.skuId in remaining)) continue
      if (commit) this.sql.exec('UPDATE stock SET on_hand = on_hand - ? WHERE sku_id = ?', n.qty, n.skuId)
      else
        this.sql.exec(
          'INSERT INTO reservations (order_id, sku_id, qty, expires_at) VALUES (?, ?, ?, ?)',
          orderId,
          n.skuId,
          n.qty,
          expiresAt,
        )
    }
  }

  /** Paid: the reservation becomes a sale. */
  commitReservation(orderId: string): void {
    for (const r of this.sql.exec<{ sku_id: string; qty: number }>(
      'SELECT sku_id, qty FROM reservations WHERE order_id = ?',
      orderId,
    ))
      this.sql.exec('UPDATE stock SET on_hand = MAX(0, on_hand - ?) WHERE sku_id = ?', r.qty, r.sku_id)
    this.sql.exec('DELETE FROM reservations WHERE order_id = ?', orderId)
  }

  releaseReservation(orderId: string): number {
    return this.sql.exec('DELETE FROM reservations WHERE order_id = ?', orderId).rowsWritten
  }

  /** A sold order that is rejected or cancelled puts its units back on the shelf. */
  restock(needs: StockNeed[]): void {
    for (const n of needs)
      this.sql.exec('UPDATE stock SET on_hand = on_hand + ? WHERE sku_id = ?', n.qty, n.skuId)
  }

  expiredReservations(now: number): string[] {
    return this.sql
      .exec<{ order_id: string }>('SELECT DISTINCT order_id FROM reservations WHERE expires_at <= ?', now)
      .toArray()
      .map((r) => r.order_id)
  }
}
