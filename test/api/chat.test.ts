/**
 * The OpenAI-compatible chat against a model server played by a real local HTTP server (an
 * external system, scripted per test), through the real daemon app on a real socket.
 */
import assert from 'node:assert/strict'
import { statSync, readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import OpenAI from 'openai'
import { request } from '../daemon.ts'
import { type StartOptions, type TestApp, eventInput, startApp } from '../helpers.ts'

const NOW = Date.parse('2025-09-11T18:00:00Z')
const KEY = 'sk-upstream-secret-0123456789'

interface Seen {
  url: string
  headers: http.IncomingHttpHeaders
  body: Record<string, unknown> | undefined
  closed: Promise<void>
}

type Handler = (seen: Seen, res: http.ServerResponse) => void | Promise<void>

/** A model server: every request is recorded, `handle` answers it. */
async function upstream(t: TestContext, handle: Handler) {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    let text = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (text += c))
    req.on('end', () => {
      const entry: Seen = {
        url: req.url ?? '',
        headers: req.headers,
        body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
        closed: new Promise((resolve) => res.on('close', () => resolve())),
      }
      seen.push(entry)
      void handle(entry, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    server.close()
  })
  const port = (server.address() as AddressInfo).port
  return { baseUrl: `http://127.0.0.1:${port}/v1`, host: `127.0.0.1:${port}`, seen }
}

const json = (res: http.ServerResponse, body: unknown, status = 200) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

const completion = (message: Record<string, unknown>, finish = 'stop') => ({
  id: 'chatcmpl-upstream',
  object: 'chat.completion',
  created: 1,
  model: 'llama3.2',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
})

const sse = (res: http.ServerResponse, chunks: unknown[], done = true) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' })
  for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`)
  if (done) res.end('data: [DONE]\n\n')
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: 'chatcmpl-upstream',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'llama3.2',
  choices: [{ index: 0, delta, finish_reason: finish }],
})

type Msg = { role: string; content?: string | null }
const toolMessage = (seen: Seen) =>
  (seen.body?.messages as Msg[] | undefined)?.find((m) => m.role === 'tool')

/**
 * The scripted model: asked without a tool result, it calls get_summary for today; given one,
 * it answers with the total it read there.
 */
const summaryModel: Handler = (seen, res) => {
  if (seen.url === '/v1/models') {
    json(res, {
      object: 'list',
      data: [{ id: 'llama3.2', object: 'model', created: 1, owned_by: 'me' }],
    })
    return
  }
  const result = toolMessage(seen)
  if (!result) {
    json(
      res,
      completion(
        {
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: {
                name: 'get_summary',
                arguments: '{"period":"today","groupBy":"project"}',
              },
            },
          ],
        },
        'tool_calls',
      ),
    )
    return
  }
  const total = /"totalSeconds":(\d+)/.exec(result.content ?? '')?.[1] ?? 'unknown'
  json(res, completion({ content: `You were active ${total} seconds today.` }))
}

/** The app on a real socket with a day of activity (UTC), logging into `logs`. */
async function daemon(
  t: TestContext,
  options: StartOptions = {},
): Promise<TestApp & { port: number; base: string; logs: string[]; total: number }> {
  const logs: string[] = []
  const started = await startApp(t, {
    now: NOW,
    keys: { 'read-only-key': 'read_only', 'data-key': 'data' },
    logger: { level: 'debug', stream: { write: (line: string) => void logs.push(line) } },
    ...options,
  })
  const { call } = started
  await call({ method: 'PUT', url: '/v1/settings', payload: { timezone: 'UTC' } })
  await call({
    method: 'POST',
    url: '/v1/events',
    payload: [
      eventInput({ timestamp: '2025-09-11T09:00:00Z', end_timestamp: '2025-09-11T10:30:00Z' }),
      eventInput({
        timestamp: '2025-09-11T11:00:00Z',
        end_timestamp: '2025-09-11T11:20:00Z',
        project_name: 'notes',
      }),
    ],
  })
  const total = Number((await call({ method: 'GET', url: '/v1/summary/total?preset=today' })).body)
  assert.equal(total, 110 * 60)
  await started.app.listen({ port: 0, host: '127.0.0.1' })
  const port = (started.app.server.address() as AddressInfo).port
  return { ...started, port, base: `http://127.0.0.1:${port}/v1`, logs, total }
}

