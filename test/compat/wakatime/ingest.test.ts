/**
 * WakaTime heartbeat ingest through the real HTTP layer: the CLI's recorded request and the
 * answer it must parse, every way a key is presented, Wakapi's paths, single and bulk bodies, and
 * every bad input (each refused in its place, the others stored).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type TestApp, startApp } from '../../helpers.ts'

const NOW = Date.parse('2025-09-11T18:00:00Z')
const T = NOW / 1000 - 3600

/** What wakatime-cli sends with every request (contract §B.1). */
function cliHeaders(key: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    authorization: `Basic ${Buffer.from(key).toString('base64')}`,
    'user-agent':
      'wakatime/v1.102.1 (linux-6.6.4-x86_64) go1.22.5 vscode/1.95.3 vscode-wakatime/24.8.0',
    'x-machine-name': 'work+laptop',
    timezone: 'Europe/Berlin',
    'content-type': 'application/json',
    accept: 'application/json',
    ...extra,
  }
}

/** The CLI's recorded bulk request (wakatime-cli `pkg/api/testdata/api_heartbeats_request.json`). */
const RECORDED_REQUEST = [
  {
    branch: 'heartbeat',
    category: 'coding',
    cursorpos: 12,
    dependencies: ['dep1', 'dep2'],
    entity: '/tmp/main.go',
    is_write: true,
    language: 'Go',
    lineno: 42,
    lines: 100,
    project: 'wakatime-cli',
    type: 'file',
    time: 1585598059,
    user_agent: 'wakatime/13.0.6',
  },
  {
    category: 'debugging',
    entity: 'HIDDEN.py',
    type: 'file',
    time: 1585598060,
    user_agent: 'wakatime/13.0.7',
  },
]

/**
 * Parses a bulk answer the way wakatime-cli does (`pkg/api/heartbeat.go`): `responses` holds one
 * 2-element array per heartbeat; a status of 400 or more needs `error` or `errors`; 201/202 items
 * carry `data` (a heartbeat or null). Returns, per heartbeat, what the CLI does with it.
 */
function cliOutcome(body: unknown, sent: number): ('sent' | 'dropped' | 'requeued')[] {
  const responses = (body as { responses?: unknown }).responses
  assert.ok(Array.isArray(responses), 'the body has responses')
  assert.equal(responses.length, sent, 'one result per heartbeat')
  return responses.map((r: unknown) => {
    assert.ok(Array.isArray(r) && r.length === 2, 'each result is [object, status]')
    const [obj, status] = r as [Record<string, unknown>, unknown]
    assert.equal(typeof status, 'number')
    assert.equal(typeof obj, 'object')
    if ((status as number) >= 400) {
      assert.ok(typeof obj.error === 'string' || typeof obj.errors === 'object', 'an error text')
      return status === 400 ? 'dropped' : 'requeued'
    }
    if (status !== 201 && status !== 202) return 'requeued'
    assert.ok('data' in obj, 'data is present')
    return 'sent'
  })
}

