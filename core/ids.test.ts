import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type IdPrefix, idTime, newId } from './ids'

const PREFIXES: IdPrefix[] = [
  'ord',
  'evt',
  'rnd',
  'din',
  'stf',
  'ses',
  'job',
  'rfd',
  'pay',
  'led',
  'lin',
  'chk',
]
/** Ten base-32 characters of time cover 32^10 ms, about the year 37000. */
const MAX_TIME = 32 ** 10 - 1
const timeArb = fc.integer({ min: 0, max: MAX_TIME })
const bytesArb = fc.uint8Array({ minLength: 16, maxLength: 16 })

describe('newId', () => {
  it('is 30 characters of [0-9A-Za-z_], a valid out_trade_no', () => {
    const id = newId('ord')
    expect(id).toHaveLength(30)
    expect(id).toMatch(/^ord_[0-9A-HJKMNP-TV-Z]{26}$/)
  })

  it('encodes time then randomness deterministically', () => {
    const zeros = () => new Uint8Array(16)
    expect(newId('ord', 0, zeros)).toBe(`ord_${'0'.repeat(26)}`)
    expect(newId('ord', 32, zeros)).toBe(`ord_${'0'.repeat(8)}10${'0'.repeat(16)}`)
    const ones = () => new Uint8Array(16).fill(255)
    expect(newId('pay', 0, ones).slice(-16)).toBe('Z'.repeat(16))
  })

  it('differs between calls at the same millisecond', () => {
    const now = Date.now()
    const ids = new Set(Array.from({ length: 1000 }, () => newId('evt', now)))
    expect(ids.size).toBe(1000)
  })

  it('round-trips its time (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PREFIXES), timeArb, bytesArb, (prefix, t, bytes) => {
        const id = newId(prefix, t, () => bytes)
        expect(id.startsWith(`${prefix}_`)).toBe(true)
        expect(idTime(id)).toBe(t)
      }),
    )
  })

  it('sorts by time as plain strings (property)', () => {
    fc.assert(
      fc.property(timeArb, timeArb, bytesArb, bytesArb, (t1, t2, b1, b2) => {
        fc.pre(t1 !== t2)
        const a = newId('ord', t1, () => b1)
        const b = newId('ord', t2, () => b2)
        expect(a < b).toBe(t1 < t2)
      }),
    )
  })
})
