import { beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../env'
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  der,
  derToPem,
  generateRsaPem,
  importPrivateKey,
  importPublicKey,
  pemToDer,
  randomNonce,
  rsaSign,
  rsaVerify,
  sha1Hex,
  utf8,
} from './crypto'
import { NotifyRejected, ProviderError } from './provider'
import {
  toChinaRfc3339,
  truncateUtf8,
  WECHAT_NOTIFY_PATH,
  WECHAT_REFUND_NOTIFY_PATH,
  WeChatPay,
  type WeChatPayConfig,
  wechatFromEnv,
} from './wechat'
import {
  chinaTimeToEpochMs,
  fenToYuan,
  parseWeChatTradeBill,
  WECHAT_TRADE_BILL_COLUMNS,
  WECHAT_TRADE_BILL_SUMMARY_COLUMNS,
  yuanToFen,
} from './wechat-bill'
import { WECHAT_NOTIFY_VECTOR as V, WECHAT_AES_VECTOR } from './wechat-vector.fixture'

const MCHID = '1900000109'
const APPID = 'wx0123456789abcdef'
const API_V3_KEY = 'abcdefghijABCDEFGHIJ0123456789xy' // 32 bytes
const MCH_SERIAL = '3775B6A45ACD588826D15E583A95F5DD********'.replace(/\*/g, '0')
const PUB_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000000000'
const NOW = Date.UTC(2025, 4, 20, 5, 29, 35) // 2025-05-20 13:29:35 China time
const BASE = 'https://wx.test'

let merchant: { privatePem: string; publicPem: string }
let platform: { privatePem: string; publicPem: string }
let merchantPub: CryptoKey
let platformPriv: CryptoKey

beforeAll(async () => {
  ;[merchant, platform] = await Promise.all([generateRsaPem(), generateRsaPem()])
  merchantPub = await importPublicKey(merchant.publicPem)
  platformPriv = await importPrivateKey(platform.privatePem)
})

// ------------------------------------------------------------------ a fake WeChat Pay server

interface Seen {
  method: string
  url: URL
  headers: Headers
  body: string
  auth: Record<string, string>
}
interface Reply {
  status?: number
  body?: string | Uint8Array
  /** false: no Wechatpay-* headers; 'tamper': body changed after signing. */
  sign?: boolean | 'tamper'
  serial?: string
  key?: CryptoKey
  timestamp?: number
}

function parseAuth(header: string): Record<string, string> {
  expect(header.startsWith('WECHATPAY2-SHA256-RSA2048 ')).toBe(true)
  const out: Record<string, string> = {}
  for (const m of header.slice('WECHATPAY2-SHA256-RSA2048 '.length).matchAll(/(\w+)="([^"]*)"/g))
    out[m[1]!] = m[2]!
  return out
}

async function signHeaders(body: string, key: CryptoKey, serial: string, ts: number) {
  const nonce = randomNonce(32)
  const signature = await rsaSign(key, `${ts}\n${nonce}\n${body}\n`)
  return {
    'Wechatpay-Timestamp': String(ts),
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signature,
    'Wechatpay-Serial': serial,
    'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
  }
}

/** A fetch that checks each request's signature (as WeChat does) and answers with `handle`, signed. */
function fakeWeChat(handle: (req: Seen) => Reply | Promise<Reply>, seen: Seen[] = []): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input as string, init)
    const url = new URL(req.url)
    const body = await req.text()
    const s: Seen = { method: req.method, url, headers: req.headers, body, auth: {} }
    if (url.pathname.startsWith('/v3/')) {
      s.auth = parseAuth(req.headers.get('Authorization') ?? '')
      const message = `${req.method}\n${url.pathname}${url.search}\n${s.auth.timestamp}\n${s.auth.nonce_str}\n${body}\n`
      if (!(await rsaVerify(merchantPub, message, s.auth.signature ?? '')))
        return new Response('{"code":"SIGN_ERROR","message":"bad request signature"}', { status: 401 })
    }
    seen.push(s)
    const r = await handle(s)
    const text =
      r.body === undefined ? '' : typeof r.body === 'string' ? r.body : new TextDecoder().decode(r.body)
    const headers: Record<string, string> =
      r.sign === false
        ? {}
        : await signHeaders(
            text,
            r.key ?? platformPriv,
            r.serial ?? PUB_KEY_ID,
            r.timestamp ?? Math.floor(NOW / 1000),
          )
    if (text) headers['Content-Type'] = 'application/json'
    const sent: BodyInit | null =
      r.sign === 'tamper'
        ? text.replace('NOTPAY', 'SUCCESS')
        : typeof r.body === 'string'
          ? r.body
          : (r.body?.slice().buffer ?? null)
    return new Response(r.status === 204 ? null : sent, { status: r.status ?? 200, headers })
  }) as typeof fetch
}

function client(over: Partial<WeChatPayConfig> = {}): WeChatPay {
  return new WeChatPay({
    mchid: MCHID,
    appid: APPID,
    appSecret: 'app-secret',
    merchantSerial: MCH_SERIAL,
    merchantPrivateKeyPem: merchant.privatePem,
    apiV3Key: API_V3_KEY,
    publicKeyId: PUB_KEY_ID,
    publicKeyPem: platform.publicPem,
    apiBase: BASE,
    oauthBase: BASE,
    notifyBase: 'https://shop.example/',
    now: () => NOW,
    fetch: () => Promise.reject(new Error('no network in this test')),
    ...over,
  })
}

async function notify(resource: object, eventType: string, over: { key?: string; id?: string } = {}) {
  const nonce = 'abcdefghijkl'
  const ciphertext = await aesGcmEncrypt(
    over.key ?? API_V3_KEY,
    nonce,
    'transaction',
    JSON.stringify(resource),
  )
  const body = JSON.stringify({
    id: over.id ?? 'EV-2018022511223320873',
    create_time: '2025-05-20T13:29:35+08:00',
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary: '支付成功',
    resource: {
      original_type: 'transaction',
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext,
      associated_data: 'transaction',
      nonce,
    },
  })
  const headers = new Headers(await signHeaders(body, platformPriv, PUB_KEY_ID, Math.floor(NOW / 1000)))
  return { headers, body }
}

