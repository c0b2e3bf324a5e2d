/**
 * Numbered, append-only schema migrations for the SQLite store.
 *
 * Each file `migrations/NNNN_name.sql` moves the schema from version NNNN-1 to NNNN; the version
 * lives in `PRAGMA user_version`. Add new migrations at the end; never edit a released one.
 *
 * Changelog:
 * 1: dimensions, events, AFK periods, project name search, settings.
 * 2: scoped API tokens (`api_tokens`), stored as salted hashes.
 * 3: input activity (keyboard and mouse counts per 5-minute bucket and source), input batch ids.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import { SchemaTooNewError } from '../../domain/errors.ts'

export interface Migration {
  version: number
  name: string
  sql: string
}

const MIGRATIONS_DIR = path.join(import.meta.dirname, 'migrations')

/** All migrations in order; throws if the numbering has a gap or a duplicate. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
  return files.map((file, i) => {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file)
    if (!m || Number(m[1]) !== i + 1) {
      throw new Error(
        `migration ${file} is misnumbered: expected ${String(i + 1).padStart(4, '0')}_<name>.sql`,
      )
    }
    return { version: i + 1, name: m[2] ?? '', sql: readFileSync(path.join(dir, file), 'utf8') }
  })
}

/** The newest schema version this build knows. */
export const LATEST_VERSION = loadMigrations().length

export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number }
  return row.user_version
}

/** Throws `SchemaTooNewError` when the database was written by a newer Daybook. */
export function assertKnownSchema(db: DatabaseSync, file: string): void {
  const version = schemaVersion(db)
  if (version > LATEST_VERSION) throw new SchemaTooNewError(file, version, LATEST_VERSION)
}

/**
 * Applies every migration newer than the database, each in its own transaction together with its
 * version bump, so a crash leaves the schema at a whole version. Returns the versions applied.
 */
export function migrate(db: DatabaseSync, file: string, upTo = LATEST_VERSION): number[] {
  assertKnownSchema(db, file)
  const applied: number[] = []
  for (const m of loadMigrations()) {
    if (m.version <= schemaVersion(db) || m.version > upTo) continue
    db.exec('BEGIN IMMEDIATE')
    try {
      db.exec(m.sql)
      db.exec(`PRAGMA user_version = ${m.version}`)
      db.exec('COMMIT')
    } catch (err) {
      db.exec('ROLLBACK')
      throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, {
        cause: err,
      })
    }
    applied.push(m.version)
  }
  return applied
}
