/**
 * `POST /events` (ingest a batch) and `GET /events` (list them, flat or grouped), seed 000's wire.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { dimensionValue } from '../../domain/events.ts'
import { resolvePreset } from '../../domain/presets.ts'
import { BucketQuery, filtersFromQuery, presetFromQuery } from '../schemas/common.ts'
import {
  EventBatch,
  EventsResponse,
  type FullEvent,
  IngestResult,
  MAX_BATCH_BYTES,
  toFullEvent,
  toNewEvent,
} from '../schemas/events.ts'
import { errorResponses } from '../schemas/responses.ts'

export const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/events',
    {
      config: { access: 'ingest' },
      bodyLimit: MAX_BATCH_BYTES,
      schema: {
        summary: 'Store a batch of events (all or nothing; re-sent events are no-ops)',
        tags: ['events'],
        body: EventBatch,
        response: { 200: IngestResult, ...errorResponses(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request) => {
      const events = request.body.map(toNewEvent)
      // Answered only after the transaction has committed: an acknowledged batch is on disk.
      return app.daybook.store.insertEvents(events)
    },
  )

  app.get(
    '/events',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Events overlapping a preset range, flat or grouped by a dimension',
        tags: ['events'],
        querystring: BucketQuery,
        response: { 200: EventsResponse, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const q = request.query
      const { daybook } = app
      const { calendar, nowMs } = await daybook.requestTime(q.tz)
      const range = resolvePreset(presetFromQuery(q.preset), nowMs, calendar)
      const events = await daybook.store.events({
        range,
        filters: filtersFromQuery(q),
        requireDimension: q.groupBy,
      })
      if (!q.groupBy) return { Flat: events.map(toFullEvent) }
      const groups = new Map<string, FullEvent[]>()
      for (const e of events) {
        const key = dimensionValue(e, q.groupBy) ?? ''
        let list = groups.get(key)
        if (!list) groups.set(key, (list = []))
        list.push(toFullEvent(e))
      }
      // Groups in name order, events by start then id: the same request gives the same bytes.
      const names = [...groups.keys()].sort()
      return { Grouped: names.map((group) => ({ group, events: groups.get(group) ?? [] })) }
    },
  )
}
