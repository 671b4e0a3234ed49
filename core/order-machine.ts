// One order state machine for dine-in, pickup and delivery. A mode enables its branch; every transition
// is an event with who, when and why (recorded by the store, see core/order.ts).
import { DomainError } from './errors'

export const ORDER_MODES = ['dine_in', 'pickup', 'delivery'] as const
export type OrderMode = (typeof ORDER_MODES)[number]

export const ORDER_STATES = [
  'PENDING_PAYMENT', // placed, waiting for payment (15 min, then CLOSED)
  'PLACED', // paid, or a pay-after-meal round: waiting for the store
  'ACCEPTED',
  'QUEUED', // tickets sent to the kitchen
  'COOKING',
  'READY',
  'SERVED', // dine-in
  'PICKED_UP', // pickup
  'RIDER_ASSIGNED', // delivery
  'RIDER_AT_STORE',
  'DELIVERING',
  'DELIVERED',
  'COMPLETED', // reviewable
  'REJECTED',
  'CANCELLED',
  'REFUND_REQUESTED',
  'REFUNDING',
  'REFUNDED',
  'CLOSED', // unpaid and timed out
] as const
export type OrderState = (typeof ORDER_STATES)[number]

export const ORDER_EVENTS = [
  'pay', // payment settled (or paid at the counter)
  'submit_unpaid', // pay-after-meal round sent to the store
  'accept',
  'reject',
  'queue',
  'start_cooking',
  'ready',
  'serve',
  'pick_up',
  'assign_rider',
  'unassign_rider', // the rider went off duty or declined: back to the kitchen, the job back to dispatch
  'rider_arrive',
  'depart',
  'deliver',
  'complete',
  'cancel',
  'close',
  'request_refund',
  'approve_refund',
  'refuse_refund',
  'refund_succeeded',
  'refund_failed',
] as const
export type OrderEvent = (typeof ORDER_EVENTS)[number]

export const ACTORS = [
  'diner',
  'owner',
  'manager',
  'waiter',
  'kitchen',
  'system',
  'provider',
  'rider',
] as const
export type Actor = (typeof ACTORS)[number]

export const TERMINAL_STATES: readonly OrderState[] = [
  'COMPLETED',
  'REJECTED',
  'CANCELLED',
  'REFUNDED',
  'CLOSED',
]

const STAFF: readonly Actor[] = ['owner', 'manager', 'waiter']
const KITCHEN: readonly Actor[] = ['owner', 'manager', 'waiter', 'kitchen', 'system']
const MANAGERS: readonly Actor[] = ['owner', 'manager']

interface Rule {
  from: readonly OrderState[]
  to: OrderState
  modes: readonly OrderMode[]
  actors: readonly Actor[]
}

const ALL: readonly OrderMode[] = ORDER_MODES
const KITCHEN_STATES: readonly OrderState[] = ['ACCEPTED', 'QUEUED', 'COOKING', 'READY']

