// Orders in four columns by where they are in the kitchen; on a phone one column at a time.

import { useState } from 'preact/hooks'
import type { PrinterState } from '../../core/channels/store'
import type { Order } from '../../core/order'
import type { OrderEvent, OrderState } from '../../core/order-machine'
import type { StaffRole } from '../../core/store'
import { useNow } from '../shared/time'
import { OrderCard } from './order-card'
import type { JobSummary } from './use-store'

type ColumnId = 'new' | 'cooking' | 'ready' | 'done'

const COLUMN_OF: Partial<Record<OrderState, ColumnId>> = {
  PENDING_PAYMENT: 'new',
  PLACED: 'new',
  REFUND_REQUESTED: 'new',
  ACCEPTED: 'cooking',
  QUEUED: 'cooking',
  COOKING: 'cooking',
  READY: 'ready',
  RIDER_ASSIGNED: 'ready',
  RIDER_AT_STORE: 'ready',
  DELIVERING: 'ready',
}

const COLUMNS: { id: ColumnId; title: string }[] = [
  { id: 'new', title: '新订单' },
  { id: 'cooking', title: '制作中' },
  { id: 'ready', title: '待上菜' },
  { id: 'done', title: '已完成' },
]

// Why: the finished column is for "what just happened"; the full history lives in reports.
const DONE_LIMIT = 40

export function Orders(props: {
  orders: Order[]
  role: StaffRole
  flashing: ReadonlySet<string>
  onSeen: (id: string) => void
  onEvent: (order: Order, event: OrderEvent, reason?: string) => Promise<boolean>
  onVoid: (order: Order, lineNo: number, reason: string) => Promise<boolean>
  printers: PrinterState[]
  loadJobs: (orderId: string) => Promise<JobSummary[] | null>
  reprint: (jobId: string) => Promise<JobSummary | null>
}) {
  const [col, setCol] = useState<ColumnId>('new')
  const now = useNow()
  const by: Record<ColumnId, Order[]> = { new: [], cooking: [], ready: [], done: [] }
  for (const o of props.orders) by[COLUMN_OF[o.state] ?? 'done'].push(o)
  // Oldest first where work waits, newest first where it is finished.
  for (const id of ['new', 'cooking', 'ready'] as const) by[id].sort((a, b) => a.createdAt - b.createdAt)
  by.done = by.done.sort((a, b) => b.updatedAt - a.updatedAt).slice(0, DONE_LIMIT)
  const placed = by.new.filter((o) => o.state !== 'PENDING_PAYMENT')
  const unpaid = by.new.filter((o) => o.state === 'PENDING_PAYMENT')

  const card = (o: Order) => (
    <OrderCard
      key={o.id}
      order={o}
      role={props.role}
      now={now}
      flash={props.flashing.has(o.id)}
      onSeen={props.onSeen}
      onEvent={props.onEvent}
      onVoid={props.onVoid}
      printers={props.printers}
      loadJobs={props.loadJobs}
      reprint={props.reprint}
    />
  )

  return (
    <div class="orders">
      <nav class="col-picker" role="tablist">
        {COLUMNS.map((c) => (
          <button
            type="button"
            key={c.id}
            role="tab"
            class={col === c.id ? 'on' : ''}
            data-testid={`column-tab-${c.id}`}
            onClick={() => setCol(c.id)}
          >
            {c.title}
            <span class="col-count">{c.id === 'new' ? placed.length : by[c.id].length}</span>
          </button>
        ))}
      </nav>
      <div class="columns">
        {COLUMNS.map((c) => (
          <section key={c.id} class={`column ${col === c.id ? 'active' : ''}`} data-testid={`column-${c.id}`}>
            <h2 class="column-title">
              {c.title} <span class="col-count">{c.id === 'new' ? placed.length : by[c.id].length}</span>
            </h2>
            <div class="column-body">
              {(c.id === 'new' ? placed : by[c.id]).map(card)}
              {c.id === 'new' && unpaid.length > 0 && (
                <div class="unpaid" data-testid="unpaid-section">
                  <h3 class="column-sub">
                    待支付 <span class="col-count">{unpaid.length}</span>
                  </h3>
                  {unpaid.map(card)}
                </div>
              )}
              {(c.id === 'new' ? by.new : by[c.id]).length === 0 && (
                <div class="column-empty muted">暂无</div>
              )}
            </div>
          </section>
        ))}
      </div>
    </div>
  )
}
