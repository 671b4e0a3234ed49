// The store's print queue on its SQLite. A job is written in the same transaction as the order change
// that caused it and stays `queued` until the printer's bridge (or the cloud printer) confirms it.
import type { PrinterState } from '../../core/channels/store'
import type { PrinterConfig, PrintJob } from '../../core/tickets'

export type PrinterStatus = PrinterState['status']
export type { PrinterState }

export interface JobSummary {
  id: string
  printerId: string
  orderId: string
  status: 'queued' | 'acked'
  kind: string
  reprint: boolean
  createdAt: number
  ackedAt?: number
}

export class PrintRepo {
  constructor(private readonly sql: SqlStorage) {}

  printers(): PrinterConfig[] {
    return this.sql
      .exec<{ json: string }>('SELECT json FROM printers ORDER BY id')
      .toArray()
      .map((r) => JSON.parse(r.json) as PrinterConfig)
  }

  setPrinters(printers: PrinterConfig[]): void {
    this.sql.exec('DELETE FROM printers')
    for (const p of printers)
      this.sql.exec('INSERT INTO printers (id, json) VALUES (?, ?)', p.id, JSON.stringify(p))
  }

  enqueue(jobs: PrintJob[]): void {
    for (const j of jobs)
      this.sql.exec(
        "INSERT INTO print_jobs (id, printer_id, order_id, status, json, created_at) VALUES (?, ?, ?, 'queued', ?, ?)",
        j.id,
        j.printerId,
        j.ticket.orderId,
        JSON.stringify(j),
        j.createdAt,
      )
  }

  /** Unconfirmed jobs, oldest first: what a (re)connecting bridge is sent. */
  queued(printerIds?: string[]): PrintJob[] {
    const rows = this.sql
      .exec<{ json: string; printer_id: string }>(
        "SELECT json, printer_id FROM print_jobs WHERE status = 'queued' ORDER BY created_at, id",
      )
      .toArray()
    return rows
      .filter((r) => !printerIds || printerIds.includes(r.printer_id))
      .map((r) => JSON.parse(r.json) as PrintJob)
  }

  job(id: string): PrintJob | undefined {
    const row = this.sql.exec<{ json: string }>('SELECT json FROM print_jobs WHERE id = ?', id).toArray()[0]
    return row ? (JSON.parse(row.json) as PrintJob) : undefined
  }

  /** True when this ack changed something: acks are repeated after reconnects and must be harmless. */
  ack(id: string, at: number): boolean {
    return (
      this.sql.exec(
        "UPDATE print_jobs SET status = 'acked', acked_at = ? WHERE id = ? AND status = 'queued'",
        at,
        id,
      ).rowsWritten > 0
    )
  }

  attempt(id: string): number {
    this.sql.exec('UPDATE print_jobs SET attempts = attempts + 1 WHERE id = ?', id)
    return (
      this.sql.exec<{ n: number }>('SELECT attempts AS n FROM print_jobs WHERE id = ?', id).toArray()[0]?.n ??
      0
    )
  }

  jobs(filter: { orderId?: string; limit?: number }): JobSummary[] {
    const rows = filter.orderId
      ? this.sql.exec<JobRow>(
          'SELECT * FROM print_jobs WHERE order_id = ? ORDER BY created_at, id',
          filter.orderId,
        )
      : this.sql.exec<JobRow>(
          'SELECT * FROM print_jobs ORDER BY created_at DESC, id DESC LIMIT ?',
          filter.limit ?? 100,
        )
    return rows.toArray().map((r) => {
      const j = JSON.parse(r.json) as PrintJob
      return {
        id: r.id,
        printerId: r.printer_id,
        orderId: r.order_id,
        status: r.status as JobSummary['status'],
        kind: j.ticket.kind,
        reprint: j.ticket.reprint,
        createdAt: r.created_at,
        ...(r.acked_at ? { ackedAt: r.acked_at } : {}),
      }
    })
  }

  /** Record a printer's status; true when it changed (every change is kept in printer_events). */
  setStatus(printerId: string, status: PrinterStatus, detail: string | undefined, at: number): boolean {
    const cur = this.sql
      .exec<{ status: string; detail: string | null }>(
        'SELECT status, detail FROM printer_state WHERE printer_id = ?',
        printerId,
      )
      .toArray()[0]
    if (cur && cur.status === status && (cur.detail ?? undefined) === detail) return false
    this.sql.exec(
      `INSERT INTO printer_state (printer_id, status, detail, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (printer_id) DO UPDATE SET status = excluded.status, detail = excluded.detail, at = excluded.at`,
      printerId,
      status,
      detail ?? null,
      at,
    )
    this.sql.exec(
      'INSERT INTO printer_events (printer_id, status, detail, at) VALUES (?, ?, ?, ?)',
      printerId,
      status,
      detail ?? null,
      at,
    )
    return true
  }

  states(): PrinterState[] {
    const state = new Map(
      this.sql
        .exec<{ printer_id: string; status: PrinterStatus; detail: string | null; at: number }>(
          'SELECT * FROM printer_state',
        )
        .toArray()
        .map((r) => [r.printer_id, r]),
    )
    const queued = new Map(
      this.sql
        .exec<{ printer_id: string; n: number }>(
          "SELECT printer_id, COUNT(*) AS n FROM print_jobs WHERE status = 'queued' GROUP BY printer_id",
        )
        .toArray()
        .map((r) => [r.printer_id, r.n]),
    )
    return this.printers().map((p) => {
      const s = state.get(p.id)
      return {
        id: p.id,
        name: p.name,
        kind: p.transport.kind,
        status: s?.status ?? 'unknown',
        ...(s?.detail ? { detail: s.detail } : {}),
        at: s?.at ?? 0,
        queued: queued.get(p.id) ?? 0,
      }
    })
  }

  events(limit = 100): { printerId: string; status: string; detail?: string; at: number }[] {
    return this.sql
      .exec<{ printer_id: string; status: string; detail: string | null; at: number }>(
        'SELECT * FROM printer_events ORDER BY id DESC LIMIT ?',
        limit,
      )
      .toArray()
      .map((r) => ({
        printerId: r.printer_id,
        status: r.status,
        ...(r.detail ? { detail: r.detail } : {}),
        at: r.at,
      }))
  }
}

type JobRow = {
  id: string
  printer_id: string
  order_id: string
  status: string
  json: string
  created_at: number
  acked_at: number | null
  [k: string]: SqlStorageValue
}
