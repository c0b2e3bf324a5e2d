import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { countRows, startApp } from '../helpers.ts'

const NOW = Date.UTC(2026, 2, 10, 12, 7, 30) // inside the 12:05 bucket
const BUCKET = Date.UTC(2026, 2, 10, 12, 5)
const MIN = 60_000
const DAY = 86_400_000
const json = { 'content-type': 'application/json' }
const KEYS = { 'ingest-key': 'ingest', 'read-key': 'read_only', 'data-key': 'data' } as const

const summary = (over: Record<string, unknown> = {}) => ({
  total_lc: 1,
  total_rc: 2,
  total_mc: 3,
  total_scroll: 4,
  total_kp: 5,
  total_mm: 6,
  ...over,
})
const counts = (over: Record<string, number> = {}) => ({
  lc: 0,
  rc: 0,
  mc: 0,
  kp: 0,
  mm: 0,
  scroll: 0,
  ...over,
})

async function rows(call: Awaited<ReturnType<typeof startApp>>['call'], days = 14) {
  const res = await call({ url: `/v1/activity/summary?days=${days}` })
  assert.equal(res.statusCode, 200, res.body)
  return res.json().rows as Record<string, number>[]
}

describe('POST /frames (frames wire)', () => {
  test('a frame with the raw key or a bearer key is stored in its 5-minute bucket, scroll too', async (t) => {
    const { app, token, call } = await startApp(t, { now: NOW, keys: KEYS })
    for (const [url, authorization] of [
      ['/frames', token],
      ['/v1/frames', `Bearer ${token}`],
      ['/frames', 'ingest-key'],
      ['/frames', 'bearer   ingest-key'],
    ] as const) {
      const res = await app.inject({
        method: 'POST',
        url,
        headers: { authorization },
        payload: { timestamp_ms: NOW, summary: summary() },
      })
      assert.equal(res.statusCode, 200, `${url} ${authorization}: ${res.body}`)
      assert.deepEqual(res.json(), { message: 'ok' })
    }
    assert.deepEqual(await rows(call), [
      { t: BUCKET, lc: 4, rc: 8, mc: 12, kp: 20, mm: 24, scroll: 16 },
    ])
  })

  test('a missing, wrong or non-ingest key is 401 {"error":"unauthorized"} and stores nothing', async (t) => {
    const { app, dbFile, token } = await startApp(t, { now: NOW, keys: KEYS })
    for (const authorization of [
      undefined,
      '',
      'secret',
      'Bearer secret',
      `Basic ${token}`,
      `Bearer${token}`,
      'read-key',
      'Bearer data-key',
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/frames',
        headers: authorization === undefined ? json : { ...json, authorization },
        payload: JSON.stringify({ summary: summary() }),
      })
      assert.equal(res.statusCode, 401, String(authorization))
      assert.deepEqual(res.json(), { error: 'unauthorized' })
    }
    assert.equal(countRows(dbFile, 'input_activity'), 0)
  })

  test('a body that is not a JSON object is 400 {"error":"invalid_json"} and stores nothing', async (t) => {
    const { app, dbFile, token } = await startApp(t, { now: NOW })
    const cases: { payload?: string; type?: string }[] = [
      { payload: '[]', type: 'application/json' },
      { payload: '[{"summary":{}}]', type: 'application/json' },
      { payload: '"text"', type: 'application/json' },
      { payload: '42', type: 'application/json' },
      { payload: 'null', type: 'application/json' },
      { payload: '{"summary": ', type: 'application/json' },
      { payload: '', type: 'application/json' },
      { payload: '{"summary":{"total_kp":1}}', type: 'text/plain' },
      { payload: 'total_kp=1', type: 'application/x-www-form-urlencoded' },
      { payload: '{"summary":{"total_kp":1}}', type: 'application/xml' },
      {},
    ]
    for (const c of cases) {
      const res = await app.inject({
        method: 'POST',
        url: '/frames',
        headers: { authorization: token, ...(c.type ? { 'content-type': c.type } : {}) },
        ...(c.payload === undefined ? {} : { payload: c.payload }),
      })
      assert.equal(res.statusCode, 400, JSON.stringify(c))
      assert.deepEqual(res.json(), { error: 'invalid_json' }, JSON.stringify(c))
    }
    assert.equal(countRows(dbFile, 'input_activity'), 0)
  })

  test('Daybook extensions: a bad source or batch_id is a 400 that stores nothing', async (t) => {
    const { app, dbFile, token } = await startApp(t, { now: NOW })
    for (const [extra, error] of [
      [{ source: '' }, 'invalid_source'],
      [{ source: 5 }, 'invalid_source'],
      [{ source: 'a b' }, 'invalid_source'],
      [{ source: 'x'.repeat(65) }, 'invalid_source'],
      [{ batch_id: '' }, 'invalid_batch_id'],
      [{ batch_id: 7 }, 'invalid_batch_id'],
      [{ batch_id: 'x'.repeat(129) }, 'invalid_batch_id'],
    ] as const) {
      const res = await app.inject({
        method: 'POST',
        url: '/frames',
        headers: { authorization: token },
        payload: { summary: summary(), ...extra },
      })
      assert.equal(res.statusCode, 400, JSON.stringify(extra))
      assert.deepEqual(res.json(), { error }, JSON.stringify(extra))
    }
    assert.equal(countRows(dbFile, 'input_activity'), 0)
  })

  test("counts are read like the frames server's safe_int, but negative and non-finite are 0 and huge is capped", async (t) => {
    const { app, token, call } = await startApp(t, { now: NOW })
    const post = (payload: string) =>
      app.inject({
        method: 'POST',
        url: '/frames',
        headers: { ...json, authorization: token },
        payload,
      })
    assert.equal(
      (
        await post(
          '{"summary":{"total_lc":"7","total_rc":3.7,"total_mc":null,"total_kp":"x","total_mm":[],"total_scroll":-5}}',
        )
      ).statusCode,
      200,
    )
    assert.equal((await post('{"summary":{"total_kp":1e400,"total_mm":"-3"}}')).statusCode, 200)
    assert.equal((await post('{"summary":"not an object","timestamp_ms":"soon"}')).statusCode, 200)
    assert.equal((await post('{}')).statusCode, 200)
    assert.deepEqual(await rows(call), [{ t: BUCKET, ...counts({ lc: 7, rc: 3 }) }])
    assert.equal((await post('{"summary":{"total_mm":1e30,"total_kp":true}}')).statusCode, 200)
    assert.deepEqual(await rows(call), [
      { t: BUCKET, ...counts({ lc: 7, rc: 3, mm: 1_000_000_000, kp: 1 }) },
    ])
  })

  test('the bucket is timestamp_ms within the last 30 days and not in the future, else the receive time', async (t) => {
    const { app, token, call } = await startApp(t, { now: NOW })
    const post = (timestamp_ms: unknown, kp: number) =>
      app.inject({
        method: 'POST',
        url: '/frames',
        headers: { authorization: token },
        payload: { timestamp_ms, summary: { total_kp: kp } },
      })
    await post(NOW - 2 * 3_600_000, 1) // two hours ago: its own bucket
    await post(NOW - 29 * DAY, 2) // 29 days ago: its own bucket
    await post(NOW - 31 * DAY, 4) // too old: now
    await post(NOW + 10 * MIN, 8) // future: now
    await post(-1, 16) // nonsense: now
    assert.deepEqual(
      (await rows(call, 90)).map((r) => [r.t, r.kp]),
      [
        [BUCKET - 29 * DAY, 2],
        [BUCKET - 2 * 3_600_000, 1],
        [BUCKET, 28],
      ],
    )
  })

  test('a frame re-sent with the same batch_id is acknowledged and not counted twice', async (t) => {
    const { app, token, call } = await startApp(t, { now: NOW })
    const post = (batch_id: string) =>
      app.inject({
        method: 'POST',
        url: '/frames',
        headers: { authorization: token },
        payload: { timestamp_ms: NOW, source: 'daybook-input', batch_id, summary: summary() },
      })
    assert.equal((await post('b-1')).statusCode, 200)
    assert.deepEqual((await post('b-1')).json(), { message: 'ok' })
    assert.equal((await post('b-2')).statusCode, 200)
    assert.deepEqual(await rows(call), [
      { t: BUCKET, lc: 2, rc: 4, mc: 6, kp: 10, mm: 12, scroll: 8 },
    ])
  })
})

