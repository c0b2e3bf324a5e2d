/** The users directory's writes (not in the change feed: users are the server's, not a diary's). */
import type { UserRemoval, UserRow } from '../../ports.ts'
import type { Connection } from '../connection.ts'
import { leaveAllTeams } from './teams.ts'

interface UserRecord {
  name: string
  admin: number
  created_ms: number
  owner: number
}

/** Every user, owner first, then by name. */
export function listUsers(c: Connection): UserRow[] {
  return c.all<UserRecord>('SELECT * FROM users ORDER BY owner DESC, name').map((r) => ({
    name: r.name,
    admin: r.admin === 1,
    createdMs: r.created_ms,
    owner: r.owner === 1,
  }))
}

/** The directory's version (see `UserStore.version`). */
export function directoryVersion(c: Connection): number {
  return c.get<{ value: number }>("SELECT value FROM meta WHERE key = 'directory'")?.value ?? 0
}

function bumpVersion(c: Connection): void {
  c.run(
    `INSERT INTO meta (key, value) VALUES ('directory', 1)
     ON CONFLICT (key) DO UPDATE SET value = value + 1`,
  )
}

/** Adds a user; false when the name (or, for an owner, the owner's place) is taken. */
export function addUser(c: Connection, user: UserRow): boolean {
  return c.write(() => {
    const added =
      c.run(
        `INSERT INTO users (name, admin, created_ms, owner) VALUES ($name, $admin, $created, $owner)
       ON CONFLICT DO NOTHING`,
        {
          name: user.name,
          admin: user.admin ? 1 : 0,
          created: user.createdMs,
          owner: user.owner ? 1 : 0,
        },
      ) > 0
    if (added) bumpVersion(c)
    return added
  })
}

function isLastAdmin(c: Connection, row: UserRecord): boolean {
  if (row.admin !== 1) return false
  const other = c.get<{ n: number }>(
    'SELECT count(*) AS n FROM users WHERE admin = 1 AND name <> $name',
    {
      name: row.name,
    },
  )
  return (other?.n ?? 0) === 0
}

/** Removes a user unless they are the last admin or the owner (see `UserStore.remove`). */
export function removeUser(c: Connection, name: string): UserRemoval {
  return c.write(() => {
    const row = c.get<UserRecord>('SELECT * FROM users WHERE name = $name', { name })
    if (!row) return 'unknown'
    if (isLastAdmin(c, row)) return 'last_admin'
    if (row.owner === 1) return 'owner'
    c.run('DELETE FROM users WHERE name = $name', { name })
    leaveAllTeams(c, name)
    bumpVersion(c)
    return 'removed'
  })
}

/** Makes a user a server admin or not, unless that leaves no admin. */
export function setUserAdmin(
  c: Connection,
  name: string,
  admin: boolean,
): 'ok' | 'unknown' | 'last_admin' {
  return c.write(() => {
    const row = c.get<UserRecord>('SELECT * FROM users WHERE name = $name', { name })
    if (!row) return 'unknown'
    if (!admin && isLastAdmin(c, row)) return 'last_admin'
    c.run('UPDATE users SET admin = $admin WHERE name = $name', { name, admin: admin ? 1 : 0 })
    bumpVersion(c)
    return 'ok'
  })
}
