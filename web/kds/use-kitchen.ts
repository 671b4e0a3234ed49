// The kitchen display's data: the store channel, line actions with an optimistic view, and when each
// order was accepted (from its event log; the order itself does not record it).
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Order, OrderEventRecord } from '../../core/order'
import { api } from '../shared/api'
import type { StaffSession } from '../shared/staff-auth'
import { useStoreLive } from '../shared/store-live'
import { COOKING_STATES, guessAcceptedAt, type LineKds, lineKds } from './tickets'

export type KdsAction = 'start' | 'bump' | 'undo'

const AFTER: Record<KdsAction, LineKds> = { start: 'started', bump: 'done', undo: 'started' }

export const lineKey = (orderId: string, lineNo: number) => `${orderId}:${lineNo}`

export function useKitchen(session: StaffSession, onLogout: () => void) {
  const { view, call, patchOrder } = useStoreLive(session, onLogout)
  const orders = view.state?.orders ?? []
  /** Lines with a request in flight, shown in the state they are about to be in. */
  const [pending, setPending] = useState<ReadonlyMap<string, LineKds>>(new Map())

  const act = async (order: Order, lineNos: number[], action: KdsAction): Promise<void> => {
    const keys = lineNos.map((n) => lineKey(order.id, n))
    setPending((m) => {
      const next = new Map(m)
      for (const k of keys) next.set(k, AFTER[action])
      return next
    })
    // One request per line; the store applies them one at a time and the newest answer wins.
    const answers = await Promise.all(
      lineNos.map((n) => call<Order>(`/orders/${encodeURIComponent(order.id)}/lines/${n}/kds`, { action })),
    )
    for (const o of answers) if (o) patchOrder(o)
    setPending((m) => {
      const next = new Map(m)
      for (const k of keys) next.delete(k)
      return next
    })
  }

  const stateOf = (o: Order, lineNo: number): LineKds =>
    pending.get(lineKey(o.id, lineNo)) ?? lineKds(o, lineNo)

  return {
    board: view.state,
    status: view.status,
    stateOf,
    isPending: (o: Order, lineNo: number) => pending.has(lineKey(o.id, lineNo)),
    act,
    acceptedAt: useAcceptedAt(session, orders),
  }
}

/**
 * When each order on the display was accepted. The event log is asked once per order, one request at a
 * time so a display that reconnects to a busy kitchen does not fire dozens at once; until it answers the
 * order's own timestamps stand in.
 */
function useAcceptedAt(session: StaffSession, orders: Order[]): (o: Order) => number {
  const [known, setKnown] = useState<Record<string, number>>({})
  const asked = useRef(new Set<string>())
  const queue = useRef(Promise.resolve())
  const want = orders.filter((o) => COOKING_STATES.includes(o.state) || o.state === 'READY').map((o) => o.id)
  const wantKey = want.join(',')

  useEffect(() => {
    for (const id of want) {
      if (asked.current.has(id)) continue
      asked.current.add(id)
      queue.current = queue.current.then(async () => {
        try {
          const events = await api<OrderEventRecord[]>(
            `/api/v1/stores/${session.storeId}/orders/${encodeURIComponent(id)}/events`,
            { token: session.token },
          )
          const accept = events.find((e) => e.event === 'accept')
          if (accept) setKnown((k) => ({ ...k, [id]: accept.at }))
        } catch {
          // Keep the stand-in; the timer is a guide, not a record. Ask again next time it shows.
          asked.current.delete(id)
        }
      })
    }
  }, [wantKey])

  return (o: Order) => known[o.id] ?? guessAcceptedAt(o)
}
