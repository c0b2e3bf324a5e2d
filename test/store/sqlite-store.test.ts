import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import type { NewActivityEvent } from '../../src/domain/events.ts'
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts'
import { countRows, tempDir } from '../helpers.ts'

const event = (over: Partial<NewActivityEvent> = {}): NewActivityEvent => ({
  startMs: 1_000_000,
  endMs: 1_060_000,
  durationSec: 60,
  category: 'Coding',
  app: 'Code',
  entity: 'a.ts',
  entityType: 'File',
  project: 'p',
  projectPath: null,
  branch: 'main',
  language: 'TypeScript',
  source: 'skopio-vscode',
  ...over,
})

test('a failure inside a batch rolls the whole batch back', async (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  const store = SqliteStore.open(file)
  t.after(() => store.close())
  store.migrate()
  // The third event violates the table's own CHECK (end before start): the store must not keep
  // the two before it, nor the dimension rows they created.
  await assert.rejects(
    store.insertEvents([
      event(),
      event({ entity: 'b.ts', project: 'q' }),
      event({ startMs: 5, endMs: 1 }),
    ]),
  )
  for (const table of ['events', 'projects', 'entities', 'apps', 'branches']) {
    assert.equal(countRows(file, table), 0, table)
  }
  assert.deepEqual(await store.insertEvents([event()]), { inserted: 1, duplicates: 0 })
})

test('the database and its WAL are private to the owner', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'db.sqlite')
  const store = SqliteStore.open(file)
  store.migrate()
  await store.insertEvents([event()])
  for (const f of [file, `${file}-wal`]) assert.equal(statSync(f).mode & 0o777, 0o600, f)
  await store.close()
})
