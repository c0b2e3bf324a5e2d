/**
 * Applying another daemon's batch on the PostgreSQL store, in one write transaction with the
 * cursor it moves: each change by the domain's `applyRemote` (what wins), with the arrival and
 * presence rules ingest applies, as the SQLite store does. A batch's events are read and written
 * a batch at a time (`sync-events.ts`); labels, settings, device names and screenshots' index
 * rows are in `sync-rows.ts`.
 */
import { type Change, tombstoneChange } from '../../domain/changes.ts'
import { afkId as afkIdOf } from '../../domain/events.ts'
import { isPresence } from '../../domain/presence.ts'
import { deviceNameCandidates } from '../../domain/sync-hub.ts'
import {
  type SyncAfk,
  type SyncBatch,
  type SyncChange,
  type SyncEvent,
  type SyncInput,
  type SyncTombstone,
  applyRemote,
} from '../../domain/sync.ts'
import { sourcePriorityOf } from '../../domain/timeline.ts'
import type { SyncCursor } from '../ports.ts'
import { observe } from './clock.ts'
import { type DeviceRef, type Queryable, type Tx, all, one } from './db.ts'
import { forgetHeartbeats } from './heartbeats.ts'
import {
  type DeviceTally,
  type NamedThings,
  afkChanges,
  bury,
  deviceChanges,
  endOpenPeriods,
  ensureEventNames,
  eventChanges,
  finishChanges,
  raiseMaxEnd,
  readSettings,
  updateDevices,
} from './records.ts'
import { setMeta } from './sync-clients.ts'
import { type StoredAfkRow, storedAfk, storedEvent } from '../sync-wire.ts'
import { EventBuffer } from './sync-events.ts'
import { evidenceAfter } from './writes.ts'
import { type SettingWrite, writeSettings } from './writes-user.ts'

/** A name no other device has (`deviceNameCandidates`: names are unique). */
export async function freeName(
  q: Queryable,
  name: string,
  uuid: string,
  self?: number,
): Promise<string> {
  let last = name
  for (const candidate of deviceNameCandidates(name, uuid)) {
    const row = await one<{ id: number }>(q, 'SELECT id FROM devices WHERE name = $1', [candidate])
    if (row === undefined || row.id === self) return candidate
    last = candidate
  }
  return last
}

/** Applying one batch: the part every kind shares, events, AFK periods and input. */
export class ApplicationBase {
  protected readonly tx: Tx
  protected readonly batch: SyncBatch
  protected readonly receivedMs: number
  protected readonly devices = new Map<string, DeviceRef>()
  protected readonly renamed: number[] = []
  protected readonly tally: DeviceTally = new Map()
  protected readonly presence = new Map<number, number[]>()
  protected readonly afkSeqs: number[] = []
  protected readonly eventSeqs: number[] = []
  protected readonly named: NamedThings[] = []
  protected readonly settings: SettingWrite[] = []
  protected readonly changes: Change[] = []
  protected priority: (source: string) => number = () => 0
  protected maxEnd = 0
  /** The sending daemon's device (`devices.id`): rows left as it sent them are marked with it. */
  peer = 0
  applied = 0
  /** The batch's events, held between round trips (set by `start`). */
  protected events!: EventBuffer

  constructor(tx: Tx, batch: SyncBatch, receivedMs: number) {
    this.tx = tx
    this.batch = batch
    this.receivedMs = receivedMs
  }

  async start(peer: string): Promise<void> {
    this.priority = sourcePriorityOf((await readSettings(this.tx.c)).sourcePriority)
    this.peer = (await this.device(peer)).id
    this.events = new EventBuffer(this.tx, this.peer)
    await this.events.load(this.batch)
  }

  /** The device with this id, created (with the batch's name for it) when not stored. */
  async device(uuid: string): Promise<DeviceRef> {
    const cached = this.devices.get(uuid)
    if (cached) return cached
    const { c } = this.tx
    let ref = await one<DeviceRef>(c, 'SELECT id, uuid, name FROM devices WHERE uuid = $1', [uuid])
    if (!ref) {
      const name = await freeName(c, this.batch.devices[uuid] ?? `device ${uuid.slice(0, 8)}`, uuid)
      ref = await one<DeviceRef>(
        c,
        `INSERT INTO devices (uuid, name, own, created_ms, events, seq, version, origin)
         VALUES ($1, $2, false, $3, 0, $4, 0, $5) RETURNING id, uuid, name`,
        [uuid, name, this.receivedMs, this.tx.nextSeq(), this.peer || null],
      )
      if (!ref) throw new Error('a device row inserted returned nothing')
      // The sender's own device (created before `peer` is known): received from it, like every
      // row the batch brings, never this daemon's change to send back.
      if (this.peer === 0) await c.query('UPDATE devices SET origin = id WHERE id = $1', [ref.id])
      this.tx.createdDevices.push(ref.id)
    }
    this.devices.set(uuid, ref)
    return ref
  }

  protected seen(device: number): { added: number; lastSeen: number } {
    let t = this.tally.get(device)
    if (!t) this.tally.set(device, (t = { added: 0, lastSeen: 0 }))
    return t
  }