async function configure(d: TestApp, baseUrl: string) {
  const res = await d.call({
    method: 'POST',
    url: '/v1/settings/llm-config',
    payload: { baseUrl, model: 'llama3.2', apiKey: KEY },
  })
  assert.equal(res.statusCode, 200, res.body)
}

const post = (d: { port: number }, path: string, token: string, body: unknown) =>
  request(
    { port: d.port },
    {
      method: 'POST',
      path,
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    },
  )

test('no model server configured: 503 in OpenAI shape naming the setting and the variables', async (t) => {
  const d = await daemon(t)
  const res = await post(d, '/v1/chat/completions', d.token, {
    model: 'daybook',
    messages: [{ role: 'user', content: 'hi' }],
  })
  assert.equal(res.status, 503)
  const { error } = JSON.parse(res.body)
  assert.equal(error.code, 'llm_not_configured')
  assert.equal(error.type, 'server_error')
  assert.match(error.message, /\/v1\/settings\/llm-config/)
  assert.match(error.message, /DAYBOOK_LLM_BASE_URL, DAYBOOK_LLM_MODEL and DAYBOOK_LLM_API_KEY/)
  const models = await request(
    { port: d.port },
    { path: '/v1/models', headers: { authorization: `Bearer ${d.token}` } },
  )
  assert.equal(models.status, 503)
  const status = await d.call({ method: 'GET', url: '/v1/llm/server/status' })
  assert.deepEqual(status.json(), {
    configured: false,
    baseUrl: null,
    model: null,
    reachable: null,
    models: [],
    error: null,
  })
  // A bad body is a 4xx in OpenAI's shape too; a read_only token may not chat.
  const bad = await post(d, '/v1/chat/completions', d.token, { messages: [] })
  assert.equal(bad.status, 422)
  assert.equal(JSON.parse(bad.body).error.type, 'invalid_request_error')
  const ro = await post(d, '/v1/chat/completions', 'read-only-key', {
    messages: [{ role: 'user', content: 'x' }],
  })
  assert.equal(ro.status, 403)
  assert.equal(JSON.parse(ro.body).error.code, 'forbidden')
  const none = await request(
    { port: d.port },
    { method: 'POST', path: '/v1/chat/completions', body: '{}' },
  )
  assert.equal(none.status, 401)
  assert.equal(JSON.parse(none.body).error.type, 'authentication_error')
})

test('the settings: the key is never returned or logged, and is stored 0600', async (t) => {
  const d = await daemon(t, { llm: { environment: { model: 'from-env' } } })
  const file = path.join(d.dir, 'config', 'llm.json')
  const d2 = await daemon(t, { llm: { configFile: file, environment: { model: 'from-env' } } })
  const before = (await d2.call({ method: 'GET', url: '/v1/settings/llm-config' })).json()
  assert.deepEqual(before, {
    baseUrl: null,
    model: 'from-env',
    apiKeySet: false,
    source: { baseUrl: null, model: 'environment', apiKey: null },
  })
  const set = await d2.call({
    method: 'POST',
    url: '/v1/settings/llm-config',
    payload: { baseUrl: 'http://127.0.0.1:11434/v1/', apiKey: KEY },
  })
  assert.equal(set.statusCode, 200, set.body)
  assert.ok(!set.body.includes(KEY))
  const view = (await d2.call({ method: 'GET', url: '/v1/settings/llm-config' })).json()
  assert.deepEqual(view, {
    baseUrl: 'http://127.0.0.1:11434/v1',
    model: 'from-env',
    apiKeySet: true,
    source: { baseUrl: 'settings', model: 'environment', apiKey: 'settings' },
  })
  assert.equal(statSync(file).mode & 0o777, 0o600)
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).apiKey, KEY)
  // read_only reads the settings (no key in them) but may not change them.
  const ro = await d2.app.inject({
    method: 'GET',
    url: '/v1/settings/llm-config',
    headers: { authorization: 'Bearer read-only-key' },
  })
  assert.equal(ro.statusCode, 200)
  const roSet = await d2.app.inject({
    method: 'POST',
    url: '/v1/settings/llm-config',
    headers: { authorization: 'Bearer read-only-key' },
    payload: { apiKey: 'x' },
  })
  assert.equal(roSet.statusCode, 403)
  for (const payload of [
    { baseUrl: 'ftp://host/v1' },
    { baseUrl: 'http://user:pass@host/v1' },
    { baseUrl: 'not a url' },
    { apiKey: 'two words' },
    // Not sendable in a header: every chat request was a 502.
    { apiKey: 'sk-clé' },
    { apiKey: 'sk-𝄞' },
    { other: 1 },
  ]) {
    const res = await d2.call({ method: 'POST', url: '/v1/settings/llm-config', payload })
    assert.ok([400, 422].includes(res.statusCode), `${JSON.stringify(payload)}: ${res.body}`)
  }
  assert.equal(
    JSON.parse(readFileSync(file, 'utf8')).apiKey,
    KEY,
    'refused changes changed nothing',
  )
  // Removing the stored model lets the environment's apply again.
  const cleared = await d2.call({
    method: 'POST',
    url: '/v1/settings/llm-config',
    payload: { apiKey: null },
  })
  assert.equal(cleared.json().apiKeySet, false)
  assert.ok(![...d.logs, ...d2.logs].some((line) => line.includes(KEY)), 'the key is never logged')
})

