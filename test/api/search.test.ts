/**
 * Search (plain and as server-sent events), compare, status and version, through the real HTTP
 * layer.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import { Writable } from 'node:stream'
import { describe, test } from 'node:test'
import { PROTOCOL_VERSION } from '../../src/domain/protocol.ts'
import { OWN_DEVICE, eventInput, startApp } from '../helpers.ts'

const DAY = 86_400_000
const NOW = Date.parse('2025-09-12T18:00:00Z')
const at = (iso: string) => `${iso}Z`
const unix = (iso: string) => Date.parse(at(iso)) / 1000

const ev = (from: string, to: string, extra: Record<string, unknown> = {}) =>
  eventInput({ timestamp: at(from), end_timestamp: at(to), ...extra })

interface Hit {
  type: 'event' | 'label'
  event?: { entity: string; timestamp: string; project: string }
  label?: { text: string }
  activeSeconds: number
}

/** Parses a `text/event-stream` body into its `data:` payloads (comments skipped). */
function sseData(body: string): Record<string, unknown>[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => JSON.parse(block.slice('data: '.length)) as Record<string, unknown>)
}

describe('search', () => {
  async function seeded(t: Parameters<typeof startApp>[0]) {
    const started = await startApp(t, { now: NOW })
    const res = await started.call({
      method: 'POST',
      url: '/v1/events',
      payload: [
        ev('2025-09-10T09:00:00', '2025-09-10T09:30:00', { entity_name: 'src/parser.ts' }),
        ev('2025-09-11T10:00:00', '2025-09-11T10:20:00', { entity_name: 'src/lexer.ts' }),
        // An AFK period takes 10 of this event's 40 minutes.
        ev('2025-09-12T08:00:00', '2025-09-12T08:40:00', {
          entity_name: 'test/parser.test.ts',
          project_name: 'compiler',
        }),
        ev('2025-09-12T11:00:00', '2025-09-12T11:05:00', {
          entity_name: 'Parsing expression grammars',
          app_name: 'Firefox',
          category: 'Browsing',
          project_name: 'reading',
        }),
      ],
    })
    assert.equal(res.statusCode, 200, res.body)
    await started.call({
      method: 'POST',
      url: '/v1/afk',
      payload: [{ afk_start: at('2025-09-12T08:30:00'), afk_end: at('2025-09-12T08:40:00') }],
    })
    await started.call({
      method: 'POST',
      url: '/v1/labels',
      payload: {
        text: 'parser rewrite planning',
        startUtc: unix('2025-09-11T09:00:00'),
        endUtc: unix('2025-09-11T11:00:00'),
      },
    })
    return started
  }

  test('hits newest first, each with the active seconds it owned; prefixes match', async (t) => {
    const { call } = await seeded(t)
    const res = await call({ method: 'POST', url: '/v1/search/events', payload: { text: 'pars' } })
    assert.equal(res.statusCode, 200, res.body)
    const hits = res.json<Hit[]>()
    assert.deepEqual(
      hits.map((h) => [h.type, h.event?.entity ?? h.label?.text, h.activeSeconds]),
      [
        ['event', 'Parsing expression grammars', 300],
        ['event', 'test/parser.test.ts', 30 * 60],
        // The label owns the lexer's 20 minutes inside its range.
        ['label', 'parser rewrite planning', 20 * 60],
        ['event', 'src/parser.ts', 30 * 60],
      ],
    )
    // A project name matches too; a range and a limit narrow the hits.
    const byProject = await call({
      method: 'POST',
      url: '/v1/search/events',
      payload: { text: 'compiler' },
    })
    assert.deepEqual(
      byProject.json<Hit[]>().map((h) => h.event?.entity),
      ['test/parser.test.ts'],
    )
    const ranged = await call({
      method: 'POST',
      url: '/v1/search/events',
      payload: {
        text: 'parser',
        startUtc: unix('2025-09-10T00:00:00'),
        endUtc: unix('2025-09-12T00:00:00'),
        limit: 1,
      },
    })
    assert.deepEqual(
      ranged.json<Hit[]>().map((h) => h.label?.text),
      ['parser rewrite planning'],
    )
    const none = await call({ method: 'POST', url: '/v1/search/events', payload: { text: 'zzz' } })
    assert.deepEqual(none.json(), [])
  })

  test('the stream: started, results newest first as found, progress by day, done', async (t) => {
    const { call } = await seeded(t)
    const res = await call({
      method: 'POST',
      url: '/v1/search/events/stream',
      payload: { text: 'parser' },
    })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^text\/event-stream/)
    const frames = sseData(res.body)
    assert.deepEqual(
      frames.map((f) =>
        f.kind === 'result'
          ? `result ${String((f.hit as Hit).event?.entity ?? (f.hit as Hit).label?.text)} #${String(f.done_count)}`
          : f.kind === 'progress'
            ? `progress ${String(f.searchedFrom)}`
            : String(f.kind),
      ),
      [
        'started',
        'result test/parser.test.ts #1',
        'progress 2025-09-12T00:00:00Z',
        'result parser rewrite planning #2',
        'progress 2025-09-11T00:00:00Z',
        'result src/parser.ts #3',
        'progress 2025-09-10T09:00:00Z',
        'done',
      ],
    )
    assert.equal(frames.at(-1)?.total, 3)
    // The plain search finds the same hits.
    const plain = await call({
      method: 'POST',
      url: '/v1/search/events',
      payload: { text: 'parser' },
    })
    assert.deepEqual(
      plain.json<Hit[]>(),
      frames.filter((f) => f.kind === 'result').map((f) => f.hit),
    )
  })

  test('a client that goes away stops the search', async (t) => {
    const lines: Record<string, unknown>[] = []
    const logs = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          lines.push(JSON.parse(line) as Record<string, unknown>)
        }
        done()
      },
    })
    const { app, call, token } = await startApp(t, {
      now: NOW,
      logger: { level: 'info', stream: logs },
    })
    // Twenty years to search a day at a time: one hit on the last day, one on the first.
    const first = NOW - 20 * 365 * DAY
    await call({
      method: 'POST',
      url: '/v1/events',
      payload: [
        eventInput({
          timestamp: new Date(first).toISOString(),
          end_timestamp: new Date(first + 60_000).toISOString(),
          entity_name: 'needle-old.ts',
        }),
        eventInput({
          timestamp: new Date(NOW - 3_600_000).toISOString(),
          end_timestamp: new Date(NOW - 3_000_000).toISOString(),
          entity_name: 'needle-new.ts',
        }),
      ],
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    assert.ok(address && typeof address === 'object')
    const stopped = new Promise<Record<string, unknown>>((resolve) => {
      const poll = setInterval(() => {
        const line = lines.find((l) => l.msg === 'search stream stopped: the client went away')
        if (line) {
          clearInterval(poll)
          resolve(line)
        }
      }, 5)
    })
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: address.port,
          method: 'POST',
          path: '/v1/search/events/stream',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          let body = ''
          res.on('data', (d: Buffer) => {
            body += d.toString()
            // The first hit read, the client leaves.
            if (body.includes('"kind":"result"')) {
              req.destroy()
              resolve()
            }
          })
          res.on('error', () => undefined)
        },
      )
      req.on('error', (err) => {
        if (!req.destroyed) reject(err)
      })
      req.end(JSON.stringify({ text: 'needle', limit: 10 }))
    })
    const line = await stopped
    assert.equal(line.total, 1)
    // Far fewer than the 7300 days there were to search.
    assert.ok(Number(line.days) < 7000, `searched ${String(line.days)} days`)
  })

  test('malformed bodies: 415 without JSON, 422 with the field named; nothing runs', async (t) => {
    const { call } = await seeded(t)
    for (const url of ['/v1/search/events', '/v1/search/events/stream']) {
      const text = await call({
        method: 'POST',
        url,
        headers: { 'content-type': 'text/plain' },
        payload: 'parser',
      })
      assert.equal(text.statusCode, 415, text.body)
      for (const [payload, field] of [
        [{}, 'text'],
        [{ text: '' }, 'text'],
        [{ text: 'parser', limit: 0 }, 'limit'],
        [{ text: 'parser', startUtc: -1 }, 'startUtc'],
        [{ text: 'parser', extra: true }, 'extra'],
        [{ text: 'parser', startUtc: 200, endUtc: 100 }, 'endUtc'],
      ] as const) {
        const res = await call({ method: 'POST', url, payload })
        assert.equal(res.statusCode, 422, `${url} ${JSON.stringify(payload)}: ${res.body}`)
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
        assert.match(res.body, new RegExp(field), res.body)
      }
    }
  })
})

