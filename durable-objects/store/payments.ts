// Payments inside StoreDO: checkouts, settlement, active query, provider close, refunds and the ledger.
// The rules are core/payments.ts; this holds the state and talks to providers. Decisions happen in one
// synchronous transaction each, keyed by the provider's transaction id, so a notify, an active query and
// a client's confirm racing each other settle a checkout exactly once. Provider calls happen outside
// transactions (they await the network) and their results are applied in a new one, re-reading state.
import { DomainError } from '../../core/errors'
import { newId } from '../../core/ids'
import type { Order } from '../../core/order'
import { type Actor, isTerminal, type OrderEvent } from '../../core/order-machine'
import type {
  Checkout,
  MoneyAlert,
  PaymentOutcome,
  PaymentRecord,
  PaymentSource,
  ProviderName,
  RefundLine,
  RefundRecord,
} from '../../core/payment-types'
import {
  checkoutIdFor,
  lineRefund,
  paymentQueryDelayMs,
  refundableFen,
  refundIdFor,
  refundQueryDelayMs,
  refundRetryDelayMs,
  settlementOutcome,
} from '../../core/payments'
import { type PaymentEnv, paymentProvider, paymentTimeScale } from '../../workers/payments/index'
import {
  type PaymentProvider,
  ProviderError,
  type Refund as ProviderRefund,
  type Trade,
} from '../../workers/payments/provider'
import type { Timers } from '../sql'
import type { OrdersRepo } from './orders-repo'
import { PaymentsRepo } from './payments-repo'

export interface PaymentsHost {
  storeId(): string
  storeName(): string
  env: PaymentEnv
  orders: OrdersRepo
  timers: Timers
  /** Unpaid orders close after this (before time scaling). */
  paymentWindowMs: number
  tx<T>(fn: () => T): T
  applyEventSync(orderId: string, event: OrderEvent, actor: Actor, actorId: string, reason?: string): Order
  /** After commit: an order changed (sockets, table, print flush, auto-accept). */
  changed(orders: Order[]): Promise<void>
  /** Inside the transaction: a pay-after table's round was paid (receipt). */
  sessionRoundPaid(order: Order): void
  alert(alert: MoneyAlert | null): void
}

export type SettleResult = {
  outcome: PaymentOutcome | 'DUPLICATE'
  checkoutId: string
  paymentId: string
  orderIds: string[]
}

/** Timer kinds this module owns; StoreDO's alarm hands them here. */
export const PAYMENT_TIMERS = ['pq', 'pclose', 'cexp', 'rf', 'rq'] as const

const IN_FLIGHT: readonly RefundRecord['state'][] = ['PENDING', 'PROCESSING']

export class Payments {
  readonly repo: PaymentsRepo

  constructor(
    sql: SqlStorage,
    private readonly host: PaymentsHost,
  ) {
    this.repo = new PaymentsRepo(sql)
  }

  private get scale(): number {
    return paymentTimeScale(this.host.env)
  }
  private get timers(): Timers {
    return this.host.timers
  }
  private provider(name: ProviderName): PaymentProvider {
    const p = paymentProvider(this.host.env, name)
    if (!p) throw new DomainError('BAD_REQUEST', `${name} payments are not configured here`)
    return p
  }

  /** The payment window as this deployment runs it (compressed in tests). */
  windowMs(): number {
    return Math.max(1, Math.round(this.host.paymentWindowMs * this.scale))
  }

  // ---------- checkouts ----------