test('grounding: the model asks for get_summary, Daybook runs it and the answer holds its number', async (t) => {
  const d = await daemon(t)
  const up = await upstream(t, summaryModel)
  await configure(d, up.baseUrl)
  const res = await post(d, '/v1/chat/completions', d.token, {
    model: 'daybook',
    messages: [{ role: 'user', content: 'How long did I work today?' }],
    temperature: 0.1,
  })
  assert.equal(res.status, 200, res.body)
  const body = JSON.parse(res.body)
  assert.equal(body.choices[0].message.content, `You were active ${d.total} seconds today.`)
  assert.deepEqual(body.usage, { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 })

  assert.equal(up.seen.length, 2)
  const [first, second] = up.seen as [Seen, Seen]
  assert.equal(first.url, '/v1/chat/completions')
  assert.equal(first.headers.authorization, `Bearer ${KEY}`)
  assert.equal(first.body?.model, 'llama3.2')
  assert.equal(first.body?.temperature, 0.1)
  const names = (first.body?.tools as { function: { name: string } }[]).map((x) => x.function.name)
  assert.ok(names.includes('get_summary') && names.includes('create_label'), names.join())
  const messages = first.body?.messages as Msg[]
  assert.equal(messages[0]?.role, 'system')
  assert.match(messages[0]?.content ?? '', /UTC/)
  // The tool's result went back to the model, with the number of /v1/summary/total.
  assert.match(toolMessage(second)?.content ?? '', new RegExp(`"totalSeconds":${d.total}\\b`))
  assert.ok(!d.logs.some((line) => line.includes(KEY)), 'the key is never logged')
})

test('the official openai client against Daybook: models, a grounded answer, a streamed one, a bad key', async (t) => {
  const d = await daemon(t)
  const up = await upstream(t, (seen, res) => {
    if (seen.body?.stream !== true) return summaryModel(seen, res)
    const result = toolMessage(seen)
    if (!result) {
      sse(res, [
        chunk({
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              index: 0,
              id: 'call_9',
              type: 'function',
              function: { name: 'get_summary', arguments: '' },
            },
          ],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"period":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"today"}' } }] }),
        chunk({}, 'tool_calls'),
      ])
      return
    }
    const total = /"totalSeconds":(\d+)/.exec(result.content ?? '')?.[1] ?? 'unknown'
    sse(res, [
      chunk({ role: 'assistant', content: 'You were ' }),
      chunk({ content: `active ${total} seconds.` }),
      chunk({}, 'stop'),
    ])
  })
  await configure(d, up.baseUrl)
  const client = new OpenAI({ baseURL: d.base, apiKey: d.token, maxRetries: 0 })

  const models = await client.models.list()
  assert.deepEqual(
    models.data.map((m) => m.id),
    ['daybook', 'llama3.2'],
  )
  const answer = await client.chat.completions.create({
    model: 'daybook',
    messages: [{ role: 'user', content: 'How long today?' }],
  })
  assert.equal(answer.choices[0]?.message.content, `You were active ${d.total} seconds today.`)

  const stream = await client.chat.completions.create({
    model: 'daybook',
    stream: true,
    messages: [{ role: 'user', content: 'How long today?' }],
  })
  let text = ''
  const finishes: (string | null)[] = []
  for await (const part of stream) {
    assert.equal(part.object, 'chat.completion.chunk')
    text += part.choices[0]?.delta.content ?? ''
    finishes.push(part.choices[0]?.finish_reason ?? null)
  }
  assert.equal(text, `You were active ${d.total} seconds.`)
  assert.equal(finishes.at(-1), 'stop')

  // The raw stream ends with [DONE].
  const raw = await post(d, '/v1/chat/completions', d.token, {
    stream: true,
    messages: [{ role: 'user', content: 'How long today?' }],
  })
  assert.equal(raw.status, 200)
  assert.match(raw.headers['content-type'] ?? '', /^text\/event-stream/)
  assert.ok(raw.body.endsWith('data: [DONE]\n\n'), raw.body)

  const wrong = new OpenAI({ baseURL: d.base, apiKey: 'sk-wrong', maxRetries: 0 })
  await assert.rejects(wrong.models.list(), (err: { status?: number }) => err.status === 401)
})