describe('compare', () => {
  test('two periods side by side per group, with the difference', async (t) => {
    const { call } = await startApp(t, { now: NOW })
    await call({
      method: 'POST',
      url: '/v1/events',
      payload: [
        ev('2025-09-08T09:00:00', '2025-09-08T10:00:00', { project_name: 'alpha' }),
        ev('2025-09-08T10:00:00', '2025-09-08T10:30:00', { project_name: 'beta' }),
        ev('2025-09-10T09:00:00', '2025-09-10T09:20:00', { project_name: 'alpha' }),
        ev('2025-09-10T10:00:00', '2025-09-10T11:30:00', { project_name: 'gamma' }),
      ],
    })
    const res = await call({
      method: 'POST',
      url: '/v1/search/compare',
      payload: {
        a: { startUtc: unix('2025-09-08T00:00:00'), endUtc: unix('2025-09-09T00:00:00') },
        b: { startUtc: unix('2025-09-10T00:00:00'), endUtc: unix('2025-09-11T00:00:00') },
        groupBy: 'project',
      },
    })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json(), {
      a: { total: 90 * 60 },
      b: { total: 110 * 60 },
      groups: [
        { group: 'gamma', a: 0, b: 90 * 60, difference: 90 * 60 },
        { group: 'alpha', a: 60 * 60, b: 20 * 60, difference: -40 * 60 },
        { group: 'beta', a: 30 * 60, b: 0, difference: -30 * 60 },
      ],
    })
    const reversed = await call({
      method: 'POST',
      url: '/v1/search/compare',
      payload: {
        a: { startUtc: 200, endUtc: 100 },
        b: { startUtc: 0, endUtc: 100 },
      },
    })
    assert.equal(reversed.statusCode, 422)
    assert.equal(reversed.json<{ code: string }>().code, 'invalid_range')
  })
})

