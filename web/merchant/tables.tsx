// Table map: areas of tiles coloured by status; tap a tile for its open rounds and counter actions.

import { useState } from 'preact/hooks'
import type { TableMapEntry } from '../../core/channels/store'
import { formatFen } from '../../core/money'
import type { Order } from '../../core/order'
import { isTerminal } from '../../core/order-machine'
import type { StaffRole, TableStatus } from '../../core/store'
import { ORDER_STATE_LABEL, stateTone, TABLE_STATUS_LABEL } from '../shared/labels'

const FRONT_OF_HOUSE: readonly StaffRole[] = ['owner', 'manager', 'waiter']
const SETTLEABLE: readonly TableStatus[] = ['ordering', 'dining']
const CLEARABLE: readonly TableStatus[] = ['seated', 'to_clean']

export function TableMap(props: {
  tables: TableMapEntry[]
  orders: Order[]
  role: StaffRole
  onAction: (tableKey: string, action: 'settle' | 'clear') => Promise<unknown>
}) {
  const [selected, setSelected] = useState<string | null>(null)
  const areas = new Map<string, { name: string; tables: TableMapEntry[] }>()
  for (const t of [...props.tables].sort((a, b) => a.tableKey.localeCompare(b.tableKey))) {
    const area = areas.get(t.areaNo) ?? { name: t.areaName, tables: [] }
    area.tables.push(t)
    areas.set(t.areaNo, area)
  }
  const current = props.tables.find((t) => t.tableKey === selected)

  return (
    <div class="tables">
      <div class="legend">
        {(Object.keys(TABLE_STATUS_LABEL) as TableStatus[]).map((s) => (
          <span key={s} class={`legend-item ts-${s}`}>
            {TABLE_STATUS_LABEL[s]} {props.tables.filter((t) => t.status === s).length}
          </span>
        ))}
      </div>
      {props.tables.length === 0 && <div class="center-screen muted">还没有桌台</div>}
      {[...areas.entries()].map(([areaNo, area]) => (
        <section key={areaNo} class="area">
          <h2 class="area-title">{area.name}</h2>
          <div class="tiles">
            {area.tables.map((t) => (
              <button
                type="button"
                key={t.tableKey}
                class={`tile ts-${t.status} ${selected === t.tableKey ? 'selected' : ''}`}
                data-testid={`table-${t.tableKey}`}
                data-status={t.status}
                onClick={() => setSelected(selected === t.tableKey ? null : t.tableKey)}
              >
                <span class="tile-label">{t.label}</span>
                <span class="tile-status">{TABLE_STATUS_LABEL[t.status]}</span>
                <span class="tile-seats muted">{t.seats}人</span>
                {t.openOrders > 0 && (
                  <span class="tile-badge" data-testid="open-orders">
                    {t.openOrders}
                  </span>
                )}
              </button>
            ))}
          </div>
        </section>
      ))}
      {current && (
        <TablePanel
          table={current}
          orders={props.orders}
          canAct={FRONT_OF_HOUSE.includes(props.role)}
          onAction={props.onAction}
          onClose={() => setSelected(null)}
        />
      )}
    </div>
  )
}

function TablePanel(props: {
  table: TableMapEntry
  orders: Order[]
  canAct: boolean
  onAction: (tableKey: string, action: 'settle' | 'clear') => Promise<unknown>
  onClose: () => void
}) {
  const { table: t } = props
  const [busy, setBusy] = useState(false)
  const open = props.orders
    .filter((o) => o.tableKey === t.tableKey && !isTerminal(o.state))
    .sort((a, b) => (a.roundNo ?? 0) - (b.roundNo ?? 0))
  const unpaid = open.filter((o) => !o.paid).reduce((s, o) => s + o.totalFen, 0)
  const act = async (action: 'settle' | 'clear') => {
    setBusy(true)
    await props.onAction(t.tableKey, action)
    setBusy(false)
  }
  return (
    <div class="tile-panel" data-testid="tile-panel">
      <div class="table-panel-head">
        <strong>{t.label}</strong>
        <span class={`chip ts-${t.status}`}>{TABLE_STATUS_LABEL[t.status]}</span>
        <span class="muted small">
          {t.areaName} · {t.seats}人
        </span>
        <button type="button" class="sheet-close" aria-label="关闭" onClick={props.onClose}>
          ✕
        </button>
      </div>
      {open.length > 0 ? (
        <ul class="table-orders">
          {open.map((o) => (
            <li key={o.id}>
              <span>第{o.roundNo ?? 1}轮</span>
              <span class="muted">{o.pickupNo}</span>
              <span class={`chip tone-${stateTone(o.state)}`}>{ORDER_STATE_LABEL[o.state]}</span>
              <span class="price">{formatFen(o.totalFen)}</span>
              <span class={`chip ${o.paid ? 'tone-ready' : 'tone-wait'}`}>{o.paid ? '已付' : '未付'}</span>
            </li>
          ))}
        </ul>
      ) : (
        <div class="muted small">没有进行中的订单</div>
      )}
      <div class="table-panel-foot">
        <span>
          未付合计{' '}
          <span class="price" data-testid="unpaid-total">
            {formatFen(unpaid)}
          </span>
        </span>
        {props.canAct && SETTLEABLE.includes(t.status) && (
          <button
            type="button"
            class="btn btn-primary"
            data-testid="settle-table"
            disabled={busy}
            onClick={() => void act('settle')}
          >
            结账(柜台)
          </button>
        )}
        {props.canAct && CLEARABLE.includes(t.status) && (
          <button
            type="button"
            class="btn"
            data-testid="clear-table"
            disabled={busy}
            onClick={() => void act('clear')}
          >
            清台
          </button>
        )}
      </div>
    </div>
  )
}
