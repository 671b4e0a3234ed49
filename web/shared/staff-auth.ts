// Staff login and the token kept in localStorage (one store per device and app at a time). The merchant
// board and the kitchen display keep separate sessions, so a counter PC can run both as different staff.
import type { StaffRole } from '../../core/store'
import { api } from './api'

export interface StaffSession {
  storeId: string
  token: string
  staff: { username: string; displayName: string; role: StaffRole }
  expiresAt: number
}

export type StaffApp = 'merchant' | 'kds'

// The merchant keys predate the kitchen display; they stay as they were so nobody is logged out.
const KEYS: Record<StaffApp, { session: string; last: string }> = {
  merchant: { session: 'ec.staff', last: 'ec.staff.last' },
  kds: { session: 'ec.kds', last: 'ec.kds.last' },
}

export function savedSession(app: StaffApp): StaffSession | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEYS[app].session) ?? 'null') as StaffSession | null
    return s && typeof s.token === 'string' && s.expiresAt > Date.now() ? s : null
  } catch {
    return null
  }
}

function readLast(key: string): { storeId?: string; username?: string } | null {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null') as { storeId?: string; username?: string } | null
  } catch {
    return null
  }
}

/** What to prefill: `?store=` first, then this app's last login, then the other app's store. */
export function lastLogin(app: StaffApp): { storeId: string; username: string } {
  const v = readLast(KEYS[app].last)
  const other = readLast(KEYS[app === 'kds' ? 'merchant' : 'kds'].last)
  const fromUrl = new URLSearchParams(location.search).get('store') ?? ''
  return { storeId: fromUrl || v?.storeId || other?.storeId || '', username: v?.username ?? '' }
}

export async function login(
  app: StaffApp,
  storeId: string,
  username: string,
  password: string,
): Promise<StaffSession> {
  const res = await api<Omit<StaffSession, 'storeId'>>(`/api/v1/stores/${storeId}/login`, {
    body: { username, password },
  })
  const session: StaffSession = { storeId, ...res }
  try {
    localStorage.setItem(KEYS[app].session, JSON.stringify(session))
    localStorage.setItem(KEYS[app].last, JSON.stringify({ storeId, username }))
  } catch {
    // Storage unavailable: logged in for this page only.
  }
  return session
}

export function logout(app: StaffApp): void {
  try {
    localStorage.removeItem(KEYS[app].session)
  } catch {
    // nothing stored
  }
}
