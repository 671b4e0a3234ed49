// The rider app in a real browser, on a phone whose GPS the test moves (Playwright's geolocation override):
// a rider logs in and goes on duty near the demo store; a customer orders a delivery, pays and the store
// accepts; the offer shows on the rider's phone with its countdown and only a hint of where it goes; the
// rider accepts, taps 到店 too far away (the geofence refuses, the override dialog explains), rides to the
// store, arrives, picks up (now the customer's point and masked phone show), rides to the customer and
// delivers; the customer's order turns DELIVERED.
import type { Browser, Page } from 'playwright-core'
import { devices } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { fromGcj02, haversineM, type LatLng } from '../../core/geo'
import { DEMO_PASSWORD, DEMO_STORE_ID, demoStoreSetup } from '../../scripts/demo-data'
import { DEV_ADMIN_TOKEN } from '../../scripts/wrangler-dev'
import { apiClient, eventually } from '../support/http'
import {
  ACTION_MS,
  closeAll,
  launchBrowser,
  type Person,
  type Server,
  screenshot,
  seedDemo,
  startServer,
  within,
} from './support'

const RIDER_ID = 'r-browser'
const RIDER_PASSWORD = 'browser-rider-pass'
const PHONE = '13812345678'
/** Dispatch batches every 5 s by default; the offer also has to reach the phone. */
const OFFER_MS = 15_000
/** The rider's object forwards updates to the store through its outbox, at once unless a send fails. */
const STORE_MS = 10_000
/**
 * The server refuses a fix further from the last one than 40 m/s allows (core/geo/track.ts). A test's
 * "ride" is a jump, so it waits long enough for the distance: this many ms per metre, with slack.
 */
const MS_PER_M = 1_000 / 30

let server: Server
let browser: Browser
let rider: Person | undefined

const store: LatLng = demoStoreSetup().settings.location!
/** Metres north / east of a point (small offsets). */
const offset = (p: LatLng, northM: number, eastM = 0): LatLng => ({
  lat: p.lat + northM / 111_195,
  lng: p.lng + eastM / (111_195 * Math.cos((p.lat * Math.PI) / 180)),
})
/** Where the rider waits: 250 m east of the store, outside its 100 m fence. */
const START = offset(store, 0, 250)
/** The customer: 500 m north of the store, inside the first fee ring. */
const CUSTOMER = offset(store, 500)

beforeAll(async () => {
  const [s, b] = await Promise.allSettled([startServer(), launchBrowser()])
  if (s.status === 'fulfilled') server = s.value
  if (b.status === 'fulfilled') browser = b.value
  for (const r of [s, b]) if (r.status === 'rejected') throw r.reason
  await seedDemo(server.base)
})

afterAll(async () => {
  await closeAll(rider)
  await browser?.close()
  await server?.stop()
})

async function call(method: string, path: string, body?: unknown, token?: string, headers = {}) {
  const r = await apiClient(server.base)(method, path, { body, ...(token ? { token } : {}), headers })
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json
}

/**
 * Move the phone (the device speaks WGS-84; the test thinks in GCJ-02 like the server), no sooner after the
 * last fix the server accepted (the page shows its time) than a rider could have covered the distance.
 */
let lastSpot: LatLng = START
async function moveTo(page: Page, p: LatLng): Promise<void> {
  const metres = haversineM(lastSpot, p)
  const ackAt = Number(await page.getByTestId('gps-status').getAttribute('data-ack-at'))
  const wait = ackAt + metres * MS_PER_M - Date.now()
  if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  const w = fromGcj02(p, 'WGS84')
  await page.context().setGeolocation({ latitude: w.lat, longitude: w.lng, accuracy: 10 })
  lastSpot = p
}

/** A delivery order from a fresh customer to CUSTOMER, paid and accepted by the demo store's owner. */
async function paidDelivery(): Promise<string> {
  const { menu } = await call('GET', `/api/v1/stores/${DEMO_STORE_ID}/menu`)
  const item = menu.items.find(
    (i: any) => i.optionGroups.every((g: any) => g.min === 0) && i.skus[0]?.priceFen >= 1_000,
  )
  expect(item, 'a dish with no required options').toBeTruthy()
  const qty = Math.ceil(3_000 / item.skus[0].priceFen)
  const customer = await call('POST', '/api/v1/customers/session', { name: '小李' })
  const addr = await call(
    'POST',
    '/api/v1/customer/addresses',
    {
      label: '公司',
      name: '张三',
      phone: PHONE,
      text: '四川省成都市武侯区玉林北路12号3栋501',
      ...CUSTOMER,
      datum: 'GCJ02',
    },
    customer.token,
  )
  const order = await call(
    'POST',
    '/api/v1/customer/orders',
    {
      storeId: DEMO_STORE_ID,
      mode: 'delivery',
      menuVersion: menu.version,
      lines: [{ itemId: item.id, skuId: item.skus[0].id, qty }],
      addressId: addr.id,
    },
    customer.token,
    { 'idempotency-key': 'rider-browser-order-1' },
  )
  const owner = (
    await call('POST', `/api/v1/stores/${DEMO_STORE_ID}/login`, {
      username: 'owner',
      password: DEMO_PASSWORD,
    })
  ).token
  // Paid at the counter (the sandbox cashier is pay.test.ts's subject), then accepted: the job goes to
  // dispatch. Dispatch commits a rider late, when the food is nearly ready (core/dispatch/batch.ts), and the
  // demo kitchen takes 20 min: the kitchen says ready now.
  for (const event of ['pay', 'accept', 'ready'])
    await call('POST', `/api/v1/stores/${DEMO_STORE_ID}/orders/${order.id}/events`, { event }, owner)
  customerToken = customer.token
  return order.id
}
let customerToken = ''

