import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApp } from '../../src/api/app.ts'
import { StaticKeyAuthenticator } from '../../src/auth/default-token.ts'
import { openStore } from '../../src/store/open.ts'
import type { Store } from '../../src/store/ports.ts'
import { countRows, startApp, tempDir } from '../helpers.ts'

const DAY = 86_400_000
const NOW = Date.UTC(2026, 5, 1, 9, 0)
const zero = { lc: 0, rc: 0, mc: 0, kp: 0, mm: 0, scroll: 0 }

/** Adds one key press `daysAgo` days before NOW, straight into the store. */
function addOld(store: Store, daysAgo: number, batchId?: string) {
  return store.input.add(
    [{ ...zero, kp: 1, bucketMs: NOW - daysAgo * DAY, source: 'test', batchId }],
    NOW - daysAgo * DAY,
  )
}

async function storedDays(store: Store): Promise<number[]> {
  return (await store.input.buckets({ startMs: 0 })).map((b) => (NOW - b.bucketMs) / DAY)
}

test('input retention runs at start-up: rows older than 30 days are deleted, newer kept', async (t) => {
  const file = path.join(tempDir(t), 'daybook.db')
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  await store.migrate()
  for (const d of [45, 31, 29, 1]) await addOld(store, d)
  const app = await buildApp({
    store,
    authenticator: new StaticKeyAuthenticator(() => 'secret'),
    clock: () => NOW,
  })
  t.after(() => app.close())
  await app.ready()
  assert.deepEqual(await storedDays(store), [29, 1])
  assert.equal(app.daybook.inputRetention.lastRunMs, NOW)
})

test('input retention runs again when a day has passed, not before', async (t) => {
  const { app, token, setNow, dbFile } = await startApp(t, { now: NOW })
  await app.ready()
  const store = app.daybook.store
  const frame = () =>
    app.inject({
      method: 'POST',
      url: '/frames',
      headers: { authorization: token },
      payload: { summary: { total_kp: 1 } },
    })
  await addOld(store, 40)
  setNow(NOW + 23 * 3_600_000)
  assert.equal((await frame()).statusCode, 200)
  assert.deepEqual(await storedDays(store), [40, -23 / 24], 'less than a day since the last run')
  setNow(NOW + DAY)
  assert.equal((await frame()).statusCode, 200)
  assert.deepEqual(await storedDays(store), [-23 / 24, -1], 'the old row is gone')
  assert.equal(countRows(dbFile, 'input_activity'), 2)
  assert.equal(app.daybook.inputRetention.lastRunMs, NOW + DAY)
})

test('input retention also runs from its timer in an idle daemon', async (t) => {
  const { app, setNow, dbFile } = await startApp(t, { now: NOW, retentionCheckMs: 5 })
  await app.ready()
  await addOld(app.daybook.store, 35)
  setNow(NOW + DAY)
  // Waits for the timer to have run, however slow the machine (the test's timeout bounds it).
  while (countRows(dbFile, 'input_activity') > 0) await sleep(10)
  assert.equal(countRows(dbFile, 'input_activity'), 0)
})

test('inputRetentionDays is honoured; 0 keeps input forever but still forgets old batch ids', async (t) => {
  const { app, setNow, dbFile } = await startApp(t, { now: NOW })
  await app.ready()
  const store = app.daybook.store
  await store.settings.save({ inputRetentionDays: 7 })
  for (const d of [400, 40, 8, 6]) await addOld(store, d, `id-${d}`)
  setNow(NOW + DAY)
  const run = await app.daybook.inputRetention.maybeRun()
  assert.deepEqual(run, { atMs: NOW + DAY, rowsDeleted: 3, batchIdsDeleted: 2 })
  assert.deepEqual(await storedDays(store), [6])

  await store.settings.save({ inputRetentionDays: 0 })
  for (const d of [400, 40]) await addOld(store, d)
  setNow(NOW + 2 * DAY)
  assert.equal((await app.daybook.inputRetention.maybeRun())?.rowsDeleted, 0)
  assert.deepEqual(await storedDays(store), [400, 40, 6])
  assert.equal(countRows(dbFile, 'input_batches'), 2)
})
