/**
 * Liveness and readiness probes: the only routes that need no token.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'

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

  const Ready = Type.Object({
    ok: Type.Boolean(),
    ready: Type.Boolean(),
    reason: Type.Optional(Type.String({ description: 'Why not ready, when it is not.' })),
  })
  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        summary:
          'Readiness: 200 once the store is open and migrated, its database answers and its disk takes writes; 503 with the reason otherwise (starting, a PostgreSQL database that cannot be reached, a full disk)',
        tags: ['health'],
        security: [],
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      if (!app.daybook.ready) {
        return reply.code(503).send({ ok: false, ready: false, reason: 'the daemon is starting' })
      }
      // One small read proves the database answers (a PostgreSQL server may be down or cut off
      // while the daemon runs); a load balancer then sends requests to another daemon meanwhile.
      const answers = await app.daybook.store.changes.last().then(
        () => true,
        () => false,
      )
      if (!answers) {
        return reply
          .code(503)
          .send({ ok: false, ready: false, reason: 'the database does not answer' })
      }
      const problem = app.daybook.storage.problem(app.daybook.store.location)
      if (problem !== undefined) {
        return reply.code(503).send({ ok: false, ready: false, reason: problem })
      }
      return reply.code(200).send({ ok: true, ready: true })
    },
  )
}
