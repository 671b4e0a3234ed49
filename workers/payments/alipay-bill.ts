// Alipay's daily trade bill (bill_type "trade", 业务明细), pure: GBK bytes in, normalised BillRow[] out.
// alipay.ts fetches the csv.zip and unzips it (zip.ts); everything about the file's layout lives here.
//
// The archive holds two GBK CSV files, `<pid>_<yyyyMMdd>_业务明细.csv` and `..._业务明细(汇总).csv`. The
// detail file looks like this (columns found by name, never by position: Alipay has added columns before):
//
//   #支付宝业务明细查询
//   #账号：[2088...]
//   #起始日期：[2024年05月01日 00:00:00]   终止日期：[2024年05月02日 00:00:00]
//   #-----------------------------------------业务明细列表----------------------------------------
//   支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,
//     订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,
//     券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注
//   2024050122001...	,ord_01...	,交易	,午餐	,2024-05-01 12:00:01,2024-05-01 12:00:09,...,  12.34,...
//   #-----------------------------------------业务明细列表结束------------------------------------
//   #交易合计：1笔，商家实收共12.34元，商家优惠共0.00元
//
// Cells are padded with tabs and spaces (so spreadsheets keep long numbers as text); refund rows have
// 业务类型 "退款", negative amounts and the refund's out_request_no in 退款批次号/请求号.

import iconv from 'iconv-lite'
import { parseYuan } from '../../core/money'
import type { BillRow } from './provider'

/** Beijing time is UTC+8 all year (no daylight saving); Alipay writes every time in it. */
const BEIJING_OFFSET_MS = 8 * 3600_000

