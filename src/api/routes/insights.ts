/**
 * `GET /insights`: Skopio's insight types and the ones a user asks next, on the active timeline.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from '#typebox'
import { BadRequestError, UnprocessableError } from '../../domain/errors.ts'
import { parseInsightRange } from '../../domain/insights.ts'
import { filtersFromQuery } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'
import { InsightResponse, InsightsQuery } from '../schemas/summary.ts'

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
      const { calendar } = await request.daybook.requestTime(q.tz)
      const named =
        q.insightRange === undefined ? undefined : parseInsightRange(q.insightRange, calendar)
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

      return (await request.daybook.insights.insight({
        type,
        range: named,
        calendar,
        groupBy: q.groupBy,
        limit: q.limit,
        averageUnit,
        filters: filtersFromQuery(q),
        includeAfk: q.includeAfk ?? false,
      })) as Static<typeof InsightResponse>
    },
  )
}
