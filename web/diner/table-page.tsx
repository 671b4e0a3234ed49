// The table screen: header, 菜单 / 已下单 tabs, dish sheet, shared cart bar and panel.

import { useMemo, useState } from 'preact/hooks'
import type { RoundSummary } from '../../core/channels/table'
import type { LineRequest, MenuItem } from '../../core/menu'
import { TABLE_STATUS_LABEL } from '../shared/labels'
import { LinkBanner } from '../shared/link-banner'
import { payBill, payRound } from '../shared/payments'
import { toast } from '../shared/toast'
import { CartBar, CartPanel } from './cart'
import { DishSheet } from './dish-sheet'
import { MenuList } from './menu-list'
import { isSimple } from './menu-view'
import { PayResult, PaySheet, type PayTarget, usePayReturn, useProviders } from './pay'
import { RefundSheet } from './refund'
import { Rounds } from './rounds'
import type { JoinResult } from './session'
import { useTable } from './use-table'

export function TablePage({ session, onExpired }: { session: JoinResult; onExpired: () => void }) {
  const t = useTable(session, onExpired)
  const providers = useProviders()
  const payReturn = usePayReturn(session.token)
  // Back from the cashier: straight to what was paid.
  const [tab, setTab] = useState<'menu' | 'rounds'>(payReturn.returned ? 'rounds' : 'menu')
  const [paying, setPaying] = useState<PayTarget | null>(null)
  const [refunding, setRefunding] = useState<RoundSummary | null>(null)
  const [picked, setPicked] = useState<MenuItem | null>(null)
  const [cartOpen, setCartOpen] = useState(false)
  const [sending, setSending] = useState(false)

  const cart = t.table?.cart ?? []
  const rounds = t.table?.rounds ?? []
  const soldOut = useMemo(
    () => new Set(t.table?.soldOut ?? t.menu?.availability.soldOut ?? []),
    [t.table?.soldOut, t.menu?.availability.soldOut],
  )
  const inCart = useMemo(() => {
    const m = new Map<string, number>()
    for (const l of cart) m.set(l.itemId, (m.get(l.itemId) ?? 0) + l.qty)
    return m
  }, [cart])

  const add = (line: LineRequest) => {
    t.cartOp({ type: 'cart.add', line })
    setPicked(null)
    toast('已加入购物车')
  }
  const pick = (item: MenuItem) => {
    if (isSimple(item)) add({ itemId: item.id, skuId: item.skus[0]!.id, optionIds: [], qty: 1, note: '' })
    else setPicked(item)
  }
  const send = async () => {
    setSending(true)
    const round = await t.sendRound()
    setSending(false)
    if (!round) return
    setCartOpen(false)
    setTab('rounds')
    toast(round.roundNo === 1 ? '下单成功，厨房已收到' : `加菜成功 · 第${round.roundNo}轮`)
  }

  const payActions = {
    canPay: providers.length > 0,
    onPayRound: (round: RoundSummary) => setPaying({ kind: 'round', round }),
    onPayBill: (amountFen: number) => setPaying({ kind: 'bill', amountFen }),
    onRefund: setRefunding,
  }
  const startPay = (target: PayTarget, provider: 'wechat' | 'alipay') =>
    target.kind === 'round'
      ? payRound(session.token, target.round.orderId, provider)
      : payBill(session.token, provider)

  const status = t.table?.status
  return (
    <div class="page">
      <LinkBanner status={t.status} />
      <header class="top">
        <div class="top-row">
          <div class="store-name" data-testid="store-name">
            {session.storeName}
          </div>
          {status && (
            <span class={`chip status-${status}`} data-testid="table-status" data-status={status}>
              {TABLE_STATUS_LABEL[status]}
            </span>
          )}
        </div>
        <div class="top-row muted small">
          <span data-testid="table-label">🪑 {session.label}</span>
          <span>
            👥 {t.table?.diners.length ?? 1}人 · 我：{session.diner.name}
          </span>
        </div>
        <div class="tabs" role="tablist">
          <button
            type="button"
            role="tab"
            class={tab === 'menu' ? 'on' : ''}
            aria-selected={tab === 'menu'}
            data-testid="tab-menu"
            onClick={() => setTab('menu')}
          >
            菜单
          </button>
          <button
            type="button"
            role="tab"
            class={tab === 'rounds' ? 'on' : ''}
            aria-selected={tab === 'rounds'}
            data-testid="tab-rounds"
            onClick={() => setTab('rounds')}
          >
            已下单{rounds.length > 0 && <span class="tab-badge">{rounds.length}</span>}
          </button>
        </div>
      </header>
      {status === 'to_clean' && <div class="notice">本桌已结账，感谢光临！</div>}
      {payReturn.state && <PayResult state={payReturn.state} rounds={rounds} onClose={payReturn.dismiss} />}
      <main class="content">
        {tab === 'menu' &&
          (t.menu ? (
            <MenuList data={t.menu} soldOut={soldOut} inCart={inCart} onPick={pick} />
          ) : (
            <div class="center-screen">
              {t.menuError ? (
                <>
                  <div>{t.menuError}</div>
                  <button type="button" class="btn btn-primary" onClick={() => void t.loadMenu()}>
                    重新加载菜单
                  </button>
                </>
              ) : (
                <div class="muted">菜单加载中…</div>
              )}
            </div>
          ))}
        {tab === 'rounds' && (
          <div class="rounds-scroll">
            <Rounds rounds={rounds} payMode={t.table?.payMode ?? session.payMode} pay={payActions} />
          </div>
        )}
      </main>
      {cartOpen && (
        <CartPanel
          cart={cart}
          diners={t.table?.diners ?? []}
          meId={session.diner.id}
          onOp={t.cartOp}
          onClose={() => setCartOpen(false)}
        />
      )}
      <CartBar
        cart={cart}
        hasRounds={rounds.length > 0}
        sending={sending}
        open={cartOpen}
        onToggle={() => setCartOpen(!cartOpen)}
        onSend={send}
      />
      {picked && <DishSheet item={picked} onAdd={add} onClose={() => setPicked(null)} />}
      {paying && (
        <PaySheet
          target={paying}
          providers={providers}
          start={startPay}
          onPaid={(checkoutId) => {
            setPaying(null)
            setTab('rounds')
            void payReturn.confirm(checkoutId)
          }}
          onClose={() => setPaying(null)}
        />
      )}
      {refunding && (
        <RefundSheet round={refunding} token={session.token} onClose={() => setRefunding(null)} />
      )}
    </div>
  )
}
