import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DomainError } from './errors'
import { idTime } from './ids'
import type {
  BillRow,
  CheckoutState,
  LedgerEntry,
  PaymentOutcome,
  PaymentRecord,
  ProviderName,
  RefundLine,
  RefundRecord,
  RefundState,
} from './payment-types'
import {
  checkLedger,
  checkoutIdFor,
  fullRefundFen,
  hourlyRevenue,
  type LedgerInput,
  ledgerBalance,
  lineRefund,
  paymentQueryDelayMs,
  pendingReturns,
  type RefundableOrder,
  reconcile,
  refundableFen,
  refundIdFor,
  refundQueryDelayMs,
  refundRetryDelayMs,
  settlementOutcome,
  storeOfRefundId,
} from './payments'

const T0 = 1_750_000_000_000
const S = 1000
const MIN = 60 * S
const HOUR = 60 * MIN

// --- settlementOutcome --------------------------------------------------------------------------------

describe('settlementOutcome', () => {
  const base = {
    checkoutState: 'OPEN' as CheckoutState,
    payable: true,
    expectedFen: 3800,
    paidFen: 3800,
    transactionId: 'tx1',
  }

  it('settles the first right payment of an open, payable checkout', () => {
    expect(settlementOutcome(base)).toBe('SETTLED')
    expect(settlementOutcome({ ...base, currency: 'CNY' })).toBe('SETTLED')
  })

  it('is MISMATCH for a wrong amount or currency, whatever the state', () => {
    expect(settlementOutcome({ ...base, paidFen: 3700 })).toBe('MISMATCH')
    expect(settlementOutcome({ ...base, paidFen: 3900 })).toBe('MISMATCH')
    expect(settlementOutcome({ ...base, currency: 'USD' })).toBe('MISMATCH')
    expect(settlementOutcome({ ...base, paidFen: 1, checkoutState: 'PAID', settledBy: 'tx0' })).toBe(
      'MISMATCH',
    )
    expect(settlementOutcome({ ...base, paidFen: 1, checkoutState: 'CLOSED', payable: false })).toBe(
      'MISMATCH',
    )
  })

  it('is SECOND when another transaction settled it', () => {
    expect(settlementOutcome({ ...base, checkoutState: 'PAID', settledBy: 'tx0' })).toBe('SECOND')
    // Paid and then the order ended: still a second payment, not a late one.
    expect(settlementOutcome({ ...base, checkoutState: 'PAID', payable: false, settledBy: 'tx0' })).toBe(
      'SECOND',
    )
  })

  it('is LATE when the checkout is closed, superseded or the order is no longer payable', () => {
    expect(settlementOutcome({ ...base, checkoutState: 'CLOSED' })).toBe('LATE')
    expect(settlementOutcome({ ...base, checkoutState: 'SUPERSEDED' })).toBe('LATE')
    expect(settlementOutcome({ ...base, payable: false })).toBe('LATE')
    // PAID by this very transaction is the caller's duplicate; were it asked, it is not SETTLED again.
    expect(settlementOutcome({ ...base, checkoutState: 'PAID', settledBy: 'tx1' })).toBe('LATE')
  })

  it('returns exactly one outcome following the precedence MISMATCH > SECOND > LATE > SETTLED', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<CheckoutState>('OPEN', 'PAID', 'CLOSED', 'SUPERSEDED'),
        fc.boolean(),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.option(fc.constantFrom('CNY', 'USD'), { nil: undefined }),
        fc.option(fc.constantFrom('tx1', 'tx2'), { nil: undefined }),
        (checkoutState, payable, expectedFen, paidFen, currency, settledBy) => {
          const out = settlementOutcome({
            checkoutState,
            payable,
            expectedFen,
            paidFen,
            currency,
            settledBy,
            transactionId: 'tx1',
          })
          const want: PaymentOutcome =
            paidFen !== expectedFen || (currency !== undefined && currency !== 'CNY')
              ? 'MISMATCH'
              : settledBy !== undefined && settledBy !== 'tx1'
                ? 'SECOND'
                : checkoutState !== 'OPEN' || !payable
                  ? 'LATE'
                  : 'SETTLED'
          expect(out).toBe(want)
        },
      ),
    )
  })
})

// --- schedules ----------------------------------------------------------------------------------------

describe('schedules', () => {
  it('queries a payment at 30 s, then doubling, capped at 5 min', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map((a) => paymentQueryDelayMs(a))).toEqual([
      30 * S,
      60 * S,
      120 * S,
      240 * S,
      300 * S,
      300 * S,
      300 * S,
    ])
    expect(paymentQueryDelayMs(1e9)).toBe(300 * S)
  })

  it('re-sends a failed refund at 10 s, 30 s, 1 min, 5 min, 15 min, then hourly', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 99].map((a) => refundRetryDelayMs(a))).toEqual([
      10 * S,
      30 * S,
      MIN,
      5 * MIN,
      15 * MIN,
      HOUR,
      HOUR,
      HOUR,
    ])
  })

  it('queries a processing refund at 10 s, 30 s, 1 min, then every 5 min', () => {
    expect([0, 1, 2, 3, 4, 99].map((a) => refundQueryDelayMs(a))).toEqual([
      10 * S,
      30 * S,
      MIN,
      5 * MIN,
      5 * MIN,
      5 * MIN,
    ])
  })

  it('scales for tests, never below 1 ms, whole ms, odd attempts treated as the first', () => {
    expect(paymentQueryDelayMs(0, 0.001)).toBe(30)
    expect(refundRetryDelayMs(5, 0.001)).toBe(3600)
    expect(refundQueryDelayMs(0, 0)).toBe(1)
    expect(paymentQueryDelayMs(0, 1e-9)).toBe(1)
    expect(refundRetryDelayMs(0, 0.00001234)).toBe(1)
    expect(paymentQueryDelayMs(-3)).toBe(30 * S)
    expect(paymentQueryDelayMs(Number.NaN)).toBe(30 * S)
    expect(refundQueryDelayMs(1.7)).toBe(30 * S)
  })

  it('never shrinks as attempts grow, and stays within its cap', () => {
    const fns = [
      [paymentQueryDelayMs, 5 * MIN],
      [refundRetryDelayMs, HOUR],
      [refundQueryDelayMs, 5 * MIN],
    ] as const
    fc.assert(
      fc.property(fc.nat(1000), fc.double({ min: 0, max: 10, noNaN: true }), (a, scale) => {
        for (const [f, cap] of fns) {
          expect(f(a + 1, scale)).toBeGreaterThanOrEqual(f(a, scale))
          expect(f(a, scale)).toBeGreaterThanOrEqual(1)
          expect(f(a, scale)).toBeLessThanOrEqual(Math.max(1, Math.round(cap * scale)))
          expect(Number.isInteger(f(a, scale))).toBe(true)
        }
      }),
    )
  })
})

