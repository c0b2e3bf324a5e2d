/**
 * Backups of the SQLite store: a consistent copy made with `VACUUM INTO` on the writer, and the
 * check every backup and every restore passes (`integrity_check`, the schema version).
 */
import { statSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import type { Connection } from './connection.ts'
import { LATEST_VERSION, schemaVersion } from './migrations.ts'

/** What a database file holds, as checked. */
export interface CheckedDatabase {
  /** Its schema version. */
  version: number
  /** The newest schema version this build knows. */
  latest: number
  bytes: number
}

/**
 * Opens `file` read-only and checks it: `PRAGMA integrity_check` must answer `ok`. Throws with
 * SQLite's first complaint otherwise (or when the file is no SQLite database).
 */
export function checkDatabaseFile(file: string): CheckedDatabase {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const rows = db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]
    const first = rows[0]?.integrity_check
    if (first !== 'ok') throw new Error(`integrity check failed: ${first ?? 'no answer'}`)
    return { version: schemaVersion(db), latest: LATEST_VERSION, bytes: statSync(file).size }
  } finally {
    db.close()
  }
}

/**
 * Writes a copy of the database to `file` (which must not exist) and checks it. Run on the writer
 * between write transactions, so the copy holds every transaction committed before it began and
 * nothing half-done; readers go on meanwhile (WAL).
 */
export function backupInto(c: Connection, file: string): CheckedDatabase {
  c.db.prepare('VACUUM INTO ?').run(file)
  return checkDatabaseFile(file)
}
