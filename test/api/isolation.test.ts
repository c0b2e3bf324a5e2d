/**
 * Many people on one server: the scope walk over the live route table, with two more users beside
 * the owner. Bob's diary and the owner's hold data marked with words of their own; Ann walks
 * every route with a token of every scope (and the query that makes each route answer with data)
 * and must meet none of those words — while her own show up, so the walk sees data at all. Her
 * live stream (a real socket) hears her writes and nobody else's, and her WakaTime key reads her
 * totals at `/api/v1/users/current/…`.
 */
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import WebSocket from 'ws'
import { SCOPES, type Scope, allows } from '../../src/domain/access.ts'
import { eventInput, startApp, tempDir } from '../helpers.ts'
import type { TestApp } from '../helpers.ts'

const NOW = Date.parse('2025-09-11T15:00:00Z')
const DAY = '2025-09-11'

/** Words only Bob's and the owner's diaries hold; none may reach Ann. */
const FOREIGN = ['bobsecret', 'ownersecret']

/** Queries tried in order on each GET route until one answers 200 (the first that does is used). */
const QUERIES = [
  '',
  '?preset=today',
  `?start=${DAY}T00:00:00Z&end=${DAY}T23:59:59Z`,
  `?start=${DAY}&end=${DAY}`,
  `?date=${DAY}`,
  '?range=today',
  '?range=last_7_days',
  '?range=Today',
  `?date=${DAY}&timezone=UTC`,
  '?preset=today&groupBy=app',
  '?q=secret',
  '?query=secret',
  '?text=secret',
  `?start=${DAY}T00:00:00Z&end=${DAY}T23:59:59Z&q=secret`,
  '?preset=today&q=secret',
  '?preset=today&groupBy=project',
  '?preset=today&unit=hour',
]

/** Bodies tried in order on POST routes that compute over history. */
const START = Date.parse(`${DAY}T00:00:00Z`) / 1000
const END = START + 86_400
const BODIES = [
  { text: 'secret' },
  { text: 'annmark' },
  { startUtc: START, endUtc: END },
  { a: { startUtc: START, endUtc: END }, b: { startUtc: START, endUtc: END }, groupBy: 'project' },
  { days: 3 },
  { timestampUtc: START + 10 * 3600 + 60 },
  { start: `${DAY}T00:00:00Z`, end: `${DAY}T23:59:59Z` },
  { messages: [{ role: 'user', content: 'hello' }] },
]

/** Writes a user's day: events, a label, a WakaTime heartbeat, settings-free marks. */
async function seed(app: TestApp['app'], auth: string, word: string): Promise<void> {
  const headers = { authorization: auth }
  const send = async (method: 'POST' | 'PUT', url: string, payload: unknown) => {
    const res = await app.inject({ method, url, headers, payload: payload as object })
    assert.ok(res.statusCode < 300, `${word}: ${method} ${url}: ${res.statusCode} ${res.body}`)
  }
  await send('POST', '/v1/events', [
    eventInput({
      timestamp: `${DAY}T10:00:00Z`,
      end_timestamp: `${DAY}T11:00:00Z`,
      duration: 3600,
      project_name: `${word}_project`,
      entity_name: `${word}_file.rs`,
      app_name: `${word}_app`,
      branch_name: `${word}_branch`,
    }),
  ])
  await send('POST', '/v1/labels', {
    startUtc: Date.parse(`${DAY}T10:00:00Z`) / 1000,
    endUtc: Date.parse(`${DAY}T10:30:00Z`) / 1000,
    text: `${word} label`,
  })
  await send('POST', '/api/v1/users/current/heartbeats.bulk', [
    {
      entity: `/src/${word}/main.rs`,
      type: 'file',
      category: 'coding',
      project: `${word}_wakaproject`,
      branch: `${word}_wakabranch`,
      language: 'Rust',
      time: Date.parse(`${DAY}T12:00:00Z`) / 1000,
      is_write: true,
    },
  ])
  await send('POST', '/v1/auth/tokens', {
    name: `${word} token`,
    acl: 'read_only',
    expiry: 'never',
  })
}

