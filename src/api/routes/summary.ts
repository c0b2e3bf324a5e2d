/**
 * `GET /summary/total`, `/summary/buckets` and `/summary/range`: active time on Skopio's wire,
 * answered by the active-time service (the one definition in `src/domain/timeline.ts`).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import { resolvePreset } from '../../domain/presets.ts'
import { filtersFromQuery, presetFromQuery, rangeFromQuery } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'
import { BucketRow, BucketsQuery, SummaryQuery } from '../schemas/summary.ts'
import type { DaybookContext } from '../context.ts'

export const summaryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /** The range a summary query names: a preset, or `start`/`end` (each optional). */
  async function total(daybook: DaybookContext, q: SummaryQuery): Promise<number> {
    const { calendar, nowMs } = await daybook.requestTime(q.tz)
    const range = rangeFromQuery(q, nowMs, calendar)
    return daybook.activeTime.total({
      range,
      calendar,
      filters: filtersFromQuery(q),
      includeAfk: q.includeAfk ?? false,
    })
  }

  app.get(
    '/summary/total',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Active seconds in a range (a preset, or start/end), with filters',
        tags: ['summary'],
        querystring: SummaryQuery,
        response: { 200: Type.Integer(), ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => total(request.daybook, request.query),
  )

  app.get(
    '/summary/range',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Legacy form of /summary/total: [{"groupKey":"Total","totalSeconds":N}]',
        tags: ['summary'],
        querystring: SummaryQuery,
        response: {
          200: Type.Array(Type.Object({ groupKey: Type.String(), totalSeconds: Type.Integer() })),
          ...errorResponses(400, 401, 403, 422),
        },
      },
    },
    async (request) => [
      { groupKey: 'Total', totalSeconds: await total(request.daybook, request.query) },
    ],
  )

  app.get(
    '/summary/buckets',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Active seconds per calendar bucket and group, one element per (bucket, group)',
        tags: ['summary'],
        querystring: BucketsQuery,
        response: { 200: Type.Array(BucketRow), ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const q = request.query
      const { calendar, nowMs } = await request.daybook.requestTime(q.tz)
      const resolved = resolvePreset(presetFromQuery(q.preset), nowMs, calendar)
      // Written as JSON by the store's reader thread (the rows of `BucketRow`): a year of hours
      // by entity is megabytes, and building and serialising it here would hold the HTTP thread.
      const json = await request.daybook.activeTime.bucketRowsJson({
        range: resolved,
        unit: q.bucket ?? resolved.bucket,
        calendar,
        groupBy: q.groupBy,
        filters: filtersFromQuery(q),
        includeAfk: q.includeAfk ?? false,
      })
      return reply
        .type('application/json; charset=utf-8')
        .send(Buffer.from(json.buffer, json.byteOffset, json.byteLength) as never)
    },
  )
}