  protected present(device: number, atMs: number): void {
    const times = this.presence.get(device)
    if (times) times.push(atMs)
    else this.presence.set(device, [atMs])
  }

  /** Kinds of row with tombstones stored (most diaries have few or none: no probe then). */
  protected readonly buried = new Map<SyncTombstone['kind'], boolean>()

  /** Writes the tombstone of a row not stored here (or moves a stored one to a later version). */
  protected async tombstone(ch: SyncTombstone, device: number | null): Promise<void> {
    const seq = this.tx.nextSeq()
    await this.tx.c.query(
      `INSERT INTO tombstones (seq, kind, id, start_ms, device_id, version, origin)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq,
         start_ms = coalesce(excluded.start_ms, tombstones.start_ms),
         device_id = coalesce(excluded.device_id, tombstones.device_id),
         version = excluded.version, origin = excluded.origin`,
      [seq, ch.kind, ch.id, ch.startMs, device, ch.version, this.peer],
    )
    // Screenshots are in no feed but sync's.
    if (ch.kind !== 'screenshot') {
      this.changes.push(tombstoneChange(seq, ch.kind, ch.id))
    }
    this.buried.set(ch.kind, true)
  }

  /** The tombstone of a row, in the wire's form. */
  protected async storedTombstone(
    kind: SyncTombstone['kind'],
    id: string,
  ): Promise<SyncTombstone | undefined> {
    let any = this.buried.get(kind)
    if (any === undefined) {
      any =
        (await one(this.tx.c, 'SELECT 1 FROM tombstones WHERE kind = $1 LIMIT 1', [kind])) !==
        undefined
      this.buried.set(kind, any)
    }
    if (!any) return undefined
    const row = await one<{ version: number | null; uuid: string | null; start_ms: number | null }>(
      this.tx.c,
      `SELECT t.version, d.uuid, t.start_ms FROM tombstones t
       LEFT JOIN devices d ON d.id = t.device_id WHERE t.kind = $1 AND t.id = $2`,
      [kind, id],
    )
    if (!row) return undefined
    const label = kind === 'label'
    return {
      kind,
      op: 'delete',
      id,
      device: label ? null : row.uuid,
      startMs: label ? null : row.start_ms,
      version: row.version,
    }
  }

  async event(ch: SyncEvent | SyncTombstone): Promise<void> {
    const events = this.events
    const device = ch.device === null ? undefined : await this.device(ch.device)
    const found = events.rows.get(ch.id)
    const tomb = found ? undefined : events.tombs.get(ch.id)
    const stored: SyncChange | undefined = found ? storedEvent(ch, found, found.source) : tomb
    const next = applyRemote(stored, ch)
    if (next === undefined) return
    this.applied++
    await observe(this.tx, ch.version)
    if (next.op === 'delete') {
      const t = next
      if (found) {
        // Written out first: the tombstone replaces the row where the database holds it.
        await events.flush()
        const row = {
          seq: found.dbSeq as number,
          id: ch.id,
          startMs: found.start_ms,
          deviceId: found.device_id,
        }
        this.changes.push(
          await bury(this.tx, 'event', row, { version: t.version, origin: this.peer }),
        )
        this.buried.set('event', true)
        this.seen(found.device_id).added--
        events.drop(ch.id, { ...t, startMs: found.start_ms, device: device?.uuid ?? t.device })
        // Derived from heartbeats this daemon holds: they must not derive it again.
        this.changes.push(...(await forgetHeartbeats(this.tx, [found])))
      } else {
        await this.tombstone(t, device?.id ?? null)
        events.drop(ch.id, t)
      }
      return
    }
    const e = next as SyncEvent
    const dev = device as DeviceRef
    const seq = this.tx.nextSeq()
    this.named.push(e)
    const row = { seq, id: e.id, deviceId: dev.id, e, version: e.version, origin: this.peer }
    if (found) {
      events.move(found, row)
    } else {
      events.insert({ ...row, source: e.source })
      this.seen(dev.id).added++
      if (isPresence(this.priority(e.source))) this.present(dev.id, e.startMs)
    }
    const seen = this.seen(dev.id)
    seen.lastSeen = Math.max(seen.lastSeen, e.endMs)
    this.maxEnd = Math.max(this.maxEnd, e.endMs)
    this.eventSeqs.push(seq)
  }