/**
 * Bob makes a team and shares `bobshared` (totals only: its title holds `bobsecret`); Ann and the
 * owner are invited, Ann accepts and shares her own project with its details. The team's id.
 */
async function shareInTeam(app: TestApp['app'], bob: string, ann: string): Promise<string> {
  const send = async (auth: string, method: 'POST' | 'PUT', url: string, payload?: unknown) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: auth },
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`)
    return res.json<{ id: string }>()
  }
  await send(bob, 'POST', '/v1/events', [
    eventInput({
      timestamp: `${DAY}T13:00:00Z`,
      end_timestamp: `${DAY}T13:30:00Z`,
      duration: 1800,
      project_name: 'bobshared',
      entity_name: 'bobsecret_title.rs',
    }),
  ])
  const { id } = await send(bob, 'POST', '/v1/teams', { name: 'walk' })
  await send(bob, 'PUT', `/v1/teams/${id}/shares`, { projects: [{ name: 'bobshared' }] })
  await send(bob, 'POST', `/v1/teams/${id}/members`, { user: 'ann' })
  await send(bob, 'POST', `/v1/teams/${id}/members`, { user: 'owner' })
  await send(ann, 'POST', `/v1/teams/${id}/accept`)
  await send(ann, 'PUT', `/v1/teams/${id}/shares`, {
    projects: [{ name: 'annmark_project', details: true }],
  })
  return id
}

async function userToken(call: TestApp['call'], user: string, acl: Scope): Promise<string> {
  const res = await call({
    method: 'POST',
    url: `/v1/users/${user}/tokens`,
    payload: { name: `walk ${acl}`, acl, expiry: 'never' },
  })
  assert.equal(res.statusCode, 200, res.body)
  return res.json<{ token: string }>().token
}

test("two users beside the owner: every route, every scope of Ann's tokens, none of Bob's or the owner's data", async (t) => {
  const dist = path.join(tempDir(t), 'dist')
  mkdirSync(path.join(dist, 'assets'), { recursive: true })
  for (const file of ['index.html', 'favicon.svg', 'assets/app.js']) {
    writeFileSync(path.join(dist, file), '')
  }
  const { app, call, token } = await startApp(t, { now: NOW, dashboardDir: dist })
  for (const name of ['ann', 'bob']) {
    const res = await call({ method: 'POST', url: '/v1/users', payload: { name } })
    assert.equal(res.statusCode, 201, res.body)
  }
  await seed(app, `Bearer ${token}`, 'ownersecret')
  await seed(app, `Bearer ${await userToken(call, 'bob', 'admin')}`, 'bobsecret')
  await seed(app, `Bearer ${await userToken(call, 'ann', 'admin')}`, 'annmark')
  const tokens = new Map<Scope, string>()
  for (const scope of SCOPES) {
    if (scope !== 'sync') tokens.set(scope, await userToken(call, 'ann', scope))
  }
  // A team of Bob's: Ann is in it and shares her project with its details; Bob shares one
  // project, totals only (its titles are his secret); the owner is invited and never accepts.
  const teamId = await shareInTeam(
    app,
    `Bearer ${await userToken(call, 'bob', 'admin')}`,
    `Bearer ${tokens.get('admin') ?? ''}`,
  )

  let walked = 0
  const ownSeen = new Set<string>()
  /** Routes on which Ann met what Bob shares with her team (and nothing else of his). */
  const teamSeen = new Set<string>()
  const routes = app.daybook.routes.filter(
    (r) => r.method !== 'OPTIONS' && !r.url.includes('/sync/hub/leave'),
  )
  for (const { method, url, access = 'admin' } of routes) {
    if (method !== 'GET' && method !== 'POST') continue
    // A write route walked here would change Ann's own diary only; reads are what could leak.
    if (method === 'POST' && access !== 'analysis' && access !== 'read') continue
    const base = url
      .replace(':id', url.startsWith('/v1/teams') ? teamId : '0199881f-4613-7ac3-a5bb-2cd7ff27ff5a')
      .replace(':name', 'bob')
      .replace(':user', 'current')
      .replace(':range', 'today')
      .replace(':date', DAY)
      .replace('/*', '/app.js')
    const admin = tokens.get('admin') ?? ''
    // The query (or body) that makes the route answer for Ann's admin token.
    let chosen: { url: string; payload?: object } = { url: base }
    const candidates: { url: string; payload?: object }[] =
      method === 'GET'
        ? QUERIES.map((q) => ({ url: `${base}${q}` }))
        : BODIES.map((payload) => ({ url: base, payload }))
    for (const candidate of candidates) {
      const res = await app.inject({
        method,
        ...candidate,
        headers: { authorization: `Bearer ${admin}` },
      })
      if (res.statusCode === 200) {
        chosen = candidate
        break
      }
    }

    for (const [scope, secret] of tokens) {
      const res = await app.inject({
        method,
        ...chosen,
        headers: { authorization: `Bearer ${secret}` },
      })
      walked++
      for (const word of FOREIGN) {
        assert.ok(
          !res.body.includes(word),
          `${scope} → ${method} ${chosen.url} shows ${word}: ${res.body.slice(0, 400)}`,
        )
      }
      if (allows(scope, access) && res.body.includes('annmark')) ownSeen.add(`${method} ${url}`)
      if (allows(scope, access) && res.body.includes('bobshared')) teamSeen.add(`${method} ${url}`)
    }
  }
  assert.ok(walked > 100, `walked ${walked}`)
  // The walk met Ann's own data on many routes (so it would meet Bob's, were it there).
  assert.ok(ownSeen.size >= 15, `Ann's data seen on ${[...ownSeen].join(', ')}`)
  for (const expected of ['GET /v1/projects', 'GET /v1/labels', 'GET /v1/auth/tokens']) {
    assert.ok(ownSeen.has(expected), `${expected} showed Ann her own data`)
  }
  assert.ok(
    teamSeen.has('GET /v1/teams/:id/totals'),
    `team data seen on ${[...teamSeen].join(', ')}`,
  )
  // The owner's token, for its part, sees none of Ann's or Bob's.
  for (const url of ['/v1/projects', '/v1/labels', '/v1/auth/tokens']) {
    const res = await call({ method: 'GET', url })
    assert.ok(!res.body.includes('annmark') && !res.body.includes('bobsecret'), res.body)
    assert.ok(res.body.includes('ownersecret'), `${url}: ${res.body}`)
  }
})

