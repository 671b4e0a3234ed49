// WeChat Pay API v3 (direct merchant) as api.mch.weixin.qq.com serves it, plus code2Session of
// api.weixin.qq.com. Every /v3 request is verified exactly (WECHATPAY2-SHA256-RSA2048 over
// "METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n" with the merchant key, serial_no, ±5 min); every response is signed
// with the platform key ("TIMESTAMP\nNONCE\nBODY\n"), except bill file downloads, which WeChat leaves
// unsigned. Errors use WeChat's {"code","message"} body and statuses.

import { gzipSync } from 'node:zlib'
import {
  aesGcmEncrypt,
  b64encode,
  randomNonce,
  rsaSign,
  rsaVerify,
  sha1Hex,
} from '../../workers/payments/crypto'
import { wechatBillCsv } from './bills'
import type { NotifyJob } from './notifier'
import type { PaymentSandbox } from './sandbox'
import {
  cnDayStart,
  type SandboxRefund,
  type SandboxTrade,
  stableHash,
  stableId,
  WECHAT_STATE_DESC,
  wechatPrepayId,
  wechatRefundId,
  wechatTradeState,
} from './state'

/** WeChat's replay window for signed requests and responses (wechatpay-go: |now - ts| ≥ 5 min fails). */
const MAX_SKEW_S = 300
/** A bill's download_url stays valid 5 minutes (the current doc; older pages say 30 s). */
const BILL_URL_TTL_MS = 5 * 60_000
/** WeChat's rule for out_trade_no: 6-32 of [0-9A-Za-z_-|*]. */
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/
/** out_refund_no: up to 64 of [0-9A-Za-z_-|*@]. */
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/

type Json = Record<string, unknown>

// ---------- responses ----------

/** A response signed with the platform key, as every API answer is. `body` undefined: 204-style empty. */
export async function signedResponse(sb: PaymentSandbox, status: number, body?: unknown): Promise<Response> {
  const text = body === undefined ? '' : JSON.stringify(body)
  const { platformPrivate } = await sb.cryptoKeys()
  const ts = String(Math.floor(sb.now() / 1000))
  const nonce = randomNonce(32)
  const signature = await rsaSign(platformPrivate, `${ts}\n${nonce}\n${text}\n`)
  const headers: Record<string, string> = {
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signature,
    'Wechatpay-Timestamp': ts,
    'Wechatpay-Serial': sb.config.wechat.platformSerial,
    'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
    'Request-ID': `08${randomNonce(30)}`,
  }
  if (text) headers['Content-Type'] = 'application/json; charset=utf-8'
  return new Response(status === 204 ? null : text, { status, headers })
}

const fail = (sb: PaymentSandbox, status: number, code: string, message: string, detail?: Json) =>
  signedResponse(sb, status, { code, message, ...(detail ? { detail } : {}) })

const paramError = (sb: PaymentSandbox, field: string, issue: string, location = 'body') =>
  fail(sb, 400, 'PARAM_ERROR', `参数错误: ${field} ${issue}`, { field, issue, location })

// ---------- request verification ----------

/** Fields of `WECHATPAY2-SHA256-RSA2048 k="v",k="v"` (any order). */
export function parseAuthorization(header: string | null): Record<string, string> | undefined {
  const m = /^WECHATPAY2-SHA256-RSA2048\s+(.+)$/.exec(header?.trim() ?? '')
  if (!m?.[1]) return undefined
  const fields: Record<string, string> = {}
  for (const f of m[1].matchAll(/(\w+)="([^"]*)"/g)) fields[f[1] as string] = f[2] as string
  return fields
}

