// What goes on paper: kitchen tickets per station, receipts, voids (退菜), add-on rounds (加菜).
// Routing is pure: an order and the store's printers in, print jobs out. Delivery (queue, retry, backup
// printer, dedup by job id) belongs to whoever sends the jobs; this module only decides what and where.
import { z } from 'zod'
import { STATIONS, type Station } from './menu'
import type { Fen } from './money'
import type { Order } from './order'
import type { OrderMode } from './order-machine'
import type { PricedLine } from './pricing'

const printerId = z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lowercase letters, digits, _ and -, at most 32')

export const PrinterConfigSchema = z.object({
  id: printerId,
  name: z.string().min(1).max(30),
  /** Stations this printer prints kitchen tickets for; empty for a receipt-only printer. */
  stations: z.array(z.enum(STATIONS)).max(STATIONS.length).default([]),
  receipts: z.boolean().default(false),
  copies: z.number().int().min(1).max(5).default(1),
  /** Paper width in mm: 58 mm prints 32 columns, 80 mm prints 48 (Font A). */
  width: z.union([z.literal(58), z.literal(80)]).default(80),
  /** Beep (ESC B) on kitchen tickets so a cook hears a new order over the hood fans. */
  buzzer: z.boolean().default(false),
  /** Printer that takes this one's jobs while it is offline or out of paper (used by the sender). */
  backupId: printerId.optional(),
  transport: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('lan'),
      /** Address the in-store bridge dials, e.g. tcp://192.168.1.50:9100. */
      address: z.string().regex(/^tcp:\/\/[A-Za-z0-9.-]{1,253}:\d{1,5}$/, 'tcp://host:port'),
    }),
    z.object({
      kind: z.literal('feie'),
      sn: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'printer serial number'),
    }),
  ]),
})
export type PrinterConfig = z.infer<typeof PrinterConfigSchema>

export type TicketKind = 'kitchen' | 'receipt' | 'void'

export interface TicketLine {
  name: string
  skuName: string
  optionNames: string[]
  qty: number
  note: string
  allergens: string[]
  station: Station
  lineTotalFen: Fen
}

export interface Ticket {
  kind: TicketKind
  storeName: string
  orderId: string
  pickupNo: string
  mode: OrderMode
  tableLabel?: string
  roundNo?: number
  /** roundNo > 1: 加菜. Each round is its own order, so an add-on ticket holds only the new lines. */
  addOn: boolean
  /** Kitchen and void tickets: the station the ticket is for. */
  station?: Station
  lines: TicketLine[]
  /** The order's note (整单备注). */
  note: string
  orderedAt: number
  /** Void tickets: why the dishes were cancelled. */
  reason?: string
  /** Printed again on request: marked (重打) so the kitchen does not cook it twice. */
  reprint: boolean
  /** Receipts: what the diner pays, how it was reached, and a QR code of the order id. */
  totalFen?: Fen
  steps?: { label: string; amountFen: Fen }[]
  qr?: string
}

export interface PrintJob {
  id: string
  printerId: string
  copies: number
  ticket: Ticket
  createdAt: number
}

export interface JobOptions {
  now: number
  newId: () => string
  reprint?: boolean
}

export interface VoidOptions extends JobOptions {
  reason: string
  /** lineNos to void; every line when absent. Unknown lineNos are ignored. */
  lines?: number[]
}

/** One kitchen ticket per printer, holding every line of the order routed to that printer. */
export function kitchenJobs(
  order: Order,
  storeName: string,
  printers: PrinterConfig[],
  opts: JobOptions,
): PrintJob[] {
  return stationJobs('kitchen', order.lines, order, storeName, printers, opts)
}

/** A void (退菜) ticket to every printer that printed the voided lines. */
export function voidJobs(
  order: Order,
  storeName: string,
  printers: PrinterConfig[],
  opts: VoidOptions,
): PrintJob[] {
  const wanted = opts.lines ? new Set(opts.lines) : undefined
  const lines = wanted ? order.lines.filter((l) => wanted.has(l.lineNo)) : order.lines
  return stationJobs('void', lines, order, storeName, printers, opts, opts.reason)
}

