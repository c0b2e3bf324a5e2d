/**
 * WakaTime's totals: the user, `statusbar/{range}` (and `status_bar`), `summaries`,
 * `stats[/{range}]` and `all_time_since_today`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import os from 'node:os'
import { Temporal } from 'temporal-polyfill'
import { Type } from '#typebox'
import {
  type TimeRange,
  dayStartMs,
  formatTimestamp,
  logicalDate,
  splitRange,
} from '../../../domain/calendar.ts'
import { BadRequestError, UnprocessableError } from '../../../domain/errors.ts'
import {
  RANGE_NAMES,
  durationDecimal,
  durationDigital,
  durationText,
  parseDate,
  rangeName,
  resolveRange,
} from '../../../domain/wakatime/ranges.ts'
import { errorResponses } from '../../schemas/responses.ts'
import {
  MAX_DAYS,
  WAKATIME,
  checkUser,
  days,
  filtersOf,
  firstActivity,
  statsRange,
  statusBar,
  timeOf,
} from './read-context.ts'
import {
  AnyData,
  KeyQuery,
  RangeParams,
  StatsQuery,
  StatsResponse,
  StatusBarResponse,
  SummariesQuery,
  SummariesResponse,
  UserParams,
} from './schemas.ts'
import { editorName, emptySummary, grandTotal, summarize, summaryData } from './summaries.ts'

/** The totals reads of one prefix (`/api/v1/users/:user`, …). */
export const wakatimeTotalsRoutes: FastifyPluginAsyncTypebox = async (scope) => {
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
      const { calendar } = await timeOf(request.daybook, request, undefined)
      const [latest] = await request.daybook.store.heartbeats.machines()
      const name = os.userInfo().username || 'current'
      const created = formatTimestamp(request.daybook.startedMs)
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
          timeout: (await request.daybook.settings.get()).heartbeatTimeoutSec / 60,
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
      async (request) => statusBar(request.daybook, request, request.params.range),
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
      const { calendar, nowMs } = await timeOf(request.daybook, request, q.timezone)
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
        range = resolveRange(name, nowMs, calendar, await firstActivity(request.daybook))
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
          // 400, not the daemon API's 422: WakaTime clients get the status Wakapi gives.
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
        (await summarize(request.daybook, { range, calendar, filters, unit: 'day', details })).map(
          (s) => [s.label, s],
        ),
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
        const { calendar, nowMs, settings } = await timeOf(request.daybook, request, q.timezone)
        const value = (request.params as { range?: string }).range ?? 'last_7_days'
        const range = await statsRange(request.daybook, value, nowMs, calendar)
        const filters = filtersOf(q)
        const details = filters.project !== undefined
        const [[summary], perDay] = await Promise.all([
          summarize(request.daybook, { range, calendar, filters, unit: null, details }),
          request.daybook.activeTime.cells({
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
      const { calendar, nowMs } = await timeOf(request.daybook, request, q.timezone)
      const filters = filtersOf(q)
      const [total, first] = await Promise.all([
        request.daybook.activeTime.total({ range: {}, calendar, filters, includeAfk: false }),
        firstActivity(request.daybook),
      ])
      const start = first ?? nowMs
      return {
        data: {
          ...grandTotal(total),
          total_seconds: total,
          is_up_to_date: true,
          percent_calculated: 100,
          timeout: (await request.daybook.settings.get()).heartbeatTimeoutSec / 60,
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
}
