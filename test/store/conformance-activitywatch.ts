/**
 * The ActivityWatch part of the store conformance suite (called from `conformance.ts`): buckets,
 * events with integer ids and nanosecond times, the heartbeat merge inside one transaction,
 * replace by id, import with deduplication, settings.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AwBucketRecord, AwEvent } from '../../src/domain/activitywatch/model.ts'
import { BadRequestError, NotFoundError } from '../../src/domain/errors.ts'
import type { StoreFactory } from './conformance.ts'

const S = 1_000_000_000n
const T0 = BigInt(Date.parse('2025-09-11T09:00:00Z')) * 1_000_000n

function bucket(id = 'aw-watcher-window_host', overrides: Partial<AwBucketRecord> = {}) {
  return {
    id,
    type: 'currentwindow',
    client: 'aw-watcher-window',
    hostname: 'host',
    created: T0,
    data: {},
    ...overrides,
  }
}

function ev(at: bigint, seconds: bigint, data: AwEvent['data'] = {}, id: number | null = null) {
  return { id, timestamp: at, duration: seconds * S, data }
}

export function activityWatchConformance(name: string, open: StoreFactory): void {
  describe(`${name}: ActivityWatch buckets and events`, () => {
    test('buckets are created once, listed with the span of their events, and deleted with them', async (t) => {
      const store = await open(t)
      const aw = store.activitywatch
      assert.equal(await aw.createBucket(bucket()), true)
      assert.equal(await aw.createBucket(bucket('aw-watcher-window_host', { type: 'x' })), false)
      assert.equal((await aw.bucket('aw-watcher-window_host'))?.type, 'currentwindow')
      assert.deepEqual(await aw.bucket('aw-watcher-window_host'), {
        ...bucket(),
        start: null,
        end: null,
      })
      await aw.insertEvents('aw-watcher-window_host', [
        ev(T0 + 10n * S, 5n, { app: 'a' }),
        ev(T0, 3n, { app: 'b' }),
      ])
      const [listed] = await aw.buckets()
      assert.equal(listed?.start, T0)
      assert.equal(listed?.end, T0 + 15n * S)
      assert.equal(await aw.deleteBucket('aw-watcher-window_host'), true)
      assert.equal(await aw.deleteBucket('aw-watcher-window_host'), false)
      assert.deepEqual(await aw.buckets(), [])
      await assert.rejects(aw.events('aw-watcher-window_host', {}), NotFoundError)
      // A bucket created again under the same id starts empty.
      await aw.createBucket(bucket())
      assert.deepEqual(await aw.events('aw-watcher-window_host', {}), [])
    })

    test('events come back exactly (ns times, data), newest first, by overlap, with a limit', async (t) => {
      const store = await open(t)
      const aw = store.activitywatch
      await aw.createBucket(bucket())
      const data = { app: 'Code', title: 'x', n: 1.5, nested: { b: [1, true, null] } }
      const { events } = await aw.insertEvents('aw-watcher-window_host', [
        { id: null, timestamp: T0 + 123_456_789n, duration: 1n, data },
        ev(T0 + 10n * S, 10n),
        ev(T0 + 30n * S, 10n),
      ])
      assert.deepEqual(
        events.map((e) => typeof e.id),
        ['number', 'number', 'number'],
      )
      const all = await aw.events('aw-watcher-window_host', {})
      assert.deepEqual(
        all.map((e) => e.timestamp),
        [T0 + 30n * S, T0 + 10n * S, T0 + 123_456_789n],
      )
      assert.deepEqual(all[2], events[0])
      // Inclusive overlap: an event ending exactly at the range start is included.
      const touching = await aw.events('aw-watcher-window_host', { start: T0 + 20n * S })
      assert.deepEqual(
        touching.map((e) => e.timestamp),
        [T0 + 30n * S, T0 + 10n * S],
      )
      assert.equal((await aw.events('aw-watcher-window_host', { limit: 1 })).length, 1)
      assert.equal(await aw.count('aw-watcher-window_host', {}), 3)
      assert.equal(await aw.count('aw-watcher-window_host', { end: T0 + 5n * S }), 1)
      const id = events[1]?.id ?? 0
      assert.deepEqual(await aw.event('aw-watcher-window_host', id), events[1])
      assert.deepEqual(await aw.deleteEvent('aw-watcher-window_host', id), events[1])
      assert.equal(await aw.deleteEvent('aw-watcher-window_host', id), undefined)
      assert.equal(await aw.event('aw-watcher-window_host', id), undefined)
    })

    test('an event with an id replaces that event; an id of another bucket is refused', async (t) => {
      const store = await open(t)
      const aw = store.activitywatch
      await aw.createBucket(bucket('a'))
      await aw.createBucket(bucket('b'))
      const { events } = await aw.insertEvents('a', [ev(T0, 5n, { v: 1 })])
      const id = events[0]?.id ?? 0
      const replaced = await aw.insertEvents('a', [ev(T0 + S, 2n, { v: 2 }, id)])
      assert.deepEqual(replaced.replaced, [events[0]])
      assert.deepEqual(await aw.events('a', {}), [ev(T0 + S, 2n, { v: 2 }, id)])
      await assert.rejects(aw.insertEvents('b', [ev(T0, 1n, {}, id)]), BadRequestError)
      // Ids are never reused: a deleted event's id does not come back.
      await aw.deleteEvent('a', id)
      const again = await aw.insertEvents('a', [ev(T0, 1n)])
      assert.notEqual(again.events[0]?.id, id)
    })

    test('heartbeats merge under the exact rule and return the event with its id', async (t) => {
      const store = await open(t)
      const aw = store.activitywatch
      await aw.createBucket(bucket())
      const id = 'aw-watcher-window_host'
      const first = await aw.heartbeat(id, ev(T0, 1n, { a: 1 }), 2n * S)
      assert.equal(first.merged, false)
      // Within last end + pulsetime, same data (any key order): merged, same id.
      const second = await aw.heartbeat(id, ev(T0 + 2n * S, 1n, { a: 1 }), 2n * S)
      assert.deepEqual(second, { event: ev(T0, 3n, { a: 1 }, first.event.id), merged: true })
      // Consecutive merges keep working (aw-server-rust#559).
      const third = await aw.heartbeat(id, ev(T0 + 4n * S, 0n, { a: 1 }), 2n * S)
      assert.deepEqual(third.event, ev(T0, 4n, { a: 1 }, first.event.id))
      // A heartbeat inside the event never shrinks it.
      const inside = await aw.heartbeat(id, ev(T0 + S, 0n, { a: 1 }), 2n * S)
      assert.deepEqual(inside.event, ev(T0, 4n, { a: 1 }, first.event.id))
      // Different data: a new event.
      const other = await aw.heartbeat(id, ev(T0 + 5n * S, 0n, { a: 2 }), 2n * S)
      assert.equal(other.merged, false)
      assert.notEqual(other.event.id, first.event.id)
      // Past end + pulsetime: a new event.
      const late = await aw.heartbeat(id, ev(T0 + 100n * S, 0n, { a: 2 }), 2n * S)
      assert.equal(late.merged, false)
      assert.equal(await aw.count(id, {}), 3)
      await assert.rejects(aw.heartbeat('missing', ev(T0, 0n), S), NotFoundError)
    })

    test('the next heartbeat merges into the event the last one made, not the latest start', async (t) => {
      // aw-watcher-afk opens AFK at last input + 1 ms, then heartbeats from the last input on.
      const store = await open(t)
      const aw = store.activitywatch
      await aw.createBucket(bucket('afk', { type: 'afkstatus' }))
      const afk = { status: 'afk' }
      const ms = 1_000_000n
      await aw.heartbeat('afk', ev(T0 + ms, 180n, afk), 185n * S)
      const early = await aw.heartbeat('afk', ev(T0, 190n, afk), 185n * S)
      assert.equal(early.merged, false)
      const next = await aw.heartbeat('afk', ev(T0, 195n, afk), 185n * S)
      assert.deepEqual(next, { event: ev(T0, 195n, afk, early.event.id), merged: true })
      assert.equal(await aw.count('afk', {}), 2)
      // Other writes to the bucket forget it: then the latest start is the last event.
      await aw.insertEvents('afk', [])
      const after = await aw.heartbeat('afk', ev(T0 + 2n * ms, 0n, afk), 185n * S)
      assert.equal(after.merged, true)
      assert.equal(after.event.timestamp, T0 + ms)
    })

    test('import creates or merges a bucket, skipping events it already has, ignoring ids', async (t) => {
      const store = await open(t)
      const aw = store.activitywatch
      const b = bucket('imported', { type: 'afkstatus', data: { k: 'v' } })
      const first = await aw.importBucket(b, [
        ev(T0, 5n, { status: 'afk' }, 999),
        ev(T0 + 5n * S, 5n, { status: 'not-afk' }),
      ])
      assert.equal(first.created, true)
      assert.equal(first.inserted.length, 2)
      assert.notEqual(first.inserted[0]?.id, 999)
      const second = await aw.importBucket(b, [
        ev(T0, 5n, { status: 'afk' }),
        ev(T0 + 10n * S, 5n, { status: 'afk' }),
      ])
      assert.deepEqual(
        { created: second.created, n: second.inserted.length },
        { created: false, n: 1 },
      )
      assert.equal(await aw.count('imported', {}), 3)
      assert.deepEqual((await aw.bucket('imported'))?.data, { k: 'v' })
    })

    test('settings are JSON values by key; an unset key is undefined', async (t) => {
      const store = await open(t)
      const aw = store.activitywatch
      assert.equal(await aw.setting('theme'), undefined)
      await aw.saveSetting('theme', 'dark')
      await aw.saveSetting('classes', [{ name: ['Work'], rule: { type: 'none' } }])
      await aw.saveSetting('theme', 'light')
      assert.deepEqual(await aw.settings(), {
        classes: [{ name: ['Work'], rule: { type: 'none' } }],
        theme: 'light',
      })
      assert.equal(await aw.deleteSetting('theme'), true)
      assert.equal(await aw.deleteSetting('theme'), false)
      assert.deepEqual(Object.keys(await aw.settings()), ['classes'])
    })
  })
}
