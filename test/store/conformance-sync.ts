/**
 * The store conformance suite, continued (called from `conformance.ts`): the sync port. What one
 * store's feed gives, another applies; the same changes in any order and any number of times
 * leave the same rows; cursors move with the changes they cover; pairing and paired devices.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import { makeCalendar } from '../../src/domain/calendar.ts'
import { eventId, frameId } from '../../src/domain/events.ts'
import { framePath } from '../../src/domain/screenshots.ts'
import { type SyncBatch, type SyncChange, checkSyncChange } from '../../src/domain/sync.ts'
import type { Store } from '../../src/store/ports.ts'
import { type StoreFactory, event, heartbeat } from './conformance.ts'
import { STORE_FACTORIES } from './stores.ts'

const T0 = Date.parse('2025-09-11T09:00:00Z')
const MIN = 60_000
const HOUR = 60 * MIN

async function own(store: Store): Promise<{ id: string; name: string }> {
  const d = (await store.devices.list()).find((x) => x.own)
  assert.ok(d)
  return { id: d.id, name: d.name }
}

/**
 * A store standing for another machine: its own device named apart (every fresh store names its
 * own after this host, and two devices of one name are told apart by a suffix).
 */
async function other(open: StoreFactory, t: Parameters<StoreFactory>[0]): Promise<Store> {
  const store = await open(t)
  await store.devices.rename((await own(store)).id, `other ${randomUUID().slice(0, 8)}`)
  return store
}

/** Every change after `after` that `origin` selects, read a page at a time. */
async function feed(
  store: Store,
  origin: Parameters<Store['sync']['changes']>[2],
  after = 0,
  limit = 3,
) {
  const batch: SyncBatch = { devices: {}, changes: [] }
  let next = after
  for (;;) {
    const page = await store.sync.changes(next, limit, origin)
    Object.assign(batch.devices, page.devices)
    batch.changes.push(...page.changes)
    assert.ok(page.next >= next)
    if (page.next === next || page.next >= page.last) {
      next = page.next
      break
    }
    next = page.next
  }
  return { batch, next }
}

async function totals(store: Store): Promise<Record<string, number>> {
  const cells = await store.activeTime.query({
    range: { startMs: T0 - 2 * HOUR, endMs: T0 + 24 * HOUR },
    unit: null,
    calendar: makeCalendar('UTC'),
    groupBy: 'device',
    filters: {},
    includeAfk: false,
  })
  return Object.fromEntries(cells.map((c) => [c.group, c.seconds]))
}

async function eventsOf(store: Store) {
  const { events } = await store.events.list({ range: {}, filters: {}, limit: 1000 })
  return events.map((e) => [e.id, e.device, e.startMs, e.endMs, e.source]).sort()
}

/** A store with a bit of everything recorded on its own device. */
async function recorded(store: Store): Promise<void> {
  await store.events.insert(
    [
      event({ startMs: T0, endMs: T0 + 10 * MIN }),
      event({
        startMs: T0 + 20 * MIN,
        endMs: T0 + 30 * MIN,
        app: 'Firefox',
        source: 'daybook-browser',
      }),
    ],
    T0,
  )
  await store.events.insert([event({ startMs: T0, endMs: T0 + 15 * MIN })], T0)
  await store.afk.insert(
    [{ device: null, startMs: T0 + 40 * MIN, endMs: null, durationSec: null }],
    T0,
  )
  await store.input.add(
    [
      {
        bucketMs: T0 + 45 * MIN,
        source: 'daybook-input',
        kp: 5,
        lc: 1,
        rc: 0,
        mc: 0,
        mm: 0,
        scroll: 0,
      },
    ],
    T0,
  )
  await store.heartbeats.insert(
    [heartbeat({ timeMs: T0 + 2 * HOUR }), heartbeat({ timeMs: T0 + 2 * HOUR + 60_000 })],
    T0,
  )
  await store.activitywatch.createBucket({
    id: 'aw-watcher-window_host',
    type: 'currentwindow',
    client: 'aw-watcher-window',
    hostname: 'host',
    created: BigInt(T0) * 1_000_000n,
    data: {},
  })
  await store.labels.create({ text: 'planning', context: null, startMs: T0, endMs: T0 + HOUR }, T0)
  await store.settings.save({ timezone: 'Europe/Berlin', inputRetentionDays: 3 })
  const doomed = await store.events.insert(
    [event({ startMs: T0 + 3 * HOUR, endMs: T0 + 3 * HOUR + MIN, app: 'Gone' })],
    T0,
  )
  const id = doomed.changes.find((c) => c.kind === 'event')
  assert.ok(id && id.kind === 'event' && id.op === 'upsert')
  await store.events.delete({ ids: [id.event.id] })
}

