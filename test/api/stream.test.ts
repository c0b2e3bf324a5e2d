/**
 * The live stream over a real listening socket with a real WebSocket client: what is announced,
 * when, to whom, and what happens to clients that do not keep up.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { describe, test } from 'node:test'
import WebSocket from 'ws'
import { type StartOptions, type TestApp, eventInput, startApp } from '../helpers.ts'

const NOW = Date.UTC(2025, 8, 12, 9, 0)
const MIN = 60_000

interface Envelope {
  type: string
  ts_unix_ms: number
  correlation_id: string | null
  payload: Record<string, unknown>
}

/** A connected client that keeps every frame it receives, in order. */
class Client {
  readonly frames: Envelope[] = []
  readonly #waiters: (() => void)[] = []
  #read = 0
  closed: { code: number; reason: string } | undefined

  readonly ws: WebSocket

  constructor(ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString('utf8')) as Envelope)
      this.#wake()
    })
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() }
      this.#wake()
    })
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w()
  }

  async #changed(): Promise<void> {
    await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  /** The next frame not yet read. */
  async next(): Promise<Envelope> {
    for (;;) {
      const frame = this.frames[this.#read]
      if (frame) {
        this.#read++
        return frame
      }
      if (this.closed) throw new Error(`closed ${JSON.stringify(this.closed)} before a frame`)
      await this.#changed()
    }
  }

  /** Reads frames until one of `type` arrives; returns it. */
  async nextOf(type: string): Promise<Envelope> {
    for (;;) {
      const frame = await this.next()
      if (frame.type === type) return frame
    }
  }

  async untilClosed(): Promise<{ code: number; reason: string }> {
    while (!this.closed) await this.#changed()
    return this.closed
  }

  send(command: unknown): void {
    this.ws.send(JSON.stringify(command))
  }
}

function wsUrl(port: number, query = ''): string {
  return `ws://127.0.0.1:${port}/v1/events${query}`
}

/** Opens a stream; resolves once the upgrade succeeded. */
async function connect(
  port: number,
  query: string,
  headers: Record<string, string> = {},
): Promise<Client> {
  const ws = new WebSocket(wsUrl(port, query), { headers })
  const client = new Client(ws)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return client
}

/** Tries to open a stream that should be refused; resolves with the HTTP status of the refusal. */
async function refused(port: number, query: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(wsUrl(port, query), { headers })
  return await new Promise<{ status: number; body: string }>((resolve, reject) => {
    ws.once('open', () => reject(new Error('the stream opened')))
    ws.once('unexpected-response', (req, res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => {
        // The refused request's socket is ours to release; a kept one would hold the server open.
        req.destroy()
        resolve({ status: res.statusCode ?? 0, body })
      })
    })
  })
}

async function listening(t: Parameters<typeof startApp>[0], options: StartOptions = {}) {
  const started = await startApp(t, { now: NOW, ...options })
  await started.app.listen({ port: 0, host: '127.0.0.1' })
  const address = started.app.server.address()
  assert.ok(address && typeof address === 'object')
  return { ...started, port: address.port }
}

function events(n: number, from: number, name = 'file'): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => {
    const start = from + i * MIN
    return eventInput({
      timestamp: new Date(start).toISOString(),
      end_timestamp: new Date(start + MIN).toISOString(),
      duration: 60,
      entity_name: `${name}-${i}.ts`,
    })
  })
}

