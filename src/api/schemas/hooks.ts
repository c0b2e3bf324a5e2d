/**
 * Wire shapes of the hooks routes (the skill-daemon's §4.11 routes, with Daybook's rules): every
 * string, list and object bounded, no unknown keys anywhere. What a schema cannot say (which
 * fields a kind takes) is `src/domain/hooks/rules.ts`'s to check.
 */
import { type Static, Type } from '#typebox'
import { formatTimestamp } from '../../domain/calendar.ts'
import type { DndConfig } from '../../domain/hooks/dnd.ts'
import type { HookActionResult, HookLogEntry } from '../../domain/hooks/log.ts'
import { ACTION_KINDS, HOOK_LIMITS, MATCH_FIELDS, WHEN_KINDS } from '../../domain/hooks/rules.ts'
import type { HookStatus } from '../../services/hooks.ts'
import { LiteralUnion, Nullable } from './common.ts'

const MatchValue = Type.Union(
  [Type.String({ maxLength: 500 }), Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 })],
  {
    description:
      'a regular expression (case-insensitive; a string of at most 500 characters) or a list of at most 50 keywords of which one must occur (any case)',
  },
)

export const HookMatch = Type.Object(
  Object.fromEntries(MATCH_FIELDS.map((f) => [f, Type.Optional(MatchValue)])),
  {
    additionalProperties: false,
    description:
      'Conditions that must all hold. app, title (a window title), url (without its scheme), project, category (as the category rules give it), language, device and source test activity; source and device a collector (silent_collector); text a label (label).',
  },
)

const Kind = LiteralUnion

const minutes = HOOK_LIMITS.minutes

export const HookWhen = Type.Object(
  {
    kind: Kind(WHEN_KINDS, `one of ${WHEN_KINDS.join(', ')}`),
    match: Type.Optional(HookMatch),
    minutes: Type.Optional(
      Type.Integer({
        minimum: minutes.min,
        maximum: minutes.max,
        description: 'The threshold N in minutes (every kind but label).',
      }),
    ),
    breakMinutes: Type.Optional(
      Type.Integer({
        minimum: HOOK_LIMITS.breakMinutes.min,
        maximum: HOOK_LIMITS.breakMinutes.max,
        description: 'no_break only: the shortest gap in activity that is a break (M).',
      }),
    ),
  },
  { additionalProperties: false },
)

export const HookAction = Type.Object(
  {
    kind: Kind(ACTION_KINDS, `one of ${ACTION_KINDS.join(', ')}`),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'notify' })),
    message: Type.Optional(Type.String({ maxLength: 1000, description: 'notify' })),
    dnd: Type.Optional(
      Type.Union([Type.Literal('wait'), Type.Literal('drop')], {
        description: 'notify: while do-not-disturb is on, wait (the default) or drop',
      }),
    ),
    url: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2048, description: 'webhook: an http or https URL' }),
    ),
    secret: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'webhook: signs the body (X-Daybook-Signature: sha256=<hex HMAC-SHA256>)',
      }),
    ),
    argv: Type.Optional(
      Type.Array(Type.String({ maxLength: 4096 }), {
        maxItems: 64,
        description: 'command: the program and its arguments (no shell)',
      }),
    ),
    text: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description: 'label: its text (the rule name)',
      }),
    ),
    context: Type.Optional(Type.String({ maxLength: 10_000, description: 'label' })),
  },
  {
    additionalProperties: false,
    description:
      'notify {title?, message?, dnd?} | webhook {url, secret?} | command {argv} | label {text?, context?} | stream',
  },
)

export const HookRuleBody = Type.Object(
  {
    id: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
      description: 'Letters, digits, _ . - (at most 64).',
    }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    enabled: Type.Optional(Type.Boolean({ description: 'Default true.' })),
    when: HookWhen,
    then: Type.Array(HookAction, { maxItems: HOOK_LIMITS.actions }),
    cooldownMinutes: Type.Optional(
      Type.Integer({
        minimum: HOOK_LIMITS.cooldownMinutes.min,
        maximum: HOOK_LIMITS.cooldownMinutes.max,
        description: 'No firing within this many minutes of the last (default 0).',
      }),
    ),
  },
  { additionalProperties: false },
)

/** `POST /v1/hooks`: every rule; they replace the stored ones. */
export const HookRulesBody = Type.Array(HookRuleBody, { maxItems: HOOK_LIMITS.rules })

export const HookRuleWire = Type.Object({
  id: Type.String(),
  name: Type.String(),
  enabled: Type.Boolean(),
  when: HookWhen,
  then: Type.Array(HookAction),
  cooldownMinutes: Type.Integer(),
})

export const HookProgress = Type.Object({
  value: Type.Integer({ description: 'Minutes so far.' }),
  threshold: Type.Integer(),
  met: Type.Boolean({ description: 'The condition holds now.' }),
  text: Type.String({ description: 'e.g. "38 of 50 minutes without a break".' }),
})

export const HookStatusWire = Type.Object({
  id: Type.String(),
  enabled: Type.Boolean(),
  lastFired: Nullable(Type.String({ description: 'RFC 3339.' })),
  nextEvaluation: Nullable(Type.String({ description: 'RFC 3339; null when disabled.' })),
  progress: Nullable(HookProgress),
  lastError: Nullable(Type.String()),
  waiting: Type.Integer({ description: 'Notifications held by do-not-disturb.' }),
})