  /**
   * Open (or reuse) the checkout for a pay-first order, or for a pay-after table's unpaid rounds. Called in
   * a transaction before the Worker asks the provider for a prepay, so a notify always finds it.
   */
  startCheckout(req: {
    orderId?: string
    tableKey?: string
    sessionId?: string
    customerId?: string
    provider: ProviderName
  }): {
    checkout: Checkout
    description: string
  } {
    const now = Date.now()
    const c = req.orderId
      ? this.orderCheckout(req.orderId, req.tableKey, req.sessionId, now, req.customerId)
      : this.sessionCheckout(req.tableKey ?? '', req.sessionId ?? '', now)
    if (!c.checkout.providers.includes(req.provider)) c.checkout.providers.push(req.provider)
    c.checkout.updatedAt = now
    this.repo.saveCheckout(c.checkout, c.isNew)
    // Active query (主动查单) starts within a minute: a lost notify costs the diner at most that.
    this.timers.set(`pq:${c.checkout.id}`, now + paymentQueryDelayMs(0, this.scale))
    const first = this.host.orders.get(c.checkout.orderIds[0] ?? '')
    const where = first?.tableLabel ? `${first.tableLabel} ` : ''
    const description = `${this.host.storeName()} ${where}${first?.pickupNo ?? ''}`.trim().slice(0, 120)
    return { checkout: c.checkout, description }
  }

  private orderCheckout(
    orderId: string,
    tableKey?: string,
    sessionId?: string,
    now = Date.now(),
    customerId?: string,
  ) {
    const order = this.host.orders.get(orderId)
    // Another table's (or seating's, or customer's) order is as good as unknown to this diner.
    if (
      !order ||
      (tableKey && (order.tableKey !== tableKey || order.sessionId !== sessionId)) ||
      (customerId !== undefined && order.customerId !== customerId)
    )
      throw new DomainError('ORDER_NOT_FOUND', 'no such order')
    if (order.paid) throw new DomainError('INVALID_TRANSITION', 'this order is already paid')
    if (order.payMode === 'pay_after')
      throw new DomainError('INVALID_TRANSITION', 'this table pays after the meal: pay the whole bill')
    if (order.state !== 'PENDING_PAYMENT')
      throw new DomainError('INVALID_TRANSITION', `this order is ${order.state} and cannot be paid`, {
        state: order.state,
      })
    const existing = this.repo.checkout(orderId)
    if (existing) {
      if (existing.state !== 'OPEN')
        throw new DomainError('INVALID_TRANSITION', `this order's payment is ${existing.state}`)
      return { checkout: existing, isNew: false }
    }
    const checkout: Checkout = {
      id: order.id,
      storeId: this.host.storeId(),
      kind: 'order',
      orderIds: [order.id],
      ...(order.tableKey ? { tableKey: order.tableKey } : {}),
      ...(order.sessionId ? { sessionId: order.sessionId } : {}),
      amountFen: order.totalFen,
      state: 'OPEN',
      providers: [],
      createdAt: now,
      expiresAt: order.createdAt + this.windowMs(),
      updatedAt: now,
    }
    return { checkout, isNew: true }
  }

  private sessionCheckout(tableKey: string, sessionId: string, now: number) {
    const due = this.unpaidRounds(tableKey, sessionId)
    if (due.length === 0) throw new DomainError('INVALID_TRANSITION', 'nothing to pay at this table')
    const orderIds = due.map((o) => o.id).sort()
    const amountFen = due.reduce((a, o) => a + o.totalFen, 0)
    const open = this.repo.openSessionCheckout(tableKey, sessionId)
    if (open && open.amountFen === amountFen && open.orderIds.join() === orderIds.join())
      return { checkout: open, isNew: false }
    if (open) this.supersede(open, now)
    const checkout: Checkout = {
      id: checkoutIdFor(now),
      storeId: this.host.storeId(),
      kind: 'session',
      orderIds,
      tableKey,
      sessionId,
      amountFen,
      state: 'OPEN',
      providers: [],
      createdAt: now,
      expiresAt: now + this.windowMs(),
      updatedAt: now,
    }
    this.timers.set(`cexp:${checkout.id}`, checkout.expiresAt)
    return { checkout, isNew: true }
  }

  private unpaidRounds(tableKey: string, sessionId: string): Order[] {
    return this.host.orders
      .list({ tableKey, sessionId, limit: 1000 })
      .filter(
        (o) => o.payMode === 'pay_after' && !o.paid && !isTerminal(o.state) && !o.state.startsWith('REFUND'),
      )
  }

