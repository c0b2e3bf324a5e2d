/**
 * `GET /v1/settings` and `PUT /v1/settings` (a partial update: the keys given are replaced);
 * `GET/PUT /v1/settings/categories`, the category rules alone.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SettingsBody, SettingsPatch } from '../schemas/summary.ts'
import { errorResponses } from '../schemas/responses.ts'
import { Type } from '#typebox'
import { requireOwnerDiary } from '../users.ts'

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
    async (request) => request.daybook.settings.get(),
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
      // The backup schedule writes files on the server's disk, into a directory it names: the
      // owner's to set, never a user's of a team server.
      if (request.body.backups !== undefined) {
        requireOwnerDiary(request.daybook, app.daybook, 'the backup schedule')
      }
      return request.daybook.settings.update(request.body)
    },
  )

  const Rules = Type.Object(
    { rules: SettingsBody.properties.categoryRules },
    { additionalProperties: false },
  )

  app.get(
    '/settings/categories',
    {
      config: { access: 'read' },
      schema: {
        summary: 'The category rules, in order (first match wins)',
        tags: ['settings'],
        response: { 200: Rules, ...errorResponses(401, 403) },
      },
    },
    async (request) => ({ rules: (await request.daybook.settings.get()).categoryRules }),
  )

  app.put(
    '/settings/categories',
    {
      config: { access: 'admin' },
      bodyLimit: 256 * 1024,
      schema: {
        summary: 'Replace the category rules; history is recounted under them',
        tags: ['settings'],
        body: Rules,
        response: { 200: Rules, ...errorResponses(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request) => {
      const settings = await request.daybook.settings.update({ categoryRules: request.body.rules })
      return { rules: settings.categoryRules }
    },
  )
}
