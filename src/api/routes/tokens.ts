/**
 * Token management (skill-daemon's API): `GET|POST /auth/tokens`, `POST /auth/tokens/revoke|delete`,
 * `POST /auth/default-token/refresh`. All admin-only: even the list, which names every token.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Static, Type } from '#typebox'
import type { DaybookContext } from '../context.ts'
import { DEFAULT_TOKEN_ID } from '../../services/tokens.ts'
import { BadRequestError, UnprocessableError } from '../../domain/errors.ts'
import { errorResponses } from '../schemas/responses.ts'
import {
  CreateTokenBody,
  OkResult,
  RefreshResult,
  TOKEN_BODY_LIMIT,
  TokenIdBody,
  toApiToken,
} from '../schemas/tokens.ts'

const ApiTokenRef = Type.Ref('ApiToken')

/** Every token route needs the bearer token of an admin. */
const ADMIN_ONLY = {
  tags: ['auth'],
  security: [{ bearer: [] }],
  description: 'Needs a token of scope `admin`.',
}

/** A 400 for `default`: it is not a stored token and is replaced with refresh instead. */
function refuseDefault(id: string, verb: string): void {
  if (id === DEFAULT_TOKEN_ID) {
    throw new BadRequestError(
      'default_token',
      `cannot ${verb} the default token — use POST /v1/auth/default-token/refresh instead`,
      'body/id',
    )
  }
}

/**
 * Creates a token in a diary (`POST /v1/auth/tokens`, and `POST /v1/users/{name}/tokens` for
 * another user's); the answer carries its secret.
 */
export async function createToken(
  daybook: DaybookContext,
  body: Static<typeof CreateTokenBody>,
): Promise<ReturnType<typeof toApiToken>> {
  const { acl, expiry, format } = body
  const name = body.name.trim()
  if (name === '') throw new UnprocessableError('invalid_body', 'name is blank', 'body/name')
  // Control characters in a name would garble `daybook token list` and logs.
  if (/\p{Cc}/u.test(name)) {
    throw new UnprocessableError(
      'invalid_body',
      'name must not contain control characters',
      'body/name',
    )
  }
  const created = await daybook.tokens.create({ name, acl, expiry, format })
  return toApiToken(created.info, created.secret)
}

export const tokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/auth/tokens',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Scoped tokens, oldest first, with previews (never secrets or hashes)',
        ...ADMIN_ONLY,
        response: { 200: Type.Array(ApiTokenRef), ...errorResponses(401, 403, 429) },
      },
    },
    async (request) => (await request.daybook.tokens.list()).map((t) => toApiToken(t)),
  )

  app.post(
    '/auth/tokens',
    {
      config: { access: 'admin' },
      bodyLimit: TOKEN_BODY_LIMIT,
      schema: {
        summary: 'Create a scoped token; the answer holds its secret, shown this once',
        ...ADMIN_ONLY,
        body: CreateTokenBody,
        response: {
          200: ApiTokenRef,
          ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429),
        },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store')
      return createToken(request.daybook, request.body)
    },
  )

  app.post(
    '/auth/tokens/revoke',
    {
      config: { access: 'admin' },
      bodyLimit: TOKEN_BODY_LIMIT,
      schema: {
        summary: 'Revoke a token: refused from the next request on, still listed',
        ...ADMIN_ONLY,
        body: TokenIdBody,
        response: { 200: OkResult, ...errorResponses(400, 401, 403, 413, 415, 422, 429) },
      },
    },
    async (request) => {
      refuseDefault(request.body.id, 'revoke')
      return { ok: await request.daybook.tokens.revoke(request.body.id) }
    },
  )

  app.post(
    '/auth/tokens/delete',
    {
      config: { access: 'admin' },
      bodyLimit: TOKEN_BODY_LIMIT,
      schema: {
        summary: 'Delete a token: refused from the next request on, no longer listed',
        ...ADMIN_ONLY,
        body: TokenIdBody,
        response: { 200: OkResult, ...errorResponses(400, 401, 403, 413, 415, 422, 429) },
      },
    },
    async (request) => {
      refuseDefault(request.body.id, 'delete')
      return { ok: await request.daybook.tokens.delete(request.body.id) }
    },
  )

  app.post(
    '/auth/default-token/refresh',
    {
      config: { access: 'admin' },
      bodyLimit: TOKEN_BODY_LIMIT,
      schema: {
        summary:
          'Replace the default admin token (its file is rewritten atomically); the old one stops working at once',
        ...ADMIN_ONLY,
        response: { 200: RefreshResult, ...errorResponses(400, 401, 403, 409, 413, 429) },
      },
    },
    async (request, reply) => {
      const token = request.daybook.rotateDefaultToken()
      void reply.header('cache-control', 'no-store')
      return { ok: true as const, token }
    },
  )
}
