/**
 * The store conformance suite, continued (called from `conformance.ts`): labels, search, status,
 * sessions, the span of events, and the schema.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Change } from '../../src/domain/changes.ts'
import { NotFoundError, UnprocessableError } from '../../src/domain/errors.ts'
import { type StoreFactory, event } from './conformance.ts'

const T0 = Date.parse('2025-09-11T09:00:00Z')
const MIN = 60_000
const HOUR = 60 * MIN
const DAY = { startMs: T0 - 9 * HOUR, endMs: T0 + 15 * HOUR }

export function readsConformance(name: string, open: StoreFactory): void {
  describe(`${name}: labels`, () => {
    test('created and changed at the given time, read back, listed, deleted with a tombstone', async (t) => {
      const store = await open(t)
      const draft = { text: 'release day', context: 'v1.2', startMs: T0, endMs: T0 + HOUR }
      const created = await store.labels.create(draft, T0 + 2 * HOUR)
      const { label } = created
      assert.deepEqual(
        { ...label, id: undefined },
        { ...draft, id: undefined, createdMs: T0 + 2 * HOUR, updatedMs: T0 + 2 * HOUR },
      )
      assert.deepEqual(
        created.changes.map((c) => [
          c.kind,
          c.op,
          c.kind === 'label' && c.op === 'upsert' && c.created,
        ]),
        [['label', 'upsert', true]],
      )
      assert.deepEqual(await store.labels.get(label.id), label)

      const changed = await store.labels.update(label.id, { text: 'launch day' }, T0 + 3 * HOUR)
      assert.deepEqual(changed.label, {
        ...label,
        text: 'launch day',
        updatedMs: T0 + 3 * HOUR,
      })
      assert.equal(changed.changes[0]?.kind === 'label' && changed.changes[0].op, 'upsert')
      assert.ok((changed.changes[0]?.seq ?? 0) > (created.changes[0]?.seq ?? 0))
      await assert.rejects(
        store.labels.update(label.id, { endMs: T0 - HOUR }, T0 + 3 * HOUR),
        UnprocessableError,
      )
      await assert.rejects(
        store.labels.update('00000000-0000-7000-8000-000000000000', { text: 'x' }, T0),
        NotFoundError,
      )
      assert.equal((await store.labels.get(label.id))?.text, 'launch day')

      const later = await store.labels.create(
        { text: 'standup', context: null, startMs: T0 + 5 * HOUR, endMs: T0 + 5 * HOUR + 15 * MIN },
        T0 + 4 * HOUR,
      )
      // Without a range: the most recently created first; with one: those overlapping it, by start.
      assert.deepEqual(
        (await store.labels.list({ limit: 10 })).map((l) => l.text),
        ['standup', 'launch day'],
      )
      assert.deepEqual(
        (await store.labels.list({ limit: 1 })).map((l) => l.text),
        ['standup'],
      )
      assert.deepEqual(
        (
          await store.labels.list({
            range: { startMs: T0 + 30 * MIN, endMs: T0 + 6 * HOUR },
            limit: 10,
          })
        ).map((l) => l.text),
        ['launch day', 'standup'],
      )
      assert.deepEqual(
        (await store.labels.list({ range: { startMs: T0 + 2 * HOUR }, limit: 10 })).map(
          (l) => l.text,
        ),
        ['standup'],
      )

      const deleted = await store.labels.delete(later.label.id)
      assert.equal(deleted.deleted, true)
      assert.deepEqual(
        deleted.changes.map((c) => [c.kind, c.op, c.op === 'delete' && c.id]),
        [['label', 'delete', later.label.id]],
      )
      assert.equal(await store.labels.get(later.label.id), undefined)
      assert.deepEqual(await store.labels.delete(later.label.id), { deleted: false, changes: [] })
      const feed: Change[] = (await store.changes.after(0, 100)).changes
      assert.ok(
        feed.some((c) => c.kind === 'label' && c.op === 'delete' && c.id === later.label.id),
      )
      assert.ok(
        feed.some((c) => c.kind === 'label' && c.op === 'upsert' && c.label.text === 'launch day'),
      )
    })

    test('search matches words of the text and context as prefixes, every word', async (t) => {
      const store = await open(t)
      const at = (h: number) => ({ startMs: T0 + h * HOUR, endMs: T0 + h * HOUR + MIN })
      await store.labels.create({ text: 'Quarterly planning', context: 'offsite', ...at(0) }, T0)
      await store.labels.create({ text: 'planning poker', context: null, ...at(1) }, T0)
      await store.labels.create({ text: 'retro', context: 'quarterly', ...at(2) }, T0)
      const texts = async (q: string) =>
        (await store.labels.search(q, 10)).map((l) => l.text).sort()
      assert.deepEqual(await texts('plan'), ['Quarterly planning', 'planning poker'])
      assert.deepEqual(await texts('quart'), ['Quarterly planning', 'retro'])
      assert.deepEqual(await texts('quarterly plan'), ['Quarterly planning'])
      assert.deepEqual(await texts('offs'), ['Quarterly planning'])
      assert.deepEqual(await texts('nothing'), [])
      // No words at all (only punctuation) matches nothing, and is no error.
      assert.deepEqual(await texts('"*:('), [])
      assert.equal((await store.labels.search('plan', 1)).length, 1)
    })
  })

  describe(`${name}: search`, () => {
    test('events by the names of what they were, and labels, newest first, with active time', async (t) => {
      const store = await open(t)
      await store.events.insert(
        [
          event({ entity: 'parser.rs', startMs: T0, endMs: T0 + 10 * MIN }),
          event({ entity: 'lexer.rs', startMs: T0 + 20 * MIN, endMs: T0 + 30 * MIN }),
          event({
            entity: 'notes.md',
            project: 'garden',
            branch: null,
            startMs: T0 + 40 * MIN,
            endMs: T0 + 45 * MIN,
          }),
          // Hidden behind the editor for its first five minutes: those are the editor's.
          event({
            source: 'skopio-desktop',
            app: 'Terminal',
            entity: 'parser tests',
            project: 'Unknown',
            branch: null,
            startMs: T0 + 5 * MIN,
            endMs: T0 + 15 * MIN,
          }),
        ],
        T0,
      )
      await store.labels.create(
        { text: 'parser rewrite', context: null, startMs: T0, endMs: T0 + HOUR },
        T0,
      )
      const hits = await store.search.search('parser', DAY, 10)
      assert.deepEqual(
        hits.map((h) =>
          h.type === 'event'
            ? ['event', h.event.entity, h.activeSeconds]
            : ['label', h.label.text, h.activeSeconds],
        ),
        [
          ['event', 'parser tests', 5 * 60],
          ['event', 'parser.rs', 10 * 60],
          // The label's active time: all activity inside it (10 + 5 + 10 + 5 minutes).
          ['label', 'parser rewrite', 30 * 60],
        ],
      )
      // A project name, every word, and the range.
      const garden = await store.search.search('gard', DAY, 10)
      assert.deepEqual(
        garden.map((h) => h.type === 'event' && h.event.entity),
        ['notes.md'],
      )
      assert.deepEqual(await store.search.search('parser garden', DAY, 10), [])
      assert.deepEqual(
        await store.search.search('parser', { startMs: T0 + 2 * HOUR, endMs: T0 + 3 * HOUR }, 10),
        [],
      )
      assert.equal((await store.search.search('parser', DAY, 2)).length, 2)
      assert.deepEqual(await store.search.search('  ', DAY, 10), [])
    })
  })

  describe(`${name}: status`, () => {
    test('counts of what is stored, and each collector with when it last sent and how much', async (t) => {
      const store = await open(t)
      assert.deepEqual(await store.status.counts(), {
        events: 0,
        afkPeriods: 0,
        inputBuckets: 0,
        labels: 0,
        devices: 1,
      })
      assert.deepEqual(await store.status.collectors(), [])
      await store.events.insert(
        [event(), event({ entity: 'lib.rs' }), event({ device: 'desk', source: 'skopio-zed' })],
        T0 + HOUR,
      )
      await store.events.insert([event({ entity: 'mod.rs' })], T0 + 2 * HOUR)
      await store.afk.insert(
        [{ device: null, startMs: T0, endMs: T0 + MIN, durationSec: null }],
        T0 + 3 * HOUR,
      )
      await store.input.add(
        [{ lc: 1, rc: 0, mc: 0, kp: 5, mm: 0, scroll: 0, bucketMs: T0, source: 'kb' }],
        T0 + 4 * HOUR,
      )
      await store.labels.create({ text: 'x', context: null, startMs: T0, endMs: T0 + MIN }, T0)
      assert.deepEqual(await store.status.counts(), {
        events: 4,
        afkPeriods: 1,
        inputBuckets: 1,
        labels: 1,
        devices: 2,
      })
      const [own] = await store.devices.list()
      assert.deepEqual(
        (await store.status.collectors()).map((c) => [
          c.kind,
          c.source,
          c.device,
          c.lastSeenMs,
          c.items,
        ]),
        [
          ['input', 'kb', own?.name, T0 + 4 * HOUR, 1],
          ['afk', 'afk', own?.name, T0 + 3 * HOUR, 1],
          ['events', 'skopio-vscode', own?.name, T0 + 2 * HOUR, 3],
          ['events', 'skopio-zed', 'desk', T0 + HOUR, 1],
        ],
      )
    })
  })

  describe(`${name}: sessions and span`, () => {
    test('sessions join activity across gaps shorter than the gap, cut at the range', async (t) => {
      const store = await open(t)
      assert.deepEqual(await store.activeTime.sessions(DAY, 10 * MIN), [])
      await store.events.insert(
        [
          event({ entity: 'a', startMs: T0, endMs: T0 + 10 * MIN }),
          event({ entity: 'b', startMs: T0 + 15 * MIN, endMs: T0 + 20 * MIN }),
          event({ entity: 'c', startMs: T0 + 60 * MIN, endMs: T0 + 90 * MIN }),
        ],
        T0,
      )
      assert.deepEqual(await store.activeTime.sessions(DAY, 10 * MIN), [
        { startMs: T0, endMs: T0 + 20 * MIN, activeSeconds: 15 * 60 },
        { startMs: T0 + 60 * MIN, endMs: T0 + 90 * MIN, activeSeconds: 30 * 60 },
      ])
      assert.deepEqual(await store.activeTime.sessions(DAY, 60 * MIN), [
        { startMs: T0, endMs: T0 + 90 * MIN, activeSeconds: 45 * 60 },
      ])
      assert.deepEqual(
        await store.activeTime.sessions({ startMs: T0 + 5 * MIN, endMs: T0 + 70 * MIN }, 10 * MIN),
        [
          { startMs: T0 + 5 * MIN, endMs: T0 + 20 * MIN, activeSeconds: 10 * 60 },
          { startMs: T0 + 60 * MIN, endMs: T0 + 70 * MIN, activeSeconds: 10 * 60 },
        ],
      )
      // Time away is no activity: an AFK period splits a session.
      await store.afk.insert(
        [{ device: null, startMs: T0 + 2 * MIN, endMs: T0 + 8 * MIN, durationSec: null }],
        T0,
      )
      assert.deepEqual(
        await store.activeTime.sessions({ startMs: T0, endMs: T0 + 30 * MIN }, MIN),
        [
          { startMs: T0, endMs: T0 + 2 * MIN, activeSeconds: 2 * 60 },
          { startMs: T0 + 8 * MIN, endMs: T0 + 10 * MIN, activeSeconds: 2 * 60 },
          { startMs: T0 + 15 * MIN, endMs: T0 + 20 * MIN, activeSeconds: 5 * 60 },
        ],
      )
    })

    test('the span runs from the earliest start to the latest end', async (t) => {
      const store = await open(t)
      assert.equal(await store.events.span(), undefined)
      await store.events.insert(
        [
          event({ entity: 'a', startMs: T0 + HOUR, endMs: T0 + 2 * HOUR }),
          event({ entity: 'b', startMs: T0, endMs: T0 + 10 * MIN }),
        ],
        T0,
      )
      assert.deepEqual(await store.events.span(), { startMs: T0, endMs: T0 + 2 * HOUR })
      await store.events.insert(
        [event({ entity: 'a', startMs: T0 + HOUR, endMs: T0 + 3 * HOUR })],
        T0,
      )
      assert.deepEqual(await store.events.span(), { startMs: T0, endMs: T0 + 3 * HOUR })
    })
  })

  describe(`${name}: schema`, () => {
    test('a migrated store is at the newest schema, migrating again applies nothing', async (t) => {
      const store = await open(t)
      const { version, latest } = await store.schema()
      assert.equal(version, latest)
      assert.ok(latest > 0)
      assert.deepEqual(await store.migrate(), [])
      assert.deepEqual(await store.schema(), { version, latest })
      assert.equal(typeof store.location, 'string')
      assert.ok(store.location.length > 0)
    })
  })
}
