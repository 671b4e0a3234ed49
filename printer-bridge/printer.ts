// Raw ESC/POS over TCP ("RAW" / JetDirect / AppSocket, port 9100). There is no framing and no acknowledgement
// in this protocol: the strongest evidence that a printer took a job is that every byte was handed to the
// socket and the printer then closed its side after reading our FIN. Status comes from DLE EOT (10 04 n),
// which printers answer even while offline or in error.
import net from 'node:net'

export type PrinterStatus = 'ok' | 'paper_out' | 'cover_open' | 'offline'

/** `tcp://192.168.1.50:9100` (or `192.168.1.50` / `192.168.1.50:9100`) -> host and port; 9100 by default. */
export function parseAddress(address: string): { host: string; port: number } {
  const raw = address.startsWith('tcp://') ? address.slice('tcp://'.length) : address
  if (raw.includes('/') || raw.includes('://')) throw new Error(`not a tcp printer address: ${address}`)
  // [v6]:port, v4:port, host:port, or a bare host.
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw) ?? /^([^:]+)(?::(\d+))?$/.exec(raw)
  if (!m?.[1]) throw new Error(`not a tcp printer address: ${address}`)
  const port = m[2] === undefined ? 9100 : Number(m[2])
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port in ${address}`)
  return { host: m[1], port }
}

/**
 * Connects, writes every byte and half-closes. Resolves only when the write callback has fired (all bytes
 * are with the OS) and the printer then ended the connection cleanly; a printer reads what we sent before it
 * sees our FIN, so its own FIN is the closest thing to "accepted" that raw 9100 offers.
 * Rejects on connect error, reset, or `timeoutMs` without progress (connecting, or the socket idle after).
 * An idle timeout rather than a total one: a long ticket on a slow printer keeps draining, while a printer
 * that ran out of paper mid-job stops reading and the socket goes quiet.
 */
export function sendToPrinter(
  address: string,
  bytes: Uint8Array,
  opts: { timeoutMs: number },
): Promise<void> {
  const { host, port } = parseAddress(address)
  return new Promise((resolve, reject) => {
    let settled = false
    let flushed = false
    const socket = net.connect({ host, port })
    const fail = (err: Error) => {
      if (settled) return
      settled = true
      socket.destroy()
      reject(err)
    }
    const connectTimer = setTimeout(
      () => fail(new Error(`connect to ${address} timed out after ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    )
    socket.on('error', (err) => fail(err))
    socket.on('timeout', () =>
      fail(
        new Error(
          `${address}: no progress for ${opts.timeoutMs} ms (${flushed ? 'after' : 'while'} writing)`,
        ),
      ),
    )
    // Printers may talk back (ASB pushes, status bytes). Read and drop, so their data never stalls the socket.
    socket.on('data', () => {})
    socket.on('close', (hadError) => {
      if (settled) return
      if (hadError || !flushed)
        return fail(new Error(`${address} closed the connection before taking the job`))
      settled = true
      resolve()
    })
    socket.once('connect', () => {
      clearTimeout(connectTimer)
      socket.setTimeout(opts.timeoutMs)
      socket.write(bytes, (err) => {
        if (err) return fail(err)
        flushed = true
        socket.end()
      })
    })
  })
}

const DLE_EOT = 0x10
const EOT = 0x04

/** `10 04 01`, `10 04 02`, `10 04 04`: printer status, offline cause, roll paper sensor. One byte each back. */
export const STATUS_QUERY = Uint8Array.from([DLE_EOT, EOT, 1, DLE_EOT, EOT, 2, DLE_EOT, EOT, 4])

/**
 * Interprets DLE EOT replies for n = 1, 2, 4 (in that order; missing bytes count as "no news"):
 * n=1 bit3 offline; n=2 bit2 cover open, bit5 stopped at paper end; n=4 bits 5-6 roll paper end.
 * The cause wins over the bare "offline" of n=1, because it tells staff what to fix.
 */
export function interpretStatus(reply: Uint8Array): PrinterStatus {
  const [printer, cause, paper] = reply
  if (cause !== undefined && cause & 0x04) return 'cover_open'
  if ((cause !== undefined && cause & 0x20) || (paper !== undefined && paper & 0x60)) return 'paper_out'
  if (printer !== undefined && printer & 0x08) return 'offline'
  return 'ok'
}

/**
 * Asks the printer for its status over a short-lived connection. 'offline' when it cannot be reached or
 * does not answer within `timeoutMs` (the reference suggests about 500 ms on a LAN). If only some of the
 * three bytes arrive in time, the ones that did are interpreted.
 */
export function queryStatus(address: string, opts: { timeoutMs: number }): Promise<PrinterStatus> {
  let host: string
  let port: number
  try {
    ;({ host, port } = parseAddress(address))
  } catch {
    return Promise.resolve('offline')
  }
  return new Promise((resolve) => {
    const reply: number[] = []
    let done = false
    const socket = net.connect({ host, port })
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(reply.length === 0 ? 'offline' : interpretStatus(Uint8Array.from(reply)))
    }
    const timer = setTimeout(finish, opts.timeoutMs)
    socket.on('error', finish)
    socket.on('close', finish)
    socket.on('data', (chunk: Buffer) => {
      for (const b of chunk) if (reply.length < 3) reply.push(b)
      if (reply.length >= 3) finish()
    })
    socket.once('connect', () => socket.write(STATUS_QUERY))
  })
}