export function statusToWire(s: HookStatus): Static<typeof HookStatusWire> {
  return {
    id: s.id,
    enabled: s.enabled,
    lastFired: s.lastFiredMs === null ? null : formatTimestamp(s.lastFiredMs),
    nextEvaluation: s.nextEvaluationMs === null ? null : formatTimestamp(s.nextEvaluationMs),
    progress: s.progress,
    lastError: s.lastError,
    waiting: s.waiting,
  }
}

export const HookActionResultWire = Type.Object({
  kind: Type.String(),
  ok: Type.Union([Type.Boolean(), Type.Null()], {
    description: 'null while it runs, or waits for do-not-disturb to end',
  }),
  status: Type.Union([Type.Integer(), Type.String(), Type.Null()], {
    description:
      'HTTP status (webhook), exit status (command, notify), or running, waiting, dropped, timeout, interrupted',
  }),
  error: Nullable(Type.String()),
  durationMs: Type.Integer(),
  attempts: Type.Optional(Type.Integer()),
  output: Type.Optional(Type.String({ description: 'What a command printed (cut at 4096).' })),
})

export const HookLogEntryWire = Type.Object({
  id: Type.Integer(),
  hookId: Type.String(),
  firedAt: Type.String({ description: 'RFC 3339.' }),
  payload: Type.Unknown({ description: 'What the actions were given.' }),
  actions: Type.Array(HookActionResultWire),
})

function resultToWire(r: HookActionResult): Static<typeof HookActionResultWire> {
  return r
}

export function logEntryToWire(e: HookLogEntry): Static<typeof HookLogEntryWire> {
  return {
    id: e.id,
    hookId: e.hookId,
    firedAt: formatTimestamp(e.firedMs),
    payload: e.payload,
    actions: e.actions.map(resultToWire),
  }
}

export const HookLogQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
    hookId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
)

const Rfc3339 = (description: string) => Type.String({ format: 'date-time', description })

export const SuggestRange = {
  start: Rfc3339('RFC 3339.'),
  end: Rfc3339('RFC 3339; at most 31 days after the start.'),
}

export const SuggestKeywordsBody = Type.Object(
  {
    ...SuggestRange,
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 40 }),
  },
  { additionalProperties: false },
)

export const KeywordWire = Type.Object({
  word: Type.String(),
  seconds: Type.Integer({ description: 'Active seconds of what the word occurs in.' }),
  count: Type.Integer({ description: 'Stretches and labels it occurs in.' }),
  sources: Type.Array(Type.String({ description: 'title, url, entity or label' })),
})

export const SuggestDistancesBody = Type.Object(
  { ...SuggestRange, match: Type.Optional(HookMatch) },
  { additionalProperties: false },
)

const Percentiles = Nullable(
  Type.Object({
    p25: Type.Integer(),
    p50: Type.Integer(),
    p75: Type.Integer(),
    p90: Type.Integer(),
    max: Type.Integer(),
  }),
)

export const DistancesWire = Type.Object({
  days: Type.Integer({ description: 'Days with any activity: what the percentiles are over.' }),
  dailyMinutes: Percentiles,
  longestStretchMinutes: Percentiles,
  suggested: Nullable(
    Type.Object({
      budget: Type.Integer({ description: 'For a budget rule: minutes a usual day stays under.' }),
      activity: Type.Integer({ description: 'For an activity rule.' }),
    }),
  ),
})

const QuietHours = Type.Object(
  {
    start: Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'Local time HH:MM.' }),
    end: Type.String({
      pattern: '^\\d{2}:\\d{2}$',
      description: 'HH:MM; before the start: the next day.',
    }),
    days: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
        minItems: 1,
        maxItems: 7,
        uniqueItems: true,
        description: 'ISO weekdays (Monday = 1) the period begins on; default every day.',
      }),
    ),
  },
  { additionalProperties: false },
)

export const DndBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'Manual do-not-disturb.' })),
    until: Type.Optional(
      Nullable(Rfc3339('When manual do-not-disturb ends; null: when turned off.')),
    ),
    quietHours: Type.Optional(Type.Array(QuietHours, { maxItems: 20 })),
  },
  { additionalProperties: false, description: 'The keys given are replaced, the others kept.' },
)

export const DndWire = Type.Object({
  enabled: Type.Boolean(),
  until: Nullable(Type.String()),
  quietHours: Type.Array(
    Type.Object({ start: Type.String(), end: Type.String(), days: Type.Array(Type.Integer()) }),
  ),
  active: Type.Boolean({ description: 'Do-not-disturb is on now.' }),
  reason: Nullable(Type.String({ description: 'manual or quiet_hours' })),
})

export function dndToWire(d: {
  config: DndConfig
  active: 'manual' | 'quiet_hours' | null
}): Static<typeof DndWire> {
  return {
    enabled: d.config.enabled,
    until: d.config.untilMs === null ? null : formatTimestamp(d.config.untilMs),
    quietHours: d.config.quietHours,
    active: d.active !== null,
    reason: d.active,
  }
}
