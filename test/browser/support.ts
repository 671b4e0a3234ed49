// Helpers for the browser suite: one throwaway `wrangler dev` per file, the system Chromium (never a
// downloaded one), a separate browser context per person, and the demo store seeded through the admin API.
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import {
  type Browser,
  type BrowserContext,
  chromium,
  devices,
  type Locator,
  type Page,
} from 'playwright-core'
import { DEMO_PASSWORD, DEMO_STORE_ID, demoStoreSetup } from '../../scripts/demo-data'
import { DEV_ADMIN_TOKEN, startWranglerDev } from '../../scripts/wrangler-dev'

export const RESULTS_DIR = path.resolve(import.meta.dirname, '../../test-results')

/** How long a live update may take to reach another person's screen: the acceptance bound. */
export const LIVE_MS = 1_000
/** Waits for something the page does in answer to its own user's action (a request, a render). */
export const ACTION_MS = 5_000

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** A port nobody listens on right now, so a suite never collides with `npm start` or a benchmark. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export interface Server {
  base: string
  stop(): Promise<void>
}

/**
 * Start a throwaway `wrangler dev` on a free port. Wrangler picks its inspector port (9229, else a random
 * one) by probing, so two servers starting in the same instant (two suites, a benchmark) can both pick
 * 9229 and one fails with EADDRINUSE; so can our own free port if someone takes it first. Try again then.
 */
export async function startServer(vars: Record<string, string> = {}, attempts = 3): Promise<Server> {
  for (let i = 1; ; i++) {
    try {
      return await startWranglerDev(await freePort(), vars)
    } catch (e) {
      if (i >= attempts || !String(e).includes('Address already in use')) throw e
    }
  }
}

export interface SeededTable {
  tableKey: string
  label: string
  code: string
  url: string
}

/** PUT the demo store (蜀味小馆, 20 tables, staff with DEMO_PASSWORD); returns its tables. */
export async function seedDemo(base: string): Promise<SeededTable[]> {
  const res = await fetch(`${base}/api/v1/admin/stores/${DEMO_STORE_ID}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(demoStoreSetup()),
  })
  if (!res.ok) throw new Error(`seeding store ${DEMO_STORE_ID} failed: ${res.status} ${await res.text()}`)
  const body = (await res.json()) as { tables: SeededTable[] }
  return body.tables
}

/** The link a diner scans: the returned code on this server (the seeded `url` names PUBLIC_BASE_URL). */
export const tableLink = (base: string, t: SeededTable) => `${base}/t/${t.code}`

export function tableByLabel(tables: SeededTable[], label: string): SeededTable {
  const t = tables.find((x) => x.label === label)
  if (!t) throw new Error(`no table ${label}`)
  return t
}

/** A person on their own device: own context (storage, cookies), uncaught page errors collected. */
export interface Person {
  context: BrowserContext
  page: Page
  errors: string[]
}

async function person(browser: Browser, options: Parameters<Browser['newContext']>[0]): Promise<Person> {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...options })
  context.setDefaultTimeout(ACTION_MS)
  context.setDefaultNavigationTimeout(15_000)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  return { context, page, errors }
}

/** A diner's phone: a mobile Chromium device profile (viewport, touch, user agent). */
export async function openDiner(browser: Browser, link: string, name: string): Promise<Person> {
  const p = await person(browser, { ...devices['Pixel 7'] })
  await p.page.goto(link)
  await p.page.getByTestId('join-name').fill(name)
  await p.page.getByTestId('join-submit').click()
  await p.page.getByTestId('store-name').waitFor()
  // The live link is up once the table snapshot has arrived (the status chip comes from it).
  await p.page.getByTestId('table-status').waitFor()
  // The menu has loaded once a dish shows.
  await p.page.locator('[data-testid^="dish-"]').first().waitFor()
  return p
}

/** A merchant's tablet in landscape: all four order columns side by side. */
export async function openMerchant(browser: Browser, base: string): Promise<Person> {
  const p = await person(browser, { viewport: { width: 1280, height: 860 } })
  await p.page.goto(`${base}/merchant/`)
  return p
}

export async function fillLogin(page: Page, password: string, username = 'owner'): Promise<void> {
  await page.getByTestId('login-store').fill(DEMO_STORE_ID)
  await page.getByTestId('login-username').fill(username)
  await page.getByTestId('login-password').fill(password)
  await page.getByTestId('login-submit').click()
}

/** Log in as the demo owner and wait for the live board (store name comes from the board snapshot). */
export async function loginMerchant(browser: Browser, base: string): Promise<Person> {
  const p = await openMerchant(browser, base)
  await fillLogin(p.page, DEMO_PASSWORD)
  await p.page.getByTestId('board-store').filter({ hasText: '蜀味小馆' }).waitFor()
  return p
}

/** Wait until `loc` is visible within `timeout`, with an error that says what and how long. */
export async function within(loc: Locator, timeout: number, what: string): Promise<Locator> {
  const one = loc.first()
  try {
    await one.waitFor({ state: 'visible', timeout })
  } catch (e) {
    throw new Error(`${what}: not visible within ${timeout} ms`, { cause: e })
  }
  return one
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = path.join(RESULTS_DIR, name)
  await page.screenshot({ path: file, fullPage: false })
  return file
}

export async function closeAll(...people: (Person | undefined)[]): Promise<void> {
  await Promise.all(people.map((p) => p?.context.close().catch(() => {})))
}
