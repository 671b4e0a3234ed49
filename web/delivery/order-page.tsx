// One order of this customer: pay it (the provider's cashier, as at a table), then watch it: the state and
// its timeline, the promised time, the rider (name and masked phone) and the map with the rider moving.
import { useEffect, useState } from 'preact/hooks'
import { RIDER_VISIBLE_STATES } from '../../core/channels/tracking'
import { formatFen } from '../../core/money'
import type { OrderState } from '../../core/order-machine'
import { Sheet } from '../diner/sheet'
import { describeError } from '../shared/errors'
import { MODE_LABEL, ORDER_STATE_LABEL, stateTone } from '../shared/labels'
import { LinkBanner } from '../shared/link-banner'
import { PayMethods } from '../shared/pay-methods'
import {
  loadProviders,
  openCashier,
  type ProviderInfo,
  type ProviderName,
  takeReturnedCheckout,
} from '../shared/payments'
import { clock, useNow } from '../shared/time'
import { toast } from '../shared/toast'
import { type CustomerOrder, cancelOrder, confirmCheckout, payOrder } from './api'
import { pointOf } from './session'
import { distanceText } from './stores'
import { TrackMap } from './track-map'
import { useOrder } from './use-order'

/** What the customer is waiting for, in one line per state. */
const HEADLINE: Partial<Record<OrderState, string>> = {
  PENDING_PAYMENT: '订单待支付，15分钟内未支付将自动取消',
  PLACED: '已支付，等待商家接单',
  ACCEPTED: '商家已接单，正在准备',
  QUEUED: '商家已接单，正在排队制作',
  COOKING: '商家正在制作',
  READY: '餐品已出餐',
  RIDER_ASSIGNED: '骑手已接单，正赶往门店',
  RIDER_AT_STORE: '骑手已到店，等待取餐',
  DELIVERING: '骑手正在送餐',
  DELIVERED: '已送达，祝您用餐愉快',
  PICKED_UP: '已取餐，祝您用餐愉快',
  COMPLETED: '订单已完成',
}

type PayState = { k: 'checking' } | { k: 'paid' } | { k: 'pending' } | { k: 'failed'; message: string }