const paidTransaction = {
  appid: APPID,
  mchid: MCHID,
  out_trade_no: 'ord_01HZX',
  transaction_id: '4200000848202101120290526543',
  trade_type: 'JSAPI',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  bank_type: 'OTHERS',
  attach: 'st_42',
  success_time: '2025-05-20T13:30:01+08:00',
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  amount: { total: 2590, payer_total: 2590, currency: 'CNY', payer_currency: 'CNY' },
}

async function rejection(p: Promise<unknown>): Promise<NotifyRejected> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(NotifyRejected)
  return e as NotifyRejected
}

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(ProviderError)
  return e as ProviderError
}

// ------------------------------------------------------------------ official vectors

describe('official wechatpay-go vectors', () => {
  const vectorClient = (over: Partial<WeChatPayConfig> = {}) =>
    client({
      mchid: V.mchid,
      appid: V.appid,
      apiV3Key: V.apiV3Key,
      allowShortApiV3Key: true,
      publicKeyId: undefined,
      publicKeyPem: undefined,
      platformCertsPem: V.certificatePem,
      ...over,
    })
  const vectorHeaders = (over: Record<string, string | null> = {}) => {
    const h = new Headers(V.headers)
    for (const [k, v] of Object.entries(over)) v === null ? h.delete(k) : h.set(k, v)
    return h
  }
  const fixedNow = V.nowSeconds * 1000

  it('AES-GCM vector (utils/aes_test.go) decrypts', async () => {
    const A = WECHAT_AES_VECTOR
    expect(await aesGcmDecrypt(A.key, A.nonce, A.associatedData, A.ciphertext)).toBe(A.plaintext)
  })

  it('notify vector verifies and decrypts in certificate mode with a fixed clock', async () => {
    const wx = vectorClient()
    const opened = await wx.openNotify(vectorHeaders(), V.body, fixedNow)
    expect(opened.plaintext).toBe(V.plaintext)
    expect(opened.id).toBe(V.id)
    expect(opened.eventType).toBe(V.eventType)
    // Authentic, for us, but not an event we act on.
    expect(await wx.parseNotify(vectorHeaders(), V.body, fixedNow)).toEqual({
      kind: 'ignored',
      id: V.id,
      reason: `event_type ${V.eventType}`,
    })
  })

  it('the same vector is stale with the real clock', async () => {
    const wx = vectorClient({ now: Date.now })
    expect((await rejection(wx.parseNotify(vectorHeaders(), V.body))).reason).toBe('STALE_TIMESTAMP')
  })

  it('stale exactly at 5 minutes either way, fresh at 4:59', async () => {
    const wx = vectorClient()
    for (const d of [300, -300, 3600])
      expect((await rejection(wx.parseNotify(vectorHeaders(), V.body, fixedNow + d * 1000))).reason).toBe(
        'STALE_TIMESTAMP',
      )
    await expect(wx.parseNotify(vectorHeaders(), V.body, fixedNow + 299_000)).resolves.toMatchObject({
      kind: 'ignored',
    })
  })

  it('a forged body or signature is rejected', async () => {
    const wx = vectorClient()
    const forgedBody = V.body.replace('签约成功', '签约失败')
    expect((await rejection(wx.parseNotify(vectorHeaders(), forgedBody, fixedNow))).reason).toBe(
      'BAD_SIGNATURE',
    )
    const sig = V.headers['Wechatpay-Signature']
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)
    expect(
      (await rejection(wx.parseNotify(vectorHeaders({ 'Wechatpay-Signature': flipped }), V.body, fixedNow)))
        .reason,
    ).toBe('BAD_SIGNATURE')
    const otherNonce = vectorHeaders({ 'Wechatpay-Nonce': 'x'.repeat(32) })
    expect((await rejection(wx.parseNotify(otherNonce, V.body, fixedNow))).reason).toBe('BAD_SIGNATURE')
  })

  it('each missing header is rejected', async () => {
    const wx = vectorClient()
    for (const h of ['Wechatpay-Timestamp', 'Wechatpay-Nonce', 'Wechatpay-Signature', 'Wechatpay-Serial']) {
      const e = await rejection(wx.parseNotify(vectorHeaders({ [h]: null }), V.body, fixedNow))
      expect(e.reason).toBe('MISSING_HEADERS')
      expect(e.message).toContain(h)
    }
  })

  it('signature probes (WECHATPAY/SIGNTEST/...) are rejected', async () => {
    const wx = vectorClient()
    const probe = vectorHeaders({
      'Wechatpay-Signature': `WECHATPAY/SIGNTEST/${V.headers['Wechatpay-Signature']}`,
    })
    expect((await rejection(wx.parseNotify(probe, V.body, fixedNow))).reason).toBe('BAD_SIGNATURE')
  })

  it('an unknown serial is rejected after one rate-limited certificate download', async () => {
    const seen: Seen[] = []
    const wx = vectorClient({
      fetch: fakeWeChat(() => ({ status: 500, body: '{"code":"SYSTEM_ERROR"}' }), seen),
    })
    const unknown = vectorHeaders({ 'Wechatpay-Serial': '5157F09EFDC096DE15EBE81A47057A7232F1B8E1' })
    expect((await rejection(wx.parseNotify(unknown, V.body, fixedNow))).reason).toBe('UNKNOWN_SERIAL')
    expect((await rejection(wx.parseNotify(unknown, V.body, fixedNow))).reason).toBe('UNKNOWN_SERIAL')
    expect(seen.map((s) => s.url.pathname)).toEqual(['/v3/certificates'])
    // PUB_KEY_ID serials are never looked up online.
    const pub = vectorHeaders({ 'Wechatpay-Serial': 'PUB_KEY_ID_0000000000000024101100397200000006' })
    expect((await rejection(wx.parseNotify(pub, V.body, fixedNow))).reason).toBe('UNKNOWN_SERIAL')
    expect(seen).toHaveLength(1)
  })

  it('a notify for another merchant or app is rejected', async () => {
    const otherMch = vectorClient({ mchid: '1900000109' })
    expect((await rejection(otherMch.parseNotify(vectorHeaders(), V.body, fixedNow))).reason).toBe(
      'WRONG_MERCHANT',
    )
    const otherApp = vectorClient({ appid: 'wx0000000000000000' })
    expect((await rejection(otherApp.parseNotify(vectorHeaders(), V.body, fixedNow))).reason).toBe(
      'WRONG_MERCHANT',
    )
  })

  it('the wrong APIv3 key fails decryption after a valid signature', async () => {
    const wx = vectorClient({ apiV3Key: 'testMchAPIv3Key1' })
    expect((await rejection(wx.parseNotify(vectorHeaders(), V.body, fixedNow))).reason).toBe('DECRYPT_FAILED')
  })

  it('a 16-byte APIv3 key is refused unless allowShortApiV3Key', () => {
    expect(() => vectorClient({ allowShortApiV3Key: false })).toThrow(/32 bytes/)
  })
})

