/**
 * Authentication and authorization, decided once per request before the body is read.
 *
 * The decision uses the route Fastify matched (its declared access class), never the raw URL
 * string. The router normalises the path before matching (percent-decoding, duplicate and
 * trailing slashes), so `//v1/…`, `/%761/…` and `/v1/…/` match the route they spell and get its
 * rule; whatever matches no route (`/v1/../…`, `/V1/…`, `%2F`) is a 404 that still needs a valid
 * token. A route that declares nothing is admin-only.
 *
 * Failed authentications are counted per client address (all of loopback is one address: every
 * local process owns 127.0.0.0/8); past the limit, every request from that address that does not
 * carry a valid token is refused with 429, so guessing gets no answers. A valid token is never
 * refused by the limit: one misconfigured local script must not lock out every local client.
 *
 * Routes of the frames wire (`config.wire: 'frames'`, i.e. `POST /frames`) are decided here
 * too, by the same access table: only the way the key is presented differs (the frames client
 * sends it raw, `Authorization: <key>`), and any refusal is a 401, the one failure it knows.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { isLoopback } from '../../config/network.ts'
import { type Access, type Authenticator, type Principal, allows } from '../../domain/access.ts'
import {
  ForbiddenError,
  NotReadyError,
  RateLimitedError,
  UnauthorizedError,
} from '../../domain/errors.ts'
import type { RateLimiter } from '../rate-limiter.ts'
import type { DaybookContext } from '../context.ts'
import {
  isUnixSocketRequest,
  isUpgrade,
  markAuthenticated,
  onReservedConnection,
} from '../transport.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route; see `src/auth/access.ts`. */
    access?: Access
    /**
     * Also accept the token as `?token=` (WebSocket and image URLs cannot set headers); with
     * `websocket`, only on requests that upgrade to a WebSocket.
     */
    queryToken?: boolean | 'websocket'
    /** The access class of WebSocket upgrades of this route, when it differs from `access`. */
    wsAccess?: Access
    /**
     * `frames`: the route speaks the frames wire. Its key may be sent raw or as a bearer token,
     * and its error bodies are `{"error": code}` (see `src/api/errors.ts`). `openai`: an
     * OpenAI-compatible route, whose error bodies are OpenAI's `{"error":{"message",…}}`.
     */
    wire?: 'frames' | 'openai'
    /**
     * How this route's callers present their key, when not as a bearer token (the WakaTime
     * wire: Basic or Bearer, base64 or raw, or `?api_key=`).
     */
    presentedKey?: (request: FastifyRequest) => string | undefined
  }
  interface FastifyRequest {
    principal?: Principal
  }
}

const UNAUTHORIZED_MESSAGE = 'missing or invalid bearer token'
const FORBIDDEN_MESSAGE = 'token does not have permission for this endpoint'

/** The token a request presents: `Authorization: Bearer …`, or `?token=` where allowed. */
export function presentedToken(request: FastifyRequest, allowQuery: boolean): string | undefined {
  const header = request.headers.authorization
  if (header !== undefined) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
    return m?.[1]
  }
  if (allowQuery) {
    const q = (request.query as Record<string, unknown> | undefined)?.token
    if (typeof q === 'string' && q !== '') return q
  }
  return undefined
}

/** The key of a frames request: `Authorization: Bearer <key>` or `Authorization: <key>`. */
function presentedFramesKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const bearer = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
  const key = bearer?.[1] ?? header.trim()
  return key === '' ? undefined : key
}

/** The access class of the route a request matched. Unknown paths need any valid token. */
function routeAccess(request: FastifyRequest): Access {
  if (request.is404) return 'any'
  const { config } = request.routeOptions
  if (config.wsAccess !== undefined && isUpgrade(request.headers)) return config.wsAccess
  return config.access ?? 'admin'
}