  /** The table's bill changed: an open checkout no longer matches it and must not be paid. */
  sessionChanged(tableKey: string, sessionId: string): void {
    const open = this.repo.openSessionCheckout(tableKey, sessionId)
    if (open) this.supersede(open, Date.now())
  }

  /** A pay-first order ended unpaid (closed, cancelled, rejected): its checkout closes with it. */
  orderEnded(order: Order): void {
    if (order.paid) return
    for (const c of this.repo.checkoutsOfOrder(order.id))
      if (c.state === 'OPEN')
        c.kind === 'order' ? this.endCheckout(c, 'CLOSED', Date.now()) : this.supersede(c, Date.now())
  }

  private supersede(c: Checkout, now: number): void {
    this.endCheckout(c, 'SUPERSEDED', now)
  }

  private endCheckout(c: Checkout, state: 'CLOSED' | 'SUPERSEDED', now: number): void {
    const next: Checkout = { ...c, state, updatedAt: now }
    this.repo.saveCheckout(next, false)
    this.timers.clear(`pq:${c.id}`)
    this.timers.clear(`cexp:${c.id}`)
    // Close the provider trades too, so the diner cannot pay what we no longer accept (a payment that
    // still slips through is refunded: see settle).
    if (c.providers.length > 0) this.timers.set(`pclose:${c.id}`, now)
  }

  checkout(id: string): Checkout | null {
    return this.repo.checkout(id)
  }

  // ---------- settlement ----------

  /** Apply money that arrived (notify, query or confirm). Synchronous: call inside a transaction. */
  settle(trade: Trade, source: PaymentSource): { result: SettleResult; changed: Order[] } {
    if (trade.state !== 'SUCCESS' || !trade.transactionId || trade.amountFen === undefined)
      throw new DomainError('VALIDATION_FAILED', 'only a successful trade can be settled')
    const seen = this.repo.paymentByTransaction(trade.provider, trade.transactionId)
    if (seen)
      return {
        result: {
          outcome: 'DUPLICATE',
          checkoutId: seen.checkoutId,
          paymentId: seen.id,
          orderIds: seen.orderIds,
        },
        changed: [],
      }
    const c = this.repo.checkout(trade.outTradeNo)
    if (!c) throw new DomainError('ORDER_NOT_FOUND', `no checkout ${trade.outTradeNo} in this store`)
    const now = Date.now()
    const settledBy = c.paymentId ? this.repo.payment(c.paymentId)?.transactionId : undefined
    const outcome = settlementOutcome({
      checkoutState: c.state,
      payable: this.payable(c),
      expectedFen: c.amountFen,
      paidFen: trade.amountFen,
      ...(trade.currency ? { currency: trade.currency } : {}),
      ...(settledBy ? { settledBy } : {}),
      transactionId: trade.transactionId,
    })
    const payment: PaymentRecord = {
      id: newId('pay', now),
      storeId: this.host.storeId(),
      checkoutId: c.id,
      orderIds: c.orderIds,
      provider: trade.provider,
      transactionId: trade.transactionId,
      amountFen: trade.amountFen,
      outcome,
      source,
      ...(trade.payerId ? { payerId: trade.payerId } : {}),
      paidAt: trade.paidAt ?? now,
      refundedFen: 0,
      createdAt: now,
      updatedAt: now,
      version: 1,
    }
    this.repo.insertPayment(payment)
    this.repo.addLedger({
      storeId: payment.storeId,
      at: payment.paidAt,
      kind: 'payment',
      provider: payment.provider,
      checkoutId: c.id,
      orderIds: c.orderIds,
      paymentId: payment.id,
      transactionId: payment.transactionId,
      amountFen: payment.amountFen,
      memo: outcome,
    })
    const changed: Order[] = []
    if (outcome === 'SETTLED') {
      this.repo.saveCheckout({ ...c, state: 'PAID', paymentId: payment.id, updatedAt: now }, false)
      this.timers.clear(`pq:${c.id}`)
      this.timers.clear(`cexp:${c.id}`)
      changed.push(...this.payOrders(c, payment))
    } else if (outcome === 'LATE' || outcome === 'SECOND') {
      const why = outcome === 'LATE' ? '订单已关闭，自动退款' : '重复支付，自动退款'
      const refund = this.createRefund(payment, payment.amountFen, why, 'system')
      this.host.alert({
        kind: 'auto_refund',
        orderIds: c.orderIds,
        checkoutId: c.id,
        paymentId: payment.id,
        refundId: refund.id,
        amountFen: payment.amountFen,
        message: why,
        at: now,
      })
    } else {
      this.host.alert({
        kind: 'amount_mismatch',
        orderIds: c.orderIds,
        checkoutId: c.id,
        paymentId: payment.id,
        amountFen: payment.amountFen,
        message: `收到 ${payment.amountFen} 分，应付 ${c.amountFen} 分：未确认支付，请核实后退款`,
        at: now,
      })
    }
    return {
      result: { outcome, checkoutId: c.id, paymentId: payment.id, orderIds: c.orderIds },
      changed,
    }
  }

