// 申请退款 on a paid round: before the store accepts it the money goes back at once; later the
// merchant decides. The round's new state arrives over the table socket.

import { useState } from 'preact/hooks'
import type { RoundSummary } from '../../core/channels/table'
import { formatFen } from '../../core/money'
import { nextEvents, type OrderState } from '../../core/order-machine'
import { describeError } from '../shared/errors'
import { requestRefund } from '../shared/payments'
import { toast } from '../shared/toast'
import { Sheet } from './sheet'

const REASONS = ['点错了', '不想要了', '等太久了', '菜品有问题']

/** A paid round the diner may still ask a refund for (the machine's rule for a diner at a table). */
export function canAskRefund(round: RoundSummary): boolean {
  return round.paid && nextEvents(round.state, 'dine_in', 'diner').includes('request_refund')
}

/** What a refund means for the diner, in one line under the round. */
export const REFUND_NOTE: Partial<Record<OrderState, string>> = {
  REFUND_REQUESTED: '退款申请已提交，待商家处理',
  REFUNDING: '退款中，款项将原路退回',
  REFUNDED: '已退款，款项已原路退回',
}

export function RefundSheet(props: { round: RoundSummary; token: string; onClose: () => void }) {
  const { round } = props
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  // Before acceptance the refund is immediate; once the kitchen has it, the merchant decides.
  const immediate = round.state === 'PLACED'

  const submit = async () => {
    setBusy(true)
    try {
      const o = await requestRefund(props.token, round.orderId, reason.trim())
      toast(o.state === 'REFUND_REQUESTED' ? '已提交退款申请，等待商家处理' : '已申请退款，款项将原路退回')
      props.onClose()
    } catch (e) {
      setBusy(false)
      toast(describeError(e), 'error')
    }
  }

  return (
    <Sheet
      title={`申请退款 · 取餐号 ${round.pickupNo}`}
      onClose={props.onClose}
      testid="refund-sheet"
      footer={
        <>
          <div class="sheet-total">
            <span class="price">{formatFen(round.totalFen)}</span>
            <span class="muted small">{immediate ? '商家未接单，提交后立即退款' : '需商家同意后退款'}</span>
          </div>
          <button
            type="button"
            class="btn btn-primary"
            data-testid="refund-confirm"
            disabled={busy || !reason.trim()}
            onClick={() => void submit()}
          >
            {busy ? '提交中…' : '提交申请'}
          </button>
        </>
      }
    >
      <div class="opt-group">
        <div class="opt-title">退款原因</div>
        <div class="opt-list">
          {REASONS.map((r) => (
            <button
              type="button"
              key={r}
              class={`opt ${reason === r ? 'on' : ''}`}
              aria-pressed={reason === r}
              data-testid="refund-reason-chip"
              onClick={() => setReason(r)}
            >
              {r}
            </button>
          ))}
        </div>
      </div>
      <input
        class="input"
        data-testid="refund-reason"
        maxLength={80}
        placeholder="其他原因（必填其一）"
        value={reason}
        onInput={(e) => setReason(e.currentTarget.value)}
      />
    </Sheet>
  )
}
