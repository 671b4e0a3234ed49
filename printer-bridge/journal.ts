// The bridge's local print journal: append-only JSON lines, one record per state change of a job, each
// written with writeSync + fsyncSync before the bridge moves on. It is what makes printing exactly-once
// across crashes and reconnects:
//   received  written BEFORE the bytes go to the printer (with a hash of those bytes);
//   printed   written right after the printer took every byte;
//   acked     written after the ack was handed to the server socket.
// A job the server (re)sends that is already 'printed' is only acked again, never printed again. The one
// window left is a crash between the printer taking the bytes and 'printed' reaching the disk; then the
// ticket prints twice, which a kitchen prefers to a ticket never printed.
import fs from 'node:fs'
import path from 'node:path'

export type JournalState = 'received' | 'printed' | 'acked'

export interface JournalRecord {
  jobId: string
  state: JournalState
  at: number
  /** sha256 of the exact bytes sent ('received' only). */
  hash?: string
  /** The printer that was (to be) used ('received' only); after a backup takeover it differs from the job's. */
  printerId?: string
}

export interface JournalEntry {
  /** Each state the job reached, with when. */
  states: Map<JournalState, number>
  hash?: string
  printerId?: string
}

export interface JournalOptions {
  /** How many jobs survive a compaction; default 5000 (days of tickets for a busy store, a few hundred KB). */
  keep?: number
  now?: () => number
}

const STATES: readonly JournalState[] = ['received', 'printed', 'acked']

export class Journal {
  readonly path: string
  private fd: number
  private readonly keep: number
  private readonly now: () => number
  /** Insertion order = order of the job's latest record, oldest first; compaction keeps the tail. */
  private readonly jobs = new Map<string, JournalEntry>()
  private lines = 0

  private constructor(file: string, opts: JournalOptions) {
    this.path = file
    this.keep = opts.keep ?? 5000
    this.now = opts.now ?? Date.now
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
    this.load(text)
    this.fd = fs.openSync(file, 'a')
    // A crash mid-append can leave a torn last line; start our records on a fresh line.
    if (text.length > 0 && !text.endsWith('\n')) this.append('\n')
    if (this.jobs.size > this.keep) this.compact()
  }

  static open(file: string, opts: JournalOptions = {}): Journal {
    return new Journal(file, opts)
  }

  has(jobId: string, state: JournalState): boolean {
    return this.jobs.get(jobId)?.states.has(state) ?? false
  }

  /** When the job reached `state`, if it did. */
  at(jobId: string, state: JournalState): number | undefined {
    return this.jobs.get(jobId)?.states.get(state)
  }

  get(jobId: string): JournalEntry | undefined {
    return this.jobs.get(jobId)
  }

  get size(): number {
    return this.jobs.size
  }

  /** Appends and fsyncs one record; returns when it is on disk. */
  mark(jobId: string, state: JournalState, extra: { hash?: string; printerId?: string } = {}): void {
    const rec: JournalRecord = { jobId, state, at: this.now(), ...extra }
    this.append(JSON.stringify(rec) + '\n')
    this.lines++
    this.apply(rec)
    // Slack of 20% so compaction (a full rewrite) runs once per ~1000 jobs, not on every new one.
    if (this.jobs.size > this.keep + Math.ceil(this.keep / 5)) this.compact()
  }

  /** Rewrites the file with only the last `keep` jobs: temp file, fsync, rename, fsync of the directory. */
  compact(keep = this.keep): void {
    const entries = [...this.jobs.entries()]
    const dropped = entries.slice(0, Math.max(0, entries.length - keep))
    for (const [id] of dropped) this.jobs.delete(id)
    let out = ''
    let lines = 0
    for (const [jobId, e] of this.jobs) {
      for (const state of STATES) {
        const at = e.states.get(state)
        if (at === undefined) continue
        const rec: JournalRecord = { jobId, state, at }
        if (state === 'received') {
          if (e.hash !== undefined) rec.hash = e.hash
          if (e.printerId !== undefined) rec.printerId = e.printerId
        }
        out += JSON.stringify(rec) + '\n'
        lines++
      }
    }
    const tmp = this.path + '.tmp'
    const tfd = fs.openSync(tmp, 'w')
    try {
      fs.writeSync(tfd, out)
      fs.fsyncSync(tfd)
    } finally {
      fs.closeSync(tfd)
    }
    fs.closeSync(this.fd)
    fs.renameSync(tmp, this.path)
    fsyncDir(path.dirname(this.path))
    this.fd = fs.openSync(this.path, 'a')
    this.lines = lines
  }

  /** Lines in the file (for tests and logs). */
  get lineCount(): number {
    return this.lines
  }

  close(): void {
    if (this.fd < 0) return
    fs.closeSync(this.fd)
    this.fd = -1
  }

  private append(text: string): void {
    if (this.fd < 0) throw new Error('journal is closed')
    fs.writeSync(this.fd, text)
    fs.fsyncSync(this.fd)
  }

  private load(text: string): void {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue
      let rec: unknown
      try {
        rec = JSON.parse(line)
      } catch {
        continue // a torn line from a crash mid-append: that record never completed
      }
      if (!isRecord(rec)) continue
      this.lines++
      this.apply(rec)
    }
  }

  private apply(rec: JournalRecord): void {
    const e: JournalEntry = this.jobs.get(rec.jobId) ?? { states: new Map() }
    this.jobs.delete(rec.jobId)
    e.states.set(rec.state, rec.at)
    if (rec.hash !== undefined) e.hash = rec.hash
    if (rec.printerId !== undefined) e.printerId = rec.printerId
    this.jobs.set(rec.jobId, e)
  }
}

export function open(file: string, opts?: JournalOptions): Journal {
  return Journal.open(file, opts)
}

function isRecord(v: unknown): v is JournalRecord {
  if (typeof v !== 'object' || v === null) return false
  const r = v as Record<string, unknown>
  return (
    typeof r.jobId === 'string' &&
    typeof r.at === 'number' &&
    typeof r.state === 'string' &&
    (STATES as readonly string[]).includes(r.state)
  )
}

function fsyncDir(dir: string): void {
  // Makes the rename durable on Linux; Windows cannot open directories, where this is best effort.
  try {
    const fd = fs.openSync(dir, 'r')
    try {
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  } catch {}
}
