/**
 * WakaTime's activity reads: `projects`, `heartbeats?date` and `durations?date`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { formatTimestamp } from '../../../domain/calendar.ts'
import { durationText } from '../../../domain/wakatime/ranges.ts'
import { errorResponses } from '../../schemas/responses.ts'
import { WAKATIME, checkUser, dayOf, filtersOf } from './read-context.ts'
import { AnyData, DateQuery, ProjectsQuery, UserParams } from './schemas.ts'
import { sliceValue } from './summaries.ts'

/** The activity reads of one prefix (`/api/v1/users/:user`, …). */
export const wakatimeActivityRoutes: FastifyPluginAsyncTypebox = async (scope) => {
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
      const nowMs = request.daybook.clock()
      const out = []
      let from: Parameters<typeof request.daybook.store.catalog.projects>[0]['from']
      for (let page = 0; page < 20; page++) {
        const found = await request.daybook.store.catalog.projects({ from, limit: 500 })
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
      const { calendar, range } = await dayOf(request.daybook, request, q)
      const list = await request.daybook.store.heartbeats.list(range, 100_000)
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
      const { calendar, range } = await dayOf(request.daybook, request, q)
      const slice = q.slice_by ?? 'project'
      const filters = filtersOf(q)
      const segments = (await request.daybook.activeTime.segments(range)).filter(
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