/**
 * The key failed authentications are counted under: the client address. Unix-socket requests are
 * not counted: only the socket's owner can connect, and they can read the token file anyway, so a
 * limit would protect nothing and would let one broken local client lock out the CLI.
 */
export function failureKey(request: FastifyRequest): string | undefined {
  if (isUnixSocketRequest(request)) return undefined
  return isLoopback(request.ip) ? 'loopback' : request.ip
}

/**
 * The principal behind `secret`, or undefined (the caller refuses the request in its own words).
 * A valid token is never refused by the limit; past it, a request from `client` without one is a
 * 429. Only a presented token that is wrong, expired or revoked counts as a guess: a request with
 * no token at all (a page opened without one) is refused but not counted. `client` undefined:
 * not limited (the Unix socket).
 */
export async function authenticateCounted(
  authenticator: Authenticator,
  failures: RateLimiter,
  client: string | undefined,
  secret: string | undefined,
): Promise<Principal | undefined> {
  const principal = secret === undefined ? undefined : await authenticator.authenticate(secret)
  if (principal || client === undefined) return principal
  const { allowed, retryAfterSec } = failures.check(client)
  if (!allowed) {
    throw new RateLimitedError(
      'rate_limited',
      `too many failed authentication attempts from this address; retry in ${retryAfterSec} s`,
      retryAfterSec,
    )
  }
  if (secret !== undefined) failures.hit(client)
  return undefined
}

export const SLOTS_FULL_MESSAGE =
  'every connection slot is taken: this connection came from the reserve kept for clients with ' +
  'a valid token, and this request presented none (the Unix socket needs no slot)'

/**
 * Tells the connection limits what a request presented: a valid token keeps its connection; on a
 * connection let in from the token reserve, a request without one is refused (503), whatever
 * route it asks for, and the connection closes after the answer.
 */
export function noteConnectionPrincipal(
  request: FastifyRequest,
  principal: Principal | undefined,
): void {
  if (principal) markAuthenticated(request.raw)
  else if (onReservedConnection(request.raw)) {
    throw new NotReadyError('connection_slots_full', SLOTS_FULL_MESSAGE)
  }
}

/** Installs the auth hook; `failures` counts presented tokens that were not valid. */
export function installAuth(
  app: FastifyInstance,
  authenticator: Authenticator,
  failures: RateLimiter,
  diaryOf: (principal: Principal | undefined) => DaybookContext | undefined,
): void {
  app.decorateRequest('daybook', null as unknown as DaybookContext)
  app.addHook('onRequest', async (request) => {
    const access = routeAccess(request)
    // Public routes answer from the owner's diary (health, a hub's pairing, the public summary).
    request.daybook = diaryOf(undefined) as DaybookContext
    if (access === 'public' && !onReservedConnection(request.raw)) return
    const client = failureKey(request)
    const { config } = request.routeOptions
    const frames = !request.is404 && config.wire === 'frames'
    const queryToken =
      config.queryToken === true ||
      (config.queryToken === 'websocket' && isUpgrade(request.headers))
    const secret = frames
      ? presentedFramesKey(request)
      : !request.is404 && config.presentedKey
        ? config.presentedKey(request)
        : presentedToken(request, queryToken)
    const principal = await authenticateCounted(authenticator, failures, client, secret)
    noteConnectionPrincipal(request, principal)
    if (access === 'public') return
    if (!principal) throw new UnauthorizedError('unauthorized', UNAUTHORIZED_MESSAGE)
    if (!allows(principal.scope, access)) {
      if (frames) throw new UnauthorizedError('unauthorized', UNAUTHORIZED_MESSAGE)
      throw new ForbiddenError('forbidden', FORBIDDEN_MESSAGE)
    }
    // The diary the token is of: every route reads and writes only that one.
    const diary = diaryOf(principal)
    if (!diary) throw new UnauthorizedError('unauthorized', UNAUTHORIZED_MESSAGE)
    request.daybook = diary
    request.principal = principal
  })
}
