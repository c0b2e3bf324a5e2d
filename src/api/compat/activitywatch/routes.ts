/**
 * The routes of ActivityWatch's REST API, `/api/0/…`, answering as aw-server-rust does (bodies
 * written by `writeJson`: Rust's field order and float format). Each route declares `awAccess`:
 * `public` for what a watcher does, otherwise the Daybook access class a token must reach.
 * Requests are read by hand rather than by schemas: the wire is ActivityWatch's, and so are its
 * error messages.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { pulsetimeNs } from '../../../domain/activitywatch/heartbeat.ts'
import {
  type JsonValue,
  Struct,
  isJsonObject,
  writeJson,
} from '../../../domain/activitywatch/json.ts'
import {
  type AwEvent,
  bucketWire,
  checkBucketId,
  eventWire,
  parseBucket,
  parseEvent,
} from '../../../domain/activitywatch/model.ts'
import { NS_PER_MS, parseTimestamp } from '../../../domain/activitywatch/time.ts'
import { BadRequestError } from '../../../domain/errors.ts'
import { DAYBOOK_VERSION } from '../../../version.ts'
import { checkJsonDepth } from '../../json-body.ts'
import { MAX_DURATION_SEC } from '../../schemas/events.ts'
import { runQueryRequest } from './query.ts'

/** The ActivityWatch server version Daybook answers as (its API level), and Daybook's own. */
const AW_VERSION = `v0.14.0 (daybook ${DAYBOOK_VERSION})`

/** Longest settings key, as aw-server-rust. */
const MAX_SETTING_KEY = 128

/** Largest import: a year or more of several watchers' events. */
const IMPORT_BODY_LIMIT = 256 * 1024 * 1024

type Params = Record<string, string>
type Query = Record<string, string | string[] | undefined>

function sendJson(reply: FastifyReply, value: unknown, status = 200): FastifyReply {
  return reply.code(status).type('application/json').send(writeJson(value))
}

function param(request: FastifyRequest, name: string): string {
  return (request.params as Params)[name] ?? ''
}

function bucketParam(request: FastifyRequest): string {
  const id = param(request, 'bucket')
  checkBucketId(id)
  return id
}

function eventIdParam(request: FastifyRequest): number {
  const text = param(request, 'event')
  const id = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(id)) {
    throw new BadRequestError(
      'invalid_event_id',
      `event id ${JSON.stringify(text)} is not an integer`,
    )
  }
  return id
}

/** A time from the query string; a `+` of an offset may arrive decoded as a space. */
function timeParam(query: Query, ...names: string[]): bigint | undefined {
  for (const name of names) {
    const raw = query[name]
    if (raw === undefined) continue
    const text = (Array.isArray(raw) ? raw[0] : raw) ?? ''
    const ns = parseTimestamp(text.replace(/ (\d{2}:\d{2})$/, '+$1'))
    if (ns === undefined) {
      throw new BadRequestError(
        'invalid_time',
        `${name} ${JSON.stringify(text)} is not an RFC 3339 date-time with an offset`,
      )
    }
    return ns
  }
  return undefined
}

function limitParam(query: Query): number | undefined {
  const raw = query.limit
  if (raw === undefined) return undefined
  const text = (Array.isArray(raw) ? raw[0] : raw) ?? ''
  if (text === '-1') return undefined // aw-server (Python): no limit
  if (!/^\d{1,15}$/.test(text)) {
    throw new BadRequestError(
      'invalid_limit',
      `limit ${JSON.stringify(text)} is not a whole number`,
    )
  }
  return Number(text)
}

function settingKey(request: FastifyRequest): string {
  const key = param(request, 'key')
  if (key.length >= MAX_SETTING_KEY) throw new BadRequestError('invalid_key', 'Too long key')
  if (key === '') throw new BadRequestError('invalid_key', 'the settings key is empty')
  return key
}

/** Reads `{"buckets": {id: bucket-with-events}}` from a JSON body or a multipart upload. */
function importBody(request: FastifyRequest): unknown {
  const body = request.body
  if (!Buffer.isBuffer(body)) return body
  const contentType = request.headers['content-type'] ?? ''
  const text = multipartFile(body, contentType)
  if (text === undefined) {
    throw new BadRequestError('invalid_import', 'the multipart body holds no file to import')
  }
  checkJsonDepth(text, 'the uploaded file')
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new BadRequestError('invalid_import', 'the uploaded file is not valid JSON')
  }
}

