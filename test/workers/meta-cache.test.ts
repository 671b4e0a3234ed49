// The Meta cache must not keep values from a transaction that rolled back.
import { env, runInDurableObject } from 'cloudflare:test'
import { expect, it } from 'vitest'
import { api, idemKey, join, line, login, seedStore } from './client'
import { testStore } from './fixtures'

it('a refused order leaves no trace: pickup numbers and menu version stay as stored', async () => {
  const setup = testStore()
  setup.stock = { half: 1 }
  const store = await seedStore('306', setup)
  const a = await join(store.tables[0]!.code)
  const b = await join(store.tables[1]!.code)
  for (const d of [a, b])
    await api('POST', '/api/v1/table/cart', {
      token: d.token,
      body: { menuVersion: store.menuVersion, line: line('duck', 'half', 1) },
    })
  const first = await api('POST', '/api/v1/table/rounds', {
    token: a.token,
    headers: { 'idempotency-key': idemKey() },
    body: { menuVersion: store.menuVersion },
  })
  const second = await api('POST', '/api/v1/table/rounds', {
    token: b.token,
    headers: { 'idempotency-key': idemKey() },
    body: { menuVersion: store.menuVersion },
  })
  expect(first.json.round.pickupNo).toBe('T001')
  expect(second.json.error.code).toBe('STOCK_INSUFFICIENT')
  const owner = await login('306')
  await api('PUT', '/api/v1/stores/306/stock/half', { token: owner, body: { stock: 5 } })
  const third = await api('POST', '/api/v1/table/rounds', {
    token: b.token,
    headers: { 'idempotency-key': idemKey() },
    body: { menuVersion: store.menuVersion },
  })
  expect(third.json.round.pickupNo).toBe('T002')
  const stored = await runInDurableObject(
    env.STORE.getByName('306'),
    (_i, state) =>
      state.storage.sql.exec<{ value: string }>("SELECT value FROM _meta WHERE key = 'pickup_seq'").one()
        .value,
  )
  expect(stored).toBe('2')
})
