/**
 * The period the dashboard shows, resolved on the daemon's own calendar code (the zone and start
 * of day of the settings), so the page's "this week" is the API's "this week".
 */
import { Temporal } from 'temporal-polyfill'
import {
  type BucketUnit,
  type Calendar,
  dayStartMs,
  formatTimestamp,
  logicalDate,
} from '../../src/domain/calendar.ts'
import {
  addPeriods,
  formatPeriod,
  parseLocalDate,
  periodFirstDate,
} from '../../src/domain/periods.ts'
import type { PresetParam } from '../../src/client/api.ts'
import { formatDate } from './format.ts'

export type Unit = 'day' | 'week' | 'month' | 'year'

/** A period of one unit starting at `date`, or custom dates (both inclusive). */
export type Selection =
  { unit: Unit; date: string } | { unit: 'custom'; start: string; end: string }

export const PRESETS = [
  ['today', 'Today'],
  ['yesterday', 'Yesterday'],
  ['thisWeek', 'This week'],
  ['lastWeek', 'Last week'],
  ['thisMonth', 'This month'],
  ['lastMonth', 'Last month'],
  ['thisYear', 'This year'],
] as const
export type PresetName = (typeof PRESETS)[number][0]

export interface Resolved {
  startMs: number
  endMs: number
  /** Bars per hour for a day, per day for longer ranges. */
  bucket: BucketUnit
  /** The previous period of the same length, cut at the same point when this one is under way. */
  prevStartMs: number
  prevEndMs: number
  /** True when the previous period is cut to the time elapsed in this one. */
  prevCut: boolean
  /** The insights' named range (`2025`, `2025-03`, `2025-W09`, `2025-03-03`), if any. */
  insightRange: string | undefined
  /** e.g. `Week 48, 24–30 Nov 2025`. */
  title: string
}

const pd = (s: string) => Temporal.PlainDate.from(s)

export function presetSelection(name: PresetName, nowMs: number, cal: Calendar): Selection {
  const today = logicalDate(nowMs, cal)
  const of = (unit: Unit, back: number): Selection => ({
    unit,
    date: addPeriods(periodFirstDate(today, unit), unit, -back).toString(),
  })
  switch (name) {
    case 'today':
      return of('day', 0)
    case 'yesterday':
      return of('day', 1)
    case 'thisWeek':
      return of('week', 0)
    case 'lastWeek':
      return of('week', 1)
    case 'thisMonth':
      return of('month', 0)
    case 'lastMonth':
      return of('month', 1)
    case 'thisYear':
      return of('year', 0)
  }
}

/** The preset a selection equals today, if any (the picker marks it pressed). */
export function matchingPreset(
  sel: Selection,
  nowMs: number,
  cal: Calendar,
): PresetName | undefined {
  return PRESETS.map(([n]) => n).find((n) => sameSelection(presetSelection(n, nowMs, cal), sel))
}

export function sameSelection(a: Selection, b: Selection): boolean {
  if (a.unit === 'custom' || b.unit === 'custom') {
    return a.unit === 'custom' && b.unit === 'custom' && a.start === b.start && a.end === b.end
  }
  return a.unit === b.unit && a.date === b.date
}

/** The selection moved by `n` periods (custom ranges by their own length). */
export function shift(sel: Selection, n: number): Selection {
  if (sel.unit === 'custom') {
    const days = pd(sel.start).until(pd(sel.end)).days + 1
    return {
      unit: 'custom',
      start: pd(sel.start)
        .add({ days: days * n })
        .toString(),
      end: pd(sel.end)
        .add({ days: days * n })
        .toString(),
    }
  }
  return { unit: sel.unit, date: addPeriods(pd(sel.date), sel.unit, n).toString() }
}

