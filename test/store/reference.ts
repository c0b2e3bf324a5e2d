/**
 * The test oracle for active time: every question answered straight from all the events, by the
 * definition and nothing else. Stores answer from rollups, slots and ids; they must agree with
 * this to the second for every range, zone, grouping, filter and set of settings (the property
 * test of the conformance suite compares them).
 *
 * It resolves the whole range at once, from the stored events and AFK periods by name, with the
 * one definition of the timeline under the settings (`eventTimeline`: source priority, category
 * rules), then filters and sums the segments into calendar buckets.
 */
import { splitRange } from '../../src/domain/calendar.ts'
import type { ActivityEvent, AfkPeriod } from '../../src/domain/events.ts'
import { type Settings, withDefaults } from '../../src/domain/settings.ts'
import { type BucketCell, bucketize } from '../../src/domain/summary.ts'
import { eventTimeline } from '../../src/domain/timeline.ts'
import type { ActiveTimeQuery, EventCursor, Store } from '../../src/store/ports.ts'

/** The cells `ActiveTimeStore.query` must return for `q`, computed from all the events. */
export function referenceActiveTime(
  events: readonly ActivityEvent[],
  afk: readonly AfkPeriod[],
  q: ActiveTimeQuery,
  settings: Pick<Settings, 'sourcePriority' | 'categoryRules'>,
): BucketCell[] {
  const segments = eventTimeline(events, q.includeAfk ? null : afk, q.range, settings)
  const filters = Object.entries(q.filters)
    .filter(([, names]) => names && names.length > 0)
    .map(([dim, names]) => [dim as keyof ActivityEvent, new Set(names)] as const)
  const kept = segments.filter((s) =>
    filters.every(([dim, names]) => {
      const v = s.event[dim]
      return typeof v === 'string' && names.has(v)
    }),
  )
  const buckets =
    q.unit === null ? [{ label: '', ...q.range }] : splitRange(q.range, q.unit, q.calendar)
  const groupBy = q.groupBy
  return bucketize(kept, buckets, {
    group: groupBy === undefined ? () => 'Total' : (e) => e[groupBy],
    meta: groupBy === 'entity' ? (e) => e.entityType : undefined,
  }).toCells()
}

/** Runs the oracle over everything a store holds in `q.range`, under its stored settings. */
export async function referenceFromStore(store: Store, q: ActiveTimeQuery): Promise<BucketCell[]> {
  // Every event as stored, page by page, through the port alone.
  const events: ActivityEvent[] = []
  for (let after: EventCursor | null | undefined; after !== null;) {
    const page = await store.events.list({ range: q.range, filters: {}, limit: 10_000, after })
    events.push(...page.events)
    after = page.next
  }
  const afk = await store.afk.list(q.range)
  return referenceActiveTime(events, afk, q, withDefaults(await store.settings.get()))
}
