import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import iconv from 'iconv-lite'
import { PNG } from 'pngjs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parseEscPos } from './escpos-parse'
import { renderPng } from './render-png'
import { asbBytes, dleEotReply, startVirtualPrinter, type VirtualPrinter } from './virtual-printer'

const gb = (s: string) => [...iconv.encode(s, 'gb18030')]
const bytes = (...parts: Array<number | number[] | Uint8Array>) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : [...p])))
const CUT = [0x1d, 0x56, 0x42, 0x00]
const ticketBytes = (title: string, line: string) =>
  bytes(
    [0x1b, 0x40, 0x1c, 0x26],
    [0x1b, 0x42, 3, 2],
    [0x1b, 0x61, 1, 0x1d, 0x21, 0x11],
    gb(title),
    0x0a,
    [0x1b, 0x61, 0, 0x1d, 0x21, 0x00, 0x1b, 0x45, 1],
    gb(line),
    0x0a,
    [0x1b, 0x45, 0, 0x1b, 0x64, 3],
    CUT,
  )

let printers: VirtualPrinter[] = []
async function start(opts: Partial<Parameters<typeof startVirtualPrinter>[0]> = {}) {
  const vp = await startVirtualPrinter({ port: 0, name: 'test', ...opts })
  printers.push(vp)
  return vp
}
afterEach(async () => {
  await Promise.all(printers.map((p) => p.close()))
  printers = []
})

/** Connect, write each chunk (pausing between), half-close, and collect what the printer sends back. */
function send(port: number, chunks: Uint8Array[], pauseMs = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = []
    const s = net.connect({ port, host: '127.0.0.1' })
    s.on('data', (d) => got.push(d))
    s.on('error', reject)
    s.on('close', () => resolve(Buffer.concat(got)))
    s.once('connect', async () => {
      for (const c of chunks) {
        s.write(c)
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs))
      }
      s.end()
    })
  })
}

/** Send DLE EOT queries and resolve with the first `n` reply bytes (the socket stays open until then). */
function query(port: number, ns: number[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const got: number[] = []
    const s = net.connect({ port, host: '127.0.0.1' })
    const timer = setTimeout(() => {
      s.destroy()
      reject(new Error(`only ${got.length} status bytes`))
    }, 2000)
    s.on('error', reject)
    s.on('data', (d: Buffer) => {
      got.push(...d)
      if (got.length >= ns.length) {
        clearTimeout(timer)
        s.destroy()
        resolve(got)
      }
    })
    s.once('connect', () => s.write(bytes(...ns.map((n) => [0x10, 0x04, n]))))
  })
}

function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' })
    s.on('connect', () => {
      s.destroy()
      resolve('connected')
    })
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
  })
}