export function OrderPage(props: {
  token: string
  orderId: string
  onBack: () => void
  onExpired: () => void
}) {
  const { order, track, link, error, refresh } = useOrder(props.token, props.orderId, props.onExpired)
  const [providers, setProviders] = useState<ProviderInfo[]>([])
  const [paying, setPaying] = useState(false)
  const [payState, setPayState] = useState<PayState | null>(null)
  const now = useNow(15_000)

  useEffect(() => {
    void loadProviders().then(setProviders)
    // Back from the cashier: ask the store to confirm now instead of waiting for the provider's notify.
    const returned = takeReturnedCheckout()
    if (returned) void confirm(returned)
  }, [])

  const confirm = async (checkoutId: string) => {
    setPayState({ k: 'checking' })
    try {
      const r = await confirmCheckout(props.token, checkoutId)
      setPayState(r.paid ? { k: 'paid' } : { k: 'pending' })
      void refresh()
    } catch (e) {
      setPayState({ k: 'failed', message: describeError(e) })
    }
  }

  const state = track?.state ?? order?.state
  // The confirm may answer before the notify lands: the order turning paid settles it either way.
  const paidNow = order?.paid || (state !== undefined && state !== 'PENDING_PAYMENT' && state !== 'CLOSED')
  const shownPay = payState && payState.k !== 'failed' && paidNow ? { k: 'paid' as const } : payState

  if (!order || !state)
    return (
      <div class="page">
        <OrderTop onBack={props.onBack} />
        <div class="center-screen">
          {error ? (
            <>
              <div>{error}</div>
              <button type="button" class="btn btn-primary" onClick={() => void refresh()}>
                重试
              </button>
            </>
          ) : (
            <div class="muted">订单加载中…</div>
          )}
        </div>
      </div>
    )

  const etaAt = track?.etaAt ?? order.etaAt ?? null
  const rider = track?.rider ?? order.delivery?.rider ?? null
  const riderPos = track ? track.riderPos : order.riderPos
  const door = pointOf(order.id)?.gcj ?? null
  const timeline = mergeTimeline(order.timeline, track?.timeline ?? [])
  const isDelivery = order.mode === 'delivery'
  const live = ![
    'DELIVERED',
    'PICKED_UP',
    'COMPLETED',
    'CANCELLED',
    'CLOSED',
    'REJECTED',
    'REFUNDED',
  ].includes(state)

  const cancel = async () => {
    try {
      await cancelOrder(props.token, order.id)
      void refresh()
    } catch (e) {
      toast(describeError(e), 'error')
    }
  }

  return (
    <div class="page">
      <OrderTop onBack={props.onBack} />
      <LinkBanner status={link} />
      <main class="content order-scroll" data-testid="order-page" data-order-id={order.id} data-state={state}>
        {shownPay && <PayBanner state={shownPay} onClose={() => setPayState(null)} />}

        <section class="panel status-card">
          <div class="status-row">
            <span class={`chip tone-${stateTone(state)}`} data-testid="order-state" data-state={state}>
              {ORDER_STATE_LABEL[state]}
            </span>
            <span class="chip">{MODE_LABEL[order.mode]}</span>
            <span class="muted small">取餐号 {order.pickupNo}</span>
          </div>
          <div class="status-headline">{HEADLINE[state] ?? ORDER_STATE_LABEL[state]}</div>
          {etaAt && live && state !== 'PENDING_PAYMENT' && (
            <div class="eta" data-testid="eta" data-eta-at={etaAt}>
              {isDelivery ? '预计送达' : '预计可取餐'} <b>{clock(etaAt)}</b>
              <span class="muted small">
                {etaAt > now ? ` · 约${Math.max(1, Math.round((etaAt - now) / 60_000))}分钟` : ' · 即将送达'}
              </span>
            </div>
          )}
          {state === 'PENDING_PAYMENT' && (
            <div class="pay-row">
              <button
                type="button"
                class="btn btn-primary"
                data-testid="pay-open"
                disabled={providers.length === 0}
                onClick={() => setPaying(true)}
              >
                去支付 {formatFen(order.price.totalFen)}
              </button>
              <button type="button" class="btn" data-testid="order-cancel" onClick={() => void cancel()}>
                取消订单
              </button>
            </div>
          )}
          {state === 'PENDING_PAYMENT' && providers.length === 0 && (
            <div class="muted small">本店暂未开通在线支付</div>
          )}
        </section>

        {isDelivery && (
          <section class="panel">
            <TrackMap
              store={track?.store.location ?? null}
              door={door}
              rider={RIDER_VISIBLE_STATES.includes(state) ? (riderPos ?? null) : null}
              pickedUp={state === 'DELIVERING'}
              awaitingRider={live && !RIDER_VISIBLE_STATES.includes(state)}
            />
            {rider && (
              <div class="rider-card" data-testid="rider-card">
                <span class="rider-avatar">🛵</span>
                <span>
                  骑手 <b data-testid="rider-name">{rider.name}</b>
                </span>
                <span class="muted" data-testid="rider-phone">
                  {rider.phone}
                </span>
              </div>
            )}
          </section>
        )}

        <section class="panel">
          <h3 class="panel-title">订单进度</h3>
          <ol class="timeline" data-testid="timeline">
            {[...timeline].reverse().map((t, i) => (
              <li
                key={`${t.state}-${t.at}`}
                class={i === 0 ? 'now' : ''}
                data-testid="timeline-item"
                data-state={t.state}
              >
                <span class="tl-dot" />
                <span class="tl-label">{ORDER_STATE_LABEL[t.state]}</span>
                <span class="muted small">{clock(t.at)}</span>
              </li>
            ))}
          </ol>
        </section>

        {order.delivery && (
          <section class="panel small" data-testid="order-address">
            <div>
              送至 <b>{order.delivery.address.text}</b>
            </div>
            <div class="muted">
              {order.delivery.address.name} {order.delivery.address.phone} · 距门店{' '}
              {distanceText(order.delivery.distanceM)}
            </div>
          </section>
        )}

        <section class="panel">
          <h3 class="panel-title">商品</h3>
          {order.lines.map((l, i) => (
            <div key={i} class="checkout-line">
              <div>
                <div>
                  {l.name} <span class="muted">×{l.qty}</span>
                </div>
                {(l.skuName || l.optionNames.length > 0) && (
                  <div class="muted small">{[l.skuName, ...l.optionNames].filter(Boolean).join(' / ')}</div>
                )}
              </div>
              <span class="price">{formatFen(l.lineTotalFen)}</span>
            </div>
          ))}
          <div class="price-steps" data-testid="price-steps">
            {order.price.steps.map((s, i) => (
              <div key={i} class="est-row" data-testid="price-step" data-kind={s.kind}>
                <span>{s.label}</span>
                <span>{s.amountFen < 0 ? `-${formatFen(-s.amountFen)}` : formatFen(s.amountFen)}</span>
              </div>
            ))}
            <div class="est-row total">
              <span>实付</span>
              <span class="price" data-testid="order-total">
                {formatFen(order.price.totalFen)}
              </span>
            </div>
          </div>
        </section>
      </main>
      {paying && (
        <PaySheet
          order={order}
          providers={providers}
          token={props.token}
          onClose={() => setPaying(false)}
          onPaid={(id) => {
            setPaying(false)
            void confirm(id)
          }}
        />
      )}
    </div>
  )
}

