import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { request } from '../daemon.ts'
import { type TestApp, eventInput, startApp } from '../helpers.ts'

const NOW = Date.parse('2025-09-11T18:00:00Z')
const at = (day: string, hhmm: string) => `2025-09-${day}T${hhmm}:00Z`

/** The daemon on a real socket with a day and a half of activity, in UTC. */
async function seeded(t: TestContext): Promise<TestApp & { port: number }> {
  const started = await startApp(t, {
    now: NOW,
    keys: { 'read-only-key': 'read_only', 'data-key': 'data', 'stream-key': 'stream' },
  })
  const { call } = started
  await call({ method: 'PUT', url: '/v1/settings', payload: { timezone: 'UTC' } })
  const ev = (day: string, from: string, to: string, extra: Record<string, unknown> = {}) =>
    eventInput({ timestamp: at(day, from), end_timestamp: at(day, to), ...extra })
  const res = await call({
    method: 'POST',
    url: '/v1/events',
    payload: [
      ev('10', '09:00', '11:00', { project_name: 'daybook', branch_name: 'main' }),
      ev('10', '13:00', '13:30', {
        project_name: 'notes',
        branch_name: null,
        entity_name: 'todo.md',
      }),
      ev('11', '08:00', '09:30', { project_name: 'daybook', branch_name: 'mcp-chat' }),
      ev('11', '09:30', '10:00', {
        project_name: 'daybook',
        branch_name: 'main',
        entity_name: 'app.ts',
      }),
      ev('11', '14:00', '14:45', {
        source_name: 'daybook-window',
        app_name: 'Firefox',
        category: 'Browsing',
        entity_name: 'https://docs.rs/fastify',
        entity_type: 'Url',
        project_name: 'docs.rs',
        branch_name: null,
        language_name: null,
      }),
    ],
  })
  assert.equal(res.statusCode, 200, res.body)
  await call({
    method: 'POST',
    url: '/v1/labels',
    payload: {
      text: 'planning',
      startUtc: Date.parse(at('11', '08:00')) / 1000,
      endUtc: Date.parse(at('11', '09:00')) / 1000,
    },
  })
  await started.app.listen({ port: 0, host: '127.0.0.1' })
  return { ...started, port: (started.app.server.address() as AddressInfo).port }
}

