// Many phones at once: one shared cart converges; stock never oversells.
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { applyTableMessage, type TableSnapshot } from '../../core/channels/table'
import { api, idemKey, join, line, login, seedStore, socket } from './client'
import { testStore } from './fixtures'

describe('concurrency', () => {
  it('50 diners editing one cart at once end with identical carts', async () => {
    const store = await seedStore('301')
    const code = store.tables[0]!.code
    const diners = await Promise.all(Array.from({ length: 50 }, (_, i) => join(code, `d${i}`)))
    const sockets = await Promise.all(diners.map((d) => socket('/api/v1/table/ws', d.token)))
    await Promise.all(sockets.map((s) => s.next((m) => m.type === 'snapshot')))

    // Every diner adds a dish, then changes quantities of lines they have seen, all at once.
    sockets.forEach((s, i) => {
      s.send({
        type: 'cart.add',
        opId: `a${i}`,
        menuVersion: store.menuVersion,
        line: line(i % 2 ? 'rice' : 'tea', i % 2 ? 'bowl' : 'cup', 1, [], `n${i}`),
      })
    })
    await Promise.all(sockets.map((s, i) => s.next((m) => m.type === 'cart.line' && m.opId === `a${i}`)))
    const lines = (await api('GET', '/api/v1/table', { token: diners[0]!.token })).json.cart
    expect(lines).toHaveLength(50)
    // Everyone edits at once, some on the same lines, some removing lines others are editing.
    sockets.forEach((s, i) => {
      s.send({ type: 'cart.qty', opId: `q${i}`, lineId: lines[(i * 7) % 50].lineId, qty: (i % 5) + 1 })
      if (i % 10 === 0) s.send({ type: 'cart.remove', opId: `r${i}`, lineId: lines[(i * 3 + 1) % 50].lineId })
    })
    // Every op is answered to its sender: applied (broadcast with its opId) or refused (error with its opId).
    await Promise.all(
      sockets.map(async (s, i) => {
        await s.next((m) => m.opId === `q${i}`, 10_000)
        if (i % 10 === 0) await s.next((m) => m.opId === `r${i}`, 10_000)
      }),
    )
    const server = (await api('GET', '/api/v1/table', { token: diners[0]!.token })).json as TableSnapshot
    const seqOf = (s: (typeof sockets)[number]) =>
      Math.max(...s.messages.filter((m) => typeof m.seq === 'number').map((m) => m.seq))
    const target = Math.max(...sockets.map(seqOf))
    await Promise.all(sockets.map((s) => s.next((m) => m.seq === target, 10_000)))
    for (const s of sockets) {
      let state: TableSnapshot | null = null
      let seq = 0
      for (const m of s.messages) {
        const r = applyTableMessage(state, seq, m)
        expect(r).not.toBe('gap')
        if (r !== 'gap') ({ state, seq } = r)
      }
      expect(state!.cart).toEqual(server.cart)
    }
    for (const s of sockets) s.close()
  })

  it('200 simultaneous orders for 10 units: exactly 10 succeed, stock never negative', async () => {
    const store = await seedStore('302', testStore({}, 200))
    const diners = await Promise.all(store.tables.map((t) => join(t.code)))
    await Promise.all(
      diners.map((d) =>
        api('POST', '/api/v1/table/cart', {
          token: d.token,
          body: { menuVersion: store.menuVersion, line: line('duck', 'half', 1) },
        }),
      ),
    )
    const results = await Promise.all(
      diners.map((d) =>
        api('POST', '/api/v1/table/rounds', {
          token: d.token,
          headers: { 'idempotency-key': idemKey() },
          body: { menuVersion: store.menuVersion },
        }),
      ),
    )
    const ok = results.filter((r) => r.status === 201)
    const refused = results.filter((r) => r.status === 409)
    expect(ok).toHaveLength(10)
    expect(refused).toHaveLength(190)
    expect(refused.every((r) => r.json.error.code === 'STOCK_INSUFFICIENT')).toBe(true)
    const owner = await login('302')
    const board = await api('GET', '/api/v1/stores/302/board', { token: owner })
    expect(board.json.remaining.half).toBe(0)
    expect(board.json.orders).toHaveLength(10)
    // Refused diners keep their cart lines to change their order.
    const loser = diners[results.findIndex((r) => r.status === 409)]!
    expect((await api('GET', '/api/v1/table', { token: loser.token })).json.cart).toHaveLength(1)
    // A rejected round puts its unit back on the shelf.
    const first = ok[0]!.json.round.orderId
    const rej = await api('POST', `/api/v1/stores/302/orders/${first}/events`, {
      token: owner,
      body: { event: 'reject', reason: '卖完了' },
    })
    expect(rej.json.state).toBe('REJECTED')
    expect((await api('GET', '/api/v1/stores/302/board', { token: owner })).json.remaining.half).toBe(1)
    const noReason = await api('POST', `/api/v1/stores/302/orders/${ok[1]!.json.round.orderId}/events`, {
      token: owner,
      body: { event: 'reject' },
    })
    expect(noReason.status).toBe(400)
  }, 120_000) // 600 requests over 200 objects: the vitest pool's per-object overhead grows with the count
})

