// A round whose store call fails (store unreachable) stays 'sending' and is driven again by the alarm:
// the order is placed exactly once, the diner sees it, nothing is lost.
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { expect, it } from 'vitest'
import type { TableDO } from '../../durable-objects/table'
import { api, idemKey, join, line, login, seedStore } from './client'

it('re-drives a round the store did not answer, once', async () => {
  const store = await seedStore('307')
  const t = store.tables[0]!
  const d = await join(t.code)
  await api('POST', '/api/v1/table/cart', {
    token: d.token,
    body: { menuVersion: store.menuVersion, line: line('rice', 'bowl', 2) },
  })
  const stub = env.TABLE.getByName(`307:${t.tableKey}`)
  // The store answers, but the answer never reaches the table (a dropped connection): the worst case.
  await runInDurableObject(stub, (instance: TableDO) => {
    const real = env.STORE.getByName('307')
    let failed = false
    const flaky = new Proxy(real, {
      get(target, prop) {
        if (prop !== 'placeOrder') return Reflect.get(target, prop)
        return async (...args: Parameters<typeof real.placeOrder>) => {
          const answer = await target.placeOrder(...args)
          if (!failed) {
            failed = true
            throw new Error('connection lost (simulated)')
          }
          return answer
        }
      },
    })
    Object.defineProperty(instance, 'store', { get: () => flaky, configurable: true })
  })
  const key = idemKey()
  const first = await api('POST', '/api/v1/table/rounds', {
    token: d.token,
    headers: { 'idempotency-key': key },
    body: { menuVersion: store.menuVersion },
  })
  expect(first.status).toBe(500)
  expect(first.json.error.code).toBe('INTERNAL')

  // The alarm drives the round again; the store is idempotent by round, so it finds the order it placed.
  await runInDurableObject(stub, (_i, state) => {
    expect(state.storage.sql.exec('SELECT status FROM rounds').one().status).toBe('sending')
    state.storage.sql.exec('UPDATE _timers SET at = 0')
  })
  expect(await runDurableObjectAlarm(stub)).toBe(true)
  const after = await api('GET', '/api/v1/table', { token: d.token })
  expect(after.json.cart).toEqual([])
  expect(after.json.rounds).toHaveLength(1)
  expect(after.json.rounds[0]).toMatchObject({ roundNo: 1, state: 'PLACED', totalFen: 400 })
  const owner = await login('307')
  const orders = await api('GET', '/api/v1/stores/307/orders', { token: owner })
  expect(orders.json.orders).toHaveLength(1)
  // The client's retry with the same key gets the same round.
  const retry = await api('POST', '/api/v1/table/rounds', {
    token: d.token,
    headers: { 'idempotency-key': key },
    body: { menuVersion: store.menuVersion },
  })
  expect(retry.status).toBe(201)
  expect(retry.json.round.orderId).toBe(after.json.rounds[0].orderId)
})
