// The rider's login and the token kept in localStorage (one rider per phone).
import { api } from '../shared/api'

export interface RiderSession {
  riderId: string
  name: string
  token: string
  expiresAt: number
}

const KEY = 'ec.rider'
const LAST = 'ec.rider.last'

export function savedSession(): RiderSession | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as RiderSession | null
    return s && typeof s.token === 'string' && s.expiresAt > Date.now() ? s : null
  } catch {
    return null
  }
}

/** `?rider=` first, then the last rider who logged in on this phone. */
export function lastRiderId(): string {
  const fromUrl = new URLSearchParams(location.search).get('rider')
  if (fromUrl) return fromUrl
  try {
    return localStorage.getItem(LAST) ?? ''
  } catch {
    return ''
  }
}

export async function login(riderId: string, password: string): Promise<RiderSession> {
  const res = await api<{ token: string; expiresAt: number; rider: { riderId: string; name: string } }>(
    `/api/v1/riders/${encodeURIComponent(riderId)}/login`,
    { body: { password } },
  )
  const s: RiderSession = {
    riderId: res.rider.riderId,
    name: res.rider.name,
    token: res.token,
    expiresAt: res.expiresAt,
  }
  try {
    localStorage.setItem(KEY, JSON.stringify(s))
    localStorage.setItem(LAST, riderId)
  } catch {
    // Storage unavailable: logged in for this page only.
  }
  return s
}

export function logout(): void {
  try {
    localStorage.removeItem(KEY)
  } catch {
    // nothing stored
  }
}
