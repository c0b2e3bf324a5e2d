/**
 * WakaTime's named ranges (`today`, `last_7_days`, `Last 7 Days`, `all_time`, …) and dates, on the
 * local calendar, and the text WakaTime shows for durations (`3 hrs 12 mins`).
 */
import { Temporal } from 'temporal-polyfill'
import { type Calendar, type TimeRange, dayStartMs, logicalDate } from '../calendar.ts'
import { BadRequestError } from '../errors.ts'
import { parseLocalDate, periodFirstDate } from '../periods.ts'
import { DAY_MS } from '../time.ts'

/** Every range name Wakapi and WakaTime accept, by canonical name, with its aliases. */
const RANGES = {
  today: ['today'],
  yesterday: ['yesterday', 'day'],
  last_24_hours: ['last_24_hours', '24_hours', 'last_day'],
  week: ['week', 'this_week'],
  last_week: ['last_week'],
  month: ['month', 'this_month'],
  last_month: ['last_month'],
  year: ['year', 'this_year'],
  last_7_days: ['last_7_days', '7_days'],
  last_7_days_from_yesterday: ['last_7_days_from_yesterday'],
  last_14_days: ['last_14_days', '14_days'],
  last_30_days: ['last_30_days', '30_days'],
  last_6_months: ['last_6_months', '6_months'],
  last_12_months: ['last_12_months', '12_months', 'last_year'],
  all_time: ['all_time', 'any'],
} as const

export type RangeName = keyof typeof RANGES

/** How WakaTime words each range. */
const RANGE_TEXT: Record<RangeName, string> = {
  today: 'Today',
  yesterday: 'Yesterday',
  last_24_hours: 'Last 24 Hours',
  week: 'This Week',
  last_week: 'Last Week',
  month: 'This Month',
  last_month: 'Last Month',
  year: 'This Year',
  last_7_days: 'Last 7 Days',
  last_7_days_from_yesterday: 'Last 7 Days from Yesterday',
  last_14_days: 'Last 14 Days',
  last_30_days: 'Last 30 Days',
  last_6_months: 'Last 6 Months',
  last_12_months: 'Last 12 Months',
  all_time: 'All Time',
}

/** How WakaTime words a range (`Last 7 Days`). */
export function rangeText(name: RangeName): string {
  return RANGE_TEXT[name]
}

/** Every accepted spelling (for messages and the API document). */
export const RANGE_NAMES: readonly string[] = Object.values(RANGES).flat()

/**
 * The canonical name of a range as any client spells it: `last_7_days`, `7_days`, `Last 7 Days`
 * (WakaTime's summaries), `this week`. Undefined when it names no range.
 */
export function rangeName(value: string): RangeName | undefined {
  const key = value
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_')
  for (const [name, aliases] of Object.entries(RANGES)) {
    if ((aliases as readonly string[]).includes(key)) return name as RangeName
  }
  return undefined
}

/** A resolved range: its instants (end exclusive), and its first and last local dates. */
export interface ResolvedRange extends TimeRange {
  name: RangeName | null
  text: string
}

/**
 * The instants a range covers on `cal`. Day-based ranges are whole local days, ending with today
 * (`last_7_days`: today and the 6 days before); `last_24_hours` ends now; `all_time` starts at
 * `firstMs` (the earliest stored activity), or today when nothing is stored.
 */
export function resolveRange(
  name: RangeName,
  nowMs: number,
  cal: Calendar,
  firstMs?: number,
): ResolvedRange {
  const today = logicalDate(nowMs, cal)
  const day = (d: Temporal.PlainDate) => dayStartMs(d, cal)
  const tomorrow = day(today.add({ days: 1 }))
  const out = (startMs: number, endMs: number): ResolvedRange => ({
    startMs,
    endMs,
    name,
    text: RANGE_TEXT[name],
  })
  const weekStart = periodFirstDate(today, 'week')
  const monthStart = periodFirstDate(today, 'month')
  switch (name) {
    case 'today':
      return out(day(today), tomorrow)
    case 'yesterday':
      return out(day(today.subtract({ days: 1 })), day(today))
    case 'last_24_hours':
      return out(nowMs - DAY_MS, nowMs)
    case 'week':
      return out(day(weekStart), tomorrow)
    case 'last_week':
      return out(day(weekStart.subtract({ weeks: 1 })), day(weekStart))
    case 'month':
      return out(day(monthStart), tomorrow)
    case 'last_month':
      return out(day(monthStart.subtract({ months: 1 })), day(monthStart))
    case 'year':
      return out(day(periodFirstDate(today, 'year')), tomorrow)
    case 'last_7_days':
      return out(day(today.subtract({ days: 6 })), tomorrow)
    case 'last_7_days_from_yesterday':
      return out(day(today.subtract({ days: 7 })), day(today))
    case 'last_14_days':
      return out(day(today.subtract({ days: 13 })), tomorrow)
    case 'last_30_days':
      return out(day(today.subtract({ days: 29 })), tomorrow)
    case 'last_6_months':
      return out(day(today.subtract({ months: 6 }).add({ days: 1 })), tomorrow)
    case 'last_12_months':
      return out(day(today.subtract({ years: 1 }).add({ days: 1 })), tomorrow)
    case 'all_time': {
      const first = firstMs === undefined ? today : logicalDate(firstMs, cal)
      return out(day(Temporal.PlainDate.compare(first, today) < 0 ? first : today), tomorrow)
    }
  }
}

/**
 * A local date as WakaTime's `start`/`end` parameters give it: `YYYY-MM-DD`, `today`, `yesterday`,
 * or an RFC 3339 timestamp (its local date). `field` names the parameter in errors.
 */
export function parseDate(
  value: string,
  nowMs: number,
  cal: Calendar,
  field: string,
): Temporal.PlainDate {
  const v = value.trim().toLowerCase()
  const today = logicalDate(nowMs, cal)
  if (v === 'today') return today
  if (v === 'yesterday') return today.subtract({ days: 1 })
  const date = parseLocalDate(v)
  if (date !== undefined) return date
  try {
    return logicalDate(Temporal.Instant.from(value.trim()).epochMilliseconds, cal)
  } catch {
    // falls through to the error below
  }
  throw new BadRequestError(
    'invalid_date',
    `${field} must be a date (YYYY-MM-DD), today or yesterday; got ${JSON.stringify(value)}`,
    field,
  )
}

/** `3 hrs 12 mins`, `1 hr 1 min`, `12 mins`, `45 secs`: WakaTime's text for a duration. */
export function durationText(seconds: number): string {
  const total = Math.floor(seconds)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`
  if (h > 0) return `${plural(h, 'hr')} ${plural(m, 'min')}`
  if (m > 0) return plural(m, 'min')
  return plural(total, 'sec')
}

/** `3:12`: hours and minutes as a clock shows them. */
export function durationDigital(seconds: number): string {
  const total = Math.floor(seconds)
  return `${Math.floor(total / 3600)}:${String(Math.floor((total % 3600) / 60)).padStart(2, '0')}`
}

/** `3.20`: hours with two decimals. */
export function durationDecimal(seconds: number): string {
  return (Math.floor(seconds / 36) / 100).toFixed(2)
}
