/** The users directory (not in the change feed: users are the server's, not a diary's). */
import type pg from 'pg'
import type { UserRow, UserStore } from '../ports.ts'
import { type Queryable, all, bumpMetaVersion, metaVersion, one, transaction } from './db.ts'
import { leaveAllTeams } from './teams.ts'

interface UserRecord {
  name: string
  admin: boolean
  created_ms: number
  owner: boolean
}

function isLastAdmin(c: Queryable, row: UserRecord): Promise<boolean> {
  if (!row.admin) return Promise.resolve(false)
  return one<{ n: number }>(c, 'SELECT count(*)::int AS n FROM users WHERE admin AND name <> $1', [
    row.name,
  ]).then((r) => (r?.n ?? 0) === 0)
}

/**
 * Runs `fn` in a transaction that locks the directory (every daemon on the database): the last
 * admin cannot be removed by two removals that each saw the other admin.
 */
function locked<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  return transaction(pool, ['BEGIN', 'LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE'], fn)
}

/** Bumps the directory's version (see `UserStore.version`) in the caller's transaction. */
const bumpVersion = (c: Queryable) => bumpMetaVersion(c, 'directory')

/** The directory over `pool` (the first schema's). */
export function userStore(pool: pg.Pool): UserStore {
  const row = (c: Queryable, name: string) =>
    one<UserRecord>(c, 'SELECT * FROM users WHERE name = $1', [name])
  return {
    list: async () =>
      (await all<UserRecord>(pool, 'SELECT * FROM users ORDER BY owner DESC, name')).map(
        (r): UserRow => ({ name: r.name, admin: r.admin, createdMs: r.created_ms, owner: r.owner }),
      ),
    add: (user) =>
      locked(pool, async (c) => {
        const added =
          ((
            await c.query(
              `INSERT INTO users (name, admin, created_ms, owner) VALUES ($1, $2, $3, $4)
               ON CONFLICT DO NOTHING`,
              [user.name, user.admin, user.createdMs, user.owner],
            )
          ).rowCount ?? 0) > 0
        if (added) await bumpVersion(c)
        return added
      }),
    remove: (name) =>
      locked(pool, async (c) => {
        const r = await row(c, name)
        if (!r) return 'unknown'
        if (await isLastAdmin(c, r)) return 'last_admin'
        if (r.owner) return 'owner'
        await c.query('DELETE FROM users WHERE name = $1', [name])
        await leaveAllTeams(c, name)
        await bumpVersion(c)
        return 'removed'
      }),
    setAdmin: (name, admin) =>
      locked(pool, async (c) => {
        const r = await row(c, name)
        if (!r) return 'unknown'
        if (!admin && (await isLastAdmin(c, r))) return 'last_admin'
        await c.query('UPDATE users SET admin = $2 WHERE name = $1', [name, admin])
        await bumpVersion(c)
        return 'ok'
      }),
    version: () => metaVersion(pool, 'directory'),
  }
}
