// Money on the board: the alerts banner (amounts that did not match, refunds that failed), and the refund
// sheet of one paid order: what was paid and refunded so far, and a refund of whole lines.

import { createContext } from 'preact'
import { useContext, useEffect, useRef, useState } from 'preact/hooks'
import { formatFen } from '../../core/money'
import type { Order } from '../../core/order'
import type { RefundLine } from '../../core/payment-types'
import { lineRefund } from '../../core/payments'
import { ApiError } from '../shared/api'
import { alarm, beep } from '../shared/beep'
import { describeError } from '../shared/errors'
import {
  MODE_LABEL,
  MONEY_ALERT_LABEL,
  PAYMENT_OUTCOME_LABEL,
  PROVIDER_LABEL,
  REFUND_STATE_LABEL,
} from '../shared/labels'
import {
  alertKey,
  type MoneyAlert,
  type OrderMoney,
  orderMoney,
  refundOrderLines,
  refundPayment,
  retryRefund,
} from '../shared/payments'
import type { StaffSession } from '../shared/staff-auth'
import { clock } from '../shared/time'
import { toast } from '../shared/toast'

/** What order cards need for money actions, without threading props through the columns. */
export interface MoneyActions {
  /** Owners and managers: refunds and the money of an order. */
  canRefund: boolean
  openRefund: (orderId: string) => void
}

export const MoneyContext = createContext<MoneyActions | null>(null)
export const useMoney = () => useContext(MoneyContext)

/** An order-card 退款 / 款项 button applies: paid orders, for owners and managers. */
export const REFUND_DONE_STATES: readonly Order['state'][] = ['REFUND_REQUESTED', 'REFUNDING', 'REFUNDED']

/** Run a staff money call: failures are toasted (401 logs out) and answer null. */
async function attempt<T>(run: () => Promise<T>, onLogout: () => void, ok?: string): Promise<T | null> {
  try {
    const r = await run()
    if (ok) toast(ok)
    return r
  } catch (e) {
    toast(describeError(e), 'error')
    if (e instanceof ApiError && e.status === 401) onLogout()
    return null
  }
}

// ---------- alerts ----------

export function MoneyAlerts(props: {
  alerts: MoneyAlert[]
  orders: Order[]
  session: StaffSession
  canAct: boolean
  onLogout: () => void
}) {
  const seen = useRef(new Set<string>())
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set())
  const [busy, setBusy] = useState<string | null>(null)

  // A sound for each alert this screen has not shown yet (the first snapshot too: it waits for a person).
  useEffect(() => {
    const fresh = props.alerts.filter((a) => !seen.current.has(alertKey(a)))
    for (const a of fresh) seen.current.add(alertKey(a))
    if (fresh.some((a) => a.kind !== 'auto_refund')) alarm()
    else if (fresh.length > 0) beep()
  }, [props.alerts])

  const shown = props.alerts.filter((a) => !hidden.has(alertKey(a)))
  if (shown.length === 0) return null

  const { storeId, token } = props.session
  const act = async (a: MoneyAlert) => {
    const key = alertKey(a)
    setBusy(key)
    if (a.kind === 'amount_mismatch' && a.paymentId) {
      const id = a.paymentId
      await attempt(
        () => refundPayment(storeId, token, id, '金额不符，原路退回'),
        props.onLogout,
        '已发起退款',
      )
    } else if (a.kind === 'refund_failed' && a.refundId) {
      const id = a.refundId
      await attempt(() => retryRefund(storeId, token, id), props.onLogout, '已重新发起退款')
    }
    setBusy(null)
  }
  const where = (a: MoneyAlert) =>
    a.orderIds
      .map((id) => props.orders.find((o) => o.id === id))
      .filter((o): o is Order => !!o)
      .map((o) => `${o.tableLabel ?? MODE_LABEL[o.mode]} ${o.pickupNo}`)
      .join('、')

  return (
    <div class="money-alerts" data-testid="money-alerts" role="alert">
      {shown.map((a) => {
        const key = alertKey(a)
        return (
          <div
            key={key}
            class={`money-alert money-alert-${a.kind}`}
            data-testid="money-alert"
            data-kind={a.kind}
          >
            <span class="money-alert-icon">{a.kind === 'auto_refund' ? 'ℹ️' : '💰'}</span>
            <span class="money-alert-text">
              <strong>{MONEY_ALERT_LABEL[a.kind]}</strong>
              <span class="price">{formatFen(a.amountFen)}</span>
              {where(a) && <span>{where(a)}</span>}
              <span class="money-alert-detail">
                {a.message} · {clock(a.at)}
              </span>
            </span>
            {props.canAct && a.kind === 'amount_mismatch' && a.paymentId && (
              <button
                type="button"
                class="btn btn-danger"
                data-testid="alert-refund"
                disabled={busy === key}
                onClick={() => void act(a)}
              >
                退还此笔
              </button>
            )}
            {props.canAct && a.kind === 'refund_failed' && a.refundId && (
              <button
                type="button"
                class="btn btn-primary"
                data-testid="alert-retry"
                disabled={busy === key}
                onClick={() => void act(a)}
              >
                重试退款
              </button>
            )}
            {a.kind === 'auto_refund' && (
              <button
                type="button"
                class="btn"
                data-testid="alert-dismiss"
                onClick={() => setHidden((s) => new Set(s).add(key))}
              >
                知道了
              </button>
            )}
          </div>
        )
      })}
    </div>
  )
}

