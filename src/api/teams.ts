/**
 * Teams on a team server: what members share, by consent, and what a team sees of it. The
 * directory (the owner's store) keeps the teams, members and shares; the totals are computed from
 * each member's own diary, by the same active-time service and rules as their own
 * `/v1/summary/total`, on their own calendar (their time zone setting) — never copied anywhere.
 *
 * Who sees what: a team is invisible (404 `unknown_team`) to anyone neither in it nor invited;
 * an invitee sees who is in it, and nothing of their totals until they accept (403
 * `invitation_pending`); a joined member sees the totals of the projects each member shares,
 * and the details (entities: titles, files, URLs; labels) only of the projects a member opted in.
 */
import { randomUUID } from 'node:crypto'
import type { TimeRange } from '../domain/calendar.ts'
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../domain/errors.ts'
import type { Principal } from '../domain/access.ts'
import {
  type Team,
  type TeamMember,
  type TeamShare,
  MAX_SHARES,
  checkTeamName,
} from '../domain/teams.ts'
import { type RangeName, resolveRange } from '../domain/wakatime/ranges.ts'
import { DAY_MS } from '../domain/time.ts'
import type { Store } from '../store/ports.ts'
import type { Users } from './users.ts'

/** Seconds by name, most first, then by name. */
export interface NamedSeconds {
  name: string
  seconds: number
}

/** A shared project of one member: its total, and its details when they opted in. */
export interface SharedProject extends NamedSeconds {
  /** Present only for a project shared with its details. */
  details?: {
    /** Titles, files and URLs, with their type. */
    entities: (NamedSeconds & { type: string | null })[]
    /** Active seconds inside each label's stretch, within this project. */
    labels: NamedSeconds[]
  }
}

/** What one joined member shares over a range, on their own calendar. */
export interface MemberTotals {
  user: string
  /** The range as resolved on the member's calendar. */
  range: TimeRange & { timeZone: string }
  /** Active seconds over every project they share (overlaps counted once, as their summary does). */
  seconds: number
  projects: SharedProject[]
  languages: NamedSeconds[]
}

/** A team as its members see it. */
export interface TeamView {
  team: Team
  members: TeamMember[]
  /** The caller's own place. */
  you: TeamMember
}

/** The most entities of one project a member's details list. */
const MAX_ENTITIES = 100