describe('GET /activity/summary', () => {
  test('rows of the last 14 days (days= up to 90), ascending, sources summed', async (t) => {
    const { app, token, call } = await startApp(t, { now: NOW })
    for (const [ago, source] of [
      [20 * DAY, 'a'],
      [3 * DAY, 'a'],
      [3 * DAY, 'b'],
      [0, 'a'],
    ] as const) {
      await app.inject({
        method: 'POST',
        url: '/frames',
        headers: { authorization: token },
        payload: { timestamp_ms: NOW - ago, source, summary: { total_kp: 1, total_scroll: 2 } },
      })
    }
    const defaultDays = await call({ url: '/activity/summary' })
    assert.equal(defaultDays.statusCode, 200)
    assert.deepEqual(defaultDays.json(), {
      rows: [
        { t: BUCKET - 3 * DAY, ...counts({ kp: 2, scroll: 4 }) },
        { t: BUCKET, ...counts({ kp: 1, scroll: 2 }) },
      ],
    })
    assert.equal((await rows(call, 90)).length, 3)
    assert.equal((await rows(call, 1)).length, 1)
  })

  test('needs a read token by default; bad days are 400 JSON', async (t) => {
    const { app, call } = await startApp(t, { now: NOW, keys: KEYS })
    assert.equal((await app.inject({ url: '/activity/summary' })).statusCode, 401)
    const ingest = await app.inject({
      url: '/v1/activity/summary',
      headers: { authorization: 'Bearer ingest-key' },
    })
    assert.equal(ingest.statusCode, 403)
    assert.equal(ingest.json().code, 'forbidden')
    const read = await app.inject({
      url: '/activity/summary',
      headers: { authorization: 'Bearer read-key' },
    })
    assert.equal(read.statusCode, 200)
    for (const days of ['0', '91', 'x', '1.5', '-1']) {
      const res = await call({ url: `/activity/summary?days=${days}` })
      assert.equal(res.statusCode, 400, days)
      assert.equal(res.json().code, 'invalid_query')
      assert.match(res.json().message, /days/)
    }
  })

  test('DAYBOOK_PUBLIC_ACTIVITY_SUMMARY (publicActivitySummary) serves it without a token', async (t) => {
    const { app } = await startApp(t, { now: NOW, publicActivitySummary: true })
    const res = await app.inject({ url: '/activity/summary' })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { rows: [] })
    const doc = (await app.inject({ url: '/v1/openapi.json', headers: {} })).statusCode
    assert.equal(doc, 401, 'the rest still needs a token')
  })

  test('rate-limited per client address: 429 JSON with Retry-After, reset by the window', async (t) => {
    const { app, token, setNow } = await startApp(t, {
      now: NOW,
      activitySummaryRateLimit: { limit: 3, windowMs: 60_000 },
    })
    const get = (url: string, remoteAddress = '10.0.0.1') =>
      app.inject({ url, remoteAddress, headers: { authorization: `Bearer ${token}` } })
    assert.equal((await get('/activity/summary')).statusCode, 200)
    assert.equal((await get('/v1/activity/summary')).statusCode, 200)
    assert.equal((await get('/activity/summary?days=0')).statusCode, 400, 'bad requests count too')
    const limited = await get('/activity/summary')
    assert.equal(limited.statusCode, 429)
    assert.equal(limited.headers['retry-after'], '60')
    assert.equal(limited.headers['content-type'], 'application/json; charset=utf-8')
    assert.equal(limited.json().code, 'rate_limited')
    assert.equal((await get('/activity/summary', '10.0.0.2')).statusCode, 200, 'another address')
    setNow(NOW + 45_000)
    assert.equal((await get('/activity/summary')).headers['retry-after'], '15')
    setNow(NOW + 60_000)
    assert.equal((await get('/activity/summary')).statusCode, 200)
  })
})