// ---------- refund sheet ----------

const REFUND_REASONS = ['菜品有问题', '上错菜', '顾客不满意', '出餐太慢']
// Why: providers settle most refunds within seconds; a slower poll would leave 退款中 on screen for long.
const REFUND_POLL_MS = 2_000

/** Quantities of each line refunded or on the way (a failed refund gave nothing back). */
function refundedQty(money: OrderMoney): Map<number, number> {
  const out = new Map<number, number>()
  for (const r of money.refunds)
    if (r.state !== 'FAILED')
      for (const l of r.lines ?? []) out.set(l.lineNo, (out.get(l.lineNo) ?? 0) + l.qty)
  return out
}

export function RefundSheet(props: {
  order: Order
  session: StaffSession
  onLogout: () => void
  onClose: () => void
}) {
  const { order: o, session } = props
  const [money, setMoney] = useState<OrderMoney | null>(null)
  const [picked, setPicked] = useState<Record<number, number>>({})
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)

  const load = async () => {
    const m = await attempt(() => orderMoney(session.storeId, session.token, o.id), props.onLogout)
    if (m) setMoney(m)
  }
  // Reload when the order changes (a refund went through, the diner paid): the record follows the state.
  useEffect(() => {
    void load()
  }, [o.id, o.version])
  // A line refund does not change the order: follow refunds on their way until the provider answers.
  const moving = money?.refunds.some((r) => r.state === 'PENDING' || r.state === 'PROCESSING')
  useEffect(() => {
    if (!moving) return
    const t = setInterval(() => void load(), REFUND_POLL_MS)
    return () => clearInterval(t)
  }, [moving, o.id])

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose()
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])

  const settled = money?.payments.find((p) => p.outcome === 'SETTLED')
  const done = money ? refundedQty(money) : new Map<number, number>()
  const refundable = !!settled && o.paid && o.state !== 'REFUNDING' && o.state !== 'REFUNDED'
  const request: RefundLine[] = Object.entries(picked)
    .filter(([, qty]) => qty > 0)
    .map(([lineNo, qty]) => ({ lineNo: Number(lineNo), qty }))
  const live = money?.refunds.filter((r) => r.state !== 'FAILED') ?? []
  let preview: number | null = null
  if (request.length > 0 && money)
    try {
      preview = lineRefund(
        o,
        live.flatMap((r) => r.lines ?? []),
        live.reduce((s, r) => s + r.amountFen, 0),
        request,
      ).amountFen
    } catch {
      preview = null
    }

  const submit = async () => {
    setBusy(true)
    const r = await attempt(
      () => refundOrderLines(session.storeId, session.token, o.id, request, reason.trim()),
      props.onLogout,
    )
    setBusy(false)
    if (!r) return
    toast(`已发起退款 ${formatFen(r.amountFen)}`)
    setPicked({})
    setReason('')
    void load()
  }
  const retry = async (refundId: string) => {
    setBusy(true)
    await attempt(
      () => retryRefund(session.storeId, session.token, refundId),
      props.onLogout,
      '已重新发起退款',
    )
    setBusy(false)
    void load()
  }

  return (
    <div class="money-layer">
      <div class="money-backdrop" onClick={props.onClose} />
      <div class="money-sheet" role="dialog" aria-modal="true" data-testid="refund-sheet">
        <div class="table-panel-head">
          <strong>
            {refundable ? '退款' : '款项'} · {o.tableLabel ?? MODE_LABEL[o.mode]} {o.pickupNo}
          </strong>
          <span class="price">{formatFen(o.totalFen)}</span>
          <button
            type="button"
            class="sheet-close"
            aria-label="关闭"
            data-testid="refund-close"
            onClick={props.onClose}
          >
            ✕
          </button>
        </div>
        {!money ? (
          <div class="muted small">正在加载收款记录…</div>
        ) : (
          <>
            <OrderMoneyPanel money={money} busy={busy} onRetry={(id) => void retry(id)} />
            {!settled && o.paid && <div class="money-note">该订单为柜台收款，请在柜台现金退款</div>}
            {refundable && (
              <div class="refund-form" data-testid="refund-form">
                <h3>选择退款菜品</h3>
                <ul class="refund-lines">
                  {o.lines
                    .filter((l) => !l.voided)
                    .map((l) => {
                      const left = l.qty - (done.get(l.lineNo) ?? 0)
                      const n = picked[l.lineNo] ?? 0
                      const set = (q: number) => setPicked((p) => ({ ...p, [l.lineNo]: q }))
                      return (
                        <li key={l.lineNo} data-testid={`refund-line-${l.lineNo}`}>
                          <span class="line-body">
                            <span class="line-name">{l.name}</span>
                            <span class="muted small">
                              {' '}
                              {formatFen(l.lineTotalFen)} · 共{l.qty}份
                              {left < l.qty ? ` · 已退${l.qty - left}份` : ''}
                            </span>
                          </span>
                          {left > 0 ? (
                            <span class="refund-qty">
                              <button
                                type="button"
                                class="btn btn-mini"
                                aria-label="减少"
                                disabled={n <= 0}
                                onClick={() => set(n - 1)}
                              >
                                −
                              </button>
                              <span data-testid="refund-qty">{n}</span>
                              <button
                                type="button"
                                class="btn btn-mini"
                                aria-label="增加"
                                data-testid="refund-qty-plus"
                                disabled={n >= left}
                                onClick={() => set(n + 1)}
                              >
                                +
                              </button>
                              <button
                                type="button"
                                class="btn btn-mini"
                                data-testid="refund-line-all"
                                disabled={n === left}
                                onClick={() => set(left)}
                              >
                                全部
                              </button>
                            </span>
                          ) : (
                            <span class="muted small">已全部退款</span>
                          )}
                        </li>
                      )
                    })}
                </ul>
                <div class="reason-chips">
                  {REFUND_REASONS.map((r) => (
                    <button
                      type="button"
                      key={r}
                      class={`chip ${reason === r ? 'chip-on' : ''}`}
                      onClick={() => setReason(r)}
                    >
                      {r}
                    </button>
                  ))}
                </div>
                <input
                  class="input"
                  data-testid="refund-reason"
                  maxLength={80}
                  placeholder="退款原因（必填）"
                  value={reason}
                  onInput={(e) => setReason(e.currentTarget.value)}
                />
                <div class="reason-actions">
                  <span class="muted small refund-preview" data-testid="refund-preview">
                    {preview !== null ? `将退 ${formatFen(preview)}（按实付比例）` : '请选择要退的菜品'}
                  </span>
                  <button
                    type="button"
                    class="btn btn-danger"
                    data-testid="refund-submit"
                    disabled={busy || request.length === 0 || !reason.trim()}
                    onClick={() => void submit()}
                  >
                    确认退款
                  </button>
                </div>
              </div>
            )}
          </>
        )}
      </div>
    </div>
  )
}