// ------------------------------------------------------------------ notifies in public-key mode

describe('notifies (public-key mode)', () => {
  it('TRANSACTION.SUCCESS signed with the WeChat Pay public key maps to a payment', async () => {
    const { headers, body } = await notify(paidTransaction, 'TRANSACTION.SUCCESS')
    expect(await client().parseNotify(headers, body)).toEqual({
      kind: 'payment',
      id: 'EV-2018022511223320873',
      trade: {
        provider: 'wechat',
        state: 'SUCCESS',
        providerState: 'SUCCESS',
        outTradeNo: 'ord_01HZX',
        transactionId: '4200000848202101120290526543',
        amountFen: 2590,
        currency: 'CNY',
        paidAt: Date.parse('2025-05-20T05:30:01Z'),
        payerId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
        attach: 'st_42',
      },
    })
  })

  it('refund notifies map refund_status', async () => {
    const refund = {
      mchid: MCHID,
      out_trade_no: 'ord_01HZX',
      transaction_id: '4200000848202101120290526543',
      out_refund_no: 'rfd_01HZY',
      refund_id: '50000000382019052709732678859',
      refund_status: 'SUCCESS',
      success_time: '2025-05-20T13:35:00+08:00',
      user_received_account: '支付用户零钱',
      amount: { total: 2590, refund: 1000, payer_total: 2590, payer_refund: 1000 },
    }
    const wx = client()
    const ok = await notify(refund, 'REFUND.SUCCESS', { id: 'EV-R1' })
    expect(await wx.parseNotify(ok.headers, ok.body)).toEqual({
      kind: 'refund',
      id: 'EV-R1',
      refund: {
        provider: 'wechat',
        state: 'SUCCESS',
        providerState: 'SUCCESS',
        outTradeNo: 'ord_01HZX',
        outRefundNo: 'rfd_01HZY',
        refundId: '50000000382019052709732678859',
        refundFen: 1000,
        successAt: Date.parse('2025-05-20T05:35:00Z'),
      },
    })
    const abnormal = await notify(
      { ...refund, refund_status: 'ABNORMAL', success_time: undefined },
      'REFUND.ABNORMAL',
    )
    expect(await wx.parseNotify(abnormal.headers, abnormal.body)).toMatchObject({
      kind: 'refund',
      refund: { state: 'ABNORMAL', outRefundNo: 'rfd_01HZY' },
    })
    const closed = await notify({ ...refund, refund_status: 'CLOSED' }, 'REFUND.CLOSED')
    expect(await wx.parseNotify(closed.headers, closed.body)).toMatchObject({ refund: { state: 'CLOSED' } })
  })

  it('foreign mchid/appid, another key, a non-CNY payment are rejected', async () => {
    const wx = client()
    const otherApp = await notify({ ...paidTransaction, appid: 'wx9999999999999999' }, 'TRANSACTION.SUCCESS')
    expect((await rejection(wx.parseNotify(otherApp.headers, otherApp.body))).reason).toBe('WRONG_MERCHANT')
    const otherMch = await notify({ ...paidTransaction, mchid: '1900000110' }, 'TRANSACTION.SUCCESS')
    expect((await rejection(wx.parseNotify(otherMch.headers, otherMch.body))).reason).toBe('WRONG_MERCHANT')
    const noMch = await notify({ ...paidTransaction, mchid: undefined }, 'TRANSACTION.SUCCESS')
    expect((await rejection(wx.parseNotify(noMch.headers, noMch.body))).reason).toBe('WRONG_MERCHANT')
    const usd = await notify(
      { ...paidTransaction, amount: { total: 1, currency: 'USD' } },
      'TRANSACTION.SUCCESS',
    )
    expect((await rejection(wx.parseNotify(usd.headers, usd.body))).reason).toBe('MALFORMED')
    const wrongKey = await notify(paidTransaction, 'TRANSACTION.SUCCESS', { key: 'Z'.repeat(32) })
    expect((await rejection(wx.parseNotify(wrongKey.headers, wrongKey.body))).reason).toBe('DECRYPT_FAILED')
  })

  it('a notify signed by another key under our PUB_KEY_ID is rejected', async () => {
    const other = await generateRsaPem()
    const { body } = await notify(paidTransaction, 'TRANSACTION.SUCCESS')
    const headers = new Headers(
      await signHeaders(body, await importPrivateKey(other.privatePem), PUB_KEY_ID, Math.floor(NOW / 1000)),
    )
    expect((await rejection(client().parseNotify(headers, body))).reason).toBe('BAD_SIGNATURE')
  })

  it('ack is an empty 204, nack a FAIL body with an error status', async () => {
    const wx = client()
    const ack = wx.ack()
    expect(ack.status).toBe(204)
    expect(await ack.text()).toBe('')
    const nack = wx.nack('数据库繁忙')
    expect(nack.status).toBe(400)
    expect(await nack.json()).toEqual({ code: 'FAIL', message: '数据库繁忙' })
    expect(wx.nack('later', 503).status).toBe(503)
    expect(wx.nack('never 2xx', 200).status).toBe(500)
  })
})

// ------------------------------------------------------------------ requests

