// Bad input anywhere gets a clear 4xx in the one error format and changes nothing.
import { describe, expect, it } from 'vitest'
import { api, idemKey, join, line, login, seedStore } from './client'
import { ADMIN, testStore } from './fixtures'

describe('bad input', () => {
  it('refuses broken requests with the right code and leaves the cart as it was', async () => {
    const store = await seedStore('201')
    const d = await join(store.tables[0]!.code)
    const v = store.menuVersion
    const cases: [string, Parameters<typeof api>[2], number, string][] = [
      ['unknown dish', { body: { menuVersion: v, line: line('ghost', 'std', 1) } }, 422, 'UNKNOWN_ITEM'],
      [
        'unknown spec',
        { body: { menuVersion: v, line: line('mapo', 'large', 1, ['mild']) } },
        422,
        'UNKNOWN_SKU',
      ],
      [
        'wrong option',
        { body: { menuVersion: v, line: line('mapo', 'std', 1, ['mild', 'cheese']) } },
        422,
        'INVALID_OPTIONS',
      ],
      [
        'missing required option',
        { body: { menuVersion: v, line: line('mapo', 'std', 1) } },
        422,
        'INVALID_OPTIONS',
      ],
      [
        'two of a pick-one group',
        { body: { menuVersion: v, line: line('mapo', 'std', 1, ['mild', 'hot']) } },
        422,
        'INVALID_OPTIONS',
      ],
      [
        'negative quantity',
        { body: { menuVersion: v, line: line('rice', 'bowl', -1) } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'fractional quantity',
        { body: { menuVersion: v, line: line('rice', 'bowl', 1.5) } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'stale menu version',
        { body: { menuVersion: v + 7, line: line('rice', 'bowl', 1) } },
        409,
        'MENU_STALE',
      ],
      ['malformed JSON', { raw: '{"menuVersion": 1, "line": ' }, 400, 'MALFORMED_JSON'],
      [
        'not JSON',
        { raw: 'qty=1', headers: { 'content-type': 'text/plain' } },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'oversized body',
        { raw: JSON.stringify({ menuVersion: v, pad: 'x'.repeat(600_000) }) },
        413,
        'PAYLOAD_TOO_LARGE',
      ],
    ]
    for (const [what, opts, status, code] of cases) {
      const r = await api('POST', '/api/v1/table/cart', { token: d.token, ...opts })
      expect(r.status, what).toBe(status)
      expect(r.json.error.code, what).toBe(code)
      expect(typeof r.json.error.message, what).toBe('string')
    }
    const t = await api('GET', '/api/v1/table', { token: d.token })
    expect(t.json.cart).toEqual([])
    expect(t.json.status).toBe('seated')

    const empty = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: v },
    })
    expect(empty.status).toBe(409)
    expect(empty.json.error.code).toBe('CART_EMPTY')
    const noKey = await api('POST', '/api/v1/table/rounds', { token: d.token, body: { menuVersion: v } })
    expect(noKey.status).toBe(400)
  })

  it('rejects forged and guessed table codes', async () => {
    const store = await seedStore('202')
    const real = store.tables[0]!.code
    const [digits, sig] = real.split('.') as [string, string]
    const flipped = `${digits.slice(0, 12)}${(Number(digits[12]) + 1) % 10}.${sig}`
    const otherTable = `${digits.slice(0, 7)}00009${digits[12]}.${sig}`
    for (const code of [flipped, otherTable, `${digits}.AAAAAAAAAAAAAAAA`, digits, 'hello']) {
      const r = await api('POST', `/api/v1/tables/${code}/join`, { body: {} })
      expect(r.status, code).toBe(404)
      expect(r.json.error.code).toBe('TABLE_CODE_INVALID')
    }
    const page = await api('GET', `/t/${flipped}`)
    expect(page.status).toBe(404)
  })

  it('rejects a stale menu version at checkout and keeps the cart', async () => {
    const store = await seedStore('203')
    const d = await join(store.tables[0]!.code)
    await api('POST', '/api/v1/table/cart', {
      token: d.token,
      body: { menuVersion: store.menuVersion, line: line('rice', 'bowl', 1) },
    })
    const owner = await login('203')
    const item = testStore().menu.items[1]!
    const up = await api('PUT', `/api/v1/stores/203/menu/items/rice`, {
      token: owner,
      body: { ...item, skus: [{ id: 'bowl', name: '一碗', priceFen: 300 }] },
    })
    expect(up.json.menuVersion).toBe(store.menuVersion + 1)
    const r = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion },
    })
    expect(r.status).toBe(409)
    expect(r.json.error.code).toBe('MENU_STALE')
    const t = await api('GET', '/api/v1/table', { token: d.token })
    expect(t.json.cart).toHaveLength(1)
    expect(t.json.rounds).toEqual([])
  })
})

