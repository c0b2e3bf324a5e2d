/**
 * `daybook serve`: the daemon. Owns the process: listeners, signals, the discovery file, exit codes.
 *
 * Start-up order: data dir → the store opens in its threads while the token is read and the API
 * built → store checked (a newer schema refuses here) → listeners → migrations → ready. Probes answer while migrations run; `/readyz` says 503 until done.
 * Shutdown order: stop accepting → finish in-flight requests → close the store → remove the
 * socket and discovery file → exit 0.
 */
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import type { FastifyServerOptions } from 'fastify'
import { type DaybookApp, applyHttpTimeouts, buildApp } from '../api/app.ts'
import {
  type ConnectionLimits,
  defaultConnectionLimits,
  limitConnections,
} from '../api/connection-limits.ts'
import {
  AW_DEFAULT_PORT,
  type AwListener,
  listenActivityWatch,
} from '../api/compat/activitywatch/listener.ts'
import { normaliseOrigin } from '../api/plugins/cors.ts'
import { normaliseHostName } from '../api/plugins/host-check.ts'
import { markUnixSocketRequest } from '../api/transport.ts'
import {
  type DefaultTokenSource,
  StaticKeyAuthenticator,
  ensureDefaultToken,
  fileDefaultToken,
  fixedDefaultToken,
  tokenFileProblem,
} from '../auth/default-token.ts'
import { AuthenticatorChain } from '../domain/access.ts'
import { LLM_ENV } from '../assistant/llm-config.ts'
import { ensurePrivateDir, writeFileAtomic } from '../config/files.ts'
import {
  dataPaths,
  databaseFile,
  defaultConfigDir,
  defaultDataDir,
  tokenFile,
} from '../config/paths.ts'
import { lockDataDir } from '../config/lock.ts'
import { type MdnsAdvertisement, advertiseDaemon } from '../discovery/mdns.ts'
import { DaybookError } from '../domain/errors.ts'
import { watchStatusFile } from '../collectors/core/status.ts'
import { openStore } from '../store/open.ts'
import type { Store } from '../store/ports.ts'
import { DAYBOOK_VERSION } from '../version.ts'
import { CliError, type Command, parseFlags, parsePort } from './command.ts'

