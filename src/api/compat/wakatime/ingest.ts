/**
 * Heartbeat ingest on every path WakaTime clients post to (Wakapi's aliases included):
 * `/api/heartbeat(s)`, `/api/users/{user}/heartbeats[.bulk]`, `/api/v1/…`,
 * `/api/compat/wakatime/v1/…`.
 *
 * The answer is what `wakatime-cli` needs to consider every heartbeat delivered and none to be
 * re-queued: a bulk post (an array, or a `.bulk` path) → 202 with one `[{"data": …}, 201]` per
 * heartbeat, in order; one heartbeat → 201 `{"data": …}`. A heartbeat that can never be stored
 * gets `[{"error": …}, 400]` (the CLI drops it) while the others are stored; the batch as a whole
 * is never refused for them, since the CLI would re-send it forever.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { BadRequestError, NotFoundError, PayloadTooLargeError } from '../../../domain/errors.ts'
import {
  ENTITY_TYPES,
  type Heartbeat,
  defaultCategory,
  heartbeatHash,
  heartbeatTimeProblem,
} from '../../../domain/wakatime/heartbeat.ts'
import { parseUserAgent } from '../../../domain/wakatime/user-agent.ts'
import { validatorCompiler, describeValidation } from '../../validation.ts'
import { errorResponses } from '../../schemas/responses.ts'
import { presentedWakatimeKey } from './auth.ts'
import {
  BulkResponse,
  HeartbeatBody,
  HeartbeatItem,
  KeyQuery,
  MAX_HEARTBEATS,
  UserParams,
} from './schemas.ts'

const checkItem = validatorCompiler({
  schema: HeartbeatItem,
  method: 'POST',
  url: '',
  httpPart: 'body',
}) as ((value: unknown) => boolean) & { errors?: Parameters<typeof describeValidation>[0] | null }

/** Fields read into the heartbeat; everything else a plugin sent is kept as its extras. */
const CONSUMED = new Set([
  'entity',
  'type',
  'category',
  'time',
  'project',
  'branch',
  'language',
  'is_write',
  'user_agent',
  'machine',
  // Wakapi's own fields, filled from the user agent there too.
  'editor',
  'operating_system',
  'user_id',
  'id',
])

/** The machine a request names: `X-Machine-Name` (query-escaped by the CLI: `+` is a space). */
function machineHeader(request: FastifyRequest): string | undefined {
  const raw = request.headers['x-machine-name']
  const value = Array.isArray(raw) ? raw[0] : raw
  if (value === undefined || value.trim() === '') return undefined
  try {
    return decodeURIComponent(value.replace(/\+/g, ' ')).trim()
  } catch {
    return value.trim()
  }
}

/** A heartbeat read from the wire, or why it cannot be stored. */
export type Parsed =
  { ok: true; heartbeat: Heartbeat } | { ok: false; error: string; field: string }

/**
 * Reads one heartbeat as the plugins send it (`field` prefixes messages). The imports of WakaTime
 * and Wakapi exports read theirs with it too, so an imported heartbeat is what a live one is.
 */
export function parseHeartbeat(
  raw: unknown,
  field: string,
  context: { userAgent: string; machine: string | undefined; nowMs: number },
): Parsed {
  if (!checkItem(raw)) {
    const problem = describeValidation(checkItem.errors ?? [], field)
    return { ok: false, error: problem.message, field: problem.field }
  }
  const item = raw as HeartbeatItem & Record<string, unknown>
  const seconds = typeof item.time === 'number' ? item.time : Number(item.time.trim())
  const timeMs = Math.round(seconds * 1000)
  const timeProblem = heartbeatTimeProblem(timeMs, context.nowMs)
  if (timeProblem) return { ok: false, error: `${field}/${timeProblem}`, field: `${field}/time` }
  const type = (item.type ?? 'file').trim().toLowerCase() || 'file'
  if (!(type in ENTITY_TYPES)) {
    return {
      ok: false,
      error: `${field}/type must be one of ${Object.keys(ENTITY_TYPES).join(', ')}, got ${JSON.stringify(item.type)}`,
      field: `${field}/type`,
    }
  }
  const machine = (item.machine ?? '').trim() || context.machine
  if (machine !== undefined && machine.length > 256) {
    return {
      ok: false,
      error: `${field}: the machine name is longer than 256 characters`,
      field: `${field}/machine`,
    }
  }
  const userAgent = (item.user_agent ?? '').trim() || context.userAgent
  const parsed = parseUserAgent(userAgent)
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '')
  const extra: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(item)) {
    if (!CONSUMED.has(key) && value !== null && value !== undefined) extra[key] = value
  }
  return {
    ok: true,
    heartbeat: {
      entity: item.entity,
      type,
      category: text(item.category).toLowerCase() || defaultCategory(type),
      project: text(item.project),
      branch: text(item.branch),
      language: text(item.language),
      isWrite: item.is_write === true,
      timeMs,
      device: machine ?? null,
      editor: parsed?.editor || text(item.editor),
      os: parsed?.os || text(item.operating_system),
      userAgent: userAgent.slice(0, 1024),
      extra: Object.keys(extra).length > 0 ? extra : null,
    },
  }
}

