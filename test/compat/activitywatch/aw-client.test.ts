/**
 * ActivityWatch's own JavaScript client, `aw-client@0.3.7` from npm, against the real daemon
 * (`daybook serve --aw`) over real sockets; then the package's own mocha suite against a daemon
 * serving the open API on the client's testing port. The client lives in its own package
 * (`test/compat/activitywatch/client`, installed by `.ci/run`); without it the tests skip.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import { test } from 'node:test'
import { awPort, startDaemon } from '../../daemon.ts'

const CLIENT_DIR = path.join(import.meta.dirname, 'client')
const INSTALLED = existsSync(path.join(CLIENT_DIR, 'node_modules', 'aw-client', 'package.json'))
const SKIP = INSTALLED
  ? false
  : `aw-client is not installed: run npm ci --prefix ${path.relative(process.cwd(), CLIENT_DIR)}`

interface AwEventIn {
  id?: number
  timestamp: Date
  duration: number
  data: Record<string, unknown>
}
interface AWClientType {
  req: { defaults: { headers: { common: Record<string, string> } } }
  getInfo(): Promise<{ hostname: string; testing: boolean }>
  ensureBucket(id: string, type: string, hostname: string): Promise<{ alreadyExist: boolean }>
  getBuckets(): Promise<Record<string, { id: string; created: Date }>>
  getBucketInfo(id: string): Promise<{ id: string; type: string; client: string; created: Date }>
  deleteBucket(id: string): Promise<unknown>
  heartbeat(id: string, pulsetime: number, e: AwEventIn): Promise<void>
  insertEvent(id: string, e: AwEventIn): Promise<void>
  insertEvents(id: string, e: AwEventIn[]): Promise<void>
  replaceEvent(id: string, e: AwEventIn): Promise<void>
  getEvents(
    id: string,
    params?: { start?: Date; end?: Date; limit?: number },
  ): Promise<(AwEventIn & { id: number })[]>
  getEvent(id: string, eid: number): Promise<AwEventIn & { id: number }>
  countEvents(id: string, start?: Date, end?: Date): Promise<unknown>
  deleteEvent(id: string, eid: number): Promise<unknown>
  query(periods: { start: Date; end: Date }[], q: string[]): Promise<unknown[]>
  get_settings(): Promise<Record<string, unknown>>
  get_setting(key: string): Promise<unknown>
  set_setting(key: string, value: unknown): Promise<unknown>
}
type AWClientCtor = new (
  name: string,
  options: { baseURL?: string; testing?: boolean },
) => AWClientType

function loadClient(): AWClientCtor {
  const require = createRequire(path.join(CLIENT_DIR, 'package.json'))
  return (require('aw-client') as { AWClient: AWClientCtor }).AWClient
}

function status(err: unknown): number | undefined {
  return (err as { response?: { status?: number } }).response?.status
}

/** A raw request over the socket, for headers a client library would not send. */
function raw(
  port: number,
  opts: http.RequestOptions,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...opts }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