// --- refund amounts -----------------------------------------------------------------------------------

describe('refundableFen and fullRefundFen', () => {
  it('is paid less refunded less in flight, never negative', () => {
    expect(refundableFen({ amountFen: 5000, refundedFen: 0 }, 0)).toBe(5000)
    expect(refundableFen({ amountFen: 5000, refundedFen: 1200 }, 800)).toBe(3000)
    expect(refundableFen({ amountFen: 5000, refundedFen: 5000 }, 0)).toBe(0)
    expect(refundableFen({ amountFen: 5000, refundedFen: 4000 }, 2000)).toBe(0)
  })

  it('a full refund takes what is left of the total', () => {
    expect(fullRefundFen(3800, 0)).toBe(3800)
    expect(fullRefundFen(3800, 1000)).toBe(2800)
    expect(fullRefundFen(3800, 3800)).toBe(0)
    expect(fullRefundFen(3800, 4000)).toBe(0)
  })
})

/** 2 × 1800 + 1 × 2400 = 6000 of lines, 满60减10 plus a 200 packaging fee: paid 5200. */
const ORDER: RefundableOrder = {
  totalFen: 5200,
  price: { itemsFen: 6000 },
  lines: [
    { lineNo: 1, qty: 2, lineTotalFen: 3600 },
    { lineNo: 2, qty: 1, lineTotalFen: 2400 },
    { lineNo: 3, qty: 1, lineTotalFen: 999, voided: { reason: '沽清', at: T0, by: 'stf' } },
  ],
}

function refusal(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError)
    expect((e as DomainError).code).toBe('VALIDATION_FAILED')
    return (e as DomainError).message
  }
  throw new Error('expected a refusal')
}

