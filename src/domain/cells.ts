/**
 * Rollup arithmetic. Active time is kept pre-summed per 15-minute UTC slot and per UTC hour; any
 * local bucket of any zone with quarter-hour offsets is a whole number of slots, so a question over
 * buckets becomes: whole hours from hour cells, the remaining whole slots from slot cells, and the
 * rest — partial slots at a range's edges, and slots whose cells are being recomputed ("dirty") —
 * resolved from the events themselves. Pure: the store runs the plan.
 */
import type { TimeRange } from './calendar.ts'
import { HOUR_MS } from './time.ts'

export const SLOT_MS = 900_000
export const SLOTS_PER_HOUR = HOUR_MS / SLOT_MS

/** Where one bucket's time comes from. Ranges are half-open; `bucket` indexes the caller's list. */
export interface BucketPlan {
  /** `[bucket, firstHour, endHour)`: whole UTC hours from hour cells. */
  hours: [number, number, number][]
  /** `[bucket, firstSlot, endSlot)`: whole slots from slot cells. */
  slots: [number, number, number][]
  /** `[bucket, startMs, endMs)`: time resolved from events. */
  events: [number, number, number][]
}

/**
 * Plans `buckets` (sorted, non-overlapping, whole seconds) against the `dirty` slots (sorted
 * ascending): every instant of every bucket is covered exactly once by an hour, a slot or an event
 * range, and no dirty slot is read from cells (nor any hour that contains one).
 */
export function planBuckets(buckets: readonly TimeRange[], dirty: readonly number[]): BucketPlan {
  const plan: BucketPlan = { hours: [], slots: [], events: [] }
  const push = (list: [number, number, number][], b: number, from: number, to: number) => {
    if (!(from < to)) return
    const last = list[list.length - 1]
    if (last && last[0] === b && last[2] === from) last[2] = to
    else list.push([b, from, to])
  }
  let d = 0
  buckets.forEach(({ startMs: a, endMs: z }, b) => {
    const firstSlot = Math.ceil(a / SLOT_MS)
    const endSlot = Math.floor(z / SLOT_MS)
    if (firstSlot >= endSlot) {
      push(plan.events, b, a, z)
      return
    }
    push(plan.events, b, a, firstSlot * SLOT_MS)
    while (d < dirty.length && (dirty[d] as number) < firstSlot) d++
    // Whole slots, in runs between dirty ones.
    let from = firstSlot
    while (from < endSlot) {
      const nextDirty = d < dirty.length ? (dirty[d] as number) : Number.POSITIVE_INFINITY
      const to = Math.min(endSlot, nextDirty)
      planCleanSlots(plan, push, b, from, to)
      if (nextDirty < endSlot) {
        push(plan.events, b, nextDirty * SLOT_MS, (nextDirty + 1) * SLOT_MS)
        d++
        from = nextDirty + 1
      } else {
        from = endSlot
      }
    }
    push(plan.events, b, endSlot * SLOT_MS, z)
  })
  return plan
}

/** Clean slots `[from, to)`: whole hours inside them from hour cells, the rest from slot cells. */
function planCleanSlots(
  plan: BucketPlan,
  push: (list: [number, number, number][], b: number, from: number, to: number) => void,
  b: number,
  from: number,
  to: number,
): void {
  const firstHour = Math.ceil(from / SLOTS_PER_HOUR)
  const endHour = Math.floor(to / SLOTS_PER_HOUR)
  if (firstHour >= endHour) {
    push(plan.slots, b, from, to)
    return
  }
  push(plan.slots, b, from, firstHour * SLOTS_PER_HOUR)
  push(plan.hours, b, firstHour, endHour)
  push(plan.slots, b, endHour * SLOTS_PER_HOUR, to)
}