  /** Whether every order the checkout covers still takes this payment. */
  private payable(c: Checkout): boolean {
    return c.orderIds.every((id) => {
      const o = this.host.orders.get(id)
      if (!o || o.paid) return false
      return c.kind === 'order'
        ? o.state === 'PENDING_PAYMENT'
        : !isTerminal(o.state) && !o.state.startsWith('REFUND')
    })
  }

  private payOrders(c: Checkout, p: PaymentRecord): Order[] {
    const why = `${p.provider} ${p.transactionId}`
    const out: Order[] = []
    for (const id of c.orderIds) {
      const o = this.host.orders.require(id)
      let cur: Order
      if (o.state === 'PENDING_PAYMENT')
        cur = this.host.applyEventSync(id, 'pay', 'provider', p.provider, why)
      else {
        // A pay-after round the kitchen already has: it only becomes paid (one event, no state change).
        cur = { ...o, paid: true, version: o.version + 1, updatedAt: Date.now() }
        this.host.orders.update(cur, 'pay', o.state, 'provider', p.provider, why)
        if (cur.state === 'SERVED') cur = this.host.applyEventSync(id, 'complete', 'system', 'paid')
      }
      if (c.kind === 'session') this.host.sessionRoundPaid(cur)
      out.push(cur)
    }
    return out
  }

  /** Ask the providers the diner opened and settle what was paid. Returns the checkout afterwards. */
  async query(checkoutId: string, source: PaymentSource): Promise<Checkout | null> {
    const c = this.repo.checkout(checkoutId)
    if (!c) return null
    const trades = await Promise.all(
      c.providers.map((name) =>
        this.provider(name)
          .query(c.id)
          .catch((e: unknown) => e as Error),
      ),
    )
    const changed: Order[] = []
    for (const t of trades)
      if (!(t instanceof Error) && t.state === 'SUCCESS') {
        const r = this.host.tx(() => this.settle(t, source))
        changed.push(...r.changed)
      }
    if (changed.length > 0) await this.host.changed(changed)
    return this.repo.checkout(checkoutId)
  }

  // ---------- refunds ----------

  private createRefund(
    p: PaymentRecord,
    amountFen: number,
    reason: string,
    requestedBy: string,
    orderId?: string,
    lines?: RefundLine[],
  ): RefundRecord {
    const left = refundableFen(p, this.inFlight(p.id))
    if (amountFen <= 0 || amountFen > left)
      throw new DomainError('VALIDATION_FAILED', `at most ${left} fen of this payment can be refunded`, {
        refundableFen: left,
      })
    const now = Date.now()
    const r: RefundRecord = {
      id: refundIdFor(this.host.storeId(), now),
      storeId: this.host.storeId(),
      paymentId: p.id,
      checkoutId: p.checkoutId,
      ...(orderId ? { orderId } : {}),
      provider: p.provider,
      transactionId: p.transactionId,
      amountFen,
      reason: reason.slice(0, 80),
      ...(lines ? { lines } : {}),
      state: 'PENDING',
      attempts: 0,
      requestedBy,
      createdAt: now,
      updatedAt: now,
      version: 1,
    }
    this.repo.saveRefund(r, true)
    this.timers.set(`rf:${r.id}`, now)
    return r
  }

