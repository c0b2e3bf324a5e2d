/**
 * Users of a team server (`/v1/users`): list, add, remove, make admin, and make a user's tokens.
 * Server admins only: a token of scope `admin` of a user who is a server admin (the default
 * token is the owner's, an admin). Another user's `admin` token administers their own diary only.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '#typebox'
import { ForbiddenError } from '../../domain/errors.ts'
import { USER_NAME_RE } from '../../domain/users.ts'
import type { UserInfo } from '../users.ts'
import { formatTimestamp } from '../../domain/calendar.ts'
import { errorResponses } from '../schemas/responses.ts'
import { CreateTokenBody, TOKEN_BODY_LIMIT } from '../schemas/tokens.ts'
import { createToken } from './tokens.ts'

const UserName = Type.String({
  pattern: USER_NAME_RE.source,
  description: '1-32 lower-case letters, digits or _, starting with a letter.',
})

/** A user as `/v1/users` answers. */
export const User = Type.Object({
  name: Type.String(),
  admin: Type.Boolean({ description: 'A server admin: manages users and their tokens.' }),
  owner: Type.Boolean({
    description: "The owner's diary holds the server's directory; the owner cannot be removed.",
  }),
  createdAt: Type.String({ format: 'date-time' }),
})

const NameParams = Type.Object({ name: UserName })

const SERVER_ADMIN = {
  tags: ['users'],
  description:
    "Needs a token of scope `admin` of a server admin (the default token is the owner's); " +
    '403 `not_server_admin` otherwise.',
}

function toUser(u: UserInfo) {
  return { name: u.name, admin: u.admin, owner: u.owner, createdAt: formatTimestamp(u.createdMs) }
}

export const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users } = app

  async function serverAdmin(request: FastifyRequest): Promise<void> {
    if (!(await users.isServerAdmin(request.principal))) {
      throw new ForbiddenError('not_server_admin', 'only a server admin may manage users')
    }
  }

  app.get(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Users of this server, owner first, then by name',
        ...SERVER_ADMIN,
        response: { 200: Type.Array(User), ...errorResponses(401, 403, 429) },
      },
    },
    async (request) => {
      await serverAdmin(request)
      return (await users.list()).map(toUser)
    },
  )

  app.post(
    '/users',
    {
      config: { access: 'admin' },
      bodyLimit: TOKEN_BODY_LIMIT,
      schema: {
        summary: 'Add a user, with an empty diary of their own',
        ...SERVER_ADMIN,
        body: Type.Object({ name: UserName, admin: Type.Optional(Type.Boolean()) }),
        response: {
          201: User,
          ...errorResponses(400, 401, 403, 409, 413, 415, 429),
        },
      },
    },
    async (request, reply) => {
      await serverAdmin(request)
      const user = await users.add(request.body.name, request.body.admin ?? false)
      return reply.code(201).send(toUser(user))
    },
  )

  app.patch(
    '/users/:name',
    {
      config: { access: 'admin' },
      bodyLimit: TOKEN_BODY_LIMIT,
      schema: {
        summary: 'Make a user a server admin, or not (409 `last_admin` for the last one)',
        ...SERVER_ADMIN,
        params: NameParams,
        body: Type.Object({ admin: Type.Boolean() }),
        response: { 200: User, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429) },
      },
    },
    async (request) => {
      await serverAdmin(request)
      return toUser(await users.setAdmin(request.params.name, request.body.admin))
    },
  )

  app.delete(
    '/users/:name',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Remove a user: their tokens stop working at once, their diary is deleted',
        description:
          `${SERVER_ADMIN.description} 409 \`last_admin\` for the last server admin, ` +
          "`owner_diary` for the owner (their diary holds the server's directory).",
        tags: SERVER_ADMIN.tags,
        params: NameParams,
        response: {
          200: Type.Object({ ok: Type.Literal(true) }),
          ...errorResponses(400, 401, 403, 404, 409, 429),
        },
      },
    },
    async (request) => {
      await serverAdmin(request)
      await users.remove(request.params.name)
      return { ok: true as const }
    },
  )

  app.post(
    '/users/:name/tokens',
    {
      config: { access: 'admin' },
      bodyLimit: TOKEN_BODY_LIMIT,
      schema: {
        summary: "Create a token of a user's diary (the body and answer of POST /v1/auth/tokens)",
        ...SERVER_ADMIN,
        params: NameParams,
        body: CreateTokenBody,
        response: {
          200: Type.Ref('ApiToken'),
          ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429),
        },
      },
    },
    async (request, reply) => {
      await serverAdmin(request)
      void reply.header('cache-control', 'no-store')
      return createToken(users.diary(request.params.name), request.body)
    },
  )
}
