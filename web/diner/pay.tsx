// Paying on the phone: the sheet to pick 微信支付 / 支付宝 for one round (pay first) or the table's bill
// (pay after), and the way back from the cashier: confirm the checkout named in the URL, show the result.

import { useEffect, useState } from 'preact/hooks'
import type { RoundSummary } from '../../core/channels/table'
import { formatFen } from '../../core/money'
import { describeError } from '../shared/errors'
import { PayMethods } from '../shared/pay-methods'
import {
  type CheckoutResult,
  confirmCheckout,
  loadProviders,
  openCashier,
  type PayStart,
  type ProviderInfo,
  type ProviderName,
  takeReturnedCheckout,
} from '../shared/payments'
import { toast } from '../shared/toast'
import { Sheet } from './sheet'

/** What this deployment takes; [] until known, and when payment is at the counter only. */
export function useProviders(): ProviderInfo[] {
  const [list, setList] = useState<ProviderInfo[]>([])
  useEffect(() => {
    let live = true
    void loadProviders().then((p) => live && setList(p))
    return () => {
      live = false
    }
  }, [])
  return list
}

/** What the diner is paying for: one round, or every unpaid round of the table. */
export type PayTarget = { kind: 'round'; round: RoundSummary } | { kind: 'bill'; amountFen: number }

export function PaySheet(props: {
  target: PayTarget
  providers: ProviderInfo[]
  start: (target: PayTarget, provider: ProviderName) => Promise<PayStart>
  /** An in-app payment (WeChat JSAPI) finished here: confirm this checkout. */
  onPaid: (checkoutId: string, orderIds: string[]) => void
  onClose: () => void
}) {
  const [busy, setBusy] = useState<ProviderName | null>(null)
  const { target } = props
  const amount = target.kind === 'round' ? target.round.totalFen : target.amountFen

  const pick = async (provider: ProviderName) => {
    setBusy(provider)
    try {
      const started = await props.start(target, provider)
      const how = await openCashier(started.pay)
      // The browser is on its way to the cashier: keep the sheet busy until the page unloads.
      if (how === 'redirected') return
      setBusy(null)
      if (how === 'done') props.onPaid(started.checkoutId, started.orderIds)
      else toast('已取消支付')
    } catch (e) {
      setBusy(null)
      toast(describeError(e), 'error')
    }
  }

  return (
    <Sheet
      title={target.kind === 'round' ? `支付 · 取餐号 ${target.round.pickupNo}` : '买单'}
      onClose={props.onClose}
      testid="pay-sheet"
    >
      <div class="pay-amount">
        <span class="muted small">{target.kind === 'round' ? '本轮应付' : '本桌未付合计'}</span>
        <span class="price" data-testid="pay-amount">
          {formatFen(amount)}
        </span>
      </div>
      <PayMethods providers={props.providers} busy={busy} onPick={(p) => void pick(p)} />
      <p class="muted small pay-hint">支付完成后会自动回到本页；也可以到前台付款。</p>
    </Sheet>
  )
}

export type PayReturn =
  | { k: 'checking'; checkoutId: string }
  | { k: 'done'; result: CheckoutResult }
  | { k: 'failed'; checkoutId: string; message: string }

/**
 * Back from the cashier (`?checkout=<id>` in the URL, removed at once): ask the store to confirm now
 * rather than wait for the provider's notify. `confirm` does the same after an in-app payment.
 */
export function usePayReturn(token: string) {
  const [returned] = useState(takeReturnedCheckout)
  const [state, setState] = useState<PayReturn | null>(
    returned ? { k: 'checking', checkoutId: returned } : null,
  )

  const confirm = async (checkoutId: string) => {
    setState({ k: 'checking', checkoutId })
    try {
      setState({ k: 'done', result: await confirmCheckout(token, checkoutId) })
    } catch (e) {
      setState({ k: 'failed', checkoutId, message: describeError(e) })
    }
  }

  useEffect(() => {
    if (returned) void confirm(returned)
  }, [returned])

  return { returned: returned !== null, state, confirm, dismiss: () => setState(null) }
}

/** The banner after paying: 支付成功 once the store (or the table's rounds, live) say the money arrived. */
export function PayResult(props: { state: PayReturn; rounds: RoundSummary[]; onClose: () => void }) {
  const { state } = props
  const orderIds = state.k === 'done' ? state.result.orderIds : []
  // The confirm may answer before the notify lands; the rounds turn paid over the socket either way.
  const roundsPaid =
    orderIds.length > 0 && orderIds.every((id) => props.rounds.some((r) => r.orderId === id && r.paid))
  const paid = (state.k === 'done' && state.result.paid) || roundsPaid
  const ended =
    state.k === 'done' && !paid && (state.result.state === 'CLOSED' || state.result.state === 'SUPERSEDED')
  const status = paid ? 'paid' : state.k === 'failed' || ended ? 'failed' : 'pending'
  const text = paid
    ? '支付成功'
    : state.k === 'failed'
      ? `支付结果查询失败：${state.message}`
      : ended
        ? '支付未完成，订单已关闭或账单已变化，请重新支付'
        : '支付处理中：如已付款请稍候，结果会自动更新；未付款可重新支付'
  return (
    <div
      class={`pay-result pay-result-${status}`}
      data-testid="pay-result"
      data-status={status}
      role="status"
    >
      <span class="pay-result-icon">{paid ? '✅' : status === 'failed' ? '⚠️' : '⏳'}</span>
      <span class="pay-result-text">{text}</span>
      <button type="button" class="pay-result-close" aria-label="关闭" onClick={props.onClose}>
        ✕
      </button>
    </div>
  )
}