  /** The payment that settled an order, if it was paid online. */
  private settledPayment(orderId: string): PaymentRecord | null {
    for (const c of this.repo.checkoutsOfOrder(orderId))
      if (c.state === 'PAID' && c.paymentId) return this.repo.payment(c.paymentId)
    return null
  }

  private orderRefunds(orderId: string): RefundRecord[] {
    return this.repo.refundsOfOrder(orderId).filter((r) => r.state !== 'FAILED')
  }

  /**
   * The order just entered REFUNDING (the diner before acceptance, or the merchant's decision): refund
   * what is left of it. Paid at the counter: nothing to send, the cash goes back over the counter.
   */
  orderRefunding(order: Order, actorId: string, reason?: string): void {
    const p = this.settledPayment(order.id)
    const already = this.orderRefunds(order.id).reduce((a, r) => a + r.amountFen, 0)
    const amount = Math.min(order.totalFen - already, p ? refundableFen(p, 0) : 0)
    if (!p || amount <= 0) {
      if (this.orderRefunds(order.id).every((r) => r.state === 'SUCCESS'))
        this.host.applyEventSync(order.id, 'refund_succeeded', 'system', p ? 'refunded' : 'counter')
      return
    }
    this.createRefund(p, amount, reason || '退款', actorId, order.id)
  }

  /** Line-level partial refund granted by the merchant. Refunding every line refunds the order. */
  refundLines(order: Order, lines: RefundLine[], reason: string, actorId: string): RefundRecord {
    if (!order.paid) throw new DomainError('INVALID_TRANSITION', 'this order is not paid')
    if (order.state === 'REFUNDING' || order.state === 'REFUNDED')
      throw new DomainError('INVALID_TRANSITION', `this order is already ${order.state}`)
    const p = this.settledPayment(order.id)
    if (!p) throw new DomainError('INVALID_TRANSITION', 'this order was paid at the counter: refund in cash')
    const previous = this.orderRefunds(order.id)
    const share = lineRefund(
      order,
      previous.flatMap((r) => r.lines ?? []),
      previous.reduce((a, r) => a + r.amountFen, 0),
      lines,
    )
    return this.createRefund(p, share.amountFen, reason, actorId, order.id, share.lines)
  }

  /** Return a payment that did not settle anything (amount mismatch), whole. */
  refundPayment(paymentId: string, reason: string, actorId: string): RefundRecord {
    const p = this.repo.payment(paymentId)
    if (!p) throw new DomainError('NOT_FOUND', 'no such payment')
    if (p.outcome === 'SETTLED')
      throw new DomainError('INVALID_TRANSITION', 'this payment paid an order: refund the order instead')
    return this.createRefund(p, refundableFen(p, this.inFlight(p.id)), reason, actorId)
  }

  /** Staff retry: a FAILED refund is sent again under a new number (the provider will not reuse one). */
  retryRefund(refundId: string, actorId: string): RefundRecord {
    const r = this.repo.refund(refundId)
    if (!r) throw new DomainError('NOT_FOUND', 'no such refund')
    if (r.state === 'PENDING' || r.state === 'PROCESSING' || abnormal(r)) {
      // Still the provider's: ask again now (an ABNORMAL one is resolved at the provider's platform,
      // and a new number would be refused, since the abnormal refund still holds the money).
      this.timers.set(`${r.state === 'PENDING' ? 'rf' : 'rq'}:${r.id}`, Date.now())
      return r
    }
    if (r.state !== 'FAILED') throw new DomainError('INVALID_TRANSITION', 'this refund succeeded')
    const p = this.repo.payment(r.paymentId)
    if (!p) throw new DomainError('NOT_FOUND', 'no such payment')
    // The failed one stays FAILED (its number is spent); the new one carries the same amount and lines.
    const next = this.createRefund(p, r.amountFen, r.reason, actorId, r.orderId, r.lines)
    this.host.alert(null)
    return next
  }

