/**
 * Teams of a team server: people who share some of their totals with each other, by consent.
 * A team admin invites; only the invited user can accept (nobody joins anyone to a team); a
 * member shares nothing until they name the projects they share, each with its totals only or,
 * when they opt in for that project, its details too (titles, files, URLs: the entities; and
 * labels). The rules every store applies when someone leaves are here.
 */
import { BadRequestError } from './errors.ts'

/** A team admin may invite and remove members and delete the team. */
export type TeamRole = 'admin' | 'member'

/** A team as the directory keeps it. */
export interface Team {
  id: string
  name: string
  /** The user who made it (its first admin). */
  createdBy: string
  createdMs: number
}

/** A user's place in a team: invited (not yet accepted) or joined. */
export interface TeamMember {
  user: string
  role: TeamRole
  /** False while the invitation is not accepted: such a member shares nothing and sees nothing. */
  joined: boolean
  invitedBy: string
  /** When they were invited, or, once joined, when they accepted. */
  sinceMs: number
}

/** One project a member shares with a team. */
export interface TeamShare {
  project: string
  /** Titles, files, URLs and labels of this project too; false: its totals only. */
  details: boolean
}

/** What a member's departure does to their team (every store applies it the same way). */
export type Departure =
  | { kind: 'unknown' }
  /** The last admin cannot walk out on joined members (a forced departure promotes instead). */
  | { kind: 'last_admin' }
  /** Nobody joined is left: the team goes, with its invitations. */
  | { kind: 'delete_team' }
  /** The member goes (with their shares); `promote` becomes an admin when none would be left. */
  | { kind: 'leave'; promote: string | null }

/**
 * What `user` leaving the team of `members` does. `forced`: they are being removed from the server,
 * so they cannot be refused; the longest-standing joined member then becomes an admin.
 */
export function departure(
  members: readonly TeamMember[],
  user: string,
  forced: boolean,
): Departure {
  const leaving = members.find((m) => m.user === user)
  if (!leaving) return { kind: 'unknown' }
  const staying = members.filter((m) => m.user !== user && m.joined)
  if (staying.length === 0) return { kind: 'delete_team' }
  if (leaving.role !== 'admin' || staying.some((m) => m.role === 'admin')) {
    return { kind: 'leave', promote: null }
  }
  if (!forced) return { kind: 'last_admin' }
  const [first] = [...staying].sort((a, b) => a.sinceMs - b.sinceMs || (a.user < b.user ? -1 : 1))
  return { kind: 'leave', promote: first?.user ?? null }
}

/** Most projects one member may share with one team. */
export const MAX_SHARES = 1000

/** Longest team name. */
export const MAX_TEAM_NAME = 100

/** A team name: 1-100 characters, not blank; trimmed. */
export function checkTeamName(name: string): string {
  const trimmed = name.trim()
  if (trimmed === '' || trimmed.length > MAX_TEAM_NAME) {
    throw new BadRequestError(
      'invalid_team_name',
      `a team name must be 1-${MAX_TEAM_NAME} characters, not blank`,
      'name',
    )
  }
  return trimmed
}

/** Shares as a member names them: each project once (the last word on it wins), sorted. */
export function normaliseShares(shares: readonly TeamShare[]): TeamShare[] {
  const byProject = new Map<string, boolean>()
  for (const s of shares) byProject.set(s.project, s.details)
  return [...byProject]
    .map(([project, details]) => ({ project, details }))
    .sort((a, b) => (a.project < b.project ? -1 : a.project > b.project ? 1 : 0))
}
