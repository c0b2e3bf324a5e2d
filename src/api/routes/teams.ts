/**
 * Teams (`/v1/teams`): people on one server who share some of their totals, by consent. Any user
 * may make a team; its admins invite; only the invited user accepts; each member says which of
 * their projects they share (totals only, or with details per project). Reads need a `read`
 * token, every change an `admin` token of the user acting (consent is theirs to give).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '#typebox'
import { formatTimestamp } from '../../domain/calendar.ts'
import { BadRequestError } from '../../domain/errors.ts'
import type { Team, TeamMember } from '../../domain/teams.ts'
import {
  type RangeName,
  RANGE_NAMES,
  durationText,
  rangeName,
  rangeText,
} from '../../domain/wakatime/ranges.ts'
import { errorResponses } from '../schemas/responses.ts'
import {
  CreateTeamBody,
  InviteBody,
  LeaderboardResponse,
  MemberParams,
  RangeQuery,
  SharesBody,
  SharesResponse,
  TeamDetail,
  TeamListItem,
  TeamParams,
  TotalsResponse,
} from '../schemas/teams.ts'
import type { MemberTotals, TeamView } from '../teams.ts'

const TAGS = ['teams']

function member(m: TeamMember) {
  return {
    user: m.user,
    role: m.role,
    joined: m.joined,
    invitedBy: m.invitedBy,
    since: formatTimestamp(m.sinceMs),
  }
}

function teamInfo(t: Team) {
  return { id: t.id, name: t.name, createdBy: t.createdBy, createdAt: formatTimestamp(t.createdMs) }
}

function detail(v: TeamView) {
  return { ...teamInfo(v.team), you: member(v.you), members: v.members.map(member) }
}

/** The range a `range` parameter names (default last_7_days); 400 `invalid_range` otherwise. */
function rangeOf(q: { range?: string | undefined }): RangeName {
  const name = rangeName(q.range ?? 'last_7_days')
  if (!name) {
    throw new BadRequestError(
      'invalid_range',
      `range must be one of ${RANGE_NAMES.join(', ')}; got ${JSON.stringify(q.range)}`,
      'range',
    )
  }
  return name
}

function wireRange(t: MemberTotals) {
  return {
    start: formatTimestamp(t.range.startMs),
    end: formatTimestamp(t.range.endMs),
    timezone: t.range.timeZone,
  }
}

