/**
 * Calendar periods as people name them: a day (`2025-03-03`), an ISO week (`2025-W09`, Monday
 * first), a month (`2025-03`) or a year (`2025`); where each begins, and how to step between them.
 * Pure date math on local dates; `calendar.ts` turns dates into instants.
 */
import { Temporal } from 'temporal-polyfill'

/** A calendar period: every bucket unit but the hour. */
export type PeriodUnit = 'day' | 'week' | 'month' | 'year'

/** A named period: its unit and its first local date. */
export interface Period {
  unit: PeriodUnit
  first: Temporal.PlainDate
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/
const WEEK_RE = /^(\d{4})-W(\d{2})$/
const MONTH_RE = /^(\d{4})-(\d{2})$/
const YEAR_RE = /^(\d{4})$/

/** The first date of the period of `unit` (day, week, month, year) containing `date`. */
export function periodFirstDate(date: Temporal.PlainDate, unit: PeriodUnit): Temporal.PlainDate {
  switch (unit) {
    case 'day':
      return date
    case 'week':
      return date.subtract({ days: date.dayOfWeek - 1 })
    case 'month':
      return date.with({ day: 1 })
    case 'year':
      return date.with({ month: 1, day: 1 })
  }
}

/** `date` moved by `count` periods of `unit` (negative moves back). */
export function addPeriods(
  date: Temporal.PlainDate,
  unit: PeriodUnit,
  count: number,
): Temporal.PlainDate {
  const key = `${unit}s` as const
  return date.add({ [key]: count })
}

/** A date written `YYYY-MM-DD` that exists (no 31 April); undefined otherwise. */
export function parseLocalDate(value: string): Temporal.PlainDate | undefined {
  if (!DATE_RE.test(value)) return undefined
  try {
    return Temporal.PlainDate.from(value, { overflow: 'reject' })
  } catch {
    return undefined
  }
}

/**
 * The period a name gives: `YYYY-MM-DD`, `YYYY-Www` (ISO week: week 1 holds 4 January),
 * `YYYY-MM` or `YYYY`; undefined when it names none.
 */
export function parsePeriod(value: string): Period | undefined {
  const day = parseLocalDate(value)
  if (day !== undefined) return { unit: 'day', first: day }
  let m = WEEK_RE.exec(value)
  if (m !== null) {
    const year = Number(m[1])
    const week = Number(m[2])
    const jan4 = Temporal.PlainDate.from({ year, month: 1, day: 4 })
    const monday = jan4.subtract({ days: jan4.dayOfWeek - 1 }).add({ weeks: week - 1 })
    return week >= 1 && monday.yearOfWeek === year ? { unit: 'week', first: monday } : undefined
  }
  m = MONTH_RE.exec(value)
  if (m !== null) {
    const month = Number(m[2])
    if (month < 1 || month > 12) return undefined
    return { unit: 'month', first: Temporal.PlainDate.from({ year: Number(m[1]), month, day: 1 }) }
  }
  m = YEAR_RE.exec(value)
  if (m !== null)
    return {
      unit: 'year',
      first: Temporal.PlainDate.from({ year: Number(m[1]), month: 1, day: 1 }),
    }
  return undefined
}

/** The name of the period of `unit` containing `date`, as `parsePeriod` reads it. */
export function formatPeriod(date: Temporal.PlainDate, unit: PeriodUnit): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  switch (unit) {
    case 'day':
      return date.toString()
    case 'week':
      return `${date.yearOfWeek ?? date.year}-W${pad(date.weekOfYear ?? 1)}`
    case 'month':
      return `${String(date.year).padStart(4, '0')}-${pad(date.month)}`
    case 'year':
      return String(date.year).padStart(4, '0')
  }
}
