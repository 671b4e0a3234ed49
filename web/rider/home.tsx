// The shift screen: duty and GPS at the top, the route map, offers with their countdown, tasks in route order.
import type { RiderSnapshot } from '../../core/channels/rider'
import { LinkBanner } from '../shared/link-banner'
import { clock, useNow } from '../shared/time'
import { geoErrorText, REJECT_TEXT } from './labels'
import type { GpsView } from './locate'
import { Offers } from './offers'
import { RiderMap } from './rider-map'
import type { RiderSession } from './session'
import { OverrideDialog, Tasks } from './tasks'
import { useRider } from './use-rider'

export function Home({ session, onLogout }: { session: RiderSession; onLogout: () => void }) {
  const r = useRider(session, onLogout)
  const now = useNow(1000)
  const s = r.state

  return (
    <div class="rider">
      <LinkBanner status={r.status} />
      <header class="r-bar">
        <div class="r-who">
          <strong data-testid="rider-name">{s?.name ?? session.name}</strong>
          <span class="muted">
            {session.riderId}
            {s ? ` · ${s.phone} · 载 ${s.load}/${s.capacity}` : ''}
          </span>
        </div>
        <button type="button" class="btn" data-testid="logout" onClick={onLogout}>
          退出
        </button>
      </header>
      {!s ? (
        <div class="r-empty">正在加载…</div>
      ) : (
        <main class="r-main">
          <Duty state={s} gps={r.gps} now={now} busy={r.busy === 'duty'} onToggle={r.setDuty} />
          {(s.onDuty || s.tasks.length > 0) && <RiderMap state={s} gps={r.gps} />}
          {s.onDuty && <Offers offers={s.offers} now={now} busy={r.busy} onAnswer={r.answerOffer} />}
          <Tasks state={s} now={now} busy={r.busy} onAction={r.taskAction} />
        </main>
      )}
      {r.refusal && s && (
        <OverrideDialog
          refusal={r.refusal}
          task={s.tasks.find((t) => t.orderId === r.refusal?.orderId)}
          busy={r.busy !== null}
          onCancel={r.dismissRefusal}
          onOverride={(task, reason) => r.taskAction(task, r.refusal!.action, reason)}
        />
      )}
    </div>
  )
}

function Duty(props: {
  state: RiderSnapshot
  gps: GpsView | null
  now: number
  busy: boolean
  onToggle: (onDuty: boolean) => void
}) {
  const { state, gps, now } = props
  return (
    <section
      class={`r-card r-duty ${state.onDuty ? 'on' : 'off'}`}
      data-testid="duty"
      data-on={String(state.onDuty)}
    >
      <div class="r-duty-row">
        <div>
          <div class="r-duty-title">{state.onDuty ? '接单中' : '休息中'}</div>
          <div class="muted">{state.onDuty ? '保持本页打开，位置会自动上报' : '上班后开始接单'}</div>
        </div>
        <button
          type="button"
          class={`btn r-duty-btn ${state.onDuty ? '' : 'btn-primary'}`}
          data-testid="duty-toggle"
          disabled={props.busy}
          onClick={() => props.onToggle(!state.onDuty)}
        >
          {props.busy ? '请稍候…' : state.onDuty ? '下班' : '上班'}
        </button>
      </div>
      {state.onDuty && <GpsLine gps={gps} now={now} />}
    </section>
  )
}

/** What the GPS and the server make of the rider's position: the latest report, or why it was refused. */
function GpsLine({ gps, now }: { gps: GpsView | null; now: number }) {
  let text: string
  let kind: 'ok' | 'warn' | 'bad' | 'wait'
  if (!gps || (!gps.watching && gps.error === null)) {
    text = '正在启动定位…'
    kind = 'wait'
  } else if (gps.error !== null) {
    text = geoErrorText(gps.error)
    kind = 'bad'
  } else if (gps.rejected) {
    text = `定位被拒：${REJECT_TEXT[gps.rejected.reason]}`
    kind = 'warn'
  } else if (gps.ackAt) {
    const ago = Math.max(0, Math.round((now - gps.ackAt) / 1000))
    text = `已上报 ${clock(gps.ackAt)}（${ago} 秒前，每 ${Math.round(gps.intervalMs / 1000)} 秒上报）`
    kind = 'ok'
  } else {
    text = gps.fix ? '已定位，等待上报…' : '正在获取位置…'
    kind = 'wait'
  }
  return (
    <div
      class={`r-gps r-gps-${kind}`}
      data-testid="gps-status"
      data-kind={kind}
      data-ack-at={gps?.ackAt ?? ''}
    >
      <span class="r-gps-dot" />
      <span>{text}</span>
      {gps?.fix && <span class="muted r-gps-acc">±{Math.round(gps.fix.accuracyM)} 米</span>}
    </div>
  )
}
