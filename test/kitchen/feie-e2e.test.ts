// Cloud printers end to end: a store whose printer is a Feie device gets its tickets from StoreDO's alarm,
// signed per Feie's protocol; a failing call is retried until it goes through, never dropped.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { DEV_ADMIN_TOKEN, freePort, startWranglerDev } from '../../scripts/wrangler-dev'
import { type FakeFeie, startFakeFeie } from '../feie/fake-feie'
import { apiClient, eventually } from '../support/http'
import { testStore } from '../workers/fixtures'

const USER = 'test-fixture@example.com'
const UKEY = 'test-fixture-ukey'
const SN = '916500777'
let fake: FakeFeie
let dev: { base: string; stop(): Promise<void> }

beforeAll(async () => {
  fake = await startFakeFeie({ accounts: { [USER]: UKEY }, printers: { [SN]: 'online' } })
  dev = await startWranglerDev(await freePort(), {
    FEIE_USER: USER,
    FEIE_UKEY: UKEY,
    FEIE_ENDPOINT: fake.url,
  })
}, 120_000)
afterAll(async () => {
  await dev?.stop()
  await fake?.close()
})

const call = apiClient(() => dev.base)

it('prints kitchen tickets on a Feie printer and retries a failed call', { timeout: 90_000 }, async () => {
  const setup = testStore()
  setup.printers = [
    {
      id: 'cloud',
      name: '云打印',
      stations: ['hot', 'cold', 'bar', 'pass'],
      receipts: true,
      copies: 2,
      width: 58,
      buzzer: false,
      transport: { kind: 'feie', sn: SN },
    },
  ]
  const seeded = await call('PUT', '/api/v1/admin/stores/601', { body: setup, token: DEV_ADMIN_TOKEN })
  expect(seeded.status).toBe(200)
  const owner = (
    await call('POST', '/api/v1/stores/601/login', {
      body: { username: 'owner', password: 'fixture-pass-1' },
    })
  ).json.token
  const diner = (
    await call('POST', `/api/v1/tables/${seeded.json.tables[0].code}/join`, { body: { name: '云客' } })
  ).json
  const lines = [
    { itemId: 'mapo', skuId: 'std', qty: 1, optionIds: ['hot'] },
    { itemId: 'tea', skuId: 'cup', qty: 1 },
  ]
  const round = await call('POST', '/api/v1/table/rounds', {
    body: { menuVersion: seeded.json.menuVersion, lines },
    token: diner.token,
    headers: { 'idempotency-key': 'feie-e2e-round-1' },
  })
  expect(round.status).toBe(201)

  fake.fault({ kind: 'http', status: 502 }) // the first call fails: the job must survive it
  const accepted = await call('POST', `/api/v1/stores/601/orders/${round.json.round.orderId}/events`, {
    body: { event: 'accept' },
    token: owner,
  })
  expect(accepted.json.state).toBe('QUEUED')
  await eventually(
    () => fake.prints.length,
    (n) => n === 1,
    30_000,
  )
  const print = fake.prints[0]!
  expect(print).toMatchObject({ sn: SN, times: 2 })
  expect(print.content).toContain('麻婆豆腐')
  expect(print.content).toContain('柠檬茶')
  expect(print.content).toContain('A01')
  expect(fake.requests.filter((r) => r.fields.apiname === 'Open_printMsg').length).toBe(2) // one failure, one success
  const jobs = await eventually(
    () => call('GET', `/api/v1/stores/601/print-jobs?orderId=${round.json.round.orderId}`, { token: owner }),
    (r) => r.json.every((j: any) => j.status === 'acked'),
  )
  expect(jobs.json).toHaveLength(1)
  const printers = (await call('GET', '/api/v1/stores/601/printers', { token: owner })).json
  expect(printers.events.map((e: any) => e.status)).toEqual(['ok', 'error']) // newest first
})
