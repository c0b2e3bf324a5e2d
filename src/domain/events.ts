/**
 * The activity event model and its content-derived identity.
 *
 * An event's id is a UUIDv5 over its device and content *by names* — never over database row ids —
 * so the same event gets the same id in any database. The end is not part of it: a watcher that
 * re-sends a growing event (a heartbeat) extends the stored one instead of adding another.
 */
import { hash } from 'node:crypto'
import { parse as uuidParse, v5 as uuidv5 } from 'uuid'
import { UnprocessableError } from './errors.ts'
import { checkRangeOrder } from './time.ts'

/** Namespace for Daybook's content ids (a fixed random UUID; changing it re-identifies all data). */
const DAYBOOK_NAMESPACE = '3f1d5e0a-7c1b-4f7e-9a52-6d1f0c2b8e47'

/** The grouping dimensions of an event, named as the wire uses them in `groupBy`. */
export const DIMENSIONS = [
  'app',
  'project',
  'language',
  'branch',
  'category',
  'entity',
  'source',
  'device',
] as const
export type Dimension = (typeof DIMENSIONS)[number]

/** Filterable dimensions and the query parameter that filters them. */
export const FILTER_PARAMS = {
  apps: 'app',
  projects: 'project',
  categories: 'category',
  entities: 'entity',
  branches: 'branch',
  languages: 'language',
  sources: 'source',
  devices: 'device',
} as const satisfies Record<string, Dimension>
export type FilterParam = keyof typeof FILTER_PARAMS

/** Filters: for each dimension, the names it must be one of. Absent or empty = no filter. */
export type EventFilters = Partial<Record<Dimension, readonly string[]>>

/** An event as stored and served: times in epoch ms, dimensions by name. */
export interface ActivityEvent {
  id: string
  /** The device (by name) the event happened on. */
  device: string
  startMs: number
  endMs: number
  /** The duration the client reported, in seconds; informational, time math uses start/end. */
  durationSec: number | null
  category: string
  app: string
  entity: string
  entityType: string | null
  project: string
  projectPath: string | null
  branch: string | null
  language: string | null
  source: string
}

/** An event as a client sends it: no id yet, and its device by name (null: the daemon's own). */
export type NewActivityEvent = Omit<ActivityEvent, 'id' | 'device'> & { device: string | null }

/** The names an event's identity is made of, besides its device. */
export type EventIdentity = Pick<
  NewActivityEvent,
  'source' | 'startMs' | 'category' | 'app' | 'entity' | 'project' | 'branch' | 'language'
>

/**
 * The content id of an event on the device with id `deviceId`: equal device, source, start and
 * names, equal id, in every database. The end is left out on purpose (see the module comment).
 */
export function eventId(deviceId: string, e: EventIdentity): string {
  return uuidv5(eventKey(deviceId, e), DAYBOOK_NAMESPACE)
}

const NAMESPACE_BYTES = uuidParse(DAYBOOK_NAMESPACE)

/**
 * `eventId` as its 16 bytes (what the store keeps). The same UUIDv5 (RFC 4122 §4.3: SHA-1 of the
 * namespace and the name, version and variant bits set), hashed with node:crypto directly:
 * ingest computes one per event, and this is several times faster than the library's own.
 */
export function eventIdBytes(deviceId: string, e: EventIdentity): Uint8Array {
  const key = eventKey(deviceId, e)
  // The namespace and the key go into one reused buffer and are hashed in one call (a hash
  // object per event, fed twice, cost twice as much).
  if (16 + key.length * 3 > nameBuffer.length) {
    nameBuffer = Buffer.allocUnsafe(16 + key.length * 3)
    nameBuffer.set(NAMESPACE_BYTES)
  }
  const length = 16 + nameBuffer.write(key, 16, 'utf8')
  const digest = hash('sha1', nameBuffer.subarray(0, length), 'buffer')
  const bytes = new Uint8Array(digest.buffer, digest.byteOffset, 16)
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80
  return bytes
}

/** The namespace's bytes followed by room for a name (grown for a longer one). */
let nameBuffer = Buffer.alloc(4096)
nameBuffer.set(NAMESPACE_BYTES)

function eventKey(deviceId: string, e: EventIdentity): string {
  // JSON encoding keeps the key unambiguous whatever characters the names contain.
  return JSON.stringify([
    'event/2',
    deviceId,
    e.source,
    e.startMs,
    e.category,
    e.app,
    e.entity,
    e.project,
    e.branch,
    e.language,
  ])
}

/**
 * The id a device named `name` gets when a batch names it first. Name-derived, so every daemon
 * that hears of "laptop-2" first by name gives it the same id. (A daemon's own device gets a random
 * id once.)
 */
export function namedDeviceId(name: string): string {
  return uuidv5(JSON.stringify(['device/1', name]), DAYBOOK_NAMESPACE)
}

