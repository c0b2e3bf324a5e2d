import assert from 'node:assert/strict'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { test } from 'node:test'
import { LATEST_VERSION, loadMigrations } from '../../src/store/sqlite/migrations.ts'
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts'
import { tempDir } from '../helpers.ts'

function tables(file: string): string[] {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return (
      db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table') ORDER BY name").all() as {
        name: string
      }[]
    )
      .map((r) => r.name)
      .filter((n) => !n.startsWith('sqlite_') && !n.startsWith('projects_fts_'))
  } finally {
    db.close()
  }
}

test('migrations are numbered 1..N without gaps, and N is the latest version', () => {
  const all = loadMigrations()
  assert.deepEqual(
    all.map((m) => m.version),
    Array.from({ length: all.length }, (_, i) => i + 1),
  )
  assert.equal(LATEST_VERSION, all.length)
})

test('migration 1 creates the schema; re-running migrate is a no-op', (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  const store = SqliteStore.open(file)
  t.after(() => store.close())
  assert.equal(store.schemaVersion, 0)
  assert.deepEqual(store.migrate(1), [1])
  assert.equal(store.schemaVersion, 1)
  assert.deepEqual(tables(file), [
    'afk_periods',
    'apps',
    'branches',
    'categories',
    'entities',
    'events',
    'languages',
    'meta',
    'projects',
    'projects_fts',
    'settings',
    'sources',
  ])
  assert.deepEqual(
    store.migrate(),
    LATEST_VERSION > 1 ? Array.from({ length: LATEST_VERSION - 1 }, (_, i) => i + 2) : [],
  )
  assert.deepEqual(store.migrate(), [])
})

test('migration 1: the project search index follows inserts, renames and deletes', (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  SqliteStore.open(file).migrate(1)
  const db = new DatabaseSync(file)
  t.after(() => db.close())
  const search = (q: string) =>
    (
      db
        .prepare(
          'SELECT p.name FROM projects_fts f JOIN projects p ON p.rowid = f.rowid WHERE projects_fts MATCH ?',
        )
        .all(q) as { name: string }[]
    ).map((r) => r.name)
  db.prepare("INSERT INTO projects (id, name, last_updated) VALUES ('a', 'alpha beta', 1)").run()
  assert.deepEqual(search('"bet"*'), ['alpha beta'])
  db.prepare("UPDATE projects SET name = 'gamma' WHERE id = 'a'").run()
  assert.deepEqual(search('"bet"*'), [])
  assert.deepEqual(search('"gam"*'), ['gamma'])
  db.prepare("DELETE FROM projects WHERE id = 'a'").run()
  assert.deepEqual(search('"gam"*'), [])
})

test('a database from a newer schema is refused, untouched', (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  const db = new DatabaseSync(file)
  db.exec(`PRAGMA user_version = ${LATEST_VERSION + 1}`)
  db.close()
  assert.throws(() => SqliteStore.open(file), {
    code: 'schema_too_new',
    message: new RegExp(`schema version ${LATEST_VERSION + 1}.*only knows up to ${LATEST_VERSION}`),
  })
  const after = new DatabaseSync(file, { readOnly: true })
  t.after(() => after.close())
  assert.deepEqual(
    { ...after.prepare('PRAGMA user_version').get() },
    { user_version: LATEST_VERSION + 1 },
  )
})

test('migration 2 adds api_tokens: one row per token, hashes unique, scopes checked', (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  const store = SqliteStore.open(file)
  t.after(() => store.close())
  store.migrate(1)
  assert.ok(!tables(file).includes('api_tokens'))
  assert.deepEqual(store.migrate(2), [2])
  assert.ok(tables(file).includes('api_tokens'))
  const db = new DatabaseSync(file)
  t.after(() => db.close())
  const insert = db.prepare(
    `INSERT INTO api_tokens (id, name, token_hash, token_salt, token_preview, acl, created_at)
     VALUES (?, 'n', ?, 's', 'sk-abc…wxyz', ?, 1)`,
  )
  insert.run('a', 'h1', 'ingest')
  assert.throws(() => insert.run('b', 'h1', 'data'), /UNIQUE/)
  assert.throws(() => insert.run('c', 'h2', 'root'), /CHECK/)
  assert.deepEqual(
    { ...db.prepare('SELECT revoked, expires_at, last_used_at FROM api_tokens').get() },
    { revoked: 0, expires_at: null, last_used_at: null },
  )
})

test('migration 3 adds input activity keyed by (bucket, source) and input batch ids', (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  const store = SqliteStore.open(file)
  store.migrate(2)
  assert.deepEqual(store.migrate(3), [3])
  void store.close()
  assert.ok(tables(file).includes('input_activity'))
  assert.ok(tables(file).includes('input_batches'))
  const db = new DatabaseSync(file)
  t.after(() => db.close())
  const insert = db.prepare(
    'INSERT INTO input_activity (bucket_ms, source, kp) VALUES (?, ?, ?) ON CONFLICT (bucket_ms, source) DO UPDATE SET kp = kp + excluded.kp',
  )
  insert.run(300_000, 'frames', 2)
  insert.run(300_000, 'frames', 3)
  insert.run(300_000, 'other', 1)
  assert.deepEqual(
    db
      .prepare('SELECT source, kp, lc FROM input_activity ORDER BY source')
      .all()
      .map((r) => ({ ...r })),
    [
      { source: 'frames', kp: 5, lc: 0 },
      { source: 'other', kp: 1, lc: 0 },
    ],
  )
  assert.throws(() => insert.run(300_001, 'frames', 1), /CHECK constraint/, 'bucket not aligned')
  assert.throws(() => insert.run(600_000, 'frames', -1), /CHECK constraint/, 'negative count')
})
