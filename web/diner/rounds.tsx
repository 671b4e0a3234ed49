// What the table has ordered, round by round, with each round's live state.
import type { RoundSummary } from '../../core/channels/table'
import { formatFen } from '../../core/money'
import type { PayMode } from '../../core/order'
import type { OrderState } from '../../core/order-machine'
import { ORDER_STATE_LABEL, stateTone } from '../shared/labels'
import { clock } from '../shared/time'

const VOID_STATES: readonly OrderState[] = ['REJECTED', 'CANCELLED', 'CLOSED', 'REFUNDED']

export function Rounds(props: { rounds: RoundSummary[]; payMode: PayMode }) {
  const rounds = [...props.rounds].sort((a, b) => b.roundNo - a.roundNo)
  const total = rounds.filter((r) => !VOID_STATES.includes(r.state)).reduce((s, r) => s + r.totalFen, 0)
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
      {props.payMode === 'pay_after' && <div class="pay-note">用餐结束后请到前台结账</div>}
      {rounds.map((r) => (
        <RoundCard key={r.roundNo} round={r} payMode={props.payMode} />
      ))}
    </div>
  )
}

function RoundCard({ round, payMode }: { round: RoundSummary; payMode: PayMode }) {
  const voided = VOID_STATES.includes(round.state)
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
      {round.state === 'PENDING_PAYMENT' && payMode === 'pay_first' && (
        <div class="pay-note pay-first" data-testid="pay-at-counter">
          请到前台支付，支付后厨房开始制作
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
        小计 <span class="price">{formatFen(round.totalFen)}</span>
      </div>
    </div>
  )
}
