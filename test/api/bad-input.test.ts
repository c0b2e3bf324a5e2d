import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_DURATION_SEC } from '../../src/api/schemas/events.ts'
import { countRows, eventInput, startApp } from '../helpers.ts'

interface Case {
  name: string
  method?: 'GET' | 'POST'
  url: string
  payload?: unknown
  headers?: Record<string, string>
  status: number
  code: string
  /** A fragment the message must contain: it names the field. */
  mentions: string
}

const DAY = 'preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z'
const json = { 'content-type': 'application/json' }

const cases: Case[] = [
  {
    name: 'malformed JSON',
    method: 'POST',
    url: '/events',
    payload: '[{"timestamp": ',
    headers: json,
    status: 400,
    code: 'invalid_json',
    mentions: 'JSON',
  },
  {
    name: 'empty JSON body',
    method: 'POST',
    url: '/events',
    payload: '',
    headers: json,
    status: 400,
    code: 'invalid_json',
    mentions: 'JSON',
  },
  {
    name: 'body not an array',
    method: 'POST',
    url: '/events',
    payload: eventInput(),
    status: 422,
    code: 'invalid_body',
    mentions: 'body must be array',
  },
  {
    name: 'wrong type: duration as text',
    method: 'POST',
    url: '/events',
    payload: [eventInput({ duration: '120' })],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/0/duration',
  },
  {
    name: 'wrong type: app_name as number',
    method: 'POST',
    url: '/events',
    payload: [eventInput(), eventInput({ app_name: 5 })],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/1/app_name',
  },
  {
    name: 'missing required field',
    method: 'POST',
    url: '/events',
    payload: [eventInput({ source_name: undefined })],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/0/source_name is required',
  },
  {
    name: 'empty required field',
    method: 'POST',
    url: '/events',
    payload: [eventInput({ category: '' })],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/0/category',
  },
  {
    name: 'bad timestamp in body',
    method: 'POST',
    url: '/events',
    payload: [eventInput({ timestamp: 'yesterday at noon' })],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/0/timestamp',
  },
  {
    name: 'timestamp without offset',
    method: 'POST',
    url: '/events',
    payload: [eventInput({ timestamp: '2025-09-11T12:34:56' })],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/0/timestamp',
  },
  {
    name: 'no start at all',
    method: 'POST',
    url: '/events',
    payload: [eventInput({ timestamp: null, duration: null })],
    status: 422,
    code: 'invalid_event',
    mentions: 'body/0/timestamp is required',
  },
  {
    name: 'event ends before it starts',
    method: 'POST',
    url: '/events',
    payload: [eventInput({ end_timestamp: '2025-09-11T12:00:00Z' })],
    status: 422,
    code: 'invalid_range',
    mentions: 'body/0/end_timestamp',
  },
  {
    name: 'negative duration',
    method: 'POST',
    url: '/events',
    payload: [eventInput({ duration: -5 })],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/0/duration',
  },
  {
    name: 'event longer than a week',
    method: 'POST',
    url: '/events',
    payload: [eventInput({ end_timestamp: '2025-10-11T12:00:00Z' })],
    status: 422,
    code: 'event_too_long',
    mentions: 'body/0/end_timestamp',
  },
  {
    name: 'wrong content type',
    method: 'POST',
    url: '/events',
    payload: 'a=b',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'unsupported_media_type',
    mentions: 'application/json',
  },
  {
    name: 'JSON sent as text/plain',
    method: 'POST',
    url: '/events',
    payload: '[]',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
    mentions: 'application/json',
  },
  {
    name: 'AFK ends before it starts',
    method: 'POST',
    url: '/afk',
    payload: [{ afk_start: '2025-09-11T12:00:00Z', afk_end: '2025-09-11T11:00:00Z' }],
    status: 422,
    code: 'invalid_range',
    mentions: 'body/0/afk_end',
  },
  {
    name: 'AFK negative duration',
    method: 'POST',
    url: '/afk',
    payload: [{ afk_start: '2025-09-11T12:00:00Z', duration: -1 }],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/0/duration',
  },
  {
    // 2^53 was stored and then could not be read back: every read of the day was a 500.
    name: 'event duration past ten years',
    method: 'POST',
    url: '/events',
    payload: [eventInput({ duration: 2 ** 53 })],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/0/duration must be whole seconds from 0 to 315360000',
  },
  {
    name: 'AFK duration past ten years',
    method: 'POST',
    url: '/afk',
    payload: [{ afk_start: '2025-09-11T12:00:00Z', duration: MAX_DURATION_SEC + 1 }],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/0/duration must be whole seconds from 0 to 315360000',
  },
  {
    name: 'AFK missing start',
    method: 'POST',
    url: '/afk',
    payload: [{ afk_end: '2025-09-11T12:00:00Z' }],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/0/afk_start is required',
  },
  {
    name: 'unknown preset',
    url: '/events?preset=fortnight',
    status: 400,
    code: 'invalid_query',
    mentions: 'preset must be one of today',
  },
  {
    name: 'missing preset',
    url: '/events',
    status: 400,
    code: 'invalid_query',
    mentions: 'preset is required',
  },
  {
    name: 'lastNDays not a number',
    url: '/events?preset[lastNDays][0]=seven',
    status: 400,
    code: 'invalid_query',
    mentions: 'preset',
  },
  {
    name: 'lastNDays out of range',
    url: '/events?preset[lastNDays]=0',
    status: 400,
    code: 'invalid_preset',
    mentions: 'lastNDays',
  },
  {
    name: 'bad custom timestamp',
    url: '/events?preset[custom][start]=garbage&preset[custom][end]=2025-09-12T00:00:00Z',
    status: 400,
    code: 'invalid_timestamp',
    mentions: 'preset[custom][start]',
  },
  {
    name: 'custom end before start',
    url: '/events?preset[custom][start]=2025-09-12T00:00:00Z&preset[custom][end]=2025-09-11T00:00:00Z',
    status: 422,
    code: 'invalid_range',
    mentions: 'preset[custom][end]',
  },
  {
    name: 'unknown groupBy',
    url: `/events?${DAY}&groupBy=mood`,
    status: 400,
    code: 'invalid_query',
    mentions: 'groupBy',
  },
  {
    name: 'unknown bucket',
    url: '/events?preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z&preset[custom][bucket]=decade',
    status: 400,
    code: 'invalid_query',
    mentions: 'preset',
  },
  {
    name: 'unknown time zone',
    url: `/events?${DAY}&tz=Mars/Olympus`,
    status: 422,
    code: 'invalid_timezone',
    mentions: 'Mars/Olympus',
  },
  {
    name: 'an unknown bucket names the allowed ones',
    url: `/v1/summary/buckets?preset=today&bucket=minute`,
    status: 400,
    code: 'invalid_query',
    mentions: 'bucket must be one of hour, day, week, month, year',
  },
  {
    name: 'an unknown insight names the allowed ones',
    url: '/v1/insights?insightType=nope',
    status: 400,
    code: 'invalid_query',
    mentions: 'insightType must be one of activeYears, topN, mostActiveDay',
  },
  {
    name: 'an unknown groupBy names the allowed ones',
    url: '/v1/summary/buckets?preset=today&groupBy=nope',
    status: 400,
    code: 'invalid_query',
    mentions: 'groupBy must be one of app, project, language',
  },
  {
    name: 'a body timestamp without an offset',
    method: 'POST',
    url: '/events',
    payload: [eventInput({ timestamp: '2026-11-24 10:00:00' })],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/0/timestamp must be an RFC 3339 timestamp with an offset, e.g.',
  },
  {
    name: 'a body timestamp as epoch seconds',
    method: 'POST',
    url: '/events',
    payload: [eventInput({ timestamp: 1763978400 })],
    status: 422,
    code: 'invalid_body',
    mentions: 'body/0/timestamp must be an RFC 3339 timestamp',
  },
  ...['Infinity', '-Infinity', '1e309', 'NaN'].map((v): Case => ({
    name: `limit=${v}`,
    url: `/v1/projects?limit=${v}`,
    status: 400,
    code: 'invalid_query',
    mentions: 'limit',
  })),
  {
    name: 'limit[]=1e309',
    url: '/v1/projects?limit[]=1e309',
    status: 400,
    code: 'invalid_query',
    mentions: 'limit',
  },
  {
    name: 'days=Infinity on the input summary',
    url: '/v1/activity/summary?days=Infinity',
    status: 400,
    code: 'invalid_query',
    mentions: 'days',
  },
  {
    name: 'a custom range before year 1, with a zone',
    url: '/v1/summary/buckets?preset[custom][start]=-271821-04-20T00:00:00Z&preset[custom][end]=2025-01-01T00:00:00Z&tz=Europe/Berlin',
    status: 400,
    code: 'invalid_timestamp',
    mentions: 'preset[custom][start] must lie between the years 0001 and 9999',
  },
  {
    name: 'a custom range past year 9999, with a zone',
    url: '/v1/summary/buckets?preset[custom][start]=2025-01-01T00:00:00Z&preset[custom][end]=%2B275760-09-12T00:00:00Z&tz=Europe/Berlin',
    status: 400,
    code: 'invalid_timestamp',
    mentions: 'preset[custom][end]',
  },
  {
    name: 'an unknown query parameter is named, not ignored',
    url: '/v1/summary/total?preset=today&projets=daybook',
    status: 400,
    code: 'invalid_query',
    mentions: 'projets is not a known parameter',
  },
]