  /** A refund's new state from the provider (notify, send or query). Synchronous: inside a transaction. */
  applyRefund(res: ProviderRefund): Order[] {
    const r = this.repo.refund(res.outRefundNo)
    if (!r || r.state === 'SUCCESS' || (r.state === 'FAILED' && !abnormal(r))) return []
    const now = Date.now()
    const base: RefundRecord = {
      ...r,
      providerState: res.providerState,
      ...(res.refundId ? { providerRefundId: res.refundId } : {}),
      updatedAt: now,
      version: r.version + 1,
    }
    if (res.state === 'SUCCESS') return this.refundSucceeded(base, res.successAt ?? now)
    if (res.state === 'PROCESSING') {
      this.repo.saveRefund({ ...base, state: 'PROCESSING' }, false)
      this.timers.set(`rq:${r.id}`, now + refundQueryDelayMs(r.attempts, this.scale))
      return []
    }
    if (res.state === 'NOT_FOUND') {
      // The provider never got it (a send lost on the way): send it again under the same number.
      this.repo.saveRefund({ ...base, state: 'PENDING' }, false)
      this.timers.set(`rf:${r.id}`, now)
      return []
    }
    if (res.state === 'ABNORMAL') {
      // Not final: the money is stuck (say the diner's card was cancelled) until someone resolves it at
      // the provider. Raise it once, then keep asking, slowly.
      const changed =
        r.state === 'FAILED' ? [] : this.refundFailed(base, `provider says ${res.providerState}`)
      if (r.state === 'FAILED') this.repo.saveRefund({ ...base, state: 'FAILED' }, false)
      this.timers.set(`rq:${r.id}`, now + refundQueryDelayMs(r.attempts, this.scale))
      return changed
    }
    return this.refundFailed(base, `provider says ${res.providerState}`)
  }

  private refundSucceeded(r: RefundRecord, at: number): Order[] {
    this.repo.saveRefund({ ...r, state: 'SUCCESS', succeededAt: at }, false)
    this.timers.clear(`rf:${r.id}`)
    this.timers.clear(`rq:${r.id}`)
    const p = this.repo.payment(r.paymentId)
    if (p)
      this.repo.updatePayment({
        ...p,
        refundedFen: p.refundedFen + r.amountFen,
        updatedAt: Date.now(),
        version: p.version + 1,
      })
    this.repo.addLedger({
      storeId: r.storeId,
      at,
      kind: 'refund',
      provider: r.provider,
      checkoutId: r.checkoutId,
      orderIds: p?.orderIds ?? [],
      paymentId: r.paymentId,
      refundId: r.id,
      transactionId: r.transactionId,
      amountFen: -r.amountFen,
      memo: r.reason,
    })
    if (!r.orderId) return []
    const o = this.host.orders.get(r.orderId)
    if (!o || o.state !== 'REFUNDING') return []
    const inFlight = this.repo.refundsOfOrder(o.id).some((x) => IN_FLIGHT.includes(x.state))
    if (inFlight) return []
    return [this.host.applyEventSync(o.id, 'refund_succeeded', 'provider', r.provider)]
  }

  private refundFailed(r: RefundRecord, error: string): Order[] {
    this.repo.saveRefund({ ...r, state: 'FAILED', lastError: error.slice(0, 300) }, false)
    this.timers.clear(`rf:${r.id}`)
    this.timers.clear(`rq:${r.id}`)
    this.host.alert({
      kind: 'refund_failed',
      orderIds: r.orderId ? [r.orderId] : [],
      checkoutId: r.checkoutId,
      paymentId: r.paymentId,
      refundId: r.id,
      amountFen: r.amountFen,
      message: `退款失败：${error}`,
      at: Date.now(),
    })
    const o = r.orderId ? this.host.orders.get(r.orderId) : undefined
    if (o?.state === 'REFUNDING')
      return [this.host.applyEventSync(o.id, 'refund_failed', 'provider', r.provider, error.slice(0, 200))]
    return []
  }

