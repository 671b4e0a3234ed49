import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { displayWidth, FEIE_COLUMNS, feieContent, feieText, spread } from './feie-format'
import type { Ticket, TicketLine } from './tickets'

const sp = (n: number) => ' '.repeat(n)
const rule58 = `${'-'.repeat(32)}<BR>`
const rule80 = `${'-'.repeat(48)}<BR>`

const kungPao: TicketLine = {
  name: '宫保鸡丁',
  skuName: '大份',
  optionNames: ['加蛋', '微辣'],
  qty: 2,
  note: '少放花生',
  allergens: ['花生'],
  station: 'hot',
  lineTotalFen: 5600,
}
// A SKU named like its dish is left out rather than printed twice.
const rice: TicketLine = {
  name: '米饭',
  skuName: '米饭',
  optionNames: [],
  qty: 3,
  note: '',
  allergens: [],
  station: 'hot',
  lineTotalFen: 600,
}

function ticket(over: Partial<Ticket> = {}): Ticket {
  return {
    kind: 'kitchen',
    storeName: '老王面馆',
    orderId: 'ord_01JABC',
    pickupNo: 'T012',
    mode: 'dine_in',
    tableLabel: 'A12',
    roundNo: 1,
    addOn: false,
    station: 'hot',
    lines: [kungPao, rice],
    note: '',
    // 03:04 UTC is 11:04 in Beijing.
    orderedAt: Date.UTC(2025, 0, 2, 3, 4, 5),
    reprint: false,
    ...over,
  }
}

const receipt = (over: Partial<Ticket> = {}) =>
  ticket({
    kind: 'receipt',
    station: undefined,
    note: '不要香菜',
    totalFen: 5400,
    steps: [
      { label: '商品', amountFen: 6200 },
      { label: '满50减10', amountFen: -1000 },
      { label: '打包费', amountFen: 200 },
    ],
    qr: 'ord_01JABC',
    ...over,
  })

describe('displayWidth', () => {
  it('counts ASCII as one column and everything GBK holds double-byte as two', () => {
    expect(displayWidth('')).toBe(0)
    expect(displayWidth('Coke 2.50')).toBe(9)
    expect(displayWidth('宫保鸡丁')).toBe(8)
    expect(displayWidth('（大份）')).toBe(8)
    expect(displayWidth('满50减10')).toBe(8)
    expect(displayWidth('·×—')).toBe(6)
    // One code point, two UTF-16 units: counted once.
    expect(displayWidth('𠮷')).toBe(2)
  })
})

describe('spread', () => {
  it('puts the right text flush right on the same line', () => {
    expect(spread('合计', '54.00', 32)).toEqual([`合计${sp(23)}54.00`])
    expect(spread('ab', 'cd', 5)).toEqual(['ab cd'])
  })

  it('moves the right text to its own line when no space is left', () => {
    expect(spread('abc', 'cd', 5)).toEqual(['abc', '   cd'])
    expect(spread('宫保鸡丁', '1.00', 10)).toEqual(['宫保鸡丁', `${sp(6)}1.00`])
  })

  it('a line that fits is exactly the paper width', () => {
    const text = fc
      .array(fc.constantFrom('a', '1', ' ', '宫', '（', '·'), { maxLength: 40 })
      .map((xs) => xs.join(''))
    fc.assert(
      fc.property(
        text,
        fc.integer({ min: -999_999, max: 9_999_999 }),
        fc.constantFrom(32, 48),
        (left, fen, cols) => {
          const right = (fen / 100).toFixed(2)
          const out = spread(left, right, cols)
          expect(out.at(-1)!.endsWith(right)).toBe(true)
          if (out.length === 1) expect(displayWidth(out[0]!)).toBe(cols)
          else expect(out).toEqual([left, sp(cols - right.length) + right])
        },
      ),
    )
  })
})

describe('feieText', () => {
  it('keeps diner text from becoming markup', () => {
    expect(feieText('<CUT>加辣\r\n<QR>x</QR>')).toBe('＜CUT＞加辣 ＜QR＞x＜/QR＞')
  })
})