describe('lineRefund', () => {
  it('refunds a line’s share of what was paid, discounts and fees spread, floored', () => {
    // 1800 × 5200 / 6000 = 1560 exactly.
    expect(lineRefund(ORDER, [], 0, [{ lineNo: 1, qty: 1 }])).toEqual({
      amountFen: 1560,
      lines: [{ lineNo: 1, qty: 1 }],
    })
    // 2400 × 5200 / 6000 = 2080.
    expect(lineRefund(ORDER, [], 0, [{ lineNo: 2, qty: 1 }]).amountFen).toBe(2080)
    // 3 × 1000 with total 2999: 1000 × 2999 / 3000 = 999.67 -> 999.
    const thirds: RefundableOrder = {
      totalFen: 2999,
      price: { itemsFen: 3000 },
      lines: [{ lineNo: 1, qty: 3, lineTotalFen: 3000 }],
    }
    expect(lineRefund(thirds, [], 0, [{ lineNo: 1, qty: 1 }]).amountFen).toBe(999)
    expect(lineRefund(thirds, [{ lineNo: 1, qty: 1 }], 999, [{ lineNo: 1, qty: 1 }]).amountFen).toBe(999)
    expect(lineRefund(thirds, [{ lineNo: 1, qty: 2 }], 1998, [{ lineNo: 1, qty: 1 }]).amountFen).toBe(1001)
  })

  it('the refund that empties every live line takes the remainder exactly', () => {
    const first = lineRefund(ORDER, [], 0, [{ lineNo: 1, qty: 1 }])
    const last = lineRefund(ORDER, first.lines, first.amountFen, [
      { lineNo: 2, qty: 1 },
      { lineNo: 1, qty: 1 },
    ])
    expect(last).toEqual({
      amountFen: 5200 - 1560,
      lines: [
        { lineNo: 1, qty: 1 },
        { lineNo: 2, qty: 1 },
      ],
    })
    expect(
      lineRefund(ORDER, [], 0, [
        { lineNo: 1, qty: 2 },
        { lineNo: 2, qty: 1 },
      ]).amountFen,
    ).toBe(5200)
  })

  it('merges duplicate lines in the request', () => {
    expect(
      lineRefund(ORDER, [], 0, [
        { lineNo: 1, qty: 1 },
        { lineNo: 1, qty: 1 },
      ]),
    ).toEqual({ amountFen: 3120, lines: [{ lineNo: 1, qty: 2 }] })
  })

  it('spreads over the lines’ own prices, not the list-price subtotal', () => {
    // Member price 80 instead of 100 on both lines: itemsFen is the list price, 200; paid 160.
    const member: RefundableOrder = {
      totalFen: 160,
      price: { itemsFen: 200 },
      lines: [
        { lineNo: 1, qty: 1, lineTotalFen: 80 },
        { lineNo: 2, qty: 1, lineTotalFen: 80 },
      ],
    }
    expect(lineRefund(member, [], 0, [{ lineNo: 1, qty: 1 }]).amountFen).toBe(80)
  })

  it('refuses unknown, voided, empty, non-positive and excessive quantities', () => {
    expect(refusal(() => lineRefund(ORDER, [], 0, [{ lineNo: 9, qty: 1 }]))).toMatch(/no line 9/)
    expect(refusal(() => lineRefund(ORDER, [], 0, [{ lineNo: 3, qty: 1 }]))).toMatch(/taken back/)
    expect(refusal(() => lineRefund(ORDER, [], 0, [{ lineNo: 1, qty: 0 }]))).toMatch(/above 0/)
    expect(refusal(() => lineRefund(ORDER, [], 0, [{ lineNo: 1, qty: -1 }]))).toMatch(/above 0/)
    expect(refusal(() => lineRefund(ORDER, [], 0, [{ lineNo: 1, qty: 0.5 }]))).toMatch(/whole number/)
    expect(refusal(() => lineRefund(ORDER, [], 0, []))).toMatch(/at least one/)
    expect(refusal(() => lineRefund(ORDER, [], 0, [{ lineNo: 1, qty: 3 }]))).toMatch(/only 2 left/)
    // Duplicates are merged before the check.
    expect(
      refusal(() =>
        lineRefund(ORDER, [], 0, [
          { lineNo: 2, qty: 1 },
          { lineNo: 2, qty: 1 },
        ]),
      ),
    ).toMatch(/only 1 left/)
    expect(refusal(() => lineRefund(ORDER, [{ lineNo: 1, qty: 2 }], 3120, [{ lineNo: 1, qty: 1 }]))).toMatch(
      /only 0 left/,
    )
  })

  it('handles a zero subtotal: free lines refund 0 until the last takes the remainder (fees)', () => {
    const free: RefundableOrder = {
      totalFen: 500,
      price: { itemsFen: 0 },
      lines: [
        { lineNo: 1, qty: 1, lineTotalFen: 0 },
        { lineNo: 2, qty: 1, lineTotalFen: 0 },
      ],
    }
    expect(lineRefund(free, [], 0, [{ lineNo: 1, qty: 1 }]).amountFen).toBe(0)
    expect(lineRefund(free, [{ lineNo: 1, qty: 1 }], 0, [{ lineNo: 2, qty: 1 }]).amountFen).toBe(500)
  })

  it('never refunds more than is left after an earlier amount-only refund', () => {
    expect(lineRefund(ORDER, [], 4000, [{ lineNo: 2, qty: 1 }]).amountFen).toBe(1200)
    expect(lineRefund(ORDER, [], 6000, [{ lineNo: 2, qty: 1 }]).amountFen).toBe(0)
  })

  const orderArb = fc
    .array(
      fc.record({
        qty: fc.integer({ min: 1, max: 6 }),
        unitFen: fc.integer({ min: 0, max: 9999 }),
        voided: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    )
    .chain((specs) => {
      const lines = specs.map((s, i) => ({
        lineNo: i + 1,
        qty: s.qty,
        lineTotalFen: s.qty * s.unitFen,
        ...(s.voided && i > 0 ? { voided: { reason: 'x', at: T0, by: 'stf' } } : {}),
      }))
      const subtotal = lines.filter((l) => !l.voided).reduce((s, l) => s + l.lineTotalFen, 0)
      return fc
        .record({
          // Discounts take up to all of it; fees add up to 2000 (delivery, packaging).
          off: fc.integer({ min: 0, max: subtotal }),
          fees: fc.integer({ min: 0, max: 2000 }),
          listExtra: fc.integer({ min: 0, max: 5000 }),
        })
        .map(
          ({ off, fees, listExtra }): RefundableOrder => ({
            totalFen: subtotal - off + fees,
            price: { itemsFen: subtotal + listExtra },
            lines,
          }),
        )
    })

  /** Steps: refund some of a line (by index and fraction of what is left), or occasionally a lump sum. */
  const stepsArb = fc.array(
    fc.record({ pick: fc.nat(), frac: fc.double({ min: 0, max: 1, noNaN: true }), lump: fc.nat(9) }),
    { maxLength: 12 },
  )

  it('property: a sequence of line refunds never exceeds the total, and refunding all sums to it exactly', () => {
    fc.assert(
      fc.property(orderArb, stepsArb, fc.boolean(), (order, steps, withLumps) => {
        const live = order.lines.filter((l) => !l.voided)
        const already: RefundLine[] = []
        let alreadyFen = 0
        const left = (lineNo: number) =>
          order.lines.find((l) => l.lineNo === lineNo)!.qty -
          already.filter((a) => a.lineNo === lineNo).reduce((s, a) => s + a.qty, 0)
        for (const step of steps) {
          if (withLumps && step.lump === 0) {
            // An amount-only goodwill refund of a small part of what is left.
            const lump = Math.floor(fullRefundFen(order.totalFen, alreadyFen) / 10)
            alreadyFen += lump
            continue
          }
          const open = live.filter((l) => left(l.lineNo) > 0)
          if (open.length === 0) break
          const line = open[step.pick % open.length]!
          const qty = Math.max(1, Math.round(step.frac * left(line.lineNo)))
          const r = lineRefund(order, already, alreadyFen, [{ lineNo: line.lineNo, qty }])
          expect(r.amountFen).toBeGreaterThanOrEqual(0)
          expect(Number.isSafeInteger(r.amountFen)).toBe(true)
          already.push(...r.lines)
          alreadyFen += r.amountFen
          expect(alreadyFen).toBeLessThanOrEqual(order.totalFen)
        }
        const rest = live
          .filter((l) => left(l.lineNo) > 0)
          .map((l) => ({ lineNo: l.lineNo, qty: left(l.lineNo) }))
        if (rest.length > 0) {
          const r = lineRefund(order, already, alreadyFen, rest)
          expect(r.amountFen).toBeGreaterThanOrEqual(0)
          alreadyFen += r.amountFen
        }
        expect(alreadyFen).toBe(order.totalFen)
      }),
    )
  })

  it('property: a partial refund is never more than its lines’ proportional share', () => {
    fc.assert(
      fc.property(orderArb, fc.nat(), (order, pick) => {
        const live = order.lines.filter((l) => !l.voided)
        const line = live[pick % live.length]!
        if (live.length === 1 && line.qty === 1) return
        const qty = line.qty === 1 ? 1 : line.qty - 1
        if (live.length === 1 && qty === line.qty) return
        const subtotal = live.reduce((s, l) => s + l.lineTotalFen, 0)
        const r = lineRefund(order, [], 0, [{ lineNo: line.lineNo, qty }])
        const exact = subtotal === 0 ? 0 : (line.lineTotalFen * qty * order.totalFen) / (line.qty * subtotal)
        expect(r.amountFen).toBeLessThanOrEqual(exact + 1e-6)
        expect(r.amountFen).toBeGreaterThan(exact - 1 - 1e-6)
      }),
    )
  })
})

// --- ids ----------------------------------------------------------------------------------------------

describe('refund and checkout ids', () => {
  it('a refund id is rfd_<26>_<store>, ≤ 64 chars of [0-9A-Za-z_], and names its store', () => {
    const id = refundIdFor('042', T0)
    expect(id).toMatch(/^rfd_[0-9A-HJKMNP-TV-Z]{26}_042$/)
    expect(id.length).toBe(34)
    expect(id.length).toBeLessThanOrEqual(64)
    expect(storeOfRefundId(id)).toBe('042')
    expect(idTime(id)).toBe(T0)
    expect(refundIdFor('001', 0, () => new Uint8Array(16))).toBe(`rfd_${'0'.repeat(26)}_001`)
  })

  it('refuses a store id that is not 3 digits', () => {
    expect(() => refundIdFor('42')).toThrow(RangeError)
    expect(() => refundIdFor('st_1')).toThrow(RangeError)
  })

  it('finds no store in ids that are not refund ids', () => {
    for (const id of [
      '',
      'rfd_',
      `rfd_${'0'.repeat(26)}`,
      `rfd_${'0'.repeat(26)}_42`,
      `rfd_${'0'.repeat(25)}_042`,
      `ord_${'0'.repeat(26)}_042`,
      `rfd_${'0'.repeat(26)}_042x`,
      `rfd_${'0'.repeat(25)}I_042`,
    ])
      expect(storeOfRefundId(id)).toBeNull()
  })

  it('property: every refund id round-trips its store', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, '0')),
        fc.integer({ min: 0, max: 32 ** 10 - 1 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (store, now, bytes) => {
          const id = refundIdFor(store, now, () => bytes)
          expect(id).toMatch(/^[0-9A-Za-z_]{1,64}$/)
          expect(storeOfRefundId(id)).toBe(store)
        },
      ),
    )
  })

  it('a checkout id is chk_ and 26 chars: 30, a valid out_trade_no (≤ 32)', () => {
    const id = checkoutIdFor(T0)
    expect(id).toMatch(/^chk_[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(id).toHaveLength(30)
    expect(idTime(id)).toBe(T0)
    expect(checkoutIdFor()).not.toBe(checkoutIdFor())
  })
})

// --- a small model of a store's books, for checkLedger / pendingReturns --------------------------------

interface Books extends LedgerInput {
  checkouts: { id: string; state: CheckoutState; amountFen: number; paymentId?: string }[]
}

/** Mirrors what StoreDO does with these rules: settle, record, refund LATE/SECOND, and write the ledger. */
class Store {
  readonly books: Books = { checkouts: [], payments: [], refunds: [], ledger: [] }
  private readonly counts = new Map<string, number>()
  private t = T0

  private next(prefix: string): number {
    const n = (this.counts.get(prefix) ?? 0) + 1
    this.counts.set(prefix, n)
    return n
  }

  private tick(): number {
    this.t += 1000
    return this.t
  }

  private nextId(prefix: string): string {
    return `${prefix}_${String(this.next(prefix)).padStart(4, '0')}`
  }

  open(amountFen: number): string {
    const id = this.nextId('chk')
    this.books.checkouts.push({ id, state: 'OPEN', amountFen })
    return id
  }

  setState(id: string, state: CheckoutState): void {
    const c = this.books.checkouts.find((x) => x.id === id)!
    if (c.state === 'OPEN') c.state = state
  }

  pay(
    checkoutId: string,
    provider: ProviderName,
    paidFen: number,
    transactionId: string,
  ): PaymentRecord | null {
    const c = this.books.checkouts.find((x) => x.id === checkoutId)!
    if (this.books.payments.some((p) => p.provider === provider && p.transactionId === transactionId))
      return null
    const outcome = settlementOutcome({
      checkoutState: c.state,
      payable: true,
      expectedFen: c.amountFen,
      paidFen,
      settledBy: c.paymentId
        ? this.books.payments.find((p) => p.id === c.paymentId)!.transactionId
        : undefined,
      transactionId,
    })
    this.t += 1000
    const t = this.t
    const p: PaymentRecord = {
      id: this.nextId('pay'),
      storeId: '001',
      checkoutId,
      orderIds: [],
      provider,
      transactionId,
      amountFen: paidFen,
      outcome,
      source: 'notify',
      paidAt: t,
      refundedFen: 0,
      createdAt: t,
      updatedAt: t,
      version: 1,
    }
    this.books.payments.push(p)
    this.entry(p, 'payment', p.amountFen, outcome)
    if (outcome === 'SETTLED') {
      c.state = 'PAID'
      c.paymentId = p.id
    }
    if (outcome === 'LATE' || outcome === 'SECOND') this.refund(p, p.amountFen)
    return p
  }

  refund(p: PaymentRecord, amountFen: number): RefundRecord | null {
    const pending = this.books.refunds
      .filter((r) => r.paymentId === p.id && (r.state === 'PENDING' || r.state === 'PROCESSING'))
      .reduce((s, r) => s + r.amountFen, 0)
    const amount = Math.min(amountFen, refundableFen(p, pending))
    if (amount <= 0) return null
    const r: RefundRecord = {
      id: refundIdFor('001', this.t, () => new Uint8Array(16).fill(this.next('rfd') % 256)),
      storeId: '001',
      paymentId: p.id,
      checkoutId: p.checkoutId,
      provider: p.provider,
      transactionId: p.transactionId,
      amountFen: amount,
      reason: p.outcome,
      state: 'PENDING',
      attempts: 0,
      requestedBy: 'system',
      createdAt: this.t,
      updatedAt: this.t,
      version: 1,
    }
    this.books.refunds.push(r)
    return r
  }

  /**
   * The provider answers a refund: SUCCESS writes the ledger and the payment's refundedFen. A FAILED one
   * holds no money, so re-sending it first checks it still fits (another refund may have taken the room).
   */
  finish(r: RefundRecord, state: RefundState): void {
    if (r.state === 'SUCCESS') return
    const p = this.books.payments.find((x) => x.id === r.paymentId)!
    if (r.state === 'FAILED') {
      const pending = this.books.refunds
        .filter((x) => x.paymentId === p.id && (x.state === 'PENDING' || x.state === 'PROCESSING'))
        .reduce((sum, x) => sum + x.amountFen, 0)
      if (r.amountFen > refundableFen(p, pending)) return
    }
    r.state = state
    if (state !== 'SUCCESS') return
    p.refundedFen += r.amountFen
    this.entry(p, 'refund', -r.amountFen, r.reason, r.id)
  }

  private entry(
    p: PaymentRecord,
    kind: 'payment' | 'refund',
    amountFen: number,
    memo: string,
    refundId?: string,
  ): void {
    this.books.ledger.push({
      id: this.nextId('led'),
      storeId: p.storeId,
      at: this.tick(),
      kind,
      provider: p.provider,
      checkoutId: p.checkoutId,
      orderIds: p.orderIds,
      paymentId: p.id,
      ...(refundId ? { refundId } : {}),
      transactionId: p.transactionId,
      amountFen,
      memo,
    })
  }
}

/** One scenario: a paid checkout, a late payment still refunding, a double payment, a mismatch. */
function scenario() {
  const s = new Store()
  const a = s.open(3800)
  s.pay(a, 'wechat', 3800, 'wx1')
  const b = s.open(1200)
  s.setState(b, 'CLOSED')
  s.pay(b, 'alipay', 1200, 'ali1')
  const c = s.open(500)
  s.pay(c, 'wechat', 500, 'wx2')
  s.pay(c, 'alipay', 500, 'ali2')
  const d = s.open(700)
  s.pay(d, 'wechat', 600, 'wx3')
  return s
}

describe('checkLedger and pendingReturns', () => {
  it('balances a store that followed the rules, and lists the returns still under way', () => {
    const s = scenario()
    expect(checkLedger(s.books)).toEqual([])
    expect(
      pendingReturns(s.books).map((p) => [p.payment.transactionId, p.remainingFen, p.inFlightFen]),
    ).toEqual([
      ['ali1', 1200, 1200],
      ['ali2', 500, 500],
    ])
    for (const r of [...s.books.refunds]) s.finish(r, 'SUCCESS')
    expect(checkLedger(s.books)).toEqual([])
    expect(pendingReturns(s.books)).toEqual([])
    expect(ledgerBalance(s.books.ledger)).toEqual(
      new Map([
        ['chk_0001', 3800],
        ['chk_0002', 0],
        ['chk_0003', 500],
        ['chk_0004', 600],
      ]),
    )
  })

  it('a FAILED return is still pending, not a violation', () => {
    const s = scenario()
    for (const r of [...s.books.refunds]) s.finish(r, 'FAILED')
    expect(checkLedger(s.books)).toEqual([])
    expect(pendingReturns(s.books).map((p) => p.inFlightFen)).toEqual([0, 0])
  })

  const cases: [string, (b: Books) => void, RegExp][] = [
    ['a missing payment entry', (b) => b.ledger.shift(), /payment pay_0001: 0 ledger entries, want 1/],
    ['a doubled payment entry', (b) => b.ledger.push({ ...b.ledger[0]!, id: 'led_x' }), /2 ledger entries/],
    [
      'a payment entry of the wrong amount',
      (b) => {
        b.ledger[0]!.amountFen = 3700
      },
      /ledger led_0001 has 3700, payment 3800/,
    ],
    [
      'a payment entry on the wrong checkout',
      (b) => {
        b.ledger[0]!.checkoutId = 'chk_0003'
      },
      /is for checkout chk_0003/,
    ],
    [
      'an entry for an unknown payment',
      (b) => b.ledger.push({ ...b.ledger[0]!, id: 'led_y', paymentId: 'pay_nope' }),
      /unknown payment pay_nope/,
    ],
    [
      'a ledger entry for a refund not yet successful',
      (b) =>
        b.ledger.push({
          ...b.ledger[0]!,
          id: 'led_z',
          kind: 'refund',
          refundId: b.refunds[0]!.id,
          amountFen: -1200,
        }),
      /\(PENDING\): 1 ledger entries, want 0/,
    ],
    [
      'a refund entry for an unknown refund',
      (b) => b.ledger.push({ ...b.ledger[0]!, id: 'led_w', kind: 'refund', amountFen: 0 }),
      /refund entry for unknown refund \(none\)/,
    ],
    [
      'a successful refund without its entry',
      (b) => {
        b.refunds[0]!.state = 'SUCCESS'
        b.payments.find((p) => p.id === b.refunds[0]!.paymentId)!.refundedFen = b.refunds[0]!.amountFen
      },
      /\(SUCCESS\): 0 ledger entries, want 1/,
    ],
    [
      'refundedFen out of step with the refunds',
      (b) => {
        b.payments[0]!.refundedFen = 100
      },
      /refundedFen 100, successful refunds 0/,
    ],
    [
      'refunds beyond what was paid',
      (b) => b.refunds.push({ ...b.refunds[0]!, id: 'rfd_extra' }),
      /refunds 0 done \+ 2400 in flight exceed 1200 paid/,
    ],
    [
      'a PAID checkout without a settled payment',
      (b) => {
        b.checkouts[1]!.state = 'PAID'
      },
      /checkout chk_0002 \(PAID\): 0 settled payments, want 1/,
    ],
    [
      'a closed checkout with a settled payment',
      (b) => {
        b.checkouts[0]!.state = 'CLOSED'
      },
      /checkout chk_0001 \(CLOSED\): 1 settled payments, want 0/,
    ],
    [
      'a PAID checkout settled twice',
      (b) => {
        b.payments.find((p) => p.transactionId === 'ali2')!.outcome = 'SETTLED'
      },
      /checkout chk_0003 \(PAID\): 2 settled payments, want 1/,
    ],
    [
      'a settled payment of another amount',
      (b) => {
        b.checkouts[0]!.amountFen = 3900
      },
      /settled by pay_0001 with 3800, asked 3900/,
    ],
    [
      'a checkout naming another payment',
      (b) => {
        b.checkouts[0]!.paymentId = 'pay_9999'
      },
      /paymentId pay_9999, settled by pay_0001/,
    ],
    [
      'a payment for an unknown checkout',
      (b) => {
        b.checkouts.shift()
      },
      /payment pay_0001: unknown checkout chk_0001/,
    ],
  ]

  for (const [what, breakIt, want] of cases)
    it(`reports ${what}`, () => {
      const s = scenario()
      breakIt(s.books)
      const v = checkLedger(s.books)
      expect(
        v.some((x) => want.test(x)),
        v.join('\n'),
      ).toBe(true)
    })

  const eventArb = fc.oneof(
    fc.record({ kind: fc.constant('open' as const), fen: fc.integer({ min: 1, max: 9999 }) }),
    fc.record({
      kind: fc.constant('pay' as const),
      pick: fc.nat(),
      provider: fc.constantFrom<ProviderName>('wechat', 'alipay'),
      txn: fc.nat(6),
      wrong: fc.nat(9),
    }),
    fc.record({
      kind: fc.constant('end' as const),
      pick: fc.nat(),
      how: fc.constantFrom<CheckoutState>('CLOSED', 'SUPERSEDED'),
    }),
    fc.record({
      kind: fc.constant('refund' as const),
      pick: fc.nat(),
      fen: fc.integer({ min: 1, max: 9999 }),
    }),
    fc.record({
      kind: fc.constant('answer' as const),
      pick: fc.nat(),
      state: fc.constantFrom<RefundState>('SUCCESS', 'FAILED', 'PROCESSING'),
    }),
  )

  it('property: each checkout ends settled once or closed, the ledger balances, returns complete', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
        const s = new Store()
        const b = s.books
        for (const e of events) {
          if (e.kind === 'open') s.open(e.fen)
          else if (b.checkouts.length === 0) continue
          else if (e.kind === 'pay') {
            const c = b.checkouts[e.pick % b.checkouts.length]!
            // Notifies retry (same txn: the caller's duplicate), a diner pays twice, or pays the wrong amount.
            s.pay(c.id, e.provider, e.wrong === 0 ? c.amountFen + 1 : c.amountFen, `${c.id}_${e.txn}`)
          } else if (e.kind === 'end') s.setState(b.checkouts[e.pick % b.checkouts.length]!.id, e.how)
          else if (e.kind === 'refund') {
            const settled = b.payments.filter((p) => p.outcome === 'SETTLED')
            if (settled.length > 0) s.refund(settled[e.pick % settled.length]!, e.fen)
          } else {
            const open = b.refunds.filter((r) => r.state !== 'SUCCESS')
            if (open.length > 0) s.finish(open[e.pick % open.length]!, e.state)
          }
          expect(checkLedger(b)).toEqual([])
        }
        // The alarm retries until every refund that still fits succeeds: then nothing is owed back.
        for (const r of b.refunds) s.finish(r, 'SUCCESS')
        expect(checkLedger(b)).toEqual([])
        expect(pendingReturns(b)).toEqual([])
        for (const c of b.checkouts) {
          const settled = b.payments.filter((p) => p.checkoutId === c.id && p.outcome === 'SETTLED')
          expect(settled.length).toBe(c.state === 'PAID' ? 1 : 0)
        }
        // LATE and SECOND money went back whole: it nets to zero per payment.
        const balance = ledgerBalance(b.ledger)
        for (const c of b.checkouts) {
          const kept = b.payments
            .filter((p) => p.checkoutId === c.id && (p.outcome === 'SETTLED' || p.outcome === 'MISMATCH'))
            .reduce((sum, p) => sum + p.amountFen - p.refundedFen, 0)
          expect(balance.get(c.id) ?? 0).toBe(kept)
        }
      }),
    )
  })
})

