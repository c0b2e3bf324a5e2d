/**
 * Events: storing a batch (the hot path of ingest) and deleting by selector. Whether an arriving
 * event is new, extends the stored one or is a duplicate is `eventArrival`'s decision.
 */
import { stringify as uuidStringify } from 'uuid'
import { eventArrival } from '../../../domain/arrivals.ts'
import type { Change } from '../../../domain/changes.ts'
import { type NewActivityEvent, eventIdBytes, spanSeconds } from '../../../domain/events.ts'
import { isPresence } from '../../../domain/presence.ts'
import { sourcePriorityOf } from '../../../domain/timeline.ts'
import type { EventSelector } from '../../ports.ts'
import { idsOfNames } from '../dimensions.ts'
import { ChangePacker, type PackedIngestResult } from '../event-batch.ts'
import { storedDuration } from '../migrations/0004_devices_feed_rollups.ts'
import { readSettings } from '../rows.ts'
import { endOpenPeriods } from './afk.ts'
import { EventRows } from './event-rows.ts'
import { forgetHeartbeats } from './heartbeats.ts'
import { bury } from './tombstones.ts'
import {
  type DeviceTally,
  SenderTally,
  type Tx,
  raiseMaxEnd,
  updateDevices,
} from './transaction.ts'

/**
 * Stores a batch received at `receivedMs` (see `EventStore.insert`). Without `withChanges` the
 * answer carries no change data for events (nobody listens; building it is a third of the work).
 * The changes come packed for the trip back to the HTTP thread (see `PackedChanges`), devices
 * created and AFK periods ended included.
 */
export function insertEvents(
  tx: Tx,
  events: readonly NewActivityEvent[],
  receivedMs: number,
  withChanges: boolean,
): PackedIngestResult {
  const { c, dims, nextSeq, dirty } = tx
  const result = { inserted: 0, duplicates: 0, updated: 0 }
  const priority = sourcePriorityOf(readSettings(c).sourcePriority)
  // The stored event with this identity, if any: one probe of the (start, id) index. One writer,
  // inside its transaction: no other write can add one meanwhile.
  const stored = c.stmt('SELECT seq, end_ms FROM events WHERE start_ms = ? AND id = ?')
  // Most databases never delete an event: then there is no tombstone to look for.
  const tombstones = c.get("SELECT 1 AS x FROM tombstones WHERE kind = 'event' LIMIT 1")
    ? c.stmt("SELECT 1 AS x FROM tombstones WHERE kind = 'event' AND id = ?")
    : undefined
  const rows = new EventRows(c)
  // A local change: the row is this daemon's now (`origin` null, see migration 8).
  const extend = c.stmt(
    'UPDATE events SET seq = ?, end_ms = ?, duration = ?, origin = NULL WHERE seq = ?',
  )
  const perDevice: DeviceTally = new Map()
  const presence = new Map<number, number[]>()
  // The change of each event this batch stored, in seq order. An event may come twice: a later
  // end moves it to a later seq, and the change at its earlier seq is dropped.
  const changed = new ChangePacker(withChanges ? events.length : 0)
  const senders = new SenderTally()
  let maxEnd = 0
  for (const e of events) {
    const device = dims.device(e.device, nextSeq, receivedMs)
    senders.add(e.source, device.id)
    const category = dims.named('categories', e.category)
    const app = dims.named('apps', e.app)
    const source = dims.named('sources', e.source)
    const project = dims.project(e.project, e.projectPath, Math.floor(e.endMs / 1000))
    const entity = dims.entity(project, e.entity, e.entityType)
    const branch = e.branch === null ? null : dims.branch(project, e.branch)
    const language = e.language === null ? null : dims.named('languages', e.language)

    const id = eventIdBytes(device.uuid, e)
    const duration = storedDuration(e.durationSec, e.startMs, e.endMs)
    const tombstoned = tombstones?.get(id) !== undefined
    const found = tombstoned
      ? undefined
      : (stored.get(e.startMs, id) as { seq: number; end_ms: number } | undefined)
    const arrival = eventArrival(found?.end_ms, tombstoned, e.endMs)
    if (arrival === 'duplicate') {
      result.duplicates++
      continue
    }
    const seq = nextSeq()
    let seen = perDevice.get(device.id)
    if (!seen) perDevice.set(device.id, (seen = { added: 0, lastSeen: 0 }))
    if (found === undefined) {
      rows.insert(
        seq,
        id,
        device.id,
        e.startMs,
        e.endMs,
        duration,
        category,
        app,
        entity,
        project,
        branch,
        language,
        source,
      )
      result.inserted++
      dirty.add(e.startMs, e.endMs)
      seen.added++
    } else {
      extend.run(seq, e.endMs, duration, found.seq)
      changed.supersede(found.seq)
      result.updated++
      dirty.add(found.end_ms, e.endMs)
    }
    seen.lastSeen = Math.max(seen.lastSeen, e.endMs)
    maxEnd = Math.max(maxEnd, e.endMs)
    if (withChanges) {
      changed.add(
        seq,
        id,
        device.name,
        e,
        e.durationSec ?? spanSeconds(e.startMs, e.endMs),
        dims.extra('entity', entity),
        dims.extra('project', project),
      )
    }
    if (isPresence(priority(e.source))) {
      const times = presence.get(device.id)
      if (times) times.push(e.startMs)
      else presence.set(device.id, [e.startMs])
    }
  }
  updateDevices(c, perDevice)
  senders.record(c, 'events', receivedMs)
  if (maxEnd > 0) raiseMaxEnd(c, maxEnd)
  endOpenPeriods(tx, presence)
  return { ...result, changes: changed.finish(tx.changes.finish()) }
}

