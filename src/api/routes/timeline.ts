/**
 * `GET /v1/timeline`: who owned the time of a range, as stretches. The active timeline (the one
 * definition in `src/domain/timeline.ts`: overlaps resolved, time away removed) with its pieces
 * joined where one thing went on without a break; the stretches add up to `/v1/summary/total`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import { formatTimestamp, parseTimestamp } from '../../domain/calendar.ts'
import { UnprocessableError } from '../../domain/errors.ts'
import type { ActivityEvent } from '../../domain/events.ts'
import { joinStretches } from '../../domain/stretches.ts'
import { Nullable, PresetParam, TimeZoneParam } from '../schemas/common.ts'
import { rangeFromQuery } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'

/** The longest range one timeline covers: it is computed from every event in it. */
const MAX_TIMELINE_DAYS = 31

const TimelineQuery = Type.Object({
  preset: Type.Optional(PresetParam),
  start: Type.Optional(Type.String({ description: 'RFC 3339 (with end, instead of a preset).' })),
  end: Type.Optional(Type.String({ description: 'RFC 3339.' })),
  tz: Type.Optional(TimeZoneParam),
  limit: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 200,
    description: 'Most stretches in this answer (default 200).',
  }),
  after: Type.Optional(
    Type.String({ description: 'The `next` of the previous page: stretches starting from it.' }),
  ),
})

const TimelineStretch = Type.Object({
  start: Type.String({ description: 'RFC 3339.' }),
  end: Type.String({ description: 'RFC 3339.' }),
  seconds: Type.Integer(),
  app: Type.String(),
  project: Type.String(),
  category: Type.String(),
  entity: Type.String(),
  entityType: Nullable(Type.String()),
  language: Nullable(Type.String()),
  branch: Nullable(Type.String()),
  source: Type.String(),
  device: Type.String(),
})

export const Timeline = Type.Object({
  timeZone: Type.String(),
  start: Type.String({ description: 'The range asked for, RFC 3339.' }),
  end: Type.String(),
  activeSeconds: Type.Integer({ description: 'All stretches of the range, every page together.' }),
  stretches: Type.Array(TimelineStretch),
  next: Nullable(Type.String({ description: 'Pass as `after` for the next page; null: no more.' })),
})

/** Stretches join when everything a person would name about them is the same. */
const stretchKey = (e: ActivityEvent) =>
  JSON.stringify([e.device, e.source, e.app, e.project, e.entity, e.category, e.language, e.branch])

export const timelineRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/timeline',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Who owned the time of a range: stretches of the active timeline, paged',
        description:
          'Overlapping events resolved by source priority and time away removed, as every ' +
          'total counts them; consecutive pieces of the same activity joined. A preset or both ' +
          `start and end; at most ${MAX_TIMELINE_DAYS} days.`,
        tags: ['summary'],
        querystring: TimelineQuery,
        response: { 200: Timeline, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const q = request.query
      const { calendar, nowMs } = await request.daybook.requestTime(q.tz)
      const range = rangeFromQuery(q, nowMs, calendar, true)
      if (range.endMs - range.startMs > MAX_TIMELINE_DAYS * 86_400_000 + 3_600_000) {
        throw new UnprocessableError(
          'range_too_long',
          `a timeline covers at most ${MAX_TIMELINE_DAYS} days; ask for a shorter range`,
          q.preset === undefined ? 'end' : 'preset',
        )
      }
      const after = q.after === undefined ? undefined : parseTimestamp(q.after, 'after')
      const stretches = joinStretches(await request.daybook.activeTime.segments(range), stretchKey)
      const from = after === undefined ? 0 : stretches.findIndex((s) => s.startMs >= after)
      const page = from < 0 ? [] : stretches.slice(from, from + q.limit)
      const following = from < 0 ? undefined : stretches[from + q.limit]
      return {
        timeZone: calendar.timeZone,
        start: formatTimestamp(range.startMs),
        end: formatTimestamp(range.endMs),
        activeSeconds: stretches.reduce((sum, s) => sum + (s.endMs - s.startMs) / 1000, 0),
        stretches: page.map(({ startMs, endMs, event: e }) => ({
          start: formatTimestamp(startMs),
          end: formatTimestamp(endMs),
          seconds: (endMs - startMs) / 1000,
          app: e.app,
          project: e.project,
          category: e.category,
          entity: e.entity,
          entityType: e.entityType,
          language: e.language,
          branch: e.branch,
          source: e.source,
          device: e.device,
        })),
        next: following === undefined ? null : formatTimestamp(following.startMs),
      }
    },
  )
}
