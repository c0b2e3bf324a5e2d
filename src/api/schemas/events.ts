/**
 * Wire shapes of seed 000's event and AFK routes, and their conversion to and from the domain.
 */
import { type Static, Type } from 'typebox'
import { formatTimestamp, parseTimestamp } from '../../domain/calendar.ts'
import { UnprocessableError } from '../../domain/errors.ts'
import type { ActivityEvent, AfkPeriod, NewActivityEvent } from '../../domain/events.ts'
import { Nullable, Timestamp, Uuid } from './common.ts'

/** Largest batch `POST /events` and `POST /afk` accept. */
export const MAX_BATCH_ITEMS = 10_000
/** Largest request body of a batch route. */
export const MAX_BATCH_BYTES = 5 * 1024 * 1024
/** Longest single event: anything longer is a stuck watcher, not a human activity. */
export const MAX_EVENT_MS = 7 * 24 * 3_600_000

const Name = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) })
const OptionalText = (maxLength: number, description: string) =>
  Type.Optional(Nullable(Type.String({ maxLength, description })))

/** The seed's `EventInput` (snake_case). */
export const EventInput = Type.Object(
  {
    timestamp: Type.Optional(Nullable(Timestamp)),
    end_timestamp: Type.Optional(Nullable(Timestamp)),
    duration: Type.Optional(
      Nullable(Type.Integer({ minimum: 0, description: 'Seconds; informational.' })),
    ),
    category: Name(256, 'e.g. Coding, Browsing'),
    app_name: Name(1024),
    entity_name: Name(4096, 'File, window title or URL path.'),
    entity_type: OptionalText(64, 'File, App or Url; null when unknown.'),
    project_name: Name(1024),
    project_path: OptionalText(4096, 'Project root path or URL.'),
    branch_name: OptionalText(1024, 'VCS branch.'),
    language_name: OptionalText(256, 'Programming language.'),
    source_name: Name(256, 'The sending watcher or plugin, e.g. skopio-vscode.'),
  },
  { title: 'EventInput' },
)
export type EventInput = Static<typeof EventInput>

export const EventBatch = Type.Array(EventInput, { maxItems: MAX_BATCH_ITEMS })

export const IngestResult = Type.Object({
  inserted: Type.Integer({ description: 'New items stored.' }),
  duplicates: Type.Integer({ description: 'Items already stored (re-sends); nothing changed.' }),
})

/** The seed's `FullEvent` (camelCase), as `GET /events` and `GET /afk` return it. */
export const FullEvent = Type.Object(
  {
    id: Uuid,
    timestamp: Type.String(),
    endTimestamp: Nullable(Type.String()),
    duration: Nullable(Type.Integer()),
    category: Type.String(),
    app: Nullable(Type.String()),
    entity: Nullable(Type.String()),
    entityType: Nullable(Type.String()),
    project: Nullable(Type.String()),
    branch: Nullable(Type.String()),
    language: Nullable(Type.String()),
    source: Type.String(),
  },
  { $id: 'FullEvent', title: 'FullEvent' },
)
export type FullEvent = Static<typeof FullEvent>

export const EventsResponse = Type.Union([
  Type.Object({ Flat: Type.Array(Type.Ref('FullEvent')) }),
  Type.Object({
    Grouped: Type.Array(
      Type.Object({ group: Type.String(), events: Type.Array(Type.Ref('FullEvent')) }),
    ),
  }),
])

/** The seed's AFK input. */
export const AfkInput = Type.Object(
  {
    afk_start: Timestamp,
    afk_end: Type.Optional(Nullable(Timestamp)),
    duration: Type.Optional(Nullable(Type.Integer({ minimum: 0, description: 'Seconds.' }))),
  },
  { title: 'AfkInput' },
)
export type AfkInput = Static<typeof AfkInput>

export const AfkBatch = Type.Array(AfkInput, { maxItems: MAX_BATCH_ITEMS })

