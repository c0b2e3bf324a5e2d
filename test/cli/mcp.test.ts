/**
 * `daybook mcp`: the MCP SDK's own client talking over stdio to a real `daybook mcp` child
 * process, which talks to a real daemon.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { type RunningDaemon, cleanEnv, request, startInProcess } from '../daemon.ts'
import { eventInput, tempDir } from '../helpers.ts'

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts')

async function api(d: RunningDaemon, method: string, url: string, body?: unknown) {
  const res = await request(
    { port: d.discovery.port ?? 0 },
    {
      method,
      path: url,
      headers: { authorization: `Bearer ${d.token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
  )
  assert.ok(res.status < 300, `${method} ${url}: ${res.status} ${res.body}`)
  return res.body === '' ? undefined : JSON.parse(res.body)
}

async function mcpClient(
  t: TestContext,
  d: RunningDaemon,
  env: Record<string, string> = {},
): Promise<Client> {
  const client = new Client({ name: 'daybook-test', version: '1.0.0' })
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MAIN, 'mcp', '--data-dir', d.dataDir, '--config-dir', d.configDir],
    env: cleanEnv(env) as Record<string, string>,
    stderr: 'pipe',
  })
  await client.connect(transport)
  t.after(() => client.close())
  return client
}

type Structured = Record<string, unknown>

test('daybook mcp: a real stdio child, every tool, numbers equal to the API, scope refusals', async (t) => {
  const d = await startInProcess(t)
  await api(d, 'PUT', '/v1/settings', { timezone: 'UTC' })
  await api(d, 'POST', '/v1/events', [
    eventInput({ timestamp: '2025-09-11T09:00:00Z', end_timestamp: '2025-09-11T10:30:00Z' }),
    eventInput({
      timestamp: '2025-09-11T13:00:00Z',
      end_timestamp: '2025-09-11T13:40:00Z',
      project_name: 'notes',
      branch_name: null,
      entity_name: 'plan.md',
    }),
  ])
  const client = await mcpClient(t, d)

  const { tools } = await client.listTools()
  assert.equal(tools.length, 10)
  const { prompts } = await client.listPrompts()
  assert.deepEqual(prompts.map((p) => p.name).sort(), ['standup', 'timesheet'])
  const { resources } = await client.listResources()
  assert.deepEqual(resources.map((r) => r.uri).sort(), ['daybook://today', 'daybook://week'])

  const day = { start: '2025-09-11', end: '2025-09-11' }
  const summary = await client.callTool({ name: 'get_summary', arguments: { ...day } })
  assert.equal(summary.isError, undefined, JSON.stringify(summary.content))
  const total = await api(
    d,
    'GET',
    '/v1/summary/total?start=2025-09-11T00:00:00Z&end=2025-09-12T00:00:00Z',
  )
  assert.equal(total, 130 * 60)
  const s = summary.structuredContent as Structured
  assert.equal(s.totalSeconds, total)
  assert.deepEqual(s.groups, [
    { name: 'skopio', seconds: 90 * 60 },
    { name: 'notes', seconds: 40 * 60 },
  ])

  const calls: [string, Record<string, unknown>][] = [
    ['get_capabilities', {}],
    ['get_timeline', { ...day }],
    ['search_activity', { text: 'plan' }],
    ['get_insights', { range: '2025-09' }],
    ['compare_periods', { a: { start: '2025-09-10', end: '2025-09-10' }, b: { ...day } }],
    ['list_sessions', { ...day }],
    [
      'create_label',
      { text: 'deep work', start: '2025-09-11T09:00:00Z', end: '2025-09-11T10:00:00Z' },
    ],
    ['list_labels', { ...day }],
    ['get_status', {}],
  ]
  const answers = new Map<string, Structured>()
  for (const [name, args] of calls) {
    const res = await client.callTool({ name, arguments: args })
    assert.equal(res.isError, undefined, `${name}: ${JSON.stringify(res.content)}`)
    answers.set(name, res.structuredContent as Structured)
  }
  assert.equal((answers.get('get_timeline') as Structured).activeSeconds, total)
  assert.equal((answers.get('list_sessions') as Structured).activeSeconds, total)
  assert.equal(((answers.get('compare_periods') as Structured).b as Structured).totalSeconds, total)
  assert.equal(
    (answers.get('get_insights') as { dailyAverage: { totalSeconds: number } }).dailyAverage
      .totalSeconds,
    total,
  )
  const hits = (answers.get('search_activity') as { hits: { name: string }[] }).hits
  assert.deepEqual(
    hits.map((h) => h.name),
    ['plan.md'],
  )
  const labels = await api(d, 'GET', '/v1/labels')
  assert.deepEqual(
    labels.map((l: { text: string }) => l.text),
    ['deep work'],
  )
  assert.deepEqual(
    (answers.get('list_labels') as { labels: { text: string }[] }).labels.map((l) => l.text),
    ['deep work'],
  )
  const caps = answers.get('get_capabilities') as Structured
  assert.equal(caps.timeZone, 'UTC')
  assert.deepEqual(caps.sources, ['skopio-vscode'])
  assert.equal(caps.scope, null, "daybook mcp does not know its token's scope")

  const report = await client.readResource({ uri: 'daybook://today' })
  assert.match((report.contents[0] as { text: string }).text, /^# Today: /)

  // A read_only token (DAYBOOK_TOKEN): reading works, create_label is a tool error naming why.
  const created = await api(d, 'POST', '/v1/auth/tokens', {
    name: 'mcp',
    acl: 'read_only',
    expiry: 'never',
  })
  const readOnly = await mcpClient(t, d, { DAYBOOK_TOKEN: created.token })
  const read = await readOnly.callTool({ name: 'get_summary', arguments: { ...day } })
  assert.equal((read.structuredContent as Structured).totalSeconds, total)
  const refused = await readOnly.callTool({
    name: 'create_label',
    arguments: { text: 'x', start: '2025-09-11T11:00:00Z', end: '2025-09-11T12:00:00Z' },
  })
  assert.equal(refused.isError, true)
  assert.match((refused.content as { text: string }[])[0]?.text ?? '', /scope data or admin/)
  assert.equal((await api(d, 'GET', '/v1/labels')).length, 1, 'nothing was written')

  // A wrong token: every tool says the token was refused; the server keeps running.
  const wrong = await mcpClient(t, d, { DAYBOOK_TOKEN: 'sk-wrong' })
  const denied = await wrong.callTool({ name: 'get_status', arguments: {} })
  assert.equal(denied.isError, true)
  assert.match((denied.content as { text: string }[])[0]?.text ?? '', /refused the token/)
  assert.equal((await wrong.listTools()).tools.length, 10)
})

test('daybook mcp writes nothing but JSON-RPC to stdout, and says on a tool when no daemon runs', async (t) => {
  const dir = tempDir(t)
  const child = spawn(
    process.execPath,
    [MAIN, 'mcp', '--data-dir', path.join(dir, 'data'), '--config-dir', path.join(dir, 'config')],
    { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] },
  )
  t.after(() => child.kill())
  let out = ''
  child.stdout.setEncoding('utf8')
  const lines: unknown[] = []
  let answered: (v: unknown) => void = () => undefined
  const waitFor = (id: number) =>
    new Promise((resolve) => {
      answered = (msg) => {
        if ((msg as { id?: number }).id === id) resolve(msg)
      }
      for (const l of lines) answered(l)
    })
  child.stdout.on('data', (c: string) => {
    out += c
    let nl
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl)
      out = out.slice(nl + 1)
      const msg = JSON.parse(line) as unknown // anything but JSON-RPC fails the test here
      assert.equal((msg as { jsonrpc: string }).jsonrpc, '2.0')
      lines.push(msg)
      answered(msg)
    }
  })
  const send = (msg: unknown) => child.stdin.write(`${JSON.stringify(msg)}\n`)
  send({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    },
  })
  const init = (await waitFor(1)) as { result: { serverInfo: { name: string } } }
  assert.equal(init.result.serverInfo.name, 'daybook')
  send({ jsonrpc: '2.0', method: 'notifications/initialized' })
  send({
    jsonrpc: '2.0',
    id: 2,
    method: 'tools/call',
    params: { name: 'get_status', arguments: {} },
  })
  const call = (await waitFor(2)) as { result: { isError: boolean; content: { text: string }[] } }
  assert.equal(call.result.isError, true)
  assert.match(call.result.content[0]?.text ?? '', /no daybook daemon is running/)
  const exited = new Promise((resolve) => child.on('exit', resolve))
  child.stdin.end()
  assert.equal(await exited, 0)
})
