/**
 * The Host header check against DNS rebinding. A web page on `evil.example` can make its name
 * resolve to 127.0.0.1 and then talk to a loopback daemon as a same-origin page, Host header
 * `evil.example`; answering only the names a local client uses stops that. It is enabled when the
 * daemon is bound to a loopback address (ActivityWatch's GHSA-v9fg-6g9j-h4x4 is the precedent).
 * Requests over the Unix socket are exempt: no browser reaches it, and it has no host name.
 */
import type { FastifyInstance } from 'fastify'
import { BadRequestError, MisdirectedError } from '../../domain/errors.ts'
import { isUnixSocketRequest } from '../transport.ts'
import { LOOPBACK_HOSTS } from '../../config/network.ts'

// Where they are decided, with the rest of what the daemon is configured with.
export { LOOPBACK_HOSTS, normaliseHostName } from '../../config/network.ts'

/** The host name of a Host header, without its port and lowercased; undefined when malformed. */
export function hostHeaderName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::\d{1,5})?$/.exec(value.toLowerCase())
  return m?.[1]
}

/** Installs the check: `allow` names are answered besides `LOOPBACK_HOSTS`. */
export function installHostCheck(app: FastifyInstance, allow: readonly string[]): void {
  const names = new Set<string>([...LOOPBACK_HOSTS, ...allow])
  app.addHook('onRequest', async (request) => {
    if (isUnixSocketRequest(request)) return
    const name = hostHeaderName(request.headers.host)
    if (name === undefined || !names.has(name)) {
      // The offending value is not echoed: the body says what is accepted instead.
      throw new MisdirectedError(
        'misdirected_request',
        `this daemon answers only requests addressed to ${[...names].join(', ')}; ` +
          'allow another name with --allow-host',
      )
    }
  })
}

/**
 * Refuses requests whose target host is ambiguous, on every listener: two Host headers (a proxy
 * and the daemon could each read a different one), an empty one (Node refuses a missing Host
 * header of HTTP/1.1 with a 400, but lets an empty one through), or an absolute-form target
 * naming another host than the Host header. RFC 9112 asks for a 400 in each case.
 */
export function installHostConsistency(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const raw = request.raw.rawHeaders
    let hosts = 0
    for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === 'host') hosts++
    if (hosts > 1) {
      throw new BadRequestError('invalid_host', 'the request has more than one Host header')
    }
    if (hosts === 1 && (request.headers.host ?? '').trim() === '') {
      throw new BadRequestError('invalid_host', 'the Host header is empty')
    }
    const target = request.raw.url ?? ''
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
      let named: string
      try {
        named = new URL(target).hostname.toLowerCase()
      } catch {
        throw new BadRequestError('invalid_request', 'the request target is not a valid URL')
      }
      if (named !== hostHeaderName(request.headers.host)) {
        throw new BadRequestError(
          'invalid_host',
          'the request target names another host than the Host header',
        )
      }
    }
  })
}
