/**
 * Keyboard and mouse activity. `POST /frames` and `GET /activity/summary` speak the frames wire
 * (served at the root and under `/v1`); `POST /v1/input` is Daybook's own batch route, used by
 * `daybook watch input`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifySchemaCompiler } from 'fastify'
import { Type } from '#typebox'
import { BadRequestError, RateLimitedError } from '../../domain/errors.ts'
import {
  DEFAULT_FRAMES_SOURCE,
  INPUT_KINDS,
  type InputCounts,
  bucketFor,
  lenientCount,
  lenientInt,
} from '../../domain/input.ts'
import { DAY_MS } from '../../domain/time.ts'
import type { RateLimiter } from '../rate-limiter.ts'
import {
  ActivitySummary,
  ActivitySummaryQuery,
  BATCH_ID_PATTERN,
  FramesBody,
  InputBatch,
  InputBatchResult,
  SOURCE_PATTERN,
  FramesError,
} from '../schemas/input.ts'
import { errorResponses } from '../schemas/responses.ts'

export interface FramesRoutesOptions {
  /** Serve the summary without a token, as the frames server did. */
  publicSummary: boolean
  /** Limits summary requests per client address; shared by the root and `/v1` paths. */
  summaryLimiter: RateLimiter
}

/** Frames are read leniently by the handler, as the frames server read them; the schema only documents. */
const acceptAnyBody: FastifySchemaCompiler<unknown> = () => () => true

const SOURCE_RE = new RegExp(SOURCE_PATTERN)
const BATCH_ID_RE = new RegExp(BATCH_ID_PATTERN)

/** `POST /frames` and `GET /activity/summary`. */
export const framesRoutes: FastifyPluginAsyncTypebox<FramesRoutesOptions> = async (
  app,
  options,
) => {
  app.post(
    '/frames',
    {
      config: { access: 'ingest', wire: 'frames' },
      bodyLimit: 64 * 1024,
      validatorCompiler: acceptAnyBody,
      schema: {
        summary: 'Add a frame of input counts to its 5-minute bucket (frames wire)',
        description:
          'Auth: `Authorization: <key>` or `Bearer <key>`, any token with the ingest scope. ' +
          'Errors are `{"error": code}`: 401 `unauthorized`, 400 `invalid_json` for a body that ' +
          'is not a JSON object (or not JSON), 400 `invalid_source` / `invalid_batch_id`.',
        tags: ['input'],
        body: FramesBody,
        response: {
          200: Type.Object({ message: Type.Literal('ok') }),
          400: FramesError,
          401: FramesError,
          413: FramesError,
        },
      },
    },
    async (request) => {
      const frame = readFrame(request.body)
      const now = request.daybook.clock()
      await request.daybook.ingest.input([
        {
          ...frame.counts,
          bucketMs: bucketFor(frame.timestampMs, now),
          source: frame.source,
          batchId: frame.batchId,
        },
      ])
      await request.daybook.inputRetention.maybeRun()
      return { message: 'ok' as const }
    },
  )

  app.get(
    '/activity/summary',
    {
      config: { access: options.publicSummary ? 'public' : 'read' },
      onRequest: async (request) => {
        const decision = options.summaryLimiter.hit(request.ip ?? 'local')
        if (!decision.allowed) {
          throw new RateLimitedError(
            'rate_limited',
            `too many summary requests from this address; retry in ${decision.retryAfterSec} s`,
            decision.retryAfterSec,
          )
        }
      },
      schema: {
        summary: 'Input counts per 5-minute bucket (all sources summed) for the last days',
        tags: ['input'],
        ...(options.publicSummary ? { security: [] } : {}),
        querystring: ActivitySummaryQuery,
        response: { 200: ActivitySummary, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const since = request.daybook.clock() - request.query.days * DAY_MS
      const buckets = await request.daybook.store.input.buckets({ startMs: since })
      return { rows: buckets.map(({ bucketMs, ...counts }) => ({ t: bucketMs, ...counts })) }
    },
  )
}

/** `POST /v1/input`. */
export const inputRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/input',
    {
      config: { access: 'ingest' },
      bodyLimit: 4 * 1024 * 1024,
      schema: {
        summary: 'Add batches of input counts, each to its 5-minute bucket, exactly once',
        description:
          'Each bucket carries an id; a bucket whose id was already added is a duplicate and ' +
          'changes nothing, so a batch re-sent after a lost response is not counted twice. ' +
          'Buckets are placed by `timestamp_ms` when within the last 30 days and not in the ' +
          'future, else at the receive time. All of a batch lands, or none.',
        tags: ['input'],
        body: InputBatch,
        response: { 200: InputBatchResult, ...errorResponses(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request) => {
      const now = request.daybook.clock()
      const { source, buckets, device } = request.body
      const result = await request.daybook.ingest.input(
        buckets.map(({ id, timestamp_ms, ...counts }) => ({
          ...counts,
          bucketMs: bucketFor(timestamp_ms, now),
          source,
          device: device ?? null,
          batchId: id,
        })),
      )
      await request.daybook.inputRetention.maybeRun()
      return result
    },
  )
}

interface Frame {
  timestampMs: number | undefined
  counts: InputCounts
  source: string
  batchId: string | undefined
}

/** A frame from any JSON value, with the frames server's leniency; throws for a body that is no object. */
function readFrame(body: unknown): Frame {
  if (!isObject(body)) {
    throw new BadRequestError('invalid_json', 'the body must be a JSON object')
  }
  const summary = isObject(body.summary) ? body.summary : {}
  const counts = Object.fromEntries(
    INPUT_KINDS.map((k) => [k, lenientCount(summary[`total_${k}`])]),
  ) as InputCounts
  const source = body.source ?? DEFAULT_FRAMES_SOURCE
  if (typeof source !== 'string' || source.length > 64 || !SOURCE_RE.test(source)) {
    throw new BadRequestError(
      'invalid_source',
      'source must be a collector name of 1 to 64 characters',
    )
  }
  const batchId = body.batch_id
  if (
    batchId !== undefined &&
    (typeof batchId !== 'string' || batchId.length > 128 || !BATCH_ID_RE.test(batchId))
  ) {
    throw new BadRequestError('invalid_batch_id', 'batch_id must be an id of 1 to 128 characters')
  }
  const ts = lenientInt(body.timestamp_ms)
  return { timestampMs: ts, counts, source, batchId }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
