/**
 * ActivityWatch's REST API on Daybook, request by request, with the exact bodies aw-server-rust
 * answers (its own API tests' cases), its access rules, Host and Origin checks.
 */
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { type AwTestApp, INGEST_KEY, READ_KEY, startAw, suiteContext } from './helpers.ts'

const NOW = Date.parse('2025-09-12T00:00:00Z')
const json = { 'content-type': 'application/json' }

describe('ActivityWatch API', () => {
  let s: AwTestApp
  const suite = suiteContext()
  before(async () => {
    // One app for the file: tests use buckets of their own.
    s = await startAw(suite, { now: NOW })
  })

  test('info answers without a token, naming this device', async () => {
    const res = await s.anon({ method: 'GET', url: '/api/0/info' })
    assert.equal(res.statusCode, 200)
    const info = res.json()
    assert.deepEqual(Object.keys(info), ['hostname', 'version', 'testing', 'device_id'])
    assert.equal(info.testing, false)
    assert.match(info.version, /^v0\.\d+\.\d+ \(daybook /)
    const [own] = (await s.main.call({ method: 'GET', url: '/v1/devices' })).json()
    assert.deepEqual([info.hostname, info.device_id], [own.name, own.id])
  })

  test('buckets: create 200 with an empty body, again 304, listed as a dict, 404 when missing', async () => {
    const body = JSON.stringify({ client: 'test', type: 'test', hostname: 'h1' })
    const created = await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-create',
      headers: json,
      payload: body,
    })
    assert.equal(created.statusCode, 200)
    assert.equal(created.body, '')
    const again = await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-create',
      headers: json,
      payload: body,
    })
    assert.equal(again.statusCode, 304)
    const list = await s.anon({ method: 'GET', url: '/api/0/buckets/' })
    assert.equal(list.statusCode, 200)
    const b = list.json()['b-create']
    assert.deepEqual(Object.keys(b), [
      'id',
      'type',
      'client',
      'hostname',
      'created',
      'data',
      'metadata',
      'events',
      'last_updated',
    ])
    assert.deepEqual(b.metadata, { start: null, end: null })
    assert.equal(b.hostname, 'h1')
    const missing = await s.anon({ method: 'GET', url: '/api/0/buckets/nope' })
    assert.equal(missing.statusCode, 404)
    assert.deepEqual(missing.json(), { message: "The requested bucket 'nope' does not exist" })
    const bad = await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-bad',
      headers: json,
      payload: '{"client":"x"}',
    })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.json().message, /type/)
  })

  test('heartbeat merges as aw-server-rust (its API test, byte for byte) and needs pulsetime', async () => {
    await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-hb',
      headers: json,
      payload: '{"client":"c","type":"test","hostname":"h"}',
    })
    const inserted = await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-hb/events',
      headers: json,
      payload: '[{"timestamp":"2018-01-01T01:01:01Z","duration":1.0,"data":{}}]',
    })
    assert.equal(inserted.statusCode, 200)
    const id = inserted.json()[0].id
    const hb = await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-hb/heartbeat?pulsetime=2',
      headers: json,
      payload: '{"timestamp":"2018-01-01T01:01:02Z","duration":1.0,"data":{}}',
    })
    assert.equal(hb.statusCode, 200)
    assert.equal(
      hb.body,
      `{"id":${id},"timestamp":"2018-01-01T01:01:01Z","duration":2.0,"data":{}}`,
    )
    const missing = await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-hb/heartbeat',
      headers: json,
      payload: '{"timestamp":"2018-01-01T01:01:02Z","duration":0,"data":{}}',
    })
    assert.equal(missing.statusCode, 400)
    assert.deepEqual(missing.json(), { message: 'Missing required parameter pulsetime' })
    const negative = await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-hb/heartbeat?pulsetime=1',
      headers: json,
      payload: '{"timestamp":"2018-01-01T01:01:02Z","duration":-1,"data":{}}',
    })
    assert.equal(negative.statusCode, 400)
    // A pulsetime no nanosecond count can hold (found by the fuzzer: a 500) is refused.
    for (const pulsetime of ['1.7976931348623157e%2B308', '315360001', '-1', 'NaN']) {
      const res = await s.anon({
        method: 'POST',
        url: `/api/0/buckets/b-hb/heartbeat?pulsetime=${pulsetime}`,
        headers: json,
        payload: '{"timestamp":"2018-01-01T01:01:03Z","duration":0,"data":{"":0}}',
      })
      assert.equal(res.statusCode, 400, `${pulsetime}: ${res.body}`)
      assert.match(res.json().message, /^pulsetime must be/)
    }
    const events = await s.admin({ method: 'GET', url: '/api/0/buckets/b-hb/events' })
    assert.equal(events.json().length, 1)
  })

  test('events: newest first, clipped to the range, limit, count, get one, delete; replace needs a token', async () => {
    await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-ev/',
      headers: json,
      payload: '{"client":"c","type":"test","hostname":"h"}',
    })
    const ins = await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-ev/events',
      headers: json,
      payload: JSON.stringify([
        { timestamp: '2025-09-11T10:00:00Z', duration: 60, data: { n: 1 } },
        { timestamp: '2025-09-11T10:05:00.5+02:00', duration: 0.25, data: { n: 2 } },
        { timestamp: '2025-09-11T11:00:00Z', duration: 600, data: { n: 3 } },
      ]),
    })
    assert.equal(ins.statusCode, 200)
    const [e1, e2, e3] = ins.json()
    assert.equal(e2.timestamp, '2025-09-11T08:05:00.500Z')
    assert.equal(e2.duration, 0.25)
    const all = await s.admin({ method: 'GET', url: '/api/0/buckets/b-ev/events' })
    assert.deepEqual(
      all.json().map((e: { id: number }) => e.id),
      [e3.id, e1.id, e2.id],
    )
    const clipped = await s.admin({
      method: 'GET',
      url: '/api/0/buckets/b-ev/events?start=2025-09-11T10:00:30Z&end=2025-09-11T11:01:00Z&limit=5',
    })
    assert.equal(
      clipped.body,
      `[{"id":${e3.id},"timestamp":"2025-09-11T11:00:00Z","duration":60.0,"data":{"n":3}},` +
        `{"id":${e1.id},"timestamp":"2025-09-11T10:00:30Z","duration":30.0,"data":{"n":1}}]`,
    )
    const limited = await s.admin({ method: 'GET', url: '/api/0/buckets/b-ev/events?limit=1' })
    assert.deepEqual(
      limited.json().map((e: { id: number }) => e.id),
      [e3.id],
    )
    const badTime = await s.admin({
      method: 'GET',
      url: '/api/0/buckets/b-ev/events?start=yesterday',
    })
    assert.equal(badTime.statusCode, 400)
    assert.equal(
      (await s.admin({ method: 'GET', url: '/api/0/buckets/b-ev/events/count' })).body,
      '3',
    )
    // aw-client@0.3.7 sends starttime/endtime.
    const counted = await s.admin({
      method: 'GET',
      url: '/api/0/buckets/b-ev/events/count?starttime=2025-09-11T10:30:00.000Z&endtime=2025-09-11T12:00:00.000Z',
    })
    assert.equal(counted.body, '1')
    const one = await s.admin({ method: 'GET', url: `/api/0/buckets/b-ev/events/${e1.id}` })
    assert.deepEqual(one.json(), e1)
    const replace = {
      method: 'POST' as const,
      url: '/api/0/buckets/b-ev/events',
      headers: json,
      payload: JSON.stringify([
        {
          id: e1.id,
          timestamp: '2025-09-11T10:00:00Z',
          duration: 30,
          data: { n: 1, edited: true },
        },
      ]),
    }
    assert.equal((await s.anon(replace)).statusCode, 401)
    assert.equal(
      (await s.anon({ ...replace, headers: { ...json, authorization: `Bearer ${INGEST_KEY}` } }))
        .statusCode,
      403,
    )
    const replaced = await s.admin(replace)
    assert.equal(replaced.statusCode, 200)
    assert.deepEqual(
      (await s.admin({ method: 'GET', url: `/api/0/buckets/b-ev/events/${e1.id}` })).json().data,
      { edited: true, n: 1 },
    )
    assert.equal(
      (await s.anon({ method: 'DELETE', url: `/api/0/buckets/b-ev/events/${e2.id}` })).statusCode,
      401,
    )
    assert.equal(
      (await s.admin({ method: 'DELETE', url: `/api/0/buckets/b-ev/events/${e2.id}` })).statusCode,
      200,
    )
    assert.equal(
      (await s.admin({ method: 'GET', url: `/api/0/buckets/b-ev/events/${e2.id}` })).statusCode,
      404,
    )
    assert.equal(
      (await s.admin({ method: 'GET', url: '/api/0/buckets/b-ev/events/count' })).body,
      '2',
    )
    const bucket = (await s.anon({ method: 'GET', url: '/api/0/buckets/b-ev' })).json()
    assert.deepEqual(bucket.metadata, {
      start: '2025-09-11T10:00:00Z',
      end: '2025-09-11T11:10:00Z',
    })
  })

  test('a bucket is deleted with ?force=1 and a token', async () => {
    await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-del',
      headers: json,
      payload: '{"client":"c","type":"test","hostname":"h"}',
    })
    assert.equal(
      (await s.anon({ method: 'DELETE', url: '/api/0/buckets/b-del?force=1' })).statusCode,
      401,
    )
    assert.equal(
      (await s.admin({ method: 'DELETE', url: '/api/0/buckets/b-del?force=1' })).statusCode,
      200,
    )
    assert.equal(
      (await s.admin({ method: 'DELETE', url: '/api/0/buckets/b-del?force=1' })).statusCode,
      404,
    )
  })

  test('settings: null when unset, 201 on set (raw form strings too), listed, deleted, long keys refused', async () => {
    const url = '/api/0/settings/startOfDay'
    assert.equal((await s.admin({ method: 'GET', url })).body, 'null')
    const raw = await s.admin({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '04:00',
    })
    assert.equal(raw.statusCode, 201)
    assert.equal((await s.admin({ method: 'GET', url })).body, '"04:00"')
    await s.admin({
      method: 'POST',
      url: '/api/0/settings/classes',
      headers: json,
      payload: '[{"name":["Work"]}]',
    })
    assert.deepEqual((await s.admin({ method: 'GET', url: '/api/0/settings' })).json(), {
      classes: [{ name: ['Work'] }],
      startOfDay: '04:00',
    })
    assert.equal((await s.admin({ method: 'DELETE', url })).statusCode, 200)
    assert.equal((await s.admin({ method: 'GET', url })).body, 'null')
    const long = await s.admin({ method: 'GET', url: `/api/0/settings/${'k'.repeat(128)}` })
    assert.deepEqual([long.statusCode, long.json()], [400, { message: 'Too long key' }])
    assert.equal((await s.anon({ method: 'GET', url: '/api/0/settings' })).statusCode, 401)
    assert.equal(
      (await s.anon({ method: 'POST', url, headers: json, payload: '"x"' })).statusCode,
      401,
    )
  })

  test('export and import round-trip; an import into an existing bucket skips what it has', async () => {
    await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-exp',
      headers: json,
      payload: '{"client":"c","type":"test","hostname":"h","data":{"k":1}}',
    })
    await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-exp/events',
      headers: json,
      payload: JSON.stringify([
        { timestamp: '2025-09-11T09:00:00Z', duration: 10, data: { a: 'x' } },
        { timestamp: '2025-09-11T09:01:00Z', duration: 5, data: { a: 'y' } },
      ]),
    })
    assert.equal(
      (await s.anon({ method: 'GET', url: '/api/0/buckets/b-exp/export' })).statusCode,
      401,
    )
    const exp = await s.admin({ method: 'GET', url: '/api/0/buckets/b-exp/export' })
    assert.equal(exp.statusCode, 200)
    assert.equal(
      exp.headers['content-disposition'],
      'attachment; filename=aw-bucket-export_b-exp.json',
    )
    const exported = exp.json()
    assert.equal(exported.buckets['b-exp'].events.length, 2)
    // Re-importing changes nothing; under a new id it creates the bucket.
    const again = await s.admin({
      method: 'POST',
      url: '/api/0/import',
      headers: json,
      payload: exp.body,
    })
    assert.equal(again.statusCode, 200)
    assert.equal(
      (await s.admin({ method: 'GET', url: '/api/0/buckets/b-exp/events/count' })).body,
      '2',
    )
    const copy = { buckets: { 'b-copy': { ...exported.buckets['b-exp'], id: 'b-copy' } } }
    const boundary = 'XyZ'
    const multipart =
      `--${boundary}\r\nContent-Disposition: form-data; name="buckets.json"; filename="buckets.json"\r\n` +
      `Content-Type: application/json\r\n\r\n${JSON.stringify(copy)}\r\n--${boundary}--\r\n`
    const imp = await s.admin({
      method: 'POST',
      url: '/api/0/import',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: multipart,
    })
    assert.equal(imp.statusCode, 200)
    const copied = await s.admin({ method: 'GET', url: '/api/0/buckets/b-copy/events' })
    assert.deepEqual(
      copied.json().map((e: { data: unknown; duration: number }) => [e.data, e.duration]),
      [
        [{ a: 'y' }, 5.0],
        [{ a: 'x' }, 10.0],
      ],
    )
    assert.deepEqual((await s.admin({ method: 'GET', url: '/api/0/buckets/b-copy' })).json().data, {
      k: 1,
    })
    const all = await s.admin({ method: 'GET', url: '/api/0/export' })
    assert.equal(all.headers['content-disposition'], 'attachment; filename=aw-buckets-export.json')
    assert.ok(all.json().buckets['b-copy'])
    const bad = await s.admin({
      method: 'POST',
      url: '/api/0/import',
      headers: json,
      payload: '{"nope":1}',
    })
    assert.equal(bad.statusCode, 400)
  })

  test('query: one result per period; numbers as floats; bad queries are 400 with a position', async () => {
    const q = (query: string[], timeperiods = ['2025-09-11T00:00:00Z/2025-09-12T00:00:00Z']) =>
      s.admin({
        method: 'POST',
        url: '/api/0/query/',
        headers: json,
        payload: JSON.stringify({ query, timeperiods }),
      })
    const one = await q(
      ['return 1;'],
      ['2025-09-10T00:00:00Z/2025-09-11T00:00:00Z', '2025-09-11T00:00:00Z/2025-09-12T00:00:00Z'],
    )
    assert.equal(one.statusCode, 200)
    assert.equal(one.body, '[1.0,1.0]')
    const events = await q([
      'events = query_bucket("b-ev");',
      'RETURN = {"n": sum_durations(events), "e": limit_events(events, 1)};',
    ])
    assert.equal(events.statusCode, 200)
    const [result] = events.json()
    assert.equal(result.n, 630)
    assert.deepEqual(Object.keys(result.e[0]), ['data', 'duration', 'id', 'timestamp'])
    const noQuery = await s.admin({
      method: 'POST',
      url: '/api/0/query',
      headers: json,
      payload: JSON.stringify({
        query: ['x = 1;'],
        timeperiods: ['2025-09-11T00:00:00Z/2025-09-12T00:00:00Z'],
      }),
    })
    assert.equal(noQuery.statusCode, 400)
    assert.match(noQuery.json().message, /^EmptyQuery/)
    for (const [query, pattern] of [
      [['return 1'], /ParsingError: expected ";" .* at line 1, column 9/],
      [['x = ;'], /ParsingError: .* at line 1, column 5/],
      [['return flood(nope);'], /VariableNotDefined: nope at line 1, column 14/],
      [['return query_bucket("missing");'], /BucketQueryError: .*missing.* at line 1, column 8/],
      [['return 1 / 0;'], /MathError/],
      [['return "a" == 1;'], /InvalidType/],
      [['return filter_keyvals_regex([], "k", "(");'], /RegexCompileError/],
      [['return limit_events(1, 2);'], /InvalidFunctionParameters/],
      [['return "unterminated;'], /ParsingError: unterminated string at line 1, column 8/],
    ] as const) {
      const res = await q([...query])
      assert.equal(res.statusCode, 400, `${query.join('')}: ${res.body}`)
      assert.match(res.json().message, pattern)
    }
    const badPeriod = await q(['return 1;'], ['yesterday'])
    assert.equal(badPeriod.statusCode, 400)
    assert.equal(
      (
        await s.anon({
          method: 'POST',
          url: '/api/0/query/',
          headers: json,
          payload: '{"query":["return 1;"],"timeperiods":[]}',
        })
      ).statusCode,
      401,
    )
    assert.equal(
      (
        await s.anon({
          method: 'POST',
          url: '/api/0/query/',
          headers: { ...json, authorization: `Bearer ${READ_KEY}` },
          payload: '{"query":["return 1;"],"timeperiods":[]}',
        })
      ).statusCode,
      200,
    )
  })

  test('unauthenticated reads are refused; a read-only token may read but not delete', async () => {
    for (const url of [
      '/api/0/buckets/b-ev/events',
      '/api/0/export',
      '/api/0/settings',
      '/api/0/buckets/b-ev/events/count',
    ]) {
      const res = await s.anon({ method: 'GET', url })
      assert.equal(res.statusCode, 401, url)
      assert.match(res.json().message, /needs a Daybook token/)
    }
    const wrong = await s.anon({
      method: 'GET',
      url: '/api/0/export',
      headers: { authorization: 'Bearer wrong' },
    })
    assert.equal(wrong.statusCode, 401)
    const read = { authorization: `Bearer ${READ_KEY}` }
    assert.equal(
      (await s.anon({ method: 'GET', url: '/api/0/export', headers: read })).statusCode,
      200,
    )
    assert.equal(
      (await s.anon({ method: 'DELETE', url: '/api/0/buckets/b-ev', headers: read })).statusCode,
      403,
    )
    // Unknown paths need a token too.
    assert.equal((await s.anon({ method: 'GET', url: '/api/0/nothing' })).statusCode, 401)
    assert.equal((await s.admin({ method: 'GET', url: '/api/0/nothing' })).statusCode, 404)
  })

  test('Host rebinding is refused with 400, as ActivityWatch does', async () => {
    for (const host of ['evil.example', 'evil.example:5600', '127.0.0.1.evil.example']) {
      const res = await s.anon({ method: 'GET', url: '/api/0/info', headers: { host } })
      assert.deepEqual(
        [res.statusCode, res.json()],
        [400, { message: 'Host header is invalid' }],
        host,
      )
    }
    for (const host of ['localhost:5600', '127.0.0.1', '[::1]:5600']) {
      assert.equal(
        (await s.anon({ method: 'GET', url: '/api/0/info', headers: { host } })).statusCode,
        200,
      )
    }
  })

  test('foreign origins are refused; extensions get CORS headers and preflights', async () => {
    const foreign = await s.anon({
      method: 'POST',
      url: '/api/0/buckets/b-cors',
      headers: { ...json, origin: 'https://evil.example' },
      payload: '{"client":"c","type":"test","hostname":"h"}',
    })
    assert.equal(foreign.statusCode, 403)
    assert.equal(foreign.headers['access-control-allow-origin'], undefined)
    assert.equal((await s.anon({ method: 'GET', url: '/api/0/buckets/b-cors' })).statusCode, 404)
    for (const origin of [
      'moz-extension://0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      'chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi',
    ]) {
      const pre = await s.anon({
        method: 'OPTIONS',
        url: '/api/0/buckets/aw-watcher-web-firefox_h/heartbeat',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      })
      assert.equal(pre.statusCode, 200)
      assert.equal(pre.headers['access-control-allow-origin'], origin)
      assert.match(String(pre.headers['access-control-allow-methods']), /POST/)
      const info = await s.anon({ method: 'GET', url: '/api/0/info', headers: { origin } })
      assert.equal(info.headers['access-control-allow-origin'], origin)
    }
    const otherChrome = await s.anon({
      method: 'GET',
      url: '/api/0/info',
      headers: { origin: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop' },
    })
    assert.equal(otherChrome.statusCode, 403)
    // OPTIONS without an origin: 200, as ActivityWatch's catch-all.
    assert.equal((await s.anon({ method: 'OPTIONS', url: '/api/0/anything' })).statusCode, 200)
  })
})
