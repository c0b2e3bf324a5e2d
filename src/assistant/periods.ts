/**
 * Periods as the tools take them: a name a person would say (`this_week`), or `start`/`end` as
 * local days or instants; resolved with the API's own presets on the daemon's calendar.
 */
import { Temporal } from 'temporal-polyfill'
import * as z from 'zod'
import type { PresetParam } from '../client/api.ts'
import {
  type Calendar,
  type TimeRange,
  dayStartMs,
  formatTimestamp,
  logicalDate,
  parseTimestamp,
} from '../domain/calendar.ts'
import { BadRequestError } from '../domain/errors.ts'
import { parseLocalDate } from '../domain/periods.ts'
import { type Preset, resolvePreset } from '../domain/presets.ts'

export const PERIOD_NAMES = [
  'today',
  'yesterday',
  'this_week',
  'last_week',
  'last_7_days',
  'this_month',
  'last_month',
] as const
export type PeriodName = (typeof PERIOD_NAMES)[number]

/** The API preset each name stands for (`last_7_days` includes today). */
const PRESETS: Record<PeriodName, { wire: PresetParam; domain: Preset }> = {
  today: { wire: 'today', domain: { type: 'today' } },
  yesterday: { wire: 'yesterday', domain: { type: 'yesterday' } },
  this_week: { wire: 'thisWeek', domain: { type: 'thisWeek' } },
  last_week: { wire: 'lastWeek', domain: { type: 'lastWeek' } },
  last_7_days: {
    wire: { lastNDays: [7, true] },
    domain: { type: 'lastNDays', n: 7, includeCurrent: true },
  },
  this_month: { wire: 'thisMonth', domain: { type: 'thisMonth' } },
  last_month: { wire: 'lastMonth', domain: { type: 'lastMonth' } },
}

/** The input fields of a period, for a tool's input schema. */
export const periodShape = {
  period: z
    .enum(PERIOD_NAMES)
    .optional()
    .describe('A named period on the local calendar; or give start and end instead.'),
  start: z
    .string()
    .max(40)
    .optional()
    .describe('First local day YYYY-MM-DD, or an RFC 3339 instant (with end, instead of period).'),
  end: z
    .string()
    .max(40)
    .optional()
    .describe('Last local day YYYY-MM-DD (included), or an RFC 3339 instant (exclusive).'),
}
export type PeriodArgs = { period?: PeriodName; start?: string; end?: string }

/** A resolved period, as tools report it. */
export const periodOutput = z.object({
  name: z.string().describe('The period asked for: its name, or start..end.'),
  start: z.string().describe('RFC 3339.'),
  end: z.string().describe('RFC 3339, exclusive.'),
  firstDay: z.string().describe('The first local day, YYYY-MM-DD.'),
  lastDay: z.string().describe('The last local day, YYYY-MM-DD.'),
  timeZone: z.string(),
})

export interface Period extends TimeRange {
  /** What the API's preset parameter takes for it (the server resolves named ones itself). */
  preset: PresetParam
  out: z.infer<typeof periodOutput>
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/

function plainDate(value: string, field: string): Temporal.PlainDate {
  const date = parseLocalDate(value)
  if (!date) throw new BadRequestError('invalid_date', `${field} is not a date: ${value}`, field)
  return date
}

/**
 * Resolves a period on `cal` at `nowMs`: a name through the API's presets, `start`/`end` as local
 * days (the end day included) or instants. Neither given: `fallback`.
 */
export function resolvePeriod(
  args: PeriodArgs,
  cal: Calendar,
  nowMs: number,
  fallback: PeriodName = 'today',
): Period {
  const custom = args.start !== undefined || args.end !== undefined
  if (custom && args.period !== undefined) {
    throw new BadRequestError('conflicting_period', 'give either period or start and end, not both')
  }
  let range: TimeRange
  let preset: PresetParam
  let name: string
  if (custom) {
    if (args.start === undefined || args.end === undefined) {
      throw new BadRequestError('missing_period', 'give both start and end (or a period)')
    }
    range = {
      startMs: boundary(args.start, 'start', cal),
      endMs: boundary(args.end, 'end', cal),
    }
    if (range.endMs < range.startMs) {
      throw new BadRequestError('invalid_period', `end ${args.end} is before start ${args.start}`)
    }
    preset = {
      custom: {
        start: formatTimestamp(range.startMs),
        end: formatTimestamp(range.endMs),
        bucket: 'day',
      },
    }
    name = `${args.start}..${args.end}`
  } else {
    const chosen = PRESETS[args.period ?? fallback]
    preset = chosen.wire
    range = resolvePreset(chosen.domain, nowMs, cal)
    name = args.period ?? fallback
  }
  return {
    ...range,
    preset,
    out: {
      name,
      start: formatTimestamp(range.startMs),
      end: formatTimestamp(range.endMs),
      firstDay: logicalDate(range.startMs, cal).toString(),
      lastDay: logicalDate(Math.max(range.startMs, range.endMs - 1), cal).toString(),
      timeZone: cal.timeZone,
    },
  }
}

/** A local day's start (`start`) or the next day's start (`end`: the day is included); or an instant. */
function boundary(value: string, field: 'start' | 'end', cal: Calendar): number {
  if (!DATE_RE.test(value)) return parseTimestamp(value, field)
  const day = plainDate(value, field)
  return dayStartMs(field === 'start' ? day : day.add({ days: 1 }), cal)
}

/**
 * An instant a person names: RFC 3339 with an offset, or a local date-time without one
 * (`2025-09-11T14:30`, as models tend to write it) taken in the daemon's zone.
 */
export function parseInstant(value: string, zone: string, field: string): number {
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) {
    try {
      return Temporal.PlainDateTime.from(value.replace(' ', 'T')).toZonedDateTime(zone)
        .epochMilliseconds
    } catch {
      throw new BadRequestError('invalid_timestamp', `${field} is not a time: ${value}`, field)
    }
  }
  return parseTimestamp(value, field)
}

/** A period's resolved instants as the history routes take them. */
export function isoRange(p: TimeRange): { start: string; end: string } {
  return { start: formatTimestamp(p.startMs), end: formatTimestamp(p.endMs) }
}
