import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DomainError } from './errors'
import {
  ACTORS,
  type Actor,
  edges,
  isTerminal,
  nextEvents,
  ORDER_EVENTS,
  ORDER_MODES,
  ORDER_STATES,
  type OrderEvent,
  type OrderMode,
  type OrderState,
  TERMINAL_STATES,
  transition,
} from './order-machine'

function reachable(mode: OrderMode): Set<OrderState> {
  const seen = new Set<OrderState>(['PENDING_PAYMENT'])
  const queue: OrderState[] = ['PENDING_PAYMENT']
  const all = edges(mode)
  while (queue.length) {
    const s = queue.shift()!
    for (const e of all)
      if (e.from === s && !seen.has(e.to)) {
        seen.add(e.to)
        queue.push(e.to)
      }
  }
  return seen
}

/** Drive a sequence of (event, actor) from PENDING_PAYMENT; returns every state visited. */
function run(mode: OrderMode, steps: [OrderEvent, Actor][]): OrderState[] {
  const states: OrderState[] = ['PENDING_PAYMENT']
  for (const [event, actor] of steps) states.push(transition({ state: states.at(-1)!, event, mode, actor }))
  return states
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
    return undefined
  } catch (e) {
    if (e instanceof DomainError) return e.code
    throw e
  }
}

describe('happy paths', () => {
  it('dine-in, paid first', () => {
    expect(
      run('dine_in', [
        ['pay', 'provider'],
        ['accept', 'waiter'],
        ['queue', 'system'],
        ['start_cooking', 'kitchen'],
        ['ready', 'kitchen'],
        ['serve', 'waiter'],
        ['complete', 'system'],
      ]).at(-1),
    ).toBe('COMPLETED')
  })

  it('dine-in, pay after the meal', () => {
    expect(run('dine_in', [['submit_unpaid', 'system']])).toEqual(['PENDING_PAYMENT', 'PLACED'])
  })

  it('pickup', () => {
    expect(
      run('pickup', [
        ['pay', 'provider'],
        ['accept', 'system'],
        ['ready', 'kitchen'],
        ['pick_up', 'diner'],
        ['complete', 'diner'],
      ]),
    ).toEqual(['PENDING_PAYMENT', 'PLACED', 'ACCEPTED', 'READY', 'PICKED_UP', 'COMPLETED'])
  })

  it('delivery', () => {
    expect(
      run('delivery', [
        ['pay', 'provider'],
        ['accept', 'manager'],
        ['start_cooking', 'kitchen'],
        ['assign_rider', 'system'],
        ['rider_arrive', 'rider'],
        ['depart', 'rider'],
        ['deliver', 'rider'],
        ['complete', 'diner'],
      ]),
    ).toEqual([
      'PENDING_PAYMENT',
      'PLACED',
      'ACCEPTED',
      'COOKING',
      'RIDER_ASSIGNED',
      'RIDER_AT_STORE',
      'DELIVERING',
      'DELIVERED',
      'COMPLETED',
    ])
  })

  it('unpaid orders time out or are cancelled', () => {
    expect(transition({ state: 'PENDING_PAYMENT', event: 'close', mode: 'delivery', actor: 'system' })).toBe(
      'CLOSED',
    )
    expect(transition({ state: 'PENDING_PAYMENT', event: 'cancel', mode: 'pickup', actor: 'diner' })).toBe(
      'CANCELLED',
    )
  })
})

