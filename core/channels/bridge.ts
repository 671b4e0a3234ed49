// The bridge channel: the in-store printer bridge (printer-bridge/, a Node program in the restaurant's LAN)
// <-> its StoreDO. The Worker cannot reach 192.168.x.x, so the bridge dials out and holds this socket:
//   GET /api/v1/stores/:storeId/bridge, Authorization: Bearer <bridge key>, upgraded to a WebSocket.
//
// Conversation:
//   server -> welcome { storeId, printers }     on connect; printers with transport.kind 'lan' are the bridge's
//   bridge -> hello { bridgeId, version, printers: [{ id, status }] }
//   server -> job { job }                       every unacked job after welcome, oldest first; then new jobs
//   bridge -> ack { jobId, printedAt }          only once the printer took every byte (or it already had)
//   bridge -> status { printerId, status, … }   on every change of a printer's status
//
// Delivery is at-least-once on the wire and exactly-once on paper: the server resends until it sees an ack,
// and the bridge's local journal turns a resend of a job it already printed into an ack without printing.
import { z } from 'zod'
import { type PrinterConfig, PrinterConfigSchema, type PrintJob } from '../tickets'

export const BRIDGE_PRINTER_STATUSES = ['ok', 'offline', 'paper_out', 'cover_open', 'error'] as const
export const BridgePrinterStatus = z.enum(BRIDGE_PRINTER_STATUSES)
export type BridgePrinterStatus = z.infer<typeof BridgePrinterStatus>

const printerId = PrinterConfigSchema.shape.id
const jobId = z.string().min(1).max(64)

export const BridgeHello = z.object({
  type: z.literal('hello'),
  /** Stable per installation (the machine the bridge runs on), so the console can tell two bridges apart. */
  bridgeId: z.string().min(1).max(64),
  version: z.string().min(1).max(32),
  /** What the bridge knows about its printers right now; may be empty before the first welcome. */
  printers: z.array(z.object({ id: printerId, status: BridgePrinterStatus })).max(64),
})

export const BridgeAck = z.object({
  type: z.literal('ack'),
  jobId,
  /** Epoch ms when the printer took the last byte (from the bridge's journal on a re-ack). */
  printedAt: z.number().int().nonnegative(),
})

export const BridgeStatus = z.object({
  type: z.literal('status'),
  printerId,
  status: BridgePrinterStatus,
  /** Human-readable cause for staff, e.g. "connect ECONNREFUSED 192.168.1.50:9100". */
  detail: z.string().max(200).optional(),
  at: z.number().int().nonnegative(),
})

/** What the bridge sends; the StoreDO validates every message with this. */
export const BridgeClientMessage = z.discriminatedUnion('type', [BridgeHello, BridgeAck, BridgeStatus])
export type BridgeClientMessage = z.infer<typeof BridgeClientMessage>

/** What the StoreDO sends to the bridge. */
export type BridgeServerMessage =
  | { type: 'welcome'; storeId: string; printers: PrinterConfig[] }
  | { type: 'job'; job: PrintJob }
  /** A bridge message the server did not understand (the socket stays open). */
  | { type: 'error'; code: string; message: string }

/** The socket's path for a store. */
export function bridgePath(storeId: string): string {
  return `/api/v1/stores/${encodeURIComponent(storeId)}/bridge`
}
