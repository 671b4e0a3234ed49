// One order on the board: where it is for, what is in it, and the buttons its state allows this role.

import { Fragment } from 'preact'
import { useState } from 'preact/hooks'
import type { PrinterState } from '../../core/channels/store'
import { formatFen } from '../../core/money'
import type { Order } from '../../core/order'
import { nextEvents, type OrderEvent } from '../../core/order-machine'
import type { StaffRole } from '../../core/store'
import { EVENT_LABEL, MODE_LABEL, ORDER_STATE_LABEL, stateTone } from '../shared/labels'
import { clock, since } from '../shared/time'
import { REFUND_DONE_STATES, useMoney } from './money'
import { PrintJobs } from './print-jobs'
import type { JobSummary } from './use-store'

const DANGER: readonly OrderEvent[] = ['reject', 'cancel', 'refuse_refund']
/** Events that ask for a reason first; the reason is required for a rejection. */
const ASK_REASON: Partial<Record<OrderEvent, string[]>> = {
  reject: ['菜品已售罄', '厨房太忙', '即将打烊', '无法联系顾客'],
  cancel: ['顾客要求取消', '重复下单', '点错了'],
  refuse_refund: ['菜品已制作', '已上菜', '已与顾客协商'],
}
/**
 * States whose last reason explains them (why rejected, cancelled, refunded). Other events write a reason
 * too (a payment records its provider and transaction), which would read as a complaint on the card.
 */
