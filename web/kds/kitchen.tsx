// The kitchen display: station filter, tickets to cook, and a 待取餐/出餐 column for what just finished.
import { useEffect, useRef, useState } from 'preact/hooks'
import { beep, enableSound, soundReady } from '../shared/beep'
import { ROLE_LABEL, STATION_LABEL } from '../shared/labels'
import { LinkBanner } from '../shared/link-banner'
import type { StaffSession } from '../shared/staff-auth'
import { clock, useNow } from '../shared/time'
import { Ticket } from './ticket'
import { STATION_FILTERS, type StationFilter, tickets } from './tickets'
import { useKitchen } from './use-kitchen'

const STATION_KEY = 'ec.kds.station'
const MUTE_KEY = 'ec.kds.mute'
// Why: a cook looking up from the wok should still catch which ticket is new.
const FRESH_MS = 15_000

const stationName = (s: StationFilter) => (s === 'all' ? '全部' : STATION_LABEL[s])

function load(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}
function save(key: string, value: string): void {
  try {
    localStorage.setItem(key, value)
  } catch {
    // Storage unavailable: remembered for this page only.
  }
}

export function Kitchen({ session, onLogout }: { session: StaffSession; onLogout: () => void }) {
  const k = useKitchen(session, onLogout)
  const now = useNow(1000)
  const [station, setStation] = useState<StationFilter>(() => {
    const s = load(STATION_KEY) as StationFilter | null
    return s && STATION_FILTERS.includes(s) ? s : 'all'
  })
  const [unlocked, setUnlocked] = useState(soundReady())
  const [muted, setMuted] = useState(() => load(MUTE_KEY) === '1')
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set())

  const board = k.board
  const view = tickets(board?.orders ?? [], station, k.acceptedAt, now)

  // A ticket is new when it first appears for this station after the display has its first snapshot
  // (one brought back from the 出餐 column by an undo is not new).
  const seen = useRef<Set<string> | null>(null)
  const ids = view.cooking.map((o) => o.id)
  const idsKey = ids.join(',')
  useEffect(() => {
    seen.current = null
  }, [station])
  useEffect(() => {
    if (!board) return
    const prev = seen.current
    seen.current = new Set(prev ? [...prev, ...ids] : ids)
    if (!prev) return
    const added = ids.filter((id) => !prev.has(id))
    if (!added.length) return
    if (!muted) beep(0.35)
    setFresh((s) => new Set([...s, ...added]))
    setTimeout(
      () =>
        setFresh((s) => {
          const next = new Set(s)
          for (const id of added) next.delete(id)
          return next
        }),
      FRESH_MS,
    )
  }, [idsKey, !!board, station])

  // Any first tap on the page may unlock audio (browsers require a gesture); the button is the explicit way.
  useEffect(() => {
    if (unlocked || muted) return
    const unlock = () => void enableSound().then(setUnlocked)
    document.addEventListener('pointerdown', unlock, { once: true })
    return () => document.removeEventListener('pointerdown', unlock)
  }, [unlocked, muted])

  const soundOn = unlocked && !muted
  const toggleSound = async () => {
    if (!unlocked) {
      setUnlocked(await enableSound())
      setMuted(false)
      save(MUTE_KEY, '0')
      return
    }
    const next = !muted
    setMuted(next)
    save(MUTE_KEY, next ? '1' : '0')
    if (!next) beep(0.15)
  }

  const pick = (s: StationFilter) => {
    setStation(s)
    save(STATION_KEY, s)
  }

  useEffect(() => {
    const n = view.counts[station]
    document.title = n > 0 ? `(${n}) 后厨显示屏` : '后厨显示屏'
  }, [view.counts[station], station])

  const ticket = (finished: boolean) => (o: (typeof view.cooking)[number]) => (
    <Ticket
      key={o.id}
      order={o}
      station={station}
      now={now}
      acceptedAt={k.acceptedAt(o)}
      fresh={fresh.has(o.id)}
      finished={finished}
      stateOf={k.stateOf}
      isPending={k.isPending}
      act={k.act}
    />
  )

  return (
    <div class="kds">
      <LinkBanner status={k.status} />
      <header class="kds-bar">
        <div class="kds-store">
          <strong data-testid="kds-store">{board?.name ?? `门店 ${session.storeId}`}</strong>
          <span class="kds-who">
            后厨显示屏 · {session.staff.displayName} · {ROLE_LABEL[session.staff.role] ?? session.staff.role}
          </span>
        </div>
        <nav class="kds-stations" role="tablist">
          {STATION_FILTERS.map((s) => (
            <button
              type="button"
              key={s}
              role="tab"
              aria-selected={station === s}
              class={station === s ? 'on' : ''}
              data-testid={`kds-station-${s}`}
              data-on={String(station === s)}
              onClick={() => pick(s)}
            >
              {stationName(s)}
              {view.counts[s] > 0 && <span class="kds-count">{view.counts[s]}</span>}
            </button>
          ))}
        </nav>
        <div class="kds-actions">
          <span class="kds-clock">{clock(now)}</span>
          <button
            type="button"
            class={`kbtn ${soundOn ? '' : 'kbtn-warn'}`}
            data-testid="kds-sound"
            data-on={String(soundOn)}
            // The page-wide unlock listener must not also see this tap, or one tap unlocks and then mutes.
            onPointerDown={(e) => e.stopPropagation()}
            onClick={() => void toggleSound()}
          >
            {soundOn ? '🔔 声音开' : unlocked ? '🔕 已静音' : '🔔 点击开启声音'}
          </button>
          <button type="button" class="kbtn" data-testid="logout" onClick={onLogout}>
            退出
          </button>
        </div>
      </header>
      {!board ? (
        <div class="center-screen kds-muted">正在加载…</div>
      ) : (
        <main class="kds-main">
          <section class="kds-tickets" data-testid="kds-cooking">
            {view.cooking.length === 0 ? (
              <div class="kds-empty">{stationName(station)}暂无待做的菜</div>
            ) : (
              view.cooking.map(ticket(false))
            )}
          </section>
          <aside class="kds-ready" data-testid="kds-ready">
            <h2>
              待取餐 / 出餐 <span class="kds-count">{view.ready.length}</span>
            </h2>
            {view.ready.length === 0 ? <div class="kds-muted">暂无</div> : view.ready.map(ticket(true))}
          </aside>
        </main>
      )}
    </div>
  )
}
