/**
 * Dashboard sign-in: a one-time code (`POST /v1/session/codes`) exchanged for a session token
 * (`POST /v1/session`).
 */
import { type Static, Type } from '#typebox'
import { SESSION_SCOPES } from '../../services/session-codes.ts'
import { Timestamp } from './common.ts'

const SessionScopeName = Type.Union(
  [Type.Literal(SESSION_SCOPES[0]), Type.Literal(SESSION_SCOPES[1])],
  {
    description:
      '`data` (default): reads, labels, analysis and the live stream, for 12 h; `admin`: everything, for 1 h.',
  },
)

/** Largest body either sign-in route accepts. */
export const SESSION_BODY_LIMIT = 4 * 1024

export const SessionCodeBody = Type.Object(
  { scope: Type.Optional(SessionScopeName) },
  { additionalProperties: false },
)
export type SessionCodeBody = Static<typeof SessionCodeBody>

export const SessionCode = Type.Object({
  code: Type.String({ description: '32 random bytes, base64url; one use, 120 s.' }),
  scope: SessionScopeName,
  expiresAt: { ...Timestamp, description: 'When the code stops working (RFC 3339, UTC).' },
  url: Type.String({
    description:
      "The dashboard on the daemon's TCP listener, with the code: `http://127.0.0.1:5610/#code=…`.",
  }),
})

export const SessionBody = Type.Object(
  {
    code: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'A code from POST /v1/session/codes.',
    }),
  },
  { additionalProperties: false },
)

export const Session = Type.Object({
  token: Type.String({
    description: 'A stored token (`sk-…`), listed by GET /v1/auth/tokens and revocable.',
  }),
  tokenId: Type.String({ description: 'Its id, for revocation.' }),
  scope: SessionScopeName,
  expiresAt: { ...Timestamp, description: 'When the token stops working (RFC 3339, UTC).' },
})
