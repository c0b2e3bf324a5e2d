/**
 * `GET /apps` and `GET /categories`: the names activity has been recorded under.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import { Uuid } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'

const NamedList = Type.Array(Type.Object({ id: Uuid, name: Type.String() }))

export const catalogRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/apps',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Tracked apps, by name',
        tags: ['catalog'],
        response: { 200: NamedList, ...errorResponses(401, 403) },
      },
    },
    async (request) => request.daybook.store.catalog.apps(),
  )

  app.get(
    '/categories',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Tracked categories, and those the category rules count time under, by name',
        tags: ['catalog'],
        response: { 200: NamedList, ...errorResponses(401, 403) },
      },
    },
    async (request) => request.daybook.store.catalog.categories(),
  )
}
