/**
 * ActivityWatch's buckets, events and settings in SQLite (`aw_*` tables, migration 5), run inside
 * a store worker. Times are integer nanoseconds, read as `bigint` (a double cannot hold today's
 * epoch nanoseconds). Writes run on the writer, each call one transaction; reads on a snapshot.
 */
import type { SQLInputValue, StatementSync } from 'node:sqlite'
import { mergeHeartbeat } from '../../domain/activitywatch/heartbeat.ts'
import { type JsonObject, type JsonValue, canonicalJson } from '../../domain/activitywatch/json.ts'
import type { AwBucket, AwBucketRecord, AwEvent } from '../../domain/activitywatch/model.ts'
import { BadRequestError, NotFoundError } from '../../domain/errors.ts'
import type { AwEventQuery } from '../activitywatch-port.ts'
import type { Connection } from './connection.ts'

interface EventRow {
  id: bigint
  start_ns: bigint
  end_ns: bigint
  data: string
}

interface BucketRow {
  row: bigint
  id: string
  type: string
  client: string
  hostname: string
  created_ns: bigint
  data: string
  start_ns: bigint | null
  end_ns: bigint | null
}

const I64_MAX = 2n ** 63n - 1n

function toEvent(r: EventRow): AwEvent {
  return {
    id: Number(r.id),
    timestamp: r.start_ns,
    duration: r.end_ns - r.start_ns,
    data: JSON.parse(r.data) as JsonObject,
  }
}

function toBucket(r: BucketRow): AwBucket {
  return {
    id: r.id,
    type: r.type,
    client: r.client,
    hostname: r.hostname,
    created: r.created_ns,
    data: JSON.parse(r.data) as JsonObject,
    start: r.start_ns,
    end: r.end_ns,
  }
}

/** The bucket missing, as ActivityWatch words it. */
export function noSuchBucket(id: string): NotFoundError {
  return new NotFoundError('no_such_bucket', `The requested bucket '${id}' does not exist`)
}

// The span of a bucket's events: each side is one index lookup.
const BUCKET_COLUMNS = `b.row, b.id, b.type, b.client, b.hostname, b.created_ns, b.data,
  (SELECT min(start_ns) FROM aw_events WHERE bucket_row = b.row) AS start_ns,
  (SELECT max(end_ns) FROM aw_events WHERE bucket_row = b.row) AS end_ns`

export class ActivityWatchTables {
  readonly #c: Connection
  readonly #statements = new Map<string, StatementSync>()
  /**
   * Per bucket (row), the event the last heartbeat merged into or created: the next heartbeat
   * merges into it, as aw-server-rust's heartbeat cache does. The AFK watcher needs this: its AFK
   * heartbeats start 1 ms before the event its state change opened, so "the latest start" would
   * be the wrong event. Forgotten when the bucket's events change otherwise.
   */
  readonly #lastHeartbeat = new Map<bigint, bigint>()

  constructor(connection: Connection) {
    this.#c = connection
  }

