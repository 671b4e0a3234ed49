// What an order is, as the store keeps it and as every client sees it.

import type { QuoteStep } from './geo/delivery-area'
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
  // ---- delivery and pickup ----
  /** The delivery or pickup customer (customer token `sub`); scopes payment, refund and tracking. */
  customerId?: string
  /** Promised time: at the door (delivery) or ready at the pass (pickup). Updated by rider estimates. */
  etaAt?: number
  delivery?: OrderDelivery
}

/** A delivery address as people other than the customer see it: name, phone and door masked. */
export interface MaskedAddress {
  /** "张*". */
  name: string
  /** "138****5678". */
  phone: string
  /** Cut after the road: "成都市锦江区春熙路…". */
  text: string
}

export interface OrderRider {
  id: string
  name: string
  /** Masked, e.g. 138****5678. */
  phone: string
  assignedAt: number
  etaPickupAt?: number
  etaDropoffAt?: number
}

/** The delivery part of an order. The exact address and point exist only sealed (AES-GCM, PII_KEY). */
export interface OrderDelivery {
  /** Sealed {name, phone, text, point} (workers/auth/pii.ts); opened only to hand the job to dispatch. */
  sealedAddress: string
  address: MaskedAddress
  /** What a rider sees before pickup: district and road, never the door. */
  hint: string
  /** Straight line from the store, metres (what the fee bracket priced). */
  distanceM: number
  /** Delivery fee charged, after free delivery and fee discounts. */
  feeFen: Fen
  /** How the fee came about (base bracket, free over a total, discounts). */
  quote: QuoteStep[]
  /** The kitchen state the rider was assigned from: an unassigned rider sends the order back there. */
  assignedFrom?: OrderState
  rider?: OrderRider
  /** Last position of the rider heading for or carrying this order (GCJ-02), for the board and the map. */
  riderPos?: { lat: number; lng: number; at: number }
  pickedUpAt?: number
  deliveredAt?: number
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
    // Delivery and pickup: masked address, fee and the rider's masked contact; never the sealed address.
    ...(o.etaAt ? { etaAt: o.etaAt } : {}),
    ...(o.delivery
      ? {
          delivery: {
            address: o.delivery.address,
            distanceM: o.delivery.distanceM,
            feeFen: o.delivery.feeFen,
            ...(o.delivery.rider
              ? { rider: { name: o.delivery.rider.name, phone: o.delivery.rider.phone } }
              : {}),
            ...(o.delivery.pickedUpAt ? { pickedUpAt: o.delivery.pickedUpAt } : {}),
            ...(o.delivery.deliveredAt ? { deliveredAt: o.delivery.deliveredAt } : {}),
          },
        }
      : {}),
  }
}
export type PublicOrder = ReturnType<typeof publicOrder>
