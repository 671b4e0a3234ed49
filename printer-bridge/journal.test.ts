import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Journal, open } from './journal'

const dirs: string[] = []
function tmpFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journal-'))
  dirs.push(dir)
  return path.join(dir, 'sub', 'journal.jsonl')
}
const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())

afterEach(() => {
  vi.restoreAllMocks()
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

describe('journal', () => {
  it('records states as JSON lines and reads them back after a restart', () => {
    const file = tmpFile()
    let t = 1000
    const j = open(file, { now: () => t++ })
    expect(j.has('job_a', 'received')).toBe(false)
    j.mark('job_a', 'received', { hash: 'abc', printerId: 'kitchen' })
    j.mark('job_a', 'printed')
    j.mark('job_b', 'received', { hash: 'def', printerId: 'bar' })
    expect(j.has('job_a', 'printed')).toBe(true)
    expect(j.has('job_a', 'acked')).toBe(false)
    j.close()

    expect(lines(file).map((l) => JSON.parse(l))).toEqual([
      { jobId: 'job_a', state: 'received', at: 1000, hash: 'abc', printerId: 'kitchen' },
      { jobId: 'job_a', state: 'printed', at: 1001 },
      { jobId: 'job_b', state: 'received', at: 1002, hash: 'def', printerId: 'bar' },
    ])

    const again = Journal.open(file)
    expect(again.has('job_a', 'received')).toBe(true)
    expect(again.has('job_a', 'printed')).toBe(true)
    expect(again.at('job_a', 'printed')).toBe(1001)
    expect(again.has('job_b', 'received')).toBe(true)
    expect(again.has('job_b', 'printed')).toBe(false)
    expect(again.get('job_b')?.hash).toBe('def')
    again.close()
  })

  it('writes each record with writeSync and fsyncs it before mark() returns', () => {
    const file = tmpFile()
    const j = open(file)
    const calls: string[] = []
    const write = fs.writeSync
    const fsync = fs.fsyncSync
    vi.spyOn(fs, 'writeSync').mockImplementation(((...args: Parameters<typeof fs.writeSync>) => {
      calls.push('write')
      return write(...args)
    }) as typeof fs.writeSync)
    vi.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
      calls.push('fsync')
      fsync(fd)
    })
    j.mark('job_a', 'received')
    j.mark('job_a', 'printed')
    expect(calls).toEqual(['write', 'fsync', 'write', 'fsync'])
    vi.restoreAllMocks()
    j.close()
    expect(lines(file)).toHaveLength(2)
  })

  it('survives a torn last line (a crash mid-append) and keeps appending on a fresh line', () => {
    const file = tmpFile()
    const j = open(file)
    j.mark('job_a', 'received')
    j.mark('job_a', 'printed')
    j.close()
    fs.appendFileSync(file, '{"jobId":"job_b","state":"rec')
    const k = open(file)
    expect(k.has('job_a', 'printed')).toBe(true)
    expect(k.has('job_b', 'received')).toBe(false)
    k.mark('job_c', 'received')
    k.close()
    const l = open(file)
    expect(l.has('job_c', 'received')).toBe(true)
    expect(l.size).toBe(2)
    l.close()
  })

  it('compacts to the last N jobs once it grows past N + 20%, and the result reads back the same', () => {
    const file = tmpFile()
    let t = 0
    const j = open(file, { keep: 10, now: () => ++t })
    for (let i = 0; i < 12; i++) {
      j.mark(`job_${i}`, 'received', { hash: `h${i}` })
      j.mark(`job_${i}`, 'printed')
      j.mark(`job_${i}`, 'acked')
    }
    expect(j.size).toBe(12) // 12 <= 10 + 2: no compaction yet
    expect(lines(file)).toHaveLength(36)
    // Job 0 is touched again, so it counts as recent; the 13th job triggers compaction.
    j.mark('job_0', 'acked')
    j.mark('job_12', 'received')
    expect(j.size).toBe(10)
    const kept = [3, 4, 5, 6, 7, 8, 9, 10, 11, 0]
      .map((i) => `job_${i}`)
      .concat('job_12')
      .slice(-10)
    expect(lines(file).map((l) => JSON.parse(l).jobId)).toEqual(
      kept.flatMap((id) => (id === 'job_12' ? [id] : [id, id, id])),
    )
    expect(j.has('job_1', 'printed')).toBe(false)
    expect(j.has('job_2', 'printed')).toBe(false)
    expect(j.has('job_0', 'printed')).toBe(true)
    // Appends continue after a compaction.
    j.mark('job_12', 'printed')
    j.close()

    const k = open(file, { keep: 10 })
    expect(k.size).toBe(10)
    expect(k.has('job_12', 'printed')).toBe(true)
    expect(k.get('job_5')?.hash).toBe('h5')
    expect(k.at('job_5', 'printed')).toBe(j.at('job_5', 'printed'))
    k.close()
    expect(fs.existsSync(`${file}.tmp`)).toBe(false)
  })

  it('compacts on open when the file holds more than N jobs', () => {
    const file = tmpFile()
    const j = open(file, { keep: 100 })
    for (let i = 0; i < 50; i++) j.mark(`job_${i}`, 'received')
    j.close()
    const k = open(file, { keep: 20 })
    expect(k.size).toBe(20)
    expect(k.has('job_29', 'received')).toBe(false)
    expect(k.has('job_30', 'received')).toBe(true)
    expect(lines(file)).toHaveLength(20)
    k.close()
  })

  it('defaults to keeping 5000 jobs', () => {
    const file = tmpFile()
    const j = open(file)
    for (let i = 0; i < 6001; i++) j.mark(`job_${i}`, 'received')
    expect(j.size).toBe(5000)
    expect(j.has('job_1000', 'received')).toBe(false)
    expect(j.has('job_1001', 'received')).toBe(true)
    j.close()
  })
})