/** The customer's receipt, on every printer that prints receipts. */
export function receiptJobs(
  order: Order,
  storeName: string,
  printers: PrinterConfig[],
  opts: JobOptions,
): PrintJob[] {
  return uniqueById(printers)
    .filter((p) => p.receipts)
    .map((p) => {
      const ticket: Ticket = {
        ...header('receipt', order, storeName, opts),
        lines: order.lines.map(toTicketLine),
        totalFen: order.totalFen,
        steps: order.price.steps.map((s) => ({ label: s.label, amountFen: s.amountFen })),
        qr: order.id,
      }
      return job(p, ticket, opts)
    })
}

/**
 * Which printer(s) each line goes to: every printer covering the line's station; a station no printer covers
 * goes to the first receipt printer, else the first printer, so a dish is never silently dropped.
 */
function routeLines(
  lines: readonly PricedLine[],
  printers: readonly PrinterConfig[],
): Map<string, PricedLine[]> {
  const ps = uniqueById(printers)
  const out = new Map<string, PricedLine[]>()
  if (ps.length === 0) return out
  const fallback = ps.find((p) => p.receipts) ?? ps[0]!
  for (const line of lines) {
    const covering = ps.filter((p) => p.stations.includes(line.station))
    for (const p of covering.length > 0 ? covering : [fallback]) {
      const list = out.get(p.id)
      if (list) list.push(line)
      else out.set(p.id, [line])
    }
  }
  return out
}

function stationJobs(
  kind: 'kitchen' | 'void',
  lines: readonly PricedLine[],
  order: Order,
  storeName: string,
  printers: PrinterConfig[],
  opts: JobOptions,
  reason?: string,
): PrintJob[] {
  const routed = routeLines(lines, printers)
  const jobs: PrintJob[] = []
  // Printer order, not line order, so job order is stable whatever the order's line order.
  for (const p of uniqueById(printers)) {
    const mine = routed.get(p.id)
    if (!mine) continue
    const stations = new Set(mine.map((l) => l.station))
    const station = p.stations.find((s) => stations.has(s)) ?? mine[0]!.station
    const ticket: Ticket = { ...header(kind, order, storeName, opts), station, lines: mine.map(toTicketLine) }
    if (reason !== undefined) ticket.reason = reason
    jobs.push(job(p, ticket, opts))
  }
  return jobs
}

function header(kind: TicketKind, order: Order, storeName: string, opts: JobOptions): Ticket {
  const t: Ticket = {
    kind,
    storeName,
    orderId: order.id,
    pickupNo: order.pickupNo,
    mode: order.mode,
    addOn: (order.roundNo ?? 1) > 1,
    lines: [],
    note: order.note,
    orderedAt: order.createdAt,
    reprint: opts.reprint ?? false,
  }
  if (order.tableLabel !== undefined) t.tableLabel = order.tableLabel
  if (order.roundNo !== undefined) t.roundNo = order.roundNo
  return t
}

function toTicketLine(l: PricedLine): TicketLine {
  return {
    name: l.name,
    skuName: l.skuName,
    optionNames: [...l.optionNames],
    qty: l.qty,
    note: l.note,
    allergens: [...l.allergens],
    station: l.station,
    // List price: the receipt's price steps (会员价, discounts, 满减 …) follow and take the reductions off,
    // so lines + steps add up to the total. The discounted line total would count them twice.
    lineTotalFen: l.unitPriceFen * l.qty,
  }
}

function job(p: PrinterConfig, ticket: Ticket, opts: JobOptions): PrintJob {
  return { id: opts.newId(), printerId: p.id, copies: p.copies, ticket, createdAt: opts.now }
}

/** A printer listed twice (a config mistake) still gets each line once. */
function uniqueById(printers: readonly PrinterConfig[]): PrinterConfig[] {
  const seen = new Set<string>()
  return printers.filter((p) => !seen.has(p.id) && Boolean(seen.add(p.id)))
}
