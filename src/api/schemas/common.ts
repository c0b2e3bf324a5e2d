/**
 * Schemas shared across routes: errors, timestamps, presets, filters. TypeBox schemas are the one
 * source of request validation, TypeScript types and the OpenAPI document.
 */
import { type Static, type TSchema, Type } from '#typebox'
import { BUCKET_UNITS } from '../../domain/calendar.ts'
import {
  DIMENSIONS,
  FILTER_PARAMS,
  type EventFilters,
  type FilterParam,
} from '../../domain/events.ts'
import {
  type CountPresetName,
  type Preset,
  UNIT_PRESETS,
  resolvePreset,
} from '../../domain/presets.ts'
import { type Calendar, type TimeRange, parseTimestamp } from '../../domain/calendar.ts'
import { BadRequestError } from '../../domain/errors.ts'
import { checkRangeOrder } from '../../domain/time.ts'
import type { OpenRange } from '../../store/ports.ts'

/** The last second of year 9999: the latest instant a timestamp may name. */
const MAX_UNIX_SECONDS = 253_402_300_799

/** Unix seconds, as the daemon API's analysis, search and label routes carry times. */
export const UnixSeconds = (description?: string, minimum = 0) =>
  Type.Number({
    minimum,
    maximum: MAX_UNIX_SECONDS,
    ...(description === undefined ? {} : { description }),
  })

/** The field names of a body range in unix seconds, for `checkRangeOrder`. */
export const BODY_UTC = { start: 'body/startUtc', end: 'body/endUtc' }

/** Every error the API returns. */
export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'Stable machine-readable code, e.g. `invalid_body`.' }),
    message: Type.String({ description: 'What went wrong, naming the offending field.' }),
    field: Type.Optional(Type.String({ description: 'Path of the offending input field.' })),
  },
  { $id: 'Error', title: 'Error' },
)

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const Timestamp = Type.String({
  format: 'date-time',
  description: 'RFC 3339 timestamp with an offset, e.g. `2025-09-11T12:34:56Z`.',
})

export const Uuid = Type.String({ format: 'uuid' })

/** A union of the literals of a constant list, typed as that union (not `never`). */
export const LiteralUnion = <const T extends readonly string[]>(kinds: T, description?: string) =>
  Type.Unsafe<T[number]>(
    Type.Union(
      kinds.map((k) => Type.Literal(k)),
      description === undefined ? {} : { description },
    ),
  )

export const BucketUnit = Type.Union(BUCKET_UNITS.map((b) => Type.Literal(b)))

export const GroupBy = Type.Union(
  DIMENSIONS.map((d) => Type.Literal(d)),
  { description: 'Dimension to group by.' },
)

export const TimeZoneParam = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'IANA time zone for local-calendar math (default: the `timezone` setting).',
})

const PresetCount = Type.Union([
  Type.Integer(),
  Type.Tuple([Type.Integer()]),
  Type.Tuple([Type.Integer(), Type.Boolean()]),
])

/** Skopio's `preset`, in the bracket forms its clients send. */
export const PresetParam = Type.Union(
  [
    Type.Union(UNIT_PRESETS.map((p) => Type.Literal(p))),
    Type.Object({ lastNMinutes: Type.Integer() }, { additionalProperties: false }),
    Type.Object({ lastNDays: PresetCount }, { additionalProperties: false }),
    Type.Object({ lastNWeeks: PresetCount }, { additionalProperties: false }),
    Type.Object({ lastNMonths: PresetCount }, { additionalProperties: false }),
    Type.Object({ lastNYears: PresetCount }, { additionalProperties: false }),
    Type.Object(
      {
        custom: Type.Object({
          start: Type.String(),
          end: Type.String(),
          bucket: Type.Optional(BucketUnit),
        }),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      'one of today, yesterday, thisWeek, lastWeek, thisMonth, lastMonth; preset[lastNMinutes]=N; ' +
      'preset[lastNDays][0]=N with optional preset[lastNDays][1]=true|false to include the current ' +
      'day (also lastNWeeks, lastNMonths, lastNYears); or preset[custom][start]=…&' +
      'preset[custom][end]=…&preset[custom][bucket]=hour|day|week|month|year',
  },
)
export type PresetParam = Static<typeof PresetParam>

const NameList = Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 1000 })

