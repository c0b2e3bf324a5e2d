/**
 * The daemon itself: `GET /v1/status`, and the live stream's `GET /v1/ws-clients`,
 * `GET /v1/ws-port` and `POST /v1/events/push` (another tool's envelope, to every client).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import { formatTimestamp } from '../../domain/calendar.ts'
import type { BackupInfo } from '../../services/backups.ts'
import { statusReport } from '../../services/status.ts'
import type { StreamHub } from '../stream/hub.ts'
import type { FastifyRequest } from 'fastify'
import { Nullable } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'

const iso = (ms: number | null) => (ms === null ? null : formatTimestamp(ms))

/** A backup file, as `/v1/status` and `GET /v1/backups` show it. */
export const BackupWire = Type.Object(
  {
    file: Type.String({ description: 'Absolute path of the backup (gzip-compressed SQLite).' }),
    bytes: Type.Integer(),
    createdAt: Type.String({ description: 'When it was taken (RFC 3339, to the second).' }),
    scheduled: Type.Boolean({
      description:
        'Written by the schedule (pruned beyond `keep`); false: asked for, never deleted.',
    }),
  },
  { $id: 'Backup', title: 'Backup' },
)

/** A backup as the wire shows it. */
export function backupToWire(b: BackupInfo) {
  return {
    file: b.file,
    bytes: b.bytes,
    createdAt: formatTimestamp(b.createdMs),
    scheduled: b.scheduled,
  }
}

/** The status report, as `GET /v1/status` answers it. */
export const Status = Type.Object({
  daemon: Type.Literal('daybook'),
  version: Type.String(),
  startedAt: Type.String(),
  uptimeSeconds: Type.Integer(),
  database: Type.Object({ location: Type.String(), bytes: Nullable(Type.Integer()) }),
  counts: Type.Object({
    events: Type.Integer(),
    afkPeriods: Type.Integer(),
    inputBuckets: Type.Integer(),
    labels: Type.Integer(),
    devices: Type.Integer(),
  }),
  rollups: Type.Object({
    pendingSlots: Type.Integer({
      description: '15-minute slots whose rollups are being recomputed.',
    }),
  }),
  collectors: Type.Array(
    Type.Object({
      source: Type.String(),
      device: Type.String(),
      kind: Type.String({ description: 'events, afk or input.' }),
      lastSeen: Type.String({ description: 'When the daemon last received data from it.' }),
      silentSeconds: Type.Integer(),
      items: Type.Integer(),
    }),
  ),
  devices: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      own: Type.Boolean(),
      lastSeen: Nullable(Type.String()),
      events: Type.Integer(),
    }),
  ),
  streams: Type.Object({ websocketClients: Type.Integer() }),
  memory: Type.Object({ rssBytes: Type.Integer() }),
  watchers: Nullable(
    Type.Object(
      {
        running: Type.Boolean({ description: 'Whether the watcher process still runs.' }),
        pid: Type.Integer(),
        target: Type.String(),
        updatedAt: Type.String({ description: 'When the watcher last wrote its report.' }),
        collectors: Type.Array(
          Type.Object({
            collector: Type.String({ description: 'window, afk or input.' }),
            state: Type.String({ description: 'watching, away, sending or retrying.' }),
            waiting: Type.Integer({ description: 'Items not yet acknowledged by the daemon.' }),
            delivered: Type.Integer({ description: 'Items acknowledged since it started.' }),
            lastSentAt: Nullable(Type.String()),
            last: Nullable(Type.String({ description: 'The last thing it recorded, in words.' })),
          }),
        ),
      },
      {
        description:
          "The last report of this data dir's `daybook watch` process (null when none has run).",
      },
    ),
  ),
  backups: Type.Object(
    {
      enabled: Type.Boolean(),
      everyHours: Type.Integer(),
      keep: Type.Integer(),
      dir: Type.String({ description: 'The backup directory in use.' }),
      last: Nullable(
        Type.Object(BackupWire.properties, {
          description: 'The newest backup in the directory, scheduled or not.',
        }),
      ),
      next: Nullable(
        Type.String({ description: 'When the next scheduled backup is due; null when off.' }),
      ),
      failure: Nullable(
        Type.Object(
          { at: Type.String(), message: Type.String() },
          { description: 'The last scheduled attempt failed (tried again next slot).' },
        ),
      ),
    },
    { description: 'Scheduled backups (the `backups` setting).' },
  ),
  startup: Nullable(
    Type.Object(
      {
        loadMs: Type.Number({
          description: "Loading the daemon's code: from the process's start to its first line.",
        }),
        apiMs: Type.Number({ description: 'Building the API: routes and their schemas.' }),
        storeMs: Type.Number({
          description: 'Opening the store beyond that: its worker threads and the database.',
        }),
        migrateMs: Type.Number({ description: 'Checking and applying migrations.' }),
        attachMs: Type.Number({
          description: 'Attaching the store: sync, hooks, screenshots, backups, retention.',
        }),
        usersMs: Type.Number({ description: "Opening the users' diaries." }),
        readyMs: Type.Number({ description: "The whole: from the process's start to ready." }),
      },
      {
        description:
          'Where the start of this daemon went, in ms (null when the API was not started as a daemon).',
      },
    ),
  ),
})

