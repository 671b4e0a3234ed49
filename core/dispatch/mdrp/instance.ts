// MDRP instance files (grubhub/mdrplib layout, see the data README) parsed from their texts. No file I/O:
// the caller reads the files, so this runs anywhere (tests, the bench, a Worker).

export interface MdrpParams {
  metresPerMinute: number
  pickupService: number
  dropoffService: number
  targetClickToDoor: number
  maxClickToDoor: number
  payPerOrder: number
  guaranteedPayPerHour: number
}

export interface MdrpOrder {
  id: string
  x: number
  y: number
  placedAt: number
  restaurantId: string
  readyAt: number
}

export interface MdrpRestaurant {
  id: string
  x: number
  y: number
}

export interface MdrpCourier {
  id: string
  x: number
  y: number
  onAt: number
  offAt: number
}

export interface MdrpInstance {
  name: string
  params: MdrpParams
  orders: MdrpOrder[]
  restaurants: Map<string, MdrpRestaurant>
  couriers: MdrpCourier[]
}

/** The texts of an instance's files, as read from its folder. */
export interface InstanceFiles {
  orders: string
  restaurants: string
  couriers: string
  parameters: string
}

export const INSTANCE_FILE_NAMES: Record<keyof InstanceFiles, string> = {
  orders: 'orders.txt',
  restaurants: 'restaurants.txt',
  couriers: 'couriers.txt',
  parameters: 'instance_parameters.txt',
}

/** Rows of a tab-separated table keyed by its header (headers may contain spaces, so tabs only). */
export function parseTable(text: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  const header = (lines[0] ?? '').split('\t').map((h) => h.trim())
  return lines.slice(1).map((line) => {
    const cells = line.split('\t')
    const row: Record<string, string> = {}
    header.forEach((h, i) => {
      row[h] = (cells[i] ?? '').trim()
    })
    return row
  })
}

function num(row: Record<string, string>, key: string, file: string): number {
  const v = Number(row[key])
  if (row[key] === undefined || row[key] === '' || !Number.isFinite(v)) {
    throw new Error(`${file}: column "${key}" missing or not a number in ${JSON.stringify(row)}`)
  }
  return v
}

function str(row: Record<string, string>, key: string, file: string): string {
  const v = row[key]
  if (!v) throw new Error(`${file}: column "${key}" missing in ${JSON.stringify(row)}`)
  return v
}

export function parseInstance(name: string, files: InstanceFiles): MdrpInstance {
  const p = parseTable(files.parameters)[0]
  if (!p) throw new Error('instance_parameters.txt: no row')
  const pf = 'instance_parameters.txt'
  const params: MdrpParams = {
    metresPerMinute: num(p, 'meters_per_minute', pf),
    pickupService: num(p, 'pickup service minutes', pf),
    dropoffService: num(p, 'dropoff service minutes', pf),
    targetClickToDoor: num(p, 'target click-to-door', pf),
    maxClickToDoor: num(p, 'maximum click-to-door', pf),
    payPerOrder: num(p, 'pay per order', pf),
    guaranteedPayPerHour: num(p, 'guaranteed pay per hour', pf),
  }
  const restaurants = new Map<string, MdrpRestaurant>()
  for (const r of parseTable(files.restaurants)) {
    const id = str(r, 'restaurant', 'restaurants.txt')
    restaurants.set(id, { id, x: num(r, 'x', 'restaurants.txt'), y: num(r, 'y', 'restaurants.txt') })
  }
  const orders = parseTable(files.orders).map((r): MdrpOrder => {
    const restaurantId = str(r, 'restaurant', 'orders.txt')
    if (!restaurants.has(restaurantId)) throw new Error(`orders.txt: unknown restaurant ${restaurantId}`)
    return {
      id: str(r, 'order', 'orders.txt'),
      x: num(r, 'x', 'orders.txt'),
      y: num(r, 'y', 'orders.txt'),
      placedAt: num(r, 'placement_time', 'orders.txt'),
      restaurantId,
      readyAt: num(r, 'ready_time', 'orders.txt'),
    }
  })
  const couriers = parseTable(files.couriers).map(
    (r): MdrpCourier => ({
      id: str(r, 'courier', 'couriers.txt'),
      x: num(r, 'x', 'couriers.txt'),
      y: num(r, 'y', 'couriers.txt'),
      onAt: num(r, 'on_time', 'couriers.txt'),
      offAt: num(r, 'off_time', 'couriers.txt'),
    }),
  )
  return { name, params, orders, restaurants, couriers }
}

/** Size, schedule, speed and prep class of an instance name like `0o100t75s1p125`. */
export function instanceClass(name: string): {
  seed: string
  size: string
  travel: string
  shifts: string
  prep: string
} | null {
  const m = /^(\d+)([or]\d+)(t\d+)(s\d+)(p\d+)$/.exec(name)
  if (!m) return null
  return { seed: m[1]!, size: m[2]!, travel: m[3]!, shifts: m[4]!, prep: m[5]! }
}