test("a user's live stream hears their own writes only", async (t) => {
  const { app, call } = await startApp(t)
  for (const name of ['ann', 'bob'])
    await call({ method: 'POST', url: '/v1/users', payload: { name } })
  const ann = await userToken(call, 'ann', 'admin')
  const bob = await userToken(call, 'bob', 'admin')
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/events`, {
    headers: { authorization: `Bearer ${ann}` },
  })
  const frames: string[] = []
  let wake: (() => void) | undefined
  ws.on('message', (data: Buffer) => {
    frames.push(data.toString('utf8'))
    wake?.()
  })
  const until = async (pred: () => boolean) => {
    while (!pred()) await new Promise<void>((resolve) => (wake = resolve))
  }
  await until(() => frames.some((f) => f.includes('DaemonStarted')))
  const post = (secret: string, project: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${secret}` },
      payload: [eventInput({ project_name: project })],
    })
  // Bob's and the owner's writes first, then Ann's: when hers arrives, theirs would have too.
  assert.equal((await post(bob, 'bobsecret')).statusCode, 200)
  assert.equal(
    (
      await call({
        method: 'POST',
        url: '/v1/events',
        payload: [eventInput({ project_name: 'ownersecret' })],
      })
    ).statusCode,
    200,
  )
  assert.equal((await post(ann, 'annmark')).statusCode, 200)
  await until(() => frames.some((f) => f.includes('annmark')))
  for (const word of FOREIGN) assert.ok(!frames.some((f) => f.includes(word)), frames.join('\n'))
  // Bob on the stream too: Ann's client list is hers, and Bob's broadcast reaches his own only.
  const bobWs = new WebSocket(`ws://127.0.0.1:${port}/v1/events`, {
    headers: { authorization: `Bearer ${bob}` },
  })
  await new Promise((resolve) => bobWs.once('message', resolve))
  const clients = await app.inject({
    method: 'GET',
    url: '/v1/ws-clients',
    headers: { authorization: `Bearer ${ann}` },
  })
  assert.equal(clients.json<unknown[]>().length, 1, clients.body)
  const pushed = await app.inject({
    method: 'POST',
    url: '/v1/events/push',
    headers: { authorization: `Bearer ${bob}` },
    payload: { type: 'Note', payload: { text: 'bobsecret' } },
  })
  assert.deepEqual(pushed.json(), { ok: true, clients: 1 })
  assert.equal((await post(ann, 'annmark2')).statusCode, 200)
  await until(() => frames.some((f) => f.includes('annmark2')))
  assert.ok(!frames.some((f) => f.includes('bobsecret')), frames.join('\n'))
  bobWs.close()
  ws.close()
})

