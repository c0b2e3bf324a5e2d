/**
 * Liveness and readiness probes: the only routes that need no token.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Liveness (Skopio and frames form)',
        tags: ['health'],
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Liveness (skill-daemon form)',
        tags: ['health'],
        security: [],
        response: { 200: Type.Object({ ok: Type.Literal(true) }) },
      },
    },
    async () => ({ ok: true as const }),
  )

  const Ready = Type.Object({ ok: Type.Boolean(), ready: Type.Boolean() })
  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        summary:
          'Readiness: 200 once the store is open and migrated and its database answers; 503 before, and while a PostgreSQL database cannot be reached',
        tags: ['health'],
        security: [],
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      // One small read proves the database answers (a PostgreSQL server may be down or cut off
      // while the daemon runs); a load balancer then sends requests to another daemon meanwhile.
      const ready =
        app.daybook.ready &&
        (await app.daybook.store.changes.last().then(
          () => true,
          () => false,
        ))
      return reply.code(ready ? 200 : 503).send({ ok: ready, ready })
    },
  )
}
