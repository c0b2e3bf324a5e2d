/**
 * What `daybook serve` runs with: its settings (`settings.ts`) as the daemon uses them.
 */
import path from 'node:path'
import { CONNECTION_GRACE_MS, type ConnectionLimits, tokenReserveFor } from './connection-limits.ts'
import { ConfigError } from './load.ts'
import { isLoopback, normaliseHostName, normaliseOrigin } from './network.ts'
import { dataPaths } from './paths.ts'
import type { LogFormat, SettingsOf } from './settings.ts'

/** The daemon's configuration, read and checked once (`readSettings('serve', …)`). */
export interface DaemonConfig {
  host: string
  port: number
  /** Listen on TCP (false with `--no-tcp`). */
  tcp: boolean
  dataDir: string
  configDir: string
  /** Unix socket path, or undefined for none. */
  socket: string | undefined
  /** The database file. */
  dbPath: string
  /** A PostgreSQL database instead of the file (`--database`), or undefined for SQLite. */
  database: DatabaseConfig | undefined
  /** Store calls at least this slow (ms) are logged with their route; 0: none. */
  slowQueryMs: number
  /** An explicit token (DAYBOOK_TOKEN); otherwise the default token file is used. */
  token: string | undefined
  /** An extra ingest-only key (SERVER_API_KEY, the frames server's shared secret). */
  ingestKey: string | undefined
  /** Serve GET /activity/summary without a token. */
  publicActivitySummary: boolean
  /** GET /activity/summary requests per client address and window. */
  summaryRateLimit: { limit: number; windowMs: number }
  logLevel: string
  /** Human lines (default) or JSON lines, on every listener. */
  logFormat: LogFormat
  /** Host names answered besides the loopback ones (normalised). */
  allowedHosts: string[]
  /** Browser origins allowed besides the daemon's own (normalised). */
  corsOrigins: string[]
  /** Advertise `_daybook._tcp` over mDNS. */
  mdns: boolean
  /**
   * Caps on open TCP connections (DAYBOOK_MAX_CONNECTIONS[_PER_ADDRESS]) and how long a request
   * may take to arrive (DAYBOOK_HEADERS_TIMEOUT_SEC, DAYBOOK_REQUEST_TIMEOUT_SEC).
   */
  connectionLimits: ConnectionLimits
  /**
   * An import's upload: the longest pause between chunks (DAYBOOK_IMPORT_IDLE_TIMEOUT_SEC) and
   * its largest size (DAYBOOK_IMPORT_MAX_MB); the request timeout does not apply to it.
   */
  imports: { idleTimeoutMs: number; maxBytes: number }
  /** Serve ActivityWatch's API on its own loopback port. */
  aw: boolean
  awPort: number
  /** Serve all of ActivityWatch's API without a token. */
  awOpen: boolean
  /** The chat's model server as the environment gives it (stored settings win over it). */
  llm: { baseUrl?: string | undefined; model?: string | undefined; apiKey?: string | undefined }
  /** A hub of devices that sync (`--hub`), or undefined. */
  hub: HubConfig | undefined
  /** A spoke's longest wait between attempts to reach its hub (DAYBOOK_SYNC_RETRY_MAX_SEC). */
  syncRetryMaxMs: number
}

/** How a hub serves (`--hub` and its flags). */
export interface HubConfig {
  /** TLS: a certificate and key from files, self-signed in the config dir, or none (a proxy's). */
  tls: { certFile: string; keyFile: string } | 'self-signed' | undefined
  /** A TLS proxy is in front: the hub binds loopback, devices reach the proxy. */
  behindProxy: boolean
  /** The names devices reach the hub by (normalised); answered by the Host check. */
  publicNames: string[]
}

/** The hub's flags that do not go together, as one line; undefined when they do. */
function hubFlagsProblem(s: SettingsOf<'serve'>): string | undefined {
  const hubOnly = [
    s.tlsCert !== undefined && '--tls-cert',
    s.tlsKey !== undefined && '--tls-key',
    s.tlsSelfSigned && '--tls-self-signed',
    s.behindProxy && '--behind-proxy',
    s.publicNames.length > 0 && '--public-name',
  ].filter((f): f is string => f !== false)
  if (!s.hub) {
    return hubOnly.length > 0
      ? `${hubOnly.join(', ')}: only a hub takes these (add --hub)`
      : undefined
  }
  if ((s.tlsCert === undefined) !== (s.tlsKey === undefined)) {
    return '--tls-cert and --tls-key go together (the certificate and its private key)'
  }
  if (s.tlsSelfSigned && s.tlsCert !== undefined) {
    return '--tls-self-signed or --tls-cert/--tls-key, not both'
  }
  const tls = s.tlsSelfSigned || s.tlsCert !== undefined
  if (s.behindProxy) {
    if (tls)
      return '--behind-proxy: the proxy in front speaks TLS, so the hub takes no --tls-* flag'
    if (!isLoopback(s.host)) {
      return `--behind-proxy: the hub binds loopback only (the proxy reaches it there), not ${s.host}`
    }
    if (s.publicNames.length === 0) {
      return '--behind-proxy needs --public-name NAME: the name devices reach the proxy by'
    }
  } else if (!tls && !isLoopback(s.host)) {
    return (
      `a hub on ${s.host} is reached over the network, so it speaks TLS: add --tls-self-signed ` +
      '(or --tls-cert FILE --tls-key FILE), or --behind-proxy with a TLS proxy in front'
    )
  }
  if (s.noTcp) return '--hub serves devices over TCP: drop --no-tcp'
  return undefined
}

