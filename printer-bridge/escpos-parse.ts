// A parser for the ESC/POS subset that receipt and kitchen printers (Epson and the Chinese Xprinter/Gprinter
// family) actually receive. Used by the virtual printer (printer-bridge/virtual-printer.ts) and by tests to
// see what a byte stream would print. It never throws: unknown or truncated commands are skipped and noted
// in `warnings`.
//
// Byte layout summary (hex):
//   ESC @          1B 40            initialise: modes back to power-on defaults
//   ESC ! n        1B 21 n          print mode: bit3 bold, bit4 double height, bit5 double width, bit7 underline
//   ESC E n        1B 45 n          bold (bit0)
//   ESC - n        1B 2D n          underline (n = 1/2 or '1'/'2')
//   ESC a n        1B 61 n          align 0/'0' left, 1/'1' centre, 2/'2' right (takes effect at line start)
//   ESC d n        1B 64 n          print and feed n lines (same as n LFs)
//   ESC J n        1B 4A n          print and feed n dots
//   ESC B n t      1B 42 n t        buzzer (Chinese vendor extension): n beeps of t x 50 ms
//   ESC t n        1B 74 n          single-byte code page (PC437 default)
//   GS ! n         1D 21 n          size: high nibble width-1, low nibble height-1
//   GS B n         1D 42 n          reverse (white on black), bit0
//   GS V m [n]     1D 56 m [n]      cut: m 0/1/48/49 alone; m 65/66/97/98/103/104 take n (feed n, then cut)
//   GS ( k pL pH cn fn ...           2D codes; cn 49 = QR: fn 80 stores data (m=48 then data), fn 81 prints it
//   GS v 0 m xL xH yL yH d...        raster bit image, (xL+xH*256) bytes per row, yL+yH*256 rows
//   FS & / FS .    1C 26 / 1C 2E    Chinese double-byte mode on/off: text is GB18030 while on
//   FS ! n         1C 21 n          Chinese print mode: bit2 double width, bit3 double height, bit7 underline
//   DLE EOT n      10 04 n          real-time status query; answered by the printer, prints nothing
//   LF 0A prints the line; CR 0D is ignored (as with auto line feed off); HT 09 tabs to the next 8 columns.
import iconv from 'iconv-lite'

export type Align = 'left' | 'center' | 'right'

export interface TextStyle {
  bold: boolean
  /** Width multiplier 1..8 (GS ! high nibble + 1, or 2 from ESC ! bit 5). */
  width: number
  /** Height multiplier 1..8. */
  height: number
  align: Align
  reverse: boolean
  underline: boolean
}

export interface TextRun {
  text: string
  style: TextStyle
  /**
   * The characters were double-byte (Chinese mode) codes: each is a full-width glyph, two Font A columns
   * (24 dots) wide before size multipliers. Otherwise one column (12 dots) per character.
   */
  cjk: boolean
}

export type Element =
  /** One printed line (ended by LF, ESC d, a cut, a QR code or the end of data). `runs` empty: blank line. */
  | { type: 'line'; align: Align; runs: TextRun[]; text: string }
  | { type: 'qr'; data: string; align: Align; moduleSize: number }
  | { type: 'image'; align: Align; widthDots: number; heightDots: number; bits: Uint8Array }
  | { type: 'feed'; dots: number }
  | { type: 'cut'; partial: boolean; feedLines: number }
  | { type: 'beep'; times: number; ms: number }

/** The state a printer keeps between commands; carried from one ticket to the next on a connection. */
export interface PrinterModes {
  style: TextStyle
  chinese: boolean
  /** FS ! bits for double-byte characters. */
  cjkDoubleWidth: boolean
  cjkDoubleHeight: boolean
  codePage: number
  qrStored: string | null
  qrModuleSize: number
}

export interface ParsedEscPos {
  elements: Element[]
  cuts: number
  /** Total beeps requested by ESC B. */
  beeps: number
  /** Data of each QR code printed (GS ( k fn 81), in order. */
  qr: string[]
  /** DLE EOT n queries seen (n values); they print nothing. */
  statusQueries: number[]
  /** Unknown or truncated commands, with byte offsets. */
  warnings: string[]
  /** Modes after the last byte, to continue parsing a later chunk of the same stream. */
  modes: PrinterModes
}