export const statusRoutes: FastifyPluginAsyncTypebox<{
  hub: StreamHub
  watchStatusFile: string | undefined
}> = async (app, { hub, watchStatusFile }) => {
  // The stream of the request's diary: its clients are that user's only.
  const streamOf = (request: FastifyRequest) => request.daybook.stream ?? hub
  app.get(
    '/status',
    {
      config: { access: 'stream' },
      schema: {
        summary: 'Uptime, the database, counts, and when each collector and device last sent data',
        tags: ['meta'],
        response: { 200: Status, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const s = await statusReport({
        store: request.daybook.store,
        version: request.daybook.version,
        startedMs: request.daybook.startedMs,
        clock: request.daybook.clock,
        websocketClients: streamOf(request).size,
        // The watcher on this machine reports to the owner's diary; no other user's.
        watchStatusFile: request.daybook === app.daybook ? watchStatusFile : undefined,
        backups: request.daybook.backups,
        startup: request.daybook === app.daybook ? app.daybook.startup : undefined,
      })
      const { last, nextMs, failure, ...schedule } = s.backups
      return {
        ...s,
        backups: {
          ...schedule,
          last: last && backupToWire(last),
          next: iso(nextMs),
          failure: failure && { at: formatTimestamp(failure.atMs), message: failure.message },
        },
        startedAt: formatTimestamp(s.startedAt),
        collectors: s.collectors.map(({ lastSeenMs, ...c }) => ({
          ...c,
          lastSeen: formatTimestamp(lastSeenMs),
        })),
        devices: s.devices.map(({ lastSeenMs, ...d }) => ({ ...d, lastSeen: iso(lastSeenMs) })),
      }
    },
  )

  app.get(
    '/ws-clients',
    {
      config: { access: 'stream' },
      schema: {
        summary: 'Clients connected to the live stream',
        tags: ['stream'],
        response: {
          200: Type.Array(Type.Object({ peer: Type.String(), connected_at: Type.Integer() })),
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => streamOf(request).list(),
  )

  app.get(
    '/ws-port',
    {
      config: { access: 'stream' },
      schema: {
        summary: 'The TCP port the live stream is served on (the API port)',
        tags: ['stream'],
        response: {
          200: Type.Object({ port: Nullable(Type.Integer()) }),
          ...errorResponses(401, 403),
        },
      },
    },
    async () => {
      const address = app.server.address()
      return { port: address && typeof address === 'object' ? address.port : null }
    },
  )

  app.post(
    '/events/push',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Broadcast an envelope from another tool to every live-stream client',
        tags: ['stream'],
        body: Type.Object(
          {
            type: Type.String({ minLength: 1, maxLength: 128 }),
            payload: Type.Optional(Type.Unknown()),
            correlation_id: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ ok: Type.Literal(true), clients: Type.Integer() }),
          ...errorResponses(400, 401, 403, 415, 422),
        },
      },
    },
    async (request) => {
      const { type, payload, correlation_id } = request.body
      const stream = streamOf(request)
      stream.broadcast(stream.envelope(type, payload ?? {}, correlation_id ?? null))
      return { ok: true as const, clients: stream.size }
    },
  )
}
