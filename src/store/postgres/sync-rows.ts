/**
 * Applying another daemon's batch on the PostgreSQL store, continued (`sync-apply.ts` holds what
 * every kind shares, and events, AFK periods and input): labels, settings, device names and
 * screenshots' index rows, and whole batches.
 */
import type { Change } from '../../domain/changes.ts'
import {
  type SyncBatch,
  type SyncChange,
  type SyncDevice,
  type SyncLabel,
  type SyncScreenshot,
  type SyncSetting,
  type SyncTombstone,
  applyRemote,
} from '../../domain/sync.ts'
import type { SyncCursor } from '../ports.ts'
import { observe } from './clock.ts'
import { type DeviceRef, type Tx, one } from './db.ts'
import { LABEL_COLUMNS, type LabelRecord, bury, toLabel } from './records.ts'
import { ApplicationBase, freeName } from './sync-apply.ts'
import { type LabelRow, storedSetting, syncLabel } from '../sync-wire.ts'

class Application extends ApplicationBase {
  async label(ch: SyncLabel | SyncTombstone): Promise<void> {
    const { c } = this.tx
    const found = await one<LabelRow>(
      c,
      `SELECT ${LABEL_COLUMNS}, version FROM labels WHERE id = $1`,
      [ch.id],
    )
    const stored: SyncChange | undefined = found
      ? syncLabel(found)
      : await this.storedTombstone('label', ch.id)
    const next = applyRemote(stored, ch)
    if (next === undefined) return
    this.applied++
    if (next.op === 'delete') {
      if (found) {
        const row = { seq: found.seq, id: ch.id, startMs: found.start_ms }
        this.changes.push(
          await bury(this.tx, 'label', row, { version: ch.version, origin: this.peer }),
        )
        this.buried.set('label', true)
      } else {
        await this.tombstone(ch as SyncTombstone, null)
      }
      return
    }
    const l = next as SyncLabel
    await observe(this.tx, l.version)
    const seq = this.tx.nextSeq()
    const row = await one<LabelRecord>(
      c,
      `INSERT INTO labels (seq, id, text, context, start_ms, end_ms, created_ms, updated_ms, version, origin)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, text = excluded.text,
         context = excluded.context, start_ms = excluded.start_ms, end_ms = excluded.end_ms,
         created_ms = excluded.created_ms, updated_ms = excluded.updated_ms,
         version = excluded.version, origin = excluded.origin
       RETURNING ${LABEL_COLUMNS}`,
      [
        seq,
        l.id,
        l.text,
        l.context,
        l.startMs,
        l.endMs,
        l.createdMs,
        l.updatedMs,
        l.version,
        this.peer,
      ],
    )
    const label = toLabel(row as LabelRecord)
    this.changes.push({ seq, kind: 'label', op: 'upsert', label, created: !found })
  }

  /**
   * A screenshot's index row: held only to pass on (this store keeps no frames of its own), as
   * the sender wrote it, its device by id.
   */
  async screenshot(ch: SyncScreenshot | SyncTombstone): Promise<void> {
    const { c } = this.tx
    const device = ch.device === null ? undefined : await this.device(ch.device)
    const found = await one<{ frame: string; device_id: number; at_ms: number }>(
      c,
      'SELECT frame, device_id, at_ms FROM sync_frames WHERE id = $1',
      [ch.id],
    )
    const stored: SyncChange | undefined = found
      ? (JSON.parse(found.frame) as SyncScreenshot)
      : await this.storedTombstone('screenshot', ch.id)
    const next = applyRemote(stored, ch)
    if (next === undefined) return
    this.applied++
    await observe(this.tx, ch.op === 'delete' ? ch.version : null)
    if (next.op === 'delete') {
      if (found) await c.query('DELETE FROM sync_frames WHERE id = $1', [ch.id])
      await this.tombstone(
        { ...next, startMs: found?.at_ms ?? next.startMs },
        found?.device_id ?? device?.id ?? null,
      )
      return
    }
    const f = next as SyncScreenshot
    // Fields in the wire's order, whatever order the sender wrote them in.
    const frame: SyncScreenshot = {
      kind: 'screenshot',
      op: 'upsert',
      id: f.id,
      device: f.device,
      filename: f.filename,
      atMs: f.atMs,
      app: f.app,
      title: f.title,
      url: f.url,
      bytes: f.bytes,
      width: f.width,
      height: f.height,
      hash: f.hash,
      text: f.text,
      ocrMs: f.ocrMs,
    }
    await c.query(
      `INSERT INTO sync_frames (id, device_id, filename, at_ms, frame, seq, origin)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET frame = excluded.frame, seq = excluded.seq,
         origin = excluded.origin`,
      [
        f.id,
        (device as DeviceRef).id,
        f.filename,
        f.atMs,
        JSON.stringify(frame),
        this.tx.nextSeq(),
        this.peer,
      ],
    )
  }

  async setting(ch: SyncSetting): Promise<void> {
    const row = await one<{ value: string; version: number }>(
      this.tx.c,
      'SELECT value, version FROM settings WHERE key = $1',
      [ch.key],
    )
    const pending = this.settings.find((s) => s.key === ch.key)
    const stored = storedSetting(ch, pending, row)
    const next = applyRemote(stored, ch) as SyncSetting | undefined
    if (next === undefined) return
    this.applied++
    await observe(this.tx, next.version)
    const write = { key: next.key, value: next.value, version: next.version, origin: this.peer }
    if (pending) Object.assign(pending, write)
    else this.settings.push(write)
  }

  async deviceName(ch: SyncDevice): Promise<void> {
    const { c } = this.tx
    const row = await one<DeviceRef & { version: number }>(
      c,
      'SELECT id, uuid, name, version FROM devices WHERE uuid = $1',
      [ch.id],
    )
    if (!row) {
      // New here: created under the name the change gives (the batch's map says the same).
      this.batch.devices[ch.id] = ch.name
      const ref = await this.device(ch.id)
      await c.query('UPDATE devices SET version = $1 WHERE id = $2', [ch.version, ref.id])
      this.applied++
      await observe(this.tx, ch.version)
      return
    }
    const next = applyRemote(
      { kind: 'device', op: 'upsert', id: row.uuid, name: row.name, version: row.version },
      ch,
    ) as SyncDevice | undefined
    if (next === undefined) return
    this.applied++
    await observe(this.tx, next.version)
    const name = await freeName(c, next.name, next.id, row.id)
    await c.query(
      'UPDATE devices SET name = $1, version = $2, seq = $3, origin = $4 WHERE id = $5',
      [name, next.version, this.tx.nextSeq(), this.peer, row.id],
    )
    this.devices.set(row.uuid, { ...row, name })
    this.renamed.push(row.id)
  }
}

/** Applies another daemon's batch and moves `cursor` (see `SyncStore.apply`). */
export async function applySync(
  tx: Tx,
  batch: SyncBatch,
  peer: string,
  cursor: SyncCursor,
  receivedMs: number,
): Promise<{ applied: number; changes: Change[] }> {
  const run = new Application(tx, batch, receivedMs)
  await run.start(peer)
  for (const ch of batch.changes) {
    switch (ch.kind) {
      case 'event':
        await run.event(ch)
        break
      case 'afk':
        await run.afk(ch)
        break
      case 'input':
        await run.input(ch)
        break
      case 'label':
        await run.label(ch)
        break
      case 'setting':
        await run.setting(ch)
        break
      case 'device':
        await run.deviceName(ch)
        break
      case 'screenshot':
        await run.screenshot(ch)
        break
    }
  }
  const changes = await run.finish(cursor)
  return { applied: run.applied, changes }
}
