/**
 * The API's OpenAPI 3.1 document, built by `@fastify/swagger` from the route table when it is
 * first asked for. Registered with the API itself, the plugin and its YAML library loaded at
 * every start of the daemon and of every app (some 50 ms of CPU, a twentieth of a start) for a
 * document few ever fetch. Here it reads the routes the app registered (`DaybookContext.routes`,
 * every route's schemas as registered) into an app of its own that serves nothing.
 */
import Fastify from 'fastify'
import { DAYBOOK_VERSION } from '../version.ts'
import type { RouteEntry } from './context.ts'

const DOCUMENT = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Daybook API',
      version: DAYBOOK_VERSION,
      description:
        'Local-first personal activity daemon. Every route is served under `/v1`; the routes of ' +
        'the Skopio wire format are also served at the root (`/events` = `/v1/events`). The ' +
        'WakaTime API (heartbeats and the reads its plugins and tools make) is served under ' +
        "`/api` on all of Wakapi's paths, documented here at `/api/v1/…`.",
    },
    components: {
      securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
  },
  refResolver: {
    buildLocalReference: (json: { $id?: unknown }, _base: unknown, _frag: unknown, i: number) =>
      typeof json.$id === 'string' ? json.$id : `def-${i}`,
  },
}

/**
 * The document for `routes` (the hidden ones and HEAD left out, as the plugin leaves them out),
 * with `shared` the schemas they refer to by `$id`.
 */
export async function openApiDocument(
  routes: readonly RouteEntry[],
  shared: Record<string, unknown>,
): Promise<unknown> {
  const { default: swagger } = await import('@fastify/swagger')
  const doc = Fastify({ exposeHeadRoutes: false })
  // Nothing is served: no validator or serializer is compiled for the routes.
  doc.setValidatorCompiler(() => () => true)
  doc.setSerializerCompiler(() => (data) => JSON.stringify(data))
  for (const schema of Object.values(shared)) doc.addSchema(schema)
  await doc.register(swagger, DOCUMENT)
  for (const route of routes) {
    if (route.method === 'HEAD' || route.schema?.hide) continue
    doc.route({
      method: route.method,
      url: route.url,
      schema: route.schema,
      handler: async () => undefined,
    })
  }
  await doc.ready()
  try {
    return doc.swagger()
  } finally {
    await doc.close()
  }
}