export function syncConformance(name: string, open: StoreFactory): void {
  describe(`${name}: sync`, () => {
    test('the feed a spoke pushes holds its own changes as sync carries them; another store applying it holds the same diary', async (t) => {
      const a = await open(t)
      const b = await other(open, t)
      await recorded(a)
      const { batch, next } = await feed(a, { only: 'local' })
      assert.equal(next, await a.changes.last())
      const kinds = new Set(batch.changes.map((c) => `${c.kind}/${c.op}`))
      for (const k of [
        'event/upsert',
        'event/delete',
        'afk/upsert',
        'input/upsert',
        'label/upsert',
        'setting/upsert',
        'device/upsert',
      ]) {
        assert.ok(kinds.has(k), `the feed carries ${k}`)
      }
      // Settings that stay with their daemon do not sync; tokens are in no feed.
      assert.ok(!batch.changes.some((c) => c.kind === 'setting' && c.key === 'inputRetentionDays'))
      const aOwn = await own(a)
      assert.equal(batch.devices[aOwn.id], aOwn.name)
      assert.equal(await a.sync.pending(0), batch.changes.length)
      assert.equal(await a.sync.pending(next), 0)

      const applied = await b.sync.apply(batch, aOwn.id, { pulled: { seq: next, epoch: 7 } }, T0)
      // All but a's device, which the batch's names made first.
      assert.equal(applied.applied, batch.changes.length - 1)
      assert.ok(
        applied.changes.some(
          (c) => c.kind === 'event' && c.op === 'upsert' && c.event.device === aOwn.name,
        ),
      )
      assert.deepEqual(await eventsOf(b), await eventsOf(a))
      assert.deepEqual(await totals(b), await totals(a))
      assert.equal((await b.settings.get()).timezone, 'Europe/Berlin')
      assert.equal((await b.settings.get()).inputRetentionDays, undefined)
      assert.deepEqual(
        await b.input.buckets({ startMs: T0 }),
        await a.input.buckets({ startMs: T0 }),
      )
      assert.deepEqual(
        (await b.labels.list({ limit: 10 })).map((l) => [l.id, l.text]),
        (await a.labels.list({ limit: 10 })).map((l) => [l.id, l.text]),
      )
      assert.deepEqual(await b.afk.list({}), await a.afk.list({}))
      assert.deepEqual(await b.sync.cursors(), { pulledSeq: next, pulledEpoch: 7, pushedSeq: 0 })
      // Raw WakaTime heartbeats and ActivityWatch buckets stay where they were recorded: the
      // events derived from them travel instead.
      const day = { startMs: T0, endMs: T0 + 86_400_000 }
      assert.equal((await a.heartbeats.list(day, 10)).length, 2)
      assert.deepEqual(await b.heartbeats.list(day, 10), [])
      assert.equal((await a.activitywatch.buckets()).length, 1)
      assert.deepEqual(await b.activitywatch.buckets(), [])

      // Applied again: nothing happens, and none of it is b's own to push.
      const again = await b.sync.apply(batch, aOwn.id, { pulled: { seq: next, epoch: 7 } }, T0)
      assert.equal(again.applied, 0)
      assert.deepEqual(
        (await feed(b, { only: 'local' })).batch.changes.filter((c) => c.kind === 'event'),
        [],
      )
      // What b received from a is not sent back to a, but is to anyone else.
      const toA = (await feed(b, { except: aOwn.id })).batch.changes
      assert.ok(!toA.some((c) => c.kind === 'event'))
      const toOthers = (await feed(b, { except: randomUUID() })).batch.changes
      assert.equal(
        toOthers.filter((c) => c.kind === 'event').length,
        batch.changes.filter((c) => c.kind === 'event').length,
      )
    })

    test('the same changes in any order, any number of times, leave the same rows', async (t) => {
      const a = await open(t)
      await recorded(a)
      await a.events.insert([event({ startMs: T0, endMs: T0 + 25 * MIN })], T0)
      await a.afk.insert(
        [{ device: null, startMs: T0 + 40 * MIN, endMs: T0 + 50 * MIN, durationSec: null }],
        T0,
      )
      const { batch, next } = await feed(a, { only: 'local' })
      const peer = (await own(a)).id
      const orders: SyncChange[][] = [
        batch.changes,
        [...batch.changes].reverse(),
        [...batch.changes, ...batch.changes.slice(0, 5)].sort((x, y) =>
          JSON.stringify(x) < JSON.stringify(y) ? -1 : 1,
        ),
      ]
      const results = []
      for (const changes of orders) {
        const s = await other(open, t)
        // In two batches, to cross transaction boundaries too.
        const half = Math.floor(changes.length / 2)
        await s.sync.apply(
          { devices: batch.devices, changes: changes.slice(0, half) },
          peer,
          { pulled: { seq: 1, epoch: 1 } },
          T0,
        )
        await s.sync.apply(
          { devices: batch.devices, changes: changes.slice(half) },
          peer,
          { pulled: { seq: next, epoch: 1 } },
          T0,
        )
        results.push({
          events: await eventsOf(s),
          totals: await totals(s),
          afk: await s.afk.list({}),
        })
      }
      assert.deepEqual(results[1], results[0])
      assert.deepEqual(results[2], results[0])
      assert.deepEqual(results[0]?.totals, await totals(a))
    })

    test('a deletion wins over an older upsert; a later re-derivation of a derived event wins over a deletion', async (t) => {
      const a = await open(t)
      const b = await open(t)
      const peer = (await own(a)).id
      await a.events.insert([event({ startMs: T0, endMs: T0 + 10 * MIN })], T0)
      const first = await feed(a, { only: 'local' })
      const ev = first.batch.changes.find((c) => c.kind === 'event')
      assert.ok(ev && ev.kind === 'event' && ev.op === 'upsert')
      await a.events.delete({ ids: [ev.id] })
      const second = await feed(a, { only: 'local' }, first.next)
      // The deletion first, the older upsert after: it stays deleted.
      await b.sync.apply(second.batch, peer, { pulled: { seq: 2, epoch: 1 } }, T0)
      await b.sync.apply(first.batch, peer, { pulled: { seq: 3, epoch: 1 } }, T0)
      assert.deepEqual(await eventsOf(b), [])

      // Derived events: deleted by one re-derivation, brought back by a later one.
      const derived = { ...ev, source: 'wakatime-vscode' }
      const d = { ...derived, id: eventId(derived.device, derived), version: 5 }
      const tomb = {
        kind: 'event',
        op: 'delete',
        id: d.id,
        device: d.device,
        startMs: d.startMs,
        version: 6,
      } as const
      const back = { ...d, endMs: d.endMs - MIN, version: 7 }
      for (const order of [
        [d, tomb, back],
        [back, tomb, d],
        [tomb, back, d],
      ] as SyncChange[][]) {
        const s = await open(t)
        await s.sync.apply(
          { devices: {}, changes: order },
          peer,
          { pulled: { seq: 1, epoch: 1 } },
          T0,
        )
        const events = await eventsOf(s)
        assert.equal(events.length, 1)
        assert.equal(events[0]?.[3], back.endMs)
      }
    })

    test(
      'screenshots: index rows sync, named by their device; a purge and a prune reach the other store as tombstones',
      {
        // Frames stay in the SQLite store of the machine that took them (no capture on a server).
        skip: name === 'postgres' ? 'a PostgreSQL store takes no frames of its own' : false,
      },
      async (t) => {
        const a = await open(t)
        const b = await other(open, t)
        const aOwn = await own(a)
        const bOwn = await own(b)
        const frame = (atMs: number, text: string) => ({
          ...framePath(atMs, aOwn.name),
          atMs,
          device: aOwn.name,
          app: 'firefox',
          title: 'Budget',
          url: null,
          bytes: 100,
          width: 10,
          height: 10,
          hash: '00ff00ff00ff00ff',
          text,
          ocrMs: 5,
        })
        for (let i = 0; i < 3; i++)
          await a.screenshots.insert(frame(T0 + i * MIN, `quarterly chart ${i}`))
        const first = await feed(a, { only: 'local' })
        const rows = first.batch.changes.filter((c) => c.kind === 'screenshot')
        assert.equal(rows.length, 3)
        for (const [i, c] of first.batch.changes.entries()) checkSyncChange(c, `changes/${i}`)
        await b.sync.apply(first.batch, aOwn.id, { pulled: { seq: first.next, epoch: 1 } }, T0)
        const found = await b.screenshots.searchText('quarterly', {}, 10)
        assert.deepEqual(
          found.map((h) => [h.frame.atMs, h.frame.device, h.frame.here]).sort(),
          [0, 1, 2].map((i) => [T0 + i * MIN, aOwn.name, false]),
        )
        // b's metrics and size cap count only frames taken on b, and b prunes none of a's.
        assert.deepEqual(await b.screenshots.totals(), { frames: 0, bytes: 0, oldestMs: null })
        assert.deepEqual(await b.screenshots.prune(T0 + HOUR, 0), [])
        assert.equal((await b.screenshots.searchText('quarterly', {}, 10)).length, 3)
        // Applied again: nothing; nothing of it is b's to push.
        assert.equal(
          (await b.sync.apply(first.batch, aOwn.id, { pulled: { seq: first.next, epoch: 1 } }, T0))
            .applied,
          0,
        )
        assert.ok(
          !(await feed(b, { only: 'local' })).batch.changes.some((c) => c.kind === 'screenshot'),
        )

        // a prunes its oldest frame; b purges a's newest: each deletion reaches the other store.
        assert.deepEqual(
          (await a.screenshots.prune(T0 + 1, 10_000)).map((f) => f.filename),
          [frame(T0, '').filename],
        )
        const pruned = await feed(a, { only: 'local' }, first.next)
        assert.ok(pruned.batch.changes.some((c) => c.kind === 'screenshot' && c.op === 'delete'))
        await b.sync.apply(pruned.batch, aOwn.id, { pulled: { seq: pruned.next, epoch: 1 } }, T0)
        assert.equal((await b.screenshots.searchText('quarterly', {}, 10)).length, 2)
        const bBefore = await b.changes.last()
        assert.deepEqual(
          (await b.screenshots.purge({ startMs: T0 + 2 * MIN })).map((f) => [f.filename, f.here]),
          [[frame(T0 + 2 * MIN, '').filename, false]],
          'deleted, with no file here',
        )
        const purged = await feed(b, { only: 'local' }, bBefore)
        assert.deepEqual(
          purged.batch.changes.map((c) => [c.kind, c.op, 'device' in c ? c.device : null]),
          [['screenshot', 'delete', aOwn.id]],
        )
        await a.sync.apply(purged.batch, bOwn.id, { pulled: { seq: purged.next, epoch: 1 } }, T0)
        assert.deepEqual(
          (await a.screenshots.searchText('quarterly', {}, 10)).map((h) => h.frame.atMs),
          [T0 + MIN],
        )
        // a's image of the frame b purged is a file to delete, named by a's next prune.
        assert.deepEqual(
          (await a.screenshots.prune(0, 10_000)).map((f) => f.filename),
          [frame(T0 + 2 * MIN, '').filename],
        )
        // A purged frame stays purged: sent again, or taken again under its name.
        await b.sync.apply(first.batch, aOwn.id, { pulled: { seq: first.next, epoch: 1 } }, T0)
        assert.equal((await b.screenshots.searchText('quarterly', {}, 10)).length, 1)
        assert.equal(await a.screenshots.insert(frame(T0 + 2 * MIN, 'again')), false)
      },
    )

    test('an open AFK period ends at the earliest presence either daemon knows of', async (t) => {
      const a = await open(t)
      const b = await open(t)
      const peer = (await own(a)).id
      await a.afk.insert([{ device: null, startMs: T0, endMs: null, durationSec: null }], T0)
      const { batch } = await feed(a, { only: 'local' })
      const afk = batch.changes.find((c) => c.kind === 'afk')
      assert.ok(afk && afk.kind === 'afk' && afk.op === 'upsert')
      // b applies presence on a's device first (an editor's event), then the period.
      const e = event({ startMs: T0 + 30 * MIN, endMs: T0 + 31 * MIN })
      const presence: SyncChange = {
        kind: 'event',
        op: 'upsert',
        ...e,
        device: peer,
        id: eventId(peer, e),
        version: null,
        durationSec: null,
      }
      await b.sync.apply(
        { devices: batch.devices, changes: [presence, afk] },
        peer,
        { pulled: { seq: 1, epoch: 1 } },
        T0,
      )
      const [period] = await b.afk.list({})
      assert.equal(period?.inferredEndMs, T0 + 30 * MIN)
      // b knows more than a said: the period is b's to send on.
      const back = (await feed(b, { except: peer })).batch.changes.filter((c) => c.kind === 'afk')
      assert.equal(back.length, 1)
    })

    test('settings and device names: the later version wins; a setting applied has its effects', async (t) => {
      const a = await open(t)
      const peer = (await own(a)).id
      const rules = [{ category: 'Reading', apps: ['Firefox'] }]
      await a.settings.save({ sourcePriority: { '*': 100 } })
      const before = await a.activeTime.pending()
      const res = await a.sync.apply(
        {
          devices: { [peer]: 'x' },
          changes: [
            { kind: 'setting', op: 'upsert', key: 'timezone', value: 'Asia/Tokyo', version: 1 },
            {
              kind: 'setting',
              op: 'upsert',
              key: 'categoryRules',
              value: rules,
              version: 2 ** 52,
            },
          ],
        },
        peer,
        { pulled: { seq: 1, epoch: 1 } },
        T0,
      )
      // Older than a's own save of nothing: timezone was never saved here, so it takes it.
      assert.equal(res.applied, 2)
      assert.equal((await a.settings.get()).timezone, 'Asia/Tokyo')
      assert.deepEqual((await a.settings.get()).categoryRules, rules)
      assert.ok((await a.catalog.categories()).some((c) => c.name === 'Reading'))
      assert.ok(before >= 0)
      await a.settings.save({ timezone: 'Europe/Paris' })
      const stale = await a.sync.apply(
        {
          devices: {},
          changes: [{ kind: 'setting', op: 'upsert', key: 'timezone', value: 'UTC', version: 2 }],
        },
        peer,
        { pulled: { seq: 2, epoch: 1 } },
        T0,
      )
      assert.equal(stale.applied, 0)
      assert.equal((await a.settings.get()).timezone, 'Europe/Paris')

      const other = randomUUID()
      await a.sync.apply(
        { devices: { [other]: 'desk' }, changes: [] },
        other,
        { pulled: { seq: 3, epoch: 1 } },
        T0,
      )
      assert.ok((await a.devices.list()).some((d) => d.id === other && d.name === 'desk'))
      await a.sync.apply(
        {
          devices: {},
          changes: [{ kind: 'device', op: 'upsert', id: other, name: 'workstation', version: 9 }],
        },
        other,
        { pulled: { seq: 4, epoch: 1 } },
        T0,
      )
      assert.ok((await a.devices.list()).some((d) => d.id === other && d.name === 'workstation'))
    })

    test("the sending daemon's device, first heard of in its batch, is received, not this daemon's to push", async (t) => {
      // The device a hub's first page makes on a spoke: left as the spoke's own change it was
      // pushed back, and named apart here (one host name on two machines), it renamed the hub.
      const spoke = await open(t)
      const local = await feed(spoke, { only: 'local' })
      const pending = await spoke.sync.pending(0)
      const hub = randomUUID()
      await spoke.sync.apply(
        { devices: { [hub]: (await own(spoke)).name }, changes: [] },
        hub,
        { pulled: { seq: 1, epoch: 1 } },
        T0,
      )
      const named = (await spoke.devices.list()).find((d) => d.id === hub)
      assert.ok(named && named.name !== (await own(spoke)).name, 'named apart from the own device')
      assert.equal(await spoke.sync.pending(0), pending)
      const after = await feed(spoke, { only: 'local' })
      assert.deepEqual(after.batch.changes, local.batch.changes)
      assert.ok(
        (await feed(spoke, { except: randomUUID() })).batch.changes.some(
          (c) => c.kind === 'device' && c.id === hub,
        ),
        'other devices are told of it',
      )
    })

    test('pairing: a code once, a client per device, revoked, touched, and where its pushes continue', async (t) => {
      const hub = await open(t)
      const hash = new Uint8Array(32).fill(1)
      await hub.sync.createCode({ hash, name: 'laptop', nowMs: T0, expiresMs: T0 + 10 * MIN })
      const device = { id: randomUUID(), name: 'vm' }
      const client = { id: randomUUID(), tokenHash: 'aa', tokenPreview: 'dbs_…aa' }
      const paired = await hub.sync.pair({ codeHash: hash, device, client, nowMs: T0 + MIN })
      assert.ok(paired.ok)
      assert.equal(paired.client.name, 'laptop')
      assert.ok((await hub.devices.list()).some((d) => d.id === device.id && d.name === 'laptop'))
      // The version the hub named it with: what the device takes the name at.
      const named = (await feed(hub, { except: randomUUID() })).batch.changes.find(
        (c) => c.kind === 'device' && c.id === device.id,
      )
      assert.ok(named?.kind === 'device' && named.version > 0)
      assert.equal(paired.version, named.version)
      // A rename of the device, synced from it: the list of paired devices names it so.
      await hub.sync.apply(
        {
          devices: {},
          changes: [
            {
              kind: 'device',
              op: 'upsert',
              id: device.id,
              name: 'work vm',
              version: named.version + 1,
            },
          ],
        },
        device.id,
        { pushed: { client: client.id, seq: 1, epoch: 1 } },
        T0,
      )
      assert.equal((await hub.sync.clients())[0]?.name, 'work vm')
      assert.deepEqual(
        await hub.sync.pair({
          codeHash: hash,
          device,
          client: { ...client, id: randomUUID(), tokenHash: 'bb' },
          nowMs: T0 + MIN,
        }),
        { ok: false, reason: 'used' },
      )
      const other = new Uint8Array(32).fill(2)
      await hub.sync.createCode({ hash: other, name: null, nowMs: T0, expiresMs: T0 + MIN })
      assert.deepEqual(await hub.sync.pair({ codeHash: other, device, client, nowMs: T0 + MIN }), {
        ok: false,
        reason: 'expired',
      })
      assert.deepEqual(
        await hub.sync.pair({ codeHash: new Uint8Array(32), device, client, nowMs: T0 }),
        { ok: false, reason: 'unknown' },
      )

      // Its changes and cursor commit together; a new run of the device from an older copy goes back.
      const e = event({ startMs: T0, endMs: T0 + MIN })
      const change: SyncChange = {
        kind: 'event',
        op: 'upsert',
        ...e,
        device: device.id,
        id: eventId(device.id, e),
        version: null,
        durationSec: null,
      }
      await hub.sync.apply(
        { devices: {}, changes: [change] },
        device.id,
        { pushed: { client: client.id, seq: 40, epoch: 1 } },
        T0,
      )
      assert.equal((await hub.sync.clients())[0]?.pushedSeq, 40)
      assert.equal(await hub.sync.pushedFor(client.id, 1, 10), 40)
      assert.equal(await hub.sync.pushedFor(client.id, 2, 100), 40)
      assert.equal(await hub.sync.pushedFor(client.id, 3, 25), 25)
      await hub.sync.touch(client.id, T0 + HOUR)
      assert.equal((await hub.sync.clients())[0]?.lastSeenMs, T0 + HOUR)
      assert.equal(await hub.sync.revoke(client.id), true)
      assert.equal((await hub.sync.clients())[0]?.revoked, true)
      assert.equal(await hub.sync.revoke(randomUUID()), false)

      // A spoke's cursors.
      await hub.sync.setPushed(12)
      assert.equal((await hub.sync.cursors()).pushedSeq, 12)
      await hub.sync.resetCursors()
      assert.deepEqual(await hub.sync.cursors(), { pulledSeq: 0, pulledEpoch: null, pushedSeq: 0 })
    })

    test("a SQLite spoke's changes pass through this store to another SQLite spoke as they were sent", async (t) => {
      // Spokes keep their diaries in SQLite whatever the hub's store.
      const spoke = await other(STORE_FACTORIES.sqlite as StoreFactory, t)
      const hub = await open(t)
      const last = await other(STORE_FACTORIES.sqlite as StoreFactory, t)
      await recorded(spoke)
      const sent = await feed(spoke, { only: 'local' })
      const peer = (await own(spoke)).id
      await hub.sync.apply(sent.batch, peer, { pulled: { seq: sent.next, epoch: 1 } }, T0)
      const passed = await feed(hub, { except: randomUUID() })
      // Every change the spoke sent is passed on as it was sent (the hub adds its own device).
      const wire = (c: SyncChange) => JSON.stringify(c, Object.keys(c).sort())
      const relayed = new Set(passed.batch.changes.map(wire))
      for (const c of sent.batch.changes) assert.ok(relayed.has(wire(c)), wire(c))
      assert.equal(passed.batch.devices[peer], sent.batch.devices[peer])
      await last.sync.apply(
        passed.batch,
        (await own(hub)).id,
        { pulled: { seq: passed.next, epoch: 1 } },
        T0,
      )
      for (const store of [hub, last]) {
        assert.deepEqual(await eventsOf(store), await eventsOf(spoke))
        assert.deepEqual(await totals(store), await totals(spoke))
        assert.deepEqual(await store.afk.list({}), await spoke.afk.list({}))
        assert.deepEqual(
          await store.input.buckets({ startMs: T0 }),
          await spoke.input.buckets({ startMs: T0 }),
        )
        assert.deepEqual(
          (await store.labels.list({ limit: 10 })).map((l) => [l.id, l.text]),
          (await spoke.labels.list({ limit: 10 })).map((l) => [l.id, l.text]),
        )
        assert.equal((await store.settings.get()).timezone, 'Europe/Berlin')
      }
      // Nothing of it is sent back to the spoke it came from.
      const back = (await feed(hub, { except: peer })).batch.changes
      assert.ok(!back.some((c) => c.kind === 'event' || c.kind === 'input' || c.kind === 'afk'))
    })

    test('a server database is a hub only: it refuses to be a spoke, a SQLite file may be either', async (t) => {
      const store = await open(t)
      if (name === 'postgres') {
        assert.throws(() => store.sync.checkSpoke(), { code: 'spoke_needs_sqlite' })
      } else {
        assert.doesNotThrow(() => store.sync.checkSpoke())
      }
    })

    test("screenshots' index rows received are passed on to other devices, and so is their deletion", async (t) => {
      const hub = await open(t)
      const taker = randomUUID()
      const atMs = T0 + 5 * MIN
      const { filename } = framePath(atMs, 'laptop')
      const frame: SyncChange = {
        kind: 'screenshot',
        op: 'upsert',
        id: frameId(taker, filename),
        device: taker,
        filename,
        atMs,
        app: 'firefox',
        title: 'Budget',
        url: null,
        bytes: 100,
        width: 10,
        height: 10,
        hash: '00ff00ff00ff00ff',
        text: 'quarterly chart',
        ocrMs: 5,
      }
      checkSyncChange(frame, 'changes/0')
      const batch = { devices: { [taker]: 'laptop' }, changes: [frame] }
      const cursor = { pulled: { seq: 1, epoch: 1 } }
      assert.equal((await hub.sync.apply(batch, taker, cursor, T0)).applied, 1)
      assert.equal((await hub.sync.apply(batch, taker, cursor, T0)).applied, 0)
      const passed = (await feed(hub, { except: randomUUID() })).batch
      assert.deepEqual(
        passed.changes.filter((c) => c.kind === 'screenshot'),
        [frame],
      )
      assert.equal(passed.devices[taker], 'laptop')
      // Not sent back to the device that took it; none of it is this store's own to push.
      const back = (await feed(hub, { except: taker })).batch.changes
      assert.ok(!back.some((c) => c.kind === 'screenshot'))
      assert.ok(
        !(await feed(hub, { only: 'local' })).batch.changes.some((c) => c.kind === 'screenshot'),
      )

      const before = await hub.changes.last()
      const purge: SyncChange = {
        kind: 'screenshot',
        op: 'delete',
        id: frame.id,
        device: taker,
        startMs: atMs,
        version: 3,
      }
      await hub.sync.apply({ devices: {}, changes: [purge] }, randomUUID(), cursor, T0)
      const after = (await feed(hub, { except: randomUUID() }, before)).batch.changes
      assert.deepEqual(
        after.filter((c) => c.kind === 'screenshot'),
        [purge],
      )
      // The general change feed carries no screenshots' tombstones (they are sync's only).
      const { changes } = await hub.changes.after(before, 100)
      assert.ok(!changes.some((c) => c.op === 'delete' && c.id === frame.id))
      // A purged frame stays purged when sent again.
      assert.equal((await hub.sync.apply(batch, taker, cursor, T0)).applied, 0)
    })
  })
}
