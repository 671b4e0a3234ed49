// The store channel for staff apps (merchant board, kitchen display): the live snapshot, a dead-token
// check, and an HTTP helper that toasts failures and logs out on 401.
import { useEffect, useMemo, useRef } from 'preact/hooks'
import { applyStoreMessage, type StoreServerMessage, type StoreSnapshot } from '../../core/channels/store'
import type { Order } from '../../core/order'
import { ApiError, api, type RequestOptions, socketUrl } from './api'
import { describeError, errorText } from './errors'
import { LiveSocket, useLive } from './socket'
import type { StaffSession } from './staff-auth'
import { toast } from './toast'

export function useStoreLive(
  session: StaffSession,
  onLogout: () => void,
  onMessage?: (msg: StoreServerMessage) => void,
) {
  const base = `/api/v1/stores/${session.storeId}`
  const out = useRef(onLogout)
  out.current = onLogout
  const handler = useRef(onMessage)
  handler.current = onMessage

  const live = useMemo(
    () =>
      new LiveSocket<StoreSnapshot, StoreServerMessage>({
        url: socketUrl(`${base}/ws`, session.token),
        apply: applyStoreMessage,
        onMessage: (msg) => {
          if (msg.type === 'error') toast(errorText(msg.code, msg.message), 'error')
          handler.current?.(msg)
        },
        onUnreachable: () => {
          api(`${base}/board`, { token: session.token }).catch((e) => {
            if (e instanceof ApiError && e.status === 401) {
              toast('登录已过期，请重新登录', 'error')
              out.current()
            }
          })
        },
      }),
    [session.token],
  )
  useEffect(() => () => live.close(), [live])
  const view = useLive(live)

  /** A request under this store; failures are toasted and answer null. GET without a body. */
  const call = async <T>(
    path: string,
    body?: unknown,
    ok?: string,
    method?: RequestOptions['method'],
  ): Promise<T | null> => {
    try {
      const res = await api<T>(`${base}${path}`, {
        token: session.token,
        ...(body === undefined ? {} : { body }),
        ...(method ? { method } : {}),
      })
      if (ok) toast(ok)
      return res
    } catch (e) {
      toast(describeError(e), 'error')
      if (e instanceof ApiError && e.status === 401) out.current()
      return null
    }
  }

  /** Apply an order from an HTTP answer to the live state (the socket's copy wins if newer). */
  const patchOrder = (o: Order) => live.patch((s) => upsertOrder(s, o))

  return { live, view, call, patchOrder }
}

/** An HTTP answer may race the socket's copy; keep whichever is newer. */
export function upsertOrder(s: StoreSnapshot, o: Order): StoreSnapshot {
  const i = s.orders.findIndex((x) => x.id === o.id)
  if (i < 0) return { ...s, orders: [...s.orders, o] }
  if (s.orders[i]!.version > o.version) return s
  return { ...s, orders: s.orders.map((x, j) => (j === i ? o : x)) }
}
