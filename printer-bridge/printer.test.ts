import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { interpretStatus, parseAddress, queryStatus, STATUS_QUERY, sendToPrinter } from './printer'
import { startVirtualPrinter, type VirtualPrinter } from './virtual-printer'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A raw TCP "printer" with scripted behaviour per connection. */
async function rawPrinter(
  onConnection: (socket: net.Socket) => void,
  opts: net.ServerOpts = {},
): Promise<{ address: string; received: Buffer[] }> {
  const received: Buffer[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer(opts, (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    s.on('data', (d: Buffer) => received.push(d))
    onConnection(s)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  )
  return { address: `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`, received }
}

async function virtualPrinter(name = 'kitchen'): Promise<VirtualPrinter> {
  const vp = await startVirtualPrinter({ port: 0, name })
  cleanups.push(() => vp.close())
  return vp
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

describe('parseAddress', () => {
  it('reads tcp://host:port, defaulting the port to 9100', () => {
    expect(parseAddress('tcp://192.168.1.50:9100')).toEqual({ host: '192.168.1.50', port: 9100 })
    expect(parseAddress('tcp://printer.local')).toEqual({ host: 'printer.local', port: 9100 })
    expect(parseAddress('10.0.0.7:9101')).toEqual({ host: '10.0.0.7', port: 9101 })
    expect(parseAddress('tcp://[fe80::1]:9100')).toEqual({ host: 'fe80::1', port: 9100 })
    expect(() => parseAddress('http://192.168.1.50:9100')).toThrow()
    expect(() => parseAddress('tcp://host:70000')).toThrow()
  })
})

describe('interpretStatus (DLE EOT 1, 2, 4)', () => {
  it('reads the documented bits', () => {
    expect(interpretStatus(Uint8Array.of(0x12, 0x12, 0x12))).toBe('ok')
    expect(interpretStatus(Uint8Array.of(0x1a, 0x12, 0x12))).toBe('offline') // n=1 bit3
    expect(interpretStatus(Uint8Array.of(0x1a, 0x16, 0x12))).toBe('cover_open') // n=2 bit2
    expect(interpretStatus(Uint8Array.of(0x1a, 0x32, 0x12))).toBe('paper_out') // n=2 bit5
    expect(interpretStatus(Uint8Array.of(0x12, 0x12, 0x72))).toBe('paper_out') // n=4 bits 5-6
    expect(interpretStatus(Uint8Array.of(0x12, 0x12, 0x1e))).toBe('ok') // n=4 near end only: still prints
    // The reference's example reply: offline + paper end + near end.
    expect(interpretStatus(Uint8Array.of(0x1a, 0x32, 0x7e))).toBe('paper_out')
    // Only the first byte arrived in time.
    expect(interpretStatus(Uint8Array.of(0x12))).toBe('ok')
  })
})

describe('queryStatus', () => {
  it('sends 10 04 01, 10 04 02, 10 04 04 and interprets the three answers', async () => {
    const replies: Record<number, number> = { 1: 0x1a, 2: 0x32, 4: 0x7e }
    const p = await rawPrinter((s) => {
      s.on('data', (d: Buffer) => {
        for (let i = 0; i + 2 < d.length; i += 3)
          if (d[i] === 0x10 && d[i + 1] === 0x04) s.write(Uint8Array.of(replies[d[i + 2]!]!))
      })
    })
    expect(await queryStatus(p.address, { timeoutMs: 1000 })).toBe('paper_out')
    expect(new Uint8Array(Buffer.concat(p.received))).toEqual(STATUS_QUERY)
    expect([...STATUS_QUERY]).toEqual([0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x04])
  })

  it('follows the virtual printer through ok, paper out, cover open and offline', async () => {
    const vp = await virtualPrinter()
    const address = `tcp://127.0.0.1:${vp.port}`
    expect(await queryStatus(address, { timeoutMs: 1000 })).toBe('ok')
    await vp.setStatus({ paperOut: true })
    expect(await queryStatus(address, { timeoutMs: 1000 })).toBe('paper_out')
    await vp.setStatus({ paperOut: false, coverOpen: true })
    expect(await queryStatus(address, { timeoutMs: 1000 })).toBe('cover_open')
    await vp.setStatus({ coverOpen: false, online: false })
    expect(await queryStatus(address, { timeoutMs: 1000 })).toBe('offline')
    await vp.setStatus({ online: true })
    expect(await queryStatus(address, { timeoutMs: 1000 })).toBe('ok')
    expect(vp.tickets).toHaveLength(0) // status queries never print
  })

  it('is offline when nothing listens, and when the printer does not answer in time', async () => {
    expect(await queryStatus(`tcp://127.0.0.1:${await closedPort()}`, { timeoutMs: 1000 })).toBe('offline')
    const mute = await rawPrinter(() => {})
    const t0 = Date.now()
    expect(await queryStatus(mute.address, { timeoutMs: 200 })).toBe('offline')
    const took = Date.now() - t0
    expect(took).toBeGreaterThanOrEqual(190)
    expect(took).toBeLessThan(1000)
  })
})

describe('sendToPrinter', () => {
  it('resolves once every byte is with the printer and it ended the connection', async () => {
    const payload = new Uint8Array(4 * 1024 * 1024).map((_, i) => i % 251)
    let atEnd = -1
    const p = await rawPrinter((s) =>
      s.on('end', () => {
        atEnd = Buffer.concat(p.received).length
      }),
    )
    await sendToPrinter(p.address, payload, { timeoutMs: 2000 })
    // The printer had read every byte (and seen our FIN) before the promise resolved.
    expect(atEnd).toBe(payload.length)
    expect(Buffer.concat(p.received).equals(Buffer.from(payload))).toBe(true)
  })

  it('prints a ticket on the virtual printer', async () => {
    const vp = await virtualPrinter()
    const bytes = Uint8Array.from([0x1b, 0x40, ...Buffer.from('HELLO KITCHEN\n'), 0x1d, 0x56, 0x42, 0x03])
    await sendToPrinter(`tcp://127.0.0.1:${vp.port}`, bytes, { timeoutMs: 2000 })
    const [t] = await vp.waitFor(1)
    expect(t!.text).toContain('HELLO KITCHEN')
    expect(t!.bytes).toEqual(bytes)
  })

  it('rejects when the printer cannot be reached', async () => {
    await expect(
      sendToPrinter(`tcp://127.0.0.1:${await closedPort()}`, Uint8Array.of(1, 2, 3), { timeoutMs: 1000 }),
    ).rejects.toThrow(/ECONNREFUSED/)
  })

  it('rejects when the printer takes bytes but never ends the connection (no proof it took the job)', async () => {
    const p = await rawPrinter(() => {}, { allowHalfOpen: true })
    const t0 = Date.now()
    await expect(sendToPrinter(p.address, Uint8Array.of(1, 2, 3), { timeoutMs: 300 })).rejects.toThrow(
      /no progress for 300 ms/,
    )
    expect(Date.now() - t0).toBeLessThan(2000)
  })

  it('rejects when the printer resets the connection mid-job', async () => {
    const payload = new Uint8Array(8 * 1024 * 1024)
    const p = await rawPrinter((s) => {
      s.once('data', () => s.resetAndDestroy())
    })
    await expect(sendToPrinter(p.address, payload, { timeoutMs: 2000 })).rejects.toThrow()
  })
})
