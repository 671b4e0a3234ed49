// Everything live about the table: the socket, the menu at the table's version, and cart operations.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import {
  applyTableMessage,
  type CartLine,
  type RoundSummary,
  type TableServerMessage,
  type TableSnapshot,
} from '../../core/channels/table'
import type { Availability, LineRequest, Menu } from '../../core/menu'
import { ApiError, api, socketUrl, uuid } from '../shared/api'
import { describeError, errorText } from '../shared/errors'
import { LiveSocket, useLive } from '../shared/socket'
import { toast } from '../shared/toast'
import type { JoinResult } from './session'

export interface MenuData {
  menu: Menu
  availability: Availability
}

export type CartOp =
  | { type: 'cart.add'; line: LineRequest }
  | { type: 'cart.qty'; lineId: string; qty: number }
  | { type: 'cart.note'; lineId: string; note: string }
  | { type: 'cart.remove'; lineId: string }

export function useTable(session: JoinResult, onExpired: () => void) {
  const [menu, setMenu] = useState<MenuData | null>(null)
  const [menuError, setMenuError] = useState<string | null>(null)
  const menuLoading = useRef<Promise<void> | null>(null)
  const expired = useRef(onExpired)
  expired.current = onExpired

  const loadMenu = (): Promise<void> => {
    menuLoading.current ??= api<MenuData>(`/api/v1/stores/${session.storeId}/menu`)
      .then((m) => {
        setMenu(m)
        setMenuError(null)
      })
      .catch((e) => setMenuError(describeError(e)))
      .finally(() => {
        menuLoading.current = null
      })
    return menuLoading.current
  }
  const reload = useRef(loadMenu)
  reload.current = loadMenu

  const live = useMemo(
    () =>
      new LiveSocket<TableSnapshot, TableServerMessage>({
        url: socketUrl('/api/v1/table/ws', session.token),
        apply: applyTableMessage,
        onMessage: (msg) => {
          if (msg.type !== 'error') return
          toast(errorText(msg.code, msg.message), 'error')
          if (msg.code === 'MENU_STALE') void reload.current()
        },
        onUnreachable: () => {
          // The socket cannot tell why it failed; the HTTP API can.
          api('/api/v1/table', { token: session.token }).catch((e) => {
            if (e instanceof ApiError && e.status === 401) expired.current()
          })
        },
      }),
    [session.token],
  )
  useEffect(() => () => live.close(), [live])
  const view = useLive(live)
  const table = view.state

  useEffect(() => {
    void loadMenu()
  }, [session.storeId])

  // The menu changed under the table (prices, dishes): fetch the version the table now accepts.
  const tableVersion = table?.menuVersion
  useEffect(() => {
    if (menu && tableVersion !== undefined && tableVersion > menu.menu.version) void loadMenu()
  }, [tableVersion, menu?.menu.version])

  // A new seating (table cleared) resets rounds and cart; only a snapshot carries them.
  const sessionId = table?.sessionId
  const firstSession = useRef(sessionId)
  useEffect(() => {
    if (firstSession.current === undefined) firstSession.current = sessionId
    else if (sessionId !== firstSession.current) {
      firstSession.current = sessionId
      live.resync()
    }
  }, [sessionId])

  const cartOp = (op: CartOp): void => {
    const httpOp: HttpOp = op.type === 'cart.add' ? { ...op, menuVersion: menu?.menu.version ?? 0 } : op
    if (live.send({ ...httpOp, opId: uuid().slice(0, 8) })) return
    // Socket down: the same operation over HTTP, and show its answer until the socket catches up.
    cartOverHttp(session.token, httpOp)
      .then((patch) => live.patch(patch))
      .catch((e) => {
        toast(describeError(e), 'error')
        if (e instanceof ApiError && e.code === 'MENU_STALE') void loadMenu()
      })
  }

  const sendRound = async (): Promise<RoundSummary | null> => {
    try {
      const res = await api<{ round: RoundSummary }>('/api/v1/table/rounds', {
        token: session.token,
        body: { menuVersion: menu?.menu.version ?? table?.menuVersion ?? 0 },
        // Fresh per tap: it guards this request against duplication in transit, not a second tap.
        idempotencyKey: uuid(),
      })
      live.patch((s) => upsertRound(s, res.round))
      return res.round
    } catch (e) {
      toast(describeError(e), 'error')
      if (e instanceof ApiError && e.code === 'MENU_STALE') void loadMenu()
      return null
    }
  }

  return { table, status: view.status, menu, menuError, loadMenu, cartOp, sendRound }
}

function upsertRound(s: TableSnapshot, round: RoundSummary): TableSnapshot {
  const i = s.rounds.findIndex((r) => r.roundNo === round.roundNo)
  return { ...s, rounds: i < 0 ? [...s.rounds, round] : s.rounds.map((r, j) => (j === i ? round : r)) }
}

type HttpOp =
  | Exclude<CartOp, { type: 'cart.add' }>
  | (Extract<CartOp, { type: 'cart.add' }> & { menuVersion: number })

async function cartOverHttp(token: string, op: HttpOp): Promise<(s: TableSnapshot) => TableSnapshot> {
  const upsert = (line: CartLine) => (s: TableSnapshot) => {
    const i = s.cart.findIndex((l) => l.lineId === line.lineId)
    return { ...s, cart: i < 0 ? [...s.cart, line] : s.cart.map((l, j) => (j === i ? line : l)) }
  }
  const drop = (lineId: string) => (s: TableSnapshot) => ({
    ...s,
    cart: s.cart.filter((l) => l.lineId !== lineId),
  })
  if (op.type === 'cart.add')
    return upsert(
      await api<CartLine>('/api/v1/table/cart', {
        token,
        body: { menuVersion: op.menuVersion, line: op.line },
      }),
    )
  const path = `/api/v1/table/cart/${encodeURIComponent(op.lineId)}`
  if (op.type === 'cart.remove') {
    await api(path, { token, method: 'DELETE' })
    return drop(op.lineId)
  }
  const body = op.type === 'cart.qty' ? { qty: op.qty } : { note: op.note }
  const res = await api<CartLine | { removed: true }>(path, { token, method: 'PATCH', body })
  return 'removed' in res ? drop(op.lineId) : upsert(res)
}
