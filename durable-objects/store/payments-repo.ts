// Checkouts, payments, refunds and the ledger on the store's SQLite. Every write also queues the record
// for Postgres history in the same synchronous block (the caller's transaction), like orders do.
import { newId } from '../../core/ids'
import type { OutboxKind } from '../../core/outbox'
import type {
  Checkout,
  LedgerEntry,
  PaymentRecord,
  ProviderName,
  RefundRecord,
} from '../../core/payment-types'

export class PaymentsRepo {
  constructor(private readonly sql: SqlStorage) {}

  // --- checkouts ---
  checkout(id: string): Checkout | null {
    const row = this.sql.exec<{ json: string }>('SELECT json FROM checkouts WHERE id = ?', id).toArray()[0]
    return row ? (JSON.parse(row.json) as Checkout) : null
  }

  /** Checkouts that cover an order, newest first. */
  checkoutsOfOrder(orderId: string): Checkout[] {
    return this.sql
      .exec<{ json: string }>(
        `SELECT c.json FROM checkouts c JOIN checkout_orders o ON o.checkout_id = c.id
         WHERE o.order_id = ? ORDER BY c.created_at DESC`,
        orderId,
      )
      .toArray()
      .map((r) => JSON.parse(r.json) as Checkout)
  }

  openSessionCheckout(tableKey: string, sessionId: string): Checkout | null {
    const row = this.sql
      .exec<{ json: string }>(
        `SELECT json FROM checkouts WHERE table_key = ? AND session_id = ? AND state = 'OPEN'
         ORDER BY created_at DESC LIMIT 1`,
        tableKey,
        sessionId,
      )
      .toArray()[0]
    return row ? (JSON.parse(row.json) as Checkout) : null
  }