describe('requests', () => {
  it('signs the Authorization header over exactly the 5-line string, paySign over the 4-line one', async () => {
    const seen: Seen[] = []
    const wx = client({
      fetch: fakeWeChat(() => ({ body: '{"prepay_id":"wx201410272009395522657a690389285100"}' }), seen),
    })
    const params = await wx.create({
      outTradeNo: 'ord_01HZX',
      amountFen: 2590,
      description: '宫保鸡丁 x1, 米饭 x2',
      expiresAt: NOW + 15 * 60_000 + 123,
      attach: 'st_42',
      channel: 'jsapi',
      payerId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    })
    const req = seen[0]!
    expect(req.method).toBe('POST')
    expect(req.url.href).toBe(`${BASE}/v3/pay/transactions/jsapi`)
    // The fake server already verified the signature; check the fields and recompute it here too.
    expect(req.auth.mchid).toBe(MCHID)
    expect(req.auth.serial_no).toBe(MCH_SERIAL)
    expect(req.auth.timestamp).toBe(String(Math.floor(NOW / 1000)))
    expect(req.auth.nonce_str).toMatch(/^[A-Za-z0-9]{32}$/)
    const message = `POST\n/v3/pay/transactions/jsapi\n${req.auth.timestamp}\n${req.auth.nonce_str}\n${req.body}\n`
    expect(await rsaVerify(merchantPub, message, req.auth.signature!)).toBe(true)
    expect(req.headers.get('Wechatpay-Serial')).toBe(PUB_KEY_ID)
    expect(req.headers.get('Accept')).toBe('application/json')
    expect(req.headers.get('Content-Type')).toBe('application/json')
    expect(req.headers.get('User-Agent')).toBeTruthy()
    expect(JSON.parse(req.body)).toEqual({
      appid: APPID,
      mchid: MCHID,
      description: '宫保鸡丁 x1, 米饭 x2',
      out_trade_no: 'ord_01HZX',
      time_expire: '2025-05-20T13:44:35+08:00',
      attach: 'st_42',
      notify_url: `https://shop.example${WECHAT_NOTIFY_PATH}`,
      amount: { total: 2590, currency: 'CNY' },
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    })

    expect(params).toMatchObject({
      kind: 'wechat_jsapi',
      appId: APPID,
      timeStamp: String(Math.floor(NOW / 1000)),
      package: 'prepay_id=wx201410272009395522657a690389285100',
      signType: 'RSA',
    })
    if (params.kind !== 'wechat_jsapi') throw new Error('unreachable')
    const payMessage = `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`
    expect(await rsaVerify(merchantPub, payMessage, params.paySign)).toBe(true)
  })

  it('creating twice with the same input sends the same body', async () => {
    const seen: Seen[] = []
    const wx = client({ fetch: fakeWeChat(() => ({ body: '{"prepay_id":"wx1"}' }), seen) })
    const input = {
      outTradeNo: 'ord_1',
      amountFen: 1,
      description: 'x',
      expiresAt: NOW + 60_000,
      attach: 'st_1',
      channel: 'jsapi' as const,
      payerId: 'o1',
    }
    await wx.create(input)
    await wx.create(input)
    expect(seen[0]!.body).toBe(seen[1]!.body)
  })

  it('GET signs path and query as sent, with an empty body line; no Content-Type', async () => {
    const seen: Seen[] = []
    const wx = client({
      fetch: fakeWeChat(
        () => ({ body: JSON.stringify({ ...paidTransaction, trade_state: 'NOTPAY' }) }),
        seen,
      ),
    })
    await wx.query('ord_01HZX')
    const req = seen[0]!
    expect(`${req.url.pathname}${req.url.search}`).toBe(
      `/v3/pay/transactions/out-trade-no/ord_01HZX?mchid=${MCHID}`,
    )
    const message = `GET\n/v3/pay/transactions/out-trade-no/ord_01HZX?mchid=${MCHID}\n${req.auth.timestamp}\n${req.auth.nonce_str}\n\n`
    expect(await rsaVerify(merchantPub, message, req.auth.signature!)).toBe(true)
    expect(req.headers.get('Content-Type')).toBeNull()
  })

  it('h5 returns h5_url with the encoded redirect_url appended', async () => {
    const seen: Seen[] = []
    const h5 = 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2016&package=1037687096'
    const wx = client({ fetch: fakeWeChat(() => ({ body: JSON.stringify({ h5_url: h5 }) }), seen) })
    const r = await wx.create({
      outTradeNo: 'ord_2',
      amountFen: 100,
      description: 'd',
      expiresAt: NOW + 900_000,
      attach: 'st_1',
      channel: 'h5',
      clientIp: '203.0.113.7',
      returnUrl: 'https://shop.example/o/ord_2?paid=1',
    })
    expect(r).toEqual({
      kind: 'redirect',
      url: `${h5}&redirect_url=https%3A%2F%2Fshop.example%2Fo%2Ford_2%3Fpaid%3D1`,
    })
    expect(seen[0]!.url.pathname).toBe('/v3/pay/transactions/h5')
    const bare = client({
      fetch: fakeWeChat(() => ({ body: '{"h5_url":"http://127.0.0.1:1/cashier/wechat/wx9"}' })),
    })
    const r2 = await bare.create({
      outTradeNo: 'ord_2',
      amountFen: 100,
      description: 'd',
      expiresAt: NOW,
      attach: 'a',
      channel: 'h5',
      clientIp: '203.0.113.7',
      returnUrl: 'https://shop.example/x',
    })
    expect(r2).toEqual({
      kind: 'redirect',
      url: 'http://127.0.0.1:1/cashier/wechat/wx9?redirect_url=https%3A%2F%2Fshop.example%2Fx',
    })
    expect(JSON.parse(seen[0]!.body).scene_info).toEqual({
      payer_client_ip: '203.0.113.7',
      h5_info: { type: 'Wap' },
    })
  })

  it('refuses channels and inputs it cannot send', async () => {
    const wx = client()
    const base = { outTradeNo: 'o', amountFen: 1, description: 'd', expiresAt: NOW, attach: 'a' }
    expect((await providerError(wx.create({ ...base, channel: 'wap' }))).code).toBe('UNSUPPORTED_CHANNEL')
    expect((await providerError(wx.create({ ...base, channel: 'jsapi' }))).code).toBe('PARAM_ERROR')
    expect((await providerError(wx.create({ ...base, channel: 'h5' }))).code).toBe('PARAM_ERROR')
    expect(
      (await providerError(wx.create({ ...base, amountFen: 1.5, channel: 'h5', clientIp: '1.1.1.1' }))).code,
    ).toBe('PARAM_ERROR')
  })
})

