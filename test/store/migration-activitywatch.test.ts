/**
 * Migration 5: a database of version 4 gains the ActivityWatch tables; what it held is untouched.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { test } from 'node:test'
import { migrate } from '../../src/store/sqlite/migrations.ts'
import { tempDir } from '../helpers.ts'

test('migration 5 adds the ActivityWatch tables to a version-4 database', (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  const db = new DatabaseSync(file)
  t.after(() => db.close())
  migrate(db, file, 4)
  db.exec(`INSERT INTO settings (key, value) VALUES ('timezone', '"UTC"')`)
  assert.deepEqual(migrate(db, file, 5), [5])
  const tables = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'aw_%' ORDER BY name",
    )
    .all()
    .map((r) => r.name)
  assert.deepEqual(tables, ['aw_buckets', 'aw_events', 'aw_settings'])
  assert.deepEqual(
    db
      .prepare('SELECT value FROM settings')
      .all()
      .map((r) => r.value),
    ['"UTC"'],
  )
  db.exec(
    `INSERT INTO aw_buckets (id, type, client, hostname, created_ns) VALUES ('b', 't', 'c', 'h', 0)`,
  )
  // An event may not end before it starts.
  assert.throws(
    () =>
      db.exec("INSERT INTO aw_events (bucket_row, start_ns, end_ns, data) VALUES (1, 10, 5, '{}')"),
    /CHECK constraint failed/,
  )
})