  async afk(ch: SyncAfk | SyncTombstone): Promise<void> {
    const { c } = this.tx
    // An open period's end reads the events stored before it.
    await this.events.flush()
    const device = ch.device === null ? undefined : await this.device(ch.device)
    const found =
      device === undefined || ch.startMs === null
        ? (
            await all<StoredAfkRow & { uuid: string }>(
              c,
              `SELECT a.seq, a.device_id, a.start_ms, a.end_ms, a.inferred_end_ms, a.duration,
                      d.uuid
               FROM afk_periods a JOIN devices d ON d.id = a.device_id`,
            )
          ).find((r) => afkIdOf(r.uuid, r.start_ms) === ch.id)
        : await one<StoredAfkRow>(
            c,
            `SELECT seq, device_id, start_ms, end_ms, inferred_end_ms, duration FROM afk_periods
             WHERE device_id = $1 AND start_ms = $2`,
            [device.id, ch.startMs],
          )
    const tomb = found ? undefined : await this.storedTombstone('afk', ch.id)
    const stored: SyncChange | undefined = found ? storedAfk(ch, found) : tomb
    const next = applyRemote(stored, ch)
    if (next === undefined) return
    this.applied++
    if (next.op === 'delete') {
      if (found) {
        const row = {
          seq: found.seq,
          id: ch.id,
          startMs: found.start_ms,
          deviceId: found.device_id,
        }
        const version = (ch as SyncTombstone).version
        this.changes.push(await bury(this.tx, 'afk', row, { version, origin: this.peer }))
        this.buried.set('afk', true)
      } else {
        await this.tombstone(ch as SyncTombstone, device?.id ?? null)
      }
      return
    }
    const p = next as SyncAfk
    const dev = device as DeviceRef
    // An open period ends at the first presence on its device this daemon knows of, too: when
    // that is earlier than the sender's, the row is this daemon's to send on.
    let inferred = p.endMs === null ? p.inferredEndMs : null
    let origin: number | null = this.peer
    if (p.endMs === null) {
      const local = await evidenceAfter(this.tx, dev.id, p.startMs)
      if (local !== null && (inferred === null || local < inferred)) {
        inferred = local
        origin = null
      }
    }
    const seq = this.tx.nextSeq()
    if (found) {
      await c.query(
        `UPDATE afk_periods SET seq = $1, end_ms = $2, inferred_end_ms = $3, duration = $4,
           origin = $5, source = coalesce(source, $6) WHERE seq = $7`,
        [seq, p.endMs, inferred, p.durationSec, origin, p.source ?? null, found.seq],
      )
    } else {
      await c.query(
        `INSERT INTO afk_periods
           (seq, device_id, start_ms, end_ms, inferred_end_ms, duration, origin, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [seq, dev.id, p.startMs, p.endMs, inferred, p.durationSec, origin, p.source ?? null],
      )
      if (tomb) await c.query("DELETE FROM tombstones WHERE kind = 'afk' AND id = $1", [ch.id])
    }
    this.afkSeqs.push(seq)
  }

  async input(ch: SyncInput): Promise<void> {
    const dev = await this.device(ch.device)
    const found = await one<Omit<SyncInput, 'kind' | 'op' | 'device' | 'bucketMs' | 'source'>>(
      this.tx.c,
      `SELECT lc, rc, mc, kp, mm, scroll FROM input_activity
       WHERE bucket_ms = $1 AND device_id = $2 AND source = $3`,
      [ch.bucketMs, dev.id, ch.source],
    )
    const next = applyRemote(found && { ...ch, ...found }, ch) as SyncInput | undefined
    if (next === undefined) return
    this.applied++
    await this.tx.c.query(
      `INSERT INTO input_activity (bucket_ms, device_id, source, lc, rc, mc, kp, mm, scroll, seq, origin)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (bucket_ms, device_id, source) DO UPDATE SET lc = excluded.lc, rc = excluded.rc,
         mc = excluded.mc, kp = excluded.kp, mm = excluded.mm, scroll = excluded.scroll,
         seq = excluded.seq, origin = excluded.origin`,
      [
        next.bucketMs,
        dev.id,
        next.source,
        next.lc,
        next.rc,
        next.mc,
        next.kp,
        next.mm,
        next.scroll,
        this.tx.nextSeq(),
        this.peer,
      ],
    )
    if (!found) this.present(dev.id, ch.bucketMs)
    const seen = this.seen(dev.id)
    seen.lastSeen = Math.max(seen.lastSeen, ch.bucketMs + 300_000)
  }

  /** What the batch changed beyond its rows, and the cursor; its feed entries. */
  async finish(cursor: SyncCursor): Promise<Change[]> {
    const { tx } = this
    await this.events.flush()
    await ensureEventNames(tx, this.named)
    await updateDevices(tx, this.tally)
    await raiseMaxEnd(tx, this.maxEnd)
    const changes = [...this.changes, ...(await writeSettings(tx, this.settings))]
    changes.push(...(await endOpenPeriods(tx, this.presence)))
    changes.push(...(await afkChanges(tx.c, this.afkSeqs)))
    changes.push(...(await eventChanges(tx.c, this.eventSeqs)))
    const renamed = [...new Set(this.renamed)].filter((d) => !tx.createdDevices.includes(d))
    if (renamed.length > 0) changes.push(...(await deviceChanges(tx.c, renamed)))
    if ('pushed' in cursor) {
      await tx.c.query(
        'UPDATE sync_clients SET pushed_seq = $1, epoch = $2, last_seen_ms = $3 WHERE id = $4',
        [cursor.pushed.seq, cursor.pushed.epoch, this.receivedMs, cursor.pushed.client],
      )
    } else {
      await setMeta(tx.c, 'sync_pulled', cursor.pulled.seq)
      await setMeta(tx.c, 'sync_pulled_epoch', cursor.pulled.epoch)
    }
    return finishChanges(tx, changes)
  }
}
