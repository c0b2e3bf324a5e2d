/**
 * WakaTime heartbeats: what an editor plugin (through `wakatime-cli`) reports, as Daybook keeps
 * it, its identity, and the names the events derived from it carry.
 *
 * A heartbeat is an instant ("at 10:02:13 I was in src/app.ts of project x"), not a span: spans
 * come from the stream of heartbeats (`derive.ts`). The raw heartbeat is kept as sent, placeholders
 * included, so a late heartbeat can re-derive the events around it.
 */
import { createHash } from 'node:crypto'
import { EARLIEST_MS } from '../events.ts'

/** `<<LAST_PROJECT>>`-style values: "the same as my previous heartbeat". */
export const PLACEHOLDERS = {
  project: '<<LAST_PROJECT>>',
  branch: '<<LAST_BRANCH>>',
  language: '<<LAST_LANGUAGE>>',
} as const

/** Entity types the CLI sends, and the entity type of the events they become. */
export const ENTITY_TYPES: Readonly<Record<string, string>> = {
  file: 'File',
  app: 'App',
  domain: 'Domain',
  url: 'Url',
  event: 'Event',
}

/** The project of heartbeats that name none (WakaTime's own dashboard says the same). */
export const NO_PROJECT = 'Unknown Project'

/** A heartbeat as stored: names as sent (placeholders unresolved); '' where absent. */
export interface Heartbeat {
  entity: string
  /** `file`, `app`, `domain`, `url` or `event`. */
  type: string
  /** Lower case as WakaTime names it (`coding`, `writing docs`). */
  category: string
  project: string
  branch: string
  language: string
  isWrite: boolean
  /** Epoch ms (WakaTime sends float seconds; kept to the millisecond). */
  timeMs: number
  /** The device (machine) by name; null: the daemon's own. */
  device: string | null
  /** The editor as parsed from the user agent (`vscode`, `GoLand`); '' when unknown. */
  editor: string
  /** The operating system as parsed from the user agent (`Linux`, `macOS`); '' when unknown. */
  os: string
  userAgent: string
  /** What else the plugin sent (lines, lineno, cursorpos, dependencies, AI fields…), or null. */
  extra: Record<string, unknown> | null
}

/** A stored heartbeat as read back. */
export interface StoredHeartbeat extends Heartbeat {
  /** Hex of the content hash: the same heartbeat re-sent has the same id. */
  id: string
  device: string
  /** The device's id. */
  deviceId: string
}

/**
 * The identity of a heartbeat on its device: a hash of (entity, type, category, project, branch,
 * language, is_write, time in ms), as Wakapi's dedup. Editor, OS and user agent are left out: the
 * same heartbeat re-sent by a newer plugin version is still the same heartbeat.
 */
export function heartbeatHash(h: Heartbeat): Uint8Array {
  const key = JSON.stringify([
    'wakatime/1',
    h.entity,
    h.type,
    h.category,
    h.project,
    h.branch,
    h.language,
    h.isWrite,
    h.timeMs,
  ])
  const digest = createHash('sha256').update(key).digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, 16)
}

/**
 * The category a heartbeat without one gets (Wakapi's rule): browsing for domains and URLs,
 * otherwise coding, WakaTime's default.
 */
export function defaultCategory(type: string): string {
  return type === 'domain' || type === 'url' ? 'browsing' : 'coding'
}

/** Daybook's name of a WakaTime category: `coding` → `Coding`, `writing docs` → `Writing Docs`. */
export function categoryName(category: string): string {
  return category
    .trim()
    .split(/\s+/)
    .map((w) => (w === 'ai' ? 'AI' : w.charAt(0).toUpperCase() + w.slice(1)))
    .join(' ')
}

/** True when the heartbeat's names depend on the heartbeat before it. */
export function hasPlaceholder(h: Pick<Heartbeat, 'type' | 'project' | 'branch' | 'language'>) {
  if (h.type === 'url' || h.type === 'domain') return false
  return (
    h.project === PLACEHOLDERS.project ||
    h.branch === PLACEHOLDERS.branch ||
    h.language === PLACEHOLDERS.language
  )
}

/** The names an event derived from a heartbeat carries (after placeholders are resolved). */
export interface HeartbeatNames {
  category: string
  entity: string
  entityType: string | null
  /** '' when the heartbeat names none. */
  project: string
  branch: string
  language: string
}

/**
 * Resolves placeholders from the previous heartbeat's resolved names (none: cleared). Browser
 * heartbeats (url, domain) never inherit a project: their placeholders are cleared, as Wakapi does.
 */
export function resolveNames(
  h: Pick<Heartbeat, 'type' | 'category' | 'entity' | 'project' | 'branch' | 'language'>,
  previous: HeartbeatNames | undefined,
): HeartbeatNames {
  const browser = h.type === 'url' || h.type === 'domain'
  const pick = (value: string, placeholder: string, last: string | undefined) =>
    value === placeholder ? (browser ? '' : (last ?? '')) : value
  return {
    category: categoryName(h.category),
    entity: h.entity,
    entityType: ENTITY_TYPES[h.type] ?? null,
    project: pick(h.project, PLACEHOLDERS.project, previous?.project),
    branch: pick(h.branch, PLACEHOLDERS.branch, previous?.branch),
    language: pick(h.language, PLACEHOLDERS.language, previous?.language),
  }
}

/** True when two heartbeats' names are the same event's. */
export function sameNames(a: HeartbeatNames, b: HeartbeatNames): boolean {
  return (
    a.category === b.category &&
    a.entity === b.entity &&
    a.entityType === b.entityType &&
    a.project === b.project &&
    a.branch === b.branch &&
    a.language === b.language
  )
}

/** How far in the future a heartbeat may be (Wakapi's bound; clocks of two machines differ). */
const HEARTBEAT_MAX_FUTURE_MS = 3_600_000

/**
 * Why a heartbeat's time cannot be accepted, or undefined when it can. Old heartbeats are fine:
 * an offline queue of weeks must drain.
 */
export function heartbeatTimeProblem(timeMs: number, nowMs: number): string | undefined {
  if (!Number.isFinite(timeMs)) return 'time must be a number of seconds since 1970'
  if (timeMs < EARLIEST_MS) return 'time is before 1990; it must be in seconds since 1970'
  if (timeMs > nowMs + HEARTBEAT_MAX_FUTURE_MS) {
    return "time is more than 1 hour in the future; check the sending machine's clock"
  }
  return undefined
}