/** Payments and refunds of one order, newest last; failed refunds can be sent again. */
export function OrderMoneyPanel(props: {
  money: OrderMoney
  busy: boolean
  onRetry: (refundId: string) => void
}) {
  const { payments, refunds } = props.money
  if (payments.length === 0 && refunds.length === 0)
    return <div class="muted small money-empty">暂无线上支付记录</div>
  return (
    <div class="order-money" data-testid="order-money">
      {payments.length > 0 && (
        <ul class="money-rows">
          {payments.map((p) => (
            <li key={p.id} data-testid="money-payment" data-outcome={p.outcome}>
              <span class="chip">{PROVIDER_LABEL[p.provider]}</span>
              <span>收款 {formatFen(p.amountFen)}</span>
              <span class={`chip ${p.outcome === 'SETTLED' ? 'tone-ready' : 'tone-bad'}`}>
                {PAYMENT_OUTCOME_LABEL[p.outcome]}
              </span>
              {p.refundedFen > 0 && <span class="muted small">已退 {formatFen(p.refundedFen)}</span>}
              <span class="muted small money-when">{clock(p.paidAt)}</span>
            </li>
          ))}
        </ul>
      )}
      {refunds.length > 0 && (
        <ul class="money-rows">
          {refunds.map((r) => (
            <li key={r.id} data-testid="money-refund" data-state={r.state}>
              <span>退款 {formatFen(r.amountFen)}</span>
              <span
                class={`chip ${r.state === 'SUCCESS' ? 'tone-ready' : r.state === 'FAILED' ? 'tone-bad' : 'tone-work'}`}
              >
                {REFUND_STATE_LABEL[r.state]}
              </span>
              <span class="muted small">{r.reason}</span>
              {r.state === 'FAILED' && (
                <button
                  type="button"
                  class="btn btn-mini"
                  data-testid="refund-retry"
                  disabled={props.busy}
                  onClick={() => props.onRetry(r.id)}
                >
                  重试退款
                </button>
              )}
              <span class="muted small money-when">{clock(r.createdAt)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
