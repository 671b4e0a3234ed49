// What an order is, as the store keeps it and as every client sees it.

import type { Fen } from './money'
import type { Actor, OrderEvent, OrderMode, OrderState } from './order-machine'
import type { PriceBreakdown, PricedLine } from './pricing'

export type PayMode = 'pay_first' | 'pay_after'

export interface Order {
  id: string
  storeId: string
  mode: OrderMode
  state: OrderState
  /** Where a refused refund returns to. */
  resumeState?: OrderState
  paid: boolean
  payMode: PayMode
  /** Short number called out at the pass and printed big on tickets, e.g. "T012" (dine-in), "P003" (pickup), "D007" (delivery). */
  pickupNo: string
  tableKey?: string
  tableLabel?: string
  /** Which table session (seating) and which round (加菜) of it. */
  sessionId?: string
  roundNo?: number
  dinerId?: string
  lines: PricedLine[]
  price: PriceBreakdown
  totalFen: Fen
  note: string
  reason?: string
  createdAt: number
  updatedAt: number
  /** Incremented on every change; history upserts keep the highest. */
  version: number
  /** Kitchen display progress per line number: started and bumped (done) times. */
  kds?: Record<number, { startedAt?: number; doneAt?: number }>
}

export interface OrderEventRecord {
  id: string
  orderId: string
  storeId: string
  /** The order's version after this event. */
  version: number
  /** A machine event, the creation, or a line taken back (退菜) without a change of state. */
  event: OrderEvent | 'create' | 'void_line'
  from: OrderState | null
  to: OrderState
  actor: Actor
  actorId: string
  reason?: string
  at: number
}

/** What a diner sees of an order: no internal ids of staff. */
export function publicOrder(o: Order) {
  return {
    id: o.id,
    mode: o.mode,
    state: o.state,
    paid: o.paid,
    pickupNo: o.pickupNo,
    tableLabel: o.tableLabel,
    roundNo: o.roundNo,
    lines: o.lines.map((l) => ({
      name: l.name,
      skuName: l.skuName,
      optionNames: l.optionNames,
      qty: l.qty,
      note: l.note,
      lineTotalFen: l.lineTotalFen,
    })),
    totalFen: o.totalFen,
    reason: o.reason,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  }
}
export type PublicOrder = ReturnType<typeof publicOrder>