test('a client with its own tools is passed through unchanged, streamed or not', async (t) => {
  const d = await daemon(t)
  const tools = [
    { type: 'function', function: { name: 'weather', parameters: { type: 'object' } } },
  ]
  const up = await upstream(t, (seen, res) => {
    if (seen.body?.stream === true) {
      sse(res, [chunk({ role: 'assistant', content: 'pass' }), chunk({ content: 'ed' }, 'stop')])
    } else {
      json(
        res,
        completion(
          {
            content: null,
            tool_calls: [
              { id: 'c', type: 'function', function: { name: 'weather', arguments: '{}' } },
            ],
          },
          'tool_calls',
        ),
      )
    }
  })
  await configure(d, up.baseUrl)
  const messages = [{ role: 'user', content: 'weather?' }]
  const res = await post(d, '/v1/chat/completions', d.token, { model: 'llama3.2', messages, tools })
  assert.equal(res.status, 200, res.body)
  assert.equal(JSON.parse(res.body).choices[0].message.tool_calls[0].function.name, 'weather')
  assert.deepEqual(up.seen[0]?.body, { model: 'llama3.2', messages, tools, stream: false })

  const streamed = await post(d, '/v1/chat/completions', d.token, {
    model: 'llama3.2',
    messages,
    tools,
    stream: true,
  })
  const datas = streamed.body
    .split('\n\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6))
  assert.equal(datas.at(-1), '[DONE]')
  assert.deepEqual(JSON.parse(datas[0] ?? '{}'), chunk({ role: 'assistant', content: 'pass' }))
  assert.deepEqual(up.seen[1]?.body, { model: 'llama3.2', messages, tools, stream: true })
})

test("skill-daemon's path takes {messages, params}", async (t) => {
  const d = await daemon(t)
  const up = await upstream(t, (_seen, res) => json(res, completion({ content: 'hello' })))
  await configure(d, up.baseUrl)
  const res = await post(d, '/v1/llm/chat-completions', d.token, {
    messages: [{ role: 'user', content: 'hi' }],
    params: { temperature: 0.3 },
  })
  assert.equal(res.status, 200, res.body)
  assert.equal(JSON.parse(res.body).choices[0].message.content, 'hello')
  assert.equal(up.seen[0]?.body?.temperature, 0.3)
  assert.equal(up.seen[0]?.body?.model, 'llama3.2')
})

/** Starts a streamed chat whose model sends one chunk and then holds the request open. */
async function holdingStream(t: TestContext) {
  const d = await daemon(t)
  const up = await upstream(t, (_seen, res) =>
    sse(res, [chunk({ role: 'assistant', content: 'thinking' })], false),
  )
  await configure(d, up.baseUrl)
  let received = ''
  let firstChunk: () => void = () => undefined
  const gotFirst = new Promise<void>((resolve) => (firstChunk = resolve))
  const req = http.request({
    host: '127.0.0.1',
    port: d.port,
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
  })
  const ended = new Promise<void>((resolve) => {
    req.on('response', (res) => {
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        received += c
        if (received.includes('thinking')) firstChunk()
      })
      res.on('end', resolve)
      res.on('error', () => resolve())
    })
  })
  req.on('error', () => undefined)
  req.end(
    JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'long answer please' }] }),
  )
  await gotFirst
  return { d, up, req, ended, received: () => received }
}

test('a client that goes away stops the model server request', async (t) => {
  const { up, req } = await holdingStream(t)
  req.destroy()
  await up.seen[0]?.closed
})

test('POST /v1/llm/abort-stream stops the generation: the model server request closes, the stream ends', async (t) => {
  const { d, up, ended, received } = await holdingStream(t)
  const other = await post(d, '/v1/llm/abort-stream', 'data-key', {})
  assert.deepEqual(
    JSON.parse(other.body),
    { aborted: 0 },
    "another token's generations are not its",
  )
  const res = await post(d, '/v1/llm/abort-stream', d.token, {})
  assert.equal(res.status, 200, res.body)
  assert.deepEqual(JSON.parse(res.body), { aborted: 1 })
  await up.seen[0]?.closed
  await ended
  assert.ok(received().endsWith('data: [DONE]\n\n'), received())
})

