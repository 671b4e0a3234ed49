// Daily trade bills in the providers' layouts.
// - WeChat (GET /v3/bill/tradebill, bill_type ALL/SUCCESS/REFUND): UTF-8 CSV, a detail header, detail rows
//   whose every field starts with a backtick, a summary header and one summary row (also backticked);
//   amounts in yuan (https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html).
// - Alipay (bill_type trade): a zip of two GBK CSV files, `<account>_<yyyyMMdd>_业务明细.csv` and
//   `..._业务明细(汇总).csv`, with '#' comment lines around the table, tab-padded cells and GBK file names
//   without the zip UTF-8 flag (as Alipay's archives come). Layout from community copies of real bills.

import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib'
import iconv from 'iconv-lite'
import {
  WECHAT_TRADE_BILL_COLUMNS,
  WECHAT_TRADE_BILL_SUMMARY_COLUMNS,
} from '../../workers/payments/wechat-bill'
import { cnDateCompact, cnDateTime, cnDateTimeZh, type SandboxRefund, type SandboxTrade, yuan } from './state'

/** The fee rate both bills show; 0.6% is the common rate for food merchants. */
export const FEE_RATE = 0.006

// ---------- WeChat ----------

/** The columns are protocol data: one list, shared with the client's parser. */
export const WECHAT_ALL_COLUMNS = WECHAT_TRADE_BILL_COLUMNS
const WECHAT_SUCCESS_COLUMNS = WECHAT_ALL_COLUMNS.filter(
  (c) =>
    ![
      '微信退款单号',
      '商户退款单号',
      '退款金额',
      '充值券退款金额',
      '退款类型',
      '退款状态',
      '申请退款金额',
    ].includes(c),
)
const WECHAT_REFUND_COLUMNS = [
  ...WECHAT_ALL_COLUMNS.slice(0, 14),
  '退款申请时间',
  '退款成功时间',
  ...WECHAT_ALL_COLUMNS.slice(14),
]
export const WECHAT_SUMMARY_COLUMNS = WECHAT_TRADE_BILL_SUMMARY_COLUMNS

export type WechatBillType = 'ALL' | 'SUCCESS' | 'REFUND'

export interface BillInput {
  trades: SandboxTrade[]
  refunds: SandboxRefund[]
  /** China-time day [from, to). */
  from: number
  to: number
}

/** 5-decimal yuan, as WeChat writes 手续费. */
const feeYuan = (fen: number): string => (fen / 100).toFixed(5)
/** A cell must not break the comma layout (WeChat does not quote). */
const cell = (s: string | undefined): string => (s ?? '').replace(/,/g, '，').replace(/[\r\n]+/g, ' ')

