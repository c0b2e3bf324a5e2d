/**
 * `POST /afk` and `GET /afk`: periods away from the keyboard, Skopio's wire.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import { resolvePreset } from '../../domain/presets.ts'
import { BucketQuery, presetFromQuery } from '../schemas/common.ts'
import {
  AfkBatch,
  AfkIngestResult,
  MAX_BATCH_BYTES,
  afkToFullEvent,
  toAfkPeriod,
} from '../schemas/events.ts'
import { errorResponses } from '../schemas/responses.ts'

export const afkRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/afk',
    {
      config: { access: 'ingest' },
      bodyLimit: MAX_BATCH_BYTES,
      schema: {
        summary:
          'Store AFK periods; an open period (null end) is closed by re-sending it with an end',
        description:
          'A period is its device and start. An open period that is never closed ends, for ' +
          'active time, at the first sign of presence on its device after it (input counts, or ' +
          "an editor's event).",
        tags: ['afk'],
        body: AfkBatch,
        response: { 200: AfkIngestResult, ...errorResponses(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request) => request.daybook.ingest.afk(request.body.map(toAfkPeriod)),
  )

  app.get(
    '/afk',
    {
      config: { access: 'read' },
      schema: {
        summary: 'AFK periods overlapping a preset range (filters and groupBy do not apply)',
        tags: ['afk'],
        querystring: BucketQuery,
        response: { 200: Type.Array(Type.Ref('FullEvent')), ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const { calendar, nowMs } = await request.daybook.requestTime(request.query.tz)
      const range = resolvePreset(presetFromQuery(request.query.preset), nowMs, calendar)
      return (await request.daybook.store.afk.list(range)).map(afkToFullEvent)
    },
  )
}
