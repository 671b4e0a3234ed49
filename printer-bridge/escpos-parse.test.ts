import fc from 'fast-check'
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { type Element, parseEscPos, toText } from './escpos-parse'

const gb = (s: string) => [...iconv.encode(s, 'gb18030')]
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0))
const bytes = (...parts: Array<number | number[]>) => Uint8Array.from(parts.flat())

const INIT = [0x1b, 0x40]
const CN_ON = [0x1c, 0x26]
const CN_OFF = [0x1c, 0x2e]
const LF = 0x0a

const lines = (els: Element[]) =>
  els.filter((e): e is Extract<Element, { type: 'line' }> => e.type === 'line').map((e) => e.text)

/** GS ( k pL pH cn fn [m] data, QR (cn 49). */
function qrFn(fn: number, params: number[]) {
  const len = 2 + params.length
  return [0x1d, 0x28, 0x6b, len & 0xff, len >> 8, 0x31, fn, ...params]
}

describe('parseEscPos: text and Chinese mode', () => {
  it('decodes GB18030 text in Chinese mode: 麻婆豆腐 x2', () => {
    const p = parseEscPos(bytes(INIT, CN_ON, gb('麻婆豆腐 x2'), LF))
    expect(lines(p.elements)).toEqual(['麻婆豆腐 x2'])
    const line = p.elements[0] as Extract<Element, { type: 'line' }>
    expect(line.runs.map((r) => [r.text, r.cjk])).toEqual([
      ['麻婆豆腐', true],
      [' x2', false],
    ])
    expect(toText(p, 32)).toBe('麻婆豆腐 x2')
    expect(p.warnings).toEqual([])
  })

  it('decodes four-byte GB18030 codes (¥ is 81 30 84 36)', () => {
    expect(gb('¥')).toEqual([0x81, 0x30, 0x84, 0x36])
    const p = parseEscPos(bytes(CN_ON, gb('合计 ¥12.50'), LF))
    expect(lines(p.elements)).toEqual(['合计 ¥12.50'])
  })

  it('without FS & the same bytes are single-byte code page text (a missing FS & shows)', () => {
    const p = parseEscPos(bytes(INIT, gb('麻婆'), LF))
    expect(lines(p.elements)[0]).not.toContain('麻')
    expect(lines(p.elements)[0]).toHaveLength(4)
    // Printers that power up in Chinese mode:
    expect(lines(parseEscPos(bytes(INIT, gb('麻婆'), LF), { chinese: true }).elements)).toEqual(['麻婆'])
  })

  it('FS . leaves Chinese mode', () => {
    const p = parseEscPos(bytes(CN_ON, gb('豆'), CN_OFF, 0x9c, LF))
    expect(lines(p.elements)).toEqual(['豆£']) // 0x9C is £ in PC437
  })

  it('ESC @ resets modes to power-on defaults', () => {
    const p = parseEscPos(bytes(CN_ON, [0x1b, 0x45, 1, 0x1d, 0x21, 0x11], ascii('A'), INIT, ascii('B'), LF))
    const line = p.elements[0] as Extract<Element, { type: 'line' }>
    expect(line.runs.map((r) => [r.text, r.style.bold, r.style.width])).toEqual([
      ['A', true, 2],
      ['B', false, 1],
    ])
    expect(p.modes.chinese).toBe(false)
  })

  it('LF ends lines, an LF on an empty line feeds a blank one, CR is ignored, HT tabs to 8 columns', () => {
    const p = parseEscPos(bytes(ascii('a'), 0x0d, LF, LF, ascii('b'), 0x09, ascii('c'), LF))
    expect(lines(p.elements)).toEqual(['a', '', 'b       c'])
  })

  it('ESC d n prints and feeds n lines', () => {
    const p = parseEscPos(bytes(ascii('x'), [0x1b, 0x64, 3], [0x1b, 0x64, 2]))
    expect(lines(p.elements)).toEqual(['x', '', '', '', ''])
  })

  it('carries modes into a later parse of the same stream', () => {
    const first = parseEscPos(bytes(CN_ON, [0x1b, 0x45, 1]))
    const second = parseEscPos(bytes(gb('豆'), LF), { modes: first.modes })
    const line = second.elements[0] as Extract<Element, { type: 'line' }>
    expect(line.text).toBe('豆')
    expect(line.runs[0]?.style.bold).toBe(true)
  })
})

