/**
 * ActivityWatch's REST API (`/api/0/…`) on a listener of its own (by default 127.0.0.1:5600,
 * where every watcher looks), sharing the daemon's store, services and tokens.
 *
 * The checks run in this order, each a hook:
 * 1. Host header, exactly as ActivityWatch checks it against DNS rebinding: a loopback listener
 *    answers only `localhost`, `127.0.0.1` and `[::1]` (400 `Host header is invalid`).
 * 2. Origin: a browser request is served only from Daybook's own origins, the configured ones,
 *    Firefox extensions and aw-watcher-web's Chrome extension; any other origin gets 403 (not
 *    merely a missing CORS header, which would still let a page's simple POST write).
 * 3. Access: ActivityWatch clients send no token, so without one a request may do only what a
 *    watcher does (info, list and create buckets, heartbeats, insert new events). Reading history,
 *    queries, export, import, replacing or deleting, and settings need a Daybook token
 *    (`Authorization: Bearer`, as aw-server-rust's optional API key). `open` serves everything
 *    without a token (for ActivityWatch's own web UI), and the daemon warns about it.
 * Errors are `{"message": …}`, ActivityWatch's shape.
 */
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify'
import {
  type Access,
  type Authenticator,
  AuthenticatorChain,
  allows,
} from '../../../domain/access.ts'
import { BadRequestError, ForbiddenError, UnauthorizedError } from '../../../domain/errors.ts'
import { named } from '../../plugins/named.ts'
import type { ActivityWatchService } from '../../../services/activitywatch.ts'
import type { DaybookContext } from '../../context.ts'
import { logFailure, toErrorResponse } from '../../errors.ts'
import { installJsonParser } from '../../json-body.ts'
import { trackStorageHealth } from '../../storage-health.ts'
import {
  authenticateCounted,
  failureKey,
  noteConnectionPrincipal,
  presentedToken,
} from '../../plugins/auth.ts'
import { onReservedConnection } from '../../transport.ts'
import { LOOPBACK_HOSTS, hostHeaderName } from '../../plugins/host-check.ts'
import { activityWatchRoutes } from './routes.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this ActivityWatch route without `--aw-open` (see the module comment). */
    awAccess?: Access
  }
}

export interface AwAppOptions {
  /** The daemon's context: store, ingest, tokens, clock. */
  daybook: DaybookContext
  /** The daemon's default token (and other fixed keys); scoped tokens are checked after it. */
  authenticator: Authenticator
  /** Serve every route without a token (`--aw-open`). */
  open?: boolean
  /** Check the Host header (a loopback listener); off when bound elsewhere. Default on. */
  hostCheck?: boolean
  /** Browser origins allowed besides extensions: Daybook's own and the configured ones. */
  origins?: () => readonly string[]
  logger?: FastifyServerOptions['logger']
}

/** aw-watcher-web's id in the Chrome Web Store. */
const AW_WATCHER_WEB_CHROME = 'chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi'

const FIREFOX_EXTENSION = /^moz-extension:\/\/[0-9a-z-]+$/i

const UNAUTHORIZED_AW =
  'this ActivityWatch route needs a Daybook token: send "Authorization: Bearer <token>" ' +
  '(daybook token --help), or serve with --aw-open'

/** The decorations the routes use. */
export interface AwAppContext {
  service: ActivityWatchService
  daybook: DaybookContext
  /** Throws unless the request carries a token that reaches `access` (or the API is open). */
  authorize: (request: FastifyRequest, access: Access) => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    aw: AwAppContext
  }
}

