// Staff login and the token kept in localStorage (one store per device at a time).
import type { StaffRole } from '../../core/store'
import { api } from '../shared/api'

export interface StaffSession {
  storeId: string
  token: string
  staff: { username: string; displayName: string; role: StaffRole }
  expiresAt: number
}

const KEY = 'ec.staff'
const LAST_KEY = 'ec.staff.last'

export function savedSession(): StaffSession | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as StaffSession | null
    return s && typeof s.token === 'string' && s.expiresAt > Date.now() ? s : null
  } catch {
    return null
  }
}

export function lastLogin(): { storeId: string; username: string } {
  try {
    const v = JSON.parse(localStorage.getItem(LAST_KEY) ?? 'null') as {
      storeId?: string
      username?: string
    } | null
    const fromUrl = new URLSearchParams(location.search).get('store') ?? ''
    return { storeId: fromUrl || v?.storeId || '', username: v?.username ?? '' }
  } catch {
    return { storeId: '', username: '' }
  }
}

export async function login(storeId: string, username: string, password: string): Promise<StaffSession> {
  const res = await api<Omit<StaffSession, 'storeId'>>(`/api/v1/stores/${storeId}/login`, {
    body: { username, password },
  })
  const session: StaffSession = { storeId, ...res }
  try {
    localStorage.setItem(KEY, JSON.stringify(session))
    localStorage.setItem(LAST_KEY, JSON.stringify({ storeId, username }))
  } catch {
    // Storage unavailable: logged in for this page only.
  }
  return session
}

export function logout(): void {
  try {
    localStorage.removeItem(KEY)
  } catch {
    // nothing stored
  }
}
