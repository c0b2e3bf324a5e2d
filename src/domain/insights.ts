/**
 * Insights over an active timeline: the seed's (`activeYears`, `topN`, `mostActiveDay`,
 * `aggregatedAverage`) and the ones a user asks next (`streak`, `hourOfDay`, `dailyAverage`).
 * Pure; all local-time questions go through the calendar.
 */
import { Temporal } from 'temporal-polyfill'
import {
  type Calendar,
  type TimeRange,
  addPeriods,
  dateLabel,
  dayStartMs,
  localHour,
  splitRange,
} from './calendar.ts'
import { BadRequestError } from './errors.ts'
import type { Dimension } from './events.ts'
import { bucketize } from './summary.ts'
import type { Segment } from './timeline.ts'

export const INSIGHT_TYPES = [
  'activeYears',
  'topN',
  'mostActiveDay',
  'aggregatedAverage',
  'streak',
  'hourOfDay',
  'dailyAverage',
] as const
export type InsightType = (typeof INSIGHT_TYPES)[number]

const ISO_WEEK_RE = /^(\d{4})-W(\d{2})$/
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/
const MONTH_RE = /^(\d{4})-(\d{2})$/
const YEAR_RE = /^(\d{4})$/

/**
 * The local range an `insightRange` names: `YYYY-MM-DD` (a day), `YYYY-MM` (a month), `YYYY-Www`
 * (an ISO week, Monday to Monday) or `YYYY` (a year).
 */
export function parseInsightRange(value: string, cal: Calendar): TimeRange {
  const invalid = () =>
    new BadRequestError(
      'invalid_insight_range',
      `insightRange must be YYYY, YYYY-MM, YYYY-Www or YYYY-MM-DD, got ${JSON.stringify(value)}`,
      'insightRange',
    )
  try {
    let m = DAY_RE.exec(value)
    if (m) {
      const day = Temporal.PlainDate.from(value, { overflow: 'reject' })
      return span(day, day.add({ days: 1 }), cal)
    }
    m = MONTH_RE.exec(value)
    if (m) {
      const first = Temporal.PlainDate.from(
        { year: Number(m[1]), month: Number(m[2]), day: 1 },
        { overflow: 'reject' },
      )
      return span(first, addPeriods(first, 'month', 1), cal)
    }
    m = ISO_WEEK_RE.exec(value)
    if (m) {
      const year = Number(m[1])
      const week = Number(m[2])
      // ISO week 1 is the week holding January 4th.
      const jan4 = Temporal.PlainDate.from({ year, month: 1, day: 4 })
      const monday = jan4.subtract({ days: jan4.dayOfWeek - 1 }).add({ weeks: week - 1 })
      if (week < 1 || monday.yearOfWeek !== year) throw invalid()
      return span(monday, monday.add({ weeks: 1 }), cal)
    }
    m = YEAR_RE.exec(value)
    if (m) {
      const first = Temporal.PlainDate.from({ year: Number(m[1]), month: 1, day: 1 })
      return span(first, addPeriods(first, 'year', 1), cal)
    }
  } catch {
    throw invalid()
  }
  throw invalid()
}

function span(from: Temporal.PlainDate, to: Temporal.PlainDate, cal: Calendar): TimeRange {
  return { startMs: dayStartMs(from, cal), endMs: dayStartMs(to, cal) }
}

/** Local years with any active time, newest first. */
export function activeYears(segments: readonly Segment[], cal: Calendar): number[] {
  if (segments.length === 0) return []
  const range = {
    startMs: (segments[0] as Segment).startMs,
    endMs: (segments[segments.length - 1] as Segment).endMs,
  }
  return bucketize(segments, splitRange(range, 'year', cal), undefined)
    .map((c) => Number(c.label))
    .sort((a, b) => b - a)
}

/** The day with the most active time (the earliest of equals); empty when there is none. */
export function mostActiveDay(
  segments: readonly Segment[],
  range: TimeRange,
  cal: Calendar,
): { date: string; total_duration: number } {
  let best = { date: '', total_duration: 0 }
  for (const cell of bucketize(segments, splitRange(range, 'day', cal), undefined)) {
    if (cell.seconds > best.total_duration)
      best = { date: cell.label, total_duration: cell.seconds }
  }
  return best
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const
const MONTHS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
] as const

/**
 * Average active seconds per weekday (`unit` day) or per month name (`unit` month), for each
 * group, over the buckets in which that group was active (as the seed). Keys in alphabetical
 * order, groups by name, averages to two decimals.
 */