  /** A cached statement that reads integers as `bigint`. */
  #stmt(sql: string): StatementSync {
    let s = this.#statements.get(sql)
    if (!s) {
      s = this.#c.db.prepare(sql)
      s.setReadBigInts(true)
      this.#statements.set(sql, s)
    }
    return s
  }

  #all<T>(sql: string, params: Record<string, SQLInputValue> = {}): T[] {
    return this.#stmt(sql).all(params) as T[]
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- names the row type a query returns
  #get<T>(sql: string, params: Record<string, SQLInputValue> = {}): T | undefined {
    return this.#stmt(sql).get(params) as T | undefined
  }

  #run(sql: string, params: Record<string, SQLInputValue> = {}): number {
    return Number(this.#stmt(sql).run(params).changes)
  }

  #bucketRow(id: string): bigint {
    const r = this.#get<{ row: bigint }>('SELECT row FROM aw_buckets WHERE id = $id', { id })
    if (!r) throw noSuchBucket(id)
    return r.row
  }

  buckets(): AwBucket[] {
    return this.#c.read(() =>
      this.#all<BucketRow>(`SELECT ${BUCKET_COLUMNS} FROM aw_buckets AS b ORDER BY b.id`).map(
        toBucket,
      ),
    )
  }

  bucket(id: string): AwBucket | undefined {
    return this.#c.read(() => {
      const r = this.#get<BucketRow>(
        `SELECT ${BUCKET_COLUMNS} FROM aw_buckets AS b WHERE b.id = $id`,
        {
          id,
        },
      )
      return r && toBucket(r)
    })
  }

  createBucket(b: AwBucketRecord): boolean {
    return this.#c.write(() => this.#insertBucket(b))
  }

  /** Inserts the bucket unless one with its id exists; true when inserted. */
  #insertBucket(b: AwBucketRecord): boolean {
    return (
      this.#run(
        `INSERT INTO aw_buckets (id, type, client, hostname, created_ns, data)
           VALUES ($id, $type, $client, $hostname, $created, $data) ON CONFLICT (id) DO NOTHING`,
        {
          id: b.id,
          type: b.type,
          client: b.client,
          hostname: b.hostname,
          created: b.created,
          data: canonicalJson(b.data),
        },
      ) === 1
    )
  }

  deleteBucket(id: string): boolean {
    return this.#c.write(() => {
      const r = this.#get<{ row: bigint }>('SELECT row FROM aw_buckets WHERE id = $id', { id })
      if (!r) return false
      this.#lastHeartbeat.delete(r.row)
      this.#run('DELETE FROM aw_events WHERE bucket_row = $row', { row: r.row })
      this.#run('DELETE FROM aw_buckets WHERE row = $row', { row: r.row })
      return true
    })
  }

  #insert(row: bigint, e: AwEvent): AwEvent {
    const params = {
      row,
      start: e.timestamp,
      end: e.timestamp + e.duration,
      data: canonicalJson(e.data),
    }
    const id =
      e.id === null
        ? this.#get<{ id: bigint }>(
            `INSERT INTO aw_events (bucket_row, start_ns, end_ns, data)
             VALUES ($row, $start, $end, $data) RETURNING id`,
            params,
          )?.id
        : this.#get<{ id: bigint }>(
            `INSERT INTO aw_events (id, bucket_row, start_ns, end_ns, data)
             VALUES ($id, $row, $start, $end, $data) RETURNING id`,
            { ...params, id: e.id },
          )?.id
    if (id === undefined) throw new Error('an ActivityWatch event was not stored')
    return { ...e, id: Number(id) }
  }

  insertEvents(
    bucketId: string,
    events: readonly AwEvent[],
  ): { events: AwEvent[]; replaced: AwEvent[] } {
    return this.#c.write(() => {
      const row = this.#bucketRow(bucketId)
      this.#lastHeartbeat.delete(row)
      const stored: AwEvent[] = []
      const replaced: AwEvent[] = []
      for (const e of events) {
        checkRange(e)
        if (e.id !== null) {
          const old = this.#get<EventRow & { bucket_row: bigint }>(
            'SELECT id, bucket_row, start_ns, end_ns, data FROM aw_events WHERE id = $id',
            { id: e.id },
          )
          if (old && old.bucket_row !== row) {
            throw new BadRequestError(
              'foreign_event_id',
              `event id ${e.id} belongs to another bucket; leave the id out to add an event`,
            )
          }
          if (old) {
            replaced.push(toEvent(old))
            this.#run(
              'UPDATE aw_events SET start_ns = $start, end_ns = $end, data = $data WHERE id = $id',
              {
                id: e.id,
                start: e.timestamp,
                end: e.timestamp + e.duration,
                data: canonicalJson(e.data),
              },
            )
            stored.push({ ...e })
            continue
          }
        }
        stored.push(this.#insert(row, e))
      }
      return { events: stored, replaced }
    })
  }

  heartbeat(
    bucketId: string,
    hb: AwEvent,
    pulsetimeNs: bigint,
  ): { event: AwEvent; merged: boolean } {
    checkRange(hb)
    return this.#c.write(() => {
      const row = this.#bucketRow(bucketId)
      const cached = this.#lastHeartbeat.get(row)
      const lastRow =
        (cached === undefined
          ? undefined
          : this.#get<EventRow>(
              'SELECT id, start_ns, end_ns, data FROM aw_events WHERE id = $id AND bucket_row = $row',
              { id: cached, row },
            )) ??
        this.#get<EventRow>(
          `SELECT id, start_ns, end_ns, data FROM aw_events WHERE bucket_row = $row
           ORDER BY start_ns DESC, id DESC LIMIT 1`,
          { row },
        )
      const merged = lastRow && mergeHeartbeat(toEvent(lastRow), hb, pulsetimeNs)
      if (merged && merged.id !== null) {
        this.#run('UPDATE aw_events SET end_ns = $end WHERE id = $id', {
          id: merged.id,
          end: merged.timestamp + merged.duration,
        })
        this.#lastHeartbeat.set(row, BigInt(merged.id))
        return { event: merged, merged: true }
      }
      const inserted = this.#insert(row, { ...hb, id: null })
      this.#lastHeartbeat.set(row, BigInt(inserted.id ?? 0))
      return { event: inserted, merged: false }
    })
  }

  events(bucketId: string, q: AwEventQuery): AwEvent[] {
    return this.#c.read(() => {
      const row = this.#bucketRow(bucketId)
      const rows = this.#all<EventRow>(
        `SELECT id, start_ns, end_ns, data FROM aw_events
         WHERE bucket_row = $row AND end_ns >= $start AND start_ns <= $end
         ORDER BY start_ns DESC, id DESC LIMIT $limit`,
        {
          row,
          start: q.start ?? -I64_MAX - 1n,
          end: q.end ?? I64_MAX,
          limit: q.limit ?? -1,
        },
      )
      return rows.map(toEvent)
    })
  }

  event(bucketId: string, id: number): AwEvent | undefined {
    return this.#c.read(() => {
      const row = this.#bucketRow(bucketId)
      const r = this.#get<EventRow>(
        'SELECT id, start_ns, end_ns, data FROM aw_events WHERE id = $id AND bucket_row = $row',
        { id, row },
      )
      return r && toEvent(r)
    })
  }

  deleteEvent(bucketId: string, id: number): AwEvent | undefined {
    return this.#c.write(() => {
      const row = this.#bucketRow(bucketId)
      this.#lastHeartbeat.delete(row)
      const r = this.#get<EventRow>(
        `DELETE FROM aw_events WHERE id = $id AND bucket_row = $row
         RETURNING id, start_ns, end_ns, data`,
        { id, row },
      )
      return r && toEvent(r)
    })
  }

  count(bucketId: string, q: Omit<AwEventQuery, 'limit'>): number {
    return this.#c.read(() => {
      const row = this.#bucketRow(bucketId)
      const r = this.#get<{ n: bigint }>(
        `SELECT count(*) AS n FROM aw_events
         WHERE bucket_row = $row AND end_ns >= $start AND start_ns <= $end`,
        { row, start: q.start ?? -I64_MAX - 1n, end: q.end ?? I64_MAX },
      )
      return Number(r?.n ?? 0n)
    })
  }

  importBucket(
    b: AwBucketRecord,
    events: readonly AwEvent[],
  ): { created: boolean; inserted: AwEvent[] } {
    return this.#c.write(() => {
      const created = this.#insertBucket(b)
      const row = this.#bucketRow(b.id)
      this.#lastHeartbeat.delete(row)
      const inserted: AwEvent[] = []
      for (const e of events) {
        checkRange(e)
        // Stored data is canonical JSON, so equal data is equal text.
        const same = this.#get(
          `SELECT 1 AS x FROM aw_events
           WHERE bucket_row = $row AND start_ns = $start AND end_ns = $end AND data = $data`,
          { row, start: e.timestamp, end: e.timestamp + e.duration, data: canonicalJson(e.data) },
        )
        if (same) continue
        // Ids from another database mean nothing here (and could name an unrelated row).
        inserted.push(this.#insert(row, { ...e, id: null }))
      }
      return { created, inserted }
    })
  }

  settings(): Record<string, JsonValue> {
    return this.#c.read(() => {
      const out: Record<string, JsonValue> = {}
      for (const r of this.#all<{ key: string; value: string }>(
        'SELECT key, value FROM aw_settings ORDER BY key',
      )) {
        out[r.key] = JSON.parse(r.value) as JsonValue
      }
      return out
    })
  }

  setting(key: string): JsonValue | undefined {
    const r = this.#c.read(() =>
      this.#get<{ value: string }>('SELECT value FROM aw_settings WHERE key = $key', { key }),
    )
    return r === undefined ? undefined : (JSON.parse(r.value) as JsonValue)
  }

  saveSetting(key: string, value: JsonValue): null {
    this.#c.write(() =>
      this.#run(
        `INSERT INTO aw_settings (key, value) VALUES ($key, $value)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        { key, value: JSON.stringify(value) },
      ),
    )
    return null
  }

  deleteSetting(key: string): boolean {
    return this.#c.write(() => this.#run('DELETE FROM aw_settings WHERE key = $key', { key }) === 1)
  }
}

/** An event's end must fit in the 64-bit nanoseconds the table holds. */
function checkRange(e: AwEvent): void {
  if (e.timestamp + e.duration > I64_MAX) {
    throw new BadRequestError(
      'invalid_event',
      'the event ends after 2262-04-11, past what is stored',
    )
  }
}