describe('POST /v1/input (Daybook batches)', () => {
  const bucket = (id: string, ago: number, over: Record<string, number> = {}) => ({
    id,
    timestamp_ms: BUCKET - ago,
    ...counts(over),
  })

  test('buckets are added once each; a re-sent batch is all duplicates', async (t) => {
    const { call } = await startApp(t, { now: NOW })
    const batch = {
      source: 'daybook-input',
      buckets: [bucket('u1', 5 * MIN, { kp: 3, lc: 1 }), bucket('u2', 0, { mm: 9, scroll: 2 })],
    }
    const first = await call({ method: 'POST', url: '/v1/input', payload: batch })
    assert.equal(first.statusCode, 200, first.body)
    assert.deepEqual(first.json(), { inserted: 2, duplicates: 0 })
    const again = await call({ method: 'POST', url: '/v1/input', payload: batch })
    assert.deepEqual(again.json(), { inserted: 0, duplicates: 2 })
    assert.deepEqual(await rows(call), [
      { t: BUCKET - 5 * MIN, ...counts({ kp: 3, lc: 1 }) },
      { t: BUCKET, ...counts({ mm: 9, scroll: 2 }) },
    ])
    assert.equal((await call({ method: 'POST', url: '/input', payload: batch })).statusCode, 404)
  })

  test('an invalid batch is refused whole with a clear error', async (t) => {
    const { call, dbFile } = await startApp(t, { now: NOW })
    const good = bucket('ok', 0, { kp: 1 })
    const cases: [unknown, number, string, RegExp][] = [
      [
        { source: 'x', buckets: [good, { ...good, id: 'n', kp: -1 }] },
        422,
        'invalid_body',
        /body\/buckets\/1\/kp/,
      ],
      [{ source: 'x', buckets: [good, { ...good, id: 'n', kp: 1.5 }] }, 422, 'invalid_body', /kp/],
      [
        { source: 'x', buckets: [{ ...good, id: undefined }] },
        422,
        'invalid_body',
        /id is required/,
      ],
      [{ source: 'x', buckets: [{ ...good, kp: '3' }] }, 422, 'invalid_body', /kp/],
      [
        { source: 'x', buckets: [{ ...good, timestamp_ms: -1 }] },
        422,
        'invalid_body',
        /timestamp_ms/,
      ],
      [{ source: 'bad source', buckets: [good] }, 422, 'invalid_body', /source/],
      [{ buckets: [good] }, 422, 'invalid_body', /source is required/],
      [[good], 422, 'invalid_body', /body must be object/],
      [
        { source: 'x', buckets: Array.from({ length: 10_001 }, () => good) },
        422,
        'invalid_body',
        /more than 10000 items/,
      ],
    ]
    for (const [payload, status, code, mentions] of cases) {
      const res = await call({ method: 'POST', url: '/v1/input', payload: payload as object })
      assert.equal(res.statusCode, status, res.body)
      assert.equal(res.json().code, code)
      assert.match(res.json().message, mentions)
    }
    const text = await call({
      method: 'POST',
      url: '/v1/input',
      headers: { 'content-type': 'text/csv' },
      payload: 'x',
    })
    assert.equal(text.statusCode, 415)
    assert.equal(countRows(dbFile, 'input_activity'), 0)
    assert.equal(countRows(dbFile, 'input_batches'), 0)
  })
})

