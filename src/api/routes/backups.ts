/**
 * Backups: `POST /v1/backups` writes one now (a consistent copy while ingest goes on, checked and
 * gzip-compressed), `GET /v1/backups` lists them.
 */
import { requireOwnerDiary } from '../users.ts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import path from 'node:path'
import { Type } from '#typebox'
import { BadRequestError } from '../../domain/errors.ts'
import { errorResponses } from '../schemas/responses.ts'
import { BackupWire, backupToWire } from './status.ts'

export const backupRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/backups',
    {
      config: { access: 'admin' },
      bodyLimit: 16 * 1024,
      schema: {
        summary: 'Back up the database now, while the daemon runs and ingests',
        description:
          'A copy holding every change acknowledged before the request, checked with ' +
          '`PRAGMA integrity_check` and gzip-compressed; written to `file` (an absolute path, ' +
          'never overwritten) or to `daybook-<time>.db.gz` in the backup directory (the `backups` ' +
          "setting's `dir`, else `<data-dir>/backups`).",
        tags: ['backups'],
        body: Type.Optional(
          Type.Object(
            { file: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })) },
            { additionalProperties: false },
          ),
        ),
        response: {
          200: Type.Object({ ...BackupWire.properties, schemaVersion: Type.Integer() }),
          ...errorResponses(400, 401, 403, 409),
        },
      },
    },
    async (request) => {
      // A user's diary is backed up with the server's (pg_dump, or the data dir): a backup writes
      // a file on the server's disk.
      requireOwnerDiary(request.daybook, app.daybook, 'a backup')
      const file = request.body?.file
      if (file !== undefined && !path.isAbsolute(file)) {
        throw new BadRequestError('invalid_file', 'file must be an absolute path', 'body/file')
      }
      const b = await request.daybook.backups.create(file)
      return { ...backupToWire(b), schemaVersion: b.version }
    },
  )

  app.get(
    '/backups',
    {
      config: { access: 'read' },
      schema: {
        summary: 'The backups in the backup directory, newest first',
        description:
          "The directory is the `backups` setting's `dir`, else `<data-dir>/backups`; " +
          'scheduled backups and the ones asked for (`POST /v1/backups`) alike.',
        tags: ['backups'],
        response: {
          200: Type.Object({ dir: Type.String(), backups: Type.Array(BackupWire) }),
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => {
      const dir = await request.daybook.backups.dir()
      return { dir, backups: (await request.daybook.backups.list(dir)).map(backupToWire) }
    },
  )
}
