// Request validation and the one error format: { error: { code, message, details? } }.
import type { Context } from 'hono'
import type { z } from 'zod'
import { DomainError, type ErrorBody, type Outcome, unwrap } from '../core/errors'

/** Bodies above this are refused before parsing: a whole menu fits with room to spare. */
export const MAX_BODY_BYTES = 512 * 1024

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? ''
  if (!type.toLowerCase().startsWith('application/json'))
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'send JSON with Content-Type: application/json')
  const declared = Number(c.req.header('content-length') ?? '0')
  if (declared > MAX_BODY_BYTES)
    throw new DomainError('PAYLOAD_TOO_LARGE', `body over ${MAX_BODY_BYTES} bytes`)
  const text = await c.req.text()
  if (new TextEncoder().encode(text).length > MAX_BODY_BYTES)
    throw new DomainError('PAYLOAD_TOO_LARGE', `body over ${MAX_BODY_BYTES} bytes`)
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new DomainError('MALFORMED_JSON', 'the body is not valid JSON')
  }
  return parse(schema, raw)
}

export function parse<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const r = schema.safeParse(raw)
  if (!r.success)
    throw new DomainError('VALIDATION_FAILED', r.error.issues[0]?.message ?? 'invalid input', {
      issues: r.error.issues
        .slice(0, 20)
        .map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    })
  return r.data
}

export function errorResponse(body: ErrorBody, status: number): Response {
  return Response.json({ error: body }, { status, headers: { 'cache-control': 'no-store' } })
}

/** Unwrap a DO RPC outcome into a JSON response, or throw its domain error. */
export function send<T>(c: Context, o: Outcome<T>, status: 200 | 201 = 200): Response {
  return c.json(unwrap(o) as object, status)
}

/**
 * Headers for a socket forwarded raw to an object: the client's own, minus every `x-*` header (those are
 * how this Worker tells the object who is calling, so a client must never set them), plus `ours`.
 */
export function forwardHeaders(raw: Request, ours: Record<string, string>): Headers {
  const headers = new Headers(raw.headers)
  for (const name of [...headers.keys()]) if (name.startsWith('x-')) headers.delete(name)
  for (const [k, v] of Object.entries(ours)) headers.set(k, v)
  return headers
}
