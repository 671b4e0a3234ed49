import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { buzzer, ESC_POS, padColumns, qrCode, type RenderOptions, renderTicket, textWidth } from './escpos'
import type { Ticket, TicketLine } from './tickets'

const encode = (s: string): Uint8Array => new Uint8Array(iconv.encode(s, 'gb18030'))
const decode = (b: Uint8Array): string => iconv.decode(Buffer.from(b), 'gb18030')
const render = (t: Ticket, o: Partial<RenderOptions> = {}) => renderTicket(t, { width: 80, encode, ...o })

function line(over: Partial<TicketLine> = {}): TicketLine {
  return {
    name: '麻婆豆腐',
    skuName: '大份',
    optionNames: [],
    qty: 1,
    note: '',
    allergens: [],
    station: 'hot',
    lineTotalFen: 3200,
    ...over,
  }
}

// 2024-05-01 12:30 in China (04:30 UTC).
const AT = Date.UTC(2024, 4, 1, 4, 30)

function kitchen(over: Partial<Ticket> = {}): Ticket {
  return {
    kind: 'kitchen',
    storeName: '川味小馆',
    orderId: 'ord_01HZX5K3Q7ABCDEF',
    pickupNo: 'T012',
    mode: 'dine_in',
    tableLabel: 'A12',
    roundNo: 1,
    addOn: false,
    station: 'hot',
    lines: [
      line({ qty: 2, optionNames: ['特辣', '加米饭'], note: '不要葱', allergens: ['大豆', '花生'] }),
      line({ name: '水煮牛肉', skuName: '', lineTotalFen: 5800 }),
    ],
    note: '赶时间，先上热菜',
    orderedAt: AT,
    reprint: false,
    ...over,
  }
}

function receipt(over: Partial<Ticket> = {}): Ticket {
  return {
    ...kitchen(),
    kind: 'receipt',
    station: undefined,
    note: '',
    lines: [
      line({ qty: 2, lineTotalFen: 6400, optionNames: ['特辣'] }),
      line({ name: '青岛啤酒', skuName: '330ml', qty: 3, lineTotalFen: 2400, station: 'bar' }),
      line({ name: '招牌秘制红烧肉配时令蔬菜和手工米饭双人套餐', skuName: '双人份', lineTotalFen: 12800 }),
    ],
    totalFen: 21100,
    steps: [
      { label: '商品', amountFen: 21600 },
      { label: '满200减20', amountFen: -2000 },
      { label: '优惠券·新客立减（不与满减同享）', amountFen: -500 },
      { label: '打包费', amountFen: 2000 },
    ],
    qr: 'ord_01HZX5K3Q7ABCDEF',
    ...over,
  }
}

// --- A small ESC/POS reader: enough of the command set to check what the renderer emits. ---

interface Printed {
  text: string
  /** Width multiplier from GS ! at the time the line was printed. */
  widthMul: number
  heightMul: number
  bold: boolean
  reverse: boolean
  align: number
}

interface Parsed {
  commands: string[]
  lines: Printed[]
}

function parse(bytes: Uint8Array): Parsed {
  const commands: string[] = []
  const lines: Printed[] = []
  let size = 0
  let bold = false
  let reverse = false
  let align = 0
  let text: number[] = []
  const hex = (n: number) => n.toString(16).padStart(2, '0')
  let i = 0
  while (i < bytes.length) {
    const c = bytes[i]!
    const n1 = bytes[i + 1]
    const cmd = (len: number, name: string) => {
      commands.push(`${name} ${[...bytes.slice(i, i + len)].map(hex).join(' ')}`)
      i += len
    }
    if (c === 0x0a) {
      lines.push({
        text: decode(Uint8Array.from(text)),
        widthMul: (size >> 4) + 1,
        heightMul: (size & 0xf) + 1,
        bold,
        reverse,
        align,
      })
      text = []
      i++
    } else if (c === 0x1b && n1 === 0x40) cmd(2, 'INIT')
    else if (c === 0x1c && n1 === 0x26) cmd(2, 'CHINESE_ON')
    else if (c === 0x1c && n1 === 0x2e) cmd(2, 'CHINESE_OFF')
    else if (c === 0x1d && n1 === 0x21) {
      size = bytes[i + 2]!
      cmd(3, 'SIZE')
    } else if (c === 0x1b && n1 === 0x21) cmd(3, 'MODE')
    else if (c === 0x1b && n1 === 0x45) {
      bold = bytes[i + 2] === 1
      cmd(3, 'BOLD')
    } else if (c === 0x1d && n1 === 0x42) {
      reverse = bytes[i + 2] === 1
      cmd(3, 'REVERSE')
    } else if (c === 0x1b && n1 === 0x61) {
      align = bytes[i + 2]!
      cmd(3, 'ALIGN')
    } else if (c === 0x1b && n1 === 0x64) cmd(3, 'FEED')
    else if (c === 0x1b && n1 === 0x42) cmd(4, 'BUZZER')
    else if (c === 0x1d && n1 === 0x56) cmd(bytes[i + 2] === 0x42 ? 4 : 3, 'CUT')
    else if (c === 0x1d && n1 === 0x28 && bytes[i + 2] === 0x6b) {
      const len = bytes[i + 3]! + bytes[i + 4]! * 256
      cmd(5 + len, 'QR')
    } else if (c < 0x20 || c === 0x7f) throw new Error(`unknown control byte ${hex(c)} at ${i}`)
    else text.push(bytes[i++]!)
  }
  if (text.length > 0) throw new Error(`text not ended by LF: ${decode(Uint8Array.from(text))}`)
  return { commands, lines }
}

