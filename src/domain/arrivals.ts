/**
 * What an item that arrives does to the one stored with its identity. Items are re-sent (retries,
 * offline queues, a watcher extending the event it is in): the rules here make the stored state
 * the same whatever order and however often the sends of one item arrive.
 */

/** What to do with an arriving item: store it, extend the stored one to its end, or nothing. */
export type Arrival = 'insert' | 'extend' | 'duplicate'

/**
 * An event (identity: device, source, start and names). Deleted before (a tombstone): it stays
 * deleted. Unknown: inserted. Known: a later end extends the stored event; an equal or earlier
 * end is a duplicate. `storedEndMs` is undefined when no event with the identity is stored.
 */
export function eventArrival(
  storedEndMs: number | undefined,
  tombstoned: boolean,
  endMs: number,
): Arrival {
  if (tombstoned) return 'duplicate'
  if (storedEndMs === undefined) return 'insert'
  return endMs > storedEndMs ? 'extend' : 'duplicate'
}

/**
 * An AFK period (identity: device and start; a null end is an open period). Deleted before: it
 * stays deleted. Unknown: inserted. Known: a real end closes an open period or extends a closed
 * one to a later end (the inferred end gives way to it); anything else is a duplicate. `stored`
 * is undefined when no period with the identity is stored.
 */
export function afkArrival(
  stored: { endMs: number | null } | undefined,
  tombstoned: boolean,
  endMs: number | null,
): Arrival {
  if (stored === undefined) return tombstoned ? 'duplicate' : 'insert'
  if (endMs === null) return 'duplicate'
  return stored.endMs === null || endMs > stored.endMs ? 'extend' : 'duplicate'
}
