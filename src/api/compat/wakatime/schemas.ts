/**
 * The WakaTime wire, as TypeBox schemas: heartbeats as `wakatime-cli` and the browser extension
 * send them, the read parameters, and the shapes of the answers (WakaTime's field names).
 * Answers are open objects: the documented fields are typed, and nothing a client might read is
 * dropped on the way out.
 */
import { type Static, type TSchema, Type } from '#typebox'
import { Nullable } from '../../schemas/common.ts'
import { RANGE_NAMES } from '../../../domain/wakatime/ranges.ts'

const Text = (maxLength: number, description?: string) =>
  Type.Optional(Nullable(Type.String({ maxLength, ...(description ? { description } : {}) })))
const Count = Type.Optional(Nullable(Type.Integer({ minimum: 0 })))

/** One heartbeat, as the CLI's struct tags name its fields. Unknown fields are kept as extras. */
export const HeartbeatItem = Type.Object(
  {
    entity: Type.String({
      minLength: 1,
      maxLength: 4096,
      description: 'A file path, an app, a domain or a URL.',
    }),
    type: Text(64, 'file (default), app, domain, url or event.'),
    category: Text(256, 'coding (default; browsing for domains and URLs), debugging, …'),
    time: Type.Union([Type.Number(), Type.String({ pattern: '^\\s*-?\\d+(\\.\\d+)?\\s*$' })], {
      description: 'a number of seconds since 1970, or that number as a string',
    }),
    project: Text(1024, '<<LAST_PROJECT>> takes the project of the heartbeat before.'),
    branch: Text(1024, '<<LAST_BRANCH>> takes the branch of the heartbeat before.'),
    language: Text(256, '<<LAST_LANGUAGE>> takes the language of the heartbeat before.'),
    is_write: Type.Optional(Nullable(Type.Boolean())),
    lines: Count,
    lineno: Count,
    cursorpos: Count,
    line_additions: Count,
    line_deletions: Count,
    project_root_count: Count,
    dependencies: Type.Optional(
      Nullable(Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 1000 })),
    ),
    user_agent: Text(1024, 'Overrides the User-Agent header for this heartbeat.'),
    machine: Text(256, 'Overrides the X-Machine-Name header for this heartbeat.'),
  },
  { additionalProperties: true, title: 'WakaTimeHeartbeat' },
)
export type HeartbeatItem = Static<typeof HeartbeatItem>

/** Most heartbeats one request may carry (the CLI sends 10 to 25). */
export const MAX_HEARTBEATS = 1000

export const HeartbeatBody = Type.Union(
  [Type.Array(HeartbeatItem, { maxItems: MAX_HEARTBEATS }), HeartbeatItem],
  { description: 'heartbeats as an array, or one heartbeat' },
)

export const UserParams = Type.Object({
  user: Type.String({ description: '`current` (the only user of a personal daemon).' }),
})

const Zone = Type.Optional(
  Type.String({
    maxLength: 64,
    description: 'IANA zone (default: the Timezone header, else the setting, else the daemon).',
  }),
)

/** Names as WakaTime clients send them: a list, or commas in one value. */
const NameList = Type.Optional(
  Type.Union([Type.String({ maxLength: 4096 }), Type.Array(Type.String({ maxLength: 4096 }))]),
)

export const SummariesQuery = Type.Object({
  start: Type.Optional(Type.String({ maxLength: 64, description: 'First date, YYYY-MM-DD.' })),
  end: Type.Optional(Type.String({ maxLength: 64, description: 'Last date (inclusive).' })),
  range: Type.Optional(
    Type.String({ maxLength: 64, description: `Instead of start/end: ${RANGE_NAMES.join(', ')}` }),
  ),
  timezone: Zone,
  project: Type.Optional(Type.String({ maxLength: 1024 })),
  branches: NameList,
  api_key: Type.Optional(Type.String()),
})
export type SummariesQuery = Static<typeof SummariesQuery>

export const StatsQuery = Type.Object({
  timezone: Zone,
  project: Type.Optional(Type.String({ maxLength: 1024 })),
  timeout: Type.Optional(
    Type.Integer({ description: 'Accepted and ignored (the setting rules).' }),
  ),
  writes_only: Type.Optional(Type.Boolean({ description: 'Accepted and ignored.' })),
  api_key: Type.Optional(Type.String()),
})