describe('POST /v1/analysis/metrics and /timeseries', () => {
  const sec = (ms: number) => ms / 1000

  test('metrics: totals, per-minute rates and active minutes over the range', async (t) => {
    const { call } = await startApp(t, { now: NOW })
    await call({
      method: 'POST',
      url: '/v1/input',
      payload: {
        source: 's',
        buckets: [
          { id: 'a', timestamp_ms: BUCKET - 60 * MIN, kp: 120, mm: 600 },
          { id: 'b', timestamp_ms: BUCKET - 30 * MIN, lc: 12, scroll: 6 },
          { id: 'c', timestamp_ms: BUCKET - 2 * DAY, kp: 1000 },
        ],
      },
    })
    const res = await call({
      method: 'POST',
      url: '/v1/analysis/metrics',
      payload: { startUtc: sec(BUCKET - 60 * MIN), endUtc: sec(BUCKET) },
    })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json(), {
      startUtc: sec(BUCKET - 60 * MIN),
      endUtc: sec(BUCKET),
      n_epochs: 2,
      epoch_sec: 300,
      totals: counts({ kp: 120, mm: 600, lc: 12, scroll: 6 }),
      per_minute: counts({ kp: 2, mm: 10, lc: 0.2, scroll: 0.1 }),
      per_active_minute: counts({ kp: 12, mm: 60, lc: 1.2, scroll: 0.6 }),
      active_minutes: 10,
    })
  })

  test('an empty range, or one without data, is n_epochs 0, never an error', async (t) => {
    const { call } = await startApp(t, { now: NOW })
    for (const range of [
      { startUtc: sec(NOW), endUtc: sec(NOW) },
      { startUtc: 0, endUtc: 3600 },
    ]) {
      const metrics = await call({ method: 'POST', url: '/v1/analysis/metrics', payload: range })
      assert.equal(metrics.statusCode, 200)
      assert.equal(metrics.json().n_epochs, 0)
      assert.deepEqual(metrics.json().totals, counts())
      assert.deepEqual(metrics.json().per_minute, counts())
      const series = await call({ method: 'POST', url: '/v1/analysis/timeseries', payload: range })
      assert.equal(series.statusCode, 200)
      assert.deepEqual(series.json(), {
        ...range,
        n_epochs: 0,
        n_points: 0,
        epoch_sec: 300,
        rows: [],
      })
    }
  })

  test('timeseries: the series in the range, downsampled to at most 800 rows with its peak kept', async (t) => {
    const { call } = await startApp(t, { now: NOW })
    const start = BUCKET - 1000 * 5 * MIN
    const buckets = Array.from({ length: 1000 }, (_, i) => ({
      id: `s${i}`,
      timestamp_ms: start + i * 5 * MIN,
      kp: i === 617 ? 5000 : 10 + (i % 7),
      mm: 100,
    }))
    assert.equal(
      (await call({ method: 'POST', url: '/v1/input', payload: { source: 's', buckets } })).json()
        .inserted,
      1000,
    )
    const whole = await call({
      method: 'POST',
      url: '/v1/analysis/timeseries',
      payload: { startUtc: sec(start), endUtc: sec(BUCKET) },
    })
    const body = whole.json()
    assert.equal(body.n_epochs, 1000)
    assert.equal(body.n_points, 800)
    assert.equal(body.rows.length, 800)
    assert.ok(
      body.rows.some((r: { kp: number }) => r.kp === 5000),
      'the spike is kept',
    )
    assert.deepEqual(body.rows[0], { t: start, ...counts({ kp: 10, mm: 100 }) })
    const ts = body.rows.map((r: { t: number }) => r.t)
    assert.deepEqual(
      ts,
      [...ts].sort((a, b) => a - b),
    )

    const small = await call({
      method: 'POST',
      url: '/v1/analysis/timeseries',
      payload: { startUtc: sec(start), endUtc: sec(start + 10 * 5 * MIN) },
    })
    assert.equal(small.json().n_points, 10)
    assert.equal(small.json().rows[9].t, start + 9 * 5 * MIN)
  })

  test('bad ranges are 422 with the field named; the analysis scope is needed', async (t) => {
    const { app, call } = await startApp(t, { now: NOW, keys: KEYS })
    const cases: [unknown, string, RegExp][] = [
      [{ startUtc: 100, endUtc: 50 }, 'invalid_range', /body\/endUtc is before body\/startUtc/],
      [{ startUtc: 0, endUtc: 367 * 86_400 }, 'range_too_long', /366 days/],
      [{ startUtc: 0 }, 'invalid_body', /endUtc is required/],
      [{ startUtc: '0', endUtc: 10 }, 'invalid_body', /startUtc/],
      [{ startUtc: -1, endUtc: 10 }, 'invalid_body', /startUtc/],
      [[], 'invalid_body', /body must be object/],
    ]
    for (const url of ['/v1/analysis/metrics', '/v1/analysis/timeseries']) {
      for (const [payload, code, mentions] of cases) {
        const res = await call({ method: 'POST', url, payload: payload as object })
        assert.equal(res.statusCode, 422, `${url} ${JSON.stringify(payload)}`)
        assert.equal(res.json().code, code)
        assert.match(res.json().message, mentions)
      }
      const malformed = await call({ method: 'POST', url, headers: json, payload: '{"startUtc":' })
      assert.equal(malformed.statusCode, 400)
      for (const [key, status] of [
        ['read-key', 403],
        ['ingest-key', 403],
        ['data-key', 200],
      ] as const) {
        const res = await app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${key}` },
          payload: { startUtc: 0, endUtc: 60 },
        })
        assert.equal(res.statusCode, status, `${url} with ${key}`)
      }
    }
  })
})

test('the API document lists the input routes with their schemas', async (t) => {
  const { call } = await startApp(t, { now: NOW })
  const doc = (await call({ url: '/v1/openapi.json' })).json()
  for (const [route, method] of [
    ['/v1/frames', 'post'],
    ['/v1/activity/summary', 'get'],
    ['/v1/input', 'post'],
    ['/v1/analysis/metrics', 'post'],
    ['/v1/analysis/timeseries', 'post'],
  ] as const) {
    assert.ok(doc.paths[route]?.[method], `${method} ${route}`)
  }
  assert.ok(doc.paths['/v1/frames'].post.requestBody)
  assert.equal(doc.paths['/frames'], undefined, 'root aliases are hidden')
})
