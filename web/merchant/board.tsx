// The signed-in board: header (store, staff, sound, link), printer strip and alarm, and the
// 订单 / 桌台 / 菜单 / 设置 tabs.
import { useEffect, useMemo, useState } from 'preact/hooks'
import { enableSound, soundReady } from '../shared/beep'
import { ROLE_LABEL } from '../shared/labels'
import { LinkBanner } from '../shared/link-banner'
import type { StaffSession } from '../shared/staff-auth'
import { MenuTab } from './menu-tab'
import { MoneyAlerts, MoneyContext, RefundSheet } from './money'
import { Orders } from './orders'
import { PrinterAlarm, PrinterStrip } from './printers'
import { Settings } from './settings'
import { TableMap } from './tables'
import { useMenu, useStore } from './use-store'

type Tab = 'orders' | 'tables' | 'menu' | 'settings'

export function Board({ session, onLogout }: { session: StaffSession; onLogout: () => void }) {
  const store = useStore(session, onLogout)
  const [tab, setTab] = useState<Tab>('orders')
  const [sound, setSound] = useState(soundReady())
  /** The order whose 退款 / 款项 sheet is open. */
  const [moneyOf, setMoneyOf] = useState<string | null>(null)
  const board = store.board
  const menu = useMenu(session.storeId, tab === 'menu' ? board?.menuVersion : undefined)

  const waiting = board?.orders.filter((o) => o.state === 'PLACED').length ?? 0
  useEffect(() => {
    document.title = waiting > 0 ? `(${waiting}) 新订单 · 商家工作台` : '商家工作台'
  }, [waiting])

  // Any first tap on the page may unlock audio; the button is the explicit way.
  useEffect(() => {
    if (sound) return
    const unlock = () => void enableSound().then(setSound)
    document.addEventListener('pointerdown', unlock, { once: true })
    return () => document.removeEventListener('pointerdown', unlock)
  }, [sound])

  const manager = session.staff.role === 'owner' || session.staff.role === 'manager'
  const moneyActions = useMemo(() => ({ canRefund: manager, openRefund: setMoneyOf }), [manager])
  const moneyOrder = moneyOf ? board?.orders.find((o) => o.id === moneyOf) : undefined
  const tabs: [Tab, string, number][] = [
    ['orders', '订单', waiting],
    ['tables', '桌台', 0],
    ['menu', '菜单', 0],
    ...(manager ? ([['settings', '设置', 0]] as [Tab, string, number][]) : []),
  ]
  return (
    <MoneyContext.Provider value={moneyActions}>
      <div class="board">
        <LinkBanner status={store.status} />
        <header class="bar">
          <div class="bar-store">
            <strong data-testid="board-store">{board?.name ?? `门店 ${session.storeId}`}</strong>
            <span class="muted small">
              {session.staff.displayName} · {ROLE_LABEL[session.staff.role] ?? session.staff.role}
            </span>
          </div>
          <nav class="bar-tabs" role="tablist">
            {tabs.map(([id, label, n]) => (
              <button
                type="button"
                key={id}
                role="tab"
                class={tab === id ? 'on' : ''}
                aria-selected={tab === id}
                data-testid={`tab-${id}`}
                onClick={() => setTab(id)}
              >
                {label}
                {n > 0 && <span class="tab-count">{n}</span>}
              </button>
            ))}
          </nav>
          <div class="bar-actions">
            <a
              class="btn kds-link"
              href={`/kds/?store=${session.storeId}`}
              target="_blank"
              rel="noopener"
              data-testid="kds-link"
              title="Kitchen display"
            >
              👨‍🍳 后厨屏 KDS
            </a>
            {!sound && (
              <button
                type="button"
                class="btn sound-btn"
                data-testid="sound-enable"
                onClick={() => void enableSound().then(setSound)}
              >
                🔔 点击开启提示音
              </button>
            )}
            <button type="button" class="btn" data-testid="logout" onClick={onLogout}>
              退出
            </button>
          </div>
        </header>
        <PrinterAlarm alarms={store.alarms} onAck={store.ackAlarms} />
        {board && (
          <MoneyAlerts
            alerts={board.moneyAlerts ?? []}
            orders={board.orders}
            session={session}
            canAct={manager}
            onLogout={onLogout}
          />
        )}
        {board && (
          <PrinterStrip
            printers={board.printers ?? []}
            onOpen={manager ? () => setTab('settings') : undefined}
          />
        )}
        {!board ? (
          <div class="center-screen muted">正在加载门店数据…</div>
        ) : tab === 'orders' ? (
          <Orders
            orders={board.orders}
            role={session.staff.role}
            flashing={store.flashing}
            onSeen={store.unflash}
            onEvent={store.applyEvent}
            onVoid={store.voidLine}
            printers={board.printers ?? []}
            loadJobs={store.printJobs}
            reprint={store.reprint}
          />
        ) : tab === 'tables' ? (
          <TableMap
            tables={board.tables}
            orders={board.orders}
            role={session.staff.role}
            onAction={store.tableAction}
          />
        ) : tab === 'settings' ? (
          <Settings
            storeId={session.storeId}
            live={board.printers ?? []}
            load={store.printersInfo}
            newKey={store.newBridgeKey}
          />
        ) : (
          <MenuTab
            menu={menu}
            soldOut={board.soldOut}
            remaining={board.remaining}
            onSoldOut={store.setSoldOut}
          />
        )}
        {moneyOrder && (
          <RefundSheet
            order={moneyOrder}
            session={session}
            onLogout={onLogout}
            onClose={() => setMoneyOf(null)}
          />
        )}
      </div>
    </MoneyContext.Provider>
  )
}