async function connect(t: TestContext, port: number, token: string): Promise<Client> {
  const client = new Client({ name: 'daybook-test', version: '1.0.0' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  )
  t.after(() => client.close())
  return client
}

type Structured = Record<string, unknown>

test('POST /mcp: the tools, prompts and reports, with the numbers of /v1/summary/*', async (t) => {
  const { port, token, call } = await seeded(t)
  const client = await connect(t, port, token)

  const { tools } = await client.listTools()
  assert.deepEqual(
    tools.map((x) => x.name),
    [
      'get_capabilities',
      'get_summary',
      'get_timeline',
      'search_activity',
      'get_insights',
      'compare_periods',
      'list_sessions',
      'list_labels',
      'create_label',
      'get_status',
    ],
  )
  for (const tool of tools) {
    assert.ok(tool.outputSchema, `${tool.name} has an output schema`)
    assert.equal(tool.annotations?.readOnlyHint, tool.name !== 'create_label', tool.name)
  }

  // get_summary equals /v1/summary/total and the grouped buckets, for a named period and dates.
  const summary = await client.callTool({
    name: 'get_summary',
    arguments: { period: 'today', groupBy: 'project' },
  })
  assert.equal(summary.isError, undefined, JSON.stringify(summary.content))
  const s = summary.structuredContent as Structured
  const total = Number((await call({ method: 'GET', url: '/v1/summary/total?preset=today' })).body)
  assert.equal(total, (90 + 30 + 45) * 60)
  assert.equal(s.totalSeconds, total)
  assert.deepEqual(s.groups, [
    { name: 'daybook', seconds: 120 * 60 },
    { name: 'docs.rs', seconds: 45 * 60 },
  ])
  assert.match((summary.content as { text: string }[])[0]?.text ?? '', /2h 45m active/)

  const byBranch = await client.callTool({
    name: 'get_summary',
    arguments: { start: '2025-09-10', end: '2025-09-11', groupBy: 'branch', projects: ['daybook'] },
  })
  const b = byBranch.structuredContent as Structured
  const buckets = (
    await call({
      method: 'GET',
      url:
        '/v1/summary/buckets?preset[custom][start]=2025-09-10T00:00:00Z' +
        '&preset[custom][end]=2025-09-12T00:00:00Z&groupBy=branch&projects[]=daybook',
    })
  ).json<{ groupedValues: Record<string, number> }[]>()
  const fromApi = new Map<string, number>()
  for (const row of buckets) {
    for (const [k, v] of Object.entries(row.groupedValues))
      fromApi.set(k, (fromApi.get(k) ?? 0) + v)
  }
  assert.deepEqual(
    b.groups,
    [...fromApi.entries()]
      .map(([name, seconds]) => ({ name, seconds }))
      .sort((x, y) => y.seconds - x.seconds),
  )
  assert.equal(b.totalSeconds, (120 + 120) * 60)

  // Every other tool answers, with structured content.
  const calls: [string, Record<string, unknown>][] = [
    ['get_capabilities', {}],
    ['get_timeline', { period: 'today' }],
    ['search_activity', { text: 'fastify' }],
    ['get_insights', {}],
    ['compare_periods', { a: { period: 'yesterday' }, b: { period: 'today' } }],
    ['list_sessions', { period: 'today' }],
    ['list_labels', {}],
    ['get_status', {}],
  ]
  const answers = new Map<string, Structured>()
  for (const [name, args] of calls) {
    const res = await client.callTool({ name, arguments: args })
    assert.equal(res.isError, undefined, `${name}: ${JSON.stringify(res.content)}`)
    answers.set(name, res.structuredContent as Structured)
  }
  const caps = answers.get('get_capabilities') as Structured
  assert.equal(caps.timeZone, 'UTC')
  assert.equal(caps.today, '2025-09-11')
  assert.equal(caps.scope, 'admin')
  assert.deepEqual(caps.sources, ['daybook-window', 'skopio-vscode'])
  const timeline = answers.get('get_timeline') as { activeSeconds: number; stretches: unknown[] }
  assert.equal(timeline.activeSeconds, total)
  assert.equal(timeline.stretches.length, 3)
  const hits = (
    answers.get('search_activity') as { hits: { name: string; activeSeconds: number }[] }
  ).hits
  assert.deepEqual(
    hits.map((h) => [h.name, h.activeSeconds]),
    [['https://docs.rs/fastify', 45 * 60]],
  )
  const compare = answers.get('compare_periods') as Structured
  assert.equal((compare.a as Structured).totalSeconds, 150 * 60)
  assert.equal((compare.b as Structured).totalSeconds, total)
  assert.equal(compare.differenceSeconds, total - 150 * 60)
  const sessions = answers.get('list_sessions') as { sessions: unknown[]; activeSeconds: number }
  assert.equal(sessions.activeSeconds, total)
  assert.equal(sessions.sessions.length, 2)
  const insights = answers.get('get_insights') as Structured
  assert.equal((insights.streak as { current: { days: number } }).current.days, 2)
  assert.deepEqual(insights.mostActiveDay, { range: '2025', date: '2025-09-11', seconds: total })
  assert.equal(
    (answers.get('list_labels') as { labels: { text: string }[] }).labels[0]?.text,
    'planning',
  )

  // create_label writes through the API: the label is there afterwards.
  const created = await client.callTool({
    name: 'create_label',
    arguments: { text: 'code review', start: '2025-09-11T09:30', end: '2025-09-11T10:00' },
  })
  assert.equal(created.isError, undefined, JSON.stringify(created.content))
  const labels = (await call({ method: 'GET', url: '/v1/labels' })).json<
    { text: string; startUtc: number }[]
  >()
  const review = labels.find((l) => l.text === 'code review')
  assert.equal(review?.startUtc, Date.parse(at('11', '09:30')) / 1000)

  // Bad arguments are a readable tool error, not a crash.
  const bad = await client.callTool({ name: 'get_summary', arguments: { period: 'someday' } })
  assert.equal(bad.isError, true)
  const conflicting = await client.callTool({
    name: 'get_summary',
    arguments: { period: 'today', start: '2025-09-01', end: '2025-09-02' },
  })
  assert.equal(conflicting.isError, true)
  assert.match((conflicting.content as { text: string }[])[0]?.text ?? '', /either period or start/)

  // Prompts and resources.
  const { prompts } = await client.listPrompts()
  assert.deepEqual(prompts.map((p) => p.name).sort(), ['standup', 'timesheet'])
  const standup = await client.getPrompt({ name: 'standup' })
  const standupText = (standup.messages[0]?.content as { text: string }).text
  assert.match(standupText, /Yesterday \(2025-09-10\): 2h 30m active/)
  assert.match(standupText, /- daybook: 2h \(branches: main 2h\)/)
  assert.match(standupText, /- daybook: 2h \(branches: mcp-chat 1h 30m, main 30m\)/)
  const sheet = await client.getPrompt({ name: 'timesheet', arguments: { week: 'this_week' } })
  const sheetText = (sheet.messages[0]?.content as { text: string }).text
  assert.match(
    sheetText,
    /\| daybook \| 0\.00 \| 0\.00 \| 2\.00 \| 2\.00 \| 0\.00 \| 0\.00 \| 0\.00 \| 4\.00 \|/,
  )
  const { resources } = await client.listResources()
  assert.deepEqual(resources.map((r) => r.uri).sort(), ['daybook://today', 'daybook://week'])
  const today = await client.readResource({ uri: 'daybook://today' })
  const md = (today.contents[0] as { text: string }).text
  assert.match(md, /^# Today: 2025-09-11 \(UTC\)/)
  assert.match(md, /\*\*2h 45m\*\* active/)
  assert.match(md, /\| daybook \| 2h \| 73% \|/)
})

test("POST /mcp: tools act with the token's scope; refusals are tool errors the model can read", async (t) => {
  const { port, call } = await seeded(t)
  const readOnly = await connect(t, port, 'read-only-key')
  const summary = await readOnly.callTool({ name: 'get_summary', arguments: { period: 'today' } })
  assert.equal(summary.isError, undefined)
  const refused = await readOnly.callTool({
    name: 'create_label',
    arguments: { text: 'x', start: '2025-09-11T09:00:00Z', end: '2025-09-11T10:00:00Z' },
  })
  assert.equal(refused.isError, true)
  const why = (refused.content as { text: string }[])[0]?.text ?? ''
  assert.match(why, /create_label needs a Daybook token of scope data or admin/)
  const labels = (await call({ method: 'GET', url: '/v1/labels' })).json<unknown[]>()
  assert.equal(labels.length, 1, 'nothing was written')
  const search = await readOnly.callTool({ name: 'search_activity', arguments: { text: 'main' } })
  assert.equal(search.isError, true)
  const caps = await readOnly.callTool({ name: 'get_capabilities', arguments: {} })
  assert.equal((caps.structuredContent as Structured).scope, 'read_only')

  const data = await connect(t, port, 'data-key')
  const made = await data.callTool({
    name: 'create_label',
    arguments: { text: 'x', start: '2025-09-11T09:00:00Z', end: '2025-09-11T10:00:00Z' },
  })
  assert.equal(made.isError, undefined, JSON.stringify(made.content))
})

test('POST /mcp: no token is a 401, a stream token a 403, a foreign Host or Origin is refused', async (t) => {
  const { port, token } = await seeded(t)
  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    },
  })
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  }
  const post = (extra: Record<string, string>) =>
    request(
      { port },
      { method: 'POST', path: '/mcp', headers: { ...headers, ...extra }, body: initialize },
    )
  const ok = await post({ authorization: `Bearer ${token}` })
  assert.equal(ok.status, 200, ok.body)
  assert.equal(JSON.parse(ok.body).result.serverInfo.name, 'daybook')

  const none = await post({})
  assert.equal(none.status, 401)
  assert.equal(JSON.parse(none.body).code, 'unauthorized')
  const stream = await post({ authorization: 'Bearer stream-key' })
  assert.equal(stream.status, 403)
  const host = await post({ authorization: `Bearer ${token}`, host: 'evil.example' })
  assert.equal(host.status, 421)
  const origin = await post({ authorization: `Bearer ${token}`, origin: 'http://evil.example' })
  assert.equal(origin.status, 403)
  assert.equal(JSON.parse(origin.body).code, 'origin_not_allowed')
  const own = await post({ authorization: `Bearer ${token}`, origin: `http://127.0.0.1:${port}` })
  assert.equal(own.status, 200)
  assert.equal(own.headers['access-control-allow-origin'], `http://127.0.0.1:${port}`)
  const get = await request(
    { port },
    { path: '/mcp', headers: { authorization: `Bearer ${token}` } },
  )
  assert.equal(get.status, 405)
  assert.equal(get.headers.allow, 'POST')
})
