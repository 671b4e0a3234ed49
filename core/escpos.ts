// Tickets as ESC/POS bytes for the thermal printers found in Chinese kitchens (Xprinter, Gprinter and
// their clones): Chinese double-byte mode, text encoded as GB18030 by an injected encoder (iconv-lite in
// Node; core stays free of runtime APIs), sizes with GS !, bold ESC E, alignment ESC a, reverse GS B,
// buzzer ESC B (a vendor extension, not Epson), QR GS ( k, and GS V 66 to feed and cut.
import type { Station } from './menu'
import type { Fen } from './money'
import type { Ticket, TicketLine } from './tickets'

export interface RenderOptions {
  width: 58 | 80
  /** Text to GB18030 bytes; injected (iconv-lite in Node). */
  encode: (text: string) => Uint8Array
  /** Beep when a kitchen or void ticket prints; never on receipts. */
  buzzer?: boolean
  /** Feed and cut at the end; default true. */
  cut?: boolean
}

const b = (...xs: number[]) => Uint8Array.from(xs)

export const ESC_POS = {
  INIT: b(0x1b, 0x40),
  /** FS &: double-byte (Chinese) mode; most mainland printers power up in it, sent anyway. */
  CHINESE_ON: b(0x1c, 0x26),
  CHINESE_OFF: b(0x1c, 0x2e),
  LF: b(0x0a),
  BOLD_ON: b(0x1b, 0x45, 0x01),
  BOLD_OFF: b(0x1b, 0x45, 0x00),
  ALIGN_LEFT: b(0x1b, 0x61, 0x00),
  ALIGN_CENTER: b(0x1b, 0x61, 0x01),
  ALIGN_RIGHT: b(0x1b, 0x61, 0x02),
  /** GS ! n: high nibble width - 1, low nibble height - 1; applies to CJK glyphs on these printers. */
  SIZE_NORMAL: b(0x1d, 0x21, 0x00),
  SIZE_DOUBLE_HEIGHT: b(0x1d, 0x21, 0x01),
  SIZE_DOUBLE_WIDTH: b(0x1d, 0x21, 0x10),
  SIZE_DOUBLE: b(0x1d, 0x21, 0x11),
  /** ESC ! n print mode, reset to Font A normal. */
  MODE_NORMAL: b(0x1b, 0x21, 0x00),
  REVERSE_ON: b(0x1d, 0x42, 0x01),
  REVERSE_OFF: b(0x1d, 0x42, 0x00),
  /** ESC d 3: feed three lines so the last printed line clears the cutter. */
  FEED_3: b(0x1b, 0x64, 0x03),
  /** GS V 66 0: feed to the cutting position, then partial cut. */
  CUT: b(0x1d, 0x56, 0x42, 0x00),
} as const

const STATION_NAMES: Record<Station, string> = { hot: '热菜', cold: '凉菜', bar: '酒水', pass: '出品' }
const MODE_NAMES = { dine_in: '堂食', pickup: '自提', delivery: '外卖' } as const

/** Font A columns per line. */
const COLUMNS = { 58: 32, 80: 48 } as const
/** Beeps and beep length (x 50 ms) for a kitchen ticket: three short beeps. */
const KITCHEN_BEEPS = 3
const KITCHEN_BEEP_LENGTH = 2
/** Module size 1..16; 6 gives a ~2.5 cm code for a short order id on either paper width. */
const QR_SIZE = 6
/** China Standard Time, no DST: tickets show the kitchen's wall clock wherever the code runs. */
const UTC8_MS = 8 * 3600 * 1000

/**
 * Display columns of text in Font A with Chinese mode on: ASCII is one column; everything else is sent as a
 * double-byte GB code, which these printers draw as a full-width glyph (so ·, ×, ° also take two).
 * Control characters take none (they are stripped before printing).
 */
export function textWidth(s: string): number {
  let w = 0
  for (const ch of s) w += charWidth(ch)
  return w
}

