/**
 * Times the daemon records of its own — when a collector last sent data, when a label was created
 * and changed — are its clock's (the one the app is built with), not the store's threads' clock.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eventInput, startApp } from '../helpers.ts'

const HOUR = 3_600_000
const T1 = Date.parse('2025-09-12T10:00:00Z')
const T2 = T1 + 2 * HOUR
const T3 = T2 + 30 * 60_000

test('a collector’s last-seen time and a label’s times follow the daemon’s clock', async (t) => {
  const { call, setNow } = await startApp(t, { now: T1 })
  const lastSeen = async () => {
    const res = await call({ url: '/v1/status' })
    assert.equal(res.statusCode, 200, res.body)
    const { collectors } = res.json<{ collectors: { kind: string; lastSeen: string }[] }>()
    return Object.fromEntries(collectors.map((c) => [c.kind, Date.parse(c.lastSeen)]))
  }
  const events = (start: string, end: string) =>
    call({
      method: 'POST',
      url: '/v1/events',
      payload: [eventInput({ timestamp: start, end_timestamp: end, duration: null })],
    })

  assert.equal((await events('2025-09-12T09:00:00Z', '2025-09-12T09:10:00Z')).statusCode, 200)
  assert.deepEqual(await lastSeen(), { events: T1 })

  setNow(T2)
  assert.equal((await events('2025-09-12T11:00:00Z', '2025-09-12T11:10:00Z')).statusCode, 200)
  const afk = await call({
    method: 'POST',
    url: '/v1/afk',
    payload: [{ afk_start: '2025-09-12T11:20:00Z', afk_end: '2025-09-12T11:30:00Z' }],
  })
  assert.equal(afk.statusCode, 200, afk.body)
  assert.deepEqual(await lastSeen(), { events: T2, afk: T2 })

  const created = await call({
    method: 'POST',
    url: '/v1/labels',
    payload: { text: 'standup', startUtc: T1 / 1000, endUtc: T1 / 1000 + 900 },
  })
  assert.equal(created.statusCode, 200, created.body)
  const label = created.json<{ id: string; createdAt: number; updatedAt: number }>()
  assert.deepEqual([label.createdAt, label.updatedAt], [T2 / 1000, T2 / 1000])

  setNow(T3)
  const changed = await call({
    method: 'PUT',
    url: `/v1/labels/${label.id}`,
    payload: { text: 'retro' },
  })
  assert.equal(changed.statusCode, 200, changed.body)
  const after = changed.json<{ createdAt: number; updatedAt: number }>()
  assert.deepEqual([after.createdAt, after.updatedAt], [T2 / 1000, T3 / 1000])
})