describe('security', () => {
  it('scopes tokens by role and store', async () => {
    await seedStore('204')
    await seedStore('205')
    const s204 = await seedStore('204')
    const diner = await join(s204.tables[0]!.code)
    const owner204 = await login('204')
    const waiter205 = await login('205', 'waiter')
    expect((await api('GET', '/api/v1/stores/204/board')).status).toBe(401)
    expect((await api('GET', '/api/v1/stores/204/board', { token: diner.token })).status).toBe(403)
    expect((await api('GET', '/api/v1/stores/204/board', { token: waiter205 })).status).toBe(403)
    expect((await api('GET', '/api/v1/stores/204/board', { token: owner204 })).status).toBe(200)
    expect((await api('GET', '/api/v1/table', { token: owner204 })).status).toBe(403)
    const kitchen = await login('204', 'kitchen')
    const menuEdit = await api('DELETE', '/api/v1/stores/204/menu/items/rice', { token: kitchen })
    expect(menuEdit.status).toBe(403)
    // A token whose claims were edited fails its signature.
    const [body, sig] = diner.token.split('.') as [string, string]
    const claims = JSON.parse(atob(body.replace(/-/g, '+').replace(/_/g, '/')))
    const forged = btoa(JSON.stringify({ ...claims, table: '0001-00002' }))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
    expect((await api('GET', '/api/v1/table', { token: `${forged}.${sig}` })).status).toBe(401)
    expect(
      (await api('PUT', '/api/v1/admin/stores/204', { token: owner204, body: testStore() })).status,
    ).toBe(401)
  })

  it('refuses wrong passwords the same way for unknown users, and rate-limits login', async () => {
    await seedStore('206')
    const wrong = await api('POST', '/api/v1/stores/206/login', {
      body: { username: 'owner', password: 'nope-nope' },
    })
    const nobody = await api('POST', '/api/v1/stores/206/login', {
      body: { username: 'ghost', password: 'nope-nope' },
    })
    expect(wrong.status).toBe(401)
    expect(nobody.json).toEqual(wrong.json)
    let limited = 0
    for (let i = 0; i < 12; i++) {
      const r = await api('POST', '/api/v1/stores/206/login', {
        body: { username: 'waiter', password: 'wrong-pass' },
      })
      if (r.status === 429) limited++
    }
    expect(limited).toBeGreaterThan(0)
  })

  it('admin setup validates the whole store', async () => {
    const bad = await api('PUT', '/api/v1/admin/stores/207', {
      token: ADMIN,
      body: { ...testStore(), tables: [{ areaNo: '1', tableNo: 'x' }] },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.code).toBe('VALIDATION_FAILED')
    const badStore = await api('PUT', '/api/v1/admin/stores/abc', { token: ADMIN, body: testStore() })
    expect(badStore.status).toBe(400)
    const none = await api('GET', '/api/v1/admin/stores/208/tables', { token: ADMIN })
    expect(none.status).toBe(404)
    expect(none.json.error.code).toBe('STORE_NOT_FOUND')
  })
})