test('bad input: a clear JSON error with the right status, and nothing stored', async (t) => {
  // One app for every case: none of them may store anything.
  const { call, dbFile } = await startApp(t)
  for (const c of cases) {
    await t.test(`${c.name} → ${c.status} ${c.code}`, async () => {
      const res = await call({
        method: c.method ?? 'GET',
        url: c.url,
        ...(c.payload === undefined ? {} : { payload: c.payload as string }),
        ...(c.headers ? { headers: c.headers } : {}),
      })
      assert.equal(res.statusCode, c.status, res.body)
      assert.match(res.headers['content-type'] ?? '', /application\/json/)
      const body = res.json()
      assert.equal(body.code, c.code, res.body)
      assert.ok(
        body.message.includes(c.mentions),
        `message ${JSON.stringify(body.message)} should mention ${c.mentions}`,
      )
      assert.equal(countRows(dbFile, 'events'), 0)
      assert.equal(countRows(dbFile, 'afk_periods'), 0)
    })
  }
})

test('a project search with a NUL or quotes is a search, not an error', async (t) => {
  const { call } = await startApp(t)
  await call({ method: 'POST', url: '/events', payload: [eventInput({ project_name: 'alpha' })] })
  for (const query of ['a%00', '%22al', 'al%22%22', '%00']) {
    const res = await call({ url: `/v1/projects?query=${query}` })
    assert.equal(res.statusCode, 200, `${query}: ${res.body}`)
  }
  const found = await call({ url: '/v1/projects?query=al%00' })
  assert.deepEqual(
    found.json<{ data: { name: string }[] }>().data.map((p) => p.name),
    ['alpha'],
  )
})

