/**
 * Active time straight from the events: the reference implementation the rollups must agree with,
 * to the second, for every range, zone, grouping and filter (the property tests compare them).
 *
 * It resolves the whole range at once, from events and AFK periods by name, with the one
 * definition of the timeline; the store's fast path resolves slots, reads cells and must add up to
 * exactly the same.
 */
import { splitRange } from '../domain/calendar.ts'
import { type ActivityEvent, type AfkPeriod, afkEffectiveEnd } from '../domain/events.ts'
import { withDefaults } from '../domain/settings.ts'
import { type BucketCell, bucketize } from '../domain/summary.ts'
import { activeTimeline, sourcePriorityOf } from '../domain/timeline.ts'
import type { ActiveTimeQuery, Store } from '../store/ports.ts'

/** The cells `ActiveTimeStore.query` must return for `q`, computed from all the events. */
export function referenceActiveTime(
  events: readonly ActivityEvent[],
  afk: readonly AfkPeriod[],
  q: ActiveTimeQuery,
  sourcePriority: Readonly<Record<string, number>>,
): BucketCell[] {
  const priority = sourcePriorityOf(sourcePriority)
  const segments = activeTimeline(
    events,
    q.includeAfk
      ? null
      : afk.map((p) => ({ device: p.device, startMs: p.startMs, endMs: afkEffectiveEnd(p) })),
    q.range,
    (e) => priority(e.source),
  )
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

/** Runs the reference over everything a store holds in `q.range` (for tests and the bench). */
export async function referenceFromStore(store: Store, q: ActiveTimeQuery): Promise<BucketCell[]> {
  const events: ActivityEvent[] = []
  let after: { startMs: number; id: string } | undefined
  for (;;) {
    const page = await store.events.list({ range: q.range, filters: {}, limit: 10_000, after })
    events.push(...page.events)
    if (!page.next) break
    after = page.next
  }
  const afk = await store.afk.list(q.range)
  const { sourcePriority } = withDefaults(await store.settings.get())
  return referenceActiveTime(events, afk, q, sourcePriority)
}
