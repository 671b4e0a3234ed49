// The store's live board: socket with snapshot + deltas, new-order alerts, and the staff actions.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { applyStoreMessage, type StoreServerMessage, type StoreSnapshot } from '../../core/channels/store'
import type { Availability, Menu } from '../../core/menu'
import type { Order } from '../../core/order'
import type { OrderEvent } from '../../core/order-machine'
import { ApiError, api, socketUrl } from '../shared/api'
import { describeError, errorText } from '../shared/errors'
import { LiveSocket, useLive } from '../shared/socket'
import { toast } from '../shared/toast'
import type { StaffSession } from './auth'
import { beep } from './beep'

// Why: long enough to catch the eye of someone across the kitchen, short enough not to become noise.
const FLASH_MS = 12_000

export function useStore(session: StaffSession, onLogout: () => void) {
  const base = `/api/v1/stores/${session.storeId}`
  const [flashing, setFlashing] = useState<ReadonlySet<string>>(new Set())
  const out = useRef(onLogout)
  out.current = onLogout

  const unflash = (id: string) =>
    setFlashing((s) => {
      if (!s.has(id)) return s
      const next = new Set(s)
      next.delete(id)
      return next
    })

  const live = useMemo(
    () =>
      new LiveSocket<StoreSnapshot, StoreServerMessage>({
        url: socketUrl(`${base}/ws`, session.token),
        apply: applyStoreMessage,
        onMessage: (msg) => {
          if (msg.type === 'error') toast(errorText(msg.code, msg.message), 'error')
          if (msg.type === 'order' && msg.alert) {
            beep()
            const id = msg.order.id
            setFlashing((s) => new Set(s).add(id))
            setTimeout(() => unflash(id), FLASH_MS)
          }
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

  const call = async <T>(path: string, body: unknown, ok?: string): Promise<T | null> => {
    try {
      const res = await api<T>(`${base}${path}`, { token: session.token, body })
      if (ok) toast(ok)
      return res
    } catch (e) {
      toast(describeError(e), 'error')
      if (e instanceof ApiError && e.status === 401) out.current()
      return null
    }
  }

  const applyEvent = async (order: Order, event: OrderEvent, reason?: string): Promise<boolean> => {
    unflash(order.id)
    const res = await call<Order>(
      `/orders/${encodeURIComponent(order.id)}/events`,
      reason ? { event, reason } : { event },
    )
    if (res) live.patch((s) => upsertOrder(s, res))
    return !!res
  }

  const tableAction = (tableKey: string, action: 'settle' | 'clear') =>
    call(`/tables/${encodeURIComponent(tableKey)}/${action}`, {}, action === 'settle' ? '已结账' : '已清台')

  const setSoldOut = async (itemId: string, soldOut: boolean) => {
    const res = await call<Partial<Availability>>(`/menu/items/${encodeURIComponent(itemId)}/sold-out`, {
      soldOut,
    })
    if (res && Array.isArray(res.soldOut)) {
      const { soldOut: list, remaining } = res
      live.patch((s) => ({ ...s, soldOut: list, remaining: remaining ?? s.remaining }))
    }
  }

  return { board: view.state, status: view.status, flashing, unflash, applyEvent, tableAction, setSoldOut }
}

/** An HTTP answer may race the socket's copy; keep whichever is newer. */
function upsertOrder(s: StoreSnapshot, o: Order): StoreSnapshot {
  const i = s.orders.findIndex((x) => x.id === o.id)
  if (i < 0) return { ...s, orders: [...s.orders, o] }
  if (s.orders[i]!.version > o.version) return s
  return { ...s, orders: s.orders.map((x, j) => (j === i ? o : x)) }
}

/** The menu for the 菜单 tab, refetched when the board reports a new version. */
export function useMenu(storeId: string, version: number | undefined): Menu | null {
  const [menu, setMenu] = useState<Menu | null>(null)
  useEffect(() => {
    if (version === undefined || menu?.version === version) return
    let live = true
    api<{ menu: Menu }>(`/api/v1/stores/${storeId}/menu`)
      .then((r) => live && setMenu(r.menu))
      .catch((e) => toast(describeError(e), 'error'))
    return () => {
      live = false
    }
  }, [storeId, version])
  return menu
}