export function wechatBillCsv(
  input: BillInput & { appid: string; mchid: string; billType?: WechatBillType },
): string {
  const type = input.billType ?? 'ALL'
  const columns: readonly string[] =
    type === 'ALL' ? WECHAT_ALL_COLUMNS : type === 'SUCCESS' ? WECHAT_SUCCESS_COLUMNS : WECHAT_REFUND_COLUMNS
  const inDay = (ms: number | undefined) => ms !== undefined && ms >= input.from && ms < input.to
  const rate = `${(FEE_RATE * 100).toFixed(2)}%`
  const rows: Record<string, string>[] = []
  let settled = 0
  let refunded = 0
  let fees = 0
  const base = (t: SandboxTrade): Record<string, string> => ({
    公众账号ID: input.appid,
    商户号: input.mchid,
    特约商户号: '0',
    设备号: '',
    微信订单号: t.transactionId ?? '',
    商户订单号: t.outTradeNo,
    用户标识: t.payerId ?? '',
    交易类型: t.channel === 'h5' ? 'MWEB' : 'JSAPI',
    付款银行: 'OTHERS',
    货币种类: 'CNY',
    商品名称: cell(t.description),
    商户数据包: cell(t.attach),
    费率: rate,
    费率备注: '',
  })
  if (type !== 'REFUND') {
    for (const t of input.trades) {
      if (t.provider !== 'wechat' || t.status !== 'PAID' || !inDay(t.paidAt)) continue
      const fee = t.amountFen * FEE_RATE
      settled += t.amountFen
      fees += fee
      rows.push({
        ...base(t),
        交易时间: cnDateTime(t.paidAt as number),
        交易状态: 'SUCCESS',
        应结订单金额: yuan(t.amountFen),
        代金券金额: '0.00',
        微信退款单号: '0',
        商户退款单号: '0',
        退款金额: '0.00',
        充值券退款金额: '0.00',
        退款类型: '',
        退款状态: '',
        手续费: feeYuan(fee),
        订单金额: yuan(t.amountFen),
        申请退款金额: '0.00',
      })
    }
  }
  if (type !== 'SUCCESS') {
    for (const r of input.refunds) {
      if (r.provider !== 'wechat' || !inDay(r.createdAt)) continue
      const t = input.trades.find((x) => x.provider === 'wechat' && x.outTradeNo === r.outTradeNo)
      if (!t) continue
      const fee = -r.refundFen * FEE_RATE
      refunded += r.refundFen
      fees += fee
      rows.push({
        ...base(t),
        交易时间: cnDateTime(r.createdAt),
        退款申请时间: cnDateTime(r.createdAt),
        退款成功时间: r.successAt ? cnDateTime(r.successAt) : '',
        交易状态: 'REFUND',
        应结订单金额: '0.00',
        代金券金额: '0.00',
        微信退款单号: r.refundId,
        商户退款单号: r.outRefundNo,
        退款金额: yuan(r.refundFen),
        充值券退款金额: '0.00',
        退款类型: 'ORIGINAL',
        退款状态: r.status === 'ABNORMAL' ? 'CHANGE' : r.status,
        手续费: feeYuan(fee),
        订单金额: '0.00',
        申请退款金额: yuan(r.refundFen),
      })
    }
  }
  rows.sort((a, b) => (a.交易时间 ?? '').localeCompare(b.交易时间 ?? ''))
  const summary: Record<string, string> = {
    总交易单数: String(rows.length),
    应结订单总金额: yuan(settled),
    退款总金额: yuan(refunded),
    充值券退款总金额: '0.00',
    手续费总金额: feeYuan(fees),
    订单总金额: yuan(settled),
    申请退款总金额: yuan(refunded),
  }
  const summaryColumns =
    type === 'SUCCESS'
      ? ['总交易单数', '应结订单总金额', '手续费总金额', '订单总金额']
      : [...WECHAT_SUMMARY_COLUMNS]
  const lines = [
    columns.join(','),
    ...rows.map((r) => columns.map((c) => `\`${r[c] ?? ''}`).join(',')),
    summaryColumns.join(','),
    summaryColumns.map((c) => `\`${summary[c] ?? ''}`).join(','),
  ]
  return `${lines.join('\r\n')}\r\n`
}

// ---------- Alipay ----------

export const ALIPAY_DETAIL_COLUMNS = [
  '支付宝交易号',
  '商户订单号',
  '业务类型',
  '商品名称',
  '创建时间',
  '完成时间',
  '门店编号',
  '门店名称',
  '操作员',
  '终端号',
  '对方账户',
  '订单金额（元）',
  '商家实收（元）',
  '支付宝红包（元）',
  '集分宝（元）',
  '支付宝优惠（元）',
  '商家优惠（元）',
  '券核销金额（元）',
  '券名称',
  '商家红包消费金额（元）',
  '卡消费金额（元）',
  '退款批次号/请求号',
  '服务费（元）',
  '分润（元）',
  '备注',
] as const

const RULE = '-----------------------------------------'

/** The Alipay account number on bills: the PID followed by 0156. */
export const alipayAccount = (sellerId: string): string => `${sellerId}0156`

export interface AlipayBillFiles {
  detailName: string
  summaryName: string
  detail: string
  summary: string
}

