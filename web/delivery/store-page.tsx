// One store for delivery or pickup: its menu (the diner app's list and dish sheet), this phone's cart, and
// the checkout sheet: 外卖配送 or 到店自提, the address, a note, an estimate of the price with the delivery
// fee, and 提交订单. The server prices the order for real and refuses an address outside the area or an
// order under 起送价 before anything is paid; the order page then shows its exact breakdown.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { LineRequest, MenuItem } from '../../core/menu'
import { formatFen } from '../../core/money'
import { DishSheet } from '../diner/dish-sheet'
import { MenuList } from '../diner/menu-list'
import { isSimple } from '../diner/menu-view'
import { Sheet, Stepper } from '../diner/sheet'
import type { MenuData } from '../diner/use-table'
import { ApiError, api, uuid } from '../shared/api'
import { describeError } from '../shared/errors'
import { toast } from '../shared/toast'
import { type CustomerOrder, listAddresses, type NearbyStore, placeOrder, type SavedAddress } from './api'
import { orderErrorText } from './errors'
import { keepPoint, pointOf } from './session'

export interface CartItem {
  key: string
  line: LineRequest
  name: string
  spec: string
  unitFen: number
  boxFen: number
}

export function StorePage(props: {
  token: string
  storeId: string
  /** From the nearby list of `addressId`: fee, 起送价 and ETA there. */
  nearby: NearbyStore | null
  addressId: string | null
  onBack: () => void
  onPlaced: (order: CustomerOrder) => void
}) {
  const [menu, setMenu] = useState<MenuData | null>(null)
  const [menuError, setMenuError] = useState<string | null>(null)
  const [storeName, setStoreName] = useState(props.nearby?.name ?? '')
  const [cart, setCart] = useState<CartItem[]>([])
  const [picked, setPicked] = useState<MenuItem | null>(null)
  const [checkout, setCheckout] = useState(false)

  const loadMenu = () =>
    api<MenuData>(`/api/v1/stores/${props.storeId}/menu`)
      .then((m) => {
        setMenu(m)
        setMenuError(null)
      })
      .catch((e) => setMenuError(describeError(e)))
  useEffect(() => {
    void loadMenu()
    if (!props.nearby)
      api<{ name: string }>(`/api/v1/stores/${props.storeId}`)
        .then((s) => setStoreName(s.name))
        .catch(() => {})
  }, [props.storeId])

  const soldOut = useMemo(() => new Set(menu?.availability.soldOut ?? []), [menu])
  const inCart = useMemo(() => {
    const m = new Map<string, number>()
    for (const c of cart) m.set(c.line.itemId, (m.get(c.line.itemId) ?? 0) + c.line.qty)
    return m
  }, [cart])

  const add = (line: LineRequest) => {
    const item = menu?.menu.items.find((i) => i.id === line.itemId)
    const sku = item?.skus.find((s) => s.id === line.skuId)
    if (!item || !sku) return
    const options = item.optionGroups.flatMap((g) => g.options).filter((o) => line.optionIds.includes(o.id))
    const key = `${line.itemId}|${line.skuId}|${[...line.optionIds].sort().join(',')}|${line.note}`
    setCart((c) => {
      const same = c.find((x) => x.key === key)
      if (same)
        return c.map((x) => (x === same ? { ...x, line: { ...x.line, qty: x.line.qty + line.qty } } : x))
      return [
        ...c,
        {
          key,
          line,
          name: item.name,
          spec: [item.skus.length > 1 ? sku.name : '', ...options.map((o) => o.name)]
            .filter(Boolean)
            .join(' / '),
          unitFen: sku.priceFen + options.reduce((a, o) => a + o.priceFen, 0),
          boxFen: sku.packagingFeeFen ?? 0,
        },
      ]
    })
    setPicked(null)
    toast('已加入购物车')
  }
  const pick = (item: MenuItem) => {
    if (isSimple(item)) add({ itemId: item.id, skuId: item.skus[0]!.id, optionIds: [], qty: 1, note: '' })
    else setPicked(item)
  }
  const setQty = (key: string, qty: number) =>
    setCart((c) =>
      qty <= 0
        ? c.filter((x) => x.key !== key)
        : c.map((x) => (x.key === key ? { ...x, line: { ...x.line, qty } } : x)),
    )

  const count = cart.reduce((n, c) => n + c.line.qty, 0)
  const itemsFen = cart.reduce((n, c) => n + c.unitFen * c.line.qty, 0)
  const short = props.nearby ? props.nearby.minOrderFen - itemsFen : 0

  return (
    <div class="page">
      <header class="top">
        <div class="top-row">
          <button type="button" class="back-btn" data-testid="back" onClick={props.onBack} aria-label="返回">
            ‹
          </button>
          <div class="store-name" data-testid="store-name">
            {storeName || `门店 ${props.storeId}`}
          </div>
          <span />
        </div>
        {props.nearby && (
          <div class="top-row muted small store-strip" data-testid="store-strip">
            <span>约{props.nearby.etaMinutes}分钟送达</span>
            <span>起送 {formatFen(props.nearby.minOrderFen)}</span>
            <span>配送费 {formatFen(props.nearby.deliveryFeeFen)}</span>
          </div>
        )}
      </header>
      <main class="content">
        {menu ? (
          <MenuList data={menu} soldOut={soldOut} inCart={inCart} onPick={pick} />
        ) : (
          <div class="center-screen">
            {menuError ? (
              <>
                <div>{menuError}</div>
                <button type="button" class="btn btn-primary" onClick={() => void loadMenu()}>
                  重新加载菜单
                </button>
              </>
            ) : (
              <div class="muted">菜单加载中…</div>
            )}
          </div>
        )}
      </main>
      <div class="cart-bar">
        <button
          type="button"
          class="cart-summary"
          data-testid="cart-bar"
          data-count={count}
          onClick={() => count > 0 && setCheckout(true)}
        >
          <span class={`cart-icon ${count ? 'has' : ''}`}>
            🛒
            {count > 0 && (
              <span class="cart-count" data-testid="cart-count">
                {count}
              </span>
            )}
          </span>
          {count > 0 ? (
            <span class="cart-total" data-testid="cart-total">
              {formatFen(itemsFen)}
            </span>
          ) : (
            <span class="cart-empty">购物车是空的</span>
          )}
          {count > 0 && short > 0 && <span class="muted small">还差{formatFen(short)}起送</span>}
        </button>
        <button
          type="button"
          class="send-btn"
          data-testid="checkout-open"
          disabled={count === 0}
          onClick={() => setCheckout(true)}
        >
          去结算
        </button>
      </div>
      {picked && <DishSheet item={picked} onAdd={add} onClose={() => setPicked(null)} />}
      {checkout && menu && (
        <CheckoutSheet
          token={props.token}
          storeId={props.storeId}
          menuVersion={menu.menu.version}
          cart={cart}
          nearby={props.nearby}
          addressId={props.addressId}
          onQty={setQty}
          onClose={() => setCheckout(false)}
          onStale={() => void loadMenu()}
          onPlaced={props.onPlaced}
        />
      )}
    </div>
  )
}

