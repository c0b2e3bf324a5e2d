/**
 * How a spoke talks to its hub: JSON over HTTPS (pinned, see `tls.ts`), request bodies gzipped,
 * keep-alive connections. Plain HTTP only to a hub on this machine (behind a local TLS proxy, or
 * in tests of the proxy set-up). Failures come back as one of three kinds: the hub could not be
 * reached (`HubUnreachableError`, try again later), it refused (`HubRefusedError`, with its
 * status, code and message), or it is not the hub that was paired (`FingerprintMismatchError`).
 */
import http from 'node:http'
import type https from 'node:https'
import { request as httpsRequest } from 'node:https'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { isLoopback } from '../../config/network.ts'
import { FingerprintMismatchError, pinnedAgent } from './tls.ts'

const gzip = promisify(zlib.gzip)
const gunzip = promisify(zlib.gunzip)

/** The hub could not be reached, or broke off (a network failure, a timeout, a 5xx). */
export class HubUnreachableError extends Error {}

/** The hub answered with a refusal. */
export class HubRefusedError extends Error {
  readonly status: number
  readonly code: string
  readonly body: Record<string, unknown>

  constructor(status: number, code: string, message: string, body: Record<string, unknown>) {
    super(message)
    this.status = status
    this.code = code
    this.body = body
  }
}

/** Checks a hub URL: https, or http to this machine. Returns the reason it is unusable. */
export function hubUrlProblem(text: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return `${JSON.stringify(text)} is not a URL (e.g. https://hub.example:5610)`
  }
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && isLoopback(url.hostname.replace(/^\[|\]$/g, ''))) return undefined
  return `a hub is reached over https (http only on this machine), not ${url.protocol}//${url.host}`
}

export interface HubRequest {
  query?: Record<string, string | number> | undefined
  body?: unknown
  token?: string | undefined
  timeoutMs?: number | undefined
  signal?: AbortSignal | undefined
}

/** A connection to one hub (its agent keeps connections open between requests). */
export class HubConnection {
  readonly url: URL
  readonly #fingerprint: string | undefined
  #agent: Promise<https.Agent | http.Agent> | undefined

  constructor(url: string, fingerprint: string | undefined) {
    this.url = new URL(url)
    this.#fingerprint = fingerprint
  }

  #agentFor(): Promise<https.Agent | http.Agent> {
    if (!this.#agent) {
      const made =
        this.url.protocol === 'http:'
          ? Promise.resolve(new http.Agent({ keepAlive: true }))
          : pinnedAgent(this.url, this.#fingerprint)
      this.#agent = made
      // A failed probe is tried again next time (the hub may be down); a mismatch too.
      made.catch(() => {
        if (this.#agent === made) this.#agent = undefined
      })
    }
    return this.#agent
  }

  /** Sends a request; resolves to the parsed JSON answer, rejects with one of the three errors. */
  async request<T>(method: 'GET' | 'POST', path: string, options: HubRequest = {}): Promise<T> {
    let agent: https.Agent | http.Agent
    try {
      agent = await this.#agentFor()
    } catch (err) {
      if (err instanceof FingerprintMismatchError) throw err
      throw new HubUnreachableError(`cannot reach the hub at ${this.url.origin}: ${describe(err)}`)
    }
    const query =
      options.query === undefined
        ? ''
        : `?${new URLSearchParams(Object.entries(options.query).map(([k, v]): [string, string] => [k, String(v)])).toString()}`
    const body =
      options.body === undefined ? undefined : await gzip(Buffer.from(JSON.stringify(options.body)))
    const headers: Record<string, string> = {
      accept: 'application/json',
      'accept-encoding': 'gzip',
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-encoding'] = 'gzip'
      headers['content-length'] = String(body.length)
    }
    const base = this.url.pathname.replace(/\/$/, '')
    const { status, text } = await new Promise<{ status: number; text: string }>(
      (resolve, reject) => {
        const requester = this.url.protocol === 'http:' ? http.request : httpsRequest
        const req = requester(
          {
            host: this.url.hostname.replace(/^\[|\]$/g, ''),
            port: this.url.port || (this.url.protocol === 'http:' ? 80 : 443),
            method,
            path: `${base}${path}${query}`,
            headers,
            agent,
            timeout: options.timeoutMs ?? 30_000,
            signal: options.signal,
          },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('error', reject)
            res.on('end', () => {
              const raw = Buffer.concat(chunks)
              const decode =
                res.headers['content-encoding'] === 'gzip' ? gunzip(raw) : Promise.resolve(raw)
              decode.then(
                (b) => resolve({ status: res.statusCode ?? 0, text: b.toString('utf8') }),
                reject,
              )
            })
          },
        )
        req.on('timeout', () => req.destroy(new Error('the hub did not answer in time')))
        req.on('error', reject)
        req.end(body)
      },
    ).catch((err: unknown) => {
      if (err instanceof FingerprintMismatchError) throw err
      const cause = (err as { cause?: unknown }).cause
      if (cause instanceof FingerprintMismatchError) throw cause
      if ((err as Error).name === 'AbortError') throw err
      throw new HubUnreachableError(`cannot reach the hub at ${this.url.origin}: ${describe(err)}`)
    })
    let parsed: unknown
    try {
      parsed = text === '' ? {} : JSON.parse(text)
    } catch {
      throw new HubUnreachableError(
        `${this.url.origin} did not answer like a Daybook hub (HTTP ${status}, not JSON)`,
      )
    }
    if (status >= 500) {
      const e = parsed as { message?: string }
      throw new HubUnreachableError(`the hub failed (HTTP ${status}): ${e.message ?? ''}`.trim())
    }
    if (status >= 400) {
      const e = parsed as { code?: string; message?: string }
      throw new HubRefusedError(
        status,
        e.code ?? 'http_error',
        e.message ?? `HTTP ${status}`,
        parsed as Record<string, unknown>,
      )
    }
    return parsed as T
  }

  /** Closes the kept connections. */
  close(): void {
    void this.#agent?.then(
      (a) => a.destroy(),
      () => undefined,
    )
    this.#agent = undefined
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  if (e.code === 'ECONNREFUSED') return 'connection refused'
  if (e.code === 'ENOTFOUND') return 'no such host'
  if (e.code === 'ECONNRESET') return 'the connection was reset'
  if (e.code === 'ETIMEDOUT') return 'timed out'
  return e.message ?? String(err)
}
