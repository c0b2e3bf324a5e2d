/**
 * The harness's requests: one connection each (no pool to outlive a killed daemon), the admin
 * token, JSON in and out. A request whose answer is not 2xx throws `Refused` (the daemon said
 * no: a finding); one that gets no answer throws the connection error (the daemon died: the
 * outcome is unknown).
 */
import { type HttpResult, request } from '../../test/daemon.ts'
import type { Live } from './daemon.ts'

/** The daemon answered, but not with 2xx. */
export class Refused extends Error {
  readonly status: number

  constructor(method: string, path: string, res: HttpResult) {
    super(`${method} ${path}: ${res.status} ${res.body.slice(0, 300)}`)
    this.status = res.status
  }
}

export interface Call {
  method?: string
  path: string
  body?: unknown
  /** A body sent as it is (with `contentType`) instead of as JSON. */
  text?: string
  contentType?: string
  /** The ActivityWatch listener instead of the API. */
  aw?: boolean
  /** Replaces the bearer token (the frames wire sends the key raw). */
  authorization?: string
}

/** Sends a request; resolves to the parsed JSON body (or undefined when empty). */
export async function call<T = unknown>(live: Live, c: Call): Promise<T> {
  const port = c.aw ? live.awPort : live.port
  if (port === undefined) throw new Error('this daemon serves no ActivityWatch API')
  const method = c.method ?? (c.body === undefined && c.text === undefined ? 'GET' : 'POST')
  const res = await request(
    { port },
    {
      method,
      path: c.path,
      headers: {
        authorization: c.authorization ?? `Bearer ${live.token}`,
        ...(c.contentType === undefined ? {} : { 'content-type': c.contentType }),
      },
      ...(c.text !== undefined
        ? { body: c.text }
        : c.body === undefined
          ? {}
          : { body: JSON.stringify(c.body) }),
    },
  )
  if (res.status < 200 || res.status > 299) throw new Refused(method, c.path, res)
  return (res.body === '' ? undefined : JSON.parse(res.body)) as T
}