test('aw-client@0.3.7 against daybook serve --aw', { skip: SKIP }, async (t) => {
  const d = await startDaemon(t, ['--aw', '--aw-port', '0'])
  const port = await awPort(d)
  const AWClient = loadClient()
  const anon = new AWClient('daybook-test', { baseURL: `http://127.0.0.1:${port}` })
  // As ActivityWatch's web UI does: the token goes into the client's axios defaults.
  const client = new AWClient('daybook-test', { baseURL: `http://127.0.0.1:${port}` })
  client.req.defaults.headers.common.Authorization = `Bearer ${d.token}`

  const info = await anon.getInfo()
  assert.equal(info.testing, false)
  const bucket = `aw-watcher-window_${info.hostname}`
  // ensureBucket twice: created, then the 304 path.
  assert.deepEqual(await anon.ensureBucket(bucket, 'currentwindow', info.hostname), {
    alreadyExist: false,
  })
  assert.deepEqual(await anon.ensureBucket(bucket, 'currentwindow', info.hostname), {
    alreadyExist: true,
  })
  const buckets = await anon.getBuckets()
  assert.ok(buckets[bucket]?.created instanceof Date)

  // 10 heartbeats within 5 s with pulsetime 5: one event.
  // On a whole second: the timeline rounds times to whole seconds, so where a 4.5 s event starts
  // within its second would decide whether it counts 4 s or 5 s.
  const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000)
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      anon.heartbeat(bucket, 5, {
        timestamp: new Date(start.getTime() + i * 500),
        duration: 0,
        data: { app: 'Code', title: 'daybook' },
      }),
    ),
  )
  const events = await client.getEvents(bucket)
  assert.equal(events.length, 1)
  assert.equal(events[0]?.duration, 4.5)
  // Unauthenticated reads are refused.
  await assert.rejects(anon.getEvents(bucket), (err) => status(err) === 401)

  // Inserts, replace by id (a token), get one, count, delete.
  await anon.insertEvents(bucket, [
    {
      timestamp: new Date(start.getTime() - 30_000),
      duration: 10,
      data: { app: 'Mail', title: 'Inbox' },
    },
    {
      timestamp: new Date(start.getTime() - 20_000),
      duration: 5,
      data: { app: 'Chat', title: 'Team' },
    },
  ])
  const all = await client.getEvents(bucket)
  assert.deepEqual(
    all.map((e) => e.data.app),
    ['Code', 'Chat', 'Mail'],
  )
  const mail = all[2] as AwEventIn & { id: number }
  await assert.rejects(
    anon.replaceEvent(bucket, { ...mail, data: { app: 'Mail', title: 'Drafts' } }),
    (err) => status(err) === 401,
  )
  await client.replaceEvent(bucket, { ...mail, data: { app: 'Mail', title: 'Drafts' } })
  assert.equal((await client.getEvent(bucket, mail.id)).data.title, 'Drafts')
  assert.equal(await client.countEvents(bucket), 3)
  await client.deleteEvent(bucket, mail.id)
  assert.equal(await client.countEvents(bucket), 2)
  assert.equal((await client.getEvents(bucket, { limit: 1 })).length, 1)

  // The heartbeats and inserts are in the timeline: 4.5 s of Code (its end rounded to the
  // nearest second: 5 s) and 5 s of Chat.
  const total = await fetch(
    `http://127.0.0.1:${d.discovery.port}/v1/summary/total?start=${encodeURIComponent(new Date(start.getTime() - 3_600_000).toISOString())}&end=${encodeURIComponent(new Date().toISOString())}`,
    { headers: { authorization: `Bearer ${d.token}` } },
  )
  assert.equal(total.status, 200)
  assert.equal(await total.json(), 10)

  // Query (cached client side for ended periods, so it is asked once).
  const result = await client.query(
    [{ start: new Date(start.getTime() - 3_600_000), end: new Date() }],
    [`events = query_bucket("${bucket}");`, 'RETURN = sum_durations(events);'],
  )
  assert.deepEqual(result, [9.5])

  // Settings: 0.3.7 posts strings raw (form-encoded); objects as JSON.
  await client.set_setting('startOfDay', '04:00')
  await client.set_setting('classes', [{ name: ['Work'], rule: { type: 'regex', regex: 'Code' } }])
  assert.equal(await client.get_setting('startOfDay'), '04:00')
  assert.deepEqual(await client.get_settings(), {
    classes: [{ name: ['Work'], rule: { regex: 'Code', type: 'regex' } }],
    startOfDay: '04:00',
  })
  await assert.rejects(anon.get_settings(), (err) => status(err) === 401)

  // Host rebinding and foreign origins are refused on the real socket; the extension is served.
  const rebound = await raw(port, {
    path: '/api/0/info',
    headers: { host: 'attacker.example:5600' },
  })
  assert.deepEqual(
    [rebound.status, JSON.parse(rebound.body)],
    [400, { message: 'Host header is invalid' }],
  )
  const foreign = await raw(port, {
    path: '/api/0/buckets/',
    headers: { origin: 'https://attacker.example' },
  })
  assert.equal(foreign.status, 403)
  const extension = await raw(port, {
    path: '/api/0/info',
    headers: { origin: 'chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi' },
  })
  assert.equal(extension.status, 200)

  await assert.rejects(anon.deleteBucket(bucket), (err) => status(err) === 401)
  await client.deleteBucket(bucket)
  assert.equal(bucket in (await anon.getBuckets()), false)
})

/**
 * A mocha `--require` file that points the suite's clients at `url`: the suite builds them with
 * `testing: true`, which would mean ActivityWatch's fixed testing port, 5666, busy or not.
 */
function clientAt(dir: string, url: string): string {
  const file = path.join(dir, 'aw-client-at.cjs')
  const module = path.join(CLIENT_DIR, 'node_modules', 'aw-client', 'out', 'aw-client.js')
  writeFileSync(
    file,
    `const aw = require(${JSON.stringify(module)})
const AWClient = aw.AWClient
aw.AWClient = class extends AWClient {
  constructor(name, options = {}) { super(name, { ...options, baseURL: ${JSON.stringify(url)} }) }
}
`,
  )
  return file
}

test("aw-client@0.3.7's own mocha suite passes against the open API", { skip: SKIP }, async (t) => {
  // The suite talks to the open API, without a token.
  const d = await startDaemon(t, ['--aw', '--aw-port', '0', '--aw-open'])
  const port = await awPort(d)
  assert.match(d.stderr(), /--aw-open: the ActivityWatch API .* without a token/)
  const preload = clientAt(d.dataDir, `http://127.0.0.1:${port}`)
  const mocha = path.join(CLIENT_DIR, 'node_modules', 'mocha', 'bin', 'mocha.js')
  const suite = path.join(CLIENT_DIR, 'node_modules', 'aw-client', 'out', 'test', 'test.js')
  // Left out: "info", which asserts the server runs in ActivityWatch's testing mode.
  const child = spawn(
    process.execPath,
    [
      mocha,
      '--require',
      preload,
      '--grep',
      '^Basic API usage info$',
      '--invert',
      // No per-test deadline of mocha's own: this test's timeout bounds the suite.
      '--timeout',
      '0',
      suite,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  let output = ''
  child.stdout.on('data', (b: Buffer) => (output += b.toString()))
  child.stderr.on('data', (b: Buffer) => (output += b.toString()))
  assert.equal(await exited, 0, output)
  assert.match(output, /7 passing/)
})
