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

/** Appends `[b, from, to)` to `list`, extending the last range when it ends at `from`. */
function pushRange(list: [number, number, number][], b: number, from: number, to: number): void {
  if (!(from < to)) return
  const last = list[list.length - 1]
  if (last && last[0] === b && last[2] === from) last[2] = to
  else list.push([b, from, to])
}

/**
 * Plans `buckets` (sorted, non-overlapping, whole seconds) against the `dirty` slots (sorted
 * ascending): every instant of every bucket is covered exactly once by an hour, a slot or an event
 * range, and no dirty slot is read from cells (nor any hour that contains one).
 */
export function planBuckets(buckets: readonly TimeRange[], dirty: readonly number[]): BucketPlan {
  const plan: BucketPlan = { hours: [], slots: [], events: [] }
  let d = 0
  buckets.forEach(({ startMs: a, endMs: z }, b) => {
    const firstSlot = Math.ceil(a / SLOT_MS)
    const endSlot = Math.floor(z / SLOT_MS)
    if (firstSlot >= endSlot) {
      pushRange(plan.events, b, a, z)
      return
    }
    pushRange(plan.events, b, a, firstSlot * SLOT_MS)
    while (d < dirty.length && (dirty[d] as number) < firstSlot) d++
    // Whole slots, in runs between dirty ones.
    let from = firstSlot
    while (from < endSlot) {
      const nextDirty = d < dirty.length ? (dirty[d] as number) : Number.POSITIVE_INFINITY
      const to = Math.min(endSlot, nextDirty)
      planCleanSlots(plan, b, from, to)
      if (nextDirty < endSlot) {
        pushRange(plan.events, b, nextDirty * SLOT_MS, (nextDirty + 1) * SLOT_MS)
        d++
        from = nextDirty + 1
      } else {
        from = endSlot
      }
    }
    pushRange(plan.events, b, endSlot * SLOT_MS, z)
  })
  return plan
}

/** Clean slots `[from, to)`: whole hours inside them from hour cells, the rest from slot cells. */
function planCleanSlots(plan: BucketPlan, b: number, from: number, to: number): void {
  const firstHour = Math.ceil(from / SLOTS_PER_HOUR)
  const endHour = Math.floor(to / SLOTS_PER_HOUR)
  if (firstHour >= endHour) {
    pushRange(plan.slots, b, from, to)
    return
  }
  pushRange(plan.slots, b, from, firstHour * SLOTS_PER_HOUR)
  pushRange(plan.hours, b, firstHour, endHour)
  pushRange(plan.slots, b, endHour * SLOTS_PER_HOUR, to)
}

export const HOURS_PER_DAY = 24

/** Where a plan's whole hours come from once day cells are there. Ranges are half-open. */
export interface DayPlan {
  /** `[bucket, firstDay, endDay)`: whole UTC days from day cells. */
  days: [number, number, number][]
  /** `[bucket, firstHour, endHour)`: hours added from hour cells. */
  plus: [number, number, number][]
  /** `[bucket, firstHour, endHour)`: hours of a day read whole that lie outside the bucket. */
  minus: [number, number, number][]
}

/**
 * Moves the hour ranges of a plan (`BucketPlan.hours`) to UTC day cells where that reads fewer
 * rows. A range is rounded to the nearest UTC midnights: the days between them are read whole, the
 * hours between a range's edge and its midnight are added (midnight outside the range) or taken
 * away (midnight inside it). A day in another zone than UTC is then one day cell and a few hours at
 * each edge — the hours around the person's start of day, when they are rarely active, so those
 * rows are few. Exact because a day cell is the sum of its hour cells (kept together): a day read
 * whole minus some of its hours is the rest of its hours, whatever they hold. A range is kept as
 * hours when the days and edges would be more rows than its hours.
 */
export function planDays(hours: readonly [number, number, number][]): DayPlan {
  const plan: DayPlan = { days: [], plus: [], minus: [] }
  for (const [b, h0, h1] of hours) {
    const d0 = Math.round(h0 / HOURS_PER_DAY)
    const d1 = Math.round(h1 / HOURS_PER_DAY)
    const edges = Math.abs(d0 * HOURS_PER_DAY - h0) + Math.abs(h1 - d1 * HOURS_PER_DAY)
    if (!(d0 < d1) || d1 - d0 + edges >= h1 - h0) {
      pushRange(plan.plus, b, h0, h1)
      continue
    }
    pushRange(plan.days, b, d0, d1)
    if (d0 * HOURS_PER_DAY > h0) pushRange(plan.plus, b, h0, d0 * HOURS_PER_DAY)
    else pushRange(plan.minus, b, d0 * HOURS_PER_DAY, h0)
    if (d1 * HOURS_PER_DAY < h1) pushRange(plan.plus, b, d1 * HOURS_PER_DAY, h1)
    else pushRange(plan.minus, b, h1, d1 * HOURS_PER_DAY)
  }
  return plan
}
