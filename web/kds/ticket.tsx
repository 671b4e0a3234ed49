// One order on the kitchen display: where it goes, how long it has been, and this station's lines.
// Tap a line to start it, tap again when it is done (bump); long-press or 撤销 brings a done line back.
import { useRef } from 'preact/hooks'
import type { Order } from '../../core/order'
import type { PricedLine } from '../../core/pricing'
import { MODE_LABEL, ORDER_STATE_LABEL, STATION_LABEL } from '../shared/labels'
import { toast } from '../shared/toast'
import {
  doneAt,
  type LineKds,
  lineClockStart,
  mmss,
  type StationFilter,
  stationLines,
  type Tone,
  toneFor,
  worst,
} from './tickets'
import type { KdsAction } from './use-kitchen'

// Why: long enough that a normal tap or a scroll never triggers it, short enough to feel deliberate.
const LONG_PRESS_MS = 600

export interface TicketProps {
  order: Order
  station: StationFilter
  now: number
  acceptedAt: number
  fresh: boolean
  /** In the 待取餐/出餐 column: compact, no timers. */
  finished: boolean
  stateOf: (o: Order, lineNo: number) => LineKds
  isPending: (o: Order, lineNo: number) => boolean
  act: (o: Order, lineNos: number[], action: KdsAction) => Promise<void>
}

export function Ticket(p: TicketProps) {
  const o = p.order
  const lines = stationLines(o, p.station)
  const states = lines.map((l) => p.stateOf(o, l.lineNo))
  const tones = lines.map((l, i) =>
    states[i] === 'done' ? 'ok' : toneFor(p.now - lineClockStart(o, l.lineNo, p.acceptedAt), l.prepMinutes),
  )
  const tone: Tone = p.finished ? 'ok' : worst(tones)
  const todo = lines.filter((_, i) => states[i] !== 'done')
  const addOn = (o.roundNo ?? 1) > 1
  const where = o.tableLabel ?? MODE_LABEL[o.mode]

  return (
    <article
      class={`ticket tone-${tone} ${p.fresh ? 'fresh' : ''} ${p.finished ? 'finished' : ''}`}
      data-testid={`kds-order-${o.id}`}
      data-state={o.state}
      data-tone={tone}
    >
      <header class="ticket-head">
        <span class="ticket-where" data-testid="kds-where">
          {where}
        </span>
        {o.mode !== 'dine_in' && o.tableLabel && <span class="kchip">{MODE_LABEL[o.mode]}</span>}
        {addOn && (
          <span class="kchip kchip-addon" data-testid="kds-addon">
            加菜 · 第{o.roundNo}轮
          </span>
        )}
        <span class="ticket-no" data-testid="kds-pickup-no">
          {o.pickupNo}
        </span>
      </header>
      <div class="ticket-meta">
        <span class={`kchip state-${o.state.toLowerCase()}`}>{ORDER_STATE_LABEL[o.state]}</span>
        {p.finished ? (
          <span class="ticket-timer t-done" title="完成至今">
            ✓ {mmss(p.now - (doneAt(o, p.station) ?? o.updatedAt))} 前
          </span>
        ) : (
          <span class={`ticket-timer t-${tone}`} data-testid="kds-timer" title="接单至今">
            ⏱ {mmss(p.now - p.acceptedAt)}
          </span>
        )}
      </div>
      {o.note && <div class="ticket-note">整单备注：{o.note}</div>}
      <ul class="ticket-lines">
        {lines.map((l, i) => (
          <Line
            key={l.lineNo}
            order={o}
            line={l}
            state={states[i]!}
            tone={tones[i]!}
            pending={p.isPending(o, l.lineNo)}
            showStation={p.station === 'all'}
            elapsed={p.now - lineClockStart(o, l.lineNo, p.acceptedAt)}
            finished={p.finished}
            act={p.act}
          />
        ))}
      </ul>
      {!p.finished && (
        <button
          type="button"
          class="ticket-all"
          data-testid={`kds-all-${o.id}`}
          disabled={todo.length === 0}
          onClick={() =>
            void p.act(
              o,
              todo.map((l) => l.lineNo),
              'bump',
            )
          }
        >
          ✓ 全部完成{p.station !== 'all' ? `（${STATION_LABEL[p.station]}）` : ''}
        </button>
      )}
    </article>
  )
}

function Line(props: {
  order: Order
  line: PricedLine
  state: LineKds
  tone: Tone
  pending: boolean
  showStation: boolean
  elapsed: number
  finished: boolean
  act: (o: Order, lineNos: number[], action: KdsAction) => Promise<void>
}) {
  const { order: o, line: l, state } = props
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const pressed = useRef(false)
  const spec = [l.skuName, ...l.optionNames].filter(Boolean)
  const run = (action: KdsAction) => void props.act(o, [l.lineNo], action)

  const down = () => {
    pressed.current = false
    clearTimeout(timer.current)
    if (state !== 'done') return
    timer.current = setTimeout(() => {
      pressed.current = true
      navigator.vibrate?.(30)
      run('undo')
    }, LONG_PRESS_MS)
  }
  const up = () => clearTimeout(timer.current)
  const tap = () => {
    if (pressed.current) {
      pressed.current = false
      return
    }
    if (props.pending) return
    if (state === 'new') run('start')
    else if (state === 'started') run('bump')
    else toast('长按或点“撤销”可恢复这道菜')
  }

  return (
    <li class={`kline k-${state} t-${props.tone} ${props.pending ? 'pending' : ''}`}>
      <button
        type="button"
        class="kline-main"
        data-testid={`kds-line-${o.id}-${l.lineNo}`}
        data-kds={state}
        data-tone={props.tone}
        onPointerDown={down}
        onPointerUp={up}
        onPointerLeave={up}
        onPointerCancel={up}
        onContextMenu={(e) => e.preventDefault()}
        onClick={tap}
      >
        <span class="kline-qty">{l.qty}×</span>
        <span class="kline-body">
          <span class="kline-name">
            {l.name}
            {props.showStation && <span class="kline-station">{STATION_LABEL[l.station]}</span>}
          </span>
          {!props.finished && spec.length > 0 && <span class="kline-spec">{spec.join(' · ')}</span>}
          {!props.finished && l.note && <span class="kline-note">备注：{l.note}</span>}
          {!props.finished && l.allergens.length > 0 && (
            <span class="kline-allergens" data-testid="kds-allergens">
              ⚠ 过敏原：{l.allergens.join('、')}
            </span>
          )}
        </span>
        <span class="kline-side">
          <span class="kline-state">
            {state === 'done' ? '✓ 完成' : state === 'started' ? '制作中' : '待做'}
          </span>
          {state !== 'done' && !props.finished && (
            <span class={`kline-timer t-${props.tone}`}>
              {mmss(props.elapsed)}
              {l.prepMinutes > 0 && <span class="kline-target"> / {l.prepMinutes}′</span>}
            </span>
          )}
        </span>
      </button>
      {state === 'done' && (
        <button
          type="button"
          class="kline-undo"
          data-testid={`kds-undo-${o.id}-${l.lineNo}`}
          disabled={props.pending}
          onClick={() => run('undo')}
        >
          撤销
        </button>
      )}
    </li>
  )
}
