import { deflateRawSync } from 'node:zlib'
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { crc32, listZip, readZipEntry, unzip, ZipError } from './zip'

interface TestFile {
  nameBytes: Uint8Array
  data: Uint8Array
  method: 0 | 8
  utf8?: boolean
  /** Write zero sizes in the local header and set flag bit 3, as streaming zippers do. */
  descriptor?: boolean
}

/** An independent, minimal ZIP writer (node:zlib for deflate) so the reader is not tested against itself. */
function buildZip(files: TestFile[], comment = ''): Uint8Array {
  const parts: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const f of files) {
    const body = f.method === 8 ? deflateRawSync(f.data) : Buffer.from(f.data)
    const crc = crc32(f.data)
    const flags = (f.utf8 ? 0x0800 : 0) | (f.descriptor ? 0x0008 : 0)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(flags, 6)
    local.writeUInt16LE(f.method, 8)
    local.writeUInt32LE(f.descriptor ? 0 : crc, 14)
    local.writeUInt32LE(f.descriptor ? 0 : body.length, 18)
    local.writeUInt32LE(f.descriptor ? 0 : f.data.length, 22)
    local.writeUInt16LE(f.nameBytes.length, 26)
    const chunk = [local, Buffer.from(f.nameBytes), body]
    if (f.descriptor) {
      const dd = Buffer.alloc(16)
      dd.writeUInt32LE(0x08074b50, 0)
      dd.writeUInt32LE(crc, 4)
      dd.writeUInt32LE(body.length, 8)
      dd.writeUInt32LE(f.data.length, 12)
      chunk.push(dd)
    }
    const cd = Buffer.alloc(46)
    cd.writeUInt32LE(0x02014b50, 0)
    cd.writeUInt16LE(20, 4)
    cd.writeUInt16LE(20, 6)
    cd.writeUInt16LE(flags, 8)
    cd.writeUInt16LE(f.method, 10)
    cd.writeUInt32LE(crc, 16)
    cd.writeUInt32LE(body.length, 20)
    cd.writeUInt32LE(f.data.length, 24)
    cd.writeUInt16LE(f.nameBytes.length, 28)
    cd.writeUInt32LE(offset, 42)
    central.push(cd, Buffer.from(f.nameBytes))
    for (const c of chunk) {
      parts.push(c)
      offset += c.length
    }
  }
  const cdBuf = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(files.length, 8)
  end.writeUInt16LE(files.length, 10)
  end.writeUInt32LE(cdBuf.length, 12)
  end.writeUInt32LE(offset, 16)
  const commentBytes = Buffer.from(comment)
  end.writeUInt16LE(commentBytes.length, 20)
  return new Uint8Array(Buffer.concat([...parts, cdBuf, end, commentBytes]))
}

const utf8 = (s: string) => new TextEncoder().encode(s)

describe('zip reader', () => {
  it('computes the standard CRC-32 check value', () => {
    expect(crc32(utf8('123456789'))).toBe(0xcbf43926)
    expect(crc32(new Uint8Array())).toBe(0)
  })

  it('reads a stored and a deflated entry, with names in UTF-8 and in GBK', async () => {
    const text = '支付宝交易号,商户订单号\n'.repeat(200)
    const gbkName = iconv.encode('2088_20240501_业务明细.csv', 'gbk')
    const zip = buildZip(
      [
        { nameBytes: utf8('readme.txt'), data: utf8('hello, stored'), method: 0, utf8: true },
        { nameBytes: new Uint8Array(gbkName), data: new Uint8Array(iconv.encode(text, 'gbk')), method: 8 },
      ],
      'archive comment',
    )
    const entries = listZip(zip)
    expect(entries.map((e) => [e.name, e.method, e.utf8Name])).toEqual([
      ['readme.txt', 0, true],
      [expect.any(String), 8, false],
    ])
    const [stored, deflated] = entries
    expect(iconv.decode(Buffer.from(deflated!.nameBytes), 'gb18030')).toBe('2088_20240501_业务明细.csv')
    expect(deflated!.compressedSize).toBeLessThan(deflated!.size)
    expect(new TextDecoder().decode(await readZipEntry(zip, stored!))).toBe('hello, stored')
    expect(iconv.decode(Buffer.from(await readZipEntry(zip, deflated!)), 'gb18030')).toBe(text)
    const all = await unzip(zip)
    expect(all).toHaveLength(2)
  })

  it('uses central directory sizes when the local header defers them to a data descriptor', async () => {
    const data = utf8('x'.repeat(5000))
    const zip = buildZip([{ nameBytes: utf8('a.csv'), data, method: 8, descriptor: true }])
    const [e] = listZip(zip)
    expect(await readZipEntry(zip, e!)).toEqual(data)
  })

  it('refuses corrupt data instead of returning garbage', async () => {
    const zip = buildZip([{ nameBytes: utf8('a.txt'), data: utf8('genuine content'), method: 0 }])
    const tampered = zip.slice()
    tampered[30 + 5] = (tampered[30 + 5] as number) ^ 0x20 // a byte of the stored data: the CRC no longer matches
    await expect(readZipEntry(tampered, listZip(tampered)[0]!)).rejects.toThrow(/CRC-32/)
    expect(() => listZip(utf8('not a zip at all, just text'))).toThrow(ZipError)
    const unknown = buildZip([{ nameBytes: utf8('b'), data: utf8('b'), method: 0 }])
    unknown[8] = 14 // local method, and the central one (offset 30 + 1 + 1 data + 10)
    unknown[30 + 1 + 1 + 10] = 14
    await expect(readZipEntry(unknown, listZip(unknown)[0]!)).rejects.toThrow(/method 14/)
  })
})