export interface ParseOptions {
  /** Power-on Chinese mode. Many mainland printers start in it; default false so a missing FS & shows. */
  chinese?: boolean
  /** Continue from the modes of an earlier parse (e.g. the previous ticket on the same connection). */
  modes?: PrinterModes
}

const ESC = 0x1b
const GS = 0x1d
const FS = 0x1c
const DLE = 0x10

export function defaultModes(chinese = false): PrinterModes {
  return {
    style: { bold: false, width: 1, height: 1, align: 'left', reverse: false, underline: false },
    chinese,
    cjkDoubleWidth: false,
    cjkDoubleHeight: false,
    codePage: 0,
    qrStored: null,
    qrModuleSize: 3,
  }
}

function cloneModes(m: PrinterModes): PrinterModes {
  return { ...m, style: { ...m.style } }
}

/** A token is one command or one character: its byte length, or `null` when more bytes are needed. */
export type TokenKind = 'text' | 'control' | 'command' | 'realtime'
export interface Token {
  kind: TokenKind
  len: number
}

const u16 = (b: Uint8Array, i: number) => (b[i] ?? 0) + (b[i + 1] ?? 0) * 256

/** Bytes needed at i..: `need` when the length is only known once these are present. */
function sized(b: Uint8Array, i: number, need: number, total: () => number): number | null {
  if (i + need > b.length) return null
  return total()
}

/** Length of an ESC command starting at i (b[i] = ESC), or null when incomplete. -1: unknown. */
function escLength(b: Uint8Array, i: number): number | null {
  const c = b[i + 1]
  if (c === undefined) return null
  switch (c) {
    case 0x40: // @ init
    case 0x32: // 2 default line spacing
    case 0x3c: // < return home
    case 0x4c: // L page mode
    case 0x53: // S standard mode
    case 0x0c: // FF print page-mode data
    case 0x69: // i full cut (older Epson; counted as a cut)
    case 0x6d: // m partial cut (older Epson; counted as a cut)
      return 2
    case 0x21: // ! print mode
    case 0x45: // E bold
    case 0x47: // G double strike
    case 0x2d: // - underline
    case 0x61: // a align
    case 0x64: // d feed lines
    case 0x4a: // J feed dots
    case 0x4b: // K reverse feed dots
    case 0x65: // e reverse feed lines
    case 0x33: // 3 line spacing
    case 0x4d: // M font
    case 0x74: // t code page
    case 0x52: // R international set
    case 0x56: // V rotate
    case 0x7b: // { upside down
    case 0x20: // SP right spacing
    case 0x55: // U unidirectional
    case 0x25: // % user-defined set on/off
    case 0x3f: // ? cancel user-defined char
    case 0x3d: // = peripheral select
    case 0x54: // T page-mode direction
    case 0x72: // r colour
    case 0x75: // u peripheral status
    case 0x76: // v paper sensor status
      return 3
    case 0x24: // $ absolute position
    case 0x5c: // \ relative position
    case 0x63: // c 3 n / c 4 n / c 5 n panel and sensor settings
    case 0x42: // B n t buzzer (vendor)
      return 4
    case 0x70: // p m t1 t2 drawer pulse
      return 5
    case 0x57: // W page-mode area
      return 10
    case 0x44: {
      // D n1..nk NUL: tab positions (at most 32)
      for (let j = i + 2; j < b.length && j <= i + 34; j++) if (b[j] === 0) return j - i + 1
      return b.length - i >= 35 ? 35 : null
    }
    case 0x2a: // * m nL nH d...: column bit image
      return sized(b, i, 5, () => {
        const m = b[i + 2] ?? 0
        const n = u16(b, i + 3)
        return 5 + (m === 32 || m === 33 ? 3 * n : n)
      })
    case 0x26: // & y c1 c2 [x d1..d(y*x)]...: user-defined characters
      return sized(b, i, 5, () => {
        const y = b[i + 2] ?? 0
        const c1 = b[i + 3] ?? 0
        const c2 = b[i + 4] ?? 0
        let j = i + 5
        for (let ch = c1; ch <= c2; ch++) {
          if (j >= b.length) return b.length - i + 1 // incomplete, forces "need more"
          j += 1 + y * (b[j] ?? 0)
        }
        return j - i
      })
    case 0x5a: // Z m n k dL dH d...: 2D barcode on some Chinese printers
      return sized(b, i, 7, () => 7 + u16(b, i + 5))
    default:
      return -1
  }
}

