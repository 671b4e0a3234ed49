// Domain errors and their stable API codes. Every error a caller can cause has a code here;
// the HTTP status says whose mistake it was (4xx the caller's, 5xx ours).

export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  STORE_NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  TABLE_CODE_INVALID: 404,
  UNKNOWN_ITEM: 422,
  UNKNOWN_SKU: 422,
  INVALID_OPTIONS: 422,
  INVALID_QUANTITY: 422,
  ITEM_SOLD_OUT: 409,
  STOCK_INSUFFICIENT: 409,
  MENU_STALE: 409,
  INVALID_TRANSITION: 409,
  CART_EMPTY: 409,
  CART_LINE_NOT_FOUND: 404,
  TABLE_NOT_OPEN: 409,
  COUPON_INVALID: 422,
  OUT_OF_DELIVERY_AREA: 422,
  BELOW_MINIMUM_ORDER: 422,
  PAYMENT_REFUSED: 422,
  PAYMENT_UNAVAILABLE: 503,
  CONFLICT: 409,
  RIDER_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  /** The offer was answered, withdrawn or expired, or another rider grabbed it first. */
  OFFER_GONE: 409,
  RIDER_OFF_DUTY: 409,
  /** A rider's pickup or delivery away from the store or the customer, without an override reason. */
  OUTSIDE_GEOFENCE: 422,
  /** A rider's answer could not be confirmed with dispatch right now; the rider's object keeps trying. */
  DISPATCH_UNAVAILABLE: 503,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export interface ErrorBody {
  code: ErrorCode
  message: string
  details?: Record<string, unknown>
}

/** Thrown by core and by objects; the Worker turns it into `{ error: { code, message, details } }`. */
export class DomainError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'DomainError'
    this.code = code
    this.details = details
  }
  get status(): number {
    return ERROR_STATUS[this.code]
  }
  toBody(): ErrorBody {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message }
  }
}

export const isErrorCode = (v: unknown): v is ErrorCode => typeof v === 'string' && v in ERROR_STATUS

/**
 * Result shape for DO RPC. Workers RPC keeps an Error's message but drops custom fields such as `code`,
 * so objects return failures as plain data and the Worker rethrows them (see `unwrap`).
 */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorBody }

export function outcome<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() }
  } catch (e) {
    if (e instanceof DomainError) return { ok: false, error: e.toBody() }
    throw e
  }
}

export async function outcomeAsync<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() }
  } catch (e) {
    if (e instanceof DomainError) return { ok: false, error: e.toBody() }
    throw e
  }
}

export function unwrap<T>(o: Outcome<T>): T {
  if (o.ok) return o.value
  throw new DomainError(o.error.code, o.error.message, o.error.details)
}
