// A picture of a parsed ticket as the paper would show it: 8 dots/mm thermal head, 384 dots across on 58 mm
// paper and 576 on 80 mm, Font A cells of 12x24 dots (so 32 / 48 columns fit), double-byte characters 24x24.
// Glyphs come from Noto Sans SC (the @fontsource woff subsets, loaded lazily: only the files whose CSS
// unicode-range covers a character on the ticket) and are rasterised here to 1-bit, as a thermal head
// prints. Bold is the glyph ORed with itself one dot to the right; size multipliers scale the glyph; reverse
// is white on a black band; a cut is a dashed rule. QR codes are drawn as a labelled box, not a real code.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { PNG } from 'pngjs'
import {
  type Align,
  alignOffset,
  type Cell,
  type Element,
  layoutLine,
  type ParsedEscPos,
  type TextRun,
  type TextStyle,
} from './escpos-parse'

export interface RenderOptions {
  width: 58 | 80
}

const CELL_W = 12
const CELL_H = 24
/** Default ESC 2 line spacing is 30 dots for a 24-dot line. */
const LINE_GAP = 6
const MARGIN = 16

export const PAPER_DOTS = { 58: 384, 80: 576 } as const
export const PAPER_COLUMNS = { 58: 32, 80: 48 } as const

// ---------------------------------------------------------------------------------------------------------
// Fonts: opentype.js has no type declarations, so the small part used here is typed locally.

interface PathCommand {
  type: 'M' | 'L' | 'Q' | 'C' | 'Z'
  x?: number
  y?: number
  x1?: number
  y1?: number
  x2?: number
  y2?: number
}
interface OtGlyph {
  index: number
  advanceWidth?: number
  path: { commands: PathCommand[] }
}
interface OtFont {
  unitsPerEm: number
  charToGlyph(ch: string): OtGlyph
}
interface Face {
  file: string
  ranges: Array<[number, number]>
  font: OtFont | null | undefined
}

const require = createRequire(import.meta.url)
let opentype: { parse(buf: ArrayBuffer): OtFont } | null = null
let faces: Face[] | null = null

/** The @font-face rules of the 400 weight: unicode-range -> woff file, checked last rule first (CSS order). */
function loadFaces(): Face[] {
  if (faces) return faces
  const css = require.resolve('@fontsource/noto-sans-sc/400.css')
  const dir = dirname(css)
  const text = readFileSync(css, 'utf8')
  const out: Face[] = []
  for (const block of text.split('@font-face').slice(1)) {
    const file = /url\(\.\/(files\/[^)]+\.woff)\)/.exec(block)?.[1]
    const range = /unicode-range:\s*([^;]+);/.exec(block)?.[1]
    if (!file || !range) continue
    const ranges: Array<[number, number]> = []
    for (const part of range.split(',')) {
      const m = /U\+([0-9a-f]+)(?:-([0-9a-f]+))?/i.exec(part.trim())
      if (m?.[1]) ranges.push([Number.parseInt(m[1], 16), Number.parseInt(m[2] ?? m[1], 16)])
    }
    out.push({ file: join(dir, file), ranges, font: undefined })
  }
  faces = out.reverse()
  return faces
}

function loadFont(face: Face): OtFont | null {
  if (face.font !== undefined) return face.font
  try {
    opentype ??= require('opentype.js') as { parse(buf: ArrayBuffer): OtFont }
    const buf = readFileSync(face.file)
    face.font = opentype.parse(
      buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
    )
  } catch {
    face.font = null
  }
  return face.font
}

const glyphs = new Map<number, { font: OtFont; glyph: OtGlyph } | null>()

function findGlyph(ch: string): { font: OtFont; glyph: OtGlyph } | null {
  const cp = ch.codePointAt(0)!
  const hit = glyphs.get(cp)
  if (hit !== undefined) return hit
  let found: { font: OtFont; glyph: OtGlyph } | null = null
  for (const face of loadFaces()) {
    if (!face.ranges.some(([a, b]) => cp >= a && cp <= b)) continue
    const font = loadFont(face)
    const glyph = font?.charToGlyph(ch)
    if (font && glyph && glyph.index !== 0) {
      found = { font, glyph }
      break
    }
  }
  glyphs.set(cp, found)
  return found
}

/** Names of the woff files parsed so far (for tests and diagnostics). */
export function loadedFontFiles(): string[] {
  return (faces ?? []).filter((f) => f.font).map((f) => f.file.slice(f.file.lastIndexOf('/') + 1))
}

