/** Teams (`/v1/teams`): requests and answers. */
import { type Static, Type } from '#typebox'
import { MAX_SHARES, MAX_TEAM_NAME } from '../../domain/teams.ts'
import { USER_NAME_RE } from '../../domain/users.ts'
import { RANGE_NAMES } from '../../domain/wakatime/ranges.ts'
import { Nullable, Timestamp, Uuid } from './common.ts'

export const TeamParams = Type.Object({ id: Uuid })

export const MemberParams = Type.Object({
  id: Uuid,
  user: Type.String({ pattern: USER_NAME_RE.source }),
})

export const CreateTeamBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: MAX_TEAM_NAME }) },
  { additionalProperties: false },
)

export const InviteBody = Type.Object(
  {
    user: Type.String({
      pattern: USER_NAME_RE.source,
      description: 'A user of this server; they are in the team once they accept.',
    }),
  },
  { additionalProperties: false },
)

const ProjectName = Type.String({ minLength: 1, maxLength: 4096 })

/** A shared project: totals only, unless `details` (titles, files, URLs, labels) is true. */
const Share = Type.Object(
  {
    name: ProjectName,
    details: Type.Boolean({
      description:
        "Also share this project's titles, files, URLs and labels (default false: totals only).",
    }),
  },
  { additionalProperties: false },
)

export const SharesBody = Type.Object(
  {
    projects: Type.Array(
      Type.Object(
        { name: ProjectName, details: Type.Optional(Share.properties.details) },
        { additionalProperties: false },
      ),
      { maxItems: MAX_SHARES },
    ),
  },
  { additionalProperties: false },
)
export type SharesBody = Static<typeof SharesBody>

export const SharesResponse = Type.Object({ projects: Type.Array(Share) })

const Member = Type.Object({
  user: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('member')]),
  joined: Type.Boolean({ description: 'False while the invitation is not accepted.' }),
  invitedBy: Type.String(),
  since: Timestamp,
})

/** A team in the caller's list: the team, and the caller's place in it. */
export const TeamListItem = Type.Object({
  id: Uuid,
  name: Type.String(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  role: Member.properties.role,
  joined: Member.properties.joined,
})

export const TeamDetail = Type.Object({
  id: Uuid,
  name: Type.String(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  you: Member,
  members: Type.Array(Member),
})

export const RangeQuery = Type.Object({
  range: Type.Optional(
    Type.String({
      maxLength: 64,
      description: `A WakaTime range, resolved on each member's own calendar (default last_7_days): ${RANGE_NAMES.join(', ')}.`,
    }),
  ),
})

const Seconds = Type.Object({ name: Type.String(), seconds: Type.Integer() })

const MemberTotals = Type.Object({
  user: Type.String(),
  range: Type.Object({
    start: Timestamp,
    end: Timestamp,
    timezone: Type.String({ description: "The member's time zone, which the range is in." }),
  }),
  seconds: Type.Integer({ description: 'Active seconds over every shared project.' }),
  projects: Type.Array(
    Type.Object({
      name: Type.String(),
      seconds: Type.Integer(),
      details: Type.Optional(
        Type.Object(
          {
            entities: Type.Array(
              Type.Object({
                name: Type.String(),
                type: Nullable(Type.String()),
                seconds: Type.Integer(),
              }),
            ),
            labels: Type.Array(Seconds),
          },
          { description: 'Only for a project its member shares with its details.' },
        ),
      ),
    }),
  ),
  languages: Type.Array(Seconds),
})

export const TotalsResponse = Type.Object({
  team: Type.Object({ id: Uuid, name: Type.String() }),
  range: Type.String(),
  members: Type.Array(MemberTotals),
  projects: Type.Array(Seconds, { description: 'Each shared project, summed over the members.' }),
  languages: Type.Array(Seconds, { description: 'Each language, summed over the members.' }),
})

const LeaderUser = Type.Object({
  id: Type.String(),
  username: Type.String(),
  display_name: Type.String(),
})

/** Wakapi's leaderboard (`/api/compat/wakatime/v1/leaders`), with Daybook's range per entry. */
export const LeaderboardResponse = Type.Object({
  current_user: Type.Object({
    rank: Type.Integer({ description: "The caller's rank (0: not ranked)." }),
    page: Type.Integer(),
    user: Nullable(LeaderUser),
  }),
  data: Type.Array(
    Type.Object({
      rank: Type.Integer(),
      running_total: Type.Object({
        total_seconds: Type.Number(),
        human_readable_total: Type.String(),
        daily_average: Type.Number(),
        human_readable_daily_average: Type.String(),
        languages: Type.Array(Type.Object({ name: Type.String(), total_seconds: Type.Number() })),
      }),
      user: LeaderUser,
      range: MemberTotals.properties.range,
    }),
  ),
  range: Type.Object({ name: Type.String(), text: Type.String() }),
  page: Type.Integer(),
  total_pages: Type.Integer(),
})
