// The diner's seat at a table: the code from the URL, the join call, and the token kept per code so a
// reload (or a second tab) rejoins as the same diner instead of appearing twice in the cart.
import type { PayMode } from '../../core/order'
import { ApiError, api } from '../shared/api'

export interface JoinResult {
  token: string
  diner: { id: string; name: string }
  storeId: string
  storeName: string
  tableKey: string
  label: string
  payMode: PayMode
  expiresAt: number
}

/** `/t/<13 digits>.<signature>`; the Worker checks the signature, we only check the shape. */
export function codeFromPath(pathname: string): string | null {
  const m = /^\/t\/([^/?#]+)\/?$/.exec(pathname)
  if (!m) return null
  const code = decodeURIComponent(m[1]!)
  return /^\d{13}\.\S+$/.test(code) ? code : null
}

const keyFor = (code: string) => `ec.diner.${code}`
const NAME_KEY = 'ec.diner.name'

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
    localStorage.setItem(key, JSON.stringify(value))
  } catch {
    // Private mode or full storage: the session still works, a reload just asks for the name again.
  }
}

export function savedJoin(code: string): JoinResult | null {
  const j = read<JoinResult>(keyFor(code))
  return j && typeof j.token === 'string' && j.expiresAt > Date.now() ? j : null
}

export function forgetJoin(code: string): void {
  try {
    localStorage.removeItem(keyFor(code))
  } catch {
    // nothing to forget
  }
}

export function defaultName(): string {
  const last = read<string>(NAME_KEY)
  if (typeof last === 'string' && last) return last
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(2)), (b) => b.toString(16).padStart(2, '0'))
  return `食客-${hex.join('').toUpperCase()}`
}

/** Join (or rejoin with the old token, which keeps the same diner id while it is valid). */
export async function join(code: string, name: string, oldToken?: string): Promise<JoinResult> {
  const path = `/api/v1/tables/${encodeURIComponent(code)}/join`
  let result: JoinResult
  try {
    result = await api<JoinResult>(path, { body: { name }, token: oldToken })
  } catch (e) {
    if (!oldToken || !(e instanceof ApiError) || e.status !== 401) throw e
    result = await api<JoinResult>(path, { body: { name } })
  }
  write(keyFor(code), result)
  write(NAME_KEY, result.diner.name)
  return result
}
