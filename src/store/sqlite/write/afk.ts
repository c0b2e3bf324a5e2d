/**
 * AFK periods: storing and deleting them, and ending open ones at presence (the rules are in
 * `src/domain/arrivals.ts` and `src/domain/presence.ts`; this applies them to the tables).
 */
import { parse as uuidParse } from 'uuid'
import { afkArrival } from '../../../domain/arrivals.ts'
import type { Change } from '../../../domain/changes.ts'
import {
  type NewAfkPeriod,
  UNNAMED_AFK_SOURCE,
  afkEffectiveEnd,
  afkId,
} from '../../../domain/events.ts'
import { inferredEnd, isPresence, presenceEnd } from '../../../domain/presence.ts'
import { sourcePriorityOf } from '../../../domain/timeline.ts'
import type { AfkSelector, IngestResult } from '../../ports.ts'
import type { Connection } from '../connection.ts'
import { idsOfNames } from '../dimensions.ts'
import { storedDuration } from '../migrations/0004_devices_feed_rollups.ts'
import { AFK_COLUMNS, type StoredAfk, namedAfk } from '../records.ts'
import { readSettings } from '../rows.ts'
import { bury, isTombstoned } from './tombstones.ts'
import { SenderTally, type Tx, maxEnd } from './transaction.ts'

/** The change entries of the AFK periods now at these feed positions. */
export function afkChanges(c: Connection, seqs: readonly number[]): Change[] {
  if (seqs.length === 0) return []
  const rows = c.all<StoredAfk>(
    `SELECT ${AFK_COLUMNS} FROM afk_periods WHERE seq IN (SELECT value FROM json_each($s)) ORDER BY seq`,
    { s: JSON.stringify(seqs) },
  )
  return namedAfk(c, rows).map((afk, i) => ({
    seq: (rows[i] as StoredAfk).seq,
    kind: 'afk',
    op: 'upsert',
    afk,
  }))
}

/** Where a period's time ends for the rollups: its effective end, or the latest event's end. */
export function dirtyEnd(c: Connection, startMs: number, end: number): number {
  return Number.isFinite(end) ? end : Math.max(startMs, maxEnd(c))
}

/** Stores AFK periods received at `receivedMs` (see `AfkStore.insert`). */
export function insertAfk(
  tx: Tx,
  periods: readonly NewAfkPeriod[],
  receivedMs: number,
): IngestResult {
  const { c, dirty } = tx
  const result = { inserted: 0, duplicates: 0, updated: 0 }
  const seqs: number[] = []
  const senders = new SenderTally()
  for (const p of periods) {
    const device = tx.dims.device(p.device, tx.nextSeq, receivedMs)
    const source = p.source ?? UNNAMED_AFK_SOURCE
    senders.add(source, device.id)
    const found = c.get<{ seq: number; end_ms: number | null; inferred_end_ms: number | null }>(
      'SELECT seq, end_ms, inferred_end_ms FROM afk_periods WHERE device_id = $d AND start_ms = $s',
      { d: device.id, s: p.startMs },
    )
    const tombstoned =
      !found && isTombstoned(c, 'afk', Buffer.from(uuidParse(afkId(device.uuid, p.startMs))))
    const arrival = afkArrival(found && { endMs: found.end_ms }, tombstoned, p.endMs)
    if (arrival === 'duplicate') {
      result.duplicates++
      continue
    }
    const duration =
      p.endMs === null ? p.durationSec : storedDuration(p.durationSec, p.startMs, p.endMs)
    const seq = tx.nextSeq()
    if (arrival === 'insert') {
      const inferred = p.endMs === null ? evidenceAfter(c, device.id, p.startMs) : null
      c.run(
        `INSERT INTO afk_periods (seq, device_id, start_ms, end_ms, inferred_end_ms, duration, source)
         VALUES ($seq, $d, $s, $e, $i, $dur, $src)`,
        { seq, d: device.id, s: p.startMs, e: p.endMs, i: inferred, dur: duration, src: source },
      )
      const end = afkEffectiveEnd({ endMs: p.endMs, inferredEndMs: inferred })
      dirty.add(p.startMs, dirtyEnd(c, p.startMs, end))
      result.inserted++
    } else {
      const stored = found as NonNullable<typeof found>
      const before = afkEffectiveEnd({
        endMs: stored.end_ms,
        inferredEndMs: stored.inferred_end_ms,
      })
      const end = p.endMs as number
      c.run(
        `UPDATE afk_periods SET seq = $seq, end_ms = $e, inferred_end_ms = NULL, duration = $dur,
           origin = NULL WHERE seq = $old`,
        { seq, e: end, dur: duration, old: stored.seq },
      )
      dirty.add(end, dirtyEnd(c, end, before))
      result.updated++
    }
    seqs.push(seq)
  }
  senders.record(c, 'afk', receivedMs)
  tx.changes.add(...afkChanges(c, seqs))
  return { ...result, changes: tx.changes.finish() }
}