function gsLength(b: Uint8Array, i: number): number | null {
  const c = b[i + 1]
  if (c === undefined) return null
  switch (c) {
    case 0x21: // ! size
    case 0x42: // B reverse
    case 0x61: // a auto status back
    case 0x72: // r status
    case 0x49: // I printer id
    case 0x68: // h barcode height
    case 0x77: // w barcode width
    case 0x48: // H HRI position
    case 0x66: // f HRI font
    case 0x62: // b smoothing
    case 0x54: // T print position to line start
    case 0x45: // E head energy (vendor)
    case 0x2f: // / print downloaded bit image
    case 0x6a: // j auto status back for ink
      return 3
    case 0x3a: // : macro start/end
      return 2
    case 0x4c: // L left margin
    case 0x57: // W print area width
    case 0x50: // P motion units
    case 0x24: // $ vertical position
    case 0x5c: // \ relative vertical position
      return 4
    case 0x5e: // ^ r t m run macro
      return 5
    case 0x56: {
      // V m [n]: cut
      const m = b[i + 2]
      if (m === undefined) return null
      return m === 65 || m === 66 || m === 97 || m === 98 || m === 103 || m === 104 ? 4 : 3
    }
    case 0x28: // ( X pL pH ...: all GS ( functions carry their own length
      return sized(b, i, 5, () => 5 + u16(b, i + 3))
    case 0x38: // 8 L p1 p2 p3 p4 ...: large graphics data (32-bit length)
      return sized(b, i, 7, () => {
        const n =
          (b[i + 3] ?? 0) + (b[i + 4] ?? 0) * 0x100 + (b[i + 5] ?? 0) * 0x10000 + (b[i + 6] ?? 0) * 0x1000000
        return 7 + n
      })
    case 0x76: // v 0 m xL xH yL yH d...: raster bit image
      return sized(b, i, 8, () => 8 + u16(b, i + 4) * u16(b, i + 6))
    case 0x2a: // * x y d...: define downloaded bit image
      return sized(b, i, 4, () => 4 + (b[i + 2] ?? 0) * (b[i + 3] ?? 0) * 8)
    case 0x6b: {
      // k m ...: 1D barcode. m 0..6: data ends with NUL; m 65..79: n then n bytes
      const m = b[i + 2]
      if (m === undefined) return null
      if (m <= 6) {
        for (let j = i + 3; j < b.length; j++) if (b[j] === 0) return j - i + 1
        return null
      }
      return sized(b, i, 4, () => 4 + (b[i + 3] ?? 0))
    }
    default:
      return -1
  }
}

function fsLength(b: Uint8Array, i: number): number | null {
  const c = b[i + 1]
  if (c === undefined) return null
  switch (c) {
    case 0x26: // & Chinese on
    case 0x2e: // . Chinese off
      return 2
    case 0x21: // ! Chinese print mode
    case 0x2d: // - Chinese underline
    case 0x43: // C select encoding
    case 0x57: // W Chinese quadruple size
      return 3
    case 0x53: // S left/right spacing for Chinese
    case 0x70: // p n m print NV bit image
      return 4
    case 0x32: // 2 c1 c2 d1..d72: user-defined 24x24 Chinese character
      return 76
    case 0x28: // ( X pL pH ...
      return sized(b, i, 5, () => 5 + u16(b, i + 3))
    case 0x71: {
      // q n [xL xH yL yH d1..dk]1..n: define NV bit images, k = x * y * 8
      const n = b[i + 2]
      if (n === undefined) return null
      let j = i + 3
      for (let k = 0; k < n; k++) {
        if (j + 4 > b.length) return null
        j += 4 + u16(b, j) * u16(b, j + 2) * 8
      }
      return j - i
    }
    default:
      return -1
  }
}

