import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import type { NewActivityEvent } from '../../src/domain/events.ts'
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts'
import type { TokenRow } from '../../src/store/store.ts'
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

test('tokens: the cap counts only active tokens, atomically with the insert', async (t) => {
  const store = SqliteStore.open(path.join(tempDir(t), 'db.sqlite'))
  t.after(() => store.close())
  store.migrate()
  const row = (id: string, over: Partial<TokenRow> = {}): TokenRow => ({
    id,
    name: id,
    tokenHash: `hash-${id}`,
    tokenSalt: 'salt',
    tokenPreview: 'sk-abc…wxyz',
    acl: 'data',
    createdAt: 100,
    expiresAt: null,
    lastUsedAt: null,
    revoked: false,
    ...over,
  })
  assert.equal(await store.insertToken(row('a'), 2, 1000), true)
  assert.equal(await store.insertToken(row('b', { expiresAt: 1000 }), 2, 1000), true)
  // b expired at 1000 (expired means now >= expires_at), so only one is active.
  assert.equal(await store.insertToken(row('c'), 2, 1000), true)
  assert.equal(await store.insertToken(row('d'), 2, 1000), false, 'a and c are active')
  assert.equal(await store.revokeToken('a'), true)
  assert.equal(await store.insertToken(row('d'), 2, 1000), true)
  assert.equal(await store.deleteToken('b'), true)
  assert.equal(await store.deleteToken('b'), false)
  assert.equal(await store.revokeToken('zz'), false)
  await store.touchToken('c', 1234)
  assert.deepEqual(
    (await store.tokens()).map((r) => [r.id, r.revoked, r.lastUsedAt]),
    [
      ['a', true, null],
      ['c', false, 1234],
      ['d', false, null],
    ],
  )
})

test('input deltas add up per bucket and source; a known batch id is skipped; one transaction', async (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  const store = SqliteStore.open(file)
  t.after(() => store.close())
  store.migrate()
  const zero = { lc: 0, rc: 0, mc: 0, kp: 0, mm: 0, scroll: 0 }
  const b0 = 1_800_000_000_000 - (1_800_000_000_000 % 300_000)
  assert.deepEqual(
    await store.addInput(
      [
        { ...zero, bucketMs: b0, source: 'a', kp: 3, batchId: 'x1' },
        { ...zero, bucketMs: b0, source: 'b', lc: 1 },
        { ...zero, bucketMs: b0 + 300_000, source: 'a', mm: 7, scroll: 2, batchId: 'x2' },
        { ...zero, bucketMs: b0 + 600_000, source: 'a', batchId: 'x3' },
      ],
      b0,
    ),
    { inserted: 4, duplicates: 0 },
  )
  assert.deepEqual(
    await store.addInput(
      [
        { ...zero, bucketMs: b0, source: 'a', kp: 3, batchId: 'x1' },
        { ...zero, bucketMs: b0, source: 'a', kp: 1, batchId: 'x4' },
      ],
      b0,
    ),
    { inserted: 1, duplicates: 1 },
  )
  assert.deepEqual(
    (await store.inputBuckets({ startMs: b0 })).map((r) => ({ ...r })),
    [
      { bucketMs: b0, ...zero, lc: 1, kp: 4 },
      { bucketMs: b0 + 300_000, ...zero, mm: 7, scroll: 2 },
    ],
    'sources summed per bucket; the all-zero delta made no row',
  )
  assert.equal(countRows(file, 'input_activity'), 3)
  assert.deepEqual(await store.inputBuckets({ startMs: b0, endMs: b0 + 300_000 }), [
    { bucketMs: b0, ...zero, lc: 1, kp: 4 },
  ])

  // A bad delta (an unaligned bucket) rolls back the whole call, batch ids included.
  await assert.rejects(
    store.addInput(
      [
        { ...zero, bucketMs: b0, source: 'a', kp: 100, batchId: 'y1' },
        { ...zero, bucketMs: b0 + 1, source: 'a', kp: 1 },
      ],
      b0,
    ),
  )
  assert.equal((await store.inputBuckets({ startMs: b0 }))[0]?.kp, 4)
  assert.deepEqual(
    await store.addInput([{ ...zero, bucketMs: b0, source: 'a', kp: 1, batchId: 'y1' }], b0),
    { inserted: 1, duplicates: 0 },
  )

  assert.equal(await store.deleteInputBefore(b0 + 300_000), 2)
  assert.equal(countRows(file, 'input_activity'), 1)
  assert.equal(await store.pruneInputBatches(b0 + 1), 5)
  assert.equal(countRows(file, 'input_batches'), 0)
})