  // ---------- timers ----------

  /** An alarm timer of ours fired. Never throws: a failure reschedules itself. */
  async onTimer(kind: (typeof PAYMENT_TIMERS)[number], id: string): Promise<void> {
    try {
      if (kind === 'pq') await this.activeQuery(id)
      else if (kind === 'cexp') await this.expireSession(id)
      else if (kind === 'pclose') await this.closeAtProviders(id)
      else await this.driveRefund(id)
    } catch (e) {
      console.error(`payment timer ${kind}:${id}`, e)
      // Unknown failures retry in a minute rather than never.
      this.host.tx(() => this.timers.set(`${kind}:${id}`, Date.now() + 60_000 * this.scale))
    }
  }

  private async activeQuery(checkoutId: string): Promise<void> {
    const c = await this.query(checkoutId, 'query')
    if (!c || c.state !== 'OPEN') return
    const attempt = (c.queries ?? 0) + 1
    this.host.tx(() => {
      const cur = this.repo.checkout(checkoutId)
      if (!cur || cur.state !== 'OPEN') return
      this.repo.saveCheckout({ ...cur, queries: attempt }, false)
      this.timers.set(`pq:${checkoutId}`, Date.now() + paymentQueryDelayMs(attempt, this.scale))
    })
  }

  /**
   * The payment window of a pay-first order ends: ask once more, then close the trades. Called by StoreDO
   * before it closes the order; returns true when the order turned out paid.
   */
  async beforeClose(orderId: string): Promise<boolean> {
    const c = this.repo.checkout(orderId)
    if (!c || c.state !== 'OPEN' || c.providers.length === 0) return false
    const after = await this.query(orderId, 'query')
    if (after?.state === 'PAID') return true
    await this.closeAtProviders(orderId)
    return this.repo.checkout(orderId)?.state === 'PAID'
  }

  private async expireSession(checkoutId: string): Promise<void> {
    const c = await this.query(checkoutId, 'query')
    if (!c || c.state !== 'OPEN') return
    this.host.tx(() => {
      const cur = this.repo.checkout(checkoutId)
      if (cur?.state === 'OPEN') this.endCheckout(cur, 'CLOSED', Date.now())
    })
    await this.closeAtProviders(checkoutId)
  }

  /** Close every trade of a checkout at its provider; a trade paid meanwhile is settled (or refunded). */
  private async closeAtProviders(checkoutId: string): Promise<void> {
    const c = this.repo.checkout(checkoutId)
    if (!c) return
    let failed = false
    for (const name of c.providers) {
      try {
        const r = await this.provider(name).close(c.id)
        if (r === 'ALREADY_PAID') await this.query(c.id, 'query')
      } catch (e) {
        if (!(e instanceof ProviderError) || e.retryable) failed = true
        else console.error(`close ${c.id} at ${name}`, e.message)
      }
    }
    this.host.tx(() => {
      if (failed) this.timers.set(`pclose:${checkoutId}`, Date.now() + 60_000 * this.scale)
      else this.timers.clear(`pclose:${checkoutId}`)
    })
  }