describe('virtual printer: tickets', () => {
  it('makes one ticket per cut, and one of the bytes left when the connection ends', async () => {
    const vp = await start()
    await send(vp.port, [
      ticketBytes('热菜 桌5', '麻婆豆腐 x2'),
      ticketBytes('凉菜 桌5', '拍黄瓜 x1'),
      bytes(gb('尾巴'), 0x0a),
    ])
    const tickets = await vp.waitFor(3)
    expect(tickets.map((t) => t.cutIndex)).toEqual([0, 1, -1])
    expect(tickets[0]!.text).toContain('麻婆豆腐 x2')
    expect(tickets[0]!.text).toContain('热  菜    桌  5')
    expect(tickets[0]!.parsed.beeps).toBe(3)
    expect(tickets[0]!.parsed.cuts).toBe(1)
    expect(tickets[1]!.text).toContain('拍黄瓜 x1')
    expect(tickets[1]!.text).not.toContain('麻婆豆腐')
    // Chinese mode carried over from the earlier tickets on the same connection:
    expect(tickets[2]!.text).toBe('尾巴')
    expect(Buffer.from(tickets[0]!.bytes)).toEqual(Buffer.from(ticketBytes('热菜 桌5', '麻婆豆腐 x2')))
  })

  it('keeps bytes after the last cut until more arrive, even split inside commands and characters', async () => {
    const vp = await start()
    const all = bytes(ticketBytes('热菜', '麻婆豆腐 x2'), ticketBytes('凉菜', '拍黄瓜'))
    const chunks: Uint8Array[] = []
    for (let i = 0; i < all.length; i += 3) chunks.push(all.subarray(i, i + 3))
    await send(vp.port, chunks, 1)
    const tickets = await vp.waitFor(2)
    expect(tickets).toHaveLength(2)
    expect(tickets.map((t) => t.cutIndex)).toEqual([0, 1])
    expect(tickets[0]!.text).toContain('麻婆豆腐 x2')
    expect(tickets[1]!.text).toContain('拍黄瓜')
  })

  it('holds a ticket without a cut until the connection ends', async () => {
    const vp = await start()
    const s = net.connect({ port: vp.port, host: '127.0.0.1' })
    await new Promise((r) => s.once('connect', r))
    s.write(bytes([0x1c, 0x26], gb('等一下'), 0x0a))
    await new Promise((r) => setTimeout(r, 100))
    expect(vp.tickets).toHaveLength(0)
    s.end()
    const [t] = await vp.waitFor(1)
    expect(t!.text).toBe('等一下')
    expect(t!.cutIndex).toBe(-1)
  })

  it('keeps tickets from concurrent connections apart', async () => {
    const vp = await start()
    await Promise.all([
      send(vp.port, [bytes([0x1c, 0x26], gb('甲')), bytes(gb('一'), 0x0a, CUT)], 30),
      send(vp.port, [bytes([0x1c, 0x26], gb('乙')), bytes(gb('二'), 0x0a, CUT)], 30),
    ])
    const texts = (await vp.waitFor(2)).map((t) => t.text.split('\n')[0])
    expect(texts.sort()).toEqual(['乙二', '甲一'])
  })

  it('a status-only connection, or one that prints nothing, makes no ticket', async () => {
    const vp = await start()
    await query(vp.port, [1, 2, 4])
    await send(vp.port, [bytes([0x1b, 0x40, 0x1c, 0x26], [0x10, 0x04, 1])])
    await new Promise((r) => setTimeout(r, 100))
    expect(vp.tickets).toEqual([])
  })

  it('waitFor rejects after its timeout', async () => {
    const vp = await start()
    await expect(vp.waitFor(1, 50)).rejects.toThrow(/waited 50 ms for 1 tickets, got 0/)
  })
})

describe('virtual printer: status', () => {
  it.each([
    [{ paperOut: false, coverOpen: false }, [0x12, 0x12, 0x12, 0x12]],
    [{ paperOut: true, coverOpen: false }, [0x1a, 0x32, 0x12, 0x7e]],
    [{ paperOut: false, coverOpen: true }, [0x1a, 0x16, 0x12, 0x12]],
    [{ paperOut: true, coverOpen: true }, [0x1a, 0x36, 0x12, 0x7e]],
  ])('answers DLE EOT 1,2,3,4 for %o with %o', async (status, expected) => {
    const vp = await start()
    await vp.setStatus(status)
    expect(await query(vp.port, [1, 2, 3, 4])).toEqual(expected)
    expect([1, 2, 3, 4].map((n) => dleEotReply(n, status))).toEqual(expected)
  })

  it('answers DLE EOT in the middle of a ticket, and the query is not part of the ticket', async () => {
    const vp = await start()
    const reply = await send(vp.port, [
      bytes([0x1c, 0x26], gb('豆'), [0x10, 0x04, 0x01], gb('腐'), 0x0a, CUT),
    ])
    expect([...reply]).toEqual([0x12])
    const [t] = await vp.waitFor(1)
    expect(t!.text.split('\n')[0]).toBe('豆腐')
    expect([...t!.bytes]).not.toContain(0x10)
  })

  it('offline refuses connections and drops open ones, then comes back on the same port', async () => {
    const vp = await start()
    const port = vp.port
    const open = net.connect({ port, host: '127.0.0.1' })
    await new Promise((r) => open.once('connect', r))
    open.write(bytes([0x1c, 0x26], gb('断电前')))
    const dropped = new Promise((r) => open.once('close', r))
    open.on('error', () => {})
    await vp.setStatus({ online: false })
    await dropped
    expect(await connectError(port)).toBe('ECONNREFUSED')
    expect(vp.tickets).toEqual([]) // unprinted bytes are lost, as at power-off

    await vp.setStatus({ online: true })
    expect(vp.port).toBe(port)
    await send(port, [ticketBytes('热菜', '回来了')])
    const [t] = await vp.waitFor(1)
    expect(t!.text).toContain('回来了')
  })

  it('paper out: answers status, discards print data, and prints again once paper is back', async () => {
    const vp = await start()
    await vp.setStatus({ paperOut: true })
    const reply = await send(vp.port, [bytes([0x10, 0x04, 0x04]), ticketBytes('热菜', '麻婆豆腐 x2')])
    expect([...reply]).toEqual([0x7e])
    await new Promise((r) => setTimeout(r, 100))
    expect(vp.tickets).toEqual([])
    expect(vp.discarded).toHaveLength(1)
    expect(vp.discarded[0]).toMatchObject({ reason: 'paperOut' })
    expect(vp.discarded[0]!.text).toContain('麻婆豆腐 x2')

    await vp.setStatus({ paperOut: false })
    await send(vp.port, [ticketBytes('热菜', '麻婆豆腐 x2')])
    expect((await vp.waitFor(1))[0]!.text).toContain('麻婆豆腐 x2')
  })

  it('cover open also discards', async () => {
    const vp = await start()
    await vp.setStatus({ coverOpen: true })
    await send(vp.port, [ticketBytes('凉菜', '拍黄瓜')])
    await new Promise((r) => setTimeout(r, 100))
    expect(vp.tickets).toEqual([])
    expect(vp.discarded.map((d) => d.reason)).toEqual(['coverOpen'])
  })

  it('GS a n enables Automatic Status Back: 4 bytes at once and on every change', async () => {
    const vp = await start()
    const s = net.connect({ port: vp.port, host: '127.0.0.1' })
    const got: number[] = []
    s.on('data', (d: Buffer) => got.push(...d))
    await new Promise((r) => s.once('connect', r))
    s.write(bytes([0x1d, 0x61, 0xff]))
    await expect.poll(() => got.length).toBe(4)
    await vp.setStatus({ paperOut: true })
    await expect.poll(() => got.length).toBe(8)
    expect(got).toEqual([
      ...asbBytes({ paperOut: false, coverOpen: false }),
      ...asbBytes({ paperOut: true, coverOpen: false }),
    ])
    expect(got.slice(0, 4)).toEqual([0x10, 0, 0, 0])
    expect(got.slice(4)).toEqual([0x18, 0, 0x0f, 0])
    s.destroy()
  })
})

