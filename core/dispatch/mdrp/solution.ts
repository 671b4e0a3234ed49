// A solution of an MDRP instance and its three files, in the layout the instances' public evaluator
// (grubhub/mdrplib compute_performance_summary.py) reads: space separated, a header line, NA for the
// times and courier of an undelivered order, the moves of each courier contiguous and in time order,
// origin 0 for a courier's starting point.
import type { MdrpInstance } from './instance'

export interface SolutionAssignment {
  assignedAt: number
  pickupAt: number
  courierId: string
  /** In dropoff sequence. */
  orderIds: string[]
}

export interface SolutionOrder {
  orderId: string
  pickupAt: number | null
  dropoffAt: number | null
  courierId: string | null
}

export interface SolutionMove {
  courierId: string
  departAt: number
  /** Location id (order, restaurant) or `0` for the courier's starting point. */
  from: string
  to: string
}

export interface Solution {
  assignments: SolutionAssignment[]
  orders: SolutionOrder[]
  moves: SolutionMove[]
}

export interface SolutionFiles {
  assignments: string
  orders: string
  couriers: string
}

export const SOLUTION_FILE_NAMES: Record<keyof SolutionFiles, string> = {
  assignments: 'solution_info_assignments.txt',
  orders: 'solution_info_orders.txt',
  couriers: 'solution_info_couriers.txt',
}

/** Times are whole minutes in the simulator; anything else is written as is. */
const fmt = (t: number) => String(t)

export function writeSolutionFiles(instance: MdrpInstance, solution: Solution): SolutionFiles {
  const assignments = ['assignment_time pickup_time courier orders']
  for (const a of solution.assignments) {
    assignments.push([fmt(a.assignedAt), fmt(a.pickupAt), a.courierId, ...a.orderIds].join(' '))
  }
  const byOrder = new Map(solution.orders.map((o) => [o.orderId, o]))
  const orders = ['order placement_time restaurant x y ready_time pickup_time dropoff_time courier']
  for (const o of instance.orders) {
    const s = byOrder.get(o.id)
    const delivered = s && s.pickupAt !== null && s.dropoffAt !== null && s.courierId !== null
    orders.push(
      [
        o.id,
        fmt(o.placedAt),
        o.restaurantId,
        String(o.x),
        String(o.y),
        fmt(o.readyAt),
        delivered ? fmt(s.pickupAt!) : 'NA',
        delivered ? fmt(s.dropoffAt!) : 'NA',
        delivered ? s.courierId! : 'NA',
      ].join(' '),
    )
  }
  // Contiguous per courier (the evaluator groups consecutive lines), couriers in instance order.
  const byCourier = new Map<string, SolutionMove[]>()
  for (const m of solution.moves) {
    const list = byCourier.get(m.courierId)
    if (list) list.push(m)
    else byCourier.set(m.courierId, [m])
  }
  const couriers = ['courier departure_time origin destination']
  for (const c of instance.couriers) {
    const list = byCourier.get(c.id)
    if (!list) continue
    list.sort((a, b) => a.departAt - b.departAt)
    for (const m of list) couriers.push([c.id, fmt(m.departAt), m.from, m.to].join(' '))
  }
  return {
    assignments: `${assignments.join('\n')}\n`,
    orders: `${orders.join('\n')}\n`,
    couriers: `${couriers.join('\n')}\n`,
  }
}

function rows(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(1)
    .map((l) => l.split(/\s+/))
}

const parseTime = (s: string | undefined): number | null =>
  s === undefined || s === 'NA' || s === '' ? null : Number(s)

/** Read the three files back (what the feasibility check runs on, so the files themselves are checked). */
export function parseSolutionFiles(files: SolutionFiles): Solution {
  const assignments = rows(files.assignments).map(
    (r): SolutionAssignment => ({
      assignedAt: Number(r[0]),
      pickupAt: Number(r[1]),
      courierId: r[2] ?? '',
      orderIds: r.slice(3),
    }),
  )
  const orders = rows(files.orders).map(
    (r): SolutionOrder => ({
      orderId: r[0] ?? '',
      pickupAt: parseTime(r[6]),
      dropoffAt: parseTime(r[7]),
      courierId: r[8] === undefined || r[8] === 'NA' ? null : r[8],
    }),
  )
  const moves = rows(files.couriers).map(
    (r): SolutionMove => ({
      courierId: r[0] ?? '',
      departAt: Number(r[1]),
      from: r[2] ?? '',
      to: r[3] ?? '',
    }),
  )
  return { assignments, orders, moves }
}
