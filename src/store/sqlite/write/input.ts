/** Input counts: adding them to their buckets (presence), and retention. */
import {
  type InputCounts,
  type InputRow,
  emptyCounts,
  isEmptyCounts,
  largerCounts,
  subtractCounts,
} from '../../../domain/input.ts'
import type { IngestResult, InputDelta } from '../../ports.ts'
import type { Connection } from '../connection.ts'
import { endOpenPeriods } from './afk.ts'
import { type DeviceTally, SenderTally, type Tx, updateDevices } from './transaction.ts'

/** Adds input deltas received at `receivedMs` (see `InputStore.add`). */
export function addInput(
  tx: Tx,
  deltas: readonly InputDelta[],
  receivedMs: number,
): IngestResult & { applied: number[] } {
  const { c } = tx
  const claim = c.stmt(
    'INSERT INTO input_batches (id, received_ms) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
  )
  // Each bucket row moves to a feed position of this write (one per row, however many deltas
  // it takes) and is this daemon's change again (`origin` null).
  const add = c.stmt(`
    INSERT INTO input_activity (bucket_ms, device_id, source, lc, rc, mc, kp, mm, scroll, seq)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (bucket_ms, device_id, source) DO UPDATE SET
      lc = lc + excluded.lc, rc = rc + excluded.rc, mc = mc + excluded.mc,
      kp = kp + excluded.kp, mm = mm + excluded.mm, scroll = scroll + excluded.scroll,
      seq = excluded.seq, origin = NULL`)
  const rowSeq = new Map<string, number>()
  let inserted = 0
  const applied: number[] = []
  const presence = new Map<number, number[]>()
  const senders = new SenderTally()
  const seen: DeviceTally = new Map()
  for (const [i, d] of deltas.entries()) {
    // The id is claimed in the same transaction as the counts are added: either both happen or
    // neither, so a re-send is skipped exactly when the first send was committed.
    if (d.batchId !== undefined && Number(claim.run(d.batchId, receivedMs).changes) === 0) {
      continue
    }
    inserted++
    // Nothing to add: an all-zero frame (the frames client's forced final flush) makes no row.
    if (isEmptyCounts(d)) continue
    const device = tx.dims.device(d.device ?? null, tx.nextSeq, receivedMs)
    const key = `${d.bucketMs}/${device.id}/${d.source}`
    let seq = rowSeq.get(key)
    if (seq === undefined) rowSeq.set(key, (seq = tx.nextSeq()))
    add.run(d.bucketMs, device.id, d.source, d.lc, d.rc, d.mc, d.kp, d.mm, d.scroll, seq)
    senders.add(d.source, device.id)
    applied.push(i)
    notePresence(presence, seen, device.id, d.bucketMs)
  }
  updateDevices(c, seen)
  senders.record(c, 'input', receivedMs)
  endOpenPeriods(tx, presence)
  return {
    inserted,
    duplicates: deltas.length - inserted,
    updated: 0,
    changes: tx.changes.finish(),
    applied,
  }
}

/** Merges whole input rows received at `receivedMs` (see `InputStore.merge`). */
export function mergeInput(
  tx: Tx,
  rows: readonly InputRow[],
  receivedMs: number,
): IngestResult & { added: InputRow[] } {
  const { c } = tx
  const stored = c.stmt(
    `SELECT lc, rc, mc, kp, mm, scroll FROM input_activity
     WHERE bucket_ms = ? AND device_id = ? AND source = ?`,
  )
  // A row that grows moves to a feed position of this write and is this daemon's change again.
  const put = c.stmt(`
    INSERT INTO input_activity (bucket_ms, device_id, source, lc, rc, mc, kp, mm, scroll, seq)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (bucket_ms, device_id, source) DO UPDATE SET
      lc = excluded.lc, rc = excluded.rc, mc = excluded.mc, kp = excluded.kp, mm = excluded.mm,
      scroll = excluded.scroll, seq = excluded.seq, origin = NULL`)
  const added: InputRow[] = []
  const presence = new Map<number, number[]>()
  const seen: DeviceTally = new Map()
  for (const r of rows) {
    const device = tx.dims.device(r.device, tx.nextSeq, receivedMs)
    const before = stored.get(r.bucketMs, device.id, r.source) as InputCounts | undefined
    const next = largerCounts(before ?? emptyCounts(), r)
    if (next === undefined) continue
    put.run(
      r.bucketMs,
      device.id,
      r.source,
      next.lc,
      next.rc,
      next.mc,
      next.kp,
      next.mm,
      next.scroll,
      tx.nextSeq(),
    )
    added.push({ ...r, ...subtractCounts(next, before ?? emptyCounts()) })
    notePresence(presence, seen, device.id, r.bucketMs)
  }
  updateDevices(c, seen)
  endOpenPeriods(tx, presence)
  return {
    inserted: added.length,
    duplicates: rows.length - added.length,
    updated: 0,
    changes: tx.changes.finish(),
    added,
  }
}

/** Deletes input rows of buckets before `cutoffMs`; the rows deleted. */
export function deleteInputBefore(c: Connection, cutoffMs: number): number {
  return c.run('DELETE FROM input_activity WHERE bucket_ms < $cutoff', { cutoff: cutoffMs })
}

/** Forgets input batch ids received before `cutoffMs`; the ids removed. */
export function pruneInputBatches(c: Connection, cutoffMs: number): number {
  return c.run('DELETE FROM input_batches WHERE received_ms < $cutoff', { cutoff: cutoffMs })
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
