// What the kitchen display shows, as pure functions of the store's orders: which orders are tickets for a
// station, the state of each line, and how late it is running.
import type { Station } from '../../core/menu'
import type { Order } from '../../core/order'
import type { OrderState } from '../../core/order-machine'
import type { PricedLine } from '../../core/pricing'

export type StationFilter = Station | 'all'
export type LineKds = 'new' | 'started' | 'done'
/** Time against the line's prepMinutes: fine, past 80 %, past 100 %. */
export type Tone = 'ok' | 'warn' | 'late'

export const STATION_FILTERS: readonly StationFilter[] = ['all', 'hot', 'cold', 'bar', 'pass']

/** States the kitchen works on; the server refuses line actions outside them. */
export const COOKING_STATES: readonly OrderState[] = ['ACCEPTED', 'QUEUED', 'COOKING']
export const WARN_RATIO = 0.8
// Why: long enough for a runner to see a finished ticket and call it out, short enough that the
// 待取餐 column does not fill up with what has already gone to the table.
export const READY_SHOW_MS = 5 * 60_000

export function stationLines(o: Order, station: StationFilter): PricedLine[] {
  // A line taken back (退菜) is off the kitchen's screen.
  const live = o.lines.filter((l) => !l.voided)
  return station === 'all' ? live : live.filter((l) => l.station === station)
}

export function lineKds(o: Order, lineNo: number): LineKds {
  const k = o.kds?.[lineNo]
  return k?.doneAt ? 'done' : k?.startedAt ? 'started' : 'new'
}

/** When the order was accepted: from its event log once loaded, else the best guess from the order. */
export function guessAcceptedAt(o: Order): number {
  // Accepting (and the automatic queue right after) is the last change of an order nobody has touched since.
  const untouched = (o.state === 'ACCEPTED' || o.state === 'QUEUED') && !Object.keys(o.kds ?? {}).length
  return untouched ? o.updatedAt : o.createdAt
}

/** The clock a line runs on: since it was started, or since the order was accepted if not yet. */
export function lineClockStart(o: Order, lineNo: number, acceptedAt: number): number {
  return o.kds?.[lineNo]?.startedAt ?? acceptedAt
}

export function toneFor(elapsedMs: number, prepMinutes: number): Tone {
  // A dish with no prep time set (0) has no target to be late against.
  if (!(prepMinutes > 0)) return 'ok'
  const r = elapsedMs / (prepMinutes * 60_000)
  return r > 1 ? 'late' : r >= WARN_RATIO ? 'warn' : 'ok'
}

export function worst(tones: Tone[]): Tone {
  return tones.includes('late') ? 'late' : tones.includes('warn') ? 'warn' : 'ok'
}

/** "4:07", "72:15": minutes and seconds, never negative (clock skew). */
export function mmss(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}

/** When this station finished the order: its last bump, or when the order was marked ready. */
export function doneAt(o: Order, station: StationFilter): number | null {
  const lines = stationLines(o, station)
  const times = lines.map((l) => o.kds?.[l.lineNo]?.doneAt)
  if (lines.length && times.every((t) => t !== undefined)) return Math.max(...(times as number[]))
  return o.state === 'READY' ? o.updatedAt : null
}

export interface Tickets {
  /** Still to do at this station, oldest accepted first. */
  cooking: Order[]
  /** Done at this station (or ready) in the last few minutes, newest first: the 待取餐/出餐 column. */
  ready: Order[]
  /** Per station: tickets with at least one line of that station still to do. */
  counts: Record<StationFilter, number>
}

export function tickets(
  orders: Order[],
  station: StationFilter,
  acceptedAt: (o: Order) => number,
  now: number,
): Tickets {
  const counts = Object.fromEntries(STATION_FILTERS.map((s) => [s, 0])) as Record<StationFilter, number>
  const cooking: Order[] = []
  const ready: { o: Order; at: number }[] = []
  for (const o of orders) {
    const working = COOKING_STATES.includes(o.state)
    if (!working && o.state !== 'READY') continue
    if (working)
      for (const s of STATION_FILTERS)
        if (stationLines(o, s).some((l) => lineKds(o, l.lineNo) !== 'done')) counts[s]++
    if (!stationLines(o, station).length) continue
    const done = doneAt(o, station)
    if (done === null) cooking.push(o)
    else if (now - done < READY_SHOW_MS) ready.push({ o, at: done })
  }
  cooking.sort((a, b) => acceptedAt(a) - acceptedAt(b) || a.createdAt - b.createdAt)
  ready.sort((a, b) => b.at - a.at)
  return { cooking, ready: ready.map((r) => r.o), counts }
}
