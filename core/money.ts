// Money is integer fen (1 yuan = 100 fen) everywhere; floats never hold money.

export type Fen = number

export function isFen(v: unknown): v is Fen {
  return typeof v === 'number' && Number.isSafeInteger(v)
}

export function assertFen(v: number, what = 'amount'): Fen {
  if (!Number.isSafeInteger(v)) throw new RangeError(`${what} must be an integer number of fen, got ${v}`)
  return v
}

/** 1234 -> "¥12.34"; -50 -> "-¥0.50". */
export function formatFen(fen: Fen): string {
  assertFen(fen)
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(fen)
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/** "12.34" -> 1234. Accepts at most two decimals; anything else is refused rather than rounded. */
export function parseYuan(text: string): Fen {
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim())
  if (!m) throw new RangeError(`not a yuan amount: ${text}`)
  const fen = assertFen(Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0')), 'yuan amount')
  // "-0" is zero, not negative zero (Object.is and toEqual tell them apart).
  return m[1] && fen !== 0 ? -fen : fen
}

/** Percentage of an amount, rounded down so a discount never exceeds what it discounts. */
export function percentOf(fen: Fen, percent: number): Fen {
  return Math.floor((fen * percent) / 100)
}

export const sumFen = (xs: readonly Fen[]): Fen => xs.reduce((a, b) => a + b, 0)