/** Source ids ranked as presence (editors) under the current settings. */
function presenceSources(c: Connection): number[] {
  const priority = sourcePriorityOf(readSettings(c).sourcePriority)
  return c
    .all<{ id: number; name: string }>('SELECT id, name FROM sources')
    .filter((s) => isPresence(priority(s.name)))
    .map((s) => s.id)
}

/** The inferred end of an open period arriving: the first evidence of presence after its start. */
export function evidenceAfter(c: Connection, device: number, fromMs: number): number | null {
  const input =
    c.get<{ t: number | null }>(
      `SELECT min(bucket_ms) AS t FROM input_activity WHERE device_id = $d AND bucket_ms >= $from`,
      { d: device, from: fromMs },
    )?.t ?? null
  const sources = presenceSources(c)
  const event =
    sources.length === 0
      ? null
      : (c.get<{ start_ms: number }>(
          `SELECT start_ms FROM events WHERE start_ms >= $from AND device_id = $d
             AND source_id IN (SELECT value FROM json_each($s)) ORDER BY start_ms LIMIT 1`,
          { from: fromMs, d: device, s: JSON.stringify(sources) },
        )?.start_ms ?? null)
  return inferredEnd(fromMs, [input, event])
}

/**
 * Presence a write stored (per device, its times) ends the device's open AFK periods (see
 * `presenceEnd`); their changes are logged.
 */
export function endOpenPeriods(tx: Tx, presence: ReadonlyMap<number, number[]>): void {
  const { c } = tx
  const seqs: number[] = []
  for (const [device, times] of presence) {
    times.sort((a, b) => a - b)
    const open = c.all<{ seq: number; start_ms: number; inferred_end_ms: number | null }>(
      'SELECT seq, start_ms, inferred_end_ms FROM afk_periods WHERE device_id = $d AND end_ms IS NULL',
      { d: device },
    )
    for (const o of open) {
      const t = presenceEnd({ startMs: o.start_ms, inferredEndMs: o.inferred_end_ms }, times)
      if (t === undefined) continue
      const seq = tx.nextSeq()
      // Worked out here, also when the presence came from another daemon: this daemon's change.
      c.run(
        'UPDATE afk_periods SET inferred_end_ms = $t, seq = $seq, origin = NULL WHERE seq = $old',
        {
          t,
          seq,
          old: o.seq,
        },
      )
      tx.dirty.add(t, o.inferred_end_ms ?? Math.max(t, maxEnd(c)))
      seqs.push(seq)
    }
  }
  tx.changes.add(...afkChanges(c, seqs))
}

/** Deletes AFK periods (see `AfkStore.delete`). */
export function deleteAfk(tx: Tx, selector: AfkSelector): { deleted: number; changes: Change[] } {
  const { c } = tx
  const devices =
    selector.devices === undefined ? undefined : idsOfNames(c, 'devices', selector.devices)
  const rows = c.all<StoredAfk & { uuid: string }>(
    `SELECT a.seq, a.device_id, a.start_ms, a.end_ms, a.inferred_end_ms, a.duration, d.uuid
     FROM afk_periods a JOIN devices d ON d.id = a.device_id
     WHERE a.start_ms >= $start AND a.start_ms < $end
       ${devices === undefined ? '' : 'AND a.device_id IN (SELECT value FROM json_each($devices))'}
     ORDER BY a.start_ms`,
    {
      start: selector.startMs,
      end: selector.endMs,
      ...(devices === undefined ? {} : { devices: JSON.stringify(devices) }),
    },
  )
  const named = namedAfk(c, rows)
  rows.forEach((r, i) => {
    const id = (named[i] as { id: string }).id
    const row = { seq: r.seq, id: Buffer.from(uuidParse(id)), startMs: r.start_ms }
    bury(tx, 'afk', { ...row, deviceId: r.device_id }, id)
    const end = afkEffectiveEnd({ endMs: r.end_ms, inferredEndMs: r.inferred_end_ms })
    tx.dirty.add(r.start_ms, dirtyEnd(c, r.start_ms, end))
  })
  return { deleted: rows.length, changes: tx.changes.finish() }
}
