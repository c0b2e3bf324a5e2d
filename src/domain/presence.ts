/**
 * Presence and open AFK periods. An AFK watcher that dies (or a device that sleeps) leaves its
 * period open; evidence that the person is back ends it: input counts, or an event of an editor
 * (a source ranked at or above `PRESENCE_PRIORITY`), on the same device, at or after its start.
 * The evidence may be stored before the period or after it: either way the period is taken to end
 * at the earliest such evidence (its inferred end), until its real end arrives.
 */

/** Sources ranked at or above this priority (editors) count as evidence that a person is present. */
export const PRESENCE_PRIORITY = 300

/** Whether events of a source with this priority are evidence of presence. */
export function isPresence(priority: number): boolean {
  return priority >= PRESENCE_PRIORITY
}

/** An open AFK period (no real end yet), as the presence rule sees it. */
export interface OpenAfkPeriod {
  startMs: number
  inferredEndMs: number | null
}

/**
 * What new presence on its device does to an open period: the period's new inferred end (the
 * first presence at or after its start), or undefined when it changes nothing (no presence at or
 * after the start, or the period is already inferred to end at or before it). `presence` must be
 * in ascending order.
 */
export function presenceEnd(
  period: OpenAfkPeriod,
  presence: readonly number[],
): number | undefined {
  let lo = 0
  let hi = presence.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((presence[mid] as number) < period.startMs) lo = mid + 1
    else hi = mid
  }
  const t = presence[lo]
  if (t === undefined) return undefined
  return period.inferredEndMs !== null && period.inferredEndMs <= t ? undefined : t
}

/**
 * The inferred end of an open period when it arrives: the earliest of the evidence found on its
 * device at or after its start (each kind's first, or null when it has none), or null.
 */
export function inferredEnd(startMs: number, evidence: readonly (number | null)[]): number | null {
  let end: number | null = null
  for (const t of evidence) {
    if (t !== null && t >= startMs && (end === null || t < end)) end = t
  }
  return end
}
