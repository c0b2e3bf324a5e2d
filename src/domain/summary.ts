/**
 * Sums of active time: per range, per calendar bucket, per group. Pure; callers bring the events.
 *
 * Filters and grouping apply to the timeline, never to the events before it is built: the time a
 * filter selects is time its events really owned, not time another event won.
 */
import type { CalendarBucket, TimeRange } from './calendar.ts'
import {
  type ActivityEvent,
  type AfkPeriod,
  type Dimension,
  type EventFilters,
  dimensionValue,
} from './events.ts'
import {
  type Segment,
  type SourcePriority,
  afkIntervals,
  buildTimeline,
  subtractIntervals,
} from './timeline.ts'

/** The key `groupedValues` uses when a result is not grouped. */
export const TOTAL_GROUP = 'Total'

export interface ActiveTimeInput {
  events: readonly ActivityEvent[]
  afk: readonly AfkPeriod[]
  range: TimeRange
  priority: SourcePriority
  /** Count time inside AFK periods as active too. */
  includeAfk: boolean
  filters: EventFilters
  /** For open AFK periods, which last until now. */
  nowMs: number
}

/** The active, filtered timeline of a range. */
export function activeSegments(input: ActiveTimeInput): Segment[] {
  let segments = buildTimeline(input.events, input.range, input.priority)
  if (!input.includeAfk)
    segments = subtractIntervals(segments, afkIntervals(input.afk, input.nowMs))
  return filterSegments(segments, input.filters)
}

/** Segments whose event passes every filter (names ANDed across dimensions, ORed within one). */
export function filterSegments(segments: readonly Segment[], filters: EventFilters): Segment[] {
  const active = (Object.entries(filters) as [Dimension, readonly string[]][]).filter(
    ([, names]) => names.length > 0,
  )
  if (active.length === 0) return [...segments]
  const sets = active.map(([dim, names]) => [dim, new Set(names)] as const)
  return segments.filter((s) =>
    sets.every(([dim, names]) => {
      const v = dimensionValue(s.event, dim)
      return v !== null && names.has(v)
    }),
  )
}

/** The group a segment counts for: its dimension value, `Total` when ungrouped, null to leave out. */
export function groupKey(event: ActivityEvent, groupBy: Dimension | undefined): string | null {
  return groupBy === undefined ? TOTAL_GROUP : dimensionValue(event, groupBy)
}

/** Seconds of one group in one bucket. */
export interface BucketCell {
  label: string
  group: string
  seconds: number
  /** When grouping by entity: the entity type that holds most of this cell's time. */
  meta: string | null
}

/**
 * Sums segments into calendar buckets (sorted, non-overlapping) and groups. An event is counted
 * only for its part inside each bucket. Buckets sharing a label (the repeated hour of a DST
 * fall-back) are one cell. Cells come in bucket order, then group name order; empty cells are
 * left out.
 */
export function bucketize(
  segments: readonly Segment[],
  buckets: readonly CalendarBucket[],
  groupBy: Dimension | undefined,
): BucketCell[] {
  const cells = new Map<string, Map<string, { ms: number; types: Map<string, number> }>>()
  for (const b of buckets) if (!cells.has(b.label)) cells.set(b.label, new Map())
  let first = 0
  for (const seg of segments) {
    const group = groupKey(seg.event, groupBy)
    if (group === null) continue
    while (first < buckets.length && (buckets[first] as CalendarBucket).endMs <= seg.startMs)
      first++
    for (let i = first; i < buckets.length; i++) {
      const b = buckets[i] as CalendarBucket
      if (b.startMs >= seg.endMs) break
      const ms = Math.min(b.endMs, seg.endMs) - Math.max(b.startMs, seg.startMs)
      if (ms <= 0) continue
      const byGroup = cells.get(b.label) as Map<string, { ms: number; types: Map<string, number> }>
      let cell = byGroup.get(group)
      if (!cell) byGroup.set(group, (cell = { ms: 0, types: new Map() }))
      cell.ms += ms
      if (groupBy === 'entity' && seg.event.entityType !== null) {
        cell.types.set(seg.event.entityType, (cell.types.get(seg.event.entityType) ?? 0) + ms)
      }
    }
  }
  const out: BucketCell[] = []
  for (const [label, byGroup] of cells) {
    for (const group of [...byGroup.keys()].sort()) {
      const cell = byGroup.get(group) as { ms: number; types: Map<string, number> }
      out.push({ label, group, seconds: cell.ms / 1000, meta: dominant(cell.types) })
    }
  }
  return out
}

/** Seconds per group over the whole of `segments`, largest first (ties by name). */
export function totalsByGroup(
  segments: readonly Segment[],
  groupBy: Dimension | undefined,
): [string, number][] {
  const totals = new Map<string, number>()
  for (const s of segments) {
    const group = groupKey(s.event, groupBy)
    if (group !== null) totals.set(group, (totals.get(group) ?? 0) + s.endMs - s.startMs)
  }
  return [...totals.entries()]
    .map(([group, ms]): [string, number] => [group, ms / 1000])
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

function dominant(types: Map<string, number>): string | null {
  let best: string | null = null
  let bestMs = -1
  for (const [type, ms] of [...types.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (ms > bestMs) {
      best = type
      bestMs = ms
    }
  }
  return best
}
