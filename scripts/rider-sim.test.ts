// The simulated riders' movement: streets, random walks, rides along the grid, and what a phone reports.
import { describe, expect, it } from 'vitest'
import type { RiderSnapshot, TaskView } from '../core/channels/rider'
import { haversineM, toGcj02 } from '../core/geo'
import {
  advance,
  BLOCK_M,
  CHENGDU,
  demoCenter,
  gridRoute,
  makeGrid,
  mulberry32,
  nearestNode,
  nextStop,
  nodePos,
  phoneFix,
  ROAM_M,
  walkStep,
} from './rider-sim'

const grid = makeGrid(CHENGDU)

describe('street grid', () => {
  it('places intersections a block apart and snaps points to the nearest one', () => {
    const a = nodePos(grid, { i: 0, j: 0 })
    const b = nodePos(grid, { i: 1, j: 0 })
    const c = nodePos(grid, { i: 0, j: 1 })
    expect(haversineM(a, CHENGDU)).toBeLessThan(0.01)
    expect(haversineM(a, b)).toBeCloseTo(BLOCK_M, 0)
    expect(haversineM(a, c)).toBeCloseTo(BLOCK_M, 0)
    const near = nodePos(grid, { i: 3, j: -2 })
    expect(nearestNode(grid, { lat: near.lat + 0.0003, lng: near.lng - 0.0003 })).toEqual({ i: 3, j: -2 })
  })

  it('walks to a neighbouring intersection, not straight back, and stays inside the roaming area', () => {
    const rng = mulberry32(7)
    let prev: { i: number; j: number } | null = null
    let at = { i: 0, j: 0 }
    const limit = ROAM_M / BLOCK_M
    for (let k = 0; k < 2_000; k++) {
      const next = walkStep(grid, at, prev, rng)
      expect(Math.abs(next.i - at.i) + Math.abs(next.j - at.j)).toBe(1)
      // Back only where the roaming circle's edge leaves no other way.
      const others = [
        { i: at.i + 1, j: at.j },
        { i: at.i - 1, j: at.j },
        { i: at.i, j: at.j + 1 },
        { i: at.i, j: at.j - 1 },
      ].filter((n) => Math.hypot(n.i, n.j) <= limit && !(prev && n.i === prev.i && n.j === prev.j))
      if (prev && others.length > 0) expect(next).not.toEqual(prev)
      expect(Math.hypot(next.i, next.j)).toBeLessThanOrEqual(limit)
      prev = at
      at = next
    }
  })

  it('turns back only at a dead end', () => {
    // A roaming area of one block: from the centre's neighbour the only way on is back.
    const tiny = makeGrid(CHENGDU, BLOCK_M, BLOCK_M)
    expect(walkStep(tiny, { i: 1, j: 0 }, { i: 0, j: 0 }, mulberry32(1))).toEqual({ i: 0, j: 0 })
  })

  it('is deterministic for a seed', () => {
    const walk = (seed: number) => {
      const rng = mulberry32(seed)
      const out = []
      let at = { i: 0, j: 0 }
      let prev = null
      for (let k = 0; k < 20; k++) {
        const n = walkStep(grid, at, prev, rng)
        prev = at
        at = n
        out.push(n)
      }
      return out
    }
    expect(walk(42)).toEqual(walk(42))
    expect(walk(42)).not.toEqual(walk(43))
  })
})

