/**
 * History: sessions (stretches of continuous activity, joined across gaps shorter than the
 * `sessionGapMinutes` setting), what is recorded, and day totals. Reading needs a read token;
 * the POST routes the data scope.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import { formatTimestamp, parseTimestamp } from '../../domain/calendar.ts'
import type { Session } from '../../domain/sessions.ts'
import { Nullable, Timestamp, TimeZoneParam } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'
import { checkRangeOrder } from '../../domain/time.ts'

/** A session as the history routes answer it. */
export const SessionWire = Type.Object({
  start: Type.String({ description: 'RFC 3339.' }),
  end: Type.String({ description: 'RFC 3339.' }),
  activeSeconds: Type.Integer(),
})

/** What `GET /v1/history/stats` answers. */
export const HistoryStats = Type.Object({
  firstActivity: Nullable(Type.String()),
  lastActivity: Nullable(Type.String()),
  daysRecorded: Type.Integer(),
  activeSeconds: Type.Integer(),
  events: Type.Integer(),
  afkPeriods: Type.Integer(),
  labels: Type.Integer(),
  devices: Type.Integer(),
})

const toWire = (s: Session) => ({
  start: formatTimestamp(s.startMs),
  end: formatTimestamp(s.endMs),
  activeSeconds: s.activeSeconds,
})

function range(start: string, end: string, field = '') {
  const startMs = parseTimestamp(start, `${field}start`)
  const endMs = parseTimestamp(end, `${field}end`)
  checkRangeOrder(startMs, endMs, { start: `${field}start`, end: `${field}end` })
  return { startMs, endMs }
}

export const historyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/history/sessions',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Sessions between start and end: stretches of activity and their active seconds',
        tags: ['history'],
        querystring: Type.Object({ start: Type.String(), end: Type.String() }),
        response: { 200: Type.Array(SessionWire), ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const { sessionGapMinutes } = await request.daybook.settings.get()
      const sessions = await request.daybook.history.sessions(
        range(request.query.start, request.query.end),
        sessionGapMinutes,
      )
      return sessions.map(toWire)
    },
  )

  app.post(
    '/history/sessions/delete',
    {
      config: { access: 'analysis' },
      schema: {
        summary: 'Delete a session: the events and AFK periods that start within its span',
        description: 'Each deletion is a tombstone in the change feed.',
        tags: ['history'],
        body: Type.Object({ start: Timestamp, end: Timestamp }, { additionalProperties: false }),
        response: {
          200: Type.Object({ deletedEvents: Type.Integer(), deletedAfk: Type.Integer() }),
          ...errorResponses(400, 401, 403, 415, 422),
        },
      },
    },
    async (request) =>
      request.daybook.history.deleteSpan(range(request.body.start, request.body.end, 'body/')),
  )

  app.get(
    '/history/stats',
    {
      config: { access: 'read' },
      schema: {
        summary: 'What is recorded: first and last activity, days, totals',
        tags: ['history'],
        querystring: Type.Object({ tz: Type.Optional(TimeZoneParam) }),
        response: {
          200: HistoryStats,
          ...errorResponses(400, 401, 403, 422),
        },
      },
    },
    async (request) => {
      const { calendar } = await request.daybook.requestTime(request.query.tz)
      const stats = await request.daybook.history.stats(calendar)
      return {
        ...stats,
        firstActivity: stats.firstActivity === null ? null : formatTimestamp(stats.firstActivity),
        lastActivity: stats.lastActivity === null ? null : formatTimestamp(stats.lastActivity),
      }
    },
  )

  app.post(
    '/history/daily-active-mins',
    {
      config: { access: 'analysis' },
      schema: {
        summary: 'Active minutes of each of the last N local days (today last)',
        tags: ['history'],
        body: Type.Object(
          { days: Type.Integer({ minimum: 1, maximum: 366 }), tz: Type.Optional(TimeZoneParam) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Array(Type.Object({ date: Type.String(), minutes: Type.Number() })),
          ...errorResponses(400, 401, 403, 415, 422),
        },
      },
    },
    async (request) => {
      const { calendar } = await request.daybook.requestTime(request.body.tz)
      return request.daybook.history.dailyActiveMinutes(request.body.days, calendar)
    },
  )

  app.post(
    '/history/find-session',
    {
      config: { access: 'analysis' },
      schema: {
        summary: 'The session containing an instant, or null',
        tags: ['history'],
        body: Type.Object(
          { timestampUtc: Type.Number({ minimum: 0, description: 'Unix seconds.' }) },
          { additionalProperties: false },
        ),
        response: { 200: Nullable(SessionWire), ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => {
      const { sessionGapMinutes } = await request.daybook.settings.get()
      const found = await request.daybook.history.findSession(
        Math.round(request.body.timestampUtc * 1000),
        sessionGapMinutes,
      )
      return found ? toWire(found) : null
    },
  )
}