describe('refunds', () => {
  it('before acceptance the diner refunds by themself', () => {
    expect(transition({ state: 'PLACED', event: 'request_refund', mode: 'delivery', actor: 'diner' })).toBe(
      'REFUNDING',
    )
  })

  it('while cooking the diner asks and the merchant decides', () => {
    expect(transition({ state: 'COOKING', event: 'request_refund', mode: 'pickup', actor: 'diner' })).toBe(
      'REFUND_REQUESTED',
    )
    expect(
      transition({ state: 'REFUND_REQUESTED', event: 'approve_refund', mode: 'pickup', actor: 'owner' }),
    ).toBe('REFUNDING')
    expect(
      codeOf(() =>
        transition({ state: 'REFUND_REQUESTED', event: 'approve_refund', mode: 'pickup', actor: 'diner' }),
      ),
    ).toBe('FORBIDDEN')
  })

  it('a refused request resumes where the order was', () => {
    expect(
      transition({
        state: 'REFUND_REQUESTED',
        event: 'refuse_refund',
        mode: 'dine_in',
        actor: 'manager',
        resumeState: 'COOKING',
      }),
    ).toBe('COOKING')
    expect(
      codeOf(() =>
        transition({ state: 'REFUND_REQUESTED', event: 'refuse_refund', mode: 'dine_in', actor: 'manager' }),
      ),
    ).toBe('INVALID_TRANSITION')
  })

  it('a refused request cannot resume into a state no refund comes from', () => {
    for (const resumeState of ['PENDING_PAYMENT', 'REFUNDED', 'CLOSED', 'REFUND_REQUESTED'] as const)
      expect(
        codeOf(() =>
          transition({
            state: 'REFUND_REQUESTED',
            event: 'refuse_refund',
            mode: 'delivery',
            actor: 'owner',
            resumeState,
          }),
        ),
      ).toBe('INVALID_TRANSITION')
  })

  it('the merchant grants a refund after serving, the waiter cannot', () => {
    expect(transition({ state: 'SERVED', event: 'approve_refund', mode: 'dine_in', actor: 'owner' })).toBe(
      'REFUNDING',
    )
    expect(
      codeOf(() =>
        transition({ state: 'SERVED', event: 'approve_refund', mode: 'dine_in', actor: 'waiter' }),
      ),
    ).toBe('FORBIDDEN')
    expect(
      transition({ state: 'REFUNDING', event: 'refund_succeeded', mode: 'dine_in', actor: 'provider' }),
    ).toBe('REFUNDED')
    expect(
      transition({ state: 'REFUNDING', event: 'refund_failed', mode: 'dine_in', actor: 'provider' }),
    ).toBe('REFUNDING')
  })
})

describe('refusals', () => {
  it('wrong mode is an invalid transition', () => {
    expect(
      codeOf(() => transition({ state: 'READY', event: 'serve', mode: 'delivery', actor: 'waiter' })),
    ).toBe('INVALID_TRANSITION')
    expect(
      codeOf(() =>
        transition({ state: 'PENDING_PAYMENT', event: 'submit_unpaid', mode: 'pickup', actor: 'system' }),
      ),
    ).toBe('INVALID_TRANSITION')
  })

  it('wrong state is an invalid transition', () => {
    expect(
      codeOf(() => transition({ state: 'COMPLETED', event: 'accept', mode: 'dine_in', actor: 'owner' })),
    ).toBe('INVALID_TRANSITION')
  })

  it('wrong actor is forbidden', () => {
    expect(
      codeOf(() => transition({ state: 'PLACED', event: 'accept', mode: 'dine_in', actor: 'diner' })),
    ).toBe('FORBIDDEN')
    expect(
      codeOf(() => transition({ state: 'PENDING_PAYMENT', event: 'pay', mode: 'dine_in', actor: 'diner' })),
    ).toBe('FORBIDDEN')
    expect(
      codeOf(() => transition({ state: 'DELIVERING', event: 'deliver', mode: 'delivery', actor: 'waiter' })),
    ).toBe('FORBIDDEN')
  })

  it('only staff withdraw an accepted unpaid dine-in round', () => {
    expect(transition({ state: 'ACCEPTED', event: 'cancel', mode: 'dine_in', actor: 'waiter' })).toBe(
      'CANCELLED',
    )
    expect(
      codeOf(() => transition({ state: 'ACCEPTED', event: 'cancel', mode: 'dine_in', actor: 'diner' })),
    ).toBe('FORBIDDEN')
    expect(
      codeOf(() => transition({ state: 'ACCEPTED', event: 'cancel', mode: 'delivery', actor: 'waiter' })),
    ).toBe('INVALID_TRANSITION')
  })
})

