// Alipay's OpenAPI gateway (https://openapi.alipay.com/gateway.do), RSA2. Requests are verified with the
// app public key over every parameter except `sign` with a non-empty value, sorted by key, `k=v` joined by
// `&`, raw values (sign_type included, as the SDKs send it). Responses are
// `{"<method_with_underscores>_response":{...},"sign":"..."}`, signed with Alipay's private key over the
// exact substring of the response object; gateway-level failures come back as `error_response`.

import { randomNonce, rsaSign, rsaVerify } from '../../workers/payments/crypto'
import { alipayBillZip } from './bills'
import { cashierPage, resultPage } from './cashier'
import type { NotifyJob } from './notifier'
import type { PaymentSandbox } from './sandbox'
import {
  alipayNotifyId,
  alipayTradeNo,
  alipayTradeStatus,
  cnDateCompact,
  cnDateTime,
  cnDayStart,
  parseCnDateTime,
  parseYuanStrict,
  type SandboxRefund,
  type SandboxTrade,
  stableDigits,
  stableId,
  yuan,
} from './state'

/** Alipay refuses requests whose timestamp is far from its clock (isv.invalid-timestamp). */
const MAX_SKEW_MS = 15 * 60_000
/** bill_download_url is valid for 30 seconds. */
const BILL_URL_TTL_MS = 30_000
const OUT_TRADE_NO = /^[0-9A-Za-z_]{1,64}$/

type Params = Record<string, string>
type Json = Record<string, unknown>

/** The string Alipay signs: non-empty params except the excluded keys, sorted, raw `k=v` joined by `&`. */
export function alipaySignContent(params: Params, exclude: readonly string[] = ['sign']): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&')
}

// ---------- responses ----------

async function signedReply(sb: PaymentSandbox, key: string, payload: Json): Promise<Response> {
  const inner = JSON.stringify(payload)
  const { alipayPrivate } = await sb.cryptoKeys()
  const sign = await rsaSign(alipayPrivate, inner)
  return new Response(`{"${key}":${inner},"sign":"${sign}"}`, {
    status: 200,
    headers: { 'Content-Type': 'text/html;charset=utf-8' },
  })
}

const responseKey = (method: string) => `${method.replaceAll('.', '_')}_response`
const ok = (sb: PaymentSandbox, method: string, body: Json) =>
  signedReply(sb, responseKey(method), { code: '10000', msg: 'Success', ...body })
const bizFail = (sb: PaymentSandbox, method: string, subCode: string, subMsg: string, extra: Json = {}) =>
  signedReply(sb, responseKey(method), {
    code: '40004',
    msg: 'Business Failed',
    sub_code: subCode,
    sub_msg: subMsg,
    ...extra,
  })
/** Gateway-level refusals (missing/invalid arguments, signature, app id). */
const gatewayFail = (sb: PaymentSandbox, code: '40001' | '40002', subCode: string, subMsg: string) =>
  signedReply(sb, 'error_response', {
    code,
    msg: code === '40001' ? 'Missing Required Arguments' : 'Invalid Arguments',
    sub_code: subCode,
    sub_msg: subMsg,
  })

// ---------- request parsing and verification ----------

