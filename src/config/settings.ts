/**
 * Every setting `serve`, `watch`, `migrate` and `wakatime` take from flags, environment variables
 * or defaults: one TypeBox schema. Each property says, besides its type and limits,
 *  - `from`: the flags and variables it is read from, the first one set winning (flags first,
 *    except where a variable is meant to beat a flag that others can read in the process list);
 *  - `expected`: what a value must be, in the words of the message that refuses one;
 *  - `path`: resolved from the working directory.
 * A default is the schema's `default`, or for those that depend on the machine, `DEFAULTS` below.
 * `load.ts` reads and checks them, once, for one command.
 */
import { type Static, type TSchema, Type } from '#typebox'
import Format from '#typebox/format'
import { defaultConnectionLimits } from './connection-limits.ts'
import { isHttpUrl, normaliseHostName, normaliseOrigin } from './network.ts'
import { dataPaths, defaultConfigDir, defaultDataDir } from './paths.ts'

Format.Set('daybook-host-name', (value) => normaliseHostName(value) !== undefined)
Format.Set('daybook-origin', (value) => normaliseOrigin(value) !== undefined)
Format.Set('daybook-http-url', isHttpUrl)
Format.Set('daybook-postgres-url', isPostgresUrl)

/**
 * A `postgres://` or `postgresql://` URL, as libpq and `pg` read them: the host may be empty (a
 * socket directory in `?host=`, or the default), so the WHATWG URL parser does not decide.
 */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(?:ql)?:\/\/[^\s/?#]*(?:[/?#]\S*)?$/.test(value)
}

/** A setting's schema as the loader reads it: the JSON Schema keywords it uses, and its own. */
export interface SettingSchema {
  type?: string
  default?: unknown
  items?: TSchema
  from: readonly string[]
  expected?: string
  path?: true
}