/** Sums over members, most first, then by name. */
function summed(lists: { name: string; seconds: number }[][]) {
  const sums = new Map<string, number>()
  for (const list of lists)
    for (const x of list) sums.set(x.name, (sums.get(x.name) ?? 0) + x.seconds)
  return [...sums]
    .map(([name, seconds]) => ({ name, seconds }))
    .sort((a, b) => b.seconds - a.seconds || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

const leader = (name: string) => ({ id: name, username: name, display_name: name })

export const teamRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { teams } = app
  const me = (request: FastifyRequest) => teams.me(request.principal)

  app.get(
    '/teams',
    {
      config: { access: 'read' },
      schema: {
        summary: 'The teams you are in or invited to, with your place in each',
        tags: TAGS,
        response: { 200: Type.Array(TeamListItem), ...errorResponses(401, 403) },
      },
    },
    async (request) =>
      (await teams.list(me(request))).map(({ team, member: m }) => ({
        ...teamInfo(team),
        role: m.role,
        joined: m.joined,
      })),
  )

  app.post(
    '/teams',
    {
      config: { access: 'admin' },
      bodyLimit: 4096,
      schema: {
        summary: 'Make a team; you are its admin (and share nothing until you say so)',
        tags: TAGS,
        body: CreateTeamBody,
        response: { 201: TeamDetail, ...errorResponses(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(detail(await teams.create(me(request), request.body.name))),
  )

  app.get(
    '/teams/:id',
    {
      config: { access: 'read' },
      schema: {
        summary: 'A team and its members (members and invitees only; 404 `unknown_team` else)',
        tags: TAGS,
        params: TeamParams,
        response: { 200: TeamDetail, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => detail(await teams.view(me(request), request.params.id)),
  )

  app.delete(
    '/teams/:id',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Delete a team with every share (team admins; 403 `not_team_admin` else)',
        tags: TAGS,
        params: TeamParams,
        response: {
          200: Type.Object({ ok: Type.Literal(true) }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      await teams.delete(me(request), request.params.id)
      return { ok: true as const }
    },
  )

  app.post(
    '/teams/:id/members',
    {
      config: { access: 'admin' },
      bodyLimit: 4096,
      schema: {
        summary: 'Invite a user (team admins); they are in once they accept',
        description:
          '404 `unknown_user` for no such user, 409 `already_member` for one in the team or invited.',
        tags: TAGS,
        params: TeamParams,
        body: InviteBody,
        response: { 200: TeamDetail, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request) =>
      detail(await teams.invite(me(request), request.params.id, request.body.user)),
  )

  app.post(
    '/teams/:id/accept',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Accept your invitation to a team (you still share nothing until you say so)',
        tags: TAGS,
        params: TeamParams,
        response: { 200: TeamDetail, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => detail(await teams.accept(me(request), request.params.id)),
  )

  app.delete(
    '/teams/:id/members/:user',
    {
      config: { access: 'admin' },
      schema: {
        summary:
          'Leave a team or decline an invitation (yourself), or remove a member (team admins)',
        description:
          'What they shared goes with them. 409 `last_team_admin` for the last admin while others ' +
          'are in; the last one out deletes the team (`deleted: true`).',
        tags: TAGS,
        params: MemberParams,
        response: {
          200: Type.Object({ ok: Type.Literal(true), deleted: Type.Boolean() }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const { deleted } = await teams.leave(me(request), request.params.id, request.params.user)
      return { ok: true as const, deleted }
    },
  )

  app.get(
    '/teams/:id/shares',
    {
      config: { access: 'read' },
      schema: {
        summary: 'What you share with a team',
        tags: TAGS,
        params: TeamParams,
        response: { 200: SharesResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({
      projects: (await teams.shares(me(request), request.params.id)).map((s) => ({
        name: s.project,
        details: s.details,
      })),
    }),
  )

  app.put(
    '/teams/:id/shares',
    {
      config: { access: 'admin' },
      bodyLimit: 1024 * 1024,
      schema: {
        summary: 'Say what you share with a team: these projects, and nothing else',
        description:
          'Replaces what you shared. Each project shares its totals (and its languages); its ' +
          'titles, files, URLs and labels only with `details: true`. Joined members only (403 ' +
          '`invitation_pending` before accepting).',
        tags: TAGS,
        params: TeamParams,
        body: SharesBody,
        response: { 200: SharesResponse, ...errorResponses(400, 401, 403, 404, 413, 415, 422) },
      },
    },
    async (request) => {
      const shares = request.body.projects.map((p) => ({
        project: p.name,
        details: p.details ?? false,
      }))
      const stored = await teams.setShares(me(request), request.params.id, shares)
      return { projects: stored.map((s) => ({ name: s.project, details: s.details })) }
    },
  )

  app.get(
    '/teams/:id/totals',
    {
      config: { access: 'read' },
      schema: {
        summary: "What the team's members share: totals per member, project and language",
        description:
          "Each member's totals come from their own diary, as their own /v1/summary/total counts " +
          'them over the range on their own calendar, for the projects they share only. Joined ' +
          'members only (403 `invitation_pending` before accepting).',
        tags: TAGS,
        params: TeamParams,
        querystring: RangeQuery,
        response: { 200: TotalsResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const range = rangeOf(request.query)
      const { team } = await teams.view(me(request), request.params.id)
      const members = await teams.totals(me(request), request.params.id, range)
      return {
        team: { id: team.id, name: team.name },
        range,
        members: members.map((t) => ({
          user: t.user,
          range: wireRange(t),
          seconds: t.seconds,
          projects: t.projects,
          languages: t.languages,
        })),
        projects: summed(members.map((t) => t.projects)),
        languages: summed(members.map((t) => t.languages)),
      }
    },
  )

  app.get(
    '/teams/:id/leaderboard',
    {
      config: { access: 'read' },
      schema: {
        summary: "The team's leaderboard: members by shared active time (Wakapi's shape)",
        description:
          "Wakapi's `leaders` answer: `data` by rank (most shared seconds first, then by name), " +
          'each with `running_total` (total and daily average over the range, languages) and the ' +
          "member's range on their own calendar. Joined members only.",
        tags: TAGS,
        params: TeamParams,
        querystring: RangeQuery,
        response: { 200: LeaderboardResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const range = rangeOf(request.query)
      const caller = me(request)
      const board = await teams.leaderboard(caller, request.params.id, range)
      const mine = board.find((e) => e.totals.user === caller)
      return {
        current_user: {
          rank: mine?.rank ?? 0,
          page: mine ? 1 : 0,
          user: mine ? leader(caller) : null,
        },
        data: board.map(({ rank, days, totals: t }) => ({
          rank,
          running_total: {
            total_seconds: t.seconds,
            human_readable_total: durationText(t.seconds),
            daily_average: Math.floor(t.seconds / days),
            human_readable_daily_average: durationText(t.seconds / days),
            languages: t.languages.map((l) => ({ name: l.name, total_seconds: l.seconds })),
          },
          user: leader(t.user),
          range: wireRange(t),
        })),
        range: { name: range, text: rangeText(range) },
        page: 1,
        total_pages: 1,
      }
    },
  )
}