/** Timers keeping this process alive (the ones a daemon's clean stop waits for). */
const heldByTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

test('a chat stopped before the model server answered leaves no timer behind: the daemon can stop', async (t) => {
  // The model server takes the request and never answers (the daemon's silence limit is 5 min).
  let arrived: () => void = () => undefined
  const asked = new Promise<void>((resolve) => (arrived = resolve))
  const up = await upstream(t, () => arrived())
  const before = heldByTimers()
  const d = await daemon(t)
  await configure(d, up.baseUrl)
  const messages = [{ role: 'user', content: 'hi' }]
  const chat = post(d, '/v1/chat/completions', d.token, { messages })
  await asked
  const stopped = await post(d, '/v1/llm/abort-stream', d.token, {})
  assert.deepEqual(JSON.parse(stopped.body), { aborted: 1 })
  const res = await chat
  assert.equal(JSON.parse(res.body).error.code, 'generation_aborted', res.body)
  await up.seen[0]?.closed
  await d.app.close()
  // The request's silence timer was left running: `daybook serve` exited only when it fired, five
  // minutes after the chat (the fuzzer's runs that took five minutes more).
  // (At most as many as before: a timer of an earlier test may have fired meanwhile.)
  assert.ok(heldByTimers() <= before, process.getActiveResourcesInfo().join(', '))
})

test('model server unreachable: 502 naming the host; too slow: 504; refusing the key: 502', async (t) => {
  // A port that was free a moment ago and is closed now.
  const probe = http.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const deadPort = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const d = await daemon(t, { llm: { timeoutMs: 300 } })
  await configure(d, `http://127.0.0.1:${deadPort}/v1`)
  const messages = [{ role: 'user', content: 'hi' }]
  const unreachable = await post(d, '/v1/chat/completions', d.token, { messages })
  assert.equal(unreachable.status, 502)
  const e1 = JSON.parse(unreachable.body).error
  assert.equal(e1.code, 'upstream_unreachable')
  assert.match(e1.message, new RegExp(`127\\.0\\.0\\.1:${deadPort}`))
  const status = (await d.call({ method: 'GET', url: '/v1/llm/server/status' })).json()
  assert.equal(status.reachable, false)
  assert.match(status.error, /cannot reach/)

  // The model server never answers: the (shortened) timeout gives a 504.
  const silent = await upstream(t, () => undefined)
  await configure(d, silent.baseUrl)
  const slow = await post(d, '/v1/chat/completions', d.token, { messages })
  assert.equal(slow.status, 504)
  assert.equal(JSON.parse(slow.body).error.code, 'upstream_timeout')
  await silent.seen[0]?.closed

  const refusing = await upstream(t, (_s, res) =>
    json(res, { error: { message: `Incorrect API key provided: ${KEY}` } }, 401),
  )
  await configure(d, refusing.baseUrl)
  const refused = await post(d, '/v1/chat/completions', d.token, { messages })
  assert.equal(refused.status, 502)
  assert.equal(JSON.parse(refused.body).error.code, 'upstream_refused')
  assert.ok(!refused.body.includes(KEY))
  assert.ok(!d.logs.some((line) => line.includes(KEY)), 'the key is never logged')
})

test('the API document describes the chat, the timeline and the model server settings', async (t) => {
  const { call } = await startApp(t)
  const doc = (await call({ method: 'GET', url: '/v1/openapi.json' })).json<{
    paths: Record<string, Record<string, unknown>>
  }>()
  for (const [route, method] of [
    ['/v1/chat/completions', 'post'],
    ['/v1/llm/chat-completions', 'post'],
    ['/v1/models', 'get'],
    ['/v1/llm/abort-stream', 'post'],
    ['/v1/llm/server/status', 'get'],
    ['/v1/settings/llm-config', 'get'],
    ['/v1/settings/llm-config', 'post'],
    ['/v1/timeline', 'get'],
  ] as const) {
    assert.ok(doc.paths[route]?.[method], `${method.toUpperCase()} ${route} is documented`)
  }
  // POST /mcp is JSON-RPC (the MCP specification describes it), outside /v1: not in the document.
  assert.equal(doc.paths['/mcp'], undefined)
})