export const RangeParams = Type.Object({
  user: Type.String(),
  range: Type.String({
    description: `${RANGE_NAMES.join(', ')}, a year (2025) or a month (2025-09)`,
  }),
})

export const DateQuery = Type.Object({
  date: Type.String({ maxLength: 64, description: 'The local date, YYYY-MM-DD.' }),
  timezone: Zone,
  project: Type.Optional(Type.String({ maxLength: 1024 })),
  branches: NameList,
  slice_by: Type.Optional(
    Type.Union(
      ['project', 'entity', 'language', 'category', 'editor', 'machine', 'branch'].map((s) =>
        Type.Literal(s),
      ),
      { description: 'project (default), entity, language, category, editor, machine or branch' },
    ),
  ),
  api_key: Type.Optional(Type.String()),
})
export type DateQuery = Static<typeof DateQuery>

export const ProjectsQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 1024, description: 'Names containing this.' })),
  api_key: Type.Optional(Type.String()),
})

export const KeyQuery = Type.Object({ api_key: Type.Optional(Type.String()) })

const Open = <T extends Record<string, TSchema>>(properties: T, title: string) =>
  Type.Object(properties, { additionalProperties: true, title })

/** One line of a breakdown: a project, a language… */
export const Entry = Open(
  {
    name: Type.String(),
    total_seconds: Type.Number(),
    percent: Type.Number(),
    digital: Type.String(),
    decimal: Type.String(),
    text: Type.String(),
    hours: Type.Integer(),
    minutes: Type.Integer(),
    seconds: Type.Integer(),
  },
  'WakaTimeEntry',
)

const GrandTotal = Open(
  {
    total_seconds: Type.Number(),
    digital: Type.String(),
    decimal: Type.String(),
    text: Type.String(),
    hours: Type.Integer(),
    minutes: Type.Integer(),
  },
  'WakaTimeGrandTotal',
)

const SummaryData = Open(
  {
    grand_total: GrandTotal,
    categories: Type.Array(Entry),
    projects: Type.Array(Entry),
    languages: Type.Array(Entry),
    editors: Type.Array(Entry),
    operating_systems: Type.Array(Entry),
    machines: Type.Array(Entry),
    dependencies: Type.Array(Entry),
    branches: Type.Optional(Type.Array(Entry)),
    entities: Type.Optional(Type.Array(Entry)),
    range: Open(
      {
        date: Type.Optional(Type.String()),
        start: Type.String(),
        end: Type.String(),
        text: Type.String(),
        timezone: Type.String(),
      },
      'WakaTimeRange',
    ),
  },
  'WakaTimeSummary',
)

export const StatusBarResponse = Open(
  {
    cached_at: Type.String(),
    data: SummaryData,
    has_team_features: Type.Boolean(),
  },
  'WakaTimeStatusBar',
)

export const SummariesResponse = Open(
  {
    data: Type.Array(SummaryData),
    start: Type.String(),
    end: Type.String(),
    cumulative_total: Open(
      {
        seconds: Type.Number(),
        text: Type.String(),
        decimal: Type.String(),
        digital: Type.String(),
      },
      'WakaTimeCumulativeTotal',
    ),
    daily_average: Open(
      {
        seconds: Type.Number(),
        text: Type.String(),
        days_including_holidays: Type.Integer(),
        days_minus_holidays: Type.Integer(),
      },
      'WakaTimeDailyAverage',
    ),
  },
  'WakaTimeSummaries',
)

export const StatsResponse = Open(
  {
    data: Open(
      {
        total_seconds: Type.Number(),
        daily_average: Type.Number(),
        range: Type.String(),
        human_readable_total: Type.String(),
        start: Type.String(),
        end: Type.String(),
        timezone: Type.String(),
        status: Type.String(),
        editors: Type.Array(Entry),
        languages: Type.Array(Entry),
        projects: Type.Array(Entry),
      },
      'WakaTimeStatsData',
    ),
  },
  'WakaTimeStats',
)

export const AnyData = Open({ data: Type.Unknown() }, 'WakaTimeData')

/** The bulk answer: one `[{"data": heartbeat|null, "error"?: text}, status]` per heartbeat. */
export const BulkResponse = Open(
  {
    responses: Type.Array(
      Type.Tuple([Type.Object({}, { additionalProperties: true }), Type.Integer()]),
    ),
  },
  'WakaTimeBulkResult',
)
