/**
 * Tombstones: a deleted event, AFK period or label leaves one in the change feed, so that readers
 * of the feed delete it too and a re-send of it stays deleted.
 */
import { type Change, type TombstoneKind, tombstoneChange } from '../../../domain/changes.ts'
import type { Connection } from '../connection.ts'
import type { Tx } from './transaction.ts'

const TABLES: Record<TombstoneKind, string> = {
  event: 'events',
  afk: 'afk_periods',
  label: 'labels',
}

/** A stored row to delete: its feed position, content id (16 bytes) and start. */
export interface Buried {
  seq: number
  id: Uint8Array
  startMs: number
  /** The device of an event or AFK period (`devices.id`); absent for labels. */
  deviceId?: number | null | undefined
}

/**
 * Deletes a row and leaves its tombstone at a new feed position (a row deleted twice keeps one
 * tombstone, at its latest position); the tombstone's change is logged and returned. The
 * tombstone is versioned by the hybrid clock (sync compares it with later re-derivations) and is
 * this daemon's change (`origin` null); `origin` marks one received from another daemon.
 */
export function bury(
  tx: Tx,
  kind: TombstoneKind,
  row: Buried,
  id: string,
  received?: { version: number | null; origin: number },
): Change {
  const seq = tx.nextSeq()
  tx.c.run(
    `INSERT INTO tombstones (seq, kind, id, start_ms, device_id, version, origin)
     VALUES ($seq, $kind, $id, $s, $d, $v, $o)
     ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, start_ms = excluded.start_ms,
       device_id = coalesce(excluded.device_id, device_id), version = excluded.version,
       origin = excluded.origin`,
    {
      seq,
      kind,
      id: row.id,
      s: row.startMs,
      d: row.deviceId ?? null,
      v: received ? received.version : tx.hlc(),
      o: received ? received.origin : null,
    },
  )
  tx.c.run(`DELETE FROM ${TABLES[kind]} WHERE seq = $seq`, { seq: row.seq })
  const change = tombstoneChange(seq, kind, id)
  tx.changes.add(change)
  return change
}

/** Whether a row with this content id was deleted. */
export function isTombstoned(c: Connection, kind: TombstoneKind, id: Uint8Array): boolean {
  return (
    c.get('SELECT 1 AS x FROM tombstones WHERE kind = $kind AND id = $id', { kind, id }) !==
    undefined
  )
}

/** A derived event stored again (the derivation brought it back): its tombstone goes. */
export function liftEventTombstone(c: Connection, id: Uint8Array): void {
  c.stmt("DELETE FROM tombstones WHERE kind = 'event' AND id = ?").run(id)
}
