/**
 * The events of a batch being applied on the PostgreSQL store, held in memory between round
 * trips: the stored rows and tombstones the batch names, read in one query each, and the rows it
 * inserts or moves, written in one statement each when flushed. A server is a network away, so
 * a row at a time (as SQLite, in process, can afford) would make a hub's apply slow by the
 * number of its changes. Flushed before anything that reads events (AFK periods' evidence of
 * presence, heartbeat streams derived again) and at the end of the batch.
 */
import type { SyncBatch, SyncTombstone } from '../../domain/sync.ts'
import type { StoredEventRow } from '../sync-wire.ts'
import { type Tx, all } from './db.ts'
import { type EventRowValues, insertEventRows } from './writes.ts'
import { storedDuration } from '../sqlite/migrations/0004_devices_feed_rollups.ts'

/** A stored event as the batch leaves it; `dbSeq` is where the database holds it now. */
export interface HeldEvent extends StoredEventRow {
  source: string
  /** Its row's position in the database, or null while its insert is pending. */
  dbSeq: number | null
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export class EventBuffer {
  readonly #tx: Tx
  readonly #peer: number
  /** By id: the row held (stored or pending), absent when none. */
  readonly rows = new Map<string, HeldEvent>()
  /** By id: the tombstone held (wire form). */
  readonly tombs = new Map<string, SyncTombstone>()
  readonly #inserts = new Map<string, EventRowValues>()
  readonly #updates = new Map<string, EventRowValues & { oldSeq: number }>()
  readonly #lifted = new Set<string>()

  constructor(tx: Tx, peer: number) {
    this.#tx = tx
    this.#peer = peer
  }

  /** Reads the stored rows and tombstones of the batch's events. */
  async load(batch: SyncBatch): Promise<void> {
    const ids = [
      ...new Set(batch.changes.flatMap((c) => (c.kind === 'event' ? [c.id] : []))),
    ].filter((id) => UUID.test(id))
    if (ids.length === 0) return
    for (const r of await all<HeldEvent & { id: string }>(
      this.#tx.c,
      `SELECT seq, id, device_id, source, start_ms, end_ms, duration, version FROM events
       WHERE id = ANY($1::uuid[])`,
      [ids],
    )) {
      this.rows.set(r.id, { ...r, dbSeq: r.seq })
    }
    for (const r of await all<{
      id: string
      version: number | null
      uuid: string | null
      start_ms: number | null
    }>(
      this.#tx.c,
      `SELECT t.id, t.version, d.uuid, t.start_ms FROM tombstones t
       LEFT JOIN devices d ON d.id = t.device_id
       WHERE t.kind = 'event' AND t.id = ANY($1::text[])`,
      [ids],
    )) {
      this.tombs.set(r.id, {
        kind: 'event',
        op: 'delete',
        id: r.id,
        device: r.uuid,
        startMs: r.start_ms,
        version: r.version,
      })
    }
  }

  /** A new row (its tombstone, if any, lifted). */
  insert(row: EventRowValues & { source: string }): void {
    this.#inserts.set(row.id, row)
    if (this.tombs.delete(row.id)) this.#lifted.add(row.id)
    this.rows.set(row.id, {
      seq: row.seq,
      device_id: row.deviceId,
      source: row.source,
      start_ms: row.e.startMs,
      end_ms: row.e.endMs,
      duration: storedDuration(row.e.durationSec, row.e.startMs, row.e.endMs),
      version: row.version ?? null,
      dbSeq: null,
    })
  }

  /** A held row's new end, duration and version at feed position `seq`. */
  move(held: HeldEvent, row: EventRowValues): void {
    const id = row.id
    const pending = this.#inserts.get(id)
    if (pending) this.#inserts.set(id, { ...pending, ...row, e: { ...pending.e, ...row.e } })
    else this.#updates.set(id, { ...row, oldSeq: held.dbSeq as number })
    Object.assign(held, {
      seq: row.seq,
      end_ms: row.e.endMs,
      duration: storedDuration(row.e.durationSec, row.e.startMs, row.e.endMs),
      version: row.version ?? null,
    })
  }

  /** A held row deleted (its tombstone written by the caller). */
  drop(id: string, tomb: SyncTombstone): void {
    this.#inserts.delete(id)
    this.#updates.delete(id)
    this.rows.delete(id)
    const before = this.tombs.get(id)
    // As the tombstone row keeps them: a start and device once known stay known.
    this.tombs.set(id, {
      ...tomb,
      device: tomb.device ?? before?.device ?? null,
      startMs: tomb.startMs ?? before?.startMs ?? null,
    })
  }

  /** Writes what is pending; every held row is then in the database. */
  async flush(): Promise<void> {
    const { c } = this.#tx
    if (this.#lifted.size > 0) {
      await c.query("DELETE FROM tombstones WHERE kind = 'event' AND id = ANY($1::text[])", [
        [...this.#lifted],
      ])
      this.#lifted.clear()
    }
    await insertEventRows(this.#tx, [...this.#inserts.values()])
    for (const id of this.#inserts.keys()) {
      const held = this.rows.get(id)
      if (held) held.dbSeq = held.seq
    }
    this.#inserts.clear()
    if (this.#updates.size > 0) {
      const list = [...this.#updates.values()]
      await c.query(
        `UPDATE events e SET seq = v.seq, end_ms = v.end_ms, duration = v.duration,
           version = v.version, origin = $6
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::int[], $5::bigint[])
           AS v(old, seq, end_ms, duration, version)
         WHERE e.seq = v.old`,
        [
          list.map((u) => u.oldSeq),
          list.map((u) => u.seq),
          list.map((u) => u.e.endMs),
          list.map((u) => storedDuration(u.e.durationSec, u.e.startMs, u.e.endMs)),
          list.map((u) => u.version ?? null),
          this.#peer,
        ],
      )
      for (const [id, u] of this.#updates) {
        const held = this.rows.get(id)
        if (held) held.dbSeq = u.seq
      }
      this.#updates.clear()
    }
  }
}
