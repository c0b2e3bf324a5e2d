/**
 * ActivityWatch's data model as Daybook keeps it: buckets (one per watcher and host) and their
 * events (a start, a duration and free-form JSON data), with times in integer nanoseconds as the
 * Rust server keeps them. Parsing from the wire and writing back to it live here too, so every
 * route and the query language agree on one shape.
 */
import { BadRequestError } from '../errors.ts'
import { Float, type JsonObject, type JsonValue, Struct, type Wire, isJsonObject } from './json.ts'
import { formatTimestamp, nsToSeconds, parseTimestamp, secondsToNs } from './time.ts'

/** An event: `id` is null until stored (and on events a query computed). */
export interface AwEvent {
  id: number | null
  /** Start, epoch nanoseconds (UTC). */
  timestamp: bigint
  /** Nanoseconds, never negative. */
  duration: bigint
  data: JsonObject
}

/** A bucket as stored. */
export interface AwBucketRecord {
  id: string
  type: string
  client: string
  hostname: string
  /** Epoch nanoseconds. */
  created: bigint
  data: JsonObject
}

/** A bucket as listed: with the span of its events (null when it has none). */
export interface AwBucket extends AwBucketRecord {
  start: bigint | null
  end: bigint | null
}

/** The end of an event, epoch nanoseconds. */
export function endOf(e: Pick<AwEvent, 'timestamp' | 'duration'>): bigint {
  return e.timestamp + e.duration
}

/** Longest accepted bucket id, type, client or host name (they are path segments and labels). */
export const MAX_NAME_LENGTH = 512

/**
 * Reads one event from a request body. `timestamp` is required (RFC 3339 with an offset);
 * `duration` is seconds (default 0, never negative); `data` an object (default `{}`); `id` an
 * integer or null. `where` prefixes messages (`event 3: …`).
 */
export function parseEvent(value: unknown, where = 'event'): AwEvent {
  if (!isJsonObject(value)) throw new BadRequestError('invalid_event', `${where} is not an object`)
  const { timestamp, duration, data, id } = value
  if (typeof timestamp !== 'string') {
    throw new BadRequestError('invalid_event', `${where}: timestamp is missing or not a string`)
  }
  const ts = parseTimestamp(timestamp)
  if (ts === undefined) {
    throw new BadRequestError(
      'invalid_event',
      `${where}: timestamp ${JSON.stringify(timestamp)} is not an RFC 3339 date-time with an offset`,
    )
  }
  let dur = 0n
  if (duration !== undefined && duration !== null) {
    const ns = typeof duration === 'number' ? secondsToNs(duration) : undefined
    if (ns === undefined) {
      throw new BadRequestError('invalid_event', `${where}: duration is not a number of seconds`)
    }
    if (ns < 0n) throw new BadRequestError('invalid_event', `${where}: duration is negative`)
    dur = ns
  }
  if (data !== undefined && data !== null && !isJsonObject(data)) {
    throw new BadRequestError('invalid_event', `${where}: data is not an object`)
  }
  let eventId: number | null = null
  if (id !== undefined && id !== null) {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
      throw new BadRequestError('invalid_event', `${where}: id is not a positive integer`)
    }
    eventId = id
  }
  return { id: eventId, timestamp: ts, duration: dur, data: data ?? {} }
}

/** An event as the REST routes write it: fields in the Rust struct's order, duration a float. */
export function eventWire(e: AwEvent): Wire {
  return new Struct([
    ['id', e.id],
    ['timestamp', formatTimestamp(e.timestamp)],
    ['duration', new Float(nsToSeconds(e.duration))],
    ['data', e.data],
  ])
}

/** An event as a query result holds it: a JSON map (keys sorted on writing). */
export function eventQueryWire(e: AwEvent): Wire {
  return {
    id: e.id,
    timestamp: formatTimestamp(e.timestamp),
    duration: new Float(nsToSeconds(e.duration)),
    data: e.data,
  }
}

/** A bucket as `GET /api/0/buckets/` writes it (Rust's field order; `events` only in exports). */
export function bucketWire(b: AwBucket, events?: readonly AwEvent[]): Wire {
  return new Struct([
    ['id', b.id],
    ['type', b.type],
    ['client', b.client],
    ['hostname', b.hostname],
    ['created', formatTimestamp(b.created)],
    ['data', b.data],
    [
      'metadata',
      new Struct([
        ['start', b.start === null ? null : formatTimestamp(b.start)],
        ['end', b.end === null ? null : formatTimestamp(b.end)],
      ]),
    ],
    ['events', events === undefined ? null : events.map(eventWire)],
    ['last_updated', null],
  ])
}

/** Reads a bucket from a create or import body; the id comes from the path (create). */
export function parseBucket(value: unknown, id: string, nowNs: bigint): AwBucketRecord {
  if (!isJsonObject(value))
    throw new BadRequestError('invalid_bucket', 'the bucket is not an object')
  const text = (field: string): string => {
    const v = value[field]
    if (typeof v !== 'string' || v === '') {
      throw new BadRequestError('invalid_bucket', `bucket ${field} is missing or not a string`)
    }
    if (v.length > MAX_NAME_LENGTH) {
      throw new BadRequestError(
        'invalid_bucket',
        `bucket ${field} is longer than ${MAX_NAME_LENGTH} characters`,
      )
    }
    return v
  }
  const type = text('type')
  const client = text('client')
  const hostname = text('hostname')
  let created = nowNs
  if (typeof value.created === 'string') {
    const parsed = parseTimestamp(value.created)
    if (parsed === undefined) {
      throw new BadRequestError('invalid_bucket', 'bucket created is not an RFC 3339 date-time')
    }
    created = parsed
  }
  const data = value.data
  if (data !== undefined && data !== null && !isJsonObject(data)) {
    throw new BadRequestError('invalid_bucket', 'bucket data is not an object')
  }
  return { id, type, client, hostname, created, data: data ?? {} }
}

/** Checks a bucket id from a path: non-empty, bounded. */
export function checkBucketId(id: string): void {
  if (id === '' || id.length > MAX_NAME_LENGTH) {
    throw new BadRequestError('invalid_bucket', 'the bucket id is empty or too long')
  }
}

/** A JSON value as stored in a settings row or event data. */
export type { JsonObject, JsonValue }