export function alipayBillFiles(
  input: BillInput & { sellerId: string; exportedAt: number },
): AlipayBillFiles {
  const account = alipayAccount(input.sellerId)
  const day = cnDateCompact(input.from)
  const inDay = (ms: number | undefined) => ms !== undefined && ms >= input.from && ms < input.to
  const zero = '0.00'
  const fee = (fen: number) => Math.round(fen * FEE_RATE)
  const rows: string[][] = []
  let payCount = 0
  let payFen = 0
  let refundCount = 0
  let refundFen = 0
  let feeFen = 0
  for (const t of input.trades) {
    if (t.provider !== 'alipay' || t.status !== 'PAID' || !inDay(t.paidAt)) continue
    payCount++
    payFen += t.amountFen
    feeFen -= fee(t.amountFen)
    rows.push([
      `${t.transactionId ?? ''}\t`,
      `${t.outTradeNo}\t`,
      '交易',
      cell(t.description),
      cnDateTime(t.createdAt),
      cnDateTime(t.paidAt as number),
      '',
      '',
      '',
      '',
      maskLogon(t.buyerUserId),
      yuan(t.amountFen),
      yuan(t.amountFen),
      zero,
      zero,
      zero,
      zero,
      zero,
      '',
      zero,
      zero,
      '',
      yuan(-fee(t.amountFen)),
      zero,
      cell(t.body),
    ])
  }
  for (const r of input.refunds) {
    if (r.provider !== 'alipay' || r.status !== 'SUCCESS' || !inDay(r.successAt)) continue
    const t = input.trades.find((x) => x.provider === 'alipay' && x.outTradeNo === r.outTradeNo)
    if (!t) continue
    refundCount++
    refundFen += r.refundFen
    feeFen += fee(r.refundFen)
    rows.push([
      `${r.transactionId}\t`,
      `${r.outTradeNo}\t`,
      '退款',
      cell(t.description),
      cnDateTime(t.createdAt),
      cnDateTime(r.successAt as number),
      '',
      '',
      '',
      '',
      maskLogon(t.buyerUserId),
      yuan(-r.refundFen),
      yuan(-r.refundFen),
      zero,
      zero,
      zero,
      zero,
      zero,
      '',
      zero,
      zero,
      `${r.outRefundNo}\t`,
      yuan(fee(r.refundFen)),
      zero,
      cell(r.reason),
    ])
  }
  const period = `#起始日期：[${cnDateTimeZh(input.from)}]   终止日期：[${cnDateTimeZh(input.to)}]`
  const detail = [
    '#支付宝业务明细查询',
    `#账号：[${account}]`,
    period,
    `#${RULE}业务明细列表${RULE}`,
    ALIPAY_DETAIL_COLUMNS.join(','),
    ...rows.map((r) => r.join(',')),
    `#${RULE}业务明细列表结束${RULE}`,
    `#交易合计：${payCount}笔，商家实收共${yuan(payFen)}元，商家优惠共0.00元`,
    `#退款合计：${refundCount}笔，商家实收退款共${yuan(-refundFen)}元，商家优惠退款共0.00元`,
    `#导出时间：[${cnDateTimeZh(input.exportedAt)}]`,
  ]
  const summary = [
    '#支付宝业务汇总查询',
    `#账号：[${account}]`,
    period,
    `#${RULE}业务汇总列表${RULE}`,
    '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）',
    `合计,,${payCount},${refundCount},${yuan(payFen - refundFen)},${yuan(payFen - refundFen)},0.00,0.00,0.00,${yuan(feeFen)},0.00,${yuan(payFen - refundFen + feeFen)}`,
    `#${RULE}业务汇总列表结束${RULE}`,
    `#导出时间：[${cnDateTimeZh(input.exportedAt)}]`,
  ]
  return {
    detailName: `${account}_${day}_业务明细.csv`,
    summaryName: `${account}_${day}_业务明细(汇总).csv`,
    detail: `${detail.join('\r\n')}\r\n`,
    summary: `${summary.join('\r\n')}\r\n`,
  }
}

/** Alipay masks the buyer's logon id on bills; the sandbox has only the user id to mask. */
function maskLogon(userId: string | undefined): string {
  return userId ? `${userId.slice(0, 3)}****${userId.slice(-4)}` : ''
}

/** The csv.zip Alipay serves: both files GBK-encoded, names GBK too (no UTF-8 flag). */
export function alipayBillZip(input: BillInput & { sellerId: string; exportedAt: number }): {
  zip: Uint8Array
  fileName: string
} {
  const files = alipayBillFiles(input)
  const gbk = (s: string) => new Uint8Array(iconv.encode(s, 'gbk'))
  const zip = makeZip(
    [
      { name: gbk(files.detailName), data: gbk(files.detail) },
      { name: gbk(files.summaryName), data: gbk(files.summary) },
    ],
    input.exportedAt,
  )
  return { zip, fileName: `${alipayAccount(input.sellerId)}_${cnDateCompact(input.from)}.csv.zip` }
}

// ---------- zip (PKWARE APPNOTE 4.3.7 / 4.3.12 / 4.3.16), deflated entries ----------

