/**
 * `GET /summary/total`, `/summary/buckets` and `/summary/range`: active time, seed 000's wire,
 * all three computed with the one definition in `src/domain/timeline.ts`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  type BucketUnit,
  type TimeRange,
  parseTimestamp,
  splitRange,
} from '../../domain/calendar.ts'
import { UnprocessableError } from '../../domain/errors.ts'
import { resolvePreset } from '../../domain/presets.ts'
import { bucketize } from '../../domain/summary.ts'
import { toWholeSecond, totalSeconds } from '../../domain/timeline.ts'
import { loadActiveSegments } from '../../reports/active-time.ts'
import { filtersFromQuery, presetFromQuery } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'
import { BucketRow, BucketsQuery, SummaryQuery } from '../schemas/summary.ts'

/** Most buckets one answer may hold (a decade of hours is 87,600). */
export const MAX_BUCKETS = 100_000

const SHORTEST_BUCKET_MS: Record<BucketUnit, number> = {
  hour: 1_800_000, // a DST change of 30 minutes (Lord Howe) can halve an hour
  day: 23 * 3_600_000,
  week: (7 * 24 - 1) * 3_600_000,
  month: (28 * 24 - 1) * 3_600_000,
  year: (365 * 24 - 1) * 3_600_000,
}

/** The range a summary query names; unbounded sides when `start`/`end` are absent. */
function summaryRange(q: SummaryQuery): TimeRange {
  const startMs =
    q.start === undefined ? Number.NEGATIVE_INFINITY : parseTimestamp(q.start, 'start')
  const endMs = q.end === undefined ? Number.POSITIVE_INFINITY : parseTimestamp(q.end, 'end')
  if (endMs < startMs) throw new UnprocessableError('invalid_range', 'end is before start', 'end')
  return { startMs, endMs }
}

export const summaryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { daybook } = app

  async function total(q: SummaryQuery): Promise<number> {
    const segments = await loadActiveSegments(
      daybook.store,
      await daybook.settings(),
      { range: summaryRange(q), filters: filtersFromQuery(q), includeAfk: q.includeAfk ?? false },
      daybook.clock(),
    )
    return totalSeconds(segments)
  }

  app.get(
    '/summary/total',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Active seconds between start and end, with filters',
        tags: ['summary'],
        querystring: SummaryQuery,
        response: { 200: Type.Integer(), ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => total(request.query),
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
    async (request) => [{ groupKey: 'Total', totalSeconds: await total(request.query) }],
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
    async (request) => {
      const q = request.query
      const { settings, calendar: cal, nowMs: now } = await daybook.requestTime(q.tz)
      const resolved = resolvePreset(presetFromQuery(q.preset), now, cal)
      const range = {
        startMs: toWholeSecond(resolved.startMs),
        endMs: toWholeSecond(resolved.endMs),
      }
      const unit = q.bucket ?? resolved.bucket
      if ((range.endMs - range.startMs) / SHORTEST_BUCKET_MS[unit] > MAX_BUCKETS) {
        throw new UnprocessableError(
          'too_many_buckets',
          `that range holds more than ${MAX_BUCKETS} ${unit} buckets; choose a larger bucket`,
          'bucket',
        )
      }
      const segments = await loadActiveSegments(
        daybook.store,
        settings,
        { range, filters: filtersFromQuery(q), includeAfk: q.includeAfk ?? false },
        now,
      )
      return bucketize(segments, splitRange(range, unit, cal), q.groupBy).map((cell) => ({
        bucket: cell.label,
        groupedValues: { [cell.group]: cell.seconds },
        groupMeta: q.groupBy === 'entity' ? cell.meta : null,
      }))
    },
  )
}
