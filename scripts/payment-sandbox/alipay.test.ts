import iconv from 'iconv-lite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateRsaPem, importPrivateKey } from '../../workers/payments/crypto'
import { readZip } from './bills'
import { type RunningPaymentSandbox, startPaymentSandbox } from './server'
import { alipayTestClient, sleep } from './testkit'

type Client = Awaited<ReturnType<typeof alipayTestClient>>

describe('Alipay gateway', () => {
  let sb: RunningPaymentSandbox
  let ali: Client
  const create = (no: string, extra: Record<string, unknown> = {}) =>
    ali.call(
      'alipay.trade.create',
      {
        out_trade_no: no,
        total_amount: '12.34',
        subject: '宫保鸡丁 x1',
        product_code: 'JSAPI_PAY',
        buyer_open_id: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5',
        passback_params: encodeURIComponent('store=store_1'),
        ...extra,
      },
      { notify_url: 'http://127.0.0.1:9/notify' },
    )

  beforeAll(async () => {
    sb = await startPaymentSandbox({ timeScale: 0.001 })
    ali = await alipayTestClient(sb)
  })
  afterAll(() => sb.stop())

  it('refuses a bad signature with 40002 isv.invalid-signature (and a wrong app id, a UTC timestamp)', async () => {
    const stranger = await importPrivateKey((await generateRsaPem()).privatePem)
    const bad = await ali.call('alipay.trade.query', { out_trade_no: 'x' }, {}, stranger)
    expect(bad.responseKey).toBe('error_response')
    expect(bad.body).toMatchObject({ code: '40002', sub_code: 'isv.invalid-signature' })
    expect(bad.verified).toBe(true)
    const appId = await ali.call('alipay.trade.query', { out_trade_no: 'x' }, { app_id: '2021000000000000' })
    expect(appId.body.sub_code).toBe('isv.invalid-app-id')
    const utc = new Date().toISOString().slice(0, 19).replace('T', ' ')
    const ts = await ali.call('alipay.trade.query', { out_trade_no: 'x' }, { timestamp: utc })
    expect(ts.body.sub_code).toBe('isv.invalid-timestamp')
    // Params changed after signing.
    const params = await ali.signed('alipay.trade.query', { out_trade_no: 'x' })
    const res = await fetch(`${sb.base}/gateway.do`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...params, biz_content: '{"out_trade_no":"y"}' }),
    })
    expect(await res.text()).toContain('isv.invalid-signature')
  })

  it('create / query / close, signed over the exact response substring', async () => {
    const created = await create('ali_life_1')
    expect(created.verified).toBe(true)
    expect(created.body).toMatchObject({ code: '10000', msg: 'Success', out_trade_no: 'ali_life_1' })
    expect(created.body.trade_no).toMatch(/^20\d{26}$/)
    expect((await create('ali_life_1')).body.trade_no).toBe(created.body.trade_no)
    expect((await create('ali_life_1', { total_amount: '1.00' })).body.sub_code).toBe(
      'ACQ.CONTEXT_INCONSISTENT',
    )
    const q = await ali.call('alipay.trade.query', { out_trade_no: 'ali_life_1' })
    expect(q.verified).toBe(true)
    expect(q.body).toMatchObject({ trade_status: 'WAIT_BUYER_PAY', total_amount: '12.34' })
    const closed = await ali.call('alipay.trade.close', { trade_no: created.body.trade_no })
    expect(closed.body.code).toBe('10000')
    expect((await ali.call('alipay.trade.query', { out_trade_no: 'ali_life_1' })).body.trade_status).toBe(
      'TRADE_CLOSED',
    )
    expect((await ali.call('alipay.trade.close', { out_trade_no: 'ali_life_1' })).body.sub_code).toBe(
      'ACQ.TRADE_STATUS_ERROR',
    )
    const none = await ali.call('alipay.trade.query', { out_trade_no: 'nope' })
    expect(none.body).toMatchObject({
      code: '40004',
      msg: 'Business Failed',
      sub_code: 'ACQ.TRADE_NOT_EXIST',
    })
    expect(none.verified).toBe(true)

    await create('ali_life_2')
    await sb.sandbox.pay({ provider: 'alipay', outTradeNo: 'ali_life_2' })
    const paid = await ali.call('alipay.trade.query', { out_trade_no: 'ali_life_2' })
    expect(paid.body).toMatchObject({
      trade_status: 'TRADE_SUCCESS',
      buyer_pay_amount: '12.34',
      buyer_open_id: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5',
    })
    expect(paid.body.send_pay_date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    expect((await ali.call('alipay.trade.close', { out_trade_no: 'ali_life_2' })).body.sub_code).toBe(
      'ACQ.TRADE_STATUS_ERROR',
    )
    expect((await create('ali_life_2')).body.sub_code).toBe('ACQ.TRADE_HAS_SUCCESS')
  })

  it('an unpaid trade closes itself at time_expire', async () => {
    const past = new Date(Date.now() + 8 * 3600_000 - 3600_000).toISOString().slice(0, 19).replace('T', ' ')
    await create('ali_exp', { time_expire: past })
    await sleep(80) // the 1 minute floor x 0.001
    expect((await ali.call('alipay.trade.query', { out_trade_no: 'ali_exp' })).body.trade_status).toBe(
      'TRADE_CLOSED',
    )
    await expect(sb.sandbox.pay({ provider: 'alipay', outTradeNo: 'ali_exp' })).rejects.toMatchObject({
      code: 'ORDER_CLOSED',
    })
    await sb.sandbox.pay({ provider: 'alipay', outTradeNo: 'ali_exp', force: true })
    expect((await ali.call('alipay.trade.query', { out_trade_no: 'ali_exp' })).body.trade_status).toBe(
      'TRADE_SUCCESS',
    )
  })

  it('wap pay: no trade before the cashier opens; the cashier pays and returns with signed params', async () => {
    const params = await ali.signed(
      'alipay.trade.wap.pay',
      {
        out_trade_no: 'ali_wap_1',
        total_amount: '8.80',
        subject: '奶茶',
        product_code: 'QUICK_WAP_WAY',
        quit_url: 'http://shop.test/quit',
      },
      { notify_url: 'http://127.0.0.1:9/notify', return_url: 'http://shop.test/return' },
    )
    expect((await ali.call('alipay.trade.query', { out_trade_no: 'ali_wap_1' })).body.sub_code).toBe(
      'ACQ.TRADE_NOT_EXIST',
    )
    const page = await fetch(`${sb.base}/gateway.do?${new URLSearchParams(params)}`)
    const html = await page.text()
    expect(page.status).toBe(200)
    expect(html).toContain('¥8.80')
    expect(html).toContain('data-testid="sandbox-pay"')
    expect((await ali.call('alipay.trade.query', { out_trade_no: 'ali_wap_1' })).body.trade_status).toBe(
      'WAIT_BUYER_PAY',
    )
    const action = /<form method="post" action="([^"]+\/pay)">/.exec(html)?.[1] as string
    const paid = await fetch(`${sb.base}${action}`, { method: 'POST', redirect: 'manual' })
    expect(paid.status).toBe(303)
    const back = new URL(paid.headers.get('location') as string)
    expect(back.origin + back.pathname).toBe('http://shop.test/return')
    const q = Object.fromEntries(back.searchParams)
    expect(q).toMatchObject({
      method: 'alipay.trade.wap.pay.return',
      out_trade_no: 'ali_wap_1',
      total_amount: '8.80',
    })
    expect(await ali.verifyParams(q)).toBe(true)
    // A forged cashier request (bad signature) shows an error, creates nothing.
    const forged = await fetch(`${sb.base}/gateway.do?${new URLSearchParams({ ...params, sign: 'AAAA' })}`)
    expect(forged.status).toBe(400)
  })

  it('refunds synchronously, idempotently by out_request_no, never beyond the paid total', async () => {
    await create('ali_rf')
    await sb.sandbox.pay({ provider: 'alipay', outTradeNo: 'ali_rf' })
    const refund = (no: string, amount: string) =>
      ali.call('alipay.trade.refund', {
        out_trade_no: 'ali_rf',
        refund_amount: amount,
        out_request_no: no,
        refund_reason: '退菜',
      })
    const first = await refund('r1', '10.00')
    expect(first.verified).toBe(true)
    expect(first.body).toMatchObject({ code: '10000', fund_change: 'Y', refund_fee: '10.00' })
    const again = await refund('r1', '10.00')
    expect(again.body).toMatchObject({ code: '10000', fund_change: 'N', refund_fee: '10.00' })
    expect((await refund('r1', '1.00')).body.sub_code).toBe('ACQ.DISCORDANT_REPEAT_REQUEST')
    expect((await refund('r2', '2.35')).body.sub_code).toBe('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL')
    const q = await ali.call('alipay.trade.fastpay.refund.query', {
      out_trade_no: 'ali_rf',
      out_request_no: 'r1',
      query_options: ['gmt_refund_pay'],
    })
    expect(q.body).toMatchObject({
      refund_amount: '10.00',
      refund_status: 'REFUND_SUCCESS',
      total_amount: '12.34',
    })
    expect(q.body.gmt_refund_pay).toBeDefined()
    const none = await ali.call('alipay.trade.fastpay.refund.query', {
      out_trade_no: 'ali_rf',
      out_request_no: 'r9',
    })
    expect(none.body.code).toBe('10000')
    expect(none.body.refund_amount).toBeUndefined()
    expect((await refund('r3', '2.34')).body.refund_fee).toBe('12.34')
    expect((await ali.call('alipay.trade.query', { out_trade_no: 'ali_rf' })).body.trade_status).toBe(
      'TRADE_CLOSED',
    )
    await create('ali_unpaid')
    expect(
      (await ali.call('alipay.trade.refund', { out_trade_no: 'ali_unpaid', refund_amount: '1.00' })).body
        .sub_code,
    ).toBe('ACQ.TRADE_STATUS_ERROR')
  })

  it('serves the trade bill as a csv.zip of GBK CSV files', async () => {
    await create('ali_bill')
    await sb.sandbox.pay({ provider: 'alipay', outTradeNo: 'ali_bill' })
    await ali.call('alipay.trade.refund', {
      out_trade_no: 'ali_bill',
      refund_amount: '2.34',
      out_request_no: 'b1',
    })
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
    const res = await ali.call('alipay.data.dataservice.bill.downloadurl.query', {
      bill_type: 'trade',
      bill_date: today,
    })
    expect(res.verified).toBe(true)
    const zip = new Uint8Array(await (await fetch(res.body.bill_download_url as string)).arrayBuffer())
    const entries = readZip(zip)
    expect(entries).toHaveLength(2)
    expect(entries.every((e) => !e.utf8Name)).toBe(true)
    const names = entries.map((e) => iconv.decode(Buffer.from(e.name), 'gbk'))
    expect(names[0]).toMatch(new RegExp(`^${sb.env.ALIPAY_SELLER_ID}0156_\\d{8}_业务明细\\.csv$`))
    expect(names[1]).toMatch(/_业务明细\(汇总\)\.csv$/)
    const text = iconv.decode(Buffer.from(entries[0]?.data as Uint8Array), 'gbk')
    const lines = text.split('\r\n')
    const headerAt = lines.findIndex((l) => l.startsWith('支付宝交易号,'))
    const header = (lines[headerAt] as string).split(',')
    expect(header).toContain('订单金额（元）')
    const rows = lines
      .slice(headerAt + 1)
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => Object.fromEntries(header.map((h, i) => [h, (l.split(',')[i] ?? '').trim()])))
    expect(rows.find((r) => r.商户订单号 === 'ali_bill' && r.业务类型 === '交易')).toMatchObject({
      '订单金额（元）': '12.34',
    })
    expect(rows.find((r) => r.商户订单号 === 'ali_bill' && r.业务类型 === '退款')).toMatchObject({
      '商家实收（元）': '-2.34',
      '退款批次号/请求号': 'b1',
    })
    expect(lines.some((l) => l.startsWith('#交易合计：'))).toBe(true)
    const future = await ali.call('alipay.data.dataservice.bill.downloadurl.query', {
      bill_type: 'trade',
      bill_date: '2099-01-01',
    })
    expect(future.body.sub_code).toBe('isp.bill_not_exist')
  })

  it('oauth.token maps a code to deterministic user_id / open_id; a bad code is isv.code-invalid', async () => {
    const a = await ali.call('alipay.system.oauth.token', undefined, {
      grant_type: 'authorization_code',
      code: 'auth_1',
    })
    expect(a.verified).toBe(true)
    expect(a.body.user_id).toMatch(/^2088\d{12}$/)
    expect(a.body.open_id).toMatch(/^0[A-Za-z0-9]{46}$/)
    const b = await ali.call('alipay.system.oauth.token', undefined, {
      grant_type: 'authorization_code',
      code: 'auth_1',
    })
    expect(b.body.open_id).toBe(a.body.open_id)
    const bad = await ali.call('alipay.system.oauth.token', undefined, {
      grant_type: 'authorization_code',
      code: 'invalid_x',
    })
    expect(bad.responseKey).toBe('error_response')
    expect(bad.body.sub_code).toBe('isv.code-invalid')
  })
})
