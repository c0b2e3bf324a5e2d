/**
 * `GET /v1/changes?after=SEQ&limit=N`: the change feed. Every stored change has a strictly
 * increasing sequence number, assigned in its write transaction, so a reader that pages with
 * `next` sees every committed change; live streams, hooks and sync read it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import type { Change } from '../../domain/changes.ts'
import { errorResponses } from '../schemas/responses.ts'
import { afkToFullEvent, toFullEvent } from '../schemas/events.ts'
import { labelToWire } from '../schemas/labels.ts'

/** A change as the wire carries it: `data` is the row as it now is, or `{id}` for a deletion. */
export function changeToWire(c: Change): {
  seq: number
  kind: Change['kind']
  op: Change['op']
  data: unknown
} {
  const data =
    c.op === 'delete'
      ? { id: c.id }
      : c.kind === 'event'
        ? toFullEvent(c.event)
        : c.kind === 'afk'
          ? afkToFullEvent(c.afk)
          : c.kind === 'device'
            ? c.device
            : c.kind === 'label'
              ? labelToWire(c.label)
              : { key: c.key, value: c.value }
  return { seq: c.seq, kind: c.kind, op: c.op, data }
}

const WireChange = Type.Object({
  seq: Type.Integer(),
  kind: Type.Union([
    Type.Literal('event'),
    Type.Literal('afk'),
    Type.Literal('setting'),
    Type.Literal('device'),
    Type.Literal('label'),
  ]),
  op: Type.Union([Type.Literal('upsert'), Type.Literal('delete')]),
  data: Type.Unknown({ description: 'The row as it now is (`{id}` for a deletion).' }),
})

export const changeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/changes',
    {
      config: { access: 'read' },
      schema: {
        summary: 'The change feed: every stored change after a sequence number, in order',
        description:
          'Compacted: a row appears once, at its latest change, as it now is (`op` upsert); ' +
          'deletions appear as `op` delete with the id. Pass `next` as `after` to continue.',
        tags: ['changes'],
        querystring: Type.Object({
          after: Type.Integer({ minimum: 0, default: 0 }),
          limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
        }),
        response: {
          200: Type.Object({ changes: Type.Array(WireChange), next: Type.Integer() }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { changes, next } = await request.daybook.store.changes.after(
        request.query.after,
        request.query.limit,
      )
      return { changes: changes.map(changeToWire), next }
    },
  )
}
