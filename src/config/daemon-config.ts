/**
 * What `daybook serve` runs with: its settings (`settings.ts`) as the daemon uses them.
 */
import path from 'node:path'
import { CONNECTION_GRACE_MS, type ConnectionLimits, tokenReserveFor } from './connection-limits.ts'
import { normaliseHostName, normaliseOrigin } from './network.ts'
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
  /** Serve ActivityWatch's API on its own loopback port. */
  aw: boolean
  awPort: number
  /** Serve all of ActivityWatch's API without a token. */
  awOpen: boolean
  /** The chat's model server as the environment gives it (stored settings win over it). */
  llm: { baseUrl?: string | undefined; model?: string | undefined; apiKey?: string | undefined }
}

/** The daemon's configuration from its checked settings. */
export function daemonConfig(s: SettingsOf<'serve'>): DaemonConfig {
  const tcp = !s.noTcp
  // `--socket` alone (or DAYBOOK_SOCKET=1/true) means the data dir's socket; --no-tcp implies one.
  const socket =
    s.socket === undefined && tcp
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
    aw: s.aw,
    awPort: s.awPort,
    awOpen: s.awOpen,
    llm: { baseUrl: s.llmBaseUrl, model: s.llmModel, apiKey: s.llmApiKey },
  }
}

/**
 * Host names answered on loopback besides the standard ones (`LOOPBACK_HOSTS`): the configured
 * ones and the address the daemon is bound to.
 */
export function allowedHostNames(config: DaemonConfig): string[] {
  const bound = normaliseHostName(config.host)
  return [...new Set(bound === undefined ? config.allowedHosts : [...config.allowedHosts, bound])]
}