function dleLength(b: Uint8Array, i: number): number | null {
  const c = b[i + 1]
  if (c === undefined) return null
  if (c === 0x04 || c === 0x05) return 3 // EOT n status / ENQ n recovery
  if (c === 0x14) {
    // DC4 fn ...: fn 1 pulse (m t), fn 2 power off (1 8), fn 3 buzzer (a n r t1 t2), fn 7 (m), fn 8 (7 bytes)
    const fn = b[i + 2]
    if (fn === undefined) return null
    return fn === 1 || fn === 2 ? 5 : fn === 3 ? 8 : fn === 7 ? 4 : fn === 8 ? 10 : 3
  }
  return 1
}

/**
 * The next token at `i`: a command (with its documented length), a control byte, or one character (two or
 * four bytes for a GB18030 code when `chinese` is on). `null` when the data ends inside it.
 * Unknown ESC/GS/FS commands take two bytes (prefix and function byte).
 */
export function nextToken(b: Uint8Array, i: number, chinese: boolean): Token | null {
  const c = b[i]
  if (c === undefined) return null
  let len: number | null
  switch (c) {
    case ESC:
      len = escLength(b, i)
      break
    case GS:
      len = gsLength(b, i)
      break
    case FS:
      len = fsLength(b, i)
      break
    case DLE: {
      len = dleLength(b, i)
      if (len === null) return null
      if (len === 1) return { kind: 'control', len }
      return i + len > b.length ? null : { kind: 'realtime', len }
    }
    default: {
      if (c < 0x20 || c === 0x7f) return { kind: 'control', len: 1 }
      if (chinese && c >= 0x81 && c <= 0xfe) {
        const c2 = b[i + 1]
        if (c2 === undefined) return null
        const n = c2 >= 0x30 && c2 <= 0x39 ? 4 : 2
        return i + n > b.length ? null : { kind: 'text', len: n }
      }
      return { kind: 'text', len: 1 }
    }
  }
  if (len === null) return null
  if (len === -1) return { kind: 'command', len: 2 }
  return i + len > b.length ? null : { kind: 'command', len }
}

/** Whether the command token at i cuts the paper (GS V m [n], or the older ESC i / ESC m). */
export function isCut(b: Uint8Array, i: number, tok: Token): boolean {
  if (tok.kind !== 'command') return false
  const p = b[i]
  const c = b[i + 1]
  return (p === GS && c === 0x56) || (p === ESC && (c === 0x69 || c === 0x6d))
}

/** Tracks FS & / FS . / ESC @ so a stream splitter can tokenise text the way the printer will. */
export function chineseAfter(
  b: Uint8Array,
  i: number,
  tok: Token,
  chinese: boolean,
  powerOn: boolean,
): boolean {
  if (tok.kind !== 'command') return chinese
  const p = b[i]
  const c = b[i + 1]
  if (p === FS && c === 0x26) return true
  if (p === FS && c === 0x2e) return false
  if (p === ESC && c === 0x40) return powerOn
  return chinese
}

function hex(b: Uint8Array, i: number, n: number): string {
  return Array.from(b.subarray(i, Math.min(b.length, i + n)), (x) => x.toString(16).padStart(2, '0')).join(
    ' ',
  )
}

const CODE_PAGES: Record<number, string> = {
  0: 'cp437',
  2: 'cp850',
  3: 'cp860',
  4: 'cp863',
  5: 'cp865',
  16: 'windows1252',
  17: 'cp866',
  18: 'cp852',
  19: 'cp858',
}

function decodeQr(data: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data)
  } catch {
    return iconv.decode(Buffer.from(data), 'gb18030')
  }
}

function alignOf(n: number): Align {
  const v = n >= 0x30 ? n - 0x30 : n
  return v === 1 ? 'center' : v === 2 ? 'right' : 'left'
}