/** Undefined when the request is authentic; otherwise the 401 to answer. */
async function verifyRequest(
  sb: PaymentSandbox,
  req: Request,
  url: URL,
  body: string,
): Promise<Response | undefined> {
  const signError = (why: string) => fail(sb, 401, 'SIGN_ERROR', `签名错误: ${why}`)
  const a = parseAuthorization(req.headers.get('authorization'))
  if (!a) return signError('Authorization 缺失或不是 WECHATPAY2-SHA256-RSA2048')
  for (const f of ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no'])
    if (!a[f]) return signError(`Authorization 缺少 ${f}`)
  if (a.mchid !== sb.config.wechat.mchid) return signError('mchid 与商户号不符')
  if (a.serial_no?.toUpperCase() !== sb.config.wechat.mchSerial)
    return signError('serial_no 不是商户 API 证书序列号')
  if ((a.nonce_str ?? '').length > 32) return signError('nonce_str 超过 32 字符')
  const ts = Number(a.timestamp)
  if (!/^\d{10}$/.test(a.timestamp ?? '') || Math.abs(sb.now() / 1000 - ts) >= MAX_SKEW_S)
    return signError('timestamp 与当前时间相差 5 分钟以上')
  const message = `${req.method}\n${url.pathname}${url.search}\n${a.timestamp}\n${a.nonce_str}\n${body}\n`
  const { merchantPublic } = await sb.cryptoKeys()
  if (!(await rsaVerify(merchantPublic, message, a.signature as string))) return signError('签名验证失败')
  return undefined
}

// ---------- views ----------

function transactionView(sb: PaymentSandbox, t: SandboxTrade): Json {
  const state = wechatTradeState(t)
  const paid = t.status === 'PAID'
  return {
    amount: {
      currency: 'CNY',
      payer_currency: 'CNY',
      total: t.amountFen,
      ...(paid ? { payer_total: t.amountFen } : {}),
    },
    appid: sb.config.wechat.appid,
    attach: t.attach ?? '',
    ...(paid ? { bank_type: 'OTHERS' } : {}),
    mchid: sb.config.wechat.mchid,
    out_trade_no: t.outTradeNo,
    payer: t.payerId ? { openid: t.payerId } : {},
    promotion_detail: [],
    ...(paid ? { success_time: sb.rfc3339(t.paidAt as number) } : {}),
    trade_state: state,
    trade_state_desc: state === 'NOTPAY' ? '订单未支付' : WECHAT_STATE_DESC[state],
    trade_type: t.channel === 'h5' ? 'MWEB' : 'JSAPI',
    ...(t.transactionId ? { transaction_id: t.transactionId } : {}),
  }
}

export function refundView(sb: PaymentSandbox, r: SandboxRefund): Json {
  return {
    amount: {
      currency: 'CNY',
      discount_refund: 0,
      from: [],
      payer_refund: r.refundFen,
      payer_total: r.totalFen,
      refund: r.refundFen,
      refund_fee: 0,
      settlement_refund: r.refundFen,
      settlement_total: r.totalFen,
      total: r.totalFen,
    },
    channel: 'ORIGINAL',
    create_time: sb.rfc3339(r.createdAt),
    funds_account: 'AVAILABLE',
    out_refund_no: r.outRefundNo,
    out_trade_no: r.outTradeNo,
    promotion_detail: [],
    refund_id: r.refundId,
    status: r.status,
    ...(r.successAt ? { success_time: sb.rfc3339(r.successAt) } : {}),
    transaction_id: r.transactionId,
    user_received_account: '支付用户零钱',
  }
}

// ---------- routing ----------

export async function handleWechat(sb: PaymentSandbox, req: Request, url: URL): Promise<Response> {
  const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.text()
  const denied = await verifyRequest(sb, req, url, body)
  if (denied) return denied
  const path = url.pathname
  /** The decoded path parameter when `method` and `re` match. */
  const on = (method: string, re: RegExp): string | undefined => {
    const m = req.method === method ? re.exec(path) : null
    return m ? decodeURIComponent(m[1] as string) : undefined
  }
  const channel = on('POST', /^\/v3\/pay\/transactions\/(jsapi|h5)$/)
  if (channel) return create(sb, channel === 'h5' ? 'h5' : 'jsapi', body)
  const byOutTradeNo = on('GET', /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/)
  if (byOutTradeNo) return query(sb, url, sb.getTrade('wechat', byOutTradeNo))
  const byId = on('GET', /^\/v3\/pay\/transactions\/id\/([^/]+)$/)
  if (byId) return query(sb, url, sb.tradeByTransactionId('wechat', byId))
  const toClose = on('POST', /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/)
  if (toClose) return close(sb, toClose, body)
  if (req.method === 'POST' && path === '/v3/refund/domestic/refunds') return refund(sb, body)
  const outRefundNo = on('GET', /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/)
  if (outRefundNo) {
    const r = sb.getRefund('wechat', '', outRefundNo)
    return r
      ? signedResponse(sb, 200, refundView(sb, r))
      : fail(sb, 404, 'RESOURCE_NOT_EXISTS', '退款单不存在')
  }
  if (req.method === 'GET' && path === '/v3/bill/tradebill') return tradeBill(sb, url)
  if (req.method === 'GET' && path === '/v3/billdownload/file') return billFile(sb, url)
  if (req.method === 'GET' && path === '/v3/certificates') return certificates(sb)
  return fail(sb, 404, 'NOT_FOUND', `沙箱未实现 ${req.method} ${path}`)
}

function parseBody(text: string): Json | undefined {
  try {
    const v = JSON.parse(text)
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined
  } catch {
    return undefined
  }
}

const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v)