// --- reconcile ----------------------------------------------------------------------------------------

/** What the provider's bill says about our ledger when both agree. */
function billFrom(ledger: readonly LedgerEntry[]): BillRow[] {
  return ledger.map((e) => ({
    provider: e.provider,
    at: e.at,
    kind: e.kind,
    outTradeNo: e.checkoutId,
    // A ledger entry written from a client confirm may lack the id; the provider always has one.
    transactionId: e.transactionId || `prov_${e.id}`,
    amountFen: Math.abs(e.amountFen),
    ...(e.kind === 'refund' ? { outRefundNo: e.refundId, refundId: `prov_${e.refundId}` } : {}),
  }))
}

const ledgerArb = (provider: ProviderName = 'wechat') =>
  fc
    .array(
      fc.record({
        kind: fc.constantFrom<'payment' | 'refund'>('payment', 'payment', 'refund'),
        fen: fc.integer({ min: 1, max: 99999 }),
        noTxn: fc.boolean(),
        at: fc.integer({ min: 0, max: 24 * HOUR - 1 }),
      }),
      { maxLength: 20 },
    )
    .map((specs) =>
      specs.map(
        (s, i): LedgerEntry => ({
          id: `led_${i}`,
          storeId: '001',
          at: T0 + s.at,
          kind: s.kind,
          provider,
          // Unique per entry, so the out_trade_no fallback has one candidate.
          checkoutId: `chk_${i}`,
          orderIds: [],
          paymentId: `pay_${i}`,
          ...(s.kind === 'refund' ? { refundId: `rfd_${i}` } : {}),
          transactionId: s.kind === 'payment' && s.noTxn ? '' : `tx_${i}`,
          amountFen: s.kind === 'payment' ? s.fen : -s.fen,
          memo: s.kind === 'payment' ? 'SETTLED' : 'diner',
        }),
      ),
    )

