// Orders, their events and the outbox, on the store's SQLite. Every change writes the order row, an event
// row and an outbox row in the same synchronous block, so history can never miss a transition.
import { DomainError } from '../../core/errors'
import { newId } from '../../core/ids'
import type { Order, OrderEventRecord } from '../../core/order'
import type { Actor, OrderEvent, OrderState } from '../../core/order-machine'
import type { OutboxRow } from '../../core/outbox'

export class OrdersRepo {
  constructor(private readonly sql: SqlStorage) {}

  get(id: string): Order | undefined {
    const row = this.sql.exec<{ json: string }>('SELECT json FROM orders WHERE id = ?', id).toArray()[0]
    return row ? (JSON.parse(row.json) as Order) : undefined
  }

  require(id: string): Order {
    const o = this.get(id)
    if (!o) throw new DomainError('ORDER_NOT_FOUND', `no order ${id}`, { orderId: id })
    return o
  }

  byIdempotencyKey(key: string): Order | undefined {
    const row = this.sql
      .exec<{ order_id: string }>('SELECT order_id FROM idempotency WHERE key = ?', key)
      .toArray()[0]
    return row ? this.get(row.order_id) : undefined
  }

  list(filter: {
    states?: OrderState[]
    since?: number
    tableKey?: string
    sessionId?: string
    limit?: number
  }): Order[] {
    const where: string[] = []
    const args: (string | number)[] = []
    if (filter.states?.length) {
      where.push(`state IN (${filter.states.map(() => '?').join(',')})`)
      args.push(...filter.states)
    }
    if (filter.since !== undefined) {
      where.push('updated_at >= ?')
      args.push(filter.since)
    }
    if (filter.tableKey) {
      where.push('table_key = ?')
      args.push(filter.tableKey)
    }
    if (filter.sessionId) {
      where.push('session_id = ?')
      args.push(filter.sessionId)
    }
    const sql = `SELECT json FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ?`
    return this.sql
      .exec<{ json: string }>(sql, ...args, Math.min(filter.limit ?? 200, 1000))
      .toArray()
      .map((r) => JSON.parse(r.json) as Order)
  }

  /**
   * Insert a new order with its creation event. A pay-after-meal round goes straight on to PLACED:
   * `submitted` records that second event while the row is written once, already in its final state.
   */
  create(
    order: Order,
    idempotencyKey: string,
    actor: Actor,
    actorId: string,
    submitted?: { actor: Actor; actorId: string },
  ): OrderEventRecord {
    this.sql.exec(
      'INSERT INTO idempotency (key, order_id, created_at) VALUES (?, ?, ?)',
      idempotencyKey,
      order.id,
      order.createdAt,
    )
    const json = JSON.stringify(order)
    this.sql.exec(
      'INSERT INTO orders (id, state, table_key, session_id, created_at, updated_at, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
      order.id,
      order.state,
      order.tableKey ?? null,
      order.sessionId ?? null,
      order.createdAt,
      order.updatedAt,
      json,
    )
    if (!submitted)
      return this.record(order, json, 'create', null, actor, actorId, undefined, 'order.created')
    this.record(order, json, 'create', null, actor, actorId, undefined, 'order.created', {
      version: order.version - 1,
      to: 'PENDING_PAYMENT',
    })
    return this.record(
      order,
      json,
      'submit_unpaid',
      'PENDING_PAYMENT',
      submitted.actor,
      submitted.actorId,
      undefined,
      'order.event',
    )
  }

  /**
   * Save a change that is not a state transition (kitchen display line progress). No event and no history
   * row: the next transition carries the order, with this change, to history.
   */
  save(order: Order): void {
    this.sql.exec(
      'UPDATE orders SET updated_at = ?, json = ? WHERE id = ?',
      order.updatedAt,
      JSON.stringify(order),
      order.id,
    )
  }

  /** Save a changed order (version bumped by the caller's `next`) and record the event that changed it. */
  update(
    order: Order,
    event: OrderEvent | 'void_line',
    from: OrderState,
    actor: Actor,
    actorId: string,
    reason?: string,
  ): OrderEventRecord {
    const json = JSON.stringify(order)
    this.sql.exec(
      'UPDATE orders SET state = ?, updated_at = ?, json = ? WHERE id = ?',
      order.state,
      order.updatedAt,
      json,
      order.id,
    )
    return this.record(order, json, event, from, actor, actorId, reason, 'order.event')
  }

  /** `orderJson` is the order already serialized once for its row; the outbox reuses it. */
  private record(
    order: Order,
    orderJson: string,
    event: OrderEvent | 'create' | 'void_line',
    from: OrderState | null,
    actor: Actor,
    actorId: string,
    reason: string | undefined,
    kind: OutboxRow['kind'],
    as?: { version: number; to: OrderState },
  ): OrderEventRecord {
    const ev: OrderEventRecord = {
      id: newId('evt', order.updatedAt),
      orderId: order.id,
      storeId: order.storeId,
      version: as?.version ?? order.version,
      event,
      from,
      to: as?.to ?? order.state,
      actor,
      actorId,
      at: order.updatedAt,
      ...(reason ? { reason } : {}),
    }
    const evJson = JSON.stringify(ev)
    this.sql.exec('INSERT INTO order_events (id, order_id, json) VALUES (?, ?, ?)', ev.id, ev.orderId, evJson)
    // payload is `{ event, order }` (core/outbox.ts OutboxPayload), assembled from the two serialized parts.
    this.sql.exec(
      'INSERT INTO outbox (id, kind, created_at, attempts, next_at, payload) VALUES (?, ?, ?, 0, ?, ?)',
      ev.id,
      kind,
      ev.at,
      ev.at,
      `{"event":${evJson},"order":${orderJson}}`,
    )
    return ev
  }

  events(orderId: string): OrderEventRecord[] {
    return this.sql
      .exec<{ json: string }>('SELECT json FROM order_events WHERE order_id = ?', orderId)
      .toArray()
      .map((r) => JSON.parse(r.json) as OrderEventRecord)
      .sort((a, b) => a.version - b.version)
  }

  // --- outbox, for core/outbox's drain ---
  outboxTake(limit: number, now: number): OutboxRow[] {
    return this.sql
      .exec<{ id: string; kind: OutboxRow['kind']; created_at: number; attempts: number; payload: string }>(
        'SELECT id, kind, created_at, attempts, payload FROM outbox WHERE next_at <= ? ORDER BY id LIMIT ?',
        now,
        limit,
      )
      .toArray()
      .map((r) => ({
        id: r.id,
        kind: r.kind,
        storeId: '',
        createdAt: r.created_at,
        attempts: r.attempts,
        payload: r.payload,
      }))
  }
  outboxRemove(ids: string[]): void {
    for (const id of ids) this.sql.exec('DELETE FROM outbox WHERE id = ?', id)
  }
  outboxFailed(ids: string[], nextAt: number, error: string): void {
    for (const id of ids)
      this.sql.exec(
        'UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?',
        nextAt,
        error.slice(0, 500),
        id,
      )
  }
  outboxNextDue(): number | null {
    return (
      this.sql.exec<{ at: number | null }>('SELECT MIN(next_at) AS at FROM outbox').toArray()[0]?.at ?? null
    )
  }
  outboxSize(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM outbox').toArray()[0]?.n ?? 0
  }
}
