/**
 * The SQLite store's threads outlive its stores: a store opened after another closed runs on the
 * threads that one left (no thread start, no module load), with nothing of the other's database.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { openStore, retireIdleThreads } from '../../src/store/open.ts'
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts'
import { tempDir } from '../helpers.ts'
import { event } from './conformance.ts'

const T0 = Date.parse('2026-03-02T10:00:00Z')
const ALL = { range: {}, filters: {}, limit: 100 }

async function open(file: string): Promise<SqliteStore> {
  const store = await SqliteStore.open({ file, readers: 1 })
  await store.migrate()
  return store
}

const threadsOf = (store: SqliteStore) => [store.threadIds.writer, ...store.threadIds.readers]

test('a store opened after another closed runs on its threads and sees its own database only', async (t) => {
  const dir = tempDir(t)
  const first = await open(path.join(dir, 'first.db'))
  await first.events.insert([event()], T0)
  const used = threadsOf(first)
  await first.close()

  const second = await open(path.join(dir, 'second.db'))
  t.after(() => second.close())
  for (const id of threadsOf(second)) assert.ok(used.includes(id), `thread ${id} is new`)
  assert.deepEqual((await second.events.list(ALL)).events, [])
  await second.events.insert([event({ entity: 'other.ts' })], T0)

  // The first database again, on whatever thread: its event, not the second's.
  const again = await open(path.join(dir, 'first.db'))
  t.after(() => again.close())
  const listed = (await again.events.list(ALL)).events
  assert.deepEqual(
    listed.map((e) => e.entity),
    [event().entity],
  )
})

test('a file that cannot be opened is refused, and the thread that tried serves the next store', async (t) => {
  const dir = tempDir(t)
  // A path under a plain file: no database can be created there.
  writeFileSync(path.join(dir, 'file'), '')
  for (let i = 0; i < 3; i++) {
    await assert.rejects(openStore({ driver: 'sqlite', file: path.join(dir, 'file', 'x.db') }))
  }
  const store = await open(path.join(dir, 'ok.db'))
  t.after(() => store.close())
  const { inserted } = await store.events.insert([event()], T0)
  assert.equal(inserted, 1)
})

test('retireIdleThreads ends the idle threads: the next store starts threads of its own', async (t) => {
  const dir = tempDir(t)
  const first = await open(path.join(dir, 'a.db'))
  const used = threadsOf(first)
  await first.close()
  await retireIdleThreads()
  const next = await open(path.join(dir, 'b.db'))
  t.after(() => next.close())
  for (const id of threadsOf(next)) assert.ok(!used.includes(id), `thread ${id} was reused`)
})
