/**
 * ActivityWatch's buckets and events in PostgreSQL, kept as ActivityWatch keeps them (see
 * `ActivityWatchStore`). The heartbeat merge rule is the domain's (`mergeHeartbeat`).
 */
import type pg from 'pg'
import { mergeHeartbeat } from '../../domain/activitywatch/heartbeat.ts'
import { type JsonObject, type JsonValue, canonicalJson } from '../../domain/activitywatch/json.ts'
import type { AwBucket, AwBucketRecord, AwEvent } from '../../domain/activitywatch/model.ts'
import { BadRequestError } from '../../domain/errors.ts'
import type { ActivityWatchStore, AwEventQuery } from '../activitywatch-port.ts'
import { noSuchBucket } from '../sqlite/activitywatch.ts'
import { type Queryable, type Tx, all, one, write } from './db.ts'

interface EventRow {
  id: number
  start_ns: string
  end_ns: string
  data: string
}

const I64_MAX = 2n ** 63n - 1n
const EVENT_COLUMNS = 'id, start_ns::text AS start_ns, end_ns::text AS end_ns, data'

function toEvent(r: EventRow): AwEvent {
  const start = BigInt(r.start_ns)
  return {
    id: r.id,
    timestamp: start,
    duration: BigInt(r.end_ns) - start,
    data: JSON.parse(r.data) as JsonObject,
  }
}

const BUCKET_SELECT = `
  SELECT b.id, b.type, b.client, b.hostname, b.created_ns::text AS created_ns, b.data,
    (SELECT min(start_ns) FROM aw_events WHERE bucket_row = b.row)::text AS start_ns,
    (SELECT max(end_ns) FROM aw_events WHERE bucket_row = b.row)::text AS end_ns
  FROM aw_buckets b`

function toBucket(r: {
  id: string
  type: string
  client: string
  hostname: string
  created_ns: string
  data: string
  start_ns: string | null
  end_ns: string | null
}): AwBucket {
  return {
    id: r.id,
    type: r.type,
    client: r.client,
    hostname: r.hostname,
    created: BigInt(r.created_ns),
    data: JSON.parse(r.data) as JsonObject,
    start: r.start_ns === null ? null : BigInt(r.start_ns),
    end: r.end_ns === null ? null : BigInt(r.end_ns),
  }
}

function checkRange(e: AwEvent): void {
  if (e.timestamp + e.duration > I64_MAX) {
    throw new BadRequestError(
      'invalid_event',
      'the event ends after 2262-04-11, past what is stored',
    )
  }
}

async function bucketRow(q: Queryable, id: string): Promise<number> {
  const r = await one<{ row: number }>(q, 'SELECT row FROM aw_buckets WHERE id = $1', [id])
  if (!r) throw noSuchBucket(id)
  return r.row
}

/** Forgets the bucket's last heartbeat event: something else changed its events. */
async function forgetHeartbeat(tx: Tx, row: number): Promise<void> {
  await tx.c.query('UPDATE aw_buckets SET last_heartbeat = NULL WHERE row = $1', [row])
}

async function insertEvent(tx: Tx, row: number, e: AwEvent): Promise<AwEvent> {
  const end = (e.timestamp + e.duration).toString()
  const data = canonicalJson(e.data)
  if (e.id === null) {
    const r = await one<{ id: number }>(
      tx.c,
      'INSERT INTO aw_events (bucket_row, start_ns, end_ns, data) VALUES ($1, $2, $3, $4) RETURNING id',
      [row, e.timestamp.toString(), end, data],
    )
    return { ...e, id: (r as { id: number }).id }
  }
  await tx.c.query(
    'INSERT INTO aw_events (id, bucket_row, start_ns, end_ns, data) VALUES ($1, $2, $3, $4, $5)',
    [e.id, row, e.timestamp.toString(), end, data],
  )
  // An id given by the client moves the sequence past it: ids are never handed out twice.
  await tx.c.query(
    `SELECT setval(pg_get_serial_sequence('aw_events', 'id'),
       greatest($1::bigint, (SELECT last_value FROM aw_events_id_seq)))`,
    [e.id],
  )
  return { ...e }
}

