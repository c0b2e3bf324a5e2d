/**
 * Sync's writes: applying another daemon's changes (`sync-apply.ts` holds what every kind shares,
 * and events, AFK periods and input; labels, screenshots, settings and device names are here),
 * and the cursors that move with them. A hub's pairing codes and paired devices are in
 * `sync-clients.ts`.
 */
import { parse as uuidParse } from 'uuid'
import type { Change } from '../../../domain/changes.ts'
import { frameId } from '../../../domain/events.ts'
import { parseFramePath } from '../../../domain/screenshots.ts'
import type { Label } from '../../../domain/labels.ts'
import {
  type SyncBatch,
  type SyncLabel,
  type SyncChange,
  type SyncDevice,
  type SyncScreenshot,
  type SyncSetting,
  type SyncTombstone,
  applyRemote,
} from '../../../domain/sync.ts'
import type { SyncCursor } from '../../ports.ts'
import type { Connection } from '../connection.ts'
import { deviceChanges } from '../records.ts'
import {
  FRAME_RECORD,
  type FrameRecord,
  buryFrame,
  insertFrame,
  toSyncScreenshot,
} from '../screenshots.ts'
import { afkChanges, endOpenPeriods } from './afk.ts'
import { writeSettings } from './settings.ts'
import { type Tx, raiseMaxEnd, updateDevices } from './transaction.ts'
import { ApplicationBase, type DeviceRef, freeName, setMeta } from './sync-apply.ts'
import { bury } from './tombstones.ts'
import { type LabelRow, storedSetting, syncLabel } from '../../sync-wire.ts'

class Application extends ApplicationBase {
  label(ch: SyncLabel | SyncTombstone): void {
    const { c } = this.tx
    const id = Buffer.from(uuidParse(ch.id))
    const found = c.get<LabelRow>(
      `SELECT seq, id, text, context, start_ms, end_ms, created_ms, updated_ms, version
       FROM labels WHERE id = $id`,
      { id: ch.id },
    )
    const tomb = found ? undefined : this.storedTombstone('label', id, ch.id)
    const stored: SyncChange | undefined = found ? syncLabel(found) : tomb
    const next = applyRemote(stored, ch)
    if (next === undefined) return
    this.applied++
    if (next.op === 'delete') {
      if (found) {
        bury(this.tx, 'label', { seq: found.seq, id, startMs: found.start_ms }, ch.id, {
          version: ch.version,
          origin: this.peer,
        })
        this.buried.set('label', true)
      } else {
        this.tombstone(ch as SyncTombstone, null)
      }
      return
    }
    const l = next as SyncLabel
    this.tx.observe(l.version)
    const seq = this.tx.nextSeq()
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
    this.tx.changes.add({ seq, kind: 'label', op: 'upsert', label, created: !found })
  }

  /**
   * A screenshot's index row (never its image). A frame taken here that another daemon deleted
   * leaves its file's name in `screenshot_unlinks`, for the screenshot service to delete.
   */
  screenshot(ch: SyncScreenshot | SyncTombstone): void {
    const { c } = this.tx
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
    const tomb = found ? undefined : this.storedTombstone('screenshot', id, ch.id)
    const stored: SyncChange | undefined = found ? toSyncScreenshot(found) : tomb
    const next = applyRemote(stored, ch)
    if (next === undefined) return
    this.applied++
    this.tx.observe(ch.op === 'delete' ? ch.version : null)
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
        this.tx,
        {
          id,
          startMs: found?.at_ms ?? next.startMs,
          deviceId: found?.device_id ?? device?.id ?? null,
        },
        { version: next.version, origin: this.peer },
      )
      this.buried.set('screenshot', true)
      return
    }
    const f = next as SyncScreenshot
    // A frame taken here stays marked so (its image is here), whatever content won.
    insertFrame(
      this.tx,
      { ...f, date: parseFramePath(f.filename)?.date ?? '' },
      (device as DeviceRef).id,
      found?.origin === null ? null : this.peer,
    )
  }

  setting(ch: SyncSetting): void {
    const row = this.tx.c.get<{ value: string; version: number }>(
      'SELECT value, version FROM settings WHERE key = $k',
      { k: ch.key },
    )
    const pending = this.settings.find((s) => s.key === ch.key)
    const stored = storedSetting(ch, pending, row)
    const next = applyRemote(stored, ch) as SyncSetting | undefined
    if (next === undefined) return
    this.applied++
    this.tx.observe(next.version)
    const write = { key: next.key, value: next.value, version: next.version, origin: this.peer }
    if (pending) Object.assign(pending, write)
    else this.settings.push(write)
  }

  deviceName(ch: SyncDevice): void {
    const { c } = this.tx
    const row = c.get<DeviceRef & { version: number }>(
      'SELECT id, uuid, name, version FROM devices WHERE uuid = $u',
      { u: ch.id },
    )
    if (!row) {
      // New here: created under the name the change gives (the batch's map says the same).
      this.batch.devices[ch.id] = ch.name
      const ref = this.device(ch.id)
      c.run('UPDATE devices SET version = $v WHERE id = $id', { v: ch.version, id: ref.id })
      this.applied++
      this.tx.observe(ch.version)
      return
    }
    const next = applyRemote(
      { kind: 'device', op: 'upsert', id: row.uuid, name: row.name, version: row.version },
      ch,
    ) as SyncDevice | undefined
    if (next === undefined) return
    this.applied++
    this.tx.observe(next.version)
    const name = freeName(c, next.name, next.id, row.id)
    c.run('UPDATE devices SET name = $n, version = $v, seq = $seq, origin = $o WHERE id = $id', {
      n: name,
      v: next.version,
      seq: this.tx.nextSeq(),
      o: this.peer,
      id: row.id,
    })
    this.devices.set(row.uuid, { ...row, name })
    this.renamed.push(row.id)
    // The dimension layer caches devices by name.
    this.tx.dims.reset()
  }

  /** What the batch changed beyond its rows: tallies, presence, settings' effects. */
  finish(): void {
    const { c } = this.tx
    updateDevices(c, this.tally)
    if (this.maxEnd > 0) raiseMaxEnd(c, this.maxEnd)
    writeSettings(this.tx, this.settings)
    endOpenPeriods(this.tx, this.presence)
    this.tx.changes.add(...afkChanges(c, this.afkSeqs))
    const devices = [...new Set([...this.created, ...this.renamed])]
    if (devices.length > 0) this.tx.changes.add(...deviceChanges(c, devices))
  }
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