test("WakaTime keys are per user: /api/v1/users/current/… is the key's user's", async (t) => {
  const { app, call } = await startApp(t, { now: NOW })
  for (const name of ['ann', 'bob'])
    await call({ method: 'POST', url: '/v1/users', payload: { name } })
  const key = async (user: string) => {
    const res = await call({
      method: 'POST',
      url: `/v1/users/${user}/tokens`,
      payload: { name: 'editor', acl: 'ingest', expiry: 'never', format: 'wakatime' },
    })
    return res.json<{ token: string }>().token
  }
  const reader = async (user: string) => `Bearer ${await userToken(call, user, 'read_only')}`
  const basic = (k: string) => `Basic ${Buffer.from(k).toString('base64')}`
  for (const [user, project] of [
    ['ann', 'annmark'],
    ['bob', 'bobsecret'],
  ] as const) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/users/current/heartbeats.bulk',
      headers: { authorization: basic(await key(user)) },
      payload: [
        { entity: '/a.rs', type: 'file', project, language: 'Rust', time: NOW / 1000 - 600 },
        { entity: '/a.rs', type: 'file', project, language: 'Rust', time: NOW / 1000 - 300 },
      ],
    })
    assert.equal(res.statusCode, 202, res.body)
  }
  const summaries = await app.inject({
    method: 'GET',
    url: '/api/v1/users/current/summaries?range=today',
    headers: { authorization: await reader('ann') },
  })
  assert.equal(summaries.statusCode, 200, summaries.body)
  assert.ok(summaries.body.includes('annmark'), summaries.body)
  assert.ok(!summaries.body.includes('bobsecret'), summaries.body)
})

test('route files reach data only through the request: app.daybook only for what the server has once', async () => {
  const { readdirSync, readFileSync } = await import('node:fs')
  const root = path.join(import.meta.dirname, '../../src/api')
  const files = ['routes', 'compat/wakatime', 'stream'].flatMap((dir) =>
    readdirSync(path.join(root, dir))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(root, dir, f)),
  )
  // The owner's diary serves the probes (readyz) and names the version; the clock is one.
  const serverLevel = new Set(['ready', 'store', 'storage', 'version', 'clock', 'routes'])
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    assert.doesNotMatch(text, /\{ daybook \} = app\b/, file)
    for (const [, member] of text.matchAll(/\bapp\.daybook\.(\w+)/g)) {
      const allowed = serverLevel.has(member ?? '') && file.endsWith('health.ts')
      // Where the daemon's start went is the server's, once (status shows it to the owner only).
      const once = member === 'startup' && file.endsWith('status.ts')
      // The route table is the server's too: the OpenAPI document is built from it.
      const table = member === 'routes' && file.endsWith('meta.ts')
      assert.ok(
        allowed || once || table || member === 'version' || member === 'clock',
        `${path.relative(root, file)} uses app.daybook.${member}`,
      )
    }
  }
})