// ---------------------------------------------------------------------------------------------------------
// Rasteriser: flatten outlines to polygons, scanline fill with the nonzero rule, 4x4 samples per dot,
// thresholded to black/white.

interface Bitmap {
  w: number
  h: number
  /** 1 = black */
  bits: Uint8Array
}

const SS = 4

function rasterize(polys: number[][], w: number, h: number): Bitmap {
  const edges: number[] = [] // x0 y0 x1 y1 dir, flattened
  for (const p of polys) {
    const n = p.length / 2
    for (let k = 0; k < n; k++) {
      const x0 = p[2 * k]!
      const y0 = p[2 * k + 1]!
      const x1 = p[(2 * (k + 1)) % p.length]!
      const y1 = p[((2 * (k + 1)) % p.length) + 1]!
      if (y0 === y1) continue
      edges.push(x0, y0, x1, y1, y1 > y0 ? 1 : -1)
    }
  }
  const cov = new Uint16Array(w * h)
  const xs: Array<[number, number]> = []
  for (let py = 0; py < h; py++) {
    for (let sy = 0; sy < SS; sy++) {
      const y = py + (sy + 0.5) / SS
      xs.length = 0
      for (let e = 0; e < edges.length; e += 5) {
        const y0 = edges[e + 1]!
        const y1 = edges[e + 3]!
        if (y < Math.min(y0, y1) || y >= Math.max(y0, y1)) continue
        const x0 = edges[e]!
        xs.push([x0 + ((y - y0) * (edges[e + 2]! - x0)) / (y1 - y0), edges[e + 4]!])
      }
      if (xs.length < 2) continue
      xs.sort((a, b) => a[0] - b[0])
      let wind = 0
      let start = 0
      for (const [x, dir] of xs) {
        const before = wind
        wind += dir
        if (before === 0 && wind !== 0) start = x
        else if (before !== 0 && wind === 0) {
          const k0 = Math.max(0, Math.ceil(start * SS - 0.5))
          const k1 = Math.min(w * SS, Math.ceil(x * SS - 0.5))
          const row = py * w
          for (let k = k0; k < k1; k++) cov[row + ((k / SS) | 0)]!++
        }
      }
    }
  }
  const bits = new Uint8Array(w * h)
  const threshold = SS * SS * 0.4
  for (let k = 0; k < bits.length; k++) bits[k] = cov[k]! >= threshold ? 1 : 0
  return { w, h, bits }
}

function flatten(cmds: PathCommand[], tx: (x: number) => number, ty: (y: number) => number): number[][] {
  const polys: number[][] = []
  let cur: number[] = []
  let cx = 0
  let cy = 0
  const close = () => {
    if (cur.length >= 6) polys.push(cur)
    cur = []
  }
  for (const c of cmds) {
    if (c.type === 'M') {
      close()
      cx = tx(c.x!)
      cy = ty(c.y!)
      cur.push(cx, cy)
    } else if (c.type === 'L') {
      cx = tx(c.x!)
      cy = ty(c.y!)
      cur.push(cx, cy)
    } else if (c.type === 'Q') {
      const x1 = tx(c.x1!)
      const y1 = ty(c.y1!)
      const x = tx(c.x!)
      const y = ty(c.y!)
      const steps = 6
      for (let s = 1; s <= steps; s++) {
        const t = s / steps
        const u = 1 - t
        cur.push(u * u * cx + 2 * u * t * x1 + t * t * x, u * u * cy + 2 * u * t * y1 + t * t * y)
      }
      cx = x
      cy = y
    } else if (c.type === 'C') {
      const x1 = tx(c.x1!)
      const y1 = ty(c.y1!)
      const x2 = tx(c.x2!)
      const y2 = ty(c.y2!)
      const x = tx(c.x!)
      const y = ty(c.y!)
      const steps = 8
      for (let s = 1; s <= steps; s++) {
        const t = s / steps
        const u = 1 - t
        cur.push(
          u * u * u * cx + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t * x,
          u * u * u * cy + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y,
        )
      }
      cx = x
      cy = y
    } else if (c.type === 'Z') close()
  }
  close()
  return polys
}

const glyphBitmaps = new Map<string, Bitmap>()

/**
 * One character drawn in its cell: `cols` Font A columns wide times the width multiplier, 24 dots times the
 * height multiplier tall. The bitmap is taller than the cell (descenders) and one or two dots wider (bold).
 */