export const AfkIngestResult = Type.Object({
  inserted: Type.Integer(),
  duplicates: Type.Integer(),
  updated: Type.Integer({ description: 'Known open periods this batch closed or extended.' }),
})

/**
 * A validated wire event as a domain event. Missing times are derived where they can be: the
 * start from end − duration, the end from start + duration (else a zero-length event).
 */
export function toNewEvent(input: EventInput, index: number): NewActivityEvent {
  const field = (name: string) => `body/${index}/${name}`
  const durationMs = input.duration == null ? undefined : input.duration * 1000
  const explicitStart =
    input.timestamp == null ? undefined : parseTimestamp(input.timestamp, field('timestamp'))
  const explicitEnd =
    input.end_timestamp == null
      ? undefined
      : parseTimestamp(input.end_timestamp, field('end_timestamp'))
  const startMs =
    explicitStart ??
    (explicitEnd !== undefined && durationMs !== undefined ? explicitEnd - durationMs : undefined)
  if (startMs === undefined) {
    throw new UnprocessableError(
      'invalid_event',
      `${field('timestamp')} is required (or end_timestamp together with duration)`,
      field('timestamp'),
    )
  }
  const endMs = explicitEnd ?? startMs + (durationMs ?? 0)
  if (endMs < startMs) {
    throw new UnprocessableError(
      'invalid_range',
      `${field('end_timestamp')} is before ${field('timestamp')}`,
      field('end_timestamp'),
    )
  }
  if (endMs - startMs > MAX_EVENT_MS) {
    throw new UnprocessableError(
      'event_too_long',
      `${field('end_timestamp')}: an event may last at most 7 days`,
      field('end_timestamp'),
    )
  }
  return {
    startMs,
    endMs,
    durationSec: input.duration ?? Math.round((endMs - startMs) / 1000),
    category: input.category,
    app: input.app_name,
    entity: input.entity_name,
    entityType: emptyToNull(input.entity_type),
    project: input.project_name,
    projectPath: emptyToNull(input.project_path),
    branch: emptyToNull(input.branch_name),
    language: emptyToNull(input.language_name),
    source: input.source_name,
  }
}

/** A validated wire AFK period as a domain period. */
export function toAfkPeriod(input: AfkInput, index: number): Omit<AfkPeriod, 'id'> {
  const field = (name: string) => `body/${index}/${name}`
  const startMs = parseTimestamp(input.afk_start, field('afk_start'))
  const endMs = input.afk_end == null ? null : parseTimestamp(input.afk_end, field('afk_end'))
  if (endMs !== null && endMs < startMs) {
    throw new UnprocessableError(
      'invalid_range',
      `${field('afk_end')} is before ${field('afk_start')}`,
      field('afk_end'),
    )
  }
  const durationSec =
    input.duration ?? (endMs === null ? null : Math.round((endMs - startMs) / 1000))
  return { startMs, endMs, durationSec }
}

/** A domain event in the seed's `FullEvent` shape. */
export function toFullEvent(e: ActivityEvent): FullEvent {
  return {
    id: e.id,
    timestamp: formatTimestamp(e.startMs),
    endTimestamp: formatTimestamp(e.endMs),
    duration: e.durationSec,
    category: e.category,
    app: e.app,
    entity: e.entity,
    entityType: e.entityType,
    project: e.project,
    branch: e.branch,
    language: e.language,
    source: e.source,
  }
}

/** An AFK period in the `FullEvent` shape the seed's `GET /afk` returns. */
export function afkToFullEvent(p: AfkPeriod): FullEvent {
  return {
    id: p.id,
    timestamp: formatTimestamp(p.startMs),
    endTimestamp: p.endMs === null ? null : formatTimestamp(p.endMs),
    duration: p.durationSec,
    category: 'AFK',
    app: null,
    entity: null,
    entityType: null,
    project: null,
    branch: null,
    language: null,
    source: 'afk',
  }
}

function emptyToNull(v: string | null | undefined): string | null {
  return v === undefined || v === null || v === '' ? null : v
}
