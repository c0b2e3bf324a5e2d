/**
 * Sync's writes: applying another daemon's changes (each by `applyRemote`, the domain's rule, and
 * the presence rules ingest applies), the cursors that move with them, and a hub's pairing codes
 * and paired devices.
 */
import { parse as uuidParse } from 'uuid'
import type { Change } from '../../../domain/changes.ts'
import { type TombstoneKind, tombstoneChange } from '../../../domain/changes.ts'
import { afkEffectiveEnd, afkId as afkIdOf, frameId, spanSeconds } from '../../../domain/events.ts'
import type { Label } from '../../../domain/labels.ts'
import { isPresence } from '../../../domain/presence.ts'
import { parseFramePath } from '../../../domain/screenshots.ts'
import {
  type SyncAfk,
  type SyncBatch,
  type SyncChange,
  type SyncDevice,
  type SyncEvent,
  type SyncInput,
  type SyncLabel,
  type SyncScreenshot,
  type SyncSetting,
  type SyncTombstone,
  applyRemote,
} from '../../../domain/sync.ts'
import { sourcePriorityOf } from '../../../domain/timeline.ts'
import type { PairingRefusal, SyncClientRow, SyncCursor } from '../../ports.ts'
import type { Connection } from '../connection.ts'
import { storedDuration } from '../migrations/0004_devices_feed_rollups.ts'
import { deviceChanges } from '../records.ts'
import { readSettings } from '../rows.ts'
import {
  FRAME_RECORD,
  type FrameRecord,
  buryFrame,
  insertFrame,
  toSyncScreenshot,
} from '../screenshots.ts'
import { syncClients } from '../sync.ts'
import { afkChanges, dirtyEnd, endOpenPeriods, evidenceAfter } from './afk.ts'
import { EventRows } from './event-rows.ts'
import { forgetHeartbeats } from './heartbeats.ts'
import { type SettingWrite, writeSettings } from './settings.ts'
import { bury } from './tombstones.ts'
import { type DeviceTally, type Tx, raiseMaxEnd, updateDevices } from './transaction.ts'

interface DeviceRef {
  id: number
  uuid: string
  name: string
}

/** Sets a meta value. */
function setMeta(c: Connection, key: string, value: number): void {
  c.run(
    'INSERT INTO meta (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    { k: key, v: value },
  )
}

/** A name no other device has: `name`, else `name (1a2b3c4d)`, … (names are unique). */
function freeName(c: Connection, name: string, uuid: string, self?: number): string {
  const taken = (n: string) => {
    const row = c.get<{ id: number }>('SELECT id FROM devices WHERE name = $n', { n })
    return row !== undefined && row.id !== self
  }
  if (!taken(name)) return name
  for (let length = 8; length <= uuid.length; length += 4) {
    const candidate = `${name} (${uuid.slice(0, length)})`
    if (!taken(candidate)) return candidate
  }
  return `${name} (${uuid})`
}

/** Applying one batch: the rows it changed, what it tallied, and where it came from. */
class Application {
  readonly #tx: Tx
  readonly #batch: SyncBatch
  readonly #receivedMs: number
  readonly #devices = new Map<string, DeviceRef>()
  readonly #created: number[] = []
  readonly #renamed: number[] = []
  readonly #tally: DeviceTally = new Map()
  readonly #presence = new Map<number, number[]>()
  readonly #afkSeqs: number[] = []
  readonly #settings: SettingWrite[] = []
  readonly #priority: (source: string) => number
  readonly #rows: EventRows
  #maxEnd = 0
  /** The sending daemon's device (`devices.id`): rows left as it sent them are marked with it. */
  peer = 0
  applied = 0

  constructor(tx: Tx, batch: SyncBatch, receivedMs: number) {
    this.#tx = tx
    this.#batch = batch
    this.#receivedMs = receivedMs
    this.#priority = sourcePriorityOf(readSettings(tx.c).sourcePriority)
    this.#rows = new EventRows(tx.c)
  }

