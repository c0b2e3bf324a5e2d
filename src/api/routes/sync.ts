/**
 * Sync routes. On a hub (`daybook serve --hub`):
 *  - `POST /v1/sync/pair` (admin): a pairing code and the command to run on the new device;
 *    `POST /v1/users/{name}/sync/pair` (a server admin): the same for a user's diary;
 *  - `GET /v1/sync/clients`, `POST /v1/sync/clients/revoke` (admin): paired devices;
 *  - `/v1/sync/hub/*`: what a paired device calls with its `sync` token (hello, push, pull,
 *    leave), and `join`, where a code (the credential) is exchanged for that token.
 * On any daemon: `GET /v1/sync/status`, and `POST /v1/sync/join|now|leave` (admin), which make it
 * a spoke of a hub, sync at once, or stop syncing.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { ConflictError, ForbiddenError, RateLimitedError } from '../../domain/errors.ts'
import { USER_NAME_RE } from '../../domain/users.ts'
import type { DaybookContext } from '../context.ts'
import { failureKey } from '../plugins/auth.ts'
import type { RateLimiter } from '../rate-limiter.ts'
import { errorResponses } from '../schemas/responses.ts'
import {
  HelloAnswer,
  HelloQuery,
  JoinBody,
  JoinHubAnswer,
  JoinHubBody,
  PUSH_BODY_LIMIT,
  PairBody,
  PairingCodeWire,
  PullPage,
  PullQuery,
  PushBody,
  RevokeBody,
  SYNC_BODY_LIMIT,
  SyncClientWire,
  SyncStatusWire,
} from '../schemas/sync.ts'
import { Type } from '#typebox'

const gzip = promisify(zlib.gzip)
const TAGS = ['sync']

export interface SyncRoutesOptions {
  /** The failed-authentication limiter: a wrong pairing code counts as a wrong token. */
  failures: RateLimiter
}

const UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `10m` → ms. */
function lifetimeMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const m = /^([0-9]+)([smhd])$/.exec(text)
  return m ? Number(m[1]) * (UNITS_MS[m[2] as string] as number) : undefined
}