/** Hex dump and a decoded view, for reviewing goldens and for failure messages. */
function dump(bytes: Uint8Array): string {
  const rows: string[] = []
  for (let i = 0; i < bytes.length; i += 16)
    rows.push(
      `${i.toString(16).padStart(6, '0')}  ${[...bytes.slice(i, i + 16)].map((x) => x.toString(16).padStart(2, '0')).join(' ')}`,
    )
  const { commands, lines } = parse(bytes)
  const view = lines.map((l) => {
    const tags = [
      l.widthMul > 1 || l.heightMul > 1 ? `${l.widthMul}x${l.heightMul}` : '',
      l.bold ? 'B' : '',
      l.reverse ? 'R' : '',
      ['', 'C', 'R'][l.align] ?? '',
    ].join('')
    return `${tags.padEnd(6)}|${l.text}|`
  })
  return `${rows.join('\n')}\n--- commands ---\n${commands.join('\n')}\n--- text ---\n${view.join('\n')}`
}

const GOLDEN_DIR = join(__dirname, '__golden__')

/** Byte-for-byte against a reviewed golden; UPDATE_GOLDEN=1 (or a missing file) writes it. */
function golden(name: string, bytes: Uint8Array): void {
  const file = join(GOLDEN_DIR, `${name}.bin`)
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    mkdirSync(GOLDEN_DIR, { recursive: true })
    writeFileSync(file, bytes)
    writeFileSync(join(GOLDEN_DIR, `${name}.txt`), `${dump(bytes)}\n`)
  }
  const want = new Uint8Array(readFileSync(file))
  const same = want.length === bytes.length && want.every((x, i) => x === bytes[i])
  expect(same, `${name}.bin differs.\n=== got ===\n${dump(bytes)}\n=== golden ===\n${dump(want)}`).toBe(true)
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}
const has = (hay: Uint8Array, needle: Uint8Array) => indexOf(hay, needle) >= 0

describe('golden tickets', () => {
  it('kitchen, 80 mm', () => golden('kitchen-80', render(kitchen(), { buzzer: true })))
  it('kitchen add-on round, 58 mm, reprint', () =>
    golden(
      'kitchen-addon-58',
      render(kitchen({ addOn: true, roundNo: 2, reprint: true, note: '' }), { width: 58 }),
    ))
  it('pickup kitchen ticket shows the pickup number', () =>
    golden(
      'kitchen-pickup-58',
      render(
        kitchen({
          mode: 'pickup',
          pickupNo: 'P003',
          tableLabel: undefined,
          roundNo: undefined,
          station: 'cold',
        }),
        {
          width: 58,
        },
      ),
    ))
  it('void, 80 mm', () =>
    golden('void-80', render(kitchen({ kind: 'void', reason: '客人取消', lines: [line({ qty: 1 })] }))))
  it('receipt, 80 mm', () => golden('receipt-80', render(receipt())))
  it('receipt, 58 mm', () => golden('receipt-58', render(receipt(), { width: 58 })))
})

