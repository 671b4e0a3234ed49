// What the table has ordered, round by round, with each round's live state.
import type { RoundSummary } from '../../core/channels/table'
import { formatFen } from '../../core/money'
import type { PayMode } from '../../core/order'
import type { OrderState } from '../../core/order-machine'
import { ORDER_STATE_LABEL, stateTone } from '../shared/labels'
import { clock } from '../shared/time'
import { canAskRefund, REFUND_NOTE } from './refund'

const VOID_STATES: readonly OrderState[] = ['REJECTED', 'CANCELLED', 'CLOSED', 'REFUNDED']

/** Paying on the phone; absent (or no providers) keeps the pay-at-the-counter notes. */
export interface RoundPayActions {
  canPay: boolean
  onPayRound: (round: RoundSummary) => void
  onPayBill: (amountFen: number) => void
  onRefund: (round: RoundSummary) => void
}

/** Rounds still owed on a pay-after table: what 买单 pays. */
export const unpaidRounds = (rounds: RoundSummary[]) =>
  rounds.filter((r) => !r.paid && !VOID_STATES.includes(r.state) && !r.state.startsWith('REFUND'))

export function Rounds(props: { rounds: RoundSummary[]; payMode: PayMode; pay?: RoundPayActions }) {
  const rounds = [...props.rounds].sort((a, b) => b.roundNo - a.roundNo)
  const total = rounds.filter((r) => !VOID_STATES.includes(r.state)).reduce((s, r) => s + r.totalFen, 0)
  const canPay = !!props.pay?.canPay
  const owed = unpaidRounds(rounds).reduce((s, r) => s + r.totalFen, 0)
  if (rounds.length === 0)
    return (
      <div class="rounds-empty center-screen" data-testid="rounds-empty">
        <span class="big-emoji">🧾</span>
        <div class="muted">还没有下单，选好菜后点「下单」</div>
      </div>
    )
  return (
    <div class="rounds" data-testid="rounds">
      <div class="rounds-summary">
        <span>已下单 {rounds.length} 轮</span>
        <span>
          合计 <span class="price">{formatFen(total)}</span>
        </span>
      </div>
      {props.payMode === 'pay_after' && !canPay && <div class="pay-note">用餐结束后请到前台结账</div>}
      {props.payMode === 'pay_after' && canPay && owed > 0 && (
        <div class="pay-bill">
          <span>
            未付{' '}
            <span class="price" data-testid="bill-owed">
              {formatFen(owed)}
            </span>
            <span class="muted small"> · 用餐结束可直接手机买单</span>
          </span>
          <button
            type="button"
            class="btn btn-primary"
            data-testid="pay-bill"
            onClick={() => props.pay?.onPayBill(owed)}
          >
            买单
          </button>
        </div>
      )}
      {props.payMode === 'pay_after' && canPay && owed === 0 && (
        <div class="pay-note pay-done" data-testid="bill-paid">
          本桌已全部付清
        </div>
      )}
      {rounds.map((r) => (
        <RoundCard key={r.roundNo} round={r} payMode={props.payMode} pay={props.pay} />
      ))}
    </div>
  )
}

function RoundCard({
  round,
  payMode,
  pay,
}: {
  round: RoundSummary
  payMode: PayMode
  pay: RoundPayActions | undefined
}) {
  const voided = VOID_STATES.includes(round.state)
  const refundNote = REFUND_NOTE[round.state]
  return (
    <div
      class={`round ${voided ? 'voided' : ''}`}
      data-testid={`round-${round.roundNo}`}
      data-state={round.state}
    >
      <div class="round-head">
        <strong>{round.roundNo === 1 ? '第1轮' : `加菜 · 第${round.roundNo}轮`}</strong>
        <span class={`chip tone-${stateTone(round.state)}`} data-testid="state-label">
          {ORDER_STATE_LABEL[round.state]}
        </span>
        <span
          class={`chip ${round.paid ? 'tone-ready' : ''}`}
          data-testid="paid-label"
          data-paid={String(round.paid)}
        >
          {round.paid ? '已支付' : '未支付'}
        </span>
        <span class="round-time muted">{clock(round.placedAt)}</span>
      </div>
      <div class="pickup-no">
        取餐号 <b data-testid="pickup-no">{round.pickupNo}</b>
      </div>
      {round.state === 'PENDING_PAYMENT' && payMode === 'pay_first' && !pay?.canPay && (
        <div class="pay-note pay-first" data-testid="pay-at-counter">
          请到前台支付，支付后厨房开始制作
        </div>
      )}
      {round.state === 'PENDING_PAYMENT' && payMode === 'pay_first' && pay?.canPay && (
        <div class="pay-note pay-first pay-row">
          <span>支付后厨房开始制作</span>
          <button
            type="button"
            class="btn btn-primary"
            data-testid="pay-round"
            onClick={() => pay.onPayRound(round)}
          >
            去支付 {formatFen(round.totalFen)}
          </button>
        </div>
      )}
      {refundNote && (
        <div class={`refund-note refund-${round.state}`} data-testid="refund-label" data-state={round.state}>
          {refundNote}
        </div>
      )}
      <ul class="round-lines">
        {round.lines.map((l, i) => (
          <li key={i}>
            <span class="round-line-name">
              {l.name}
              {[l.skuName, ...l.optionNames].filter(Boolean).length > 0 && (
                <span class="muted small">
                  {' '}
                  ({[l.skuName, ...l.optionNames].filter(Boolean).join(' / ')})
                </span>
              )}
              {l.note && <span class="line-note small">备注：{l.note}</span>}
            </span>
            <span class="muted small">{l.dinerName}</span>
            <span class="round-qty">×{l.qty}</span>
          </li>
        ))}
      </ul>
      <div class="round-total">
        {pay && canAskRefund(round) && (
          <button
            type="button"
            class="refund-btn"
            data-testid="refund-round"
            onClick={() => pay.onRefund(round)}
          >
            申请退款
          </button>
        )}
        小计 <span class="price">{formatFen(round.totalFen)}</span>
      </div>
    </div>
  )
}