/** Builds the ActivityWatch app (not listening). */
export async function buildAwApp(options: AwAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // As on the main listener: requests are not logged one by one.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: {
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      // Bucket ids are path segments up to 512 characters (MAX_NAME_LENGTH).
      maxParamLength: 1024,
    },
    // Bodies are heartbeats and small batches; imports raise their own limit.
    bodyLimit: 16 * 1024 * 1024,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  })
  const { daybook } = options
  // One service with the main API: imports there and watchers here share its bucket cache.
  const service = daybook.activitywatch
  const authenticator = new AuthenticatorChain([options.authenticator, daybook.tokens])
  // The daemon's one budget of failed authentications per address, shared with the main API.
  const failures = daybook.authFailures
  const open = options.open ?? false

  const authorize = async (request: FastifyRequest, access: Access): Promise<void> => {
    const reserved = onReservedConnection(request.raw)
    if ((open || access === 'public') && !reserved) return
    // The same rule as the main API: counted per address (loopback as one), a valid token
    // never refused by the limit.
    const principal = await authenticateCounted(
      authenticator,
      failures,
      failureKey(request),
      presentedToken(request, false),
    )
    noteConnectionPrincipal(request, principal)
    if (open || access === 'public') return
    if (!principal) throw new UnauthorizedError('unauthorized', UNAUTHORIZED_AW)
    if (!allows(principal.scope, access)) {
      throw new ForbiddenError(
        'forbidden',
        `this Daybook token (scope ${principal.scope}) may not do this; use one with more access`,
      )
    }
  }
  app.decorate('aw', { service, daybook, authorize } satisfies AwAppContext)

  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toErrorResponse(err)
    logFailure(request.log, err, mapped.status)
    if (mapped.headers) void reply.headers(mapped.headers)
    return reply.code(mapped.status).send({ message: mapped.body.message })
  })
  trackStorageHealth(app, daybook.storage)
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` }),
  )

  if (options.hostCheck ?? true) {
    const names = new Set<string>(LOOPBACK_HOSTS)
    app.addHook('onRequest', async (request, reply) => {
      const name = hostHeaderName(request.headers.host)
      if (name === undefined || !names.has(name)) {
        return reply.code(400).send({ message: 'Host header is invalid' })
      }
    })
  }

  const originAllowed = (origin: string): boolean =>
    origin === AW_WATCHER_WEB_CHROME ||
    FIREFOX_EXTENSION.test(origin) ||
    (options.origins?.() ?? []).includes(origin) ||
    ownOrigins(app).includes(origin)

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin
    const preflight =
      request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined
    if (origin === undefined) {
      // ActivityWatch answers OPTIONS on every path (its CORS catch-all).
      if (request.method === 'OPTIONS') return reply.code(200).send()
      return
    }
    if (!originAllowed(origin)) {
      return reply.code(403).send({ message: `requests from origin ${origin} are not allowed` })
    }
    void reply.header('access-control-allow-origin', origin).header('vary', 'Origin')
    if (request.method !== 'OPTIONS') return
    if (preflight) {
      void reply
        .header('access-control-allow-methods', 'GET, POST, DELETE')
        .header(
          'access-control-allow-headers',
          request.headers['access-control-request-headers'] ?? 'content-type, authorization',
        )
        .header('access-control-max-age', '600')
      // Chrome asks before a page or extension reaches a loopback address.
      if (request.headers['access-control-request-private-network'] === 'true') {
        void reply.header('access-control-allow-private-network', 'true')
      }
    }
    return reply.code(200).send()
  })

  app.addHook('onRequest', async (request) => {
    if (request.is404) return authorize(request, 'read')
    await authorize(request, request.routeOptions.config.awAccess ?? 'admin')
  })

  // JSON within the depth limit (a deep heartbeat would overflow the stack handing it to the
  // store); an empty JSON body is refused as ActivityWatch refuses it.
  installJsonParser(app, {
    empty: () => ({ error: new BadRequestError('invalid_json', 'the JSON body is empty') }),
  })
  // Raw bodies for the settings routes: aw-client@0.3.7 posts string values unencoded, as forms.
  for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => {
      done(null, body)
    })
  }
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body)
  })

  await app.register(named(activityWatchRoutes))
  return app
}

/** The origins of the AW listener itself (`http://<loopback name>:<its port>`). */
function ownOrigins(app: FastifyInstance): string[] {
  const address = app.server.address()
  if (!address || typeof address === 'string') return []
  return LOOPBACK_HOSTS.map((h) => `http://${h}:${address.port}`)
}
