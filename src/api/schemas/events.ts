/**
 * Wire shapes of Skopio's event and AFK routes, and their conversion to and from the domain.
 */
import { type Static, Type } from '#typebox'
import { fastTimestamp, formatTimestamp, parseTimestamp } from '../../domain/calendar.ts'
import { UnprocessableError } from '../../domain/errors.ts'
import {
  type ActivityEvent,
  type AfkPeriod,
  type NewActivityEvent,
  type NewAfkPeriod,
  spanSeconds,
} from '../../domain/events.ts'
import { Nullable, Timestamp, Uuid } from './common.ts'

/** Largest batch `POST /events` and `POST /afk` accept. */
const MAX_BATCH_ITEMS = 10_000
/** Largest request body of a batch route. */
export const MAX_BATCH_BYTES = 5 * 1024 * 1024

const Name = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) })
const OptionalText = (maxLength: number, description: string) =>
  Type.Optional(Nullable(Type.String({ maxLength, description })))

/** A device by name; absent: the daemon's own. A new name creates the device. */
const DeviceName = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 256,
    description: "The device the activity happened on, by name (default: the daemon's own).",
  }),
)

/**
 * The largest duration a client may state (ten years, in seconds): stored as given, a larger one
 * (2^53) could not be read back as a number (the fuzzer found the 500).
 */
export const MAX_DURATION_SEC = 315_360_000

/** Skopio's `EventInput` (snake_case), plus an optional `device`. */
export const EventInput = Type.Object(
  {
    timestamp: Type.Optional(Nullable(Timestamp)),
    end_timestamp: Type.Optional(Nullable(Timestamp)),
    duration: Type.Optional(
      Nullable(
        Type.Integer({
          minimum: 0,
          maximum: MAX_DURATION_SEC,
          description: 'whole seconds from 0 to 315360000 (ten years); informational',
        }),
      ),
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
    device: DeviceName,
  },
  { title: 'EventInput' },
)
export type EventInput = Static<typeof EventInput>

export const EventBatch = Type.Array(EventInput, { maxItems: MAX_BATCH_ITEMS })

export const IngestResult = Type.Object({
  inserted: Type.Integer({ description: 'New items stored.' }),
  duplicates: Type.Integer({
    description: 'Items already stored with an equal or later end (re-sends); nothing changed.',
  }),
  updated: Type.Integer({ description: 'Stored items this batch extended (a later end).' }),
})

/** Skopio's `FullEvent` (camelCase), as `GET /events` and `GET /afk` return it. */
export const FullEvent = Type.Object(
  {
    id: Uuid,
    timestamp: Type.String(),
    endTimestamp: Nullable(Type.String()),
    duration: Nullable(Type.Integer()),
    category: Type.String({
      description:
        'The category the event counts under: its own, or for Other and Browsing what the ' +
        'category rules give it (as in every summary).',
    }),
    app: Nullable(Type.String()),
    entity: Nullable(Type.String()),
    entityType: Nullable(Type.String()),
    project: Nullable(Type.String()),
    branch: Nullable(Type.String()),
    language: Nullable(Type.String()),
    source: Type.String(),
    device: Type.Optional(Type.String({ description: 'The device, by name.' })),
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

/** Skopio's AFK input. */
const AfkInput = Type.Object(
  {
    afk_start: Timestamp,
    afk_end: Type.Optional(Nullable(Timestamp)),
    duration: Type.Optional(
      Nullable(
        Type.Integer({
          minimum: 0,
          maximum: MAX_DURATION_SEC,
          description: 'whole seconds from 0 to 315360000 (ten years)',
        }),
      ),
    ),
    device: DeviceName,
    source: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description:
          'The watcher reporting it, e.g. daybook-afk: the first report names the period in GET /v1/afk, and every report counts for the sender in the daemon status.',
      }),
    ),
  },
  { title: 'AfkInput' },
)
export type AfkInput = Static<typeof AfkInput>

export const AfkBatch = Type.Array(AfkInput, { maxItems: MAX_BATCH_ITEMS })

export const AfkIngestResult = Type.Object({
  inserted: Type.Integer(),
  duplicates: Type.Integer(),
  updated: Type.Integer({ description: 'Known periods this batch closed or extended.' }),
})

/**
 * A validated wire event as a domain event. Missing times are derived where they can be: the
 * start from end − duration, the end from start + duration (else a zero-length event).
 */
export function toNewEvent(input: EventInput, index: number): NewActivityEvent {
  const field = (name: string) => `body/${index}/${name}`
  const durationMs = input.duration == null ? undefined : input.duration * 1000
  // The common form is read directly; only anything else pays for naming the field up front.
  const explicitStart =
    input.timestamp == null
      ? undefined
      : (fastTimestamp(input.timestamp) ?? parseTimestamp(input.timestamp, field('timestamp')))
  const explicitEnd =
    input.end_timestamp == null
      ? undefined
      : (fastTimestamp(input.end_timestamp) ??
        parseTimestamp(input.end_timestamp, field('end_timestamp')))
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
  return {
    startMs,
    endMs,
    durationSec: input.duration ?? spanSeconds(startMs, endMs),
    category: input.category,
    app: input.app_name,
    entity: input.entity_name,
    entityType: emptyToNull(input.entity_type),
    project: input.project_name,
    projectPath: emptyToNull(input.project_path),
    branch: emptyToNull(input.branch_name),
    language: emptyToNull(input.language_name),
    source: input.source_name,
    device: input.device ?? null,
  }
}

/** A validated wire AFK period as a domain period. */
export function toAfkPeriod(input: AfkInput, index: number): NewAfkPeriod {
  const field = (name: string) => `body/${index}/${name}`
  const startMs = parseTimestamp(input.afk_start, field('afk_start'))
  const endMs = input.afk_end == null ? null : parseTimestamp(input.afk_end, field('afk_end'))
  const durationSec =
    input.duration ?? (endMs === null || endMs < startMs ? null : spanSeconds(startMs, endMs))
  return { startMs, endMs, durationSec, device: input.device ?? null, source: input.source ?? null }
}

/** A domain event in Skopio's `FullEvent` shape. */
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
    device: e.device,
  }
}

/**
 * An AFK period in the `FullEvent` shape Skopio's `GET /afk` returns. An open period shows where it
 * is taken to end when presence was seen after it (its inferred end), else a null end.
 */
export function afkToFullEvent(p: AfkPeriod): FullEvent {
  const end = p.endMs ?? p.inferredEndMs
  return {
    id: p.id,
    timestamp: formatTimestamp(p.startMs),
    endTimestamp: end === null ? null : formatTimestamp(end),
    duration: p.durationSec,
    category: 'AFK',
    app: null,
    entity: null,
    entityType: null,
    project: null,
    branch: null,
    language: null,
    source: p.source,
    device: p.device,
  }
}

function emptyToNull(v: string | null | undefined): string | null {
  return v === undefined || v === null || v === '' ? null : v
}
