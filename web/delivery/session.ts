// What this device remembers between visits (localStorage): the customer token, the address in use, and
// the points of the customer's own addresses and orders. The server answers addresses masked and without
// their point, so the map of an order and the nearby list of a saved address use the copy kept here: the
// customer's own location on the customer's own phone. Never a phone number or a full address.
import type { LatLng } from '../../core/geo/coords'
import type { CustomerSession, Datum } from './api'

const SESSION_KEY = 'ec.customer.session'
const ADDRESS_KEY = 'ec.customer.address'
const POINTS_KEY = 'ec.customer.points'
/** Enough points for every saved address (20 at most) and the recent orders; older ones fall off. */
const MAX_POINTS = 60

function read<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key)
    return raw ? (JSON.parse(raw) as T) : null
  } catch {
    return null
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value === null) localStorage.removeItem(key)
    else localStorage.setItem(key, JSON.stringify(value))
  } catch {
    // Private mode or full storage: this visit still works; the next one starts over.
  }
}

export function savedSession(): CustomerSession | null {
  const s = read<CustomerSession>(SESSION_KEY)
  return s && typeof s.token === 'string' && s.expiresAt > Date.now() ? s : null
}

export function keepSession(s: CustomerSession | null): void {
  write(SESSION_KEY, s)
}

export function currentAddressId(): string | null {
  const id = read<string>(ADDRESS_KEY)
  return typeof id === 'string' ? id : null
}

export function rememberAddressId(id: string | null): void {
  write(ADDRESS_KEY, id)
}

/** A point as given (datum) and as the server keeps it (GCJ-02). */
export interface KeptPoint {
  lat: number
  lng: number
  datum: Datum
  gcj: LatLng
}

type Points = Record<string, KeptPoint & { at: number }>

/** The point of an address (`adr_…`) or of an order's door (`ord_…`). */
export function pointOf(id: string): KeptPoint | null {
  return read<Points>(POINTS_KEY)?.[id] ?? null
}

export function keepPoint(id: string, p: KeptPoint): void {
  const all = read<Points>(POINTS_KEY) ?? {}
  all[id] = { ...p, at: Date.now() }
  const newest = Object.entries(all)
    .sort((a, b) => b[1].at - a[1].at)
    .slice(0, MAX_POINTS)
  write(POINTS_KEY, Object.fromEntries(newest))
}

export function forgetPoint(id: string): void {
  const all = read<Points>(POINTS_KEY)
  if (!all || !(id in all)) return
  delete all[id]
  write(POINTS_KEY, all)
}
