/**
 * Active time, as every adapter asks for it: totals and calendar buckets over a range, grouped and
 * filtered, computed by the store from the one definition of the timeline (`src/domain/timeline.ts`).
 * Nothing after now counts, and an unbounded side of a range ends where the stored history does.
 */
import type { BucketUnit, Calendar, TimeRange } from '../domain/calendar.ts'
import type { Clock } from '../domain/clock.ts'
import { UnprocessableError } from '../domain/errors.ts'
import type { ActivityEvent, Dimension, EventFilters } from '../domain/events.ts'
import { withDefaults } from '../domain/settings.ts'
import { type BucketCell, CellSums, bucketRowsJson } from '../domain/summary.ts'
import { type Segment, eventTimeline, toWholeSecond } from '../domain/timeline.ts'
import type { ActiveTimeQuery, OpenRange, Store } from '../store/ports.ts'
import type { EventService } from './events.ts'

/** Most buckets one answer may span (a decade of hours is 87,600). */
const MAX_BUCKETS = 100_000

const SHORTEST_BUCKET_MS: Record<BucketUnit, number> = {
  hour: 1_800_000, // a DST change of 30 minutes (Lord Howe) can halve an hour
  day: 23 * 3_600_000,
  week: (7 * 24 - 1) * 3_600_000,
  month: (28 * 24 - 1) * 3_600_000,
  year: (365 * 24 - 1) * 3_600_000,
}

export interface CellQuery {
  /** Either side may be absent: unbounded. */
  range: OpenRange
  /** Calendar buckets of this unit, or null for one bucket spanning the range. */
  unit: BucketUnit | null
  calendar: Calendar
  /** A dimension, or `label`: the active time inside each label's stretch, by label text. */
  groupBy?: Dimension | 'label' | undefined
  filters: EventFilters
  includeAfk: boolean
}

/** The store's question for `q` over its clipped `range` (grouped by a dimension, not labels). */
function storeQuery(range: TimeRange, q: CellQuery): ActiveTimeQuery {
  return {
    range,
    unit: q.unit,
    calendar: q.calendar,
    groupBy: q.groupBy === 'label' ? undefined : q.groupBy,
    filters: q.filters,
    includeAfk: q.includeAfk,
  }
}

export class ActiveTimeService {
  readonly #store: () => Store
  readonly #clock: Clock
  readonly #events: EventService

  constructor(deps: { store: () => Store; clock: Clock; events: EventService }) {
    this.#store = deps.store
    this.#clock = deps.clock
    this.#events = deps.events
  }

  /**
   * The part of `range` that can hold active time: not after now, not outside the stored history;
   * in whole seconds. Undefined when nothing is left.
   */
  async clip(range: OpenRange): Promise<TimeRange | undefined> {
    const span = await this.#store().events.span()
    if (!span) return undefined
    const startMs = toWholeSecond(Math.max(range.startMs ?? -Infinity, span.startMs))
    const endMs = toWholeSecond(Math.min(range.endMs ?? Infinity, span.endMs, this.#clock()))
    return startMs < endMs ? { startMs: Math.floor(startMs), endMs } : undefined
  }

  /** Active seconds per bucket and group (empty cells left out). */
  async cells(q: CellQuery): Promise<BucketCell[]> {
    const range = await this.#checkedRange(q)
    if (!range) return []
    if (q.groupBy === 'label') return this.#byLabel(range, q)
    return this.#store().activeTime.query(storeQuery(range, q))
  }

  /**
   * The same answer as Skopio's bucket rows, JSON in UTF-8 (`bucketRowsJson`; the entity type as
   * `groupMeta` when grouped by entity): written by the store where it is computed, so a large
   * answer reaches the HTTP thread as bytes to send.
   */
  async bucketRowsJson(q: CellQuery): Promise<Uint8Array> {
    const range = await this.#checkedRange(q)
    const withMeta = q.groupBy === 'entity'
    if (!range) return new TextEncoder().encode('[]')
    if (q.groupBy === 'label') {
      return new TextEncoder().encode(bucketRowsJson(await this.#byLabel(range, q), withMeta))
    }
    return this.#store().activeTime.queryJson(storeQuery(range, q), withMeta)
  }

  /** The clipped range of a question (undefined: nothing to count); too many buckets refused. */
  async #checkedRange(q: CellQuery): Promise<TimeRange | undefined> {
    const range = await this.clip(q.range)
    if (!range) return undefined
    if (
      q.unit !== null &&
      (range.endMs - range.startMs) / SHORTEST_BUCKET_MS[q.unit] > MAX_BUCKETS
    ) {
      throw new UnprocessableError(
        'too_many_buckets',
        `that range holds more than ${MAX_BUCKETS} ${q.unit} buckets; choose a larger bucket`,
        'bucket',
      )
    }
    return range
  }

  /** Each label's stretch summed into the buckets; overlapping labels each count their time. */
  async #byLabel(range: TimeRange, q: CellQuery): Promise<BucketCell[]> {
    const store = this.#store()
    const labels = await store.labels.list({ range, limit: 100_000 })
    const found: BucketCell[] = []
    for (const label of labels) {
      const within = {
        startMs: Math.max(toWholeSecond(label.startMs), range.startMs),
        endMs: Math.min(toWholeSecond(label.endMs), range.endMs),
      }
      if (!(within.startMs < within.endMs)) continue
      const cells = await store.activeTime.query({
        range: within,
        unit: q.unit,
        calendar: q.calendar,
        filters: q.filters,
        includeAfk: q.includeAfk,
      })
      for (const c of cells) found.push({ ...c, group: label.text })
    }
    // Bucket labels sort as their periods do (2025-03-03, 2025-W09, 2025-03 ...).
    const sums = new CellSums()
    for (const label of [...new Set(found.map((c) => c.label))].sort()) sums.label(label)
    for (const c of found) sums.add(c.label, c.group, c.seconds * 1000)
    return sums.toCells()
  }

  /**
   * The active timeline of a range: who owned each stretch (the segments the totals are sums of),
   * each event with its effective category, from the events and AFK periods by the one
   * definition (`eventTimeline`). For listings of a day or so (the WakaTime durations); totals
   * come from `cells`, which answer from rollups.
   */
  async segments(range: OpenRange): Promise<Segment<ActivityEvent>[]> {
    const clipped = await this.clip(range)
    if (!clipped) return []
    const store = this.#store()
    const [events, afk, settings] = await Promise.all([
      this.#events.stored(clipped),
      store.afk.list(clipped),
      store.settings.get(),
    ])
    return eventTimeline(events, afk, clipped, withDefaults(settings))
  }

  /** Active seconds in a range. */
  async total(q: Omit<CellQuery, 'unit' | 'groupBy'>): Promise<number> {
    const cells = await this.cells({ ...q, unit: null })
    return cells.reduce((sum, c) => sum + c.seconds, 0)
  }
}
