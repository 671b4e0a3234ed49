import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkDigit, makeTableCode, parseTableCode, signTableCode, verifyTableCode } from './table-code'

const SECRET = 'test-secret-please-change'
const digits = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''))
const codeArb = fc.tuple(digits(3), digits(4), digits(5)).map(([s, a, t]) => makeTableCode(s, a, t))

describe('checkDigit (Damm)', () => {
  it('matches the published example', () => {
    // Wikipedia's Damm example: 572 -> 4. Leading zeros leave the interim digit at 0.
    expect(checkDigit('000000000572')).toBe('4')
    expect(checkDigit('000000000000')).toBe('0')
  })

  it('refuses anything but 12 digits', () => {
    for (const bad of ['', '12345678901', '1234567890123', '12345678901a', '１２３４５６７８９０１２'])
      expect(() => checkDigit(bad)).toThrow(RangeError)
  })

  it('detects every single-digit substitution', () => {
    fc.assert(
      fc.property(codeArb, fc.nat(12), fc.integer({ min: 1, max: 9 }), (code, pos, delta) => {
        const changed = (Number(code[pos]) + delta) % 10
        const typo = code.slice(0, pos) + changed + code.slice(pos + 1)
        expect(parseTableCode(typo)).toBeNull()
      }),
      { numRuns: 2000 },
    )
  })

  it('detects every adjacent transposition', () => {
    fc.assert(
      fc.property(codeArb, fc.nat(11), (code, pos) => {
        fc.pre(code[pos] !== code[pos + 1])
        const swapped = code.slice(0, pos) + code[pos + 1] + code[pos] + code.slice(pos + 2)
        expect(parseTableCode(swapped)).toBeNull()
      }),
      { numRuns: 2000 },
    )
  })

  it('detects every single error and adjacent transposition of one code, exhaustively', () => {
    const code = makeTableCode('123', '0456', '07890')
    for (let pos = 0; pos < 13; pos++)
      for (let d = 0; d <= 9; d++) {
        if (String(d) === code[pos]) continue
        expect(parseTableCode(code.slice(0, pos) + d + code.slice(pos + 1))).toBeNull()
      }
    for (let pos = 0; pos < 12; pos++) {
      if (code[pos] === code[pos + 1]) continue
      expect(parseTableCode(code.slice(0, pos) + code[pos + 1] + code[pos] + code.slice(pos + 2))).toBeNull()
    }
  })
})

describe('makeTableCode / parseTableCode', () => {
  it('lays out store, area, table and check digit', () => {
    const code = makeTableCode('001', '0002', '00015')
    expect(code).toHaveLength(13)
    expect(code.slice(0, 12)).toBe('001000200015')
    expect(code[12]).toBe(checkDigit('001000200015'))
    expect(parseTableCode(code)).toEqual({ storeId: '001', areaNo: '0002', tableNo: '00015' })
  })

  it('round-trips every code', () => {
    fc.assert(
      fc.property(digits(3), digits(4), digits(5), (storeId, areaNo, tableNo) => {
        expect(parseTableCode(makeTableCode(storeId, areaNo, tableNo))).toEqual({ storeId, areaNo, tableNo })
      }),
    )
  })

  it('refuses parts of the wrong length', () => {
    expect(() => makeTableCode('01', '0002', '00015')).toThrow(RangeError)
    expect(() => makeTableCode('001', '002', '00015')).toThrow(RangeError)
    expect(() => makeTableCode('001', '0002', '0015a')).toThrow(RangeError)
  })

  it('returns null on a wrong format', () => {
    const code = makeTableCode('001', '0002', '00015')
    for (const bad of ['', code.slice(0, 12), `${code}0`, ` ${code}`, `${code.slice(0, 12)}x`])
      expect(parseTableCode(bad)).toBeNull()
  })
})

describe('signTableCode / verifyTableCode', () => {
  const code = makeTableCode('001', '0002', '00015')

  it('signs with the first 12 bytes of HMAC-SHA256 over "table:" + code, base64url', async () => {
    const expected = createHmac('sha256', SECRET)
      .update(`table:${code}`)
      .digest()
      .subarray(0, 12)
      .toString('base64url')
    const signed = await signTableCode(SECRET, code)
    expect(signed).toBe(`${code}.${expected}`)
    expect(signed).toMatch(/^\d{13}\.[A-Za-z0-9_-]{16}$/)
  })

  it('verifies its own signatures', async () => {
    const signed = await signTableCode(SECRET, code)
    expect(await verifyTableCode(SECRET, signed)).toEqual({
      storeId: '001',
      areaNo: '0002',
      tableNo: '00015',
      code,
    })
  })

  it('rejects a signature made with another secret', async () => {
    const signed = await signTableCode('another-secret', code)
    expect(await verifyTableCode(SECRET, signed)).toBeNull()
  })

  it('rejects a signature moved to another table, even one with a valid check digit', async () => {
    const signed = await signTableCode(SECRET, code)
    const other = makeTableCode('001', '0002', '00016')
    expect(await verifyTableCode(SECRET, `${other}${signed.slice(13)}`)).toBeNull()
  })

  it('rejects malformed input', async () => {
    const signed = await signTableCode(SECRET, code)
    const sig = signed.slice(14)
    for (const bad of [
      '',
      code,
      `${code}.`,
      `${code}.${sig}x`,
      `${code}.${sig.slice(1)}`,
      `${code}.${sig}.${sig}`,
      `${code}.${sig.slice(0, 15)}=`,
      `${code.slice(0, 12)}.${sig}`,
      ` ${signed}`,
    ])
      expect(await verifyTableCode(SECRET, bad)).toBeNull()
  })

  it('refuses to sign an invalid code', async () => {
    const wrongCheck = code.slice(0, 12) + ((Number(code[12]) + 1) % 10)
    await expect(signTableCode(SECRET, wrongCheck)).rejects.toThrow(RangeError)
    await expect(signTableCode(SECRET, '123')).rejects.toThrow(RangeError)
  })

  it('refuses an empty secret rather than signing with a public key', async () => {
    await expect(signTableCode('', code)).rejects.toThrow(/secret/)
    await expect(verifyTableCode('', `${code}.AAAAAAAAAAAAAAAA`)).rejects.toThrow(/secret/)
  })

  it('rejects any changed character of a signed code (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        codeArb,
        fc.nat(),
        fc.constantFrom(...'0123456789ABCDEFabcdef-_'),
        async (c, at, ch) => {
          const signed = await signTableCode(SECRET, c)
          const pos = at % signed.length
          fc.pre(pos !== 13 && signed[pos] !== ch)
          const forged = signed.slice(0, pos) + ch + signed.slice(pos + 1)
          expect(await verifyTableCode(SECRET, forged)).toBeNull()
        },
      ),
      { numRuns: 300 },
    )
  })

  it('rejects guessed signatures (property)', async () => {
    await fc.assert(
      fc.asyncProperty(codeArb, fc.uint8Array({ minLength: 12, maxLength: 12 }), async (c, guess) => {
        const sig = Buffer.from(guess).toString('base64url')
        fc.pre(`${c}.${sig}` !== (await signTableCode(SECRET, c)))
        expect(await verifyTableCode(SECRET, `${c}.${sig}`)).toBeNull()
      }),
      { numRuns: 300 },
    )
  })
})