function glyphBitmap(ch: string, cols: number, wMul: number, hMul: number, bold: boolean): Bitmap {
  const key = `${ch}|${cols}|${wMul}|${hMul}|${bold ? 1 : 0}`
  const hit = glyphBitmaps.get(key)
  if (hit) return hit
  const cellW = cols * CELL_W * wMul
  const cellH = CELL_H * hMul
  const boldShift = bold ? Math.max(1, wMul) : 0
  const w = cellW + boldShift
  const h = Math.ceil(cellH * 1.15)
  let bm: Bitmap
  const g = ch === ' ' ? null : findGlyph(ch)
  if (ch === ' ') bm = { w, h, bits: new Uint8Array(w * h) }
  else if (!g) bm = tofu(cellW, cellH, w, h)
  else {
    const em = g.font.unitsPerEm
    const sy = cellH / em
    let sx = (CELL_W * 2 * wMul) / em
    const adv = g.glyph.advanceWidth ?? em
    // Latin glyphs are proportional; squeeze any wider than the cell, then centre in it.
    if (adv * sx > cellW) sx = cellW / adv
    const ox = (cellW - adv * sx) / 2
    const baseline = cellH * 0.88
    bm = rasterize(
      flatten(
        g.glyph.path.commands,
        (x) => ox + x * sx,
        (y) => baseline - y * sy,
      ),
      w,
      h,
    )
  }
  if (bold) {
    const src = bm.bits.slice()
    for (let y = 0; y < h; y++)
      for (let x = w - 1; x >= boldShift; x--) if (src[y * w + x - boldShift]) bm.bits[y * w + x] = 1
  }
  glyphBitmaps.set(key, bm)
  return bm
}

/** A hollow box for characters no subset has. */
function tofu(cellW: number, cellH: number, w: number, h: number): Bitmap {
  const bits = new Uint8Array(w * h)
  for (let y = 2; y < cellH - 1; y++)
    for (let x = 2; x < cellW - 2; x++)
      if (y === 2 || y === cellH - 2 || x === 2 || x === cellW - 3) bits[y * w + x] = 1
  return { w, h, bits }
}

// ---------------------------------------------------------------------------------------------------------
// Canvas

class Canvas {
  readonly px: Uint8Array
  constructor(
    readonly w: number,
    readonly h: number,
  ) {
    this.px = new Uint8Array(w * h).fill(255)
  }
  rect(x: number, y: number, w: number, h: number, v: number) {
    const x0 = Math.max(0, x)
    const x1 = Math.min(this.w, x + w)
    for (let yy = Math.max(0, y); yy < Math.min(this.h, y + h); yy++)
      this.px.fill(v, yy * this.w + x0, yy * this.w + x1)
  }
  /** Set dots of `bm` to `v` where its bits are 1. */
  blit(bm: Bitmap, x: number, y: number, v: number) {
    for (let yy = 0; yy < bm.h; yy++) {
      const ty = y + yy
      if (ty < 0 || ty >= this.h) continue
      for (let xx = 0; xx < bm.w; xx++) {
        const tx = x + xx
        if (tx >= 0 && tx < this.w && bm.bits[yy * bm.w + xx]) this.px[ty * this.w + tx] = v
      }
    }
  }
}

type Op = (c: Canvas) => void

function drawCells(cells: Cell[], x0: number, lineTop: number, lineH: number): Op {
  return (c) => {
    let x = x0
    for (const cell of cells) {
      const s = cell.style
      const cellW = cell.cols * CELL_W * s.width
      const cellH = CELL_H * s.height
      const top = lineTop + lineH - cellH // characters of different heights share the baseline
      if (s.reverse) c.rect(x, top, cellW, cellH, 0)
      c.blit(glyphBitmap(cell.ch, cell.cols, s.width, s.height, s.bold), x, top, s.reverse ? 255 : 0)
      if (s.underline) c.rect(x, top + cellH - 2 * s.height, cellW, s.height, s.reverse ? 255 : 0)
      x += cellW
    }
  }
}

/** Normal-size text as a line element: ASCII one column, anything else a full-width (double-byte) glyph. */
function plainLine(text: string, align: Align): Extract<Element, { type: 'line' }> {
  const style: TextStyle = { bold: false, width: 1, height: 1, align, reverse: false, underline: false }
  const runs: TextRun[] = []
  for (const ch of text) {
    const cjk = ch.charCodeAt(0) >= 0x80
    const last = runs[runs.length - 1]
    if (last && last.cjk === cjk) last.text += ch
    else runs.push({ text: ch, style, cjk })
  }
  return { type: 'line', align, runs, text }
}

