/**
 * An ActivityWatch import cut off by a crash after its events were stored and before their
 * timeline view was: the client got no answer and imports again, which must complete the view
 * (the crash harness found the import skipping the events it already held, views and all).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseBucket, parseEvent } from '../../../src/domain/activitywatch/model.ts'
import { startAw } from './helpers.ts'

const NOW = Date.parse('2025-09-12T00:00:00Z')
const json = { 'content-type': 'application/json' }

test('importing a bucket again after a crash between its events and their timeline view completes the view', async (t) => {
  const s = await startAw(t, { now: NOW })
  const bucket = {
    id: 'aw-watcher-window_host',
    client: 'aw-watcher-window',
    type: 'currentwindow',
    hostname: 'host',
  }
  const events = [0, 1, 2].map((i) => ({
    timestamp: `2025-09-11T09:0${i}:00Z`,
    duration: 30,
    data: { app: 'firefox', title: `page ${i}` },
  }))
  // What the crash left: the bucket and its events stored as an import stores them, no view.
  await s.main.app.daybook.store.activitywatch.importBucket(
    parseBucket(bucket, bucket.id, BigInt(NOW) * 1_000_000n),
    events.map((e) => parseEvent(e)),
  )
  const titles = async () => {
    const feed = (await s.main.call({ method: 'GET', url: '/v1/changes' })).json()
    return feed.changes
      .filter((c: { kind: string }) => c.kind === 'event')
      .map((c: { data: { entity: string } }) => c.data.entity)
      .sort()
  }
  assert.deepEqual(await titles(), [])

  const res = await s.admin({
    method: 'POST',
    url: '/api/0/import',
    headers: json,
    payload: JSON.stringify({ buckets: { [bucket.id]: { ...bucket, events } } }),
  })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(
    (await s.admin({ method: 'GET', url: `/api/0/buckets/${bucket.id}/events/count` })).body,
    '3',
    'each event once in the bucket',
  )
  assert.deepEqual(await titles(), ['page 0', 'page 1', 'page 2'], 'and once in the timeline')
})
