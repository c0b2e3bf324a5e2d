import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OWN_DEVICE, startApp } from '../helpers.ts'

const DAY = 'preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z'

test('POST /afk then GET /afk returns FullEvent-shaped periods in order', async (t) => {
  const { call } = await startApp(t)
  const post = await call({
    method: 'POST',
    url: '/afk',
    payload: [
      { afk_start: '2025-09-11T14:00:00Z', afk_end: '2025-09-11T14:05:00Z', duration: 300 },
      { afk_start: '2025-09-11T12:00:00Z', afk_end: '2025-09-11T12:15:00Z', duration: 900 },
    ],
  })
  assert.equal(post.statusCode, 200)
  assert.deepEqual(post.json(), { inserted: 2, duplicates: 0, updated: 0 })
  const list = await call({ method: 'GET', url: `/v1/afk?${DAY}` })
  assert.equal(list.statusCode, 200)
  const [first, second] = list.json()
  assert.deepEqual(
    { ...first, id: undefined },
    {
      id: undefined,
      timestamp: '2025-09-11T12:00:00Z',
      endTimestamp: '2025-09-11T12:15:00Z',
      duration: 900,
      category: 'AFK',
      app: null,
      entity: null,
      entityType: null,
      project: null,
      branch: null,
      language: null,
      source: 'afk',
      device: OWN_DEVICE,
    },
  )
  assert.equal(second.timestamp, '2025-09-11T14:00:00Z')
})

test('an open period (null end) is listed, never a 500, and is closed by re-sending it', async (t) => {
  const { call } = await startApp(t, { now: Date.parse('2025-09-11T18:00:00Z') })
  const open = await call({
    method: 'POST',
    url: '/afk',
    payload: [{ afk_start: '2025-09-11T17:00:00Z', afk_end: null }],
  })
  assert.deepEqual(open.json(), { inserted: 1, duplicates: 0, updated: 0 })
  const listed = (await call({ method: 'GET', url: `/afk?${DAY}` })).json()
  assert.equal(listed.length, 1)
  assert.equal(listed[0].endTimestamp, null)
  assert.equal(listed[0].duration, null)

  const reopen = await call({
    method: 'POST',
    url: '/afk',
    payload: [{ afk_start: '2025-09-11T17:00:00Z' }],
  })
  assert.deepEqual(reopen.json(), { inserted: 0, duplicates: 1, updated: 0 })
  const close = await call({
    method: 'POST',
    url: '/afk',
    payload: [{ afk_start: '2025-09-11T17:00:00Z', afk_end: '2025-09-11T17:30:00Z' }],
  })
  assert.deepEqual(close.json(), { inserted: 0, duplicates: 0, updated: 1 })
  const closed = (await call({ method: 'GET', url: `/afk?${DAY}` })).json()
  assert.equal(closed.length, 1)
  assert.equal(closed[0].endTimestamp, '2025-09-11T17:30:00Z')
  assert.equal(closed[0].duration, 1800)
  // Re-sending the closed period changes nothing.
  const again = await call({
    method: 'POST',
    url: '/afk',
    payload: [{ afk_start: '2025-09-11T17:00:00Z', afk_end: '2025-09-11T17:30:00Z' }],
  })
  assert.deepEqual(again.json(), { inserted: 0, duplicates: 1, updated: 0 })
})

test('an open period that began before the range still overlaps it', async (t) => {
  const { call } = await startApp(t, { now: Date.parse('2025-09-11T10:00:00Z') })
  await call({ method: 'POST', url: '/afk', payload: [{ afk_start: '2025-09-10T20:00:00Z' }] })
  assert.equal((await call({ method: 'GET', url: `/afk?${DAY}` })).json().length, 1)
})

test('a period names the watcher that first reported it, as the daemon status does', async (t) => {
  const { call } = await startApp(t, { now: Date.parse('2025-09-11T18:00:00Z') })
  const post = (payload: object[]) => call({ method: 'POST', url: '/afk', payload })
  await post([{ afk_start: '2025-09-11T17:00:00Z', afk_end: null, source: 'daybook-afk' }])
  await post([{ afk_start: '2025-09-11T16:00:00Z', afk_end: '2025-09-11T16:10:00Z' }])
  // The close comes from another sender: the period keeps the name it was first reported by.
  const close = await post([
    { afk_start: '2025-09-11T17:00:00Z', afk_end: '2025-09-11T17:30:00Z', source: 'other' },
  ])
  assert.deepEqual(close.json(), { inserted: 0, duplicates: 0, updated: 1 })
  const listed = (await call({ method: 'GET', url: `/v1/afk?${DAY}` })).json()
  assert.deepEqual(
    listed.map((p: { timestamp: string; source: string }) => [p.timestamp, p.source]),
    [
      ['2025-09-11T16:00:00Z', 'afk'],
      ['2025-09-11T17:00:00Z', 'daybook-afk'],
    ],
  )
  const status = (await call({ method: 'GET', url: '/v1/status' })).json()
  const afkSenders = status.collectors
    .filter((c: { kind: string }) => c.kind === 'afk')
    .map((c: { source: string }) => c.source)
    .sort()
  assert.deepEqual(afkSenders, ['afk', 'daybook-afk', 'other'])
})
