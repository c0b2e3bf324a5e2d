/**
 * Applying another daemon's batch: the part every kind shares, and events, AFK periods and input
 * (each change by `applyRemote`, the domain's rule, with the presence rules ingest applies).
 * `sync.ts` adds labels, screenshots, settings and device names, and applies whole batches.
 */
import { parse as uuidParse } from 'uuid'
import { type TombstoneKind, tombstoneChange } from '../../../domain/changes.ts'
import { afkEffectiveEnd, afkId as afkIdOf, spanSeconds } from '../../../domain/events.ts'
import { isPresence } from '../../../domain/presence.ts'
import { deviceNameCandidates } from '../../../domain/sync-hub.ts'
import {
  type SyncAfk,
  type SyncBatch,
  type SyncChange,
  type SyncEvent,
  type SyncInput,
  type SyncTombstone,
  applyRemote,
} from '../../../domain/sync.ts'
import { sourcePriorityOf } from '../../../domain/timeline.ts'
import type { Connection } from '../connection.ts'
import { storedDuration } from '../migrations/0004_devices_feed_rollups.ts'
import { readSettings } from '../rows.ts'
import { dirtyEnd, evidenceAfter } from './afk.ts'
import { EventRows } from './event-rows.ts'
import { forgetHeartbeats } from './heartbeats.ts'
import type { SettingWrite } from './settings.ts'
import { bury } from './tombstones.ts'
import type { DeviceTally, Tx } from './transaction.ts'
import {
  type StoredAfkRow,
  type StoredEventRow as Row,
  storedAfk,
  storedEvent,
} from '../../sync-wire.ts'

export interface DeviceRef {
  id: number
  uuid: string
  name: string
}

/** Sets a meta value. */
export function setMeta(c: Connection, key: string, value: number): void {
  c.run(
    'INSERT INTO meta (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    { k: key, v: value },
  )
}

/** A name no other device has (`deviceNameCandidates`: names are unique). */
export function freeName(c: Connection, name: string, uuid: string, self?: number): string {
  const taken = (n: string) => {
    const row = c.get<{ id: number }>('SELECT id FROM devices WHERE name = $n', { n })
    return row !== undefined && row.id !== self
  }
  let last = name
  for (const candidate of deviceNameCandidates(name, uuid)) {
    if (!taken(candidate)) return candidate
    last = candidate
  }
  return last
}

/** Applying one batch, the core every kind of change shares (`Application` adds the rest). */
export class ApplicationBase {
  protected readonly tx: Tx
  protected readonly batch: SyncBatch
  protected readonly receivedMs: number
  protected readonly devices = new Map<string, DeviceRef>()
  protected readonly created: number[] = []
  protected readonly renamed: number[] = []
  protected readonly tally: DeviceTally = new Map()
  protected readonly presence = new Map<number, number[]>()
  protected readonly afkSeqs: number[] = []
  protected readonly settings: SettingWrite[] = []
  protected readonly priority: (source: string) => number
  protected readonly rows: EventRows
  protected maxEnd = 0
  /** The sending daemon's device (`devices.id`): rows left as it sent them are marked with it. */
  peer = 0
  applied = 0

  constructor(tx: Tx, batch: SyncBatch, receivedMs: number) {
    this.tx = tx
    this.batch = batch
    this.receivedMs = receivedMs
    this.priority = sourcePriorityOf(readSettings(tx.c).sourcePriority)
    this.rows = new EventRows(tx.c)
  }

