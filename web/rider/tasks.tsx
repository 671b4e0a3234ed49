// Tasks in route order with their ETAs and the one button each needs next (到店 / 取餐 / 送达), the route's
// stops, and the dialog that overrides a geofence refusal with a reason.
import { useState } from 'preact/hooks'
import type { RiderSnapshot, TaskView } from '../../core/channels/rider'
import { clock } from '../shared/time'
import { distanceText, etaText, STATUS_TEXT } from './labels'
import { tasksInRouteOrder } from './route'
import type { FenceRefusal, TaskAction } from './use-rider'

const NEXT: Record<TaskView['status'], { action: TaskAction; label: string } | null> = {
  assigned: { action: 'arrive', label: '到店' },
  arrived: { action: 'pickup', label: '已取餐' },
  picked_up: { action: 'deliver', label: '已送达' },
  delivered: null,
}

const TONE: Record<TaskView['status'], string> = {
  assigned: 'tone-wait',
  arrived: 'tone-work',
  picked_up: 'tone-ready',
  delivered: 'tone-done',
}

export function Tasks(props: {
  state: RiderSnapshot
  now: number
  busy: string | null
  onAction: (task: TaskView, action: TaskAction) => void
}) {
  const { state, now } = props
  const tasks = tasksInRouteOrder(state.tasks, state.route)
  if (tasks.length === 0) return null
  return (
    <section class="r-tasks" data-testid="tasks">
      <h2 class="r-h2">我的任务（{tasks.length}）</h2>
      <RouteStops state={state} now={now} />
      {tasks.map((t, i) => (
        <TaskCard
          key={t.orderId}
          task={t}
          index={i + 1}
          now={now}
          busy={props.busy}
          onAction={props.onAction}
        />
      ))}
    </section>
  )
}

/** The planned route, one line a stop: 取 / 送, which order, and when. */
function RouteStops({ state, now }: { state: RiderSnapshot; now: number }) {
  if (state.route.length === 0) return null
  return (
    <ol class="r-card r-stops" data-testid="route-stops">
      {state.route.map((s) => {
        const t = state.tasks.find((x) => x.orderId === s.orderId)
        return (
          <li key={`${s.kind}:${s.orderId}`} data-kind={s.kind}>
            <span class={`r-stop-kind ${s.kind}`}>{s.kind === 'pickup' ? '取' : '送'}</span>
            <span class="r-stop-what">
              {t?.pickupNo ?? ''} {s.kind === 'pickup' ? (t?.storeName ?? '') : (t?.dropoffHint ?? '')}
            </span>
            <span class="r-stop-at">
              {clock(s.at)} <span class="muted">{etaText(s.at, now)}</span>
            </span>
          </li>
        )
      })}
    </ol>
  )
}

