/**
 * `buildApp()`: the whole HTTP API as one Fastify instance that never listens by itself. The CLI's
 * `serve` attaches listeners; tests call `inject()` or listen on a free port.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify'
import { AsyncLocalStorage } from 'node:async_hooks'
import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'
import { Server as TlsServer, TLSSocket } from 'node:tls'
import qs from 'qs'
import { type Authenticator, AuthenticatorChain } from '../domain/access.ts'
import type { DefaultTokenSource } from '../auth/default-token.ts'
import type { Store } from '../store/ports.ts'
import { type Clock, DaybookContext } from './context.ts'
import type { HookServiceOptions } from '../services/hooks.ts'
import { installErrorHandlers } from './errors.ts'
import { BadRequestError } from '../domain/errors.ts'
import { installAuth } from './plugins/auth.ts'
import { installJsonParser } from './json-body.ts'
import { trackStorageHealth } from './storage-health.ts'
import { dashboardStatic } from './plugins/dashboard-static.ts'
import { named } from './plugins/named.ts'
import { installCors, originAllowed } from './plugins/cors.ts'
import { LOOPBACK_HOSTS, installHostCheck, installHostConsistency } from './plugins/host-check.ts'
import { RateLimiter } from './rate-limiter.ts'
import { afkRoutes } from './routes/afk.ts'
import { analysisRoutes } from './routes/analysis.ts'
import { catalogRoutes } from './routes/catalog.ts'
import { changeRoutes } from './routes/changes.ts'
import { type ChatOptions, chatRoutes } from './routes/chat.ts'
import { backupRoutes } from './routes/backups.ts'
import { type ImportLimits, exchangeRoutes } from './routes/exchange.ts'
import { answerClientError, installBodyBounds } from './body-bounds.ts'
import { historyRoutes } from './routes/history.ts'
import { labelRoutes } from './routes/labels.ts'
import { mcpRoutes } from './routes/mcp.ts'
import { searchRoutes } from './routes/search.ts'
import { sessionRoutes } from './routes/session.ts'
import { statusRoutes } from './routes/status.ts'
import { syncRoutes } from './routes/sync.ts'
import type { HubIdentity } from '../services/sync/hub.ts'
import { LabelWire } from './schemas/labels.ts'
import { type StreamOptions, installStream, streamHubFor } from './stream/plugin.ts'
import { Users } from './users.ts'
import { Teams } from './teams.ts'
import { deviceRoutes } from './routes/devices.ts'
import { eventDeleteRoutes, eventRoutes } from './routes/events.ts'
import { healthRoutes } from './routes/health.ts'
import { insightRoutes } from './routes/insights.ts'
import { inputRoutes, framesRoutes } from './routes/input.ts'
import { inputHeatmapRoutes } from './routes/input-heatmap.ts'
import { metaRoutes } from './routes/meta.ts'
import { projectRoutes } from './routes/projects.ts'
import { settingsRoutes } from './routes/settings.ts'
import { summaryRoutes } from './routes/summary.ts'
import { timelineRoutes } from './routes/timeline.ts'
import { hookRoutes } from './routes/hooks.ts'
import { screenshotImageRoutes, screenshotRoutes } from './routes/screenshots.ts'
import { tokenRoutes } from './routes/tokens.ts'
import { userRoutes } from './routes/users.ts'
import { teamRoutes } from './routes/teams.ts'
import { ErrorBody } from './schemas/common.ts'
import { FullEvent } from './schemas/events.ts'
import { Project } from './schemas/projects.ts'
import { ApiToken } from './schemas/tokens.ts'
import { lazySerializers } from './serialization.ts'
import { validatorCompiler } from './validation.ts'
import { wakatimeRoutes } from './compat/wakatime/index.ts'
import { DAYBOOK_VERSION } from '../version.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The owner's diary, and what the server has once (routes, the failure budget, health). */
    daybook: DaybookContext
    /** The users of a team server and their diaries. */
    users: Users
    /** Teams of users, what each member shares with them, and their totals. */
    teams: Teams
  }
  interface FastifyRequest {
    /**
     * The diary this request works on: its token's user's (the owner's for the default token
     * and for requests without one). Routes reach data through it only.
     */
    daybook: DaybookContext
  }
}

