/**
 * The typed Daybook client, used by the CLI and the tests alike. Speaks HTTP over TCP or a Unix
 * socket; finds the local daemon through its discovery file and token file.
 */
import http from 'node:http'
import https from 'node:https'
import qs from 'qs'
import WebSocket from 'ws'
import { readTokenFile } from '../auth/default-token.ts'
import { DaybookApi } from './api.ts'
import { type Discovery, discoveryFile, discoveryUrl, readDiscovery } from '../config/discovery.ts'
import { readSetting } from '../config/load.ts'
import { tokenFile } from '../config/paths.ts'
import { isProcessAlive } from '../config/process.ts'

/** Where the daemon listens: a base URL, or a Unix socket. */
export type Endpoint = { baseUrl: string } | { socketPath: string }

export interface ClientOptions {
  endpoint: Endpoint
  token?: string | undefined
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number
}

/** The daemon answered with an error status; carries its `code` and `message`. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly field: string | undefined
  /** The token file the client looked for and did not find (no token was sent). */
  readonly missingTokenFile: string | undefined

  constructor(
    status: number,
    code: string,
    message: string,
    field?: string,
    missingTokenFile?: string,
  ) {
    super(message)
    this.status = status
    this.code = code
    this.field = field
    this.missingTokenFile = missingTokenFile
  }
}

/** The daemon could not be reached at all. */
export class UnreachableError extends Error {}

export interface RequestOptions {
  query?: Record<string, unknown> | undefined
  body?: unknown
  headers?: Record<string, string> | undefined
}

export class DaybookClient {
  readonly endpoint: Endpoint
  readonly #token: string | undefined
  readonly #timeoutMs: number
  /** Where the token came from, for a 401 worth explaining (a token file that is gone). */
  readonly missingTokenFile: string | undefined

  constructor(options: ClientOptions & { missingTokenFile?: string | undefined }) {
    this.endpoint =
      'baseUrl' in options.endpoint
        ? { baseUrl: normaliseBaseUrl(options.endpoint.baseUrl) }
        : options.endpoint
    this.#token = options.token
    this.#timeoutMs = options.timeoutMs ?? 15_000
    this.missingTokenFile = options.missingTokenFile
  }

  /**
   * A client for the local daemon: the endpoint from `<data-dir>/daemon.json` (its Unix socket
   * when it has one), the token from `DAYBOOK_TOKEN` or `<config-dir>/auth.token`.
   */
  static local(
    options: {
      dataDir?: string | undefined
      configDir?: string | undefined
      url?: string | undefined
      token?: string | undefined
      env?: NodeJS.ProcessEnv
    } = {},
  ): DaybookClient {
    const env = options.env ?? process.env
    // The same rules as the daemon's (src/config): flag, else variable, else the platform's dir.
    const file = tokenFile(readSetting('configDir', { 'config-dir': options.configDir }, env))
    const token = options.token ?? readSetting('token', {}, env) ?? readTokenFile(file)
    const missingTokenFile = token === undefined ? file : undefined
    if (options.url) {
      return new DaybookClient({ endpoint: { baseUrl: options.url }, token, missingTokenFile })
    }
    const dataDir = readSetting('dataDir', { 'data-dir': options.dataDir }, env)
    return new DaybookClient({ endpoint: discoverEndpoint(dataDir), token, missingTokenFile })
  }