async function post(
  call: TestApp['call'],
  url: string,
  payload: object | undefined,
  method: 'POST' | 'PUT' | 'DELETE' = 'POST',
) {
  const res = await call({ method, url, payload })
  assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`)
  return res
}

/** Sequence numbers of the event changes in the change feed. */
async function eventSeqs(call: TestApp['call']): Promise<number[]> {
  const res = await call({ url: '/v1/changes?after=0&limit=10000' })
  assert.equal(res.statusCode, 200, res.body)
  return res
    .json<{ changes: { seq: number; kind: string }[] }>()
    .changes.filter((c) => c.kind === 'event')
    .map((c) => c.seq)
}

type Inserted = { seq: number; entity: string; id: string }
const insertedOf = (frame: Envelope) => frame.payload.events as Inserted[]

describe('WebSocket GET /v1/events', () => {
  test('greets with DaemonStarted, then announces stored events with their sequence numbers', async (t) => {
    const { port, token, call } = await listening(t)
    const client = await connect(port, '', { authorization: `Bearer ${token}` })
    const hello = await client.next()
    assert.equal(hello.type, 'DaemonStarted')
    assert.deepEqual(hello.payload, { message: 'connected' })
    assert.equal(hello.correlation_id, null)
    assert.equal(typeof hello.ts_unix_ms, 'number')

    await post(call, '/v1/events', events(3, NOW - 60 * MIN))
    const inserted = await client.next()
    assert.equal(inserted.type, 'EventsInserted')
    const list = insertedOf(inserted)
    assert.deepEqual(
      list.map((e) => e.entity),
      ['file-0.ts', 'file-1.ts', 'file-2.ts'],
    )
    assert.ok(list.every((e, i) => i === 0 || e.seq > (list[i - 1]?.seq ?? 0)))
    // The same sequence numbers as the change feed.
    assert.deepEqual(
      list.map((e) => e.seq),
      await eventSeqs(call),
    )
  })

  test('a refused batch announces nothing; AFK, input, labels and settings are announced', async (t) => {
    const { port, token, call } = await listening(t)
    const client = await connect(port, `?token=${token}`)
    assert.equal((await client.next()).type, 'DaemonStarted')

    const bad = await call({
      method: 'POST',
      url: '/v1/events',
      payload: [...events(2, NOW - 30 * MIN), { ...events(1, NOW)[0], timestamp: 'yesterday' }],
    })
    assert.equal(bad.statusCode, 422)
    const future = await call({
      method: 'POST',
      url: '/v1/events',
      payload: events(1, NOW + 60 * MIN),
    })
    assert.equal(future.statusCode, 422)

    await post(call, '/afk', [
      { afk_start: '2025-09-12T08:00:00Z', afk_end: '2025-09-12T08:10:00Z' },
    ])
    // The next frame is the AFK period: nothing came of the refused batches.
    const afk = await client.next()
    assert.equal(afk.type, 'AfkChanged')
    const periods = afk.payload.periods as { op: string; afk_start?: string; start?: string }[]
    assert.equal(periods.length, 1)
    assert.equal(periods[0]?.op, 'upsert')

    await post(call, '/v1/input', {
      source: 'daybook-input',
      buckets: [
        { id: 'b1', timestamp_ms: NOW - 5 * MIN, lc: 1, rc: 0, mc: 0, kp: 7, mm: 3, scroll: 0 },
      ],
    })
    const input = await client.next()
    assert.equal(input.type, 'InputSample')
    const samples = input.payload.samples as { kp: number; lc: number }[]
    assert.equal(samples.length, 1)
    assert.equal(samples[0]?.kp, 7)

    const created = await post(call, '/v1/labels', {
      text: 'planning',
      startUtc: (NOW - 60 * MIN) / 1000,
      endUtc: (NOW - 30 * MIN) / 1000,
    })
    const id = created.json<{ id: string }>().id
    const labelCreated = await client.next()
    assert.equal(labelCreated.type, 'LabelCreated')
    assert.equal((labelCreated.payload.label as { id: string; text: string }).text, 'planning')

    await post(call, `/v1/labels/${id}`, { text: 'planning, again' }, 'PUT')
    const labelUpdated = await client.next()
    assert.equal(labelUpdated.type, 'LabelUpdated')
    assert.equal((labelUpdated.payload.label as { text: string }).text, 'planning, again')

    await post(call, `/v1/labels/${id}`, undefined, 'DELETE')
    const labelDeleted = await client.next()
    assert.equal(labelDeleted.type, 'LabelDeleted')
    assert.equal(labelDeleted.payload.id, id)

    await post(call, '/v1/settings', { sessionGapMinutes: 20 }, 'PUT')
    const settings = await client.next()
    assert.equal(settings.type, 'SettingsChanged')
    assert.deepEqual(
      (settings.payload.settings as { key: string; value: unknown }[]).map((s) => [s.key, s.value]),
      [['sessionGapMinutes', 20]],
    )
  })

  test('?types= and the subscribe command choose what a client hears', async (t) => {
    const { port, token, call } = await listening(t)
    const labelsOnly = await connect(port, `?token=${token}&types=LabelCreated,LabelDeleted`)
    // DaemonStarted comes whatever the filter: a client must know it is connected.
    assert.equal((await labelsOnly.next()).type, 'DaemonStarted')
    const all = await connect(port, `?token=${token}`)
    await all.next()

    await post(call, '/v1/events', events(2, NOW - 60 * MIN))
    await post(call, '/v1/labels', {
      text: 'review',
      startUtc: (NOW - 60 * MIN) / 1000,
      endUtc: (NOW - 50 * MIN) / 1000,
    })
    assert.equal((await all.next()).type, 'EventsInserted')
    assert.equal((await all.next()).type, 'LabelCreated')
    assert.equal((await labelsOnly.next()).type, 'LabelCreated')

    labelsOnly.send({ command: 'subscribe', types: ['EventsInserted'], id: 'sub-1' })
    const subscribed = await labelsOnly.next()
    assert.equal(subscribed.type, 'subscribed')
    assert.equal(subscribed.correlation_id, 'sub-1')
    await post(call, '/v1/labels', {
      text: 'unheard',
      startUtc: (NOW - 40 * MIN) / 1000,
      endUtc: (NOW - 35 * MIN) / 1000,
    })
    await post(call, '/v1/events', events(1, NOW - 20 * MIN, 'later'))
    const next = await labelsOnly.next()
    assert.equal(next.type, 'EventsInserted')
    assert.equal(insertedOf(next)[0]?.entity, 'later-0.ts')
  })

  test('commands: ping, status and subscribe are answered with the correlation id; nonsense gets an error', async (t) => {
    const { port, token, call } = await listening(t)
    const client = await connect(port, `?token=${token}`)
    await client.next()
    client.send({ command: 'ping', id: 'p1' })
    const pong = await client.next()
    assert.deepEqual([pong.type, pong.correlation_id], ['pong', 'p1'])

    await post(call, '/v1/events', events(2, NOW - 60 * MIN))
    await client.nextOf('EventsInserted')
    client.send({ command: 'status', correlation_id: 's1' })
    const status = await client.next()
    assert.equal(status.type, 'status')
    assert.equal(status.correlation_id, 's1')
    const counts = status.payload.counts as { events: number }
    assert.equal(counts.events, 2)
    assert.equal((status.payload.streams as { websocketClients: number }).websocketClients, 1)

    client.send({ command: 'fly' })
    const unknown = await client.next()
    assert.equal(unknown.type, 'error')
    assert.match(String(unknown.payload.message), /unknown command/)
    client.ws.send('not json')
    const garbage = await client.next()
    assert.equal(garbage.type, 'error')
    client.send({ command: 'subscribe', types: 'all' })
    assert.equal((await client.next()).type, 'error')
    // The client is still connected after its mistakes.
    client.send({ command: 'ping' })
    assert.equal((await client.next()).type, 'pong')
  })

  test('status frames arrive on their own at the status interval', async (t) => {
    const { port, token } = await listening(t, { stream: { statusMs: 50 } })
    const client = await connect(port, `?token=${token}`)
    const status = await client.nextOf('status')
    assert.equal(status.payload.daemon, 'daybook')
    assert.equal(status.correlation_id, null)
  })

  test('after=SEQ replays the feed, then goes live, with no gap and no duplicate while ingesting', async (t) => {
    const { port, token, call } = await listening(t)
    const before = 10
    for (let b = 0; b < before; b++) {
      await post(call, '/v1/events', events(20, NOW - 3 * 86_400_000 + b * 30 * MIN, `early${b}`))
    }
    // Batches keep arriving while the client connects and replays.
    const during = 20
    const writing = (async () => {
      for (let b = 0; b < during; b++) {
        await post(call, '/v1/events', events(20, NOW - 2 * 86_400_000 + b * 30 * MIN, `live${b}`))
      }
    })()
    const client = await connect(port, `?token=${token}&after=0`)
    assert.equal((await client.next()).type, 'DaemonStarted')
    await writing
    const total = (before + during) * 20
    const seen: Inserted[] = []
    while (seen.length < total) {
      // The feed also holds the device's own registration (DevicesChanged).
      seen.push(...insertedOf(await client.nextOf('EventsInserted')))
    }
    const seqs = seen.map((e) => e.seq)
    assert.ok(
      seqs.every((s, i) => i === 0 || s > (seqs[i - 1] ?? 0)),
      'sequence numbers strictly increase: nothing repeated, nothing out of order',
    )
    assert.deepEqual(seqs, await eventSeqs(call), 'every event change in the feed, none missing')
    // Nothing more is pending: a ping is answered next.
    client.send({ command: 'ping' })
    assert.equal((await client.next()).type, 'pong')

    // From the middle: exactly the changes after it.
    const middle = seqs[150] ?? assert.fail('fewer than 151 events')
    const late = await connect(port, `?token=${token}&after=${middle}`)
    await late.next()
    const replayed: number[] = []
    while (replayed.length < seqs.length - 151) {
      replayed.push(...insertedOf(await late.nextOf('EventsInserted')).map((e) => e.seq))
    }
    assert.deepEqual(replayed, seqs.slice(151))
  })

  test('without a token, with a token of the ingest scope, or from a foreign page: refused', async (t) => {
    const { port, token } = await listening(t, {
      keys: { 'ingest-key': 'ingest', 'stream-key': 'stream' },
      corsOrigins: ['http://dashboard.example:8080'],
    })
    const none = await refused(port, '')
    assert.equal(none.status, 401)
    assert.equal(JSON.parse(none.body).code, 'unauthorized')
    const ingest = await refused(port, '?token=ingest-key')
    assert.equal(ingest.status, 403)
    const bad = await refused(port, '?token=nope')
    assert.equal(bad.status, 401)
    const foreign = await refused(port, `?token=${token}`, { origin: 'https://evil.example' })
    assert.equal(foreign.status, 403)
    assert.equal(JSON.parse(foreign.body).code, 'origin_not_allowed')
    // A malformed after= opens, then closes with 1008 and the reason.
    const malformed = await connect(port, `?token=${token}&after=-3`)
    const closed = await malformed.untilClosed()
    assert.equal(closed.code, 1008)
    assert.match(closed.reason, /sequence number/)

    // The stream scope, the daemon's own origin and a configured origin are let in.
    for (const [query, headers] of [
      ['?token=stream-key', {}],
      ['', { authorization: 'Bearer stream-key', origin: `http://127.0.0.1:${port}` }],
      [`?token=${token}`, { origin: 'http://dashboard.example:8080' }],
    ] as const) {
      const client = await connect(port, query, headers)
      assert.equal((await client.next()).type, 'DaemonStarted')
      client.ws.close()
      await client.untilClosed()
    }
  })

  test('a client that stops reading is dropped with 1013 while ingestion and other clients go on', async (t) => {
    const { app, port, token, call } = await listening(t, {
      stream: { maxBufferedBytes: 64 * 1024, dropGraceMs: 600_000 },
    })
    const reader = await connect(port, `?token=${token}`)
    await reader.next()

    // A raw connection that completes the handshake, then never reads again.
    const stalled = net.connect(port, '127.0.0.1')
    await new Promise<void>((resolve) => stalled.once('connect', resolve))
    stalled.write(
      `GET /v1/events?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    )
    let head = Buffer.alloc(0)
    while (!head.includes('\r\n\r\n')) {
      head = Buffer.concat([head, await new Promise<Buffer>((r) => stalled.once('data', r))])
    }
    assert.match(head.toString('latin1'), /^HTTP\/1\.1 101/)
    stalled.pause()
    const stalledPeer = `127.0.0.1:${stalled.localPort}`
    const hub = app.daybook.stream ?? assert.fail('no stream hub')
    assert.ok(hub.list().some((c) => c.peer === stalledPeer))

    // Large events fill the socket buffers quickly; every batch is still accepted.
    const big = 'x'.repeat(3000)
    let batches = 0
    let stored = 0
    while (hub.list().some((c) => c.peer === stalledPeer)) {
      assert.ok(batches < 400, 'the stalled client was never dropped')
      const batch = events(500, NOW - 6 * 86_400_000 + batches * 500 * MIN, `${big}-${batches}`)
      const res = await call({ method: 'POST', url: '/v1/events', payload: batch })
      assert.equal(res.statusCode, 200, res.body)
      batches++
      stored += batch.length
    }
    // The reading client heard every event, the stalled one's fate notwithstanding.
    let heard = 0
    while (heard < stored) heard += insertedOf(await reader.nextOf('EventsInserted')).length
    assert.equal(heard, stored)
    assert.equal(reader.closed, undefined)

    // Reading again, the stalled client finds its frames end in a close frame: 1013 and a reason.
    const chunks: Buffer[] = [head.subarray(head.indexOf('\r\n\r\n') + 4)]
    stalled.on('data', (d: Buffer) => chunks.push(d))
    stalled.resume()
    const close = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
      const check = () => {
        const found = closeFrame(Buffer.concat(chunks))
        if (found) {
          resolve(found)
          stalled.destroy()
        }
      }
      stalled.on('data', check)
      stalled.on('end', () => {
        check()
        reject(new Error('the connection ended without a close frame'))
      })
    })
    assert.equal(close.code, 1013)
    assert.match(close.reason, /slow/)
  })

  test('a clean stop sends DaemonShutdown, then closes with 1001', async (t) => {
    const { app, port, token } = await listening(t)
    const client = await connect(port, `?token=${token}&types=EventsInserted`)
    await client.next()
    await app.close()
    const bye = await client.next()
    assert.equal(bye.type, 'DaemonShutdown')
    assert.deepEqual(bye.payload, {})
    assert.equal((await client.untilClosed()).code, 1001)
  })
})

describe('stream routes', () => {
  test('events/push reaches every client; ws-clients lists them; ws-port names the port', async (t) => {
    const { port, token, call } = await listening(t, { keys: { 'data-key': 'data' } })
    const a = await connect(port, `?token=${token}`)
    const b = await connect(port, `?token=${token}&types=EventsInserted`)
    await a.next()
    await b.next()

    const clients = (await call({ url: '/v1/ws-clients' })).json<{ peer: string }[]>()
    assert.equal(clients.length, 2)
    assert.ok(clients.every((c) => /^127\.0\.0\.1:\d+$/.test(c.peer)))
    assert.deepEqual((await call({ url: '/v1/ws-port' })).json(), { port })

    const pushed = await post(call, '/v1/events/push', {
      type: 'BuildFinished',
      payload: { ok: true },
      correlation_id: 'ci-7',
    })
    assert.deepEqual(pushed.json(), { ok: true, clients: 2 })
    const frame = await a.next()
    assert.deepEqual(
      [frame.type, frame.payload, frame.correlation_id],
      ['BuildFinished', { ok: true }, 'ci-7'],
    )
    // b subscribed to EventsInserted only: the pushed envelope is not for it.
    b.send({ command: 'ping' })
    assert.equal((await b.next()).type, 'pong')

    const dataPush = await call({
      method: 'POST',
      url: '/v1/events/push',
      headers: { authorization: 'Bearer data-key' },
      payload: { type: 'X' },
    })
    assert.equal(dataPush.statusCode, 403)
    const empty = await call({ method: 'POST', url: '/v1/events/push', payload: { type: '' } })
    assert.equal(empty.statusCode, 422)
  })
})

/** The first close frame in a server's (unmasked) frame stream, if it has arrived whole. */
function closeFrame(bytes: Buffer): { code: number; reason: string } | undefined {
  let at = 0
  while (at + 2 <= bytes.length) {
    const opcode = (bytes[at] ?? 0) & 0x0f
    let length = (bytes[at + 1] ?? 0) & 0x7f
    let offset = at + 2
    if (length === 126) {
      if (offset + 2 > bytes.length) return undefined
      length = bytes.readUInt16BE(offset)
      offset += 2
    } else if (length === 127) {
      if (offset + 8 > bytes.length) return undefined
      length = Number(bytes.readBigUInt64BE(offset))
      offset += 8
    }
    if (offset + length > bytes.length) return undefined
    if (opcode === 0x8) {
      return {
        code: bytes.readUInt16BE(offset),
        reason: bytes.subarray(offset + 2, offset + length).toString('utf8'),
      }
    }
    at = offset + length
  }
  return undefined
}