// Refunds: before acceptance the diner refunds in full by themself (PLACED -> REFUNDING); while cooking
// the merchant decides on a request; after serving or delivery only the merchant can grant one.
const RULES: Record<OrderEvent, readonly Rule[]> = {
  pay: [{ from: ['PENDING_PAYMENT'], to: 'PLACED', modes: ALL, actors: ['provider', 'system', ...STAFF] }],
  submit_unpaid: [{ from: ['PENDING_PAYMENT'], to: 'PLACED', modes: ['dine_in'], actors: ['system'] }],
  accept: [{ from: ['PLACED'], to: 'ACCEPTED', modes: ALL, actors: [...STAFF, 'system'] }],
  reject: [{ from: ['PLACED'], to: 'REJECTED', modes: ALL, actors: [...STAFF, 'system'] }],
  queue: [{ from: ['ACCEPTED'], to: 'QUEUED', modes: ALL, actors: KITCHEN }],
  start_cooking: [{ from: ['ACCEPTED', 'QUEUED'], to: 'COOKING', modes: ALL, actors: KITCHEN }],
  ready: [
    { from: ['ACCEPTED', 'QUEUED', 'COOKING'], to: 'READY', modes: ALL, actors: KITCHEN },
    // A rider is often assigned while the food cooks: the kitchen still says when it is ready (the rider and
    // dispatch hear it), and the order stays with its rider.
    { from: ['RIDER_ASSIGNED'], to: 'RIDER_ASSIGNED', modes: ['delivery'], actors: KITCHEN },
    { from: ['RIDER_AT_STORE'], to: 'RIDER_AT_STORE', modes: ['delivery'], actors: KITCHEN },
  ],
  serve: [{ from: ['READY'], to: 'SERVED', modes: ['dine_in'], actors: [...STAFF, 'kitchen'] }],
  pick_up: [{ from: ['READY'], to: 'PICKED_UP', modes: ['pickup'], actors: [...STAFF, 'diner'] }],
  assign_rider: [
    { from: [...KITCHEN_STATES], to: 'RIDER_ASSIGNED', modes: ['delivery'], actors: ['system', ...STAFF] },
  ],
  // One rule per kitchen state it may return to; `kitchenState` in the input picks the one (see transition).
  unassign_rider: KITCHEN_STATES.map((to) => ({
    from: ['RIDER_ASSIGNED', 'RIDER_AT_STORE'] as const,
    to,
    modes: ['delivery'] as const,
    actors: ['system', 'rider', ...STAFF],
  })),
  rider_arrive: [
    { from: ['RIDER_ASSIGNED'], to: 'RIDER_AT_STORE', modes: ['delivery'], actors: ['rider', 'system'] },
  ],
  depart: [
    {
      from: ['RIDER_AT_STORE', 'RIDER_ASSIGNED'],
      to: 'DELIVERING',
      modes: ['delivery'],
      actors: ['rider', 'system'],
    },
  ],
  deliver: [{ from: ['DELIVERING'], to: 'DELIVERED', modes: ['delivery'], actors: ['rider', 'system'] }],
  complete: [
    { from: ['SERVED'], to: 'COMPLETED', modes: ['dine_in'], actors: [...STAFF, 'system'] },
    { from: ['PICKED_UP'], to: 'COMPLETED', modes: ['pickup'], actors: [...STAFF, 'diner', 'system'] },
    { from: ['DELIVERED'], to: 'COMPLETED', modes: ['delivery'], actors: ['diner', 'system', ...STAFF] },
  ],
  cancel: [
    { from: ['PENDING_PAYMENT'], to: 'CANCELLED', modes: ALL, actors: ['diner', ...STAFF, 'system'] },
    // Staff can withdraw a dine-in round until it is ready (退菜); once the kitchen has it, a void ticket
    // tells the stations. A paid one goes through a refund instead (see request_refund / approve_refund).
    {
      from: ['PLACED', 'ACCEPTED', 'QUEUED', 'COOKING'],
      to: 'CANCELLED',
      modes: ['dine_in'],
      actors: [...STAFF],
    },
  ],
  close: [{ from: ['PENDING_PAYMENT'], to: 'CLOSED', modes: ALL, actors: ['system'] }],
  request_refund: [
    { from: ['PLACED'], to: 'REFUNDING', modes: ALL, actors: ['diner', ...STAFF] },
    { from: KITCHEN_STATES, to: 'REFUND_REQUESTED', modes: ALL, actors: ['diner'] },
    {
      from: ['SERVED', 'PICKED_UP', 'DELIVERED', 'COMPLETED'],
      to: 'REFUND_REQUESTED',
      modes: ALL,
      actors: ['diner'],
    },
  ],
  approve_refund: [
    { from: ['REFUND_REQUESTED'], to: 'REFUNDING', modes: ALL, actors: MANAGERS },
    // After serving or delivery only the merchant can grant one, on their own initiative too.
    {
      from: [...KITCHEN_STATES, 'SERVED', 'PICKED_UP', 'DELIVERED', 'COMPLETED'],
      to: 'REFUNDING',
      modes: ALL,
      actors: MANAGERS,
    },
  ],
  // A refused request goes back to where the kitchen was: the store keeps `resumeState` for this.
  refuse_refund: [{ from: ['REFUND_REQUESTED'], to: 'REFUND_REQUESTED', modes: ALL, actors: MANAGERS }],
  refund_succeeded: [{ from: ['REFUNDING'], to: 'REFUNDED', modes: ALL, actors: ['provider', 'system'] }],
  refund_failed: [{ from: ['REFUNDING'], to: 'REFUNDING', modes: ALL, actors: ['provider', 'system'] }],
}

