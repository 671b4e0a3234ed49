// TableDO: one per table (`storeId:area-table`). The table session (who sits here), the shared cart
// (who added what), rounds already sent (加菜) and the table's status. It never prices or reserves stock:
// checkout hands one round to StoreDO.
import { DurableObject } from 'cloudflare:workers'
import {
  type CartLine,
  type Diner,
  type RoundSummary,
  TableClientMessage,
  type TableServerMessage,
  type TableSnapshot,
} from '../core/channels/table'
import { DomainError, type Outcome, outcomeAsync, unwrap } from '../core/errors'
import { newId } from '../core/ids'
import { type LineRequest, type Menu, type ResolvedLine, resolveLine } from '../core/menu'
import type { Order, PayMode } from '../core/order'
import type { TableStatus } from '../core/store'
import type { Env } from '../workers/env'
import { acceptSocket, enableAutoPong, parseFrame, replyClose, SequencedChannel } from './sockets'
import { atomic, Meta, migrate, Timers } from './sql'
import type { RoundUpdate } from './store'
import { TABLE_MIGRATIONS } from './table/schema'

/** A round stuck in `sending` (the store was unreachable) is driven again after this long. */
const REDRIVE_MS = 10_000
/** Close code telling a diner's app the table was cleared and a new scan is needed. */
export const CLOSE_SESSION_ENDED = 4001

export interface DinerRef {
  id: string
  name: string
  sessionId: string
}

export interface JoinInput {
  storeId: string
  areaNo: string
  tableNo: string
  name: string
  /** A returning diner (same phone, same seating) keeps their id. */
  dinerId?: string
  sessionId?: string
}

export interface JoinResult {
  diner: Diner
  sessionId: string
  storeId: string
  storeName: string
  tableKey: string
  label: string
  payMode: PayMode
}

interface RoundRecord {
  round: RoundSummary
  /** The cart lines this round took, to give back if the store refuses it. */
  cartLines: CartLine[]
  note: string
  menuVersion: number
  couponCodes: string[]
}

