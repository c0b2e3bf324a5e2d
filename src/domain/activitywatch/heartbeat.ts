/**
 * ActivityWatch's heartbeat merge, exactly: a heartbeat extends the bucket's last event when its
 * data is equal (deep JSON equality, key order ignored) and it starts no earlier than that event
 * and no later than its end plus `pulsetime` (inclusive). The merged event keeps the last event's
 * start and data and ends at the later of the two ends: it never shrinks.
 */
import { jsonEqual } from './json.ts'
import { type AwEvent, endOf } from './model.ts'

/** Seconds (a float, as the query string carries it) to nanoseconds, rounded as Rust does. */
export function pulsetimeNs(seconds: number): bigint {
  return BigInt(Math.round(seconds * 1e9))
}

/**
 * The last event extended by the heartbeat, or undefined when they do not merge. The result
 * carries the last event's id (the row it replaces).
 */
export function mergeHeartbeat(
  last: AwEvent,
  heartbeat: AwEvent,
  pulsetime: bigint,
): AwEvent | undefined {
  if (!jsonEqual(last.data, heartbeat.data)) return undefined
  const lastEnd = endOf(last)
  if (heartbeat.timestamp < last.timestamp) return undefined
  if (heartbeat.timestamp > lastEnd + pulsetime) return undefined
  const hbEnd = endOf(heartbeat)
  const end = lastEnd > hbEnd ? lastEnd : hbEnd
  return { id: last.id, timestamp: last.timestamp, duration: end - last.timestamp, data: last.data }
}
