// Helpers for the rider suites: riders through the real API, jobs handed to cells as a store would, and
// positions in both datums (the app reports WGS-84; everything inside is GCJ-02).
import { env } from 'cloudflare:test'
import type { DeliveryJob } from '../../core/delivery'
import { cellOf, fromGcj02, type LatLng } from '../../core/geo'
import { api } from './client'
import { ADMIN } from './fixtures'

export const PASSWORD = 'fixture-rider-pass-1'

/** Places far apart (0.3° of latitude, ~33 km), so each test has its own cells and no shared neighbours. */
export function place(i: number): LatLng {
  return { lat: 22.5 + i * 0.3, lng: 114.05 }
}

/** A point `northM` metres north and `eastM` east of p (small offsets). */
export function offset(p: LatLng, northM: number, eastM = 0): LatLng {
  return {
    lat: p.lat + northM / 111_195,
    lng: p.lng + eastM / (111_195 * Math.cos((p.lat * Math.PI) / 180)),
  }
}

export const wgs = (p: LatLng): LatLng => fromGcj02(p, 'WGS84')

export async function createRider(
  riderId: string,
  opts: { capacity?: number; autoAccept?: boolean; name?: string; phone?: string } = {},
): Promise<string> {
  const r = await api('PUT', `/api/v1/admin/riders/${riderId}`, {
    token: ADMIN,
    body: {
      name: opts.name ?? '张三',
      phone: opts.phone ?? '13812345678',
      password: PASSWORD,
      capacity: opts.capacity ?? 3,
      ...(opts.autoAccept !== undefined ? { autoAccept: opts.autoAccept } : {}),
    },
  })
  if (r.status !== 201 && r.status !== 200)
    throw new Error(`rider setup: ${r.status} ${JSON.stringify(r.json)}`)
  const login = await api('POST', `/api/v1/riders/${riderId}/login`, { body: { password: PASSWORD } })
  if (login.status !== 200) throw new Error(`rider login: ${login.status} ${JSON.stringify(login.json)}`)
  return login.json.token
}

/** On duty at p (GCJ-02 inside; sent as the app would: WGS-84). */
export async function onDuty(token: string, p: LatLng) {
  const r = await api('POST', '/api/v1/rider/duty', { token, body: { onDuty: true, ...wgs(p) } })
  if (r.status !== 200) throw new Error(`duty: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json as { onDuty: boolean; cell: string }
}

let n = 0
export function job(
  storeAt: LatLng,
  over: Partial<DeliveryJob> & { customerPhone?: string } = {},
): DeliveryJob {
  const now = Date.now()
  n++
  return {
    orderId: `ord_test${String(n).padStart(4, '0')}`,
    storeId: 'st1',
    storeName: '测试小馆',
    pickup: storeAt,
    dropoff: offset(storeAt, 1500, 300),
    dropoffHint: '南山区 科技园附近',
    placedAt: now - 60_000,
    readyAt: now,
    pickupNo: `D${String(n).padStart(3, '0')}`,
    items: 2,
    ...over,
  }
}

/** A cell with the batch alarm pushed far out: tests run batches themselves. */
export async function quietCell(
  p: LatLng,
  settings: { mode?: 'offer' | 'grab'; offerTimeoutMs?: number } = {},
) {
  const cell = cellOf(p)
  const stub = env.GEOCELL.getByName(cell)
  await stub.configure({ batchIntervalMs: 120_000, ...settings })
  return { cell, stub }
}
