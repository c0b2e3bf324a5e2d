/**
 * `POST /v1/analysis/*`: computations over stored input activity for a range of unix seconds.
 * An empty range, or one without data, answers zeros (`"n_epochs": 0`), never an error.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { UnprocessableError } from '../../domain/errors.ts'
import { INPUT_KINDS, type InputBucket, emptyCounts, inputMetrics } from '../../domain/input.ts'
import { lttbIndices } from '../../domain/lttb.ts'
import {
  AnalysisRange,
  InputMetricsResponse,
  InputTimeseriesResponse,
  MAX_ANALYSIS_SPAN_SEC,
} from '../schemas/input.ts'
import { errorResponses } from '../schemas/responses.ts'
import { checkRangeOrder } from '../../domain/time.ts'
import { BODY_UTC } from '../schemas/common.ts'

/** The most rows the timeseries route returns. */
const MAX_SERIES_POINTS = 800

export const analysisRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const rangeOf = (body: AnalysisRange) => {
    checkRangeOrder(body.startUtc, body.endUtc, BODY_UTC)
    if (body.endUtc - body.startUtc > MAX_ANALYSIS_SPAN_SEC) {
      throw new UnprocessableError(
        'range_too_long',
        `the range spans more than ${MAX_ANALYSIS_SPAN_SEC / 86_400} days`,
        'body/endUtc',
      )
    }
    return { startMs: Math.round(body.startUtc * 1000), endMs: Math.round(body.endUtc * 1000) }
  }

  app.post(
    '/analysis/metrics',
    {
      config: { access: 'analysis' },
      schema: {
        summary: 'Input totals, per-minute rates and active minutes over a range',
        tags: ['analysis'],
        body: AnalysisRange,
        response: { 200: InputMetricsResponse, ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => {
      const { startMs, endMs } = rangeOf(request.body)
      const buckets = await request.daybook.store.input.buckets({ startMs, endMs })
      return { ...request.body, ...inputMetrics(buckets, startMs, endMs) }
    },
  )

  app.post(
    '/analysis/timeseries',
    {
      config: { access: 'analysis' },
      schema: {
        summary: `Input per 5-minute bucket over a range, downsampled (LTTB) to at most ${MAX_SERIES_POINTS} rows`,
        tags: ['analysis'],
        body: AnalysisRange,
        response: { 200: InputTimeseriesResponse, ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => {
      const { startMs, endMs } = rangeOf(request.body)
      const buckets = await request.daybook.store.input.buckets({ startMs, endMs })
      const kept = downsample(buckets, MAX_SERIES_POINTS)
      return {
        ...request.body,
        n_epochs: buckets.length,
        n_points: kept.length,
        epoch_sec: 300,
        rows: kept.map(({ bucketMs, ...counts }) => ({ t: bucketMs, ...counts })),
      }
    },
  )
}

/**
 * At most `max` buckets chosen by LTTB on each bucket's activity: the sum of its counts, each kind
 * divided by that kind's maximum, so motion (hundreds per bucket) does not drown key presses.
 */
function downsample(buckets: readonly InputBucket[], max: number): InputBucket[] {
  if (buckets.length <= max) return [...buckets]
  const peaks = emptyCounts()
  for (const b of buckets) for (const k of INPUT_KINDS) peaks[k] = Math.max(peaks[k], b[k])
  const ys = buckets.map((b) =>
    INPUT_KINDS.reduce((sum, k) => sum + (peaks[k] === 0 ? 0 : b[k] / peaks[k]), 0),
  )
  const xs = buckets.map((b) => b.bucketMs)
  return lttbIndices(xs, ys, max).map((i) => buckets[i] as InputBucket)
}