// ---------- pay ----------

async function create(sb: PaymentSandbox, channel: 'jsapi' | 'h5', text: string): Promise<Response> {
  const b = parseBody(text)
  if (!b) return paramError(sb, '#', '请求体不是 JSON 对象')
  const w = sb.config.wechat
  if (b.appid !== w.appid || b.mchid !== w.mchid)
    return fail(sb, 400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配')
  const description = b.description
  if (typeof description !== 'string' || description.length < 1 || description.length > 127)
    return paramError(sb, 'description', '必填，1-127 个字符')
  const outTradeNo = b.out_trade_no
  if (typeof outTradeNo !== 'string' || !OUT_TRADE_NO.test(outTradeNo))
    return paramError(sb, 'out_trade_no', '6-32 个字符，只能是数字、大小写字母_-|*')
  const notifyUrl = b.notify_url
  if (typeof notifyUrl !== 'string' || !isNotifyUrl(notifyUrl))
    return paramError(sb, 'notify_url', '必须是不带参数的 http(s) 地址')
  const amount = b.amount
  if (!isObj(amount) || !Number.isSafeInteger(amount.total) || (amount.total as number) < 1)
    return paramError(sb, 'amount.total', '必须是大于 0 的整数（分）')
  if (amount.currency !== undefined && amount.currency !== 'CNY')
    return paramError(sb, 'amount.currency', '只支持 CNY')
  const attach = b.attach
  if (attach !== undefined && (typeof attach !== 'string' || attach.length > 128))
    return paramError(sb, 'attach', '最长 128 个字符')
  let payerId: string | undefined
  let clientIp: string | undefined
  if (channel === 'jsapi') {
    const openid = isObj(b.payer) ? b.payer.openid : undefined
    if (typeof openid !== 'string' || !openid) return paramError(sb, 'payer.openid', '必填')
    payerId = openid
  } else {
    const scene = isObj(b.scene_info) ? b.scene_info : undefined
    if (typeof scene?.payer_client_ip !== 'string' || !scene.payer_client_ip)
      return paramError(sb, 'scene_info.payer_client_ip', '必填')
    if (!isObj(scene.h5_info) || typeof scene.h5_info.type !== 'string')
      return paramError(sb, 'scene_info.h5_info.type', '必填（Wap、iOS 或 Android）')
    clientIp = scene.payer_client_ip
  }
  const now = sb.now()
  let expiresAt: number | undefined
  if (b.time_expire !== undefined) {
    const at = typeof b.time_expire === 'string' ? Date.parse(b.time_expire) : Number.NaN
    if (
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/.test(String(b.time_expire)) ||
      Number.isNaN(at)
    )
      return paramError(sb, 'time_expire', '必须是 rfc3339 格式，如 2018-06-08T10:34:56+08:00')
    // WeChat raises a deadline under 1 minute to 1 minute (scaled with the sandbox's time).
    expiresAt = Math.max(at, now + sb.expiryFloorMs())
  }
  const totalFen = amount.total as number
  const fingerprint = JSON.stringify([
    channel,
    totalFen,
    description,
    payerId ?? '',
    attach ?? '',
    b.time_expire ?? '',
  ])
  const existing = sb.getTrade('wechat', outTradeNo)
  if (existing) {
    if (existing.status === 'PAID') return fail(sb, 400, 'ORDERPAID', '该订单已支付')
    if (existing.status === 'CLOSED') return fail(sb, 400, 'ORDER_CLOSED', '该订单已关闭')
    if (existing.fingerprint !== fingerprint) return fail(sb, 400, 'OUT_TRADE_NO_USED', '商户订单号重复')
  }
  const trade: SandboxTrade = existing ?? {
    provider: 'wechat',
    channel,
    outTradeNo,
    orderFen: totalFen,
    amountFen: totalFen,
    description,
    ...(attach !== undefined ? { attach } : {}),
    notifyUrl,
    ...(payerId ? { payerId } : {}),
    ...(clientIp ? { clientIp } : {}),
    status: 'PENDING',
    createdAt: now,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    refundedFen: 0,
    prepayIds: [],
    fingerprint,
  }
  if (!existing) sb.putTrade(trade)
  const prepayId = wechatPrepayId(now)
  sb.addPrepay(trade, prepayId)
  return signedResponse(
    sb,
    200,
    channel === 'h5' ? { h5_url: `${sb.base}/cashier/wechat/${prepayId}` } : { prepay_id: prepayId },
  )
}

function isNotifyUrl(s: string): boolean {
  try {
    const u = new URL(s)
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.search && !s.includes('?')
  } catch {
    return false
  }
}

function query(sb: PaymentSandbox, url: URL, trade: SandboxTrade | undefined): Promise<Response> {
  const mchid = url.searchParams.get('mchid')
  if (!mchid) return paramError(sb, 'mchid', '必填', 'query')
  if (mchid !== sb.config.wechat.mchid) return fail(sb, 400, 'MCH_NOT_EXISTS', '商户号不存在')
  if (!trade) return fail(sb, 404, 'ORDER_NOT_EXIST', '订单不存在')
  return signedResponse(sb, 200, transactionView(sb, trade))
}

function close(sb: PaymentSandbox, outTradeNo: string, text: string): Promise<Response> {
  const b = parseBody(text)
  if (!b || typeof b.mchid !== 'string') return paramError(sb, 'mchid', '必填')
  if (b.mchid !== sb.config.wechat.mchid) return fail(sb, 400, 'MCH_NOT_EXISTS', '商户号不存在')
  const t = sb.getTrade('wechat', outTradeNo)
  if (!t) return fail(sb, 404, 'ORDER_NOT_EXIST', '订单不存在')
  if (t.status === 'PAID') return fail(sb, 400, 'ORDERPAID', '订单已支付')
  if (t.status !== 'CLOSED') {
    t.status = 'CLOSED'
    t.closedAt = sb.now()
  }
  return signedResponse(sb, 204)
}

// ---------- refunds ----------

async function refund(sb: PaymentSandbox, text: string): Promise<Response> {
  const b = parseBody(text)
  if (!b) return paramError(sb, '#', '请求体不是 JSON 对象')
  const outRefundNo = b.out_refund_no
  if (typeof outRefundNo !== 'string' || !OUT_REFUND_NO.test(outRefundNo))
    return paramError(sb, 'out_refund_no', '必填，最长 64 个字符')
  const amount = isObj(b.amount) ? b.amount : undefined
  if (!amount || !Number.isSafeInteger(amount.refund) || (amount.refund as number) < 1)
    return paramError(sb, 'amount.refund', '必须是大于 0 的整数（分）')
  if (!Number.isSafeInteger(amount.total) || (amount.total as number) < 1)
    return paramError(sb, 'amount.total', '必须是大于 0 的整数（分）')
  if (amount.currency !== 'CNY') return paramError(sb, 'amount.currency', '必填，只支持 CNY')
  if (
    b.reason !== undefined &&
    (typeof b.reason !== 'string' || new TextEncoder().encode(b.reason).length > 80)
  )
    return paramError(sb, 'reason', '最长 80 字节')
  if (b.notify_url !== undefined && (typeof b.notify_url !== 'string' || !isNotifyUrl(b.notify_url)))
    return paramError(sb, 'notify_url', '必须是不带参数的 http(s) 地址')
  const trade =
    typeof b.transaction_id === 'string'
      ? sb.tradeByTransactionId('wechat', b.transaction_id)
      : typeof b.out_trade_no === 'string'
        ? sb.getTrade('wechat', b.out_trade_no)
        : undefined
  if (b.transaction_id === undefined && b.out_trade_no === undefined)
    return paramError(sb, 'out_trade_no', 'transaction_id 与 out_trade_no 必填其一')
  if (!trade) return fail(sb, 404, 'RESOURCE_NOT_EXISTS', '订单不存在')
  if (sb.faults.take('wechat', 'refund', trade.outTradeNo, ['refund_error']).length > 0)
    return fail(sb, 500, 'SYSTEM_ERROR', '系统错误，请使用相同参数稍后重新调用')
  const refundFen = amount.refund as number
  const totalFen = amount.total as number
  const existing = sb.getRefund('wechat', trade.outTradeNo, outRefundNo)
  if (existing) {
    // The same out_refund_no never refunds twice: a retry gets the refund it already made.
    if (existing.outTradeNo !== trade.outTradeNo || existing.refundFen !== refundFen)
      return fail(sb, 400, 'INVALID_REQUEST', '退款单号已存在，且请求参数与之前不一致')
    return signedResponse(sb, 200, refundView(sb, existing))
  }
  if (trade.status !== 'PAID') return fail(sb, 400, 'INVALID_REQUEST', '订单未支付，不能退款')
  if (totalFen !== trade.amountFen) return paramError(sb, 'amount.total', '与原订单金额不一致')
  if (refundFen > totalFen) return paramError(sb, 'amount.refund', '退款金额不能大于订单金额')
  if (trade.refundedFen + refundFen > trade.amountFen)
    return fail(sb, 400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额')
  const now = sb.now()
  const r: SandboxRefund = {
    provider: 'wechat',
    outTradeNo: trade.outTradeNo,
    transactionId: trade.transactionId as string,
    outRefundNo,
    refundId: wechatRefundId(now),
    refundFen,
    totalFen: trade.amountFen,
    ...(typeof b.reason === 'string' ? { reason: b.reason } : {}),
    ...(typeof b.notify_url === 'string' ? { notifyUrl: b.notify_url } : {}),
    status: 'PROCESSING',
    createdAt: now,
  }
  trade.refundedFen += refundFen
  sb.putRefund(r)
  const abnormal = sb.faults.take('wechat', 'refund', trade.outTradeNo, ['refund_abnormal']).length > 0
  sb.completeRefundLater(r, abnormal)
  return signedResponse(sb, 200, refundView(sb, r))
}

// ---------- bills ----------

async function tradeBill(sb: PaymentSandbox, url: URL): Promise<Response> {
  const date = url.searchParams.get('bill_date') ?? ''
  const from = cnDayStart(date)
  if (from === undefined) return paramError(sb, 'bill_date', '格式为 yyyy-MM-DD', 'query')
  const billType = url.searchParams.get('bill_type') ?? 'ALL'
  if (billType !== 'ALL' && billType !== 'SUCCESS' && billType !== 'REFUND')
    return paramError(sb, 'bill_type', '只支持 ALL、SUCCESS、REFUND', 'query')
  const tarType = url.searchParams.get('tar_type')
  if (tarType !== null && tarType !== 'GZIP') return paramError(sb, 'tar_type', '只支持 GZIP', 'query')
  // The sandbox serves today's bill too (real bills appear after 10:00 the next day); never the future.
  if (from > sb.now()) return fail(sb, 400, 'NO_STATEMENT_EXIST', '账单不存在')
  const csv = wechatBillCsv({
    trades: sb.trades(),
    refunds: sb.refunds(),
    from,
    to: from + 86400_000,
    appid: sb.config.wechat.appid,
    mchid: sb.config.wechat.mchid,
    billType,
  })
  const raw = new TextEncoder().encode(csv)
  const token = randomNonce(32)
  sb.storeBill(token, {
    bytes: tarType === 'GZIP' ? new Uint8Array(gzipSync(raw)) : raw,
    contentType: tarType === 'GZIP' ? 'application/x-gzip' : 'text/plain;charset=utf-8',
    expiresAt: sb.now() + BILL_URL_TTL_MS,
  })
  return signedResponse(sb, 200, {
    download_url: `${sb.base}/v3/billdownload/file?token=${token}`,
    hash_type: 'SHA1',
    hash_value: await sha1Hex(raw),
  })
}

/** The bill file itself: the request is verified like any /v3 call, the answer is not signed. */
function billFile(sb: PaymentSandbox, url: URL): Promise<Response> | Response {
  const bill = sb.takeBill(url.searchParams.get('token') ?? '')
  if (!bill) return fail(sb, 400, 'INVALID_REQUEST', '下载地址无效或已过期')
  return new Response(new Uint8Array(bill.bytes), {
    status: 200,
    headers: { 'Content-Type': bill.contentType },
  })
}

// ---------- platform certificates ----------

async function certificates(sb: PaymentSandbox): Promise<Response> {
  const w = sb.config.wechat
  if (!w.platformCertPem) return signedResponse(sb, 200, { data: [] })
  const nonce = randomNonce(12)
  const ciphertext = await aesGcmEncrypt(w.apiV3Key, nonce, 'certificate', w.platformCertPem)
  return signedResponse(sb, 200, {
    data: [
      {
        effective_time: sb.rfc3339(w.platformCertNotBefore ?? 0),
        encrypt_certificate: {
          algorithm: 'AEAD_AES_256_GCM',
          associated_data: 'certificate',
          ciphertext,
          nonce,
        },
        expire_time: sb.rfc3339(w.platformCertNotAfter ?? 0),
        serial_no: w.platformSerial,
      },
    ],
  })
}

// ---------- code2Session (api.weixin.qq.com) ----------

/** The openid a login code maps to: deterministic, 28 characters starting with "o" like real ones. */
export const wechatOpenidForCode = (appid: string, code: string): string =>
  `o${stableId(`wx:${appid}:${code}`, 27)}`

export function jscode2session(sb: PaymentSandbox, url: URL): Response {
  const q = url.searchParams
  const reply = (body: Json) =>
    new Response(JSON.stringify(body), { headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
  const rid = randomNonce(8).toLowerCase()
  if (q.get('appid') !== sb.config.wechat.appid)
    return reply({ errcode: 40013, errmsg: `invalid appid rid: ${rid}` })
  if (q.get('secret') !== sb.config.wechat.appSecret)
    return reply({ errcode: 40125, errmsg: `invalid appsecret rid: ${rid}` })
  if (q.get('grant_type') !== 'authorization_code')
    return reply({ errcode: 40002, errmsg: `invalid grant_type rid: ${rid}` })
  const code = q.get('js_code') ?? ''
  // Codes beginning "invalid" (or malformed ones) stand for expired or foreign codes.
  if (!/^[0-9A-Za-z_-]{1,128}$/.test(code) || code.startsWith('invalid'))
    return reply({ errcode: 40029, errmsg: `invalid code rid: ${rid}` })
  const seed = stableHash(`session:${code}`)
  const key = new Uint8Array(16).map((_, i) => Number((seed >> BigInt((i % 8) * 8)) & 0xffn) ^ i)
  return reply({ session_key: b64encode(key), openid: wechatOpenidForCode(sb.config.wechat.appid, code) })
}

// ---------- notifies ----------

function notifyJob(
  sb: PaymentSandbox,
  kind: 'payment' | 'refund',
  t: SandboxTrade,
  url: string,
  event: { type: string; summary: string; originalType: string; resource: Json },
  refund?: SandboxRefund,
): NotifyJob {
  const id = crypto.randomUUID()
  const createdAt = sb.now()
  let bodyPromise: Promise<string> | undefined
  const buildBody = async () => {
    const nonce = randomNonce(12)
    const ciphertext = await aesGcmEncrypt(
      sb.config.wechat.apiV3Key,
      nonce,
      event.originalType,
      JSON.stringify(event.resource),
    )
    return JSON.stringify({
      id,
      create_time: sb.rfc3339(createdAt),
      resource_type: 'encrypt-resource',
      event_type: event.type,
      summary: event.summary,
      resource: {
        original_type: event.originalType,
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext,
        associated_data: event.originalType,
        nonce,
      },
    })
  }
  return {
    provider: 'wechat',
    kind,
    notifyId: id,
    outTradeNo: t.outTradeNo,
    ...(refund ? { outRefundNo: refund.outRefundNo } : {}),
    url,
    async render({ stale }) {
      bodyPromise ??= buildBody()
      const body = await bodyPromise
      const { platformPrivate } = await sb.cryptoKeys()
      // Each delivery is signed afresh (new timestamp and nonce); a stale one is 10 minutes old.
      const ts = String(Math.floor(sb.now() / 1000) - (stale ? 600 : 0))
      const nonce = randomNonce(32)
      return {
        body,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Mozilla/4.0',
          'Wechatpay-Nonce': nonce,
          'Wechatpay-Serial': sb.config.wechat.platformSerial,
          'Wechatpay-Signature': await rsaSign(platformPrivate, `${ts}\n${nonce}\n${body}\n`),
          'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
          'Wechatpay-Timestamp': ts,
        },
      }
    },
    // Altered after signing: the envelope's summary changes, so the signature no longer matches.
    tamper: (body) => body.replace('"summary":"', '"summary":"!'),
  }
}

export function wechatPaymentNotify(sb: PaymentSandbox, t: SandboxTrade): NotifyJob | undefined {
  if (!t.notifyUrl) return undefined
  return notifyJob(sb, 'payment', t, t.notifyUrl, {
    type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    originalType: 'transaction',
    resource: { ...transactionView(sb, t), trade_state: 'SUCCESS', trade_state_desc: '支付成功' },
  })
}

export function wechatRefundNotify(sb: PaymentSandbox, r: SandboxRefund): NotifyJob | undefined {
  const t = sb.getTrade('wechat', r.outTradeNo)
  if (!r.notifyUrl || !t) return undefined
  const ok = r.status === 'SUCCESS'
  return notifyJob(
    sb,
    'refund',
    t,
    r.notifyUrl,
    {
      type: ok ? 'REFUND.SUCCESS' : 'REFUND.ABNORMAL',
      summary: ok ? '退款成功' : '退款异常',
      originalType: 'refund',
      resource: {
        amount: {
          payer_refund: r.refundFen,
          payer_total: r.totalFen,
          refund: r.refundFen,
          total: r.totalFen,
        },
        mchid: sb.config.wechat.mchid,
        out_refund_no: r.outRefundNo,
        out_trade_no: r.outTradeNo,
        refund_id: r.refundId,
        refund_status: r.status,
        ...(r.successAt ? { success_time: sb.rfc3339(r.successAt) } : {}),
        transaction_id: r.transactionId,
        user_received_account: '支付用户零钱',
      },
    },
    r,
  )
}
