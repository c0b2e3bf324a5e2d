/**
 * Import and export: `GET /v1/export` (streamed, in constant memory), `POST /v1/import` (a
 * streamed body, read as it arrives), `GET /v1/import/{id}` (a job's progress; the live stream
 * carries it as `ImportProgress`).
 */
import type { DaybookContext } from '../context.ts'
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { Type } from 'typebox'
import { parseTimestamp } from '../../domain/calendar.ts'
import { checkRangeOrder } from '../../domain/time.ts'
import { EXPORT_FORMATS, IMPORT_FORMATS, emptySummary } from '../../domain/exchange.ts'
import type { ImportJob } from '../../services/import.ts'
import { EXPORT_CONTENT_TYPES, EXPORT_FILE_NAMES, exportChunks } from '../exchange/export.ts'
import { CountingStream, parseImport, sniff } from '../exchange/parse.ts'
import { LiteralUnion, Nullable, Timestamp } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'

const Counts = Type.Object({ imported: Type.Integer(), duplicates: Type.Integer() })

/** An import job, as `POST /v1/import` and `GET /v1/import/{id}` answer it. */
export const ImportJobWire = Type.Object(
  {
    id: Type.String(),
    format: LiteralUnion(IMPORT_FORMATS),
    name: Type.String(),
    state: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
    dryRun: Type.Boolean(),
    atomic: Type.Boolean(),
    startedMs: Type.Integer(),
    finishedMs: Nullable(Type.Integer()),
    bytes: Type.Integer({ description: 'Bytes of the input read so far.' }),
    summary: Type.Object({
      read: Type.Integer({ description: 'Items read (skipped ones included).' }),
      imported: Type.Integer({ description: 'Items stored (or, dry, that would be).' }),
      duplicates: Type.Integer({ description: 'Items already stored: nothing changed for them.' }),
      skipped: Type.Record(Type.String(), Type.Integer(), {
        description: 'Items that break a rule, by kind and reason: {"heartbeats before 1990": 42}.',
      }),
      range: Nullable(Type.Object({ startMs: Type.Number(), endMs: Type.Number() })),
      byDevice: Type.Record(Type.String(), Counts),
      bySource: Type.Record(Type.String(), Counts),
    }),
    error: Nullable(
      Type.String({ description: 'Why it failed: the file, the line or byte, what was expected.' }),
    ),
    kept: Nullable(
      Type.Boolean({
        description: 'When it failed: true if the items before the error were kept, false if none.',
      }),
    ),
  },
  { $id: 'ImportJob', title: 'ImportJob' },
)

const ImportQuery = Type.Object({
  format: Type.Optional(
    LiteralUnion(IMPORT_FORMATS, 'The input format; told from the first bytes when absent.'),
  ),
  name: Type.String({
    default: 'input',
    maxLength: 1024,
    description: 'The file name, for messages.',
  }),
  device: Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: 'Device of items that name none.' }),
  ),
  dryRun: Type.Boolean({ default: false, description: 'Read and check only; store nothing.' }),
  atomic: Type.Boolean({
    default: false,
    description:
      'All or nothing: the whole input is checked before anything is stored. Without it, a ' +
      'broken input keeps the items before the error (the job says so).',
  }),
})

