/**
 * Stretches: the active timeline's segments joined where one thing went on without a break. The
 * timeline cuts an event wherever another one wins an instant or an AFK period begins; read by a
 * person (or a model), the pieces of one uninterrupted thing belong together again.
 */
import type { Segment, TimelineEvent } from './timeline.ts'

/** Consecutive segments with the same key, joined: the first one's event, the span of all. */
export interface Stretch<E extends TimelineEvent> {
  startMs: number
  endMs: number
  event: E
}

/**
 * Joins segments (in time order, as the timeline gives them) that touch and have equal keys;
 * `key` null never joins. Segments are whole seconds, so the stretches' lengths add up exactly.
 */
export function joinStretches<E extends TimelineEvent>(
  segments: readonly Segment<E>[],
  key: (event: E) => string | null,
): Stretch<E>[] {
  const out: Stretch<E>[] = []
  let lastKey: string | null = null
  for (const s of segments) {
    const k = key(s.event)
    const last = out.at(-1)
    if (last && k !== null && k === lastKey && last.endMs === s.startMs) {
      last.endMs = s.endMs
      continue
    }
    out.push({ startMs: s.startMs, endMs: s.endMs, event: s.event })
    lastKey = k
  }
  return out
}
