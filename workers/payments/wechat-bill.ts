// WeChat Pay's daily trade bill (交易账单, GET /v3/bill/tradebill, bill_type=ALL) as text -> BillRow[].
// Pure: no I/O, no runtime APIs, so the payment sandbox's bill generator can be tested against it.
//
// Layout (https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html):
//   line 1       detail header (plain column names, comma separated)
//   lines 2..n   detail rows: every field is prefixed with a backtick (`) "so Excel keeps long numbers"
//   then         summary header (总交易单数,...) and one summary row, its fields backtick-prefixed too
// Amounts are in yuan with a decimal point; times are China time "yyyy-MM-dd HH:mm:ss".
// Columns are looked up by name, so the REFUND bill (two more columns) and older layouts parse as well.

import type { BillRow } from './provider'

/** Detail columns of the ALL bill, in order (checked against the doc above). */
export const WECHAT_TRADE_BILL_COLUMNS = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '商品名称',
  '商户数据包',
  '手续费',
  '费率',
  '订单金额',
  '申请退款金额',
  '费率备注',
] as const

/** Summary columns of the ALL bill, in order. */
export const WECHAT_TRADE_BILL_SUMMARY_COLUMNS = [
  '总交易单数',
  '应结订单总金额',
  '退款总金额',
  '充值券退款总金额',
  '手续费总金额',
  '订单总金额',
  '申请退款总金额',
] as const

export interface WeChatTradeBill {
  /** The detail header as found in the file. */
  columns: string[]
  /** Every detail row by column name, backticks removed (including rows that map to no BillRow). */
  records: Record<string, string>[]
  /** Payments (交易状态 SUCCESS) and refunds (交易状态 REFUND), in file order. */
  rows: BillRow[]
  /** The summary row by column name, backticks removed; absent if the file has none. */
  summary?: Record<string, string>
}

const REQUIRED = ['交易时间', '微信订单号', '商户订单号', '交易状态'] as const

/** Parse a trade bill. Throws an Error naming the line on anything it cannot read exactly. */
export function parseWeChatTradeBill(text: string): WeChatTradeBill {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
  const nonEmpty = lines.map((line, i) => ({ line, no: i + 1 })).filter((l) => l.line.trim() !== '')
  const head = nonEmpty[0]
  if (!head) throw new Error('bill: empty file')
  const columns = splitBillLine(head.line)
  for (const c of REQUIRED) if (!columns.includes(c)) throw new Error(`bill: header has no column ${c}`)

  const records: Record<string, string>[] = []
  const rows: BillRow[] = []
  let summary: Record<string, string> | undefined
  for (let i = 1; i < nonEmpty.length; i++) {
    const { line, no } = nonEmpty[i]!
    const fields = splitBillLine(line)
    if (fields[0] === '总交易单数') {
      const next = nonEmpty[i + 1]
      if (next) summary = toRecord(fields, splitBillLine(next.line), next.no)
      break
    }
    const rec = toRecord(columns, fields, no)
    records.push(rec)
    const row = toBillRow(rec, no)
    if (row) rows.push(row)
  }
  return summary ? { columns, records, rows, summary } : { columns, records, rows }
}

/**
 * Split one line. A backtick-prefixed line splits on ",`" (so a comma inside a product name survives) and
 * loses its leading backtick; a plain line (a header) splits on ",".
 */
export function splitBillLine(line: string): string[] {
  if (line.startsWith('`')) return line.slice(1).split(',`')
  return line.split(',')
}

function toRecord(columns: string[], fields: string[], lineNo: number): Record<string, string> {
  if (fields.length !== columns.length)
    throw new Error(`bill: line ${lineNo} has ${fields.length} fields, header has ${columns.length}`)
  const rec: Record<string, string> = {}
  columns.forEach((c, i) => {
    rec[c] = (fields[i] ?? '').trim()
  })
  return rec
}

function toBillRow(rec: Record<string, string>, lineNo: number): BillRow | null {
  const state = rec.交易状态
  if (state !== 'SUCCESS' && state !== 'REFUND') return null // e.g. REVOKED (pay-by-code only)
  const at = chinaTimeToEpochMs(rec.交易时间 ?? '')
  if (Number.isNaN(at)) throw new Error(`bill: line ${lineNo}: bad 交易时间 ${rec.交易时间}`)
  const base = {
    provider: 'wechat' as const,
    at,
    outTradeNo: rec.商户订单号 ?? '',
    transactionId: rec.微信订单号 ?? '',
  }
  const fee = optionalFen(rec.手续费, lineNo)
  const attach = rec.商户数据包 || undefined
  const extra = { ...(fee !== undefined ? { feeFen: fee } : {}), ...(attach ? { attach } : {}) }
  if (state === 'SUCCESS') {
    // 订单金额 is the order's full amount (what we asked for: amount.total); 应结订单金额 is that minus
    // non-recharge vouchers. Older layouts only have 应结订单金额 / 总金额.
    const amount = rec.订单金额 || rec.应结订单金额 || rec.总金额
    if (!amount) throw new Error(`bill: line ${lineNo}: no order amount`)
    return { ...base, kind: 'payment', amountFen: yuanToFen(amount, lineNo), ...extra }
  }
  const refund = rec.退款金额
  if (!refund) throw new Error(`bill: line ${lineNo}: refund row without 退款金额`)
  return {
    ...base,
    kind: 'refund',
    amountFen: Math.abs(yuanToFen(refund, lineNo)),
    ...(rec.商户退款单号 ? { outRefundNo: rec.商户退款单号 } : {}),
    ...(rec.微信退款单号 ? { refundId: rec.微信退款单号 } : {}),
    ...extra,
  }
}

function optionalFen(text: string | undefined, lineNo: number): number | undefined {
  return text ? yuanToFen(text, lineNo) : undefined
}

/**
 * "12.34" yuan -> 1234 fen, exactly (string arithmetic, never floating point: 0.29 * 100 is not 29).
 * More than two decimals (fees can have them) round half away from zero to the fen.
 */
export function yuanToFen(yuan: string, lineNo?: number): number {
  const m = /^([+-])?(\d+)(?:\.(\d*))?$/.exec(yuan.trim())
  if (!m) throw new Error(`bill: ${lineNo ? `line ${lineNo}: ` : ''}not an amount: ${JSON.stringify(yuan)}`)
  const frac = (m[3] ?? '').padEnd(3, '0')
  let fen = Number(m[2]) * 100 + Number(frac.slice(0, 2))
  if (Number(frac[2]) >= 5) fen += 1
  if (!Number.isSafeInteger(fen)) throw new Error(`bill: amount out of range: ${yuan}`)
  return m[1] === '-' && fen !== 0 ? -fen : fen
}

/** 1234 fen -> "12.34" (how the bill writes amounts). */
export function fenToYuan(fen: number): string {
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(fen)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/** "2024-05-20 13:29:35" in China time (UTC+8, no daylight saving) -> epoch ms; NaN if malformed. */
export function chinaTimeToEpochMs(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text.trim())
  if (!m) return Number.NaN
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number]
  return Date.UTC(y, mo - 1, d, h, mi, s) - 8 * 3600_000
}