describe('parseEscPos: styles', () => {
  const runStyles = (p: ReturnType<typeof parseEscPos>) =>
    p.elements.flatMap((e) => (e.type === 'line' ? e.runs.map((r) => ({ text: r.text, ...r.style })) : []))

  it('GS ! sets width and height multipliers from the nibbles', () => {
    const p = parseEscPos(
      bytes(
        [0x1d, 0x21, 0x11],
        ascii('W'),
        [0x1d, 0x21, 0x01],
        ascii('H'),
        [0x1d, 0x21, 0x10],
        ascii('w'),
        LF,
      ),
    )
    expect(runStyles(p).map((s) => [s.text, s.width, s.height])).toEqual([
      ['W', 2, 2],
      ['H', 1, 2],
      ['w', 2, 1],
    ])
  })

  it('ESC ! n: 0x08 bold, 0x10 double height, 0x20 double width, 0x80 underline', () => {
    const p = parseEscPos(bytes([0x1b, 0x21, 0x38], ascii('A'), [0x1b, 0x21, 0x80], ascii('u'), LF))
    expect(runStyles(p).map((s) => [s.text, s.bold, s.width, s.height, s.underline])).toEqual([
      ['A', true, 2, 2, false],
      ['u', false, 1, 1, true],
    ])
  })

  it('ESC E switches bold; GS B switches reverse', () => {
    const p = parseEscPos(
      bytes(
        CN_ON,
        [0x1b, 0x45, 1],
        gb('加急'),
        [0x1b, 0x45, 0],
        [0x1d, 0x42, 1],
        gb('退菜'),
        [0x1d, 0x42, 0],
        gb('好'),
        LF,
      ),
    )
    expect(runStyles(p).map((s) => [s.text, s.bold, s.reverse])).toEqual([
      ['加急', true, false],
      ['退菜', false, true],
      ['好', false, false],
    ])
  })

  it('toText spaces double-width text and applies alignment', () => {
    const p = parseEscPos(
      bytes(
        CN_ON,
        [0x1b, 0x61, 1],
        [0x1d, 0x21, 0x11],
        gb('桌5'),
        LF,
        [0x1d, 0x21, 0x00],
        [0x1b, 0x61, 2],
        ascii('12.50'),
        LF,
        [0x1b, 0x61, 0x30],
        ascii('left'),
        LF,
      ),
    )
    // 桌 is 2 columns x2 = 4, 5 is 1 x2 = 2: 6 columns centred in 32 -> 13 spaces.
    expect(toText(p, 32).split('\n')).toEqual([`${' '.repeat(13)}桌  5`, `${' '.repeat(27)}12.50`, 'left'])
    expect(p.elements.map((e) => (e.type === 'line' ? e.align : null))).toEqual(['center', 'right', 'left'])
  })

  it('wraps lines longer than the paper like the printer', () => {
    const p = parseEscPos(bytes(CN_ON, ascii('x'.repeat(30)), gb('豆腐'), LF))
    expect(toText(p, 32).split('\n')).toEqual([`${'x'.repeat(30)}豆`, '腐'])
  })
})