/** `apps`, `projects`, … as arrays in any bracket form (`apps[0]=`, `apps[]=`, repeated keys). */
export const FilterParams = Object.fromEntries(
  Object.keys(FILTER_PARAMS).map((k) => [k, Type.Optional(NameList)]),
) as Record<FilterParam, Type.TOptional<typeof NameList>>

/** Skopio's `BucketSummaryInput`: a preset, filters, an optional grouping, and a zone. */
export const BucketQuery = Type.Object({
  preset: PresetParam,
  ...FilterParams,
  groupBy: Type.Optional(GroupBy),
  tz: Type.Optional(TimeZoneParam),
})
export type BucketQuery = Static<typeof BucketQuery>

/** Domain filters from query params. */
export function filtersFromQuery(q: Partial<Record<FilterParam, string[]>>): EventFilters {
  const out: EventFilters = {}
  for (const [param, dim] of Object.entries(FILTER_PARAMS) as [FilterParam, keyof EventFilters][]) {
    const names = q[param]
    if (names && names.length > 0) out[dim] = names
  }
  return out
}

/** The domain preset a validated `preset` parameter denotes. */
export function presetFromQuery(p: PresetParam): Preset {
  if (typeof p === 'string') return { type: p }
  if ('lastNMinutes' in p) return { type: 'lastNMinutes', n: p.lastNMinutes }
  if ('custom' in p) {
    return {
      type: 'custom',
      startMs: parseTimestamp(p.custom.start, 'preset[custom][start]'),
      endMs: parseTimestamp(p.custom.end, 'preset[custom][end]'),
      bucket: p.custom.bucket ?? 'day',
    }
  }
  const [type, value] = Object.entries(p)[0] as [
    CountPresetName,
    number | [number] | [number, boolean],
  ]
  const [n, includeCurrent = true] = Array.isArray(value) ? value : [value]
  return { type, n, includeCurrent }
}

/**
 * The range a query names: `preset`, or `start`/`end` (each optional unless `bounded`). Both at
 * once is a 400; an end before the start is a 422.
 */
export function rangeFromQuery(
  q: { preset?: PresetParam | undefined; start?: string | undefined; end?: string | undefined },
  nowMs: number,
  calendar: Calendar,
  bounded: true,
): TimeRange
export function rangeFromQuery(
  q: { preset?: PresetParam | undefined; start?: string | undefined; end?: string | undefined },
  nowMs: number,
  calendar: Calendar,
  bounded?: false,
): OpenRange
export function rangeFromQuery(
  q: { preset?: PresetParam | undefined; start?: string | undefined; end?: string | undefined },
  nowMs: number,
  calendar: Calendar,
  bounded = false,
): OpenRange {
  if (q.preset !== undefined) {
    if (q.start !== undefined || q.end !== undefined) {
      throw new BadRequestError(
        'conflicting_range',
        'give either preset or start/end, not both',
        q.start !== undefined ? 'start' : 'end',
      )
    }
    return resolvePreset(presetFromQuery(q.preset), nowMs, calendar)
  }
  if (bounded && (q.start === undefined || q.end === undefined)) {
    throw new BadRequestError(
      'missing_range',
      'give a preset, or both start and end',
      q.start === undefined ? 'start' : 'end',
    )
  }
  const range = {
    startMs: q.start === undefined ? undefined : parseTimestamp(q.start, 'start'),
    endMs: q.end === undefined ? undefined : parseTimestamp(q.end, 'end'),
  }
  checkRangeOrder(range.startMs, range.endMs)
  return range
}