  /** The device with this id, created (with the batch's name for it) when not stored. */
  device(uuid: string): DeviceRef {
    const cached = this.devices.get(uuid)
    if (cached) return cached
    const { c } = this.tx
    let ref = c.get<DeviceRef>('SELECT id, uuid, name FROM devices WHERE uuid = $u', { u: uuid })
    if (!ref) {
      const name = freeName(c, this.batch.devices[uuid] ?? `device ${uuid.slice(0, 8)}`, uuid)
      ref = c.get<DeviceRef>(
        `INSERT INTO devices (uuid, name, own, created_ms, events, seq, version, origin)
         VALUES ($u, $n, 0, $now, 0, $seq, 0, $o) RETURNING id, uuid, name`,
        { u: uuid, n: name, now: this.receivedMs, seq: this.tx.nextSeq(), o: this.peer || null },
      )
      if (!ref) throw new Error('a device row inserted returned nothing')
      // The sender's own device (created before `peer` is known): received from it, like every
      // row the batch brings. Left unmarked it would count as this daemon's change, be pushed back
      // and, named apart here (`freeName`), win a tie on the hub by its name.
      if (this.peer === 0) c.run('UPDATE devices SET origin = id WHERE id = $id', { id: ref.id })
      this.created.push(ref.id)
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

  /** Writes the tombstone of a row not stored here (or moves a stored one to a later version). */
  protected tombstone(ch: SyncTombstone, device: number | null): void {
    const seq = this.tx.nextSeq()
    this.tx.c.run(
      `INSERT INTO tombstones (seq, kind, id, start_ms, device_id, version, origin)
       VALUES ($seq, $kind, $id, $s, $d, $v, $o)
       ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq,
         start_ms = coalesce(excluded.start_ms, start_ms), device_id = coalesce(excluded.device_id, device_id),
         version = excluded.version, origin = excluded.origin`,
      {
        seq,
        kind: ch.kind,
        id: Buffer.from(uuidParse(ch.id)),
        s: ch.startMs,
        d: device,
        v: ch.version,
        o: this.peer,
      },
    )
    // Screenshots' tombstones are written by `buryFrame`, never here.
    this.tx.changes.add(tombstoneChange(seq, ch.kind as TombstoneKind, ch.id))
    this.buried.set(ch.kind, true)
  }

  /** Kinds of row with tombstones stored (most databases have few or none: no probe then). */
  protected readonly buried = new Map<SyncTombstone['kind'], boolean>()

  /** The tombstone of a row, in the wire's form. */
  protected storedTombstone(
    kind: SyncTombstone['kind'],
    id: Uint8Array,
    text: string,
  ): SyncTombstone | undefined {
    let any = this.buried.get(kind)
    if (any === undefined) {
      any =
        this.tx.c.get('SELECT 1 AS x FROM tombstones WHERE kind = $k LIMIT 1', { k: kind }) !==
        undefined
      this.buried.set(kind, any)
    }
    if (!any) return undefined
    const row = this.tx.c.get<{
      version: number | null
      uuid: string | null
      start_ms: number | null
    }>(
      `SELECT t.version, d.uuid, t.start_ms FROM tombstones t
       LEFT JOIN devices d ON d.id = t.device_id WHERE t.kind = $k AND t.id = $id`,
      { k: kind, id },
    )
    if (!row) return undefined
    const label = kind === 'label'
    return {
      kind,
      op: 'delete',
      id: text,
      device: label ? null : row.uuid,
      startMs: label ? null : row.start_ms,
      version: row.version,
    }
  }

  event(ch: SyncEvent | SyncTombstone): void {
    const { c, dims, dirty } = this.tx
    const id = Buffer.from(uuidParse(ch.id))
    const device = ch.device === null ? undefined : this.device(ch.device)
    const startMs = ch.op === 'upsert' ? ch.startMs : ch.startMs
    // One probe of the start index (as ingest does); by id alone only for a tombstone that
    // does not say where its event started (one made before sync kept starts).
    const found = (
      startMs === null
        ? c.stmt(`SELECT ${STORED_EVENT} FROM events WHERE id = ?`).get(id)
        : c
            .stmt(`SELECT ${STORED_EVENT} FROM events WHERE start_ms = ? AND id = ?`)
            .get(startMs, id)
    ) as StoredEventRow | undefined
    const tomb = found ? undefined : this.storedTombstone('event', id, ch.id)
    let stored: SyncChange | undefined
    if (found) {
      const source = c.get<{ name: string }>('SELECT name FROM sources WHERE id = $id', {
        id: found.source_id,
      })?.name
      stored = storedEvent(ch, found, source ?? '')
    } else if (tomb) {
      stored = tomb
    }
    const next = applyRemote(stored, ch)
    if (next === undefined) return
    this.applied++
    this.tx.observe(ch.version)
    if (next.op === 'delete') {
      if (found) {
        bury(
          this.tx,
          'event',
          { seq: found.seq, id, startMs: found.start_ms, deviceId: found.device_id },
          ch.id,
          { version: ch.version, origin: this.peer },
        )
        this.buried.set('event', true)
        dirty.add(found.start_ms, found.end_ms)
        this.seen(found.device_id).added--
        // Derived from heartbeats this daemon holds: they must not derive it again.
        forgetHeartbeats(this.tx, [found])
      } else {
        this.tombstone(ch as SyncTombstone, device?.id ?? null)
      }
      return
    }
    const e = next as SyncEvent
    const dev = device as DeviceRef
    const seq = this.tx.nextSeq()
    const project = dims.project(e.project, e.projectPath, Math.floor(e.endMs / 1000))
    const entity = dims.entity(project, e.entity, e.entityType)
    if (found) {
      c.run(
        `UPDATE events SET seq = $seq, end_ms = $end, duration = $dur, version = $v, origin = $o
         WHERE seq = $old`,
        { seq, end: e.endMs, dur: e.durationSec, v: e.version, o: this.peer, old: found.seq },
      )
      dirty.add(Math.min(found.end_ms, e.endMs), Math.max(found.end_ms, e.endMs))
    } else {
      this.rows.insert(
        seq,
        id,
        dev.id,
        e.startMs,
        e.endMs,
        storedDuration(e.durationSec, e.startMs, e.endMs),
        dims.named('categories', e.category),
        dims.named('apps', e.app),
        entity,
        project,
        e.branch === null ? null : dims.branch(project, e.branch),
        e.language === null ? null : dims.named('languages', e.language),
        dims.named('sources', e.source),
        e.version,
        this.peer,
      )
      if (tomb) c.run("DELETE FROM tombstones WHERE kind = 'event' AND id = $id", { id })
      dirty.add(e.startMs, e.endMs)
      this.seen(dev.id).added++
      if (isPresence(this.priority(e.source))) this.present(dev.id, e.startMs)
    }
    const seen = this.seen(dev.id)
    seen.lastSeen = Math.max(seen.lastSeen, e.endMs)
    this.maxEnd = Math.max(this.maxEnd, e.endMs)
    this.tx.changes.add({
      seq,
      kind: 'event',
      op: 'upsert',
      event: {
        id: e.id,
        device: dev.name,
        startMs: e.startMs,
        endMs: e.endMs,
        durationSec: e.durationSec ?? spanSeconds(e.startMs, e.endMs),
        category: e.category,
        app: e.app,
        entity: e.entity,
        entityType: dims.extra('entity', entity),
        project: e.project,
        projectPath: dims.extra('project', project),
        branch: e.branch,
        language: e.language,
        source: e.source,
      },
    })
  }

  afk(ch: SyncAfk | SyncTombstone): void {
    const { c, dirty } = this.tx
    const id = Buffer.from(uuidParse(ch.id))
    const device = ch.device === null ? undefined : this.device(ch.device)
    const found =
      device === undefined || (ch.op === 'delete' && ch.startMs === null)
        ? c
            .all<StoredAfkRow & { uuid: string }>(
              `SELECT a.seq, a.device_id, a.start_ms, a.end_ms, a.inferred_end_ms, a.duration, d.uuid
             FROM afk_periods a JOIN devices d ON d.id = a.device_id`,
            )
            .find((r) => afkIdOf(r.uuid, r.start_ms) === ch.id)
        : c.get<StoredAfkRow>(
            `SELECT seq, device_id, start_ms, end_ms, inferred_end_ms, duration FROM afk_periods
             WHERE device_id = $d AND start_ms = $s`,
            { d: device.id, s: ch.op === 'upsert' ? ch.startMs : ch.startMs },
          )
    const tomb = found ? undefined : this.storedTombstone('afk', id, ch.id)
    const stored: SyncChange | undefined = found ? storedAfk(ch, found) : tomb
    const next = applyRemote(stored, ch)
    if (next === undefined) return
    this.applied++
    if (next.op === 'delete') {
      if (found) {
        bury(
          this.tx,
          'afk',
          { seq: found.seq, id, startMs: found.start_ms, deviceId: found.device_id },
          ch.id,
          { version: (ch as SyncTombstone).version, origin: this.peer },
        )
        this.buried.set('afk', true)
        const end = afkEffectiveEnd({ endMs: found.end_ms, inferredEndMs: found.inferred_end_ms })
        dirty.add(found.start_ms, dirtyEnd(c, found.start_ms, end))
      } else {
        this.tombstone(ch as SyncTombstone, device?.id ?? null)
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
      const local = evidenceAfter(c, dev.id, p.startMs)
      if (local !== null && (inferred === null || local < inferred)) {
        inferred = local
        origin = null
      }
    }
    const seq = this.tx.nextSeq()
    const before = found
      ? afkEffectiveEnd({ endMs: found.end_ms, inferredEndMs: found.inferred_end_ms })
      : undefined
    if (found) {
      c.run(
        `UPDATE afk_periods SET seq = $seq, end_ms = $e, inferred_end_ms = $i, duration = $dur,
           origin = $o, source = coalesce(source, $src) WHERE seq = $old`,
        {
          seq,
          e: p.endMs,
          i: inferred,
          dur: p.durationSec,
          o: origin,
          src: p.source ?? null,
          old: found.seq,
        },
      )
    } else {
      c.run(
        `INSERT INTO afk_periods
           (seq, device_id, start_ms, end_ms, inferred_end_ms, duration, origin, source)
         VALUES ($seq, $d, $s, $e, $i, $dur, $o, $src)`,
        {
          seq,
          d: dev.id,
          s: p.startMs,
          e: p.endMs,
          i: inferred,
          dur: p.durationSec,
          o: origin,
          src: p.source ?? null,
        },
      )
      if (tomb) c.run("DELETE FROM tombstones WHERE kind = 'afk' AND id = $id", { id })
    }
    const after = afkEffectiveEnd({ endMs: p.endMs, inferredEndMs: inferred })
    const from = before === undefined ? p.startMs : Math.min(before, after)
    dirty.add(from, dirtyEnd(c, from, before === undefined ? after : Math.max(before, after)))
    this.afkSeqs.push(seq)
  }

  input(ch: SyncInput): void {
    const { c } = this.tx
    const dev = this.device(ch.device)
    const found = c.get<Omit<SyncInput, 'kind' | 'op' | 'device' | 'bucketMs' | 'source'>>(
      `SELECT lc, rc, mc, kp, mm, scroll FROM input_activity
       WHERE bucket_ms = $b AND device_id = $d AND source = $s`,
      { b: ch.bucketMs, d: dev.id, s: ch.source },
    )
    const next = applyRemote(found && { ...ch, ...found }, ch) as SyncInput | undefined
    if (next === undefined) return
    this.applied++
    c.run(
      `INSERT INTO input_activity (bucket_ms, device_id, source, lc, rc, mc, kp, mm, scroll, seq, origin)
       VALUES ($b, $d, $s, $lc, $rc, $mc, $kp, $mm, $scroll, $seq, $o)
       ON CONFLICT (bucket_ms, device_id, source) DO UPDATE SET lc = excluded.lc, rc = excluded.rc,
         mc = excluded.mc, kp = excluded.kp, mm = excluded.mm, scroll = excluded.scroll,
         seq = excluded.seq, origin = excluded.origin`,
      {
        b: next.bucketMs,
        d: dev.id,
        s: next.source,
        lc: next.lc,
        rc: next.rc,
        mc: next.mc,
        kp: next.kp,
        mm: next.mm,
        scroll: next.scroll,
        seq: this.tx.nextSeq(),
        o: this.peer,
      },
    )
    if (!found) this.present(dev.id, ch.bucketMs)
    const seen = this.seen(dev.id)
    seen.lastSeen = Math.max(seen.lastSeen, ch.bucketMs + 300_000)
  }
}

const STORED_EVENT = 'seq, device_id, source_id, start_ms, end_ms, duration, version'

type StoredEventRow = Row & { source_id: number }
