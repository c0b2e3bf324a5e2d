import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eventInput, startApp } from '../helpers.ts'

const at = (hhmm: string) => `2025-09-11T${hhmm}:00Z`
const ev = (from: string, to: string, extra: Record<string, unknown> = {}) =>
  eventInput({ timestamp: at(from), end_timestamp: at(to), entity_name: `${from}.rs`, ...extra })

test('sessions: activity joined across gaps shorter than the setting, cut by AFK', async (t) => {
  const { call } = await startApp(t, { now: Date.parse('2025-09-12T12:00:00Z') })
  //   09:00-09:30 09:40-10:00 | 10:30-11:00 (AFK 10:45-10:50) | 13:00-13:05
  //   gap 10 min: same session; gap 30 min: new; gap 2 h: new.
  await call({
    method: 'POST',
    url: '/v1/events',
    payload: [
      ev('09:00', '09:30'),
      ev('09:40', '10:00', { source_name: 'daybook-window', app_name: 'Terminal' }),
      ev('10:30', '11:00'),
      ev('13:00', '13:05'),
    ],
  })
  await call({
    method: 'POST',
    url: '/v1/afk',
    payload: [{ afk_start: at('10:45'), afk_end: at('10:50') }],
  })
  const sessions = async (q: string) =>
    (await call({ method: 'GET', url: `/v1/history/sessions?${q}` })).json()
  assert.deepEqual(await sessions(`start=${at('00:00')}&end=${at('23:59')}`), [
    { start: at('09:00'), end: at('10:00'), activeSeconds: 50 * 60 },
    { start: at('10:30'), end: at('11:00'), activeSeconds: 25 * 60 },
    { start: at('13:00'), end: at('13:05'), activeSeconds: 5 * 60 },
  ])
  // A longer gap setting joins the first two.
  await call({ method: 'PUT', url: '/v1/settings', payload: { sessionGapMinutes: 45 } })
  assert.deepEqual(await sessions(`start=${at('00:00')}&end=${at('12:00')}`), [
    { start: at('09:00'), end: at('11:00'), activeSeconds: 75 * 60 },
  ])
  const found = await call({
    method: 'POST',
    url: '/v1/history/find-session',
    payload: { timestampUtc: Date.parse(at('10:10')) / 1000 },
  })
  assert.deepEqual(found.json(), { start: at('09:00'), end: at('11:00'), activeSeconds: 75 * 60 })
  const nothing = await call({
    method: 'POST',
    url: '/v1/history/find-session',
    payload: { timestampUtc: Date.parse(at('12:00')) / 1000 },
  })
  assert.equal(nothing.json(), null)
  const bad = await call({
    method: 'GET',
    url: `/v1/history/sessions?start=${at('10:00')}&end=${at('09:00')}`,
  })
  assert.equal(bad.statusCode, 422)
})

test('deleting a session deletes its events and AFK periods, and the feed records it', async (t) => {
  const { call } = await startApp(t, { now: Date.parse('2025-09-12T12:00:00Z') })
  await call({
    method: 'POST',
    url: '/v1/events',
    payload: [ev('09:00', '09:30'), ev('13:00', '13:05')],
  })
  await call({
    method: 'POST',
    url: '/v1/afk',
    payload: [{ afk_start: at('09:10'), afk_end: at('09:15') }],
  })
  const res = await call({
    method: 'POST',
    url: '/v1/history/sessions/delete',
    payload: { start: at('09:00'), end: at('09:30') },
  })
  assert.deepEqual(res.json(), { deletedEvents: 1, deletedAfk: 1 })
  const sessions = (
    await call({
      method: 'GET',
      url: `/v1/history/sessions?start=${at('00:00')}&end=${at('23:00')}`,
    })
  ).json()
  assert.deepEqual(sessions, [{ start: at('13:00'), end: at('13:05'), activeSeconds: 300 }])
  const feed = (await call({ method: 'GET', url: '/v1/changes?after=0' })).json().changes
  assert.deepEqual(
    feed.filter((c: { op: string }) => c.op === 'delete').map((c: { kind: string }) => c.kind),
    ['event', 'afk'],
  )
})

test('stats and daily active minutes', async (t) => {
  const { call } = await startApp(t, { now: Date.parse('2025-09-13T12:00:00Z') })
  await call({
    method: 'POST',
    url: '/v1/events',
    payload: [
      ev('09:00', '10:00'),
      eventInput({ timestamp: '2025-09-13T08:00:00Z', end_timestamp: '2025-09-13T08:30:00Z' }),
    ],
  })
  await call({
    method: 'POST',
    url: '/v1/labels',
    payload: { text: 'x', startUtc: 1_757_580_000, endUtc: 1_757_580_060 },
  })
  const stats = (await call({ method: 'GET', url: '/v1/history/stats?tz=UTC' })).json()
  assert.deepEqual(stats, {
    firstActivity: at('09:00'),
    lastActivity: '2025-09-13T08:30:00Z',
    daysRecorded: 2,
    activeSeconds: 5400,
    events: 2,
    afkPeriods: 0,
    labels: 1,
    devices: 1,
  })
  const days = (
    await call({
      method: 'POST',
      url: '/v1/history/daily-active-mins',
      payload: { days: 4, tz: 'UTC' },
    })
  ).json()
  assert.deepEqual(days, [
    { date: '2025-09-10', minutes: 0 },
    { date: '2025-09-11', minutes: 60 },
    { date: '2025-09-12', minutes: 0 },
    { date: '2025-09-13', minutes: 30 },
  ])
  const bad = await call({
    method: 'POST',
    url: '/v1/history/daily-active-mins',
    payload: { days: 0 },
  })
  assert.equal(bad.statusCode, 422)
})
