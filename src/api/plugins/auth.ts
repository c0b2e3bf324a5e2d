/**
 * Authentication and authorization, decided once per request before the body is read.
 *
 * The decision uses the route Fastify matched (its declared access class), never the raw URL
 * string, so path tricks (`//v1/…`, `%761`, `..`, trailing slashes) cannot reach a route under a
 * different rule than the one it declares. A route that declares nothing is admin-only.
 *
 * Routes of the seed-001 wire (`config.wire: 'seed001'`, i.e. `POST /frames`) are decided here
 * too, by the same access table: only the way the key is presented differs (the seed's client
 * sends it raw, `Authorization: <key>`), and any refusal is a 401, the one failure it knows.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { type Access, type Authenticator, type Principal, allows } from '../../auth/access.ts'
import { ForbiddenError, UnauthorizedError } from '../../domain/errors.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route; see `src/auth/access.ts`. */
    access?: Access
    /** Also accept the token as `?token=` (WebSocket and image URLs cannot set headers). */
    queryToken?: boolean
    /**
     * `seed001`: the route speaks seed 001's wire. Its key may be sent raw or as a bearer token,
     * and its error bodies are `{"error": code}` (see `src/api/errors.ts`).
     */
    wire?: 'seed001'
  }
  interface FastifyRequest {
    principal?: Principal
  }
}

export const UNAUTHORIZED_MESSAGE = 'missing or invalid bearer token'
export const FORBIDDEN_MESSAGE = 'token does not have permission for this endpoint'

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

/** The key of a seed-001 request: `Authorization: Bearer <key>` or `Authorization: <key>`. */
export function presentedSeedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const bearer = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
  const key = bearer?.[1] ?? header.trim()
  return key === '' ? undefined : key
}

/** The access class of the route a request matched. Unknown paths need any valid token. */
export function routeAccess(request: FastifyRequest): Access {
  if (request.is404) return 'any'
  return request.routeOptions.config.access ?? 'admin'
}

/** Installs the auth hook. */
export function installAuth(app: FastifyInstance, authenticator: Authenticator): void {
  app.addHook('onRequest', async (request) => {
    const access = routeAccess(request)
    if (access === 'public') return
    const { config } = request.routeOptions
    const seed = !request.is404 && config.wire === 'seed001'
    const secret = seed
      ? presentedSeedKey(request)
      : presentedToken(request, config.queryToken === true)
    const principal = secret === undefined ? undefined : await authenticator.authenticate(secret)
    if (!principal) throw new UnauthorizedError('unauthorized', UNAUTHORIZED_MESSAGE)
    if (!allows(principal.scope, access)) {
      if (seed) throw new UnauthorizedError('unauthorized', UNAUTHORIZED_MESSAGE)
      throw new ForbiddenError('forbidden', FORBIDDEN_MESSAGE)
    }
    request.principal = principal
  })
}