class Parser {
  readonly out: ParsedEscPos
  private m: PrinterModes
  private readonly powerOnChinese: boolean
  private runs: TextRun[] = []
  private lineAlign: Align | null = null
  private cols = 0
  /** Raw bytes of the text run being collected, decoded when the style changes or the line ends. */
  private pending: number[] = []
  private pendingCjk = false

  constructor(opts: ParseOptions) {
    this.powerOnChinese = opts.chinese ?? false
    this.m = opts.modes ? cloneModes(opts.modes) : defaultModes(this.powerOnChinese)
    this.out = { elements: [], cuts: 0, beeps: 0, qr: [], statusQueries: [], warnings: [], modes: this.m }
  }

  run(b: Uint8Array): ParsedEscPos {
    let i = 0
    while (i < b.length) {
      const tok = nextToken(b, i, this.m.chinese)
      if (tok === null) {
        this.out.warnings.push(`truncated command at ${i}: ${hex(b, i, 8)}`)
        break
      }
      if (tok.kind === 'text') this.text(b, i, tok.len)
      else this.command(b, i, tok)
      i += tok.len
    }
    this.flushLine(false)
    this.out.modes = cloneModes(this.m)
    return this.out
  }

  private style(): TextStyle {
    return { ...this.m.style }
  }

  private text(b: Uint8Array, i: number, len: number) {
    const cjk = len > 1
    if (this.pending.length > 0 && cjk !== this.pendingCjk) this.flushRun()
    this.pendingCjk = cjk
    if (this.lineAlign === null) this.lineAlign = this.m.style.align
    for (let k = 0; k < len; k++) this.pending.push(b[i + k]!)
    this.cols += (cjk ? 2 : 1) * this.m.style.width
  }

  /** Decode collected bytes into a run with the current style (called before any style change). */
  private flushRun() {
    if (this.pending.length === 0) return
    const bytes = Buffer.from(this.pending)
    const cjk = this.pendingCjk
    const text = cjk
      ? iconv.decode(bytes, 'gb18030')
      : iconv.decode(bytes, CODE_PAGES[this.m.codePage] ?? 'cp437')
    this.pending = []
    const style = this.style()
    if (cjk) {
      if (this.m.cjkDoubleWidth) style.width = Math.max(style.width, 2)
      if (this.m.cjkDoubleHeight) style.height = Math.max(style.height, 2)
    }
    const last = this.runs[this.runs.length - 1]
    if (last && last.cjk === cjk && sameStyle(last.style, style)) last.text += text
    else this.runs.push({ text, style, cjk })
  }

  /** End the current line. `force`: emit even when empty (an LF on an empty buffer feeds a blank line). */
  private flushLine(force: boolean) {
    this.flushRun()
    if (this.runs.length > 0 || force) {
      const runs = this.runs
      this.out.elements.push({
        type: 'line',
        align: this.lineAlign ?? this.m.style.align,
        runs,
        text: runs.map((r) => r.text).join(''),
      })
    }
    this.runs = []
    this.lineAlign = null
    this.cols = 0
  }

  private setStyle(change: Partial<TextStyle>) {
    this.flushRun()
    Object.assign(this.m.style, change)
  }

