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
}

/**
 * Deletes a row and leaves its tombstone at a new feed position (a row deleted twice keeps one
 * tombstone, at its latest position); the tombstone's change is logged and returned.
 */
export function bury(tx: Tx, kind: TombstoneKind, row: Buried, id: string): Change {
  const seq = tx.nextSeq()
  tx.c.run(
    `INSERT INTO tombstones (seq, kind, id, start_ms) VALUES ($seq, $kind, $id, $s)
     ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, start_ms = excluded.start_ms`,
    { seq, kind, id: row.id, s: row.startMs },
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
