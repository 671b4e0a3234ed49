// The table channel: diners at one table <-> TableDO. Discriminated unions, validated on receipt.
// Server messages carry a per-channel `seq`; a client that sees a gap asks for a snapshot.
import { z } from 'zod'
import { LineRequestSchema, type ResolvedLine } from '../menu'
import type { Fen } from '../money'
import type { PayMode } from '../order'
import type { OrderState } from '../order-machine'
import type { TableStatus } from '../store'

export const TableClientMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('cart.add'),
    opId: z.string().max(64).optional(),
    menuVersion: z.number().int(),
    line: LineRequestSchema,
  }),
  z.object({
    type: z.literal('cart.qty'),
    opId: z.string().max(64).optional(),
    lineId: z.string().max(64),
    qty: z.number().int().min(0).max(99),
  }),
  z.object({
    type: z.literal('cart.note'),
    opId: z.string().max(64).optional(),
    lineId: z.string().max(64),
    note: z.string().max(100),
  }),
  z.object({
    type: z.literal('cart.remove'),
    opId: z.string().max(64).optional(),
    lineId: z.string().max(64),
  }),
  z.object({ type: z.literal('resync') }),
])
export type TableClientMessage = z.infer<typeof TableClientMessage>

/** A cart line: what was chosen (as resolved against the menu) and who chose it. */
export interface CartLine
  extends Pick<
    ResolvedLine,
    'itemId' | 'skuId' | 'optionIds' | 'qty' | 'note' | 'name' | 'skuName' | 'optionNames' | 'unitPriceFen'
  > {
  lineId: string
  dinerId: string
  dinerName: string
  addedAt: number
}

export interface RoundSummary {
  roundNo: number
  orderId: string
  pickupNo: string
  state: OrderState
  paid: boolean
  totalFen: Fen
  dinerId: string
  lines: {
    name: string
    skuName: string
    optionNames: string[]
    qty: number
    note: string
    dinerName: string
  }[]
  placedAt: number
}

export interface Diner {
  id: string
  name: string
}

export interface TableSnapshot {
  storeId: string
  tableKey: string
  label: string
  status: TableStatus
  sessionId: string
  payMode: PayMode
  menuVersion: number
  diners: Diner[]
  cart: CartLine[]
  rounds: RoundSummary[]
  soldOut: string[]
}

export type TableServerMessage =
  | { type: 'snapshot'; seq: number; state: TableSnapshot }
  | { type: 'cart.line'; seq: number; line: CartLine; opId?: string }
  | { type: 'cart.removed'; seq: number; lineIds: string[]; opId?: string }
  | { type: 'round'; seq: number; round: RoundSummary }
  | { type: 'status'; seq: number; status: TableStatus; sessionId: string }
  | { type: 'diners'; seq: number; diners: Diner[] }
  | { type: 'sold_out'; seq: number; soldOut: string[] }
  | { type: 'menu'; seq: number; menuVersion: number }
  | { type: 'error'; code: string; message: string; opId?: string }

/** The one order of cart lines, on the server and on every phone: when added, then by id. */
export function cartOrder(a: CartLine, b: CartLine): number {
  return a.addedAt - b.addedAt || (a.lineId < b.lineId ? -1 : a.lineId > b.lineId ? 1 : 0)
}

/**
 * Apply a server message to a client's copy of the table. Returns 'gap' when a message was missed
 * (the client then sends `resync`). Pure: the web app and the tests share it.
 */
export function applyTableMessage(
  state: TableSnapshot | null,
  lastSeq: number,
  msg: TableServerMessage,
): { state: TableSnapshot | null; seq: number } | 'gap' {
  if (msg.type === 'error') return { state, seq: lastSeq }
  if (msg.type === 'snapshot') return { state: msg.state, seq: msg.seq }
  if (!state || msg.seq !== lastSeq + 1) return msg.seq <= lastSeq ? { state, seq: lastSeq } : 'gap'
  const s: TableSnapshot = { ...state }
  switch (msg.type) {
    case 'cart.line': {
      const i = s.cart.findIndex((l) => l.lineId === msg.line.lineId)
      s.cart = i < 0 ? [...s.cart, msg.line].sort(cartOrder) : s.cart.map((l, j) => (j === i ? msg.line : l))
      break
    }
    case 'cart.removed':
      s.cart = s.cart.filter((l) => !msg.lineIds.includes(l.lineId))
      break
    case 'round': {
      const i = s.rounds.findIndex((r) => r.roundNo === msg.round.roundNo)
      s.rounds = i < 0 ? [...s.rounds, msg.round] : s.rounds.map((r, j) => (j === i ? msg.round : r))
      break
    }
    case 'status':
      s.status = msg.status
      s.sessionId = msg.sessionId
      break
    case 'diners':
      s.diners = msg.diners
      break
    case 'sold_out':
      s.soldOut = msg.soldOut
      break
    case 'menu':
      s.menuVersion = msg.menuVersion
      break
  }
  return { state: s, seq: msg.seq }
}
