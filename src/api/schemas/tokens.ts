/**
 * Token schemas, in skill-daemon's field names (snake_case `ApiToken`).
 */
import { Type } from '#typebox'
import { TOKEN_SCOPES } from '../../domain/access.ts'
import { EXPIRIES, TOKEN_FORMATS, type TokenInfo } from '../../services/tokens.ts'
import { Nullable } from './common.ts'

const ScopeName = Type.Union(
  TOKEN_SCOPES.map((s) => Type.Literal(s)),
  { description: `one of ${TOKEN_SCOPES.join(', ')} (sync tokens are made by pairing)` },
)

const ExpiryName = Type.Union(
  EXPIRIES.map((e) => Type.Literal(e)),
  { description: `one of ${EXPIRIES.join(', ')}` },
)

/** Largest request body a token route accepts. */
export const TOKEN_BODY_LIMIT = 16 * 1024

const TokenFormatName = Type.Union(
  TOKEN_FORMATS.map((f) => Type.Literal(f)),
  {
    description:
      '`daybook` (default): an `sk-…` secret; `wakatime`: a lowercase UUIDv4, the only format WakaTime plugins accept.',
  },
)

export const CreateTokenBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, description: 'What the token is for.' }),
  acl: ScopeName,
  expiry: ExpiryName,
  format: Type.Optional(TokenFormatName),
})

export const TokenIdBody = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

/**
 * A token as the API shows it. `token` is the secret only in the answer to its creation and the
 * preview everywhere else; `token_hash` and `token_salt` are always empty (kept for skill-daemon's
 * clients, which expect the fields).
 */
export const ApiToken = Type.Object(
  {
    id: Type.String({ description: '16 hex digits.' }),
    name: Type.String(),
    token: Type.String({ description: 'The secret (on creation only), else the preview.' }),
    token_hash: Type.Literal(''),
    token_salt: Type.Literal(''),
    token_preview: Type.String({ description: '`sk-abc…wxyz`' }),
    acl: ScopeName,
    format: TokenFormatName,
    created_at: Type.Integer({ description: 'Unix seconds.' }),
    expires_at: Nullable(Type.Integer({ description: 'Unix seconds; null: never.' })),
    last_used_at: Nullable(Type.Integer({ description: 'Unix seconds, to about a minute.' })),
    revoked: Type.Boolean(),
  },
  { $id: 'ApiToken', title: 'ApiToken' },
)

export const OkResult = Type.Object({ ok: Type.Boolean() })

export const RefreshResult = Type.Object({
  ok: Type.Literal(true),
  token: Type.String({ description: 'The new default token.' }),
})

/** The wire form of a token; `token` is the secret when given, else the preview. */
export function toApiToken(t: TokenInfo, secret?: string) {
  return {
    id: t.id,
    name: t.name,
    token: secret ?? t.tokenPreview,
    token_hash: '' as const,
    token_salt: '' as const,
    token_preview: t.tokenPreview,
    acl: t.acl,
    format: t.format,
    created_at: t.createdAt,
    expires_at: t.expiresAt,
    last_used_at: t.lastUsedAt,
    revoked: t.revoked,
  }
}