/** A period away from keyboard on one device. */
export interface AfkPeriod {
  id: string
  device: string
  startMs: number
  /** The end the watcher reported; null while it has not (the period is open). */
  endMs: number | null
  /**
   * For an open period: the first evidence of presence on its device after it began (input, or an
   * editor's event), where the period is taken to end until a real end arrives. Null when none.
   */
  inferredEndMs: number | null
  durationSec: number | null
  /** The watcher that first reported it ({@link UNNAMED_AFK_SOURCE} when it named none). */
  source: string
}

/** The source of an AFK period whose sender named none. */
export const UNNAMED_AFK_SOURCE = 'afk'

/** An AFK period as a client sends it. */
export type NewAfkPeriod = Omit<AfkPeriod, 'id' | 'device' | 'inferredEndMs' | 'source'> & {
  device: string | null
  /** The watcher reporting it; the first report of a period names its source for good. */
  source?: string | null | undefined
}

/** Where a period ends for active time: its reported end, else its inferred end, else never. */
export function afkEffectiveEnd(p: Pick<AfkPeriod, 'endMs' | 'inferredEndMs'>): number {
  return p.endMs ?? p.inferredEndMs ?? Number.POSITIVE_INFINITY
}

/**
 * The content id of an AFK period: its device and start. A period first sent open and later sent
 * closed (or extended) is the same period, so it updates in place rather than being counted twice.
 */
export function afkId(deviceId: string, startMs: number): string {
  return uuidv5(JSON.stringify(['afk/2', deviceId, startMs]), DAYBOOK_NAMESPACE)
}

/**
 * A screenshot's content id: its device and its file name (a device names each frame once: a
 * second frame in the same second is a duplicate), so every daemon names one frame alike.
 */
export function frameId(deviceId: string, filename: string): string {
  return uuidv5(JSON.stringify(['frame/1', deviceId, filename]), DAYBOOK_NAMESPACE)
}

/** The value of a dimension of an event (null when the event has none). */
export function dimensionValue(e: ActivityEvent, d: Dimension): string | null {
  return e[d]
}

/** The whole seconds between two instants: an event's duration when the sender gave none. */
export function spanSeconds(startMs: number, endMs: number): number {
  return Math.round((endMs - startMs) / 1000)
}

/** Earliest event or AFK time the daemon accepts: anything before is a broken clock or a typo. */
export const EARLIEST_MS = Date.UTC(1990, 0, 1)
/** How far in the future an event may start (clocks of two machines differ a little). */
export const MAX_FUTURE_MS = 5 * 60_000
/** Longest single event: anything longer is a stuck watcher, not a human activity. */
export const MAX_EVENT_MS = 7 * 24 * 3_600_000

/**
 * Checks the times of an event from any wire: not before 1990, not starting in the future (beyond
 * clock skew), not ending before it starts, not longer than 7 days. `field` names the offending
 * input field (`body/3/timestamp`).
 */
export function checkEventTimes(
  e: { startMs: number; endMs: number },
  nowMs: number,
  field: (name: 'timestamp' | 'end_timestamp') => string,
): void {
  checkStart(e.startMs, nowMs, () => field('timestamp'))
  if (e.endMs < e.startMs) {
    checkRangeOrder(e.startMs, e.endMs, { start: field('timestamp'), end: field('end_timestamp') })
  }
  if (e.endMs - e.startMs > MAX_EVENT_MS) {
    throw new UnprocessableError(
      'event_too_long',
      `${field('end_timestamp')}: an event may last at most 7 days`,
      field('end_timestamp'),
    )
  }
}

/** Checks the times of an AFK period: its start as an event's; its end, if any, not before it. */
export function checkAfkTimes(
  p: { startMs: number; endMs: number | null },
  nowMs: number,
  field: (name: 'afk_start' | 'afk_end') => string,
): void {
  checkStart(p.startMs, nowMs, () => field('afk_start'))
  if (p.endMs !== null && p.endMs < p.startMs) {
    checkRangeOrder(p.startMs, p.endMs, { start: field('afk_start'), end: field('afk_end') })
  }
}

/** `field` names the input field, asked only when the check fails (a string per event else). */
function checkStart(startMs: number, nowMs: number, field: () => string): void {
  if (startMs < EARLIEST_MS) {
    const name = field()
    throw new UnprocessableError(
      'too_early',
      `${name} is before 1990-01-01T00:00:00Z; check the sender's clock and time unit`,
      name,
    )
  }
  if (startMs > nowMs + MAX_FUTURE_MS) {
    const name = field()
    throw new UnprocessableError(
      'in_future',
      `${name} is more than ${MAX_FUTURE_MS / 60_000} minutes in the future; check the sender's clock`,
      name,
    )
  }
}
