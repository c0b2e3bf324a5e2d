/**
 * The reads WakaTime plugins and tools make, under `/api/users/{user}`, `/api/v1/users/{user}` and
 * `/api/compat/wakatime/v1/users/{user}`: the user, `statusbar/{range}` (and `status_bar`),
 * `summaries`, `stats[/{range}]`, `all_time_since_today`, `projects`, `heartbeats?date` and
 * `durations?date`, in WakaTime's shapes. Numbers come from the active-time service.
 *
 * Times are computed in the request's `timezone` parameter, else the `Timezone` header the CLI
 * sends, else the `timezone` setting, else the daemon's zone.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import os from 'node:os'
import { Temporal } from 'temporal-polyfill'
import { Type } from 'typebox'
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
import { BadRequestError, NotFoundError, UnprocessableError } from '../../../domain/errors.ts'
import type { EventFilters } from '../../../domain/events.ts'
import {
  type RangeName,
  RANGE_NAMES,
  durationDecimal,
  durationDigital,
  durationText,
  parseDate,
  rangeName,
  resolveRange,
} from '../../../domain/wakatime/ranges.ts'
import type { DaybookContext } from '../../context.ts'
import { errorResponses } from '../../schemas/responses.ts'
import { presentedWakatimeKey } from './auth.ts'
import {
  AnyData,
  DateQuery,
  KeyQuery,
  ProjectsQuery,
  RangeParams,
  StatsQuery,
  StatsResponse,
  StatusBarResponse,
  SummariesQuery,
  SummariesResponse,
  UserParams,
} from './schemas.ts'
import {
  editorName,
  emptySummary,
  grandTotal,
  sliceValue,
  summarize,
  summaryData,
} from './summaries.ts'

/** The prefixes the reads are served under (Wakapi's). */
export const READ_PREFIXES = [
  '/api/users/:user',
  '/api/v1/users/:user',
  '/api/compat/wakatime/v1/users/:user',
]

/** Longest range of per-day summaries one request may ask for. */
const MAX_DAYS = 3660

const WAKATIME = {
  config: { presentedKey: presentedWakatimeKey },
  tags: ['wakatime'],
  description:
    'WakaTime-compatible. Key as `Authorization: Basic base64(key)`, `Bearer base64(key)`, `Bearer key` or `?api_key=key`.',
}