test('WakaTime ingest', async (t) => {
  // One app for the file: each subtest uses its own times, entities or machines.
  const h: TestApp = await startApp(t, { now: NOW })
  const token = async (acl: string, format: 'daybook' | 'wakatime') => {
    const res = await h.call({
      method: 'POST',
      url: '/v1/auth/tokens',
      payload: { name: `${acl} ${format}`, acl, expiry: 'never', format },
    })
    assert.equal(res.statusCode, 200, res.body)
    return res.json<{ token: string; format: string }>()
  }
  const ingest = await token('ingest', 'wakatime')
  const key = ingest.token
  const readKey = (await token('read_only', 'wakatime')).token
  const skIngest = (await token('ingest', 'daybook')).token

  const post = (url: string, payload: unknown, headers: Record<string, string>) =>
    h.app.inject({
      method: 'POST',
      url,
      headers,
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    })
  const heartbeats = async (date: string) =>
    (await h.call({ method: 'GET', url: `/api/v1/users/current/heartbeats?date=${date}` })).json<{
      data: Record<string, unknown>[]
    }>().data
  const hb = (entity: string, time: number, extra: Record<string, unknown> = {}) => ({
    entity,
    type: 'file',
    category: 'coding',
    time,
    project: 'daybook',
    language: 'TypeScript',
    ...extra,
  })

  await t.test('WakaTime keys are lowercase UUIDv4, the format the CLI insists on', () => {
    assert.match(key, /^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/)
    assert.equal(ingest.format, 'wakatime')
  })

  await t.test(
    "the CLI's recorded request: 202, one [data, 201] per heartbeat, stored once",
    async () => {
      const res = await post(
        '/api/v1/users/current/heartbeats.bulk',
        RECORDED_REQUEST,
        cliHeaders(key),
      )
      assert.equal(res.statusCode, 202, res.body)
      assert.deepEqual(cliOutcome(res.json(), 2), ['sent', 'sent'])
      const [first, second] = res.json<{
        responses: [{ data: Record<string, unknown> }, number][]
      }>().responses
      // The echo is the heartbeat as sent, with its id: the newest CLI matches results by it.
      assert.deepEqual(
        { ...first?.[0].data, id: undefined },
        { ...RECORDED_REQUEST[0], id: undefined },
      )
      assert.match(String(first?.[0].data.id), /^[0-9a-f]{32}$/)
      assert.equal(second?.[0].data.entity, 'HIDDEN.py')
      // Four and a half years old: an offline queue must drain, so old heartbeats are accepted.
      const stored = await heartbeats('2020-03-30')
      assert.deepEqual(
        stored.map((x) => [
          x.entity,
          x.time,
          x.category,
          x.project,
          x.branch,
          x.is_write,
          x.machine,
        ]),
        [
          ['/tmp/main.go', 1585598059, 'coding', 'wakatime-cli', 'heartbeat', true, 'work laptop'],
          ['HIDDEN.py', 1585598060, 'debugging', '', '', false, 'work laptop'],
        ],
      )
      assert.deepEqual(stored[0]?.dependencies, ['dep1', 'dep2'])
      assert.equal(stored[0]?.lineno, 42)
      // The re-send after a lost answer: the same answer, nothing stored twice.
      const again = await post(
        '/api/v1/users/current/heartbeats.bulk',
        RECORDED_REQUEST,
        cliHeaders(key),
      )
      assert.equal(again.statusCode, 202)
      assert.deepEqual(again.json(), res.json())
      assert.equal((await heartbeats('2020-03-30')).length, 2)
    },
  )

  await t.test(
    'the key as Basic, Bearer base64, Bearer raw or ?api_key=; others refused',
    async () => {
      const b64 = Buffer.from(key).toString('base64')
      const ways: [string, Record<string, string>, string][] = [
        ['basic', { authorization: `Basic ${b64}` }, ''],
        [
          'basic with a colon',
          { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
          '',
        ],
        ['bearer base64', { authorization: `Bearer ${b64}` }, ''],
        ['bearer raw', { authorization: `Bearer ${key}` }, ''],
        ['query', {}, `?api_key=${key}`],
        ['prefixed', { authorization: `Bearer waka_${key}` }, ''],
        ['a daybook ingest token', { authorization: `Bearer ${skIngest}` }, ''],
      ]
      for (const [i, [what, headers, query]] of ways.entries()) {
        const res = await post(
          `/api/v1/users/current/heartbeats.bulk${query}`,
          [hb(`auth-${i}.ts`, T)],
          {
            'content-type': 'application/json',
            ...headers,
          },
        )
        assert.equal(res.statusCode, 202, `${what}: ${res.body}`)
      }
      const refused: [string, Record<string, string>, number][] = [
        ['no key', {}, 401],
        [
          'a wrong key',
          {
            authorization: `Basic ${Buffer.from('8f1c2b7e-3d4a-4b5c-9d6e-7f8a9b0c1d2e').toString('base64')}`,
          },
          401,
        ],
        ['garbage', { authorization: 'Basic %%%' }, 401],
        ['a read-only key', { authorization: `Bearer ${readKey}` }, 403],
      ]
      for (const [what, headers, status] of refused) {
        const res = await post('/api/v1/users/current/heartbeats.bulk', [hb('refused.ts', T)], {
          'content-type': 'application/json',
          ...headers,
        })
        assert.equal(res.statusCode, status, `${what}: ${res.body}`)
      }
      const date = new Date(T * 1000).toISOString().slice(0, 10)
      assert.equal((await heartbeats(date)).filter((x) => x.entity === 'refused.ts').length, 0)
    },
  )

  await t.test("every path Wakapi serves; a user other than 'current' is 404", async () => {
    const paths = [
      '/api/heartbeat',
      '/api/heartbeats',
      '/api/users/current/heartbeats',
      '/api/users/current/heartbeats.bulk',
      '/api/v1/users/current/heartbeats',
      '/api/v1/users/current/heartbeats.bulk',
      '/api/compat/wakatime/v1/users/current/heartbeats',
      '/api/compat/wakatime/v1/users/current/heartbeats.bulk',
    ]
    for (const [i, url] of paths.entries()) {
      const res = await post(url, [hb(`path-${i}.ts`, T + 100)], cliHeaders(key))
      assert.equal(res.statusCode, 202, `${url}: ${res.body}`)
    }
    const other = await post(
      '/api/v1/users/alice/heartbeats.bulk',
      [hb('x.ts', T)],
      cliHeaders(key),
    )
    assert.equal(other.statusCode, 404)
    assert.equal(other.json<{ code: string }>().code, 'user_not_found')
  })

  await t.test(
    'one heartbeat → 201 {data}; an array or a .bulk path → 202 {responses}',
    async () => {
      const single = await post(
        '/api/v1/users/current/heartbeats',
        hb('single.ts', T + 200),
        cliHeaders(key),
      )
      assert.equal(single.statusCode, 201)
      assert.equal(single.json<{ data: { entity: string } }>().data.entity, 'single.ts')
      const array = await post(
        '/api/v1/users/current/heartbeats',
        [hb('array.ts', T + 200)],
        cliHeaders(key),
      )
      assert.equal(array.statusCode, 202)
      assert.deepEqual(cliOutcome(array.json(), 1), ['sent'])
      const bulkOne = await post(
        '/api/v1/users/current/heartbeats.bulk',
        hb('bulk-one.ts', T + 200),
        cliHeaders(key),
      )
      assert.equal(bulkOne.statusCode, 202)
      assert.deepEqual(cliOutcome(bulkOne.json(), 1), ['sent'])
      const empty = await post('/api/v1/users/current/heartbeats.bulk', [], cliHeaders(key))
      assert.deepEqual([empty.statusCode, empty.json()], [202, { responses: [] }])
    },
  )

  await t.test(
    'the browser extension: text/plain, a quoted time, placeholders, ?api_key=',
    async () => {
      const res = await h.app.inject({
        method: 'POST',
        url: `/api/compat/wakatime/v1/users/current/heartbeats?api_key=${key}`,
        headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-machine-name': 'browser-box' },
        payload: JSON.stringify({
          entity: 'https://example.com/docs',
          time: String(T + 300),
          type: 'url',
          user_agent: 'Chrome/114.0.0.0 linux_x86-64 chrome-wakatime/3.0.17',
          project: '<<LAST_PROJECT>>',
          branch: '<<LAST_BRANCH>>',
        }),
      })
      assert.equal(res.statusCode, 201, res.body)
      const date = new Date(T * 1000).toISOString().slice(0, 10)
      const stored = (await heartbeats(date)).find((x) => x.entity === 'https://example.com/docs')
      assert.deepEqual(
        [stored?.type, stored?.category, stored?.editor, stored?.operating_system, stored?.machine],
        ['url', 'browsing', 'chrome', 'Linux', 'browser-box'],
      )
      const bare = await h.app.inject({
        method: 'POST',
        url: '/api/heartbeat',
        headers: { authorization: `Bearer ${key}` },
        payload: JSON.stringify(hb('no-content-type.ts', T + 300)),
      })
      assert.equal(bare.statusCode, 201, bare.body)
    },
  )

  await t.test(
    'bad heartbeats are refused one by one (400, dropped by the CLI); the rest are stored',
    async () => {
      const items = [
        hb('good-1.ts', T + 400),
        { type: 'file', time: T + 400 },
        { entity: 'no-time.ts', type: 'file' },
        hb('bad-type.ts', T + 400, { type: 'folder' }),
        hb('bad-time.ts', T + 400, { time: 'yesterday' }),
        hb('future.ts', NOW / 1000 + 2 * 3600),
        hb('too-old.ts', 1000),
        hb('bad-field.ts', T + 400, { is_write: 'yes' }),
        'not an object',
        hb('good-2.ts', T + 460, { time: String(T + 460) }),
      ]
      const res = await post('/api/v1/users/current/heartbeats.bulk', items, cliHeaders(key))
      assert.equal(res.statusCode, 202)
      assert.deepEqual(cliOutcome(res.json(), items.length), [
        'sent',
        'dropped',
        'dropped',
        'dropped',
        'dropped',
        'dropped',
        'dropped',
        'dropped',
        'dropped',
        'sent',
      ])
      const errors = res
        .json<{ responses: [{ error?: string }, number][] }>()
        .responses.map(([obj]) => obj.error ?? null)
      assert.match(String(errors[1]), /body\/1\/entity is required/)
      assert.match(String(errors[2]), /body\/2\/time is required/)
      assert.match(String(errors[3]), /body\/3\/type must be one of file, app, domain, url, event/)
      assert.match(String(errors[4]), /body\/4\/time must be/)
      assert.match(String(errors[5]), /body\/5\/time is more than 1 hour in the future/)
      assert.match(String(errors[6]), /body\/6\/time is before 1990/)
      assert.match(String(errors[7]), /body\/7\/is_write/)
      assert.match(String(errors[8]), /body\/8 must be object/)
      const date = new Date(T * 1000).toISOString().slice(0, 10)
      const stored = (await heartbeats(date)).map((x) => x.entity)
      assert.ok(stored.includes('good-1.ts') && stored.includes('good-2.ts'))
      for (const bad of ['bad-type.ts', 'bad-time.ts', 'future.ts', 'bad-field.ts']) {
        assert.ok(!stored.includes(bad), bad)
      }
      // A heartbeat up to an hour ahead is a clock difference, not an error.
      const ahead = await post(
        '/api/v1/users/current/heartbeats.bulk',
        [hb('ahead.ts', NOW / 1000 + 1800)],
        cliHeaders(key),
      )
      assert.deepEqual(cliOutcome(ahead.json(), 1), ['sent'])
    },
  )

  await t.test(
    'a body that is not heartbeats is refused whole, and nothing is stored',
    async () => {
      const cases: [string, string, number, string][] = [
        ['not JSON', '[{"entity": "x.ts", "time": ', 400, 'invalid_json'],
        ['a number', '42', 400, 'invalid_body'],
        [
          'one bad heartbeat on the single path',
          JSON.stringify({ entity: 'x.ts' }),
          400,
          'invalid_heartbeat',
        ],
      ]
      for (const [what, payload, status, code] of cases) {
        const url = what.includes('single')
          ? '/api/v1/users/current/heartbeats'
          : '/api/v1/users/current/heartbeats.bulk'
        const res = await post(url, payload, cliHeaders(key))
        assert.equal(res.statusCode, status, `${what}: ${res.body}`)
        assert.equal(res.json<{ code: string }>().code, code, what)
      }
      const many = Array.from({ length: 1001 }, (_, i) => hb(`many-${i}.ts`, T))
      const tooMany = await post('/api/v1/users/current/heartbeats.bulk', many, cliHeaders(key))
      assert.equal(tooMany.statusCode, 413)
      const date = new Date(T * 1000).toISOString().slice(0, 10)
      assert.ok(!(await heartbeats(date)).some((x) => String(x.entity).startsWith('many-')))
    },
  )

  await t.test('X-Machine-Name (query-escaped) names the device; a body machine wins', async () => {
    await post(
      '/api/v1/users/current/heartbeats.bulk',
      [hb('m1.ts', T + 500), hb('m2.ts', T + 500, { machine: 'desk' })],
      cliHeaders(key, { 'x-machine-name': 'Ada%27s+Mac' }),
    )
    const date = new Date(T * 1000).toISOString().slice(0, 10)
    const stored = await heartbeats(date)
    assert.equal(stored.find((x) => x.entity === 'm1.ts')?.machine, "Ada's Mac")
    assert.equal(stored.find((x) => x.entity === 'm2.ts')?.machine, 'desk')
    const devices = (await h.call({ method: 'GET', url: '/v1/devices' })).json<{ name: string }[]>()
    assert.ok(devices.some((d) => d.name === "Ada's Mac"))
  })

  await t.test(
    "an ingest key reads today's status bar and nothing else; a read key reads",
    async () => {
      const asIngest = (url: string) =>
        h.app.inject({ method: 'GET', url, headers: cliHeaders(key) })
      assert.equal((await asIngest('/api/v1/users/current/statusbar/today')).statusCode, 200)
      assert.equal((await asIngest('/api/users/current/status_bar/today')).statusCode, 200)
      for (const url of [
        '/api/v1/users/current/summaries?start=today&end=today',
        '/api/v1/users/current/stats/last_7_days',
        '/api/v1/users/current/heartbeats?date=2020-03-30',
        '/api/v1/users/current/durations?date=2020-03-30',
        '/api/v1/users/current/projects',
        '/api/v1/users/current/all_time_since_today',
        '/api/v1/users/current',
      ]) {
        const res = await asIngest(url)
        assert.equal(res.statusCode, 403, `${url}: ${res.body}`)
        assert.equal(res.json<{ code: string }>().code, 'forbidden')
      }
      // Daybook's own routes take the same key as a bearer token, with the same scope.
      const own = await h.app.inject({
        method: 'GET',
        url: '/v1/summary/total',
        headers: { authorization: `Bearer ${key}` },
      })
      assert.equal(own.statusCode, 403, own.body)
      const asReader = await h.app.inject({
        method: 'GET',
        url: '/api/v1/users/current/summaries?start=today&end=today',
        headers: { authorization: `Basic ${Buffer.from(readKey).toString('base64')}` },
      })
      assert.equal(asReader.statusCode, 200, asReader.body)
    },
  )

  await t.test('the API document lists the WakaTime routes once, at /api/v1', async () => {
    const doc = (await h.call({ method: 'GET', url: '/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, { tags?: string[] }>>
    }>()
    assert.deepEqual(doc.paths['/api/v1/users/{user}/heartbeats.bulk']?.post?.tags, ['wakatime'])
    assert.ok(doc.paths['/api/v1/users/{user}/statusbar/{range}']?.get)
    assert.ok(doc.paths['/api/v1/users/{user}/durations']?.get)
    assert.equal(doc.paths['/api/compat/wakatime/v1/users/{user}/summaries'], undefined)
  })
})
