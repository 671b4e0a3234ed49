// Kitchen printing through the Worker: the bridge's socket, jobs on accept, acks, resend, 加菜, status to the
// console, reprint, void tickets, receipts at settle, and the kitchen display moving orders.
import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { api, BASE, idemKey, join, line, login, seedStore, socket } from './client'

const PRINTERS = [
  {
    id: 'hot',
    name: '热菜',
    stations: ['hot'],
    copies: 1,
    width: 80,
    buzzer: true,
    transport: { kind: 'lan', address: 'tcp://127.0.0.1:9101' },
  },
  {
    id: 'bar',
    name: '吧台',
    stations: ['bar'],
    copies: 2,
    width: 58,
    transport: { kind: 'lan', address: 'tcp://127.0.0.1:9102' },
  },
  {
    id: 'front',
    name: '前台',
    stations: ['pass'],
    receipts: true,
    transport: { kind: 'lan', address: 'tcp://127.0.0.1:9103' },
  },
]

async function bridge(storeId: string, key: string) {
  const res = await SELF.fetch(`${BASE}/api/v1/stores/${storeId}/bridge`, {
    headers: { Upgrade: 'websocket', authorization: `Bearer ${key}` },
  })
  const ws = res.webSocket
  if (!ws) throw new Error(`bridge refused: ${res.status} ${await res.text()}`)
  ws.accept()
  const messages: any[] = []
  ws.addEventListener('message', (e) => messages.push(JSON.parse(e.data as string)))
  const until = async (pred: (ms: any[]) => boolean, ms = 5000) => {
    const end = Date.now() + ms
    while (!pred(messages)) {
      if (Date.now() > end)
        throw new Error(
          `bridge saw ${JSON.stringify(messages.map((m) => (m.type === 'job' ? [m.job.printerId, m.job.ticket.kind, m.job.ticket.roundNo] : m.type)))}`,
        )
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  return {
    ws,
    messages,
    until,
    jobs: () => messages.filter((m) => m.type === 'job').map((m) => m.job),
    send: (m: unknown) => ws.send(JSON.stringify(m)),
  }
}

describe('kitchen printing', () => {
  it('prints each station its lines on accept, exactly what is new on 加菜, and waits for acks', async () => {
    const store = await seedStore('401')
    const owner = await login('401')
    expect(
      (await api('PUT', '/api/v1/stores/401/printers', { token: owner, body: { printers: PRINTERS } }))
        .status,
    ).toBe(200)
    const { key } = (await api('POST', '/api/v1/stores/401/bridge-key', { token: owner })).json
    const denied = await SELF.fetch(`${BASE}/api/v1/stores/401/bridge`, {
      headers: { Upgrade: 'websocket', authorization: 'Bearer brk_wrong' },
    })
    expect(denied.status).toBe(401)
    await denied.text()

    const b = await bridge('401', key)
    await b.until((ms) => ms.some((m) => m.type === 'welcome'))
    expect(b.messages[0].printers.map((p: any) => p.id)).toEqual(['bar', 'front', 'hot'])

    const d = await join(store.tables[0]!.code)
    const lines = [line('mapo', 'std', 1, ['hot']), line('tea', 'cup', 2), line('rice', 'bowl', 2)]
    const r1 = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion, lines },
    })
    const accepted = await api('POST', `/api/v1/stores/401/orders/${r1.json.round.orderId}/events`, {
      token: owner,
      body: { event: 'accept' },
    })
    expect(accepted.json.state).toBe('QUEUED') // tickets are in the kitchen's queue
    await b.until((ms) => ms.filter((m) => m.type === 'job').length === 3)
    const byPrinter = Object.fromEntries(b.jobs().map((j: any) => [j.printerId, j]))
    expect(byPrinter.hot.ticket.lines.map((l: any) => l.name)).toEqual(['麻婆豆腐'])
    expect(byPrinter.bar.ticket.lines.map((l: any) => [l.name, l.qty])).toEqual([['柠檬茶', 2]])
    expect(byPrinter.bar.copies).toBe(2)
    expect(byPrinter.front.ticket.lines.map((l: any) => l.name)).toEqual(['米饭'])
    expect(byPrinter.hot.ticket).toMatchObject({
      kind: 'kitchen',
      tableLabel: 'A01',
      roundNo: 1,
      addOn: false,
    })

    // Acks are idempotent; what is not acked is sent again to a reconnecting bridge.
    b.send({ type: 'ack', jobId: byPrinter.hot.id, printedAt: Date.now() })
    b.send({ type: 'ack', jobId: byPrinter.hot.id, printedAt: Date.now() })
    await new Promise((r) => setTimeout(r, 100))
    b.ws.close(1000)
    const b2 = await bridge('401', key)
    await b2.until((ms) => ms.filter((m) => m.type === 'job').length === 2)
    expect(
      b2
        .jobs()
        .map((j: any) => j.printerId)
        .sort(),
    ).toEqual(['bar', 'front'])

    // 加菜: round 2 prints only its new line, under an add-on header.
    const r2 = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion, lines: [line('mapo', 'std', 1, ['mild', 'egg'])] },
    })
    await api('POST', `/api/v1/stores/401/orders/${r2.json.round.orderId}/events`, {
      token: owner,
      body: { event: 'accept' },
    })
    await b2.until((ms) => ms.filter((m) => m.type === 'job').length === 3)
    const addOn = b2.jobs()[2]
    expect(addOn).toMatchObject({ printerId: 'hot', ticket: { addOn: true, roundNo: 2 } })
    expect(addOn.ticket.lines.map((l: any) => [l.name, l.optionNames])).toEqual([
      ['麻婆豆腐', ['微辣', '加蛋']],
    ])

    // Reprint from the console: a new job, marked as a reprint, delivered now.
    const rep = await api('POST', `/api/v1/stores/401/print-jobs/${byPrinter.hot.id}/reprint`, {
      token: owner,
    })
    expect(rep.status).toBe(201)
    await b2.until((ms) => ms.some((m) => m.type === 'job' && m.job.ticket.reprint))
    const jobs = (
      await api('GET', `/api/v1/stores/401/print-jobs?orderId=${r1.json.round.orderId}`, { token: owner })
    ).json
    expect(jobs.map((j: any) => [j.printerId, j.status, j.reprint]).sort()).toEqual([
      ['bar', 'queued', false],
      ['front', 'queued', false],
      ['hot', 'acked', false],
      ['hot', 'queued', true],
    ])

    // Cancelling an order the kitchen has: a 退菜 ticket to the stations that printed it.
    await api('POST', `/api/v1/stores/401/orders/${r2.json.round.orderId}/events`, {
      token: owner,
      body: { event: 'cancel', reason: '客人不要了' },
    })
    await b2.until((ms) => ms.some((m) => m.type === 'job' && m.job.ticket.kind === 'void'))
    const v = b2.jobs().find((j: any) => j.ticket.kind === 'void')
    expect(v).toMatchObject({ printerId: 'hot', ticket: { reason: '客人不要了' } })
    b2.ws.close(1000)
  })

  it('退菜: one line taken back prints a void for that line only, reprices the order and restocks', async () => {
    const store = await seedStore('405')
    const owner = await login('405')
    await api('PUT', '/api/v1/stores/405/printers', { token: owner, body: { printers: PRINTERS } })
    const { key } = (await api('POST', '/api/v1/stores/405/bridge-key', { token: owner })).json
    const b = await bridge('405', key)
    await b.until((ms) => ms.some((m) => m.type === 'welcome'))
    const d = await join(store.tables[0]!.code)
    const lines = [line('mapo', 'std', 1, ['hot']), line('duck', 'half', 2), line('rice', 'bowl', 1)]
    const r = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion, lines },
    })
    const id = r.json.round.orderId
    expect(r.json.round.totalFen).toBe(2800 + 2 * 6800 + 200 - 1000) // 满100减10
    await api('POST', `/api/v1/stores/405/orders/${id}/events`, { token: owner, body: { event: 'accept' } })
    await b.until((ms) => ms.filter((m) => m.type === 'job').length === 2) // hot (mapo + duck), front (rice)
    const before = (await api('GET', '/api/v1/stores/405/board', { token: owner })).json.remaining.half

    const noReason = await api('POST', `/api/v1/stores/405/orders/${id}/lines/2/void`, {
      token: owner,
      body: { reason: ' ' },
    })
    expect(noReason.status).toBe(400)
    const v = await api('POST', `/api/v1/stores/405/orders/${id}/lines/2/void`, {
      token: owner,
      body: { reason: '沽清了' },
    })
    expect(v.status).toBe(200)
    expect(v.json.totalFen).toBe(2800 + 200) // below 满100: the tier no longer applies
    expect(v.json.lines.find((l: any) => l.lineNo === 2).voided).toMatchObject({
      reason: '沽清了',
      by: 'owner',
    })
    expect(v.json.lines.map((l: any) => l.lineNo)).toEqual([1, 2, 3])
    await b.until((ms) => ms.some((m) => m.type === 'job' && m.job.ticket.kind === 'void'))
    const voidJob = b.jobs().find((j: any) => j.ticket.kind === 'void')
    expect(voidJob).toMatchObject({ printerId: 'hot', ticket: { reason: '沽清了' } })
    expect(voidJob.ticket.lines.map((l: any) => [l.name, l.qty])).toEqual([['限量烤鸭', 2]])
    expect((await api('GET', '/api/v1/stores/405/board', { token: owner })).json.remaining.half).toBe(
      before + 2,
    )
    const again = await api('POST', `/api/v1/stores/405/orders/${id}/lines/2/void`, {
      token: owner,
      body: { reason: 'x' },
    })
    expect(again.status).toBe(404)
    const events = (await api('GET', `/api/v1/stores/405/orders/${id}/events`, { token: owner })).json
    expect(events.at(-1)).toMatchObject({ event: 'void_line', reason: '限量烤鸭: 沽清了' })
    b.ws.close(1000)
  })

  it('one bridge per store: a second one takes over and the first is told why', async () => {
    const store = await seedStore('404')
    const owner = await login('404')
    await api('PUT', '/api/v1/stores/404/printers', { token: owner, body: { printers: PRINTERS } })
    const { key } = (await api('POST', '/api/v1/stores/404/bridge-key', { token: owner })).json
    const first = await bridge('404', key)
    await first.until((ms) => ms.some((m) => m.type === 'welcome'))
    const closed = new Promise<number>((resolve) =>
      first.ws.addEventListener('close', (e) => resolve(e.code)),
    )
    const second = await bridge('404', key)
    await second.until((ms) => ms.some((m) => m.type === 'welcome'))
    expect(await closed).toBe(4009)
    const d = await join(store.tables[0]!.code)
    const r = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: { menuVersion: store.menuVersion, lines: [line('rice', 'bowl', 1)] },
    })
    await api('POST', `/api/v1/stores/404/orders/${r.json.round.orderId}/events`, {
      token: owner,
      body: { event: 'accept' },
    })
    await second.until((ms) => ms.some((m) => m.type === 'job'))
    expect(first.jobs()).toEqual([])
    second.ws.close(1000)
  })

  it('printer trouble reaches the console live and is recorded', async () => {
    await seedStore('402')
    const owner = await login('402')
    await api('PUT', '/api/v1/stores/402/printers', { token: owner, body: { printers: PRINTERS } })
    const { key } = (await api('POST', '/api/v1/stores/402/bridge-key', { token: owner })).json
    const board = await socket('/api/v1/stores/402/ws', owner)
    await board.next((m) => m.type === 'snapshot')
    const b = await bridge('402', key)
    await b.until((ms) => ms.some((m) => m.type === 'welcome'))
    b.send({ type: 'hello', bridgeId: 'kitchen-pc', version: '1', printers: [{ id: 'hot', status: 'ok' }] })
    b.send({ type: 'status', printerId: 'hot', status: 'paper_out', detail: '缺纸', at: Date.now() })
    const alarm = await board.next((m) => m.type === 'printer' && m.printer.status === 'paper_out')
    expect(alarm).toMatchObject({ alert: true, printer: { id: 'hot', name: '热菜', detail: '缺纸' } })
    b.send({ type: 'status', printerId: 'hot', status: 'ok', at: Date.now() })
    await board.next((m) => m.type === 'printer' && m.printer.status === 'ok' && m.alert === false)
    b.send({ type: 'status', printerId: 'nope', status: 'offline', at: Date.now() }) // unknown printer: ignored
    b.send({ type: 'what' })
    await b.until((ms) => ms.some((m) => m.type === 'error'))
    const p = (await api('GET', '/api/v1/stores/402/printers', { token: owner })).json
    expect(p.events.map((e: any) => e.status)).toEqual(['ok', 'paper_out', 'ok'])
    expect(p.states.find((s: any) => s.id === 'hot').status).toBe('ok')
    board.close()
    b.ws.close(1000)
  })

  it('the kitchen display starts and bumps lines; receipts print when the table settles', async () => {
    const store = await seedStore('403')
    const owner = await login('403')
    await api('PUT', '/api/v1/stores/403/printers', { token: owner, body: { printers: PRINTERS } })
    const { key } = (await api('POST', '/api/v1/stores/403/bridge-key', { token: owner })).json
    const kitchen = await login('403', 'kitchen')
    const d = await join(store.tables[0]!.code)
    const r = await api('POST', '/api/v1/table/rounds', {
      token: d.token,
      headers: { 'idempotency-key': idemKey() },
      body: {
        menuVersion: store.menuVersion,
        lines: [line('mapo', 'std', 1, ['hot']), line('rice', 'bowl', 1)],
      },
    })
    const id = r.json.round.orderId
    await api('POST', `/api/v1/stores/403/orders/${id}/events`, { token: owner, body: { event: 'accept' } })
    const kds = (lineNo: number, action: string) =>
      api('POST', `/api/v1/stores/403/orders/${id}/lines/${lineNo}/kds`, { token: kitchen, body: { action } })
    expect((await kds(1, 'start')).json.state).toBe('COOKING')
    expect((await kds(1, 'bump')).json.state).toBe('COOKING')
    const done = await kds(2, 'bump')
    expect(done.json.state).toBe('READY')
    expect(Object.keys(done.json.kds)).toEqual(['1', '2'])
    expect((await kds(9, 'bump')).status).toBe(404)
    expect((await kds(1, 'fry')).status).toBe(400)
    await api('POST', `/api/v1/stores/403/orders/${id}/events`, { token: owner, body: { event: 'serve' } })
    expect((await kds(1, 'bump')).status).toBe(409) // served: off the kitchen's screen

    const b = await bridge('403', key)
    await b.until((ms) => ms.some((m) => m.type === 'welcome'))
    await api('POST', `/api/v1/stores/403/tables/${store.tables[0]!.tableKey}/settle`, { token: owner })
    await b.until((ms) => ms.some((m) => m.type === 'job' && m.job.ticket.kind === 'receipt'))
    const receipt = b.jobs().find((j: any) => j.ticket.kind === 'receipt')
    expect(receipt).toMatchObject({ printerId: 'front', ticket: { qr: id, totalFen: r.json.round.totalFen } })
    b.ws.close(1000)
  })
})