const HELP = `Usage: daybook serve [options]

Runs the Daybook daemon: stores activity events and serves the API.

Options:
  --host HOST        Address to listen on (default 127.0.0.1)     [DAYBOOK_HOST, HOST]
                     Anything but a loopback address is reachable from other
                     machines: it must be asked for, and a warning is printed.
  --port PORT        TCP port; 0 picks a free one (default 5610)   [DAYBOOK_PORT, PORT]
  --data-dir DIR     Where the database, socket and daemon.json live     [DAYBOOK_DATA_DIR]
                     (default: ~/.local/share/daybook, or the platform's data dir)
  --db-path FILE     The database file (default <data-dir>/daybook.db)
                                                   [DAYBOOK_DB_PATH, ACTIVITY_DB_PATH]
  --config-dir DIR   Where the default token file lives                  [DAYBOOK_CONFIG_DIR]
                     (default: ~/.config/daybook, or the platform's config dir)
  --socket [PATH]    Also listen on a Unix socket                        [DAYBOOK_SOCKET]
                     (default path: <data-dir>/run/daybook.sock; dir 0700, socket 0600)
  --no-tcp           Serve on the Unix socket only (implies --socket)
  --mdns             Advertise the daemon on the local network as _daybook._tcp
                     (DNS-SD; TXT: version, api, protocol), withdrawn at exit [DAYBOOK_MDNS]
  --log-level LEVEL  fatal, error, warn, info, debug or trace (default info) [DAYBOOK_LOG_LEVEL]
  --allow-host NAME  Also answer requests addressed to NAME (repeatable) [DAYBOOK_ALLOWED_HOSTS]
                     On loopback only localhost, 127.0.0.1 and [::1] are answered
                     (any port); other Host headers get 421, against DNS rebinding.
  --cors-origin ORIGIN
                     Let web pages from ORIGIN call the API, e.g.        [DAYBOOK_CORS_ORIGINS]
                     http://localhost:3000 (repeatable). The daemon's own
                     origins are always allowed; there is no wildcard.
  --aw               Also serve ActivityWatch's API (/api/0) for its watchers, browser
                     extension and clients, on 127.0.0.1:5600          [DAYBOOK_AW]
  --aw-port PORT     Port of the ActivityWatch API (default 5600)        [DAYBOOK_AW_PORT]
  --aw-open          Serve the whole ActivityWatch API without a token (for ActivityWatch's
                     own web UI); a warning is printed               [DAYBOOK_AW_OPEN]
  -h, --help         Show this help

  The DAYBOOK_* variables win over the frames server's names (HOST, PORT, ACTIVITY_DB_PATH).

Access:
  Every route but /health, /healthz and /readyz needs "Authorization: Bearer <token>".
  The admin token is created on first start in <config-dir>/auth.token (mode 0600);
  DAYBOOK_TOKEN=<secret> uses that secret instead. The daemon refuses to start when the
  token file is readable by other users. Scoped tokens: see daybook token --help.
  More than 20 failed authentications a minute from one address get 429.
  ActivityWatch API (--aw): without a token only what a watcher does (info, list and
  create buckets, heartbeats, new events); everything else needs a Daybook token.
  Environment lists (DAYBOOK_ALLOWED_HOSTS, DAYBOOK_CORS_ORIGINS) are comma-separated.
  SERVER_API_KEY=<key>                  also accept <key> as an ingest-only key (POST /frames,
                                        where it may be sent raw: "Authorization: <key>")
  DAYBOOK_PUBLIC_ACTIVITY_SUMMARY=true  serve GET /activity/summary without a token
  GET_RATE_LIMIT_MAX_REQUESTS=N         GET /activity/summary requests allowed per client
  GET_RATE_LIMIT_WINDOW_SEC=N           address and window (default 30 per 60 s)
  DAYBOOK_MAX_CONNECTIONS=N             open TCP connections at once (default: the open-file
                                        limit less 128 kept for the database, at most 1024)
  DAYBOOK_MAX_CONNECTIONS_PER_ADDRESS=N open TCP connections from one address (default 64);
                                        beyond either cap a connection is closed at once

Chat (/v1/chat/completions, OpenAI-compatible; the model server is any OpenAI-compatible one):
  DAYBOOK_LLM_BASE_URL=URL              e.g. http://127.0.0.1:11434/v1 (Ollama)
  DAYBOOK_LLM_MODEL=NAME                the model asked for as "daybook"
  DAYBOOK_LLM_API_KEY=KEY               sent to the model server, never shown or logged
  POST /v1/settings/llm-config sets the same (kept in <config-dir>/llm.json, 0600) and wins.

Files:
  <data-dir>/daybook.db    the database (SQLite, WAL)
  <data-dir>/daemon.json   pid, host, port, socket, version, startedAt; removed at exit

Input activity older than the inputRetentionDays setting (default 30 days; 0 keeps it) is
deleted at start and then once a day.

Stops cleanly on SIGINT or SIGTERM: in-flight requests finish, then the database closes.
`

