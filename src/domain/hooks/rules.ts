/**
 * Hook rules: what to watch for (`when`) and what to do (`then`), checked as a whole before any
 * is stored. The routes' schema checks shapes and bounds; this checks what a schema cannot say
 * (which fields a kind takes, that a pattern compiles, that ids are unique), naming the rule's id
 * and the field.
 */
import { UnprocessableError } from '../errors.ts'

/** What a rule watches for. */
export const WHEN_KINDS = [
  'activity',
  'budget',
  'no_break',
  'back_from_afk',
  'project_switch',
  'silent_collector',
  'label',
] as const
export type WhenKind = (typeof WHEN_KINDS)[number]

/** What a rule does when it fires. */
export const ACTION_KINDS = ['notify', 'webhook', 'command', 'label', 'stream'] as const
export type ActionKind = (typeof ACTION_KINDS)[number]

/** What a `match` may test: an event's names, a collector's source, a label's text. */
export const MATCH_FIELDS = [
  'app',
  'title',
  'url',
  'project',
  'category',
  'language',
  'device',
  'source',
  'text',
] as const
export type MatchField = (typeof MATCH_FIELDS)[number]

/** A regular expression (case-insensitive), or keywords of which one must occur (any case). */
export type MatchValue = string | string[]
export type Match = Partial<Record<MatchField, MatchValue>>

/** The fields of `match` each kind reads: activity's are all but a label's text. */
const ACTIVITY_FIELDS: readonly MatchField[] = MATCH_FIELDS.filter((f) => f !== 'text')
export const MATCH_FIELDS_OF: Readonly<Record<WhenKind, readonly MatchField[]>> = {
  activity: ACTIVITY_FIELDS,
  budget: ACTIVITY_FIELDS,
  no_break: ACTIVITY_FIELDS,
  back_from_afk: ACTIVITY_FIELDS,
  project_switch: ACTIVITY_FIELDS,
  silent_collector: ['source', 'device'],
  label: ['text'],
}

/** Bounds of a rule's numbers, in minutes. */
export const HOOK_LIMITS = {
  /** The thresholds look back at most a day of activity. */
  minutes: { min: 1, max: 1440 },
  breakMinutes: { min: 1, max: 240 },
  /** A week. */
  cooldownMinutes: { min: 0, max: 10_080 },
  rules: 100,
  actions: 10,
} as const

export interface When {
  kind: WhenKind
  match: Match
  /**
   * The threshold N: continuous minutes (`activity`), minutes today (`budget`), minutes without
   * a break (`no_break`), minutes away (`back_from_afk`), minutes without the project's activity
   * that end work on it (`project_switch`), minutes of silence (`silent_collector`). Absent for
   * `label`.
   */
  minutes?: number | undefined
  /** `no_break` only: the shortest gap in activity, in minutes, that counts as a break (M). */
  breakMinutes?: number | undefined
}

/** What `notify` does while do-not-disturb is on: wait until it ends, or drop the notification. */
export type DndPolicy = 'wait' | 'drop'

export type HookAction =
  | {
      kind: 'notify'
      title?: string | undefined
      message?: string | undefined
      dnd?: DndPolicy | undefined
    }
  | { kind: 'webhook'; url: string; secret?: string | undefined }
  | { kind: 'command'; argv: string[] }
  | { kind: 'label'; text?: string | undefined; context?: string | undefined }
  | { kind: 'stream' }

export interface HookRule {
  id: string
  name: string
  enabled: boolean
  when: When
  then: HookAction[]
  cooldownMinutes: number
}

/** A rule as the routes' schema lets it through: the kinds' fields not yet told apart. */
export interface HookRuleInput {
  id: string
  name?: string | undefined
  enabled?: boolean | undefined
  when: {
    kind: WhenKind
    match?: Match | undefined
    minutes?: number | undefined
    breakMinutes?: number | undefined
  }
  then: Record<string, unknown>[]
  cooldownMinutes?: number | undefined
}

/** The fields each action kind takes besides `kind`, and which are required. */
const ACTION_FIELDS: Readonly<Record<ActionKind, { optional: string[]; required: string[] }>> = {
  notify: { optional: ['title', 'message', 'dnd'], required: [] },
  webhook: { optional: ['secret'], required: ['url'] },
  command: { optional: [], required: ['argv'] },
  label: { optional: ['text', 'context'], required: [] },
  stream: { optional: [], required: [] },
}

/**
 * Checks rules as a whole and returns them complete (defaults filled in): the first problem is a
 * 422 naming the rule's id and the field (`body/2/when/breakMinutes`). `field` prefixes the
 * path of each rule (`body` for the request body).
 */
export function checkRules(input: readonly HookRuleInput[], field = 'body'): HookRule[] {
  if (input.length > HOOK_LIMITS.rules) {
    throw new UnprocessableError(
      'too_many_hooks',
      `at most ${HOOK_LIMITS.rules} hook rules, got ${input.length}`,
      field,
    )
  }
  const seen = new Set<string>()
  return input.map((rule, i) => {
    const at = `${field}/${i}`
    const fail = (path: string, message: string): never => {
      throw new UnprocessableError(
        'invalid_hook',
        `hook ${JSON.stringify(rule.id)}: ${path.replaceAll('/', '.')} ${message}`,
        `${at}/${path}`,
      )
    }
    if (seen.has(rule.id)) fail('id', 'is used by an earlier rule; ids must be unique')
    seen.add(rule.id)
    const when = checkWhen(rule.when, fail)
    if (rule.then.length === 0) fail('then', 'must name at least one action')
    return {
      id: rule.id,
      name: rule.name ?? rule.id,
      enabled: rule.enabled ?? true,
      when,
      then: rule.then.map((action, j) =>
        checkAction(action, (path, message) => fail(`then/${j}/${path}`, message)),
      ),
      cooldownMinutes: rule.cooldownMinutes ?? 0,
    }
  })
}

