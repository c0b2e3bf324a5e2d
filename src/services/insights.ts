/**
 * Insights over a named range (`insightRange`) or all recorded time, each from the cells of the
 * calendar buckets it needs. All recorded time is bounded by the stored history, and buckets are
 * only computed where there is activity, so an insight costs what the active days cost.
 */
import { type Calendar, type TimeRange, bucketFloor, bucketNext } from '../domain/calendar.ts'
import type { Clock } from '../domain/clock.ts'
import type { Dimension, EventFilters } from '../domain/events.ts'
import {
  type InsightType,
  activeYears,
  aggregatedAverage,
  dailyAverage,
  elapsedDays,
  hourOfDay,
  mostActiveDay,
  streak,
} from '../domain/insights.ts'
import { type BucketCell, totalsByGroup } from '../domain/summary.ts'
import type { Store } from '../store/ports.ts'
import type { ActiveTimeService } from './active-time.ts'

export interface InsightRequest {
  type: InsightType
  /** The named range; all recorded time when absent. */
  range: TimeRange | undefined
  calendar: Calendar
  groupBy?: Dimension | undefined
  limit?: number | undefined
  /** For aggregatedAverage: day (per weekday) or month (per month name). */
  averageUnit?: 'day' | 'month'
  filters: EventFilters
  includeAfk: boolean
}

export class InsightService {
  readonly #activeTime: ActiveTimeService
  readonly #store: () => Store
  readonly #clock: Clock

  constructor(deps: { activeTime: ActiveTimeService; store: () => Store; clock: Clock }) {
    this.#activeTime = deps.activeTime
    this.#store = deps.store
    this.#clock = deps.clock
  }

  /** All recorded time: from the first active day to the end of today (or of the last event). */
  async #allTime(cal: Calendar, nowMs: number): Promise<TimeRange | undefined> {
    const span = await this.#store().events.span()
    if (!span) return undefined
    return {
      startMs: bucketFloor(span.startMs, 'day', cal),
      endMs: bucketNext(Math.max(nowMs, span.endMs - 1), 'day', cal),
    }
  }

  async insight(r: InsightRequest): Promise<Record<string, unknown>> {
    const now = this.#clock()
    const range = r.range ?? (await this.#allTime(r.calendar, now))
    // Without any activity there is no range: every insight over it is empty.
    const span = range ?? { startMs: now, endMs: now }
    const cells = (unit: 'hour' | 'day' | 'month' | 'year' | null, groupBy?: Dimension) =>
      this.#activeTime.cells({
        range: span,
        unit,
        calendar: r.calendar,
        groupBy,
        filters: r.filters,
        includeAfk: r.includeAfk,
      })
    switch (r.type) {
      case 'activeYears':
        return { activeYears: activeYears(await cells('year')) }
      case 'topN':
        return { topN: totalsByGroup(await cells(null, r.groupBy)).slice(0, r.limit) }
      case 'mostActiveDay':
        return { mostActiveDay: mostActiveDay(await cells('day')) }
      case 'aggregatedAverage': {
        const unit = r.averageUnit ?? 'day'
        return { aggregatedAverage: aggregatedAverage(await cells(unit, r.groupBy), unit) }
      }
      case 'streak':
        return { streak: streak(await cells('day'), r.calendar, now) }
      case 'hourOfDay': {
        // A year at a time: all recorded time may hold more hour buckets than one query allows,
        // and years without activity cost one empty lookup each.
        const hours: BucketCell[] = []
        for (let y = bucketFloor(span.startMs, 'year', r.calendar); y < span.endMs;) {
          const next = bucketNext(y, 'year', r.calendar)
          hours.push(
            ...(await this.#activeTime.cells({
              range: { startMs: Math.max(y, span.startMs), endMs: Math.min(next, span.endMs) },
              unit: 'hour',
              calendar: r.calendar,
              filters: r.filters,
              includeAfk: r.includeAfk,
            })),
          )
          y = next
        }
        return { hourOfDay: hourOfDay(hours, elapsedDays(span, r.calendar, now)) }
      }
      case 'dailyAverage':
        return {
          dailyAverage: dailyAverage(await cells('day'), elapsedDays(span, r.calendar, now)),
        }
    }
  }
}