describe('renderTicket', () => {
  it('starts with INIT then Chinese mode, and ends with feed + cut', () => {
    const bytes = render(kitchen())
    expect([...bytes.slice(0, 4)]).toEqual([0x1b, 0x40, 0x1c, 0x26])
    expect([...bytes.slice(-7)]).toEqual([0x1b, 0x64, 0x03, 0x1d, 0x56, 0x42, 0x00])
  })

  it('prints dish names as GB18030', () => {
    const bytes = render(kitchen())
    expect(has(bytes, encode('麻婆豆腐'))).toBe(true)
    expect(has(bytes, Uint8Array.from([0xc2, 0xe9, 0xc6, 0xc5, 0xb6, 0xb9, 0xb8, 0xaf]))).toBe(true)
  })

  it('leaves the cut out when asked', () => {
    const bytes = render(kitchen(), { cut: false })
    expect(has(bytes, ESC_POS.CUT)).toBe(false)
    expect([...bytes.slice(-3)]).toEqual([...ESC_POS.FEED_3])
  })

  it('beeps only when asked, and never on a receipt', () => {
    const beep = Uint8Array.from([0x1b, 0x42])
    expect(has(render(kitchen()), beep)).toBe(false)
    expect(has(render(kitchen(), { buzzer: true }), buzzer())).toBe(true)
    expect(has(render(kitchen({ kind: 'void', reason: 'x' }), { buzzer: true }), buzzer())).toBe(true)
    expect(has(render(receipt(), { buzzer: true }), beep)).toBe(false)
  })

  it('lays out a kitchen ticket: banner, table, station, lines, note', () => {
    const { lines } = parse(render(kitchen({ addOn: true, roundNo: 3 })))
    const texts = lines.map((l) => l.text)
    expect(lines[0]).toMatchObject({ text: ' 加菜 ', reverse: true, bold: true, widthMul: 2, align: 1 })
    expect(lines[1]).toMatchObject({ text: 'A12', widthMul: 2, heightMul: 2, align: 1 })
    expect(texts[2]).toMatch(/^堂食 T012 第3轮 +12:30$/)
    expect(texts).toContain('[热菜]')
    expect(lines.find((l) => l.text === '2 x 麻婆豆腐 大份')).toMatchObject({ heightMul: 2, bold: true })
    expect(texts).toContain('  特辣 / 加米饭')
    expect(lines.find((l) => l.text === '  备注:不要葱')?.bold).toBe(true)
    expect(lines.find((l) => l.text === '  过敏:大豆、花生')?.bold).toBe(true)
    expect(texts).toContain('1 x 水煮牛肉')
    expect(texts).toContain('整单备注:赶时间，先上热菜')
    expect(texts).toContain('-'.repeat(48))
  })

  it('marks voids and reprints', () => {
    const texts = parse(render(kitchen({ kind: 'void', reason: '上错菜', reprint: true }))).lines.map(
      (l) => l.text,
    )
    expect(texts[0]).toBe(' 退菜 ')
    expect(texts).toContain('(重打)')
    expect(texts).toContain('退菜原因:上错菜')
    expect(texts).not.toContain(' 加菜 ')
  })

  it('a receipt right-aligns amounts, lists the steps and the total, and ends with a QR of the order id', () => {
    const bytes = render(receipt())
    const texts = parse(bytes).lines.map((l) => l.text)
    expect(texts[0]).toBe('川味小馆')
    expect(texts).toContain(padColumns('麻婆豆腐 大份 x2', '64.00', 48))
    expect(texts).toContain(padColumns('满200减20', '-20.00', 48))
    expect(texts).toContain(padColumns('合计', '211.00', 48))
    // A long name is printed whole, then the amount on its own line.
    expect(texts.join('')).toContain('招牌秘制红烧肉配时令蔬菜和手工米饭双人套餐 双人份')
    expect(texts).toContain(padColumns('  x1', '128.00', 48))
    expect(has(bytes, qrCode('ord_01HZX5K3Q7ABCDEF'))).toBe(true)
    // No ¥: it is not in GBK.
    expect(has(bytes, encode('¥'))).toBe(false)
  })

  it('strips control bytes from diner text so a note cannot inject commands', () => {
    const evil = kitchen({ note: 'a\x1dV\x00b\nc', lines: [line({ note: '\x1b@🌶️辣' })] })
    const { commands, lines } = parse(render(evil))
    expect(commands.filter((c) => c.startsWith('INIT'))).toHaveLength(1)
    expect(commands.filter((c) => c.startsWith('CUT'))).toHaveLength(1)
    expect(lines.map((l) => l.text)).toContain('整单备注:a V b c')
    expect(lines.map((l) => l.text)).toContain('  备注: @?辣')
  })

  for (const width of [58, 80] as const) {
    it(`never prints past ${width} mm's columns, whatever the text`, () => {
      const cols = width === 58 ? 32 : 48
      const long = '超长的菜名'.repeat(12)
      const tickets = [
        kitchen(),
        kitchen({
          tableLabel: '大厅靠窗VIP包间一号桌子',
          note: long,
          addOn: true,
          roundNo: 12,
          reprint: true,
        }),
        kitchen({
          lines: [
            line({ name: long, skuName: 'XXL'.repeat(10), optionNames: [long, 'a'.repeat(70)], note: long }),
          ],
        }),
        kitchen({ kind: 'void', reason: long }),
        receipt(),
        receipt({ storeName: long, lines: [line({ name: long, lineTotalFen: 99_999_999, qty: 99 })] }),
        receipt({ steps: [{ label: long, amountFen: -12_345_678 }], note: long }),
      ]
      for (const t of tickets) {
        const bytes = render(t, { width })
        for (const l of parse(bytes).lines)
          expect(
            textWidth(l.text) * l.widthMul,
            `${JSON.stringify(l.text)} at ${width} mm`,
          ).toBeLessThanOrEqual(cols)
      }
    })
  }
})

