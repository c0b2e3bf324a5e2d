/**
 * JSON bodies nested deeper than the limit are refused before they are parsed or handed to a
 * store worker (a value 5,000 levels deep was a 500 without a token on ActivityWatch's heartbeat
 * route), on every route that takes free-form JSON, in each wire's own error shape; nothing is
 * stored. A body at the limit is taken.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../src/api/json-body.ts'
import { startAw } from '../compat/activitywatch/helpers.ts'

const json = { 'content-type': 'application/json' }

/** A JSON array nested `levels` deep. */
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels)
const DEEP = nested(5000)
const LIMIT_MESSAGE = new RegExp(
  `more than ${MAX_JSON_DEPTH} levels deep; ${MAX_JSON_DEPTH} is the limit`,
)

const heartbeat = (data: string) =>
  `{"timestamp":"2025-09-11T12:00:00Z","duration":1,"data":{"deep":${data}}}`

test('the depth scan counts brackets outside strings only', () => {
  assert.equal(nestsDeeperThan(nested(64), 64), false)
  assert.equal(nestsDeeperThan(nested(65), 64), true)
  assert.equal(nestsDeeperThan(`{"a":"${'['.repeat(500)}"}`, 64), false)
  assert.equal(nestsDeeperThan(`["\\"${'['.repeat(10)}",${nested(3)}]`, 4), false)
  assert.equal(nestsDeeperThan(`["\\\\",${nested(5)}]`, 5), true, 'an escaped backslash ends')
  assert.equal(nestsDeeperThan(`${'{"a":'.repeat(70)}1${'}'.repeat(70)}`, 64), true)
})

test('ActivityWatch routes: 422 naming the limit, with or without a token, nothing stored', async (t) => {
  const { anon, admin } = await startAw(t)
  await anon({
    method: 'POST',
    url: '/api/0/buckets/deep',
    headers: json,
    payload: { client: 'test', type: 'test', hostname: 'h' },
  })
  const refused = [
    await anon({
      method: 'POST',
      url: '/api/0/buckets/deep/heartbeat?pulsetime=5',
      headers: json,
      payload: heartbeat(DEEP),
    }),
    await anon({
      method: 'POST',
      url: '/api/0/buckets/deep/events',
      headers: json,
      payload: `[${heartbeat(DEEP)}]`,
    }),
    await admin({ method: 'POST', url: '/api/0/settings/k', headers: json, payload: DEEP }),
    // aw-client posts string settings raw, as a form; they are read as JSON when they are JSON.
    await admin({
      method: 'POST',
      url: '/api/0/settings/k',
      headers: { 'content-type': 'text/plain' },
      payload: DEEP,
    }),
    await admin({
      method: 'POST',
      url: '/api/0/query',
      headers: json,
      payload: `{"timeperiods":["2025-09-11/2025-09-12"],"query":${DEEP}}`,
    }),
    await admin({
      method: 'POST',
      url: '/api/0/import',
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
      payload:
        '--b\r\nContent-Disposition: form-data; name="buckets.json"; filename="b.json"\r\n\r\n' +
        `{"buckets":{"x":{"id":"x","type":"t","client":"c","hostname":"h","events":[{"data":${DEEP}}]}}}` +
        '\r\n--b--\r\n',
    }),
  ]
  for (const res of refused) {
    assert.equal(res.statusCode, 422, res.body)
    assert.match(res.json().message, LIMIT_MESSAGE)
  }
  const count = await admin({ method: 'GET', url: '/api/0/buckets/deep/events/count' })
  assert.equal(count.body, '0')
  assert.equal((await admin({ method: 'GET', url: '/api/0/settings' })).body, '{}')
  assert.equal((await admin({ method: 'GET', url: '/api/0/buckets/x' })).statusCode, 404)

  // At the limit: taken and read back as sent.
  const levels = MAX_JSON_DEPTH - 2 // the event object and `data` are two levels
  const ok = await anon({
    method: 'POST',
    url: '/api/0/buckets/deep/heartbeat?pulsetime=5',
    headers: json,
    payload: heartbeat(nested(levels - 1)),
  })
  assert.equal(ok.statusCode, 200, ok.body)
  const [stored] = (await admin({ method: 'GET', url: '/api/0/buckets/deep/events' })).json()
  assert.equal(JSON.stringify(stored.data.deep), nested(levels - 1))
})

test('Daybook, WakaTime, frames, MCP and chat routes: 422 in their own shapes', async (t) => {
  const { main } = await startAw(t)
  const cases: { url: string; method?: string; payload: string; type?: string }[] = [
    { url: '/v1/settings', method: 'PUT', payload: `{"sourcePriority":${DEEP}}` },
    { url: '/v1/settings/categories', method: 'PUT', payload: `{"rules":${DEEP}}` },
    { url: '/v1/labels', payload: `{"text":"x","context":${DEEP}}` },
    { url: '/v1/events', payload: `[{"timestamp":"2025-09-11T12:00:00Z","x":${DEEP}}]` },
    { url: '/events', payload: `[${DEEP}]` },
    { url: '/v1/afk', payload: `[${DEEP}]` },
    { url: '/v1/input', payload: `{"buckets":${DEEP}}` },
    { url: '/v1/events/push', payload: `{"type":"x","payload":${DEEP}}` },
    { url: '/mcp', payload: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":${DEEP}}` },
    {
      url: '/api/v1/users/current/heartbeats',
      payload: `{"entity":"a","time":1,"extra":${DEEP}}`,
      type: 'text/plain',
    },
  ]
  for (const c of cases) {
    const res = await main.call({
      method: c.method ?? 'POST',
      url: c.url,
      headers: { 'content-type': c.type ?? 'application/json' },
      payload: c.payload,
    })
    assert.equal(res.statusCode, 422, `${c.url}: ${res.body}`)
    assert.equal(res.json().code, 'json_too_deep', c.url)
    assert.match(res.json().message, LIMIT_MESSAGE)
  }
  const frames = await main.call({ method: 'POST', url: '/frames', headers: json, payload: DEEP })
  assert.equal(frames.statusCode, 422)
  assert.deepEqual(frames.json(), { error: 'json_too_deep' })
  const chat = await main.call({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: json,
    payload: `{"messages":${DEEP}}`,
  })
  assert.equal(chat.statusCode, 422)
  assert.equal(chat.json().error.code, 'json_too_deep')
  assert.match(chat.json().error.message, LIMIT_MESSAGE)
  // Nothing was stored: the change feed holds only the daemon's own device.
  const feed = (await main.call({ method: 'GET', url: '/v1/changes' })).json()
  assert.deepEqual(
    feed.changes.map((c: { kind: string }) => c.kind),
    ['device'],
  )
})
