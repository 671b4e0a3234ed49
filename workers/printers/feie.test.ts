// The Feie driver against a local fake Feie over real HTTP (node:http on 127.0.0.1).
import { createHash } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FAKE_RET, type FakeFeie, startFakeFeie } from '../../test/feie/fake-feie'
import { FeieError, feieClient, feieSig, parseFeieStatus } from './feie'

// Test fixtures, not real credentials.
const USER = 'kitchen@example.test'
const UKEY = 'fixtureUkey12345'
const NOW = Date.UTC(2025, 0, 2, 3, 4, 5) // stime 1735787045

let fake: FakeFeie

beforeAll(async () => {
  fake = await startFakeFeie({
    accounts: { [USER]: UKEY },
    printers: { '916500001': 'online', '916500002': 'offline', '916500003': 'paper_out' },
    maxSkewSeconds: 300,
    now: () => NOW,
  })
})
afterAll(() => fake.close())
afterEach(() => {
  fake.requests.length = 0
})

const client = (over: Partial<Parameters<typeof feieClient>[0]> = {}) =>
  feieClient({ user: USER, ukey: UKEY, endpoint: fake.url, now: () => NOW, ...over })

async function rejection(p: Promise<unknown>): Promise<FeieError> {
  const e = await p.then(
    () => {
      throw new Error('expected a rejection')
    },
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(FeieError)
  return e as FeieError
}

describe('signing', () => {
  it('sig is sha1(user + UKEY + stime) in lowercase hex', async () => {
    const sig = await feieSig(USER, UKEY, '1735787045')
    expect(sig).toBe(createHash('sha1').update(`${USER}${UKEY}1735787045`).digest('hex'))
    expect(sig).toMatch(/^[0-9a-f]{40}$/)
    // A known vector, independent of both implementations: sha1("abc").
    expect(await feieSig('a', 'b', 'c')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
  })

  it('sends the public fields form-encoded with stime in seconds', async () => {
    await client().printerStatus('916500001')
    const [req] = fake.requests
    expect(req?.contentType).toMatch(/^application\/x-www-form-urlencoded/)
    expect(req?.fields).toEqual({
      user: USER,
      stime: '1735787045',
      sig: createHash('sha1').update(`${USER}${UKEY}1735787045`).digest('hex'),
      apiname: 'Open_queryPrinterStatus',
      sn: '916500001',
    })
  })

  it('a wrong UKEY is refused by the fake with ret != 0, not retryable', async () => {
    const e = await rejection(client({ ukey: 'wrongUkey0000000' }).printerStatus('916500001'))
    expect(e).toMatchObject({
      kind: 'api',
      ret: FAKE_RET.BAD_SIG,
      retryable: false,
      apiname: 'Open_queryPrinterStatus',
    })
    expect(e.msg).toContain('sig')
  })

  it('an unknown account and a stale stime are refused too', async () => {
    const unknown = await rejection(client({ user: 'nobody@example.test' }).printerStatus('916500001'))
    expect(unknown).toMatchObject({ kind: 'api', ret: FAKE_RET.UNKNOWN_USER, retryable: false })
    const stale = await rejection(client({ now: () => NOW - 3600_000 }).printerStatus('916500001'))
    expect(stale).toMatchObject({ kind: 'api', ret: FAKE_RET.BAD_PARAMS, retryable: false })
  })
})

describe('print', () => {
  it('prints content with its copies and returns Feie order id', async () => {
    const content =
      '<CB>加菜 A12</CB><BR>2 x 宫保鸡丁 (大)<BR>备注：少辣 & 不要葱 =+%<BR><QR>https://x.test/o?a=1&b=2</QR><CUT>'
    const { orderId } = await client().print('916500001', content, 2)
    expect(orderId).toMatch(/^916500001_\d{14}_\d+$/)
    const p = fake.prints.find((x) => x.orderId === orderId)
    // Form encoding round-trips CJK, &, =, + and % exactly.
    expect(p).toEqual({ orderId, sn: '916500001', content, times: 2, printed: true })
  })

  it('defaults to one copy', async () => {
    await client().print('916500001', 'x<BR>')
    expect(fake.requests[0]?.fields.times).toBe('1')
  })

  it('refuses nonsense copy counts before sending', async () => {
    await expect(client().print('916500001', 'x', 0)).rejects.toThrow(RangeError)
    await expect(client().print('916500001', 'x', 1.5)).rejects.toThrow(RangeError)
    expect(fake.requests).toHaveLength(0)
  })

  it('an unknown printer is an api error', async () => {
    const e = await rejection(client().print('999999999', 'x'))
    expect(e).toMatchObject({
      kind: 'api',
      ret: FAKE_RET.UNKNOWN_PRINTER,
      retryable: false,
      apiname: 'Open_printMsg',
    })
  })
})

describe('printer status', () => {
  it('maps online / offline / abnormal (no paper)', async () => {
    const c = client()
    expect(await c.printerStatus('916500001')).toBe('ok')
    expect(await c.printerStatus('916500002')).toBe('offline')
    expect(await c.printerStatus('916500003')).toBe('paper_out')
  })

  it('parses the sentences of both stations and unknown ones', () => {
    expect(parseFeieStatus('在线，工作状态正常')).toBe('ok')
    expect(parseFeieStatus('在线，工作状态不正常。')).toBe('paper_out')
    expect(parseFeieStatus('离线')).toBe('offline')
    expect(parseFeieStatus('off-line')).toBe('offline')
    expect(parseFeieStatus('The online working status is abnormal')).toBe('paper_out')
    expect(parseFeieStatus('The online working status is normal')).toBe('ok')
    expect(parseFeieStatus('维护中')).toBe('error')
    expect(parseFeieStatus(null)).toBe('error')
  })
})

describe('order state', () => {
  it('false while the printer is offline, true once it comes back and prints', async () => {
    const c = client()
    fake.setPrinter('916500004', 'offline')
    const { orderId } = await c.print('916500004', '<B>T012</B><BR>')
    expect(await c.orderPrinted(orderId)).toBe(false)
    fake.setPrinter('916500004', 'online')
    expect(await c.orderPrinted(orderId)).toBe(true)
    expect(fake.requests.at(-1)?.fields).toMatchObject({ apiname: 'Open_queryOrderState', orderid: orderId })
  })

  it('an unknown order id is an api error', async () => {
    const e = await rejection(client().orderPrinted('916500001_20250102110405_1'))
    expect(e).toMatchObject({ kind: 'api', ret: FAKE_RET.UNKNOWN_ORDER, retryable: false })
  })
})

describe('error classification', () => {
  it('HTTP 5xx and 429 are retryable, another 4xx is not', async () => {
    fake.fault({ kind: 'http', status: 502 })
    expect(await rejection(client().print('916500001', 'x'))).toMatchObject({
      kind: 'http',
      status: 502,
      retryable: true,
    })
    fake.fault({ kind: 'http', status: 429 })
    expect(await rejection(client().printerStatus('916500001'))).toMatchObject({
      status: 429,
      retryable: true,
    })
    fake.fault({ kind: 'http', status: 403 })
    expect(await rejection(client().printerStatus('916500001'))).toMatchObject({
      kind: 'protocol',
      retryable: false,
    })
  })

  it('ret != 0 carries ret and msg and is not retryable', async () => {
    fake.fault({ kind: 'ret', ret: 1002, msg: '参数错误 : 内容过长。' })
    const e = await rejection(client().print('916500001', 'x'))
    expect(e).toMatchObject({ kind: 'api', ret: 1002, msg: '参数错误 : 内容过长。', retryable: false })
    expect(e.message).toBe('Open_printMsg: ret 1002: 参数错误 : 内容过长。')
  })

  it('a non-JSON answer is a protocol error, not retryable', async () => {
    fake.fault({ kind: 'garbage' })
    expect(await rejection(client().printerStatus('916500001'))).toMatchObject({
      kind: 'protocol',
      retryable: false,
    })
  })

  it('a dropped connection is a retryable network error', async () => {
    fake.fault({ kind: 'reset' })
    expect(await rejection(client().printerStatus('916500001'))).toMatchObject({
      kind: 'network',
      retryable: true,
    })
  })

  it('nothing listening is a retryable network error', async () => {
    const c = client({ endpoint: 'http://127.0.0.1:9/Api/Open/' })
    expect(await rejection(c.printerStatus('916500001'))).toMatchObject({ kind: 'network', retryable: true })
  })

  it('a slow answer times out via AbortSignal and is retryable', async () => {
    fake.fault({ kind: 'delay', delayMs: 2_000 })
    const started = Date.now()
    const e = await rejection(client({ timeoutMs: 150 }).print('916500001', 'slow'))
    expect(e).toMatchObject({ kind: 'timeout', retryable: true, apiname: 'Open_printMsg' })
    expect(Date.now() - started).toBeLessThan(1_500)
  })

  it('uses the injected fetch', async () => {
    const seen: string[] = []
    const c = client({
      fetch: async (input, init) => {
        seen.push(String(input))
        return fetch(input, init)
      },
    })
    expect(await c.printerStatus('916500001')).toBe('ok')
    expect(seen).toEqual([fake.url])
  })
})
