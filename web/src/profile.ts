/**
 * What the dashboard derives from bucket rows by itself: seconds per logical day, the weekday
 * profile, the levels of the year's calendar, and the rows of Compare.
 */
import { Temporal } from 'temporal-polyfill'
import type { Bucket } from '../../src/client/api.ts'

/** Seconds per logical date (`YYYY-MM-DD`), summed over the groups, from day buckets. */
export function dayTotals(rows: readonly Bucket[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const r of rows) {
    const date = r.bucket.slice(0, 10)
    let s = out.get(date) ?? 0
    for (const v of Object.values(r.groupedValues)) s += v
    out.set(date, s)
  }
  return out
}

export interface WeekdayAverage {
  /** ISO weekday: 1 is Monday, 7 Sunday. */
  weekday: number
  /** How many of this weekday the range holds up to `today` (days yet to come count nothing). */
  days: number
  averageSeconds: number
}

/**
 * Average active seconds on each weekday, Monday first, over the days from `first` to `last`
 * (inclusive) that have begun by `today`: a day with nothing recorded counts as zero, as the
 * hour-of-day profile counts an hour.
 */
export function weekdayProfile(
  totals: ReadonlyMap<string, number>,
  first: string,
  last: string,
  today: string,
): WeekdayAverage[] {
  const sums = Array.from({ length: 7 }, () => 0)
  const counts = Array.from({ length: 7 }, () => 0)
  const end = last < today ? last : today
  for (let d = Temporal.PlainDate.from(first); d.toString() <= end; d = d.add({ days: 1 })) {
    const i = d.dayOfWeek - 1
    counts[i] = (counts[i] ?? 0) + 1
    sums[i] = (sums[i] ?? 0) + (totals.get(d.toString()) ?? 0)
  }
  return sums.map((s, i) => {
    const days = counts[i] ?? 0
    return { weekday: i + 1, days, averageSeconds: days === 0 ? 0 : s / days }
  })
}

/**
 * The calendar's shade of each day, 0 (nothing) to 4: the quartiles of the active days' totals,
 * so one long day does not wash out the rest of the year.
 */
export function dayLevels(totals: ReadonlyMap<string, number>): Map<string, number> {
  const active = [...totals.values()].filter((s) => s > 0).sort((a, b) => a - b)
  const at = (q: number) => active[Math.min(active.length - 1, Math.floor(q * active.length))] ?? 0
  const cuts = [at(0.25), at(0.5), at(0.75)]
  const out = new Map<string, number>()
  for (const [date, s] of totals) {
    out.set(date, s <= 0 ? 0 : 1 + cuts.filter((c) => s > c).length)
  }
  return out
}

export interface CompareRow {
  group: string
  a: number
  b: number
}

/** Both sides' seconds per group, the larger side's largest first. */
export function compareRows(a: Map<string, number>, b: Map<string, number>): CompareRow[] {
  return [...new Set([...a.keys(), ...b.keys()])]
    .map((group) => ({ group, a: a.get(group) ?? 0, b: b.get(group) ?? 0 }))
    .sort((p, q) => Math.max(q.a, q.b) - Math.max(p.a, p.b) || p.group.localeCompare(q.group))
}