type Fail = (path: string, message: string) => never

function checkWhen(when: HookRuleInput['when'], fail: Fail): When {
  const { kind } = when
  if (kind === 'label') {
    if (when.minutes !== undefined) fail('when/minutes', 'is not used by a label rule')
  } else if (when.minutes === undefined) {
    fail('when/minutes', `is required for a ${kind} rule`)
  }
  if (kind === 'no_break') {
    if (when.breakMinutes === undefined)
      fail('when/breakMinutes', 'is required for a no_break rule')
  } else if (when.breakMinutes !== undefined) {
    fail('when/breakMinutes', `is used only by no_break rules, not ${kind}`)
  }
  const match = when.match ?? {}
  checkMatch(match, MATCH_FIELDS_OF[kind], kind, (path, message) => fail(`when/${path}`, message))
  const out: When = { kind, match }
  if (when.minutes !== undefined) out.minutes = when.minutes
  if (when.breakMinutes !== undefined) out.breakMinutes = when.breakMinutes
  return out
}

/**
 * Checks a match: only `allowed` fields, patterns that compile, no empty lists or blank keywords.
 * `fail` gets the path below the match's parent (`match/url`).
 */
function checkMatch(match: Match, allowed: readonly MatchField[], kind: string, fail: Fail): void {
  for (const [name, value] of Object.entries(match) as [MatchField, MatchValue | undefined][]) {
    if (value === undefined) continue
    const path = `match/${name}`
    if (!allowed.includes(name)) {
      fail(path, `is not matched by a ${kind} rule (it takes ${allowed.join(', ')})`)
    }
    if (typeof value === 'string') {
      if (value === '') {
        fail(path, 'is an empty regular expression; leave the field out to match anything')
      }
      try {
        new RegExp(value, 'i')
      } catch (err) {
        fail(path, `is not a valid regular expression: ${(err as Error).message}`)
      }
    } else {
      if (value.length === 0) {
        fail(path, 'is an empty keyword list; leave the field out to match anything')
      }
      const blank = value.findIndex((k) => k.trim() === '')
      if (blank >= 0) fail(`${path}/${blank}`, 'is a blank keyword')
    }
  }
}

/** Checks a match over activity outside a rule (the suggestions' `match`): 422 naming the field. */
export function checkActivityMatch(match: Match, field = 'body'): void {
  checkMatch(match, MATCH_FIELDS_OF.activity, 'activity', (path, message) => {
    throw new UnprocessableError(
      'invalid_match',
      `${path.replaceAll('/', '.')} ${message}`,
      `${field}/${path}`,
    )
  })
}

function checkAction(action: Record<string, unknown>, fail: Fail): HookAction {
  const kind = action.kind as ActionKind
  const { optional, required } = ACTION_FIELDS[kind]
  for (const key of Object.keys(action)) {
    if (key !== 'kind' && !optional.includes(key) && !required.includes(key)) {
      fail(key, `is not a field of a ${kind} action`)
    }
  }
  for (const key of required)
    if (action[key] === undefined) fail(key, `is required for a ${kind} action`)
  switch (kind) {
    case 'webhook': {
      const url = action.url as string
      let parsed: URL
      try {
        parsed = new URL(url)
      } catch {
        return fail('url', `is not a URL: ${JSON.stringify(url)}`)
      }
      // Any address, the machine's own and private networks included (the receiver is usually
      // the person's own tool), but only HTTP: no file:, data: or other schemes.
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        fail('url', `must be an http or https URL, got ${parsed.protocol.replace(/:$/, '')}`)
      }
      return pick(action, kind) as HookAction
    }
    case 'command': {
      const argv = action.argv as string[]
      if (argv.length === 0 || (argv[0] ?? '') === '')
        fail('argv/0', 'must name the program to run')
      return pick(action, kind) as HookAction
    }
    default:
      return pick(action, kind) as HookAction
  }
}

/** The action with only its kind's fields, in a fixed order. */
function pick(action: Record<string, unknown>, kind: ActionKind): Record<string, unknown> {
  const out: Record<string, unknown> = { kind }
  const { optional, required } = ACTION_FIELDS[kind]
  for (const key of [...required, ...optional])
    if (action[key] !== undefined) out[key] = action[key]
  return out
}

/** True when two rules watch for the same thing (their state carries over from one to the other). */
export function sameCondition(a: HookRule, b: HookRule): boolean {
  return JSON.stringify(a.when) === JSON.stringify(b.when)
}

/** The threshold and unit of a rule's condition as words (`50 minutes without a break`). */
export function describeWhen(when: When): string {
  const n = when.minutes ?? 0
  const min = (m: number) => `${m} minute${m === 1 ? '' : 's'}`
  switch (when.kind) {
    case 'activity':
      return `${min(n)} of matching activity without interruption`
    case 'budget':
      return `${min(n)} of matching activity today`
    case 'no_break':
      return `${min(n)} of activity without a break of ${min(when.breakMinutes ?? 0)}`
    case 'back_from_afk':
      return `back after at least ${min(n)} away`
    case 'project_switch':
      return `work on a project started or stopped (stopped after ${min(n)} without it)`
    case 'silent_collector':
      return `a collector silent for ${min(n)}`
    case 'label':
      return 'a label created with matching text'
  }
}