describe('rides along the streets', () => {
  it('goes from a point to a door along the grid: legs run north-south or east-west, and it ends at the door', () => {
    const from = nodePos(grid, { i: -4, j: 2 })
    const to = { lat: nodePos(grid, { i: 3, j: -3 }).lat + 0.0004, lng: nodePos(grid, { i: 3, j: -3 }).lng }
    for (const seed of [1, 2, 3, 4]) {
      const route = gridRoute(grid, from, to, mulberry32(seed))
      expect(route.at(-1)).toEqual(to)
      // Every leg before the last (onto the door) follows a street: one axis only.
      const pts = [from, ...route]
      for (let k = 1; k < pts.length - 1; k++) {
        const a = grid.toXY(pts[k - 1]!)
        const b = grid.toXY(pts[k]!)
        expect(Math.min(Math.abs(a.x - b.x), Math.abs(a.y - b.y))).toBeLessThan(0.5)
      }
      // Manhattan distance, not a detour: 7 + 5 blocks, plus the last ~45 m.
      const length = pts.slice(1).reduce((sum, p, k) => sum + haversineM(pts[k]!, p), 0)
      expect(length).toBeGreaterThan(12 * BLOCK_M)
      expect(length).toBeLessThan(12 * BLOCK_M + 100)
    }
  })

  it('goes straight to a door less than half a block away', () => {
    const from = nodePos(grid, { i: 1, j: 1 })
    const to = { lat: from.lat + 0.0005, lng: from.lng }
    expect(gridRoute(grid, from, to, mulberry32(1))).toEqual([to])
  })

  it('advances by the distance given, dropping waypoints it passes', () => {
    const a = nodePos(grid, { i: 0, j: 0 })
    const b = nodePos(grid, { i: 1, j: 0 })
    const c = nodePos(grid, { i: 1, j: 1 })
    const first = advance(a, [b, c], 100)
    expect(haversineM(a, first.pos)).toBeCloseTo(100, 0)
    expect(first.waypoints).toHaveLength(2)
    const second = advance(first.pos, first.waypoints, 200)
    expect(second.waypoints).toEqual([c])
    expect(haversineM(second.pos, c)).toBeCloseTo(2 * BLOCK_M - 300, 0)
    const done = advance(second.pos, second.waypoints, 10_000)
    expect(done.pos).toEqual(c)
    expect(done.waypoints).toEqual([])
    expect(done.travelledM).toBeCloseTo(2 * BLOCK_M - 300, 0)
  })

  it('covers a block in 31-50 s at e-bike speed (5-8 m/s)', () => {
    for (const mps of [5, 8]) {
      let pos = nodePos(grid, { i: 0, j: 0 })
      let wps = [nodePos(grid, { i: 1, j: 0 })]
      let s = 0
      while (wps.length) {
        ;({ pos, waypoints: wps } = advance(pos, wps, mps))
        s++
      }
      expect(s).toBe(Math.ceil(BLOCK_M / mps))
    }
  })
})

describe('what the phone reports', () => {
  it('reports WGS-84 within its accuracy of the true GCJ-02 position', () => {
    const rng = mulberry32(9)
    const p = nodePos(grid, { i: 2, j: 2 })
    for (let k = 0; k < 200; k++) {
      const fix = phoneFix(p, 1_000 + k, rng)
      expect(fix.accuracyM).toBeGreaterThanOrEqual(5)
      expect(fix.accuracyM).toBeLessThanOrEqual(15)
      expect(fix.at).toBe(1_000 + k)
      // Raw WGS-84 is hundreds of metres off in China; back in GCJ-02 it is within the accuracy.
      expect(haversineM(fix, p)).toBeGreaterThan(100)
      expect(haversineM(toGcj02(fix, 'WGS84'), p)).toBeLessThanOrEqual(fix.accuracyM / 3 + 0.5)
    }
  })
})

describe('where to ride next', () => {
  const task = (orderId: string, status: TaskView['status']): TaskView => ({
    orderId,
    storeId: '001',
    storeName: '蜀味小馆',
    pickup: CHENGDU,
    pickupNo: 'D001',
    items: 1,
    status,
    assignedAt: 0,
    readyAt: 0,
    etaPickupAt: 0,
    etaDropoffAt: 0,
    dropoffHint: '武侯区 玉林西路附近',
    ...(status === 'picked_up' ? { dropoff: nodePos(grid, { i: 2, j: 2 }) } : {}),
  })
  const snap = (tasks: TaskView[], route: RiderSnapshot['route']): RiderSnapshot => ({
    riderId: 'r',
    name: 'r',
    phone: '',
    capacity: 3,
    autoAccept: false,
    onDuty: true,
    load: tasks.length,
    tasks,
    route,
    offers: [],
    intervalMs: 15_000,
  })

  it("follows the server's route, skipping stops already done", () => {
    const s = snap(
      [task('a', 'picked_up'), task('b', 'assigned')],
      [
        { kind: 'pickup', orderId: 'a', at: 1 },
        { kind: 'pickup', orderId: 'b', at: 2 },
        { kind: 'dropoff', orderId: 'a', at: 3 },
      ],
    )
    expect(nextStop(s)).toMatchObject({ stop: { kind: 'pickup', orderId: 'b' } })
    expect(nextStop(snap([task('a', 'picked_up')], []))).toMatchObject({
      stop: { kind: 'dropoff', orderId: 'a' },
    })
    expect(nextStop(snap([], []))).toBeNull()
  })

  it('centres on the demo store when demo-data has a location', () => {
    const c = demoCenter()
    expect(haversineM(c, CHENGDU)).toBeLessThan(10_000)
  })
})
