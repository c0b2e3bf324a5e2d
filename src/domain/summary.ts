/**
 * Sums of active time per calendar bucket and group. Pure; callers bring the timeline.
 *
 * Filters and grouping apply to the timeline, never to the events before it is built: the time a
 * filter selects is time its events really owned, not time another event won.
 */
import type { CalendarBucket } from './calendar.ts'
import type { Segment, TimelineEvent } from './timeline.ts'

/** The key `groupedValues` uses when a result is not grouped. */
export const TOTAL_GROUP = 'Total'

/** Seconds of one group in one bucket. */
export interface BucketCell {
  label: string
  group: string
  seconds: number
  /** When grouping by entity: the entity type that holds most of this cell's time. */
  meta: string | null
}

/** How to read groups from events: the group an event counts for (null: left out), its meta. */
export interface Grouping<E> {
  group: (event: E) => string | null
  meta?: ((event: E) => string | null) | undefined
}

/** Everything counts for `Total`. */
export const UNGROUPED: Grouping<unknown> = { group: () => TOTAL_GROUP }

/**
 * Adds time to (label, group) cells; `toCells` lists them in label order of first appearance
 * (bucket order), then group name order, leaving out empty cells. Buckets that share a label
 * (the repeated hour of a DST fall-back) are one cell.
 */
export class CellSums {
  readonly #cells = new Map<string, Map<string, { ms: number; metas: Map<string, number> }>>()

  /** Declares a bucket label so cells come out in bucket order. */
  label(label: string): void {
    if (!this.#cells.has(label)) this.#cells.set(label, new Map())
  }

  add(label: string, group: string, ms: number, meta: string | null = null): void {
    if (ms <= 0) return
    let byGroup = this.#cells.get(label)
    if (!byGroup) {
      byGroup = new Map<string, { ms: number; metas: Map<string, number> }>()
      this.#cells.set(label, byGroup)
    }
    let cell = byGroup.get(group)
    if (!cell) byGroup.set(group, (cell = { ms: 0, metas: new Map() }))
    cell.ms += ms
    if (meta !== null) cell.metas.set(meta, (cell.metas.get(meta) ?? 0) + ms)
  }

  toCells(): BucketCell[] {
    const out: BucketCell[] = []
    for (const [label, byGroup] of this.#cells) {
      for (const group of [...byGroup.keys()].sort(compareNames)) {
        const cell = byGroup.get(group) as { ms: number; metas: Map<string, number> }
        if (cell.ms <= 0) continue
        out.push({ label, group, seconds: cell.ms / 1000, meta: dominant(cell.metas) })
      }
    }
    return out
  }
}

/**
 * Sums segments into calendar buckets (sorted, non-overlapping) and groups. A segment counts only
 * for its part inside each bucket.
 */
export function bucketize<E extends TimelineEvent>(
  segments: readonly Segment<E>[],
  buckets: readonly CalendarBucket[],
  grouping: Grouping<E>,
  sums: CellSums = new CellSums(),
): CellSums {
  for (const b of buckets) sums.label(b.label)
  let first = 0
  for (const seg of segments) {
    const group = grouping.group(seg.event)
    if (group === null) continue
    const meta = grouping.meta?.(seg.event) ?? null
    while (first < buckets.length && (buckets[first] as CalendarBucket).endMs <= seg.startMs)
      first++
    for (let i = first; i < buckets.length; i++) {
      const b = buckets[i] as CalendarBucket
      if (b.startMs >= seg.endMs) break
      sums.add(
        b.label,
        group,
        Math.min(b.endMs, seg.endMs) - Math.max(b.startMs, seg.startMs),
        meta,
      )
    }
  }
  return sums
}

/**
 * `cells` as the JSON of Skopio's bucket rows (`GET /summary/buckets`):
 * `[{"bucket":label,"groupedValues":{group:seconds},"groupMeta":meta}]`, seconds truncated to an
 * integer as the wire's schema does, `groupMeta` the entity type when `withMeta`, else null. Written where the cells are computed, so a large answer
 * crosses to the HTTP thread as bytes, not as objects to copy and serialise there.
 */
export function bucketRowsJson(cells: readonly BucketCell[], withMeta: boolean): string {
  const parts: string[] = []
  for (const c of cells) {
    parts.push(
      `{"bucket":${JSON.stringify(c.label)},"groupedValues":{${JSON.stringify(c.group)}:${Math.trunc(c.seconds)}},"groupMeta":${withMeta && c.meta !== null ? JSON.stringify(c.meta) : 'null'}}`,
    )
  }
  return `[${parts.join(',')}]`
}

/** Seconds per group over the whole of `cells`, largest first (ties by name). */
export function totalsByGroup(cells: readonly BucketCell[]): [string, number][] {
  const totals = new Map<string, number>()
  for (const c of cells) totals.set(c.group, (totals.get(c.group) ?? 0) + c.seconds)
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || compareNames(a[0], b[0]))
}

/** Code-unit order, the same in every runtime and database. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function dominant(metas: Map<string, number>): string | null {
  let best: string | null = null
  let bestMs = -1
  for (const [meta, ms] of [...metas.entries()].sort(([a], [b]) => compareNames(a, b))) {
    if (ms > bestMs) {
      best = meta
      bestMs = ms
    }
  }
  return best
}