describe('status and version', () => {
  test('version names the daemon and its protocol', async (t) => {
    const { call, app } = await startApp(t, { now: NOW })
    const res = await call({ url: '/v1/version' })
    assert.deepEqual(res.json(), {
      daemon: 'daybook',
      protocol_version: PROTOCOL_VERSION,
      daemon_version: app.daybook.version,
    })
    assert.match(app.daybook.version, /^\d+\.\d+\.\d+/)
  })

  test('status: counts, the database, and when each collector last sent data', async (t) => {
    // When data arrives is the daemon's clock at its receipt; the clock is then moved an hour on.
    const started = Date.now()
    const { call, dbFile, setNow } = await startApp(t, { now: started })
    await call({
      method: 'POST',
      url: '/v1/events',
      payload: [
        ev('2025-09-12T09:00:00', '2025-09-12T09:10:00'),
        ev('2025-09-12T09:10:00', '2025-09-12T09:20:00', { entity_name: 'b.rs' }),
      ],
    })
    await call({
      method: 'POST',
      url: '/v1/afk',
      payload: [{ afk_start: at('2025-09-12T12:00:00'), afk_end: at('2025-09-12T12:10:00') }],
    })
    await call({
      method: 'POST',
      url: '/v1/labels',
      payload: { text: 'standup', startUtc: unix('2025-09-12T09:00:00'), endUtc: 1757668800 },
    })
    setNow(started + 3_600_000)
    const res = await call({ url: '/v1/status' })
    assert.equal(res.statusCode, 200, res.body)
    const status = res.json<{
      daemon: string
      uptimeSeconds: number
      database: { location: string; bytes: number }
      counts: Record<string, number>
      collectors: {
        source: string
        device: string
        kind: string
        lastSeen: string
        silentSeconds: number
        items: number
      }[]
      streams: { websocketClients: number }
    }>()
    assert.equal(status.daemon, 'daybook')
    assert.equal(status.uptimeSeconds, 3600)
    assert.equal(status.database.location, dbFile)
    assert.ok(status.database.bytes > 0)
    assert.deepEqual(status.counts, {
      events: 2,
      afkPeriods: 1,
      inputBuckets: 0,
      labels: 1,
      devices: 1,
    })
    assert.deepEqual(
      status.collectors.map((c) => [c.kind, c.source, c.device, c.items]).sort(),
      [
        ['afk', 'afk', OWN_DEVICE, 1],
        ['events', 'skopio-vscode', OWN_DEVICE, 2],
      ].sort(),
    )
    // Seen when the daemon received the data; silent since then until the hour on.
    for (const c of status.collectors) {
      assert.equal(Date.parse(c.lastSeen), started, c.kind)
      assert.equal(c.silentSeconds, 3600, c.kind)
    }
    assert.equal(status.streams.websocketClients, 0)
  })
})
