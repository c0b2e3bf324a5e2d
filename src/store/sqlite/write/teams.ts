/** Teams, their members and shares (the directory's; not in the change feed). */
import {
  type Team,
  type TeamMember,
  type TeamShare,
  departure,
  normaliseShares,
} from '../../../domain/teams.ts'
import type { TeamInvitation, TeamLeaving } from '../../ports.ts'
import type { Connection } from '../connection.ts'

interface TeamRecord {
  id: string
  name: string
  created_by: string
  created_ms: number
}

interface MemberRecord {
  user_name: string
  role: 'admin' | 'member'
  joined: number
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
  joined: r.joined === 1,
  invitedBy: r.invited_by,
  sinceMs: r.since_ms,
})

export function createTeam(c: Connection, team: Team): void {
  c.write(() => {
    c.run(`INSERT INTO teams (id, name, created_by, created_ms) VALUES ($id, $name, $by, $at)`, {
      id: team.id,
      name: team.name,
      by: team.createdBy,
      at: team.createdMs,
    })
    c.run(
      `INSERT INTO team_members (team_id, user_name, role, joined, invited_by, since_ms)
       VALUES ($id, $by, 'admin', 1, $by, $at)`,
      { id: team.id, by: team.createdBy, at: team.createdMs },
    )
  })
}

export function getTeam(c: Connection, id: string): Team | undefined {
  const r = c.get<TeamRecord>('SELECT * FROM teams WHERE id = $id', { id })
  return r && toTeam(r)
}

export function teamsOf(c: Connection, user: string): { team: Team; member: TeamMember }[] {
  return c
    .all<TeamRecord & MemberRecord>(
      `SELECT t.*, m.user_name, m.role, m.joined, m.invited_by, m.since_ms
       FROM team_members m JOIN teams t ON t.id = m.team_id
       WHERE m.user_name = $user ORDER BY t.name, t.id`,
      { user },
    )
    .map((r) => ({ team: toTeam(r), member: toMember(r) }))
}

export function teamMembers(c: Connection, id: string): TeamMember[] {
  return c
    .all<MemberRecord>('SELECT * FROM team_members WHERE team_id = $id ORDER BY user_name', { id })
    .map(toMember)
}

export function inviteMember(
  c: Connection,
  id: string,
  user: string,
  invitedBy: string,
  atMs: number,
): TeamInvitation {
  return c.write(() => {
    if (!getTeam(c, id)) return 'unknown_team'
    if (!c.get('SELECT 1 FROM users WHERE name = $user', { user })) return 'unknown_user'
    const added = c.run(
      `INSERT INTO team_members (team_id, user_name, role, joined, invited_by, since_ms)
       VALUES ($id, $user, 'member', 0, $by, $at) ON CONFLICT DO NOTHING`,
      { id, user, by: invitedBy, at: atMs },
    )
    return added > 0 ? 'invited' : 'member'
  })
}

export function acceptInvitation(
  c: Connection,
  id: string,
  user: string,
  atMs: number,
): 'joined' | 'not_invited' {
  return c.write(() => {
    const r = c.get<MemberRecord>(
      'SELECT * FROM team_members WHERE team_id = $id AND user_name = $user',
      { id, user },
    )
    if (!r) return 'not_invited'
    if (r.joined === 0) {
      c.run(
        `UPDATE team_members SET joined = 1, since_ms = $at
         WHERE team_id = $id AND user_name = $user`,
        { id, user, at: atMs },
      )
    }
    return 'joined'
  })
}

function deleteTeamRows(c: Connection, id: string): boolean {
  c.run('DELETE FROM team_shares WHERE team_id = $id', { id })
  c.run('DELETE FROM team_members WHERE team_id = $id', { id })
  return c.run('DELETE FROM teams WHERE id = $id', { id }) > 0
}

/** Applies the `departure` rule to `user` in team `id`, inside the caller's transaction. */
function depart(c: Connection, id: string, user: string, forced: boolean): TeamLeaving {
  const outcome = departure(teamMembers(c, id), user, forced)
  switch (outcome.kind) {
    case 'unknown':
    case 'last_admin':
      return outcome.kind
    case 'delete_team':
      deleteTeamRows(c, id)
      return 'deleted'
    case 'leave':
      c.run('DELETE FROM team_shares WHERE team_id = $id AND user_name = $user', { id, user })
      c.run('DELETE FROM team_members WHERE team_id = $id AND user_name = $user', { id, user })
      if (outcome.promote !== null) {
        c.run(`UPDATE team_members SET role = 'admin' WHERE team_id = $id AND user_name = $user`, {
          id,
          user: outcome.promote,
        })
      }
      return 'left'
  }
}

export function leaveTeam(c: Connection, id: string, user: string): TeamLeaving {
  return c.write(() => depart(c, id, user, false))
}

/** A removed user leaves every team (inside the removal's transaction). */
export function leaveAllTeams(c: Connection, user: string): void {
  for (const { team } of teamsOf(c, user)) depart(c, team.id, user, true)
}

export function deleteTeam(c: Connection, id: string): boolean {
  return c.write(() => deleteTeamRows(c, id))
}

export function teamShares(c: Connection, id: string, user: string): TeamShare[] {
  return c
    .all<{ project: string; details: number }>(
      `SELECT project, details FROM team_shares WHERE team_id = $id AND user_name = $user
       ORDER BY project`,
      { id, user },
    )
    .map((r) => ({ project: r.project, details: r.details === 1 }))
}

export function setTeamShares(
  c: Connection,
  id: string,
  user: string,
  shares: readonly TeamShare[],
): boolean {
  return c.write(() => {
    const member = c.get<MemberRecord>(
      'SELECT * FROM team_members WHERE team_id = $id AND user_name = $user',
      { id, user },
    )
    if (member?.joined !== 1) return false
    c.run('DELETE FROM team_shares WHERE team_id = $id AND user_name = $user', { id, user })
    for (const s of normaliseShares(shares)) {
      c.run(
        `INSERT INTO team_shares (team_id, user_name, project, details)
         VALUES ($id, $user, $project, $details)`,
        { id, user, project: s.project, details: s.details ? 1 : 0 },
      )
    }
    return true
  })
}