/**
 * Every change of state, oldest first: the order's recorded events (HTTP, complete: accept then queue in one
 * step shows both) followed by what the socket brought since. A repeat of the same state is one entry.
 */
function mergeTimeline(
  recorded: readonly { state: OrderState; at: number }[],
  live: readonly { state: OrderState; at: number }[],
): { state: OrderState; at: number }[] {
  const lastAt = recorded.at(-1)?.at ?? 0
  const out: { state: OrderState; at: number }[] = []
  for (const t of [...recorded, ...live.filter((x) => x.at > lastAt)])
    if (out.at(-1)?.state !== t.state) out.push({ state: t.state, at: t.at })
  return out
}

function OrderTop(props: { onBack: () => void }) {
  return (
    <header class="top">
      <div class="top-row">
        <button type="button" class="back-btn" data-testid="back" onClick={props.onBack} aria-label="返回">
          ‹
        </button>
        <div class="store-name">订单详情</div>
        <span />
      </div>
    </header>
  )
}

function PaySheet(props: {
  order: CustomerOrder
  providers: ProviderInfo[]
  token: string
  onPaid: (checkoutId: string) => void
  onClose: () => void
}) {
  const [busy, setBusy] = useState<ProviderName | null>(null)
  const pick = async (provider: ProviderName) => {
    setBusy(provider)
    try {
      const started = await payOrder(props.token, props.order.id, provider)
      const how = await openCashier(started.pay)
      // On the way to the cashier: stay busy until the page unloads.
      if (how === 'redirected') return
      setBusy(null)
      if (how === 'done') props.onPaid(started.checkoutId)
      else toast('已取消支付')
    } catch (e) {
      setBusy(null)
      toast(describeError(e), 'error')
    }
  }
  return (
    <Sheet title={`支付 · 取餐号 ${props.order.pickupNo}`} onClose={props.onClose} testid="pay-sheet">
      <div class="pay-amount">
        <span class="muted small">应付</span>
        <span class="price" data-testid="pay-amount">
          {formatFen(props.order.price.totalFen)}
        </span>
      </div>
      <PayMethods providers={props.providers} busy={busy} onPick={(p) => void pick(p)} />
      <p class="muted small pay-hint">支付完成后会自动回到本页。</p>
    </Sheet>
  )
}

function PayBanner(props: { state: PayState; onClose: () => void }) {
  const { state } = props
  const status = state.k === 'paid' ? 'paid' : state.k === 'failed' ? 'failed' : 'pending'
  const text =
    state.k === 'paid'
      ? '支付成功'
      : state.k === 'failed'
        ? `支付结果查询失败：${state.message}`
        : state.k === 'checking'
          ? '正在确认支付结果…'
          : '支付处理中：如已付款请稍候，结果会自动更新'
  return (
    <div
      class={`pay-result pay-result-${status}`}
      data-testid="pay-result"
      data-status={status}
      role="status"
    >
      <span class="pay-result-icon">{status === 'paid' ? '✅' : status === 'failed' ? '⚠️' : '⏳'}</span>
      <span class="pay-result-text">{text}</span>
      <button type="button" class="pay-result-close" aria-label="关闭" onClick={props.onClose}>
        ✕
      </button>
    </div>
  )
}