// ------------------------------------------------------------------ responses

describe('responses', () => {
  it('maps query results and trade states', async () => {
    const states: Record<string, string> = {
      SUCCESS: 'SUCCESS',
      REFUND: 'SUCCESS',
      NOTPAY: 'PENDING',
      USERPAYING: 'PENDING',
      CLOSED: 'CLOSED',
      REVOKED: 'CLOSED',
      PAYERROR: 'CLOSED',
    }
    for (const [wxState, state] of Object.entries(states)) {
      const wx = client({
        fetch: fakeWeChat(() => ({ body: JSON.stringify({ ...paidTransaction, trade_state: wxState }) })),
      })
      expect(await wx.query('ord_01HZX')).toMatchObject({
        state,
        providerState: wxState,
        amountFen: 2590,
        attach: 'st_42',
      })
    }
    const wx = client({ fetch: fakeWeChat(() => ({ body: JSON.stringify(paidTransaction) })) })
    expect(await wx.query('ord_01HZX')).toMatchObject({
      transactionId: '4200000848202101120290526543',
      paidAt: Date.parse('2025-05-20T13:30:01+08:00'),
      payerId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    })
  })

  it('404 ORDER_NOT_EXIST is NOT_FOUND; 5xx and SYSTEM_ERROR are retryable, 4xx business errors are not', async () => {
    const reply = (status: number, code: string) =>
      client({
        fetch: fakeWeChat(() => ({ status, body: JSON.stringify({ code, message: code }) })),
      })
    expect(await reply(404, 'ORDER_NOT_EXIST').query('ord_x')).toEqual({
      provider: 'wechat',
      state: 'NOT_FOUND',
      providerState: 'ORDER_NOT_EXIST',
      outTradeNo: 'ord_x',
    })
    const sys = await providerError(reply(500, 'SYSTEM_ERROR').query('ord_x'))
    expect([sys.code, sys.retryable, sys.status]).toEqual(['SYSTEM_ERROR', true, 500])
    const freq = await providerError(reply(429, 'FREQUENCY_LIMITED').query('ord_x'))
    expect(freq.retryable).toBe(true)
    const param = await providerError(reply(400, 'PARAM_ERROR').query('ord_x'))
    expect([param.code, param.retryable]).toEqual(['PARAM_ERROR', false])
    const net = await providerError(
      client({ fetch: () => Promise.reject(new TypeError('fetch failed')) }).query('o'),
    )
    expect([net.code, net.retryable]).toEqual(['NETWORK', true])
  })

  it('rejects a tampered, unsigned, stale or foreign-signed response', async () => {
    const body = JSON.stringify({ ...paidTransaction, trade_state: 'NOTPAY' })
    const other = await importPrivateKey((await generateRsaPem()).privatePem)
    for (const r of [
      { body, sign: 'tamper' as const },
      { body, sign: false },
      { body, timestamp: Math.floor(NOW / 1000) - 600 },
      { body, key: other },
      { body, serial: 'PUB_KEY_ID_0000000000000000000000000000000000' },
    ]) {
      const e = await providerError(client({ fetch: fakeWeChat(() => r) }).query('ord_01HZX'))
      expect([e.code, e.retryable]).toEqual(['SIGNATURE', false])
    }
    // A signed error response that does not verify must not be believed either (e.g. a fake ORDER_NOT_EXIST).
    const fake404 = client({
      fetch: fakeWeChat(() => ({
        status: 404,
        body: '{"code":"ORDER_NOT_EXIST","message":"x"}',
        key: other,
      })),
    })
    expect((await providerError(fake404.query('o'))).code).toBe('SIGNATURE')
    // An unsigned error (a proxy's 404) is an error, never NOT_FOUND.
    const unsigned404 = client({
      fetch: fakeWeChat(() => ({
        status: 404,
        body: '{"code":"ORDER_NOT_EXIST","message":"x"}',
        sign: false,
      })),
    })
    expect((await providerError(unsigned404.query('o'))).code).toBe('ORDER_NOT_EXIST')
  })

  it('close: 204 -> CLOSED, ORDERPAID -> ALREADY_PAID, ORDER_CLOSED -> CLOSED', async () => {
    const seen: Seen[] = []
    const ok = client({ fetch: fakeWeChat(() => ({ status: 204 }), seen) })
    expect(await ok.close('ord_3')).toBe('CLOSED')
    expect(seen[0]!.url.pathname).toBe('/v3/pay/transactions/out-trade-no/ord_3/close')
    expect(JSON.parse(seen[0]!.body)).toEqual({ mchid: MCHID })
    const paid = client({
      fetch: fakeWeChat(() => ({ status: 400, body: '{"code":"ORDERPAID","message":"订单已支付"}' })),
    })
    expect(await paid.close('ord_3')).toBe('ALREADY_PAID')
    const paid2 = client({
      fetch: fakeWeChat(() => ({
        status: 403,
        body: '{"code":"TRADE_ERROR","message":"订单已支付，不能关单"}',
      })),
    })
    expect(await paid2.close('ord_3')).toBe('ALREADY_PAID')
    const closed = client({
      fetch: fakeWeChat(() => ({ status: 400, body: '{"code":"ORDER_CLOSED","message":"x"}' })),
    })
    expect(await closed.close('ord_3')).toBe('CLOSED')
  })

  it('refund: body, UTF-8-safe reason, refund notify URL, status mapping; queryRefund path', async () => {
    const seen: Seen[] = []
    const refundBody = {
      refund_id: '50000000382019052709732678859',
      out_refund_no: 'rfd_1',
      transaction_id: '4200000848202101120290526543',
      out_trade_no: 'ord_01HZX',
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      create_time: '2025-05-20T13:40:00+08:00',
      status: 'PROCESSING',
      amount: { total: 2590, refund: 1000, payer_total: 2590, payer_refund: 1000, currency: 'CNY' },
    }
    const wx = client({
      fetch: fakeWeChat(
        (s) =>
          s.url.pathname.endsWith('/rfd_404')
            ? { status: 404, body: '{"code":"RESOURCE_NOT_EXISTS","message":"x"}' }
            : { body: JSON.stringify(refundBody) },
        seen,
      ),
    })
    const reason = '菜品售罄'.repeat(7) // 28 chars x 3 bytes = 84 bytes > 80
    const r = await wx.refund({
      outTradeNo: 'ord_01HZX',
      transactionId: '4200000848202101120290526543',
      outRefundNo: 'rfd_1',
      refundFen: 1000,
      totalFen: 2590,
      reason,
    })
    expect(r).toEqual({
      provider: 'wechat',
      state: 'PROCESSING',
      providerState: 'PROCESSING',
      outTradeNo: 'ord_01HZX',
      outRefundNo: 'rfd_1',
      refundId: '50000000382019052709732678859',
      refundFen: 1000,
    })
    const sent = JSON.parse(seen[0]!.body)
    expect(seen[0]!.url.pathname).toBe('/v3/refund/domestic/refunds')
    expect(sent).toEqual({
      transaction_id: '4200000848202101120290526543',
      out_trade_no: 'ord_01HZX',
      out_refund_no: 'rfd_1',
      reason: '菜品售罄'.repeat(6) + '菜品',
      notify_url: `https://shop.example${WECHAT_REFUND_NOTIFY_PATH}`,
      amount: { refund: 1000, total: 2590, currency: 'CNY' },
    })
    expect(utf8(sent.reason).length).toBe(78)

    expect(await wx.queryRefund('rfd_1', 'ord_01HZX')).toMatchObject({ state: 'PROCESSING', refundFen: 1000 })
    expect(seen[1]!.method).toBe('GET')
    expect(seen[1]!.url.pathname).toBe('/v3/refund/domestic/refunds/rfd_1')
    expect(await wx.queryRefund('rfd_404', 'ord_01HZX')).toMatchObject({
      state: 'NOT_FOUND',
      outRefundNo: 'rfd_404',
      outTradeNo: 'ord_01HZX',
    })
  })
})

