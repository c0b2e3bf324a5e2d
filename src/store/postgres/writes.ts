/**
 * The PostgreSQL store's writes, each inside `write` (one transaction holding the write lock).
 * Whether an arriving item is new, extends the stored one or is a duplicate, what presence ends,
 * and what a settings change requires are the domain's rules (`arrivals`, `presence`,
 * `settings-change`); this applies them to the tables.
 */
import { afkArrival, eventArrival } from '../../domain/arrivals.ts'
import type { Change } from '../../domain/changes.ts'
import {
  type NewActivityEvent,
  type NewAfkPeriod,
  UNNAMED_AFK_SOURCE,
  afkId,
  eventId,
} from '../../domain/events.ts'
import {
  type InputCounts,
  type InputRow,
  emptyCounts,
  isEmptyCounts,
  largerCounts,
  subtractCounts,
} from '../../domain/input.ts'
import { inferredEnd, isPresence } from '../../domain/presence.ts'
import { sourcePriorityOf } from '../../domain/timeline.ts'
import type { AfkSelector, EventSelector, IngestResult, InputDelta } from '../ports.ts'
import { storedDuration } from '../sqlite/migrations/0004_devices_feed_rollups.ts'
import { type Tx, all, one } from './db.ts'
import { forgetHeartbeats } from './heartbeats.ts'
import {
  AFK_SELECT,
  type AfkRecord,
  type DeviceTally,
  afkChanges,
  bury,
  device,
  endOpenPeriods,
  ensureEventNames,
  eventChanges,
  finishChanges,
  raiseMaxEnd,
  readSettings,
  recordSenders,
  tallySender,
  toAfk,
  updateDevices,
} from './records.ts'

export {
  createLabel,
  updateLabel,
  deleteLabel,
  saveSettings,
  renameDevice,
  ensureDevices,
  insertToken,
} from './writes-user.ts'

/** An event row to store: its values in column order. */
export interface EventRowValues {
  seq: number
  id: string
  deviceId: number
  e: Omit<NewActivityEvent, 'device'>
  /** For events derived from heartbeats: the hybrid-clock time of their derivation. */
  version?: number | null
  /** The device of the daemon a row received by sync came from; absent for a local write. */
  origin?: number | null
}

/** Stores new event rows (one statement for the batch). */
export async function insertEventRows(tx: Tx, rows: readonly EventRowValues[]): Promise<void> {
  if (rows.length === 0) return
  const col = <T>(f: (r: EventRowValues) => T) => rows.map(f)
  await tx.c.query(
    `INSERT INTO events (seq, id, device_id, start_ms, end_ms, duration, category, app, entity,
                         project, branch, language, source, version, origin)
     SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[],
       $6::int[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
       $13::text[], $14::bigint[], $15::bigint[])`,
    [
      col((r) => r.seq),
      col((r) => r.id),
      col((r) => r.deviceId),
      col((r) => r.e.startMs),
      col((r) => r.e.endMs),
      col((r) => storedDuration(r.e.durationSec, r.e.startMs, r.e.endMs)),
      col((r) => r.e.category),
      col((r) => r.e.app),
      col((r) => r.e.entity),
      col((r) => r.e.project),
      col((r) => r.e.branch),
      col((r) => r.e.language),
      col((r) => r.e.source),
      col((r) => r.version ?? null),
      col((r) => r.origin ?? null),
    ],
  )
}

