/**
 * Numbered, append-only schema migrations for the SQLite store.
 *
 * Each file `migrations/NNNN_name.sql` (or `.ts`, exporting `up(db)`, for a migration that needs
 * code, such as recomputing content ids) moves the schema from version NNNN-1 to NNNN; the version
 * lives in `PRAGMA user_version`. Add new migrations at the end; never edit a released one.
 *
 * Changelog:
 * 1: dimensions, events, AFK periods, project name search, settings.
 * 2: scoped API tokens (`api_tokens`), stored as salted hashes.
 * 3: input activity (keyboard and mouse counts per 5-minute bucket and source), input batch ids.
 * 4: devices; integer-keyed dimensions; events identified by device, source, start and names (not
 *    the end), 16-byte ids; a change feed (`seq`) on every row kind, tombstones for deletions;
 *    inferred ends of open AFK periods; input per device; rollup cells and their dirty slots.
 * 5: ActivityWatch buckets, events (integer ids, nanosecond times, JSON data) and settings.
 * 6: WakaTime heartbeats (raw, per device, deduplicated by content hash), their user agents, and
 *    each device's latest heartbeat.
 * 7: events indexed by start alone (identity compared by the writer), not by (start, id); hour
 *    cells indexed by project.
 * 8: hook rules and their state, the hooks' firing log, the do-not-disturb settings.
 * 9: the watcher that reported each AFK period.
 * 10: sync: where each row of the feed was received from (`origin`), versions (hybrid-clock times)
 *     of labels, settings, device names, derived events and tombstones; input buckets in the feed;
 *     a tombstone's device; a hub's pairing codes and paired devices.
 * 11: screenshots: an index row a frame, its OCR text in a full-text index, the capture settings.
 * 12: the screenshots' full-text index with prefix indexes (2 and 3 characters), rebuilt.
 * 13: users of a team server (the directory; each user's diary is a database of its own).
 * 14: teams (members by invitation, what each shares per project); the directory's version.
 * 15: day cells: the rollups' day marginals per UTC day.
 * 16: screenshots in sync: a frame's device by id, one frame per device and file name, feed
 *     positions and origins; image files of frames another daemon deleted, to delete here.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { DatabaseSync } from 'node:sqlite'
import { SchemaTooNewError } from '../../domain/errors.ts'

export interface Migration {
  version: number
  name: string
  up: (db: DatabaseSync) => void
}

const MIGRATIONS_DIR = path.join(import.meta.dirname, 'migrations')

async function load(dir: string): Promise<Migration[]> {
  const files = readdirSync(dir)
    .filter((f) => /\.(sql|ts)$/.test(f))
    .sort()
  const out: Migration[] = []
  for (const [i, file] of files.entries()) {
    const m = /^(\d{4})_([a-z0-9_]+)\.(sql|ts)$/.exec(file)
    if (!m || Number(m[1]) !== i + 1) {
      throw new Error(
        `migration ${file} is misnumbered: expected ${String(i + 1).padStart(4, '0')}_<name>.sql or .ts`,
      )
    }
    const full = path.join(dir, file)
    let up: Migration['up']
    if (m[3] === 'sql') {
      const sql = readFileSync(full, 'utf8')
      up = (db) => db.exec(sql)
    } else {
      const mod = (await import(pathToFileURL(full).href)) as { up?: Migration['up'] }
      if (typeof mod.up !== 'function') throw new Error(`migration ${file} exports no up(db)`)
      up = mod.up
    }
    out.push({ version: i + 1, name: m[2] ?? '', up })
  }
  return out
}

const MIGRATIONS = await load(MIGRATIONS_DIR)

/** All migrations in order (their numbering was checked when this module loaded). */
export function loadMigrations(): readonly Migration[] {
  return MIGRATIONS
}

/** The newest schema version this build knows. */
export const LATEST_VERSION = MIGRATIONS.length

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
  for (const m of MIGRATIONS) {
    if (m.version <= schemaVersion(db) || m.version > upTo) continue
    db.exec('BEGIN IMMEDIATE')
    try {
      m.up(db)
      db.exec(`PRAGMA user_version = ${m.version}`)
      db.exec('COMMIT')
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK')
      throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, {
        cause: err,
      })
    }
    applied.push(m.version)
  }
  return applied
}