// ------------------------------------------------------------------ certificate mode with download

/** A minimal self-signed X.509 v3 certificate for `spkiPem`, enough for parseCertificate and importPublicKey. */
async function selfSignedCert(serial: Uint8Array, spkiPem: string, key: CryptoKey): Promise<string> {
  const n = der.node
  const sha256WithRsa = new Uint8Array([
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
  ])
  const name = n(
    0x30,
    n(0x31, n(0x30, new Uint8Array([0x06, 0x03, 0x55, 0x04, 0x03]), n(0x0c, utf8('WeChat Pay Test')))),
  )
  const validity = n(0x30, n(0x17, utf8('250101000000Z')), n(0x17, utf8('300101000000Z')))
  const tbs = n(
    0x30,
    n(0xa0, n(0x02, new Uint8Array([2]))),
    n(0x02, serial),
    sha256WithRsa,
    name,
    validity,
    name,
    pemToDer(spkiPem),
  )
  const sig = new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, tbs))
  return derToPem(n(0x30, tbs, sha256WithRsa, n(0x03, new Uint8Array([0]), sig)), 'CERTIFICATE')
}

describe('platform-certificate mode', () => {
  it('downloads an unknown certificate once, decrypts it with the APIv3 key and verifies with it', async () => {
    const serialBytes = new Uint8Array([0x5a, 0x3b, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])
    const serial = '5A3B1122334455667788'
    const pem = await selfSignedCert(serialBytes, platform.publicPem, platformPriv)
    const nonce = 'certnonce012'
    const certs = JSON.stringify({
      data: [
        {
          serial_no: serial,
          effective_time: '2025-01-01T00:00:00+08:00',
          expire_time: '2030-01-01T00:00:00+08:00',
          encrypt_certificate: {
            algorithm: 'AEAD_AES_256_GCM',
            nonce,
            associated_data: 'certificate',
            ciphertext: await aesGcmEncrypt(API_V3_KEY, nonce, 'certificate', pem),
          },
        },
      ],
    })
    const seen: Seen[] = []
    const wx = client({
      publicKeyId: undefined,
      publicKeyPem: undefined,
      fetch: fakeWeChat(
        (s) =>
          s.url.pathname === '/v3/certificates'
            ? { body: certs, serial }
            : { body: JSON.stringify(paidTransaction), serial },
        seen,
      ),
    })
    expect(await wx.query('ord_01HZX')).toMatchObject({ state: 'SUCCESS' })
    expect(await wx.query('ord_01HZX')).toMatchObject({ state: 'SUCCESS' })
    expect(seen.map((s) => s.url.pathname)).toEqual([
      '/v3/pay/transactions/out-trade-no/ord_01HZX',
      '/v3/certificates',
      '/v3/pay/transactions/out-trade-no/ord_01HZX',
    ])
    // No Wechatpay-Serial request header in certificate mode.
    expect(seen[0]!.headers.get('Wechatpay-Serial')).toBeNull()
    // Notifies signed under that certificate verify too.
    const { body } = await notify(paidTransaction, 'TRANSACTION.SUCCESS')
    const headers = new Headers(await signHeaders(body, platformPriv, serial, Math.floor(NOW / 1000)))
    expect(await wx.parseNotify(headers, body)).toMatchObject({ kind: 'payment' })
  })

  it('a failing certificate download signed by another unknown serial neither hangs nor loops', async () => {
    const seen: Seen[] = []
    const wx = client({
      publicKeyId: undefined,
      publicKeyPem: undefined,
      fetch: fakeWeChat(
        (s) =>
          s.url.pathname === '/v3/certificates'
            ? { status: 500, body: '{"code":"SYSTEM_ERROR","message":"x"}', serial: 'ABCDEF' }
            : { body: JSON.stringify(paidTransaction), serial: '5A3B' },
        seen,
      ),
    })
    const e = await providerError(wx.query('ord_01HZX'))
    expect(e.code).toBe('SIGNATURE')
    expect(e.message).toContain('no key for serial 5A3B')
    expect(seen.map((s) => s.url.pathname)).toEqual([
      '/v3/pay/transactions/out-trade-no/ord_01HZX',
      '/v3/certificates',
    ])
  })

  it('ignores certificates not encrypted with our APIv3 key', async () => {
    const pem = await selfSignedCert(new Uint8Array([0x01, 0x02]), platform.publicPem, platformPriv)
    const certs = JSON.stringify({
      data: [
        {
          serial_no: '0102',
          encrypt_certificate: {
            algorithm: 'AEAD_AES_256_GCM',
            nonce: 'certnonce012',
            associated_data: 'certificate',
            ciphertext: await aesGcmEncrypt('Y'.repeat(32), 'certnonce012', 'certificate', pem),
          },
        },
      ],
    })
    const wx = client({
      publicKeyId: undefined,
      publicKeyPem: undefined,
      fetch: fakeWeChat(() => ({ body: certs, serial: '0102' })),
    })
    expect((await providerError(wx.refreshPlatformCertificates())).code).toBe('SIGNATURE')
  })
})