/**
 * The first part of a multipart body (the web UI uploads one file, field `buckets.json`). Enough
 * of RFC 7578 for that: parts are split on the boundary, headers end at the first blank line.
 */
function multipartFile(body: Buffer, contentType: string): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  const boundary = m?.[1] ?? m?.[2]
  if (!boundary) return undefined
  const delimiter = Buffer.from(`--${boundary}`)
  let at = body.indexOf(delimiter)
  while (at !== -1) {
    const start = at + delimiter.length
    const next = body.indexOf(delimiter, start)
    if (next === -1) return undefined
    const part = body.subarray(start, next)
    const headerEnd = part.indexOf('\r\n\r\n')
    if (headerEnd !== -1) {
      let content = part.subarray(headerEnd + 4)
      // The CRLF before the next delimiter belongs to the delimiter.
      if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2)
      return content.toString('utf8')
    }
    at = next
  }
  return undefined
}

function parseImport(value: unknown, nowNs: bigint) {
  if (!isJsonObject(value) || !isJsonObject(value.buckets)) {
    throw new BadRequestError('invalid_import', 'an import is {"buckets": {"<id>": bucket, ...}}')
  }
  return Object.entries(value.buckets).map(([key, raw]) => {
    const id = isJsonObject(raw) && typeof raw.id === 'string' && raw.id !== '' ? raw.id : key
    checkBucketId(id)
    const bucket = parseBucket(raw, id, nowNs)
    const list = isJsonObject(raw) ? raw.events : undefined
    if (list !== undefined && list !== null && !Array.isArray(list)) {
      throw new BadRequestError('invalid_import', `bucket ${id}: events is not a list`)
    }
    const events = (list ?? []).map((e, i) => parseEvent(e, `bucket ${id}, event ${i}`))
    return { bucket, events }
  })
}