const REASON_STATES: readonly Order['state'][] = [
  'REJECTED',
  'CANCELLED',
  'CLOSED',
  'REFUND_REQUESTED',
  'REFUNDING',
  'REFUNDED',
]
/** 退菜: quick reasons for taking one dish back. */
const VOID_REASONS = ['沽清', '客人不要了', '上错菜', '等太久']
/** A dish can be taken back while the order is unpaid and not yet served (the API answers 409 otherwise). */
const VOIDABLE_STATES: readonly Order['state'][] = ['PLACED', 'ACCEPTED', 'QUEUED', 'COOKING', 'READY']
const VOID_ROLES: readonly StaffRole[] = ['owner', 'manager', 'waiter']

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
  /** 退菜: take one line back; the socket (and the answer) bring the repriced order. */
  onVoid: (order: Order, lineNo: number, reason: string) => Promise<boolean>
  /** The store's printers; the 打印 section shows only when there are some. */
  printers: PrinterState[]
  loadJobs: (orderId: string) => Promise<JobSummary[] | null>
  reprint: (jobId: string) => Promise<JobSummary | null>
}) {
  const { order: o } = props
  const [busy, setBusy] = useState(false)
  const [asking, setAsking] = useState<OrderEvent | null>(null)
  const [voiding, setVoiding] = useState<number | null>(null)
  const [reason, setReason] = useState('')
  const money = useMoney()

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
  const tap = (event: OrderEvent) => {
    if (!ASK_REASON[event]) return void fire(event)
    setVoiding(null)
    setReason('')
    setAsking(event)
  }
  const canVoid = !o.paid && VOIDABLE_STATES.includes(o.state) && VOID_ROLES.includes(props.role)
  const openVoid = (lineNo: number) => {
    setAsking(null)
    setReason('')
    setVoiding(lineNo)
  }
  const confirmVoid = async (lineNo: number) => {
    setBusy(true)
    const ok = await props.onVoid(o, lineNo, reason.trim())
    setBusy(false)
    if (ok) {
      setVoiding(null)
      setReason('')
    }
  }

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
          {o.paid ? '已支付' : o.payMode === 'pay_after' ? '未支付·餐后付' : '未支付'}
        </span>
        <span class="muted small" title={clock(o.createdAt)}>
          {clock(o.createdAt)} · {since(o.createdAt, props.now)}
        </span>
      </div>
      <ul class="order-lines">
        {o.lines.map((l) => {
          const spec = [l.skuName, ...l.optionNames].filter(Boolean).join(' / ')
          const k = o.kds?.[l.lineNo]
          return (
            <Fragment key={l.lineNo}>
              <li class={l.voided ? 'line-voided' : k?.doneAt ? 'line-done' : ''}>
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
                {canVoid && !l.voided && voiding !== l.lineNo && (
                  <button
                    type="button"
                    class="btn btn-danger line-void-btn"
                    data-testid={`void-${o.id}-${l.lineNo}`}
                    disabled={busy}
                    onClick={(ev) => {
                      ev.stopPropagation()
                      openVoid(l.lineNo)
                    }}
                  >
                    退菜
                  </button>
                )}
              </li>
              {canVoid && !l.voided && voiding === l.lineNo && (
                <li class="line-void-form">
                  <ReasonForm
                    choices={VOID_REASONS}
                    reason={reason}
                    setReason={setReason}
                    placeholder={`退菜原因：${l.name}（必填）`}
                    busy={busy}
                    required
                    confirmLabel="确认退菜"
                    ids={{
                      form: 'void-form',
                      input: 'void-reason',
                      cancel: 'void-cancel',
                      confirm: 'void-confirm',
                    }}
                    onCancel={() => setVoiding(null)}
                    onConfirm={() => void confirmVoid(l.lineNo)}
                  />
                </li>
              )}
            </Fragment>
          )
        })}
      </ul>
      {o.note && <div class="order-note">整单备注：{o.note}</div>}
      {o.reason && REASON_STATES.includes(o.state) && (
        <div class="order-reason muted small">原因：{o.reason}</div>
      )}
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
          {money?.canRefund && o.paid && (
            <button
              type="button"
              class={`btn ${REFUND_DONE_STATES.includes(o.state) ? '' : 'btn-danger'}`}
              data-testid="refund-open"
              onClick={(ev) => {
                ev.stopPropagation()
                money.openRefund(o.id)
              }}
            >
              {REFUND_DONE_STATES.includes(o.state) ? '款项' : '退款'}
            </button>
          )}
        </span>
      </footer>
      {props.printers.length > 0 && (
        <PrintJobs orderId={o.id} printers={props.printers} load={props.loadJobs} reprint={props.reprint} />
      )}
      {asking && (
        <ReasonForm
          choices={ASK_REASON[asking]!}
          reason={reason}
          setReason={setReason}
          placeholder={
            asking === 'reject'
              ? '拒单原因（必填）'
              : asking === 'refuse_refund'
                ? '拒绝退款原因（选填）'
                : '取消原因（选填）'
          }
          busy={busy}
          required={asking === 'reject'}
          confirmLabel={`确认${EVENT_LABEL[asking]}`}
          ids={{ input: 'reason-input', cancel: 'reason-cancel', confirm: 'reason-confirm' }}
          onCancel={() => setAsking(null)}
          onConfirm={() => void fire(asking, reason)}
        />
      )}
    </article>
  )
}

/** The inline "why?" form: quick-pick chips, a free-text reason and 返回 / confirm (拒单, 取消, 退菜). */
function ReasonForm(props: {
  choices: readonly string[]
  reason: string
  setReason: (r: string) => void
  placeholder: string
  busy: boolean
  /** The confirm button stays disabled until there is a reason. */
  required: boolean
  confirmLabel: string
  ids: { form?: string; input: string; cancel: string; confirm: string }
  onCancel: () => void
  onConfirm: () => void
}) {
  const { reason, setReason } = props
  return (
    <div class="reason-form" data-testid={props.ids.form} onClick={(ev) => ev.stopPropagation()}>
      <div class="reason-chips">
        {props.choices.map((r) => (
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
        data-testid={props.ids.input}
        maxLength={200}
        placeholder={props.placeholder}
        value={reason}
        onInput={(e) => setReason(e.currentTarget.value)}
      />
      <div class="reason-actions">
        <button type="button" class="btn" data-testid={props.ids.cancel} onClick={props.onCancel}>
          返回
        </button>
        <button
          type="button"
          class="btn btn-danger"
          data-testid={props.ids.confirm}
          disabled={props.busy || (props.required && !reason.trim())}
          onClick={props.onConfirm}
        >
          {props.confirmLabel}
        </button>
      </div>
    </div>
  )
}