describe('graph', () => {
  const BRANCH: Record<OrderMode, OrderState[]> = {
    dine_in: ['SERVED'],
    pickup: ['PICKED_UP'],
    delivery: ['RIDER_ASSIGNED', 'RIDER_AT_STORE', 'DELIVERING', 'DELIVERED'],
  }

  it.each(ORDER_MODES)(
    '%s: every reachable state is a known state and only its own branch is reachable',
    (mode) => {
      const states = reachable(mode)
      for (const s of states) expect(ORDER_STATES).toContain(s)
      for (const m of ORDER_MODES)
        for (const s of BRANCH[m]) expect(states.has(s), `${s} in ${mode}`).toBe(m === mode)
      expect(states.has('COMPLETED')).toBe(true)
      expect(states.has('REFUNDED')).toBe(true)
    },
  )

  it.each(ORDER_MODES)('%s: every edge uses known states and events', (mode) => {
    for (const e of edges(mode)) {
      expect(ORDER_STATES).toContain(e.from)
      expect(ORDER_STATES).toContain(e.to)
      expect(ORDER_EVENTS).toContain(e.event)
    }
  })

  it.each(ORDER_MODES)('%s: terminal states have no way out except refunds after completion', (mode) => {
    for (const e of edges(mode)) {
      if (!isTerminal(e.from)) continue
      expect(e.from).toBe('COMPLETED')
      expect(['request_refund', 'approve_refund']).toContain(e.event)
    }
    expect(TERMINAL_STATES.every(isTerminal)).toBe(true)
  })

  it.each(ORDER_MODES)('%s: every reachable state can still reach a terminal state', (mode) => {
    const all = edges(mode)
    for (const start of reachable(mode)) {
      const seen = new Set([start])
      const queue = [start]
      while (queue.length) {
        const s = queue.shift()!
        for (const e of all)
          if (e.from === s && !seen.has(e.to)) {
            seen.add(e.to)
            queue.push(e.to)
          }
      }
      expect([...seen].some(isTerminal), `${start} is stuck`).toBe(true)
    }
  })
})

describe('transition properties', () => {
  const input = fc.record({
    state: fc.constantFrom(...ORDER_STATES),
    event: fc.constantFrom(...ORDER_EVENTS),
    mode: fc.constantFrom(...ORDER_MODES),
    actor: fc.constantFrom(...ACTORS),
    resumeState: fc.option(fc.constantFrom(...ORDER_STATES), { nil: undefined }),
  })

  it('either follows an edge or throws INVALID_TRANSITION / FORBIDDEN', () => {
    fc.assert(
      fc.property(input, (i) => {
        let to: OrderState
        try {
          to = transition(i)
        } catch (e) {
          expect(e).toBeInstanceOf(DomainError)
          expect(['INVALID_TRANSITION', 'FORBIDDEN']).toContain((e as DomainError).code)
          return
        }
        const all = edges(i.mode)
        expect(all.some((e) => e.from === i.state && e.event === i.event)).toBe(true)
        if (i.event === 'refuse_refund') {
          // Back to a state the refund was requested from, in this mode.
          expect(
            all.some((e) => e.event === 'request_refund' && e.to === 'REFUND_REQUESTED' && e.from === to),
          ).toBe(true)
        } else {
          expect(all.some((e) => e.from === i.state && e.event === i.event && e.to === to)).toBe(true)
        }
      }),
      { numRuns: 3000 },
    )
  })

  it('agrees with nextEvents on every state, mode and actor', () => {
    for (const mode of ORDER_MODES)
      for (const state of ORDER_STATES)
        for (const actor of ACTORS) {
          const allowed = nextEvents(state, mode, actor)
          for (const event of ORDER_EVENTS) {
            const resumeState = event === 'refuse_refund' ? 'COOKING' : undefined
            const ok = codeOf(() => transition({ state, event, mode, actor, resumeState })) === undefined
            expect(ok, `${mode} ${state} ${event} by ${actor}`).toBe(allowed.includes(event))
          }
        }
  })

  it('random walks stay inside the graph and end in a known state', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ORDER_MODES),
        fc.array(fc.tuple(fc.constantFrom(...ORDER_EVENTS), fc.constantFrom(...ACTORS)), { maxLength: 40 }),
        (mode, walk) => {
          const known = reachable(mode)
          let state: OrderState = 'PENDING_PAYMENT'
          let resume: OrderState | undefined
          for (const [event, actor] of walk) {
            try {
              const next = transition({ state, event, mode, actor, resumeState: resume })
              if (next === 'REFUND_REQUESTED' && state !== 'REFUND_REQUESTED') resume = state
              state = next
            } catch (e) {
              expect(e).toBeInstanceOf(DomainError)
            }
            expect(known.has(state)).toBe(true)
          }
        },
      ),
    )
  })
})