describe('textWidth and padColumns', () => {
  it('counts CJK and other double-byte characters as two columns', () => {
    expect(textWidth('abc')).toBe(3)
    expect(textWidth('麻婆豆腐')).toBe(8)
    expect(textWidth('A1桌，')).toBe(6)
    expect(textWidth('')).toBe(0)
  })
  it('pads to exactly the column count and cuts the left side', () => {
    expect(padColumns('合计', '12.00', 20)).toBe('合计           12.00')
    expect(textWidth(padColumns('合计', '12.00', 20))).toBe(20)
    expect(padColumns('麻婆豆腐麻婆豆腐', '1.00', 12)).toBe('麻婆豆  1.00')
    // A CJK character that would straddle the limit is dropped and the gap padded.
    expect(padColumns('麻婆豆腐', '1.00', 10)).toBe('麻婆  1.00')
    expect(padColumns('left', '', 6)).toBe('left  ')
    expect(textWidth(padColumns('x', '1234567890', 6))).toBeLessThanOrEqual(6)
  })
})

describe('qrCode', () => {
  it('selects model 2, size, level M, stores the data and prints', () => {
    const q = qrCode('ord_1', 5)
    expect([...q.slice(0, 9)]).toEqual([0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00])
    expect([...q.slice(9, 17)]).toEqual([0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, 5])
    expect([...q.slice(17, 25)]).toEqual([0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x31])
    expect([...q.slice(25, 33)]).toEqual([0x1d, 0x28, 0x6b, 5 + 3, 0x00, 0x31, 0x50, 0x30])
    expect(new TextDecoder().decode(q.slice(33, 38))).toBe('ord_1')
    expect([...q.slice(38)]).toEqual([0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30])
  })
  it('splits long data lengths into pL pH', () => {
    const data = 'x'.repeat(300)
    const q = qrCode(data)
    const len = 300 + 3
    expect([q[28], q[29]]).toEqual([len & 0xff, len >> 8])
    expect(q.length).toBe(9 + 8 + 8 + 8 + 300 + 8)
  })
  it('refuses empty or oversize data and bad sizes', () => {
    expect(() => qrCode('')).toThrow(RangeError)
    expect(() => qrCode('x'.repeat(2332))).toThrow(RangeError)
    expect(() => qrCode('x', 0)).toThrow(RangeError)
    expect(() => qrCode('x', 17)).toThrow(RangeError)
  })
})

describe('buzzer', () => {
  it('is ESC B n t', () => {
    expect([...buzzer(2, 5)]).toEqual([0x1b, 0x42, 2, 5])
    expect([...buzzer()]).toEqual([0x1b, 0x42, 3, 2])
    expect(() => buzzer(0)).toThrow(RangeError)
    expect(() => buzzer(1, 10)).toThrow(RangeError)
  })
})

describe('order number on narrow paper', () => {
  it('keeps a full-length order id whole on 58 mm kitchen tickets and receipts', () => {
    const id = 'ord_01M805HT9GYKW3QPZE9PGJZMZN' // 30 characters, as core/ids.ts makes them
    for (const t of [kitchen({ orderId: id }), receipt({ orderId: id, qr: id })]) {
      const text = decode(render(t, { width: 58 }))
      const printed = text.split('\n').find((l) => l.includes('ord_'))
      expect(
        printed
          ?.split('')
          .filter((c) => c.charCodeAt(0) >= 0x20) // drop the ESC/POS command bytes around it
          .join('')
          .trim()
          .endsWith(id),
      ).toBe(true)
    }
  })
})
