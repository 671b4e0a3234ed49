// One order, live: the HTTP view (price, lines, masked address and rider) and the tracking socket (state,
// timeline, ETA, the rider's position), folded with core's applyTrackingMessage. A change of state also
// refreshes the HTTP view, which carries what the socket does not (paid, the rider's masked contact).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import {
  applyTrackingMessage,
  type TrackingServerMessage,
  type TrackingSnapshot,
} from '../../core/channels/tracking'
import { ApiError, socketUrl } from '../shared/api'
import { describeError } from '../shared/errors'
import { LiveSocket, useLive } from '../shared/socket'
import { type CustomerOrder, getOrder } from './api'

function reduce(state: TrackingSnapshot | null, seq: number, msg: TrackingServerMessage) {
  const r = applyTrackingMessage(state, seq, msg)
  return r === 'gap' ? 'gap' : { state: r.view, seq: r.seq }
}

export function useOrder(token: string, orderId: string, onExpired: () => void) {
  const [order, setOrder] = useState<CustomerOrder | null>(null)
  const [error, setError] = useState<string | null>(null)
  const expired = useRef(onExpired)
  expired.current = onExpired

  const refresh = () =>
    getOrder(token, orderId)
      .then((o) => {
        setOrder(o)
        setError(null)
      })
      .catch((e) => {
        if (e instanceof ApiError && e.status === 401) expired.current()
        else setError(describeError(e))
      })
  const refreshRef = useRef(refresh)
  refreshRef.current = refresh

  const live = useMemo(
    () =>
      new LiveSocket<TrackingSnapshot, TrackingServerMessage>({
        url: socketUrl(`/api/v1/customer/orders/${encodeURIComponent(orderId)}/ws`, token),
        apply: reduce,
        onMessage: (msg) => {
          if (msg.type === 'status' || msg.type === 'snapshot') void refreshRef.current()
        },
        onUnreachable: () => void refreshRef.current(),
      }),
    [token, orderId],
  )
  useEffect(() => () => live.close(), [live])
  const view = useLive(live)

  useEffect(() => {
    void refresh()
  }, [token, orderId])

  return { order, track: view.state, link: view.status, error, refresh }
}
