// The contract of delivery between the objects that share it: StoreDO hands a job to the GeoCellDO of
// its cell; GeoCellDO dispatches in batches and offers jobs through RiderDO; RiderDO tells the store what
// happens to each of its orders. Positions are GCJ-02 (core/geo), times epoch ms, money fen.
import type { LatLng } from './geo'

/** A delivery order waiting for a rider, as the store hands it to its GeoCellDO. */
export interface DeliveryJob {
  orderId: string
  storeId: string
  storeName: string
  /** The store: where the rider picks up. */
  pickup: LatLng
  /** The customer's exact point, for dispatch and routing only: a rider sees it after pickup. */
  dropoff: LatLng
  /** What a rider sees before pickup: district and road, never the door (e.g. "朝阳区 建国路附近"). */
  dropoffHint: string
  placedAt: number
  /** When the kitchen expects it ready (prep time), updated when it is ready for real. */
  readyAt: number
  /** The short number called out at the pass, e.g. "D007". */
  pickupNo: string
  items: number
  /** The customer's phone, sealed by the rider's and cell's objects and shown masked after pickup. */
  customerPhone?: string
}

/** A rider as its GeoCellDO knows it: summarised, never the raw GPS stream. */
export interface RiderInCell {
  riderId: string
  name: string
  pos: LatLng
  at: number
  /** Orders on board or assigned and not delivered. */
  load: number
  capacity: number
  /** When the rider's committed route ends (for dispatch's "free at"). */
  freeAt: number
  /** Where the committed route ends. */
  freePos: LatLng
}

/** An offer from a cell to a rider: one bundle (orders of one store). */
export interface DeliveryOffer {
  offerId: string
  cell: string
  jobs: DeliveryJob[]
  /** Offer mode: the rider must accept before this; grab mode (抢单): first to grab wins. */
  expiresAt: number
  mode: 'offer' | 'grab'
}

export type OfferReply =
  /** Taken at once (auto-accept or grab). */
  | { status: 'accepted' }
  /** Shown to the rider, who answers before expiresAt; the cell hears back through `offerAnswered`. */
  | { status: 'offered' }
  /** Holding another offer, at capacity, off duty: the cell re-queues the jobs. */
  | { status: 'busy'; reason: string }

/** What a rider's object tells the store about one of the store's orders. */
export type DeliveryUpdate =
  | {
      kind: 'assigned'
      orderId: string
      riderId: string
      riderName: string
      /** Masked, e.g. 138****5678. */
      riderPhone: string
      at: number
      etaPickupAt: number
      etaDropoffAt: number
    }
  | { kind: 'arrived_store'; orderId: string; riderId: string; at: number }
  | { kind: 'picked_up'; orderId: string; riderId: string; at: number; override?: string }
  | { kind: 'near_customer'; orderId: string; riderId: string; at: number }
  | { kind: 'delivered'; orderId: string; riderId: string; at: number; override?: string }
  /** The rider went off duty or declined: the job goes back to dispatch. */
  | { kind: 'unassigned'; orderId: string; riderId: string; at: number; reason: string }
  /** Throttled position of the rider carrying (or heading for) this order, for the diner's map. */
  | { kind: 'position'; orderId: string; riderId: string; pos: LatLng; at: number; etaDropoffAt?: number }

/** City-wide dispatch settings (env DISPATCH_MODE / DISPATCH_OFFER_TIMEOUT_MS). */
export interface DispatchSettings {
  mode: 'offer' | 'grab'
  offerTimeoutMs: number
  /** Seconds between batches in a cell. */
  batchIntervalMs: number
}

export const DEFAULT_DISPATCH: DispatchSettings = {
  mode: 'offer',
  // Riders glance at the phone between turns; 30 s is what the big platforms give before re-offering.
  offerTimeoutMs: 30_000,
  // Batches every few seconds let dispatch see several orders and riders at once (bundling), without a
  // diner noticing the wait.
  batchIntervalMs: 5_000,
}