describe('reconcile', () => {
  const pay = (id: string, fen: number, txn = `tx_${id}`): LedgerEntry => ({
    id: `led_${id}`,
    storeId: '001',
    at: T0,
    kind: 'payment',
    provider: 'wechat',
    checkoutId: `ord_${id}`,
    orderIds: [`ord_${id}`],
    paymentId: `pay_${id}`,
    transactionId: txn,
    amountFen: fen,
    memo: 'SETTLED',
  })

  it('classifies matched, provider-only (长款), local-only (短款) and amount mismatches', () => {
    const a = pay('a', 1000)
    const b = pay('b', 2000)
    const c = pay('c', 3000)
    const r: LedgerEntry = {
      ...pay('a', -400),
      id: 'led_ra',
      kind: 'refund',
      refundId: 'rfd_1',
      memo: 'diner',
    }
    const bill = billFrom([a, b, r])
    bill[1]!.amountFen = 1999
    const extra: BillRow = { ...bill[0]!, outTradeNo: 'ord_z', transactionId: 'tx_z', amountFen: 50 }
    bill.push(extra)
    const out = reconcile(bill, [a, b, c, r])
    expect(out.matched).toBe(2)
    expect(out.providerOnly).toEqual([extra])
    expect(out.localOnly).toEqual([c])
    expect(out.amountMismatch).toEqual([{ bill: bill[1], ledger: b }])
    expect(out.totals).toEqual({ billFen: 1000 + 1999 - 400 + 50, ledgerFen: 1000 + 2000 + 3000 - 400 })
  })

  it('falls back to out_trade_no only for an entry without a transaction id', () => {
    const noTxn = pay('a', 1000, '')
    const bill = billFrom([noTxn])
    expect(reconcile(bill, [noTxn]).matched).toBe(1)
    // With a transaction id that the bill lacks, the same out_trade_no does not match.
    const wrongTxn = pay('a', 1000, 'tx_other')
    const out = reconcile(bill, [wrongTxn])
    expect(out.localOnly).toEqual([wrongTxn])
    expect(out.providerOnly).toEqual(bill)
  })

  it('matches refunds by out_refund_no, comparing magnitudes, with refundIdOf when given', () => {
    const r: LedgerEntry = { ...pay('a', -400), kind: 'refund', refundId: 'rfd_1', memo: 'diner' }
    expect(reconcile(billFrom([r]), [r]).matched).toBe(1)
    const kept = { ...r, refundId: undefined, memo: 'rfd_1' }
    expect(reconcile(billFrom([r]), [kept]).localOnly).toEqual([kept])
    expect(reconcile(billFrom([r]), [kept], { refundIdOf: (e) => e.memo }).matched).toBe(1)
  })

  it('another provider’s entries are not matched by this bill', () => {
    const wx = pay('a', 1000)
    const ali = { ...wx, provider: 'alipay' as const }
    const out = reconcile(billFrom([wx]), [ali])
    expect(out.localOnly).toEqual([ali])
    expect(out.providerOnly).toHaveLength(1)
  })

  it('property: a bill made from the ledger reconciles with no differences', () => {
    fc.assert(
      fc.property(ledgerArb(), (ledger) => {
        const out = reconcile(billFrom(ledger), ledger)
        expect(out).toEqual({
          matched: ledger.length,
          providerOnly: [],
          localOnly: [],
          amountMismatch: [],
          totals: { billFen: out.totals.ledgerFen, ledgerFen: ledger.reduce((s, e) => s + e.amountFen, 0) },
        })
      }),
    )
  })

  it('property: one row removed, added or altered shows up in exactly the right list', () => {
    fc.assert(
      fc.property(
        ledgerArb().filter((l) => l.length > 0),
        fc.nat(),
        fc.integer({ min: 1, max: 500 }),
        fc.constantFrom('remove', 'add', 'alter'),
        (ledger, pick, delta, how) => {
          const bill = billFrom(ledger)
          const i = pick % ledger.length
          const row = bill[i]!
          if (how === 'remove') bill.splice(i, 1)
          const extra: BillRow = {
            ...row,
            transactionId: 'tx_new',
            outTradeNo: 'chk_new',
            outRefundNo: 'rfd_new',
          }
          if (how === 'add') bill.push(extra)
          const altered: BillRow = { ...row, amountFen: row.amountFen + delta }
          if (how === 'alter') bill[i] = altered
          const out = reconcile(bill, ledger)
          expect(out.matched).toBe(how === 'add' ? ledger.length : ledger.length - 1)
          expect(out.localOnly).toEqual(how === 'remove' ? [ledger[i]] : [])
          expect(out.providerOnly).toEqual(how === 'add' ? [extra] : [])
          expect(out.amountMismatch).toEqual(how === 'alter' ? [{ bill: altered, ledger: ledger[i] }] : [])
        },
      ),
    )
  })
})

