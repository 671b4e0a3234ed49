// A virtual kitchen printer: a raw TCP (port 9100, "JetDirect"/AppSocket) ESC/POS printer that newcomers and
// tests use instead of hardware. It takes bytes like a real printer, answers DLE EOT status queries, and
// records each ticket as text (and, with `outDir`, a .txt and a .png picture of the paper).
//
//   tsx printer-bridge/virtual-printer.ts --port 9100 --name kitchen --out .data/printers/kitchen [--width 58]
//
// Behaviour:
// - A ticket is the print bytes up to and including a cut (GS V m [n], or the older ESC i / ESC m). Bytes
//   after the last cut wait for more data; when the client closes its side they form a ticket too, unless
//   they print nothing (e.g. a lone ESC @).
// - Real-time commands (DLE EOT n, DLE ENQ, DLE DC4) are never part of a ticket. DLE EOT n is answered at
//   once with one status byte (below), in every state the printer can be reached in. A connection that only
//   asks for status therefore produces no ticket.
// - online:false acts like a powered-off or unplugged printer: the port stops listening (connections are
//   refused), open sockets are destroyed and their unprinted bytes lost. online:true listens again on the
//   same port, with fresh connections.
// - paperOut / coverOpen: connections are accepted and DLE EOT answered, but print data is DISCARDED (a real
//   printer would not print it). Each discarded job is logged and kept in `discarded`, never in `tickets`.
//   Note for senders: the socket still takes the bytes and closes normally, so only a DLE EOT check tells a
//   sender that nothing came out (a real printer would usually stop reading once its buffer is full).
// - Modes (size, bold, Chinese mode...) carry over from one ticket to the next on the same connection, as
//   on a real printer; each connection starts from power-on defaults.
// - GS a n (n != 0) turns on Automatic Status Back for that connection: a 4-byte status is pushed at once
//   and again on every status change.
import { mkdirSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import {
  chineseAfter,
  isCut,
  nextToken,
  type ParsedEscPos,
  type PrinterModes,
  parseEscPos,
  toText,
} from './escpos-parse'
import { PAPER_COLUMNS, renderPng } from './render-png'

export interface PrinterStatusFlags {
  online: boolean
  paperOut: boolean
  coverOpen: boolean
}

export interface PrintedTicket {
  /** 1-based number of this ticket on this printer. */
  n: number
  /** The print bytes of the ticket, real-time status queries removed. */
  bytes: Uint8Array
  /** `toText` of the ticket at the paper's column count (48 for 80 mm, 32 for 58 mm). */
  text: string
  /** Epoch ms when the ticket was complete. */
  at: number
  /** 0-based index of the cut that ended this ticket among all cuts of this printer; -1: no cut (the
   * connection ended with unprinted bytes). */
  cutIndex: number
  parsed: ParsedEscPos
  /** 1-based id of the TCP connection it arrived on. */
  connection: number
  /** Written files when `outDir` is set. */
  files?: { txt: string; png: string }
}

export interface DiscardedJob {
  bytes: Uint8Array
  /** What it would have printed. */
  text: string
  at: number
  reason: 'paperOut' | 'coverOpen'
  connection: number
}

export interface VirtualPrinter {
  readonly port: number
  readonly host: string
  readonly name: string
  /** Printed tickets in the order they completed. */
  readonly tickets: PrintedTicket[]
  /** Print data received while the paper was out or the cover open. */
  readonly discarded: DiscardedJob[]
  status(): PrinterStatusFlags
  /**
   * Change the simulated state. The returned promise settles once the port has stopped (offline) or started
   * (online) listening; callers may ignore it, but a test should await it before connecting.
   */
  setStatus(s: Partial<PrinterStatusFlags>): Promise<void>
  /** Resolves with all tickets once at least `n` have printed; rejects after `timeoutMs` (default 5000). */
  waitFor(n: number, timeoutMs?: number): Promise<PrintedTicket[]>
  close(): Promise<void>
}

export interface VirtualPrinterOptions {
  /** 0 picks a free port; the chosen one is kept when the printer comes back online. */
  port: number
  host?: string
  name: string
  /** Write `<n>-<time>.txt` and `.png` per ticket here (created if missing). */
  outDir?: string
  width?: 58 | 80
  /** Power-on Chinese (double-byte) mode, as most mainland printers; default false so a missing FS & shows. */
  chinese?: boolean
  /** Log lines (tickets, discards, state changes). Default: silent. */
  log?: (line: string) => void
}

/**
 * DLE EOT n (10 04 n) real-time status, one byte. Fixed bits: bit1 = 1, bit4 = 1, bit0 = bit7 = 0, so a
 * printer with nothing to report answers 0x12 to every n.
 * - n=1 printer status: bit3 = offline. A printer stopped by an open cover or paper end is offline, so
 *   bit3 is set for both (-> 0x1A). (bit2 drawer, bit5 waiting for recovery, bit6 feed button: never set.)
 * - n=2 offline cause: bit2 = cover open (-> 0x16), bit5 = printing stopped by paper end (-> 0x32).
 *   (bit3 feeding by button, bit6 error: never set.)
 * - n=3 error cause: bit3 autocutter, bit5 unrecoverable, bit6 auto-recoverable: never set (0x12).
 * - n=4 roll paper sensor: bits 2+3 = paper near end (0x0C), bits 5+6 = paper end (0x60). Paper out sets
 *   both, as the near-end sensor also sees no paper (-> 0x7E).
 * Unreachable while offline (online:false); other n get no answer, as on Epson printers.
 * Source: /work/shared/reference/payments-printers-lbs-dispatch.md section 4.2 (Epson DLE EOT bits).
 */
export function dleEotReply(n: number, s: Omit<PrinterStatusFlags, 'online'>): number | null {
  const FIXED = 0x12
  switch (n) {
    case 1:
      return FIXED | (s.paperOut || s.coverOpen ? 0x08 : 0)
    case 2:
      return FIXED | (s.coverOpen ? 0x04 : 0) | (s.paperOut ? 0x20 : 0)
    case 3:
      return FIXED
    case 4:
      return FIXED | (s.paperOut ? 0x0c | 0x60 : 0)
    default:
      return null
  }
}

/**
 * Automatic Status Back, 4 bytes (Epson layout per the reference; exact pattern marked unverified there):
 * byte1 bit4 = 1 (bits 0,1 = 0 identify ASB), bit3 offline, bit5 cover open; byte2 errors (none here);
 * byte3 bits 0-1 paper near end, bits 2-3 paper end; byte4 0.
 */
export function asbBytes(s: Omit<PrinterStatusFlags, 'online'>): Uint8Array {
  const stopped = s.paperOut || s.coverOpen
  return Uint8Array.of(
    0x10 | (stopped ? 0x08 : 0) | (s.coverOpen ? 0x20 : 0),
    0x00,
    s.paperOut ? 0x0f : 0x00,
    0x00,
  )
}

interface Conn {
  id: number
  socket: net.Socket
  pending: Buffer
  chinese: boolean
  print: Buffer[]
  discard: Buffer[]
  discardReason: DiscardedJob['reason']
  modes: PrinterModes | undefined
  asb: boolean
  /** Destroyed by the printer (offline/close): unprinted bytes are lost, as at power-off. */
  killed: boolean
}

export async function startVirtualPrinter(opts: VirtualPrinterOptions): Promise<VirtualPrinter> {
  const host = opts.host ?? '127.0.0.1'
  const width = opts.width ?? 80
  const columns = PAPER_COLUMNS[width]
  const powerOnChinese = opts.chinese ?? false
  const log = opts.log ?? (() => {})
  const state: PrinterStatusFlags = { online: true, paperOut: false, coverOpen: false }
  const tickets: PrintedTicket[] = []
  const discarded: DiscardedJob[] = []
  const conns = new Set<Conn>()
  const waiters = new Set<{ n: number; resolve: (t: PrintedTicket[]) => void }>()
  let port = opts.port
  let server: net.Server | null = null
  let nextConn = 1
  let cuts = 0
  let closed = false
  let queue: Promise<void> = Promise.resolve()
  if (opts.outDir) mkdirSync(opts.outDir, { recursive: true })

  const stopped = (): DiscardedJob['reason'] | null =>
    state.paperOut ? 'paperOut' : state.coverOpen ? 'coverOpen' : null

  const parse = (c: Conn, bytes: Uint8Array) => {
    const parsed = parseEscPos(bytes, { chinese: powerOnChinese, ...(c.modes ? { modes: c.modes } : {}) })
    c.modes = parsed.modes
    return parsed
  }

  const emitTicket = (c: Conn, cut: boolean) => {
    const bytes = new Uint8Array(Buffer.concat(c.print))
    c.print = []
    if (bytes.length === 0) return
    const parsed = parse(c, bytes)
    if (!cut && parsed.elements.length === 0) return
    const ticket: PrintedTicket = {
      n: tickets.length + 1,
      bytes,
      text: toText(parsed, columns),
      at: Date.now(),
      cutIndex: cut ? cuts++ : -1,
      parsed,
      connection: c.id,
    }
    if (opts.outDir) {
      const base = join(
        opts.outDir,
        `${String(ticket.n).padStart(4, '0')}-${new Date(ticket.at).toISOString().replace(/[:.]/g, '-')}`,
      )
      ticket.files = { txt: `${base}.txt`, png: `${base}.png` }
      writeFileSync(ticket.files.txt, `${ticket.text}\n`)
      writeFileSync(ticket.files.png, renderPng(parsed, { width }))
    }
    tickets.push(ticket)
    const extras = [
      parsed.beeps ? `${parsed.beeps} beeps` : '',
      parsed.qr.length ? `${parsed.qr.length} QR` : '',
      parsed.warnings.length ? `warnings: ${parsed.warnings.join('; ')}` : '',
    ].filter(Boolean)
    log(
      `[${opts.name}] ticket #${ticket.n} (${bytes.length} bytes, ${cut ? 'cut' : 'no cut'}, connection ${c.id}${extras.length ? `, ${extras.join(', ')}` : ''})${ticket.files ? ` -> ${ticket.files.png}` : ''}\n${ticket.text}`,
    )
    for (const w of waiters) {
      if (tickets.length >= w.n) {
        waiters.delete(w)
        w.resolve(tickets.slice())
      }
    }
  }

  const emitDiscard = (c: Conn) => {
    const bytes = new Uint8Array(Buffer.concat(c.discard))
    c.discard = []
    if (bytes.length === 0) return
    const parsed = parse(c, bytes)
    const job: DiscardedJob = {
      bytes,
      text: toText(parsed, columns),
      at: Date.now(),
      reason: c.discardReason,
      connection: c.id,
    }
    discarded.push(job)
    log(
      `[${opts.name}] ${job.reason === 'paperOut' ? 'PAPER OUT' : 'COVER OPEN'}: discarded ${bytes.length} bytes from connection ${c.id}; nothing printed`,
    )
  }

  const consume = (c: Conn, final: boolean) => {
    const b = c.pending
    let i = 0
    while (i < b.length) {
      const tok = nextToken(b, i, c.chinese)
      if (tok === null) {
        if (!final) break
        // Connection ended inside a command: keep the fragment with the ticket; the parser notes it.
        const rest = b.subarray(i)
        if (stopped()) c.discard.push(Buffer.from(rest))
        else c.print.push(Buffer.from(rest))
        i = b.length
        break
      }
      const slice = b.subarray(i, i + tok.len)
      if (tok.kind === 'realtime') {
        if (b[i + 1] === 0x04) {
          const reply = dleEotReply(b[i + 2]!, state)
          if (reply !== null && !c.socket.destroyed) c.socket.write(Uint8Array.of(reply))
        }
      } else {
        if (tok.kind === 'command' && b[i] === 0x1d && b[i + 1] === 0x61) {
          c.asb = b[i + 2] !== 0
          if (c.asb && !c.socket.destroyed) c.socket.write(asbBytes(state))
        }
        const reason = stopped()
        if (reason) {
          // A stopped printer does not print: finish any ticket begun before it stopped, drop the rest.
          if (c.print.length > 0) emitTicket(c, false)
          c.discardReason = reason
          c.discard.push(Buffer.from(slice))
          if (isCut(b, i, tok)) emitDiscard(c)
        } else {
          if (c.discard.length > 0) emitDiscard(c)
          c.print.push(Buffer.from(slice))
          if (isCut(b, i, tok)) emitTicket(c, true)
        }
        c.chinese = chineseAfter(b, i, tok, c.chinese, powerOnChinese)
      }
      i += tok.len
    }
    c.pending = Buffer.from(b.subarray(i))
  }

  const onConnection = (socket: net.Socket) => {
    const c: Conn = {
      id: nextConn++,
      socket,
      pending: Buffer.alloc(0),
      chinese: powerOnChinese,
      print: [],
      discard: [],
      discardReason: 'paperOut',
      modes: undefined,
      asb: false,
      killed: false,
    }
    conns.add(c)
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      if (c.killed) return
      c.pending = c.pending.length ? Buffer.concat([c.pending, chunk]) : chunk
      consume(c, false)
    })
    socket.on('error', () => {}) // resets from clients are normal; 'close' follows
    socket.on('close', () => {
      conns.delete(c)
      if (c.killed) return
      consume(c, true)
      emitTicket(c, false)
      emitDiscard(c)
    })
  }

  const listen = () =>
    new Promise<void>((ok, fail) => {
      const s = net.createServer(onConnection)
      s.once('error', fail)
      s.listen(port, host, () => {
        s.off('error', fail)
        const addr = s.address()
        if (addr && typeof addr === 'object') port = addr.port
        server = s
        ok()
      })
    })

  const unlisten = () =>
    new Promise<void>((ok) => {
      const s = server
      server = null
      for (const c of conns) {
        c.killed = true
        c.socket.destroy()
      }
      conns.clear()
      if (!s) return ok()
      s.close(() => ok())
    })

  await listen()
  log(`[${opts.name}] virtual printer listening on ${host}:${port} (${width} mm, ${columns} columns)`)

  const printer: VirtualPrinter = {
    get port() {
      return port
    },
    host,
    name: opts.name,
    tickets,
    discarded,
    status: () => ({ ...state }),
    setStatus(s) {
      const before = { ...state }
      if (s.online !== undefined) state.online = s.online
      if (s.paperOut !== undefined) state.paperOut = s.paperOut
      if (s.coverOpen !== undefined) state.coverOpen = s.coverOpen
      if (before.paperOut !== state.paperOut || before.coverOpen !== state.coverOpen) {
        for (const c of conns) if (c.asb && !c.socket.destroyed) c.socket.write(asbBytes(state))
      }
      const describe = () =>
        !state.online
          ? 'OFFLINE (port closed)'
          : [state.paperOut ? 'PAPER OUT' : '', state.coverOpen ? 'COVER OPEN' : '']
              .filter(Boolean)
              .join(', ') || 'ready'
      queue = queue.then(async () => {
        if (closed) return
        if (!state.online && server) await unlisten()
        else if (state.online && !server) await listen()
      })
      const q = queue
      return q.then(() => log(`[${opts.name}] status: ${describe()}`))
    },
    waitFor(n, timeoutMs = 5000) {
      if (tickets.length >= n) return Promise.resolve(tickets.slice())
      return new Promise((ok, fail) => {
        const w = {
          n,
          resolve: (t: PrintedTicket[]) => {
            clearTimeout(timer)
            ok(t)
          },
        }
        const timer = setTimeout(() => {
          waiters.delete(w)
          fail(new Error(`${opts.name}: waited ${timeoutMs} ms for ${n} tickets, got ${tickets.length}`))
        }, timeoutMs)
        waiters.add(w)
      })
    },
    async close() {
      closed = true
      await queue
      await unlisten()
    },
  }
  return printer
}

