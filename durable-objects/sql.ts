// Versioned schema migrations and a tiny key/value table on a Durable Object's SQLite.
// `PRAGMA user_version` is not available in DOs, so applied versions live in `_migrations`.

export interface Migration {
  version: number
  /** Statements run in order inside one transaction. */
  up: string[]
}

export function migrate(storage: DurableObjectStorage, migrations: readonly Migration[]): void {
  const sql = storage.sql
  sql.exec(
    'CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  )
  const done = new Set(
    sql
      .exec<{ version: number }>('SELECT version FROM _migrations')
      .toArray()
      .map((r) => r.version),
  )
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue
    storage.transactionSync(() => {
      for (const stmt of m.up) sql.exec(stmt)
      sql.exec('INSERT INTO _migrations (version, applied_at) VALUES (?, ?)', m.version, Date.now())
    })
  }
}

/**
 * Settings and counters that are one value each, JSON-encoded. Read through a write-through cache: the object
 * is the only writer of its storage, and reads on every request were the hottest thing in a profile.
 * Values handed out are shared: callers must not mutate them.
 */
export class Meta {
  private readonly cache = new Map<string, unknown>()
  constructor(private readonly sql: SqlStorage) {
    sql.exec('CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
    for (const r of sql.exec<{ key: string; value: string }>('SELECT key, value FROM _meta'))
      this.cache.set(r.key, JSON.parse(r.value))
  }
  get<T>(key: string): T | undefined {
    return this.cache.get(key) as T | undefined
  }
  set(key: string, value: unknown): void {
    this.sql.exec(
      'INSERT INTO _meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      key,
      JSON.stringify(value),
    )
    this.cache.set(key, value)
  }
  /** After a rolled-back transaction the cache may hold values that never committed. */
  reload(): void {
    this.cache.clear()
    for (const r of this.sql.exec<{ key: string; value: string }>('SELECT key, value FROM _meta'))
      this.cache.set(r.key, JSON.parse(r.value))
  }
  /** Increment and return; atomic because sql.exec is synchronous inside one event. */
  next(key: string): number {
    const n = (this.get<number>(key) ?? 0) + 1
    this.set(key, n)
    return n
  }
}

/**
 * Many logical timers on the one alarm a DO has (tldraw's AlarmScheduler idea): timers are rows, and the
 * alarm is always armed for the earliest of them.
 */
export class Timers {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly extraDue: () => number | null = () => null,
  ) {
    storage.sql.exec('CREATE TABLE IF NOT EXISTS _timers (key TEXT PRIMARY KEY, at INTEGER NOT NULL)')
  }
  set(key: string, at: number): void {
    this.storage.sql.exec(
      'INSERT INTO _timers (key, at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET at = excluded.at',
      key,
      at,
    )
  }
  clear(key: string): void {
    this.storage.sql.exec('DELETE FROM _timers WHERE key = ?', key)
  }
  due(now: number): string[] {
    return this.storage.sql
      .exec<{ key: string }>('SELECT key FROM _timers WHERE at <= ? ORDER BY at LIMIT 500', now)
      .toArray()
      .map((r) => r.key)
  }
  /** The alarm as this instance last set it; undefined until read once (a new instance does not know). */
  private armed: number | null | undefined

  /** Point the alarm at the earliest timer (or extra due time, e.g. the outbox); remove it when none. */
  async arm(): Promise<void> {
    const row = this.storage.sql.exec<{ at: number | null }>('SELECT MIN(at) AS at FROM _timers').toArray()[0]
    const extra = this.extraDue()
    const candidates = [row?.at, extra].filter((x): x is number => typeof x === 'number')
    const at = candidates.length === 0 ? null : Math.min(...candidates)
    if (this.armed === undefined) this.armed = await this.storage.getAlarm()
    if (this.armed === at) return
    this.armed = at
    if (at === null) await this.storage.deleteAlarm()
    else await this.storage.setAlarm(at)
  }

  /** Called at the start of alarm(): the runtime has consumed the alarm that was set. */
  fired(): void {
    this.armed = null
  }
}

/** A synchronous transaction that keeps the Meta cache true to storage when it rolls back. */
export function atomic<T>(storage: DurableObjectStorage, meta: Meta, fn: () => T): T {
  try {
    return storage.transactionSync(fn)
  } catch (e) {
    meta.reload()
    throw e
  }
}