function drawText(text: string, x: number, y: number): Op {
  const [l] = layoutLine(plainLine(text, 'left'), 1000)
  return drawCells(l?.cells ?? [], x, y, CELL_H)
}

/** Modules per side for a QR code of `len` bytes at error level M (versions 1..10, then a guess). */
function qrModules(len: number): number {
  const caps = [14, 26, 42, 62, 84, 106, 122, 152, 180, 213]
  const v = caps.findIndex((c) => len <= c)
  return 17 + 4 * (v === -1 ? 10 + Math.ceil((len - 213) / 30) : v + 1)
}

function layout(elements: Element[], width: 58 | 80): { ops: Op[]; height: number } {
  const dots = PAPER_DOTS[width]
  const columns = PAPER_COLUMNS[width]
  const ops: Op[] = []
  let y = MARGIN
  for (const el of elements) {
    switch (el.type) {
      case 'line':
        for (const l of layoutLine(el, columns)) {
          const lineH = CELL_H * l.height
          ops.push(drawCells(l.cells, alignOffset(l.align, l.used, columns) * CELL_W, y, lineH))
          y += lineH + LINE_GAP
        }
        break
      case 'qr': {
        const side = Math.min(dots - 8, qrModules(new TextEncoder().encode(el.data).length) * el.moduleSize)
        const x = el.align === 'center' ? (dots - side) >> 1 : el.align === 'right' ? dots - side : 0
        const top = y
        ops.push((c) => {
          c.rect(x, top, side, side, 0)
          c.rect(x + 3, top + 3, side - 6, side - 6, 255)
          const f = Math.max(7, Math.round(side * 0.2)) // finder-pattern corners, so it reads as a QR box
          for (const [fx, fy] of [
            [x, top],
            [x + side - f, top],
            [x, top + side - f],
          ] as const) {
            c.rect(fx, fy, f, f, 0)
            c.rect(fx + 2, fy + 2, f - 4, f - 4, 255)
            c.rect(fx + 4, fy + 4, f - 8, f - 8, 0)
          }
        })
        ops.push(drawText('QR', x + (side >> 1) - CELL_W, top + (side >> 1) - CELL_H / 2))
        y += side + LINE_GAP
        // The encoded text under the box, wrapped to the paper.
        for (const l of layoutLine(plainLine(el.data, el.align), columns)) {
          ops.push(drawCells(l.cells, alignOffset(l.align, l.used, columns) * CELL_W, y, CELL_H))
          y += CELL_H + LINE_GAP
        }
        break
      }
      case 'image': {
        const bytesPerRow = el.widthDots / 8
        const x = alignOffset(el.align, el.widthDots, dots)
        const top = y
        ops.push((c) => {
          for (let r = 0; r < el.heightDots; r++)
            for (let col = 0; col < el.widthDots; col++)
              if ((el.bits[r * bytesPerRow + (col >> 3)] ?? 0) & (0x80 >> (col & 7)))
                c.rect(x + col, top + r, 1, 1, 0)
        })
        y += el.heightDots
        break
      }
      case 'feed':
        y += el.dots
        break
      case 'cut': {
        y += 8
        const at = y
        ops.push((c) => {
          for (let x = 0; x < dots; x += 12) c.rect(x, at, 7, 2, 0)
        })
        y += 2 + 8
        break
      }
      case 'beep':
        break
    }
  }
  return { ops, height: y + MARGIN }
}

/** A PNG (8-bit greyscale, black on white) of the parsed ticket, `PAPER_DOTS[width]` pixels wide. */
export function renderPng(parsed: Pick<ParsedEscPos, 'elements'>, opts: RenderOptions): Buffer {
  const width = opts.width === 58 ? 58 : 80
  const { ops, height } = layout(parsed.elements, width)
  const canvas = new Canvas(PAPER_DOTS[width], Math.max(height, 2 * MARGIN))
  for (const op of ops) op(canvas)
  const png = new PNG({
    width: canvas.w,
    height: canvas.h,
    colorType: 0,
    inputColorType: 0,
    inputHasAlpha: false,
  })
  png.data = Buffer.from(canvas.px.buffer, canvas.px.byteOffset, canvas.px.byteLength)
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false })
}
