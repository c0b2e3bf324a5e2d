/**
 * `POST /events` (ingest a batch) and `GET /events` (list them, flat or grouped), Skopio's wire;
 * `POST /v1/events/delete` (Daybook's).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import { parseTimestamp } from '../../domain/calendar.ts'
import { BadRequestError, UnprocessableError } from '../../domain/errors.ts'
import { dimensionValue } from '../../domain/events.ts'
import { resolvePreset } from '../../domain/presets.ts'
import type { EventCursor } from '../../store/ports.ts'
import { BucketQuery, filtersFromQuery, presetFromQuery, Timestamp } from '../schemas/common.ts'
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
import { checkRangeOrder } from '../../domain/time.ts'
import { decodeCursor, encodeCursor } from '../cursor.ts'

/** Most events one listing answers; more are paged (`after`). */
const MAX_EVENT_PAGE = 10_000

/** The response header that carries the cursor of the next page of a listing. */
const NEXT_CURSOR_HEADER = 'daybook-next-cursor'

function parseCursor(value: string): EventCursor {
  const c = decodeCursor(
    value,
    `the ${NEXT_CURSOR_HEADER} header of a previous response (<startMs>:<id>)`,
  )
  return { startMs: c.position, id: c.id }
}

const ListQuery = Type.Object({
  ...BucketQuery.properties,
  preset: Type.Optional(BucketQuery.properties.preset),
  types: Type.Optional(
    Type.String({
      maxLength: 1000,
      description: 'WebSocket only: the envelope types to receive, comma-separated (default all).',
    }),
  ),
  after: Type.Optional(
    Type.String({
      maxLength: 64,
      description:
        `Listing: the ${NEXT_CURSOR_HEADER} header of the previous page. WebSocket: a change-feed ` +
        'sequence number: first replay the changes after it, then go live.',
    }),
  ),
  token: Type.Optional(
    Type.String({
      maxLength: 512,
      description: 'WebSocket only: the token, for clients that cannot set headers.',
    }),
  ),
  limit: Type.Integer({
    minimum: 1,
    maximum: MAX_EVENT_PAGE,
    default: MAX_EVENT_PAGE,
    description: `Most events in this answer (default and maximum ${MAX_EVENT_PAGE}).`,
  }),
})