function bounds(sel: Selection, cal: Calendar): { startMs: number; endMs: number } {
  if (sel.unit === 'custom') {
    return {
      startMs: dayStartMs(pd(sel.start), cal),
      endMs: dayStartMs(pd(sel.end).add({ days: 1 }), cal),
    }
  }
  const first = pd(sel.date)
  return { startMs: dayStartMs(first, cal), endMs: dayStartMs(addPeriods(first, sel.unit, 1), cal) }
}

export function resolve(sel: Selection, cal: Calendar, nowMs: number): Resolved {
  const { startMs, endMs } = bounds(sel, cal)
  const prev = bounds(shift(sel, -1), cal)
  const underWay = nowMs > startMs && nowMs < endMs
  const prevEndMs = underWay ? Math.min(prev.endMs, prev.startMs + (nowMs - startMs)) : prev.endMs
  const oneDay = sel.unit === 'day' || (sel.unit === 'custom' && sel.start === sel.end)
  let insightRange: string | undefined
  let title: string
  const fmt = (d: Temporal.PlainDate, opts: Intl.DateTimeFormatOptions) =>
    formatDate(d.toString(), opts)
  if (sel.unit === 'custom') {
    title = `${fmt(pd(sel.start), { day: 'numeric', month: 'short', year: 'numeric' })} – ${fmt(pd(sel.end), { day: 'numeric', month: 'short', year: 'numeric' })}`
  } else {
    const d = pd(sel.date)
    switch (sel.unit) {
      case 'day':
        insightRange = formatPeriod(d, 'day')
        title = fmt(d, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })
        break
      case 'week': {
        insightRange = formatPeriod(d, 'week')
        const last = d.add({ days: 6 })
        title = `Week ${d.weekOfYear ?? ''}, ${fmt(d, { day: 'numeric', month: 'short' })} – ${fmt(last, { day: 'numeric', month: 'short', year: 'numeric' })}`
        break
      }
      case 'month':
        insightRange = formatPeriod(d, 'month')
        title = fmt(d, { month: 'long', year: 'numeric' })
        break
      case 'year':
        insightRange = formatPeriod(d, 'year')
        title = String(d.year)
        break
    }
  }
  return {
    startMs,
    endMs,
    bucket: oneDay ? 'hour' : 'day',
    prevStartMs: prev.startMs,
    prevEndMs,
    prevCut: prevEndMs < prev.endMs,
    insightRange,
    title,
  }
}

/** The API's `preset` for a range of instants: a custom preset with its bucket. */
export function customPreset(startMs: number, endMs: number, bucket?: BucketUnit): PresetParam {
  return {
    custom: {
      start: formatTimestamp(startMs),
      end: formatTimestamp(endMs),
      ...(bucket === undefined ? {} : { bucket }),
    },
  }
}

const UNITS: readonly string[] = ['day', 'week', 'month', 'year']

function validDate(s: string | undefined): s is string {
  return s !== undefined && parseLocalDate(s) !== undefined
}

/** `#/week/2025-11-24`, `#/custom/2025-11-01/2025-11-10`; undefined when the hash names none. */
export function selectionFromPath(path: string): Selection | undefined {
  const [unit, a, b] = path.split('/').filter((p) => p !== '')
  if (unit === 'custom' && validDate(a) && validDate(b) && a <= b) {
    return { unit: 'custom', start: a, end: b }
  }
  if (unit !== undefined && UNITS.includes(unit) && validDate(a)) {
    // A date inside the period names the period.
    return { unit: unit as Unit, date: periodFirstDate(pd(a), unit as Unit).toString() }
  }
  return undefined
}

export function selectionPath(sel: Selection): string {
  return sel.unit === 'custom' ? `/custom/${sel.start}/${sel.end}` : `/${sel.unit}/${sel.date}`
}

/** The logical dates `[first, last]` of a selection. */
export function selectionDates(sel: Selection): [string, string] {
  if (sel.unit === 'custom') return [sel.start, sel.end]
  return [sel.date, addPeriods(pd(sel.date), sel.unit, 1).subtract({ days: 1 }).toString()]
}

export { logicalDate, dayStartMs }