function charWidth(ch: string): number {
  const c = ch.codePointAt(0)!
  if (c < 0x20 || c === 0x7f) return 0
  return c < 0x80 ? 1 : 2
}

/** `left` then `right` flush right on one line of `cols` columns; `left` is cut to fit, never `right`. */
export function padColumns(left: string, right: string, cols: number): string {
  const rw = textWidth(right)
  if (rw >= cols) return truncate(right, cols)
  const room = right === '' ? cols : cols - rw - 1
  const l = truncate(left, room)
  return l + ' '.repeat(cols - textWidth(l) - rw) + right
}

/** The longest prefix of s at most `cols` wide. */
function truncate(s: string, cols: number): string {
  let out = ''
  let w = 0
  for (const ch of s) {
    const cw = charWidth(ch)
    if (w + cw > cols) break
    out += ch
    w += cw
  }
  return out
}

/** Break text into lines at most `cols` wide, continuation lines starting with `indent`. */
function wrap(s: string, cols: number, indent = ''): string[] {
  const lines: string[] = []
  let cur = ''
  let w = 0
  const iw = textWidth(indent)
  for (const ch of s) {
    const cw = charWidth(ch)
    const limit = lines.length === 0 ? cols : cols - iw
    if (w + cw > limit && cur !== '') {
      lines.push(cur)
      cur = ''
      w = 0
      if (ch === ' ') continue
    }
    cur += ch
    w += cw
  }
  if (cur !== '' || lines.length === 0) lines.push(cur)
  return lines.map((l, i) => (i === 0 ? l : indent + l))
}

/**
 * Text typed by diners and staff must never reach the printer as commands: control characters (ESC, GS, LF
 * ...) become spaces. Characters outside the BMP (emoji) are 4-byte GB18030 that GBK firmware prints as
 * garbage, so they become '?'; variation selectors and zero-width joiners are dropped.
 */
function clean(s: string): string {
  let out = ''
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += ' '
    else if ((c >= 0xfe00 && c <= 0xfe0f) || (c >= 0x200b && c <= 0x200d) || c === 0xfeff) continue
    else if (c > 0xffff) out += '?'
    else out += ch
  }
  return out
}

