// Retry timing of a RiderDO's outbox (updates to stores, commands to cells). Pure.

/**
 * A fresh row is sent at once by the object; the alarm retries it after this if that failed (a store
 * restarting, a deploy): long enough not to hammer, short enough that the diner hardly notices.
 */
export const OUTBOX_FIRST_RETRY_MS = 2_000
/** Retries double up to this: a store down for an hour is asked every 5 min, not every second. */
export const OUTBOX_MAX_BACKOFF_MS = 300_000
/**
 * After a day the update is history, not news (the order is long delivered or cancelled): it is dropped
 * and logged in `sent` as given up. Postgres gets the rider's side through the store's own history.
 */
export const OUTBOX_GIVE_UP_MS = 24 * 3600_000
/** Rows in `sent` kept for operators and tests. */
export const SENT_KEEP = 200

/** Delay before retry number `attempts` (1 = first retry). */
export function outboxBackoffMs(attempts: number): number {
  return Math.min(OUTBOX_MAX_BACKOFF_MS, OUTBOX_FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1))
}
