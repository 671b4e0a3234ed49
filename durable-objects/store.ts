// StoreDO: one per store. The authority for the menu (versioned), stock and reservations, the store's
// orders and their state machine, staff sockets, the table map, and the outbox to Postgres.
import { DurableObject } from 'cloudflare:workers'
import type { StoreServerMessage, StoreSnapshot, TableMapEntry } from '../core/channels/store'
import { StoreClientMessage } from '../core/channels/store'
import type { DeliveryUpdate } from '../core/delivery'
import { DomainError, type Outcome, outcome } from '../core/errors'
import { newId } from '../core/ids'
import { type Category, type LineRequest, type MenuItem, resolveLine } from '../core/menu'
import type { Order, PayMode } from '../core/order'
import {
  type Actor,
  isTerminal,
  type OrderEvent,
  type OrderMode,
  type OrderState,
  transition,
} from '../core/order-machine'
import { drainOutbox } from '../core/outbox'
import type { MoneyAlert, RefundLine } from '../core/payment-types'
import { priceOrder } from '../core/pricing'
import type { StaffRole, StoreSettings, StoreSetup, Table, TableStatus } from '../core/store'
import { type PrinterConfig, PrinterConfigSchema } from '../core/tickets'
import type { Env } from '../workers/env'
import { neonHistorySink } from '../workers/history/neon'
import type { Refund as ProviderRefund, Trade } from '../workers/payments/provider'
import { acceptSocket, enableAutoPong, parseFrame, replyClose, SequencedChannel, safeSend } from './sockets'
import { atomic, Meta, migrate, Timers } from './sql'
import { DELIVERY_TIMER, Delivery, type DeliveryRequest } from './store/delivery'
import { MenuRepo, type StockNeed } from './store/menu-repo'
import { OrdersRepo } from './store/orders-repo'
import { PAYMENT_TIMERS, Payments, type SettleResult } from './store/payments'
import type { JobSummary, PrinterState, PrintRepo } from './store/print-repo'
import { Printing } from './store/printing'
import { STORE_MIGRATIONS } from './store/schema'

/** Unpaid orders close after 15 minutes (DESIGN: Flows 3). */
export const PAYMENT_WINDOW_MS = 15 * 60_000
/** Stock held for an unpaid order; longer than the payment window so a late notify still finds it. */
export const RESERVATION_MS = 30 * 60_000
/** The board shows finished orders of the last 12 hours: one service day. */
const BOARD_HISTORY_MS = 12 * 3600_000
/** States an order is still "open" on the table map. */
const OPEN_STATES: readonly OrderState[] = [
  'PENDING_PAYMENT',
  'PLACED',
  'ACCEPTED',
  'QUEUED',
  'COOKING',
  'READY',
]

export interface PlaceOrderRequest {
  idempotencyKey: string
  mode: OrderMode
  menuVersion: number
  lines: LineRequest[]
  tableKey?: string
  sessionId?: string
  roundNo?: number
  dinerId?: string
  note?: string
  couponCodes?: string[]
  member?: boolean
  actor: Actor
  actorId: string
  /** Delivery and pickup: the customer (customer token `sub`). */
  customerId?: string
  /** Delivery: the sealed address and what may be shown of it (durable-objects/store/delivery.ts). */
  delivery?: DeliveryRequest
}

export interface StaffCredential {
  username: string
  displayName: string
  role: StaffRole
  pwHash: string
}

/** What a TableDO is told when one of its rounds changes. */
export interface RoundUpdate {
  orderId: string
  sessionId: string
  roundNo: number
  state: OrderState
  paid: boolean
  totalFen: number
  pickupNo: string
}

export interface StoreSetupHashed extends Omit<StoreSetup, 'staff'> {
  staff: { username: string; displayName: string; role: StaffRole; pwHash: string }[]
}