describe('parseEscPos: QR, buzzer, cut', () => {
  it('stores QR data with fn 80 and prints it with fn 81; other functions are skipped by length', () => {
    const url = 'https://canteen.example/o/A017'
    const p = parseEscPos(
      bytes(
        [0x1b, 0x61, 1],
        qrFn(65, [0x32, 0x00]), // model 2
        qrFn(67, [6]), // module size
        qrFn(69, [0x31]), // error level M
        qrFn(80, [0x30, ...ascii(url)]),
        qrFn(81, [0x30]),
        ascii('after'),
        LF,
      ),
    )
    expect(p.qr).toEqual([url])
    expect(p.elements[0]).toEqual({ type: 'qr', data: url, align: 'center', moduleSize: 6 })
    expect(lines(p.elements)).toEqual(['after'])
    expect(toText(p, 48)).toContain(`[QR: ${url}]`)
    expect(p.warnings).toEqual([])
  })

  it('a stored code that is never printed is not in qr; printing twice gives two', () => {
    expect(parseEscPos(bytes(qrFn(80, [0x30, ...ascii('x')]))).qr).toEqual([])
    expect(
      parseEscPos(bytes(qrFn(80, [0x30, ...ascii('y')]), qrFn(81, [0x30]), qrFn(81, [0x30]))).qr,
    ).toEqual(['y', 'y'])
  })

  it('QR data longer than 255 bytes uses pH', () => {
    const data = 'q'.repeat(300)
    const p = parseEscPos(bytes(qrFn(80, [0x30, ...ascii(data)]), qrFn(81, [0x30]), ascii('z'), LF))
    expect(p.qr).toEqual([data])
    expect(lines(p.elements)).toEqual(['z'])
  })

  it('ESC B n t sounds the buzzer n times for t x 50 ms', () => {
    const p = parseEscPos(bytes([0x1b, 0x42, 3, 2], ascii('hi'), LF, [0x1b, 0x42, 1, 1]))
    expect(p.beeps).toBe(4)
    expect(p.elements[0]).toEqual({ type: 'beep', times: 3, ms: 100 })
    expect(lines(p.elements)).toEqual(['hi'])
  })

  it('GS V cuts: full, partial and feed-then-cut forms with their lengths', () => {
    const p = parseEscPos(
      bytes(
        ascii('one'),
        LF,
        [0x1d, 0x56, 0x00],
        ascii('two'),
        [0x1d, 0x56, 0x31],
        ascii('three'),
        [0x1d, 0x56, 0x42, 0x41], // feed 0x41 ("A") then partial cut: the A is a parameter, not text
        ascii('four'),
        [0x1d, 0x56, 0x41, 0x03],
      ),
    )
    expect(p.cuts).toBe(4)
    expect(
      p.elements.map((e) =>
        e.type === 'cut' ? `cut:${e.partial}:${e.feedLines}` : (e as { text: string }).text,
      ),
    ).toEqual(['one', 'cut:false:0', 'two', 'cut:true:0', 'three', 'cut:true:65', 'four', 'cut:false:3'])
    expect(toText(p, 32)).toMatch(/^one\n-+ full cut -+\ntwo\n-+ cut -+\nthree/)
  })

  it('DLE EOT n is a query: noted, never printed', () => {
    const p = parseEscPos(bytes([0x10, 0x04, 1], ascii('a'), [0x10, 0x04, 4], LF))
    expect(p.statusQueries).toEqual([1, 4])
    expect(lines(p.elements)).toEqual(['a'])
  })
})

describe('parseEscPos: skipping commands', () => {
  it('skips known commands by their documented lengths, parameters never print', () => {
    const p = parseEscPos(
      bytes(
        INIT,
        [0x1b, 0x70, 0x00, 0x41, 0x42], // ESC p m t1 t2 drawer kick
        [0x1b, 0x74, 0x41], // ESC t n code page 65
        [0x1b, 0x74, 0x00],
        [0x1b, 0x33, 0x41], // ESC 3 n line spacing
        [0x1b, 0x2a, 0x00, 0x03, 0x00, 0x41, 0x42, 0x43], // ESC * m nL nH + 3 columns
        [0x1d, 0x28, 0x4c, 0x04, 0x00, 0x30, 0x41, 0x0a, 0x42], // GS ( L graphics, data has an LF
        [0x1d, 0x6b, 0x04, ...ascii('123'), 0x00], // GS k m=4 (CODE39) NUL-terminated
        [0x1d, 0x6b, 0x49, 0x03, ...ascii('ABC')], // GS k m=73 (CODE128) n data
        [0x1d, 0x76, 0x30, 0x00, 0x01, 0x00, 0x02, 0x00, 0xff, 0x0a], // GS v 0: 1 byte x 2 rows raster
        [0x1c, 0x21, 0x00], // FS ! n
        [0x1b, 0x4a, 0x18], // ESC J 24 dots
        ascii('ok'),
        LF,
      ),
    )
    expect(lines(p.elements)).toEqual(['ok'])
    expect(p.elements.find((e) => e.type === 'image')).toMatchObject({ widthDots: 8, heightDots: 2 })
    expect(p.warnings).toEqual([])
  })

  it('skips unknown ESC/GS/FS commands (prefix and function byte) with a warning, and never throws', () => {
    const p = parseEscPos(
      bytes(ascii('a'), [0x1b, 0x7e], ascii('b'), [0x1d, 0x7e], [0x1c, 0x7e], ascii('c'), LF),
    )
    expect(lines(p.elements)).toEqual(['abc'])
    expect(p.warnings).toHaveLength(3)
    expect(p.warnings[0]).toMatch(/unknown command at 1: 1b 7e/)
  })

  it('a command cut short by the end of data is reported, not thrown', () => {
    const p = parseEscPos(bytes(ascii('a'), LF, [0x1d, 0x28, 0x6b, 0x10, 0x00, 0x31]))
    expect(lines(p.elements)).toEqual(['a'])
    expect(p.warnings[0]).toMatch(/truncated command at 2/)
  })

  it('never throws on arbitrary bytes, in either mode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (data, chinese) => {
        const p = parseEscPos(data, { chinese })
        expect(typeof toText(p, 32)).toBe('string')
      }),
      { numRuns: 500 },
    )
  })
})
