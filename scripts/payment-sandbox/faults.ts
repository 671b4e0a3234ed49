// Faults a test arms through POST /__sandbox/faults. Each fault matches a provider, a target (the payment
// or the refund) and optionally one out_trade_no, and is used up after `times` matches (default 1).
//
// Delivery faults act on the notify of the matching event:
//   drop       never delivered, no retries
//   delay      the first delivery waits delayMs (retries then follow the schedule)
//   duplicate  the first delivery is sent `copies` times at once (default 2)
//   reorder    held until the next notify of the same provider has been sent, then delivered
//   tamper     the first delivery's body is altered after signing; retries are genuine
//   stale      the first delivery is signed with a timestamp 10 minutes old; retries are genuine
// Trade and refund faults:
//   wrong_amount     the trade is paid with amountFen instead of its amount (query agrees)
//   refund_error     the refund API answers a system error `times` times (WeChat 500 SYSTEM_ERROR)
//   refund_abnormal  the refund ends ABNORMAL (WeChat) / REFUND_FAIL (Alipay)

import type { SandboxProvider } from './state'

export const DELIVERY_ACTIONS = ['drop', 'delay', 'duplicate', 'reorder', 'tamper', 'stale'] as const
export const FAULT_ACTIONS = [...DELIVERY_ACTIONS, 'wrong_amount', 'refund_error', 'refund_abnormal'] as const
export type DeliveryAction = (typeof DELIVERY_ACTIONS)[number]
export type FaultAction = (typeof FAULT_ACTIONS)[number]
export type FaultTarget = 'payment' | 'refund'

export interface FaultSpec {
  provider: SandboxProvider
  target: FaultTarget
  outTradeNo?: string
  action: FaultAction
  /** How many matching events the fault applies to (default 1). */
  times?: number
  /** delay: how long the first delivery waits, in real ms (not scaled). */
  delayMs?: number
  /** duplicate: how many copies of the first delivery (default 2). */
  copies?: number
  /** wrong_amount: what the diner "pays". */
  amountFen?: number
}

export interface Fault extends FaultSpec {
  id: string
  times: number
  used: number
}

/** The delivery faults applied to one notify. */
export interface DeliveryFaults {
  drop?: boolean
  delayMs?: number
  copies?: number
  reorder?: boolean
  tamper?: boolean
  stale?: boolean
}

export class FaultError extends Error {}

function validate(spec: FaultSpec): void {
  if (spec.provider !== 'wechat' && spec.provider !== 'alipay')
    throw new FaultError('provider: wechat or alipay')
  if (spec.target !== 'payment' && spec.target !== 'refund') throw new FaultError('target: payment or refund')
  if (!FAULT_ACTIONS.includes(spec.action)) throw new FaultError(`action: one of ${FAULT_ACTIONS.join(', ')}`)
  if (spec.action === 'wrong_amount') {
    if (spec.target !== 'payment') throw new FaultError('wrong_amount applies to target payment')
    if (!Number.isSafeInteger(spec.amountFen) || (spec.amountFen ?? 0) <= 0)
      throw new FaultError('wrong_amount needs amountFen, a positive integer')
  }
  if ((spec.action === 'refund_error' || spec.action === 'refund_abnormal') && spec.target !== 'refund')
    throw new FaultError(`${spec.action} applies to target refund`)
  if (spec.times !== undefined && (!Number.isSafeInteger(spec.times) || spec.times < 1))
    throw new FaultError('times: a positive integer')
  if (spec.delayMs !== undefined && (!Number.isFinite(spec.delayMs) || spec.delayMs < 0))
    throw new FaultError('delayMs: a non-negative number')
  if (
    spec.copies !== undefined &&
    (!Number.isSafeInteger(spec.copies) || spec.copies < 1 || spec.copies > 20)
  )
    throw new FaultError('copies: 1..20')
}

export class FaultBook {
  private faults: Fault[] = []
  private seq = 0

  add(spec: FaultSpec): Fault {
    validate(spec)
    const fault: Fault = {
      ...spec,
      id: `flt_${++this.seq}`,
      times: spec.times ?? 1,
      used: 0,
      ...(spec.action === 'duplicate' ? { copies: spec.copies ?? 2 } : {}),
      ...(spec.action === 'delay' ? { delayMs: spec.delayMs ?? 1000 } : {}),
    }
    this.faults.push(fault)
    return fault
  }

  /**
   * Use up one match of each armed fault (oldest first, at most one per action) for this event. A fault
   * naming an out_trade_no wins over a catch-all one of the same action.
   */
  take(
    provider: SandboxProvider,
    target: FaultTarget,
    outTradeNo: string,
    actions: readonly FaultAction[],
  ): Fault[] {
    const taken: Fault[] = []
    for (const action of actions) {
      const candidates = this.faults.filter(
        (f) =>
          f.used < f.times &&
          f.provider === provider &&
          f.target === target &&
          f.action === action &&
          (f.outTradeNo === undefined || f.outTradeNo === outTradeNo),
      )
      const fault = candidates.find((f) => f.outTradeNo !== undefined) ?? candidates[0]
      if (!fault) continue
      fault.used++
      taken.push(fault)
    }
    return taken
  }

  takeDelivery(provider: SandboxProvider, target: FaultTarget, outTradeNo: string): DeliveryFaults {
    const out: DeliveryFaults = {}
    for (const f of this.take(provider, target, outTradeNo, DELIVERY_ACTIONS)) {
      if (f.action === 'drop') out.drop = true
      if (f.action === 'delay') out.delayMs = f.delayMs ?? 1000
      if (f.action === 'duplicate') out.copies = f.copies ?? 2
      if (f.action === 'reorder') out.reorder = true
      if (f.action === 'tamper') out.tamper = true
      if (f.action === 'stale') out.stale = true
    }
    return out
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }))
  }

  clear(): void {
    this.faults = []
  }
}