test('a batch over 10,000 events is 413 and stores nothing', async (t) => {
  const { call, dbFile } = await startApp(t)
  const one = eventInput()
  const res = await call({
    method: 'POST',
    url: '/events',
    payload: Array.from({ length: 10_001 }, () => one),
  })
  assert.equal(res.statusCode, 413)
  assert.equal(res.json().code, 'batch_too_large')
  assert.equal(countRows(dbFile, 'events'), 0)
})

test('a body over 5 MB is 413 and stores nothing', async (t) => {
  const { call, dbFile } = await startApp(t)
  const big = eventInput({ entity_name: 'x'.repeat(4000) })
  const payload = JSON.stringify(Array.from({ length: 1400 }, () => big))
  assert.ok(payload.length > 5 * 1024 * 1024)
  const res = await call({ method: 'POST', url: '/events', payload, headers: json })
  assert.equal(res.statusCode, 413)
  assert.equal(res.json().code, 'payload_too_large')
  assert.match(res.json().message, /larger than the 5 MB this route accepts/)
  assert.equal(countRows(dbFile, 'events'), 0)
})

test('a batch of exactly 10,000 events is accepted', async (t) => {
  const { call, dbFile } = await startApp(t)
  const payload = Array.from({ length: 10_000 }, (_, i) =>
    eventInput({
      timestamp: new Date(Date.UTC(2025, 8, 11) + i * 1000).toISOString(),
      end_timestamp: null,
      duration: 1,
    }),
  )
  const res = await call({ method: 'POST', url: '/events', payload })
  assert.equal(res.statusCode, 200, res.body)
  assert.deepEqual(res.json(), { inserted: 10_000, duplicates: 0, updated: 0 })
  assert.equal(countRows(dbFile, 'events'), 10_000)
})

test('unknown routes are JSON 404s (behind the token)', async (t) => {
  const { app, call } = await startApp(t)
  const res = await call({ method: 'GET', url: '/v1/nothing-here' })
  assert.equal(res.statusCode, 404)
  assert.equal(res.json().code, 'not_found')
  const anonymous = await app.inject({ method: 'GET', url: '/v1/nothing-here' })
  assert.equal(anonymous.statusCode, 401)
})

test('a duration of exactly ten years is stored and read back', async (t) => {
  const { call } = await startApp(t)
  const posted = await call({
    method: 'POST',
    url: '/events',
    payload: [eventInput({ duration: MAX_DURATION_SEC })],
  })
  assert.equal(posted.json().inserted, 1, posted.body)
  const res = await call({ url: `/events?${DAY}` })
  assert.equal(res.statusCode, 200, res.body)
  assert.deepEqual(
    res.json().Flat.map((e: { duration: number }) => e.duration),
    [MAX_DURATION_SEC],
  )
})