export interface ZipInput {
  name: Uint8Array
  data: Uint8Array
}

function dosTime(ms: number): { time: number; date: number } {
  const d = new Date(ms + 8 * 3600_000) // local (China) time, as a Chinese server writes it
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  }
}

export function makeZip(entries: ZipInput[], modifiedAt = Date.now()): Uint8Array {
  const { time, date } = dosTime(modifiedAt)
  const locals: Uint8Array[] = []
  const centrals: Uint8Array[] = []
  let offset = 0
  for (const e of entries) {
    const packed = new Uint8Array(deflateRawSync(e.data))
    const crc = crc32(e.data) >>> 0
    const local = new Uint8Array(30 + e.name.length)
    const lv = new DataView(local.buffer)
    lv.setUint32(0, 0x04034b50, true)
    lv.setUint16(4, 20, true) // version needed: 2.0 (deflate)
    lv.setUint16(6, 0, true) // flags: no UTF-8 bit, no data descriptor
    lv.setUint16(8, 8, true) // deflate
    lv.setUint16(10, time, true)
    lv.setUint16(12, date, true)
    lv.setUint32(14, crc, true)
    lv.setUint32(18, packed.length, true)
    lv.setUint32(22, e.data.length, true)
    lv.setUint16(26, e.name.length, true)
    lv.setUint16(28, 0, true)
    local.set(e.name, 30)
    const central = new Uint8Array(46 + e.name.length)
    const cv = new DataView(central.buffer)
    cv.setUint32(0, 0x02014b50, true)
    cv.setUint16(4, 20, true) // made by: MS-DOS, 2.0
    cv.setUint16(6, 20, true)
    cv.setUint16(8, 0, true)
    cv.setUint16(10, 8, true)
    cv.setUint16(12, time, true)
    cv.setUint16(14, date, true)
    cv.setUint32(16, crc, true)
    cv.setUint32(20, packed.length, true)
    cv.setUint32(24, e.data.length, true)
    cv.setUint16(28, e.name.length, true)
    cv.setUint32(42, offset, true) // extra, comment, disk, attributes stay 0
    central.set(e.name, 46)
    locals.push(local, packed)
    centrals.push(central)
    offset += local.length + packed.length
  }
  const centralSize = centrals.reduce((a, c) => a + c.length, 0)
  const end = new Uint8Array(22)
  const ev = new DataView(end.buffer)
  ev.setUint32(0, 0x06054b50, true)
  ev.setUint16(8, entries.length, true)
  ev.setUint16(10, entries.length, true)
  ev.setUint32(12, centralSize, true)
  ev.setUint32(16, offset, true)
  const out = new Uint8Array(offset + centralSize + end.length)
  let at = 0
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** Read a zip from its central directory (stored or deflated entries): for tests and tools. */
export function readZip(zip: Uint8Array): { name: Uint8Array; utf8Name: boolean; data: Uint8Array }[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength)
  let eocd = -1
  for (let i = zip.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('zip: no end of central directory')
  const count = view.getUint16(eocd + 10, true)
  let at = view.getUint32(eocd + 16, true)
  const out: { name: Uint8Array; utf8Name: boolean; data: Uint8Array }[] = []
  for (let n = 0; n < count; n++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error('zip: bad central header')
    const flags = view.getUint16(at + 8, true)
    const method = view.getUint16(at + 10, true)
    const crc = view.getUint32(at + 16, true)
    const packedSize = view.getUint32(at + 20, true)
    const nameLen = view.getUint16(at + 28, true)
    const extraLen = view.getUint16(at + 30, true)
    const commentLen = view.getUint16(at + 32, true)
    const localAt = view.getUint32(at + 42, true)
    const name = zip.slice(at + 46, at + 46 + nameLen)
    const dataAt = localAt + 30 + view.getUint16(localAt + 26, true) + view.getUint16(localAt + 28, true)
    const packed = zip.subarray(dataAt, dataAt + packedSize)
    const data = method === 0 ? packed.slice() : new Uint8Array(inflateRawSync(packed))
    if (crc32(data) >>> 0 !== crc) throw new Error('zip: CRC-32 mismatch')
    out.push({ name, utf8Name: (flags & 0x0800) !== 0, data })
    at += 46 + nameLen + extraLen + commentLen
  }
  return out
}
