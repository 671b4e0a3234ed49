// Delivery in a real browser: a customer on a phone (GPS from context.setGeolocation) saves an address,
// finds the demo store among the stores that deliver there, orders 回锅肉 for delivery, is refused with a
// clear error for an address outside the area before paying anything, pays through the sandbox's cashier,
// and after the owner accepts and a simulated rider takes the job (scripts/rider-sim.ts: the rider API and
// socket, as a phone would) watches the rider's pin move on the order's map until it is delivered. Phone numbers on the customer's screen are masked only.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { devices } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fromGcj02, type LatLng } from '../../core/geo/coords'
import { DEMO_PASSWORD, DEMO_STORE_ID, demoStoreSetup } from '../../scripts/demo-data'
import { type RunningPaymentSandbox, startPaymentSandbox } from '../../scripts/payment-sandbox/server'
import { type RiderSim, startRiderSim } from '../../scripts/rider-sim'
import { DEV_ADMIN_TOKEN } from '../../scripts/wrangler-dev'
import { ACTION_MS, launchBrowser, type Server, screenshot, startServer, within } from './support'

/** From the cashier's 确认支付 back to a paid order: redirect, confirm, socket. */
const PAID_MS = 10_000
/** Accept -> job in the cell -> a batch (DISPATCH_BATCH_MS below) -> offer on the rider's socket. */
const OFFER_MS = 20_000
/**
 * A moving rider reports every 15 s (core/geo MOVING_INTERVAL_MS, the interval the server asks for); each
 * report reaches the order's map (RiderDO throttles to one per 3 s). Two reports plus slack.
 */
const MOVE_MS = 40_000
/** Riding ~1 km to the store or ~1.5 km to the door at SIM_SPEED_MPS, plus the rider's pauses. */
const RIDE_MS = 120_000
/** The simulated rider: seed 1 starts it on the street grid ~800 m from the store (3 blocks east, 1 south). */
const SIM_SEED = 1
/** 108 km/h: a quick test, still under the location stream's 40 m/s jump limit (450 m per 15 s report). */
const SIM_SPEED_MPS = 30
/** rider-sim.ts gives its first rider 13900000001. */
const SIM_PHONE = '13900000001'
const SIM_PHONE_MASKED = '139****0001'

/** The demo store (scripts/demo-data.ts), GCJ-02. */
const STORE_AT: LatLng = { lat: 30.62936, lng: 104.0637 }
const CUSTOMER_PHONE = '13987654321'

/** A point `northM` metres north and `eastM` east of p. */
function offset(p: LatLng, northM: number, eastM = 0): LatLng {
  return {
    lat: p.lat + northM / 111_195,
    lng: p.lng + eastM / (111_195 * Math.cos((p.lat * Math.PI) / 180)),
  }
}
/** What a phone's GPS reports for a GCJ-02 point. */
const gps = (p: LatLng) => {
  const w = fromGcj02(p, 'WGS84')
  return { latitude: w.lat, longitude: w.lng, accuracy: 10 }
}

/** ~1.2 km from the store: inside its 5 km area, first fee bracket. */
const HOME = offset(STORE_AT, 1_100, 400)
/** ~9 km away: outside the area. */
const FAR = offset(STORE_AT, 9_000)

let sandbox: RunningPaymentSandbox
let server: Server
let browser: Browser

async function json<T>(path: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const res = await fetch(`${server.base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`)
  return (text ? JSON.parse(text) : null) as T
}

