/**
 * The one definition of active time: events → a timeline of non-overlapping segments.
 *
 *   events    editor  [====A====]
 *             browser      [=====B=====]
 *             window  [=========C===========]
 *   AFK                          [==]
 *   timeline          [====A====][B][  ][B][C]
 *
 * Where events overlap, one wins each instant: the higher source priority, then the event that
 * started later, then the greater id. Time inside an AFK period of a device is not active for that
 * device's events: they are cut before the winner is chosen, so when a person walks from their
 * laptop (now away) to their desktop (active), the desktop's events own the time. Times are whole
 * seconds (rounded from milliseconds), so every sum is an exact integer and parts add up.
 *
 * Who owns an instant depends only on the events covering that instant (and their starts), so the
 * active time of a range is the sum over any partition of it: the rollups rely on this.
 */
import TinyQueue from 'tinyqueue'
import type { TimeRange } from './calendar.ts'
import { type CategoryRule, withRuleCategory } from './category-rules.ts'
import { type ActivityEvent, type AfkPeriod, afkEffectiveEnd } from './events.ts'

/** What the timeline needs of an event; stores and tests add their own fields. */
export interface TimelineEvent {
  /** Breaks ties between equal priorities and starts, the same way everywhere. */
  readonly id: string
  readonly startMs: number
  readonly endMs: number
  /** Whose keyboard the event happened at: AFK periods apply to their own device's events. */
  readonly device: string | number
}

/** A period away from the keyboard of one device; `endMs` may be Infinity (still away). */
export interface AfkInterval {
  device: string | number
  startMs: number
  endMs: number
}

/** A stretch of time owned by one event. */
export interface Segment<E extends TimelineEvent = TimelineEvent> {
  startMs: number
  endMs: number
  event: E
}

/** Ranks events: a higher number wins overlapping time. */
export type Priority<E> = (event: E) => number

/**
 * A priority function over a `sourcePriority` setting: a source's own entry, else the longest
 * `prefix*` entry it starts with (`wakatime-*`), else `*`.
 */
export function sourcePriorityOf(
  table: Readonly<Record<string, number>>,
): (source: string) => number {
  const fallback = table['*'] ?? 0
  const patterns = Object.entries(table)
    .filter(([key]) => key.length > 1 && key.endsWith('*'))
    .map(([key, value]) => [key.slice(0, -1), value] as const)
    .sort((a, b) => b[0].length - a[0].length)
  if (patterns.length === 0) return (source) => table[source] ?? fallback
  return (source) => {
    const own = table[source]
    if (own !== undefined) return own
    for (const [prefix, value] of patterns) if (source.startsWith(prefix)) return value
    return fallback
  }
}

/** Rounds epoch ms to the nearest whole second. Infinite bounds stay infinite. */
export function toWholeSecond(ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms / 1000) * 1000 : ms
}

interface Candidate<E> {
  event: E
  start: number // of this piece, clipped to the range
  end: number // of this piece, clipped to the range
  originalStart: number // of the whole event: the tie-break
  priority: number
}

function wins<E extends TimelineEvent>(a: Candidate<E>, b: Candidate<E>): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority
  if (a.originalStart !== b.originalStart) return a.originalStart > b.originalStart
  return a.event.id > b.event.id
}

/**
 * The active timeline of `events` inside `range`: non-overlapping segments in time order, each
 * owned by the event that wins that stretch, with each device's AFK time removed from its events
 * (pass `afk: null` to count AFK time too). Adjacent stretches of one event are one segment.
 */
export function activeTimeline<E extends TimelineEvent>(
  events: readonly E[],
  afk: readonly AfkInterval[] | null,
  range: TimeRange,
  priority: Priority<E>,
): Segment<E>[] {
  const rangeStart = toWholeSecond(range.startMs)
  const rangeEnd = toWholeSecond(range.endMs)
  const away = afk === null ? undefined : afkByDevice(afk)
  const candidates: Candidate<E>[] = []
  for (const event of events) {
    const originalStart = toWholeSecond(event.startMs)
    const start = Math.max(originalStart, rangeStart)
    const end = Math.min(toWholeSecond(event.endMs), rangeEnd)
    if (!(end > start)) continue
    const p = priority(event)
    const holes = away?.get(event.device)
    if (!holes) {
      candidates.push({ event, start, end, originalStart, priority: p })
      continue
    }
    for (const [s, e] of cutOut(start, end, holes)) {
      candidates.push({ event, start: s, end: e, originalStart, priority: p })
    }
  }
  return sweep(candidates)
}