describe('kitchen tickets', () => {
  it('an add-on round at 58 mm', () => {
    expect(feieContent(ticket({ addOn: true, roundNo: 2, note: '不要香菜' }), 58)).toBe(
      '<CB>加菜 第2轮</CB><BR>' +
        '<CB>A12</CB><BR>' +
        '档口：热菜<BR>' +
        '堂食  取餐号：T012<BR>' +
        '时间：2025-01-02 11:04<BR>' +
        '订单：ord_01JABC<BR>' +
        rule58 +
        '<B>2 x 宫保鸡丁（大份）</B><BR>' +
        '  + 加蛋，微辣<BR>' +
        '  备注：少放花生<BR>' +
        '<BOLD>  过敏：花生</BOLD><BR>' +
        '<B>3 x 米饭</B><BR>' +
        rule58 +
        '<B>整单备注：不要香菜</B><BR>' +
        '共 5 份<BR>',
    )
  })

  it('a reprinted first-round pickup ticket at 80 mm, cold station', () => {
    const salad: TicketLine = {
      ...rice,
      name: '拍黄瓜',
      skuName: '',
      qty: 1,
      station: 'cold',
      allergens: ['芝麻', '大蒜'],
    }
    const t = ticket({ mode: 'pickup', pickupNo: 'P003', tableLabel: undefined, roundNo: undefined })
    expect(feieContent({ ...t, station: 'cold', lines: [salad], reprint: true }, 80)).toBe(
      '<CB>重打 厨房单</CB><BR>' +
        '<CB>自提 P003</CB><BR>' +
        '档口：凉菜<BR>' +
        '自提  取餐号：P003<BR>' +
        '时间：2025-01-02 11:04<BR>' +
        '订单：ord_01JABC<BR>' +
        rule80 +
        '<B>1 x 拍黄瓜</B><BR>' +
        '<BOLD>  过敏：芝麻，大蒜</BOLD><BR>' +
        rule80 +
        '共 1 份<BR>',
    )
  })

  it('a void ticket for a delivery order carries the reason', () => {
    const t = ticket({
      kind: 'void',
      mode: 'delivery',
      pickupNo: 'D007',
      tableLabel: undefined,
      lines: [{ ...kungPao, qty: 1, optionNames: [], note: '', allergens: [] }],
      reason: '顾客取消',
      // 16:30 UTC on new year's eve is already 2025 in Beijing.
      orderedAt: Date.UTC(2024, 11, 31, 16, 30),
    })
    expect(feieContent(t, 80)).toBe(
      '<CB>退菜</CB><BR>' +
        '<CB>外卖 D007</CB><BR>' +
        '档口：热菜<BR>' +
        '外卖  取餐号：D007<BR>' +
        '时间：2025-01-01 00:30<BR>' +
        '订单：ord_01JABC<BR>' +
        rule80 +
        '<B>1 x 宫保鸡丁（大份）</B><BR>' +
        rule80 +
        '<B>退菜原因：顾客取消</B><BR>' +
        '共 1 份<BR>',
    )
  })

  it('a dine-in order without a table label shows its pickup number big', () => {
    expect(feieContent(ticket({ tableLabel: undefined }), 58)).toContain('<CB>T012</CB><BR>')
  })

  it('diner text cannot cut the paper or print a code', () => {
    const out = feieContent(ticket({ note: '<CUT>', lines: [{ ...rice, note: '<QR>http://evil</QR>' }] }), 58)
    expect(out).not.toMatch(/<CUT>|<QR>/)
    expect(out).toContain('<B>整单备注：＜CUT＞</B><BR>')
    expect(out).toContain('  备注：＜QR＞http://evil＜/QR＞<BR>')
  })
})

describe('receipts', () => {
  it('58 mm: amounts flush right in 32 columns, total bold, QR of the order', () => {
    expect(feieContent(receipt(), 58)).toBe(
      '<CB>老王面馆</CB><BR>' +
        '<CB>A12</CB><BR>' +
        '堂食  取餐号：T012<BR>' +
        '时间：2025-01-02 11:04<BR>' +
        '订单：ord_01JABC<BR>' +
        rule58 +
        // "2 x " 4 + 宫保鸡丁 8 + （大份） 8 = 20 columns, "56.00" 5: 7 spaces.
        `2 x 宫保鸡丁（大份）${sp(7)}56.00<BR>` +
        '  + 加蛋，微辣<BR>' +
        '  备注：少放花生<BR>' +
        `3 x 米饭${sp(20)}6.00<BR>` +
        rule58 +
        `商品${sp(23)}62.00<BR>` +
        `满50减10${sp(18)}-10.00<BR>` +
        `打包费${sp(22)}2.00<BR>` +
        rule58 +
        `<BOLD>合计${sp(23)}54.00</BOLD><BR>` +
        '备注：不要香菜<BR>' +
        '<QR>ord_01JABC</QR>',
    )
  })

  it('80 mm: the same in 48 columns', () => {
    const out = feieContent(receipt(), 80)
    expect(out).toContain(`${rule80}2 x 宫保鸡丁（大份）${sp(23)}56.00<BR>`)
    expect(out).toContain(`3 x 米饭${sp(36)}6.00<BR>`)
    expect(out).toContain(`满50减10${sp(34)}-10.00<BR>`)
    expect(out).toContain(`<BOLD>合计${sp(39)}54.00</BOLD><BR>`)
    for (const line of out.split('<BR>')) {
      if (/\d\.\d\d(<\/BOLD>)?$/.test(line)) expect(displayWidth(line.replace(/<\/?BOLD>/g, ''))).toBe(48)
    }
  })

  it('a name too long for its amount puts the amount on the next line', () => {
    const lobster: TicketLine = {
      ...rice,
      name: '香辣小龙虾配秘制酱汁',
      skuName: '特大份',
      qty: 4,
      lineTotalFen: 28800,
    }
    const t = receipt({ lines: [lobster], steps: undefined, totalFen: 28800, note: '', qr: undefined })
    // 4 + 20 + 10 = 34 columns: more than 32 at 58 mm, room for 8 spaces at 80 mm.
    expect(feieContent(t, 58)).toContain(
      `${rule58}4 x 香辣小龙虾配秘制酱汁（特大份）<BR>${sp(26)}288.00<BR>${rule58}`,
    )
    expect(feieContent(t, 80)).toContain(
      `${rule80}4 x 香辣小龙虾配秘制酱汁（特大份）${sp(8)}288.00<BR>${rule80}`,
    )
    expect(feieContent(t, 58).endsWith(`<BOLD>合计${sp(22)}288.00</BOLD><BR>`)).toBe(true)
  })

  it('without steps the total is the sum of the lines; reprint and add-on are marked', () => {
    const out = feieContent(
      receipt({
        steps: undefined,
        totalFen: undefined,
        reprint: true,
        addOn: true,
        roundNo: 3,
        qr: undefined,
      }),
      58,
    )
    expect(out.startsWith('<CB>老王面馆</CB><BR><C>重打</C><BR><CB>A12</CB><BR><C>加菜 第3轮</C><BR>')).toBe(
      true,
    )
    expect(out).toContain(`${rule58}<BOLD>合计${sp(23)}62.00</BOLD><BR>`)
    expect(out).not.toContain('<QR>')
  })

  it('column counts per paper width', () => {
    expect(FEIE_COLUMNS).toEqual({ 58: 32, 80: 48 })
  })
})