export interface ServeConfig {
  host: string
  port: number
  tcp: boolean
  dataDir: string
  configDir: string
  /** Unix socket path, or undefined for none. */
  socket: string | undefined
  /** The database file. */
  dbPath: string
  /** An explicit token (DAYBOOK_TOKEN); otherwise the default token file is used. */
  token: string | undefined
  /** An extra ingest-only key (SERVER_API_KEY, the frames server's shared secret). */
  ingestKey: string | undefined
  /** Serve GET /activity/summary without a token. */
  publicActivitySummary: boolean
  /** GET /activity/summary requests per client address and window. */
  summaryRateLimit: { limit: number; windowMs: number }
  logLevel: string
  /** Host names answered besides the loopback ones (normalised). */
  allowedHosts: string[]
  /** Browser origins allowed besides the daemon's own (normalised). */
  corsOrigins: string[]
  /** Advertise `_daybook._tcp` over mDNS. */
  mdns: boolean
  /** Caps on open TCP connections (DAYBOOK_MAX_CONNECTIONS[_PER_ADDRESS]). */
  connectionLimits: ConnectionLimits
  /** Serve ActivityWatch's API on its own loopback port. */
  aw: boolean
  awPort: number
  /** Serve all of ActivityWatch's API without a token. */
  awOpen: boolean
  /** The chat's model server from the environment (DAYBOOK_LLM_*), under its stored settings. */
  llmEnv: Record<string, string | undefined>
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Flags over environment over defaults. */
export function resolveServeConfig(argv: string[], env: NodeJS.ProcessEnv): ServeConfig {
  // `--socket` takes an optional value: bare, it means the default path.
  const args = argv.map((a, i) =>
    a === '--socket' && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('-'))
      ? '--socket='
      : a,
  )
  const { values } = parseFlags('serve', args, {
    host: { type: 'string' },
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    'db-path': { type: 'string' },
    'config-dir': { type: 'string' },
    socket: { type: 'string' },
    'no-tcp': { type: 'boolean' },
    mdns: { type: 'boolean' },
    'log-level': { type: 'string' },
    'allow-host': { type: 'string', multiple: true },
    'cors-origin': { type: 'string', multiple: true },
    aw: { type: 'boolean' },
    'aw-port': { type: 'string' },
    'aw-open': { type: 'boolean' },
  })
  const dataDir = path.resolve(
    values['data-dir'] ?? nonEmpty(env.DAYBOOK_DATA_DIR) ?? defaultDataDir(env),
  )
  const configDir = path.resolve(
    values['config-dir'] ?? nonEmpty(env.DAYBOOK_CONFIG_DIR) ?? defaultConfigDir(env),
  )
  const tcp = values['no-tcp'] !== true
  const socketValue = values.socket ?? nonEmpty(env.DAYBOOK_SOCKET)
  const wantsSocket = socketValue !== undefined || !tcp
  const socket = !wantsSocket
    ? undefined
    : socketValue === undefined ||
        socketValue === '' ||
        socketValue === '1' ||
        socketValue === 'true'
      ? dataPaths(dataDir).socket
      : path.resolve(socketValue)
  const portSource = values.port
    ? '--port'
    : nonEmpty(env.DAYBOOK_PORT)
      ? 'DAYBOOK_PORT'
      : nonEmpty(env.PORT)
        ? 'PORT'
        : undefined
  const portText = values.port ?? nonEmpty(env.DAYBOOK_PORT) ?? nonEmpty(env.PORT)
  const logLevel = values['log-level'] ?? nonEmpty(env.DAYBOOK_LOG_LEVEL) ?? 'info'
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`, 2)
  }
  const allowedHosts = listSetting(
    values['allow-host'],
    env.DAYBOOK_ALLOWED_HOSTS,
    '--allow-host',
    'DAYBOOK_ALLOWED_HOSTS',
    normaliseHostName,
    'a host name or IP address',
  )
  const corsOrigins = listSetting(
    values['cors-origin'],
    env.DAYBOOK_CORS_ORIGINS,
    '--cors-origin',
    'DAYBOOK_CORS_ORIGINS',
    normaliseOrigin,
    'an origin such as http://localhost:3000 (no wildcard, no path)',
  )
  return {
    host: values.host ?? nonEmpty(env.DAYBOOK_HOST) ?? nonEmpty(env.HOST) ?? '127.0.0.1',
    port: portText === undefined ? 5610 : parsePort(portText, portSource ?? '--port'),
    tcp,
    dataDir,
    configDir,
    socket,
    dbPath: databaseFile(dataDir, values['db-path'], env),
    token: nonEmpty(env.DAYBOOK_TOKEN),
    ingestKey: nonEmpty(env.SERVER_API_KEY),
    llmEnv: Object.fromEntries(Object.values(LLM_ENV).map((name) => [name, env[name]])),
    publicActivitySummary: parseBoolean(
      env.DAYBOOK_PUBLIC_ACTIVITY_SUMMARY,
      'DAYBOOK_PUBLIC_ACTIVITY_SUMMARY',
    ),
    summaryRateLimit: {
      limit: parsePositive(env.GET_RATE_LIMIT_MAX_REQUESTS, 'GET_RATE_LIMIT_MAX_REQUESTS') ?? 30,
      windowMs:
        (parsePositive(env.GET_RATE_LIMIT_WINDOW_SEC, 'GET_RATE_LIMIT_WINDOW_SEC') ?? 60) * 1000,
    },
    logLevel,
    allowedHosts,
    corsOrigins,
    mdns: values.mdns === true || parseBoolean(env.DAYBOOK_MDNS, 'DAYBOOK_MDNS'),
    connectionLimits: connectionLimitsFrom(env),
    aw: values.aw === true || parseBoolean(env.DAYBOOK_AW, 'DAYBOOK_AW'),
    awPort:
      values['aw-port'] !== undefined
        ? parsePort(values['aw-port'], '--aw-port')
        : nonEmpty(env.DAYBOOK_AW_PORT) !== undefined
          ? parsePort(env.DAYBOOK_AW_PORT ?? '', 'DAYBOOK_AW_PORT')
          : AW_DEFAULT_PORT,
    awOpen: values['aw-open'] === true || parseBoolean(env.DAYBOOK_AW_OPEN, 'DAYBOOK_AW_OPEN'),
  }
}

function connectionLimitsFrom(env: NodeJS.ProcessEnv): ConnectionLimits {
  const defaults = defaultConnectionLimits()
  const total =
    parsePositive(env.DAYBOOK_MAX_CONNECTIONS, 'DAYBOOK_MAX_CONNECTIONS') ?? defaults.total
  const perAddress =
    parsePositive(env.DAYBOOK_MAX_CONNECTIONS_PER_ADDRESS, 'DAYBOOK_MAX_CONNECTIONS_PER_ADDRESS') ??
    Math.min(defaults.perAddress, total)
  return { total, perAddress }
}

/** A repeatable flag, else a comma-separated variable; each value normalised or refused. */
function listSetting(
  flagValues: string[] | undefined,
  envValue: string | undefined,
  flag: string,
  variable: string,
  normalise: (value: string) => string | undefined,
  expected: string,
): string[] {
  const [values, source] =
    flagValues !== undefined
      ? [flagValues, flag]
      : [(envValue ?? '').split(',').filter((v) => v.trim() !== ''), variable]
  return values.map((value) => {
    const normalised = normalise(value)
    if (normalised === undefined) {
      throw new CliError(`${source} must be ${expected}, got ${JSON.stringify(value)}`, 2)
    }
    return normalised
  })
}

function parseBoolean(value: string | undefined, name: string): boolean {
  const v = value?.trim().toLowerCase()
  if (v === undefined || v === '' || v === 'false' || v === '0') return false
  if (v === 'true' || v === '1') return true
  throw new CliError(`${name} must be true or false, got ${JSON.stringify(value)}`, 2)
}

function parsePositive(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1 || n > 1_000_000_000) {
    throw new CliError(
      `${name} must be a whole number of at least 1, got ${JSON.stringify(value)}`,
      2,
    )
  }
  return n
}

/** A running daemon. */
export interface Daemon {
  app: DaybookApp
  config: ServeConfig
  /** The bound TCP port (when listening on TCP). */
  port: number | undefined
  /** The ActivityWatch listener's port (with --aw). */
  awPort: number | undefined
  /** Stops the daemon in order; resolves when everything is closed. */
  stop(): Promise<void>
}

/** Starts the daemon; rejects with a `CliError` for every foreseeable start-up failure. */
export async function startDaemon(config: ServeConfig): Promise<Daemon> {
  prepareDataDir(config.dataDir)
  // Before anything else touches the data dir: a second daemon would overwrite daemon.json and,
  // stopping, delete it from under the first one.
  const lock = lockDataDir(dataPaths(config.dataDir).lock)
  if (!lock) {
    throw new CliError(
      `another daybook daemon is already running for ${config.dataDir}${runningPid(config.dataDir)}; ` +
        'stop it first, or use another --data-dir',
    )
  }
  let opening: Promise<Store> | undefined
  try {
    restrictDatabaseMode(config.dbPath)
    // The store's threads open the database while this one builds the API (start to ready).
    opening = openDatabase(config.dbPath)
    opening.catch(() => undefined) // awaited (and its failure reported) in startWithStore
    const daemon = await startWithStore(config, opening)
    return { ...daemon, stop: () => daemon.stop().finally(() => lock.release()) }
  } catch (err) {
    // idempotent: the app may already have closed it
    await opening?.then(
      (store) => store.close(),
      () => undefined,
    )
    lock.release()
    throw err
  }
}

/**
 * The database holds a person's activity: it and its WAL and shared-memory files are the owner's
 * alone, whatever mode an older tool created them with (SQLite gives new companions the main
 * file's mode). Said on stderr when a mode is changed.
 */
function restrictDatabaseMode(file: string): void {
  if (process.platform === 'win32') return
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    let mode: number
    try {
      mode = statSync(f).mode & 0o777
    } catch {
      continue // not there yet
    }
    if ((mode & 0o077) === 0) continue
    try {
      chmodSync(f, 0o600)
    } catch (err) {
      throw new CliError(`cannot make ${f} private (mode 0600): ${describeFsError(err)}`)
    }
    process.stderr.write(
      `daybook serve: ${f} was readable by other users (mode ${mode.toString(8).padStart(4, '0')}); its mode is now 0600\n`,
    )
  }
}

/** ` (pid N)` from the running daemon's discovery file, when it can be read. */
function runningPid(dataDir: string): string {
  try {
    const { pid } = JSON.parse(readFileSync(dataPaths(dataDir).discovery, 'utf8')) as {
      pid?: number
    }
    return typeof pid === 'number' ? ` (pid ${pid})` : ''
  } catch {
    return ''
  }
}

async function startWithStore(config: ServeConfig, opening: Promise<Store>): Promise<Daemon> {
  const files = dataPaths(config.dataDir)
  // The token file is re-read while the daemon runs; a bad replacement is logged, not used.
  const log: { warn: (message: string) => void } = { warn: () => undefined }
  const defaultToken = defaultTokenSource(config, (message) => log.warn(message))
  const authenticator = new AuthenticatorChain([
    new StaticKeyAuthenticator(() => defaultToken.current()),
    ...(config.ingestKey === undefined ? [] : [ingestKeyAuthenticator(config.ingestKey)]),
  ])

  // One handler, two servers: TCP via Fastify's own server, the Unix socket via a second server
  // that hands its requests (and WebSocket upgrades) to the same app.
  let handler: http.RequestListener | undefined
  const serverFactory: NonNullable<FastifyServerOptions['serverFactory']> = (h) => {
    handler = h
    return http.createServer(h)
  }
  const app = await buildApp({
    authenticator,
    defaultToken,
    // Bound to loopback, the daemon knows every name it is reached by; bound elsewhere it cannot.
    hostCheck: isLoopback(config.host) ? { allow: allowedHostNames(config) } : false,
    corsOrigins: config.corsOrigins,
    serverFactory,
    disableRequestLogging: true,
    publicActivitySummary: config.publicActivitySummary,
    activitySummaryRateLimit: config.summaryRateLimit,
    watchStatusFile: watchStatusFile(config.dataDir),
    llm: { configFile: path.join(config.configDir, 'llm.json'), env: config.llmEnv },
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization'],
      serializers: {
        req: (req: { method: string; url: string }) => ({
          method: req.method,
          url: redactUrl(req.url),
        }),
      },
    },
  })
  await app.ready()
  log.warn = (message) => app.log.warn(message)
  let store: Store
  try {
    store = await opening
  } catch (err) {
    await app.close()
    throw err
  }

  let socketServer: http.Server | undefined
  try {
    if (config.tcp) await listenTcp(app, config)
    if (config.socket !== undefined && handler) {
      socketServer = await listenSocket(config.socket, handler, app)
    }
  } catch (err) {
    await app.close()
    socketServer?.close()
    throw err
  }

  try {
    await store.migrate()
  } catch (err) {
    await app.close()
    socketServer?.close()
    throw new CliError(`cannot migrate ${config.dbPath}: ${(err as Error).message}`)
  }
  // From here on the app owns the store and closes it on close; attaching runs input retention.
  await app.daybook.attachStore(store)
  if (config.ingestKey !== undefined && config.ingestKey.length < 16) {
    app.log.warn(
      'SERVER_API_KEY is shorter than 16 characters; anyone who guesses it can write input counts',
    )
  }

  const address = app.server.address()
  const port = config.tcp && address && typeof address === 'object' ? address.port : undefined
  let aw: AwListener | undefined
  if (config.aw) {
    try {
      aw = await startActivityWatch(app, config, authenticator, port)
    } catch (err) {
      await app.close()
      socketServer?.close()
      throw err
    }
  }
  writeFileAtomic(
    files.discovery,
    `${JSON.stringify(
      {
        pid: process.pid,
        host: config.tcp ? config.host : null,
        port: port ?? null,
        socket: config.socket ?? null,
        version: DAYBOOK_VERSION,
        startedAt: new Date().toISOString(),
      },
      null,
      2,
    )}\n`,
  )

  const mdns = config.mdns ? startMdns(app, config, port) : undefined

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      await mdns?.stop()
      await aw?.close()
      const closing = socketServer ? closeServer(socketServer) : Promise.resolve()
      await app.close() // stops TCP, waits for in-flight requests, closes the store
      await closing
      rmSync(files.discovery, { force: true })
    })())
  return { app, config, port, awPort: aw?.port, stop }
}

/** The ActivityWatch listener (--aw), sharing the daemon's store, services and tokens. */
async function startActivityWatch(
  app: DaybookApp,
  config: ServeConfig,
  authenticator: AuthenticatorChain,
  port: number | undefined,
): Promise<AwListener> {
  const own =
    port === undefined ? [] : ['localhost', '127.0.0.1', '[::1]', ...allowedHostNames(config)]
  try {
    const aw = await listenActivityWatch({
      daybook: app.daybook,
      authenticator,
      port: config.awPort,
      open: config.awOpen,
      origins: () => [...own.map((h) => `http://${h}:${port}`), ...config.corsOrigins],
      logLevel: config.logLevel,
    })
    if (config.awOpen) {
      process.stderr.write(
        `daybook serve: warning: --aw-open: the ActivityWatch API on 127.0.0.1:${aw.port} ` +
          'serves your whole history, imports and deletes without a token to anything on this machine\n',
      )
    }
    return aw
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') {
      throw new CliError(
        `port ${config.awPort} is already in use (ActivityWatch's own server? stop it, or use --aw-port)`,
      )
    }
    if (code === 'EACCES') throw new CliError(`not allowed to listen on port ${config.awPort}`)
    throw err
  }
}