/** The app type every route file receives. */
export type DaybookApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

export interface BuildAppOptions {
  /** The store; when absent, attach it later with `app.daybook.attachStore()` (readyz is 503 until then). */
  store?: Store
  /** Checks the default token; scoped tokens (in the store) are checked after it. */
  authenticator: Authenticator
  /** The default token, for `POST /v1/auth/default-token/refresh` (409 without it). */
  defaultToken?: DefaultTokenSource
  /**
   * The Host header check against DNS rebinding, for a daemon bound to loopback: `allow` names
   * are answered besides localhost, 127.0.0.1 and [::1]. `false` turns it off (a daemon bound to
   * another address cannot know every name it is reached by). Default: on, loopback names only.
   */
  hostCheck?: { allow: readonly string[] } | false
  /** Browser origins allowed besides the daemon's own (normalised, see `normaliseOrigin`). */
  corsOrigins?: readonly string[]
  /**
   * Failed authentications allowed per client address and window (default 20 a minute), and
   * the client addresses tracked at once (default 10,000).
   */
  authFailureLimit?: { limit: number; windowMs: number; clients?: number }
  clock?: Clock
  logger?: FastifyServerOptions['logger']
  /** Log each request (off in the daemon: errors are logged, routine requests are not). */
  disableRequestLogging?: boolean
  /** Builds the HTTP server Fastify uses (serve uses it to share the app with a Unix socket). */
  serverFactory?: FastifyServerOptions['serverFactory']
  /** Serve `GET /activity/summary` without a token, as the frames server did (default: a read token). */
  publicActivitySummary?: boolean
  /** `GET /activity/summary` requests allowed per client address and window (30 per 60 s). */
  activitySummaryRateLimit?: { limit: number; windowMs: number }
  /** How often input retention checks whether a day has passed since its last run (hourly). */
  retentionCheckMs?: number
  /** How often the backup schedule checks whether its slot's backup is due (every minute). */
  backupCheckMs?: number
  /** Limits of the live stream (buffered bytes per client, ping and status intervals). */
  stream?: StreamOptions['limits']
  /** The report file of this data dir's `daybook watch`, shown by `GET /v1/status`. */
  watchStatusFile?: string
  /** Where screenshots are kept (`<data dir>/screenshots`); without it the image routes 404. */
  screenshotsDir?: string
  /** The built dashboard served at `/` (default: the repository's `web/dist`). */
  dashboardDir?: string
  /** The chat's model server: its settings file, the environment, the upstream timeout. */
  llm?: ChatOptions
  /**
   * Sync: where a spoke keeps its pairing (`configDir`, without it this daemon cannot join a
   * hub), and, for a hub, how devices reach it.
   */
  sync?: {
    configDir?: string | undefined
    hub?: HubIdentity | undefined
    /** A spoke's longest wait between attempts while the hub is unreachable (default 10 s). */
    retryMaxMs?: number | undefined
  }
  /** Hooks: evaluation intervals, the actions' environment and timeouts. */
  hooks?: HookServiceOptions
  /**
   * Store calls at least this slow (ms) are logged as a warning with the route that made them
   * (`DAYBOOK_SLOW_QUERY_MS`); 0 or absent: none are.
   */
  slowQueryMs?: number
  /**
   * An import's upload: the longest pause between its chunks (`DAYBOOK_IMPORT_IDLE_TIMEOUT_SEC`,
   * default 60 s) and its largest size (`DAYBOOK_IMPORT_MAX_MB`, default 16 GiB). No total
   * time: an upload of years of history takes as long as it takes.
   */
  imports?: ImportLimits
}

/** The route a store call is made for: set around each handler (`slowQueryMs`). */
const handling = new AsyncLocalStorage<{ route: string; user: string | undefined }>()

/** Parses `a[0]=x`, `a[]=x`, repeated keys and `%5B…%5D` brackets the way Skopio's clients send them. */
function parseQuery(query: string): Record<string, unknown> {
  return qs.parse(query, {
    depth: 4,
    arrayLimit: 1000,
    parameterLimit: 2000,
    allowPrototypes: false,
  })
}

/**
 * Timeouts of every HTTP server the app is served by. A request's headers and body must arrive in
 * time (slow-drip clients cannot hold connections open), and idle keep-alive connections close.
 * Responses are not limited, so long streams are unaffected.
 */
