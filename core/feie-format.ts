// A ticket in 飞鹅 (Feie) cloud printer markup. Feie prints the content string itself, so instead of ESC/POS
// bytes a ticket becomes text with Feie's tags:
//   <BR> new line          <CB>…</CB> centred, double width and height    <B>…</B> double width and height
//   <C>…</C> centred       <BOLD>…</BOLD> bold                            <QR>…</QR> a QR code of the text
// Layout is ours: columns are counted as the printer counts them (58 mm paper 32, 80 mm paper 48 single-width
// columns; double size halves them) so right-aligned amounts line up.
import type { Station } from './menu'
import { type Fen, formatFen, sumFen } from './money'
import type { OrderMode } from './order-machine'
import type { Ticket, TicketLine } from './tickets'

export type PaperWidth = 58 | 80

/** Single-width columns per line (Font A, 12 dots wide, on 384 / 576 printable dots). */
export const FEIE_COLUMNS: Record<PaperWidth, number> = { 58: 32, 80: 48 }

const STATION_LABEL: Record<Station, string> = { hot: '热菜', cold: '凉菜', bar: '吧台', pass: '传菜' }
const MODE_LABEL: Record<OrderMode, string> = { dine_in: '堂食', pickup: '自提', delivery: '外卖' }

/** Beijing time (UTC+8, no daylight saving), so the ticket reads the same whatever the server's zone. */
const BEIJING_OFFSET_MS = 8 * 3600_000

/**
 * Columns a string takes on the printer. Feie printers print GBK: an ASCII character is one single-width
 * column, every other character (汉字, full-width punctuation, and also ·, ×, — which GBK holds as double-byte)
 * takes two.
 */
export function displayWidth(s: string): number {
  let w = 0
  for (const ch of s) w += ch.codePointAt(0)! < 0x80 ? 1 : 2
  return w
}

/**
 * `left` and `right` on one line of `cols` columns, `right` flush right. When both do not fit with a space
 * between them, `left` gets its own line (the printer wraps it if needed) and `right` goes flush right below.
 * Returns the printed lines without <BR>.
 */
export function spread(left: string, right: string, cols: number): string[] {
  const gap = cols - displayWidth(left) - displayWidth(right)
  if (gap >= 1) return [`${left}${' '.repeat(gap)}${right}`]
  return [left, `${' '.repeat(Math.max(0, cols - displayWidth(right)))}${right}`]
}

/** Lines with <BR>, each wrapped in `tag` when given (a tag pair never spans a line break). */
function lines(xs: readonly string[], tag?: string): string {
  return xs.map((x) => (tag ? `<${tag}>${x}</${tag}><BR>` : `${x}<BR>`)).join('')
}

/**
 * Text from diners and staff (dish names, notes, reasons) must not carry markup: a note "<CUT>" or "<QR>…"
 * would cut the paper or print a code. Angle brackets become full-width, line breaks and controls spaces.
 */
export function feieText(s: string): string {
  return s
    .replace(/</g, '＜')
    .replace(/>/g, '＞')
    .replace(/\p{Cc}+/gu, ' ')
}

export function feieContent(ticket: Ticket, width: PaperWidth): string {
  const cols = FEIE_COLUMNS[width]
  switch (ticket.kind) {
    case 'kitchen':
    case 'void':
      return stationTicket(ticket, cols)
    case 'receipt':
      return receipt(ticket, cols)
  }
}

function stationTicket(t: Ticket, cols: number): string {
  const rule = `${'-'.repeat(cols)}<BR>`
  const isVoid = t.kind === 'void'
  const title = isVoid ? '退菜' : t.addOn ? addOnTitle(t) : '厨房单'
  let out = `<CB>${t.reprint ? '重打 ' : ''}${title}</CB><BR>`
  out += `<CB>${feieText(bigLabel(t))}</CB><BR>`
  if (t.station) out += `档口：${STATION_LABEL[t.station]}<BR>`
  out += info(t)
  out += rule
  for (const l of t.lines) {
    out += `<B>${lineTitle(l)}</B><BR>`
    out += lineDetails(l)
    if (l.allergens.length > 0) out += `<BOLD>  过敏：${l.allergens.map(feieText).join('，')}</BOLD><BR>`
  }
  out += rule
  if (t.note.trim()) out += `<B>整单备注：${feieText(t.note.trim())}</B><BR>`
  if (isVoid && t.reason?.trim()) out += `<B>退菜原因：${feieText(t.reason.trim())}</B><BR>`
  out += `共 ${sumQty(t.lines)} 份<BR>`
  return out
}

function receipt(t: Ticket, cols: number): string {
  const rule = `${'-'.repeat(cols)}<BR>`
  let out = `<CB>${feieText(t.storeName)}</CB><BR>`
  if (t.reprint) out += '<C>重打</C><BR>'
  out += `<CB>${feieText(bigLabel(t))}</CB><BR>`
  if (t.addOn) out += `<C>${addOnTitle(t)}</C><BR>`
  out += info(t)
  out += rule
  for (const l of t.lines) {
    out += lines(spread(lineTitle(l), yuan(l.lineTotalFen), cols))
    out += lineDetails(l)
  }
  out += rule
  if (t.steps && t.steps.length > 0) {
    for (const s of t.steps) out += lines(spread(feieText(s.label), yuan(s.amountFen), cols))
    out += rule
  }
  const total = t.totalFen ?? sumFen(t.lines.map((l) => l.lineTotalFen))
  out += lines(spread('合计', yuan(total), cols), 'BOLD')
  if (t.note.trim()) out += `备注：${feieText(t.note.trim())}<BR>`
  if (t.qr) out += `<QR>${feieText(t.qr)}</QR>`
  return out
}

/** What the runner and the pass call out: the table at dine-in, else the pickup number with its mode. */
function bigLabel(t: Ticket): string {
  if (t.mode === 'dine_in') return t.tableLabel ?? t.pickupNo
  return `${MODE_LABEL[t.mode]} ${t.pickupNo}`
}

/** "加菜 第2轮": the kitchen cooks only what is on this ticket, on top of what the table already has. */
function addOnTitle(t: Ticket): string {
  return t.roundNo ? `加菜 第${t.roundNo}轮` : '加菜'
}

function info(t: Ticket): string {
  return (
    `${MODE_LABEL[t.mode]}  取餐号：${feieText(t.pickupNo)}<BR>` +
    `时间：${beijingTime(t.orderedAt)}<BR>` +
    `订单：${feieText(t.orderId)}<BR>`
  )
}

/** "2 x 宫保鸡丁（大份）"; the SKU is left out when it only repeats the dish. */
function lineTitle(l: TicketLine): string {
  const sku = l.skuName && l.skuName !== l.name ? `（${feieText(l.skuName)}）` : ''
  return `${l.qty} x ${feieText(l.name)}${sku}`
}

function lineDetails(l: TicketLine): string {
  let out = ''
  if (l.optionNames.length > 0) out += `  + ${l.optionNames.map(feieText).join('，')}<BR>`
  if (l.note.trim()) out += `  备注：${feieText(l.note.trim())}<BR>`
  return out
}

function sumQty(lines: readonly TicketLine[]): number {
  return lines.reduce((n, l) => n + l.qty, 0)
}

/** 1234 -> "12.34", -500 -> "-5.00". No currency sign: ¥ (U+00A5) is not in GBK and would print as "?". */
function yuan(fen: Fen): string {
  return formatFen(fen).replace('¥', '')
}

/** "2025-01-02 11:04" in Beijing time. */
function beijingTime(ms: number): string {
  const iso = new Date(ms + BEIJING_OFFSET_MS).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`
}