// ------------------------------------------------------------------ bills

const HEADER = WECHAT_TRADE_BILL_COLUMNS.join(',')
function billLine(values: Record<string, string>): string {
  return WECHAT_TRADE_BILL_COLUMNS.map((c) => `\`${values[c] ?? ''}`).join(',')
}
const BILL = [
  HEADER,
  billLine({
    交易时间: '2025-05-20 13:30:01',
    公众账号ID: APPID,
    商户号: MCHID,
    特约商户号: '0',
    微信订单号: '4200000848202101120290526543',
    商户订单号: 'ord_01HZX',
    用户标识: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    交易类型: 'JSAPI',
    交易状态: 'SUCCESS',
    付款银行: 'OTHERS',
    货币种类: 'CNY',
    应结订单金额: '25.90',
    代金券金额: '0.00',
    微信退款单号: '0',
    商户退款单号: '0',
    退款金额: '0.00',
    充值券退款金额: '0.00',
    商品名称: '宫保鸡丁 x1, 米饭 x2',
    商户数据包: 'st_42',
    手续费: '0.16',
    费率: '0.60%',
    订单金额: '25.90',
    申请退款金额: '0.00',
  }),
  billLine({
    交易时间: '2025-05-20 23:59:59',
    微信订单号: '4200000848202101120290526544',
    商户订单号: 'ord_01HZZ',
    交易状态: 'SUCCESS',
    应结订单金额: '0.29',
    订单金额: '0.29',
    手续费: '0.00',
  }),
  billLine({
    交易时间: '2025-05-20 14:00:00',
    微信订单号: '4200000848202101120290526543',
    商户订单号: 'ord_01HZX',
    交易状态: 'REFUND',
    应结订单金额: '0.00',
    微信退款单号: '50000000382019052709732678859',
    商户退款单号: 'rfd_1',
    退款金额: '10.00',
    退款类型: 'ORIGINAL',
    退款状态: 'SUCCESS',
    手续费: '-0.06',
    订单金额: '0.00',
    申请退款金额: '10.00',
  }),
  WECHAT_TRADE_BILL_SUMMARY_COLUMNS.join(','),
  '`3,`26.19,`10.00,`0.00,`0.10,`26.19,`10.00',
  '',
].join('\r\n')

describe('trade bill', () => {
  it('parses backticks, yuan to fen exactly, China time, refunds and the summary', () => {
    const bill = parseWeChatTradeBill(`\uFEFF${BILL}`)
    expect(bill.records).toHaveLength(3)
    expect(bill.rows).toEqual([
      {
        provider: 'wechat',
        at: Date.parse('2025-05-20T13:30:01+08:00'),
        kind: 'payment',
        outTradeNo: 'ord_01HZX',
        transactionId: '4200000848202101120290526543',
        amountFen: 2590,
        feeFen: 16,
        attach: 'st_42',
      },
      {
        provider: 'wechat',
        at: Date.parse('2025-05-20T23:59:59+08:00'),
        kind: 'payment',
        outTradeNo: 'ord_01HZZ',
        transactionId: '4200000848202101120290526544',
        amountFen: 29,
        feeFen: 0,
      },
      {
        provider: 'wechat',
        at: Date.parse('2025-05-20T14:00:00+08:00'),
        kind: 'refund',
        outTradeNo: 'ord_01HZX',
        transactionId: '4200000848202101120290526543',
        amountFen: 1000,
        outRefundNo: 'rfd_1',
        refundId: '50000000382019052709732678859',
        feeFen: -6,
      },
    ])
    expect(bill.records[0]!.商品名称).toBe('宫保鸡丁 x1, 米饭 x2')
    expect(bill.summary).toMatchObject({ 总交易单数: '3', 应结订单总金额: '26.19', 退款总金额: '10.00' })
  })

  it('yuan <-> fen without floating point', () => {
    for (const [y, f] of [
      ['0.29', 29],
      ['0.57', 57],
      ['1.10', 110],
      ['1.1', 110],
      ['19.99', 1999],
      ['100', 10000],
      ['1234567.89', 123456789],
      ['-0.06', -6],
      ['0.005', 1],
      ['0.004', 0],
    ] as const)
      expect(yuanToFen(y)).toBe(f)
    expect(() => yuanToFen('1,000.00')).toThrow()
    expect(() => yuanToFen('')).toThrow()
    expect(fenToYuan(29)).toBe('0.29')
    expect(fenToYuan(123456789)).toBe('1234567.89')
    expect(fenToYuan(-6)).toBe('-0.06')
    expect(chinaTimeToEpochMs('2025-01-01 00:00:00')).toBe(Date.UTC(2024, 11, 31, 16))
  })

  it('refuses a file whose rows do not match the header', () => {
    expect(() => parseWeChatTradeBill(`${HEADER}\n\`a,\`b`)).toThrow(/line 2/)
    expect(() => parseWeChatTradeBill('foo,bar\n')).toThrow(/交易时间/)
  })

  it('downloadBill: signed apply, signed download, SHA1 checked, response unsigned', async () => {
    const bytes = utf8(BILL)
    const hash = await sha1Hex(bytes)
    const seen: Seen[] = []
    const handler =
      (good: boolean) =>
      (s: Seen): Reply =>
        s.url.pathname === '/v3/bill/tradebill'
          ? {
              body: JSON.stringify({
                hash_type: 'SHA1',
                hash_value: good ? hash : '0'.repeat(40),
                download_url: `${BASE}/v3/billdownload/file?token=tk_abc`,
              }),
            }
          : { body: bytes, sign: false }
    const wx = client({ fetch: fakeWeChat(handler(true), seen) })
    const rows = await wx.downloadBill('2025-05-20')
    expect(rows.map((r) => [r.kind, r.amountFen])).toEqual([
      ['payment', 2590],
      ['payment', 29],
      ['refund', 1000],
    ])
    expect(`${seen[0]!.url.pathname}${seen[0]!.url.search}`).toBe(
      '/v3/bill/tradebill?bill_date=2025-05-20&bill_type=ALL',
    )
    // The fake server verified the download's Authorization over /v3/billdownload/file?token=tk_abc.
    expect(`${seen[1]!.url.pathname}${seen[1]!.url.search}`).toBe('/v3/billdownload/file?token=tk_abc')
    const bad = client({ fetch: fakeWeChat(handler(false)) })
    const e = await providerError(bad.downloadBill('2025-05-20'))
    expect([e.code, e.retryable]).toEqual(['BILL_HASH_MISMATCH', true])
    expect((await providerError(wx.downloadBill('20250520'))).code).toBe('PARAM_ERROR')
  })
})