  private command(b: Uint8Array, i: number, tok: Token) {
    const p = b[i]!
    const c = b[i + 1] ?? 0
    const n = b[i + 2] ?? 0
    if (tok.kind === 'control') {
      if (p === 0x0a || p === 0x0c) this.flushLine(true)
      else if (p === 0x09) {
        this.flushRun()
        const spaces = 8 - (this.cols % 8)
        for (let k = 0; k < spaces; k++) this.text(Uint8Array.of(0x20), 0, 1)
      }
      // CR and other control bytes print nothing.
      return
    }
    if (tok.kind === 'realtime') {
      if (p === DLE && c === 0x04) this.out.statusQueries.push(n)
      return
    }
    if (p === ESC) {
      switch (c) {
        case 0x40:
          this.flushRun()
          this.m = { ...defaultModes(this.powerOnChinese), qrStored: this.m.qrStored }
          return
        case 0x21:
          return this.setStyle({
            bold: (n & 0x08) !== 0,
            height: n & 0x10 ? 2 : 1,
            width: n & 0x20 ? 2 : 1,
            underline: (n & 0x80) !== 0,
          })
        case 0x45:
          return this.setStyle({ bold: (n & 1) === 1 })
        case 0x2d:
          return this.setStyle({ underline: n === 1 || n === 2 || n === 0x31 || n === 0x32 })
        case 0x61:
          this.m.style.align = alignOf(n)
          return
        case 0x64: {
          // Print and feed n lines, i.e. n LFs: a pending line is printed by the first of them.
          const open = this.runs.length > 0 || this.pending.length > 0
          this.flushLine(false)
          for (let k = open ? 1 : 0; k < n; k++) this.flushLine(true)
          return
        }
        case 0x69:
        case 0x6d:
          this.cut(c === 0x6d, 0)
          return
        case 0x4a:
          this.flushLine(false)
          this.out.elements.push({ type: 'feed', dots: n })
          return
        case 0x74:
          this.flushRun()
          this.m.codePage = n
          return
        case 0x42: {
          const t = b[i + 3] ?? 0
          this.out.beeps += n
          this.out.elements.push({ type: 'beep', times: n, ms: t * 50 })
          return
        }
        default:
          if (tok.len === 2 && escLength(b, i) === -1) this.warnUnknown(b, i)
          return
      }
    }
    if (p === GS) {
      switch (c) {
        case 0x21:
          return this.setStyle({ width: ((n >> 4) & 7) + 1, height: (n & 7) + 1 })
        case 0x42:
          return this.setStyle({ reverse: (n & 1) === 1 })
        case 0x56:
          this.cut(
            n === 1 || n === 49 || n === 66 || n === 98 || n === 104,
            tok.len === 4 ? (b[i + 3] ?? 0) : 0,
          )
          return
        case 0x28:
          if (n === 0x6b) this.twoD(b, i, tok.len)
          return
        case 0x76:
          if (b[i + 2] === 0x30) this.raster(b, i)
          return
        default:
          if (tok.len === 2 && gsLength(b, i) === -1) this.warnUnknown(b, i)
          return
      }
    }
    if (p === FS) {
      switch (c) {
        case 0x26:
          this.flushRun()
          this.m.chinese = true
          return
        case 0x2e:
          this.flushRun()
          this.m.chinese = false
          return
        case 0x21:
          this.flushRun()
          this.m.cjkDoubleWidth = (n & 0x04) !== 0
          this.m.cjkDoubleHeight = (n & 0x08) !== 0
          return
        default:
          if (tok.len === 2 && fsLength(b, i) === -1) this.warnUnknown(b, i)
          return
      }
    }
  }

  private cut(partial: boolean, feedLines: number) {
    this.flushLine(false)
    this.out.cuts++
    this.out.elements.push({ type: 'cut', partial, feedLines })
  }

  private warnUnknown(b: Uint8Array, i: number) {
    this.out.warnings.push(`unknown command at ${i}: ${hex(b, i, 2)} (skipped 2 bytes)`)
  }

  /** GS ( k pL pH cn fn ...: only QR (cn 49) fn 67 size, 80 store and 81 print matter here. */
  private twoD(b: Uint8Array, i: number, len: number) {
    const cn = b[i + 5]
    const fn = b[i + 6]
    if (cn !== 0x31) return
    if (fn === 0x43) this.m.qrModuleSize = b[i + 7] ?? 3
    else if (fn === 0x50) this.m.qrStored = decodeQr(b.subarray(i + 8, i + len))
    else if (fn === 0x51 && this.m.qrStored !== null) {
      this.flushLine(false)
      this.out.qr.push(this.m.qrStored)
      this.out.elements.push({
        type: 'qr',
        data: this.m.qrStored,
        align: this.m.style.align,
        moduleSize: this.m.qrModuleSize,
      })
    }
  }