/** The routes, registered on the ActivityWatch app. */
export async function activityWatchRoutes(app: FastifyInstance): Promise<void> {
  const { service, daybook, authorize } = app.aw
  const nowNs = () => BigInt(daybook.clock()) * NS_PER_MS

  app.get('/api/0/info', { config: { awAccess: 'public' } }, async (_request, reply) => {
    const own = await service.ownDevice()
    return sendJson(
      reply,
      new Struct([
        ['hostname', own.name],
        ['version', AW_VERSION],
        ['testing', false],
        ['device_id', own.id],
      ]),
    )
  })

  app.get('/api/0/buckets', { config: { awAccess: 'public' } }, async (_request, reply) => {
    const buckets = await service.buckets()
    return sendJson(reply, new Map(buckets.map((b) => [b.id, bucketWire(b)])))
  })

  // The same information as the list.
  app.get('/api/0/buckets/:bucket', { config: { awAccess: 'public' } }, async (request, reply) =>
    sendJson(reply, bucketWire(await service.bucket(bucketParam(request)))),
  )

  app.post('/api/0/buckets/:bucket', { config: { awAccess: 'public' } }, async (request, reply) => {
    const id = bucketParam(request)
    const created = await service.createBucket(parseBucket(request.body, id, nowNs()))
    if (!created) return reply.code(304).send()
    return reply.code(200).send()
  })

  app.delete(
    '/api/0/buckets/:bucket',
    { config: { awAccess: 'admin' } },
    async (request, reply) => {
      const id = bucketParam(request)
      if (!(await service.deleteBucket(id))) await service.bucket(id) // 404
      return reply.code(200).send()
    },
  )

  app.get(
    '/api/0/buckets/:bucket/events',
    { config: { awAccess: 'read' } },
    async (request, reply) => {
      const query = request.query as Query
      const events = await service.events(bucketParam(request), {
        start: timeParam(query, 'start'),
        end: timeParam(query, 'end'),
        limit: limitParam(query),
      })
      return sendJson(reply, events.map(eventWire))
    },
  )

  app.post(
    '/api/0/buckets/:bucket/events',
    { config: { awAccess: 'public' } },
    async (request, reply) => {
      const id = bucketParam(request)
      const body = request.body
      const list = Array.isArray(body) ? body : [body]
      const events: AwEvent[] = list.map((e, i) =>
        parseEvent(e, Array.isArray(body) ? `event ${i}` : 'event'),
      )
      // Adding events is what a watcher does; replacing one (an id given) changes history.
      if (events.some((e) => e.id !== null)) await authorize(request, 'admin')
      const stored = await service.insertEvents(id, events)
      return sendJson(reply, stored.map(eventWire))
    },
  )

  app.get(
    '/api/0/buckets/:bucket/events/count',
    { config: { awAccess: 'read' } },
    async (request, reply) => {
      const query = request.query as Query
      // aw-client@0.3.7 names the range starttime/endtime.
      const n = await service.count(bucketParam(request), {
        start: timeParam(query, 'start', 'starttime'),
        end: timeParam(query, 'end', 'endtime'),
      })
      return sendJson(reply, n)
    },
  )

  app.get(
    '/api/0/buckets/:bucket/events/:event',
    { config: { awAccess: 'read' } },
    async (request, reply) =>
      sendJson(reply, eventWire(await service.event(bucketParam(request), eventIdParam(request)))),
  )

  app.delete(
    '/api/0/buckets/:bucket/events/:event',
    { config: { awAccess: 'admin' } },
    async (request, reply) => {
      const id = bucketParam(request)
      await service.bucket(id) // 404 for a missing bucket
      await service.deleteEvent(id, eventIdParam(request))
      return reply.code(200).send()
    },
  )

  app.post(
    '/api/0/buckets/:bucket/heartbeat',
    { config: { awAccess: 'public' } },
    async (request, reply) => {
      const id = bucketParam(request)
      const raw = (request.query as Query).pulsetime
      const text = Array.isArray(raw) ? raw[0] : raw
      if (text === undefined || text === '') {
        throw new BadRequestError('missing_pulsetime', 'Missing required parameter pulsetime')
      }
      const seconds = Number(text)
      // Bounded like every duration Daybook takes (ten years): a pulsetime near the largest double
      // has no nanosecond count, and no two heartbeats are further apart.
      if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_DURATION_SEC) {
        throw new BadRequestError(
          'invalid_pulsetime',
          `pulsetime must be a number of seconds from 0 to ${MAX_DURATION_SEC} (ten years)`,
        )
      }
      const event = await service.heartbeat(
        id,
        parseEvent(request.body, 'heartbeat'),
        pulsetimeNs(seconds),
      )
      return sendJson(reply, eventWire(event))
    },
  )

  const exportReply = async (
    reply: FastifyReply,
    bucketId: string | undefined,
    filename: string,
  ) => {
    const all = await service.export(bucketId)
    return sendJson(
      reply.header('content-disposition', `attachment; filename=${filename}`),
      new Map([
        [
          'buckets',
          new Map(all.map(({ bucket, events }) => [bucket.id, bucketWire(bucket, events)])),
        ],
      ]),
    )
  }

  app.get(
    '/api/0/buckets/:bucket/export',
    { config: { awAccess: 'read' } },
    async (request, reply) => {
      const id = bucketParam(request)
      return exportReply(reply, id, `aw-bucket-export_${id}.json`)
    },
  )

  app.get('/api/0/export', { config: { awAccess: 'read' } }, async (_request, reply) =>
    exportReply(reply, undefined, 'aw-buckets-export.json'),
  )

  app.post(
    '/api/0/import',
    { config: { awAccess: 'admin' }, bodyLimit: IMPORT_BODY_LIMIT },
    async (request, reply) => {
      await service.import(parseImport(importBody(request), nowNs()))
      return reply.code(200).send()
    },
  )

  app.post('/api/0/query', { config: { awAccess: 'read' } }, async (request, reply) =>
    sendJson(reply, await runQueryRequest(request.body, service)),
  )

  app.get('/api/0/settings', { config: { awAccess: 'read' } }, async (_request, reply) =>
    sendJson(reply, await service.settings()),
  )

  app.get('/api/0/settings/:key', { config: { awAccess: 'read' } }, async (request, reply) =>
    sendJson(reply, await service.setting(settingKey(request))),
  )

  app.post('/api/0/settings/:key', { config: { awAccess: 'admin' } }, async (request, reply) => {
    const key = settingKey(request)
    let value = request.body as JsonValue | undefined
    // aw-client@0.3.7 posts a string value raw (form-encoded); JSON text is taken as JSON.
    if (
      typeof value === 'string' &&
      request.headers['content-type']?.startsWith('application/json') !== true
    ) {
      checkJsonDepth(value, 'the setting')
      try {
        value = JSON.parse(value) as JsonValue
      } catch {
        // Not JSON: the raw string is the value.
      }
    }
    await service.saveSetting(key, value ?? null)
    return reply.code(201).send()
  })

  app.delete('/api/0/settings/:key', { config: { awAccess: 'admin' } }, async (request, reply) => {
    await service.deleteSetting(settingKey(request))
    return reply.code(200).send()
  })
}