  /** Sends a request; resolves to the parsed JSON body, rejects with `ApiError` on 4xx/5xx. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const query = options.query
      ? qs.stringify(options.query, { encodeValuesOnly: true, skipNulls: true })
      : ''
    const fullPath = query === '' ? path : `${path}?${query}`
    const body = options.body === undefined ? undefined : JSON.stringify(options.body)
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await this.#send(method, fullPath, headers, body)
    let parsed: unknown
    try {
      parsed = res.body === '' ? undefined : JSON.parse(res.body)
    } catch {
      throw new UnreachableError(
        `${describe(this.endpoint)} did not answer like a Daybook daemon (HTTP ${res.status}, not JSON)`,
      )
    }
    if (res.status >= 400) {
      const e = (parsed ?? {}) as {
        code?: string
        message?: string
        field?: string
        error?: string
      }
      throw new ApiError(
        res.status,
        e.code ?? e.error ?? 'http_error',
        e.message ?? `HTTP ${res.status}`,
        e.field,
        this.missingTokenFile,
      )
    }
    return parsed as T
  }

  /**
   * Sends a request and resolves to the raw status and body whatever the status (no `ApiError`);
   * rejects with `UnreachableError` only. The bearer token is added unless `authorization` is set.
   */
  async exchange(
    method: string,
    path: string,
    options: { body?: string | undefined; headers?: Record<string, string> | undefined } = {},
  ): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
    if (this.#token !== undefined && headers.authorization === undefined) {
      headers.authorization = `Bearer ${this.#token}`
    }
    if (options.body !== undefined) headers['content-type'] ??= 'application/json'
    return this.#send(method, path, headers, options.body)
  }

  #send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<{ status: number; body: string }> {
    const target =
      'socketPath' in this.endpoint
        ? { socketPath: this.endpoint.socketPath, path }
        : (() => {
            const url = new URL(path, this.endpoint.baseUrl)
            return {
              protocol: url.protocol,
              hostname: url.hostname,
              port: url.port,
              path: `${url.pathname}${url.search}`,
            }
          })()
    const transport = 'protocol' in target && target.protocol === 'https:' ? https : http
    return new Promise((resolve, reject) => {
      const req = transport.request(
        { ...target, method, headers, timeout: this.#timeoutMs },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (text += chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
          res.on('error', reject)
        },
      )
      req.on('timeout', () =>
        req.destroy(
          new UnreachableError(
            `no answer from ${describe(this.endpoint)} in ${this.#timeoutMs} ms`,
          ),
        ),
      )
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          err instanceof UnreachableError
            ? err
            : new UnreachableError(
                `cannot reach daybook at ${describe(this.endpoint)}: ${err.code ?? err.message}`,
              ),
        ),
      )
      req.end(body)
    })
  }

  /**
   * Opens the live stream: a WebSocket on `GET /v1/events` (over the Unix socket when the daemon
   * has one). `types` subscribes to a subset; `after` first replays the change feed from there.
   */
  openStream(
    options: { types?: string[] | undefined; after?: number | undefined } = {},
  ): WebSocket {
    const query = qs.stringify({ types: options.types?.join(','), after: options.after })
    const path = query === '' ? '/v1/events' : `/v1/events?${query}`
    const headers: Record<string, string> = {}
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`
    const url =
      'socketPath' in this.endpoint
        ? `ws+unix://${this.endpoint.socketPath}:${path}`
        : new URL(path, this.endpoint.baseUrl.replace(/^http/, 'ws')).href
    return new WebSocket(url, { headers, handshakeTimeout: this.#timeoutMs })
  }

  /**
   * The typed API (`api.ts`, which the dashboard uses too) over this client's own transport:
   * TCP or the Unix socket, and this client's errors (`ApiError` with its token-file hint).
   */
  api(): DaybookApi {
    return new DaybookApi({
      transport: (method, path, options) =>
        this.request(method, path, { query: options.query, body: options.body }),
    })
  }

  /** Where the client talks to, for messages. */
  describe(): string {
    return describe(this.endpoint)
  }

  get<T>(path: string, query?: Record<string, unknown>): Promise<T> {
    return this.request<T>('GET', path, { query })
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body })
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body })
  }
}

/**
 * The running daemon's discovery file (`<data-dir>/daemon.json`); throws `UnreachableError` when
 * no daemon is running there.
 */
export function findDaemon(dataDir: string): Discovery {
  let d: Discovery | undefined
  try {
    d = readDiscovery(dataDir)
  } catch (err) {
    throw new UnreachableError((err as Error).message)
  }
  if (d === undefined) {
    throw new UnreachableError(
      `no daybook daemon is running for ${dataDir} (start one with: daybook serve)`,
    )
  }
  if (!isProcessAlive(d.pid)) {
    throw new UnreachableError(
      `the daemon recorded in ${discoveryFile(dataDir)} (pid ${d.pid}) is not running ` +
        '(start one with: daybook serve)',
    )
  }
  return d
}

function discoverEndpoint(dataDir: string): Endpoint {
  const d = findDaemon(dataDir)
  if (d.socket) return { socketPath: d.socket }
  const baseUrl = discoveryUrl(d)
  if (baseUrl === undefined) {
    throw new UnreachableError(`${discoveryFile(dataDir)} names no listener`)
  }
  return { baseUrl }
}

/**
 * A base URL as given to `--url`, with `http://` assumed when no scheme is written
 * (`127.0.0.1:5610`); anything that is still not an http(s) URL is refused with one line.
 */
function normaliseBaseUrl(url: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`
  let parsed: URL | undefined
  try {
    parsed = new URL(withScheme)
  } catch {
    parsed = undefined
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new UnreachableError(
      `${JSON.stringify(url)} is not a daemon URL; use one such as http://127.0.0.1:5610`,
    )
  }
  return parsed.href.replace(/\/$/, '')
}

function describe(endpoint: Endpoint): string {
  return 'socketPath' in endpoint ? `unix:${endpoint.socketPath}` : endpoint.baseUrl
}

/** The typed client as the collectors open connections with it (`Connector` in collectors/). */
export const clientConnector = {
  local: (options: {
    dataDir: string
    configDir: string
    token: string | undefined
    env: NodeJS.ProcessEnv
  }): DaybookClient => DaybookClient.local(options),
  remote: (origin: string, token?: string): DaybookClient =>
    new DaybookClient({ endpoint: { baseUrl: origin }, token }),
}
