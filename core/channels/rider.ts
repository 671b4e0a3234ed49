// The rider channel: a rider's app <-> RiderDO. Discriminated unions, validated on receipt. Server messages
// that change the rider's state carry a per-channel `seq`; a client that sees a gap sends `resync`.
// Replies to one location report (`loc.ack`, `loc.rejected`) and errors carry no seq: they change nothing
// another device of the rider would need to see.
import { z } from 'zod'
import type { LatLng } from '../geo'

/** Ids the server hands out (offers) or stores own (orders): short, plain characters. */
const Id = z.string().regex(/^[A-Za-z0-9_:-]{1,64}$/, 'an id is 1-64 letters, digits, _, : or -')

export const RiderClientMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('loc'),
    /** The device's own fix: WGS-84 from GPS unless `datum` says GCJ-02 (WeChat's getLocation type gcj02). */
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
    accuracyM: z.number().min(0).max(100_000),
    /** Epoch ms on the device when the fix was measured. */
    at: z.number().int().min(0),
    datum: z.enum(['WGS84', 'GCJ02']).optional(),
  }),
  z.object({ type: z.literal('offer.accept'), offerId: Id }),
  z.object({ type: z.literal('offer.decline'), offerId: Id }),
  z.object({ type: z.literal('grab'), offerId: Id }),
  z.object({ type: z.literal('resync') }),
])
export type RiderClientMessage = z.infer<typeof RiderClientMessage>

export const TASK_STATUSES = ['assigned', 'arrived', 'picked_up', 'delivered'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

/**
 * A task as the rider sees it. Before pickup only the hint of where it goes (district and road): the
 * customer's door and phone are shown once the food is in the rider's hands.
 */
export interface TaskView {
  orderId: string
  storeId: string
  storeName: string
  pickup: LatLng
  pickupNo: string
  items: number
  status: TaskStatus
  assignedAt: number
  readyAt: number
  etaPickupAt: number
  etaDropoffAt: number
  dropoffHint: string
  /** After pickup only. */
  dropoff?: LatLng
  /** After pickup only, masked (138****5678), when the store gave one. */
  customerPhone?: string
}

/** A job in an offer: where to pick up, roughly where it goes, how far (to 100 m), never the door. */
export interface OfferJobView {
  orderId: string
  storeName: string
  pickup: LatLng
  pickupNo: string
  items: number
  readyAt: number
  dropoffHint: string
  /** Straight-line store -> customer, rounded to 100 m. */
  tripM: number
}

export interface OfferView {
  offerId: string
  mode: 'offer' | 'grab'
  expiresAt: number
  jobs: OfferJobView[]
}

/** One stop of the planned route, in order. A dropoff's point is hidden until its pickup. */
export interface RouteStop {
  kind: 'pickup' | 'dropoff'
  orderId: string
  at: number
  pos?: LatLng
}

export interface RiderSnapshot {
  riderId: string
  name: string
  /** Masked. */
  phone: string
  capacity: number
  autoAccept: boolean
  onDuty: boolean
  /** Tasks not delivered. */
  load: number
  tasks: TaskView[]
  route: RouteStop[]
  offers: OfferView[]
  /** Last accepted fix (GCJ-02). */
  position?: { lat: number; lng: number; at: number; accuracyM: number }
  /** How often the app should report now, ms. */
  intervalMs: number
}

export type LocRejectReason = 'out_of_order' | 'impossible_jump' | 'inaccurate' | 'from_future' | 'off_duty'

export type OfferCloseReason = 'accepted' | 'declined' | 'expired' | 'withdrawn' | 'taken'

export type RiderServerMessage =
  | { type: 'snapshot'; seq: number; state: RiderSnapshot }
  | { type: 'duty'; seq: number; onDuty: boolean }
  | { type: 'offer'; seq: number; offer: OfferView }
  | { type: 'offer.closed'; seq: number; offerId: string; reason: OfferCloseReason }
  | { type: 'task'; seq: number; task: TaskView; route: RouteStop[] }
  | { type: 'task.removed'; seq: number; orderId: string; reason: string; route: RouteStop[] }
  | { type: 'loc.ack'; at: number; intervalMs: number; cell: string }
  | { type: 'loc.rejected'; at: number; reason: LocRejectReason; intervalMs: number }
  | { type: 'error'; code: string; message: string; offerId?: string }

/**
 * Apply a server message to a client's copy of the rider's state. Returns 'gap' when a message was missed
 * (the client then sends `resync`). Pure: the rider app and the tests share it.
 */
export function applyRiderMessage(
  state: RiderSnapshot | null,
  lastSeq: number,
  msg: RiderServerMessage,
): { state: RiderSnapshot | null; seq: number } | 'gap' {
  if (msg.type === 'snapshot') return { state: msg.state, seq: msg.seq }
  if (!('seq' in msg)) {
    if (msg.type === 'loc.ack' && state)
      return { state: { ...state, intervalMs: msg.intervalMs }, seq: lastSeq }
    return { state, seq: lastSeq }
  }
  if (!state || msg.seq !== lastSeq + 1) return msg.seq <= lastSeq ? { state, seq: lastSeq } : 'gap'
  const s: RiderSnapshot = { ...state }
  switch (msg.type) {
    case 'duty':
      s.onDuty = msg.onDuty
      break
    case 'offer':
      s.offers = [...s.offers.filter((o) => o.offerId !== msg.offer.offerId), msg.offer]
      break
    case 'offer.closed':
      s.offers = s.offers.filter((o) => o.offerId !== msg.offerId)
      break
    case 'task': {
      const i = s.tasks.findIndex((t) => t.orderId === msg.task.orderId)
      s.tasks = i < 0 ? [...s.tasks, msg.task] : s.tasks.map((t, j) => (j === i ? msg.task : t))
      s.route = msg.route
      break
    }
    case 'task.removed':
      s.tasks = s.tasks.filter((t) => t.orderId !== msg.orderId)
      s.route = msg.route
      break
  }
  s.load = s.tasks.filter((t) => t.status !== 'delivered').length
  return { state: s, seq: msg.seq }
}
