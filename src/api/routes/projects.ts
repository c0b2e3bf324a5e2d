/**
 * `GET /projects` (keyset pages or name search) and `GET /projects/:id`, Skopio's wire.
 *
 * Cursors are first-row-of-page cursors, `"<lastUpdated>:<id>"`: `cursors[k]` opens page k+1,
 * and passing it as `after` returns that page starting *with* that row (Skopio skipped it).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import type { ProjectCursor } from '../../store/ports.ts'
import { Nullable, Uuid } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'
import { decodeCursor, encodeCursor } from '../cursor.ts'

const ProjectListQuery = Type.Object({
  after: Type.Optional(
    Type.String({
      maxLength: 100,
      description: 'A cursor from `cursors`: the page starting with that row.',
    }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  query: Type.Optional(
    Type.String({ maxLength: 256, description: 'Word-prefix search on names; empty lists all.' }),
  ),
})

const ProjectList = Type.Object({
  data: Type.Array(Type.Ref('Project')),
  totalPages: Nullable(Type.Integer()),
  cursors: Type.Array(Type.String()),
})

function parseCursor(value: string): ProjectCursor {
  const c = decodeCursor(value, 'a cursor from a previous response (`<lastUpdated>:<id>`)')
  return { lastUpdated: c.position, id: c.id }
}

export const projectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/projects',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Projects, most recently active first (keyset pages), or searched by name',
        tags: ['projects'],
        querystring: ProjectListQuery,
        response: { 200: ProjectList, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { after, limit, query } = request.query
      const { catalog } = request.daybook.store
      if (query !== undefined && query.trim() !== '') {
        return {
          data: await catalog.searchProjects(query.trim(), limit),
          totalPages: null,
          cursors: [],
        }
      }
      const page = await catalog.projects({
        from: after === undefined ? undefined : parseCursor(after),
        limit,
      })
      return {
        data: page.data,
        totalPages: page.totalPages,
        cursors: page.cursors.map((c) => encodeCursor(c.lastUpdated, c.id)),
      }
    },
  )

  app.get(
    '/projects/:id',
    {
      config: { access: 'read' },
      schema: {
        summary: 'One project by id, or null',
        tags: ['projects'],
        params: Type.Object({ id: Uuid }),
        response: { 200: Nullable(Type.Ref('Project')), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => (await request.daybook.store.catalog.project(request.params.id)) ?? null,
  )
}