async function insertBucket(tx: Tx, b: AwBucketRecord): Promise<boolean> {
  const r = await tx.c.query(
    `INSERT INTO aw_buckets (id, type, client, hostname, created_ns, data)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
    [b.id, b.type, b.client, b.hostname, b.created.toString(), canonicalJson(b.data)],
  )
  return r.rowCount === 1
}

/** The ActivityWatch store over a pool (writes take the write lock like every other). */
export function activityWatchStore(pool: pg.Pool): ActivityWatchStore {
  return {
    buckets: async () =>
      (await all<Parameters<typeof toBucket>[0]>(pool, `${BUCKET_SELECT} ORDER BY b.id`)).map(
        toBucket,
      ),
    bucket: async (id) => {
      const r = await one<Parameters<typeof toBucket>[0]>(
        pool,
        `${BUCKET_SELECT} WHERE b.id = $1`,
        [id],
      )
      return r && toBucket(r)
    },
    createBucket: (b) => write(pool, (tx) => insertBucket(tx, b)),
    deleteBucket: (id) =>
      write(pool, async (tx) => {
        const r = await one<{ row: number }>(tx.c, 'SELECT row FROM aw_buckets WHERE id = $1', [id])
        if (!r) return false
        await tx.c.query('DELETE FROM aw_events WHERE bucket_row = $1', [r.row])
        await tx.c.query('DELETE FROM aw_buckets WHERE row = $1', [r.row])
        return true
      }),
    insertEvents: (bucketId, events) =>
      write(pool, async (tx) => {
        const row = await bucketRow(tx.c, bucketId)
        await forgetHeartbeat(tx, row)
        const stored: AwEvent[] = []
        const replaced: AwEvent[] = []
        for (const e of events) {
          checkRange(e)
          if (e.id !== null) {
            const old = await one<EventRow & { bucket_row: number }>(
              tx.c,
              `SELECT ${EVENT_COLUMNS}, bucket_row FROM aw_events WHERE id = $1`,
              [e.id],
            )
            if (old && old.bucket_row !== row) {
              throw new BadRequestError(
                'foreign_event_id',
                `event id ${String(e.id)} belongs to another bucket; leave the id out to add an event`,
              )
            }
            if (old) {
              replaced.push(toEvent(old))
              await tx.c.query(
                'UPDATE aw_events SET start_ns = $1, end_ns = $2, data = $3 WHERE id = $4',
                [
                  e.timestamp.toString(),
                  (e.timestamp + e.duration).toString(),
                  canonicalJson(e.data),
                  e.id,
                ],
              )
              stored.push({ ...e })
              continue
            }
          }
          stored.push(await insertEvent(tx, row, e))
        }
        return { events: stored, replaced }
      }),
    heartbeat: (bucketId, hb, pulsetimeNs) => {
      checkRange(hb)
      return write(pool, async (tx) => {
        const bucket = await one<{ row: number; last_heartbeat: number | null }>(
          tx.c,
          'SELECT row, last_heartbeat FROM aw_buckets WHERE id = $1',
          [bucketId],
        )
        if (!bucket) throw noSuchBucket(bucketId)
        const row = bucket.row
        const lastRow =
          (bucket.last_heartbeat === null
            ? undefined
            : await one<EventRow>(
                tx.c,
                `SELECT ${EVENT_COLUMNS} FROM aw_events WHERE id = $1 AND bucket_row = $2`,
                [bucket.last_heartbeat, row],
              )) ??
          (await one<EventRow>(
            tx.c,
            `SELECT ${EVENT_COLUMNS} FROM aw_events WHERE bucket_row = $1
             ORDER BY start_ns DESC, id DESC LIMIT 1`,
            [row],
          ))
        const merged = lastRow && mergeHeartbeat(toEvent(lastRow), hb, pulsetimeNs)
        if (merged && merged.id !== null) {
          await tx.c.query('UPDATE aw_events SET end_ns = $1 WHERE id = $2', [
            (merged.timestamp + merged.duration).toString(),
            merged.id,
          ])
          await tx.c.query('UPDATE aw_buckets SET last_heartbeat = $1 WHERE row = $2', [
            merged.id,
            row,
          ])
          return { event: merged, merged: true }
        }
        const inserted = await insertEvent(tx, row, { ...hb, id: null })
        await tx.c.query('UPDATE aw_buckets SET last_heartbeat = $1 WHERE row = $2', [
          inserted.id,
          row,
        ])
        return { event: inserted, merged: false }
      })
    },
    events: async (bucketId, q: AwEventQuery) => {
      const row = await bucketRow(pool, bucketId)
      const rows = await all<EventRow>(
        pool,
        `SELECT ${EVENT_COLUMNS} FROM aw_events
         WHERE bucket_row = $1 AND end_ns >= $2 AND start_ns <= $3
         ORDER BY start_ns DESC, id DESC LIMIT $4`,
        [
          row,
          (q.start ?? -I64_MAX - 1n).toString(),
          (q.end ?? I64_MAX).toString(),
          q.limit ?? null,
        ],
      )
      return rows.map(toEvent)
    },
    event: async (bucketId, id) => {
      const row = await bucketRow(pool, bucketId)
      const r = await one<EventRow>(
        pool,
        `SELECT ${EVENT_COLUMNS} FROM aw_events WHERE id = $1 AND bucket_row = $2`,
        [id, row],
      )
      return r && toEvent(r)
    },
    deleteEvent: (bucketId, id) =>
      write(pool, async (tx) => {
        const row = await bucketRow(tx.c, bucketId)
        await forgetHeartbeat(tx, row)
        const r = await one<EventRow>(
          tx.c,
          `DELETE FROM aw_events WHERE id = $1 AND bucket_row = $2 RETURNING ${EVENT_COLUMNS}`,
          [id, row],
        )
        return r && toEvent(r)
      }),
    count: async (bucketId, q) => {
      const row = await bucketRow(pool, bucketId)
      const r = await one<{ n: number }>(
        pool,
        `SELECT count(*) AS n FROM aw_events
         WHERE bucket_row = $1 AND end_ns >= $2 AND start_ns <= $3`,
        [row, (q.start ?? -I64_MAX - 1n).toString(), (q.end ?? I64_MAX).toString()],
      )
      return r?.n ?? 0
    },
    importBucket: (b, events) =>
      write(pool, async (tx) => {
        const created = await insertBucket(tx, b)
        const row = await bucketRow(tx.c, b.id)
        await forgetHeartbeat(tx, row)
        const inserted: AwEvent[] = []
        for (const e of events) {
          checkRange(e)
          const same = await one(
            tx.c,
            `SELECT 1 FROM aw_events
             WHERE bucket_row = $1 AND start_ns = $2 AND end_ns = $3 AND data = $4`,
            [
              row,
              e.timestamp.toString(),
              (e.timestamp + e.duration).toString(),
              canonicalJson(e.data),
            ],
          )
          if (same) continue
          inserted.push(await insertEvent(tx, row, { ...e, id: null }))
        }
        return { created, inserted }
      }),
    settings: async () => {
      const out: Record<string, JsonValue> = {}
      for (const r of await all<{ key: string; value: string }>(
        pool,
        'SELECT key, value FROM aw_settings ORDER BY key COLLATE "C"',
      )) {
        out[r.key] = JSON.parse(r.value) as JsonValue
      }
      return out
    },
    setting: async (key) => {
      const r = await one<{ value: string }>(pool, 'SELECT value FROM aw_settings WHERE key = $1', [
        key,
      ])
      return r === undefined ? undefined : (JSON.parse(r.value) as JsonValue)
    },
    saveSetting: async (key, value) => {
      await pool.query(
        `INSERT INTO aw_settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [key, JSON.stringify(value)],
      )
    },
    deleteSetting: async (key) =>
      ((await pool.query('DELETE FROM aw_settings WHERE key = $1', [key])).rowCount ?? 0) === 1,
  }
}
