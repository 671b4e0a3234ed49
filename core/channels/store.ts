// The store channel: staff devices (merchant board, kitchen display) <-> StoreDO.
import { z } from 'zod'
import type { Order } from '../order'
import type { MoneyAlert } from '../payment-types'
import type { TableStatus } from '../store'

export const StoreClientMessage = z.discriminatedUnion('type', [z.object({ type: z.literal('resync') })])
export type StoreClientMessage = z.infer<typeof StoreClientMessage>

export interface TableMapEntry {
  tableKey: string
  areaNo: string
  areaName: string
  tableNo: string
  label: string
  seats: number
  status: TableStatus
  /** Open rounds not yet served, for the map's badge. */
  openOrders: number
  updatedAt: number
}

export interface StoreSnapshot {
  storeId: string
  name: string
  menuVersion: number
  /** Orders not in a terminal state, plus those finished in the last 12 hours. */
  orders: Order[]
  tables: TableMapEntry[]
  soldOut: string[]
  remaining: Record<string, number>
  /** Kitchen printers and their last known status. */
  printers: PrinterState[]
  /** Money waiting for a person: amounts that did not match, refunds that failed. */
  moneyAlerts: MoneyAlert[]
}

/** A printer as the console shows it (kept by StoreDO from bridge and cloud reports). */
export interface PrinterState {
  id: string
  name: string
  kind: 'lan' | 'feie'
  status: 'ok' | 'offline' | 'paper_out' | 'cover_open' | 'error' | 'unknown'
  detail?: string
  at: number
  queued: number
}

export type StoreServerMessage =
  | { type: 'snapshot'; seq: number; state: StoreSnapshot }
  /** `alert` is true for an order staff have not seen yet: the board plays a sound. */
  | { type: 'order'; seq: number; order: Order; alert: boolean }
  | { type: 'table'; seq: number; table: TableMapEntry }
  | { type: 'availability'; seq: number; soldOut: string[]; remaining: Record<string, number> }
  | { type: 'menu'; seq: number; menuVersion: number }
  /** `alert` is true when the printer needs a person (缺纸, cover open, offline): the console sounds an alarm. */
  | { type: 'printer'; seq: number; printer: PrinterState; alert: boolean }
  /** The money alerts changed; `alert` is the new one, if any (the board sounds it). */
  | { type: 'money'; seq: number; alerts: MoneyAlert[]; alert: MoneyAlert | null }
  | { type: 'error'; code: string; message: string }

export function applyStoreMessage(
  state: StoreSnapshot | null,
  lastSeq: number,
  msg: StoreServerMessage,
): { state: StoreSnapshot | null; seq: number } | 'gap' {
  if (msg.type === 'error') return { state, seq: lastSeq }
  if (msg.type === 'snapshot') return { state: msg.state, seq: msg.seq }
  if (!state || msg.seq !== lastSeq + 1) return msg.seq <= lastSeq ? { state, seq: lastSeq } : 'gap'
  const s: StoreSnapshot = { ...state }
  switch (msg.type) {
    case 'order': {
      const i = s.orders.findIndex((o) => o.id === msg.order.id)
      s.orders = i < 0 ? [...s.orders, msg.order] : s.orders.map((o, j) => (j === i ? msg.order : o))
      break
    }
    case 'table': {
      const i = s.tables.findIndex((t) => t.tableKey === msg.table.tableKey)
      s.tables = i < 0 ? [...s.tables, msg.table] : s.tables.map((t, j) => (j === i ? msg.table : t))
      break
    }
    case 'availability':
      s.soldOut = msg.soldOut
      s.remaining = msg.remaining
      break
    case 'menu':
      s.menuVersion = msg.menuVersion
      break
    case 'printer': {
      const i = s.printers.findIndex((p) => p.id === msg.printer.id)
      s.printers =
        i < 0 ? [...s.printers, msg.printer] : s.printers.map((p, j) => (j === i ? msg.printer : p))
      break
    }
    case 'money':
      s.moneyAlerts = msg.alerts
      break
  }
  return { state: s, seq: msg.seq }
}
