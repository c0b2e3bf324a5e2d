/**
 * `GET /v1/settings` and `PUT /v1/settings` (a partial update: the keys given are replaced).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { normalizeSettingsPatch } from '../../domain/settings.ts'
import { SettingsBody, SettingsPatch } from '../schemas/summary.ts'
import { errorResponses } from '../schemas/responses.ts'

export const settingsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/settings',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Daemon settings',
        tags: ['settings'],
        response: { 200: SettingsBody, ...errorResponses(401, 403) },
      },
    },
    async () => app.daybook.settings(),
  )

  app.put(
    '/settings',
    {
      config: { access: 'admin' },
      bodyLimit: 64 * 1024,
      schema: {
        summary: 'Change settings: the keys given are replaced, the others kept',
        tags: ['settings'],
        body: SettingsPatch,
        response: { 200: SettingsBody, ...errorResponses(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request) => {
      const { changes } = await app.daybook.store.settings.save(
        normalizeSettingsPatch(request.body),
      )
      app.daybook.bus.publish({ type: 'changes', changes })
      return app.daybook.settings()
    },
  )
}
