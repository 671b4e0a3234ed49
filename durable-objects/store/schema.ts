import type { Migration } from '../sql'

// Append-only: a deployed migration is never edited; a change is a new version.
export const STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: [
      'CREATE TABLE categories (id TEXT PRIMARY KEY, json TEXT NOT NULL)',
      'CREATE TABLE items (id TEXT PRIMARY KEY, json TEXT NOT NULL)',
      'CREATE TABLE menu_versions (version INTEGER PRIMARY KEY, at INTEGER NOT NULL, change TEXT NOT NULL)',
      'CREATE TABLE sold_out (item_id TEXT PRIMARY KEY, at INTEGER NOT NULL)',
      'CREATE TABLE stock (sku_id TEXT PRIMARY KEY, on_hand INTEGER NOT NULL CHECK (on_hand >= 0))',
      `CREATE TABLE reservations (order_id TEXT NOT NULL, sku_id TEXT NOT NULL, qty INTEGER NOT NULL,
         expires_at INTEGER NOT NULL, PRIMARY KEY (order_id, sku_id))`,
      'CREATE INDEX reservations_sku ON reservations (sku_id)',
      `CREATE TABLE staff (username TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL,
         pw_hash TEXT NOT NULL)`,
      `CREATE TABLE tables (table_key TEXT PRIMARY KEY, json TEXT NOT NULL, status TEXT NOT NULL,
         updated_at INTEGER NOT NULL)`,
      `CREATE TABLE orders (id TEXT PRIMARY KEY, state TEXT NOT NULL, table_key TEXT, session_id TEXT,
         created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, json TEXT NOT NULL)`,
      'CREATE INDEX orders_state ON orders (state, updated_at)',
      'CREATE INDEX orders_table ON orders (table_key, session_id)',
      'CREATE TABLE order_events (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, json TEXT NOT NULL)',
      'CREATE INDEX order_events_order ON order_events (order_id)',
      'CREATE TABLE idempotency (key TEXT PRIMARY KEY, order_id TEXT NOT NULL, created_at INTEGER NOT NULL)',
      `CREATE TABLE outbox (id TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at INTEGER NOT NULL,
         attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT, payload TEXT NOT NULL)`,
      'CREATE INDEX outbox_due ON outbox (next_at)',
    ],
  },
  {
    // Kitchen printing: printer configs, the print queue (a job stays queued until the bridge acks it),
    // the last known status of each printer and every status change.
    version: 2,
    up: [
      'CREATE TABLE printers (id TEXT PRIMARY KEY, json TEXT NOT NULL)',
      `CREATE TABLE print_jobs (id TEXT PRIMARY KEY, printer_id TEXT NOT NULL, order_id TEXT NOT NULL,
         status TEXT NOT NULL, json TEXT NOT NULL, created_at INTEGER NOT NULL, acked_at INTEGER,
         attempts INTEGER NOT NULL DEFAULT 0)`,
      'CREATE INDEX print_jobs_queue ON print_jobs (status, created_at)',
      'CREATE INDEX print_jobs_order ON print_jobs (order_id)',
      `CREATE TABLE printer_state (printer_id TEXT PRIMARY KEY, status TEXT NOT NULL, detail TEXT,
         at INTEGER NOT NULL)`,
      `CREATE TABLE printer_events (id INTEGER PRIMARY KEY AUTOINCREMENT, printer_id TEXT NOT NULL,
         status TEXT NOT NULL, detail TEXT, at INTEGER NOT NULL)`,
    ],
  },
  {
    // Payments: checkouts (one out_trade_no each), money that arrived (unique per provider transaction, so
    // a callback, a query and a client confirm settle once), refunds, and the ledger of every movement.
    version: 3,
    up: [
      `CREATE TABLE checkouts (id TEXT PRIMARY KEY, state TEXT NOT NULL, kind TEXT NOT NULL,
         table_key TEXT, session_id TEXT, created_at INTEGER NOT NULL, json TEXT NOT NULL)`,
      'CREATE INDEX checkouts_session ON checkouts (table_key, session_id, state)',
      `CREATE TABLE checkout_orders (order_id TEXT NOT NULL, checkout_id TEXT NOT NULL,
         PRIMARY KEY (order_id, checkout_id))`,
      `CREATE TABLE payments (id TEXT PRIMARY KEY, checkout_id TEXT NOT NULL, provider TEXT NOT NULL,
         transaction_id TEXT NOT NULL, json TEXT NOT NULL, UNIQUE (provider, transaction_id))`,
      'CREATE INDEX payments_checkout ON payments (checkout_id)',
      `CREATE TABLE refunds (id TEXT PRIMARY KEY, payment_id TEXT NOT NULL, order_id TEXT,
         state TEXT NOT NULL, created_at INTEGER NOT NULL, json TEXT NOT NULL)`,
      'CREATE INDEX refunds_payment ON refunds (payment_id)',
      'CREATE INDEX refunds_order ON refunds (order_id)',
      `CREATE TABLE ledger (id TEXT PRIMARY KEY, checkout_id TEXT NOT NULL, at INTEGER NOT NULL,
         json TEXT NOT NULL)`,
      'CREATE INDEX ledger_at ON ledger (at)',
    ],
  },
]
