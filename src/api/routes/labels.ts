/**
 * Labels: `GET/POST /v1/labels`, `PUT/DELETE /v1/labels/:id`, `POST /v1/labels/search`. Reading
 * needs a read token; writing the data scope.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import { NotFoundError } from '../../domain/errors.ts'
import { LabelBody, LabelPatch, LabelWire, labelToWire } from '../schemas/labels.ts'
import { errorResponses } from '../schemas/responses.ts'
import { checkRangeOrder } from '../../domain/time.ts'
import { BODY_UTC } from '../schemas/common.ts'

const Id = Type.Object({ id: Type.String({ format: 'uuid' }) })

function range(startUtc: number, endUtc: number) {
  checkRangeOrder(startUtc, endUtc, BODY_UTC)
  return { startMs: Math.round(startUtc * 1000), endMs: Math.round(endUtc * 1000) }
}

export const labelRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/labels',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Labels: the most recent, or those overlapping startUtc..endUtc (by start)',
        tags: ['labels'],
        querystring: Type.Object({
          startUtc: Type.Optional(Type.Number({ minimum: 0 })),
          endUtc: Type.Optional(Type.Number({ minimum: 0 })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
        }),
        response: { 200: Type.Array(LabelWire), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { startUtc, endUtc, limit } = request.query
      const ranged = startUtc !== undefined || endUtc !== undefined
      const labels = await request.daybook.store.labels.list({
        range: ranged
          ? {
              startMs: startUtc === undefined ? undefined : startUtc * 1000,
              endMs: endUtc === undefined ? undefined : endUtc * 1000,
            }
          : undefined,
        limit,
      })
      return labels.map(labelToWire)
    },
  )

  app.post(
    '/labels',
    {
      config: { access: 'analysis' },
      schema: {
        summary: 'Label a stretch of time',
        tags: ['labels'],
        body: LabelBody,
        response: { 200: LabelWire, ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) => {
      const { text, context, startUtc, endUtc } = request.body
      const label = await request.daybook.labels.create({
        text,
        context: context ?? null,
        ...range(startUtc, endUtc),
      })
      return labelToWire(label)
    },
  )

  app.put(
    '/labels/:id',
    {
      config: { access: 'analysis' },
      schema: {
        summary: 'Change a label (the fields given)',
        tags: ['labels'],
        params: Id,
        body: LabelPatch,
        response: { 200: LabelWire, ...errorResponses(400, 401, 403, 404, 415, 422) },
      },
    },
    async (request) => {
      const b = request.body
      const patch: Parameters<typeof request.daybook.labels.update>[1] = {}
      if (b.text !== undefined) patch.text = b.text
      if (b.context !== undefined) patch.context = b.context
      if (b.startUtc !== undefined) patch.startMs = Math.round(b.startUtc * 1000)
      if (b.endUtc !== undefined) patch.endMs = Math.round(b.endUtc * 1000)
      return labelToWire(
        await request.daybook.labels.update(request.params.id.toLowerCase(), patch),
      )
    },
  )

  app.delete(
    '/labels/:id',
    {
      config: { access: 'analysis' },
      schema: {
        summary: 'Delete a label',
        tags: ['labels'],
        params: Id,
        response: {
          200: Type.Object({ ok: Type.Boolean() }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      if (!(await request.daybook.labels.delete(request.params.id.toLowerCase()))) {
        throw new NotFoundError('label_not_found', `no label with id ${request.params.id}`, 'id')
      }
      return { ok: true }
    },
  )

  app.post(
    '/labels/search',
    {
      config: { access: 'analysis' },
      schema: {
        summary: 'Labels whose text or context matches, best first (BM25)',
        tags: ['labels'],
        body: Type.Object(
          {
            query: Type.String({ minLength: 1, maxLength: 500 }),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(LabelWire), ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) =>
      (await request.daybook.store.labels.search(request.body.query, request.body.limit ?? 20)).map(
        labelToWire,
      ),
  )
}
