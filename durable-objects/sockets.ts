// Hibernatable sockets with a per-channel sequence number. The seq is persisted with the state change that
// caused the message, so a client's lastSeq stays meaningful after the object hibernates or restarts.
import type { Meta } from './sql'

/** Omit over each member of a union, so a message without its seq keeps its own fields. */
export type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never

export interface SocketAttachment {
  [k: string]: unknown
}

export class SequencedChannel<Msg extends { type: string }> {
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly meta: Meta,
    private readonly tag: string,
  ) {}

  get seq(): number {
    return this.meta.get<number>(`seq:${this.tag}`) ?? 0
  }

  /**
   * Assign the next seq and send to every socket with the tag (or a narrower one). Serialized once.
   * With nobody listening there is no sequence to keep: the next socket starts from a snapshot.
   */
  broadcast(msg: WithoutSeq<Msg>, onlyTag?: string): number {
    const sockets = this.ctx.getWebSockets(onlyTag ?? this.tag)
    if (sockets.length === 0) return this.seq
    const seq = this.meta.next(`seq:${this.tag}`)
    const text = JSON.stringify({ ...msg, seq })
    for (const ws of sockets) safeSend(ws, text)
    return seq
  }

  /** Send without consuming a seq: snapshots and errors to one socket. */
  send(ws: WebSocket, msg: unknown): void {
    safeSend(ws, JSON.stringify(msg))
  }

  sockets(tag?: string): WebSocket[] {
    return this.ctx.getWebSockets(tag ?? this.tag)
  }
}

export function safeSend(ws: WebSocket, text: string): void {
  try {
    ws.send(text)
  } catch {
    // A socket closing under us: the close handler cleans up; the client resyncs on reconnect.
  }
}

/** `ping` text frames get `pong` from the runtime without waking the object. */
export function enableAutoPong(ctx: DurableObjectState): void {
  ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'))
}

export function acceptSocket(
  ctx: DurableObjectState,
  tags: string[],
  attachment: SocketAttachment,
): { response: Response; socket: WebSocket } {
  const pair = new WebSocketPair()
  const [client, server] = Object.values(pair) as [WebSocket, WebSocket]
  ctx.acceptWebSocket(server, tags)
  server.serializeAttachment(attachment)
  return { response: new Response(null, { status: 101, webSocket: client }), socket: server }
}

/**
 * Answer a client's close frame. From compatibility date 2026-04-07 the runtime replies by itself; closing
 * again then throws, which is fine. Kept so an older date never leaves clients with 1006.
 */
export function replyClose(ws: WebSocket, code: number): void {
  try {
    ws.close(code === 1005 ? 1000 : code, 'bye')
  } catch {
    // already closed
  }
}

/** Parse a client frame as JSON; null for binary or malformed frames. */
export function parseFrame(message: string | ArrayBuffer): unknown {
  if (typeof message !== 'string' || message.length > 16_384) return null
  try {
    return JSON.parse(message)
  } catch {
    return null
  }
}
