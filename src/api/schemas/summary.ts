/**
 * Wire shapes of the read side: summaries, buckets, insights and settings.
 */
import { type Static, Type } from '#typebox'
import { INSIGHT_TYPES } from '../../domain/insights.ts'
import { BACKUP_BOUNDS } from '../../domain/settings.ts'
import {
  BucketQuery,
  BucketUnit,
  FilterParams,
  GroupBy,
  Nullable,
  PresetParam,
  TimeZoneParam,
} from './common.ts'

const IncludeAfk = Type.Optional(
  Type.Boolean({ description: 'Count time inside AFK periods as active too (default false).' }),
)

/** Skopio's `SummaryQueryInput` (an optional range and filters), or a preset instead. */
export const SummaryQuery = Type.Object({
  start: Type.Optional(Type.String({ description: 'RFC 3339; unbounded when absent.' })),
  end: Type.Optional(Type.String({ description: 'RFC 3339; unbounded when absent.' })),
  preset: Type.Optional(PresetParam),
  ...FilterParams,
  tz: Type.Optional(TimeZoneParam),
  includeAfk: IncludeAfk,
})
export type SummaryQuery = Static<typeof SummaryQuery>

export const BucketsQuery = Type.Object({
  ...BucketQuery.properties,
  groupBy: Type.Optional(
    Type.Union([...GroupBy.anyOf, Type.Literal('label')], {
      description: 'Dimension to group by, or label: the active time inside each label, by text.',
    }),
  ),
  bucket: Type.Optional(BucketUnit),
  includeAfk: IncludeAfk,
})
export type BucketsQuery = Static<typeof BucketsQuery>

export const BucketRow = Type.Object({
  bucket: Type.String({
    description: 'Bucket label: 2025-03-03 09:00:00, 2025-03-03, 2025-W09, 2025-03, 2025.',
  }),
  groupedValues: Type.Record(Type.String(), Type.Integer(), {
    description: 'One key: the group (`Total` when ungrouped), seconds of active time.',
  }),
  groupMeta: Nullable(Type.String({ description: 'The entity type when grouping by entity.' })),
})

export const InsightsQuery = Type.Object({
  insightType: Type.Union(INSIGHT_TYPES.map((t) => Type.Literal(t))),
  insightRange: Type.Optional(
    Type.String({ maxLength: 10, description: 'YYYY, YYYY-MM, YYYY-Www or YYYY-MM-DD.' }),
  ),
  groupBy: Type.Optional(GroupBy),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  bucket: Type.Optional(BucketUnit),
  ...FilterParams,
  tz: Type.Optional(TimeZoneParam),
  includeAfk: IncludeAfk,
})
export type InsightsQuery = Static<typeof InsightsQuery>

const DayRun = Type.Object({
  days: Type.Integer(),
  start: Nullable(Type.String()),
  end: Nullable(Type.String()),
})

export const InsightResponse = Type.Union([
  Type.Object({ activeYears: Type.Array(Type.Integer()) }),
  Type.Object({ topN: Type.Array(Type.Tuple([Type.String(), Type.Integer()])) }),
  Type.Object({
    mostActiveDay: Type.Object({ date: Type.String(), total_duration: Type.Integer() }),
  }),
  Type.Object({
    aggregatedAverage: Type.Record(
      Type.String(),
      Type.Array(Type.Tuple([Type.String(), Type.Number()])),
    ),
  }),
  Type.Object({ streak: Type.Object({ longest: DayRun, current: DayRun }) }),
  Type.Object({
    hourOfDay: Type.Array(Type.Object({ hour: Type.Integer(), averageSeconds: Type.Number() })),
  }),
  Type.Object({
    dailyAverage: Type.Object({
      totalSeconds: Type.Integer(),
      days: Type.Integer(),
      activeDays: Type.Integer(),
      averageSeconds: Type.Number(),
      activeDayAverageSeconds: Type.Number(),
    }),
  }),
])

export const SettingsBody = Type.Object(
  {
    timezone: Nullable(
      Type.String({ maxLength: 64, description: 'IANA zone; null = the daemon process zone.' }),
    ),
    startOfDay: Type.String({ description: 'Local time HH:MM at which a day begins.' }),
    sourcePriority: Type.Record(
      Type.String({ minLength: 1, maxLength: 256 }),
      Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 }),
      {
        maxProperties: 1000,
        description:
          'Source name → priority; higher wins overlaps; `prefix-*` = sources starting with `prefix-`; `*` = others.',
      },
    ),
    inputRetentionDays: Type.Integer({
      minimum: 0,
      maximum: 36_500,
      description: 'Days of input-activity counts to keep; 0 keeps them forever.',
    }),
    sessionGapMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      description: 'Gaps in activity shorter than this do not end a session (history).',
    }),
    categoryRules: Type.Array(
      Type.Object(
        {
          match: Type.Union([Type.Literal('app'), Type.Literal('title'), Type.Literal('url')]),
          pattern: Type.String({ minLength: 1, maxLength: 1000 }),
          category: Type.String({ minLength: 1, maxLength: 256 }),
        },
        { additionalProperties: false },
      ),
      {
        maxItems: 500,
        description:
          'Ordered rules, first match wins: a case-insensitive regular expression on the app, a ' +
          'window title or a URL (without scheme) → the category. Applied to events whose own ' +
          'category is Other or Browsing; a change recounts history.',
      },
    ),
    heartbeatTimeoutSec: Type.Integer({
      minimum: 60,
      maximum: 3600,
      description:
        'A WakaTime heartbeat covers the time until the next one of its editor when the gap is shorter than this (default 900); a change re-derives the stored heartbeats.',
    }),
    backups: Type.Object(
      {
        enabled: Type.Boolean(),
        everyHours: Type.Integer({
          minimum: BACKUP_BOUNDS.everyHours.min,
          maximum: BACKUP_BOUNDS.everyHours.max,
          description: 'Hours between backups (slots from the epoch, UTC).',
        }),
        keep: Type.Integer({
          minimum: BACKUP_BOUNDS.keep.min,
          maximum: BACKUP_BOUNDS.keep.max,
          description: 'Scheduled backups kept; older scheduled ones are deleted.',
        }),
        dir: Nullable(
          Type.String({
            minLength: 1,
            maxLength: BACKUP_BOUNDS.dirLength,
            description: 'An absolute path; null: `backups/` beside the database.',
          }),
        ),
      },
      {
        additionalProperties: false,
        description:
          'Scheduled backups (off by default; given whole). Refused (409 `backup_use_pg_dump`) ' +
          "on a PostgreSQL store. This daemon's own: not synced.",
      },
    ),
  },
  { additionalProperties: false },
)

export const SettingsPatch = Type.Partial(SettingsBody, { additionalProperties: false })
