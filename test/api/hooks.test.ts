/**
 * Hooks through the HTTP API on a real database: rules replaced as a whole and every bad shape
 * refused naming the rule and the field, firing driven by posted activity and by a moved clock,
 * each action for real (a webhook receiver that checks the signature, a command that writes a
 * file, a notifier program, labels, the WebSocket stream), once per crossing across a restart,
 * the cooldown, do-not-disturb, the log, the test route and the suggestions.
 */
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import WebSocket from 'ws'
import { benchRules } from '../../bench/hooks.ts'
import {
  type StartOptions,
  type TestApp,
  type TestScope,
  eventInput,
  sharedApp,
  startApp,
  tempDir,
} from '../helpers.ts'

const NOW = Date.parse('2025-09-11T10:00:00Z')
const MIN = 60_000
const iso = (ms: number) => new Date(ms).toISOString()

/** An app on a UTC calendar whose hooks evaluate after every commit at once. */
async function hooksApp(t: TestScope, options: StartOptions = {}): Promise<TestApp> {
  const app = await startApp(t, {
    now: NOW,
    ...options,
    hooks: { settleMs: 0, webhookBackoffMs: 10, ...options.hooks },
  })
  const res = await app.call({ method: 'PUT', url: '/v1/settings', payload: { timezone: 'UTC' } })
  assert.equal(res.statusCode, 200, res.body)
  return app
}

/** Editor activity from `fromMs` for `minutes`, as one event of app `app`. */
function activity(fromMs: number, minutes: number, o: Record<string, unknown> = {}) {
  return eventInput({
    timestamp: iso(fromMs),
    end_timestamp: iso(fromMs + minutes * MIN),
    duration: minutes * 60,
    ...o,
  })
}

async function post(app: TestApp, url: string, payload: unknown) {
  return app.call({ method: 'POST', url, payload: payload as Record<string, unknown> })
}

async function setRules(app: TestApp, rules: unknown[]) {
  const res = await post(app, '/v1/hooks', rules)
  assert.equal(res.statusCode, 200, res.body)
  return res.json<unknown[]>()
}

/** Posts events and waits until the hooks have evaluated them and their actions finished. */
async function ingest(app: TestApp, events: unknown[]) {
  const res = await post(app, '/v1/events', events)
  assert.equal(res.statusCode, 200, res.body)
  await app.app.daybook.hooks.idle()
}

/** Moves the daemon's clock and evaluates as the timer would. */
async function tick(app: TestApp, ms: number) {
  app.setNow(ms)
  await app.app.daybook.hooks.evaluate()
  await app.app.daybook.hooks.idle()
}

interface LogEntry {
  id: number
  hookId: string
  firedAt: string
  payload: Record<string, unknown> & {
    crossedAt: string
    activity: Record<string, unknown> | null
    test: boolean
  }
  actions: {
    kind: string
    ok: boolean | null
    status: number | string | null
    error: string | null
    durationMs: number
    attempts?: number
    output?: string
  }[]
}

async function log(app: TestApp, body: Record<string, unknown> = {}): Promise<LogEntry[]> {
  const res = await post(app, '/v1/hooks/log', body)
  assert.equal(res.statusCode, 200, res.body)
  return res.json<LogEntry[]>()
}

const breakRule = (then: unknown[], o: Record<string, unknown> = {}) => ({
  id: 'code',
  name: 'Coding stretch',
  when: { kind: 'activity', match: { app: ['code'] }, minutes: 50 },
  then,
  ...o,
})