/** Stores a batch of events (see `EventStore.insert`). */
export async function insertEvents(
  tx: Tx,
  events: readonly NewActivityEvent[],
  receivedMs: number,
  withChanges: boolean,
): Promise<IngestResult> {
  const result = { inserted: 0, duplicates: 0, updated: 0 }
  const priority = sourcePriorityOf((await readSettings(tx.c)).sourcePriority)
  await ensureEventNames(tx, events)
  const refs: { id: number; uuid: string }[] = []
  for (const e of events) refs.push(await device(tx, e.device, receivedMs))
  const ids = events.map((e, i) => eventId((refs[i] as { uuid: string }).uuid, e))
  // One writer at a time (the write lock): nothing can store these ids meanwhile.
  const stored = new Map(
    (
      await all<{ id: string; seq: number; end_ms: number }>(
        tx.c,
        'SELECT id, seq, end_ms FROM events WHERE id = ANY($1::uuid[])',
        [ids],
      )
    ).map((r) => [r.id, r]),
  )
  const tombstoned = new Set(
    (
      await all<{ id: string }>(
        tx.c,
        "SELECT id FROM tombstones WHERE kind = 'event' AND id = ANY($1::text[])",
        [ids],
      )
    ).map((r) => r.id),
  )
  // New rows and extensions of stored ones, as the batch leaves them.
  const inserts = new Map<string, EventRowValues>()
  const extends_ = new Map<string, { seq: number; endMs: number; duration: number | null }>()
  const perDevice: DeviceTally = new Map()
  const presence = new Map<number, number[]>()
  const senders = new Map<string, number>()
  let maxEnd = 0
  for (const [i, e] of events.entries()) {
    const ref = refs[i] as { id: number }
    const id = ids[i] as string
    tallySender(senders, e.source, ref.id)
    const pending = inserts.get(id)
    const extended = extends_.get(id)
    const storedEnd = pending?.e.endMs ?? extended?.endMs ?? stored.get(id)?.end_ms
    const arrival = eventArrival(storedEnd, tombstoned.has(id), e.endMs)
    if (arrival === 'duplicate') {
      result.duplicates++
      continue
    }
    const seq = tx.nextSeq()
    let seen = perDevice.get(ref.id)
    if (!seen) perDevice.set(ref.id, (seen = { added: 0, lastSeen: 0 }))
    if (arrival === 'insert') {
      inserts.set(id, { seq, id, deviceId: ref.id, e })
      result.inserted++
      seen.added++
    } else {
      if (pending) inserts.set(id, { ...pending, seq, e })
      else {
        extends_.set(id, {
          seq,
          endMs: e.endMs,
          duration: storedDuration(e.durationSec, e.startMs, e.endMs),
        })
      }
      result.updated++
    }
    seen.lastSeen = Math.max(seen.lastSeen, e.endMs)
    maxEnd = Math.max(maxEnd, e.endMs)
    if (isPresence(priority(e.source))) {
      const times = presence.get(ref.id)
      if (times) times.push(e.startMs)
      else presence.set(ref.id, [e.startMs])
    }
  }
  await insertEventRows(tx, [...inserts.values()])
  if (extends_.size > 0) {
    const list = [...extends_.entries()]
    await tx.c.query(
      `UPDATE events e SET seq = v.seq, end_ms = v.end_ms, duration = v.duration, origin = NULL
       FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::int[]) AS v(id, seq, end_ms, duration)
       WHERE e.id = v.id`,
      [
        list.map(([id]) => id),
        list.map(([, x]) => x.seq),
        list.map(([, x]) => x.endMs),
        list.map(([, x]) => x.duration),
      ],
    )
  }
  await updateDevices(tx, perDevice)
  await recordSenders(tx, senders, 'events', receivedMs)
  await raiseMaxEnd(tx, maxEnd)
  const changes = await endOpenPeriods(tx, presence)
  if (withChanges) {
    changes.push(
      ...(await eventChanges(tx.c, [
        ...[...inserts.values()].map((r) => r.seq),
        ...[...extends_.values()].map((x) => x.seq),
      ])),
    )
  }
  return { ...result, changes: await finishChanges(tx, changes) }
}

/** Deletes the events a selector matches (see `EventStore.delete`). */
export async function deleteEvents(
  tx: Tx,
  selector: EventSelector,
): Promise<{ deleted: number; changes: Change[] }> {
  const where: string[] = []
  const params: unknown[] = []
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value)
    where.push(sql(`$${String(params.length)}`))
  }
  if (selector.ids !== undefined) add((p) => `e.id::text = ANY(${p}::text[])`, selector.ids)
  if (selector.startMs !== undefined) add((p) => `e.start_ms >= ${p}`, selector.startMs)
  if (selector.endMs !== undefined) add((p) => `e.start_ms < ${p}`, selector.endMs)
  if (selector.sources !== undefined) add((p) => `e.source = ANY(${p}::text[])`, selector.sources)
  if (selector.devices !== undefined) add((p) => `d.name = ANY(${p}::text[])`, selector.devices)
  if (where.length === 0) throw new Error('deleteEvents needs a condition')
  const rows = await all<{
    seq: number
    id: string
    device_id: number
    start_ms: number
    end_ms: number
    source: string
  }>(
    tx.c,
    `SELECT e.seq, e.id, e.device_id, e.start_ms, e.end_ms, e.source
     FROM events e JOIN devices d ON d.id = e.device_id
     WHERE ${where.join(' AND ')} ORDER BY e.start_ms, e.id`,
    params,
  )
  const changes: Change[] = []
  const perDevice: DeviceTally = new Map()
  for (const r of rows) {
    changes.push(
      await bury(tx, 'event', { seq: r.seq, id: r.id, startMs: r.start_ms, deviceId: r.device_id }),
    )
    const d = perDevice.get(r.device_id) ?? { added: 0, lastSeen: 0 }
    d.added--
    perDevice.set(r.device_id, d)
  }
  await updateDevices(tx, perDevice)
  changes.push(...(await forgetHeartbeats(tx, rows)))
  return { deleted: rows.length, changes: await finishChanges(tx, changes) }
}