// ------------------------------------------------------------------ login, config, helpers

describe('login (code2Session)', () => {
  it('returns the openid; an invalid code is not retryable, a busy system is', async () => {
    const seen: Seen[] = []
    const wx = client({
      fetch: fakeWeChat((s) => {
        const code = s.url.searchParams.get('js_code')
        if (code === 'bad') return { body: '{"errcode":40029,"errmsg":"invalid code"}', sign: false }
        if (code === 'busy') return { body: '{"errcode":-1,"errmsg":"system error"}', sign: false }
        return { body: '{"openid":"oA1","session_key":"sk==","unionid":"uB2"}', sign: false }
      }, seen),
    })
    expect(await wx.login('good')).toEqual({ provider: 'wechat', payerId: 'oA1', unionId: 'uB2' })
    const q = seen[0]!.url
    expect(q.pathname).toBe('/sns/jscode2session')
    expect(Object.fromEntries(q.searchParams)).toEqual({
      appid: APPID,
      secret: 'app-secret',
      js_code: 'good',
      grant_type: 'authorization_code',
    })
    const bad = await providerError(wx.login('bad'))
    expect([bad.code, bad.retryable]).toEqual(['40029', false])
    expect((await providerError(wx.login('busy'))).retryable).toBe(true)
    expect((await providerError(client({ appSecret: undefined }).login('x'))).code).toBe('CONFIG')
  })
})

describe('wechatFromEnv', () => {
  const env = (over: Record<string, string | undefined>) =>
    ({
      PUBLIC_BASE_URL: 'https://shop.example',
      WECHAT_MCHID: MCHID,
      WECHAT_APPID: APPID,
      WECHAT_MCH_SERIAL: MCH_SERIAL,
      WECHAT_MCH_PRIVATE_KEY: merchant.privatePem.replace(/\n/g, '\\n'),
      WECHAT_API_V3_KEY: API_V3_KEY,
      WECHAT_PAY_PUBLIC_KEY_ID: PUB_KEY_ID,
      WECHAT_PAY_PUBLIC_KEY: platform.publicPem,
      ...over,
    }) as unknown as Env

  it('is null when WECHAT_MCHID is unset, names the missing variable when partly configured', () => {
    expect(wechatFromEnv(env({ WECHAT_MCHID: undefined }))).toBeNull()
    expect(() => wechatFromEnv(env({ WECHAT_APPID: undefined }))).toThrow(/WECHAT_APPID/)
    expect(() => wechatFromEnv(env({ WECHAT_MCH_PRIVATE_KEY: '' }))).toThrow(/WECHAT_MCH_PRIVATE_KEY/)
    expect(() => wechatFromEnv(env({ WECHAT_PAY_PUBLIC_KEY: undefined }))).toThrow(/WECHAT_PAY_PUBLIC_KEY\b/)
    expect(() => wechatFromEnv(env({ WECHAT_API_V3_KEY: 'short' }))).toThrow(/32 bytes/)
    expect(() => wechatFromEnv(env({ PUBLIC_BASE_URL: undefined }))).toThrow(/PAYMENT_NOTIFY_BASE/)
  })

  it('builds a client (escaped newlines in PEM variables are accepted)', async () => {
    const wx = wechatFromEnv(
      env({ WECHAT_API_BASE: 'http://127.0.0.1:9999/', PAYMENT_NOTIFY_BASE: 'https://n.example' }),
    )!
    expect(wx.apiBase).toBe('http://127.0.0.1:9999')
    expect(wx.oauthBase).toBe('https://api.weixin.qq.com')
    expect(wx.notifyUrl).toBe(`https://n.example${WECHAT_NOTIFY_PATH}`)
    const p = await wx.jsapiParams('wx1')
    expect(
      await rsaVerify(merchantPub, `${p.appId}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`, p.paySign),
    ).toBe(true)
  })
})

describe('helpers', () => {
  it('toChinaRfc3339 and truncateUtf8', () => {
    expect(toChinaRfc3339(Date.UTC(2024, 4, 20, 5, 29, 35, 999))).toBe('2024-05-20T13:29:35+08:00')
    expect(toChinaRfc3339(Date.UTC(2024, 11, 31, 20, 0, 0))).toBe('2025-01-01T04:00:00+08:00')
    expect(truncateUtf8('ab退款😀', 5)).toBe('ab退')
    expect(truncateUtf8('ab退款😀', 12)).toBe('ab退款😀')
    expect(truncateUtf8('ab退款😀', 11)).toBe('ab退款')
  })
})
