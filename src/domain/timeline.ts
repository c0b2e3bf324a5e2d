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
 * started later. Time inside AFK periods is not active. Times are whole seconds (rounded from
 * milliseconds), so every sum below is an exact integer and adding parts never loses a second.
 */
import TinyQueue from 'tinyqueue'
import type { TimeRange } from './calendar.ts'
import type { ActivityEvent, AfkPeriod } from './events.ts'

/** A stretch of time owned by one event. */
export interface Segment {
  startMs: number
  endMs: number
  event: ActivityEvent
}

/** Ranks sources: a higher number wins overlapping time. */
export type SourcePriority = (source: string) => number

/** A priority function over a `sourcePriority` setting (`*` for sources it does not list). */
export function sourcePriorityOf(table: Readonly<Record<string, number>>): SourcePriority {
  const fallback = table['*'] ?? 0
  return (source) => table[source] ?? fallback
}

/** Rounds epoch ms to the nearest whole second. Infinite bounds stay infinite. */
export function toWholeSecond(ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms / 1000) * 1000 : ms
}

interface Candidate {
  event: ActivityEvent
  start: number // clipped to the range
  end: number // clipped to the range
  originalStart: number
  priority: number
}

/** Higher priority first; then the later start; then the id, so ties resolve the same everywhere. */
function wins(a: Candidate, b: Candidate): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority
  if (a.originalStart !== b.originalStart) return a.originalStart > b.originalStart
  return a.event.id > b.event.id
}

/**
 * Builds the timeline of `events` inside `range`: non-overlapping segments in time order, each
 * owned by the event that wins that stretch. Adjacent stretches of the same event are one segment.
 */
export function buildTimeline(
  events: readonly ActivityEvent[],
  range: TimeRange,
  priority: SourcePriority,
): Segment[] {
  const rangeStart = toWholeSecond(range.startMs)
  const rangeEnd = toWholeSecond(range.endMs)
  const candidates: Candidate[] = []
  for (const event of events) {
    const originalStart = toWholeSecond(event.startMs)
    const start = Math.max(originalStart, rangeStart)
    const end = Math.min(toWholeSecond(event.endMs), rangeEnd)
    if (end > start) {
      candidates.push({ event, start, end, originalStart, priority: priority(event.source) })
    }
  }
  candidates.sort((a, b) => a.start - b.start)
  const points = [...new Set(candidates.flatMap((c) => [c.start, c.end]))].sort((a, b) => a - b)

  // Sweep the boundaries with a max-heap of the events in progress. Events that have ended are
  // removed lazily, when they surface at the top.
  const active = new TinyQueue<Candidate>([], (a, b) => (wins(a, b) ? -1 : wins(b, a) ? 1 : 0))
  const out: Segment[] = []
  let next = 0
  for (let k = 0; k + 1 < points.length; k++) {
    const from = points[k] as number
    const to = points[k + 1] as number
    while (next < candidates.length && (candidates[next] as Candidate).start <= from) {
      active.push(candidates[next] as Candidate)
      next++
    }
    while (active.length > 0 && (active.peek() as Candidate).end <= from) active.pop()
    const top = active.peek()
    if (!top) continue
    const last = out[out.length - 1]
    if (last && last.event === top.event && last.endMs === from) last.endMs = to
    else out.push({ startMs: from, endMs: to, event: top.event })
  }
  return out
}

/**
 * AFK periods as merged, sorted intervals in whole seconds. An open period reaches up to `nowMs`
 * (the person is still away).
 */
export function afkIntervals(periods: readonly AfkPeriod[], nowMs: number): TimeRange[] {
  const intervals = periods
    .map((p) => ({
      startMs: toWholeSecond(p.startMs),
      endMs: toWholeSecond(p.endMs ?? Math.max(nowMs, p.startMs)),
    }))
    .filter((i) => i.endMs > i.startMs)
    .sort((a, b) => a.startMs - b.startMs)
  const merged: TimeRange[] = []
  for (const i of intervals) {
    const last = merged[merged.length - 1]
    if (last && i.startMs <= last.endMs) last.endMs = Math.max(last.endMs, i.endMs)
    else merged.push({ ...i })
  }
  return merged
}

/** Removes the time inside `holes` (merged, sorted) from `segments` (sorted, non-overlapping). */
export function subtractIntervals(
  segments: readonly Segment[],
  holes: readonly TimeRange[],
): Segment[] {
  const out: Segment[] = []
  let h = 0
  for (const seg of segments) {
    let cursor = seg.startMs
    while (h < holes.length && (holes[h] as TimeRange).endMs <= cursor) h++
    let j = h
    while (j < holes.length && (holes[j] as TimeRange).startMs < seg.endMs) {
      const hole = holes[j] as TimeRange
      if (hole.startMs > cursor)
        out.push({ startMs: cursor, endMs: hole.startMs, event: seg.event })
      cursor = Math.max(cursor, hole.endMs)
      if (hole.endMs > seg.endMs) break
      j++
    }
    if (cursor < seg.endMs) out.push({ startMs: cursor, endMs: seg.endMs, event: seg.event })
  }
  return out
}

/** Seconds covered by `segments`. */
export function totalSeconds(segments: readonly Segment[]): number {
  let ms = 0
  for (const s of segments) ms += s.endMs - s.startMs
  return ms / 1000
}