describe('virtual printer: files and pictures', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vprinter-'))
    return () => rmSync(dir, { recursive: true, force: true })
  })

  function decode(png: Buffer) {
    const img = PNG.sync.read(png)
    const black = (x: number, y: number) => img.data[(y * img.width + x) * 4]! < 128
    return { img, black }
  }

  it.each([80, 58] as const)(
    'writes txt and a %i mm PNG of the right width with black text dots',
    async (width) => {
      const vp = await start({ outDir: join(dir, String(width)), width })
      await send(vp.port, [ticketBytes('热菜 桌5', '麻婆豆腐 x2')])
      const [t] = await vp.waitFor(1)
      expect(t!.files!.txt).toMatch(/0001-.*\.txt$/)
      expect(readFileSync(t!.files!.txt, 'utf8')).toBe(`${t!.text}\n`)
      const { img, black } = decode(readFileSync(t!.files!.png))
      expect(img.width).toBe(width === 58 ? 384 : 576)
      expect(img.height).toBeGreaterThan(100)
      // The first line (double height, centred) sits in rows 16..64: black dots there, none at the edges.
      let inTitle = 0
      for (let y = 16; y < 64; y++) for (let x = 0; x < img.width; x++) if (black(x, y)) inTitle++
      expect(inTitle).toBeGreaterThan(200)
      for (let y = 16; y < 64; y++) expect(black(0, y) || black(img.width - 1, y)).toBe(false)
      // The bold second line starts at the left margin.
      let line2 = 0
      for (let y = 70; y < 94; y++) for (let x = 0; x < 96; x++) if (black(x, y)) line2++
      expect(line2).toBeGreaterThan(100)
    },
  )

  it('draws reverse text as a black band and renders fast once warm', () => {
    const parsed = parseEscPos(
      bytes(
        [0x1c, 0x26, 0x1d, 0x42, 1],
        gb('加急 RUSH'),
        [0x1d, 0x42, 0],
        0x0a,
        ticketBytes('热菜', '麻婆豆腐 x2'),
      ),
    )
    renderPng(parsed, { width: 80 })
    const times: number[] = []
    let png: Buffer = Buffer.alloc(0)
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now()
      png = renderPng(parsed, { width: 80 })
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    expect(times[2]).toBeLessThan(200)
    const { black } = decode(png)
    // 加急 RUSH = 9 columns = 108 dots; the band is mostly black, with white glyph dots inside.
    let blackDots = 0
    for (let y = 16; y < 40; y++) for (let x = 0; x < 108; x++) if (black(x, y)) blackDots++
    expect(blackDots).toBeGreaterThan(108 * 24 * 0.6)
    expect(blackDots).toBeLessThan(108 * 24)
  })
})