// ---------------------------------------------------------------------------------------------------------
// CLI

function cliArgs(argv: string[]): VirtualPrinterOptions {
  const get = (flag: string) => {
    const k = argv.indexOf(flag)
    return k >= 0 ? argv[k + 1] : undefined
  }
  const name = get('--name') ?? 'printer'
  const width = Number(get('--width') ?? 80)
  if (width !== 58 && width !== 80) throw new Error('--width must be 58 or 80')
  return {
    port: Number(get('--port') ?? 9100),
    host: get('--host') ?? '0.0.0.0',
    name,
    outDir: get('--out') ?? join('.data', 'printers', name),
    width,
    chinese: argv.includes('--chinese'),
    log: (line) => console.log(line),
  }
}

async function main() {
  const argv = process.argv.slice(2)
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(
      'tsx printer-bridge/virtual-printer.ts [--port 9100] [--host 0.0.0.0] [--name kitchen] [--out dir] [--width 58|80] [--chinese]\n' +
        'Type on stdin: paper (toggle paper out), cover (toggle cover open), offline, online, ok (clear all), status.',
    )
    return
  }
  const opts = cliArgs(argv)
  const vp = await startVirtualPrinter(opts)
  console.log(
    `[${vp.name}] writing tickets to ${resolve(opts.outDir!)}; type paper|cover|offline|online|ok|status`,
  )
  const rl = createInterface({ input: process.stdin })
  rl.on('line', (line) => {
    const cmd = line.trim()
    const s = vp.status()
    if (cmd === 'paper') void vp.setStatus({ paperOut: !s.paperOut })
    else if (cmd === 'cover') void vp.setStatus({ coverOpen: !s.coverOpen })
    else if (cmd === 'offline') void vp.setStatus({ online: false })
    else if (cmd === 'online') void vp.setStatus({ online: true })
    else if (cmd === 'ok') void vp.setStatus({ online: true, paperOut: false, coverOpen: false })
    else if (cmd === 'status') console.log(`[${vp.name}]`, vp.status(), `${vp.tickets.length} tickets`)
    else if (cmd) console.log('commands: paper, cover, offline, online, ok, status')
  })
  const stop = () => {
    rl.close()
    void vp.close().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
