/**
 * The store conformance suite, continued (called from `conformance.ts`): active time over many
 * days, asked in every kind of zone and start of day while history changes under it — late events
 * into past days, deletions, AFK, a change of source priority or category rules — both while the
 * rollups catch up and once they are current. A store that keeps coarser cells (a day, kept with
 * its hours) must still agree with the reference to the millisecond.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { type BucketUnit, makeCalendar } from '../../src/domain/calendar.ts'
import type { Dimension } from '../../src/domain/events.ts'
import { DEFAULT_SOURCE_PRIORITY } from '../../src/domain/settings.ts'
import type { ActiveTimeQuery, Store } from '../../src/store/ports.ts'
import { type StoreFactory, event } from './conformance.ts'
import { referenceFromStore } from './reference.ts'

const MIN = 60_000
const H = 60 * MIN
const D = 24 * H
/** Around the spring-forward of Europe and the fall-back of Lord Howe (half an hour) in 2025. */
const BASE = Date.parse('2025-03-28T00:00:00Z')
const DAYS = 12

const eventArb = fc.record({
  day: fc.integer({ min: 0, max: DAYS - 1 }),
  at: fc.integer({ min: 0, max: D - 1 }),
  length: fc.oneof(fc.integer({ min: 0, max: 30 * MIN }), fc.integer({ min: 0, max: 6 * H })),
  source: fc.constantFrom('skopio-vscode', 'daybook-browser', 'skopio-desktop'),
  app: fc.constantFrom('Code', 'Firefox', 'iTerm2'),
  project: fc.constantFrom('daybook', 'web', 'notes'),
  entity: fc.constantFrom(['a.ts', 'File'], ['github.com/daybook', 'Url'], ['zsh — iTerm2', 'App']),
  category: fc.constantFrom('Coding', 'Other', 'Browsing'),
  language: fc.option(fc.constantFrom('Rust', 'TypeScript'), { nil: null }),
  device: fc.constantFrom(null, 'desk'),
})
type EventDraft = typeof eventArb extends fc.Arbitrary<infer T> ? T : never

const queryArb = fc.record({
  from: fc.integer({ min: -D, max: DAYS * D }),
  length: fc.integer({ min: H, max: (DAYS + 2) * D }),
  zone: fc.constantFrom(
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'America/St_Johns',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
    'Pacific/Kiritimati',
  ),
  // Any quarter hour.
  sod: fc.integer({ min: 0, max: 95 }).map((q) => {
    const m = q * 15
    return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
  }),
  unit: fc.constantFrom<BucketUnit | null>(null, 'day', 'day', 'week', 'month'),
  groupBy: fc.option(
    fc.constantFrom<Dimension>('app', 'project', 'language', 'category', 'device', 'entity'),
    { nil: undefined },
  ),
  filter: fc.option(
    fc.constantFrom<[Dimension, string[]]>(
      ['project', ['web']],
      ['app', ['Code', 'iTerm2']],
      ['category', ['Research', 'Browsing']],
    ),
    { nil: undefined },
  ),
})
type QueryDraft = typeof queryArb extends fc.Arbitrary<infer T> ? T : never

function stored(e: EventDraft) {
  const startMs = BASE + e.day * D + e.at
  return event({
    device: e.device,
    startMs,
    endMs: startMs + e.length,
    source: e.source,
    app: e.app,
    project: e.project,
    entity: e.entity[0],
    entityType: e.entity[1],
    category: e.category,
    language: e.language,
    branch: null,
  })
}

async function check(store: Store, queries: QueryDraft[], when: string): Promise<void> {
  for (const q of queries) {
    const query: ActiveTimeQuery = {
      range: { startMs: BASE + q.from, endMs: BASE + q.from + q.length },
      unit: q.unit,
      calendar: makeCalendar(q.zone, q.sod),
      groupBy: q.groupBy,
      filters: q.filter ? { [q.filter[0]]: q.filter[1] } : {},
      includeAfk: false,
    }
    const expected = await referenceFromStore(store, query)
    assert.deepEqual(await store.activeTime.query(query), expected, `${when}: ${JSON.stringify(q)}`)
  }
}

export function daysConformance(name: string, open: StoreFactory): void {
  describe(`${name}: active time over days`, () => {
    test('any zone and start of day equals the reference through late events, deletions and settings changes', async (t) => {
      const store = await open(t)
      await fc.assert(
        fc.asyncProperty(
          fc.array(eventArb, { minLength: 1, maxLength: 40 }),
          fc.array(eventArb, { maxLength: 10 }),
          fc.record({ day: fc.integer({ min: 0, max: DAYS - 1 }), days: fc.nat(3) }),
          fc.constantFrom(
            { sourcePriority: { 'skopio-desktop': 500, '*': 0 } },
            { categoryRules: [{ match: 'app' as const, pattern: '^i', category: 'Research' }] },
          ),
          fc.array(queryArb, { minLength: 3, maxLength: 3 }),
          async (history, late, gone, settings, queries) => {
            // A clean slate each run, with the settings back to their defaults.
            await store.events.delete({ startMs: 0, endMs: BASE + 100 * D })
            await store.afk.delete({ startMs: 0, endMs: BASE + 100 * D })
            await store.settings.save({
              sourcePriority: DEFAULT_SOURCE_PRIORITY,
              categoryRules: [],
            })
            await store.events.insert(history.map(stored), BASE)
            await store.activeTime.settle()
            await check(store, queries, 'history')
            // Late events into past days: exact before and after their cells are recomputed.
            await store.events.insert(late.map(stored), BASE + 20 * D)
            await check(store, queries, 'late events, pending')
            await store.activeTime.settle()
            await check(store, queries, 'late events')
            // A few days deleted.
            const from = BASE + gone.day * D + 7 * H
            await store.events.delete({ startMs: from, endMs: from + gone.days * D + 5 * H })
            await check(store, queries, 'deletion, pending')
            await store.activeTime.settle()
            await check(store, queries, 'deletion')
            // Every day's time moves.
            await store.settings.save(settings)
            await check(store, queries, 'settings, pending')
            await store.activeTime.settle()
            assert.equal(await store.activeTime.pending(), 0)
            await check(store, queries, 'settings')
          },
        ),
        // Each run writes to the store: report the first failure as found rather than shrink it.
        { numRuns: 15, endOnFailure: true },
      )
    })
  })
}