function TaskCard(props: {
  task: TaskView
  index: number
  now: number
  busy: string | null
  onAction: (task: TaskView, action: TaskAction) => void
}) {
  const { task: t, now } = props
  const next = NEXT[t.status]
  const mine = props.busy === `task:${t.orderId}`
  const picked = t.status === 'picked_up'
  return (
    <article class="r-card r-task" data-testid="task" data-order={t.orderId} data-status={t.status}>
      <div class="r-task-head">
        <span class="r-task-no">{props.index}</span>
        <strong>{t.storeName}</strong>
        <span class="chip tone-work" data-testid="task-pickup-no">
          {t.pickupNo}
        </span>
        <span class={`chip ${TONE[t.status]}`} data-testid="task-status">
          {STATUS_TEXT[t.status]}
        </span>
      </div>
      <dl class="r-task-info">
        {!picked && (
          <>
            <dt>出餐</dt>
            <dd>
              {t.readyAt <= now ? '已出餐 / 即将出餐' : `${clock(t.readyAt)}（${etaText(t.readyAt, now)}）`}
            </dd>
            <dt>到店</dt>
            <dd>
              {clock(t.etaPickupAt)}（{etaText(t.etaPickupAt, now)}）
            </dd>
          </>
        )}
        <dt>送达</dt>
        <dd data-testid="task-eta">
          {clock(t.etaDropoffAt)}（{etaText(t.etaDropoffAt, now)}）
        </dd>
        <dt>送往</dt>
        <dd data-testid="task-dropoff">
          {picked ? (
            <>
              <div>{t.dropoffHint}</div>
              {t.dropoff && (
                <div class="muted" data-testid="task-dropoff-point">
                  坐标 {t.dropoff.lat.toFixed(5)}, {t.dropoff.lng.toFixed(5)}
                </div>
              )}
            </>
          ) : (
            <>
              {t.dropoffHint} <span class="muted">（取餐后显示详细地址）</span>
            </>
          )}
        </dd>
        {picked && t.customerPhone && (
          <>
            <dt>顾客</dt>
            <dd data-testid="task-phone">{t.customerPhone}</dd>
          </>
        )}
        <dt>件数</dt>
        <dd>{t.items} 件</dd>
      </dl>
      {next && (
        <button
          type="button"
          class="btn btn-primary btn-block"
          data-testid={`task-${next.action}`}
          disabled={props.busy !== null}
          onClick={() => props.onAction(t, next.action)}
        >
          {mine ? '提交中…' : next.label}
        </button>
      )}
    </article>
  )
}

const WHAT: Record<TaskAction, string> = { arrive: '门店', pickup: '门店', deliver: '顾客' }
const ACT: Record<TaskAction, string> = { arrive: '到店', pickup: '取餐', deliver: '送达' }
const REASONS: Record<TaskAction, string[]> = {
  arrive: ['商场内定位不准', '已在门店门口'],
  pickup: ['商场内定位不准', '商家送餐到门口'],
  deliver: ['顾客到门口取餐', '小区内定位不准', '顾客要求放在指定位置'],
}

/** The fence said no: say how far, and let the rider confirm anyway with a reason the store will see. */
export function OverrideDialog(props: {
  refusal: FenceRefusal
  task: TaskView | undefined
  busy: boolean
  onCancel: () => void
  onOverride: (task: TaskView, reason: string) => void
}) {
  const { refusal } = props
  const [reason, setReason] = useState('')
  const ok = reason.trim().length >= 2
  return (
    <div class="r-dialog-wrap" role="dialog" aria-modal="true">
      <div class="r-dialog" data-testid="fence-dialog">
        <h3>不在{WHAT[refusal.action]}范围内</h3>
        <p data-testid="fence-message">
          {refusal.distanceM !== null
            ? `您距离${WHAT[refusal.action]}约 ${distanceText(refusal.distanceM)}，需在 ${refusal.radiusM ?? ''} 米内才能${ACT[refusal.action]}。`
            : `暂时无法确认您的位置，请稍后重试。`}
        </p>
        <p class="muted">
          如确已{ACT[refusal.action] === '到店' ? '到店' : `完成${ACT[refusal.action]}`}
          ，请填写原因后提交，商家和平台可见。
        </p>
        <div class="r-reasons">
          {REASONS[refusal.action].map((r) => (
            <button type="button" key={r} class="chip" onClick={() => setReason(r)}>
              {r}
            </button>
          ))}
        </div>
        <textarea
          class="input"
          data-testid="fence-reason"
          rows={2}
          maxLength={200}
          placeholder="原因（至少 2 个字）"
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
        <div class="r-dialog-actions">
          <button type="button" class="btn" data-testid="fence-cancel" onClick={props.onCancel}>
            取消
          </button>
          <button
            type="button"
            class="btn btn-primary"
            data-testid="fence-override"
            disabled={!ok || props.busy || !props.task}
            onClick={() => props.task && props.onOverride(props.task, reason.trim())}
          >
            仍然{ACT[refusal.action]}
          </button>
        </div>
      </div>
    </div>
  )
}