export interface TransitionInput {
  state: OrderState
  event: OrderEvent
  mode: OrderMode
  actor: Actor
  /** For refuse_refund: the state the order was in when the refund was requested. */
  resumeState?: OrderState
  /**
   * For unassign_rider: the kitchen state the order goes back to (where the kitchen is with it now).
   * Default COOKING: from there the kitchen can always still mark it ready.
   */
  kitchenState?: OrderState
}

/** The next state, or a DomainError INVALID_TRANSITION (wrong state, wrong mode) / FORBIDDEN (wrong actor). */
export function transition(input: TransitionInput): OrderState {
  const { state, event, mode, actor } = input
  const rules = RULES[event]
  const legal = rules.filter((r) => r.from.includes(state) && r.modes.includes(mode))
  if (legal.length === 0)
    throw new DomainError('INVALID_TRANSITION', `cannot ${event} an order that is ${state}`, {
      state,
      event,
      mode,
    })
  if (event === 'unassign_rider') {
    const back = input.kitchenState ?? 'COOKING'
    if (!legal.some((r) => r.to === back))
      throw new DomainError('INVALID_TRANSITION', `cannot return to ${back} when a rider is unassigned`, {
        state,
        kitchenState: back,
      })
  }
  const rule = legal.find(
    (r) =>
      r.actors.includes(actor) && (event !== 'unassign_rider' || r.to === (input.kitchenState ?? 'COOKING')),
  )
  if (!rule)
    throw new DomainError('FORBIDDEN', `${actor} may not ${event} this order`, { state, event, actor })
  if (event === 'refuse_refund') {
    const resume = input.resumeState
    if (!resume) throw new DomainError('INVALID_TRANSITION', 'no state to resume after refusal', { state })
    // Only back to a state a refund can be requested from in this mode, never e.g. PENDING_PAYMENT.
    const resumable = RULES.request_refund.some(
      (r) => r.to === 'REFUND_REQUESTED' && r.modes.includes(mode) && r.from.includes(resume),
    )
    if (!resumable) {
      const details = { state, resumeState: resume, mode }
      throw new DomainError('INVALID_TRANSITION', `cannot resume ${resume} after refusal`, details)
    }
    return resume
  }
  return rule.to
}

/** Events some actor may apply now; used by UIs to show the right buttons. */
export function nextEvents(state: OrderState, mode: OrderMode, actor: Actor): OrderEvent[] {
  return ORDER_EVENTS.filter((e) =>
    RULES[e].some((r) => r.from.includes(state) && r.modes.includes(mode) && r.actors.includes(actor)),
  )
}

export const isTerminal = (s: OrderState): boolean => TERMINAL_STATES.includes(s)

/** For property tests and docs: every (from, event, to) the machine allows in a mode. */
export function edges(mode: OrderMode): { from: OrderState; event: OrderEvent; to: OrderState }[] {
  const out: { from: OrderState; event: OrderEvent; to: OrderState }[] = []
  for (const e of ORDER_EVENTS)
    for (const r of RULES[e])
      if (r.modes.includes(mode)) for (const f of r.from) out.push({ from: f, event: e, to: r.to })
  return out
}
