import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { assertFen, formatFen, isFen, parseYuan, percentOf, sumFen } from './money'

describe('fen checks', () => {
  it('accepts safe integers only', () => {
    expect(isFen(0)).toBe(true)
    expect(isFen(-50)).toBe(true)
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '100', null])
      expect(isFen(bad)).toBe(false)
    expect(assertFen(1234)).toBe(1234)
    expect(() => assertFen(0.1 + 0.2, 'total')).toThrow(/total/)
  })
})

describe('formatFen', () => {
  it.each([
    [0, '¥0.00'],
    [5, '¥0.05'],
    [1234, '¥12.34'],
    [100000, '¥1000.00'],
    [-50, '-¥0.50'],
  ])('%i -> %s', (fen, text) => {
    expect(formatFen(fen)).toBe(text)
  })

  it('refuses fractions of a fen', () => {
    expect(() => formatFen(1.5)).toThrow(RangeError)
  })
})

describe('parseYuan', () => {
  it.each([
    ['12.34', 1234],
    ['12.3', 1230],
    ['12', 1200],
    [' 0.05 ', 5],
    ['-0.50', -50],
    ['007', 700],
  ])('%s -> %i', (text, fen) => {
    expect(parseYuan(text)).toBe(fen)
  })

  it('parses negative zero as zero', () => {
    expect(Object.is(parseYuan('-0'), 0)).toBe(true)
    expect(Object.is(parseYuan('-0.00'), 0)).toBe(true)
  })

  it.each(['', '1.234', '1,00', '¥1', '1e3', '.5', '1.', '+1', 'abc', '99999999999999999'])(
    'refuses %j',
    (text) => {
      expect(() => parseYuan(text)).toThrow(RangeError)
    },
  )

  it('round-trips with formatFen (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (fen) => {
        expect(parseYuan(formatFen(fen).replace('¥', ''))).toBe(fen)
      }),
    )
  })
})

describe('percentOf', () => {
  it('rounds down', () => {
    expect(percentOf(1999, 12)).toBe(239)
    expect(percentOf(100, 33)).toBe(33)
    expect(percentOf(1, 99)).toBe(0)
    expect(percentOf(0, 50)).toBe(0)
  })

  it('never exceeds the amount and is within one fen of exact (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), fc.integer({ min: 0, max: 100 }), (fen, pct) => {
        const off = percentOf(fen, pct)
        expect(Number.isSafeInteger(off)).toBe(true)
        expect(off).toBeGreaterThanOrEqual(0)
        expect(off).toBeLessThanOrEqual(fen)
        expect(off * 100).toBeLessThanOrEqual(fen * pct)
        expect((off + 1) * 100).toBeGreaterThan(fen * pct)
      }),
    )
  })
})

describe('sumFen', () => {
  it('adds', () => {
    expect(sumFen([])).toBe(0)
    expect(sumFen([100, -30, 5])).toBe(75)
  })
})
