/**
 * About the daemon itself: its version and its API description.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import { PROTOCOL_VERSION } from '../../version.ts'
import { openApiDocument } from '../openapi.ts'

export const metaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  let document: Promise<unknown> | undefined
  app.get(
    '/version',
    {
      config: { access: 'stream' },
      schema: {
        summary: 'Daemon name, protocol and version',
        tags: ['meta'],
        response: {
          200: Type.Object({
            daemon: Type.Literal('daybook'),
            protocol_version: Type.Integer(),
            daemon_version: Type.String(),
          }),
        },
      },
    },
    async () => ({
      daemon: 'daybook' as const,
      protocol_version: PROTOCOL_VERSION,
      daemon_version: app.daybook.version,
    }),
  )

  app.get(
    '/openapi.json',
    {
      config: { access: 'any' },
      schema: { summary: 'This API as an OpenAPI 3.1 document', tags: ['meta'] },
    },
    // Built once, from the routes registered (all of them by the time anyone can ask); a build
    // that failed is tried again on the next request.
    async () =>
      (document ??= openApiDocument(app.daybook.routes, app.getSchemas()).catch((err: unknown) => {
        document = undefined
        throw err
      })),
  )
}
