/**
 * Insights: Skopio's (`activeYears`, `topN`, `mostActiveDay`, `aggregatedAverage`) and the ones a
 * user asks next (`streak`, `hourOfDay`, `dailyAverage`). Pure, over the cells of calendar buckets
 * (year, day, hour or month cells of a range), so their cost follows the active buckets, never the
 * span of the calendar; all local-time questions go through the calendar.
 */
import { Temporal } from 'temporal-polyfill'
import { type Calendar, type TimeRange, dateLabel, dayStartMs, logicalDate } from './calendar.ts'
import { BadRequestError } from './errors.ts'
import { addPeriods, parsePeriod } from './periods.ts'
import { type BucketCell, compareNames } from './summary.ts'

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

/**
 * The local range an `insightRange` names: `YYYY-MM-DD` (a day), `YYYY-MM` (a month), `YYYY-Www`
 * (an ISO week, Monday to Monday) or `YYYY` (a year).
 */
export function parseInsightRange(value: string, cal: Calendar): TimeRange {
  const period = parsePeriod(value)
  if (period === undefined) {
    throw new BadRequestError(
      'invalid_insight_range',
      `insightRange must be YYYY, YYYY-MM, YYYY-Www or YYYY-MM-DD, got ${JSON.stringify(value)}`,
      'insightRange',
    )
  }
  return {
    startMs: dayStartMs(period.first, cal),
    endMs: dayStartMs(addPeriods(period.first, period.unit, 1), cal),
  }
}

/** Local years with any active time, newest first (from year cells). */
export function activeYears(yearCells: readonly BucketCell[]): number[] {
  return [...new Set(yearCells.map((c) => Number(c.label)))].sort((a, b) => b - a)
}

/** The day with the most active time (the earliest of equals), from day cells; empty when none. */
export function mostActiveDay(dayCells: readonly BucketCell[]): {
  date: string
  total_duration: number
} {
  let best = { date: '', total_duration: 0 }
  for (const [date, seconds] of totalsByLabel(dayCells)) {
    if (seconds > best.total_duration) best = { date, total_duration: seconds }
  }
  return best
}

/** Seconds per bucket label, in bucket order. */
function totalsByLabel(cells: readonly BucketCell[]): Map<string, number> {
  const totals = new Map<string, number>()
  for (const c of cells) totals.set(c.label, (totals.get(c.label) ?? 0) + c.seconds)
  return totals
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
 * Average active seconds per weekday (day cells) or per month name (month cells), for each group,
 * over the buckets in which that group was active (as Skopio). Keys in alphabetical order, groups
 * by name, averages to two decimals.
 */
export function aggregatedAverage(
  cells: readonly BucketCell[],
  unit: 'day' | 'month',
): Record<string, [string, number][]> {
  const sums = new Map<string, Map<string, { total: number; buckets: number }>>()
  for (const cell of cells) {
    const date = Temporal.PlainDate.from(unit === 'month' ? `${cell.label}-01` : cell.label)
    const key = (unit === 'day' ? WEEKDAYS[date.dayOfWeek - 1] : MONTHS[date.month - 1]) as string
    let byGroup = sums.get(key)
    if (!byGroup) sums.set(key, (byGroup = new Map<string, { total: number; buckets: number }>()))
    const acc = byGroup.get(cell.group) ?? { total: 0, buckets: 0 }
    byGroup.set(cell.group, { total: acc.total + cell.seconds, buckets: acc.buckets + 1 })
  }
  const out: Record<string, [string, number][]> = {}
  for (const key of [...sums.keys()].sort()) {
    const byGroup = sums.get(key) as Map<string, { total: number; buckets: number }>
    out[key] = [...byGroup.keys()].sort(compareNames).map((g) => {
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
 * The longest run of consecutive active days (from day cells), and the current one: the run that
 * ends today, or yesterday when today has no activity yet (the streak lives until today ends).
 */
export function streak(
  dayCells: readonly BucketCell[],
  cal: Calendar,
  nowMs: number,
): { longest: DayRun; current: DayRun } {
  const days = [...totalsByLabel(dayCells).keys()].sort()
  const none: DayRun = { days: 0, start: null, end: null }
  let longest = none
  let run = none
  const runs = new Map<string, DayRun>() // the run ending on a given day
  let previous: Temporal.PlainDate | undefined
  for (const label of days) {
    const day = Temporal.PlainDate.from(label)
    const follows = previous !== undefined && previous.add({ days: 1 }).equals(day)
    run = follows
      ? { days: run.days + 1, start: run.start, end: label }
      : { days: 1, start: label, end: label }
    runs.set(label, run)
    if (run.days > longest.days) longest = run
    previous = day
  }
  const today = dateLabel(nowMs, cal)
  const yesterday = Temporal.PlainDate.from(today).subtract({ days: 1 }).toString()
  return { longest, current: runs.get(today) ?? runs.get(yesterday) ?? none }
}

/** How many days of `range` have begun before `nowMs` (future days hold no activity yet). */
export function elapsedDays(range: TimeRange, cal: Calendar, nowMs: number): number {
  if (!(range.startMs < nowMs) || !(range.startMs < range.endMs)) return 0
  const first = logicalDate(range.startMs, cal)
  const last = logicalDate(Math.min(nowMs - 1, range.endMs - 1), cal)
  return first.until(last, { largestUnit: 'days' }).days + 1
}

/** Average active seconds in each local clock hour (0–23), from hour cells, over `days` days. */
export function hourOfDay(
  hourCells: readonly BucketCell[],
  days: number,
): { hour: number; averageSeconds: number }[] {
  const sums = Array.from({ length: 24 }, () => 0)
  for (const cell of hourCells) {
    // Labels are `YYYY-MM-DD HH:00:00`: the local clock hour.
    const hour = Number(cell.label.slice(11, 13))
    sums[hour] = (sums[hour] ?? 0) + cell.seconds
  }
  const n = Math.max(1, days)
  return sums.map((s, hour) => ({ hour, averageSeconds: Math.round((s / n) * 100) / 100 }))
}

/** Total, elapsed days, active days and the two averages, from day cells over `days` days. */
export function dailyAverage(
  dayCells: readonly BucketCell[],
  days: number,
): {
  totalSeconds: number
  days: number
  activeDays: number
  averageSeconds: number
  activeDayAverageSeconds: number
} {
  const totals = totalsByLabel(dayCells)
  const totalSeconds = [...totals.values()].reduce((sum, s) => sum + s, 0)
  const activeDays = [...totals.values()].filter((s) => s > 0).length
  const round = (n: number) => Math.round(n * 100) / 100
  return {
    totalSeconds,
    days,
    activeDays,
    averageSeconds: days === 0 ? 0 : round(totalSeconds / days),
    activeDayAverageSeconds: activeDays === 0 ? 0 : round(totalSeconds / activeDays),
  }
}