/** Deletes the events a selector matches (see `EventStore.delete`). */
export function deleteEvents(
  tx: Tx,
  selector: EventSelector,
): { deleted: number; changes: Change[] } {
  const { c } = tx
  const where: string[] = []
  const params: Record<string, string | number> = {}
  if (selector.ids !== undefined) {
    where.push("id IN (SELECT unhex(replace(value, '-', '')) FROM json_each($ids))")
    params.ids = JSON.stringify(selector.ids)
  }
  if (selector.startMs !== undefined) {
    where.push('start_ms >= $start')
    params.start = selector.startMs
  }
  if (selector.endMs !== undefined) {
    where.push('start_ms < $end')
    params.end = selector.endMs
  }
  if (selector.sources !== undefined) {
    where.push('source_id IN (SELECT value FROM json_each($sources))')
    params.sources = JSON.stringify(idsOfNames(c, 'sources', selector.sources))
  }
  if (selector.devices !== undefined) {
    where.push('device_id IN (SELECT value FROM json_each($devices))')
    params.devices = JSON.stringify(idsOfNames(c, 'devices', selector.devices))
  }
  if (where.length === 0) throw new Error('deleteEvents needs a condition')
  const rows = c.all<{
    seq: number
    id: Uint8Array
    device_id: number
    start_ms: number
    end_ms: number
    source_id: number
  }>(
    `SELECT seq, id, device_id, start_ms, end_ms, source_id FROM events WHERE ${where.join(' AND ')} ORDER BY start_ms, id`,
    params,
  )
  const perDevice = new Map<number, number>()
  for (const r of rows) {
    bury(
      tx,
      'event',
      { seq: r.seq, id: r.id, startMs: r.start_ms, deviceId: r.device_id },
      uuidStringify(r.id),
    )
    tx.dirty.add(r.start_ms, r.end_ms)
    perDevice.set(r.device_id, (perDevice.get(r.device_id) ?? 0) + 1)
  }
  for (const [id, n] of perDevice) {
    c.run('UPDATE devices SET events = max(0, events - $n) WHERE id = $id', { n, id })
  }
  forgetHeartbeats(tx, rows)
  return { deleted: rows.length, changes: tx.changes.finish() }
}