/** Sweeps piece boundaries with a max-heap of the pieces in progress. */
function sweep<E extends TimelineEvent>(candidates: Candidate<E>[]): Segment<E>[] {
  candidates.sort((a, b) => a.start - b.start)
  const points = [...new Set(candidates.flatMap((c) => [c.start, c.end]))].sort((a, b) => a - b)
  // Pieces that have ended are removed lazily, when they surface at the top.
  const active = new TinyQueue<Candidate<E>>([], (a, b) => (wins(a, b) ? -1 : wins(b, a) ? 1 : 0))
  const out: Segment<E>[] = []
  let next = 0
  for (let k = 0; k + 1 < points.length; k++) {
    const from = points[k] as number
    const to = points[k + 1] as number
    while (next < candidates.length && (candidates[next] as Candidate<E>).start <= from) {
      active.push(candidates[next] as Candidate<E>)
      next++
    }
    while (active.length > 0 && (active.peek() as Candidate<E>).end <= from) active.pop()
    const top = active.peek()
    if (!top) continue
    const last = out[out.length - 1]
    if (last && last.event === top.event && last.endMs === from) last.endMs = to
    else out.push({ startMs: from, endMs: to, event: top.event })
  }
  return out
}

/** Each device's AFK periods as merged, sorted intervals in whole seconds. */
function afkByDevice(periods: readonly AfkInterval[]): Map<string | number, TimeRange[]> {
  const byDevice = new Map<string | number, TimeRange[]>()
  for (const p of periods) {
    const interval = { startMs: toWholeSecond(p.startMs), endMs: toWholeSecond(p.endMs) }
    if (!(interval.endMs > interval.startMs)) continue
    let list = byDevice.get(p.device)
    if (!list) byDevice.set(p.device, (list = []))
    list.push(interval)
  }
  for (const [device, list] of byDevice) byDevice.set(device, mergeIntervals(list))
  return byDevice
}

/** Sorts and merges overlapping or touching intervals. */
export function mergeIntervals(intervals: readonly TimeRange[]): TimeRange[] {
  const sorted = [...intervals].sort((a, b) => a.startMs - b.startMs)
  const merged: TimeRange[] = []
  for (const i of sorted) {
    const last = merged[merged.length - 1]
    if (last && i.startMs <= last.endMs) last.endMs = Math.max(last.endMs, i.endMs)
    else merged.push({ ...i })
  }
  return merged
}

/** The parts of `[start, end)` outside `holes` (merged, sorted). */
function cutOut(start: number, end: number, holes: readonly TimeRange[]): [number, number][] {
  const out: [number, number][] = []
  let cursor = start
  // First hole that ends after the start (binary search: a device may have many AFK periods).
  let lo = 0
  let hi = holes.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((holes[mid] as TimeRange).endMs <= start) lo = mid + 1
    else hi = mid
  }
  for (let j = lo; j < holes.length && cursor < end; j++) {
    const hole = holes[j] as TimeRange
    if (hole.startMs >= end) break
    if (hole.startMs > cursor) out.push([cursor, hole.startMs])
    cursor = Math.max(cursor, hole.endMs)
  }
  if (cursor < end) out.push([cursor, end])
  return out
}

/** Seconds covered by `segments`. */
export function totalSeconds(segments: readonly Segment[]): number {
  let ms = 0
  for (const s of segments) ms += s.endMs - s.startMs
  return ms / 1000
}

/**
 * The active timeline of named events under the settings that decide it: `sourcePriority` says
 * who owns overlapping time, `categoryRules` the category each event counts under. Each device's
 * AFK periods are taken out (`afk: null` counts their time too). The stores compute the same from
 * ids and rollups; this is the definition they are checked against.
 */
export function eventTimeline(
  events: readonly ActivityEvent[],
  afk: readonly AfkPeriod[] | null,
  range: TimeRange,
  settings: {
    sourcePriority: Readonly<Record<string, number>>
    categoryRules: readonly CategoryRule[]
  },
): Segment<ActivityEvent>[] {
  const priority = sourcePriorityOf(settings.sourcePriority)
  return activeTimeline(
    events.map(withRuleCategory(settings.categoryRules)),
    afk?.map((p) => ({ device: p.device, startMs: p.startMs, endMs: afkEffectiveEnd(p) })) ?? null,
    range,
    (e) => priority(e.source),
  )
}
