/**
 * The change feed's entries: what one write changed, each with its place in the feed. Every store
 * and every transport (the live stream, the feed route, sync) speaks these.
 */
import type { ActivityEvent, AfkPeriod } from './events.ts'
import type { Label } from './labels.ts'

/** A device as the change feed carries it: what it is, not its statistics. */
export interface DeviceIdentity {
  id: string
  name: string
  own: boolean
}

/** What one write changed: its place in the feed, and the row as it now is. */
export type Change =
  | { seq: number; kind: 'event'; op: 'upsert'; event: ActivityEvent }
  | { seq: number; kind: 'event'; op: 'delete'; id: string }
  | { seq: number; kind: 'afk'; op: 'upsert'; afk: AfkPeriod }
  | { seq: number; kind: 'afk'; op: 'delete'; id: string }
  | { seq: number; kind: 'setting'; op: 'upsert'; key: string; value: unknown }
  | { seq: number; kind: 'device'; op: 'upsert'; device: DeviceIdentity }
  | { seq: number; kind: 'label'; op: 'upsert'; label: Label; created?: boolean }
  | { seq: number; kind: 'label'; op: 'delete'; id: string }

/** The kinds of row a deletion leaves a tombstone of. */
export type TombstoneKind = 'event' | 'afk' | 'label'

/** The feed entry of a deleted row: its tombstone. */
export function tombstoneChange(seq: number, kind: TombstoneKind, id: string): Change {
  return { seq, kind, op: 'delete', id }
}
