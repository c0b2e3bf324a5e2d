/**
 * Dashboard sign-in without copying secrets. `POST /v1/session/codes` (admin: `daybook open`
 * with the default token) makes a one-time code and the URL that carries it; the page posts the
 * code to `POST /v1/session` (public) and gets a real stored token of scope `data` or `admin`.
 *
 * A code that is refused counts as a failed authentication, under the same per-address limit as
 * a wrong token: guessing codes is guessing tokens.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { AddressInfo } from 'node:net'
import { localUrlHost } from '../../config/network.ts'
import { formatTimestamp } from '../../domain/calendar.ts'
import { ConflictError, UnauthorizedError } from '../../domain/errors.ts'
import {
  SESSION_TOKEN_NAME,
  SESSION_TTL_SEC,
  type SessionScope,
  SessionCodes,
} from '../../services/session-codes.ts'
import type { TokenAuthenticator } from '../../services/tokens.ts'
import { authenticateCounted, failureKey } from '../plugins/auth.ts'
import type { RateLimiter } from '../rate-limiter.ts'
import { errorResponses } from '../schemas/responses.ts'
import {
  SESSION_BODY_LIMIT,
  Session,
  SessionBody,
  SessionCode,
  SessionCodeBody,
} from '../schemas/session.ts'

export interface SessionRoutesOptions {
  /** The failed-authentication limiter the auth hook counts wrong tokens in. */
  failures: RateLimiter
}

const INVALID_LOGIN_CODE_MESSAGE =
  'This sign-in link was already used or has expired; run daybook open again'

const TAGS = ['auth']

export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRoutesOptions> = async (
  app,
  options,
) => {
  const codes = new SessionCodes({ clock: app.daybook.clock })

  app.post(
    '/session/codes',
    {
      config: { access: 'admin' },
      bodyLimit: SESSION_BODY_LIMIT,
      schema: {
        summary: 'A one-time dashboard sign-in code (120 s, one use) and the URL carrying it',
        description:
          'Needs a token of scope `admin` (`daybook open` uses the default token). The code is ' +
          "held in the daemon's memory only. 409 `dashboard_needs_tcp` when the daemon serves " +
          'only its Unix socket: a browser cannot reach it there.',
        tags: TAGS,
        body: SessionCodeBody,
        response: {
          201: SessionCode,
          ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429),
        },
      },
    },
    async (request, reply) => {
      const origin = dashboardOrigin(app.server.listening ? app.server.address() : null)
      const issued = codes.issue(request.body.scope ?? 'data', request.principal?.user)
      void reply.code(201).header('cache-control', 'no-store')
      return {
        code: issued.code,
        scope: issued.scope,
        expiresAt: formatTimestamp(issued.expiresAtMs),
        url: `${origin}/#code=${issued.code}`,
      }
    },
  )

  app.post(
    '/session',
    {
      config: { access: 'public' },
      bodyLimit: SESSION_BODY_LIMIT,
      schema: {
        summary: 'Exchange a sign-in code for a session token (a stored token, revocable)',
        description:
          'No token needed: the code is the credential. The token is named `dashboard session`: ' +
          'scope `data` for 12 h, or `admin` for 1 h. A used, unknown or expired code is 401 ' +
          '`invalid_login_code` and counts as a failed authentication (429 past the limit).',
        tags: TAGS,
        security: [],
        body: SessionBody,
        response: {
          201: Session,
          ...errorResponses(400, 401, 409, 413, 415, 422, 429),
        },
      },
    },
    async (request, reply) => {
      // The code goes through the same counting as a presented token: past the limit this is a
      // 429 before the code is even looked at, and a refused code is one more failure.
      let redeemed: { scope: SessionScope; user: string | undefined } | undefined
      await authenticateCounted(
        {
          authenticate: async (code) => {
            redeemed = codes.redeem(code)
            return redeemed && { tokenId: 'session-code', scope: redeemed.scope }
          },
        },
        options.failures,
        failureKey(request),
        request.body.code,
      )
      if (redeemed === undefined) {
        throw new UnauthorizedError('invalid_login_code', INVALID_LOGIN_CODE_MESSAGE)
      }
      const { scope } = redeemed
      // The session is of the diary of the user who made the code (this route is public).
      const diary = app.users.diaryOf({ tokenId: 'session-code', scope, user: redeemed.user })
      if (!diary) throw new UnauthorizedError('invalid_login_code', INVALID_LOGIN_CODE_MESSAGE)
      const created = await createSessionToken(diary.tokens, scope, diary.clock())
      void reply.code(201).header('cache-control', 'no-store')
      return {
        token: created.secret,
        tokenId: created.info.id,
        scope,
        expiresAt: formatTimestamp((created.info.expiresAt ?? 0) * 1000),
      }
    },
  )
}

/**
 * `http://host:port` of the TCP listener, as a browser on this machine reaches it (`localUrlHost`).
 * A daemon with no TCP listener cannot serve a browser.
 */
function dashboardOrigin(address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') {
    throw new ConflictError(
      'dashboard_needs_tcp',
      'the dashboard needs the daemon’s TCP listener; this daemon serves only its Unix socket ' +
        '(restart it without --no-tcp)',
    )
  }
  return `http://${localUrlHost(address.address)}:${address.port}`
}

/**
 * A session token. Sessions are stored tokens and count toward the cap on active tokens; rather
 * than let dashboard visits lock out `daybook token create`, the oldest active session makes
 * room for a new one when the cap is reached.
 */
async function createSessionToken(tokens: TokenAuthenticator, scope: SessionScope, nowMs: number) {
  const input = {
    name: SESSION_TOKEN_NAME,
    acl: scope,
    expiry: { seconds: SESSION_TTL_SEC[scope] },
  }
  try {
    return await tokens.create(input)
  } catch (err) {
    if (!(err instanceof ConflictError) || err.code !== 'token_limit') throw err
    const nowSec = Math.floor(nowMs / 1000)
    const oldest = (await tokens.list()).find(
      (t) =>
        t.name === SESSION_TOKEN_NAME &&
        !t.revoked &&
        (t.expiresAt === null || t.expiresAt > nowSec),
    )
    if (!oldest) throw err
    await tokens.revoke(oldest.id)
    return tokens.create(input)
  }
}
