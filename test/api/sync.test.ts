/**
 * A hub's sync routes through the real HTTP layer on a real SQLite file: pairing codes (single
 * use, expiring, their refusals), device-bound tokens (revoked at once), pushes (idempotent,
 * another device's data refused, a malformed batch refused whole), pulls (others' changes only),
 * and the protocol check.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { test, type TestContext } from 'node:test'
import { afkId, eventId, frameId } from '../../src/domain/events.ts'
import { PROTOCOL_VERSION } from '../../src/domain/protocol.ts'
import { framePath } from '../../src/domain/screenshots.ts'
import type { SyncChange, SyncEvent } from '../../src/domain/sync.ts'
import { OWN_DEVICE, countRows, startApp, tempDir } from '../helpers.ts'
import { freshDatabase, postgresUnavailable } from '../postgres.ts'

const gzip = promisify(zlib.gzip)
const HUB = { url: 'https://hub.test:5610', fingerprint: `SHA256:${'A'.repeat(43)}` }
const T0 = Date.parse('2025-09-11T09:00:00Z')
const MIN = 60_000

async function startHub(t: TestContext) {
  return startApp(t, { now: T0 + 60 * MIN, sync: { hub: HUB } })
}

type Hub = Awaited<ReturnType<typeof startHub>>

async function pairCode(hub: Hub, body: Record<string, unknown> = {}): Promise<string> {
  const res = await hub.call({ method: 'POST', url: '/v1/sync/pair', payload: body })
  assert.equal(res.statusCode, 201, res.body)
  return res.json().code
}

async function join(hub: Hub, code: string, device = { id: randomUUID(), name: 'laptop' }) {
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/sync/hub/join',
    payload: { code, device, protocol: PROTOCOL_VERSION },
  })
  return { res, device }
}

async function paired(hub: Hub, name = 'laptop') {
  const { res, device } = await join(hub, await pairCode(hub), { id: randomUUID(), name })
  assert.equal(res.statusCode, 201, res.body)
  return { token: res.json().token as string, device }
}

function event(device: string, overrides: Partial<SyncEvent> = {}): SyncEvent {
  const e: SyncEvent = {
    kind: 'event',
    op: 'upsert',
    id: '',
    device,
    startMs: T0,
    endMs: T0 + 10 * MIN,
    durationSec: null,
    category: 'Coding',
    app: 'Code',
    entity: 'main.rs',
    entityType: 'File',
    project: 'daybook',
    projectPath: null,
    branch: 'main',
    language: 'Rust',
    source: 'daybook-editor',
    version: null,
    ...overrides,
  }
  return { ...e, id: overrides.id ?? eventId(device, e) }
}

function push(
  hub: Hub,
  token: string,
  changes: SyncChange[],
  cursor: { from?: number; to?: number } = {},
  devices: Record<string, string> = {},
) {
  return hub.app.inject({
    method: 'POST',
    url: '/v1/sync/hub/push',
    headers: { authorization: `Bearer ${token}` },
    payload: {
      from: cursor.from ?? 0,
      to: cursor.to ?? changes.length,
      epoch: 1,
      batch: { devices, changes },
    },
  })
}

function pull(hub: Hub, token: string, after = 0, epoch?: number) {
  return hub.app.inject({
    method: 'GET',
    url: `/v1/sync/hub/pull?after=${after}&limit=1000&wait=0${epoch === undefined ? '' : `&epoch=${epoch}`}`,
    headers: { authorization: `Bearer ${token}` },
  })
}

test('a pairing code: printed with the command to run, single use, expiring, refused with the reason', async (t) => {
  const hub = await startHub(t)
  const res = await hub.call({ method: 'POST', url: '/v1/sync/pair', payload: { name: 'laptop' } })
  assert.equal(res.statusCode, 201)
  const code = res.json()
  assert.match(code.code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/)
  assert.equal(code.url, HUB.url)
  assert.equal(code.fingerprint, HUB.fingerprint)
  assert.equal(code.expiresAt, new Date(T0 + 70 * MIN).toISOString())
  assert.equal(
    code.command,
    `daybook sync join ${HUB.url} ${code.code} --fingerprint ${HUB.fingerprint}`,
  )

  // Typed loosely (lower case, no dashes, O for 0) it still works, once.
  const typed = code.code.toLowerCase().replace(/-/g, '').replace(/0/g, 'o')
  const first = await join(hub, typed)
  assert.equal(first.res.statusCode, 201, first.res.body)
  assert.match(first.res.json().token, /^dbs_/)
  assert.equal(first.res.json().device.name, 'laptop')
  const again = await join(hub, code.code)
  assert.equal(again.res.statusCode, 410)
  assert.equal(again.res.json().code, 'code_used')

  const unknown = await join(hub, 'ZZZZ-ZZZZ-ZZZZ-ZZZZ')
  assert.equal(unknown.res.statusCode, 400)
  assert.equal(unknown.res.json().code, 'unknown_code')
  const garbage = await join(hub, 'not a code')
  assert.equal(garbage.res.statusCode, 400)
  assert.equal(garbage.res.json().code, 'invalid_code')

  const short = await pairCode(hub, { expires: '2m' })
  hub.setNow(T0 + 62 * MIN)
  const expired = await join(hub, short)
  assert.equal(expired.res.statusCode, 410)
  assert.equal(expired.res.json().code, 'code_expired')

  const bad = await hub.call({ method: 'POST', url: '/v1/sync/pair', payload: { expires: '30d' } })
  assert.equal(bad.statusCode, 422)
  assert.equal(bad.json().field, 'expires')
})

test("a device named like another is refused, and the code stays good for a --name'd try", async (t) => {
  const hub = await startHub(t)
  const code = await pairCode(hub)
  const taken = await join(hub, code, { id: randomUUID(), name: OWN_DEVICE })
  assert.equal(taken.res.statusCode, 409)
  assert.equal(taken.res.json().code, 'device_name_taken')
  const named = await pairCode(hub, { name: 'desktop' })
  const ok = await join(hub, named, { id: randomUUID(), name: OWN_DEVICE })
  assert.equal(ok.res.statusCode, 201, ok.res.body)
  assert.equal(ok.res.json().device.name, 'desktop')
  // The first code was not used up by the refusal.
  const retry = await join(hub, code, { id: randomUUID(), name: 'tablet' })
  assert.equal(retry.res.statusCode, 201, retry.res.body)
})

test('a device of another protocol is told so in one line, before anything is stored', async (t) => {
  const hub = await startHub(t)
  const code = await pairCode(hub)
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/sync/hub/join',
    payload: { code, device: { id: randomUUID(), name: 'laptop' }, protocol: PROTOCOL_VERSION + 1 },
  })
  assert.equal(res.statusCode, 409)
  assert.equal(res.json().code, 'protocol_mismatch')
  assert.equal(
    res.json().message,
    `protocol mismatch: the hub speaks protocol ${PROTOCOL_VERSION}, this device ${PROTOCOL_VERSION + 1}; upgrade Daybook on the older one`,
  )
  assert.doesNotMatch(res.json().message, /\n/)
  const { token } = await paired(hub)
  const hello = await hub.app.inject({
    method: 'GET',
    url: `/v1/sync/hub/hello?protocol=${PROTOCOL_VERSION + 1}&epoch=1&startSeq=0`,
    headers: { authorization: `Bearer ${token}` },
  })
  assert.equal(hello.statusCode, 409)
  assert.equal(hello.json().code, 'protocol_mismatch')
})

test('a push is applied after its commit, idempotently; pulls give others everything but their own', async (t) => {
  const hub = await startHub(t)
  const laptop = await paired(hub, 'laptop')
  const desktop = await paired(hub, 'desktop')
  const e = event(laptop.device.id)
  const first = await push(hub, laptop.token, [e], { to: 7 })
  assert.equal(first.statusCode, 200, first.body)
  assert.deepEqual(first.json(), { pushedSeq: 7, applied: 1 })
  // The same batch again (a lost answer): nothing changes, the cursor stays.
  const again = await push(hub, laptop.token, [e], { to: 7 })
  assert.deepEqual(again.json(), { pushedSeq: 7, applied: 0 })
  // Gzipped, with a later end: extended.
  const longer = { ...e, endMs: e.endMs + 5 * MIN }
  const zipped = await hub.app.inject({
    method: 'POST',
    url: '/v1/sync/hub/push',
    headers: {
      authorization: `Bearer ${laptop.token}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    },
    payload: await gzip(
      JSON.stringify({ from: 7, to: 9, epoch: 1, batch: { devices: {}, changes: [longer, e] } }),
    ),
  })
  assert.deepEqual(zipped.json(), { pushedSeq: 9, applied: 1 })

  const total = await hub.call({
    method: 'GET',
    url: '/v1/summary/total?preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z',
  })
  assert.equal(total.json(), 15 * 60)
  const clients = (await hub.call({ method: 'GET', url: '/v1/sync/clients' })).json().clients
  assert.deepEqual(
    clients.map((c: { name: string; pushedSeq: number }) => [c.name, c.pushedSeq]).sort(),
    [
      ['desktop', 0],
      ['laptop', 9],
    ],
  )
  assert.ok(clients.every((c: { pulledSeq: number | null }) => c.pulledSeq === null))

  // The desktop pulls the laptop's event, once, as the laptop holds it; the laptop does not.
  const forDesktop = (await pull(hub, desktop.token)).json()
  const events = forDesktop.changes.filter((c: SyncChange) => c.kind === 'event')
  assert.deepEqual(events, [longer])
  assert.equal(forDesktop.devices[laptop.device.id], 'laptop')
  const forLaptop = (await pull(hub, laptop.token)).json()
  assert.deepEqual(
    forLaptop.changes.filter((c: SyncChange) => c.kind === 'event'),
    [],
  )
  // The hub shows how far each has read: the desktop from where it pulled, the laptop not yet
  // past where its own pull began; neither has pulled before, so both start at 0.
  const listed = (await hub.call({ method: 'GET', url: '/v1/sync/clients' })).json()
  for (const c of listed.clients as {
    name: string
    pulledSeq: number | null
    lastSeenAt: string
  }[]) {
    assert.equal(c.pulledSeq, 0, c.name)
    assert.equal(c.lastSeenAt, new Date(T0 + 60 * MIN).toISOString(), c.name)
  }
  await pull(hub, desktop.token, forDesktop.next, forDesktop.epoch)
  const after = (await hub.call({ method: 'GET', url: '/v1/sync/clients' })).json()
  const desktopRow = after.clients.find((c: { name: string }) => c.name === 'desktop')
  assert.equal(desktopRow.pulledSeq, forDesktop.next)
  assert.equal(after.lastSeq, forDesktop.next, 'the desktop is up to date')

  // Answered compressed to a client that accepts it.
  const gz = await hub.app.inject({
    method: 'GET',
    url: '/v1/sync/hub/pull?after=0&limit=10&wait=0',
    headers: { authorization: `Bearer ${desktop.token}`, 'accept-encoding': 'gzip' },
  })
  assert.equal(gz.headers['content-encoding'], 'gzip')
  assert.deepEqual(JSON.parse(zlib.gunzipSync(gz.rawPayload).toString()), forDesktop)
})

test('a device is named at pairing with a version past every one the hub has seen, which it answers; a rename of it syncs to the list of paired devices', async (t) => {
  const hub = await startHub(t)
  const laptop = await paired(hub, 'laptop')
  // The hub hears of a change made far ahead (another machine's clock a day ahead).
  const ahead = (Date.now() + 86_400_000) * 1024
  const label = {
    kind: 'label',
    op: 'upsert',
    id: randomUUID(),
    text: 'from the future',
    context: null,
    startMs: T0,
    endMs: T0 + MIN,
    createdMs: T0,
    updatedMs: T0,
    version: ahead,
  } as const
  assert.equal((await push(hub, laptop.token, [label], { to: 1 })).statusCode, 200)
  const { res, device } = await join(hub, await pairCode(hub, { name: 'desk' }), {
    id: randomUUID(),
    name: 'desktop-host',
  })
  assert.equal(res.statusCode, 201, res.body)
  const answered = res.json().device as { id: string; name: string; version: number }
  assert.equal(answered.name, 'desk')
  // The device applies its name at this version, so a rename it makes after joining wins.
  assert.ok(answered.version > ahead, `${answered.version} > ${ahead}`)
  const named = (await pull(hub, laptop.token))
    .json()
    .changes.find((c: SyncChange) => c.kind === 'device' && c.id === device.id)
  assert.equal(named.version, answered.version)

  const renamed = await push(
    hub,
    laptop.token,
    [
      {
        kind: 'device',
        op: 'upsert',
        id: laptop.device.id,
        name: 'work laptop',
        version: ahead + 5,
      },
    ],
    { from: 1, to: 2 },
  )
  assert.equal(renamed.statusCode, 200, renamed.body)
  const clients = (await hub.call({ method: 'GET', url: '/v1/sync/clients' })).json().clients
  assert.deepEqual(clients.map((c: { name: string }) => c.name).sort(), ['desk', 'work laptop'])
})

test("pushing another device's data is 403 and a malformed batch 422 naming the item: nothing of either is stored", async (t) => {
  const hub = await startHub(t)
  const laptop = await paired(hub, 'laptop')
  const desktop = await paired(hub, 'desktop')
  const own = (await hub.call({ method: 'GET', url: '/v1/devices' }))
    .json()
    .find((d: { own: boolean }) => d.own)
  const before = countRows(hub.dbFile, 'events')

  for (const foreign of [desktop.device.id, own.id]) {
    const res = await push(hub, laptop.token, [event(laptop.device.id), event(foreign)])
    assert.equal(res.statusCode, 403, res.body)
    assert.equal(res.json().code, 'foreign_device')
    assert.equal(res.json().field, 'batch/changes/1')
  }
  const afk = {
    kind: 'afk',
    op: 'upsert',
    id: afkId(desktop.device.id, T0),
    device: desktop.device.id,
    startMs: T0,
    endMs: T0 + MIN,
    inferredEndMs: null,
    durationSec: null,
  } as const
  assert.equal((await push(hub, laptop.token, [afk])).statusCode, 403)

  // Not the content id of what it says.
  const forged = { ...event(laptop.device.id), id: randomUUID() }
  const res = await push(hub, laptop.token, [
    event(laptop.device.id, { startMs: T0 + MIN }),
    forged,
  ])
  assert.equal(res.statusCode, 422)
  assert.equal(res.json().field, 'batch/changes/1')
  // A field missing: the schema names the item too.
  const partial: Partial<SyncChange & { entity: string }> = event(laptop.device.id)
  delete partial.entity
  const missing = await push(hub, laptop.token, [partial as SyncChange])
  assert.equal(missing.statusCode, 422)
  assert.match(missing.json().field, /^body\/batch\/changes\/0/)
  // A setting that does not sync.
  const local = await push(hub, laptop.token, [
    { kind: 'setting', op: 'upsert', key: 'inputRetentionDays', value: 1, version: 1 },
  ])
  assert.equal(local.statusCode, 422)

  assert.equal(countRows(hub.dbFile, 'events'), before)
  const clients = (await hub.call({ method: 'GET', url: '/v1/sync/clients' })).json().clients
  assert.ok(clients.every((c: { pushedSeq: number }) => c.pushedSeq === 0))
})

test('a revoked or unknown token is 401 at once, a sync token is refused elsewhere, and the admin token has no device', async (t) => {
  const hub = await startHub(t)
  const laptop = await paired(hub)
  const auth = { authorization: `Bearer ${laptop.token}` }
  const first = (await pull(hub, laptop.token)).json()
  // A pull waiting for the next commit ends with 401 when the device is revoked.
  const waiting = hub.app.inject({
    method: 'GET',
    url: `/v1/sync/hub/pull?after=${first.next}&epoch=${first.epoch}&limit=10&wait=60000`,
    headers: auth,
  })
  const clients = (await hub.call({ method: 'GET', url: '/v1/sync/clients' })).json().clients
  const revoke = await hub.call({
    method: 'POST',
    url: '/v1/sync/clients/revoke',
    payload: { id: clients[0].id },
  })
  assert.deepEqual(revoke.json(), { revoked: true, purged: 0 })
  assert.equal((await waiting).statusCode, 401)
  for (const res of [
    await pull(hub, laptop.token),
    await push(hub, laptop.token, []),
    await pull(hub, 'dbs_unknown'),
  ]) {
    assert.equal(res.statusCode, 401, res.body)
  }
  const listed = (await hub.call({ method: 'GET', url: '/v1/sync/clients' })).json().clients
  assert.equal(listed[0].revoked, true)

  const other = await paired(hub, 'desktop')
  for (const url of [
    '/v1/settings',
    '/v1/auth/tokens',
    '/v1/summary/total?preset=today',
    '/v1/sync/clients',
  ]) {
    const res = await hub.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${other.token}` },
    })
    assert.equal(res.statusCode, 403, `${url}: ${res.body}`)
  }
  const admin = await hub.call({ method: 'GET', url: '/v1/sync/hub/pull?after=0' })
  assert.equal(admin.statusCode, 403)
})

// Bounded by its own limit, well under the pull's wait: a stop that waits out the pull fails it.
test(
  'a clean stop answers a pull held open at once, with what there is, and closes its connection',
  { timeout: 40_000 },
  async (t) => {
    const hub = await startHub(t)
    const laptop = await paired(hub)
    const first = (await pull(hub, laptop.token)).json()
    await hub.app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = hub.app.server.address() as { port: number }
    const arrived = once(hub.app.server, 'request')
    const answer = fetch(
      `http://127.0.0.1:${port}/v1/sync/hub/pull?after=${first.next}&epoch=${first.epoch}&limit=10&wait=60000`,
      { headers: { authorization: `Bearer ${laptop.token}` } },
    )
    await arrived
    await hub.app.close()
    const res = await answer
    assert.equal(res.status, 200)
    // Not kept alive: the server's close would wait out its idle timeout.
    assert.equal(res.headers.get('connection'), 'close')
    const page = (await res.json()) as { changes: unknown[]; next: number; epoch: number }
    assert.deepEqual(page.changes, [])
    assert.equal(page.next, first.next)
    assert.equal(page.epoch, first.epoch)
  },
)

test("a body said to be gzip that is not: a 400 or the route's own answer, and the daemon lives on", async (t) => {
  const hub = await startHub(t)
  const laptop = await paired(hub, 'laptop')
  const notGzip = Buffer.from('this is not gzip at all')
  const send = (method: 'GET' | 'POST', url: string, contentType: string, token = laptop.token) =>
    hub.app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': contentType,
        'content-encoding': 'gzip',
      },
      payload: notGzip,
    })
  // Read as the push's body: refused in words.
  const push = await send('POST', '/v1/sync/hub/push', 'application/json')
  assert.equal(push.statusCode, 400, push.body)
  // Not read at all (a route without a body, a content type refused first): answered as ever;
  // the stream's error comes after, with nobody reading. It ended the daemon.
  const status = await send('GET', '/v1/sync/status', 'application/json', hub.token)
  assert.equal(status.statusCode, 200, status.body)
  const text = await send('POST', '/v1/sync/hub/push', 'text/plain')
  assert.equal(text.statusCode, 415, text.body)
  // Let the decompressors fail, then the hub still answers.
  await new Promise((resolve) => setImmediate(resolve))
  const after = await hub.call({ method: 'GET', url: '/v1/sync/clients' })
  assert.equal(after.statusCode, 200, after.body)
})

test('revoking with purge deletes the device’s events and frames on the hub, as deletions others apply', async (t) => {
  const hub = await startHub(t)
  const laptop = await paired(hub, 'laptop')
  const desktop = await paired(hub, 'desktop')
  const atMs = T0 + 5 * MIN
  const filename = (name: string) => framePath(atMs, name).filename
  const frame = (device: string, name: string): SyncChange => ({
    kind: 'screenshot',
    op: 'upsert',
    id: frameId(device, filename(name)),
    device,
    filename: filename(name),
    atMs,
    app: 'Editor',
    title: 'notes.md',
    url: null,
    bytes: 1000,
    width: 640,
    height: 480,
    hash: 'a'.repeat(16),
    text: 'quarterly report',
    ocrMs: 120,
  })
  const pushed = await push(hub, laptop.token, [
    event(laptop.device.id),
    event(laptop.device.id, { startMs: T0 + 20 * MIN, endMs: T0 + 25 * MIN }),
    frame(laptop.device.id, 'laptop'),
  ])
  assert.equal(pushed.statusCode, 200, pushed.body)
  // The desktop's own frame stays.
  const kept = await push(hub, desktop.token, [frame(desktop.device.id, 'desktop')])
  assert.equal(kept.statusCode, 200, kept.body)
  assert.equal(countRows(hub.dbFile, 'screenshots'), 2)
  const { id } = (await hub.call({ method: 'GET', url: '/v1/sync/clients' }))
    .json()
    .clients.find((c: { name: string }) => c.name === 'laptop')
  const res = await hub.call({
    method: 'POST',
    url: '/v1/sync/clients/revoke',
    payload: { id, purge: true },
  })
  assert.deepEqual(res.json(), { revoked: true, purged: 3 })
  assert.equal(countRows(hub.dbFile, 'screenshots'), 1)
  const page = (await pull(hub, desktop.token)).json()
  assert.deepEqual(
    page.changes.filter((c: SyncChange) => c.kind === 'event').map((c: SyncChange) => c.op),
    ['delete', 'delete'],
  )
  // The laptop's frame is a tombstone every device applies; the desktop's own is not touched.
  assert.deepEqual(
    page.changes
      .filter((c: SyncChange) => c.kind === 'screenshot')
      .map((c: { op: string; id: string }) => [c.op, c.id]),
    [['delete', frameId(laptop.device.id, filename('laptop'))]],
  )
})

test('a daemon that is not a hub says so; its status says it syncs with nothing', async (t) => {
  const { app, call } = await startApp(t)
  const pair = await call({ method: 'POST', url: '/v1/sync/pair', payload: {} })
  assert.equal(pair.statusCode, 404)
  assert.equal(pair.json().code, 'not_a_hub')
  const joined = await app.inject({
    method: 'POST',
    url: '/v1/sync/hub/join',
    payload: { code: 'ABCD-EFGH-JKMN-PQRS', device: { id: randomUUID(), name: 'x' }, protocol: 1 },
  })
  assert.equal(joined.statusCode, 404)
  const status = await call({ method: 'GET', url: '/v1/sync/status' })
  assert.equal(status.json().state, 'unpaired')
  assert.equal(status.json().role, 'none')
  const version = await call({ method: 'GET', url: '/v1/version' })
  assert.equal(version.json().protocol_version, PROTOCOL_VERSION)
})

test(
  'a daemon on PostgreSQL serves as a hub only: joining a hub is refused before the hub is asked',
  { skip: (await postgresUnavailable()) ?? false },
  async (t) => {
    const configDir = tempDir(t)
    const { call } = await startApp(t, { postgres: await freshDatabase(t), sync: { configDir } })
    const res = await call({
      method: 'POST',
      url: '/v1/sync/join',
      payload: { url: HUB.url, code: 'ABCD-EFGH-JKMN-PQRS', fingerprint: HUB.fingerprint },
    })
    assert.equal(res.statusCode, 409, res.body)
    assert.equal(res.json().code, 'spoke_needs_sqlite')
    assert.ok(!existsSync(path.join(configDir, 'sync.json')), 'no pairing kept')
    assert.equal((await call({ method: 'GET', url: '/v1/sync/status' })).json().state, 'unpaired')
  },
)