/** The inferred end of an open period arriving: the first evidence of presence after its start. */
export async function evidenceAfter(
  tx: Tx,
  deviceId: number,
  fromMs: number,
): Promise<number | null> {
  const input =
    (
      await one<{ t: number | null }>(
        tx.c,
        'SELECT min(bucket_ms) AS t FROM input_activity WHERE device_id = $1 AND bucket_ms >= $2',
        [deviceId, fromMs],
      )
    )?.t ?? null
  const priority = sourcePriorityOf((await readSettings(tx.c)).sourcePriority)
  const sources = (
    await all<{ source: string }>(
      tx.c,
      'SELECT DISTINCT source FROM events WHERE device_id = $1 AND start_ms >= $2',
      [deviceId, fromMs],
    )
  )
    .map((r) => r.source)
    .filter((s) => isPresence(priority(s)))
  const event =
    sources.length === 0
      ? null
      : ((
          await one<{ t: number | null }>(
            tx.c,
            `SELECT min(start_ms) AS t FROM events
             WHERE device_id = $1 AND start_ms >= $2 AND source = ANY($3::text[])`,
            [deviceId, fromMs, sources],
          )
        )?.t ?? null)
  return inferredEnd(fromMs, [input, event])
}

/** Stores AFK periods (see `AfkStore.insert`). */
export async function insertAfk(
  tx: Tx,
  periods: readonly NewAfkPeriod[],
  receivedMs: number,
): Promise<IngestResult> {
  const result = { inserted: 0, duplicates: 0, updated: 0 }
  const seqs: number[] = []
  const senders = new Map<string, number>()
  for (const p of periods) {
    const ref = await device(tx, p.device, receivedMs)
    const source = p.source ?? UNNAMED_AFK_SOURCE
    tallySender(senders, source, ref.id)
    const found = await one<{ seq: number; end_ms: number | null }>(
      tx.c,
      'SELECT seq, end_ms FROM afk_periods WHERE device_id = $1 AND start_ms = $2',
      [ref.id, p.startMs],
    )
    const tombstoned =
      !found &&
      (await one(tx.c, "SELECT 1 FROM tombstones WHERE kind = 'afk' AND id = $1", [
        afkId(ref.uuid, p.startMs),
      ])) !== undefined
    const arrival = afkArrival(found && { endMs: found.end_ms }, tombstoned, p.endMs)
    if (arrival === 'duplicate') {
      result.duplicates++
      continue
    }
    const duration =
      p.endMs === null ? p.durationSec : storedDuration(p.durationSec, p.startMs, p.endMs)
    const seq = tx.nextSeq()
    if (arrival === 'insert') {
      const inferred = p.endMs === null ? await evidenceAfter(tx, ref.id, p.startMs) : null
      await tx.c.query(
        `INSERT INTO afk_periods (seq, device_id, start_ms, end_ms, inferred_end_ms, duration, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [seq, ref.id, p.startMs, p.endMs, inferred, duration, source],
      )
      result.inserted++
    } else {
      await tx.c.query(
        `UPDATE afk_periods SET seq = $1, end_ms = $2, inferred_end_ms = NULL, duration = $3,
           origin = NULL WHERE seq = $4`,
        [seq, p.endMs, duration, (found as { seq: number }).seq],
      )
      result.updated++
    }
    seqs.push(seq)
  }
  await recordSenders(tx, senders, 'afk', receivedMs)
  return { ...result, changes: await finishChanges(tx, await afkChanges(tx.c, seqs)) }
}

/** Deletes AFK periods (see `AfkStore.delete`). */
export async function deleteAfk(
  tx: Tx,
  selector: AfkSelector,
): Promise<{ deleted: number; changes: Change[] }> {
  const rows = await all<AfkRecord>(
    tx.c,
    `${AFK_SELECT} WHERE a.start_ms >= $1 AND a.start_ms < $2
       AND ($3::text[] IS NULL OR d.name = ANY($3::text[])) ORDER BY a.start_ms`,
    [selector.startMs, selector.endMs, selector.devices ?? null],
  )
  const changes: Change[] = []
  for (const r of rows) {
    const id = toAfk(r).id
    changes.push(
      await bury(tx, 'afk', { seq: r.seq, id, startMs: r.start_ms, deviceId: r.device_id }),
    )
  }
  return { deleted: rows.length, changes }
}

/** Adds input deltas (see `InputStore.add`). */
export async function addInput(
  tx: Tx,
  deltas: readonly InputDelta[],
  receivedMs: number,
): Promise<IngestResult & { applied: number[] }> {
  let inserted = 0
  const applied: number[] = []
  const presence = new Map<number, number[]>()
  const senders = new Map<string, number>()
  const seen: DeviceTally = new Map()
  for (const [i, d] of deltas.entries()) {
    // The id is claimed in the same transaction as the counts are added: either both happen or
    // neither, so a re-send is skipped exactly when the first send was committed.
    if (d.batchId !== undefined) {
      const claimed = await tx.c.query(
        'INSERT INTO input_batches (id, received_ms) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING',
        [d.batchId, receivedMs],
      )
      if (claimed.rowCount === 0) continue
    }
    inserted++
    if (isEmptyCounts(d)) continue
    const ref = await device(tx, d.device ?? null, receivedMs)
    await tx.c.query(
      // A bucket changed here moves to a new feed position and is this daemon's change again.
      `INSERT INTO input_activity (bucket_ms, device_id, source, lc, rc, mc, kp, mm, scroll, seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (bucket_ms, device_id, source) DO UPDATE SET
         lc = input_activity.lc + excluded.lc, rc = input_activity.rc + excluded.rc,
         mc = input_activity.mc + excluded.mc, kp = input_activity.kp + excluded.kp,
         mm = input_activity.mm + excluded.mm, scroll = input_activity.scroll + excluded.scroll,
         seq = excluded.seq, origin = NULL`,
      [d.bucketMs, ref.id, d.source, d.lc, d.rc, d.mc, d.kp, d.mm, d.scroll, tx.nextSeq()],
    )
    tallySender(senders, d.source, ref.id)
    applied.push(i)
    notePresence(presence, seen, ref.id, d.bucketMs)
  }
  await updateDevices(tx, seen)
  await recordSenders(tx, senders, 'input', receivedMs)
  const changes = await endOpenPeriods(tx, presence)
  return {
    inserted,
    duplicates: deltas.length - inserted,
    updated: 0,
    changes: await finishChanges(tx, changes),
    applied,
  }
}

/** Merges whole input rows (see `InputStore.merge`). */
export async function mergeInput(
  tx: Tx,
  rows: readonly InputRow[],
  receivedMs: number,
): Promise<IngestResult & { added: InputRow[] }> {
  const added: InputRow[] = []
  const presence = new Map<number, number[]>()
  const seen: DeviceTally = new Map()
  for (const r of rows) {
    const ref = await device(tx, r.device, receivedMs)
    const before = await one<InputCounts>(
      tx.c,
      `SELECT lc, rc, mc, kp, mm, scroll FROM input_activity
       WHERE bucket_ms = $1 AND device_id = $2 AND source = $3 FOR UPDATE`,
      [r.bucketMs, ref.id, r.source],
    )
    const next = largerCounts(before ?? emptyCounts(), r)
    if (next === undefined) continue
    await tx.c.query(
      `INSERT INTO input_activity (bucket_ms, device_id, source, lc, rc, mc, kp, mm, scroll, seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (bucket_ms, device_id, source) DO UPDATE SET
         lc = excluded.lc, rc = excluded.rc, mc = excluded.mc, kp = excluded.kp,
         mm = excluded.mm, scroll = excluded.scroll, seq = excluded.seq, origin = NULL`,
      [
        r.bucketMs,
        ref.id,
        r.source,
        next.lc,
        next.rc,
        next.mc,
        next.kp,
        next.mm,
        next.scroll,
        tx.nextSeq(),
      ],
    )
    added.push({ ...r, ...subtractCounts(next, before ?? emptyCounts()) })
    notePresence(presence, seen, ref.id, r.bucketMs)
  }
  await updateDevices(tx, seen)
  const changes = await endOpenPeriods(tx, presence)
  return {
    inserted: added.length,
    duplicates: rows.length - added.length,
    updated: 0,
    changes: await finishChanges(tx, changes),
    added,
  }
}

/**
 * Input in a bucket is presence on its device (it ends the device's open AFK periods) and a sign
 * of the device: noted for the end of the write.
 */
function notePresence(
  presence: Map<number, number[]>,
  seen: DeviceTally,
  deviceId: number,
  bucketMs: number,
): void {
  const times = presence.get(deviceId) ?? []
  times.push(bucketMs)
  presence.set(deviceId, times)
  const s = seen.get(deviceId) ?? { added: 0, lastSeen: 0 }
  seen.set(deviceId, { added: 0, lastSeen: Math.max(s.lastSeen, bucketMs + 300_000) })
}