/** A pairing code made by `daybook`'s hub, answered 201 and never cached. */
async function pairingCode(
  daybook: DaybookContext,
  body: { name?: string | undefined; expires?: string | undefined } | undefined,
  reply: FastifyReply,
) {
  const code = await daybook.syncHub.createCode({
    name: body?.name,
    lifetimeMs: lifetimeMs(body?.expires),
  })
  void reply.code(201).header('cache-control', 'no-store')
  return code
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export const syncRoutes: FastifyPluginAsyncTypebox<SyncRoutesOptions> = async (app, options) => {
  // Pushes arrive gzipped: decompressed as they stream in, the body limit counting what they
  // decompress to (a small body cannot expand without bound).
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.headers['content-encoding'] !== 'gzip') return payload
    const gunzip = zlib.createGunzip() as zlib.Gunzip & { receivedEncodedLength: number }
    gunzip.receivedEncodedLength = 0
    payload.on('data', (chunk: Buffer) => (gunzip.receivedEncodedLength += chunk.length))
    // Why a listener of our own: a body that is not gzip makes the stream emit an error, and
    // nobody else may be listening (a route that reads no body, a 415, a body over the limit:
    // Fastify has answered and stopped reading). An 'error' with no listener ended the daemon.
    // When Fastify reads the body it listens too, and answers that error as a 400.
    gunzip.on('error', () => undefined)
    payload.on('error', (err) => gunzip.destroy(err))
    return payload.pipe(gunzip)
  })

  // Pulls held open for the next commit. A clean stop waits for requests in flight, and each of
  // these would hold it for the rest of its wait (up to a minute; a spoke asks for 20 s): a hub
  // took some 20 s to stop on SIGTERM. They are answered at once instead, with what is there;
  // the spoke pulls again once the hub is back.
  const waiting = new Set<AbortController>()
  let closing = false
  app.addHook('preClose', (done) => {
    closing = true
    for (const pull of waiting) pull.abort()
    done()
  })

  // The hub.

  app.post(
    '/sync/pair',
    {
      config: { access: 'admin' },
      bodyLimit: SYNC_BODY_LIMIT,
      schema: {
        summary: 'A pairing code for a new device, and the command to run there (hub only)',
        description:
          'Single use; expires after `expires` (default 10m, at most 7d). The code is 80 random ' +
          'bits; only its hash is kept. 404 `not_a_hub` on a daemon not started with --hub.',
        tags: TAGS,
        body: Type.Optional(PairBody),
        response: { 201: PairingCodeWire, ...errorResponses(400, 401, 403, 404, 413, 415, 422) },
      },
    },
    async (request, reply) => pairingCode(request.daybook, request.body, reply),
  )

  app.post(
    '/users/:name/sync/pair',
    {
      config: { access: 'admin' },
      bodyLimit: SYNC_BODY_LIMIT,
      schema: {
        summary: "A pairing code for a new device of a user's diary (team server, hub only)",
        description:
          'The body and answer of `POST /v1/sync/pair`. The device pairs with the diary of user ' +
          '`name`: its pushes land there only, and its pulls see only that diary. Needs a token ' +
          'of scope `admin` of a server admin (403 `not_server_admin`); 404 `unknown_user`, ' +
          '400 for a name that cannot be a user, 404 `not_a_hub` on a daemon not started with --hub.',
        tags: [...TAGS, 'users'],
        params: Type.Object({
          name: Type.String({
            pattern: USER_NAME_RE.source,
            description: '1-32 lower-case letters, digits or _, starting with a letter.',
          }),
        }),
        body: Type.Optional(PairBody),
        response: { 201: PairingCodeWire, ...errorResponses(400, 401, 403, 404, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      if (!(await app.users.isServerAdmin(request.principal))) {
        throw new ForbiddenError(
          'not_server_admin',
          "only a server admin may pair a device with another user's diary",
        )
      }
      return pairingCode(app.users.diary(request.params.name), request.body, reply)
    },
  )

  app.get(
    '/sync/clients',
    {
      config: { access: 'admin' },
      schema: {
        summary:
          'Devices paired with this hub: name, device id, paired, last seen, how far pushed and pulled',
        tags: TAGS,
        response: {
          200: Type.Object({ clients: Type.Array(SyncClientWire), lastSeq: Type.Integer() }),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (request) => {
      const rows = await request.daybook.syncHub.clients()
      return {
        clients: rows.map((r) => ({
          id: r.id,
          name: r.name,
          deviceId: r.deviceId,
          pairedAt: new Date(r.pairedMs).toISOString(),
          lastSeenAt: iso(r.lastSeenMs),
          pushedSeq: r.pushedSeq,
          pulledSeq: r.pulledSeq,
          revoked: r.revoked,
        })),
        lastSeq: rows[0]?.lastSeq ?? (await request.daybook.store.changes.last()),
      }
    },
  )

  app.post(
    '/sync/clients/revoke',
    {
      config: { access: 'admin' },
      bodyLimit: SYNC_BODY_LIMIT,
      schema: {
        summary: "Revoke a paired device's token (at once); its data stays unless purge",
        tags: TAGS,
        body: RevokeBody,
        response: {
          200: Type.Object({ revoked: Type.Boolean(), purged: Type.Integer() }),
          ...errorResponses(400, 401, 403, 404, 413, 415, 422),
        },
      },
    },
    async (request) => request.daybook.syncHub.revoke(request.body.id, request.body.purge ?? false),
  )

  app.post(
    '/sync/hub/join',
    {
      config: { access: 'public' },
      bodyLimit: SYNC_BODY_LIMIT,
      schema: {
        summary: 'Exchange a pairing code for a device-bound token of scope sync',
        description:
          'No token: the code is the credential, and a refused code counts as a failed ' +
          'authentication (429 past the limit). 400 `unknown_code`/`invalid_code`, 410 ' +
          '`code_used`/`code_expired`, 409 `device_name_taken` or `protocol_mismatch`.',
        tags: TAGS,
        security: [],
        body: JoinHubBody,
        response: {
          201: JoinHubAnswer,
          ...errorResponses(400, 404, 409, 410, 413, 415, 422, 429),
        },
      },
    },
    async (request, reply) => {
      const client = failureKey(request)
      if (client !== undefined) {
        const { allowed, retryAfterSec } = options.failures.check(client)
        if (!allowed) {
          throw new RateLimitedError(
            'rate_limited',
            `too many failed attempts from this address; retry in ${retryAfterSec} s`,
            retryAfterSec,
          )
        }
      }
      try {
        const joined = await app.users.join(request.body)
        void reply.code(201).header('cache-control', 'no-store')
        return joined
      } catch (err) {
        const code = (err as { code?: string }).code
        if (client !== undefined && (code?.endsWith('_code') || code?.startsWith('code_'))) {
          options.failures.hit(client)
        }
        throw err
      }
    },
  )

  app.get(
    '/sync/hub/hello',
    {
      config: { access: 'sync' },
      schema: {
        summary: "A paired device's hello: the protocol checked, where its pushes continue",
        tags: TAGS,
        querystring: HelloQuery,
        response: { 200: HelloAnswer, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => request.daybook.syncHub.hello(request.principal, request.query),
  )

  app.post(
    '/sync/hub/push',
    {
      config: { access: 'sync' },
      bodyLimit: PUSH_BODY_LIMIT,
      schema: {
        summary: "Push a paired device's own changes (gzip welcome); answered after the commit",
        description:
          'The changes after the acknowledged cursor `from`, up to `to` (positions in the ' +
          "device's feed), applied idempotently in one transaction with the new cursor. 422 " +
          'names a malformed change (nothing of the batch is stored); 403 `foreign_device` for ' +
          'data of another paired device or of the hub; 409 `cursor_ahead` when the hub holds ' +
          'less than `from` (restored from an older copy): push again from its `pushedSeq`.',
        tags: TAGS,
        body: PushBody,
        response: {
          200: Type.Object({ pushedSeq: Type.Integer(), applied: Type.Integer() }),
          ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
        },
      },
    },
    async (request) => request.daybook.syncHub.push(request.principal, request.body),
  )

  app.get(
    '/sync/hub/pull',
    {
      config: { access: 'sync' },
      schema: {
        summary: "Every change after a position but the device's own, waiting for one (gzip)",
        description:
          'Held open up to `wait` ms while there is nothing new. A cursor from another run of ' +
          'the hub (`epoch`) is read from no later than where this run began.',
        tags: TAGS,
        querystring: PullQuery,
        response: { 200: PullPage, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      // The request closes early when the device goes away: stop waiting for it.
      const abort = new AbortController()
      request.raw.on('close', () => abort.abort())
      // One that arrived as the stop began is answered at once too.
      if (closing) abort.abort()
      waiting.add(abort)
      const page = await request.daybook.syncHub
        .pull(
          request.principal,
          {
            after: request.query.after,
            epoch: request.query.epoch ?? null,
            limit: request.query.limit,
            waitMs: request.query.wait,
          },
          abort.signal,
        )
        .finally(() => waiting.delete(abort))
      if (!(request.headers['accept-encoding'] ?? '').includes('gzip')) return page
      void reply.header('content-type', 'application/json').header('content-encoding', 'gzip')
      // Already serialized and compressed: the bytes go out as they are.
      return reply.send((await gzip(JSON.stringify(page))) as never)
    },
  )

  app.post(
    '/sync/hub/leave',
    {
      config: { access: 'sync' },
      schema: {
        summary: 'A paired device leaves: its token is revoked (its data stays)',
        tags: TAGS,
        response: { 200: Type.Object({ left: Type.Boolean() }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      await request.daybook.syncHub.leave(request.principal)
      return { left: true }
    },
  )

  // Any daemon: status, and being a request.daybook.syncSpoke.

  app.get(
    '/sync/status',
    {
      config: { access: 'read' },
      schema: {
        summary:
          "This daemon's sync: its hub, state, cursors, pending changes, last sync, last error",
        tags: TAGS,
        response: { 200: SyncStatusWire, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      if (request.daybook.syncHub.enabled) {
        return {
          role: 'hub' as const,
          hub: request.daybook.syncHub.identity?.url ?? null,
          state: 'hub' as const,
          pushedSeq: 0,
          pulledSeq: 0,
          pending: 0,
          lastPushAt: null,
          lastPullAt: null,
          lastError: null,
        }
      }
      return request.daybook.syncSpoke.status()
    },
  )

  app.post(
    '/sync/join',
    {
      config: { access: 'admin' },
      bodyLimit: SYNC_BODY_LIMIT,
      schema: {
        summary: 'Pair this daemon with a hub (daybook sync join) and start syncing',
        description:
          "The hub's certificate must have `fingerprint` (502 `fingerprint_mismatch` names both); " +
          "the hub's refusals come back with its status and code.",
        tags: TAGS,
        body: JoinBody,
        response: {
          200: SyncStatusWire,
          ...errorResponses(400, 401, 403, 404, 409, 410, 413, 415, 422, 502),
        },
      },
    },
    async (request) => {
      if (request.daybook.syncHub.enabled) {
        throw new ConflictError('is_a_hub', 'this daemon is a hub; a hub does not join another')
      }
      return request.daybook.syncSpoke.join(request.body)
    },
  )

  app.post(
    '/sync/now',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Push everything pending and pull until caught up, now',
        tags: TAGS,
        response: { 200: SyncStatusWire, ...errorResponses(401, 403, 409) },
      },
    },
    async (request) => request.daybook.syncSpoke.now(),
  )

  app.post(
    '/sync/leave',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Stop syncing: the token revoked on the hub when reachable; local data kept',
        tags: TAGS,
        response: {
          200: Type.Object({ left: Type.Boolean(), hubReached: Type.Boolean() }),
          ...errorResponses(401, 403, 409),
        },
      },
    },
    async (request) => request.daybook.syncSpoke.leave(),
  )
}