  /** The device with this id, created (with the batch's name for it) when not stored. */
  device(uuid: string): DeviceRef {
    const cached = this.#devices.get(uuid)
    if (cached) return cached
    const { c } = this.#tx
    let ref = c.get<DeviceRef>('SELECT id, uuid, name FROM devices WHERE uuid = $u', { u: uuid })
    if (!ref) {
      const name = freeName(c, this.#batch.devices[uuid] ?? `device ${uuid.slice(0, 8)}`, uuid)
      ref = c.get<DeviceRef>(
        `INSERT INTO devices (uuid, name, own, created_ms, events, seq, version, origin)
         VALUES ($u, $n, 0, $now, 0, $seq, 0, $o) RETURNING id, uuid, name`,
        { u: uuid, n: name, now: this.#receivedMs, seq: this.#tx.nextSeq(), o: this.peer || null },
      )
      if (!ref) throw new Error('a device row inserted returned nothing')
      // The sender's own device (created before `peer` is known): received from it, like every
      // row the batch brings. Left unmarked it would count as this daemon's change, be pushed back
      // and, named apart here (`freeName`), win a tie on the hub by its name.
      if (this.peer === 0) c.run('UPDATE devices SET origin = id WHERE id = $id', { id: ref.id })
      this.#created.push(ref.id)
    }
    this.#devices.set(uuid, ref)
    return ref
  }

  #seen(device: number): { added: number; lastSeen: number } {
    let t = this.#tally.get(device)
    if (!t) this.#tally.set(device, (t = { added: 0, lastSeen: 0 }))
    return t
  }

  #present(device: number, atMs: number): void {
    const times = this.#presence.get(device)
    if (times) times.push(atMs)
    else this.#presence.set(device, [atMs])
  }

