// The store's live board: socket with snapshot + deltas, new-order alerts, printer alarms, staff actions.

import { useEffect, useState } from 'preact/hooks'
import type { PrinterState } from '../../core/channels/store'
import type { Availability, Menu } from '../../core/menu'
import type { Order } from '../../core/order'
import type { OrderEvent } from '../../core/order-machine'
import type { PrinterConfig } from '../../core/tickets'
import { api } from '../shared/api'
import { beep } from '../shared/beep'
import { describeError } from '../shared/errors'
import type { StaffSession } from '../shared/staff-auth'
import { useStoreLive } from '../shared/store-live'
import { toast } from '../shared/toast'

// Why: long enough to catch the eye of someone across the kitchen, short enough not to become noise.
const FLASH_MS = 12_000

/** GET /print-jobs: one ticket sent (or waiting) for one printer. */
export interface JobSummary {
  id: string
  printerId: string
  orderId: string
  status: 'queued' | 'acked'
  kind: string
  reprint: boolean
  createdAt: number
  ackedAt?: number
}

/** GET /printers */
export interface PrintersInfo {
  printers: PrinterConfig[]
  states: PrinterState[]
  events: { printerId: string; status: PrinterState['status']; detail?: string; at: number }[]
}

export function useStore(session: StaffSession, onLogout: () => void) {
  const [flashing, setFlashing] = useState<ReadonlySet<string>>(new Set())
  /** Printers that raised an alarm nobody has acknowledged yet (latest state of each). */
  const [alarms, setAlarms] = useState<PrinterState[]>([])

  const unflash = (id: string) =>
    setFlashing((s) => {
      if (!s.has(id)) return s
      const next = new Set(s)
      next.delete(id)
      return next
    })

  const { live, view, call, patchOrder } = useStoreLive(session, onLogout, (msg) => {
    if (msg.type === 'order' && msg.alert) {
      beep()
      const id = msg.order.id
      setFlashing((s) => new Set(s).add(id))
      setTimeout(() => unflash(id), FLASH_MS)
    }
    if (msg.type === 'printer') {
      const p = msg.printer
      setAlarms((list) => {
        const has = list.some((x) => x.id === p.id)
        // A printer that is fine again stops alarming by itself; one still in trouble keeps its latest status.
        if (p.status === 'ok') return has ? list.filter((x) => x.id !== p.id) : list
        if (msg.alert || has) return [...list.filter((x) => x.id !== p.id), p]
        return list
      })
    }
  })

  const applyEvent = async (order: Order, event: OrderEvent, reason?: string): Promise<boolean> => {
    unflash(order.id)
    const res = await call<Order>(
      `/orders/${encodeURIComponent(order.id)}/events`,
      reason ? { event, reason } : { event },
    )
    if (res) patchOrder(res)
    return !!res
  }

  /** 退菜: take one dish of an unpaid order back; a paid order answers 409 (shown as a toast). */
  const voidLine = async (order: Order, lineNo: number, reason: string): Promise<boolean> => {
    unflash(order.id)
    const res = await call<Order>(`/orders/${encodeURIComponent(order.id)}/lines/${lineNo}/void`, { reason })
    if (res) patchOrder(res)
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

  const printJobs = (orderId: string) =>
    call<JobSummary[]>(`/print-jobs?orderId=${encodeURIComponent(orderId)}`)
  const reprint = (jobId: string) =>
    call<JobSummary>(`/print-jobs/${encodeURIComponent(jobId)}/reprint`, {}, '已重新打印')
  const printersInfo = () => call<PrintersInfo>('/printers')
  const newBridgeKey = () => call<{ key: string }>('/bridge-key', {})

  return {
    board: view.state,
    status: view.status,
    flashing,
    unflash,
    applyEvent,
    voidLine,
    tableAction,
    setSoldOut,
    alarms,
    ackAlarms: () => setAlarms([]),
    printJobs,
    reprint,
    printersInfo,
    newBridgeKey,
  }
}

export type StoreActions = ReturnType<typeof useStore>

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
