// Delivery (外卖) and pickup (自提) H5 at /delivery/: a name for this device, an address, the stores that
// deliver there, a store's menu and checkout, then the order page with payment and live tracking.
// Where the customer is lives in the URL (?store=, ?order=, ?view=addresses), so the cashier's way back
// (?order=…&checkout=…) and a reload land on the same screen.
import { useEffect, useState } from 'preact/hooks'
import { ApiError } from '../shared/api'
import { describeError } from '../shared/errors'
import { clock } from '../shared/time'
import { Toaster } from '../shared/toast'
import { AddressBook } from './address'
import {
  type CustomerSession,
  listAddresses,
  myOrders,
  type NearbyStore,
  type SavedAddress,
  startSession,
} from './api'
import { OrderPage } from './order-page'
import { currentAddressId, keepSession, pointOf, rememberAddressId, savedSession } from './session'
import { StorePage } from './store-page'
import { StoreList } from './stores'

type Route =
  | { k: 'home' }
  | { k: 'addresses' }
  | { k: 'store'; storeId: string }
  | { k: 'order'; orderId: string }

const ORDER_ID = /^ord_[0-9A-Z]{26}$/

function routeFromUrl(): Route {
  const q = new URL(location.href).searchParams
  const order = q.get('order') ?? q.get('checkout')
  if (order && ORDER_ID.test(order)) return { k: 'order', orderId: order }
  const store = q.get('store')
  if (store && /^\d{3}$/.test(store)) return { k: 'store', storeId: store }
  if (q.get('view') === 'addresses') return { k: 'addresses' }
  return { k: 'home' }
}

function urlOf(r: Route): string {
  const base = location.pathname
  switch (r.k) {
    case 'home':
      return base
    case 'addresses':
      return `${base}?view=addresses`
    case 'store':
      return `${base}?store=${r.storeId}`
    case 'order':
      return `${base}?order=${r.orderId}`
  }
}

export function App() {
  const [session, setSession] = useState<CustomerSession | null>(savedSession)
  const [route, setRoute] = useState<Route>(routeFromUrl)

  useEffect(() => {
    const onPop = () => setRoute(routeFromUrl())
    window.addEventListener('popstate', onPop)
    return () => window.removeEventListener('popstate', onPop)
  }, [])

  const go = (r: Route, replace = false) => {
    if (replace) history.replaceState(null, '', urlOf(r))
    else history.pushState(null, '', urlOf(r))
    setRoute(r)
    window.scrollTo(0, 0)
  }
  const expire = () => {
    keepSession(null)
    setSession(null)
  }

  return (
    <>
      {session ? (
        <Screens key={session.token} session={session} route={route} go={go} onExpired={expire} />
      ) : (
        <NameForm
          onDone={(s) => {
            keepSession(s)
            setSession(s)
          }}
        />
      )}
      <Toaster />
    </>
  )
}

