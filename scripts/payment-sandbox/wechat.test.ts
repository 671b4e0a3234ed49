import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  aesGcmDecrypt,
  generateRsaPem,
  importPrivateKey,
  parseCertificate,
  pemToDer,
  sha1Hex,
} from '../../workers/payments/crypto'
import { type RunningPaymentSandbox, startPaymentSandbox } from './server'
import { captureServer, type Loose, sleep, waitFor, wechatTestClient } from './testkit'

type Client = Awaited<ReturnType<typeof wechatTestClient>>

function order(sb: RunningPaymentSandbox, outTradeNo: string, extra: Record<string, unknown> = {}) {
  return {
    appid: sb.env.WECHAT_APPID,
    mchid: sb.env.WECHAT_MCHID,
    description: '宫保鸡丁 x1',
    out_trade_no: outTradeNo,
    notify_url: 'http://127.0.0.1:9/notify',
    amount: { total: 1234, currency: 'CNY' },
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    attach: 'store_1',
    ...extra,
  }
}

for (const mode of ['public_key', 'certificate'] as const) {
  describe(`WeChat Pay v3 (${mode} mode)`, () => {
    let sb: RunningPaymentSandbox
    let wx: Client

    beforeAll(async () => {
      sb = await startPaymentSandbox({ wechatMode: mode, timeScale: 0.001 })
      wx = await wechatTestClient(sb)
    })
    afterAll(() => sb.stop())

    it('signs every response with the platform key under the right serial', async () => {
      const res = await wx.request('POST', '/v3/pay/transactions/jsapi', order(sb, `sig_${mode}`))
      expect(res.status).toBe(200)
      expect(res.json().prepay_id).toMatch(/^wx\d{14}[0-9a-f]{16}0000$/)
      expect(await wx.verify(res.headers, res.text)).toBe(true)
      const serial = res.headers.get('wechatpay-serial')
      if (mode === 'public_key') expect(serial).toBe(sb.env.WECHAT_PAY_PUBLIC_KEY_ID)
      else expect(serial).toBe(parseCertificate(pemToDer(sb.env.WECHAT_PLATFORM_CERTS as string)).serialHex)
      // Errors and 204s are signed too.
      const missing = await wx.request(
        'GET',
        `/v3/pay/transactions/out-trade-no/nope_123?mchid=${sb.env.WECHAT_MCHID}`,
      )
      expect(missing.status).toBe(404)
      expect(missing.json().code).toBe('ORDER_NOT_EXIST')
      expect(await wx.verify(missing.headers, missing.text)).toBe(true)
      const closed = await wx.request('POST', `/v3/pay/transactions/out-trade-no/sig_${mode}/close`, {
        mchid: sb.env.WECHAT_MCHID,
      })
      expect(closed.status).toBe(204)
      expect(closed.text).toBe('')
      expect(await wx.verify(closed.headers, '')).toBe(true)
    })

    it('refuses requests whose signature, key, serial or timestamp is wrong (401 SIGN_ERROR)', async () => {
      const path = `/v3/pay/transactions/out-trade-no/x_000001?mchid=${sb.env.WECHAT_MCHID}`
      const stranger = await importPrivateKey((await generateRsaPem()).privatePem)
      const cases = [
        await wx.request('GET', path, undefined, { key: stranger }),
        await wx.request('GET', path, undefined, { ts: Math.floor(Date.now() / 1000) - 301 }),
        await wx.request('GET', path, undefined, {
          authorization: (await wx.authorization('GET', path, '')).replace(
            /serial_no="[^"]+"/,
            'serial_no="ABC"',
          ),
        }),
        // Signed for another URL (the query string is part of what is signed).
        await wx.request('GET', path, undefined, {
          authorization: await wx.authorization('GET', path.replace('mchid', 'x'), ''),
        }),
        await wx.request('GET', path, undefined, { authorization: 'Bearer x' }),
      ]
      for (const res of cases) {
        expect(res.status).toBe(401)
        expect(res.json().code).toBe('SIGN_ERROR')
      }
      // A body changed after signing.
      const body = JSON.stringify(order(sb, 'tamper_01'))
      const auth = await wx.authorization('POST', '/v3/pay/transactions/jsapi', body)
      const res = await fetch(`${sb.base}/v3/pay/transactions/jsapi`, {
        method: 'POST',
        headers: { Authorization: auth, 'Content-Type': 'application/json' },
        body: body.replace('1234', '1'),
      })
      expect(res.status).toBe(401)
    })

    it('creates, re-creates with a fresh prepay_id, queries, closes and refuses to close a paid trade', async () => {
      const no = `life_${mode}`
      const a = await wx.request('POST', '/v3/pay/transactions/jsapi', order(sb, no))
      const b = await wx.request('POST', '/v3/pay/transactions/jsapi', order(sb, no))
      expect(a.json().prepay_id).not.toBe(b.json().prepay_id)
      const changed = await wx.request(
        'POST',
        '/v3/pay/transactions/jsapi',
        order(sb, no, { amount: { total: 1 } }),
      )
      expect(changed.json().code).toBe('OUT_TRADE_NO_USED')
      const bad = await wx.request('POST', '/v3/pay/transactions/jsapi', order(sb, no, { payer: {} }))
      expect([bad.status, bad.json().code]).toEqual([400, 'PARAM_ERROR'])
      const withQuery = await wx.request(
        'POST',
        '/v3/pay/transactions/jsapi',
        order(sb, `${no}_q`, { notify_url: 'http://127.0.0.1:9/n?x=1' }),
      )
      expect(withQuery.json().code).toBe('PARAM_ERROR')

      await sb.sandbox.pay({ provider: 'wechat', outTradeNo: no })
      const q = await wx.request(
        'GET',
        `/v3/pay/transactions/out-trade-no/${no}?mchid=${sb.env.WECHAT_MCHID}`,
      )
      const t = q.json()
      expect(t.trade_state).toBe('SUCCESS')
      expect(t.transaction_id).toMatch(/^4200\d{24}$/)
      expect(t.amount).toMatchObject({ total: 1234, payer_total: 1234, currency: 'CNY' })
      expect(t.attach).toBe('store_1')
      expect(t.success_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/)
      const byId = await wx.request(
        'GET',
        `/v3/pay/transactions/id/${t.transaction_id}?mchid=${sb.env.WECHAT_MCHID}`,
      )
      expect(byId.json().out_trade_no).toBe(no)
      const close = await wx.request('POST', `/v3/pay/transactions/out-trade-no/${no}/close`, {
        mchid: sb.env.WECHAT_MCHID,
      })
      expect([close.status, close.json().code]).toEqual([400, 'ORDERPAID'])
      const again = await wx.request('POST', '/v3/pay/transactions/jsapi', order(sb, no))
      expect(again.json().code).toBe('ORDERPAID')
    })

    it('honours time_expire, and pays a closed trade only when forced (late payment)', async () => {
      const no = `exp_${mode}`
      // 1 minute floor x timeScale 0.001 = 60 ms.
      const past = new Date(Date.now() - 3600_000).toISOString().replace('Z', '+00:00')
      await wx.request('POST', '/v3/pay/transactions/jsapi', order(sb, no, { time_expire: past }))
      await sleep(80)
      await expect(sb.sandbox.pay({ provider: 'wechat', outTradeNo: no })).rejects.toMatchObject({
        code: 'ORDER_CLOSED',
      })
      const closed = `late_${mode}`
      await wx.request('POST', '/v3/pay/transactions/jsapi', order(sb, closed))
      await wx.request('POST', `/v3/pay/transactions/out-trade-no/${closed}/close`, {
        mchid: sb.env.WECHAT_MCHID,
      })
      const res = await fetch(`${sb.base}/__sandbox/pay`, {
        method: 'POST',
        body: JSON.stringify({ provider: 'wechat', outTradeNo: closed }),
      })
      expect(res.status).toBe(409)
      const forced = await fetch(`${sb.base}/__sandbox/pay`, {
        method: 'POST',
        body: JSON.stringify({ provider: 'wechat', outTradeNo: closed, force: true }),
      })
      expect(forced.status).toBe(200)
      const q = await wx.request(
        'GET',
        `/v3/pay/transactions/out-trade-no/${closed}?mchid=${sb.env.WECHAT_MCHID}`,
      )
      expect(q.json().trade_state).toBe('SUCCESS')
    })

    it('refunds idempotently by out_refund_no, refuses more than was paid, and notifies REFUND.SUCCESS', async () => {
      const cap = await captureServer()
      try {
        const no = `rf_${mode}`
        await wx.request('POST', '/v3/pay/transactions/jsapi', order(sb, no))
        const paid = await sb.sandbox.pay({ provider: 'wechat', outTradeNo: no })
        const refund = (outRefundNo: string, refund: number) =>
          wx.request('POST', '/v3/refund/domestic/refunds', {
            out_trade_no: no,
            out_refund_no: outRefundNo,
            reason: '菜品售罄',
            notify_url: `${cap.base}/refund-notify`,
            amount: { refund, total: 1234, currency: 'CNY' },
          })
        const first = await refund('rfd_1', 1000)
        expect(first.status).toBe(200)
        expect(first.json()).toMatchObject({
          status: 'PROCESSING',
          out_refund_no: 'rfd_1',
          transaction_id: paid.transactionId,
        })
        expect(await wx.verify(first.headers, first.text)).toBe(true)
        const retry = await refund('rfd_1', 1000)
        expect(retry.json().refund_id).toBe(first.json().refund_id)
        expect((await refund('rfd_1', 999)).json().code).toBe('INVALID_REQUEST')
        const over = await refund('rfd_2', 235)
        expect([over.status, over.json().code]).toEqual([400, 'INVALID_REQUEST'])
        const tooMuch = await refund('rfd_3', 5000)
        expect(tooMuch.json().code).toBe('PARAM_ERROR')
        expect(sb.sandbox.refunds().filter((r) => r.outTradeNo === no)).toHaveLength(1)

        const req = await waitFor(() => cap.requests[0], 3000, 'refund notify')
        expect(await wx.verify(req.headers, req.body)).toBe(true)
        const envelope = JSON.parse(req.body)
        expect(envelope.event_type).toBe('REFUND.SUCCESS')
        const r = envelope.resource
        const plain = JSON.parse(
          await aesGcmDecrypt(sb.env.WECHAT_API_V3_KEY as string, r.nonce, r.associated_data, r.ciphertext),
        )
        expect(plain).toMatchObject({
          out_refund_no: 'rfd_1',
          refund_status: 'SUCCESS',
          amount: { refund: 1000, total: 1234 },
        })
        const q = await wx.request('GET', '/v3/refund/domestic/refunds/rfd_1')
        expect(q.json().status).toBe('SUCCESS')
        const trade = await wx.request(
          'GET',
          `/v3/pay/transactions/out-trade-no/${no}?mchid=${sb.env.WECHAT_MCHID}`,
        )
        expect(trade.json().trade_state).toBe('REFUND')
        expect((await wx.request('GET', '/v3/refund/domestic/refunds/none')).json().code).toBe(
          'RESOURCE_NOT_EXISTS',
        )
      } finally {
        await cap.close()
      }
    })

    it('h5: the cashier page pays and redirects to redirect_url (form POST, no JS)', async () => {
      const no = `h5_${mode}`
      const res = await wx.request('POST', '/v3/pay/transactions/h5', {
        ...order(sb, no),
        payer: undefined,
        scene_info: { payer_client_ip: '203.0.113.9', h5_info: { type: 'Wap' } },
      })
      const h5 = res.json().h5_url as string
      expect(h5.startsWith(`${sb.base}/cashier/wechat/wx`)).toBe(true)
      // As WeChat's docs tell merchants: append &redirect_url=<urlencoded>.
      const page = await fetch(`${h5}&redirect_url=${encodeURIComponent('http://shop.test/paid?o=1')}`)
      const html = await page.text()
      expect(html).toContain('data-testid="sandbox-pay"')
      expect(html).toContain('data-testid="sandbox-cancel"')
      expect(html).toContain('¥12.34')
      const action = /<form method="post" action="([^"]+\/pay)">/.exec(html)?.[1] as string
      const redirect = /name="redirect_url" value="([^"]+)"/
        .exec(html)?.[1]
        ?.replaceAll('&amp;', '&') as string
      const paid = await fetch(`${sb.base}${action}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ redirect_url: redirect }),
      })
      expect(paid.status).toBe(303)
      expect(paid.headers.get('location')).toBe('http://shop.test/paid?o=1')
      const q = await wx.request(
        'GET',
        `/v3/pay/transactions/out-trade-no/${no}?mchid=${sb.env.WECHAT_MCHID}`,
      )
      expect(q.json()).toMatchObject({ trade_state: 'SUCCESS', trade_type: 'MWEB' })
    })

    it('serves the trade bill: backticked CSV in yuan with a summary, SHA1 of the file, optional GZIP', async () => {
      const no = `bill_${mode}`
      await wx.request('POST', '/v3/pay/transactions/jsapi', order(sb, no))
      await sb.sandbox.pay({ provider: 'wechat', outTradeNo: no })
      await wx.request('POST', '/v3/refund/domestic/refunds', {
        out_trade_no: no,
        out_refund_no: `${no}_r`,
        amount: { refund: 234, total: 1234, currency: 'CNY' },
      })
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
      const meta = await wx.request('GET', `/v3/bill/tradebill?bill_date=${today}&bill_type=ALL`)
      expect(meta.json().hash_type).toBe('SHA1')
      expect(await wx.verify(meta.headers, meta.text)).toBe(true)
      const url = new URL(meta.json().download_url)
      const file = await wx.request('GET', `${url.pathname}${url.search}`)
      expect(file.status).toBe(200)
      expect(file.headers.get('wechatpay-signature')).toBeNull() // bill files are not signed
      expect(await sha1Hex(file.text)).toBe(meta.json().hash_value)
      const lines = file.text.trim().split('\r\n')
      const header = (lines[0] as string).split(',')
      expect(header.slice(0, 3)).toEqual(['交易时间', '公众账号ID', '商户号'])
      const rows = lines.slice(1, -2).map((l) => {
        const cells = l.split(',')
        expect(cells.every((c) => c.startsWith('`'))).toBe(true)
        return Object.fromEntries(header.map((h, i) => [h, (cells[i] ?? '').slice(1)]))
      })
      const pay = rows.find((r) => r.商户订单号 === no && r.交易状态 === 'SUCCESS')
      const ref = rows.find((r) => r.商户订单号 === no && r.交易状态 === 'REFUND')
      expect(pay).toMatchObject({ 应结订单金额: '12.34', 商户数据包: 'store_1', 交易类型: 'JSAPI' })
      expect(ref).toMatchObject({ 退款金额: '2.34', 商户退款单号: `${no}_r` })
      expect(lines.at(-2)?.startsWith('总交易单数,应结订单总金额,退款总金额')).toBe(true)
      expect(lines.at(-1)?.startsWith(`\`${rows.length},`)).toBe(true)

      const gz = await wx.request('GET', `/v3/bill/tradebill?bill_date=${today}&bill_type=ALL&tar_type=GZIP`)
      const gzUrl = new URL(gz.json().download_url)
      const raw = await fetch(gzUrl, {
        headers: { Authorization: await wx.authorization('GET', `${gzUrl.pathname}${gzUrl.search}`, '') },
      })
      const unzipped = gunzipSync(Buffer.from(await raw.arrayBuffer()))
      expect(await sha1Hex(new Uint8Array(unzipped))).toBe(gz.json().hash_value)
    })

    it('code2Session maps a code to a deterministic openid', async () => {
      const call = (code: string, secret = sb.env.WECHAT_APP_SECRET as string) =>
        fetch(
          `${sb.base}/sns/jscode2session?${new URLSearchParams({ appid: sb.env.WECHAT_APPID as string, secret, js_code: code, grant_type: 'authorization_code' })}`,
        ).then((r) => r.json() as Promise<Loose>)
      const a = await call('081abcDEF')
      expect(a.openid).toMatch(/^o[\w-]{27}$/)
      expect(a.session_key).toMatch(/^[A-Za-z0-9+/]{22}==$/)
      expect((await call('081abcDEF')).openid).toBe(a.openid)
      expect((await call('081other')).openid).not.toBe(a.openid)
      expect((await call('invalid-code')).errcode).toBe(40029)
      expect((await call('081abcDEF', 'wrong')).errcode).toBe(40125)
    })

    if (mode === 'certificate') {
      it('/v3/certificates returns the platform certificate encrypted with the APIv3 key', async () => {
        const res = await wx.request('GET', '/v3/certificates')
        expect(await wx.verify(res.headers, res.text)).toBe(true)
        const [c] = res.json().data as {
          serial_no: string
          encrypt_certificate: { nonce: string; associated_data: string; ciphertext: string }
        }[]
        const e = c?.encrypt_certificate as NonNullable<typeof c>['encrypt_certificate']
        const pem = await aesGcmDecrypt(
          sb.env.WECHAT_API_V3_KEY as string,
          e.nonce,
          e.associated_data,
          e.ciphertext,
        )
        expect(pem).toBe(sb.env.WECHAT_PLATFORM_CERTS)
        expect(c?.serial_no).toBe(parseCertificate(pemToDer(pem)).serialHex)
      })
    }
  })
}
