/**
 * One `node:sqlite` connection: pragmas, a statement cache, write transactions and read snapshots.
 * Used inside the store's worker threads only; nothing here may run on the HTTP event loop.
 */
import { closeSync, existsSync, openSync } from 'node:fs'
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import { assertKnownSchema } from './migrations.ts'

export type Params = Record<string, SQLInputValue>

export class Connection {
  readonly file: string
  readonly db: DatabaseSync
  readonly #statements = new Map<string, StatementSync>()

  private constructor(file: string, db: DatabaseSync) {
    this.file = file
    this.db = db
  }

  /**
   * Opens (creating if needed) the database at `file` and checks that its schema is not newer than
   * this build. Writers create the file; readers open an existing one.
   */
  static open(file: string, role: 'writer' | 'reader'): Connection {
    if (role === 'writer' && file !== ':memory:' && !existsSync(file)) {
      // Activity history is personal: the file is created owner-only before SQLite opens it, so
      // the WAL and shared-memory files SQLite creates next to it inherit mode 0600 as well.
      closeSync(openSync(file, 'wx', 0o600))
    }
    const db = new DatabaseSync(file, { timeout: 10_000 })
    try {
      if (role === 'writer') {
        // WAL lets readers proceed during a write; synchronous=FULL fsyncs the WAL on every commit,
        // so a batch the daemon acknowledged survives a power cut, not only a process crash.
        db.exec('PRAGMA journal_mode = WAL')
        db.exec('PRAGMA synchronous = FULL')
      }
      // Pages kept in memory: 8 MB for the writer, 4 MB per reader. Rollups keep most reads small,
      // the OS caches the file anyway, and the daemon's footprint has to stay modest on a laptop.
      db.exec(`PRAGMA cache_size = ${role === 'writer' ? -8_000 : -4_000}`)
      // The WAL is checkpointed as usual; once it has been, its file shrinks back to 16 MB at most.
      if (role === 'writer') db.exec('PRAGMA journal_size_limit = 16777216')
      db.exec('PRAGMA temp_store = MEMORY')
      assertKnownSchema(db, file)
    } catch (err) {
      db.close()
      throw err
    }
    return new Connection(file, db)
  }

  stmt(sql: string): StatementSync {
    let s = this.#statements.get(sql)
    if (!s) {
      s = this.db.prepare(sql)
      this.#statements.set(sql, s)
    }
    return s
  }

  /** Forgets prepared statements (after a migration changed the schema). */
  resetStatements(): void {
    this.#statements.clear()
  }

  /**
   * Runs `fn` in a write transaction (BEGIN IMMEDIATE: the write lock is taken first, so the
   * transaction never fails half-way for want of it). All of it commits, or none.
   */
  write<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE')
    try {
      const result = fn()
      this.db.exec('COMMIT')
      return result
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK')
      throw err
    }
  }

  /**
   * Runs `fn` on one consistent snapshot: every statement in it sees the same committed state,
   * however many writes commit meanwhile (WAL). Nested calls join the outer snapshot.
   */
  read<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn()
    this.db.exec('BEGIN DEFERRED')
    try {
      return fn()
    } finally {
      if (this.db.isTransaction) this.db.exec('COMMIT')
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- names the row type a query returns
  get<T>(sql: string, params: Params = {}): T | undefined {
    return this.stmt(sql).get(params) as T | undefined
  }

  all<T>(sql: string, params: Params = {}): T[] {
    return this.stmt(sql).all(params) as T[]
  }

  run(sql: string, params: Params = {}): number {
    return Number(this.stmt(sql).run(params).changes)
  }

  /**
   * Closes the connection; `checkpoint` first folds the WAL back into the main file, so the
   * database is one self-contained file at rest. A checkpoint that fails (no room on the disk to
   * grow the main file) leaves both files as they were: the WAL still holds every committed
   * write and is applied at the next open. The close goes on, and the failure is returned.
   */
  close(checkpoint: boolean): Error | undefined {
    if (!this.db.isOpen) return undefined
    this.#statements.clear()
    let failed: Error | undefined
    if (checkpoint) {
      try {
        this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
      } catch (err) {
        failed = err as Error
      }
    }
    this.db.close()
    return failed
  }
}