  private raster(b: Uint8Array, i: number) {
    this.flushLine(false)
    const bytesPerRow = u16(b, i + 4)
    const rows = u16(b, i + 6)
    this.out.elements.push({
      type: 'image',
      align: this.m.style.align,
      widthDots: bytesPerRow * 8,
      heightDots: rows,
      bits: b.slice(i + 8, i + 8 + bytesPerRow * rows),
    })
  }
}

function sameStyle(a: TextStyle, b: TextStyle): boolean {
  return (
    a.bold === b.bold &&
    a.width === b.width &&
    a.height === b.height &&
    a.align === b.align &&
    a.reverse === b.reverse &&
    a.underline === b.underline
  )
}

export function parseEscPos(bytes: Uint8Array, opts: ParseOptions = {}): ParsedEscPos {
  return new Parser(opts).run(bytes)
}

// ---------------------------------------------------------------------------------------------------------
// Layout shared by toText and the PNG renderer: lines wrap at the paper's column count, like the printer.

export interface Cell {
  ch: string
  /** Font A columns before the width multiplier: 2 for double-byte characters, else 1. */
  cols: number
  style: TextStyle
}

export interface LaidLine {
  align: Align
  cells: Cell[]
  /** Columns used, multipliers included. */
  used: number
  /** Tallest height multiplier on the line (1 for a blank line). */
  height: number
}

/** Split a line element into printed lines of at most `columns` Font A columns. */
export function layoutLine(line: Extract<Element, { type: 'line' }>, columns: number): LaidLine[] {
  const out: LaidLine[] = []
  let cur: LaidLine = { align: line.align, cells: [], used: 0, height: 1 }
  for (const run of line.runs) {
    for (const ch of run.text) {
      const cols = run.cjk ? 2 : 1
      const w = cols * run.style.width
      if (cur.used + w > columns && cur.cells.length > 0) {
        out.push(cur)
        cur = { align: line.align, cells: [], used: 0, height: 1 }
      }
      cur.cells.push({ ch, cols, style: run.style })
      cur.used += w
      cur.height = Math.max(cur.height, run.style.height)
    }
  }
  out.push(cur)
  return out
}

/** Left padding in columns for an aligned line. */
export function alignOffset(align: Align, used: number, columns: number): number {
  const free = Math.max(0, columns - used)
  return align === 'center' ? Math.floor(free / 2) : align === 'right' ? free : 0
}

/**
 * Plain text of what the paper would show, `columns` wide (32 for 58 mm, 48 for 80 mm): alignment applied,
 * double-width characters followed by spaces so columns line up, lines wrapped like the printer wraps them.
 * Non-printing events appear as markers: `[QR: data]`, `[beep x3]`, `[image WxH]`, and a `- - cut - -` rule.
 */
export function toText(parsed: Pick<ParsedEscPos, 'elements'>, columns = 48): string {
  const lines: string[] = []
  const place = (s: string, used: number, align: Align) =>
    (' '.repeat(alignOffset(align, used, columns)) + s).trimEnd()
  for (const el of parsed.elements) {
    switch (el.type) {
      case 'line':
        for (const l of layoutLine(el, columns)) {
          let s = ''
          for (const cell of l.cells) s += cell.ch + ' '.repeat(cell.cols * (cell.style.width - 1))
          lines.push(place(s, l.used, l.align))
        }
        break
      case 'qr': {
        const s = `[QR: ${el.data}]`
        lines.push(place(s, s.length, el.align))
        break
      }
      case 'image': {
        const s = `[image ${el.widthDots}x${el.heightDots}]`
        lines.push(place(s, s.length, el.align))
        break
      }
      case 'feed':
        for (let k = 0; k < Math.floor(el.dots / 30); k++) lines.push('')
        break
      case 'beep':
        lines.push(`[beep x${el.times}]`)
        break
      case 'cut': {
        const label = el.partial ? ' cut ' : ' full cut '
        const side = Math.max(2, Math.floor((columns - label.length) / 2))
        lines.push('-'.repeat(side) + label + '-'.repeat(Math.max(2, columns - side - label.length)))
        break
      }
    }
  }
  return lines.join('\n')
}
