/**
 * The store conformance suite: what every implementation of the `Store` port must do, written
 * once against the port, asserting behaviour (never a database's error text).
 * `test/store/conformance-<kind>.test.ts` runs it over each store kind `STORES` names (`stores.ts`).
 */
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import path from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import fc from 'fast-check'
import { type BucketUnit, makeCalendar } from '../../src/domain/calendar.ts'
import type {
  ActivityEvent,
  Dimension,
  NewActivityEvent,
  NewAfkPeriod,
} from '../../src/domain/events.ts'
import { referenceFromStore } from './reference.ts'
import { tempDir } from '../helpers.ts'
import { deriveEvents } from '../../src/domain/wakatime/derive.ts'
import { type Heartbeat, PLACEHOLDERS, heartbeatHash } from '../../src/domain/wakatime/heartbeat.ts'
import { editorDisplayName } from '../../src/domain/wakatime/user-agent.ts'
import type { ActiveTimeQuery, Store, TokenRow } from '../../src/store/ports.ts'
import type { Change } from '../../src/domain/changes.ts'
import { activityWatchConformance } from './conformance-activitywatch.ts'
import { readsConformance } from './conformance-reads.ts'
import { syncConformance } from './conformance-sync.ts'
import { hooksConformance } from './conformance-hooks.ts'
import { screenshotsConformance } from './conformance-screenshots.ts'
import { usersConformance } from './conformance-users.ts'
import { teamsConformance } from './conformance-teams.ts'
import { daysConformance } from './conformance-days.ts'

/** Opens a fresh, migrated, empty store; the suite closes it. */
export type StoreFactory = (t: TestContext) => Promise<Store>

const T0 = Date.parse('2025-09-11T09:00:00Z')
const MIN = 60_000

export function event(overrides: Partial<NewActivityEvent> = {}): NewActivityEvent {
  return {
    device: null,
    startMs: T0,
    endMs: T0 + 10 * MIN,
    durationSec: null,
    category: 'Coding',
    app: 'Code',
    entity: 'main.rs',
    entityType: 'File',
    project: 'daybook',
    projectPath: '/src/daybook',
    branch: 'main',
    language: 'Rust',
    source: 'skopio-vscode',
    ...overrides,
  }
}

export function heartbeat(overrides: Partial<Heartbeat> = {}): Heartbeat {
  return {
    entity: '/src/daybook/main.rs',
    type: 'file',
    category: 'coding',
    project: 'daybook',
    branch: 'main',
    language: 'Rust',
    isWrite: false,
    timeMs: T0,
    device: null,
    editor: 'vscode',
    os: 'Linux',
    userAgent:
      'wakatime/v1.102.1 (linux-6.6.4-x86_64) go1.22.5 vscode/1.95.3 vscode-wakatime/24.8.0',
    extra: null,
    ...overrides,
  }
}

function afk(overrides: Partial<NewAfkPeriod> = {}): NewAfkPeriod {
  return { device: null, startMs: T0, endMs: T0 + 5 * MIN, durationSec: null, ...overrides }
}

const zero = { lc: 0, rc: 0, mc: 0, kp: 0, mm: 0, scroll: 0 }

async function allEvents(store: Store): Promise<ActivityEvent[]> {
  const out: ActivityEvent[] = []
  let after: { startMs: number; id: string } | undefined
  for (;;) {
    const page = await store.events.list({ range: {}, filters: {}, limit: 3, after })
    out.push(...page.events)
    if (!page.next) return out
    after = page.next
  }
}

async function feed(store: Store, pageSize = 7): Promise<Change[]> {
  const out: Change[] = []
  let after = 0
  for (;;) {
    const { changes, next } = await store.changes.after(after, pageSize)
    out.push(...changes)
    if (changes.length === 0) return out
    after = next
  }
}

const day = (from: number, to: number): ActiveTimeQuery => ({
  range: { startMs: from, endMs: to },
  unit: null,
  calendar: makeCalendar('UTC'),
  filters: {},
  includeAfk: false,
})

async function totalSeconds(store: Store, from = T0 - 3_600_000, to = T0 + 86_400_000) {
  return (await store.activeTime.query(day(from, to))).reduce((s, c) => s + c.seconds, 0)
}

