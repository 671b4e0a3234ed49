import type { Migration } from '../sql'

// Append-only: a deployed migration is never edited; a change is a new version.
export const TABLE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: [
      `CREATE TABLE diners (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, name TEXT NOT NULL,
         joined_at INTEGER NOT NULL)`,
      'CREATE INDEX diners_session ON diners (session_id)',
      `CREATE TABLE cart (line_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, json TEXT NOT NULL,
         added_at INTEGER NOT NULL)`,
      'CREATE INDEX cart_session ON cart (session_id, added_at)',
      `CREATE TABLE rounds (session_id TEXT NOT NULL, round_no INTEGER NOT NULL, idem_key TEXT NOT NULL UNIQUE,
         status TEXT NOT NULL, json TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (session_id, round_no))`,
    ],
  },
]