export class TableDO extends DurableObject<Env> {
  private readonly meta: Meta
  private readonly timers: Timers
  private menu: Menu | null = null

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    migrate(ctx.storage, TABLE_MIGRATIONS)
    this.meta = new Meta(ctx.storage.sql)
    this.timers = new Timers(ctx.storage)
    enableAutoPong(ctx)
    // A round left `sending` by a restart mid-call is driven again soon; normal rounds never touch the alarm.
    const stuck = ctx.storage.sql
      .exec<{ round_no: number }>(
        "SELECT round_no FROM rounds WHERE session_id = ? AND status = 'sending'",
        this.sessionId,
      )
      .toArray()
    if (stuck.length > 0)
      void ctx.blockConcurrencyWhile(async () => {
        for (const r of stuck) this.timers.set(`redrive:${r.round_no}`, Date.now() + 1_000)
        await this.timers.arm()
      })
  }

  private get storeId(): string {
    return this.meta.get<string>('store_id') ?? ''
  }
  private get tableKey(): string {
    return this.meta.get<string>('table_key') ?? ''
  }
  private get sessionId(): string {
    return this.meta.get<string>('session_id') ?? ''
  }
  private get status(): TableStatus {
    return this.meta.get<TableStatus>('status') ?? 'idle'
  }
  private get store() {
    return this.env.STORE.getByName(this.storeId)
  }
  private channel(): SequencedChannel<TableServerMessage> {
    return new SequencedChannel(this.ctx, this.meta, `s:${this.sessionId}`)
  }

  // ---------- session ----------

  async join(input: JoinInput): Promise<Outcome<JoinResult>> {
    return outcomeAsync(async () => {
      const tableKey = `${input.areaNo}-${input.tableNo}`
      const store = this.env.STORE.getByName(input.storeId)
      const [table, state] = await Promise.all([store.getTable(tableKey), store.menuState()])
      const t = unwrap(table)
      const s = unwrap(state)
      const sql = this.ctx.storage.sql
      return atomic(this.ctx.storage, this.meta, () => {
        this.meta.set('store_id', input.storeId)
        this.meta.set('table_key', tableKey)
        this.meta.set('label', t.label)
        this.meta.set('store_name', s.name)
        this.meta.set('pay_mode', s.payMode)
        this.meta.set('menu_version', s.menuVersion)
        this.meta.set('sold_out', s.soldOut)
        if (!this.sessionId) this.meta.set('session_id', newId('ses'))
        const sessionId = this.sessionId
        const known =
          input.dinerId && input.sessionId === sessionId
            ? sql
                .exec<{ id: string }>(
                  'SELECT id FROM diners WHERE id = ? AND session_id = ?',
                  input.dinerId,
                  sessionId,
                )
                .toArray()[0]
            : undefined
        const diner: Diner = { id: known?.id ?? newId('din'), name: input.name }
        sql.exec(
          `INSERT INTO diners (id, session_id, name, joined_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
          diner.id,
          sessionId,
          diner.name,
          Date.now(),
        )
        if (this.status === 'idle' || this.status === 'to_clean') this.setStatus('seated')
        this.channel().broadcast({ type: 'diners', diners: this.diners() })
        return {
          diner,
          sessionId,
          storeId: input.storeId,
          storeName: s.name,
          tableKey,
          label: t.label,
          payMode: s.payMode,
        }
      })
    })
  }

  private diners(): Diner[] {
    return this.ctx.storage.sql
      .exec<{ id: string; name: string }>(
        'SELECT id, name FROM diners WHERE session_id = ? ORDER BY joined_at',
        this.sessionId,
      )
      .toArray()
      .map((r) => ({ id: r.id, name: r.name }))
  }

  private requireSession(diner: DinerRef): void {
    if (!this.sessionId || diner.sessionId !== this.sessionId)
      throw new DomainError('TABLE_NOT_OPEN', 'this table has been cleared; scan the code again', {})
  }

  private setStatus(status: TableStatus): void {
    if (this.status === status) return
    this.meta.set('status', status)
    this.channel().broadcast({ type: 'status', status, sessionId: this.sessionId })
    const store = this.store
    const key = this.tableKey
    this.ctx.waitUntil(store.tableStatusChanged(key, status).catch(() => undefined))
  }

  // ---------- snapshot ----------

  async snapshot(diner: DinerRef): Promise<Outcome<TableSnapshot>> {
    return outcomeAsync(async () => {
      this.requireSession(diner)
      await this.refreshRounds()
      return this.snapshotNow()
    })
  }

  private snapshotNow(): TableSnapshot {
    return {
      storeId: this.storeId,
      tableKey: this.tableKey,
      label: this.meta.get<string>('label') ?? '',
      status: this.status,
      sessionId: this.sessionId,
      payMode: this.meta.get<PayMode>('pay_mode') ?? 'pay_after',
      menuVersion: this.meta.get<number>('menu_version') ?? 0,
      diners: this.diners(),
      cart: this.cart(),
      rounds: this.rounds().map((r) => r.round),
      soldOut: this.meta.get<string[]>('sold_out') ?? [],
    }
  }

  /** The store is the authority on order state; a notice lost on the way is healed here. */
  private async refreshRounds(): Promise<void> {
    const sessionId = this.sessionId
    if (!sessionId || this.rounds().length === 0) return
    const updates = await this.store.sessionRounds(this.tableKey, sessionId)
    for (const u of updates) this.applyRoundUpdate(u)
  }

  // ---------- cart ----------

  private cart(): CartLine[] {
    return this.ctx.storage.sql
      .exec<{ json: string }>(
        'SELECT json FROM cart WHERE session_id = ? ORDER BY added_at, line_id',
        this.sessionId,
      )
      .toArray()
      .map((r) => JSON.parse(r.json) as CartLine)
  }

  private cartLine(lineId: string): CartLine {
    const row = this.ctx.storage.sql
      .exec<{ json: string }>(
        'SELECT json FROM cart WHERE line_id = ? AND session_id = ?',
        lineId,
        this.sessionId,
      )
      .toArray()[0]
    if (!row) throw new DomainError('CART_LINE_NOT_FOUND', 'that line is no longer in the cart', { lineId })
    return JSON.parse(row.json) as CartLine
  }

  private putLine(line: CartLine): void {
    this.ctx.storage.sql.exec(
      `INSERT INTO cart (line_id, session_id, json, added_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (line_id) DO UPDATE SET json = excluded.json`,
      line.lineId,
      this.sessionId,
      JSON.stringify(line),
      line.addedAt,
    )
  }

  /** The menu this cart is checked against; a client on another version is told to reload. */
  private async menuAt(version: number): Promise<Menu> {
    if (this.menu?.version === version) return this.menu
    const { menu, availability } = unwrap(await this.store.getMenu())
    this.menu = menu
    this.meta.set('menu_version', menu.version)
    this.meta.set('sold_out', availability.soldOut)
    if (menu.version !== version)
      throw new DomainError('MENU_STALE', 'the menu has changed; reload it', { menuVersion: menu.version })
    return menu
  }

  async cartAdd(
    diner: DinerRef,
    menuVersion: number,
    req: LineRequest,
    opId?: string,
  ): Promise<Outcome<CartLine>> {
    return outcomeAsync(async () => {
      this.requireSession(diner)
      const menu = await this.menuAt(menuVersion)
      const soldOut = this.meta.get<string[]>('sold_out') ?? []
      const r = resolveLine(menu, req, { soldOut, remaining: {} })
      this.requireSession(diner) // the table may have been cleared while the menu loaded
      // The same dish, spec, options and note from the same diner grows one line instead of adding another.
      const same = this.cart().find(
        (l) =>
          l.dinerId === diner.id &&
          l.itemId === r.itemId &&
          l.skuId === r.skuId &&
          l.note === r.note &&
          l.optionIds.join(',') === r.optionIds.join(','),
      )
      if (same && same.qty + r.qty > 99)
        throw new DomainError('INVALID_QUANTITY', 'at most 99 of one dish per line', {
          qty: same.qty + r.qty,
        })
      const line: CartLine = same ? { ...same, qty: same.qty + r.qty } : cartLine(r, diner, Date.now())
      this.putLine(line)
      if (this.status === 'seated' || this.status === 'idle') this.setStatus('ordering')
      this.channel().broadcast({ type: 'cart.line', line, ...(opId ? { opId } : {}) })
      return line
    })
  }

  async cartQty(
    diner: DinerRef,
    lineId: string,
    qty: number,
    opId?: string,
  ): Promise<Outcome<CartLine | { removed: true }>> {
    return outcomeAsync(async () => {
      this.requireSession(diner)
      if (!Number.isInteger(qty) || qty < 0 || qty > 99)
        throw new DomainError('INVALID_QUANTITY', 'quantity must be a whole number from 0 to 99', { qty })
      const line = this.cartLine(lineId)
      if (qty === 0) return this.removeLine(lineId, opId)
      const next = { ...line, qty }
      this.putLine(next)
      this.channel().broadcast({ type: 'cart.line', line: next, ...(opId ? { opId } : {}) })
      return next
    })
  }

  async cartNote(diner: DinerRef, lineId: string, note: string, opId?: string): Promise<Outcome<CartLine>> {
    return outcomeAsync(async () => {
      this.requireSession(diner)
      if (note.length > 100) throw new DomainError('VALIDATION_FAILED', 'a note is at most 100 characters')
      const next = { ...this.cartLine(lineId), note }
      this.putLine(next)
      this.channel().broadcast({ type: 'cart.line', line: next, ...(opId ? { opId } : {}) })
      return next
    })
  }

  async cartRemove(diner: DinerRef, lineId: string, opId?: string): Promise<Outcome<{ removed: true }>> {
    return outcomeAsync(async () => {
      this.requireSession(diner)
      this.cartLine(lineId)
      return this.removeLine(lineId, opId)
    })
  }

  private removeLine(lineId: string, opId?: string): { removed: true } {
    this.ctx.storage.sql.exec('DELETE FROM cart WHERE line_id = ?', lineId)
    this.channel().broadcast({ type: 'cart.removed', lineIds: [lineId], ...(opId ? { opId } : {}) })
    if (this.status === 'ordering' && this.cart().length === 0 && this.rounds().length === 0)
      this.setStatus('seated')
    return { removed: true }
  }

  // ---------- rounds (加菜) ----------

  private rounds(sessionId = this.sessionId): RoundRecord[] {
    return this.ctx.storage.sql
      .exec<{ json: string }>('SELECT json FROM rounds WHERE session_id = ? ORDER BY round_no', sessionId)
      .toArray()
      .map((r) => JSON.parse(r.json) as RoundRecord)
  }

  private putRound(rec: RoundRecord, status: 'sending' | 'sent', idemKey?: string): void {
    const sql = this.ctx.storage.sql
    if (idemKey)
      sql.exec(
        'INSERT INTO rounds (session_id, round_no, idem_key, status, json, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        this.sessionId,
        rec.round.roundNo,
        idemKey,
        status,
        JSON.stringify(rec),
        Date.now(),
      )
    else
      sql.exec(
        'UPDATE rounds SET status = ?, json = ?, updated_at = ? WHERE session_id = ? AND round_no = ?',
        status,
        JSON.stringify(rec),
        Date.now(),
        this.sessionId,
        rec.round.roundNo,
      )
  }

  /**
   * Send every unsent cart line to the kitchen as one round. Idempotent by the client's key: a retry gets the
   * same round. The lines leave the cart before the store is asked, so nobody can edit them mid-flight;
   * if the store refuses (stock, stale menu), they come back.
   */
  async sendRound(
    diner: DinerRef,
    input: {
      idempotencyKey: string
      menuVersion: number
      note?: string
      couponCodes?: string[]
      lines?: LineRequest[]
    },
  ): Promise<Outcome<{ round: RoundSummary }>> {
    return outcomeAsync(async () => {
      this.requireSession(diner)
      const sql = this.ctx.storage.sql
      const prior = sql
        .exec<{ status: string; json: string; session_id: string }>(
          'SELECT status, json, session_id FROM rounds WHERE idem_key = ?',
          `${diner.sessionId}:${input.idempotencyKey}`,
        )
        .toArray()[0]
      if (prior) {
        const rec = JSON.parse(prior.json) as RoundRecord
        if (prior.status === 'sent') return { round: rec.round }
        return { round: await this.drive(rec) }
      }
      // Lines sent with the request (a client that keeps its own cart) join the table's cart and leave with it.
      const direct = input.lines?.length
        ? await this.resolveDirect(diner, input.menuVersion, input.lines)
        : []
      this.requireSession(diner)
      for (const l of direct) this.putLine(l)
      const lines = this.cart()
      if (lines.length === 0) throw new DomainError('CART_EMPTY', 'the cart is empty')
      const roundNo =
        (sql
          .exec<{ n: number | null }>(
            'SELECT MAX(round_no) AS n FROM rounds WHERE session_id = ?',
            this.sessionId,
          )
          .toArray()[0]?.n ?? 0) + 1
      const rec: RoundRecord = {
        round: {
          roundNo,
          orderId: '',
          pickupNo: '',
          state: 'PENDING_PAYMENT',
          paid: false,
          totalFen: 0,
          dinerId: diner.id,
          lines: lines.map((l) => ({
            name: l.name,
            skuName: l.skuName,
            optionNames: l.optionNames,
            qty: l.qty,
            note: l.note,
            dinerName: l.dinerName,
          })),
          placedAt: Date.now(),
        },
        cartLines: lines,
        note: input.note ?? '',
        menuVersion: input.menuVersion,
        couponCodes: input.couponCodes ?? [],
      }
      atomic(this.ctx.storage, this.meta, () => {
        this.putRound(rec, 'sending', `${diner.sessionId}:${input.idempotencyKey}`)
        sql.exec('DELETE FROM cart WHERE session_id = ?', this.sessionId)
      })
      const shared = lines.filter((l) => !direct.includes(l)).map((l) => l.lineId)
      if (shared.length > 0) this.channel().broadcast({ type: 'cart.removed', lineIds: shared })
      return { round: await this.drive(rec) }
    })
  }

  private async resolveDirect(
    diner: DinerRef,
    menuVersion: number,
    reqs: LineRequest[],
  ): Promise<CartLine[]> {
    const menu = await this.menuAt(menuVersion)
    const soldOut = this.meta.get<string[]>('sold_out') ?? []
    const now = Date.now()
    // One millisecond apart: the cart's order is (addedAt, lineId), and the request's order must hold.
    return reqs.map((req, i) => cartLine(resolveLine(menu, req, { soldOut, remaining: {} }), diner, now + i))
  }

  /**
   * Ask the store to place a round's order. Safe to repeat: the store is idempotent by round. If the store
   * cannot be reached, the alarm tries again; a refusal is final and gives the lines back.
   */
  private async drive(rec: RoundRecord): Promise<RoundSummary> {
    const sessionId = this.sessionId
    const result = await this.placeRound(rec, sessionId)
    if (!result.ok) {
      // Refused: the round never existed; its lines go back to the cart as they were.
      atomic(this.ctx.storage, this.meta, () => {
        this.ctx.storage.sql.exec(
          'DELETE FROM rounds WHERE session_id = ? AND round_no = ?',
          sessionId,
          rec.round.roundNo,
        )
        this.timers.clear(`redrive:${rec.round.roundNo}`)
        for (const l of rec.cartLines) this.putLine(l)
      })
      for (const l of rec.cartLines) this.channel().broadcast({ type: 'cart.line', line: l })
      if (result.error.code === 'MENU_STALE') this.menu = null
      throw new DomainError(result.error.code, result.error.message, result.error.details)
    }
    const o = result.value
    const round: RoundSummary = {
      ...rec.round,
      orderId: o.id,
      pickupNo: o.pickupNo,
      state: o.state,
      paid: o.paid,
      totalFen: o.totalFen,
    }
    atomic(this.ctx.storage, this.meta, () => {
      this.putRound({ ...rec, round }, 'sent')
      this.timers.clear(`redrive:${rec.round.roundNo}`)
      this.channel().broadcast({ type: 'round', round })
      this.setStatus('dining')
    })
    await this.timers.arm()
    return round
  }

  private async placeRound(rec: RoundRecord, sessionId: string): Promise<Outcome<Order>> {
    try {
      return (await this.store.placeOrder({
        idempotencyKey: `${this.tableKey}:${sessionId}:${rec.round.roundNo}`,
        mode: 'dine_in',
        menuVersion: rec.menuVersion,
        lines: rec.cartLines.map((l) => ({
          itemId: l.itemId,
          skuId: l.skuId,
          optionIds: l.optionIds,
          qty: l.qty,
          note: l.note,
        })),
        tableKey: this.tableKey,
        sessionId,
        roundNo: rec.round.roundNo,
        dinerId: rec.round.dinerId,
        note: rec.note,
        couponCodes: rec.couponCodes,
        actor: 'diner',
        actorId: rec.round.dinerId,
      })) as Outcome<Order>
    } catch (e) {
      // Unreachable or overloaded store: the round stays `sending` and the alarm drives it again.
      this.timers.set(`redrive:${rec.round.roundNo}`, Date.now() + REDRIVE_MS)
      await this.timers.arm()
      throw e
    }
  }

  /** From StoreDO when one of this table's orders changes. */
  orderUpdated(update: RoundUpdate): void {
    if (update.sessionId !== this.sessionId) return
    this.applyRoundUpdate(update)
  }

  private applyRoundUpdate(u: RoundUpdate): void {
    const row = this.ctx.storage.sql
      .exec<{ json: string }>(
        'SELECT json FROM rounds WHERE session_id = ? AND round_no = ?',
        this.sessionId,
        u.roundNo,
      )
      .toArray()[0]
    const rec = row ? (JSON.parse(row.json) as RoundRecord) : undefined
    if (!rec || (rec.round.orderId && rec.round.orderId !== u.orderId)) return
    const r = rec.round
    if (r.orderId === u.orderId && r.state === u.state && r.paid === u.paid && r.totalFen === u.totalFen)
      return
    const round: RoundSummary = {
      ...r,
      orderId: u.orderId,
      state: u.state,
      paid: u.paid,
      totalFen: u.totalFen,
      pickupNo: u.pickupNo,
    }
    this.putRound({ ...rec, round }, 'sent')
    this.channel().broadcast({ type: 'round', round })
  }

  // ---------- staff actions ----------

  /** Paid at the counter (pay-after-meal): the store settles the rounds, the table waits to be cleaned. */
  async staffSettle(
    actor: 'owner' | 'manager' | 'waiter',
    actorId: string,
  ): Promise<Outcome<{ rounds: RoundSummary[] }>> {
    return outcomeAsync(async () => {
      if (!this.sessionId || this.status === 'idle')
        throw new DomainError('TABLE_NOT_OPEN', 'nobody is seated here')
      const orders = unwrap(await this.store.settleSession(this.tableKey, this.sessionId, actor, actorId))
      for (const o of orders)
        if (o.roundNo && o.sessionId)
          this.applyRoundUpdate({
            orderId: o.id,
            sessionId: o.sessionId,
            roundNo: o.roundNo,
            state: o.state,
            paid: o.paid,
            totalFen: o.totalFen,
            pickupNo: o.pickupNo,
          })
      this.setStatus('to_clean')
      return { rounds: this.rounds().map((r) => r.round) }
    })
  }

  /** The table is cleaned: a new session starts; the old party's phones are told to stop. */
  async staffClear(): Promise<Outcome<{ sessionId: string }>> {
    return outcomeAsync(async () => {
      if (!this.storeId) throw new DomainError('TABLE_NOT_OPEN', 'nobody has sat here yet')
      const pending = this.ctx.storage.sql
        .exec<{ n: number }>(
          "SELECT COUNT(*) AS n FROM rounds WHERE session_id = ? AND status = 'sending'",
          this.sessionId,
        )
        .toArray()[0]?.n
      if (pending)
        throw new DomainError('CONFLICT', 'a round is still being sent to the kitchen; try again in a moment')
      const old = this.sessionId
      for (const ws of this.ctx.getWebSockets(`s:${old}`)) {
        try {
          ws.close(CLOSE_SESSION_ENDED, 'table cleared')
        } catch {
          // already gone
        }
      }
      this.ctx.storage.sql.exec('DELETE FROM cart WHERE session_id = ?', old)
      const sessionId = newId('ses')
      this.meta.set('session_id', sessionId)
      this.meta.set('status', 'seated') // so setStatus below reports the change
      this.setStatus('idle')
      return { sessionId }
    })
  }

  menuChanged(menuVersion: number): void {
    if (this.menu && this.menu.version !== menuVersion) this.menu = null
    this.meta.set('menu_version', menuVersion)
    if (this.sessionId) this.channel().broadcast({ type: 'menu', menuVersion })
  }

  soldOutChanged(soldOut: string[]): void {
    this.meta.set('sold_out', soldOut)
    if (this.sessionId) this.channel().broadcast({ type: 'sold_out', soldOut })
  }

  // ---------- sockets ----------

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade') !== 'websocket')
      return new Response('expected a WebSocket', { status: 426 })
    const diner: DinerRef = {
      id: request.headers.get('x-diner-id') ?? '',
      name: decodeURIComponent(request.headers.get('x-diner-name') ?? ''),
      sessionId: request.headers.get('x-session-id') ?? '',
    }
    if (!this.sessionId || diner.sessionId !== this.sessionId)
      return Response.json(
        { error: { code: 'TABLE_NOT_OPEN', message: 'this table has been cleared; scan the code again' } },
        { status: 409 },
      )
    const { response, socket } = acceptSocket(this.ctx, ['diner', `s:${diner.sessionId}`, `d:${diner.id}`], {
      ...diner,
    })
    await this.refreshRounds().catch(() => undefined)
    this.channel().send(socket, { type: 'snapshot', seq: this.channel().seq, state: this.snapshotNow() })
    return response
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const diner = ws.deserializeAttachment() as DinerRef
    const parsed = TableClientMessage.safeParse(parseFrame(message))
    const ch = this.channel()
    if (!parsed.success) {
      ch.send(ws, { type: 'error', code: 'VALIDATION_FAILED', message: 'message not understood' })
      return
    }
    const m = parsed.data
    let result: Outcome<unknown>
    switch (m.type) {
      case 'resync':
        await this.refreshRounds().catch(() => undefined)
        ch.send(ws, { type: 'snapshot', seq: ch.seq, state: this.snapshotNow() })
        return
      case 'cart.add':
        result = await this.cartAdd(diner, m.menuVersion, m.line, m.opId)
        break
      case 'cart.qty':
        result = await this.cartQty(diner, m.lineId, m.qty, m.opId)
        break
      case 'cart.note':
        result = await this.cartNote(diner, m.lineId, m.note, m.opId)
        break
      case 'cart.remove':
        result = await this.cartRemove(diner, m.lineId, m.opId)
        break
    }
    if (!result.ok)
      ch.send(ws, {
        type: 'error',
        code: result.error.code,
        message: result.error.message,
        ...('opId' in m && m.opId ? { opId: m.opId } : {}),
      })
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    replyClose(ws, code)
  }

  // ---------- alarm: re-drive rounds the store did not answer ----------

  override async alarm(): Promise<void> {
    this.timers.fired()
    for (const key of this.timers.due(Date.now())) {
      this.timers.clear(key)
      const roundNo = Number(key.split(':')[1])
      const rec = this.rounds().find((r) => r.round.roundNo === roundNo)
      const row = this.ctx.storage.sql
        .exec<{ status: string }>(
          'SELECT status FROM rounds WHERE session_id = ? AND round_no = ?',
          this.sessionId,
          roundNo,
        )
        .toArray()[0]
      if (!rec || row?.status !== 'sending') continue
      try {
        await this.drive(rec)
      } catch (e) {
        if (!(e instanceof DomainError)) this.timers.set(key, Date.now() + REDRIVE_MS)
      }
    }
    await this.timers.arm()
  }
}

/** A cart line for a dish resolved against the menu, added by `diner` at `addedAt`. */
function cartLine(r: ResolvedLine, diner: DinerRef, addedAt: number): CartLine {
  return {
    lineId: newId('lin', addedAt),
    dinerId: diner.id,
    dinerName: diner.name,
    itemId: r.itemId,
    skuId: r.skuId,
    optionIds: r.optionIds,
    qty: r.qty,
    note: r.note,
    name: r.name,
    skuName: r.skuName,
    optionNames: r.optionNames,
    unitPriceFen: r.unitPriceFen,
    addedAt,
  }
}