/** What an accepted heartbeat is echoed as: what was sent, with its id and its time as a number. */
function echo(raw: unknown, id: string, timeMs: number): Record<string, unknown> {
  return { ...(raw as Record<string, unknown>), id, time: timeMs / 1000 }
}

const PATHS = [
  '/api/heartbeat',
  '/api/heartbeats',
  '/api/users/:user/heartbeats',
  '/api/users/:user/heartbeats.bulk',
  '/api/v1/users/:user/heartbeats',
  '/api/v1/users/:user/heartbeats.bulk',
  '/api/compat/wakatime/v1/users/:user/heartbeats',
  '/api/compat/wakatime/v1/users/:user/heartbeats.bulk',
]

export const wakatimeIngestRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const url of PATHS) {
    const bulkPath = url.endsWith('.bulk')
    app.post(
      url,
      {
        config: { access: 'ingest', presentedKey: presentedWakatimeKey },
        // Each heartbeat is checked on its own below: one bad heartbeat is answered in its place
        // and does not refuse the batch, so the schema only documents the body here.
        attachValidation: true,
        schema: {
          summary: bulkPath
            ? 'Store WakaTime heartbeats (what wakatime-cli sends)'
            : 'Store one WakaTime heartbeat (or several, answered as a bulk post)',
          tags: ['wakatime'],
          description:
            'Needs a key of scope `ingest` (or `admin`): `Authorization: Basic base64(key)`, `Bearer base64(key)`, `Bearer key`, or `?api_key=key`.',
          ...(url.includes(':user') ? { params: UserParams } : {}),
          querystring: KeyQuery,
          body: HeartbeatBody,
          response: {
            ...(bulkPath ? {} : { 201: { type: 'object', additionalProperties: true } }),
            202: BulkResponse,
            ...errorResponses(400, 401, 403, 404, 413, 429),
          },
        },
      },
      async (request, reply) => {
        const { user } = (request.params ?? {}) as { user?: string }
        if (user !== undefined && user !== 'current') {
          throw new NotFoundError(
            'user_not_found',
            `no user ${JSON.stringify(user)}: this daemon has one user, "current"`,
            'user',
          )
        }
        const body: unknown = request.body
        if (typeof body !== 'object' || body === null) {
          throw new BadRequestError(
            'invalid_body',
            'the body must be a heartbeat object or an array of heartbeats',
            'body',
          )
        }
        const items: unknown[] = Array.isArray(body) ? body : [body]
        if (items.length > MAX_HEARTBEATS) {
          throw new PayloadTooLargeError(
            'batch_too_large',
            `at most ${MAX_HEARTBEATS} heartbeats per request, got ${items.length}`,
            'body',
          )
        }
        const bulk = bulkPath || Array.isArray(body)
        const context = {
          userAgent: request.headers['user-agent'] ?? '',
          machine: machineHeader(request),
          nowMs: request.daybook.clock(),
        }
        const parsed = items.map((raw, i) =>
          parseHeartbeat(raw, bulk ? `body/${i}` : 'body', context),
        )
        if (!bulk && parsed[0]?.ok === false) {
          throw new BadRequestError('invalid_heartbeat', parsed[0].error, parsed[0].field)
        }
        const good = parsed.flatMap((p) => (p.ok ? [p.heartbeat] : []))
        await request.daybook.ingest.heartbeats(good)
        const results = parsed.map((p, i): [object, number] => {
          if (!p.ok) return [{ data: null, error: p.error }, 400]
          const id = Buffer.from(heartbeatHash(p.heartbeat)).toString('hex')
          return [{ data: echo(items[i], id, p.heartbeat.timeMs) }, 201]
        })
        if (!bulk) return reply.code(201).send(results[0]?.[0])
        return reply.code(202).send({ responses: results })
      },
    )
  }

  app.post(
    '/api/plugins/errors',
    {
      config: { access: 'ingest', presentedKey: presentedWakatimeKey },
      schema: {
        summary: "Accept wakatime-cli's diagnostics (logged nowhere: they hold file paths)",
        tags: ['wakatime'],
        querystring: KeyQuery,
        response: { 201: { type: 'object', additionalProperties: true } },
      },
    },
    async (_request, reply) => reply.code(201).send({}),
  )
}