function startMdns(
  app: DaybookApp,
  config: ServeConfig,
  port: number | undefined,
): MdnsAdvertisement | undefined {
  if (port === undefined) {
    app.log.warn('--mdns: nothing to advertise without TCP (--no-tcp)')
    return undefined
  }
  if (isLoopback(config.host)) {
    app.log.warn(
      `--mdns: listening on ${config.host}, so only this machine can reach what is advertised`,
    )
  }
  return advertiseDaemon({
    port,
    version: DAYBOOK_VERSION,
    onError: (err) => app.log.warn({ err }, 'mDNS advertisement failed'),
  })
}

/** SERVER_API_KEY: the frames server's shared secret, accepted as an ingest-only key. */
function ingestKeyAuthenticator(key: string): StaticKeyAuthenticator {
  return new StaticKeyAuthenticator(() => key, { tokenId: 'server-api-key', scope: 'ingest' })
}

/** Names answered on loopback besides the standard ones: the configured ones and the bind host. */
function allowedHostNames(config: ServeConfig): string[] {
  const bound = normaliseHostName(config.host)
  return [...new Set(bound === undefined ? config.allowedHosts : [...config.allowedHosts, bound])]
}

function defaultTokenSource(
  config: ServeConfig,
  warn: (message: string) => void,
): DefaultTokenSource {
  if (config.token !== undefined) return fixedDefaultToken(config.token)
  const file = tokenFile(config.configDir)
  let token: string
  try {
    token = ensureDefaultToken(file)
    const problem = tokenFileProblem(file, token)
    if (problem !== undefined) throw new CliError(problem)
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(`cannot use token file ${file}: ${describeFsError(err)}`)
  }
  return fileDefaultToken(file, token, warn)
}

function prepareDataDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new CliError(`the data dir ${dir} is a file, not a directory (see --data-dir)`)
  }
  try {
    ensurePrivateDir(dir)
    accessSync(dir, constants.W_OK)
  } catch (err) {
    throw new CliError(`cannot use data dir ${dir}: ${describeFsError(err)}`)
  }
}

async function openDatabase(file: string): Promise<Store> {
  try {
    return await openStore({
      driver: 'sqlite',
      file,
      // A store thread that dies leaves the daemon unable to keep what it acknowledges: stop,
      // loudly, and let the service manager restart it.
      onFailure: (err) => {
        process.stderr.write(`daybook serve: the database worker failed: ${err.message}\n`)
        process.exit(1)
      },
    })
  } catch (err) {
    if (err instanceof DaybookError) throw new CliError(err.message)
    throw new CliError(`cannot open database ${file}: ${(err as Error).message}`)
  }
}

async function listenTcp(app: DaybookApp, config: ServeConfig): Promise<void> {
  limitConnections(app.server, config.connectionLimits)
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') {
      throw new CliError(
        `port ${config.port} on ${config.host} is already in use (another daybook? try --port 0)`,
      )
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new CliError(`cannot listen on ${config.host}: no such local address`)
    }
    if (code === 'EACCES') throw new CliError(`not allowed to listen on port ${config.port}`)
    throw err
  }
  if (!isLoopback(config.host)) {
    process.stderr.write(
      `daybook serve: warning: listening on ${config.host}, reachable from other machines; ` +
        'every request still needs a token, but traffic is not encrypted and the Host check is off\n',
    )
  }
}

