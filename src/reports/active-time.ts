/**
 * Active time straight from the events: the reference implementation every faster path (such as
 * incrementally maintained rollups) must agree with.
 *
 * The timeline is local: who owns an instant depends only on the events covering that instant.
 * So the active time of any range is the sum over any partition of it (say, hours), which is what
 * makes per-bucket rollups exact when they are added later.
 */
import type { TimeRange } from '../domain/calendar.ts'
import type { EventFilters } from '../domain/events.ts'
import type { Settings } from '../domain/settings.ts'
import { activeSegments } from '../domain/summary.ts'
import { type Segment, sourcePriorityOf } from '../domain/timeline.ts'
import type { Store } from '../store/store.ts'

export interface ActiveTimeRequest {
  /** The range; either side may be infinite (unbounded). */
  range: TimeRange
  filters: EventFilters
  includeAfk: boolean
}

/** The active, filtered timeline of a range, built from the store's events and AFK periods. */
export async function loadActiveSegments(
  store: Store,
  settings: Settings,
  request: ActiveTimeRequest,
  nowMs: number,
): Promise<Segment[]> {
  // Every event in the range, unfiltered: filters select from the finished timeline, so an event
  // outside the filter still takes the time it won from the ones inside it.
  const [events, afk] = await Promise.all([
    store.events({ range: request.range, filters: {} }),
    request.includeAfk ? Promise.resolve([]) : store.afk(request.range, nowMs),
  ])
  return activeSegments({
    events,
    afk,
    range: request.range,
    priority: sourcePriorityOf(settings.sourcePriority),
    includeAfk: request.includeAfk,
    filters: request.filters,
    nowMs,
  })
}
