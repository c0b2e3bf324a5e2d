/**
 * The daemon's database work runs in worker threads: a write that has to wait for the database
 * holds up neither the HTTP event loop nor reads, and a long read does not hold up the loop.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { test } from 'node:test'
import { startInProcess, request } from '../daemon.ts'
import { eventInput } from '../helpers.ts'

test('while a write waits for the database, /healthz and reads are answered', async (t) => {
  const d = await startInProcess(t)
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

test('while a year-long query runs in a reader thread, /healthz is answered', async (t) => {
  const d = await startInProcess(t)
  const port = d.discovery.port as number
  const auth = { authorization: `Bearer ${d.token}` }
  // A year of 20,000 two-minute events, one every 26 minutes, over 60 apps.
  const yearStart = Date.parse('2025-01-01T00:00:00Z')
  const count = 20_000
  for (let batch = 0; batch < count / 1000; batch++) {
    const events = Array.from({ length: 1000 }, (_, j) => {
      const i = batch * 1000 + j
      const start = yearStart + i * 26 * 60_000
      return eventInput({
        timestamp: new Date(start).toISOString(),
        end_timestamp: new Date(start + 120_000).toISOString(),
        app_name: `app-${i % 60}`,
        entity_name: `file-${i % 500}.ts`,
      })
    })
    const res = await request(
      { port },
      { method: 'POST', path: '/v1/events', headers: auth, body: JSON.stringify(events) },
    )
    assert.equal(res.status, 200, res.body)
  }
  // includeAfk answers from the events themselves, not the rollups: every event of the year is read.
  const range =
    'preset[custom][start]=2025-01-01T00:00:00Z&preset[custom][end]=2026-01-01T00:00:00Z&tz=UTC'
  let answered = false
  const query = request(
    { port },
    {
      path: `/v1/summary/buckets?${range}&preset[custom][bucket]=day&groupBy=app&includeAfk=true`,
      headers: auth,
    },
  ).then((res) => {
    answered = true
    return res
  })
  let healthyDuringQuery = 0
  const waited: number[] = []
  while (!answered) {
    const sent = performance.now()
    const health = await request({ port }, { path: '/healthz' })
    assert.equal(health.status, 200)
    if (!answered) {
      healthyDuringQuery++
      waited.push(performance.now() - sent)
    }
  }
  const res = await query
  assert.equal(res.status, 200, res.body)
  const rows = JSON.parse(res.body) as { groupedValues: Record<string, number> }[]
  const total = rows.reduce(
    (sum, r) => sum + Object.values(r.groupedValues).reduce((a, b) => a + b, 0),
    0,
  )
  assert.equal(total, count * 120)
  // Timing belongs to the benchmark; here only the fact that the HTTP loop kept answering.
  assert.ok(healthyDuringQuery > 0, 'no /healthz answer arrived while the query was running')
  t.diagnostic(
    `/healthz answered ${healthyDuringQuery} times during the query, slowest ${Math.max(...waited).toFixed(1)} ms`,
  )
})