test('a rider goes on duty, accepts an offer, arrives (geofence), picks up and delivers', {
  timeout: 150_000,
}, async () => {
  await call(
    'PUT',
    `/api/v1/admin/riders/${RIDER_ID}`,
    { name: '王师傅', phone: '13900001111', password: RIDER_PASSWORD, capacity: 3 },
    DEV_ADMIN_TOKEN,
  )

  const w = fromGcj02(START, 'WGS84')
  const context = await browser.newContext({
    ...devices['Pixel 7'],
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    permissions: ['geolocation'],
    geolocation: { latitude: w.lat, longitude: w.lng, accuracy: 10 },
  })
  context.setDefaultTimeout(ACTION_MS)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  rider = { context, page, errors }

  // Log in and go on duty: the first fix goes up and the server acknowledges it.
  await page.goto(`${server.base}/rider/`)
  await page.getByTestId('rider-id').fill(RIDER_ID)
  await page.getByTestId('rider-password').fill(RIDER_PASSWORD)
  await page.getByTestId('rider-login').click()
  await within(page.getByTestId('rider-name').filter({ hasText: '王师傅' }), ACTION_MS, 'rider name')
  await page.getByTestId('duty-toggle').click()
  await within(page.locator('[data-testid="duty"][data-on="true"]'), ACTION_MS, 'on duty')
  await within(
    page.locator('[data-testid="gps-status"][data-kind="ok"]'),
    ACTION_MS,
    'first fix acknowledged',
  )
  expect(await page.getByTestId('gps-status').textContent()).toContain('每 15 秒')
  // No tile server configured: the map draws on its plain background, with the rider's pin.
  await within(page.locator('.ec-map-plain .ec-pin-rider'), ACTION_MS, 'rider pin on the plain map')
  await within(page.getByTestId('no-offers'), ACTION_MS, '等待派单')

  // A customer orders; the store accepts; dispatch offers it to the only rider nearby.
  const orderId = await paidDelivery()
  const offer = await within(page.getByTestId('offer'), OFFER_MS, 'the offer')
  expect(await offer.getAttribute('data-mode')).toBe('offer')
  expect(await offer.getByTestId('offer-hint').textContent()).toContain('附近')
  const left = Number(await offer.getByTestId('offer-countdown').getAttribute('data-left'))
  expect(left).toBeGreaterThan(5)
  expect(left).toBeLessThanOrEqual(30)
  // Before pickup the rider never sees the door or the phone.
  expect(await page.content()).not.toContain('3栋501')
  await screenshot(page, 'rider-offer.png')
  await offer.getByTestId('offer-accept').click()

  const task = await within(
    page.locator(`[data-testid="task"][data-order="${orderId}"]`),
    ACTION_MS,
    'the task',
  )
  expect(await task.getAttribute('data-status')).toBe('assigned')
  expect(await task.getByTestId('task-phone').count()).toBe(0)
  expect(await task.getByTestId('task-dropoff').textContent()).toContain('取餐后显示详细地址')
  await within(page.getByTestId('route-stops'), ACTION_MS, 'the route')
  await within(page.locator('.ec-pin-store'), ACTION_MS, 'store pin')

  // 到店 from 250 m away: the fence refuses and says how far; the rider cancels.
  await task.getByTestId('task-arrive').click()
  const dialog = await within(page.getByTestId('fence-dialog'), ACTION_MS, 'geofence dialog')
  expect(await dialog.getByTestId('fence-message').textContent()).toMatch(/约 2\d\d 米/)
  await expect.poll(() => dialog.getByTestId('fence-override').isDisabled()).toBe(true)
  await screenshot(page, 'rider-fence.png')
  await dialog.getByTestId('fence-cancel').click()
  expect(await page.getByTestId('fence-dialog').count()).toBe(0)

  // Ride to the store and arrive; pick up: now the customer's point and masked phone show.
  await moveTo(page, offset(store, 10, 10))
  await task.getByTestId('task-arrive').click()
  await within(
    page.locator(`[data-testid="task"][data-order="${orderId}"][data-status="arrived"]`),
    ACTION_MS,
    '已到店',
  )
  await task.getByTestId('task-pickup').click()
  await within(
    page.locator(`[data-testid="task"][data-order="${orderId}"][data-status="picked_up"]`),
    ACTION_MS,
    '已取餐',
  )
  expect(await task.getByTestId('task-phone').textContent()).toBe('138****5678')
  await within(task.getByTestId('task-dropoff-point'), ACTION_MS, 'the exact point after pickup')
  await within(page.locator('.ec-pin-customer'), ACTION_MS, 'customer pin after pickup')
  await eventually(
    async () => (await call('GET', `/api/v1/customer/orders/${orderId}`, undefined, customerToken)).state,
    (s) => s === 'DELIVERING',
    STORE_MS,
  )
  await screenshot(page, 'rider-delivering.png')

  // Ride to the customer and deliver. (One leg: the app reports at its interval, so the server's last fix
  // may still be the store's, and moveTo measures the ride from there.)
  await moveTo(page, offset(CUSTOMER, -5, 5))
  await task.getByTestId('task-deliver').click()
  await expect
    .poll(() => page.locator(`[data-testid="task"][data-order="${orderId}"]`).count(), { timeout: ACTION_MS })
    .toBe(0)
  await eventually(
    async () => (await call('GET', `/api/v1/customer/orders/${orderId}`, undefined, customerToken)).state,
    (s) => s === 'DELIVERED',
    STORE_MS,
  )
  await screenshot(page, 'rider-delivered.png')
  expect(errors).toEqual([])
})