const PORT = 'a port number from 0 to 65535'
const COUNT = 'a whole number of at least 1'
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
/** How the daemon writes its log: one human line per entry, or JSON lines. */
export const LOG_FORMATS = ['human', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

const flag = (from: string) => ({ from: [from] })
const count = (variable: string, fallback?: number) =>
  Type.Integer({
    minimum: 1,
    maximum: 1_000_000_000,
    from: [variable],
    expected: COUNT,
    ...(fallback === undefined ? {} : { default: fallback }),
  })
const wholeFrom = (from: string, min: number, max: number, fallback: number) =>
  Type.Integer({
    minimum: min,
    maximum: max,
    default: fallback,
    from: [from],
    expected: `a whole number from ${min} to ${max}`,
  })
const switchFrom = (...from: string[]) =>
  Type.Boolean({ default: false, from, expected: 'true or false' })

/** The one schema of every setting. */
export const Settings = Type.Object({
  // Where things are: every command that touches the data dir finds it by the same rule.
  dataDir: Type.String({ from: ['--data-dir', 'DAYBOOK_DATA_DIR'], path: true }),
  configDir: Type.String({ from: ['--config-dir', 'DAYBOOK_CONFIG_DIR'], path: true }),
  // Relative paths from the working directory, as the frames server did (ACTIVITY_DB_PATH).
  dbPath: Type.String({
    from: ['--db-path', 'DAYBOOK_DB_PATH', 'ACTIVITY_DB_PATH'],
    path: true,
  }),

  // serve and migrate: a PostgreSQL database instead of the SQLite file (a team server).
  database: Type.Optional(
    Type.String({
      format: 'daybook-postgres-url',
      from: ['--database', 'DAYBOOK_DATABASE_URL'],
      expected: 'a postgres:// URL, such as postgres://daybook@db.example:5432/daybook',
    }),
  ),
  dbPoolSize: wholeFrom('DAYBOOK_DB_POOL_SIZE', 1, 1000, 10),
  dbStatementTimeoutMs: wholeFrom('DAYBOOK_DB_STATEMENT_TIMEOUT_MS', 0, 3_600_000, 30_000),
  // serve: store calls at least this slow are logged with their route (0: none).
  slowQueryMs: wholeFrom('DAYBOOK_SLOW_QUERY_MS', 0, 3_600_000, 1000),
  dbSchema: Type.String({
    pattern: '^[a-z_][a-z0-9_]{0,62}$',
    default: 'public',
    from: ['DAYBOOK_DB_SCHEMA'],
    expected: 'a schema name of lower-case letters, digits and _',
  }),

  // serve: the listeners.
  host: Type.String({
    minLength: 1,
    default: '127.0.0.1',
    from: ['--host', 'DAYBOOK_HOST', 'HOST'],
    expected: 'a host name or address',
  }),
  port: Type.Integer({
    minimum: 0,
    maximum: 65_535,
    default: 5610,
    from: ['--port', 'DAYBOOK_PORT', 'PORT'],
    expected: PORT,
  }),
  /** Bare `--socket` (or `1`, `true`) is the data dir's default socket. */
  socket: Type.Optional(Type.String({ from: ['--socket', 'DAYBOOK_SOCKET'] })),
  noTcp: switchFrom('--no-tcp'),
  mdns: switchFrom('--mdns', 'DAYBOOK_MDNS'),
  logLevel: Type.Enum(LOG_LEVELS, {
    default: 'info',
    from: ['--log-level', 'DAYBOOK_LOG_LEVEL'],
    expected: `one of ${LOG_LEVELS.join(', ')}`,
  }),
  logFormat: Type.Enum(LOG_FORMATS, {
    default: 'human',
    from: ['--log-format', 'DAYBOOK_LOG_FORMAT'],
    expected: 'human or json',
  }),
  allowHosts: Type.Array(Type.String({ format: 'daybook-host-name' }), {
    default: [],
    from: ['--allow-host', 'DAYBOOK_ALLOWED_HOSTS'],
    expected: 'a host name or IP address',
  }),
  corsOrigins: Type.Array(Type.String({ format: 'daybook-origin' }), {
    default: [],
    from: ['--cors-origin', 'DAYBOOK_CORS_ORIGINS'],
    expected: 'an origin such as http://localhost:3000 (no wildcard, no path)',
  }),
  aw: switchFrom('--aw', 'DAYBOOK_AW'),
  awPort: Type.Integer({
    minimum: 0,
    maximum: 65_535,
    default: 5600,
    from: ['--aw-port', 'DAYBOOK_AW_PORT'],
    expected: PORT,
  }),
  awOpen: switchFrom('--aw-open', 'DAYBOOK_AW_OPEN'),
  maxConnections: count('DAYBOOK_MAX_CONNECTIONS'),
  maxConnectionsPerAddress: count('DAYBOOK_MAX_CONNECTIONS_PER_ADDRESS'),
  headersTimeoutSec: wholeFrom('DAYBOOK_HEADERS_TIMEOUT_SEC', 1, 3600, 30),
  requestTimeoutSec: wholeFrom('DAYBOOK_REQUEST_TIMEOUT_SEC', 1, 3600, 60),
  /**
   * An import's upload (POST /v1/import) is not held to the request timeout: it may pause at
   * most this long between chunks, and be at most `importMaxMb` large.
   */
  importIdleTimeoutSec: wholeFrom('DAYBOOK_IMPORT_IDLE_TIMEOUT_SEC', 1, 3600, 60),
  importMaxMb: wholeFrom('DAYBOOK_IMPORT_MAX_MB', 1, 16 * 1024 * 1024, 16 * 1024),

  // serve: a hub of devices that sync (see src/services/sync/).
  hub: switchFrom('--hub'),
  tlsCert: Type.Optional(Type.String({ from: ['--tls-cert'], path: true })),
  tlsKey: Type.Optional(Type.String({ from: ['--tls-key'], path: true })),
  tlsSelfSigned: switchFrom('--tls-self-signed'),
  behindProxy: switchFrom('--behind-proxy'),
  publicNames: Type.Array(Type.String({ format: 'daybook-host-name' }), {
    default: [],
    from: ['--public-name'],
    expected: 'a host name or IP address',
  }),
  /** A spoke's longest wait between attempts to reach a hub it cannot reach. */
  syncRetryMaxSec: wholeFrom('DAYBOOK_SYNC_RETRY_MAX_SEC', 1, 3600, 10),

  // serve: access.
  token: Type.Optional(Type.String({ from: ['DAYBOOK_TOKEN'] })),
  ingestKey: Type.Optional(Type.String({ from: ['SERVER_API_KEY'] })),
  publicActivitySummary: switchFrom('DAYBOOK_PUBLIC_ACTIVITY_SUMMARY'),
  summaryRateLimit: count('GET_RATE_LIMIT_MAX_REQUESTS', 30),
  summaryRateWindowSec: count('GET_RATE_LIMIT_WINDOW_SEC', 60),

  // serve: the chat's model server, unless set through /v1/settings/llm-config.
  llmBaseUrl: Type.Optional(
    Type.String({
      format: 'daybook-http-url',
      from: ['DAYBOOK_LLM_BASE_URL'],
      expected: 'an http or https URL',
    }),
  ),
  llmModel: Type.Optional(Type.String({ from: ['DAYBOOK_LLM_MODEL'] })),
  llmApiKey: Type.Optional(Type.String({ from: ['DAYBOOK_LLM_API_KEY'] })),

  // watch: where and how to send.
  url: Type.Optional(
    Type.String({ format: 'daybook-http-url', ...flag('--url'), expected: 'an http or https URL' }),
  ),
  /** DAYBOOK_KEY beats --key: a key in the environment is not in the process list. */
  key: Type.Optional(Type.String({ from: ['DAYBOOK_KEY', '--key'] })),
  keyFile: Type.Optional(Type.String(flag('--key-file'))),
  format: Type.Enum(['daybook', 'frames'], {
    default: 'daybook',
    from: ['--format'],
    expected: 'daybook or frames',
  }),
  sampleMs: wholeFrom('--sample-ms', 10, 60_000, 1000),
  flushSec: wholeFrom('--flush-sec', 1, 3600, 30),
  verbose: switchFrom('--verbose'),
  status: switchFrom('--status'),

  // watch: what to record.
  noWindow: switchFrom('--no-window'),
  noAfk: switchFrom('--no-afk'),
  noInput: switchFrom('--no-input'),
  afkTimeoutSec: wholeFrom('--afk-timeout', 1, 86_400, 180),
  excludeApps: Type.Array(Type.String(), { default: [], ...flag('--exclude-app') }),
  excludeTitles: Type.Array(Type.String(), { default: [], ...flag('--exclude-title') }),
  excludeUrls: Type.Array(Type.String(), { default: [], ...flag('--exclude-url') }),
  noScreenshots: switchFrom('--no-screenshots'),
  redactTitles: Type.Array(Type.String(), { default: [], ...flag('--redact-title') }),
  noRedactPrivate: switchFrom('--no-redact-private'),
  dryRun: switchFrom('--dry-run'),

  // wakatime
  undo: switchFrom('--undo'),
  /** The daemon's address as the editor plugins reach it (not checked: the plugins read it). */
  pluginUrl: Type.Optional(Type.String(flag('--url'))),
})

export type Settings = Static<typeof Settings>
export type SettingName = keyof Settings

/** Defaults that depend on the machine, or on a setting read before. */
export const DEFAULTS: {
  [K in SettingName]?: (env: NodeJS.ProcessEnv, read: Partial<Settings>) => Settings[K]
} = {
  dataDir: (env) => defaultDataDir(env),
  configDir: (env) => defaultConfigDir(env),
  dbPath: (env, read) => dataPaths(read.dataDir ?? defaultDataDir(env)).database,
  maxConnections: () => defaultConnectionLimits().total,
  maxConnectionsPerAddress: (_env, read) =>
    Math.min(defaultConnectionLimits().perAddress, read.maxConnections ?? Infinity),
}

/** The settings each command reads, in the order they are read. */
export const COMMAND_SETTINGS = {
  serve: [
    'dataDir',
    'configDir',
    'dbPath',
    'database',
    'dbPoolSize',
    'dbStatementTimeoutMs',
    'dbSchema',
    'slowQueryMs',
    'host',
    'port',
    'socket',
    'noTcp',
    'mdns',
    'logLevel',
    'logFormat',
    'allowHosts',
    'corsOrigins',
    'aw',
    'awPort',
    'awOpen',
    'maxConnections',
    'maxConnectionsPerAddress',
    'hub',
    'tlsCert',
    'tlsKey',
    'tlsSelfSigned',
    'behindProxy',
    'publicNames',
    'syncRetryMaxSec',
    'headersTimeoutSec',
    'requestTimeoutSec',
    'importIdleTimeoutSec',
    'importMaxMb',
    'token',
    'ingestKey',
    'publicActivitySummary',
    'summaryRateLimit',
    'summaryRateWindowSec',
    'llmBaseUrl',
    'llmModel',
    'llmApiKey',
  ],
  watch: [
    'dataDir',
    'configDir',
    'url',
    'keyFile',
    'key',
    'token',
    'format',
    'sampleMs',
    'flushSec',
    'verbose',
    'status',
    'noWindow',
    'noAfk',
    'noInput',
    'afkTimeoutSec',
    'excludeApps',
    'excludeTitles',
    'excludeUrls',
    'noScreenshots',
    'redactTitles',
    'noRedactPrivate',
    'dryRun',
  ],
  migrate: [
    'dataDir',
    'dbPath',
    'database',
    'dbPoolSize',
    'dbStatementTimeoutMs',
    'dbSchema',
    'status',
  ],
  wakatime: ['dataDir', 'configDir', 'pluginUrl', 'undo'],
} as const satisfies Record<string, readonly SettingName[]>

export type ConfiguredCommand = keyof typeof COMMAND_SETTINGS

/** What one command reads. */
export type SettingsOf<C extends ConfiguredCommand> = Pick<
  Settings,
  (typeof COMMAND_SETTINGS)[C][number]
>

/** A setting's schema, with what the schema says of it beyond its type. */
export function settingSchema(name: SettingName): SettingSchema {
  return Settings.properties[name] as unknown as SettingSchema
}

/** Every environment variable any setting is read from. */
export const SETTING_VARIABLES: readonly string[] = Object.keys(Settings.properties).flatMap(
  (name) => settingSchema(name as SettingName).from.filter((s) => !s.startsWith('--')),
)