  saveCheckout(c: Checkout, isNew: boolean): void {
    const json = JSON.stringify(c)
    if (isNew) {
      this.sql.exec(
        `INSERT INTO checkouts (id, state, kind, table_key, session_id, created_at, json)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        c.id,
        c.state,
        c.kind,
        c.tableKey ?? null,
        c.sessionId ?? null,
        c.createdAt,
        json,
      )
      for (const orderId of c.orderIds)
        this.sql.exec(
          'INSERT OR IGNORE INTO checkout_orders (order_id, checkout_id) VALUES (?, ?)',
          orderId,
          c.id,
        )
    } else this.sql.exec('UPDATE checkouts SET state = ?, json = ? WHERE id = ?', c.state, json, c.id)
  }

  // --- payments ---
  paymentByTransaction(provider: ProviderName, transactionId: string): PaymentRecord | null {
    const row = this.sql
      .exec<{ json: string }>(
        'SELECT json FROM payments WHERE provider = ? AND transaction_id = ?',
        provider,
        transactionId,
      )
      .toArray()[0]
    return row ? (JSON.parse(row.json) as PaymentRecord) : null
  }

  payment(id: string): PaymentRecord | null {
    const row = this.sql.exec<{ json: string }>('SELECT json FROM payments WHERE id = ?', id).toArray()[0]
    return row ? (JSON.parse(row.json) as PaymentRecord) : null
  }

  paymentsOfCheckout(checkoutId: string): PaymentRecord[] {
    return this.sql
      .exec<{ json: string }>('SELECT json FROM payments WHERE checkout_id = ? ORDER BY id', checkoutId)
      .toArray()
      .map((r) => JSON.parse(r.json) as PaymentRecord)
  }

  /** Payments that did not settle a checkout (late, second, mismatched), newest first. */
  unsettledPayments(limit = 200): PaymentRecord[] {
    return this.sql
      .exec<{ json: string }>(
        `SELECT json FROM payments WHERE json_extract(json, '$.outcome') != 'SETTLED' ORDER BY id DESC LIMIT ?`,
        limit,
      )
      .toArray()
      .map((r) => JSON.parse(r.json) as PaymentRecord)
  }

  insertPayment(p: PaymentRecord): void {
    const json = JSON.stringify(p)
    this.sql.exec(
      'INSERT INTO payments (id, checkout_id, provider, transaction_id, json) VALUES (?, ?, ?, ?, ?)',
      p.id,
      p.checkoutId,
      p.provider,
      p.transactionId,
      json,
    )
    this.outbox('payment', p.updatedAt, json)
  }

  updatePayment(p: PaymentRecord): void {
    const json = JSON.stringify(p)
    this.sql.exec('UPDATE payments SET json = ? WHERE id = ?', json, p.id)
    this.outbox('payment', p.updatedAt, json)
  }

  // --- refunds ---
  refund(id: string): RefundRecord | null {
    const row = this.sql.exec<{ json: string }>('SELECT json FROM refunds WHERE id = ?', id).toArray()[0]
    return row ? (JSON.parse(row.json) as RefundRecord) : null
  }

  refundsOfPayment(paymentId: string): RefundRecord[] {
    return this.sql
      .exec<{ json: string }>('SELECT json FROM refunds WHERE payment_id = ? ORDER BY id', paymentId)
      .toArray()
      .map((r) => JSON.parse(r.json) as RefundRecord)
  }

  refundsOfOrder(orderId: string): RefundRecord[] {
    return this.sql
      .exec<{ json: string }>('SELECT json FROM refunds WHERE order_id = ? ORDER BY id', orderId)
      .toArray()
      .map((r) => JSON.parse(r.json) as RefundRecord)
  }

  /** Refunds not finished, for the board. */
  openRefunds(limit = 200): RefundRecord[] {
    return this.sql
      .exec<{ json: string }>(
        `SELECT json FROM refunds WHERE state != 'SUCCESS' ORDER BY created_at DESC LIMIT ?`,
        limit,
      )
      .toArray()
      .map((r) => JSON.parse(r.json) as RefundRecord)
  }

  saveRefund(r: RefundRecord, isNew: boolean): void {
    const json = JSON.stringify(r)
    if (isNew)
      this.sql.exec(
        'INSERT INTO refunds (id, payment_id, order_id, state, created_at, json) VALUES (?, ?, ?, ?, ?, ?)',
        r.id,
        r.paymentId,
        r.orderId ?? null,
        r.state,
        r.createdAt,
        json,
      )
    else this.sql.exec('UPDATE refunds SET state = ?, json = ? WHERE id = ?', r.state, json, r.id)
    this.outbox('refund', r.updatedAt, json)
  }

  // --- ledger ---
  addLedger(e: Omit<LedgerEntry, 'id'>): LedgerEntry {
    const entry: LedgerEntry = { id: newId('led', e.at), ...e }
    const json = JSON.stringify(entry)
    this.sql.exec(
      'INSERT INTO ledger (id, checkout_id, at, json) VALUES (?, ?, ?, ?)',
      entry.id,
      entry.checkoutId,
      entry.at,
      json,
    )
    this.outbox('ledger', entry.at, json)
    return entry
  }

  ledger(filter: { checkoutId?: string; from?: number; to?: number; limit?: number }): LedgerEntry[] {
    const limit = Math.min(filter.limit ?? 500, 5000)
    const rows = filter.checkoutId
      ? this.sql.exec<{ json: string }>(
          'SELECT json FROM ledger WHERE checkout_id = ? ORDER BY id LIMIT ?',
          filter.checkoutId,
          limit,
        )
      : this.sql.exec<{ json: string }>(
          'SELECT json FROM ledger WHERE at >= ? AND at < ? ORDER BY id LIMIT ?',
          filter.from ?? 0,
          filter.to ?? Number.MAX_SAFE_INTEGER,
          limit,
        )
    return rows.toArray().map((r) => JSON.parse(r.json) as LedgerEntry)
  }

  /** Every checkout, payment and refund with the ledger: for invariant checks in tests and by operators. */
  audit(): {
    checkouts: Checkout[]
    payments: PaymentRecord[]
    refunds: RefundRecord[]
    ledger: LedgerEntry[]
  } {
    const all = <T>(table: string) =>
      this.sql
        .exec<{ json: string }>(`SELECT json FROM ${table} ORDER BY rowid`)
        .toArray()
        .map((r) => JSON.parse(r.json) as T)
    return {
      checkouts: all<Checkout>('checkouts'),
      payments: all<PaymentRecord>('payments'),
      refunds: all<RefundRecord>('refunds'),
      ledger: all<LedgerEntry>('ledger'),
    }
  }

  private outbox(kind: OutboxKind, at: number, json: string): void {
    this.sql.exec(
      'INSERT INTO outbox (id, kind, created_at, attempts, next_at, payload) VALUES (?, ?, ?, 0, ?, ?)',
      newId('evt', at),
      kind,
      at,
      at,
      json,
    )
  }
}