/** 1234 -> "12.34", the yuan string Alipay expects (total_amount, refund_amount), exactly. */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0)
    throw new RangeError(`not a non-negative integer fen amount: ${fen}`)
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`
}

/** "12.34" (tabs and spaces around allowed) -> 1234, exactly; anything but ≤ 2 decimals is refused. */
export const yuanToFen = (yuan: string): number => parseYuan(yuan)

/** "yyyy-MM-dd HH:mm:ss" in Beijing time, as Alipay's timestamp and time_expire want it. */
export function formatBeijingTime(ms: number): string {
  const d = new Date(ms + BEIJING_OFFSET_MS)
  const p = (n: number) => String(n).padStart(2, '0')
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
  )
}

/** "yyyy-MM-dd HH:mm:ss" (optionally ".SSS", "/" as date separator) in Beijing time -> epoch ms. */
export function parseBeijingTime(text: string | undefined): number | undefined {
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(
    (text ?? '').trim(),
  )
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, ms] = m
  return (
    Date.UTC(
      Number(y),
      Number(mo) - 1,
      Number(d),
      Number(h),
      Number(mi),
      Number(s),
      Number((ms ?? '').padEnd(3, '0')),
    ) - BEIJING_OFFSET_MS
  )
}

/** Bill files are GBK; GB18030 is its superset, so decoding as GB18030 never loses a character. */
export function decodeGbk(bytes: Uint8Array): string {
  return iconv.decode(bytes, 'gb18030')
}

/** Header name without its unit and padding: "订单金额（元）" and "订单金额(元)" both become "订单金额". */
const columnKey = (h: string): string => h.trim().replace(/[（(]元[）)]$/, '')

/** One CSV line; Alipay does not quote, but a quoted cell (with "" escapes) is read correctly anyway. */
function splitCsvLine(line: string): string[] {
  const cells: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"' && cell.trim() === '') {
      quoted = true
      cell = ''
    } else if (c === ',') {
      cells.push(cell)
      cell = ''
    } else cell += c
  }
  cells.push(cell)
  return cells
}

const DETAIL_HEADER_MARKERS = ['支付宝交易号', '商户订单号', '业务类型'] as const

/** True when the text is a 业务明细 detail file (not the 汇总 summary, which has no 支付宝交易号 column). */
export function isTradeBillDetail(text: string): boolean {
  return text
    .split(/\r?\n/)
    .some((line) => !line.startsWith('#') && DETAIL_HEADER_MARKERS.every((m) => line.includes(m)))
}

/**
 * The rows of a 业务明细 CSV (already decoded to text). Payments (业务类型 交易) and refunds (退款); other
 * business types are skipped. Throws when the header is missing or an amount is not a yuan amount, rather
 * than reconciling against a half-read bill.
 */
export function parseAlipayTradeBill(text: string): BillRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const headerAt = lines.findIndex(
    (line) => !line.startsWith('#') && DETAIL_HEADER_MARKERS.every((m) => line.includes(m)),
  )
  if (headerAt < 0)
    throw new Error('Alipay bill: no 业务明细 header line (支付宝交易号,商户订单号,业务类型,...)')
  const header = splitCsvLine(lines[headerAt] as string).map(columnKey)
  const col = (name: string): number => header.indexOf(name)
  const at = {
    tradeNo: col('支付宝交易号'),
    outTradeNo: col('商户订单号'),
    type: col('业务类型'),
    created: col('创建时间'),
    finished: col('完成时间'),
    total: col('订单金额'),
    received: col('商家实收'),
    requestNo: col('退款批次号/请求号'),
    fee: col('服务费'),
  }
  if (at.tradeNo < 0 || at.outTradeNo < 0 || at.type < 0 || (at.total < 0 && at.received < 0))
    throw new Error(`Alipay bill: header lacks required columns: ${header.join(',')}`)

  const rows: BillRow[] = []
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i] as string
    if (line.startsWith('#')) break // "#---业务明细列表结束---" and the totals after it
    if (line.trim() === '') continue
    const cells = splitCsvLine(line).map((c) => c.trim())
    const cell = (index: number): string => (index >= 0 ? (cells[index] ?? '') : '')
    const type = cell(at.type)
    const kind = type.includes('退款') ? 'refund' : type.includes('交易') ? 'payment' : undefined
    if (!kind) continue
    const amount = (index: number): number | undefined => {
      const v = cell(index)
      if (v === '') return undefined
      try {
        return yuanToFen(v)
      } catch {
        throw new Error(`Alipay bill line ${i + 1}: not a yuan amount: ${JSON.stringify(v)}`)
      }
    }
    const total = amount(at.total)
    const received = amount(at.received)
    // A refund row carries the refunded amount as a negative 订单金额; should a file ever show the original
    // order's (positive) total there instead, 商家实收 (negative, what went back) is the refund.
    const amountFen =
      kind === 'refund'
        ? Math.abs(total !== undefined && total < 0 ? total : (received ?? total ?? 0))
        : Math.abs(total ?? received ?? 0)
    const fee = amount(at.fee)
    const requestNo = cell(at.requestNo)
    const when = parseBeijingTime(cell(at.finished)) ?? parseBeijingTime(cell(at.created))
    if (when === undefined) throw new Error(`Alipay bill line ${i + 1}: no valid 完成时间/创建时间`)
    rows.push({
      provider: 'alipay',
      at: when,
      kind,
      outTradeNo: cell(at.outTradeNo),
      transactionId: cell(at.tradeNo),
      amountFen,
      ...(kind === 'refund' && requestNo ? { outRefundNo: requestNo } : {}),
      // 服务费 is negative on payments (charged) and positive on refunds (given back); the size is the fee.
      ...(fee !== undefined ? { feeFen: Math.abs(fee) } : {}),
    })
  }
  return rows
}

/**
 * The detail rows out of the files of a bill archive (GBK names and contents): the file whose content has
 * the 业务明细 header, whatever it is called; the 汇总 summary is ignored.
 */
export function tradeBillFromFiles(files: readonly { data: Uint8Array }[]): BillRow[] {
  for (const f of files) {
    const text = decodeGbk(f.data)
    if (isTradeBillDetail(text)) return parseAlipayTradeBill(text)
  }
  throw new Error('Alipay bill archive: no 业务明细 detail file inside')
}
