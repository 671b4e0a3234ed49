// The dine-in flow end to end through the Worker: scan, shared cart, rounds (加菜), the kitchen, settle, clear.
import { describe, expect, it } from 'vitest'
import { api, idemKey, join, line, login, seedStore, socket } from './client'

describe('dine-in scan-to-order', () => {
  it('two diners share a cart, send rounds, and the kitchen moves them to served', async () => {
    const store = await seedStore('101')
    const a01 = store.tables[0]!
    const alice = await join(a01.code, '小红')
    const bob = await join(a01.code, '小明')
    expect(bob.sessionId).toBe(alice.sessionId)

    const add = await api('POST', '/api/v1/table/cart', {
      token: alice.token,
      body: { menuVersion: store.menuVersion, line: line('mapo', 'std', 2, ['hot', 'egg']) },
    })
    expect(add.status).toBe(201)
    expect(add.json).toMatchObject({ dinerName: '小红', qty: 2, unitPriceFen: 3100 })
    await api('POST', '/api/v1/table/cart', {
      token: bob.token,
      body: { menuVersion: store.menuVersion, line: line('rice', 'bowl', 2) },
    })

    const table = await api('GET', '/api/v1/table', { token: bob.token })
    expect(table.json.cart.map((l: any) => [l.name, l.dinerName, l.qty])).toEqual([
      ['麻婆豆腐', '小红', 2],
      ['米饭', '小明', 2],
    ])
    expect(table.json.status).toBe('ordering')

    const key = idemKey()
    const sent = await api('POST', '/api/v1/table/rounds', {
      token: bob.token,
      headers: { 'idempotency-key': key },
      body: { menuVersion: store.menuVersion },
    })
    expect(sent.status).toBe(201)
    expect(sent.json.round).toMatchObject({ roundNo: 1, state: 'PLACED', totalFen: 2 * 3100 + 2 * 200 })
    // A retry with the same key is the same round, not a second order.
    const again = await api('POST', '/api/v1/table/rounds', {
      token: bob.token,
      headers: { 'idempotency-key': key },
      body: { menuVersion: store.menuVersion },
    })
    expect(again.json.round.orderId).toBe(sent.json.round.orderId)

    // 加菜: only the new line goes in round 2.
    await api('POST', '/api/v1/table/cart', {
      token: alice.token,
      body: { menuVersion: store.menuVersion, line: line('tea', 'pot', 1) },
    })
    const round2 = await api('POST', '/api/v1/table/rounds', {
      token: alice.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion },
    })
    expect(round2.json.round.roundNo).toBe(2)
    expect(round2.json.round.lines.map((l: any) => l.name)).toEqual(['柠檬茶'])

    const owner = await login('101')
    const board = await api('GET', '/api/v1/stores/101/board', { token: owner })
    const orders = board.json.orders.filter((o: any) => o.tableKey === a01.tableKey)
    expect(orders).toHaveLength(2)

    const orderId = sent.json.round.orderId
    for (const event of ['accept', 'start_cooking', 'ready', 'serve']) {
      const r = await api('POST', `/api/v1/stores/101/orders/${orderId}/events`, {
        token: owner,
        body: { event },
      })
      expect(r.status, `${event}: ${JSON.stringify(r.json)}`).toBe(200)
    }
    const view = await api('GET', '/api/v1/table', { token: alice.token })
    expect(view.json.rounds.find((r: any) => r.roundNo === 1).state).toBe('SERVED')

    // Cannot settle while round 2 is still in the kitchen.
    const early = await api('POST', `/api/v1/stores/101/tables/${a01.tableKey}/settle`, { token: owner })
    expect(early.status).toBe(409)
    const o2 = round2.json.round.orderId
    for (const event of ['accept', 'ready', 'serve'])
      expect(
        (await api('POST', `/api/v1/stores/101/orders/${o2}/events`, { token: owner, body: { event } }))
          .status,
      ).toBe(200)
    const settled = await api('POST', `/api/v1/stores/101/tables/${a01.tableKey}/settle`, { token: owner })
    expect(settled.status).toBe(200)
    expect(settled.json.rounds.every((r: any) => r.paid && r.state === 'COMPLETED')).toBe(true)

    const events = await api('GET', `/api/v1/stores/101/orders/${orderId}/events`, { token: owner })
    expect(events.json.map((e: any) => e.event)).toEqual([
      'create',
      'submit_unpaid',
      'accept',
      'start_cooking',
      'ready',
      'serve',
      'pay',
      'complete',
    ])
    expect(events.json.find((e: any) => e.event === 'accept')).toMatchObject({
      actor: 'owner',
      actorId: 'owner',
    })

    const tables = await api('GET', '/api/v1/stores/101/tables', { token: owner })
    expect(tables.json.tables.find((t: any) => t.tableKey === a01.tableKey).status).toBe('to_clean')
    const cleared = await api('POST', `/api/v1/stores/101/tables/${a01.tableKey}/clear`, { token: owner })
    expect(cleared.status).toBe(200)
    // The old party's tokens no longer open the table.
    const stale = await api('GET', '/api/v1/table', { token: alice.token })
    expect(stale.status).toBe(409)
    expect(stale.json.error.code).toBe('TABLE_NOT_OPEN')
    const next = await join(a01.code, '新客')
    const fresh = await api('GET', '/api/v1/table', { token: next.token })
    expect(fresh.json.rounds).toEqual([])
    expect(fresh.json.cart).toEqual([])
  })

  it('diners see each other live over sockets, in order, and a new round alerts the staff board', async () => {
    const store = await seedStore('102')
    const code = store.tables[1]!.code
    const a = await join(code, 'A')
    const b = await join(code, 'B')
    const sa = await socket('/api/v1/table/ws', a.token)
    const sb = await socket('/api/v1/table/ws', b.token)
    const snapA = await sa.next((m) => m.type === 'snapshot')
    await sb.next((m) => m.type === 'snapshot')
    const owner = await login('102')
    const staffWs = await socket('/api/v1/stores/102/ws', owner)
    await staffWs.next((m) => m.type === 'snapshot')

    sa.send({
      type: 'cart.add',
      opId: 'op1',
      menuVersion: store.menuVersion,
      line: line('tea', 'cup', 1, ['less']),
    })
    const seen = await sb.next((m) => m.type === 'cart.line')
    expect(seen.line).toMatchObject({ dinerName: 'A', name: '柠檬茶', optionNames: ['少糖'] })
    expect(seen.seq).toBeGreaterThan(snapA.seq)

    sb.send({ type: 'cart.qty', lineId: seen.line.lineId, qty: 3 })
    const changed = await sa.next((m) => m.type === 'cart.line' && m.line.qty === 3)
    expect(changed.seq).toBe(seen.seq + 1)

    sa.send({ type: 'cart.add', menuVersion: store.menuVersion, line: line('nope', 'x', 1) })
    const err = await sa.next((m) => m.type === 'error')
    expect(err.code).toBe('UNKNOWN_ITEM')

    const sent = await api('POST', '/api/v1/table/rounds', {
      token: b.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion },
    })
    expect(sent.status).toBe(201)
    const alert = await staffWs.next((m) => m.type === 'order' && m.alert)
    expect(alert.order).toMatchObject({ state: 'PLACED', tableLabel: 'A02', roundNo: 1 })
    await sa.next((m) => m.type === 'round' && m.round.state === 'PLACED')

    await api('POST', `/api/v1/stores/102/orders/${alert.order.id}/events`, {
      token: owner,
      body: { event: 'accept' },
    })
    const live = await sb.next((m) => m.type === 'round' && m.round.state === 'ACCEPTED')
    expect(live.round.orderId).toBe(alert.order.id)

    // Resync returns a snapshot at the current seq.
    sa.send({ type: 'resync' })
    const snap = await sa.next((m) => m.type === 'snapshot' && m.seq > snapA.seq)
    expect(snap.state.rounds[0].state).toBe('ACCEPTED')
    for (const s of [sa, sb, staffWs]) s.close()
  })

  it('a sold-out toggle reaches diners live and refuses the dish', async () => {
    const store = await seedStore('103')
    const d = await join(store.tables[0]!.code)
    const ws = await socket('/api/v1/table/ws', d.token)
    await ws.next((m) => m.type === 'snapshot')
    const kitchen = await login('103', 'kitchen')
    const r = await api('POST', '/api/v1/stores/103/menu/items/mapo/sold-out', {
      token: kitchen,
      body: { soldOut: true },
    })
    expect(r.status).toBe(200)
    const msg = await ws.next((m) => m.type === 'sold_out')
    expect(msg.soldOut).toEqual(['mapo'])
    const add = await api('POST', '/api/v1/table/cart', {
      token: d.token,
      body: { menuVersion: store.menuVersion, line: line('mapo', 'std', 1, ['mild']) },
    })
    expect(add.status).toBe(409)
    expect(add.json.error.code).toBe('ITEM_SOLD_OUT')
    ws.close()
  })

  it('applies a coupon to a round and explains the total', async () => {
    const store = await seedStore('104')
    const d = await join(store.tables[0]!.code)
    await api('POST', '/api/v1/table/cart', {
      token: d.token,
      body: { menuVersion: store.menuVersion, line: line('tea', 'pot', 1) },
    })
    const sent = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion, couponCodes: ['NOPE', 'save5'] },
    })
    expect(sent.status).toBe(201)
    expect(sent.json.round.totalFen).toBe(2000 - 500)
    const owner = await login('104')
    const order = await api('GET', `/api/v1/stores/104/orders/${sent.json.round.orderId}`, { token: owner })
    expect(order.json.price.appliedCoupon).toBe('SAVE5')
    expect(order.json.price.rejectedCoupons.map((r: any) => r.code)).toEqual(['NOPE'])
    expect(order.json.price.steps.reduce((s: number, x: any) => s + x.amountFen, 0)).toBe(order.json.totalFen)
    const tooMany = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion, couponCodes: ['a', 'b', 'c', 'd'] },
    })
    expect(tooMany.status).toBe(400)
  })

  it('orders in one request with lines sent along, for clients that keep their own cart', async () => {
    const store = await seedStore('105')
    const d = await join(store.tables[0]!.code)
    const other = await join(store.tables[0]!.code, '同桌')
    await api('POST', '/api/v1/table/cart', {
      token: other.token,
      body: { menuVersion: store.menuVersion, line: line('rice', 'bowl', 1) },
    })
    const sent = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion, lines: [line('tea', 'cup', 2, ['less'])] },
    })
    expect(sent.status).toBe(201)
    // The round takes the whole shared cart, the direct lines with it.
    expect(sent.json.round.lines.map((l: any) => [l.name, l.qty, l.dinerName])).toEqual([
      ['米饭', 1, '同桌'],
      ['柠檬茶', 2, '小明'],
    ])
    expect(sent.json.round.totalFen).toBe(200 + 1600)
    // Several lines in one request keep the request's order (the kitchen reads them in that order).
    const many = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: {
        menuVersion: store.menuVersion,
        lines: [
          line('tea', 'pot', 1),
          line('rice', 'bowl', 1),
          line('duck', 'half', 1),
          line('mapo', 'std', 1, ['mild']),
        ],
      },
    })
    expect(many.json.round.lines.map((l: any) => l.name)).toEqual(['柠檬茶', '米饭', '限量烤鸭', '麻婆豆腐'])
    const bad = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion, lines: [line('ghost', 'x', 1)] },
    })
    expect(bad.status).toBe(422)
    expect((await api('GET', '/api/v1/table', { token: d.token })).json.cart).toEqual([])
  })
})