function checkUser(params: unknown): void {
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

function filtersOf(q: { project?: string | undefined; branches?: string | string[] }) {
  const filters: EventFilters = {}
  if (q.project !== undefined && q.project !== '') filters.project = [q.project]
  const branches = names(q.branches)
  if (branches.length > 0) filters.branch = branches
  return filters
}

/** Each day of a range of dates: its label, bounds, and how WakaTime words it. */
function days(range: TimeRange, calendar: Calendar, nowMs: number) {
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

/** The reads of one prefix (`/api/v1/users/:user`, …). */
const userRoutes: FastifyPluginAsyncTypebox = async (scope) => {
  const daybook: DaybookContext = scope.daybook

  /** The calendar of a request (see the module comment). */
  /** The local day `?date=` names, in the request's zone. */
  async function dayOf(
    request: FastifyRequest,
    q: { date: string; timezone?: string | undefined },
  ) {
    const { calendar, nowMs } = await timeOf(request, q.timezone)
    const date = parseDate(q.date, nowMs, calendar, 'date')
    const range = {
      startMs: dayStartMs(date, calendar),
      endMs: dayStartMs(date.add({ days: 1 }), calendar),
    }
    return { calendar, range }
  }

  async function timeOf(request: FastifyRequest, zone: string | undefined) {
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

  async function firstActivity(): Promise<number | undefined> {
    return (await daybook.store.events.span())?.startMs
  }

  /** A stats range: a range name, a year (`2025`) or a month (`2025-09`). */
  async function statsRange(value: string, nowMs: number, calendar: Calendar) {
    const name = rangeName(value)
    if (name) return resolveRange(name, nowMs, calendar, await firstActivity())
    const m = /^(\d{4})(?:-(\d{2}))?$/.exec(value)
    if (m) {
      const year = Number(m[1])
      const month = m[2] === undefined ? undefined : Number(m[2])
      if (month === undefined || (month >= 1 && month <= 12)) {
        const first = new Temporal.PlainDate(year, month ?? 1, 1)
        const next = month === undefined ? first.add({ years: 1 }) : first.add({ months: 1 })
        return {
          startMs: dayStartMs(first, calendar),
          endMs: dayStartMs(next, calendar),
          name: null,
          text: value,
        }
      }
    }
    throw new BadRequestError(
      'invalid_range',
      `range must be one of ${RANGE_NAMES.join(', ')}, a year (2025) or a month (2025-09); got ${JSON.stringify(value)}`,
      'range',
    )
  }

  async function statusBar(request: FastifyRequest, range: string) {
    checkUser(request.params)
    const { calendar, nowMs } = await timeOf(request, undefined)
    const name: RangeName | undefined = rangeName(range)
    if (!name) {
      throw new BadRequestError(
        'invalid_range',
        `range must be one of ${RANGE_NAMES.join(', ')}; got ${JSON.stringify(range)}`,
        'range',
      )
    }
    const r = resolveRange(name, nowMs, calendar, await firstActivity())
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

  scope.get(
    '/',
    {
      config: { ...WAKATIME.config, access: 'read' },
      schema: {
        summary: 'The user: time zone, last heartbeat, last project and plugin',
        ...WAKATIME,
        params: UserParams,
        querystring: KeyQuery,
        response: { 200: AnyData, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      checkUser(request.params)
      const { calendar } = await timeOf(request, undefined)
      const [latest] = await daybook.store.heartbeats.machines()
      const name = os.userInfo().username || 'current'
      const created = formatTimestamp(daybook.startedMs)
      return {
        data: {
          id: 'current',
          username: 'current',
          display_name: name,
          full_name: name,
          email: null,
          is_email_public: false,
          is_email_confirmed: false,
          photo: null,
          website: null,
          timezone: calendar.timeZone,
          timeout: (await daybook.settings.get()).heartbeatTimeoutSec / 60,
          writes_only: false,
          last_heartbeat_at: latest ? formatTimestamp(latest.lastMs) : null,
          last_project: latest?.project ?? null,
          last_plugin: latest?.userAgent ?? null,
          last_plugin_name: latest ? editorName(`wakatime-${latest.editor}`) : null,
          created_at: created,
          modified_at: created,
        },
      }
    },
  )

  for (const path of ['/statusbar/:range', '/status_bar/:range']) {
    scope.get(
      path,
      {
        config: { ...WAKATIME.config, access: 'statusbar' },
        schema: {
          summary:
            "A range's totals as an editor's status bar shows them (what `wakatime-cli --today` prints)",
          ...WAKATIME,
          params: RangeParams,
          querystring: KeyQuery,
          response: { 200: StatusBarResponse, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => statusBar(request, request.params.range),
    )
  }

  scope.get(
    '/summaries',
    {
      config: { ...WAKATIME.config, access: 'read' },
      schema: {
        summary: 'One summary per local day from start to end (inclusive), or of a range',
        ...WAKATIME,
        params: UserParams,
        querystring: SummariesQuery,
        response: { 200: SummariesResponse, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      checkUser(request.params)
      const q = request.query
      const { calendar, nowMs } = await timeOf(request, q.timezone)
      let range: TimeRange
      if (q.range !== undefined && q.range !== '') {
        const name = rangeName(q.range)
        if (!name) {
          throw new BadRequestError(
            'invalid_range',
            `range must be one of ${RANGE_NAMES.join(', ')}; got ${JSON.stringify(q.range)}`,
            'range',
          )
        }
        range = resolveRange(name, nowMs, calendar, await firstActivity())
      } else {
        if (q.start === undefined || q.end === undefined) {
          throw new BadRequestError(
            'missing_range',
            'give start and end (YYYY-MM-DD), or range',
            q.start === undefined ? 'start' : 'end',
          )
        }
        const first = parseDate(q.start, nowMs, calendar, 'start')
        const last = parseDate(q.end, nowMs, calendar, 'end')
        if (Temporal.PlainDate.compare(last, first) < 0) {
          throw new BadRequestError('invalid_range', 'end is before start', 'end')
        }
        if (first.until(last).days >= MAX_DAYS) {
          throw new UnprocessableError(
            'range_too_long',
            `summaries cover at most ${MAX_DAYS} days; ask for a shorter range`,
            'end',
          )
        }
        range = {
          startMs: dayStartMs(first, calendar),
          endMs: dayStartMs(last.add({ days: 1 }), calendar),
        }
      }
      const list = days(range, calendar, nowMs)
      if (list.length > MAX_DAYS) {
        throw new UnprocessableError(
          'range_too_long',
          `summaries cover at most ${MAX_DAYS} days; ask for a shorter range`,
          'range',
        )
      }
      const filters = filtersOf(q)
      const details = filters.project !== undefined
      const found = new Map(
        (await summarize(daybook, { range, calendar, filters, unit: 'day', details })).map((s) => [
          s.label,
          s,
        ]),
      )
      const data = list.map((d) =>
        summaryData(found.get(d.label) ?? emptySummary(d.label, details), d, calendar),
      )
      const total = [...found.values()].reduce((sum, s) => sum + s.total, 0)
      const average = list.length > 0 ? Math.floor(total / list.length) : 0
      return {
        data,
        start: formatTimestamp(range.startMs),
        end: formatTimestamp(range.endMs),
        cumulative_total: {
          seconds: total,
          text: durationText(total),
          decimal: durationDecimal(total),
          digital: durationDigital(total),
        },
        daily_average: {
          seconds: average,
          text: durationText(average),
          seconds_including_other_language: average,
          text_including_other_language: durationText(average),
          days_including_holidays: list.length,
          days_minus_holidays: list.length,
          holidays: 0,
        },
      }
    },
  )

  for (const path of ['/stats', '/stats/:range']) {
    scope.get(
      path,
      {
        config: { ...WAKATIME.config, access: 'read' },
        schema: {
          summary: 'Totals and breakdowns of a range (default last_7_days)',
          ...WAKATIME,
          params: path === '/stats' ? UserParams : RangeParams,
          querystring: StatsQuery,
          response: { 200: StatsResponse, ...errorResponses(400, 401, 403, 404, 422) },
        },
      },
      async (request) => {
        checkUser(request.params)
        const q = request.query
        const { calendar, nowMs, settings } = await timeOf(request, q.timezone)
        const value = (request.params as { range?: string }).range ?? 'last_7_days'
        const range = await statsRange(value, nowMs, calendar)
        const filters = filtersOf(q)
        const details = filters.project !== undefined
        const [[summary], perDay] = await Promise.all([
          summarize(daybook, { range, calendar, filters, unit: null, details }),
          daybook.activeTime.cells({
            range,
            unit: 'day',
            calendar,
            filters,
            includeAfk: false,
          }),
        ])
        const s = summary ?? emptySummary('', details)
        // Days that have begun: a range reaching into the future counts up to today.
        const through = Math.min(
          range.endMs,
          dayStartMs(logicalDate(nowMs, calendar).add({ days: 1 }), calendar),
        )
        const dayCount = Math.max(
          1,
          range.startMs < through
            ? splitRange({ startMs: range.startMs, endMs: through }, 'day', calendar).length
            : 1,
        )
        const average = s.total / dayCount
        const best = [...perDay].sort((a, b) => b.seconds - a.seconds)[0]
        const data = summaryData(s, range, calendar)
        return {
          data: {
            id: 'current',
            user_id: 'current',
            username: 'current',
            status: 'ok',
            is_up_to_date: true,
            is_already_updating: false,
            is_stuck: false,
            percent_calculated: 100,
            range: range.name ?? value,
            human_readable_range: range.text,
            start: formatTimestamp(range.startMs),
            end: formatTimestamp(range.endMs),
            timezone: calendar.timeZone,
            timeout: settings.heartbeatTimeoutSec / 60,
            writes_only: false,
            holidays: 0,
            days_including_holidays: dayCount,
            days_minus_holidays: dayCount,
            total_seconds: s.total,
            total_seconds_including_other_language: s.total,
            human_readable_total: durationText(s.total),
            human_readable_total_including_other_language: durationText(s.total),
            daily_average: average,
            daily_average_including_other_language: average,
            human_readable_daily_average: durationText(average),
            human_readable_daily_average_including_other_language: durationText(average),
            is_coding_activity_visible: true,
            is_other_usage_visible: true,
            best_day: best
              ? {
                  date: best.label,
                  total_seconds: best.seconds,
                  text: durationText(best.seconds),
                }
              : null,
            grand_total: data.grand_total,
            categories: data.categories,
            projects: data.projects,
            languages: data.languages,
            editors: data.editors,
            operating_systems: data.operating_systems,
            machines: data.machines,
            dependencies: data.dependencies,
            ...(details ? { branches: data.branches, entities: data.entities } : {}),
          },
        }
      },
    )
  }

  scope.get(
    '/all_time_since_today',
    {
      config: { ...WAKATIME.config, access: 'read' },
      schema: {
        summary: 'All the active time recorded, up to now',
        ...WAKATIME,
        params: UserParams,
        querystring: Type.Object({
          project: Type.Optional(Type.String({ maxLength: 1024 })),
          timezone: Type.Optional(Type.String({ maxLength: 64 })),
          api_key: Type.Optional(Type.String()),
        }),
        response: { 200: AnyData, ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      checkUser(request.params)
      const q = request.query
      const { calendar, nowMs } = await timeOf(request, q.timezone)
      const filters = filtersOf(q)
      const [total, first] = await Promise.all([
        daybook.activeTime.total({ range: {}, calendar, filters, includeAfk: false }),
        firstActivity(),
      ])
      const start = first ?? nowMs
      return {
        data: {
          ...grandTotal(total),
          total_seconds: total,
          is_up_to_date: true,
          percent_calculated: 100,
          timeout: (await daybook.settings.get()).heartbeatTimeoutSec / 60,
          range: {
            start: formatTimestamp(start),
            start_date: logicalDate(start, calendar).toString(),
            start_text: logicalDate(start, calendar).toString(),
            end: formatTimestamp(nowMs),
            end_date: logicalDate(nowMs, calendar).toString(),
            end_text: 'Today',
            timezone: calendar.timeZone,
          },
        },
      }
    },
  )

  scope.get(
    '/projects',
    {
      config: { ...WAKATIME.config, access: 'read' },
      schema: {
        summary: 'Projects, the most recently active first',
        ...WAKATIME,
        params: UserParams,
        querystring: ProjectsQuery,
        response: { 200: AnyData, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      checkUser(request.params)
      const needle = request.query.q?.toLowerCase()
      const nowMs = daybook.clock()
      const out = []
      let from: Parameters<typeof daybook.store.catalog.projects>[0]['from']
      for (let page = 0; page < 20; page++) {
        const found = await daybook.store.catalog.projects({ from, limit: 500 })
        for (const p of found.data) {
          if (needle !== undefined && !p.name.toLowerCase().includes(needle)) continue
          const last = p.lastUpdated === null ? null : p.lastUpdated * 1000
          out.push({
            id: p.id,
            name: p.name,
            repository: null,
            badge: null,
            color: null,
            has_public_url: false,
            last_heartbeat_at: last === null ? null : formatTimestamp(last),
            human_readable_last_heartbeat_at:
              last === null ? null : `${durationText((nowMs - last) / 1000)} ago`,
            urlencoded_name: encodeURIComponent(p.name),
            // Daybook keeps when a project was last active, not when it was first seen.
            created_at: null,
          })
        }
        const next = found.cursors[1]
        if (!next || found.data.length === 0) break
        from = next
      }
      return { data: out }
    },
  )

  scope.get(
    '/heartbeats',
    {
      config: { ...WAKATIME.config, access: 'read' },
      schema: {
        summary: 'The heartbeats of a local day, as they were received (deleted ones left out)',
        ...WAKATIME,
        params: UserParams,
        querystring: DateQuery,
        response: { 200: AnyData, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      checkUser(request.params)
      const q = request.query
      const { calendar, range } = await dayOf(request, q)
      const list = await daybook.store.heartbeats.list(range, 100_000)
      return {
        data: list.map((h) => ({
          ...(h.extra ?? {}),
          id: h.id,
          entity: h.entity,
          type: h.type,
          category: h.category,
          time: h.timeMs / 1000,
          project: h.project,
          branch: h.branch,
          language: h.language,
          is_write: h.isWrite,
          editor: h.editor,
          operating_system: h.os,
          machine_name_id: h.deviceId,
          machine: h.device,
          user_agent_id: h.userAgent,
          user_id: 'current',
        })),
        start: formatTimestamp(range.startMs),
        end: formatTimestamp(range.endMs),
        timezone: calendar.timeZone,
      }
    },
  )

  scope.get(
    '/durations',
    {
      config: { ...WAKATIME.config, access: 'read' },
      schema: {
        summary:
          'Who owned the time of a local day, joined into stretches by project (or slice_by)',
        ...WAKATIME,
        params: UserParams,
        querystring: DateQuery,
        response: { 200: AnyData, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      checkUser(request.params)
      const q = request.query
      const { calendar, range } = await dayOf(request, q)
      const slice = q.slice_by ?? 'project'
      const filters = filtersOf(q)
      const segments = (await daybook.activeTime.segments(range)).filter(
        (s) =>
          (filters.project === undefined || filters.project.includes(s.event.project)) &&
          (filters.branch === undefined ||
            (s.event.branch !== null && filters.branch.includes(s.event.branch))),
      )
      const data: { time: number; duration: number; [key: string]: unknown }[] = []
      let last: { value: string | null; endMs: number; item: (typeof data)[number] } | undefined
      for (const s of segments) {
        const value = sliceValue(s.event, slice)
        if (last && last.value === value && last.endMs === s.startMs) {
          last.item.duration += (s.endMs - s.startMs) / 1000
          last.endMs = s.endMs
          continue
        }
        const item = {
          [slice]: value,
          time: s.startMs / 1000,
          duration: (s.endMs - s.startMs) / 1000,
        }
        data.push(item)
        last = { value, endMs: s.endMs, item }
      }
      const branches = [
        ...new Set(segments.flatMap((s) => (s.event.branch === null ? [] : [s.event.branch]))),
      ].sort()
      return {
        data,
        branches,
        start: formatTimestamp(range.startMs),
        end: formatTimestamp(range.endMs),
        timezone: calendar.timeZone,
      }
    },
  )
}

export const wakatimeReadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const prefix of READ_PREFIXES) await app.register(userRoutes, { prefix })
}