export const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/events',
    {
      config: { access: 'ingest' },
      bodyLimit: MAX_BATCH_BYTES,
      schema: {
        summary: 'Store a batch of events (all or nothing; a re-send with a later end extends)',
        description:
          'An event is its device, source, start and names. Sent again with a later end it ' +
          'extends the stored event (`updated`); with an equal or earlier end it is a duplicate. ' +
          'Times must be after 1990, start at most 5 minutes in the future, and span at most 7 days.',
        tags: ['events'],
        body: EventBatch,
        response: { 200: IngestResult, ...errorResponses(400, 401, 403, 413, 415, 422) },
      },
    },
    // Answered only after the transaction has committed: an acknowledged batch is on disk.
    async (request) => request.daybook.ingest.events(request.body.map(toNewEvent)),
  )

  app.route({
    method: 'GET',
    url: '/events',
    // A WebSocket upgrade of this path is the live stream: the stream scope suffices, and the
    // token may come as ?token= (browsers cannot set headers on WebSockets).
    config: { access: 'read', wsAccess: 'stream', queryToken: 'websocket' },
    schema: {
      summary: 'Events overlapping a preset range, flat or grouped; or, upgraded, the live stream',
      description:
        `At most \`limit\` events (by start) per answer; when there are more, the ` +
        `\`${NEXT_CURSOR_HEADER}\` header holds the cursor to pass as \`after\` for the next ` +
        'page. Grouping applies within a page. Each event shows the category it counts under ' +
        '(the category rules applied, as in every summary), and `categories` filters by it. ' +
        'A WebSocket upgrade of this path (stream scope) is the live stream: envelopes ' +
        '{type, ts_unix_ms, correlation_id, payload} carrying events as stored; `types` picks ' +
        'envelope types, `after` replays the change feed first.',
      tags: ['events'],
      querystring: ListQuery,
      response: { 200: EventsResponse, ...errorResponses(400, 401, 403, 422) },
    },
    wsHandler: async (socket, request) => {
      const hub = request.daybook.stream
      if (!hub) {
        socket.close(1011, 'the live stream is not available')
        return
      }
      const q = request.query
      const after = q.after === undefined ? undefined : Number(q.after)
      if (after !== undefined && !(Number.isSafeInteger(after) && after >= 0)) {
        socket.close(1008, 'after must be a change-feed sequence number')
        return
      }
      const types = q.types === undefined ? null : new Set(q.types.split(',').map((t) => t.trim()))
      const peer = request.socket.remoteAddress
        ? `${request.socket.remoteAddress}:${request.socket.remotePort ?? 0}`
        : 'unix'
      await hub.attach(socket, { peer, types, after })
    },
    handler: async (request, reply) => {
      const q = request.query
      if (q.preset === undefined) {
        throw new BadRequestError(
          'invalid_query',
          'preset is required: the range to list',
          'preset',
        )
      }
      const { calendar, nowMs } = await request.daybook.requestTime(q.tz)
      const range = resolvePreset(presetFromQuery(q.preset), nowMs, calendar)
      const page = await request.daybook.events.list({
        range,
        filters: filtersFromQuery(q),
        requireDimension: q.groupBy,
        limit: q.limit,
        after: q.after === undefined ? undefined : parseCursor(q.after),
      })
      if (page.next)
        void reply.header(NEXT_CURSOR_HEADER, encodeCursor(page.next.startMs, page.next.id))
      if (!q.groupBy) return { Flat: page.events.map(toFullEvent) }
      const groups = new Map<string, FullEvent[]>()
      for (const e of page.events) {
        const key = dimensionValue(e, q.groupBy) ?? ''
        let list = groups.get(key)
        if (!list) groups.set(key, (list = []))
        list.push(toFullEvent(e))
      }
      // Groups in name order, events by start then id: the same request gives the same bytes.
      const names = [...groups.keys()].sort()
      return { Grouped: names.map((group) => ({ group, events: groups.get(group) ?? [] })) }
    },
  })
}

const DeleteBody = Type.Object(
  {
    ids: Type.Optional(
      Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: 10_000 }),
    ),
    start: Type.Optional(Timestamp),
    end: Type.Optional(Timestamp),
    sources: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 100 }),
    ),
    devices: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 100 }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Every condition given must hold: events with these ids, starting in [start, end), ' +
      'from these sources, on these devices. At least one condition.',
  },
)

/** `POST /v1/events/delete`. */
export const eventDeleteRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/events/delete',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Delete events (by id, start range, source, device)',
        description:
          'Deleted events leave tombstones in the change feed, so collectors and sync learn of ' +
          'it, and stay deleted: sending one again is a duplicate.',
        tags: ['events'],
        body: DeleteBody,
        response: {
          200: Type.Object({ deleted: Type.Integer() }),
          ...errorResponses(400, 401, 403, 415, 422),
        },
      },
    },
    async (request) => {
      const b = request.body
      if (!b.ids && !b.start && !b.end && !b.sources && !b.devices) {
        throw new UnprocessableError(
          'no_condition',
          'name what to delete: ids, start and/or end, sources or devices',
          'body',
        )
      }
      const startMs = b.start === undefined ? undefined : parseTimestamp(b.start, 'body/start')
      const endMs = b.end === undefined ? undefined : parseTimestamp(b.end, 'body/end')
      checkRangeOrder(startMs, endMs, { start: 'body/start', end: 'body/end' })
      return request.daybook.ingest.deleteEvents({
        ids: b.ids?.map((id) => id.toLowerCase()),
        startMs,
        endMs,
        sources: b.sources,
        devices: b.devices,
      })
    },
  )
}