/** A receiver of webhooks on a free port: every request it got, and what it answers. */
async function receiver(t: TestContext, answer: (n: number) => number = () => 204) {
  const got: { headers: http.IncomingHttpHeaders; body: string }[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (body += c))
    req.on('end', () => {
      got.push({ headers: req.headers, body })
      res.statusCode = answer(got.length)
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, server }
}

describe('rules', () => {
  test('replaced as a whole, listed with their defaults, and refused as a whole', async (t) => {
    const app = await hooksApp(t)
    assert.deepEqual((await app.call({ method: 'GET', url: '/v1/hooks' })).json(), [])
    const rules = await setRules(app, [
      breakRule([{ kind: 'stream' }]),
      {
        id: 'social',
        when: { kind: 'budget', match: { url: '(reddit|youtube)\\.com' }, minutes: 30 },
        then: [{ kind: 'notify', dnd: 'drop' }],
        cooldownMinutes: 60,
        enabled: false,
      },
    ])
    const expected = [
      {
        id: 'code',
        name: 'Coding stretch',
        enabled: true,
        when: { kind: 'activity', match: { app: ['code'] }, minutes: 50 },
        then: [{ kind: 'stream' }],
        cooldownMinutes: 0,
      },
      {
        id: 'social',
        name: 'social',
        enabled: false,
        when: { kind: 'budget', match: { url: '(reddit|youtube)\\.com' }, minutes: 30 },
        then: [{ kind: 'notify', dnd: 'drop' }],
        cooldownMinutes: 60,
      },
    ]
    assert.deepEqual(rules, expected)
    assert.deepEqual((await app.call({ method: 'GET', url: '/v1/hooks' })).json(), expected)
    // One bad rule among good ones: nothing is replaced.
    const res = await post(app, '/v1/hooks', [
      breakRule([{ kind: 'stream' }], { id: 'fine' }),
      breakRule([{ kind: 'webhook', url: 'ftp://example.com/x' }], { id: 'bad' }),
    ])
    assert.equal(res.statusCode, 422)
    assert.deepEqual(res.json(), {
      code: 'invalid_hook',
      message: 'hook "bad": then.0.url must be an http or https URL, got ftp',
      field: 'body/1/then/0/url',
    })
    assert.deepEqual((await app.call({ method: 'GET', url: '/v1/hooks' })).json(), expected)
    await setRules(app, [])
    assert.deepEqual((await app.call({ method: 'GET', url: '/v1/hooks' })).json(), [])
  })

  test('the rules `npm run bench -- --hooks 20` installs are accepted', async (t) => {
    const app = await hooksApp(t)
    const rules = await setRules(app, benchRules(20))
    assert.equal(rules.length, 20)
  })

  const good = breakRule([{ kind: 'stream' }], { id: 'r1' })
  const bad: [string, unknown, number, string, RegExp][] = [
    ['not a list', { id: 'x' }, 422, 'body', /must be array/],
    [
      'an unknown field',
      [{ ...good, colour: 'red' }],
      422,
      'body/0/colour',
      /"r1".*not a known field/,
    ],
    ['no id', [{ when: good.when, then: good.then }], 422, 'body/0/id', /at 0.*id is required/],
    ['a bad id', [{ ...good, id: 'a b' }], 422, 'body/0/id', /"a b": body\/0\/id must match/],
    [
      'an unknown kind',
      [{ ...good, when: { kind: 'sometimes', minutes: 3 } }],
      422,
      'body/0/when/kind',
      /one of activity, budget/,
    ],
    [
      'minutes out of range',
      [{ ...good, when: { kind: 'activity', minutes: 0 } }],
      422,
      'body/0/when/minutes',
      /must be >= 1/,
    ],
    [
      'minutes not a number',
      [{ ...good, when: { kind: 'activity', minutes: '50' } }],
      422,
      'body/0/when/minutes',
      /must be integer/,
    ],
    [
      'an unknown match field',
      [{ ...good, when: { kind: 'activity', minutes: 5, match: { window: 'x' } } }],
      422,
      'body/0/when/match/window',
      /not a known field/,
    ],
    [
      'a match of another type',
      [{ ...good, when: { kind: 'activity', minutes: 5, match: { app: 3 } } }],
      422,
      'body/0/when/match/app',
      /regular expression .* or a list/,
    ],
    [
      'a bad regex',
      [{ ...good, when: { kind: 'activity', minutes: 5, match: { title: '[' } } }],
      422,
      'body/0/when/match/title',
      /not a valid regular expression/,
    ],
    [
      'a match field of another kind',
      [{ ...good, when: { kind: 'label', match: { app: 'x' } } }],
      422,
      'body/0/when/match/app',
      /takes text/,
    ],
    [
      'no minutes',
      [{ ...good, when: { kind: 'budget' } }],
      422,
      'body/0/when/minutes',
      /required for a budget rule/,
    ],
    [
      'no breakMinutes',
      [{ ...good, when: { kind: 'no_break', minutes: 50 } }],
      422,
      'body/0/when/breakMinutes',
      /required/,
    ],
    [
      'breakMinutes on another kind',
      [{ ...good, when: { kind: 'activity', minutes: 50, breakMinutes: 5 } }],
      422,
      'body/0/when/breakMinutes',
      /only by no_break/,
    ],
    ['no actions', [{ ...good, then: [] }], 422, 'body/0/then', /at least one action/],
    [
      'too many actions',
      [{ ...good, then: Array.from({ length: 11 }, () => ({ kind: 'stream' })) }],
      422,
      'body/0/then',
      /at most 10|more than 10/,
    ],
    [
      'an unknown action',
      [{ ...good, then: [{ kind: 'email' }] }],
      422,
      'body/0/then/0/kind',
      /one of notify, webhook/,
    ],
    [
      'a field of another action',
      [{ ...good, then: [{ kind: 'stream', url: 'http://x' }] }],
      422,
      'body/0/then/0/url',
      /not a field of a stream action/,
    ],
    [
      'a webhook without url',
      [{ ...good, then: [{ kind: 'webhook' }] }],
      422,
      'body/0/then/0/url',
      /required for a webhook/,
    ],
    [
      'a webhook to file:',
      [{ ...good, then: [{ kind: 'webhook', url: 'file:///etc/passwd' }] }],
      422,
      'body/0/then/0/url',
      /http or https/,
    ],
    [
      'a command without argv',
      [{ ...good, then: [{ kind: 'command' }] }],
      422,
      'body/0/then/0/argv',
      /required/,
    ],
    [
      'a command of a string',
      [{ ...good, then: [{ kind: 'command', argv: 'rm -rf /' }] }],
      422,
      'body/0/then/0/argv',
      /must be array/,
    ],
    [
      'an empty program',
      [{ ...good, then: [{ kind: 'command', argv: [''] }] }],
      422,
      'body/0/then/0/argv/0',
      /name the program/,
    ],
    [
      'a bad dnd policy',
      [{ ...good, then: [{ kind: 'notify', dnd: 'later' }] }],
      422,
      'body/0/then/0/dnd',
      /wait|drop/,
    ],
    [
      'a negative cooldown',
      [{ ...good, cooldownMinutes: -1 }],
      422,
      'body/0/cooldownMinutes',
      /must be >= 0/,
    ],
    ['a duplicate id', [good, good], 422, 'body/1/id', /"r1": id is used by an earlier rule/],
    [
      'a long regex',
      [{ ...good, when: { kind: 'activity', minutes: 5, match: { title: 'x'.repeat(501) } } }],
      422,
      'body/0/when/match/title',
      /regular expression/,
    ],
    [
      'too many rules',
      Array.from({ length: 101 }, (_, i) => ({ ...good, id: `r${i}` })),
      413,
      'body',
      /at most 100|more than 100/,
    ],
  ]
  // Each sets the rules it checks are kept: one app serves the table.
  const shared = sharedApp((scope) => hooksApp(scope))
  for (const [what, body, status, field, message] of bad) {
    test(`refused, naming the rule and the field, changing nothing: ${what}`, async () => {
      const app = await shared()
      await setRules(app, [breakRule([{ kind: 'stream' }], { id: 'kept' })])
      const res = await post(app, '/v1/hooks', body)
      assert.equal(res.statusCode, status, res.body)
      const error = res.json<{ code: string; message: string; field: string }>()
      assert.equal(error.field, field, res.body)
      assert.match(error.message, message)
      const rules = (await app.call({ method: 'GET', url: '/v1/hooks' })).json<{ id: string }[]>()
      assert.deepEqual(
        rules.map((r) => r.id),
        ['kept'],
      )
    })
  }
})

describe('firing', () => {
  test('activity: progress "38 of 50 minutes", then one firing when the stretch crosses 50', async (t) => {
    const app = await hooksApp(t)
    const ws = await streamClient(t, app)
    await setRules(app, [breakRule([{ kind: 'stream' }])])
    const start = NOW - 38 * MIN
    await ingest(app, [activity(start, 38, { app_name: 'Code' })])
    const [status] = (await app.call({ method: 'GET', url: '/v1/hooks/statuses' })).json<
      { id: string; progress: unknown; lastFired: string | null; nextEvaluation: string }[]
    >()
    assert.deepEqual(status?.progress, {
      value: 38,
      threshold: 50,
      met: false,
      text: '38 of 50 minutes without interruption',
    })
    assert.equal(status?.lastFired, null)
    assert.equal(status?.nextEvaluation, '2025-09-11T10:00:15Z')
    // Twelve more minutes: the same event, extended.
    app.setNow(NOW + 12 * MIN)
    await ingest(app, [activity(start, 50, { app_name: 'Code' })])
    const fired = await ws.nextOf('HookFired')
    const entries = await log(app)
    assert.equal(entries.length, 1)
    const [entry] = entries
    assert.equal(entry?.hookId, 'code')
    assert.equal(entry?.payload.crossedAt, '2025-09-11T10:12:00Z')
    assert.equal(entry?.payload.activity?.app, 'Code')
    assert.deepEqual(fired.payload, entry?.payload)
    assert.deepEqual(
      entry?.actions.map((a) => [a.kind, a.ok]),
      [['stream', true]],
    )
    // More of the same stretch: no second firing.
    app.setNow(NOW + 30 * MIN)
    await ingest(app, [activity(start, 68, { app_name: 'Code' })])
    await tick(app, NOW + 31 * MIN)
    assert.equal((await log(app)).length, 1)
    const [after] = (await app.call({ method: 'GET', url: '/v1/hooks/statuses' })).json<
      { lastFired: string; progress: { met: boolean } }[]
    >()
    assert.equal(after?.lastFired, '2025-09-11T10:12:00Z')
    assert.equal(after?.progress.met, true)
  })

  test('time passing: a silent collector, and a project stopped, fire from the timer', async (t) => {
    const app = await hooksApp(t, { now: NOW - 20 * MIN })
    await setRules(app, [
      {
        id: 'silent',
        when: { kind: 'silent_collector', match: { source: 'skopio-vscode' }, minutes: 30 },
        then: [{ kind: 'stream' }],
      },
      {
        id: 'project',
        when: { kind: 'project_switch', match: { project: ['skopio'] }, minutes: 15 },
        then: [{ kind: 'stream' }],
      },
    ])
    app.setNow(NOW)
    await ingest(app, [activity(NOW - 10 * MIN, 10)])
    // The project started (its first event came after the rule was made, within the window).
    assert.deepEqual(
      (await log(app)).map((e) => [
        e.hookId,
        (e.payload.project as { transition: string }).transition,
      ]),
      [['project', 'started']],
    )
    await tick(app, NOW + 14 * MIN)
    assert.equal((await log(app)).length, 1)
    await tick(app, NOW + 15 * MIN)
    await tick(app, NOW + 29 * MIN)
    assert.deepEqual(
      (await log(app)).map((e) => e.hookId),
      ['project', 'project'],
    )
    await tick(app, NOW + 30 * MIN)
    const entries = await log(app)
    assert.deepEqual(
      entries.map((e) => e.hookId),
      ['silent', 'project', 'project'],
    )
    assert.equal(entries[1]?.payload.crossedAt, '2025-09-11T10:15:00Z')
    assert.deepEqual(entries[0]?.payload.collector, {
      source: 'skopio-vscode',
      device: (entries[2]?.payload.activity as { device: string }).device,
      lastSeen: '2025-09-11T10:00:00Z',
    })
    await tick(app, NOW + 45 * MIN)
    assert.equal((await log(app)).length, 3)
  })

  test('the cooldown: crossings within it do not fire, one after it does', async (t) => {
    const app = await hooksApp(t, { now: NOW - 60 * MIN })
    await setRules(app, [
      {
        id: 'back',
        when: { kind: 'back_from_afk', minutes: 10 },
        then: [{ kind: 'stream' }],
        cooldownMinutes: 30,
      },
    ])
    // Back after at least 10 minutes away: four times, three of them within half an hour.
    for (const [now, from] of [
      [-30, -45],
      [-25, -28],
      [-5, -10],
      [20, 5],
    ] as const) {
      app.setNow(NOW + now * MIN)
      await ingest(app, [activity(NOW + from * MIN, 1)])
    }
    assert.deepEqual(
      (await log(app)).map((e) => [e.payload.crossedAt, e.firedAt]),
      [
        ['2025-09-11T10:05:00Z', '2025-09-11T10:20:00Z'],
        ['2025-09-11T09:15:00Z', '2025-09-11T09:30:00Z'],
      ],
    )
  })

  test('a restart between crossing and firing fires once, and a restart after it does not fire again', async (t) => {
    const dir = tempDir(t)
    // A daemon that takes the data but never gets to evaluate it (it stops first).
    const idle = { settleMs: 3_600_000, intervalMs: 3_600_000 }
    const first = await hooksApp(t, { dir, hooks: idle, now: NOW - 60 * MIN })
    await setRules(first, [breakRule([{ kind: 'stream' }])])
    first.setNow(NOW)
    await post(first, '/v1/events', [activity(NOW - 55 * MIN, 55, { app_name: 'Code' })])
    assert.equal((await log(first)).length, 0)
    await first.app.close()
    const second = await hooksApp(t, { dir })
    await second.app.daybook.hooks.idle()
    const entries = await log(second)
    assert.deepEqual(
      entries.map((e) => [e.hookId, e.payload.crossedAt]),
      [['code', '2025-09-11T09:55:00Z']],
    )
    await tick(second, NOW + MIN)
    await second.app.close()
    const third = await hooksApp(t, { dir })
    await tick(third, NOW + 2 * MIN)
    assert.equal((await log(third)).length, 1)
  })

  test('a rule made after a crossing does not fire for it; one turned on again starts watching then', async (t) => {
    const app = await hooksApp(t)
    await ingest(app, [activity(NOW - 55 * MIN, 55, { app_name: 'Code' })])
    await setRules(app, [breakRule([{ kind: 'stream' }])])
    await tick(app, NOW + MIN)
    assert.equal((await log(app)).length, 0)
    await setRules(app, [breakRule([{ kind: 'stream' }], { enabled: false })])
    app.setNow(NOW + 60 * MIN)
    await ingest(app, [activity(NOW + 5 * MIN, 55, { app_name: 'Code' })])
    assert.equal((await log(app)).length, 0)
    await setRules(app, [breakRule([{ kind: 'stream' }])])
    assert.equal((await log(app)).length, 0)
  })
})

describe('actions', () => {
  test('a webhook is signed with the secret, carries the payload and no token', async (t) => {
    const hook = await receiver(t)
    const app = await hooksApp(t)
    await setRules(app, [breakRule([{ kind: 'webhook', url: hook.url, secret: 'shh' }])])
    await ingest(app, [activity(NOW - 50 * MIN, 50, { app_name: 'Code' })])
    assert.equal(hook.got.length, 1)
    const [got] = hook.got
    assert.ok(got)
    const expected = `sha256=${createHmac('sha256', 'shh').update(got.body).digest('hex')}`
    assert.equal(got.headers['x-daybook-signature'], expected)
    assert.equal(got.headers['content-type'], 'application/json')
    assert.equal(got.headers['x-daybook-hook'], 'code')
    assert.ok(!got.body.includes(app.token), 'the token is not in the payload')
    assert.ok(!got.body.includes('shh'), 'the secret is not in the payload')
    const payload = JSON.parse(got.body) as LogEntry['payload']
    assert.equal(payload.crossedAt, '2025-09-11T10:00:00Z')
    const [entry] = await log(app)
    assert.deepEqual(entry?.payload, payload)
    assert.deepEqual(
      entry?.actions.map((a) => [a.ok, a.status, a.attempts, a.error]),
      [[true, 204, 1, null]],
    )
  })

  test('a webhook without a secret has no signature; failures are retried, then logged', async (t) => {
    const flaky = await receiver(t, (n) => (n < 3 ? 503 : 200))
    const refusing = await receiver(t, () => 404)
    const app = await hooksApp(t)
    await setRules(app, [
      breakRule([
        { kind: 'webhook', url: flaky.url },
        { kind: 'webhook', url: refusing.url },
        { kind: 'webhook', url: 'http://127.0.0.1:9/closed' },
      ]),
    ])
    await ingest(app, [activity(NOW - 50 * MIN, 50, { app_name: 'Code' })])
    assert.equal(flaky.got.length, 3)
    assert.equal(flaky.got[0]?.headers['x-daybook-signature'], undefined)
    assert.equal(refusing.got.length, 1, 'a 4xx is not retried')
    const [entry] = await log(app)
    const results = entry?.actions.map((a) => [a.ok, a.status, a.attempts])
    assert.deepEqual(results, [
      [true, 200, 3],
      [false, 404, 1],
      [false, null, 4],
    ])
    assert.match(entry?.actions[2]?.error ?? '', /fetch failed|ECONNREFUSED/)
    const [status] = (await app.call({ method: 'GET', url: '/v1/hooks/statuses' })).json<
      { lastError: string }[]
    >()
    assert.match(status?.lastError ?? '', /^webhook: answered 404/)
  })

  test('a webhook that does not answer in time is a timeout', async (t) => {
    const silent = http.createServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    t.after(() => {
      silent.closeAllConnections()
      return new Promise((resolve) => silent.close(resolve))
    })
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`
    const app = await hooksApp(t, { hooks: { webhookTimeoutMs: 200, webhookRetries: 1 } })
    await setRules(app, [breakRule([{ kind: 'webhook', url }])])
    await ingest(app, [activity(NOW - 50 * MIN, 50, { app_name: 'Code' })])
    const [entry] = await log(app)
    assert.deepEqual(
      entry?.actions.map((a) => [a.ok, a.status, a.attempts, a.error]),
      [[false, 'timeout', 2, 'no answer within 0.2 s']],
    )
  })

  test('a command runs without a shell, the payload on stdin and in its environment, no token', async (t) => {
    const dir = tempDir(t)
    const out = path.join(dir, 'out.json')
    const script = `
      const fs = require('node:fs')
      const stdin = fs.readFileSync(0, 'utf8')
      fs.writeFileSync(process.argv[1], JSON.stringify({ stdin, env: process.env.DAYBOOK_HOOK_PAYLOAD, token: process.env.DAYBOOK_TOKEN ?? null, id: process.env.DAYBOOK_HOOK_ID }))
      console.log('wrote $HOME; not a shell')
    `
    const app = await hooksApp(t, {
      hooks: { env: { ...process.env, DAYBOOK_TOKEN: 'must-not-leak' } },
    })
    await setRules(app, [
      breakRule([{ kind: 'command', argv: [process.execPath, '-e', script, out] }]),
    ])
    await ingest(app, [activity(NOW - 50 * MIN, 50, { app_name: 'Code' })])
    const written = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string | null>
    const [entry] = await log(app)
    assert.deepEqual(JSON.parse(written.stdin ?? ''), entry?.payload)
    assert.equal(written.env, written.stdin)
    assert.equal(written.token, null)
    assert.equal(written.id, 'code')
    assert.deepEqual(
      entry?.actions.map((a) => [a.ok, a.status, a.output]),
      [[true, 0, 'wrote $HOME; not a shell']],
    )
  })

  test('a command that fails, prints too much, is missing or runs too long is logged so', async (t) => {
    const node = process.execPath
    const app = await hooksApp(t)
    await setRules(app, [
      breakRule([
        {
          kind: 'command',
          argv: [node, '-e', 'process.stdout.write("x".repeat(10000)); process.exit(3)'],
        },
        { kind: 'command', argv: [path.join(tempDir(t), 'no-such-program')] },
      ]),
    ])
    await ingest(app, [activity(NOW - 50 * MIN, 50, { app_name: 'Code' })])
    const [entry] = await log(app)
    const [failed, missing] = entry?.actions ?? []
    assert.deepEqual(
      [failed?.ok, failed?.status, failed?.error],
      [false, 3, 'exited with status 3'],
    )
    assert.equal(failed?.output, `${'x'.repeat(4096)}… (cut)`)
    assert.deepEqual([missing?.ok, missing?.status], [false, null])
    assert.match(missing?.error ?? '', /was not found/)
    // A command that never ends is killed at its timeout (short here; 10 s by default).
    const slow = await hooksApp(t, { hooks: { commandTimeoutMs: 300 } })
    await setRules(slow, [
      breakRule([{ kind: 'command', argv: [node, '-e', 'setInterval(() => {}, 1000)'] }]),
    ])
    await ingest(slow, [activity(NOW - 50 * MIN, 50, { app_name: 'Code' })])
    assert.deepEqual(
      (await log(slow))[0]?.actions.map((a) => [a.ok, a.status, a.error]),
      [[false, 'timeout', 'did not finish within 0.3 s; killed']],
    )
  })

  test('notify runs the desktop notifier; without one the log says why', async (t) => {
    const bin = tempDir(t)
    const shown = path.join(bin, 'shown.txt')
    const notifier = path.join(bin, 'notify-send')
    writeFileSync(notifier, `#!/bin/sh\nprintf '%s\\n' "$@" > '${shown}'\n`)
    chmodSync(notifier, 0o755)
    const app = await hooksApp(t, { hooks: { env: { PATH: bin }, platform: 'linux' } })
    await setRules(app, [breakRule([{ kind: 'notify', message: 'Stand up' }])])
    await ingest(app, [activity(NOW - 50 * MIN, 50, { app_name: 'Code' })])
    assert.equal(readFileSync(shown, 'utf8'), '--app-name=Daybook\nCoding stretch\nStand up\n')
    assert.deepEqual(
      (await log(app))[0]?.actions.map((a) => [a.ok, a.status]),
      [[true, 0]],
    )
    const without = await hooksApp(t, { hooks: { env: { PATH: tempDir(t) }, platform: 'linux' } })
    await setRules(without, [breakRule([{ kind: 'notify' }])])
    await ingest(without, [activity(NOW - 50 * MIN, 50, { app_name: 'Code' })])
    const [entry] = await log(without)
    assert.equal(entry?.actions[0]?.ok, false)
    assert.match(
      entry?.actions[0]?.error ?? '',
      /notify-send was not found on PATH \(install libnotify-bin/,
    )
  })

  test('label adds a label over the matched stretch, and a label rule does not fire for it', async (t) => {
    const app = await hooksApp(t)
    await setRules(app, [
      breakRule([{ kind: 'label', text: 'focus', context: 'from the hook' }]),
      {
        id: 'labels',
        when: { kind: 'label', match: { text: ['focus'] } },
        then: [{ kind: 'stream' }],
      },
    ])
    await ingest(app, [activity(NOW - 50 * MIN, 50, { app_name: 'Code' })])
    const labels = (await app.call({ method: 'GET', url: '/v1/labels' })).json<
      { text: string; context: string; startUtc: number; endUtc: number }[]
    >()
    assert.deepEqual(
      labels.map((l) => [l.text, l.context, l.startUtc * 1000, l.endUtc * 1000]),
      [['focus', 'daybook-hook:code\nfrom the hook', NOW - 50 * MIN, NOW]],
    )
    // A person's own label fires the label rule.
    await post(app, '/v1/labels', {
      text: 'Focus time',
      startUtc: NOW / 1000 - 600,
      endUtc: NOW / 1000,
    })
    await app.app.daybook.hooks.idle()
    assert.deepEqual(
      (await log(app)).map((e) => e.hookId),
      ['labels', 'code'],
    )
  })
})

describe('do-not-disturb', () => {
  test('notifications wait while it is on and go out when it ends; webhooks run anyway', async (t) => {
    const bin = tempDir(t)
    const shown = path.join(bin, 'shown.txt')
    writeFileSync(path.join(bin, 'notify-send'), `#!/bin/sh\necho "$3" >> '${shown}'\n`)
    chmodSync(path.join(bin, 'notify-send'), 0o755)
    const hook = await receiver(t)
    const app = await hooksApp(t, { hooks: { env: { PATH: bin }, platform: 'linux' } })
    assert.deepEqual((await app.call({ method: 'GET', url: '/v1/settings/dnd/config' })).json(), {
      enabled: false,
      until: null,
      quietHours: [],
      active: false,
      reason: null,
    })
    const on = await post(app, '/v1/settings/dnd/config', { enabled: true })
    assert.deepEqual(on.json(), {
      enabled: true,
      until: null,
      quietHours: [],
      active: true,
      reason: 'manual',
    })
    await setRules(app, [
      breakRule([
        { kind: 'notify', message: 'waits' },
        { kind: 'notify', message: 'dropped', dnd: 'drop' },
        { kind: 'webhook', url: hook.url },
      ]),
    ])
    await ingest(app, [activity(NOW - 50 * MIN, 50, { app_name: 'Code' })])
    assert.equal(hook.got.length, 1)
    assert.equal(existsSync(shown), false)
    const [held] = await log(app)
    assert.deepEqual(
      held?.actions.map((a) => [a.ok, a.status]),
      [
        [null, 'waiting'],
        [true, 'dropped'],
        [true, 204],
      ],
    )
    const [status] = (await app.call({ method: 'GET', url: '/v1/hooks/statuses' })).json<
      { waiting: number }[]
    >()
    assert.equal(status?.waiting, 1)
    // Over: the held notification goes out, once.
    const off = await post(app, '/v1/settings/dnd/config', { enabled: false })
    assert.equal(off.json<{ active: boolean }>().active, false)
    await app.app.daybook.hooks.idle()
    await tick(app, NOW + MIN)
    assert.equal(readFileSync(shown, 'utf8'), 'waits\n')
    const [sent] = await log(app)
    assert.deepEqual(sent?.actions[0] && [sent.actions[0].ok, sent.actions[0].status], [true, 0])
  })

  test('quiet hours on the local clock; a bad period is refused naming the field', async (t) => {
    const app = await hooksApp(t)
    const res = await post(app, '/v1/settings/dnd/config', {
      quietHours: [{ start: '09:30', end: '10:30' }],
    })
    assert.deepEqual(res.json(), {
      enabled: false,
      until: null,
      quietHours: [{ start: '09:30', end: '10:30', days: [1, 2, 3, 4, 5, 6, 7] }],
      active: true,
      reason: 'quiet_hours',
    })
    app.setNow(NOW + 31 * MIN)
    assert.equal(
      (await app.call({ method: 'GET', url: '/v1/settings/dnd/config' })).json<{
        active: boolean
      }>().active,
      false,
    )
    for (const [quietHours, field] of [
      [[{ start: '08:00', end: '08:00' }], 'body/quietHours/0/end'],
      [[{ start: '25:00', end: '08:00' }], 'body/quietHours/0/start'],
      [[{ start: '08:00', end: '09:00', days: [0] }], 'body/quietHours/0/days/0'],
    ] as const) {
      const bad = await post(app, '/v1/settings/dnd/config', { quietHours })
      assert.equal(bad.statusCode, 422, bad.body)
      assert.equal(bad.json<{ field: string }>().field, field)
    }
    const until = await post(app, '/v1/settings/dnd/config', { enabled: true, until: 'soon' })
    assert.equal(until.statusCode, 422)
    assert.equal(
      (await app.call({ method: 'GET', url: '/v1/settings/dnd/config' })).json<{
        quietHours: unknown[]
      }>().quietHours.length,
      1,
    )
  })
})

describe('log, test and suggestions', () => {
  test('the API document describes every hooks route, the rule with its kinds', async (t) => {
    const app = await hooksApp(t)
    const doc = (await app.call({ method: 'GET', url: '/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, { requestBody?: unknown }>>
    }>()
    for (const [route, method] of [
      ['/v1/hooks', 'get'],
      ['/v1/hooks', 'post'],
      ['/v1/hooks/statuses', 'get'],
      ['/v1/hooks/log', 'post'],
      ['/v1/hooks/log-count', 'get'],
      ['/v1/hooks/suggest-keywords', 'post'],
      ['/v1/hooks/suggest-distances', 'post'],
      ['/v1/hooks/{id}/test', 'post'],
      ['/v1/settings/dnd/config', 'get'],
      ['/v1/settings/dnd/config', 'post'],
    ] as const) {
      assert.ok(doc.paths[route]?.[method], `${method.toUpperCase()} ${route} is documented`)
    }
    const body = JSON.stringify(doc.paths['/v1/hooks']?.post?.requestBody)
    for (const kind of ['no_break', 'silent_collector', 'webhook', 'breakMinutes']) {
      assert.ok(body.includes(kind), `the rule schema names ${kind}`)
    }
  })

  test('the log pages newest first, by rule, and counts; the test route runs the actions once', async (t) => {
    const hook = await receiver(t)
    const app = await hooksApp(t)
    await setRules(app, [
      breakRule([{ kind: 'webhook', url: hook.url, secret: 's' }]),
      { id: 'other', when: { kind: 'label', match: {} }, then: [{ kind: 'stream' }] },
    ])
    const tested = await post(app, '/v1/hooks/code/test', undefined)
    assert.equal(tested.statusCode, 200, tested.body)
    const entry = tested.json<LogEntry>()
    assert.equal(entry.payload.test, true)
    assert.deepEqual(
      entry.actions.map((a) => [a.ok, a.status]),
      [[true, 204]],
    )
    assert.equal(JSON.parse(hook.got[0]?.body ?? '{}').test, true)
    for (let i = 0; i < 3; i++) await post(app, '/v1/hooks/other/test', undefined)
    assert.deepEqual(
      (await log(app, { limit: 2 })).map((e) => e.hookId),
      ['other', 'other'],
    )
    assert.deepEqual(
      (await log(app, { limit: 10, offset: 3 })).map((e) => [e.hookId, e.id]),
      [['code', entry.id]],
    )
    assert.deepEqual(
      (await log(app, { hookId: 'code' })).map((e) => e.id),
      [entry.id],
    )
    assert.deepEqual((await app.call({ method: 'GET', url: '/v1/hooks/log-count' })).json(), {
      count: 4,
    })
    assert.deepEqual(
      (await app.call({ method: 'GET', url: '/v1/hooks/log-count?hookId=code' })).json(),
      {
        count: 1,
      },
    )
    const missing = await post(app, '/v1/hooks/nope/test', undefined)
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json<{ code: string }>().code, 'no_such_hook')
    const bad = await post(app, '/v1/hooks/log', { limit: 0 })
    assert.equal(bad.statusCode, 422)
  })

  test('keywords and distances from history', async (t) => {
    const app = await hooksApp(t)
    const day = 24 * 60 * MIN
    const events = []
    for (let d = 1; d <= 4; d++) {
      const start = NOW - d * day
      events.push(
        activity(start, 20 * d, {
          app_name: 'Firefox',
          entity_name: 'https://www.reddit.com/r/typescript',
          entity_type: 'Url',
          category: 'Browsing',
          source_name: 'daybook-browser',
        }),
        activity(start + 100 * MIN, 30, { entity_name: 'src/hooks.ts' }),
      )
    }
    await ingest(app, events)
    const range = { start: iso(NOW - 5 * day), end: iso(NOW) }
    const keywords = await post(app, '/v1/hooks/suggest-keywords', { ...range, limit: 3 })
    assert.equal(keywords.statusCode, 200, keywords.body)
    assert.deepEqual(
      keywords.json<{ word: string; seconds: number }[]>().map((k) => [k.word, k.seconds]),
      [
        ['reddit', 200 * 60],
        ['typescript', 200 * 60],
        ['hooks', 120 * 60],
      ],
    )
    const distances = await post(app, '/v1/hooks/suggest-distances', {
      ...range,
      match: { url: 'reddit' },
    })
    assert.equal(distances.statusCode, 200, distances.body)
    assert.deepEqual(distances.json(), {
      days: 4,
      dailyMinutes: { p25: 20, p50: 40, p75: 60, p90: 80, max: 80 },
      longestStretchMinutes: { p25: 20, p50: 40, p75: 60, p90: 80, max: 80 },
      suggested: { budget: 60, activity: 60 },
    })
    const long = await post(app, '/v1/hooks/suggest-keywords', {
      start: iso(NOW - 40 * day),
      end: iso(NOW),
    })
    assert.equal(long.statusCode, 422)
    assert.equal(long.json<{ code: string }>().code, 'range_too_long')
    const badMatch = await post(app, '/v1/hooks/suggest-distances', {
      ...range,
      match: { text: 'x' },
    })
    assert.equal(badMatch.statusCode, 422)
    assert.equal(badMatch.json<{ field: string }>().field, 'body/match/text')
    const backwards = await post(app, '/v1/hooks/suggest-keywords', {
      start: range.end,
      end: range.start,
    })
    assert.equal(backwards.statusCode, 422)
  })
})

/** A WebSocket client of the app's stream on a real socket, keeping every frame. */
async function streamClient(t: TestContext, app: TestApp) {
  await app.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.app.server.address() as AddressInfo
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/events?token=${app.token}`)
  t.after(() => ws.close())
  const frames: { type: string; payload: unknown }[] = []
  let wake: (() => void) | undefined
  ws.on('message', (data: Buffer) => {
    frames.push(JSON.parse(data.toString('utf8')) as { type: string; payload: unknown })
    wake?.()
  })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  let read = 0
  return {
    async nextOf(type: string): Promise<{ type: string; payload: unknown }> {
      for (;;) {
        const frame = frames[read]
        if (frame) {
          read++
          if (frame.type === type) return frame
          continue
        }
        await new Promise<void>((resolve) => (wake = resolve))
      }
    },
  }
}