async function eventually<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000) {
  const until = Date.now() + ms
  for (;;) {
    const v = await fn().catch(() => undefined as T)
    if (v !== undefined && ok(v)) return v
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(v)})`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

beforeAll(async () => {
  sandbox = await startPaymentSandbox({ timeScale: 0.001 })
  const [s, b] = await Promise.allSettled([
    // Batches every second instead of 5 s: the rider's offer arrives while the test waits.
    startServer({ ...sandbox.env, PAYMENT_TIME_SCALE: '0.05', DISPATCH_BATCH_MS: '1000' }),
    launchBrowser(),
  ])
  if (s.status === 'fulfilled') server = s.value
  if (b.status === 'fulfilled') browser = b.value
  for (const r of [s, b]) if (r.status === 'rejected') throw r.reason
  const setup = demoStoreSetup()
  setup.settings = { ...setup.settings, payMode: 'pay_first' }
  await json(`/api/v1/admin/stores/${DEMO_STORE_ID}`, { method: 'PUT', token: DEV_ADMIN_TOKEN, body: setup })
  // The store reaches the nearby index through its outbox: wait until it is listed.
  const { lat, lng } = fromGcj02(HOME, 'WGS84')
  await eventually(
    'demo store in the nearby index',
    () => json<{ stores: { storeId: string }[] }>(`/api/v1/stores/nearby?lat=${lat}&lng=${lng}&datum=WGS84`),
    (r) => r.stores.some((x) => x.storeId === DEMO_STORE_ID),
  )
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await sandbox?.stop()
})

/** A customer's phone with location permission granted, at `at`. */
async function customerPhone(at: LatLng): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    ...devices['Pixel 7'],
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    geolocation: gps(at),
    permissions: ['geolocation'],
  })
  context.setDefaultTimeout(ACTION_MS)
  context.setDefaultNavigationTimeout(15_000)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  return { context, page, errors }
}

/** Fill the new-address form with a GPS fix at the phone's current location and save it. */
async function addAddress(page: Page, text: string, tapMapFirst = false): Promise<void> {
  const form = await within(page.getByTestId('address-form'), ACTION_MS, 'address form')
  if (tapMapFirst) {
    // A tap on the picker (plain map, no tiles) places the pin; the GPS fix below replaces it.
    // The map takes its clicks once Leaflet has laid it out, which on a loaded machine can be after the
    // form shows: tap again until the point is taken.
    const point = form.locator('[data-testid="address-point"][data-source="map"]')
    for (let i = 0; i < 10 && !(await point.isVisible()); i++) {
      await form.getByTestId('pick-map').click({ position: { x: 120, y: 80 } })
      await point.waitFor({ timeout: 1_000 }).catch(() => undefined)
    }
    await within(point, ACTION_MS, 'map point')
    await within(form.getByTestId('pick-pin'), ACTION_MS, 'pin on the picker')
    await screenshot(page, 'delivery-address-map.png')
  }
  await form.getByTestId('address-gps').click()
  await within(form.locator('[data-testid="address-point"][data-source="gps"]'), ACTION_MS, 'GPS fix')
  await form.getByTestId('address-text').fill(text)
  await form.getByTestId('address-name').fill('王小明')
  await form.getByTestId('address-phone').fill(CUSTOMER_PHONE)
  await form.getByTestId('address-save').click()
  await form.waitFor({ state: 'detached' })
}

describe('delivery on the phone', () => {
  let phone: Awaited<ReturnType<typeof customerPhone>> | undefined
  let sim: RiderSim | undefined
  afterAll(async () => {
    await sim?.stop()
    await phone?.context.close().catch(() => {})
  })

  test('order, refusal outside the area, pay, accept, dispatch, and the rider moving on the map', {
    timeout: 300_000,
  }, async () => {
    phone = await customerPhone(HOME)
    const P = phone.page
    await P.goto(`${server.base}/delivery/`)

    // A name for this device, then the first address from the phone's GPS.
    await P.getByTestId('name-input').fill('王小明')
    await P.getByTestId('name-submit').click()
    await addAddress(P, '四川省成都市武侯区玉林北路12号2栋1单元302', true)

    // The demo store delivers here: fee, 起送价 and the time it takes are on its card.
    const card = await within(P.getByTestId(`store-${DEMO_STORE_ID}`), ACTION_MS, 'demo store nearby')
    expect(await card.getByTestId('store-fee').textContent()).toMatch(/^配送费 ¥\d+\.\d\d$/)
    expect(await card.getByTestId('store-eta').textContent()).toMatch(/^约\d+分钟$/)
    expect(await card.getByTestId('store-min').textContent()).toBe('起送 ¥20.00')
    await screenshot(P, 'delivery-stores.png')

    // A second address, 9 km away: no store delivers there.
    await P.getByTestId('address-current').click()
    await P.getByTestId('address-add').click()
    await phone.context.setGeolocation(gps(FAR))
    await addAddress(P, '四川省成都市成华区双林路200号5栋801')
    await within(P.getByTestId('stores-empty'), ACTION_MS, 'no store delivers to the far address')
    await phone.context.setGeolocation(gps(HOME))

    // Back to home and into the store: 回锅肉 (a spice level to pick) into the cart.
    await P.getByTestId('address-current').click()
    await P.getByTestId('address-row').filter({ hasText: '玉林北路' }).getByTestId('address-use').click()
    await (await within(P.getByTestId(`store-${DEMO_STORE_ID}`), ACTION_MS, 'store again')).click()
    await within(P.getByTestId('store-name').filter({ hasText: '蜀味小馆' }), ACTION_MS, 'store page')
    await P.getByTestId('dish-huiguorou').click()
    const sheet = await within(P.getByTestId('sheet'), ACTION_MS, 'dish sheet')
    await sheet.getByTestId('option-spice-medium').click()
    await sheet.getByTestId('sheet-add').click()
    await within(P.locator('[data-testid="cart-bar"][data-count="1"]'), ACTION_MS, 'one in the cart')
    await P.getByTestId('checkout-open').click()
    const checkout = await within(P.getByTestId('checkout-sheet'), ACTION_MS, 'checkout')
    // The estimate names the delivery fee of this address.
    expect(await checkout.getByTestId('est-delivery').textContent()).toMatch(/^配送费¥\d+\.\d\d$/)

    // Ordering to the far address is refused before any payment, with a clear reason.
    await checkout.getByTestId('checkout-address').filter({ hasText: '双林路' }).click()
    await checkout.getByTestId('place-order').click()
    const refused = await within(
      checkout.locator('[data-testid="order-error"][data-code="OUT_OF_DELIVERY_AREA"]'),
      ACTION_MS,
      'out of area error',
    )
    expect(await refused.textContent()).toContain('超出门店配送范围')
    expect(await refused.textContent()).toMatch(/最远配送5\.0公里/)
    await screenshot(P, 'delivery-out-of-area.png')
    const customerToken = await P.evaluate(
      () =>
        (JSON.parse(localStorage.getItem('ec.customer.session') ?? '{}') as { token?: string }).token ?? '',
    )
    const none = await json<{ orders: unknown[] }>('/api/v1/customer/orders', { token: customerToken })
    expect(none.orders).toEqual([])
    expect(new URL(P.url()).searchParams.has('order')).toBe(false)

    // The address at home: placed, waiting for payment, with the delivery fee in the breakdown.
    await checkout.getByTestId('checkout-address').filter({ hasText: '玉林北路' }).click()
    await checkout.getByTestId('place-order').click()
    const orderPage = await within(
      P.locator('[data-testid="order-page"][data-state="PENDING_PAYMENT"]'),
      ACTION_MS,
      'order page, unpaid',
    )
    const orderId = (await orderPage.getAttribute('data-order-id'))!
    expect(orderId).toMatch(/^ord_/)
    const steps = await orderPage.getByTestId('price-step').allTextContents()
    expect(steps.some((s) => s.startsWith('配送费'))).toBe(true)
    const total = (await orderPage.getByTestId('order-total').textContent())!
    // Masked on the customer's own screen too.
    expect(await orderPage.getByTestId('order-address').textContent()).toContain('139****4321')
    expect(await P.content()).not.toContain(CUSTOMER_PHONE)

    // 去支付 -> 微信支付 -> the sandbox's cashier -> back on the order page, paid.
    await P.getByTestId('pay-open').click()
    const pay = await within(P.getByTestId('pay-sheet'), ACTION_MS, 'pay sheet')
    expect(await pay.getByTestId('pay-amount').textContent()).toBe(total)
    await pay.getByTestId('pay-wechat').click()
    await P.waitForURL((u) => u.origin === sandbox.base, { timeout: ACTION_MS })
    await within(P.getByTestId('sandbox-pay'), ACTION_MS, 'cashier')
    expect(await P.getByTestId('sandbox-amount').textContent()).toBe(total)
    await P.getByTestId('sandbox-pay').click()
    await P.waitForURL((u) => u.origin === server.base && u.pathname.startsWith('/delivery/'), {
      timeout: ACTION_MS,
    })
    await within(P.locator('[data-testid="pay-result"][data-status="paid"]'), PAID_MS, '支付成功')
    await within(
      P.locator('[data-testid="order-page"][data-state="PLACED"]'),
      PAID_MS,
      'paid, waiting for the store',
    )
    expect(new URL(P.url()).searchParams.get('order')).toBe(orderId)
    expect(new URL(P.url()).searchParams.has('checkout')).toBe(false)

    // The owner accepts and the kitchen says it is ready (API calls as the owner).
    const owner = (
      await json<{ token: string }>(`/api/v1/stores/${DEMO_STORE_ID}/login`, {
        body: { username: 'owner', password: DEMO_PASSWORD },
      })
    ).token
    const event = (e: string) =>
      json(`/api/v1/stores/${DEMO_STORE_ID}/orders/${orderId}/events`, { token: owner, body: { event: e } })
    await event('accept')
    // Accepted goes straight on to the kitchen's queue (QUEUED) when the store prints tickets.
    await within(
      P.locator('[data-testid="order-state"]:is([data-state="ACCEPTED"], [data-state="QUEUED"])'),
      PAID_MS,
      '已接单',
    )
    const eta = await within(P.getByTestId('eta'), ACTION_MS, 'ETA shown')
    expect(Number(await eta.getAttribute('data-eta-at'))).toBeGreaterThan(Date.now())
    await event('ready')

    // One simulated rider (scripts/rider-sim.ts): on duty ~800 m from the store, it takes the offer, rides
    // to the store reporting its position over the rider socket, picks up and delivers.
    const riderLog: string[] = []
    sim = await startRiderSim({
      base: server.base,
      adminToken: DEV_ADMIN_TOKEN,
      count: 1,
      center: STORE_AT,
      seed: SIM_SEED,
      speedMps: SIM_SPEED_MPS,
      idPrefix: 'dlv',
      log: (line) => riderLog.push(line),
    })
    expect(sim.riders).toEqual(['dlv-01'])
    await within(
      P.locator('[data-testid="order-state"][data-state="RIDER_ASSIGNED"]'),
      OFFER_MS,
      `骑手已接单 on the phone (rider: ${riderLog.join(' | ')})`,
    )
    const riderPhone = await within(P.getByTestId('rider-phone'), ACTION_MS, 'rider contact')
    expect(await riderPhone.textContent()).toBe(SIM_PHONE_MASKED)
    expect(await P.content()).not.toContain(SIM_PHONE)

    // The rider's pin appears with its first position and moves with the next ones.
    const map = P.getByTestId('track-map')
    await within(P.locator('[data-testid="track-map"][data-rider="shown"]'), MOVE_MS, 'rider on the map')
    const pin = P.locator('.ec-pin-rider')
    await pin.waitFor()
    const first = { at: Number(await map.getAttribute('data-rider-at')), box: await pin.boundingBox() }
    const firstPos = [await map.getAttribute('data-rider-lat'), await map.getAttribute('data-rider-lng')]
    await screenshot(P, 'delivery-rider-1.png')
    await expect
      .poll(async () => Number(await map.getAttribute('data-rider-at')), { timeout: MOVE_MS, interval: 250 })
      .toBeGreaterThan(first.at)
    expect([await map.getAttribute('data-rider-lat'), await map.getAttribute('data-rider-lng')]).not.toEqual(
      firstPos,
    )
    // Leaflet places the pin with a transform: wait for the new frame, then compare where it is drawn.
    await expect
      .poll(async () => JSON.stringify(await pin.boundingBox()), { timeout: ACTION_MS, interval: 100 })
      .not.toBe(JSON.stringify(first.box))
    await screenshot(P, 'delivery-rider-2.png')

    // At the store it picks up (the kitchen said ready), rides to the door and delivers.
    await within(P.locator('[data-testid="order-state"][data-state="DELIVERING"]'), RIDE_MS, '配送中')
    await within(P.locator('[data-testid="order-state"][data-state="DELIVERED"]'), RIDE_MS, '已送达')
    const states = await P.locator('[data-testid="timeline-item"]').evaluateAll((els) =>
      els.map((e) => e.getAttribute('data-state')),
    )
    expect(states).toEqual(
      expect.arrayContaining([
        'PENDING_PAYMENT',
        'PLACED',
        'ACCEPTED',
        'RIDER_ASSIGNED',
        'DELIVERING',
        'DELIVERED',
      ]),
    )
    await screenshot(P, 'delivery-delivered.png')
    expect(phone.errors).toEqual([])
  })
})
