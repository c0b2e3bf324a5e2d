/**
 * Suggestions for building rules from your own history: the words that took the most time
 * (titles, files, URLs, labels), and what typical days of some activity look like (minutes a day,
 * the longest stretch), as percentiles to pick thresholds from.
 */
import type { TimeRange } from '../calendar.ts'
import { entitySubject } from '../category-rules.ts'
import type { ActivityEvent } from '../events.ts'
import type { Label } from '../labels.ts'
import { MINUTE_MS } from '../time.ts'
import type { Segment } from '../timeline.ts'
import { activityStretchesMs } from './conditions.ts'

/** Words too common to tell activities apart. */
const STOPWORDS = new Set(
  (
    'the and for with from that this you your are was were not but all any can has have had ' +
    'http https www com org net html htm php index new tab untitled home user users src lib ' +
    'ts js tsx jsx json md txt www2 app apps'
  ).split(' '),
)

/** The words of a text worth matching on: lower case, three letters or more, no bare numbers. */
export function keywordsOf(text: string): string[] {
  return [
    ...new Set(
      text
        .toLowerCase()
        .split(/[^\p{L}\p{N}]+/u)
        .filter((w) => w.length >= 3 && !/^\p{N}+$/u.test(w) && !STOPWORDS.has(w)),
    ),
  ]
}

export type KeywordSource = 'title' | 'url' | 'entity' | 'label'

export interface KeywordSuggestion {
  word: string
  /** Active seconds of the activity (or label stretches) the word occurs in. */
  seconds: number
  /** Segments and labels it occurs in. */
  count: number
  sources: KeywordSource[]
}

/** The words that took the most time in `segments` and `labels` (clipped to `range`), best first. */
export function suggestKeywords(
  segments: readonly Segment<ActivityEvent>[],
  labels: readonly Label[],
  range: TimeRange,
  limit: number,
): KeywordSuggestion[] {
  const found = new Map<string, { seconds: number; count: number; sources: Set<KeywordSource> }>()
  const add = (text: string, seconds: number, source: KeywordSource) => {
    for (const word of keywordsOf(text)) {
      let entry = found.get(word)
      if (!entry) found.set(word, (entry = { seconds: 0, count: 0, sources: new Set() }))
      entry.seconds += seconds
      entry.count++
      entry.sources.add(source)
    }
  }
  for (const s of segments) {
    const e = s.event
    const source: KeywordSource =
      entitySubject(e, 'url') !== undefined
        ? 'url'
        : entitySubject(e, 'title') !== undefined
          ? 'title'
          : 'entity'
    add(e.entity, (s.endMs - s.startMs) / 1000, source)
  }
  for (const l of labels) {
    const seconds = Math.max(0, Math.min(l.endMs, range.endMs) - Math.max(l.startMs, range.startMs))
    add(l.text, seconds / 1000, 'label')
  }
  return [...found]
    .map(([word, e]) => ({
      word,
      seconds: Math.round(e.seconds),
      count: e.count,
      sources: [...e.sources].sort(),
    }))
    .sort((a, b) => b.seconds - a.seconds || b.count - a.count || (a.word < b.word ? -1 : 1))
    .slice(0, limit)
}

/** Percentiles (nearest rank) of a list of minutes. */
export interface Percentiles {
  p25: number
  p50: number
  p75: number
  p90: number
  max: number
}

/** What one day of matching activity came to, in whole minutes. */
export interface DayFigures {
  minutes: number
  longestStretch: number
}

/** A day's matching active minutes and its longest stretch (as an `activity` rule counts it). */
export function dayFigures(
  segments: readonly Segment<ActivityEvent>[],
  matches: (e: ActivityEvent) => boolean,
): DayFigures {
  let total = 0
  for (const s of segments) if (matches(s.event)) total += s.endMs - s.startMs
  const longest = Math.max(0, ...activityStretchesMs(segments, matches))
  return { minutes: Math.round(total / MINUTE_MS), longestStretch: Math.round(longest / MINUTE_MS) }
}

export function percentiles(values: readonly number[]): Percentiles | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number
  return { p25: at(0.25), p50: at(0.5), p75: at(0.75), p90: at(0.9), max: at(1) }
}

export interface DistanceSuggestion {
  /** Days with any activity in the range: what the percentiles are over. */
  days: number
  /** Matching active minutes a day. */
  dailyMinutes: Percentiles | null
  /** The longest stretch of matching activity a day, in minutes. */
  longestStretchMinutes: Percentiles | null
  /**
   * Thresholds that a usual day stays under: the 75th percentile, rounded up to 5 minutes (at
   * least 5); null without days.
   */
  suggested: { budget: number; activity: number } | null
}

/** Percentiles of days' figures, and thresholds from them. */
export function suggestDistances(days: readonly DayFigures[]): DistanceSuggestion {
  const daily = percentiles(days.map((d) => d.minutes))
  const longest = percentiles(days.map((d) => d.longestStretch))
  const round = (m: number) => Math.max(5, Math.ceil(m / 5) * 5)
  return {
    days: days.length,
    dailyMinutes: daily,
    longestStretchMinutes: longest,
    suggested: daily && longest ? { budget: round(daily.p75), activity: round(longest.p75) } : null,
  }
}