function CheckoutSheet(props: {
  token: string
  storeId: string
  menuVersion: number
  cart: CartItem[]
  nearby: NearbyStore | null
  addressId: string | null
  onQty: (key: string, qty: number) => void
  onClose: () => void
  onStale: () => void
  onPlaced: (order: CustomerOrder) => void
}) {
  const [mode, setMode] = useState<'delivery' | 'pickup'>('delivery')
  const [addresses, setAddresses] = useState<SavedAddress[]>([])
  const [addressId, setAddressId] = useState(props.addressId)
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<{ code: string; text: string } | null>(null)
  // One key per attempt at the same order: a retried tap (a lost answer) never places it twice; a changed
  // order (mode, address, note, lines) is a new attempt with a new key.
  const attempt = useRef({ what: '', key: '' })

  useEffect(() => {
    listAddresses(props.token)
      .then(setAddresses)
      .catch(() => {})
  }, [props.token])
  useEffect(() => setError(null), [mode, addressId])
  const errorBox = useRef<HTMLDivElement>(null)
  // The refusal sits below the lines and the estimate: bring it into view.
  useEffect(() => errorBox.current?.scrollIntoView({ block: 'nearest' }), [error])

  const itemsFen = props.cart.reduce((n, c) => n + c.unitFen * c.line.qty, 0)
  const boxesFen = props.cart.reduce((n, c) => n + c.boxFen * c.line.qty, 0)
  // The nearby list priced the address it was computed for; another address is priced when ordering.
  const quoted = mode === 'delivery' && props.nearby && addressId === props.addressId ? props.nearby : null
  const free = quoted?.freeDeliveryFromFen !== undefined && itemsFen >= quoted.freeDeliveryFromFen
  const deliveryFen = quoted ? (free ? 0 : quoted.deliveryFeeFen) : 0
  const packingFen = mode === 'delivery' && quoted ? quoted.packingFeeFen : 0
  const totalFen = itemsFen + boxesFen + deliveryFen + packingFen

  const place = async () => {
    if (mode === 'delivery' && !addressId) {
      setError({ code: 'NO_ADDRESS', text: '请选择收货地址' })
      return
    }
    const what = JSON.stringify([
      mode,
      addressId,
      note.trim(),
      props.menuVersion,
      props.cart.map((c) => c.line),
    ])
    if (attempt.current.what !== what) attempt.current = { what, key: uuid() }
    setBusy(true)
    setError(null)
    try {
      const order = await placeOrder(
        props.token,
        {
          storeId: props.storeId,
          mode,
          menuVersion: props.menuVersion,
          lines: props.cart.map((c) => c.line),
          ...(mode === 'delivery' && addressId ? { addressId } : {}),
          ...(note.trim() ? { note: note.trim() } : {}),
        },
        attempt.current.key,
      )
      const door = mode === 'delivery' && addressId ? pointOf(addressId) : null
      if (door) keepPoint(order.id, door)
      props.onPlaced(order)
    } catch (e) {
      const code = e instanceof ApiError ? e.code : 'INTERNAL'
      setError({ code, text: orderErrorText(e) })
      if (code === 'MENU_STALE') props.onStale()
    } finally {
      setBusy(false)
    }
  }

  return (
    <Sheet
      title="确认订单"
      onClose={props.onClose}
      testid="checkout-sheet"
      footer={
        <>
          <div class="sheet-total">
            <span class="muted small">{quoted || mode === 'pickup' ? '预计' : '商品'}</span>
            <span class="price" data-testid="checkout-total">
              {formatFen(totalFen)}
            </span>
          </div>
          <button
            type="button"
            class="btn btn-primary"
            data-testid="place-order"
            disabled={busy || props.cart.length === 0}
            onClick={() => void place()}
          >
            {busy ? '提交中…' : '提交订单'}
          </button>
        </>
      }
    >
      <div class="mode-switch" role="tablist">
        <button
          type="button"
          role="tab"
          class={mode === 'delivery' ? 'on' : ''}
          aria-selected={mode === 'delivery'}
          data-testid="mode-delivery"
          onClick={() => setMode('delivery')}
        >
          🛵 外卖配送
        </button>
        <button
          type="button"
          role="tab"
          class={mode === 'pickup' ? 'on' : ''}
          aria-selected={mode === 'pickup'}
          data-testid="mode-pickup"
          onClick={() => setMode('pickup')}
        >
          🏪 到店自提
        </button>
      </div>

      {mode === 'delivery' ? (
        <div class="opt-group" data-testid="checkout-addresses">
          <div class="opt-title">收货地址</div>
          {addresses.length === 0 && <div class="muted small">还没有地址，请先返回首页添加</div>}
          {addresses.map((a) => (
            <button
              type="button"
              key={a.id}
              class={`addr-pick ${a.id === addressId ? 'on' : ''}`}
              aria-pressed={a.id === addressId}
              data-testid="checkout-address"
              data-id={a.id}
              onClick={() => setAddressId(a.id)}
            >
              <span class="addr-radio" aria-hidden="true">
                {a.id === addressId ? '●' : '○'}
              </span>
              <span>
                {a.label && <span class="chip chip-tag">{a.label}</span>} {a.text}
                <span class="muted small">
                  {' '}
                  {a.name} {a.phone}
                </span>
              </span>
            </button>
          ))}
        </div>
      ) : (
        <div class="opt-group muted small" data-testid="pickup-note">
          下单后到店出示取餐号自提，无需配送费。
        </div>
      )}

      <div class="opt-group">
        <div class="opt-title">商品</div>
        {props.cart.map((c) => (
          <div key={c.key} class="checkout-line" data-testid="checkout-line">
            <div>
              <div>{c.name}</div>
              {c.spec && <div class="muted small">{c.spec}</div>}
            </div>
            <div class="checkout-line-side">
              <span class="price">{formatFen(c.unitFen * c.line.qty)}</span>
              <Stepper
                value={c.line.qty}
                min={0}
                max={99}
                testid="checkout-qty"
                onChange={(q) => props.onQty(c.key, q)}
              />
            </div>
          </div>
        ))}
      </div>

      <div class="opt-group price-estimate" data-testid="price-estimate">
        <Row label="商品小计" fen={itemsFen} testid="est-items" />
        {boxesFen > 0 && <Row label="餐盒费" fen={boxesFen} testid="est-boxes" />}
        {mode === 'delivery' && quoted && <Row label="打包费" fen={packingFen} testid="est-packing" />}
        {mode === 'delivery' &&
          (quoted ? (
            <Row label={free ? '配送费（已满免）' : '配送费'} fen={deliveryFen} testid="est-delivery" />
          ) : (
            <div class="est-row muted small" data-testid="est-delivery">
              <span>配送费</span>
              <span>按地址计算</span>
            </div>
          ))}
        <div class="muted small">优惠与最终金额以提交后的订单为准</div>
      </div>

      <div class="opt-group">
        <div class="opt-title">备注</div>
        <input
          class="input"
          data-testid="checkout-note"
          maxLength={200}
          placeholder="如：不要辣、放门口"
          value={note}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
      </div>

      {error && (
        <div class="order-error" role="alert" data-testid="order-error" data-code={error.code} ref={errorBox}>
          {error.text}
          {error.code === 'OUT_OF_DELIVERY_AREA' && (
            <div class="order-error-actions">
              <button type="button" class="btn" data-testid="switch-pickup" onClick={() => setMode('pickup')}>
                改为到店自提
              </button>
            </div>
          )}
        </div>
      )}
    </Sheet>
  )
}

function Row(props: { label: string; fen: number; testid: string }) {
  return (
    <div class="est-row" data-testid={props.testid}>
      <span>{props.label}</span>
      <span>{formatFen(props.fen)}</span>
    </div>
  )
}
