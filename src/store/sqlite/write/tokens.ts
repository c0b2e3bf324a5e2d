/** Scoped API tokens: their writes (no feed positions: tokens are not in the change feed). */
import type { TokenRow } from '../../ports.ts'
import type { Connection } from '../connection.ts'

/** Inserts a token unless `maxActive` are active at `nowSec` (see `TokenStore.insert`). */
export function insertToken(
  c: Connection,
  token: TokenRow,
  maxActive: number,
  nowSec: number,
): boolean {
  return c.write(() => {
    const { n } = c.get<{ n: number }>(
      `SELECT count(*) AS n FROM api_tokens
       WHERE revoked = 0 AND (expires_at IS NULL OR expires_at > $now)`,
      { now: nowSec },
    ) as { n: number }
    if (n >= maxActive) return false
    c.run(
      `INSERT INTO api_tokens (id, name, token_hash, token_salt, token_preview, acl, created_at,
                               expires_at, last_used_at, revoked)
       VALUES ($id, $name, $hash, $salt, $preview, $acl, $created, $expires, $used, $revoked)`,
      {
        id: token.id,
        name: token.name,
        hash: token.tokenHash,
        salt: token.tokenSalt,
        preview: token.tokenPreview,
        acl: token.acl,
        created: token.createdAt,
        expires: token.expiresAt,
        used: token.lastUsedAt,
        revoked: token.revoked ? 1 : 0,
      },
    )
    return true
  })
}

export function revokeToken(c: Connection, id: string): boolean {
  return c.run('UPDATE api_tokens SET revoked = 1 WHERE id = $id', { id }) > 0
}

export function deleteToken(c: Connection, id: string): boolean {
  return c.run('DELETE FROM api_tokens WHERE id = $id', { id }) > 0
}

export function touchToken(c: Connection, id: string, lastUsedAt: number): void {
  c.run('UPDATE api_tokens SET last_used_at = $at WHERE id = $id', { id, at: lastUsedAt })
}
