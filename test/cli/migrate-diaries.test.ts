/**
 * `daybook migrate` upgrades every user's diary besides the main database, on SQLite and on
 * PostgreSQL, as a real process: a diary an older Daybook left at an old version, and one never
 * opened, both brought to the latest; `--status` says where each stands and changes nothing.
 */
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import path from 'node:path'
import { test } from 'node:test'
import pg from 'pg'
import { openStore } from '../../src/store/open.ts'
import type { Store } from '../../src/store/ports.ts'
import { PG_LATEST, PG_MIGRATIONS } from '../../src/store/postgres/schema.ts'
import { LATEST_VERSION, migrate } from '../../src/store/sqlite/migrations.ts'
import { runCli } from '../daemon.ts'
import { tempDir } from '../helpers.ts'
import { freshDatabase, postgresUnavailable } from '../postgres.ts'

const missing = await postgresUnavailable()
const T0 = Date.parse('2025-09-11T09:00:00Z')

/** The directory: the owner, ann and bob. */
async function directory(store: Store): Promise<void> {
  await store.migrate()
  await store.users.add({ name: 'owner', admin: true, owner: true, createdMs: T0 })
  await store.users.add({ name: 'ann', admin: false, owner: false, createdMs: T0 })
  await store.users.add({ name: 'bob', admin: false, owner: false, createdMs: T0 })
}

async function versionOf(store: Store, user: string): Promise<number> {
  const diary = await store.openDiary(user)
  try {
    return (await diary.schema()).version
  } finally {
    await diary.close()
  }
}

test("daybook migrate on SQLite upgrades every user's diary", async (t) => {
  const dataDir = tempDir(t)
  const file = path.join(dataDir, 'daybook.db')
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  await directory(store)
  await store.close()
  // Ann's diary as an older Daybook left it; Bob's was never opened.
  mkdirSync(path.join(dataDir, 'users'), { recursive: true })
  const old = new DatabaseSync(path.join(dataDir, 'users', 'ann.db'))
  migrate(old, 'ann.db', 5)
  old.close()
  const env = { DAYBOOK_DATA_DIR: dataDir }

  const status = await runCli(['migrate', '--status'], env, t)
  assert.equal(status.code, 0, status.stderr)
  const pending = LATEST_VERSION - 5
  assert.match(
    status.stdout,
    new RegExp(
      `user ann: .*ann\\.db: schema version 5 of ${LATEST_VERSION} \\(${pending} pending\\)`,
    ),
  )
  assert.match(
    status.stdout,
    new RegExp(`user bob: .*bob\\.db: schema version 0 of ${LATEST_VERSION}`),
  )

  const run = await runCli(['migrate'], env, t)
  assert.equal(run.code, 0, run.stderr)
  const lines = run.stdout.trim().split('\n')
  assert.equal(lines.length, 3, run.stdout)
  assert.match(lines[0] ?? '', /daybook\.db: schema version \d+, up to date/)
  assert.match(
    lines[1] ?? '',
    new RegExp(`^user ann: .*migrated from version 5 to ${LATEST_VERSION}`),
  )
  assert.match(
    lines[2] ?? '',
    new RegExp(`^user bob: .*migrated from version 0 to ${LATEST_VERSION}`),
  )

  const after = await openStore({ driver: 'sqlite', file, readers: 0 })
  t.after(() => after.close())
  assert.equal(await versionOf(after, 'ann'), LATEST_VERSION)
  assert.equal(await versionOf(after, 'bob'), LATEST_VERSION)
  const again = await runCli(['migrate'], env, t)
  assert.match(again.stdout, /user ann: .*up to date/)
})

test("daybook migrate on PostgreSQL upgrades every user's schema", { skip: missing }, async (t) => {
  const url = await freshDatabase(t)
  const store = await openStore({ driver: 'postgres', url, poolSize: 2 })
  t.after(() => store.close())
  await directory(store)
  // Ann's schema at version 1, as an older Daybook left it; Bob's never made.
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    await c.query('CREATE SCHEMA public_u_ann')
    await c.query('SET search_path TO public_u_ann')
    await c.query(PG_MIGRATIONS[0]?.sql ?? '')
    await c.query("INSERT INTO meta (key, value) VALUES ('schema_version', 1)")
  } finally {
    await c.end()
  }
  assert.equal(await versionOf(store, 'ann'), 1)
  const env = { DAYBOOK_DATABASE_URL: url }
  const status = await runCli(['migrate', '--status'], env, t)
  assert.equal(status.code, 0, status.stderr)
  assert.match(status.stdout, new RegExp(`user ann: .*schema version 1 of ${PG_LATEST}`))
  assert.equal(await versionOf(store, 'ann'), 1, '--status changed nothing')

  const run = await runCli(['migrate'], env, t)
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stdout, new RegExp(`user ann: .*migrated from version 1 to ${PG_LATEST}`))
  assert.match(run.stdout, new RegExp(`user bob: .*migrated from version 0 to ${PG_LATEST}`))
  assert.equal(await versionOf(store, 'ann'), PG_LATEST)
  assert.equal(await versionOf(store, 'bob'), PG_LATEST)
})