/** A PostgreSQL database as `serve` and `migrate` use it. */
export interface DatabaseConfig {
  url: string
  poolSize: number
  statementTimeoutMs: number
  schema: string
}

/** The PostgreSQL database the settings name, or undefined (the SQLite file). */
export function databaseConfig(
  s: Pick<SettingsOf<'serve'>, 'database' | 'dbPoolSize' | 'dbStatementTimeoutMs' | 'dbSchema'>,
): DatabaseConfig | undefined {
  return s.database === undefined
    ? undefined
    : {
        url: s.database,
        poolSize: s.dbPoolSize,
        statementTimeoutMs: s.dbStatementTimeoutMs,
        schema: s.dbSchema,
      }
}

/** The daemon's configuration from its checked settings. */
export function daemonConfig(s: SettingsOf<'serve'>): DaemonConfig {
  const problem = hubFlagsProblem(s)
  if (problem !== undefined) throw new ConfigError(problem)
  const tcp = !s.noTcp
  // `--socket` alone (or DAYBOOK_SOCKET=1/true) means the data dir's socket; --no-tcp implies one,
  // and so does --hub: its TCP listener may speak TLS, the CLI on its machine uses the socket.
  const socket =
    s.socket === undefined && tcp && !s.hub
      ? undefined
      : s.socket === undefined || s.socket === '' || s.socket === '1' || s.socket === 'true'
        ? dataPaths(s.dataDir).socket
        : path.resolve(s.socket)
  return {
    host: s.host,
    port: s.port,
    tcp,
    dataDir: s.dataDir,
    configDir: s.configDir,
    socket,
    dbPath: s.dbPath,
    database: databaseConfig(s),
    slowQueryMs: s.slowQueryMs,
    token: s.token,
    ingestKey: s.ingestKey,
    publicActivitySummary: s.publicActivitySummary,
    summaryRateLimit: { limit: s.summaryRateLimit, windowMs: s.summaryRateWindowSec * 1000 },
    logLevel: s.logLevel,
    logFormat: s.logFormat,
    // Checked by the schema's formats, so never undefined here.
    allowedHosts: s.allowHosts.map((h) => normaliseHostName(h) ?? h),
    corsOrigins: s.corsOrigins.map((o) => normaliseOrigin(o) ?? o),
    mdns: s.mdns,
    connectionLimits: {
      total: s.maxConnections,
      perAddress: s.maxConnectionsPerAddress,
      tokenReserve: tokenReserveFor(s.maxConnections),
      graceMs: CONNECTION_GRACE_MS,
      // The headers are part of the request: their limit never exceeds the whole one's.
      headersTimeoutMs: Math.min(s.headersTimeoutSec, s.requestTimeoutSec) * 1000,
      requestTimeoutMs: s.requestTimeoutSec * 1000,
    },
    imports: {
      idleTimeoutMs: s.importIdleTimeoutSec * 1000,
      maxBytes: s.importMaxMb * 1024 * 1024,
    },
    aw: s.aw,
    awPort: s.awPort,
    awOpen: s.awOpen,
    llm: { baseUrl: s.llmBaseUrl, model: s.llmModel, apiKey: s.llmApiKey },
    hub: s.hub
      ? {
          tls:
            s.tlsCert !== undefined || s.tlsKey !== undefined
              ? { certFile: s.tlsCert ?? '', keyFile: s.tlsKey ?? '' }
              : s.tlsSelfSigned
                ? 'self-signed'
                : undefined,
          behindProxy: s.behindProxy,
          publicNames: s.publicNames.map((h) => normaliseHostName(h) ?? h),
        }
      : undefined,
    syncRetryMaxMs: s.syncRetryMaxSec * 1000,
  }
}

/**
 * Host names answered on loopback besides the standard ones (`LOOPBACK_HOSTS`): the configured
 * ones and the address the daemon is bound to.
 */
export function allowedHostNames(config: DaemonConfig): string[] {
  const bound = normaliseHostName(config.host)
  const names = [...config.allowedHosts, ...(config.hub?.publicNames ?? [])]
  return [...new Set(bound === undefined ? names : [...names, bound])]
}