export const HTTP_TIMEOUTS = {
  headersTimeout: 30_000,
  requestTimeout: 60_000,
  keepAliveTimeout: 10_000,
} as const

/**
 * Applies request timeouts to a server, before it listens. Node checks them only every
 * `connectionsCheckingInterval` (30 s by default), so a request dripping one header line every
 * few seconds lived up to twice its limit; checked every second (or a tenth of a short limit),
 * the limit holds however slowly the bytes come.
 */
export function applyHttpTimeouts(
  server: Server,
  timeouts: { headersTimeout: number; requestTimeout: number } = HTTP_TIMEOUTS,
): void {
  server.headersTimeout = timeouts.headersTimeout
  server.requestTimeout = timeouts.requestTimeout
  server.keepAliveTimeout = HTTP_TIMEOUTS.keepAliveTimeout
  // A constructor option in Node's types, but read from the server when it starts listening.
  ;(server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.max(50, Math.min(1000, Math.floor(timeouts.headersTimeout / 10)))
}

/** Routes served both at `/<path>` (Skopio's paths) and at `/v1/<path>`. */
const SKOPIO_ROUTES = [
  healthRoutes,
  eventRoutes,
  afkRoutes,
  catalogRoutes,
  projectRoutes,
  summaryRoutes,
  insightRoutes,
]

/**
 * Connections that have sent no request yet (a browser opens some ahead of need) are not idle to
 * Node's server, and its `close` waits for them: one such connection kept a stopping daemon
 * running for as long as the client held it (a dashboard's tab: for ever). Returns what closes
 * them once the server stops; connections that have carried a request are Node's to close (idle)
 * or end after their answer.
 */
function trackUnusedConnections(server: Server): () => void {
  const open = new Set<Socket>()
  const used = new WeakSet<Socket>()
  const track = (socket: Socket) => {
    open.add(socket)
    socket.once('close', () => open.delete(socket))
  }
  const tls = server instanceof TlsServer
  server.on('connection', track)
  // Over TLS a request arrives on the TLS socket around the raw one: both are tracked.
  if (tls) server.on('secureConnection', track)
  server.on('request', (req: IncomingMessage) => used.add(req.socket))
  server.on('upgrade', (req: IncomingMessage) => used.add(req.socket))
  return () => {
    for (const socket of open) {
      if (used.has(socket)) continue
      // A raw socket under TLS is closed only if it has sent nothing: once its handshake is
      // done, its TLS socket says whether a request came.
      if (tls && !(socket instanceof TLSSocket) && socket.bytesRead > 0) continue
      socket.destroy()
    }
  }
}

/** Builds the API. */
export async function buildApp(options: BuildAppOptions): Promise<DaybookApp> {
  const app = Fastify({
    logger: options.logger ?? false,
    logController: new LogController({
      disableRequestLogging: options.disableRequestLogging ?? false,
    }),
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
    routerOptions: {
      querystringParser: parseQuery,
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
    },
    bodyLimit: 1024 * 1024,
    schemaController: { compilersFactory: { buildSerializer: lazySerializers } },
    // Idle keep-alive connections are closed at shutdown; in-flight requests are allowed to finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Set on the server itself: Fastify applies its timeout options only to servers it creates.
  applyHttpTimeouts(app.server)
  app.setValidatorCompiler(validatorCompiler)
  const clock = options.clock ?? Date.now
  // A slow store call is logged with the route it was made for (none: hooks, retention, sync).
  const slowQueries = {
    slowQueryMs: options.slowQueryMs,
    onSlowQuery: (method: string, ms: number) => {
      const at = handling.getStore()
      app.log.warn(
        { query: method, ms, route: at?.route ?? null, user: at?.user ?? null },
        `slow query: ${method} took ${ms} ms${at ? ` for ${at.route}` : ''}`,
      )
    },
  }
  if ((options.slowQueryMs ?? 0) > 0) {
    // Around the handler (after the body is parsed): everything the handler awaits runs inside.
    app.addHook('preHandler', (request, _reply, done) => {
      const route = `${request.method} ${request.routeOptions.url ?? request.url}`
      handling.run({ route, user: request.principal?.user }, done)
    })
  }
  app.decorate(
    'daybook',
    new DaybookContext({
      ...slowQueries,
      version: DAYBOOK_VERSION,
      clock,
      store: options.store,
      defaultToken: options.defaultToken,
      onError: (err, what) => app.log.error({ err }, what),
      authFailureLimit: options.authFailureLimit,
      hooks: options.hooks,
      screenshotsDir: options.screenshotsDir,
    }),
  )
  const diaryOptions = {
    ...slowQueries,
    version: DAYBOOK_VERSION,
    clock,
    onError: (err: unknown, what: string) => app.log.error({ err }, what),
    hooks: options.hooks,
  }
  app.decorate(
    'users',
    new Users({
      owner: app.daybook,
      clock,
      // Another user's diary: the same services over their store; no default token, no
      // screenshots (those are the machine's own, in the owner's diary).
      open: async (store, name) => {
        const daybook = new DaybookContext({
          ...diaryOptions,
          onError: (err, what) => app.log.error({ err, user: name }, what),
          localActions: false,
        })
        daybook.stream = streamHubFor(daybook, { limits: options.stream }, (err) =>
          app.log.error({ err, user: name }, 'live stream'),
        )
        // On a hub every diary is one too: a device paired for this user (daybook pair --user)
        // pushes into this diary and pulls from it only.
        const hub = app.daybook.syncHub.identity
        if (hub) daybook.syncHub.enable(hub)
        await daybook.attachStore(store)
        daybook.inputRetention.start(options.retentionCheckMs ?? 3_600_000)
        return daybook
      },
      close: async (daybook) => {
        daybook.inputRetention.stop()
        await daybook.syncSpoke.stop()
        daybook.stream?.shutdown()
        await daybook.hooks.stop()
        if (daybook.ready) await daybook.store.close()
      },
    }),
  )
  app.decorate('teams', new Teams({ users: app.users, store: () => app.daybook.store, clock }))
  if (options.sync?.hub) app.daybook.syncHub.enable(options.sync.hub)
  if (options.sync?.configDir !== undefined) {
    app.daybook.syncSpoke.configure(options.sync.configDir, { retryMaxMs: options.sync.retryMaxMs })
  }
  for (const schema of [ErrorBody, FullEvent, Project, ApiToken, LabelWire]) app.addSchema(schema)
  installErrorHandlers(app)
  trackStorageHealth(app, app.daybook.storage)
  // An empty JSON body is no body: routes that need none (a token refresh) accept it, and routes
  // that need one say which field is missing instead of "not valid JSON".
  installJsonParser(app, {
    empty: (request) =>
      request.routeOptions.schema?.body === undefined
        ? { value: undefined }
        : {
            error: new BadRequestError('invalid_json', 'the body is empty; this route needs JSON'),
          },
  })
  // A request in flight when a clean stop begins is finished; its connection is then closed, not
  // kept alive for the next request: the server's close waited out the idle keep-alive timeout
  // (10 s) of every such connection before the daemon could exit.
  let stopping = false
  const closeUnused = trackUnusedConnections(app.server)
  app.addHook('preClose', (done) => {
    stopping = true
    closeUnused()
    done()
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (stopping) void reply.header('connection', 'close')
    done(null, payload)
  })

  // Bodies are JSON only: a text/plain body is a 415 that says so, not a confusing schema error.
  app.removeContentTypeParser('text/plain')

  // Every route lands in the route table with its access class. The CORS plugin's catch-all
  // OPTIONS route only answers preflights (or 404s), so it is public: browsers send preflights
  // without credentials. The root aliases are the same handlers; only /v1 paths are documented.
  app.addHook('onRoute', (route) => {
    if (route.method === 'OPTIONS' && route.url === '*') {
      route.config = { ...route.config, access: 'public' }
    }
    // The WakaTime wire is documented once, at its /api/v1 paths.
    const documented = route.url.startsWith('/v1') || route.url.startsWith('/api/v1/')
    if (!documented) route.schema = { ...route.schema, hide: true }
    for (const method of [route.method].flat()) {
      app.daybook.routes.push({
        method,
        url: route.url,
        access: route.config?.access,
        wire: route.config?.wire,
        schema: route.schema,
      })
    }
  })

  // Hook order is the order of the checks: Host header, then CORS (which answers preflights),
  // then authentication and scope.
  const hostCheck = options.hostCheck ?? { allow: [] }
  installBodyBounds(app)
  installHostConsistency(app)
  if (hostCheck !== false) installHostCheck(app, hostCheck.allow)
  const corsOptions = {
    hosts: [...LOOPBACK_HOSTS, ...(hostCheck === false ? [] : hostCheck.allow)],
    origins: options.corsOrigins ?? [],
  }
  await installCors(app, corsOptions)
  const authFailures = app.daybook.authFailures
  installAuth(
    app,
    new AuthenticatorChain([
      options.authenticator,
      // Held in the owner's cache (one read to confirm it); `users` finds the others.
      { authenticate: (secret) => app.daybook.tokens.authenticateHeld(secret) },
      app.daybook.syncHub,
      app.users,
    ]),
    authFailures,
    (principal) => app.users.diaryOf(principal),
  )

  // Before the routes: the WebSocket plugin adapts the routes that serve upgrades as they register.
  const hub = await installStream(app, {
    originAllowed: originAllowed(app, corsOptions),
    limits: options.stream,
  })
  app.daybook.stream = hub

  const framesOptions = {
    publicSummary: options.publicActivitySummary ?? false,
    summaryLimiter: new RateLimiter({
      ...(options.activitySummaryRateLimit ?? { limit: 30, windowMs: 60_000 }),
      clock,
    }),
  }
  for (const routes of SKOPIO_ROUTES) {
    await app.register(named(routes), { prefix: '/v1' })
    await app.register(routes)
  }
  await app.register(named(framesRoutes), { prefix: '/v1', ...framesOptions })
  await app.register(framesRoutes, framesOptions)
  for (const routes of [
    inputRoutes,
    inputHeatmapRoutes,
    analysisRoutes,
    metaRoutes,
    settingsRoutes,
    tokenRoutes,
    userRoutes,
    teamRoutes,
    eventDeleteRoutes,
    deviceRoutes,
    changeRoutes,
    labelRoutes,
    historyRoutes,
    searchRoutes,
    timelineRoutes,
    hookRoutes,
    screenshotRoutes,
    backupRoutes,
  ]) {
    await app.register(named(routes), { prefix: '/v1' })
  }
  await app.register(named(exchangeRoutes), { prefix: '/v1', ...options.imports })
  await app.register(named(statusRoutes), {
    prefix: '/v1',
    hub,
    watchStatusFile: options.watchStatusFile,
  })
  await app.register(named(sessionRoutes), { prefix: '/v1', failures: authFailures })
  await app.register(named(syncRoutes), { prefix: '/v1', failures: authFailures })
  await app.register(named(screenshotImageRoutes))
  await app.register(named(wakatimeRoutes))
  await app.register(named(mcpRoutes), { originAllowed: originAllowed(app, corsOptions) })
  await app.register(named(chatRoutes), { prefix: '/v1', ...options.llm })
  await app.register(named(dashboardStatic), { dir: options.dashboardDir })

  // Input retention runs once the app is ready (and again when a store is attached later), then
  // is checked on a timer, so an idle daemon still deletes old rows.
  app.addHook('onReady', async () => {
    // A store given to buildApp (tests, tools) is there from the start; the daemon's comes later.
    await app.daybook.beginSync()
    if (app.daybook.ready) await app.users.load()
    await app.daybook.inputRetention.maybeRun()
    app.daybook.inputRetention.start(options.retentionCheckMs ?? 3_600_000)
    app.daybook.startHooks()
    if (app.daybook.ready) {
      app.daybook.screenshots.start()
      await app.daybook.sweepBackups()
      void app.daybook.backups.check()
    }
    app.daybook.backups.start(options.backupCheckMs ?? 60_000)
  })
  app.addHook('onClose', async (instance) => {
    instance.daybook.inputRetention.stop()
    await instance.daybook.syncSpoke.stop()
    instance.daybook.screenshots.stop()
    await instance.daybook.backups.close()
    // Before the store closes: running actions log how they ended.
    await instance.daybook.hooks.stop()
    await instance.users.closeAll()
    if (instance.daybook.ready) await instance.daybook.store.close()
  })
  return app
}
