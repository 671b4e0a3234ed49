// One order on the board: where it is for, what is in it, and the buttons its state allows this role.

import { useState } from 'preact/hooks'
import type { PrinterState } from '../../core/channels/store'
import { formatFen } from '../../core/money'
import type { Order } from '../../core/order'
import { nextEvents, type OrderEvent } from '../../core/order-machine'
import type { StaffRole } from '../../core/store'
import { EVENT_LABEL, MODE_LABEL, ORDER_STATE_LABEL, stateTone } from '../shared/labels'
import { clock, since } from '../shared/time'
import { PrintJobs } from './print-jobs'
import type { JobSummary } from './use-store'

const DANGER: readonly OrderEvent[] = ['reject', 'cancel', 'refuse_refund']
/** Events that ask for a reason first; the reason is required for a rejection. */
const ASK_REASON: Partial<Record<OrderEvent, string[]>> = {
  reject: ['菜品已售罄', '厨房太忙', '即将打烊', '无法联系顾客'],
  cancel: ['顾客要求取消', '重复下单', '点错了'],
}

/**
 * The machine also lets managers refund on their own initiative from most states; a one-tap refund on
 * every card is too easy to hit, so the board offers refund decisions only on a diner's request.
 */
function allowedHere(e: OrderEvent, o: Order): boolean {
  if (e === 'pay') return o.state === 'PENDING_PAYMENT'
  if (e === 'approve_refund' || e === 'refuse_refund') return o.state === 'REFUND_REQUESTED'
  return true
}

export function OrderCard(props: {
  order: Order
  role: StaffRole
  now: number
  flash: boolean
  onSeen: (id: string) => void
  onEvent: (order: Order, event: OrderEvent, reason?: string) => Promise<boolean>
  /** The store's printers; the 打印 section shows only when there are some. */
  printers: PrinterState[]
  loadJobs: (orderId: string) => Promise<JobSummary[] | null>
  reprint: (jobId: string) => Promise<JobSummary | null>
}) {
  const { order: o } = props
  const [busy, setBusy] = useState(false)
  const [asking, setAsking] = useState<OrderEvent | null>(null)
  const [reason, setReason] = useState('')

  const events = nextEvents(o.state, o.mode, props.role).filter((e) => EVENT_LABEL[e] && allowedHere(e, o))

  const fire = async (event: OrderEvent, why?: string) => {
    setBusy(true)
    const ok = await props.onEvent(o, event, why?.trim() || undefined)
    setBusy(false)
    if (ok) {
      setAsking(null)
      setReason('')
    }
  }
  const tap = (event: OrderEvent) => (ASK_REASON[event] ? setAsking(event) : void fire(event))

  const where = o.tableLabel ?? MODE_LABEL[o.mode]
  const addOn = (o.roundNo ?? 1) > 1
  return (
    <article
      class={`order tone-edge-${stateTone(o.state)} ${props.flash ? 'flash' : ''}`}
      data-testid={`order-${o.id}`}
      data-state={o.state}
      onClick={() => props.flash && props.onSeen(o.id)}
    >
      <header class="order-head">
        <span class="order-where" data-testid="where">
          {where}
        </span>
        {o.roundNo !== undefined && (
          <span class={`chip ${addOn ? 'chip-addon' : ''}`} data-testid="round-badge">
            {addOn ? `加菜 · 第${o.roundNo}轮` : '第1轮'}
          </span>
        )}
        <span class="pickup-no" data-testid="pickup-no">
          {o.pickupNo}
        </span>
      </header>
      <div class="order-meta">
        <span class={`chip tone-${stateTone(o.state)}`} data-testid="state-label">
          {ORDER_STATE_LABEL[o.state]}
        </span>
        <span
          class={`chip ${o.paid ? 'tone-ready' : 'tone-wait'}`}
          data-testid="paid-label"
          data-paid={String(o.paid)}
        >
          {o.paid ? '已付' : o.payMode === 'pay_after' ? '未付·餐后付' : '未付'}
        </span>
        <span class="muted small" title={clock(o.createdAt)}>
          {clock(o.createdAt)} · {since(o.createdAt, props.now)}
        </span>
      </div>
      <ul class="order-lines">
        {o.lines.map((l, i) => {
          const spec = [l.skuName, ...l.optionNames].filter(Boolean).join(' / ')
          const k = o.kds?.[l.lineNo]
          return (
            <li key={i} class={l.voided ? 'line-voided' : k?.doneAt ? 'line-done' : ''}>
              <span class="line-qty">{l.qty}×</span>
              <span class="line-body">
                <span class="line-name">{l.name}</span>
                {spec && <span class="muted small"> {spec}</span>}
                {l.allergens.length > 0 && (
                  <span class="allergens" data-testid="allergens">
                    ⚠ {l.allergens.join('、')}
                  </span>
                )}
                {l.note && <span class="line-note">备注：{l.note}</span>}
              </span>
              {l.voided && (
                <span class="line-kds" data-testid="line-voided" title={l.voided.reason}>
                  已退菜
                </span>
              )}
              {k && !l.voided && (
                <span class={`line-kds ${k.doneAt ? 'done' : ''}`} data-testid="line-kds">
                  {k.doneAt ? '✓ 已做好' : '制作中'}
                </span>
              )}
            </li>
          )
        })}
      </ul>
      {o.note && <div class="order-note">整单备注：{o.note}</div>}
      {o.reason && <div class="order-reason muted small">原因：{o.reason}</div>}
      <footer class="order-foot">
        <span class="price" data-testid="total">
          {formatFen(o.totalFen)}
        </span>
        <span class="order-buttons">
          {events.map((e, i) => (
            <button
              type="button"
              key={e}
              class={`btn ${DANGER.includes(e) ? 'btn-danger' : i === 0 ? 'btn-primary' : ''}`}
              data-testid={`event-${e}`}
              disabled={busy}
              onClick={(ev) => {
                ev.stopPropagation()
                tap(e)
              }}
            >
              {EVENT_LABEL[e]}
            </button>
          ))}
        </span>
      </footer>
      {props.printers.length > 0 && (
        <PrintJobs orderId={o.id} printers={props.printers} load={props.loadJobs} reprint={props.reprint} />
      )}
      {asking && (
        <div class="reason-form" onClick={(ev) => ev.stopPropagation()}>
          <div class="reason-chips">
            {ASK_REASON[asking]!.map((r) => (
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
            data-testid="reason-input"
            maxLength={200}
            placeholder={asking === 'reject' ? '拒单原因（必填）' : '取消原因（选填）'}
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
          <div class="reason-actions">
            <button type="button" class="btn" data-testid="reason-cancel" onClick={() => setAsking(null)}>
              返回
            </button>
            <button
              type="button"
              class="btn btn-danger"
              data-testid="reason-confirm"
              disabled={busy || (asking === 'reject' && !reason.trim())}
              onClick={() => void fire(asking, reason)}
            >
              确认{EVENT_LABEL[asking]}
            </button>
          </div>
        </div>
      )}
    </article>
  )
}