function Screens(props: {
  session: CustomerSession
  route: Route
  go: (r: Route, replace?: boolean) => void
  onExpired: () => void
}) {
  const { session, route, go } = props
  const token = session.token
  const [addressId, setAddressId] = useState<string | null>(currentAddressId)
  const [current, setCurrent] = useState<SavedAddress | null>(null)
  const [nearby, setNearby] = useState<NearbyStore | null>(null)
  const point = addressId ? pointOf(addressId) : null

  // After a reload only the id is known: the masked text for the header comes from the saved list.
  useEffect(() => {
    if (!addressId || current?.id === addressId) return
    listAddresses(token)
      .then((l) => setCurrent(l.find((a) => a.id === addressId) ?? null))
      .catch(() => {})
  }, [addressId, token])

  const use = (a: SavedAddress) => {
    rememberAddressId(a.id)
    setAddressId(a.id)
    setCurrent(a)
    go({ k: 'home' }, route.k === 'addresses')
  }

  if (route.k === 'order')
    return (
      <OrderPage
        key={route.orderId}
        token={token}
        orderId={route.orderId}
        onBack={() => go({ k: 'home' })}
        onExpired={props.onExpired}
      />
    )
  if (route.k === 'store')
    return (
      <StorePage
        token={token}
        storeId={route.storeId}
        nearby={nearby?.storeId === route.storeId ? nearby : null}
        addressId={addressId}
        onBack={() => go({ k: 'home' })}
        onPlaced={(o) => go({ k: 'order', orderId: o.id }, true)}
      />
    )

  const choosing = route.k === 'addresses' || !addressId || !point
  return (
    <div class="page">
      <header class="top">
        <div class="top-row">
          <div class="store-name">外卖 · 自提</div>
          <span class="muted small" data-testid="customer-name">
            👤 {session.customer.name}
          </span>
        </div>
        {!choosing && (
          <button
            type="button"
            class="address-chip"
            data-testid="address-current"
            onClick={() => go({ k: 'addresses' })}
          >
            📍 {current ? current.text : '当前地址'} <span class="muted">切换 ›</span>
          </button>
        )}
      </header>
      <main class="content home-scroll">
        {choosing ? (
          <AddressBook
            token={token}
            currentId={addressId}
            onUse={use}
            onClose={addressId && point ? () => go({ k: 'home' }) : undefined}
          />
        ) : (
          <>
            <RecentOrders token={token} onOpen={(orderId) => go({ k: 'order', orderId })} />
            <StoreList
              point={point}
              onOpen={(s) => {
                setNearby(s)
                go({ k: 'store', storeId: s.storeId })
              }}
            />
          </>
        )}
      </main>
    </div>
  )
}

/** The last few orders of this customer, newest first: the way back to an order's page. */
function RecentOrders(props: { token: string; onOpen: (orderId: string) => void }) {
  const [list, setList] = useState<{ orderId: string; storeId: string; createdAt: number }[]>([])
  useEffect(() => {
    myOrders(props.token)
      .then((l) => setList(l.slice(0, 3)))
      .catch(() => {})
  }, [props.token])
  if (list.length === 0) return null
  return (
    <section class="panel recent-orders" data-testid="recent-orders">
      <h3 class="panel-title">我的订单</h3>
      {list.map((o) => (
        <button
          type="button"
          key={o.orderId}
          class="recent-order"
          data-testid="recent-order"
          onClick={() => props.onOpen(o.orderId)}
        >
          <span>门店 {o.storeId}</span>
          <span class="muted small">
            {new Date(o.createdAt).toLocaleDateString('zh-CN')} {clock(o.createdAt)} ›
          </span>
        </button>
      ))}
    </section>
  )
}

function NameForm(props: { onDone: (s: CustomerSession) => void }) {
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const submit = async (e: Event) => {
    e.preventDefault()
    const n = name.trim()
    if (!n) return
    setBusy(true)
    setError(null)
    try {
      props.onDone(await startSession(n.slice(0, 20)))
    } catch (err) {
      setError(err instanceof ApiError ? describeError(err) : '网络异常，请重试')
      setBusy(false)
    }
  }
  return (
    <form class="center-screen join" onSubmit={submit}>
      <span class="big-emoji">🛵</span>
      <h2>外卖 · 到店自提</h2>
      <p class="muted">怎么称呼您？商家和骑手会用它找到您的订单</p>
      <input
        class="input join-input"
        data-testid="name-input"
        value={name}
        maxLength={20}
        placeholder="昵称"
        onInput={(e) => setName(e.currentTarget.value)}
        aria-label="昵称"
      />
      {error && <div class="form-error">{error}</div>}
      <button
        type="submit"
        class="btn btn-primary btn-block"
        data-testid="name-submit"
        disabled={!name.trim() || busy}
      >
        {busy ? '请稍候…' : '开始点餐'}
      </button>
    </form>
  )
}