export function conformance(name: string, open: StoreFactory): void {
  activityWatchConformance(name, open)
  readsConformance(name, open)
  syncConformance(name, open)
  hooksConformance(name, open)
  screenshotsConformance(name, open)
  usersConformance(name, open)
  teamsConformance(name, open)
  daysConformance(name, open)
  test(`${name}: closing a store twice is harmless (the daemon's start and its app both close it)`, async (t) => {
    const store = await open(t)
    await store.events.insert([event()], T0)
    await store.close()
    await store.close()
  })
  describe(`${name}: events`, () => {
    test('identity is device, source, start and names: re-sends are duplicates, a later end extends', async (t) => {
      const store = await open(t)
      const first = await store.events.insert([event(), event({ entity: 'lib.rs' })], T0)
      assert.deepEqual(
        { ...first, changes: first.changes.map((c) => c.kind) },
        { inserted: 2, duplicates: 0, updated: 0, changes: ['event', 'event'] },
      )
      const again = await store.events.insert(
        [event(), event({ endMs: T0 + 5 * MIN }), event({ endMs: T0 + 15 * MIN })],
        T0,
      )
      assert.deepEqual(
        { inserted: again.inserted, duplicates: again.duplicates, updated: again.updated },
        { inserted: 0, duplicates: 2, updated: 1 },
      )
      const events = await allEvents(store)
      assert.equal(events.length, 2)
      const main = events.find((e) => e.entity === 'main.rs') as ActivityEvent
      assert.equal(main.endMs, T0 + 15 * MIN)
      assert.equal(main.durationSec, 15 * 60)
      // The extension carried the stored event's id; a different device is a different event.
      assert.equal(again.changes.length, 1)
      assert.equal((again.changes[0] as { event: ActivityEvent }).event.id, main.id)
      const other = await store.events.insert([event({ device: 'desk' })], T0)
      assert.equal(other.inserted, 1)
      const devices = await store.devices.list()
      assert.deepEqual(
        devices.map((d) => [d.own, d.events]),
        [
          [true, 2],
          [false, 1],
        ],
      )
    })

    test('a batch is all or nothing', async (t) => {
      const store = await open(t)
      const before = await store.changes.last()
      await assert.rejects(
        store.events.insert(
          [
            event(),
            // NaN makes the row unstorable: the whole batch must roll back.
            event({ entity: 'bad', startMs: Number.NaN, endMs: Number.NaN }),
          ],
          T0,
        ),
      )
      assert.equal((await allEvents(store)).length, 0)
      // No feed position was used by the rolled-back batch.
      assert.equal(await store.changes.last(), before)
      const later = await store.events.insert([event()], T0)
      assert.equal(later.inserted, 1)
    })

    test('listing pages by start then id, never skipping or repeating, long events included', async (t) => {
      const store = await open(t)
      const batch = Array.from({ length: 20 }, (_, i) =>
        event({
          entity: `f${i}`,
          startMs: T0 + Math.floor(i / 4) * MIN,
          endMs: T0 + (i === 3 ? 180 : Math.floor(i / 4) + 1) * MIN,
        }),
      )
      await store.events.insert(batch, T0)
      const all = await allEvents(store)
      assert.equal(all.length, 20)
      assert.equal(new Set(all.map((e) => e.id)).size, 20)
      for (let i = 1; i < all.length; i++) {
        const [a, b] = [all[i - 1] as ActivityEvent, all[i] as ActivityEvent]
        assert.ok(a.startMs < b.startMs || (a.startMs === b.startMs && a.id < b.id))
      }
      // An event of three hours overlaps a range that starts two hours after it began.
      const late = await store.events.list({
        range: { startMs: T0 + 120 * MIN, endMs: T0 + 121 * MIN },
        filters: {},
        limit: 100,
      })
      assert.deepEqual(
        late.events.map((e) => e.entity),
        ['f3'],
      )
      const filtered = await store.events.list({
        range: {},
        filters: { entity: ['f1', 'f2'], device: ['nowhere'] },
        limit: 100,
      })
      assert.equal(filtered.events.length, 0)
    })

    test('deletion by id, start range, source and device leaves tombstones; deleted stays deleted', async (t) => {
      const store = await open(t)
      await store.events.insert(
        [
          event({ entity: 'a' }),
          event({ entity: 'b', startMs: T0 + 60 * MIN, endMs: T0 + 70 * MIN }),
          event({ entity: 'c', source: 'daybook-window' }),
          event({ entity: 'd', device: 'desk' }),
          event({ entity: 'e', startMs: T0 + 120 * MIN, endMs: T0 + 130 * MIN }),
        ],
        T0,
      )
      const a = (await allEvents(store)).find((e) => e.entity === 'a') as ActivityEvent
      assert.equal((await store.events.delete({ ids: [a.id] })).deleted, 1)
      assert.equal((await store.events.delete({ sources: ['daybook-window'] })).deleted, 1)
      assert.equal((await store.events.delete({ devices: ['desk'] })).deleted, 1)
      const ranged = await store.events.delete({ startMs: T0 + 30 * MIN, endMs: T0 + 90 * MIN })
      assert.equal(ranged.deleted, 1)
      assert.deepEqual(
        ranged.changes.map((c) => [c.kind, c.op]),
        [['event', 'delete']],
      )
      assert.deepEqual(
        (await allEvents(store)).map((e) => e.entity),
        ['e'],
      )
      const resent = await store.events.insert([event({ entity: 'a' })], T0)
      assert.deepEqual([resent.inserted, resent.duplicates], [0, 1])
      assert.equal(await totalSeconds(store), 10 * 60)
      const tombstones = (await feed(store)).filter((c) => c.op === 'delete')
      assert.equal(tombstones.length, 4)
      assert.ok(tombstones.some((c) => c.op === 'delete' && c.id === a.id))
    })
  })

  describe(`${name}: AFK and presence`, () => {
    test('a period is its device and start: closed or extended by a later end, else a duplicate', async (t) => {
      const store = await open(t)
      assert.equal((await store.afk.insert([afk({ endMs: null })], T0)).inserted, 1)
      const closed = await store.afk.insert([afk({ endMs: T0 + 5 * MIN })], T0)
      assert.deepEqual([closed.inserted, closed.updated, closed.duplicates], [0, 1, 0])
      const shorter = await store.afk.insert([afk({ endMs: T0 + 2 * MIN })], T0)
      assert.equal(shorter.duplicates, 1)
      assert.equal((await store.afk.insert([afk({ device: 'desk' })], T0)).inserted, 1)
      const periods = await store.afk.list({})
      assert.deepEqual(
        periods.map((p) => [p.endMs, p.device === 'desk']),
        [
          [T0 + 5 * MIN, false],
          [T0 + 5 * MIN, true],
        ],
      )
    })

    test('an open period ends at the first input or editor event on its device, not a window event', async (t) => {
      const store = await open(t)
      // Window events keep coming while the person is away; the AFK watcher died without an end.
      await store.events.insert(
        [event({ source: 'skopio-desktop', app: 'Slack', startMs: T0, endMs: T0 + 120 * MIN })],
        T0,
      )
      await store.afk.insert([afk({ startMs: T0 + 30 * MIN, endMs: null })], T0)
      assert.equal(await totalSeconds(store), 30 * 60)
      // A window event is no evidence; input on another device is none either.
      await store.events.insert(
        [
          event({
            source: 'skopio-desktop',
            app: 'Mail',
            startMs: T0 + 40 * MIN,
            endMs: T0 + 41 * MIN,
          }),
        ],
        T0,
      )
      await store.input.add(
        [{ ...zero, kp: 3, bucketMs: T0 + 45 * MIN, source: 'kb', device: 'desk' }],
        T0,
      )
      assert.equal((await store.afk.list({}))[0]?.inferredEndMs, null)
      // Input on this device at 10:00 (bucket start) is: the period ends there.
      const input = await store.input.add(
        [{ ...zero, kp: 3, bucketMs: T0 + 60 * MIN, source: 'kb' }],
        T0,
      )
      assert.deepEqual(
        input.changes.map((c) => [c.kind, c.op]),
        [['afk', 'upsert']],
      )
      assert.equal((await store.afk.list({}))[0]?.inferredEndMs, T0 + 60 * MIN)
      assert.equal(await totalSeconds(store), 30 * 60 + 60 * 60)
      // An earlier editor event moves it earlier.
      await store.events.insert([event({ startMs: T0 + 50 * MIN, endMs: T0 + 52 * MIN })], T0)
      assert.equal((await store.afk.list({}))[0]?.inferredEndMs, T0 + 50 * MIN)
      assert.equal(await totalSeconds(store), 30 * 60 + 70 * 60)
      // The real end wins when it arrives.
      await store.afk.insert([afk({ startMs: T0 + 30 * MIN, endMs: T0 + 90 * MIN })], T0)
      const [period] = await store.afk.list({})
      assert.deepEqual([period?.endMs, period?.inferredEndMs], [T0 + 90 * MIN, null])
      // (The editor's two minutes now fall inside the period: away, on this device.)
      assert.equal(await totalSeconds(store), 30 * 60 + 30 * 60)
    })

    test('an open period posted after the evidence finds it', async (t) => {
      const store = await open(t)
      await store.input.add([{ ...zero, kp: 1, bucketMs: T0 + 20 * MIN, source: 'kb' }], T0)
      await store.afk.insert([afk({ startMs: T0 + 10 * MIN, endMs: null })], T0)
      assert.equal((await store.afk.list({}))[0]?.inferredEndMs, T0 + 20 * MIN)
    })

    test('AFK deletion leaves tombstones and gives the time back', async (t) => {
      const store = await open(t)
      await store.events.insert([event()], T0)
      await store.afk.insert([afk()], T0)
      assert.equal(await totalSeconds(store), 5 * 60)
      const { deleted, changes } = await store.afk.delete({ startMs: T0, endMs: T0 + 1 })
      assert.equal(deleted, 1)
      assert.deepEqual(
        changes.map((c) => c.op),
        ['delete'],
      )
      assert.equal(await totalSeconds(store), 10 * 60)
    })
  })

  describe(`${name}: devices, input, settings, tokens, catalog`, () => {
    test('devices named by an import are created, without any data; known names are not', async (t) => {
      const store = await open(t)
      await store.events.insert([event({ device: 'laptop-2' })], T0)
      const own = (await store.devices.list())[0]?.name ?? ''
      const r = await store.devices.ensure(['tablet', 'laptop-2', own, 'tablet'], T0)
      assert.equal(r.created, 1)
      assert.deepEqual(
        r.changes.map((c) => (c.kind === 'device' && c.op === 'upsert' ? c.device.name : c.kind)),
        ['tablet'],
      )
      const devices = await store.devices.list()
      assert.deepEqual(
        devices.map((d) => [d.name, d.own]),
        [
          [own, true],
          ...[
            ['laptop-2', false],
            ['tablet', false],
          ],
        ],
      )
      assert.deepEqual(await store.devices.ensure(['tablet'], T0), { created: 0, changes: [] })
    })

    test('devices are listed own first and renamed; a taken name is refused', async (t) => {
      const store = await open(t)
      await store.events.insert([event({ device: 'laptop-2' })], T0)
      const [own, other] = await store.devices.list()
      assert.equal(own?.own, true)
      assert.equal(other?.name, 'laptop-2')
      assert.equal(other?.lastSeenMs, T0 + 10 * MIN)
      const renamed = await store.devices.rename(other?.id, 'desk')
      assert.equal(renamed.device.name, 'desk')
      assert.deepEqual(
        renamed.changes.map((c) => c.kind),
        ['device'],
      )
      await assert.rejects(store.devices.rename(other?.id, own?.name), {
        name: 'ConflictError',
      })
      await assert.rejects(store.devices.rename('00000000-0000-4000-8000-000000000000', 'x'), {
        name: 'NotFoundError',
      })
      // Active time grouped by device follows the rename, asked again (a store may keep answers).
      const byDevice = { ...day(T0 - 3_600_000, T0 + 86_400_000), groupBy: 'device' as const }
      assert.deepEqual(
        (await store.activeTime.query(byDevice)).map((c) => c.group),
        ['desk'],
      )
      await store.devices.rename(other?.id, 'desk-2')
      assert.deepEqual(
        (await store.activeTime.query(byDevice)).map((c) => c.group),
        ['desk-2'],
      )
      await store.devices.rename(other?.id, 'desk')
      // The renamed device keeps its events; its old name is free for a new device.
      assert.equal((await store.events.insert([event({ device: 'laptop-2' })], T0)).inserted, 1)
      assert.equal((await store.devices.list()).length, 3)
    })

    test('input adds per bucket, a known batch id is a duplicate, retention deletes old rows', async (t) => {
      const store = await open(t)
      const r = await store.input.add(
        [
          { ...zero, kp: 2, bucketMs: T0, source: 'a', batchId: 'x1' },
          { ...zero, kp: 3, bucketMs: T0, source: 'b', batchId: 'x2', device: 'desk' },
          { ...zero, kp: 5, bucketMs: T0 + 300_000, source: 'a', batchId: 'x3' },
        ],
        T0,
      )
      assert.deepEqual([r.inserted, r.duplicates, r.applied], [3, 0, [0, 1, 2]])
      const again = await store.input.add(
        [{ ...zero, kp: 2, bucketMs: T0, source: 'a', batchId: 'x1' }],
        T0,
      )
      assert.deepEqual([again.inserted, again.duplicates, again.applied], [0, 1, []])
      assert.deepEqual(
        (await store.input.buckets({ startMs: 0 })).map((b) => [b.bucketMs, b.kp]),
        [
          [T0, 5],
          [T0 + 300_000, 5],
        ],
      )
      // Filtered by device name: the daemon's own device has a name too, `desk` is another.
      assert.deepEqual(
        (await store.input.buckets({ startMs: 0, devices: ['desk'] })).map((b) => [
          b.bucketMs,
          b.kp,
        ]),
        [[T0, 3]],
      )
      assert.deepEqual(await store.input.buckets({ startMs: 0, devices: ['nowhere'] }), [])
      assert.deepEqual(await store.input.buckets({ startMs: 0, devices: [] }), [])
      assert.equal(await store.input.deleteBefore(T0 + 1), 2)
      assert.equal(await store.input.pruneBatches(T0 + 1), 3)
    })

    test('input rows: read per device and source; merged rows keep each counter the larger', async (t) => {
      const store = await open(t)
      await store.input.add(
        [
          { ...zero, kp: 2, mm: 9, bucketMs: T0, source: 'a' },
          { ...zero, kp: 3, bucketMs: T0, source: 'b', device: 'desk' },
          { ...zero, kp: 4, bucketMs: T0, source: 'a', device: 'desk' },
        ],
        T0,
      )
      const own = (await store.devices.list()).find((d) => d.own)?.name ?? ''
      const range = { startMs: T0, endMs: T0 + 300_000 }
      // Nothing summed: a row per bucket, device and source, by device name then source.
      assert.deepEqual(
        (await store.input.rows(range)).map((r) => [r.bucketMs, r.device, r.source, r.kp, r.mm]),
        [
          [T0, 'desk', 'a', 4, 0],
          [T0, 'desk', 'b', 3, 0],
          [T0, own, 'a', 2, 9],
          // By name in byte order (stable: the two of desk stay in source order).
        ].sort((x, y) => (String(x[1]) < String(y[1]) ? -1 : String(x[1]) > String(y[1]) ? 1 : 0)),
      )
      assert.deepEqual(
        (await store.input.rows({ ...range, devices: ['desk'] })).map((r) => r.source),
        ['a', 'b'],
      )
      assert.deepEqual(await store.input.rows({ startMs: T0 + 300_000, endMs: T0 + 600_000 }), [])

      // Merged: a counter grows to the given value, never shrinks; a row given again, or one
      // already held, changes nothing; a new device is made by its first row.
      const rows = [
        { ...zero, kp: 7, mm: 1, bucketMs: T0, device: 'desk', source: 'a' },
        { ...zero, kp: 3, bucketMs: T0, device: 'desk', source: 'b' },
        { ...zero, lc: 5, bucketMs: T0 + 300_000, device: 'phone', source: 'c' },
      ]
      const merged = await store.input.merge(rows, T0)
      assert.deepEqual([merged.inserted, merged.duplicates], [2, 1])
      assert.deepEqual(
        merged.added.map((r) => [r.device, r.source, r.kp, r.mm, r.lc]),
        [
          ['desk', 'a', 3, 1, 0],
          ['phone', 'c', 0, 0, 5],
        ],
      )
      const again = await store.input.merge(rows, T0)
      assert.deepEqual([again.inserted, again.duplicates, again.added], [0, 3, []])
      assert.deepEqual(
        (
          await store.input.rows({ startMs: T0, endMs: T0 + 600_000, devices: ['desk', 'phone'] })
        ).map((r) => [r.bucketMs, r.device, r.source, r.kp, r.mm, r.lc]),
        [
          [T0, 'desk', 'a', 7, 1, 0],
          [T0, 'desk', 'b', 3, 0, 0],
          [T0 + 300_000, 'phone', 'c', 0, 0, 5],
        ],
      )
      assert.ok((await store.devices.list()).some((d) => d.name === 'phone' && !d.own))
    })

    test('settings are saved and read; each key is a change in the feed', async (t) => {
      const store = await open(t)
      const { changes } = await store.settings.save({
        timezone: 'Europe/Berlin',
        startOfDay: '04:00',
      })
      assert.deepEqual(
        changes.map((c) => (c.kind === 'setting' ? [c.key, c.value] : null)),
        [
          ['timezone', 'Europe/Berlin'],
          ['startOfDay', '04:00'],
        ],
      )
      assert.deepEqual(await store.settings.get(), {
        timezone: 'Europe/Berlin',
        startOfDay: '04:00',
      })
    })

    test('tokens: the cap is checked atomically with the insert; revoke, delete, touch', async (t) => {
      const store = await open(t)
      const token = (id: string): TokenRow => ({
        id,
        name: id,
        tokenHash: `hash-${id}`,
        tokenSalt: 'salt',
        tokenPreview: 'sk-abc…wxyz',
        acl: 'read_only',
        createdAt: 100,
        expiresAt: null,
        lastUsedAt: null,
        revoked: false,
      })
      // The version moves with every insert, revocation and deletion (other daemons' caches
      // compare it), and not with a touch.
      const versions = [await store.tokens.version()]
      const moved = async () => {
        const v = await store.tokens.version()
        assert.notEqual(v, versions.at(-1))
        versions.push(v)
      }
      const results = await Promise.all(
        ['a', 'b', 'c'].map((id) => store.tokens.insert(token(id), 2, 100)),
      )
      assert.deepEqual(results.filter(Boolean).length, 2)
      await moved()
      const [first] = await store.tokens.list()
      assert.equal(await store.tokens.revoke(first?.id as string), true)
      await moved()
      assert.equal(await store.tokens.revoke('nope'), false)
      const beforeTouch = await store.tokens.version()
      await store.tokens.touch(first?.id as string, 200)
      assert.equal(await store.tokens.version(), beforeTouch)
      versions.push(beforeTouch)
      const listed = await store.tokens.list()
      assert.deepEqual([listed[0]?.revoked, listed[0]?.lastUsedAt], [true, 200])
      assert.equal(await store.tokens.delete(first?.id as string), true)
      await moved()
      assert.equal((await store.tokens.list()).length, 1)
    })

    test('catalog: apps, categories and projects by name; project pages and search', async (t) => {
      const store = await open(t)
      await store.events.insert(
        [
          event({ app: 'Zed', project: 'alpha beta', projectPath: '/a' }),
          event({
            app: 'Code',
            project: 'gamma',
            startMs: T0 + MIN,
            endMs: T0 + 2 * MIN,
            category: 'Reading',
          }),
        ],
        T0,
      )
      assert.deepEqual(
        (await store.catalog.apps()).map((a) => a.name),
        ['Code', 'Zed'],
      )
      assert.deepEqual(
        (await store.catalog.categories()).map((a) => a.name),
        // With the categories the default category rules count time under.
        ['Coding', 'Communicating', 'Meeting', 'Reading'],
      )
      const page = await store.catalog.projects({ limit: 1 })
      assert.equal(page.totalPages, 2)
      assert.equal(page.data[0]?.name, 'alpha beta')
      const second = await store.catalog.projects({ from: page.cursors[1], limit: 1 })
      assert.equal(second.data[0]?.name, 'gamma')
      assert.deepEqual(
        (await store.catalog.searchProjects('bet', 10)).map((p) => p.name),
        ['alpha beta'],
      )
      assert.deepEqual(await store.catalog.searchProjects('"', 10), [])
      const one = await store.catalog.project(page.data[0]?.id)
      assert.equal(one?.rootPath, '/a')
    })
  })

  describe(`${name}: backup`, () => {
    if (name === 'postgres') {
      test('a server database is backed up with its own tool: refused, naming pg_dump', async (t) => {
        const store = await open(t)
        await assert.rejects(store.backup(path.join(tempDir(t), 'copy.db')), {
          code: 'backup_use_pg_dump',
          message: /pg_dump/,
        })
        assert.throws(() => store.checkBackup(), { code: 'backup_use_pg_dump' })
      })
      return
    }
    test('a copy with every committed change, checked; writes go on; an existing file is refused', async (t) => {
      const store = await open(t)
      store.checkBackup()
      await store.events.insert([event(), event({ entity: 'lib.rs' })], T0)
      const file = path.join(tempDir(t), 'copy.db')
      const copy = await store.backup(file)
      assert.equal(copy.version, (await store.schema()).version)
      assert.ok(copy.bytes > 0)
      assert.ok(statSync(file).size === copy.bytes)
      await store.events.insert([event({ entity: 'after.rs' })], T0)
      assert.equal((await allEvents(store)).length, 3)
      await assert.rejects(store.backup(file))
    })
  })

  describe(`${name}: the change feed`, () => {
    test('every change in commit order, compacted, nothing skipped while two writers write and a reader follows', async (t) => {
      const store = await open(t)
      const writer = (tag: string) =>
        (async () => {
          for (let i = 0; i < 15; i++) {
            await store.events.insert(
              [
                event({
                  entity: `${tag}${i}`,
                  startMs: T0 + i * MIN,
                  endMs: T0 + i * MIN + 30_000,
                }),
                event({
                  entity: `${tag}${i}`,
                  startMs: T0 + i * MIN,
                  endMs: T0 + i * MIN + 50_000,
                }),
              ],
              T0,
            )
            if (i % 5 === 0) {
              const startMs = T0 + i * 7 * MIN
              await store.afk.insert([afk({ startMs, endMs: startMs + 5 * MIN, device: tag })], T0)
            }
          }
        })()
      // A follower reads the feed while the writers write; whatever it saw last of each row,
      // together, must equal the final state.
      const seen = new Map<string, Change>()
      let after = 0
      let writing = true
      const follower = (async () => {
        for (;;) {
          // Stop only on an empty page asked for after the writers were done.
          const done = !writing
          const { changes, next } = await store.changes.after(after, 5)
          for (const c of changes) {
            assert.ok(c.seq > after)
            seen.set(keyOf(c), c)
          }
          after = next
          if (changes.length === 0 && done) return
        }
      })()
      await Promise.all([writer('a'), writer('b')])
      writing = false
      await follower
      const final = await feed(store)
      const seqs = final.map((c) => c.seq)
      assert.deepEqual(
        seqs,
        [...seqs].sort((x, y) => x - y),
      )
      assert.equal(new Set(seqs).size, seqs.length)
      // Compacted: one change per row; every event, AFK period and new device is in it.
      assert.equal(final.filter((c) => c.kind === 'event').length, 30)
      assert.equal(final.filter((c) => c.kind === 'afk').length, 6)
      assert.equal(final.filter((c) => c.kind === 'device').length, 3)
      assert.deepEqual(
        [...seen.values()].sort((x, y) => x.seq - y.seq),
        final,
      )
      assert.equal(await store.changes.last(), seqs[seqs.length - 1])
      // Each event's feed entry is its latest state: the longer end.
      for (const c of final)
        if (c.kind === 'event' && c.op === 'upsert')
          assert.equal(c.event.endMs - c.event.startMs, 50_000)
    })
  })

  describe(`${name}: WakaTime heartbeats`, () => {
    /** The stored events of a device's WakaTime streams, as (source, entity, start, end). */
    async function derived(store: Store, device?: string) {
      return (await allEvents(store))
        .filter((e) => e.source.startsWith('wakatime-') && (!device || e.device === device))
        .map((e) => [e.source, e.entity, e.startMs - T0, e.endMs - T0] as const)
    }

    test('stored once per device; a stream of heartbeats becomes events, a lone one nothing', async (t) => {
      const store = await open(t)
      const a = (s: number, o: Partial<Heartbeat> = {}) =>
        heartbeat({ entity: 'a.rs', timeMs: T0 + s * 1000, ...o })
      const first = await store.heartbeats.insert(
        [
          a(0),
          a(60, { isWrite: true }),
          a(120, { entity: 'b.rs' }),
          a(180, { entity: 'b.rs' }),
          // 30 minutes later: beyond the 15-minute timeout, so b.rs@180 covers nothing, and this
          // lone heartbeat covers nothing either.
          a(1980, { entity: 'c.rs' }),
          a(0),
        ],
        T0,
      )
      assert.deepEqual(first.stored, [true, true, true, true, true, false])
      assert.deepEqual([first.inserted, first.duplicates], [5, 1])
      assert.deepEqual(await derived(store), [
        ['wakatime-vscode', 'a.rs', 0, 120_000],
        ['wakatime-vscode', 'b.rs', 120_000, 180_000],
      ])
      const [event] = await allEvents(store)
      assert.deepEqual(
        {
          app: event?.app,
          category: event?.category,
          entityType: event?.entityType,
          project: event?.project,
          branch: event?.branch,
          language: event?.language,
        },
        {
          app: 'VS Code',
          category: 'Coding',
          entityType: 'File',
          project: 'daybook',
          branch: 'main',
          language: 'Rust',
        },
      )
      // The same heartbeat from another machine is another heartbeat.
      const other = await store.heartbeats.insert([a(0, { device: 'desk' })], T0)
      assert.deepEqual(other.stored, [true])
      // Identity leaves the editor, OS and user agent out: a re-send by a newer plugin is the same.
      const resent = await store.heartbeats.insert(
        [a(60, { isWrite: true, editor: 'Code', os: 'x' })],
        T0,
      )
      assert.deepEqual(resent.stored, [false])
      assert.equal(await totalSeconds(store), 180)

      const listed = await store.heartbeats.list({ startMs: T0, endMs: T0 + 3_600_000 }, 100)
      assert.equal(listed.length, 6)
      assert.deepEqual(
        listed.slice(0, 2).map((h) => [h.entity, h.timeMs - T0, h.isWrite, h.editor]),
        [
          ['a.rs', 0, false, 'vscode'],
          ['a.rs', 0, false, 'vscode'],
        ],
      )
      assert.equal(listed[0]?.id.length, 32)
      assert.equal(
        listed.filter((h) => h.id === Buffer.from(heartbeatHash(a(0))).toString('hex')).length,
        2,
      )
      const machines = await store.heartbeats.machines()
      assert.deepEqual(
        machines.map((m) => [m.device === 'desk', m.lastMs - T0, m.editor, m.project]),
        [
          [false, 1_980_000, 'vscode', 'daybook'],
          [true, 0, 'vscode', 'daybook'],
        ],
      )
    })

    test('placeholders take the names of the stream heartbeat before; browser ones are cleared', async (t) => {
      const store = await open(t)
      await store.heartbeats.insert(
        [
          heartbeat({ entity: 'x.ts', project: 'web', language: 'TypeScript', timeMs: T0 }),
          heartbeat({
            entity: 'y.ts',
            project: PLACEHOLDERS.project,
            branch: PLACEHOLDERS.branch,
            language: PLACEHOLDERS.language,
            timeMs: T0 + MIN,
          }),
          heartbeat({
            entity: 'example.com',
            type: 'domain',
            category: 'browsing',
            project: PLACEHOLDERS.project,
            branch: '',
            language: '',
            timeMs: T0 + 2 * MIN,
          }),
          heartbeat({ entity: 'z.ts', timeMs: T0 + 3 * MIN }),
        ],
        T0,
      )
      const events = await allEvents(store)
      assert.deepEqual(
        events.map((e) => [e.entity, e.project, e.branch, e.language, e.category, e.entityType]),
        [
          ['x.ts', 'web', 'main', 'TypeScript', 'Coding', 'File'],
          ['y.ts', 'web', 'main', 'TypeScript', 'Coding', 'File'],
          ['example.com', 'Unknown Project', null, null, 'Browsing', 'Domain'],
        ],
      )
    })

    test('any arrival order, batching and re-sends end in the same events as the reference', async (t) => {
      const store = await open(t)
      const hbArb = fc.record({
        s: fc.integer({ min: 0, max: 2 * 3600 }),
        ms: fc.constantFrom(0, 0, 0, 250),
        // Few names, so runs of equal names (one event over many heartbeats) are common.
        entity: fc.constantFrom('a.rs', 'a.rs', 'b.rs'),
        project: fc.constantFrom('daybook', 'daybook', 'web', PLACEHOLDERS.project),
        editor: fc.constantFrom('vscode', 'vscode', 'neovim'),
        isWrite: fc.boolean(),
      })
      let run = 0
      await fc.assert(
        fc.asyncProperty(
          fc.array(hbArb, { minLength: 1, maxLength: 60 }),
          fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }),
          fc.integer(),
          async (items, sizes, seed) => {
            const device = `run-${++run}`
            // Identity leaves the editor out: two editors' heartbeats must differ in a name.
            const beats = items.map((i) =>
              heartbeat({
                device,
                entity: `${i.editor}/${i.entity}`,
                project: i.project,
                editor: i.editor,
                isWrite: i.isWrite,
                timeMs: T0 + i.s * 1000 + i.ms,
              }),
            )
            // Shuffled (deterministically from the seed), a few sent twice, in batches.
            const order = [...beats, ...beats.filter((_, i) => i % 3 === 0)]
            let x = seed >>> 0
            for (let i = order.length - 1; i > 0; i--) {
              x = (x * 1103515245 + 12345) >>> 0
              const j = x % (i + 1)
              ;[order[i], order[j]] = [order[j] as Heartbeat, order[i] as Heartbeat]
            }
            for (let i = 0, b = 0; i < order.length; b++) {
              const n = sizes[b % sizes.length] as number
              await store.heartbeats.insert(order.slice(i, i + n), T0)
              i += n
            }
            const expected: (readonly [string, string, number, number])[] = []
            for (const editor of ['neovim', 'vscode']) {
              const source = `wakatime-${editor}`
              const unique = new Map<string, Heartbeat>()
              for (const h of beats.filter((b) => b.editor === editor)) {
                unique.set(Buffer.from(heartbeatHash(h)).toString('hex'), h)
              }
              const sorted = [...unique.entries()]
                .sort(([ka, a], [kb, b]) => a.timeMs - b.timeMs || (ka < kb ? -1 : ka > kb ? 1 : 0))
                .map(([, h]) => h)
              for (const e of deriveEvents(sorted, {
                timeoutMs: 900_000,
                device,
                source,
                app: editorDisplayName(editor),
              })) {
                expected.push([e.source, e.entity, e.startMs - T0, e.endMs - T0])
              }
            }
            const byStart = (
              a: readonly [string, string, number, number],
              b: readonly [string, string, number, number],
            ) => a[2] - b[2] || a[0].localeCompare(b[0]) || a[1].localeCompare(b[1])
            assert.deepEqual((await derived(store, device)).sort(byStart), expected.sort(byStart))
          },
        ),
        // Each run writes to the store: report the first failure as found rather than shrink it.
        { numRuns: 30, endOnFailure: true },
      )
      // The feed holds exactly the stored events (every replaced one as a tombstone).
      const live = new Set((await allEvents(store)).map((e) => e.id))
      const latest = new Map<string, Change>()
      for (const c of await feed(store, 50)) latest.set(keyOf(c), c)
      const upserted = [...latest.values()].filter((c) => c.kind === 'event' && c.op === 'upsert')
      assert.deepEqual(new Set(upserted.map((c) => (c as { event: ActivityEvent }).event.id)), live)
    })

    test('a long stream over many pages, late heartbeats and re-sends: the events of the reference', async (t) => {
      const store = await open(t)
      // 1,400 heartbeats a minute apart in runs of one name, a gap past the timeout every 97th,
      // and one run of 700 without a cut (longer than a page of the stream); every 50th held back
      // and sent last, latest first (a late one splits the run it lands in where its name
      // differs), then some sent again.
      const beats: Heartbeat[] = []
      let time = T0
      for (let i = 0; i < 1400; i++) {
        const long = i >= 300 && i < 1000
        time += i % 97 === 0 && !long ? 20 * MIN : MIN
        const entity =
          i % 100 === 25 ? 'late.rs' : long ? 'long.rs' : `f${String(Math.floor(i / 7) % 5)}.rs`
        beats.push(heartbeat({ device: 'long', entity, timeMs: time }))
      }
      const reference = (sent: readonly Heartbeat[]) =>
        deriveEvents(sent, {
          timeoutMs: 900_000,
          device: 'long',
          source: 'wakatime-vscode',
          app: editorDisplayName('vscode'),
        }).map((e) => [e.entity, e.startMs, e.endMs])
      const stored = async () => {
        const out: ActivityEvent[] = []
        let after: { startMs: number; id: string } | undefined
        do {
          const page = await store.events.list({ range: {}, filters: {}, limit: 500, after })
          out.push(...page.events)
          after = page.next ?? undefined
        } while (after)
        return out.map((e) => [e.entity, e.startMs, e.endMs])
      }
      const late = beats.filter((_, i) => i % 50 === 25)
      const onTime = beats.filter((_, i) => i % 50 !== 25)
      for (let i = 0; i < onTime.length; i += 100) {
        await store.heartbeats.insert(onTime.slice(i, i + 100), T0)
      }
      assert.deepEqual(await stored(), reference(onTime))
      const reversed = [...late].reverse()
      for (let i = 0; i < reversed.length; i += 3) {
        await store.heartbeats.insert(reversed.slice(i, i + 3), T0)
      }
      const resent = await store.heartbeats.insert(
        beats.filter((_, i) => i % 140 === 3),
        T0,
      )
      assert.equal(resent.inserted, 0)
      const expected = reference(beats)
      assert.ok(expected.length > 100)
      assert.deepEqual(await stored(), expected)
    })

    test('an event running across heartbeats at one instant is re-derived whole by a later one', async (t) => {
      const store = await open(t)
      const at = (min: number, entity: string, project: string, language: string) =>
        heartbeat({ timeMs: T0 + min * MIN, entity, project, language })
      // At 14:00 the stream orders b.rs before the placeholder a.rs (by hash), so b.rs covers
      // nothing and the event of a.rs runs on from 10:00 across it.
      const language = ['Rust', 'Go', 'Python', 'Zig', 'Lua', 'Nim', 'C', 'Java'].find(
        (l) =>
          Buffer.compare(
            heartbeatHash(at(14, 'b.rs', 'daybook', l)),
            heartbeatHash(at(14, 'a.rs', PLACEHOLDERS.project, l)),
          ) < 0,
      ) as string
      await store.heartbeats.insert(
        [
          at(14, 'b.rs', 'daybook', language),
          at(14, 'a.rs', PLACEHOLDERS.project, language),
          at(10, 'a.rs', 'daybook', language),
        ],
        T0,
      )
      await store.heartbeats.insert([at(15, 'c.rs', 'daybook', language)], T0)
      assert.deepEqual(
        (await allEvents(store)).map((e) => [e.entity, e.startMs - T0, e.endMs - T0]),
        [['a.rs', 10 * MIN, 15 * MIN]],
      )
    })

    test('a new timeout re-derives every stream; a deleted event stays deleted', async (t) => {
      const store = await open(t)
      const at = (min: number, entity = 'a.rs') => heartbeat({ entity, timeMs: T0 + min * MIN })
      await store.heartbeats.insert([at(0), at(10), at(30), at(40, 'b.rs'), at(45, 'b.rs')], T0)
      // Gaps of 10, 20, 10 and 5 minutes: the 20 covers nothing under a 15-minute timeout.
      assert.deepEqual(await derived(store), [
        ['wakatime-vscode', 'a.rs', 0, 10 * MIN],
        ['wakatime-vscode', 'a.rs', 30 * MIN, 40 * MIN],
        ['wakatime-vscode', 'b.rs', 40 * MIN, 45 * MIN],
      ])
      const saved = await store.settings.save({ heartbeatTimeoutSec: 1800 })
      assert.ok(saved.changes.some((c) => c.kind === 'event'))
      assert.deepEqual(await derived(store), [
        ['wakatime-vscode', 'a.rs', 0, 40 * MIN],
        ['wakatime-vscode', 'b.rs', 40 * MIN, 45 * MIN],
      ])
      // A gap equal to the timeout covers nothing.
      await store.settings.save({ heartbeatTimeoutSec: 600 })
      assert.deepEqual(await derived(store), [['wakatime-vscode', 'b.rs', 40 * MIN, 45 * MIN]])
      await store.settings.save({ heartbeatTimeoutSec: 900 })

      // Deleting the a.rs event forgets its heartbeats: neither a re-send nor a later heartbeat
      // of the stream brings it back, and b.rs is untouched.
      const target = (await allEvents(store)).find((e) => e.startMs === T0 + 30 * MIN)
      const removed = await store.events.delete({ ids: [target?.id as string] })
      assert.equal(removed.deleted, 1)
      const again = await store.heartbeats.insert([at(30), at(50, 'b.rs')], T0)
      assert.deepEqual(again.stored, [false, true])
      assert.deepEqual(await derived(store), [
        ['wakatime-vscode', 'a.rs', 0, 10 * MIN],
        ['wakatime-vscode', 'b.rs', 40 * MIN, 50 * MIN],
      ])
      const listed = await store.heartbeats.list({ startMs: T0, endMs: T0 + 3_600_000 }, 100)
      assert.deepEqual(
        listed.map((h) => (h.timeMs - T0) / MIN),
        [0, 10, 40, 45, 50],
      )
    })

    test('derived editor events are presence: they end an open AFK period of their device', async (t) => {
      const store = await open(t)
      await store.afk.insert([afk({ startMs: T0 - 60 * MIN, endMs: null })], T0)
      await store.heartbeats.insert(
        [heartbeat({ timeMs: T0 }), heartbeat({ timeMs: T0 + 2 * MIN })],
        T0,
      )
      const [period] = await store.afk.list({})
      assert.equal(period?.inferredEndMs, T0)
      assert.equal(await totalSeconds(store, T0 - 3_600_000), 120)
    })
  })

  describe(`${name}: active time`, () => {
    test('the fast path equals the reference on random histories, zones, groupings, filters and category rules', async (t) => {
      const store = await open(t)
      const H = 3_600_000
      const base = Date.parse('2025-10-25T18:00:00Z') // around the Berlin fall-back night
      const eventArb = fc.record({
        start: fc.integer({ min: 0, max: 40 * H }),
        length: fc.oneof(fc.integer({ min: 0, max: 20 * MIN }), fc.integer({ min: 0, max: 5 * H })),
        ms: fc.integer({ min: 0, max: 999 }),
        source: fc.constantFrom('skopio-vscode', 'daybook-browser', 'skopio-desktop', 'other'),
        app: fc.constantFrom('Code', 'Firefox', 'iTerm2'),
        project: fc.constantFrom('daybook', 'web'),
        // An entity keeps one type: files, pages (what `url` rules read), window titles (`title`).
        entity: fc.constantFrom(
          ['a.ts', 'File'],
          ['b.ts', 'File'],
          ['README', 'File'],
          ['https://docs.python.org/3/', 'Url'],
          ['github.com/daybook', 'Url'],
          ['zsh — iTerm2', 'App'],
          ['Inbox — Firefox', 'App'],
        ),
        // Generic categories are the ones the rules may change.
        category: fc.constantFrom('Coding', 'Other', 'Browsing'),
        language: fc.option(fc.constantFrom('Rust', 'TypeScript'), { nil: null }),
        branch: fc.option(fc.constantFrom('main', 'dev'), { nil: null }),
        device: fc.constantFrom(null, 'desk'),
      })
      const afkArb = fc.record({
        start: fc.integer({ min: 0, max: 40 * H }),
        length: fc.option(fc.integer({ min: 0, max: 3 * H }), { nil: null }),
        device: fc.constantFrom(null, 'desk'),
      })
      const rulesArb = fc.array(
        fc.record({
          match: fc.constantFrom<'app' | 'title' | 'url'>('app', 'title', 'url'),
          pattern: fc.constantFrom(
            '^code$',
            'firefox',
            'python',
            'github\\.com/',
            'zsh',
            '^i',
            '.',
          ),
          category: fc.constantFrom('Research', 'Coding', 'Meeting', 'Other', 'Browsing'),
        }),
        { maxLength: 4 },
      )
      const queryArb = fc.record({
        from: fc.integer({ min: -2 * H, max: 30 * H }),
        length: fc.integer({ min: 1, max: 30 * H }),
        zone: fc.constantFrom(
          'UTC',
          'Europe/Berlin',
          'Asia/Kolkata',
          'Asia/Kathmandu',
          'Australia/Lord_Howe',
        ),
        sod: fc.constantFrom('00:00', '04:15', '23:45'),
        unit: fc.constantFrom<BucketUnit | null>(null, 'hour', 'day', 'week'),
        groupBy: fc.option(
          fc.constantFrom<Dimension>(
            'app',
            'project',
            'entity',
            'branch',
            'language',
            'source',
            'device',
            'category',
          ),
          { nil: undefined },
        ),
        filter: fc.option(
          fc.constantFrom<[Dimension, string[]]>(
            ['project', ['web']],
            ['app', ['Code', 'iTerm2']],
            ['device', ['desk']],
            ['entity', ['a.ts']],
            ['category', ['Research']],
            ['category', ['Other', 'Coding']],
            ['category', ['Browsing']],
          ),
          {
            nil: undefined,
          },
        ),
        includeAfk: fc.boolean(),
      })
      await fc.assert(
        fc.asyncProperty(
          fc.array(eventArb, { maxLength: 30 }),
          fc.array(afkArb, { maxLength: 4 }),
          rulesArb,
          fc.array(queryArb, { minLength: 3, maxLength: 3 }),
          async (events, periods, categoryRules, queries) => {
            // A clean slate each run (deletions are part of what the store must get right).
            await store.events.delete({ startMs: 0, endMs: base + 100 * H })
            await store.afk.delete({ startMs: 0, endMs: base + 100 * H })
            const check = async () => {
              for (const q of queries) {
                const query: ActiveTimeQuery = {
                  range: { startMs: base + q.from, endMs: base + q.from + q.length },
                  unit: q.unit,
                  calendar: makeCalendar(q.zone, q.sod),
                  groupBy: q.groupBy,
                  filters: q.filter ? { [q.filter[0]]: q.filter[1] } : {},
                  includeAfk: q.includeAfk,
                }
                const expected = await referenceFromStore(store, query)
                assert.deepEqual(await store.activeTime.query(query), expected, JSON.stringify(q))
                // The same answer as Skopio's bucket rows, written by the store.
                const withMeta = query.groupBy === 'entity'
                assert.deepEqual(
                  JSON.parse(
                    new TextDecoder().decode(await store.activeTime.queryJson(query, withMeta)),
                  ),
                  expected.map((c) => ({
                    bucket: c.label,
                    // Whole seconds, as the wire's integer (the service clips ranges to them).
                    groupedValues: { [c.group]: Math.trunc(c.seconds) },
                    groupMeta: withMeta ? c.meta : null,
                  })),
                  JSON.stringify(q),
                )
              }
            }
            // Asked before the history is written, and again after each write: an answer a store
            // keeps must not outlive a write that changes it.
            await check()
            const half = Math.floor(events.length / 2)
            const stored = events.map((e) =>
              event({
                device: e.device,
                startMs: base + e.start + e.ms,
                endMs: base + e.start + e.ms + e.length,
                source: e.source,
                app: e.app,
                project: e.project,
                entity: e.entity[0],
                entityType: e.entity[1],
                category: e.category,
                language: e.language,
                branch: e.branch,
              }),
            )
            await store.events.insert(stored.slice(0, half), T0)
            await check()
            await store.events.insert(stored.slice(half), T0)
            await check()
            await store.afk.insert(
              periods.map((p) =>
                afk({
                  device: p.device,
                  startMs: base + p.start,
                  endMs: p.length === null ? null : base + p.start + p.length,
                }),
              ),
              T0,
            )
            await check()
            // Rules changed over stored history: every category is counted again.
            await store.settings.save({ categoryRules })
            // Exact while rollups are still being recomputed, and once they are current.
            await check()
            await store.activeTime.settle()
            assert.equal(await store.activeTime.pending(), 0)
            await check()
          },
        ),
        // Each run writes to the store: report the first failure as found rather than shrink it.
        { numRuns: 30, endOnFailure: true },
      )
    })

    test('a slot still waiting for its rollup shows every write at once, however quick the writes', async (t) => {
      const store = await open(t)
      const total = () => totalSeconds(store)
      // Each query resolves the dirty slot (and a reader may keep that); each write changes it.
      for (let i = 1; i <= 5; i++) {
        await store.events.insert(
          [event({ entity: `f${i}.rs`, startMs: T0 + (i - 1) * MIN, endMs: T0 + i * MIN })],
          T0,
        )
        assert.equal(await total(), i * 60)
      }
      await store.events.insert(
        [event({ entity: 'f5.rs', startMs: T0 + 4 * MIN, endMs: T0 + 9 * MIN })],
        T0,
      )
      assert.equal(await total(), 9 * 60)
      await store.afk.insert([afk({ startMs: T0 + 8 * MIN, endMs: T0 + 20 * MIN })], T0)
      assert.equal(await total(), 8 * 60)
    })

    test('a change of source priority is exact at once and after the rebuild', async (t) => {
      const store = await open(t)
      await store.events.insert(
        [
          event({ source: 'skopio-desktop', app: 'iTerm2', startMs: T0, endMs: T0 + 60 * MIN }),
          event({
            source: 'daybook-browser',
            app: 'Firefox',
            startMs: T0 + 30 * MIN,
            endMs: T0 + 60 * MIN,
          }),
        ],
        T0,
      )
      await store.activeTime.settle()
      const byApp = { ...day(T0, T0 + 86_400_000), groupBy: 'app' as const }
      const apps = async () =>
        (await store.activeTime.query(byApp)).map((c) => [c.group, c.seconds])
      assert.deepEqual(await apps(), [
        ['Firefox', 1800],
        ['iTerm2', 1800],
      ])
      await store.settings.save({ sourcePriority: { 'skopio-desktop': 500, '*': 0 } })
      assert.deepEqual(await apps(), [['iTerm2', 3600]])
      await store.activeTime.settle()
      assert.deepEqual(await apps(), [['iTerm2', 3600]])
      assert.deepEqual(await store.activeTime.query(byApp), await referenceFromStore(store, byApp))
    })
  })
}

function keyOf(c: Change): string {
  switch (c.kind) {
    case 'event':
      return `event:${c.op === 'delete' ? c.id : c.event.id}`
    case 'afk':
      return `afk:${c.op === 'delete' ? c.id : c.afk.id}`
    case 'setting':
      return `setting:${c.key}`
    case 'device':
      return `device:${c.device.id}`
    case 'label':
      return `label:${c.op === 'delete' ? c.id : c.label.id}`
  }
}