function byMost(a: NamedSeconds, b: NamedSeconds): number {
  return b.seconds - a.seconds || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

export class Teams {
  readonly #users: Users
  readonly #store: () => Store
  readonly #clock: () => number

  constructor(options: { users: Users; store: () => Store; clock: () => number }) {
    this.#users = options.users
    this.#store = options.store
    this.#clock = options.clock
  }

  /** The caller's user name: their token's user, the owner's for the owner's tokens. */
  me(principal: Principal | undefined): string {
    return principal?.user ?? this.#users.ownerName
  }

  /** The teams the caller is in or invited to. */
  async list(me: string): Promise<{ team: Team; member: TeamMember }[]> {
    return this.#store().teams.ofUser(me)
  }

  async create(me: string, name: string): Promise<TeamView> {
    const team: Team = {
      id: randomUUID(),
      name: checkTeamName(name),
      createdBy: me,
      createdMs: this.#clock(),
    }
    await this.#store().teams.create(team)
    return this.view(me, team.id)
  }

  /** The team and its members, for a member or invitee; 404 `unknown_team` for anyone else. */
  async view(me: string, id: string): Promise<TeamView> {
    const store = this.#store()
    const [team, members] = await Promise.all([store.teams.get(id), store.teams.members(id)])
    const you = members.find((m) => m.user === me)
    // Anyone else learns nothing, not even that the team exists.
    if (!team || !you) throw new NotFoundError('unknown_team', `you are in no team ${id}`, 'id')
    return { team, members, you }
  }

  /** The view for a joined member; 403 `invitation_pending` for an invitee. */
  async #joined(me: string, id: string): Promise<TeamView> {
    const view = await this.view(me, id)
    if (!view.you.joined) {
      throw new ForbiddenError(
        'invitation_pending',
        `accept the invitation to team ${id} first (daybook team accept ${id})`,
      )
    }
    return view
  }

  async #admin(me: string, id: string): Promise<TeamView> {
    const view = await this.#joined(me, id)
    if (view.you.role !== 'admin') {
      throw new ForbiddenError('not_team_admin', `only an admin of team ${id} may do that`)
    }
    return view
  }

  /** A team admin invites a user of this server; they are in once they accept. */
  async invite(me: string, id: string, user: string): Promise<TeamView> {
    await this.#admin(me, id)
    const outcome = await this.#store().teams.invite(id, user, me, this.#clock())
    if (outcome === 'unknown_user') {
      throw new NotFoundError('unknown_user', `no user named ${JSON.stringify(user)}`, 'user')
    }
    if (outcome === 'member') {
      throw new ConflictError('already_member', `${user} is in team ${id} or invited to it`)
    }
    if (outcome === 'unknown_team') throw new NotFoundError('unknown_team', `no team ${id}`, 'id')
    return this.view(me, id)
  }

  /** The caller accepts their invitation. */
  async accept(me: string, id: string): Promise<TeamView> {
    await this.view(me, id)
    if ((await this.#store().teams.accept(id, me, this.#clock())) === 'not_invited') {
      throw new NotFoundError('unknown_team', `you are in no team ${id}`, 'id')
    }
    return this.view(me, id)
  }

  /**
   * `user` leaves: the caller themselves (leaving, or declining an invitation), or a member a team
   * admin removes. 409 `last_team_admin` for the last admin while others are in.
   */
  async leave(me: string, id: string, user: string): Promise<{ deleted: boolean }> {
    if (user === me) await this.view(me, id)
    else {
      const { members } = await this.#admin(me, id)
      if (!members.some((m) => m.user === user)) {
        throw new NotFoundError('unknown_member', `${user} is not in team ${id}`, 'user')
      }
    }
    const outcome = await this.#store().teams.leave(id, user)
    if (outcome === 'last_admin') {
      throw new ConflictError(
        'last_team_admin',
        `${user} is the last admin of team ${id}; while others are in, it needs one`,
      )
    }
    if (outcome === 'unknown') throw new NotFoundError('unknown_team', `no team ${id}`, 'id')
    return { deleted: outcome === 'deleted' }
  }

  /** A team admin deletes the team, with every member's shares. */
  async delete(me: string, id: string): Promise<void> {
    await this.#admin(me, id)
    await this.#store().teams.delete(id)
  }

  /** What the caller shares with the team. */
  async shares(me: string, id: string): Promise<TeamShare[]> {
    await this.view(me, id)
    return this.#store().teams.shares(id, me)
  }

  /** Replaces what the caller shares (joined members only). */
  async setShares(me: string, id: string, shares: readonly TeamShare[]): Promise<TeamShare[]> {
    await this.#joined(me, id)
    if (shares.length > MAX_SHARES) {
      throw new BadRequestError(
        'too_many_shares',
        `at most ${MAX_SHARES} projects may be shared with a team`,
        'projects',
      )
    }
    // Joined when checked above; left since (another request): nothing is stored for them.
    if (!(await this.#store().teams.setShares(id, me, shares))) {
      throw new ForbiddenError('invitation_pending', `you are not in team ${id}`)
    }
    return this.#store().teams.shares(id, me)
  }

  /** What every joined member shares over a named range, each on their own calendar, by name. */
  async totals(me: string, id: string, range: RangeName): Promise<MemberTotals[]> {
    const { members } = await this.#joined(me, id)
    const store = this.#store()
    // A member added on another daemon sharing this database has their diary open here too.
    await this.#users.refresh()
    const joined = members.filter((m) => m.joined)
    return Promise.all(
      joined.map(async (m) =>
        this.#memberTotals(m.user, await store.teams.shares(id, m.user), range),
      ),
    )
  }

  async #memberTotals(
    user: string,
    shares: readonly TeamShare[],
    name: RangeName,
  ): Promise<MemberTotals> {
    const daybook = this.#users.diary(user)
    const { calendar, nowMs } = await daybook.requestTime(undefined)
    const first = (await daybook.store.events.span())?.startMs
    const resolved = resolveRange(name, nowMs, calendar, first)
    const range = { startMs: resolved.startMs, endMs: resolved.endMs }
    const out: MemberTotals = {
      user,
      range: { ...range, timeZone: calendar.timeZone },
      seconds: 0,
      projects: [],
      languages: [],
    }
    if (shares.length === 0) return out
    // Only the shared projects are ever asked for: the rest of the diary is never read.
    const query = (projects: string[], groupBy?: 'project' | 'language' | 'entity' | 'label') =>
      daybook.activeTime.cells({
        range,
        unit: null,
        calendar,
        groupBy,
        filters: { project: projects },
        includeAfk: false,
      })
    const shared = shares.map((s) => s.project)
    const [total, projects, languages] = await Promise.all([
      query(shared),
      query(shared, 'project'),
      query(shared, 'language'),
    ])
    out.seconds = total.reduce((sum, c) => sum + c.seconds, 0)
    out.languages = languages.map((c) => ({ name: c.group, seconds: c.seconds })).sort(byMost)
    const seconds = new Map(projects.map((c) => [c.group, c.seconds]))
    for (const share of shares) {
      const project: SharedProject = {
        name: share.project,
        seconds: seconds.get(share.project) ?? 0,
      }
      if (project.seconds === 0) continue
      if (share.details) {
        const [entities, labels] = await Promise.all([
          query([share.project], 'entity'),
          query([share.project], 'label'),
        ])
        project.details = {
          entities: entities
            .map((c) => ({ name: c.group, seconds: c.seconds, type: c.meta }))
            .sort(byMost)
            .slice(0, MAX_ENTITIES),
          labels: labels.map((c) => ({ name: c.group, seconds: c.seconds })).sort(byMost),
        }
      }
      out.projects.push(project)
    }
    out.projects.sort(byMost)
    return out
  }

  /**
   * The leaderboard: every joined member by shared seconds, most first (then by name), ranked
   * 1, 2, 3 … in that order.
   */
  async leaderboard(
    me: string,
    id: string,
    range: RangeName,
  ): Promise<{ rank: number; days: number; totals: MemberTotals }[]> {
    const totals = await this.totals(me, id, range)
    return totals
      .sort((a, b) =>
        byMost({ name: a.user, seconds: a.seconds }, { name: b.user, seconds: b.seconds }),
      )
      .map((t, i) => ({
        rank: i + 1,
        // Whole local days (a day of a DST change is still one).
        days: Math.max(1, Math.round((t.range.endMs - t.range.startMs) / DAY_MS)),
        totals: t,
      }))
  }
}
