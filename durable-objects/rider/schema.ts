import type { Migration } from '../sql'

// Append-only: a deployed migration is never edited; a change is a new version.
export const RIDER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: [
      // job: the DeliveryJob as JSON without the customer's phone, which is phone_enc (AES-GCM, pii.ts).
      `CREATE TABLE tasks (order_id TEXT PRIMARY KEY, job TEXT NOT NULL, phone_enc TEXT, status TEXT NOT NULL,
         cell TEXT NOT NULL, offer_id TEXT NOT NULL, assigned_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
         at_store INTEGER NOT NULL DEFAULT 0, near_customer INTEGER NOT NULL DEFAULT 0, done_at INTEGER)`,
      'CREATE INDEX tasks_status ON tasks (status)',
      // state: open (offer mode, awaiting the rider) | accepting | shown (grab mode) | grabbing
      `CREATE TABLE offers (offer_id TEXT PRIMARY KEY, offer TEXT NOT NULL, state TEXT NOT NULL,
         expires_at INTEGER NOT NULL, received_at INTEGER NOT NULL)`,
      `CREATE TABLE trail (id INTEGER PRIMARY KEY AUTOINCREMENT, lat REAL NOT NULL, lng REAL NOT NULL,
         at INTEGER NOT NULL, accuracy_m REAL NOT NULL)`,
      // target: store:<storeId> (body: DeliveryUpdate) or cell:<cell> (body: CellCommand)
      `CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, body TEXT NOT NULL,
         attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, created_at INTEGER NOT NULL,
         last_error TEXT)`,
      'CREATE INDEX outbox_due ON outbox (next_at)',
      // The last few updates delivered (or given up), for operators and tests.
      `CREATE TABLE sent (id INTEGER PRIMARY KEY, target TEXT NOT NULL, body TEXT NOT NULL,
         sent_at INTEGER NOT NULL, result TEXT NOT NULL)`,
    ],
  },
]