  /** Writes the tombstone of a row not stored here (or moves a stored one to a later version). */
  #tombstone(ch: SyncTombstone, device: number | null): void {
    const seq = this.#tx.nextSeq()
    this.#tx.c.run(
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
    this.#tx.changes.add(tombstoneChange(seq, ch.kind as TombstoneKind, ch.id))
    this.#buried.set(ch.kind, true)
  }

  /** Kinds of row with tombstones stored (most databases have few or none: no probe then). */
  readonly #buried = new Map<SyncTombstone['kind'], boolean>()

  /** The tombstone of a row, in the wire's form. */
  #storedTombstone(
    kind: SyncTombstone['kind'],
    id: Uint8Array,
    text: string,
  ): SyncTombstone | undefined {
    let any = this.#buried.get(kind)
    if (any === undefined) {
      any =
        this.#tx.c.get('SELECT 1 AS x FROM tombstones WHERE kind = $k LIMIT 1', { k: kind }) !==
        undefined
      this.#buried.set(kind, any)
    }
    if (!any) return undefined
    const row = this.#tx.c.get<{
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
    const { c, dims, dirty } = this.#tx
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
    const tomb = found ? undefined : this.#storedTombstone('event', id, ch.id)
    let stored: SyncChange | undefined
    if (found) {
      const source = c.get<{ name: string }>('SELECT name FROM sources WHERE id = $id', {
        id: found.source_id,
      })?.name
      stored = {
        ...(ch.op === 'upsert' ? ch : PLACEHOLDER_EVENT),
        source: ch.op === 'upsert' ? ch.source : (source ?? ''),
        endMs: found.end_ms,
        durationSec: found.duration,
        version: found.version,
      }
    } else if (tomb) {
      stored = tomb
    }
    const next = applyRemote(stored, ch)
    if (next === undefined) return
    this.applied++
    this.#tx.observe(ch.version)
    if (next.op === 'delete') {
      if (found) {
        bury(
          this.#tx,
          'event',
          { seq: found.seq, id, startMs: found.start_ms, deviceId: found.device_id },
          ch.id,
          { version: ch.version, origin: this.peer },
        )
        this.#buried.set('event', true)
        dirty.add(found.start_ms, found.end_ms)
        this.#seen(found.device_id).added--
        // Derived from heartbeats this daemon holds: they must not derive it again.
        forgetHeartbeats(this.#tx, [found])
      } else {
        this.#tombstone(ch as SyncTombstone, device?.id ?? null)
      }
      return
    }
    const e = next as SyncEvent
    const dev = device as DeviceRef
    const seq = this.#tx.nextSeq()
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
      this.#rows.insert(
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
      this.#seen(dev.id).added++
      if (isPresence(this.#priority(e.source))) this.#present(dev.id, e.startMs)
    }
    const seen = this.#seen(dev.id)
    seen.lastSeen = Math.max(seen.lastSeen, e.endMs)
    this.#maxEnd = Math.max(this.#maxEnd, e.endMs)
    this.#tx.changes.add({
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
    const { c, dirty } = this.#tx
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
    const tomb = found ? undefined : this.#storedTombstone('afk', id, ch.id)
    const stored: SyncChange | undefined = found
      ? {
          kind: 'afk',
          op: 'upsert',
          id: ch.id,
          device: ch.device ?? '',
          startMs: found.start_ms,
          endMs: found.end_ms,
          inferredEndMs: found.end_ms === null ? found.inferred_end_ms : null,
          durationSec: found.duration,
        }
      : tomb
        ? tomb
        : undefined
    const next = applyRemote(stored, ch)
    if (next === undefined) return
    this.applied++
    if (next.op === 'delete') {
      if (found) {
        bury(
          this.#tx,
          'afk',
          { seq: found.seq, id, startMs: found.start_ms, deviceId: found.device_id },
          ch.id,
          { version: (ch as SyncTombstone).version, origin: this.peer },
        )
        this.#buried.set('afk', true)
        const end = afkEffectiveEnd({ endMs: found.end_ms, inferredEndMs: found.inferred_end_ms })
        dirty.add(found.start_ms, dirtyEnd(c, found.start_ms, end))
      } else {
        this.#tombstone(ch as SyncTombstone, device?.id ?? null)
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
    const seq = this.#tx.nextSeq()
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
    this.#afkSeqs.push(seq)
  }

  input(ch: SyncInput): void {
    const { c } = this.#tx
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
        seq: this.#tx.nextSeq(),
        o: this.peer,
      },
    )
    if (!found) this.#present(dev.id, ch.bucketMs)
    const seen = this.#seen(dev.id)
    seen.lastSeen = Math.max(seen.lastSeen, ch.bucketMs + 300_000)
  }

  label(ch: SyncLabel | SyncTombstone): void {
    const { c } = this.#tx
    const id = Buffer.from(uuidParse(ch.id))
    const found = c.get<StoredLabelRow>(
      `SELECT seq, id, text, context, start_ms, end_ms, created_ms, updated_ms, version
       FROM labels WHERE id = $id`,
      { id: ch.id },
    )
    const tomb = found ? undefined : this.#storedTombstone('label', id, ch.id)
    const stored: SyncChange | undefined = found
      ? {
          kind: 'label',
          op: 'upsert',
          id: found.id,
          text: found.text,
          context: found.context,
          startMs: found.start_ms,
          endMs: found.end_ms,
          createdMs: found.created_ms,
          updatedMs: found.updated_ms,
          version: found.version,
        }
      : tomb
        ? tomb
        : undefined
    const next = applyRemote(stored, ch)
    if (next === undefined) return
    this.applied++
    if (next.op === 'delete') {
      if (found) {
        bury(this.#tx, 'label', { seq: found.seq, id, startMs: found.start_ms }, ch.id, {
          version: ch.version,
          origin: this.peer,
        })
        this.#buried.set('label', true)
      } else {
        this.#tombstone(ch as SyncTombstone, null)
      }
      return
    }
    const l = next as SyncLabel
    this.#tx.observe(l.version)
    const seq = this.#tx.nextSeq()
    c.run(
      `INSERT INTO labels (seq, id, text, context, start_ms, end_ms, created_ms, updated_ms, version, origin)
       VALUES ($seq, $id, $text, $context, $start, $end, $created, $updated, $v, $o)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, text = excluded.text,
         context = excluded.context, start_ms = excluded.start_ms, end_ms = excluded.end_ms,
         created_ms = excluded.created_ms, updated_ms = excluded.updated_ms,
         version = excluded.version, origin = excluded.origin`,
      {
        seq,
        id: l.id,
        text: l.text,
        context: l.context,
        start: l.startMs,
        end: l.endMs,
        created: l.createdMs,
        updated: l.updatedMs,
        v: l.version,
        o: this.peer,
      },
    )
    const label: Label = {
      id: l.id,
      text: l.text,
      context: l.context,
      startMs: l.startMs,
      endMs: l.endMs,
      createdMs: l.createdMs,
      updatedMs: l.updatedMs,
    }
    this.#tx.changes.add({ seq, kind: 'label', op: 'upsert', label, created: !found })
  }

  /**
   * A screenshot's index row (never its image). A frame taken here that another daemon deleted
   * leaves its file's name in `screenshot_unlinks`, for the screenshot service to delete.
   */
  screenshot(ch: SyncScreenshot | SyncTombstone): void {
    const { c } = this.#tx
    const id = Buffer.from(uuidParse(ch.id))
    const device = ch.device === null ? undefined : this.device(ch.device)
    const found =
      ch.op === 'upsert'
        ? c.get<FrameRecord>(
            `SELECT ${FRAME_RECORD} FROM screenshots WHERE device_id = $d AND filename = $f`,
            { d: (device as DeviceRef).id, f: ch.filename },
          )
        : // A tombstone names no file: its frame is found by time (one probe of the time
          // index), then by id; by id alone only for one that does not say when (none made here).
          c
            .all<FrameRecord>(
              ch.startMs === null
                ? `SELECT ${FRAME_RECORD} FROM screenshots`
                : `SELECT ${FRAME_RECORD} FROM screenshots WHERE at_ms = $s`,
              ch.startMs === null ? {} : { s: ch.startMs },
            )
            .find((r) => frameId(r.uuid, r.filename) === ch.id)
    const tomb = found ? undefined : this.#storedTombstone('screenshot', id, ch.id)
    const stored: SyncChange | undefined = found ? toSyncScreenshot(found) : tomb
    const next = applyRemote(stored, ch)
    if (next === undefined) return
    this.applied++
    this.#tx.observe(ch.op === 'delete' ? ch.version : null)
    if (found) {
      c.run('DELETE FROM screenshots WHERE id = $id', { id: found.id })
      if (found.origin === null && next.op === 'delete') {
        c.run(
          'INSERT INTO screenshot_unlinks (date, filename) VALUES ($d, $f) ON CONFLICT DO NOTHING',
          { d: found.date, f: found.filename },
        )
      }
    }
    if (next.op === 'delete') {
      buryFrame(
        this.#tx,
        {
          id,
          startMs: found?.at_ms ?? next.startMs,
          deviceId: found?.device_id ?? device?.id ?? null,
        },
        { version: next.version, origin: this.peer },
      )
      this.#buried.set('screenshot', true)
      return
    }
    const f = next as SyncScreenshot
    // A frame taken here stays marked so (its image is here), whatever content won.
    insertFrame(
      this.#tx,
      { ...f, date: parseFramePath(f.filename)?.date ?? '' },
      (device as DeviceRef).id,
      found?.origin === null ? null : this.peer,
    )
  }

  setting(ch: SyncSetting): void {
    const row = this.#tx.c.get<{ value: string; version: number }>(
      'SELECT value, version FROM settings WHERE key = $k',
      { k: ch.key },
    )
    const pending = this.#settings.find((s) => s.key === ch.key)
    const stored: SyncSetting | undefined = pending
      ? {
          kind: 'setting',
          op: 'upsert',
          key: ch.key,
          value: pending.value,
          version: pending.version,
        }
      : row && {
          kind: 'setting',
          op: 'upsert',
          key: ch.key,
          value: JSON.parse(row.value) as unknown,
          version: row.version,
        }
    const next = applyRemote(stored, ch) as SyncSetting | undefined
    if (next === undefined) return
    this.applied++
    this.#tx.observe(next.version)
    const write = { key: next.key, value: next.value, version: next.version, origin: this.peer }
    if (pending) Object.assign(pending, write)
    else this.#settings.push(write)
  }

  deviceName(ch: SyncDevice): void {
    const { c } = this.#tx
    const row = c.get<DeviceRef & { version: number }>(
      'SELECT id, uuid, name, version FROM devices WHERE uuid = $u',
      { u: ch.id },
    )
    if (!row) {
      // New here: created under the name the change gives (the batch's map says the same).
      this.#batch.devices[ch.id] = ch.name
      const ref = this.device(ch.id)
      c.run('UPDATE devices SET version = $v WHERE id = $id', { v: ch.version, id: ref.id })
      this.applied++
      this.#tx.observe(ch.version)
      return
    }
    const next = applyRemote(
      { kind: 'device', op: 'upsert', id: row.uuid, name: row.name, version: row.version },
      ch,
    ) as SyncDevice | undefined
    if (next === undefined) return
    this.applied++
    this.#tx.observe(next.version)
    const name = freeName(c, next.name, next.id, row.id)
    c.run('UPDATE devices SET name = $n, version = $v, seq = $seq, origin = $o WHERE id = $id', {
      n: name,
      v: next.version,
      seq: this.#tx.nextSeq(),
      o: this.peer,
      id: row.id,
    })
    this.#devices.set(row.uuid, { ...row, name })
    this.#renamed.push(row.id)
    // The dimension layer caches devices by name.
    this.#tx.dims.reset()
  }

  /** What the batch changed beyond its rows: tallies, presence, settings' effects. */
  finish(): void {
    const { c } = this.#tx
    updateDevices(c, this.#tally)
    if (this.#maxEnd > 0) raiseMaxEnd(c, this.#maxEnd)
    writeSettings(this.#tx, this.#settings)
    endOpenPeriods(this.#tx, this.#presence)
    this.#tx.changes.add(...afkChanges(c, this.#afkSeqs))
    const devices = [...new Set([...this.#created, ...this.#renamed])]
    if (devices.length > 0) this.#tx.changes.add(...deviceChanges(c, devices))
  }
}

const STORED_EVENT = 'seq, device_id, source_id, start_ms, end_ms, duration, version'

interface StoredEventRow {
  seq: number
  device_id: number
  source_id: number
  start_ms: number
  end_ms: number
  duration: number | null
  version: number | null
}

interface StoredAfkRow {
  seq: number
  device_id: number
  start_ms: number
  end_ms: number | null
  inferred_end_ms: number | null
  duration: number | null
}

interface StoredLabelRow {
  seq: number
  id: string
  text: string
  context: string | null
  start_ms: number
  end_ms: number
  created_ms: number
  updated_ms: number
  version: number
}

/** The fields of a stored event a tombstone is compared on (its names do not matter then). */
const PLACEHOLDER_EVENT: SyncEvent = {
  kind: 'event',
  op: 'upsert',
  id: '',
  device: '',
  startMs: 0,
  endMs: 0,
  durationSec: null,
  category: '',
  app: '',
  entity: '',
  entityType: null,
  project: '',
  projectPath: null,
  branch: null,
  language: null,
  source: '',
  version: null,
}

/** Applies another daemon's batch and moves `cursor` (see `SyncStore.apply`). */
export function applySync(
  tx: Tx,
  batch: SyncBatch,
  peer: string,
  cursor: SyncCursor,
  receivedMs: number,
): { applied: number; changes: Change[] } {
  const run = new Application(tx, batch, receivedMs)
  run.peer = run.device(peer).id
  for (const ch of batch.changes) {
    switch (ch.kind) {
      case 'event':
        run.event(ch)
        break
      case 'afk':
        run.afk(ch)
        break
      case 'input':
        run.input(ch)
        break
      case 'label':
        run.label(ch)
        break
      case 'setting':
        run.setting(ch)
        break
      case 'device':
        run.deviceName(ch)
        break
      case 'screenshot':
        run.screenshot(ch)
        break
    }
  }
  run.finish()
  const { c } = tx
  if ('pushed' in cursor) {
    c.run(
      `UPDATE sync_clients SET pushed_seq = $seq, epoch = $epoch, last_seen_ms = $now
       WHERE id = $id`,
      {
        seq: cursor.pushed.seq,
        epoch: cursor.pushed.epoch,
        now: receivedMs,
        id: cursor.pushed.client,
      },
    )
  } else {
    setMeta(c, 'sync_pulled', cursor.pulled.seq)
    setMeta(c, 'sync_pulled_epoch', cursor.pulled.epoch)
  }
  return { applied: run.applied, changes: tx.changes.finish() }
}

/** A spoke records how far the hub acknowledged its changes. */
export function setPushed(c: Connection, seq: number): void {
  setMeta(c, 'sync_pushed', seq)
}

/** A spoke starts over: both cursors to 0. */
export function resetCursors(c: Connection): void {
  c.run("DELETE FROM meta WHERE key IN ('sync_pulled', 'sync_pulled_epoch', 'sync_pushed')")
}

/** A hub stores a pairing code's hash. */
export function createCode(
  c: Connection,
  code: { hash: Uint8Array; name: string | null; nowMs: number; expiresMs: number },
): void {
  c.run('INSERT INTO sync_codes (hash, name, created_ms, expires_ms) VALUES ($h, $n, $now, $exp)', {
    h: code.hash,
    n: code.name,
    now: code.nowMs,
    exp: code.expiresMs,
  })
}

/** A hub pairs a device with a code (see `SyncStore.pair`). */
export function pair(
  tx: Tx,
  request: {
    codeHash: Uint8Array
    device: { id: string; name: string }
    client: { id: string; tokenHash: string; tokenPreview: string }
    nowMs: number
  },
):
  | { ok: true; client: SyncClientRow; version: number; changes: Change[] }
  | { ok: false; reason: PairingRefusal; name?: string } {
  const { c } = tx
  const code = c.get<{ name: string | null; expires_ms: number; used_ms: number | null }>(
    'SELECT name, expires_ms, used_ms FROM sync_codes WHERE hash = $h',
    { h: request.codeHash },
  )
  if (!code) return { ok: false, reason: 'unknown' }
  if (code.used_ms !== null) return { ok: false, reason: 'used' }
  if (request.nowMs >= code.expires_ms) return { ok: false, reason: 'expired' }
  const name = code.name ?? request.device.name
  const other = c.get<{ uuid: string }>('SELECT uuid FROM devices WHERE name = $n', { n: name })
  if (other && other.uuid !== request.device.id) return { ok: false, reason: 'name_taken', name }
  c.run('UPDATE sync_codes SET used_ms = $now WHERE hash = $h', {
    now: request.nowMs,
    h: request.codeHash,
  })
  let device = c.get<{ id: number; name: string; version: number }>(
    'SELECT id, name, version FROM devices WHERE uuid = $u',
    { u: request.device.id },
  )
  const changed: number[] = []
  if (!device) {
    // Named by the hub now (a version later than the device's own name, which it then takes).
    device = c.get<{ id: number; name: string; version: number }>(
      `INSERT INTO devices (uuid, name, own, created_ms, events, seq, version)
       VALUES ($u, $n, 0, $now, 0, $seq, $v) RETURNING id, name, version`,
      { u: request.device.id, n: name, now: request.nowMs, seq: tx.nextSeq(), v: tx.hlc() },
    )
    if (!device) throw new Error('a device row inserted returned nothing')
    changed.push(device.id)
  } else if (device.name !== name) {
    // The hub names the device as paired: a rename, synced like any other.
    const version = tx.hlc()
    c.run('UPDATE devices SET name = $n, seq = $seq, version = $v, origin = NULL WHERE id = $id', {
      n: name,
      seq: tx.nextSeq(),
      v: version,
      id: device.id,
    })
    device = { ...device, name, version }
    tx.dims.reset()
    changed.push(device.id)
  }
  // A device paired again keeps its place: the hub still holds what it stored of it.
  const previous =
    c.get<{ seq: number | null; epoch: number | null }>(
      `SELECT max(pushed_seq) AS seq, epoch FROM sync_clients WHERE device_id = $d`,
      { d: device.id },
    ) ?? undefined
  c.run('UPDATE sync_clients SET revoked = 1 WHERE device_id = $d', { d: device.id })
  c.run(
    `INSERT INTO sync_clients (id, device_id, name, token_hash, token_preview, paired_ms, pushed_seq, epoch)
     VALUES ($id, $d, $n, $h, $p, $now, $seq, $epoch)`,
    {
      id: request.client.id,
      d: device.id,
      n: name,
      h: request.client.tokenHash,
      p: request.client.tokenPreview,
      now: request.nowMs,
      seq: previous?.seq ?? 0,
      epoch: previous?.epoch ?? null,
    },
  )
  const client = syncClients(c, 'WHERE s.id = $id', { id: request.client.id })[0] as SyncClientRow
  return {
    ok: true,
    client,
    version: device.version,
    changes: changed.length > 0 ? deviceChanges(c, changed) : [],
  }
}

/** Revokes a paired device's token. */
export function revokeClient(c: Connection, id: string): boolean {
  return c.run('UPDATE sync_clients SET revoked = 1 WHERE id = $id', { id }) > 0
}

/** Records when a paired device was last heard from. */
export function touchClient(c: Connection, id: string, nowMs: number): void {
  c.run('UPDATE sync_clients SET last_seen_ms = $now WHERE id = $id', { id, now: nowMs })
}

/** Where a paired device's pushes continue (see `SyncStore.pushedFor`). */
export function pushedFor(c: Connection, id: string, epoch: number, startSeq: number): number {
  const row = c.get<{ pushed_seq: number; epoch: number | null }>(
    'SELECT pushed_seq, epoch FROM sync_clients WHERE id = $id',
    { id },
  )
  if (!row) return 0
  if (row.epoch === epoch) return row.pushed_seq
  const seq = Math.min(row.pushed_seq, startSeq)
  c.run('UPDATE sync_clients SET pushed_seq = $seq, epoch = $epoch WHERE id = $id', {
    seq,
    epoch,
    id,
  })
  return seq
}