export const exchangeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/export',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Export everything (or a range, or devices), streamed in constant memory',
        description:
          '`daybook`: NDJSON, lossless (settings, devices, labels, WakaTime heartbeats, events, ' +
          'AFK periods, input); `csv`: events, columns ' +
          '`start,end,app,title,url,project,branch,language,category,source,device`; ' +
          '`activitywatch`: buckets aw-server imports; `wakatime`: the WakaTime data dump shape, ' +
          'from the stored WakaTime heartbeats.',
        tags: ['import-export'],
        querystring: Type.Object({
          format: Type.Optional(
            LiteralUnion(EXPORT_FORMATS, 'daybook (the default), csv, activitywatch or wakatime'),
          ),
          start: Type.Optional(Timestamp),
          end: Type.Optional(Timestamp),
          device: Type.Optional(
            Type.Union([Type.String(), Type.Array(Type.String())], {
              description: 'Only these devices (repeat for several).',
            }),
          ),
        }),
        response: {
          200: Type.String({ description: 'The export, in the format asked for.' }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const q = request.query
      const format = q.format ?? 'daybook'
      const startMs = q.start === undefined ? undefined : parseTimestamp(q.start, 'start')
      const endMs = q.end === undefined ? undefined : parseTimestamp(q.end, 'end')
      if (startMs !== undefined && endMs !== undefined) {
        checkRangeOrder(startMs, endMs, { start: 'start', end: 'end' })
      }
      const devices = q.device === undefined ? undefined : [q.device].flat()
      void reply
        .type(EXPORT_CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename=${EXPORT_FILE_NAMES[format]}`)
      // Read a page at a time as the client reads: the stream's back-pressure bounds memory.
      const body = Readable.from(
        exportChunks(request.daybook.exports, format, { startMs, endMs, devices }),
      )
      // A stream is sent as it is, past the response schema (which documents it).
      return reply.send(body as never)
    },
  )

  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>()
    // The body is read as it arrives, whatever its type and size: no parser buffers it.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload))

    scope.post(
      '/import',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Import a file (its bytes as the body, streamed); answers the finished job',
          description:
            'Formats: `daybook`, `csv`, `activitywatch`, `wakatime` (the wakatime.com data dump), ' +
            '`wakapi` (heartbeats, `{"data":[…]}` or `[…]`). Items go through the same paths as ' +
            'live data (content ids: importing again adds nothing). Progress: ' +
            '`GET /v1/import/{id}` and `ImportProgress` on the live stream. A broken input ' +
            'answers 422 with the job (its `error` names the file and line or byte).',
          tags: ['import-export'],
          querystring: ImportQuery,
          response: {
            200: ImportJobWire,
            422: Type.Object({
              code: Type.String(),
              message: Type.String(),
              job: ImportJobWire,
            }),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request, reply) => {
        const q = request.query
        const body = request.body as Readable | undefined
        const source = new CountingStream(body ?? Readable.from([]))
        const sniffed = q.format
          ? { format: q.format, stream: source as AsyncIterable<Buffer> }
          : await sniff(source, q.name)
        const stream = sniffed.stream
        const job = request.daybook.imports.create({
          format: sniffed.format,
          name: q.name,
          dryRun: q.dryRun,
          atomic: q.atomic,
        })
        const ctx = { name: q.name, device: q.device ?? null, nowMs: request.daybook.clock() }
        const bytes = () => source.bytes
        if (q.dryRun || !q.atomic) {
          await request.daybook.imports.run(job, parseImport(job.format, stream, ctx), {
            dryRun: q.dryRun,
            bytes,
          })
        } else {
          await atomicImport(request.daybook, job, stream, ctx, bytes)
        }
        body?.resume()
        if (job.state === 'failed') {
          return reply
            .code(422)
            .send({ code: 'import_failed', message: job.error ?? 'the import failed', job })
        }
        return job
      },
    )
  })

  /**
   * All or nothing: the input is read once to check it (kept in a temporary file as it is read,
   * so memory stays bounded), and only a clean input is read again and stored.
   */
  async function atomicImport(
    daybook: DaybookContext,
    job: ImportJob,
    stream: AsyncIterable<Buffer>,
    ctx: Parameters<typeof parseImport>[2],
    bytes: () => number,
  ): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'daybook-import-'))
    try {
      const file = join(dir, 'input')
      const out = createWriteStream(file, { mode: 0o600 })
      async function* tee(): AsyncGenerator<Buffer> {
        for await (const chunk of stream) {
          if (!out.write(chunk)) await once(out, 'drain')
          yield chunk
        }
      }
      await daybook.imports.run(job, parseImport(job.format, tee(), ctx), { dryRun: true, bytes })
      out.end()
      await once(out, 'close')
      if (job.state === 'failed') {
        daybook.imports.fail(job, job.error ?? 'the input is broken')
        return
      }
      job.state = 'running'
      job.finishedMs = null
      job.summary = emptySummary()
      const again = createReadStream(file) as AsyncIterable<Buffer>
      await daybook.imports.run(job, parseImport(job.format, again, ctx), { dryRun: false })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  app.get(
    '/import/:id',
    {
      config: { access: 'read' },
      schema: {
        summary: "An import job's progress, or how it ended",
        tags: ['import-export'],
        params: Type.Object({ id: Type.String() }),
        response: { 200: ImportJobWire, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => request.daybook.imports.get(request.params.id),
  )
}
