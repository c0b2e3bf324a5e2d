/**
 * Search: `POST /v1/search/events` (hits, newest first), `POST /v1/search/events/stream` (the
 * same as server-sent events, a day at a time, stopping when the client goes away), and
 * `POST /v1/search/compare` (two periods side by side). The data scope.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import { formatTimestamp } from '../../domain/calendar.ts'
import { compareNames } from '../../domain/summary.ts'
import type { SearchHit } from '../../domain/search.ts'
import { GroupBy, TimeZoneParam } from '../schemas/common.ts'
import { toFullEvent } from '../schemas/events.ts'
import { labelToWire } from '../schemas/labels.ts'
import { errorResponses } from '../schemas/responses.ts'
import { checkRangeOrder } from '../../domain/time.ts'
import { BODY_UTC, UnixSeconds } from '../schemas/common.ts'

export const SearchBody = Type.Object(
  {
    text: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'Words; each matches as a prefix.',
    }),
    startUtc: Type.Optional(UnixSeconds()),
    endUtc: Type.Optional(UnixSeconds()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 50.' })),
  },
  { additionalProperties: false },
)

const Hit = Type.Union([
  Type.Object({
    type: Type.Literal('event'),
    event: Type.Ref('FullEvent'),
    activeSeconds: Type.Integer(),
  }),
  Type.Object({
    type: Type.Literal('label'),
    label: Type.Ref('Label'),
    activeSeconds: Type.Integer(),
  }),
])

function hitToWire(h: SearchHit) {
  return h.type === 'event'
    ? { type: 'event' as const, event: toFullEvent(h.event), activeSeconds: h.activeSeconds }
    : { type: 'label' as const, label: labelToWire(h.label), activeSeconds: h.activeSeconds }
}

function rangeOf(b: { startUtc?: number | undefined; endUtc?: number | undefined }) {
  checkRangeOrder(b.startUtc, b.endUtc, BODY_UTC)
  return {
    startMs: b.startUtc === undefined ? undefined : Math.round(b.startUtc * 1000),
    endMs: b.endUtc === undefined ? undefined : Math.round(b.endUtc * 1000),
  }
}

/** How often an idle stream sends a comment, so proxies and clients know it is alive. */
const KEEP_ALIVE_MS = 15_000

export const searchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/search/events',
    {
      config: { access: 'analysis' },
      schema: {
        summary:
          'Events and labels whose names match, newest first, with the active time they owned',
        description:
          'Matches entity names (files, window titles, URLs), projects, apps, branches and label text.',
        tags: ['search'],
        body: SearchBody,
        response: { 200: Type.Array(Hit), ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => {
      const { calendar } = await request.daybook.requestTime()
      const hits = await request.daybook.search.search(
        request.body.text,
        rangeOf(request.body),
        request.body.limit ?? 50,
        calendar,
      )
      return hits.map(hitToWire)
    },
  )

  app.post(
    '/search/events/stream',
    {
      config: { access: 'analysis' },
      schema: {
        summary: 'The same search as server-sent events, a day at a time, newest first',
        description:
          'text/event-stream of `data:` lines: `{"kind":"started"}`, one `{"kind":"result"}` per ' +
          'hit as it is found, `{"kind":"progress","searchedFrom"}` after each day, then ' +
          '`{"kind":"done","total":N}` (or `{"kind":"error"}`, or `{"kind":"cancelled"}`). ' +
          'Comments every 15 s keep it alive; closing the connection stops the search.',
        tags: ['search'],
        body: SearchBody,
        response: errorResponses(400, 401, 403, 415, 422),
      },
    },
    async (request, reply) => {
      const { calendar } = await request.daybook.requestTime()
      const range = rangeOf(request.body)
      const limit = request.body.limit ?? 50
      const stop = new AbortController()
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      const send = (data: unknown) => {
        if (!res.destroyed) res.write(`data: ${JSON.stringify(data)}\n\n`)
      }
      // The client going away stops the work between days.
      res.on('close', () => stop.abort())
      const keepAlive = setInterval(() => {
        if (!res.destroyed) res.write(': keep-alive\n\n')
      }, KEEP_ALIVE_MS)
      let total = 0
      let days = 0
      try {
        send({ kind: 'started', text: request.body.text, limit })
        for await (const { day, hits } of request.daybook.search.stream(
          request.body.text,
          range,
          limit,
          calendar,
          stop.signal,
        )) {
          for (const hit of hits) send({ kind: 'result', hit: hitToWire(hit), done_count: ++total })
          send({ kind: 'progress', searchedFrom: formatTimestamp(day.startMs) })
          days++
        }
        if (stop.signal.aborted) {
          request.log.info({ days, total }, 'search stream stopped: the client went away')
          send({ kind: 'cancelled', total })
        } else send({ kind: 'done', total })
      } catch (err) {
        request.log.error({ err }, 'search stream failed')
        send({ kind: 'error', message: 'the search failed; see the daemon log' })
      } finally {
        clearInterval(keepAlive)
        res.end()
      }
    },
  )

  const Period = Type.Object(
    { startUtc: UnixSeconds(), endUtc: UnixSeconds() },
    { additionalProperties: false },
  )

  app.post(
    '/search/compare',
    {
      config: { access: 'analysis' },
      schema: {
        summary: 'Two periods side by side: active seconds per group in each, and the difference',
        tags: ['search'],
        body: Type.Object(
          {
            a: Period,
            b: Period,
            groupBy: Type.Optional(GroupBy),
            tz: Type.Optional(TimeZoneParam),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            a: Type.Object({ total: Type.Integer() }),
            b: Type.Object({ total: Type.Integer() }),
            groups: Type.Array(
              Type.Object({
                group: Type.String(),
                a: Type.Integer(),
                b: Type.Integer(),
                difference: Type.Integer({ description: 'b − a.' }),
              }),
            ),
          }),
          ...errorResponses(400, 401, 403, 415, 422),
        },
      },
    },
    async (request) => {
      const { calendar } = await request.daybook.requestTime(request.body.tz)
      const totals = async (p: { startUtc: number; endUtc: number }, name: string) => {
        checkRangeOrder(p.startUtc, p.endUtc, {
          start: `body/${name}/startUtc`,
          end: `body/${name}/endUtc`,
        })
        const cells = await request.daybook.activeTime.cells({
          range: { startMs: p.startUtc * 1000, endMs: p.endUtc * 1000 },
          unit: null,
          calendar,
          groupBy: request.body.groupBy,
          filters: {},
          includeAfk: false,
        })
        return new Map(cells.map((c) => [c.group, c.seconds]))
      }
      const [a, b] = [await totals(request.body.a, 'a'), await totals(request.body.b, 'b')]
      const sum = (m: Map<string, number>) => [...m.values()].reduce((s, v) => s + v, 0)
      const groups = [...new Set([...a.keys(), ...b.keys()])]
        .map((group) => {
          const [x, y] = [a.get(group) ?? 0, b.get(group) ?? 0]
          return { group, a: x, b: y, difference: y - x }
        })
        .sort((p, q) => Math.max(q.a, q.b) - Math.max(p.a, p.b) || compareNames(p.group, q.group))
      return { a: { total: sum(a) }, b: { total: sum(b) }, groups }
    },
  )
}
