// The tracking channel: one delivery or pickup customer <-> the StoreDO that has their order. One socket
// follows one order. Server messages carry a per-order `seq`; a client that sees a gap sends `resync` and
// gets a snapshot. The rider's position travels only on the channel of an order the rider is heading for or
// carrying: another customer's socket never sees it.
import { z } from 'zod'
import type { OrderMode, OrderState } from '../order-machine'

export const TrackingClientMessage = z.discriminatedUnion('type', [z.object({ type: z.literal('resync') })])
export type TrackingClientMessage = z.infer<typeof TrackingClientMessage>

export interface TrackedRider {
  name: string
  /** Masked, e.g. 138****5678. */
  phone: string
}

export interface TrackedPoint {
  lat: number
  lng: number
  at: number
}

export interface TimelineEntry {
  state: OrderState
  at: number
}

/** What the customer's map and status page need; coordinates GCJ-02. */
export interface TrackingSnapshot {
  orderId: string
  mode: OrderMode
  state: OrderState
  pickupNo: string
  /** Promised time at the door (delivery) or at the pass (pickup). */
  etaAt: number | null
  /** Where the store is, for the map's pickup pin. */
  store: { name: string; location: { lat: number; lng: number } | null }
  rider: TrackedRider | null
  /** Last rider position, only while a rider is heading for or carrying this order. */
  riderPos: TrackedPoint | null
  timeline: TimelineEntry[]
}

export type TrackingServerMessage =
  | { type: 'snapshot'; seq: number; state: TrackingSnapshot }
  | {
      type: 'status'
      seq: number
      orderId: string
      state: OrderState
      at: number
      etaAt: number | null
      rider: TrackedRider | null
    }
  | { type: 'rider'; seq: number; orderId: string; pos: TrackedPoint; etaAt: number | null }
  /** The rider is close (geofence around the door): "骑手即将送达". */
  | { type: 'near'; seq: number; orderId: string; at: number }
  | { type: 'error'; code: string; message: string }

/** Zod for server messages, so clients (and tests) can validate what arrives, like the server does. */
const state = z.string() as z.ZodType<OrderState>
const point = z.object({ lat: z.number(), lng: z.number(), at: z.number() })
const rider = z.object({ name: z.string(), phone: z.string() }).nullable()
export const TrackingServerMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('snapshot'),
    seq: z.number().int(),
    state: z.object({
      orderId: z.string(),
      mode: z.string(),
      state,
      pickupNo: z.string(),
      etaAt: z.number().nullable(),
      store: z.object({
        name: z.string(),
        location: z.object({ lat: z.number(), lng: z.number() }).nullable(),
      }),
      rider,
      riderPos: point.nullable(),
      timeline: z.array(z.object({ state, at: z.number() })),
    }),
  }),
  z.object({
    type: z.literal('status'),
    seq: z.number().int(),
    orderId: z.string(),
    state,
    at: z.number(),
    etaAt: z.number().nullable(),
    rider,
  }),
  z.object({
    type: z.literal('rider'),
    seq: z.number().int(),
    orderId: z.string(),
    pos: point,
    etaAt: z.number().nullable(),
  }),
  z.object({ type: z.literal('near'), seq: z.number().int(), orderId: z.string(), at: z.number() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
])

/** Fold one server message into the client's view; 'gap' means ask for a snapshot (send resync). */
export function applyTrackingMessage(
  view: TrackingSnapshot | null,
  lastSeq: number,
  msg: TrackingServerMessage,
): { view: TrackingSnapshot | null; seq: number } | 'gap' {
  if (msg.type === 'error') return { view, seq: lastSeq }
  if (msg.type === 'snapshot') return { view: msg.state, seq: msg.seq }
  if (!view || msg.seq !== lastSeq + 1) return msg.seq <= lastSeq ? { view, seq: lastSeq } : 'gap'
  const v: TrackingSnapshot = { ...view }
  switch (msg.type) {
    case 'status':
      v.state = msg.state
      v.etaAt = msg.etaAt
      v.rider = msg.rider
      v.timeline = [...v.timeline, { state: msg.state, at: msg.at }]
      // The map stops showing the rider once the order is no longer on its way.
      if (!RIDER_VISIBLE_STATES.includes(msg.state)) v.riderPos = null
      break
    case 'rider':
      v.riderPos = msg.pos
      if (msg.etaAt !== null) v.etaAt = msg.etaAt
      break
    case 'near':
      break
  }
  return { view: v, seq: msg.seq }
}

/** States in which a rider is heading for or carrying the order: the only time its position is shared. */
export const RIDER_VISIBLE_STATES: readonly OrderState[] = ['RIDER_ASSIGNED', 'RIDER_AT_STORE', 'DELIVERING']
