// Kitchen printers on the board: a status strip, and the alarm when one needs a person (缺纸, 开盖 …).
import { useEffect } from 'preact/hooks'
import type { PrinterState } from '../../core/channels/store'
import { alarm } from '../shared/beep'
import { PRINTER_STATUS_LABEL } from '../shared/labels'

// Why: often enough that nobody in a noisy kitchen can miss it, with a gap to talk over it.
const ALARM_EVERY_MS = 4_000

export function printerTone(status: PrinterState['status']): 'ok' | 'wait' | 'bad' | 'idle' {
  if (status === 'ok') return 'ok'
  if (status === 'unknown') return 'idle'
  if (status === 'offline') return 'wait'
  return 'bad'
}

/** "热菜打印机缺纸" */
export const printerProblem = (p: PrinterState) => `${p.name}${PRINTER_STATUS_LABEL[p.status]}`

export function PrinterStrip(props: { printers: PrinterState[]; onOpen?: (() => void) | undefined }) {
  if (props.printers.length === 0) return null
  return (
    <div class="printer-strip" data-testid="printer-strip">
      <span class="muted small">打印机</span>
      {props.printers.map((p) => (
        <button
          type="button"
          key={p.id}
          class={`printer-chip pt-${printerTone(p.status)}`}
          data-testid={`printer-${p.id}`}
          data-status={p.status}
          title={[p.detail, p.queued > 0 ? `${p.queued} 张待打印` : ''].filter(Boolean).join(' · ')}
          disabled={!props.onOpen}
          onClick={props.onOpen}
        >
          <span class="dot" />
          {p.name}
          <span class="printer-chip-status">{PRINTER_STATUS_LABEL[p.status]}</span>
          {p.queued > 0 && <span class="printer-chip-queued">{p.queued}</span>}
        </button>
      ))}
    </div>
  )
}

/** Red banner plus a repeating alarm sound until someone taps 知道了. */
export function PrinterAlarm(props: { alarms: PrinterState[]; onAck: () => void }) {
  const key = props.alarms.map((p) => `${p.id}:${p.status}`).join(',')
  useEffect(() => {
    if (!key) return
    alarm()
    const t = setInterval(() => alarm(), ALARM_EVERY_MS)
    return () => clearInterval(t)
  }, [key])
  if (props.alarms.length === 0) return null
  return (
    <div class="printer-alarm" role="alert" data-testid="printer-alarm">
      <span class="printer-alarm-icon">🖨️</span>
      <span class="printer-alarm-text">
        {props.alarms.map((p) => (
          <strong key={p.id} data-printer={p.id} data-status={p.status}>
            {printerProblem(p)}
            {p.detail ? <span class="printer-alarm-detail">（{p.detail}）</span> : null}
          </strong>
        ))}
      </span>
      <button
        type="button"
        class="btn printer-alarm-ack"
        data-testid="printer-alarm-ack"
        onClick={props.onAck}
      >
        知道了
      </button>
    </div>
  )
}