export function aggregatedAverage(
  segments: readonly Segment[],
  range: TimeRange,
  cal: Calendar,
  unit: 'day' | 'month',
  groupBy: Dimension | undefined,
): Record<string, [string, number][]> {
  const sums = new Map<string, Map<string, { total: number; buckets: number }>>()
  const buckets = splitRange(range, unit, cal)
  const keyOf = new Map(
    buckets.map((b) => {
      const date = Temporal.PlainDate.from(b.label.length === 7 ? `${b.label}-01` : b.label)
      return [
        b.label,
        unit === 'day' ? WEEKDAYS[date.dayOfWeek - 1] : MONTHS[date.month - 1],
      ] as const
    }),
  )
  for (const cell of bucketize(segments, buckets, groupBy)) {
    const key = keyOf.get(cell.label) as string
    let byGroup = sums.get(key)
    if (!byGroup) sums.set(key, (byGroup = new Map<string, { total: number; buckets: number }>()))
    const acc = byGroup.get(cell.group) ?? { total: 0, buckets: 0 }
    byGroup.set(cell.group, { total: acc.total + cell.seconds, buckets: acc.buckets + 1 })
  }
  const out: Record<string, [string, number][]> = {}
  for (const key of [...sums.keys()].sort()) {
    const byGroup = sums.get(key) as Map<string, { total: number; buckets: number }>
    out[key] = [...byGroup.keys()].sort().map((g) => {
      const { total, buckets: n } = byGroup.get(g) as { total: number; buckets: number }
      return [g, Math.round((total / n) * 100) / 100]
    })
  }
  return out
}

/** A run of consecutive active days. */
export interface DayRun {
  days: number
  start: string | null
  end: string | null
}

/**
 * The longest run of consecutive active days in `range`, and the current one: the run that ends
 * today, or yesterday when today has no activity yet (the streak is still alive until today ends).
 */
export function streak(
  segments: readonly Segment[],
  range: TimeRange,
  cal: Calendar,
  nowMs: number,
): { longest: DayRun; current: DayRun } {
  const active = new Set(
    bucketize(segments, splitRange(range, 'day', cal), undefined).map((c) => c.label),
  )
  const none: DayRun = { days: 0, start: null, end: null }
  let longest = none
  let run = none
  const runs = new Map<string, DayRun>() // run ending on a given day
  for (const b of splitRange(range, 'day', cal)) {
    if (active.has(b.label)) {
      run = { days: run.days + 1, start: run.start ?? b.label, end: b.label }
      runs.set(b.label, run)
      if (run.days > longest.days) longest = run
    } else {
      run = none
    }
  }
  const today = dateLabel(nowMs, cal)
  const yesterday = Temporal.PlainDate.from(today).subtract({ days: 1 }).toString()
  return { longest, current: runs.get(today) ?? runs.get(yesterday) ?? none }
}

/** The days of `range` that have begun by `nowMs` (future days hold no activity yet). */
function elapsedDays(range: TimeRange, cal: Calendar, nowMs: number): number {
  return splitRange(range, 'day', cal).filter((b) => b.startMs < nowMs).length
}

/** Average active seconds in each local clock hour (0–23) across the elapsed days of `range`. */
export function hourOfDay(
  segments: readonly Segment[],
  range: TimeRange,
  cal: Calendar,
  nowMs: number,
): { hour: number; averageSeconds: number }[] {
  const sums = Array.from({ length: 24 }, () => 0)
  const hours = splitRange(range, 'hour', cal)
  // Labels repeat only for the repeated hour of a DST fall-back, which has the same clock hour.
  const hourOf = new Map(hours.map((h) => [h.label, localHour(h.startMs, cal)]))
  for (const cell of bucketize(segments, hours, undefined)) {
    const hour = hourOf.get(cell.label) ?? 0
    sums[hour] = (sums[hour] ?? 0) + cell.seconds
  }
  const days = Math.max(1, elapsedDays(range, cal, nowMs))
  return sums.map((s, hour) => ({ hour, averageSeconds: Math.round((s / days) * 100) / 100 }))
}

/** Total, elapsed days, active days and the two averages of `range`. */
export function dailyAverage(
  segments: readonly Segment[],
  range: TimeRange,
  cal: Calendar,
  nowMs: number,
): {
  totalSeconds: number
  days: number
  activeDays: number
  averageSeconds: number
  activeDayAverageSeconds: number
} {
  const cells = bucketize(segments, splitRange(range, 'day', cal), undefined)
  const totalSeconds = cells.reduce((sum, c) => sum + c.seconds, 0)
  const days = elapsedDays(range, cal, nowMs)
  const round = (n: number) => Math.round(n * 100) / 100
  return {
    totalSeconds,
    days,
    activeDays: cells.length,
    averageSeconds: days === 0 ? 0 : round(totalSeconds / days),
    activeDayAverageSeconds: cells.length === 0 ? 0 : round(totalSeconds / cells.length),
  }
}