async function listenSocket(
  socketPath: string,
  handler: http.RequestListener,
  app: DaybookApp,
): Promise<http.Server> {
  try {
    ensurePrivateDir(path.dirname(socketPath))
  } catch (err) {
    throw new CliError(
      `cannot create socket dir ${path.dirname(socketPath)}: ${describeFsError(err)}`,
    )
  }
  if (await isLiveSocket(socketPath)) {
    throw new CliError(`another daemon is already listening on ${socketPath}`)
  }
  rmSync(socketPath, { force: true }) // a stale socket left by a crash
  const server = http.createServer((req, res) => {
    markUnixSocketRequest(req)
    handler(req, res)
  })
  applyHttpTimeouts(server)
  server.on('upgrade', (req, socket, head) => {
    markUnixSocketRequest(req)
    app.server.emit('upgrade', req, socket, head)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new CliError(`cannot listen on ${socketPath}: ${describeFsError(err)}`)),
    )
    // Bound with a private umask so the socket is never, even briefly, open to others.
    const previous = process.umask(0o177)
    server.listen(socketPath, () => resolve())
    process.umask(previous)
  })
  chmodSync(socketPath, 0o600)
  return server
}

/** True when something accepts connections at `socketPath`. */
function isLiveSocket(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = net.connect(socketPath)
    conn.once('connect', () => {
      conn.destroy()
      resolve(true)
    })
    conn.once('error', () => resolve(false))
  })
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeIdleConnections()
  })
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&]*/g, '$1[redacted]')
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EROFS':
      return 'read-only file system'
    case 'ENOTDIR':
      return 'a path component is not a directory'
    case 'ENOSPC':
      return 'no space left on device'
    default:
      return e.message
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the daemon (HTTP on 127.0.0.1:5610, optionally a Unix socket)',
  help: HELP,
  async run(argv, env) {
    const config = resolveServeConfig(argv, env)
    // Signal handlers go in before the daemon starts: without one, a SIGTERM that arrives right
    // after daemon.json appears would kill the process before its clean shutdown.
    let daemon: Daemon | undefined
    let signalled = false
    let finish: (code: number) => void = () => undefined
    const finished = new Promise<number>((resolve) => (finish = resolve))
    const stop = (d: Daemon) =>
      d.stop().then(
        () => finish(0),
        (err: unknown) => {
          process.stderr.write(`daybook: shutdown failed: ${(err as Error).message}\n`)
          finish(1)
        },
      )
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        process.stderr.write(`daybook: ${signal} again, exiting now\n`)
        process.exit(1)
      }
      signalled = true
      process.stderr.write(`daybook: ${signal} received, shutting down\n`)
      if (daemon) void stop(daemon)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      daemon = await startDaemon(config)
    } catch (err) {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      throw err
    }
    const where = [
      config.tcp
        ? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${daemon.port}`
        : undefined,
      config.socket ? `unix:${config.socket}` : undefined,
      daemon.awPort === undefined
        ? undefined
        : `http://127.0.0.1:${daemon.awPort} (ActivityWatch API)`,
    ].filter(Boolean)
    const tokenNote = config.token ? 'DAYBOOK_TOKEN' : tokenFile(config.configDir)
    process.stderr.write(
      `daybook ${DAYBOOK_VERSION} listening on ${where.join(' and ')} (token: ${tokenNote})\n`,
    )
    if (signalled) void stop(daemon)
    return finished
  },
}