  private async driveRefund(refundId: string): Promise<void> {
    const r = this.repo.refund(refundId)
    if (!r || r.state === 'SUCCESS' || (r.state === 'FAILED' && !abnormal(r))) return
    const provider = this.provider(r.provider)
    let changed: Order[] = []
    try {
      const res =
        r.state === 'PENDING'
          ? await provider.refund({
              outTradeNo: r.checkoutId,
              transactionId: r.transactionId,
              outRefundNo: r.id,
              refundFen: r.amountFen,
              totalFen: this.repo.payment(r.paymentId)?.amountFen ?? r.amountFen,
              reason: r.reason,
            })
          : await provider.queryRefund(r.id, r.checkoutId)
      changed = this.host.tx(() => {
        const cur = this.repo.refund(refundId)
        if (cur && cur.state !== r.state) return [] // a notify got here first
        if (cur) this.repo.saveRefund({ ...cur, attempts: cur.attempts + 1 }, false)
        return this.applyRefund(res)
      })
    } catch (e) {
      const retryable = !(e instanceof ProviderError) || e.retryable
      const msg = e instanceof Error ? e.message : String(e)
      changed = this.host.tx(() => {
        const cur = this.repo.refund(refundId)
        if (!cur || cur.state === 'SUCCESS' || (cur.state === 'FAILED' && !abnormal(cur))) return []
        const next = {
          ...cur,
          attempts: cur.attempts + 1,
          lastError: msg.slice(0, 300),
          updatedAt: Date.now(),
        }
        if (!retryable) return this.refundFailed({ ...next, version: cur.version + 1 }, msg)
        this.repo.saveRefund({ ...next, version: cur.version + 1 }, false)
        const kind = cur.state === 'PENDING' ? 'rf' : 'rq'
        this.timers.set(`${kind}:${cur.id}`, Date.now() + refundRetryDelayMs(cur.attempts, this.scale))
        return []
      })
    }
    if (changed.length > 0) await this.host.changed(changed)
  }

  // ---------- views ----------

  /** Money problems waiting for a person. */
  alerts(): MoneyAlert[] {
    const out: MoneyAlert[] = []
    for (const r of this.repo.openRefunds())
      if (r.state === 'FAILED' && !this.replaced(r))
        out.push({
          kind: 'refund_failed',
          orderIds: r.orderId ? [r.orderId] : [],
          checkoutId: r.checkoutId,
          paymentId: r.paymentId,
          refundId: r.id,
          amountFen: r.amountFen,
          message: abnormal(r)
            ? '退款异常：请在支付平台处理（如顾客银行卡已注销），处理后这里自动更新'
            : `退款失败：${r.lastError ?? r.providerState ?? ''}`,
          at: r.updatedAt,
        })
    for (const p of this.repo.unsettledPayments())
      if (p.outcome === 'MISMATCH' && refundableFen(p, this.inFlight(p.id)) > 0)
        out.push({
          kind: 'amount_mismatch',
          orderIds: p.orderIds,
          checkoutId: p.checkoutId,
          paymentId: p.id,
          amountFen: p.amountFen,
          message: `金额不符：收到 ${p.amountFen} 分`,
          at: p.createdAt,
        })
    return out
  }

  private inFlight(paymentId: string): number {
    return this.repo
      .refundsOfPayment(paymentId)
      .filter((r) => IN_FLIGHT.includes(r.state))
      .reduce((a, r) => a + r.amountFen, 0)
  }

  /** A failed refund someone already sent again. */
  private replaced(r: RefundRecord): boolean {
    return this.repo
      .refundsOfPayment(r.paymentId)
      .some(
        (x) =>
          x.id !== r.id &&
          x.createdAt >= r.createdAt &&
          x.state !== 'FAILED' &&
          x.amountFen === r.amountFen &&
          x.orderId === r.orderId,
      )
  }

  /** An order's money: its checkouts, payments and refunds. */
  ofOrder(orderId: string): { checkouts: Checkout[]; payments: PaymentRecord[]; refunds: RefundRecord[] } {
    const checkouts = this.repo.checkoutsOfOrder(orderId)
    const payments = checkouts.flatMap((c) => this.repo.paymentsOfCheckout(c.id))
    // The order's own refunds, and whole-payment returns (late, second, mismatched) of its checkouts.
    const refunds = new Map(this.repo.refundsOfOrder(orderId).map((r) => [r.id, r]))
    for (const p of payments)
      for (const r of this.repo.refundsOfPayment(p.id)) if (!r.orderId) refunds.set(r.id, r)
    return { checkouts, payments, refunds: [...refunds.values()].sort((a, b) => a.createdAt - b.createdAt) }
  }
}

/** A refund the provider reports ABNORMAL (WeChat) / REFUND_FAIL (Alipay): stuck, not final. */
function abnormal(r: RefundRecord): boolean {
  return r.state === 'FAILED' && r.providerState !== undefined && /ABNORMAL|FAIL/.test(r.providerState)
}
