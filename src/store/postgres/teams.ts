/** Teams, their members and shares (the directory's; not in the change feed). */
import type pg from 'pg'
import { type Team, type TeamMember, departure, normaliseShares } from '../../domain/teams.ts'
import type { TeamLeaving, TeamStore } from '../ports.ts'
import { type Queryable, all, one, transaction } from './db.ts'

interface TeamRecord {
  id: string
  name: string
  created_by: string
  created_ms: number
}

interface MemberRecord {
  user_name: string
  role: 'admin' | 'member'
  joined: boolean
  invited_by: string
  since_ms: number
}

const toTeam = (r: TeamRecord): Team => ({
  id: r.id,
  name: r.name,
  createdBy: r.created_by,
  createdMs: r.created_ms,
})

const toMember = (r: MemberRecord): TeamMember => ({
  user: r.user_name,
  role: r.role,
  joined: r.joined,
  invitedBy: r.invited_by,
  sinceMs: r.since_ms,
})

/**
 * Runs `fn` in a transaction that locks the memberships (every daemon on the database): a
 * departure reads the members and writes by what it read, so two must not interleave.
 */
function lockedTeams<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  return transaction(pool, ['BEGIN', 'LOCK TABLE team_members IN SHARE ROW EXCLUSIVE MODE'], fn)
}

function members(c: Queryable, id: string): Promise<TeamMember[]> {
  return all<MemberRecord>(
    c,
    'SELECT * FROM team_members WHERE team_id = $1 ORDER BY user_name COLLATE "C"',
    [id],
  ).then((rows) => rows.map(toMember))
}

async function teamsOf(c: Queryable, user: string) {
  const rows = await all<TeamRecord & MemberRecord>(
    c,
    `SELECT t.*, m.user_name, m.role, m.joined, m.invited_by, m.since_ms
     FROM team_members m JOIN teams t ON t.id = m.team_id
     WHERE m.user_name = $1 ORDER BY t.name COLLATE "C", t.id COLLATE "C"`,
    [user],
  )
  return rows.map((r) => ({ team: toTeam(r), member: toMember(r) }))
}

async function deleteTeamRows(c: Queryable, id: string): Promise<boolean> {
  await c.query('DELETE FROM team_shares WHERE team_id = $1', [id])
  await c.query('DELETE FROM team_members WHERE team_id = $1', [id])
  return ((await c.query('DELETE FROM teams WHERE id = $1', [id])).rowCount ?? 0) > 0
}

/** Applies the `departure` rule to `user` in team `id`, inside the caller's locked transaction. */
async function depart(c: Queryable, id: string, user: string, forced: boolean) {
  const outcome = departure(await members(c, id), user, forced)
  switch (outcome.kind) {
    case 'unknown':
    case 'last_admin':
      return outcome.kind
    case 'delete_team':
      await deleteTeamRows(c, id)
      return 'deleted'
    case 'leave':
      await c.query('DELETE FROM team_shares WHERE team_id = $1 AND user_name = $2', [id, user])
      await c.query('DELETE FROM team_members WHERE team_id = $1 AND user_name = $2', [id, user])
      if (outcome.promote !== null) {
        await c.query(
          `UPDATE team_members SET role = 'admin' WHERE team_id = $1 AND user_name = $2`,
          [id, outcome.promote],
        )
      }
      return 'left'
  }
}

/** A removed user leaves every team (inside the removal's transaction, which holds the lock). */
export async function leaveAllTeams(c: pg.PoolClient, user: string): Promise<void> {
  await c.query('LOCK TABLE team_members IN SHARE ROW EXCLUSIVE MODE')
  for (const { team } of await teamsOf(c, user)) await depart(c, team.id, user, true)
}

/** The teams over `pool` (the first schema's). */
export function teamStore(pool: pg.Pool): TeamStore {
  return {
    create: (team) =>
      lockedTeams(pool, async (c) => {
        await c.query(
          'INSERT INTO teams (id, name, created_by, created_ms) VALUES ($1, $2, $3, $4)',
          [team.id, team.name, team.createdBy, team.createdMs],
        )
        await c.query(
          `INSERT INTO team_members (team_id, user_name, role, joined, invited_by, since_ms)
           VALUES ($1, $2, 'admin', true, $2, $3)`,
          [team.id, team.createdBy, team.createdMs],
        )
      }),
    get: async (id) => {
      const r = await one<TeamRecord>(pool, 'SELECT * FROM teams WHERE id = $1', [id])
      return r && toTeam(r)
    },
    ofUser: (user) => teamsOf(pool, user),
    members: (id) => members(pool, id),
    invite: (id, user, invitedBy, atMs) =>
      lockedTeams(pool, async (c) => {
        if (!(await one(c, 'SELECT 1 FROM teams WHERE id = $1', [id]))) return 'unknown_team'
        if (!(await one(c, 'SELECT 1 FROM users WHERE name = $1', [user]))) return 'unknown_user'
        const added = await c.query(
          `INSERT INTO team_members (team_id, user_name, role, joined, invited_by, since_ms)
           VALUES ($1, $2, 'member', false, $3, $4) ON CONFLICT DO NOTHING`,
          [id, user, invitedBy, atMs],
        )
        return (added.rowCount ?? 0) > 0 ? 'invited' : 'member'
      }),
    accept: (id, user, atMs) =>
      lockedTeams(pool, async (c) => {
        const r = await one<MemberRecord>(
          c,
          'SELECT * FROM team_members WHERE team_id = $1 AND user_name = $2',
          [id, user],
        )
        if (!r) return 'not_invited'
        if (!r.joined) {
          await c.query(
            `UPDATE team_members SET joined = true, since_ms = $3
             WHERE team_id = $1 AND user_name = $2`,
            [id, user, atMs],
          )
        }
        return 'joined'
      }),
    leave: (id, user) => lockedTeams(pool, (c): Promise<TeamLeaving> => depart(c, id, user, false)),
    delete: (id) => lockedTeams(pool, (c) => deleteTeamRows(c, id)),
    shares: async (id, user) =>
      (
        await all<{ project: string; details: boolean }>(
          pool,
          `SELECT project, details FROM team_shares WHERE team_id = $1 AND user_name = $2
           ORDER BY project COLLATE "C"`,
          [id, user],
        )
      ).map((r) => ({ project: r.project, details: r.details })),
    setShares: (id, user, shares) =>
      lockedTeams(pool, async (c) => {
        const r = await one<MemberRecord>(
          c,
          'SELECT * FROM team_members WHERE team_id = $1 AND user_name = $2',
          [id, user],
        )
        if (!r?.joined) return false
        await c.query('DELETE FROM team_shares WHERE team_id = $1 AND user_name = $2', [id, user])
        const rows = normaliseShares(shares)
        if (rows.length > 0) {
          await c.query(
            `INSERT INTO team_shares (team_id, user_name, project, details)
             SELECT $1, $2, s.project, s.details FROM unnest($3::text[], $4::boolean[])
               AS s (project, details)`,
            [id, user, rows.map((s) => s.project), rows.map((s) => s.details)],
          )
        }
        return true
      }),
  }
}