/** Query string and form body together, as the SDK splits them (common params in the URL, biz_content in the body). */
export async function gatewayParams(req: Request, url: URL): Promise<Params> {
  const params: Params = {}
  for (const [k, v] of url.searchParams) params[k] = v
  const type = req.headers.get('content-type') ?? ''
  if (req.method === 'POST' && type.includes('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(await req.text())) if (!(k in params)) params[k] = v
  }
  return params
}

/** Undefined when authentic; otherwise why not, as [code, sub_code, sub_msg]. */
async function verify(
  sb: PaymentSandbox,
  p: Params,
): Promise<['40001' | '40002', string, string] | undefined> {
  if (!p.app_id) return ['40001', 'isv.missing-app-id', '缺少AppID参数']
  if (p.app_id !== sb.config.alipay.appId) return ['40002', 'isv.invalid-app-id', '无效的AppID参数']
  if (!p.method) return ['40001', 'isv.missing-method', '缺少方法名参数']
  if (!p.sign_type) return ['40001', 'isv.missing-signature-type', '缺少签名类型参数']
  if (p.sign_type !== 'RSA2') return ['40002', 'isv.invalid-signature-type', '无效的签名类型参数']
  if (!p.sign) return ['40001', 'isv.missing-signature', '缺少签名参数']
  if (!p.timestamp) return ['40001', 'isv.missing-timestamp', '缺少时间戳参数']
  const ts = parseCnDateTime(p.timestamp)
  if (ts === undefined || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(p.timestamp))
    return ['40002', 'isv.invalid-timestamp', '非法的时间戳参数 (yyyy-MM-dd HH:mm:ss, 北京时间)']
  if (Math.abs(ts - sb.now()) > MAX_SKEW_MS)
    return ['40002', 'isv.invalid-timestamp', '时间戳与支付宝服务器时间相差过大']
  if (p.version && p.version !== '1.0') return ['40002', 'isv.invalid-version', '无效的版本号']
  if (p.charset && p.charset.toLowerCase() !== 'utf-8')
    return ['40002', 'isv.invalid-charset', '沙箱只支持 utf-8']
  const content = alipaySignContent(p)
  const { appPublic } = await sb.cryptoKeys()
  if (!(await rsaVerify(appPublic, content, p.sign)))
    return [
      '40002',
      'isv.invalid-signature',
      `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${content}`,
    ]
  return undefined
}

function bizContent(p: Params): Json | undefined {
  if (!p.biz_content) return {}
  try {
    const v = JSON.parse(p.biz_content)
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined
  } catch {
    return undefined
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

// ---------- routing ----------

export async function handleGateway(sb: PaymentSandbox, req: Request, url: URL): Promise<Response> {
  const p = await gatewayParams(req, url)
  const denied = await verify(sb, p)
  if (p.method === 'alipay.trade.wap.pay') {
    if (denied) return html(resultPage('支付宝（沙箱）', `请求无效：${denied[1]} ${denied[2]}`), 400)
    return wapPay(sb, p)
  }
  if (denied) return gatewayFail(sb, denied[0], denied[1], denied[2])
  const method = p.method as string
  const biz = bizContent(p)
  if (!biz)
    return signedReply(sb, responseKey(method), {
      code: '40002',
      msg: 'Invalid Arguments',
      sub_code: 'isv.invalid-parameter',
      sub_msg: 'biz_content 不是 JSON 对象',
    })
  switch (method) {
    case 'alipay.trade.create':
      return tradeCreate(sb, p, biz)
    case 'alipay.trade.query':
      return tradeQuery(sb, biz)
    case 'alipay.trade.close':
      return tradeClose(sb, biz)
    case 'alipay.trade.refund':
      return tradeRefund(sb, biz)
    case 'alipay.trade.fastpay.refund.query':
      return refundQuery(sb, biz)
    case 'alipay.data.dataservice.bill.downloadurl.query':
      return billUrl(sb, biz)
    case 'alipay.system.oauth.token':
      return oauthToken(sb, p, biz)
    default:
      return gatewayFail(sb, '40002', 'isv.invalid-method', `不存在的方法名 ${method}`)
  }
}

const html = (body: string, status = 200) =>
  new Response(body, { status, headers: { 'Content-Type': 'text/html; charset=utf-8' } })

function findTrade(sb: PaymentSandbox, biz: Json): SandboxTrade | undefined {
  const tradeNo = str(biz.trade_no)
  if (tradeNo) return sb.tradeByTransactionId('alipay', tradeNo)
  const out = str(biz.out_trade_no)
  return out ? sb.getTrade('alipay', out) : undefined
}

/** time_expire ("yyyy-MM-dd HH:mm[:ss]", China time) or timeout_express ("90m", "2h", "1d"). */
function deadline(sb: PaymentSandbox, biz: Json): number | undefined | 'invalid' {
  const now = sb.now()
  const abs = str(biz.time_expire)
  if (abs) {
    const at = parseCnDateTime(abs)
    return at === undefined ? 'invalid' : Math.max(at, now + sb.expiryFloorMs())
  }
  const rel = str(biz.timeout_express)
  if (rel) {
    const m = /^(\d+)([mhd])$/.exec(rel)
    if (!m) return 'invalid'
    const unit = m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3600_000 : 86400_000
    return now + Number(m[1]) * unit * sb.timeScale
  }
  return undefined
}

type NewTrade = { trade: SandboxTrade } | { error: Promise<Response> }

/** Shared by alipay.trade.create (mini) and alipay.trade.wap.pay (the cashier opening). */
function openTrade(
  sb: PaymentSandbox,
  method: string,
  p: Params,
  biz: Json,
  channel: 'mini' | 'wap',
): NewTrade {
  const outTradeNo = str(biz.out_trade_no)
  if (!outTradeNo || !OUT_TRADE_NO.test(outTradeNo))
    return { error: bizFail(sb, method, 'ACQ.INVALID_PARAMETER', '参数无效: out_trade_no') }
  const totalFen = parseYuanStrict(biz.total_amount)
  if (totalFen === undefined || totalFen < 1 || totalFen > 10_000_000_000)
    return {
      error: bizFail(
        sb,
        method,
        'ACQ.INVALID_PARAMETER',
        '参数无效: total_amount (元, 两位小数, 0.01-100000000)',
      ),
    }
  const subject = str(biz.subject)
  if (!subject || subject.length > 256)
    return { error: bizFail(sb, method, 'ACQ.INVALID_PARAMETER', '参数无效: subject') }
  const buyer = str(biz.buyer_open_id) ?? str(biz.buyer_id)
  if (channel === 'mini' && !buyer)
    return {
      error: bizFail(sb, method, 'ACQ.INVALID_PARAMETER', '参数无效: buyer_open_id 与 buyer_id 不能同时为空'),
    }
  const expiresAt = deadline(sb, biz)
  if (expiresAt === 'invalid')
    return { error: bizFail(sb, method, 'ACQ.INVALID_PARAMETER', '参数无效: time_expire / timeout_express') }
  const attach = str(biz.passback_params)
  const fingerprint = JSON.stringify([
    channel,
    totalFen,
    subject,
    buyer ?? '',
    attach ?? '',
    biz.time_expire ?? '',
  ])
  const now = sb.now()
  const existing = sb.getTrade('alipay', outTradeNo)
  if (existing) {
    if (existing.status === 'PAID')
      return { error: bizFail(sb, method, 'ACQ.TRADE_HAS_SUCCESS', '交易已被支付') }
    if (alipayTradeStatus(existing, now) === 'TRADE_CLOSED')
      return { error: bizFail(sb, method, 'ACQ.TRADE_HAS_CLOSE', '交易已经关闭') }
    if (existing.fingerprint !== fingerprint)
      return { error: bizFail(sb, method, 'ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改') }
    return { trade: existing }
  }
  const trade: SandboxTrade = {
    provider: 'alipay',
    channel,
    outTradeNo,
    transactionId: alipayTradeNo(now),
    orderFen: totalFen,
    amountFen: totalFen,
    description: subject,
    ...(attach ? { attach } : {}),
    ...(str(biz.body) ? { body: str(biz.body) } : {}),
    ...(p.notify_url ? { notifyUrl: p.notify_url } : {}),
    ...(p.return_url ? { returnUrl: p.return_url } : {}),
    ...(str(biz.quit_url) ? { quitUrl: str(biz.quit_url) } : {}),
    ...(buyer ? { payerId: buyer } : {}),
    status: 'PENDING',
    createdAt: now,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    refundedFen: 0,
    prepayIds: [],
    fingerprint,
  }
  sb.putTrade(trade)
  return { trade }
}

// ---------- methods ----------

async function tradeCreate(sb: PaymentSandbox, p: Params, biz: Json): Promise<Response> {
  const r = openTrade(sb, 'alipay.trade.create', p, biz, 'mini')
  if ('error' in r) return r.error
  return ok(sb, 'alipay.trade.create', { out_trade_no: r.trade.outTradeNo, trade_no: r.trade.transactionId })
}

/** The browser arrives with the signed request: the trade comes to exist now, and the cashier opens. */
function wapPay(sb: PaymentSandbox, p: Params): Response | Promise<Response> {
  const biz = bizContent(p)
  if (!biz) return html(resultPage('支付宝（沙箱）', '请求无效：biz_content 不是 JSON'), 400)
  const r = openTrade(sb, 'alipay.trade.wap.pay', p, biz, 'wap')
  if ('error' in r)
    return r.error.then(async (res) =>
      html(resultPage('支付宝（沙箱）', `无法支付：${await res.text()}`), 400),
    )
  return html(
    cashierPage({ provider: 'alipay', trade: r.trade, ref: r.trade.transactionId as string, now: sb.now() }),
  )
}

function buyerFields(t: SandboxTrade): Json {
  if (t.status !== 'PAID') return {}
  return {
    buyer_logon_id: maskLogon(t.buyerUserId),
    buyer_user_id: t.buyerUserId,
    ...(t.payerId ? { buyer_open_id: t.payerId } : {}),
  }
}

function tradeQuery(sb: PaymentSandbox, biz: Json): Promise<Response> {
  const t = findTrade(sb, biz)
  const method = 'alipay.trade.query'
  if (!t)
    return bizFail(sb, method, 'ACQ.TRADE_NOT_EXIST', '交易不存在', {
      buyer_pay_amount: '0.00',
      invoice_amount: '0.00',
      ...(str(biz.out_trade_no) ? { out_trade_no: str(biz.out_trade_no) } : {}),
      point_amount: '0.00',
      receipt_amount: '0.00',
    })
  const paid = t.status === 'PAID'
  return ok(sb, method, {
    ...buyerFields(t),
    buyer_pay_amount: paid ? yuan(t.amountFen) : '0.00',
    ...(paid ? { fund_bill_list: [{ amount: yuan(t.amountFen), fund_channel: 'ALIPAYACCOUNT' }] } : {}),
    invoice_amount: paid ? yuan(t.amountFen) : '0.00',
    out_trade_no: t.outTradeNo,
    point_amount: '0.00',
    receipt_amount: paid ? yuan(t.amountFen) : '0.00',
    ...(paid ? { send_pay_date: cnDateTime(t.paidAt as number) } : {}),
    total_amount: yuan(t.amountFen),
    trade_no: t.transactionId,
    trade_status: alipayTradeStatus(t, sb.now()),
  })
}

function tradeClose(sb: PaymentSandbox, biz: Json): Promise<Response> {
  const method = 'alipay.trade.close'
  const t = findTrade(sb, biz)
  if (!t) return bizFail(sb, method, 'ACQ.TRADE_NOT_EXIST', '交易不存在')
  // Only a trade waiting for the buyer can be closed (paid, closed or timed out: TRADE_STATUS_ERROR).
  if (alipayTradeStatus(t, sb.now()) !== 'WAIT_BUYER_PAY')
    return bizFail(sb, method, 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法')
  t.status = 'CLOSED'
  t.closedAt = sb.now()
  return ok(sb, method, { out_trade_no: t.outTradeNo, trade_no: t.transactionId })
}

function tradeRefund(sb: PaymentSandbox, biz: Json): Promise<Response> {
  const method = 'alipay.trade.refund'
  const t = findTrade(sb, biz)
  if (!t) return bizFail(sb, method, 'ACQ.TRADE_NOT_EXIST', '交易不存在')
  if (sb.faults.take('alipay', 'refund', t.outTradeNo, ['refund_error']).length > 0)
    return signedReply(sb, responseKey(method), {
      code: '20000',
      msg: 'Service Currently Unavailable',
      sub_code: 'isp.unknow-error',
      sub_msg: '系统繁忙',
    })
  const refundFen = parseYuanStrict(biz.refund_amount)
  if (refundFen === undefined || refundFen < 1)
    return bizFail(sb, method, 'ACQ.REASON_TRADE_REFUND_FEE_ERR', '退款金额无效')
  const outRequestNo = str(biz.out_request_no) ?? t.outTradeNo
  const now = sb.now()
  const existing = sb.getRefund('alipay', t.outTradeNo, outRequestNo)
  const reply = (r: SandboxRefund, fundChange: boolean) =>
    ok(sb, method, {
      ...buyerFields(t),
      fund_change: fundChange ? 'Y' : 'N',
      gmt_refund_pay: cnDateTime(r.successAt ?? r.createdAt),
      out_trade_no: t.outTradeNo,
      refund_fee: yuan(t.refundedFen),
      send_back_fee: fundChange ? yuan(r.refundFen) : '0.00',
      trade_no: t.transactionId,
    })
  if (existing && existing.refundFen !== refundFen)
    return bizFail(sb, method, 'ACQ.DISCORDANT_REPEAT_REQUEST', '不一致的请求')
  // The same out_request_no never refunds twice: a retry answers with the refund made, money unmoved.
  if (existing?.status === 'SUCCESS') return reply(existing, false)
  if (t.status !== 'PAID') return bizFail(sb, method, 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法')
  if (t.refundedFen + refundFen > t.amountFen)
    return bizFail(sb, method, 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限')
  const abnormal = sb.faults.take('alipay', 'refund', t.outTradeNo, ['refund_abnormal']).length > 0
  const r: SandboxRefund = existing ?? {
    provider: 'alipay',
    outTradeNo: t.outTradeNo,
    transactionId: t.transactionId as string,
    outRefundNo: outRequestNo,
    refundId: outRequestNo,
    refundFen,
    totalFen: t.amountFen,
    ...(str(biz.refund_reason) ? { reason: str(biz.refund_reason) } : {}),
    status: 'PROCESSING',
    createdAt: now,
  }
  if (abnormal) {
    r.status = 'ABNORMAL'
  } else {
    r.status = 'SUCCESS'
    r.successAt = now
    t.refundedFen += refundFen
  }
  sb.putRefund(r)
  return reply(r, !abnormal)
}

function refundQuery(sb: PaymentSandbox, biz: Json): Promise<Response> {
  const method = 'alipay.trade.fastpay.refund.query'
  const t = findTrade(sb, biz)
  if (!t) return bizFail(sb, method, 'ACQ.TRADE_NOT_EXIST', '交易不存在')
  const outRequestNo = str(biz.out_request_no)
  if (!outRequestNo) return bizFail(sb, method, 'ACQ.INVALID_PARAMETER', '参数无效: out_request_no')
  const r = sb.getRefund('alipay', t.outTradeNo, outRequestNo)
  // No such refund: success with no refund data ("未查询到即未退款，可用同一退款请求号重试").
  if (!r) return ok(sb, method, { out_trade_no: t.outTradeNo, trade_no: t.transactionId })
  const options = Array.isArray(biz.query_options) ? biz.query_options : []
  return ok(sb, method, {
    ...(r.status === 'SUCCESS' && options.includes('gmt_refund_pay')
      ? { gmt_refund_pay: cnDateTime(r.successAt as number) }
      : {}),
    out_request_no: r.outRefundNo,
    out_trade_no: t.outTradeNo,
    refund_amount: yuan(r.refundFen),
    refund_status: r.status === 'SUCCESS' ? 'REFUND_SUCCESS' : 'REFUND_FAIL',
    total_amount: yuan(t.amountFen),
    trade_no: t.transactionId,
  })
}

function billUrl(sb: PaymentSandbox, biz: Json): Promise<Response> {
  const method = 'alipay.data.dataservice.bill.downloadurl.query'
  if (biz.bill_type !== 'trade')
    return bizFail(sb, method, 'isp.bill_not_exist', '账单不存在 (沙箱只提供 trade 账单)')
  const date = str(biz.bill_date) ?? ''
  const from = cnDayStart(date)
  if (from === undefined)
    return bizFail(sb, method, 'isv.invalid-parameter', '参数无效: bill_date (yyyy-MM-dd)')
  // Today's bill is served too (real bills come T+1 after 10:00); never a future one.
  if (from > sb.now()) return bizFail(sb, method, 'isp.bill_not_exist', '账单不存在')
  const now = sb.now()
  const { zip, fileName } = alipayBillZip({
    trades: sb.trades(),
    refunds: sb.refunds(),
    from,
    to: from + 86400_000,
    sellerId: sb.config.alipay.sellerId,
    exportedAt: now,
  })
  const token = randomNonce(32)
  sb.storeBill(token, {
    bytes: zip,
    contentType: 'application/oct-stream',
    fileName,
    expiresAt: now + BILL_URL_TTL_MS,
  })
  const q = new URLSearchParams({
    bizType: 'trade',
    userId: sb.config.alipay.sellerId,
    fileType: 'csv.zip',
    bizDates: cnDateCompact(from),
    downloadFileName: fileName,
    fileId: `/trade/${sb.config.alipay.sellerId}/${cnDateCompact(from)}`,
    timestamp: String(now),
    token,
  })
  return ok(sb, method, { bill_download_url: `${sb.base}/downloadBillFile.resource?${q}` })
}

export function handleBillDownload(sb: PaymentSandbox, url: URL): Response {
  const bill = sb.takeBill(url.searchParams.get('token') ?? '')
  if (!bill) return html(resultPage('支付宝', '链接已失效'), 404)
  return new Response(new Uint8Array(bill.bytes), {
    headers: {
      'Content-Type': bill.contentType,
      'Content-Disposition': `attachment; filename=${encodeURIComponent(bill.fileName ?? 'bill.csv.zip')}`,
    },
  })
}

/** user_id (2088 + 12 digits) and open_id a login code maps to: deterministic. */
export function alipayIdsForCode(appId: string, code: string): { userId: string; openId: string } {
  return {
    userId: `2088${stableDigits(`ali:${code}`, 12)}`,
    openId: `0${stableId(`ali:${appId}:${code}`, 46, true)}`,
  }
}

function oauthToken(sb: PaymentSandbox, p: Params, biz: Json): Promise<Response> {
  const grantType = p.grant_type ?? str(biz.grant_type)
  const code = p.code ?? str(biz.code) ?? ''
  if (grantType !== 'authorization_code')
    return gatewayFail(
      sb,
      '40002',
      'isv.grant-type-invalid',
      '不支持的grant_type (沙箱只支持 authorization_code)',
    )
  if (!/^[0-9A-Za-z_-]{1,128}$/.test(code) || code.startsWith('invalid'))
    return gatewayFail(sb, '40002', 'isv.code-invalid', '授权码code无效')
  const { userId, openId } = alipayIdsForCode(sb.config.alipay.appId, code)
  return ok(sb, 'alipay.system.oauth.token', {
    access_token: `authusrB${stableId(`at:${code}`, 32, true)}`,
    alipay_user_id: userId,
    auth_start: cnDateTime(sb.now()),
    expires_in: 1296000,
    open_id: openId,
    re_expires_in: 2592000,
    refresh_token: `authusrB${stableId(`rt:${code}`, 32, true)}`,
    user_id: userId,
  })
}

function maskLogon(userId: string | undefined): string {
  return userId ? `159****${userId.slice(-4)}` : ''
}

// ---------- notifies and the synchronous return ----------

async function signParams(sb: PaymentSandbox, params: Params): Promise<Params> {
  const { alipayPrivate } = await sb.cryptoKeys()
  // Notifies and returns are verified without sign and sign_type (rsaCheckV1).
  const sign = await rsaSign(alipayPrivate, alipaySignContent(params, ['sign', 'sign_type']))
  return { ...params, sign }
}

export function alipayPaymentNotify(sb: PaymentSandbox, t: SandboxTrade): NotifyJob | undefined {
  if (!t.notifyUrl) return undefined
  const notifyId = alipayNotifyId()
  const amount = yuan(t.amountFen)
  const base: Params = {
    app_id: sb.config.alipay.appId,
    auth_app_id: sb.config.alipay.appId,
    buyer_id: t.buyerUserId ?? '',
    ...(t.payerId ? { buyer_open_id: t.payerId } : {}),
    buyer_logon_id: maskLogon(t.buyerUserId),
    buyer_pay_amount: amount,
    ...(t.body ? { body: t.body } : {}),
    charset: 'utf-8',
    fund_bill_list: JSON.stringify([{ amount, fundChannel: 'ALIPAYACCOUNT' }]),
    gmt_create: cnDateTime(t.createdAt),
    gmt_payment: cnDateTime(t.paidAt as number),
    invoice_amount: amount,
    notify_id: notifyId,
    notify_type: 'trade_status_sync',
    out_trade_no: t.outTradeNo,
    ...(t.attach ? { passback_params: t.attach } : {}),
    point_amount: '0.00',
    receipt_amount: amount,
    seller_id: sb.config.alipay.sellerId,
    sign_type: 'RSA2',
    subject: t.description,
    total_amount: amount,
    trade_no: t.transactionId as string,
    trade_status: 'TRADE_SUCCESS',
    version: '1.0',
  }
  return {
    provider: 'alipay',
    kind: 'payment',
    notifyId,
    outTradeNo: t.outTradeNo,
    url: t.notifyUrl,
    async render({ stale }) {
      const params = await signParams(sb, {
        ...base,
        notify_time: cnDateTime(sb.now() - (stale ? 600_000 : 0)),
      })
      return {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: new URLSearchParams(params).toString(),
      }
    },
    // Altered after signing: one yuan more, the classic forged notify.
    tamper(body) {
      const q = new URLSearchParams(body)
      q.set('total_amount', yuan((parseYuanStrict(q.get('total_amount')) ?? 0) + 100))
      return q.toString()
    },
  }
}

/** Where the cashier sends the browser after paying: return_url with Alipay's signed synchronous params. */
export async function alipayReturnUrl(sb: PaymentSandbox, t: SandboxTrade): Promise<string | undefined> {
  if (!t.returnUrl) return undefined
  const params = await signParams(sb, {
    app_id: sb.config.alipay.appId,
    auth_app_id: sb.config.alipay.appId,
    charset: 'utf-8',
    method: 'alipay.trade.wap.pay.return',
    out_trade_no: t.outTradeNo,
    seller_id: sb.config.alipay.sellerId,
    sign_type: 'RSA2',
    timestamp: cnDateTime(sb.now()),
    total_amount: yuan(t.amountFen),
    trade_no: t.transactionId as string,
    version: '1.0',
  })
  const u = new URL(t.returnUrl)
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
  return u.toString()
}
