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
import { Type } from '#typebox'
import { parseTimestamp } from '../../domain/calendar.ts'
import { checkRangeOrder } from '../../domain/time.ts'
import { NotReadyError } from '../../domain/errors.ts'
import { EXPORT_FORMATS, IMPORT_FORMATS, emptySummary } from '../../domain/exchange.ts'
import type { ImportJob } from '../../services/import.ts'
import { toErrorResponse } from '../errors.ts'
import { EXPORT_CONTENT_TYPES, EXPORT_FILE_NAMES, exportChunks } from '../exchange/export.ts'
import { parseImport, sniff } from '../exchange/parse.ts'
import { Upload, checkDeclaredSize } from '../exchange/upload.ts'
import { LiteralUnion, Nullable, Timestamp } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'

/** The bounds of an import's upload (see `src/api/exchange/upload.ts`). */
export interface ImportLimits {
  /** The longest pause between chunks of an upload, ms (default 60 s). */
  idleTimeoutMs?: number | undefined
  /** The largest upload, bytes (default 16 GiB). */
  maxBytes?: number | undefined
}

/** Defaults of `DAYBOOK_IMPORT_IDLE_TIMEOUT_SEC` and `DAYBOOK_IMPORT_MAX_MB`. */
export const IMPORT_LIMITS = { idleTimeoutMs: 60_000, maxBytes: 16 * 1024 ** 3 } as const

const Counts = Type.Object({ imported: Type.Integer(), duplicates: Type.Integer() })

/** An import job, as `POST /v1/import` and `GET /v1/import/{id}` answer it. */
export const ImportJobWire = Type.Object(
  {
    id: Type.String(),
    format: LiteralUnion(IMPORT_FORMATS),
    name: Type.String(),
    state: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')], {
      description:
        '`failed`: the input was broken, or its upload was cut off (stalled, too large, the ' +
        'client gone); `kept` says whether the items before that point were stored.',
    }),
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

/** A refused or failed import: why, and the job when one was started. */
const ImportFailure = Type.Object({
  code: Type.String(),
  message: Type.String(),
  field: Type.Optional(Type.String()),
  job: Type.Optional(ImportJobWire),
})

export const exchangeRoutes: FastifyPluginAsyncTypebox<ImportLimits> = async (app, options) => {
  const limits = {
    idleMs: options.idleTimeoutMs ?? IMPORT_LIMITS.idleTimeoutMs,
    maxBytes: options.maxBytes ?? IMPORT_LIMITS.maxBytes,
  }
  // Uploads in progress. A clean stop waits for requests in flight, and an upload, which has no
  // total time limit, could hold it for hours: it is cut off instead (what was read is stored
  // and counted, the job says so, and importing the file again continues where it stopped).
  const uploads = new Set<Upload>()
  app.addHook('preClose', (done) => {
    for (const upload of uploads) {
      upload.stop(
        new NotReadyError(
          'shutting_down',
          `${upload.name}: the daemon is stopping: the upload was cut off after byte ` +
            `${upload.bytes}; ` +
            'import the file again to continue (what was stored counts as duplicates)',
        ),
      )
    }
    done()
  })
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
        config: { access: 'admin', ownBodyBound: true },
        schema: {
          summary: 'Import a file (its bytes as the body, streamed); answers the finished job',
          description:
            'Formats: `daybook`, `csv`, `activitywatch`, `wakatime` (the wakatime.com data dump), ' +
            '`wakapi` (heartbeats, `{"data":[…]}` or `[…]`). Items go through the same paths as ' +
            'live data (content ids: importing again adds nothing). Progress: ' +
            '`GET /v1/import/{id}` and `ImportProgress` on the live stream. A broken input ' +
            'answers 422 with the job (its `error` names the file and line or byte).\n\n' +
            "The upload has no total time limit (the daemon's request timeout does not apply): " +
            'it may pause at most `DAYBOOK_IMPORT_IDLE_TIMEOUT_SEC` between chunks (else 408 ' +
            '`import_stalled`) and be at most `DAYBOOK_IMPORT_MAX_MB` (else 413 ' +
            '`import_too_large`). Either answer carries the job: the items read before the cut ' +
            'are stored and counted (`kept` true), or none with `atomic`; so are they when the ' +
            'daemon stops meanwhile (503 `shutting_down`). A client that went away finds the job ' +
            'in `GET /v1/import`.',
          tags: ['import-export'],
          querystring: ImportQuery,
          response: {
            200: ImportJobWire,
            400: ImportFailure,
            408: ImportFailure,
            413: ImportFailure,
            422: ImportFailure,
            503: ImportFailure,
            ...errorResponses(401, 403),
          },
        },
      },
      async (request, reply) => {
        const q = request.query
        const body = request.body as Readable | undefined
        checkDeclaredSize(q.name, request.headers['content-length'], limits)
        const upload = new Upload(body ?? Readable.from([]), q.name, limits)
        uploads.add(upload)
        reply.raw.once('close', () => uploads.delete(upload))
        // A body not read to its end is not waited for: the connection closes after the answer.
        const answer = () => {
          if (!request.raw.complete) void reply.header('connection', 'close')
          return reply
        }
        let sniffed: Awaited<ReturnType<typeof sniff>>
        try {
          sniffed = q.format
            ? { format: q.format, stream: upload as AsyncIterable<Buffer> }
            : await sniff(upload, q.name)
        } catch (err) {
          answer()
          throw err
        }
        const stream = sniffed.stream
        const job = request.daybook.imports.create({
          format: sniffed.format,
          name: q.name,
          dryRun: q.dryRun,
          atomic: q.atomic,
        })
        const ctx = { name: q.name, device: q.device ?? null, nowMs: request.daybook.clock() }
        const bytes = () => upload.bytes
        if (q.dryRun || !q.atomic) {
          await request.daybook.imports.run(job, parseImport(job.format, stream, ctx), {
            dryRun: q.dryRun,
            bytes,
          })
        } else {
          await atomicImport(request.daybook, job, stream, ctx, bytes, () => upload.failure)
        }
        // A cut-off upload fails its job whatever the parser made of the bytes before the cut.
        if (upload.failure !== undefined && job.state !== 'failed') {
          request.daybook.imports.fail(job, upload.failure.message, !q.dryRun && !q.atomic)
        }
        body?.resume()
        if (job.state === 'failed') {
          const cut = upload.failure && toErrorResponse(upload.failure)
          // 408 stalled, 413 too large, 400 the client gone, 503 the daemon stopping; 422 a
          // broken input.
          return answer()
            .code((cut?.status ?? 422) as 400 | 408 | 413 | 422 | 503)
            .send({
              code: cut?.body.code ?? 'import_failed',
              message: job.error ?? 'the import failed',
              job,
            })
        }
        return answer().send(job)
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
    cutOff: () => Error | undefined,
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
      if (job.state === 'failed' || cutOff() !== undefined) {
        // Nothing was stored: the summary keeps what was read and skipped, and counts no item
        // as imported.
        const { read, skipped } = job.summary
        job.summary = { ...emptySummary(), read, skipped }
        daybook.imports.fail(job, job.error ?? cutOff()?.message ?? 'the input is broken', false)
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
    '/import',
    {
      config: { access: 'read' },
      schema: {
        summary: 'The recent import jobs, newest first (running ones, and the last 50 ended)',
        tags: ['import-export'],
        response: {
          200: Type.Object({ jobs: Type.Array(ImportJobWire) }),
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => ({ jobs: request.daybook.imports.list() }),
  )

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