// --- hourlyRevenue ------------------------------------------------------------------------------------

describe('hourlyRevenue', () => {
  const HOUR0 = Math.floor(T0 / HOUR) * HOUR
  const e = (over: Partial<LedgerEntry>): LedgerEntry => ({
    id: 'led',
    storeId: '001',
    at: HOUR0,
    kind: 'payment',
    provider: 'wechat',
    checkoutId: 'chk',
    orderIds: [],
    paymentId: 'pay',
    transactionId: 'tx',
    amountFen: 1000,
    memo: 'SETTLED',
    ...over,
  })

  it('sums money in and out per store, hour and provider, sorted', () => {
    const rows = hourlyRevenue([
      e({ at: HOUR0 + 5 * MIN }),
      e({ at: HOUR0 + 59 * MIN, amountFen: 500, memo: 'LATE' }),
      e({ at: HOUR0 + HOUR + 1, kind: 'refund', amountFen: -500, memo: 'LATE' }),
      e({ at: HOUR0 + 10, provider: 'alipay', amountFen: 200 }),
      e({ storeId: '000', at: HOUR0 + 2 * HOUR, amountFen: 7 }),
    ])
    expect(rows).toEqual([
      {
        storeId: '000',
        hourStart: HOUR0 + 2 * HOUR,
        provider: 'wechat',
        paymentsFen: 7,
        refundsFen: 0,
        netFen: 7,
        payments: 1,
        refunds: 0,
      },
      {
        storeId: '001',
        hourStart: HOUR0,
        provider: 'alipay',
        paymentsFen: 200,
        refundsFen: 0,
        netFen: 200,
        payments: 1,
        refunds: 0,
      },
      {
        storeId: '001',
        hourStart: HOUR0,
        provider: 'wechat',
        paymentsFen: 1500,
        refundsFen: 0,
        netFen: 1500,
        payments: 2,
        refunds: 0,
      },
      {
        storeId: '001',
        hourStart: HOUR0 + HOUR,
        provider: 'wechat',
        paymentsFen: 0,
        refundsFen: 500,
        netFen: -500,
        payments: 0,
        refunds: 1,
      },
    ])
  })

  it('aligns hours to the given offset', () => {
    // India is UTC+5:30: its hours start at :30 UTC.
    const ist = 5.5 * HOUR
    const [row] = hourlyRevenue([e({ at: HOUR0 + 10 * MIN })], { utcOffsetMs: ist })
    expect(row!.hourStart).toBe(HOUR0 - 30 * MIN)
    expect(hourlyRevenue([e({ at: HOUR0 + 10 * MIN })], { utcOffsetMs: 8 * HOUR })[0]!.hourStart).toBe(HOUR0)
  })

  it('is empty for no entries', () => {
    expect(hourlyRevenue([])).toEqual([])
  })

  it('property: Σ netFen = Σ amountFen, counts add up, rows sorted and unique', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(ledgerArb('wechat'), ledgerArb('alipay'), fc.constantFrom('001', '002')), {
          maxLength: 3,
        }),
        fc.integer({ min: -12, max: 14 }).map((h) => h * HOUR + (h % 2 ? 30 * MIN : 0)),
        (parts, utcOffsetMs) => {
          const entries = parts.flatMap(([a, b, store]) =>
            [...a, ...b].map((x) => ({ ...x, storeId: store })),
          )
          const rows = hourlyRevenue(entries, { utcOffsetMs })
          expect(rows.reduce((s, r) => s + r.netFen, 0)).toBe(entries.reduce((s, x) => s + x.amountFen, 0))
          expect(rows.reduce((s, r) => s + r.payments + r.refunds, 0)).toBe(entries.length)
          for (const r of rows) {
            expect(r.netFen).toBe(r.paymentsFen - r.refundsFen)
            expect(r.refundsFen).toBeGreaterThanOrEqual(0)
            expect((r.hourStart + utcOffsetMs) % HOUR).toBe(0)
          }
          const keys = rows.map((r) => [r.storeId, r.hourStart, r.provider] as const)
          for (let i = 1; i < keys.length; i++) {
            const [a, b] = [keys[i - 1]!, keys[i]!]
            const cmp = a[0].localeCompare(b[0]) || a[1] - b[1] || a[2].localeCompare(b[2])
            expect(cmp).toBeLessThan(0)
          }
        },
      ),
    )
  })
})
