/**
 * `GET /insights`: the seed's insight types and the ones a user asks next, on the active timeline.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Calendar, type TimeRange, bucketFloor, bucketNext } from '../../domain/calendar.ts'
import { BadRequestError, UnprocessableError } from '../../domain/errors.ts'
import {
  activeYears,
  aggregatedAverage,
  dailyAverage,
  hourOfDay,
  mostActiveDay,
  parseInsightRange,
  streak,
} from '../../domain/insights.ts'
import { totalsByGroup } from '../../domain/summary.ts'
import { loadActiveSegments } from '../../reports/active-time.ts'
import type { Store } from '../../store/store.ts'
import { filtersFromQuery } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'
import { InsightResponse, InsightsQuery } from '../schemas/summary.ts'

/** All recorded time: from the first active day to the end of today (or of the last event). */
async function allTime(store: Store, cal: Calendar, nowMs: number): Promise<TimeRange | undefined> {
  const span = await store.activitySpan()
  if (!span) return undefined
  return {
    startMs: bucketFloor(span.startMs, 'day', cal),
    endMs: bucketNext(Math.max(nowMs, span.endMs - 1), 'day', cal),
  }
}

function require<T>(value: T | undefined, name: string, type: string): T {
  if (value === undefined) {
    throw new BadRequestError(
      'missing_parameter',
      `${name} is required for insightType=${type}`,
      name,
    )
  }
  return value
}

export const insightRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { daybook } = app

  app.get(
    '/insights',
    {
      config: { access: 'read' },
      schema: {
        summary:
          'Insights: activeYears, topN, mostActiveDay, aggregatedAverage, streak, hourOfDay, dailyAverage',
        tags: ['insights'],
        querystring: InsightsQuery,
        response: { 200: InsightResponse, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const q = request.query
      const type = q.insightType
      const { settings, calendar: cal, nowMs: now } = await daybook.requestTime(q.tz)
      const named =
        q.insightRange === undefined ? undefined : parseInsightRange(q.insightRange, cal)
      // Check each type's parameters before touching the store.
      if (type === 'topN') {
        require(q.insightRange, 'insightRange', type)
        require(q.groupBy, 'groupBy', type)
        require(q.limit, 'limit', type)
      }
      if (type === 'mostActiveDay') {
        require(q.insightRange, 'insightRange', type)
        if (q.bucket !== undefined && !['year', 'month', 'week'].includes(q.bucket)) {
          throw new UnprocessableError(
            'unsupported_bucket',
            'Only year, month, or week buckets are supported',
            'bucket',
          )
        }
      }
      let averageUnit: 'day' | 'month' = 'day'
      if (type === 'aggregatedAverage') {
        require(q.insightRange, 'insightRange', type)
        const bucket = require(q.bucket, 'bucket', type)
        if (bucket !== 'day' && bucket !== 'month') {
          throw new UnprocessableError(
            'unsupported_bucket',
            'Only day or month is supported',
            'bucket',
          )
        }
        averageUnit = bucket
      }

      const range = named ?? (await allTime(daybook.store, cal, now))
      const segments = range
        ? await loadActiveSegments(
            daybook.store,
            settings,
            { range, filters: filtersFromQuery(q), includeAfk: q.includeAfk ?? false },
            now,
          )
        : []
      // Without any activity there is no range: every insight over it is empty.
      const span = range ?? { startMs: now, endMs: now }
      switch (type) {
        case 'activeYears':
          return { activeYears: activeYears(segments, cal) }
        case 'topN':
          return { topN: totalsByGroup(segments, q.groupBy).slice(0, q.limit) }
        case 'mostActiveDay':
          return { mostActiveDay: mostActiveDay(segments, span, cal) }
        case 'aggregatedAverage':
          return {
            aggregatedAverage: aggregatedAverage(segments, span, cal, averageUnit, q.groupBy),
          }
        case 'streak':
          return { streak: streak(segments, span, cal, now) }
        case 'hourOfDay':
          return { hourOfDay: hourOfDay(segments, span, cal, now) }
        case 'dailyAverage':
          return { dailyAverage: dailyAverage(segments, span, cal, now) }
      }
    },
  )
}
