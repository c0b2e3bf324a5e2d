/**
 * What the WakaTime reads share: the request's calendar and day, ranges as WakaTime names them,
 * the user check, filters, and the status bar's totals.
 */
import type { FastifyRequest } from 'fastify'
import {
  type Calendar,
  type TimeRange,
  canonicalTimeZone,
  dayStartMs,
  formatTimestamp,
  logicalDate,
  splitRange,
  unknownZone,
} from '../../../domain/calendar.ts'
import { BadRequestError, NotFoundError } from '../../../domain/errors.ts'
import { addPeriods, parsePeriod } from '../../../domain/periods.ts'
import type { EventFilters } from '../../../domain/events.ts'
import {
  type RangeName,
  RANGE_NAMES,
  parseDate,
  rangeName,
  resolveRange,
} from '../../../domain/wakatime/ranges.ts'
import type { DaybookContext } from '../../context.ts'
import { presentedWakatimeKey } from './auth.ts'
import { emptySummary, summarize, summaryData } from './summaries.ts'

/** Longest range of per-day summaries one request may ask for. */
export const MAX_DAYS = 3660

export const WAKATIME = {
  config: { presentedKey: presentedWakatimeKey },
  tags: ['wakatime'],
  description:
    'WakaTime-compatible. Key as `Authorization: Basic base64(key)`, `Bearer base64(key)`, `Bearer key` or `?api_key=key`.',
}

/** `{user}` must be `current`: this daemon holds one person's diary. */
export function checkUser(params: unknown): void {
  const user = (params as { user?: string } | undefined)?.user
  if (user !== undefined && user !== 'current') {
    throw new NotFoundError(
      'user_not_found',
      `no user ${JSON.stringify(user)}: this daemon has one user, "current"`,
      'user',
    )
  }
}

/** `a,b` or `["a","b"]` → names, blanks dropped. */
function names(value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  return (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '')
}

/** The filters of `project` and `branches`. */
export function filtersOf(q: { project?: string | undefined; branches?: string | string[] }) {
  const filters: EventFilters = {}
  if (q.project !== undefined && q.project !== '') filters.project = [q.project]
  const branches = names(q.branches)
  if (branches.length > 0) filters.branch = branches
  return filters
}

/** Each day of a range of dates: its label, bounds, and how WakaTime words it. */
export function days(range: TimeRange, calendar: Calendar, nowMs: number) {
  const today = logicalDate(nowMs, calendar)
  return splitRange(range, 'day', calendar).map((b) => {
    const date = logicalDate(b.startMs, calendar)
    const offset = today.since(date).days
    const text =
      offset === 0
        ? 'Today'
        : offset === 1
          ? 'Yesterday'
          : date.toLocaleString('en-US', {
              weekday: 'short',
              month: 'short',
              day: 'numeric',
              year: 'numeric',
            })
    return { label: b.label, startMs: b.startMs, endMs: b.endMs, date: date.toString(), text }
  })
}

/** The local day `?date=` names, in the request's zone. */
export async function dayOf(
  daybook: DaybookContext,
  request: FastifyRequest,
  q: { date: string; timezone?: string | undefined },
) {
  const { calendar, nowMs } = await timeOf(daybook, request, q.timezone)
  const date = parseDate(q.date, nowMs, calendar, 'date')
  const range = {
    startMs: dayStartMs(date, calendar),
    endMs: dayStartMs(date.add({ days: 1 }), calendar),
  }
  return { calendar, range }
}

/** The calendar of a request (see the module comment of reads.ts). */
export async function timeOf(
  daybook: DaybookContext,
  request: FastifyRequest,
  zone: string | undefined,
) {
  let chosen: string | undefined
  if (zone !== undefined && zone !== '') {
    if (canonicalTimeZone(zone) === undefined) throw unknownZone(zone, 'timezone')
    chosen = zone
  } else {
    const header = request.headers.timezone
    if (typeof header === 'string' && canonicalTimeZone(header) !== undefined) chosen = header
  }
  return daybook.requestTime(chosen)
}

/** When the first stored activity starts (WakaTime's `all_time` begins there). */
export async function firstActivity(daybook: DaybookContext): Promise<number | undefined> {
  return (await daybook.store.events.span())?.startMs
}

/** A stats range: a range name, a year (`2025`) or a month (`2025-09`). */
export async function statsRange(
  daybook: DaybookContext,
  value: string,
  nowMs: number,
  calendar: Calendar,
) {
  const name = rangeName(value)
  if (name) return resolveRange(name, nowMs, calendar, await firstActivity(daybook))
  const period = parsePeriod(value)
  if (period?.unit === 'year' || period?.unit === 'month') {
    return {
      startMs: dayStartMs(period.first, calendar),
      endMs: dayStartMs(addPeriods(period.first, period.unit, 1), calendar),
      name: null,
      text: value,
    }
  }
  throw new BadRequestError(
    'invalid_range',
    `range must be one of ${RANGE_NAMES.join(', ')}, a year (2025) or a month (2025-09); got ${JSON.stringify(value)}`,
    'range',
  )
}

/** A range's totals as an editor's status bar shows them. */
export async function statusBar(daybook: DaybookContext, request: FastifyRequest, range: string) {
  checkUser(request.params)
  const { calendar, nowMs } = await timeOf(daybook, request, undefined)
  const name: RangeName | undefined = rangeName(range)
  if (!name) {
    throw new BadRequestError(
      'invalid_range',
      `range must be one of ${RANGE_NAMES.join(', ')}; got ${JSON.stringify(range)}`,
      'range',
    )
  }
  const r = resolveRange(name, nowMs, calendar, await firstActivity(daybook))
  const [summary] = await summarize(daybook, {
    range: r,
    calendar,
    filters: {},
    unit: null,
    details: false,
  })
  const date = name === 'today' || name === 'yesterday' ? logicalDate(r.startMs, calendar) : null
  return {
    cached_at: formatTimestamp(nowMs),
    data: summaryData(
      summary ?? emptySummary('', false),
      { ...r, ...(date ? { date: date.toString() } : {}) },
      calendar,
    ),
    has_team_features: false,
  }
}
