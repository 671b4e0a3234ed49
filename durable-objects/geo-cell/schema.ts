import type { Migration } from '../sql'

// Append-only: a deployed migration is never edited; a change is a new version.
export const CELL_SCHEMA: readonly Migration[] = [
  {
    version: 1,
    up: [
      // json: RiderInCell. seen_at: our clock when the summary arrived (staleness is judged on it).
      'CREATE TABLE riders (rider_id TEXT PRIMARY KEY, json TEXT NOT NULL, seen_at INTEGER NOT NULL)',
      // job: DeliveryJob without the customer's phone (phone_enc, pii.ts).
      // status: waiting | offered (offer_id) | assigned (rider_id). declined: {riderId: until}.
      `CREATE TABLE jobs (order_id TEXT PRIMARY KEY, job TEXT NOT NULL, phone_enc TEXT, status TEXT NOT NULL,
         offer_id TEXT, rider_id TEXT, declined TEXT NOT NULL, added_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL)`,
      'CREATE INDEX jobs_status ON jobs (status)',
      'CREATE INDEX jobs_offer ON jobs (offer_id)',
      // status: open | assigned (winner) | closed. unknown: a rider's reply was lost, ask again.
      `CREATE TABLE offers (offer_id TEXT PRIMARY KEY, offer TEXT NOT NULL, riders TEXT NOT NULL,
         status TEXT NOT NULL, winner TEXT, unknown INTEGER NOT NULL, expires_at INTEGER NOT NULL,
         created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
      'CREATE TABLE cooldown (rider_id TEXT PRIMARY KEY, until INTEGER NOT NULL)',
    ],
  },
]
