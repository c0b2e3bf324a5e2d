/**
 * The daemon's database work runs in worker threads: a write that has to wait for the database
 * holds up neither the HTTP event loop nor reads.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { test } from 'node:test'
import { startDaemon, request } from '../daemon.ts'
import { eventInput } from '../helpers.ts'

test('while a write waits for the database, /healthz and reads are answered', async (t) => {
  const d = await startDaemon(t)
  const port = d.discovery.port as number
  const auth = { authorization: `Bearer ${d.token}` }
  // Another process holds SQLite's write lock: the daemon's next write must wait for it.
  const other = new DatabaseSync(path.join(d.dataDir, 'daybook.db'))
  t.after(() => other.close())
  other.exec('BEGIN IMMEDIATE')
  let written = false
  const write = request(
    { port },
    { method: 'POST', path: '/v1/events', headers: auth, body: JSON.stringify([eventInput()]) },
  ).then((res) => {
    written = true
    return res
  })
  const health = await request({ port }, { path: '/healthz' })
  assert.equal(health.status, 200)
  const total = await request(
    { port },
    { path: '/v1/summary/total?start=2025-09-11T00:00:00Z', headers: auth },
  )
  assert.equal(total.status, 200, total.body)
  assert.equal(total.body, '0')
  const devices = await request({ port }, { path: '/v1/devices', headers: auth })
  assert.equal(devices.status, 200)
  // The write is still waiting: everything above was answered around it.
  assert.equal(written, false)
  other.exec('ROLLBACK')
  const res = await write
  assert.equal(res.status, 200, res.body)
  assert.deepEqual(JSON.parse(res.body), { inserted: 1, duplicates: 0, updated: 0 })
  const after = await request(
    { port },
    { path: '/v1/summary/total?start=2025-09-11T00:00:00Z', headers: auth },
  )
  assert.equal(after.body, '120')
})