describe('alarms', () => {
  it('an unpaid pay-first order closes after its window and releases its reservation', async () => {
    const store = await seedStore('303', testStore({ payMode: 'pay_first' }))
    const d = await join(store.tables[0]!.code)
    await api('POST', '/api/v1/table/cart', {
      token: d.token,
      body: { menuVersion: store.menuVersion, line: line('duck', 'half', 3) },
    })
    const sent = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion },
    })
    expect(sent.json.round.state).toBe('PENDING_PAYMENT')
    const owner = await login('303')
    expect((await api('GET', '/api/v1/stores/303/board', { token: owner })).json.remaining.half).toBe(7)

    const stub = env.STORE.getByName('303')
    // Time travel: make the 15-minute payment timer due now, then run the alarm.
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec('UPDATE _timers SET at = 0')
    })
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const order = await api('GET', `/api/v1/stores/303/orders/${sent.json.round.orderId}`, { token: owner })
    expect(order.json.state).toBe('CLOSED')
    expect((await api('GET', '/api/v1/stores/303/board', { token: owner })).json.remaining.half).toBe(10)
    const view = await api('GET', '/api/v1/table', { token: d.token })
    expect(view.json.rounds[0].state).toBe('CLOSED')
  })

  it('paying at the counter turns the reservation into a sale', async () => {
    const store = await seedStore('304', testStore({ payMode: 'pay_first', autoAccept: true }))
    const d = await join(store.tables[0]!.code)
    await api('POST', '/api/v1/table/cart', {
      token: d.token,
      body: { menuVersion: store.menuVersion, line: line('duck', 'half', 2) },
    })
    const sent = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion },
    })
    const waiter = await login('304', 'waiter')
    const paid = await api('POST', `/api/v1/stores/304/orders/${sent.json.round.orderId}/events`, {
      token: waiter,
      body: { event: 'pay' },
    })
    expect(paid.json).toMatchObject({ paid: true, state: 'ACCEPTED' }) // auto-accept after payment
    const stub = env.STORE.getByName('304')
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec('UPDATE _timers SET at = 0')
    })
    await runDurableObjectAlarm(stub)
    const board = (await api('GET', '/api/v1/stores/304/board', { token: waiter })).json
    expect(board.remaining.half).toBe(8)
    expect(board.orders[0].state).toBe('ACCEPTED')
  })

  it('keeps every history row in the outbox while no database is configured', async () => {
    const store = await seedStore('305')
    const d = await join(store.tables[0]!.code)
    await api('POST', '/api/v1/table/cart', {
      token: d.token,
      body: { menuVersion: store.menuVersion, line: line('rice', 'bowl', 1) },
    })
    await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion },
    })
    expect(await env.STORE.getByName('305').outboxSize()).toBe(2) // create + submit_unpaid
  })
})