describe('unassign_rider: back to the kitchen', () => {
  it('returns to the kitchen state the store names, from assigned or at the store', () => {
    for (const state of ['RIDER_ASSIGNED', 'RIDER_AT_STORE'] as const)
      for (const kitchenState of ['ACCEPTED', 'QUEUED', 'COOKING', 'READY'] as const)
        expect(
          transition({ state, event: 'unassign_rider', mode: 'delivery', actor: 'system', kitchenState }),
        ).toBe(kitchenState)
  })

  it('defaults to COOKING, from where the kitchen can still mark it ready', () => {
    const s = transition({
      state: 'RIDER_ASSIGNED',
      event: 'unassign_rider',
      mode: 'delivery',
      actor: 'rider',
    })
    expect(s).toBe('COOKING')
    expect(transition({ state: s, event: 'ready', mode: 'delivery', actor: 'kitchen' })).toBe('READY')
  })

  it('refuses non-kitchen targets, food already on the road, other modes and diners', () => {
    for (const kitchenState of ['PLACED', 'DELIVERING', 'PENDING_PAYMENT', 'REFUNDED'] as const)
      expect(
        codeOf(() =>
          transition({
            state: 'RIDER_ASSIGNED',
            event: 'unassign_rider',
            mode: 'delivery',
            actor: 'system',
            kitchenState,
          }),
        ),
      ).toBe('INVALID_TRANSITION')
    for (const state of ['DELIVERING', 'DELIVERED', 'READY'] as const)
      expect(
        codeOf(() => transition({ state, event: 'unassign_rider', mode: 'delivery', actor: 'system' })),
      ).toBe('INVALID_TRANSITION')
    expect(
      codeOf(() => transition({ state: 'READY', event: 'unassign_rider', mode: 'pickup', actor: 'system' })),
    ).toBe('INVALID_TRANSITION')
    expect(
      codeOf(() =>
        transition({ state: 'RIDER_ASSIGNED', event: 'unassign_rider', mode: 'delivery', actor: 'diner' }),
      ),
    ).toBe('FORBIDDEN')
  })

  it('property: assign then unassign always lands in a kitchen state that can be assigned again', () => {
    const kitchen = ['ACCEPTED', 'QUEUED', 'COOKING', 'READY'] as const
    fc.assert(
      fc.property(
        fc.constantFrom(...kitchen),
        fc.boolean(),
        fc.option(fc.constantFrom(...kitchen), { nil: undefined }),
        (from, arrived, kitchenState) => {
          let s = transition({ state: from, event: 'assign_rider', mode: 'delivery', actor: 'system' })
          if (arrived) s = transition({ state: s, event: 'rider_arrive', mode: 'delivery', actor: 'rider' })
          const back = transition({
            state: s,
            event: 'unassign_rider',
            mode: 'delivery',
            actor: 'system',
            ...(kitchenState ? { kitchenState } : {}),
          })
          expect(kitchen).toContain(back)
          expect(back).toBe(kitchenState ?? 'COOKING')
          expect(transition({ state: back, event: 'assign_rider', mode: 'delivery', actor: 'system' })).toBe(
            'RIDER_ASSIGNED',
          )
        },
      ),
    )
  })
})

describe('ready with a rider already assigned', () => {
  it('keeps the order with its rider (the kitchen still reports ready)', () => {
    for (const state of ['RIDER_ASSIGNED', 'RIDER_AT_STORE'] as const)
      expect(transition({ state, event: 'ready', mode: 'delivery', actor: 'kitchen' })).toBe(state)
    expect(
      codeOf(() => transition({ state: 'DELIVERING', event: 'ready', mode: 'delivery', actor: 'kitchen' })),
    ).toBe('INVALID_TRANSITION')
    expect(
      codeOf(() => transition({ state: 'RIDER_ASSIGNED', event: 'ready', mode: 'delivery', actor: 'diner' })),
    ).toBe('FORBIDDEN')
  })
})
