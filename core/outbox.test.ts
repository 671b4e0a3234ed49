import { describe, expect, it } from 'vitest'
import {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  backoffMs,
  drainOutbox,
  ISOLATE_AFTER_ATTEMPTS,
  memoryOutbox,
  type OutboxRow,
} from './outbox'

const T0 = 1_750_000_000_000

function setup(count: number, write: (rows: OutboxRow[]) => Promise<void>) {
  let t = T0
  const box = memoryOutbox(() => t)
  for (let i = 0; i < count; i++) box.add(row(i))
  const calls: string[][] = []
  const deps = {
    ...box,
    write: (rows: OutboxRow[]) => {
      calls.push(rows.map((r) => r.id))
      return write(rows)
    },
  }
  return { box, deps, calls, tick: (ms: number) => (t += ms), now: () => t }
}

function row(i: number): OutboxRow {
  const id = `evt_${String(i).padStart(4, '0')}`
  return { id, kind: 'order.event', storeId: 'st_1', createdAt: T0, attempts: 0, payload: `{"n":${i}}` }
}

const ok = async () => {}
const down = async () => {
  throw new Error('connect ECONNREFUSED 127.0.0.1:5432')
}
const noJitter = { random: () => 0 }

describe('drainOutbox', () => {
  it('writes due rows in id order and removes them only then', async () => {
    const { box, deps, calls } = setup(3, ok)
    const result = await drainOutbox(deps, noJitter)
    expect(result).toEqual({ written: 3, failed: 0, nextAlarmAt: null })
    expect(calls).toEqual([['evt_0000', 'evt_0001', 'evt_0002']])
    expect(box.rows.size).toBe(0)
  })

  it('does nothing on an empty outbox', async () => {
    const { deps, calls } = setup(0, ok)
    expect(await drainOutbox(deps)).toEqual({ written: 0, failed: 0, nextAlarmAt: null })
    expect(calls).toEqual([])
  })

  it('keeps every row of a failed write, unchanged but for attempts', async () => {
    const { box, deps } = setup(5, down)
    const before = [...box.rows.values()].map((e) => e.row)
    const result = await drainOutbox(deps, noJitter)
    expect(result.written).toBe(0)
    expect(result.failed).toBe(5)
    const after = [...box.rows.values()]
    expect(after.map((e) => e.row)).toEqual(before.map((r) => ({ ...r, attempts: 1 })))
    expect(after.every((e) => e.error === 'Error: connect ECONNREFUSED 127.0.0.1:5432')).toBe(true)
  })

  it('keeps rows when the write throws synchronously or never settles', async () => {
    const sync = setup(2, () => {
      throw new TypeError('bad driver')
    })
    expect((await drainOutbox(sync.deps, noJitter)).failed).toBe(2)
    expect(sync.box.rows.size).toBe(2)

    const hang = setup(2, () => new Promise<void>(() => {}))
    const result = await drainOutbox(hang.deps, { ...noJitter, writeTimeoutMs: 20 })
    expect(result.failed).toBe(2)
    expect(hang.box.rows.size).toBe(2)
    expect([...hang.box.rows.values()][0]!.error).toMatch(/timed out after 20 ms/)
  })

  it('backs off exponentially from 2 s up to 5 min, and retries when due', async () => {
    let failing = true
    const { box, deps, calls, tick, now } = setup(1, () => (failing ? down() : ok()))
    const waits: number[] = []
    for (let i = 0; i < 10; i++) {
      const { nextAlarmAt } = await drainOutbox(deps, noJitter)
      waits.push(nextAlarmAt! - now())
      // Not due yet: a drain in between (a poke by a new row elsewhere) leaves it alone.
      expect((await drainOutbox(deps, noJitter)).failed).toBe(0)
      tick(nextAlarmAt! - now())
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000])
    expect(calls).toHaveLength(10)
    failing = false
    expect(await drainOutbox(deps, noJitter)).toEqual({ written: 1, failed: 0, nextAlarmAt: null })
    expect(box.rows.size).toBe(0)
  })

  it('jitters a backoff by at most 20%, always earlier', () => {
    expect(backoffMs(1, () => 0)).toBe(BACKOFF_BASE_MS)
    expect(backoffMs(1, () => 0.999_999)).toBe(1_600)
    expect(backoffMs(50, () => 0)).toBe(BACKOFF_MAX_MS)
    for (let i = 0; i < 100; i++) {
      const ms = backoffMs(3)
      expect(ms).toBeGreaterThan(8_000 * 0.8 - 1)
      expect(ms).toBeLessThanOrEqual(8_000)
    }
  })

  it('drains a backlog in batches and comes back at once for the rest', async () => {
    const { box, deps, calls, now } = setup(250, ok)
    const first = await drainOutbox(deps, { batchSize: 100, maxBatches: 2 })
    expect(first).toEqual({ written: 200, failed: 0, nextAlarmAt: now() })
    expect(calls.map((c) => c.length)).toEqual([100, 100])
    const second = await drainOutbox(deps, { batchSize: 100, maxBatches: 2 })
    expect(second).toEqual({ written: 50, failed: 0, nextAlarmAt: null })
    expect(calls.map((c) => c.length)).toEqual([100, 100, 50])
    expect(box.rows.size).toBe(0)
  })

  it('stops at the first failed batch and keeps the rows already written out', async () => {
    let n = 0
    const { box, deps, calls, now } = setup(250, () => (n++ === 1 ? down() : ok()))
    const result = await drainOutbox(deps, { ...noJitter, batchSize: 100 })
    expect(result).toEqual({ written: 100, failed: 100, nextAlarmAt: now() + 2_000 })
    expect(calls.map((c) => c.length)).toEqual([100, 100])
    // The failed batch and the 50 never tried all remain; the alarm waits out the backoff for all of them.
    expect(box.rows.size).toBe(150)
    expect(box.take(1000, now())).toHaveLength(50)
    expect(box.take(1000, now() + 2_000)).toHaveLength(150)
  })

  it('isolates a row that keeps failing so the rows behind it still flow', async () => {
    const poison = 'evt_0001'
    const { box, deps, tick, now } = setup(4, async (rows) => {
      if (rows.some((r) => r.id === poison)) throw new Error('value out of range for type integer')
    })
    for (let i = 0; i < ISOLATE_AFTER_ATTEMPTS; i++) {
      const r = await drainOutbox(deps, noJitter)
      expect(r.written).toBe(0)
      tick(r.nextAlarmAt! - now())
    }
    // Now every row is suspect: each goes alone, only the poison row fails.
    const r = await drainOutbox(deps, noJitter)
    expect(r).toMatchObject({ written: 3, failed: 1 })
    expect([...box.rows.keys()]).toEqual([poison])
    expect(box.rows.get(poison)!.row.attempts).toBe(ISOLATE_AFTER_ATTEMPTS + 1)
  })

  it('does not hammer a dead database with isolated rows', async () => {
    const { deps, calls } = setup(20, down)
    for (const e of deps.rows.values()) e.row.attempts = ISOLATE_AFTER_ATTEMPTS
    const r = await drainOutbox(deps, noJitter)
    // One lone failure might be poison; the second in a row means Postgres is down.
    expect(calls).toHaveLength(2)
    expect(r.failed).toBe(2)
  })
})