export class StoreDO extends DurableObject<Env> {
  private readonly meta: Meta
  private readonly menus: MenuRepo
  private readonly orders: OrdersRepo
  private readonly timers: Timers
  private readonly channel: SequencedChannel<StoreServerMessage>
  private readonly printing: Printing
  private readonly payments: Payments
  private readonly delivery: Delivery
  /** Money alerts raised in the current transaction, broadcast once it commits. */
  private moneyOutgoing: (MoneyAlert | null)[] = []

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    const sql = ctx.storage.sql
    migrate(ctx.storage, STORE_MIGRATIONS)
    this.meta = new Meta(sql)
    this.menus = new MenuRepo(sql, this.meta, () => this.storeId)
    this.orders = new OrdersRepo(sql)
    this.timers = new Timers(ctx.storage, () => (this.historyEnabled ? this.outboxDueAt() : null))
    this.channel = new SequencedChannel(ctx, this.meta, 'staff')
    this.printing = new Printing(
      ctx,
      sql,
      this.timers,
      () => this.meta.get<StoreSettings>('settings')?.name ?? '',
      (printer, alert) => this.channel.broadcast({ type: 'printer', printer, alert }),
    )
    this.payments = new Payments(sql, {
      storeId: () => this.storeId,
      storeName: () => this.meta.get<StoreSettings>('settings')?.name ?? '',
      env,
      orders: this.orders,
      timers: this.timers,
      paymentWindowMs: PAYMENT_WINDOW_MS,
      tx: (fn) => this.tx(fn),
      applyEventSync: (orderId, event, actor, actorId, reason) =>
        this.applyEventSync(orderId, event, actor, actorId, reason),
      changed: (orders) => this.ordersChanged(orders),
      sessionRoundPaid: (order) => this.printing.receipts(order),
      alert: (alert) => this.moneyOutgoing.push(alert),
    })
    // ---- delivery and pickup (store/delivery.ts) ----
    this.delivery = new Delivery(ctx, {
      storeId: () => this.storeId,
      settings: () => this.settings,
      env,
      orders: this.orders,
      timers: this.timers,
      applyEventSync: (orderId, event, actor, actorId, reason) =>
        this.applyEventSync(orderId, event, actor, actorId, reason),
      changed: (order) => this.afterOrderChange(order, false),
      staffOrder: (order) => this.channel.broadcast({ type: 'order', order, alert: false }),
      events: (orderId) => this.orders.events(orderId),
    })
    enableAutoPong(ctx)
  }

  /** One synchronous transaction; print jobs it wrote are delivered only if it commits. */
  private tx<T>(fn: () => T): T {
    try {
      return atomic(this.ctx.storage, this.meta, fn)
    } catch (e) {
      this.printing.discard()
      this.moneyOutgoing = []
      throw e
    }
  }

  /** Broadcast money alerts raised by transactions that committed. */
  private flushMoney(): void {
    if (this.moneyOutgoing.length === 0) return
    const raised = this.moneyOutgoing
    this.moneyOutgoing = []
    const alerts = this.payments.alerts()
    for (const alert of raised) this.channel.broadcast({ type: 'money', alerts, alert })
  }

  /** After payment transactions: sockets, tables, tickets, and auto-accept of newly paid orders. */
  private async ordersChanged(orders: Order[]): Promise<void> {
    for (const o of orders) this.afterOrderChange(o, false)
    if (this.settings.autoAccept)
      for (const o of orders)
        if (o.state === 'PLACED' && o.paid && o.payMode === 'pay_first') {
          const accepted = outcome(() =>
            this.tx(() => this.applyEventSync(o.id, 'accept', 'system', 'auto-accept')),
          )
          if (accepted.ok) this.afterOrderChange(accepted.value, false)
        }
    this.flushMoney()
  }

  private get storeId(): string {
    return this.meta.get<string>('store_id') ?? ''
  }
  private get settings(): StoreSettings {
    const s = this.meta.get<StoreSettings>('settings')
    if (!s) throw new DomainError('STORE_NOT_FOUND', 'this store has not been set up')
    return s
  }
  private get historyEnabled(): boolean {
    return Boolean(this.env.DATABASE_URL)
  }

  // ---------- setup and staff ----------

  async setup(storeId: string, setup: StoreSetupHashed): Promise<Outcome<{ menuVersion: number }>> {
    const result = outcome(() =>
      this.tx(() => {
        const existing = this.meta.get<string>('store_id')
        if (existing && existing !== storeId)
          throw new DomainError('CONFLICT', 'object belongs to another store')
        this.meta.set('store_id', storeId)
        this.meta.set('settings', setup.settings)
        this.delivery.storeSaved(storeId, setup.settings, Date.now())
        const menuVersion = this.menus.replace(setup.menu.categories, setup.menu.items)
        this.menus.replaceStock(setup.stock)
        const sql = this.ctx.storage.sql
        if (setup.printers) this.printing.repo.setPrinters(checkPrinters(setup.printers))
        sql.exec('DELETE FROM staff')
        for (const s of setup.staff)
          sql.exec(
            'INSERT INTO staff (username, display_name, role, pw_hash) VALUES (?, ?, ?, ?)',
            s.username,
            s.displayName,
            s.role,
            s.pwHash,
          )
        const keep = new Set(setup.tables.map((t) => `${t.areaNo}-${t.tableNo}`))
        for (const row of sql.exec<{ table_key: string }>('SELECT table_key FROM tables').toArray())
          if (!keep.has(row.table_key)) sql.exec('DELETE FROM tables WHERE table_key = ?', row.table_key)
        for (const t of setup.tables)
          sql.exec(
            `INSERT INTO tables (table_key, json, status, updated_at) VALUES (?, ?, 'idle', ?)
             ON CONFLICT (table_key) DO UPDATE SET json = excluded.json`,
            `${t.areaNo}-${t.tableNo}`,
            JSON.stringify(t),
            Date.now(),
          )
        return { menuVersion }
      }),
    )
    if (result.ok) {
      this.channel.broadcast({ type: 'snapshot', state: this.snapshot() })
      this.fanOutToTables((t) => t.menuChanged(result.value.menuVersion))
      // The store index learns where the store delivers now (retried by the alarm if it cannot be reached).
      await this.delivery.flush()
    }
    return result
  }

  exists(): boolean {
    return Boolean(this.meta.get('store_id'))
  }

  info(): Outcome<{ storeId: string; name: string; payMode: PayMode; menuVersion: number }> {
    return outcome(() => ({
      storeId: this.storeId,
      name: this.settings.name,
      payMode: this.settings.payMode,
      menuVersion: this.menus.version,
    }))
  }

  getStaffCredential(username: string): StaffCredential | null {
    const row = this.ctx.storage.sql
      .exec<{ username: string; display_name: string; role: StaffRole; pw_hash: string }>(
        'SELECT * FROM staff WHERE username = ?',
        username,
      )
      .toArray()[0]
    return row
      ? { username: row.username, displayName: row.display_name, role: row.role, pwHash: row.pw_hash }
      : null
  }

  getTable(tableKey: string): Outcome<Table & { tableKey: string }> {
    return outcome(() => {
      this.settings
      const row = this.ctx.storage.sql
        .exec<{ json: string }>('SELECT json FROM tables WHERE table_key = ?', tableKey)
        .toArray()[0]
      if (!row) throw new DomainError('TABLE_CODE_INVALID', 'this table does not exist', { tableKey })
      return { ...(JSON.parse(row.json) as Table), tableKey }
    })
  }

  // ---------- menu ----------

  getMenu(): Outcome<{
    menu: ReturnType<MenuRepo['menu']>
    availability: ReturnType<MenuRepo['availability']>
  }> {
    return outcome(() => {
      this.settings
      return { menu: this.menus.menu(), availability: this.menus.availability() }
    })
  }

  upsertItem(item: MenuItem): Outcome<{ menuVersion: number }> {
    return this.menuChange(() => this.menus.upsertItem(item))
  }
  deleteItem(itemId: string): Outcome<{ menuVersion: number }> {
    return this.menuChange(() => this.menus.deleteItem(itemId))
  }
  upsertCategory(category: Category): Outcome<{ menuVersion: number }> {
    return this.menuChange(() => this.menus.upsertCategory(category))
  }

  private menuChange(fn: () => number): Outcome<{ menuVersion: number }> {
    const r = outcome(() => {
      this.settings
      return { menuVersion: this.tx(fn) }
    })
    if (r.ok) {
      this.channel.broadcast({ type: 'menu', menuVersion: r.value.menuVersion })
      this.fanOutToTables((t) => t.menuChanged(r.value.menuVersion))
    }
    return r
  }

  setSoldOut(
    itemId: string,
    soldOut: boolean,
  ): Outcome<{ soldOut: string[]; remaining: Record<string, number> }> {
    const r = outcome(() => {
      this.settings
      this.menus.setSoldOut(itemId, soldOut)
      return this.menus.availability()
    })
    if (r.ok) {
      this.broadcastAvailability()
      const list = r.value.soldOut
      this.fanOutToTables((t) => t.soldOutChanged(list))
    }
    return r
  }

  setStock(
    skuId: string,
    stock: number | null,
  ): Outcome<{ soldOut: string[]; remaining: Record<string, number> }> {
    const r = outcome(() => {
      this.settings
      this.menus.setStock(skuId, stock)
      return this.menus.availability()
    })
    if (r.ok) this.broadcastAvailability()
    return r
  }

  private broadcastAvailability(): void {
    const a = this.menus.availability()
    this.channel.broadcast({ type: 'availability', soldOut: a.soldOut, remaining: a.remaining })
  }

  // ---------- orders ----------

  async placeOrder(req: PlaceOrderRequest): Promise<Outcome<Order>> {
    const r = outcome(() => this.tx(() => this.placeOrderSync(req)))
    if (r.ok && r.value.created) {
      this.afterOrderChange(r.value.order, true)
      if (r.value.order.state === 'PLACED' && this.settings.autoAccept) {
        const accepted = await this.applyEvent(r.value.order.id, 'accept', 'system', 'auto-accept')
        if (accepted.ok) return { ok: true, value: accepted.value }
      }
      await this.timers.arm()
    }
    return r.ok ? { ok: true, value: r.value.order } : r
  }

  private placeOrderSync(req: PlaceOrderRequest): { order: Order; created: boolean } {
    const settings = this.settings
    const existing = this.orders.byIdempotencyKey(req.idempotencyKey)
    if (existing) return { order: existing, created: false }
    const menu = this.menus.menu()
    if (req.menuVersion !== menu.version)
      throw new DomainError('MENU_STALE', 'the menu has changed; reload it and check your order', {
        menuVersion: menu.version,
      })
    if (req.lines.length === 0) throw new DomainError('CART_EMPTY', 'nothing to order')
    if (req.lines.length > 100) throw new DomainError('VALIDATION_FAILED', 'at most 100 lines per order')
    const availability = this.menus.availability()
    const resolved = req.lines.map((l) => resolveLine(menu, l, availability))
    const now = Date.now()
    // ---- delivery and pickup: quote the address (refused here, before payment), fees, ETA ----
    const modal = this.delivery.prepare(req.mode, req, resolved, now)
    const price = priceOrder({
      lines: resolved,
      mode: req.mode,
      member: req.member ?? false,
      promotions: settings.promotions,
      couponCodes: req.couponCodes ?? [],
      ...modal.pricing,
    })
    const payMode: PayMode = req.mode === 'dine_in' ? settings.payMode : 'pay_first'
    const id = newId('ord', now)
    const tableLabel = req.tableKey ? this.getTableLabel(req.tableKey) : undefined
    const order: Order = {
      id,
      storeId: this.storeId,
      mode: req.mode,
      state: 'PENDING_PAYMENT',
      paid: false,
      payMode,
      pickupNo: this.nextPickupNo(now, req.mode),
      lines: price.lines,
      price,
      totalFen: price.totalFen,
      note: req.note ?? '',
      createdAt: now,
      updatedAt: now,
      version: 1,
      ...(req.tableKey ? { tableKey: req.tableKey, tableLabel } : {}),
      ...(req.sessionId ? { sessionId: req.sessionId } : {}),
      ...(req.roundNo ? { roundNo: req.roundNo } : {}),
      ...(req.dinerId ? { dinerId: req.dinerId } : {}),
      ...modal.fields,
    }
    const needs: StockNeed[] = resolved.map((l) => ({ skuId: l.skuId, qty: l.qty, name: l.name }))
    this.menus.take(id, needs, payMode === 'pay_after', now + RESERVATION_MS, availability.remaining)
    if (payMode === 'pay_after') {
      // Pay-after-meal: the round goes to the kitchen unpaid. Two events, one row write.
      const placed: Order = { ...order, state: 'PLACED', version: 2 }
      this.orders.create(placed, req.idempotencyKey, req.actor, req.actorId, {
        actor: 'system',
        actorId: 'pay-after-meal',
      })
      if (req.tableKey && req.sessionId) this.payments.sessionChanged(req.tableKey, req.sessionId)
      return { order: placed, created: true }
    }
    this.orders.create(order, req.idempotencyKey, req.actor, req.actorId)
    // Both compress with PAYMENT_TIME_SCALE in tests, keeping their ratio.
    const window = this.payments.windowMs()
    this.timers.set(`close:${id}`, now + window)
    this.timers.set(`reserve:${id}`, now + Math.round((window * RESERVATION_MS) / PAYMENT_WINDOW_MS))
    return { order, created: true }
  }

  private getTableLabel(tableKey: string): string {
    const row = this.ctx.storage.sql
      .exec<{ json: string }>('SELECT json FROM tables WHERE table_key = ?', tableKey)
      .toArray()[0]
    if (!row) throw new DomainError('TABLE_CODE_INVALID', 'this table does not exist', { tableKey })
    return (JSON.parse(row.json) as Table).label
  }

  /** Short numbers restart every day (China time), per mode: T001 dine-in, P001 pickup, D001 delivery. */
  private nextPickupNo(now: number, mode: OrderMode): string {
    const day = new Date(now + 8 * 3600_000).toISOString().slice(0, 10)
    if (this.meta.get<string>('pickup_day') !== day) {
      this.meta.set('pickup_day', day)
      this.meta.set('pickup_seq', 0)
    }
    const n = this.meta.next('pickup_seq')
    return `${mode === 'dine_in' ? 'T' : mode === 'pickup' ? 'P' : 'D'}${String(n).padStart(3, '0')}`
  }

  async applyEvent(
    orderId: string,
    event: OrderEvent,
    actor: Actor,
    actorId: string,
    reason?: string,
  ): Promise<Outcome<Order>> {
    const r = outcome(() => this.tx(() => this.applyEventSync(orderId, event, actor, actorId, reason)))
    if (!r.ok) return r
    this.afterOrderChange(r.value, false)
    let order = r.value
    if (order.state === 'PLACED' && this.settings.autoAccept && event === 'pay') {
      const accepted = outcome(() =>
        this.tx(() => this.applyEventSync(orderId, 'accept', 'system', 'auto-accept')),
      )
      if (accepted.ok) {
        order = accepted.value
        this.afterOrderChange(order, false)
      }
    }
    await this.timers.arm()
    return { ok: true, value: order }
  }

  private applyEventSync(
    orderId: string,
    event: OrderEvent,
    actor: Actor,
    actorId: string,
    reason?: string,
  ): Order {
    const order = this.orders.require(orderId)
    const from = order.state
    if (event === 'reject' && !reason?.trim())
      throw new DomainError('VALIDATION_FAILED', 'say why the order is rejected', { event })
    if (event === 'cancel' && order.paid)
      throw new DomainError('INVALID_TRANSITION', 'this order is paid: refund it instead of cancelling', {
        state: from,
      })
    if (event === 'complete' && !order.paid)
      throw new DomainError('INVALID_TRANSITION', 'settle the bill before completing this order', {
        state: from,
      })
    if ((event === 'request_refund' || event === 'approve_refund') && !order.paid)
      throw new DomainError('INVALID_TRANSITION', 'this order is not paid: nothing to refund', {
        state: from,
      })
    const to = transition({
      state: from,
      event,
      mode: order.mode,
      actor,
      ...(order.resumeState ? { resumeState: order.resumeState } : {}),
      ...(event === 'unassign_rider' ? { kitchenState: this.delivery.kitchenStateOf(order) } : {}),
    })
    const next: Order = { ...order, state: to, version: order.version + 1, updatedAt: Date.now() }
    const needs = order.lines.map((l) => ({ skuId: l.skuId, qty: l.qty, name: l.name }))
    const stockTaken = order.paid || order.payMode === 'pay_after'
    switch (event) {
      case 'pay':
        next.paid = true
        this.menus.commitReservation(orderId)
        this.timers.clear(`close:${orderId}`)
        this.timers.clear(`reserve:${orderId}`)
        break
      case 'close':
      case 'cancel':
      case 'reject':
        if (from === 'PENDING_PAYMENT') this.menus.releaseReservation(orderId)
        else if (stockTaken) this.menus.restock(needs)
        this.timers.clear(`close:${orderId}`)
        this.timers.clear(`reserve:${orderId}`)
        break
      case 'request_refund':
        next.resumeState = from
        // Refunded before the kitchen took it: the dishes were never made.
        if (from === 'PLACED') this.menus.restock(needs)
        break
      case 'refuse_refund':
        delete next.resumeState
        break
    }
    if (reason) next.reason = reason.slice(0, 200)
    this.delivery.onEvent(event, from, next)
    const printed = this.printing.onOrderEvent(event, from, next, reason)
    this.orders.update(next, event, from, actor, actorId, reason)
    // Tickets went to the kitchen's queue: the order is queued there (accepted -> queued -> cooking).
    if (event === 'accept' && printed > 0) return this.applyEventSync(orderId, 'queue', 'system', 'printer')
    if (to === 'REFUNDING' && from !== 'REFUNDING') {
      this.payments.orderRefunding(next, actorId, reason)
      return this.orders.require(orderId)
    }
    if (event === 'close' || event === 'cancel' || event === 'reject') {
      this.payments.orderEnded(next)
      if (next.payMode === 'pay_after' && next.tableKey && next.sessionId)
        this.payments.sessionChanged(next.tableKey, next.sessionId)
    }
    return next
  }

  /** A pay-after-meal table paid at the counter: every open round is paid, served ones complete. */
  async settleSession(
    tableKey: string,
    sessionId: string,
    actor: Actor,
    actorId: string,
  ): Promise<Outcome<Order[]>> {
    const r = outcome(() =>
      this.tx(() => {
        this.settings
        const changed: Order[] = []
        for (const o of this.orders.list({ tableKey, sessionId, limit: 1000 })) {
          if (isTerminal(o.state) || o.state.startsWith('REFUND')) continue
          let cur = o
          if (cur.state === 'PENDING_PAYMENT')
            cur = this.applyEventSync(cur.id, 'pay', actor, actorId, '柜台收款')
          else if (!cur.paid) {
            cur = { ...cur, paid: true, version: cur.version + 1, updatedAt: Date.now() }
            this.orders.update(cur, 'pay', cur.state, actor, actorId, '柜台收款')
          }
          if (cur.state === 'SERVED') cur = this.applyEventSync(cur.id, 'complete', actor, actorId)
          this.printing.receipts(cur)
          changed.push(cur)
        }
        const stillCooking = changed.filter((o) => OPEN_STATES.includes(o.state))
        if (stillCooking.length > 0)
          throw new DomainError('INVALID_TRANSITION', `${stillCooking.length} round(s) not served yet`, {
            orders: stillCooking.map((o) => o.id),
          })
        return changed
      }),
    )
    if (r.ok) for (const o of r.value) this.afterOrderChange(o, false)
    await this.timers.arm()
    return r
  }

  // ---------- payments ----------

  /**
   * Open the checkout a diner is about to pay: one pay-first order (`orderId`), or the unpaid rounds of a
   * pay-after table (`tableKey` + `sessionId`). A diner's scope (table + seating) guards the order.
   */
  async startCheckout(req: {
    orderId?: string
    tableKey?: string
    sessionId?: string
    /** A delivery or pickup customer's scope: only their own order. */
    customerId?: string
    provider: 'wechat' | 'alipay'
  }): Promise<Outcome<ReturnType<Payments['startCheckout']>>> {
    const r = outcome(() => this.tx(() => this.payments.startCheckout(req)))
    this.flushMoney()
    await this.timers.arm()
    return r
  }

  /** Money arrived (verified notify, active query, client confirm): settle once, refund extras. */
  async settlePayment(trade: Trade, source: 'notify' | 'query' | 'confirm'): Promise<Outcome<SettleResult>> {
    const r = outcome(() => this.tx(() => this.payments.settle(trade, source)))
    if (r.ok) await this.ordersChanged(r.value.changed)
    this.flushMoney()
    await this.timers.arm()
    return r.ok ? { ok: true, value: r.value.result } : r
  }

  /** The diner's page came back from the cashier: ask the provider now rather than wait for the notify. */
  async confirmCheckout(
    checkoutId: string,
    scope?: { tableKey: string; sessionId: string },
  ): Promise<Outcome<{ checkoutId: string; state: string; paid: boolean; orderIds: string[] }>> {
    const c = this.payments.checkout(checkoutId)
    if (!c || (scope && (c.tableKey !== scope.tableKey || c.sessionId !== scope.sessionId)))
      return outcome(() => {
        throw new DomainError('NOT_FOUND', 'no such checkout')
      })
    const after = c.state === 'OPEN' ? await this.payments.query(checkoutId, 'confirm') : c
    this.flushMoney()
    await this.timers.arm()
    const cur = after ?? c
    return {
      ok: true,
      value: { checkoutId, state: cur.state, paid: cur.state === 'PAID', orderIds: cur.orderIds },
    }
  }

  /** A refund's state from the provider's refund notify. */
  async refundNotified(refund: ProviderRefund): Promise<Outcome<{ applied: boolean }>> {
    const r = outcome(() =>
      this.tx(() => {
        const known = this.payments.repo.refund(refund.outRefundNo)
        if (!known) throw new DomainError('NOT_FOUND', `no refund ${refund.outRefundNo} in this store`)
        return this.payments.applyRefund(refund)
      }),
    )
    if (r.ok) await this.ordersChanged(r.value)
    this.flushMoney()
    await this.timers.arm()
    return r.ok ? { ok: true, value: { applied: true } } : r
  }

  /** A diner asks for their money back: in full by themself before acceptance, else the merchant decides. */
  async dinerRefund(
    orderId: string,
    scope: { tableKey: string; sessionId: string },
    dinerId: string,
    reason: string,
  ): Promise<Outcome<Order>> {
    const o = this.orders.get(orderId)
    if (!o || o.tableKey !== scope.tableKey || o.sessionId !== scope.sessionId)
      return outcome(() => {
        throw new DomainError('ORDER_NOT_FOUND', 'no such order')
      })
    const r = await this.applyEvent(orderId, 'request_refund', 'diner', dinerId, reason)
    this.flushMoney()
    return r
  }

  /** Merchant: refund some lines of a paid order (line-level partial refund). */
  async refundLines(
    orderId: string,
    lines: RefundLine[],
    reason: string,
    actorId: string,
  ): Promise<Outcome<{ refundId: string; amountFen: number }>> {
    const r = outcome(() =>
      this.tx(() => {
        const order = this.orders.require(orderId)
        const refund = this.payments.refundLines(order, lines, reason, actorId)
        return { refundId: refund.id, amountFen: refund.amountFen }
      }),
    )
    await this.timers.arm()
    return r
  }

  /** Merchant: send back a payment that settled nothing (an amount that did not match). */
  async refundPayment(
    paymentId: string,
    reason: string,
    actorId: string,
  ): Promise<Outcome<{ refundId: string }>> {
    const r = outcome(() =>
      this.tx(() => ({ refundId: this.payments.refundPayment(paymentId, reason, actorId).id })),
    )
    if (r.ok) this.moneyOutgoing.push(null)
    this.flushMoney()
    await this.timers.arm()
    return r
  }

  /** Merchant: try a refund again now (a failed one goes out under a new number). */
  async retryRefund(refundId: string, actorId: string): Promise<Outcome<{ refundId: string }>> {
    const r = outcome(() => this.tx(() => ({ refundId: this.payments.retryRefund(refundId, actorId).id })))
    this.flushMoney()
    await this.timers.arm()
    return r
  }

  orderMoney(orderId: string): Outcome<ReturnType<Payments['ofOrder']>> {
    return outcome(() => {
      this.orders.require(orderId)
      return this.payments.ofOrder(orderId)
    })
  }

  /** Recent ledger entries of this store (history in Postgres keeps them all). */
  ledger(from: number, to: number, limit = 500): Outcome<ReturnType<Payments['repo']['ledger']>> {
    return outcome(() => this.payments.repo.ledger({ from, to, limit }))
  }

  /** Every checkout, payment, refund and ledger entry: for operators' audits and the fault tests. */
  paymentAudit(): ReturnType<Payments['repo']['audit']> {
    return this.payments.repo.audit()
  }

  getOrder(orderId: string): Outcome<Order> {
    return outcome(() => this.orders.require(orderId))
  }

  getOrderEvents(orderId: string): Outcome<ReturnType<OrdersRepo['events']>> {
    return outcome(() => {
      this.orders.require(orderId)
      return this.orders.events(orderId)
    })
  }

  listOrders(filter: {
    states?: OrderState[]
    limit?: number
    tableKey?: string
    sessionId?: string
  }): Order[] {
    return this.orders.list(filter)
  }

  /** Round updates for one table session, for a table rebuilding its view. */
  sessionRounds(tableKey: string, sessionId: string): RoundUpdate[] {
    return this.orders.list({ tableKey, sessionId, limit: 1000 }).map(roundUpdate)
  }

  // ---------- delivery and pickup (store/delivery.ts) ----------

  /** What a rider's object reports about one of this store's delivery orders (core/delivery.ts). */
  async deliveryUpdate(u: DeliveryUpdate): Promise<Outcome<{ applied: boolean; state: OrderState }>> {
    const r = outcome(() => this.tx(() => this.delivery.update(u)))
    if (!r.ok) return r
    this.delivery.afterUpdate(u, r.value)
    await this.timers.arm()
    return { ok: true, value: { applied: r.value.applied, state: r.value.order.state } }
  }

  /** A customer's own order with its events; someone else's is as good as unknown. */
  customerOrder(
    orderId: string,
    customerId: string,
  ): Outcome<{ order: Order; events: ReturnType<OrdersRepo['events']> }> {
    return outcome(() => {
      const order = this.orders.get(orderId)
      // No customer on the order (a table's) or another customer's: unknown to this one.
      if (!customerId || order?.customerId !== customerId)
        throw new DomainError('ORDER_NOT_FOUND', 'no such order')
      return { order, events: this.orders.events(orderId) }
    })
  }

  /** A customer asks for their money back: the same rules as a diner (core/order-machine refunds). */
  async customerRefund(orderId: string, customerId: string, reason: string): Promise<Outcome<Order>> {
    const own = this.customerOrder(orderId, customerId)
    if (!own.ok) return own
    const r = await this.applyEvent(orderId, 'request_refund', 'diner', customerId, reason)
    this.flushMoney()
    return r
  }

  /** For operators and tests: the delivery outbox and each job's status. */
  deliveryState(): ReturnType<Delivery['state']> {
    return this.delivery.state()
  }

  // ---------- tables ----------

  tableStatusChanged(tableKey: string, status: TableStatus): void {
    const at = Date.now()
    const n = this.ctx.storage.sql.exec(
      'UPDATE tables SET status = ?, updated_at = ? WHERE table_key = ?',
      status,
      at,
      tableKey,
    ).rowsWritten
    if (n > 0 && this.channel.sockets().length > 0) {
      const entry = this.tableMap(tableKey)[0]
      if (entry) this.channel.broadcast({ type: 'table', table: entry })
    }
  }

  /** The table map, or one table of it (`only`): a new order touches one tile, not the whole floor. */
  tableMap(only?: string): TableMapEntry[] {
    const open = new Map<string, number>()
    const states = OPEN_STATES.map(() => '?').join(',')
    for (const r of this.ctx.storage.sql.exec<{ table_key: string; n: number }>(
      only
        ? `SELECT table_key, COUNT(*) AS n FROM orders WHERE table_key = ? AND state IN (${states}) GROUP BY table_key`
        : `SELECT table_key, COUNT(*) AS n FROM orders WHERE table_key IS NOT NULL AND state IN (${states}) GROUP BY table_key`,
      ...(only ? [only] : []),
      ...OPEN_STATES,
    ))
      open.set(r.table_key, r.n)
    return this.ctx.storage.sql
      .exec<{ table_key: string; json: string; status: TableStatus; updated_at: number }>(
        only ? 'SELECT * FROM tables WHERE table_key = ?' : 'SELECT * FROM tables ORDER BY table_key',
        ...(only ? [only] : []),
      )
      .toArray()
      .map((r) => {
        const t = JSON.parse(r.json) as Table
        return {
          tableKey: r.table_key,
          areaNo: t.areaNo,
          areaName: t.areaName,
          tableNo: t.tableNo,
          label: t.label,
          seats: t.seats,
          status: r.status,
          openOrders: open.get(r.table_key) ?? 0,
          updatedAt: r.updated_at,
        }
      })
  }

  private afterOrderChange(order: Order, isNew: boolean): void {
    this.printing.flush()
    this.channel.broadcast({ type: 'order', order, alert: isNew || (order.state === 'PLACED' && order.paid) })
    this.delivery.afterChange(order)
    if (order.tableKey && order.sessionId && order.roundNo) {
      // A new round's table placed it and has the answer already; later changes are news to it.
      if (!isNew) {
        const table = this.env.TABLE.getByName(`${this.storeId}:${order.tableKey}`)
        // Fire and forget: the table re-reads its rounds from here on every snapshot, so a lost notice heals.
        this.ctx.waitUntil(table.orderUpdated(roundUpdate(order)).catch(() => undefined))
      }
      if (this.channel.sockets().length > 0) {
        const entry = this.tableMap(order.tableKey)[0]
        if (entry) this.channel.broadcast({ type: 'table', table: entry })
      }
    }
  }

  private fanOutToTables(fn: (t: DurableObjectStub<import('./table').TableDO>) => Promise<unknown>): void {
    const rows = this.ctx.storage.sql
      .exec<{ table_key: string }>("SELECT table_key FROM tables WHERE status != 'idle'")
      .toArray()
    for (const r of rows)
      this.ctx.waitUntil(
        fn(this.env.TABLE.getByName(`${this.storeId}:${r.table_key}`)).catch(() => undefined),
      )
  }

  snapshot(): StoreSnapshot {
    const settings = this.settings
    const since = Date.now() - BOARD_HISTORY_MS
    const open = this.orders.list({ states: [...OPEN_STATES, 'REFUND_REQUESTED', 'REFUNDING'], limit: 1000 })
    const recent = this.orders.list({ since, limit: 300 }).filter((o) => !open.some((x) => x.id === o.id))
    const a = this.menus.availability()
    return {
      storeId: this.storeId,
      name: settings.name,
      menuVersion: this.menus.version,
      orders: [...open, ...recent],
      tables: this.tableMap(),
      soldOut: a.soldOut,
      remaining: a.remaining,
      printers: this.printing.repo.states(),
      moneyAlerts: this.payments.alerts(),
    }
  }

  /** What a table needs to validate carts without fetching the whole menu. */
  menuState(): Outcome<{ menuVersion: number; soldOut: string[]; name: string; payMode: PayMode }> {
    return outcome(() => ({
      menuVersion: this.menus.version,
      soldOut: this.menus.availability().soldOut,
      name: this.settings.name,
      payMode: this.settings.payMode,
    }))
  }

  // ---------- kitchen: printers, bridge, reprints, kitchen display ----------

  setPrinters(printers: PrinterConfig[]): Outcome<PrinterState[]> {
    const r = outcome(() => {
      this.settings
      const list = checkPrinters(printers)
      this.tx(() => this.printing.reconfigured(this.storeId, list))
      return this.printing.repo.states()
    })
    return r
  }

  printers(): Outcome<{
    printers: PrinterConfig[]
    states: PrinterState[]
    events: ReturnType<PrintRepo['events']>
  }> {
    return outcome(() => {
      this.settings
      return {
        printers: this.printing.repo.printers(),
        states: this.printing.repo.states(),
        events: this.printing.repo.events(),
      }
    })
  }

  printJobs(filter: { orderId?: string; limit?: number }): Outcome<JobSummary[]> {
    return outcome(() => this.printing.repo.jobs(filter))
  }

  async reprint(jobId: string): Promise<Outcome<JobSummary>> {
    const r = outcome(() =>
      this.tx(() => {
        const copy = this.printing.reprint(jobId)
        if (!copy) throw new DomainError('NOT_FOUND', `no print job ${jobId}`, { jobId })
        return copy
      }),
    )
    if (!r.ok) return r
    this.printing.flush()
    await this.timers.arm()
    return outcome(
      () => this.printing.repo.jobs({ orderId: r.value.ticket.orderId }).find((j) => j.id === r.value.id)!,
    )
  }

  /** A new bridge key, shown once; only its SHA-256 is kept. Rotating it disconnects the old bridge. */
  async rotateBridgeKey(): Promise<Outcome<{ key: string }>> {
    if (!this.exists())
      return { ok: false, error: { code: 'STORE_NOT_FOUND', message: 'this store has not been set up' } }
    const key = `brk_${b64url(crypto.getRandomValues(new Uint8Array(24)))}`
    this.meta.set('bridge_key_sha256', await sha256Hex(key))
    for (const ws of this.ctx.getWebSockets('bridge')) replyClose(ws, 4003)
    return { ok: true, value: { key } }
  }

  async verifyBridgeKey(key: string): Promise<boolean> {
    const want = this.meta.get<string>('bridge_key_sha256')
    if (!want || key.length > 200) return false
    const got = await sha256Hex(key)
    let diff = got.length ^ want.length
    for (let i = 0; i < Math.min(got.length, want.length); i++) diff |= got.charCodeAt(i) ^ want.charCodeAt(i)
    return diff === 0
  }

  /**
   * 退菜: staff take one line of an unpaid order back. The line stays on the order (history) marked voided,
   * the order is priced again from the other lines, its stock goes back on the shelf, and the stations that
   * printed it get a void ticket. The last line cancels the whole order. A paid order needs a refund.
   */
  async voidLine(
    orderId: string,
    lineNo: number,
    reason: string,
    actor: Actor,
    actorId: string,
  ): Promise<Outcome<Order>> {
    const r = outcome(() =>
      this.tx(() => {
        const order = this.orders.require(orderId)
        const line = order.lines.find((l) => l.lineNo === lineNo)
        if (!line || line.voided)
          throw new DomainError('NOT_FOUND', `order has no line ${lineNo} to take back`, { lineNo })
        if (order.paid)
          throw new DomainError('INVALID_TRANSITION', 'this order is paid: refund the line instead')
        if (!reason.trim()) throw new DomainError('VALIDATION_FAILED', 'say why the dish is taken back')
        if (!['PLACED', 'ACCEPTED', 'QUEUED', 'COOKING', 'READY'].includes(order.state))
          throw new DomainError(
            'INVALID_TRANSITION',
            `cannot take a dish back from an order that is ${order.state}`,
          )
        const active = order.lines.filter((l) => !l.voided && l.lineNo !== lineNo)
        if (active.length === 0) return this.applyEventSync(orderId, 'cancel', actor, actorId, reason)
        const now = Date.now()
        const price = priceOrder({
          lines: active,
          mode: order.mode,
          member: false,
          promotions: this.settings.promotions,
          couponCodes: order.price.appliedCoupon ? [order.price.appliedCoupon] : [],
        })
        // Pricing numbers lines 1..n; the kitchen display and tickets know them by their original numbers.
        const repriced = price.lines.map((l, i) => ({ ...l, lineNo: active[i]!.lineNo }))
        const voided = { ...line, voided: { reason: reason.slice(0, 200), at: now, by: actorId } }
        const lines = [...repriced, ...order.lines.filter((l) => l.voided), voided].sort(
          (a, b) => a.lineNo - b.lineNo,
        )
        const next: Order = {
          ...order,
          lines,
          price: { ...price, lines: repriced },
          totalFen: price.totalFen,
          version: order.version + 1,
          updatedAt: now,
        }
        if (order.payMode === 'pay_after') {
          this.menus.restock([{ skuId: line.skuId, qty: line.qty, name: line.name }])
          if (order.tableKey && order.sessionId) this.payments.sessionChanged(order.tableKey, order.sessionId)
        }
        this.printing.voidLine(next, lineNo, reason)
        this.orders.update(next, 'void_line', order.state, actor, actorId, `${line.name}: ${reason}`)
        return next
      }),
    )
    if (r.ok) this.afterOrderChange(r.value, false)
    await this.timers.arm()
    return r
  }

  /**
   * The kitchen display: a cook starts or bumps one line. The first start moves the order to cooking;
   * when every line is bumped it is ready. Line state rides on the order (`kds`), so every screen agrees.
   */
  async kdsLine(
    orderId: string,
    lineNo: number,
    action: 'start' | 'bump' | 'undo',
    actor: Actor,
    actorId: string,
  ): Promise<Outcome<Order>> {
    const r = outcome(() =>
      this.tx(() => {
        const order = this.orders.require(orderId)
        if (!order.lines.some((l) => l.lineNo === lineNo))
          throw new DomainError('NOT_FOUND', `order has no line ${lineNo}`, { lineNo })
        // Delivery: a rider may be assigned (or waiting at the pass) while the kitchen still works on it.
        const working = ['ACCEPTED', 'QUEUED', 'COOKING', 'READY', 'RIDER_ASSIGNED', 'RIDER_AT_STORE']
        if (!working.includes(order.state))
          throw new DomainError(
            'INVALID_TRANSITION',
            `the kitchen is not working on an order that is ${order.state}`,
          )
        const now = Date.now()
        const kds = { ...(order.kds ?? {}) }
        const cur = kds[lineNo] ?? {}
        kds[lineNo] =
          action === 'start'
            ? { startedAt: cur.startedAt ?? now }
            : action === 'bump'
              ? { startedAt: cur.startedAt ?? now, doneAt: now }
              : { ...(cur.startedAt ? { startedAt: cur.startedAt } : {}) }
        let next: Order = { ...order, kds, version: order.version + 1, updatedAt: now }
        this.orders.save(next)
        if (action !== 'undo' && (next.state === 'ACCEPTED' || next.state === 'QUEUED'))
          next = this.applyEventSync(orderId, 'start_cooking', actor, actorId)
        const allDone = next.lines.every((l) => l.voided || next.kds?.[l.lineNo]?.doneAt)
        if (allDone && next.state === 'COOKING') next = this.applyEventSync(orderId, 'ready', actor, actorId)
        return next
      }),
    )
    if (r.ok) this.afterOrderChange(r.value, false)
    await this.timers.arm()
    return r
  }

  board(): Outcome<StoreSnapshot> {
    return outcome(() => this.snapshot())
  }

  // ---------- sockets ----------

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade') !== 'websocket')
      return new Response('expected a WebSocket', { status: 426 })
    if (request.headers.get('x-bridge') === '1') {
      // The store's printer bridge (authenticated by the Worker with the store's bridge key). One bridge per
      // store: each keeps its own journal, so two would both print every ticket. The newest wins (the old one
      // may be a dead connection); it is told why with 4009 and leaves its waiting jobs to this one.
      for (const old of this.ctx.getWebSockets('bridge')) {
        try {
          old.close(4009, 'another bridge connected for this store')
        } catch {
          // already closing
        }
      }
      const { response, socket } = acceptSocket(this.ctx, ['bridge'], { bridge: true })
      this.printing.welcome(socket, this.storeId)
      return response
    }
    // ---- a customer tracking one order (the Worker checked the customer token) ----
    const trackOrder = request.headers.get('x-track-order')
    if (trackOrder && !request.headers.has('x-staff-role'))
      return this.delivery.acceptTracking(trackOrder, request.headers.get('x-customer-id') ?? '')
    const role = request.headers.get('x-staff-role') ?? ''
    const sub = request.headers.get('x-staff-sub') ?? ''
    const { response, socket } = acceptSocket(this.ctx, ['staff', `role:${role}`], { role, sub })
    this.channel.send(socket, { type: 'snapshot', seq: this.channel.seq, state: this.snapshot() })
    return response
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.ctx.getTags(ws).includes('bridge')) {
      const error = this.printing.onBridgeMessage(parseFrame(message))
      if (error) safeSend(ws, JSON.stringify({ type: 'error', code: 'VALIDATION_FAILED', message: error }))
      return
    }
    if (this.ctx.getTags(ws).includes('track')) {
      this.delivery.onTrackingMessage(ws, message)
      return
    }
    const parsed = StoreClientMessage.safeParse(parseFrame(message))
    if (!parsed.success) {
      this.channel.send(ws, { type: 'error', code: 'VALIDATION_FAILED', message: 'unknown message' })
      return
    }
    this.channel.send(ws, { type: 'snapshot', seq: this.channel.seq, state: this.snapshot() })
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    replyClose(ws, code)
  }

  // ---------- alarm: timers and the outbox ----------

  override async alarm(): Promise<void> {
    this.timers.fired()
    const now = Date.now()
    const paymentWork: Promise<void>[] = []
    for (const key of this.timers.due(now)) {
      this.timers.clear(key)
      const [kind, orderId] = key.split(':') as [string, string]
      if (kind === 'feie') {
        await this.printing.sendCloudJob(orderId, this.env)
        continue
      }
      if (key === DELIVERY_TIMER) {
        paymentWork.push(this.delivery.onTimer())
        continue
      }
      if ((PAYMENT_TIMERS as readonly string[]).includes(kind)) {
        // Provider calls of different checkouts and refunds go out together.
        paymentWork.push(this.payments.onTimer(kind as (typeof PAYMENT_TIMERS)[number], orderId))
        continue
      }
      const order = this.orders.get(orderId)
      if (!order) continue
      if ((kind === 'close' || kind === 'reserve') && order.state === 'PENDING_PAYMENT') {
        // Ask the provider once more and close its trade first: a diner who paid at the last second
        // gets their order, not a refund.
        if (await this.payments.beforeClose(orderId)) continue
        if (this.orders.get(orderId)?.state === 'PENDING_PAYMENT')
          await this.applyEvent(orderId, 'close', 'system', 'payment-timeout', '超时未支付')
      } else if (kind === 'reserve') this.menus.releaseReservation(orderId)
    }
    await Promise.all(paymentWork)
    this.flushMoney()
    await this.drainHistory()
    await this.timers.arm()
  }

  /** Push outbox rows to Postgres. Failures back off inside drainOutbox; nothing is removed unless written. */
  private async drainHistory(): Promise<void> {
    const sink = neonHistorySink(this.env)
    if (!sink) return
    const storeId = this.storeId
    const result = await drainOutbox({
      take: (limit, now) => this.orders.outboxTake(limit, now).map((r) => ({ ...r, storeId })),
      remove: (ids) => this.orders.outboxRemove(ids),
      markFailed: (ids, nextAt, error) => this.orders.outboxFailed(ids, nextAt, error),
      nextDueAt: () => this.orders.outboxNextDue(),
      write: sink,
      now: () => Date.now(),
    })
    // After a failed write, drainOutbox holds back the due rows it did not try as well (the same outage would
    // fail them). Arming for the earliest due row instead re-ran the alarm at once, again and again: a burst of
    // connection attempts at a database that is down (seen in test/postgres/outbox-e2e.test.ts).
    const due = this.orders.outboxNextDue()
    const held = result.nextAlarmAt !== null && due !== null && result.nextAlarmAt > due
    const hold = held ? result.nextAlarmAt : null
    if ((this.meta.get<number | null>('outbox_hold_until') ?? null) !== hold)
      this.meta.set('outbox_hold_until', hold)
  }

  /** When the alarm should next drain history: the earliest due outbox row, but not before the last backoff. */
  private outboxDueAt(): number | null {
    const due = this.orders.outboxNextDue()
    return due === null ? null : Math.max(due, this.meta.get<number | null>('outbox_hold_until') ?? 0)
  }

  /** For operators and tests: how many history rows are waiting. */
  outboxSize(): number {
    return this.orders.outboxSize()
  }

  /** For tests and operators: drain history now instead of waiting for the alarm. */
  async flushHistory(): Promise<number> {
    await this.drainHistory()
    await this.timers.arm()
    return this.orders.outboxSize()
  }
}

function roundUpdate(o: Order): RoundUpdate {
  return {
    orderId: o.id,
    sessionId: o.sessionId ?? '',
    roundNo: o.roundNo ?? 0,
    state: o.state,
    paid: o.paid,
    totalFen: o.totalFen,
    pickupNo: o.pickupNo,
  }
}

/** Printer ids are unique and a backup must be another configured printer. */
function checkPrinters(printers: PrinterConfig[]): PrinterConfig[] {
  const list = printers.map((p) => PrinterConfigSchema.parse(p))
  const ids = new Set(list.map((p) => p.id))
  if (ids.size !== list.length) throw new DomainError('VALIDATION_FAILED', 'printer ids must be unique')
  for (const p of list)
    if (p.backupId && (!ids.has(p.backupId) || p.backupId === p.id))
      throw new DomainError(
        'VALIDATION_FAILED',
        `printer ${p.id}: backup ${p.backupId} is not another printer`,
      )
  return list
}

function b64url(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

async function sha256Hex(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('')
}