/** 1234 -> "12.34", -50 -> "-0.50". No ¥: U+00A5 is not in GBK and prints as garbage. */
function yuan(fen: Fen): string {
  const abs = Math.abs(fen)
  return `${fen < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

function clock(ms: number): { date: string; time: string } {
  const d = new Date(ms + UTC8_MS)
  const p = (n: number) => String(n).padStart(2, '0')
  return {
    date: `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`,
    time: `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`,
  }
}

/** GS ( k, QR model 2: select model, module size, error correction M, store data, print. */
export function qrCode(data: string, size = QR_SIZE): Uint8Array {
  if (!Number.isInteger(size) || size < 1 || size > 16)
    throw new RangeError(`QR size must be 1..16, got ${size}`)
  const bytes = new TextEncoder().encode(data)
  // Store-data length counts the 3 bytes cn fn m; model 2 at level M holds at most 2331 bytes.
  if (bytes.length === 0 || bytes.length > 2331)
    throw new RangeError(`QR data must be 1..2331 bytes, got ${bytes.length}`)
  const len = bytes.length + 3
  return concat([
    b(0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00),
    b(0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, size),
    b(0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x31),
    b(0x1d, 0x28, 0x6b, len & 0xff, len >> 8, 0x31, 0x50, 0x30),
    bytes,
    b(0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30),
  ])
}

/** ESC B n t: n beeps (1..9), each t x 50 ms (1..9). Xprinter/Gprinter extension. */
export function buzzer(times = KITCHEN_BEEPS, duration = KITCHEN_BEEP_LENGTH): Uint8Array {
  for (const [what, v] of [
    ['times', times],
    ['duration', duration],
  ] as const)
    if (!Number.isInteger(v) || v < 1 || v > 9) throw new RangeError(`buzzer ${what} must be 1..9, got ${v}`)
  return b(0x1b, 0x42, times, duration)
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let i = 0
  for (const p of parts) {
    out.set(p, i)
    i += p.length
  }
  return out
}

class Out {
  readonly parts: Uint8Array[] = []
  constructor(
    readonly cols: number,
    private readonly encode: (text: string) => Uint8Array,
  ) {}
  raw(...cmds: Uint8Array[]): this {
    this.parts.push(...cmds)
    return this
  }
  /** One printed line; the caller keeps it within the current width. */
  line(text: string): this {
    if (text !== '') this.parts.push(this.encode(text))
    this.parts.push(ESC_POS.LF)
    return this
  }
  /** Wrapped text at a width multiplier (2 for double width). */
  para(text: string, widthMul = 1, indent = ''): this {
    for (const l of wrap(clean(text), Math.floor(this.cols / widthMul), indent)) this.line(l)
    return this
  }
  rule(): this {
    return this.line('-'.repeat(this.cols))
  }
  bytes(): Uint8Array {
    return concat(this.parts)
  }
}

export function renderTicket(ticket: Ticket, opts: RenderOptions): Uint8Array {
  const o = new Out(COLUMNS[opts.width], opts.encode)
  o.raw(ESC_POS.INIT, ESC_POS.CHINESE_ON)
  if (ticket.kind === 'receipt') receipt(o, ticket)
  else kitchen(o, ticket)
  o.raw(ESC_POS.FEED_3)
  if (opts.buzzer && ticket.kind !== 'receipt') o.raw(buzzer())
  if (opts.cut !== false) o.raw(ESC_POS.CUT)
  return o.bytes()
}

/** A big white-on-black banner: 加菜, 退菜. */
function banner(o: Out, text: string): void {
  o.raw(ESC_POS.ALIGN_CENTER, ESC_POS.SIZE_DOUBLE, ESC_POS.BOLD_ON, ESC_POS.REVERSE_ON)
  o.line(` ${text} `)
  o.raw(ESC_POS.REVERSE_OFF, ESC_POS.BOLD_OFF, ESC_POS.SIZE_NORMAL)
}

/** The order id whole on one line: on 58 mm paper "单号 " + a 30-character id would wrap mid-id. */
function orderNo(o: Out, id: string): void {
  const labelled = `单号 ${id}`
  o.para(textWidth(labelled) <= o.cols ? labelled : id)
}

function kitchen(o: Out, t: Ticket): void {
  const { time } = clock(t.orderedAt)
  if (t.kind === 'void') banner(o, '退菜')
  else if (t.addOn) banner(o, '加菜')
  if (t.reprint) o.raw(ESC_POS.ALIGN_CENTER).line('(重打)')

  // What the runner calls out: the table, or the pickup number for anything leaving the store.
  const big = t.mode === 'dine_in' && t.tableLabel ? t.tableLabel : t.pickupNo
  o.raw(ESC_POS.ALIGN_CENTER, ESC_POS.SIZE_DOUBLE, ESC_POS.BOLD_ON)
  o.para(big, 2)
  o.raw(ESC_POS.BOLD_OFF, ESC_POS.SIZE_NORMAL, ESC_POS.ALIGN_LEFT)

  const round = t.roundNo !== undefined ? ` 第${t.roundNo}轮` : ''
  o.line(padColumns(clean(`${MODE_NAMES[t.mode]} ${t.pickupNo}${round}`), time, o.cols))
  orderNo(o, t.orderId)
  if (t.station) o.raw(ESC_POS.BOLD_ON).line(`[${STATION_NAMES[t.station]}]`).raw(ESC_POS.BOLD_OFF)
  o.rule()
  for (const l of t.lines) kitchenLine(o, l)
  o.rule()
  if (t.note.trim() !== '') o.raw(ESC_POS.BOLD_ON).para(`整单备注:${t.note}`).raw(ESC_POS.BOLD_OFF)
  if (t.kind === 'void' && t.reason)
    o.raw(ESC_POS.SIZE_DOUBLE_HEIGHT, ESC_POS.BOLD_ON)
      .para(`退菜原因:${t.reason}`)
      .raw(ESC_POS.BOLD_OFF, ESC_POS.SIZE_NORMAL)
}

function kitchenLine(o: Out, l: TicketLine): void {
  const sku = l.skuName ? ` ${l.skuName}` : ''
  o.raw(ESC_POS.SIZE_DOUBLE_HEIGHT, ESC_POS.BOLD_ON)
  o.para(`${l.qty} x ${l.name}${sku}`, 1, '    ')
  o.raw(ESC_POS.BOLD_OFF, ESC_POS.SIZE_NORMAL)
  if (l.optionNames.length > 0) o.para(`  ${l.optionNames.join(' / ')}`, 1, '  ')
  const warn: string[] = []
  if (l.note.trim() !== '') warn.push(`  备注:${l.note}`)
  if (l.allergens.length > 0) warn.push(`  过敏:${l.allergens.join('、')}`)
  if (warn.length === 0) return
  o.raw(ESC_POS.BOLD_ON)
  for (const w of warn) o.para(w, 1, '  ')
  o.raw(ESC_POS.BOLD_OFF)
}

function receipt(o: Out, t: Ticket): void {
  const { date, time } = clock(t.orderedAt)
  o.raw(ESC_POS.ALIGN_CENTER, ESC_POS.SIZE_DOUBLE, ESC_POS.BOLD_ON)
  o.para(t.storeName, 2)
  o.raw(ESC_POS.BOLD_OFF, ESC_POS.SIZE_NORMAL)
  if (t.reprint) o.line('(重打)')
  o.raw(ESC_POS.SIZE_DOUBLE_HEIGHT).para(`${MODE_NAMES[t.mode]} ${t.pickupNo}`).raw(ESC_POS.SIZE_NORMAL)
  o.raw(ESC_POS.ALIGN_LEFT)
  const table = t.mode === 'dine_in' && t.tableLabel ? `桌号 ${t.tableLabel}` : ''
  o.line(padColumns(clean(table), `${date} ${time}`, o.cols))
  orderNo(o, t.orderId)
  o.rule()
  for (const l of t.lines) {
    const name = clean(`${l.name}${l.skuName ? ` ${l.skuName}` : ''}`)
    amountLine(o, name, ` x${l.qty}`, yuan(l.lineTotalFen))
    if (l.optionNames.length > 0) o.para(`  ${l.optionNames.join(' / ')}`, 1, '  ')
    if (l.note.trim() !== '') o.para(`  备注:${l.note}`, 1, '  ')
  }
  o.rule()
  for (const s of t.steps ?? []) amountLine(o, clean(s.label), '', yuan(s.amountFen))
  if (t.totalFen !== undefined) {
    o.raw(ESC_POS.SIZE_DOUBLE_HEIGHT, ESC_POS.BOLD_ON)
    o.line(padColumns('合计', yuan(t.totalFen), o.cols))
    o.raw(ESC_POS.BOLD_OFF, ESC_POS.SIZE_NORMAL)
  }
  if (t.note.trim() !== '') o.para(`备注:${t.note}`)
  if (t.qr) o.raw(ESC_POS.ALIGN_CENTER, qrCode(t.qr), ESC_POS.LF).line('扫码查看订单').raw(ESC_POS.ALIGN_LEFT)
}

/**
 * `text` + `suffix` with `amount` flush right; text too long to share the line is printed whole above
 * (wrapped), then `suffix` and the amount, so a dish name or a discount's label is never cut.
 */
function amountLine(o: Out, text: string, suffix: string, amount: string): void {
  const left = text + suffix
  if (textWidth(left) + 1 + textWidth(amount) <= o.cols) o.line(padColumns(left, amount, o.cols))
  else o.para(text).line(padColumns(suffix === '' ? '' : ` ${suffix}`, amount, o.cols))
}
