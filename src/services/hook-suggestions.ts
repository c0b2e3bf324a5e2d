/**
 * Suggestions for writing hook rules: the words that took the most time, and what days of
 * matching activity came to, read off the active timeline (the domain computes them).
 */
import { bucketNext, dayStartMs, logicalDate } from '../domain/calendar.ts'
import { UnprocessableError } from '../domain/errors.ts'
import { eventMatcher } from '../domain/hooks/match.ts'
import { type Match, checkActivityMatch } from '../domain/hooks/rules.ts'
import {
  type DistanceSuggestion,
  type KeywordSuggestion,
  dayFigures,
  suggestDistances,
  suggestKeywords,
} from '../domain/hooks/suggest.ts'
import { calendarFor } from '../domain/settings.ts'
import { DAY_MS } from '../domain/time.ts'
import type { Store } from '../store/ports.ts'
import type { ActiveTimeService } from './active-time.ts'
import type { SettingsService } from './settings.ts'

/** Longest range the suggestions read. */
export const MAX_SUGGEST_DAYS = 31

/** Reads a range of the timeline for the hooks' suggestions. */
export class HookSuggestions {
  readonly #store: () => Store
  readonly #activeTime: ActiveTimeService
  readonly #settings: SettingsService

  constructor(deps: {
    store: () => Store
    activeTime: ActiveTimeService
    settings: SettingsService
  }) {
    this.#store = deps.store
    this.#activeTime = deps.activeTime
    this.#settings = deps.settings
  }

  /** Words that took the most time in a range: titles, files, URLs and labels. */
  async keywords(startMs: number, endMs: number, limit = 40): Promise<KeywordSuggestion[]> {
    checkRange(startMs, endMs)
    const range = { startMs, endMs }
    const [segments, labels] = await Promise.all([
      this.#activeTime.segments(range),
      this.#store().labels.list({ range, limit: 10_000 }),
    ])
    return suggestKeywords(segments, labels, range, limit)
  }

  /**
   * What days of matching activity came to in a range: minutes a day and the longest stretch, as
   * percentiles over the days with any activity, and thresholds from them.
   */
  async distances(startMs: number, endMs: number, match: Match): Promise<DistanceSuggestion> {
    checkRange(startMs, endMs)
    checkActivityMatch(match)
    const matches = eventMatcher(match)
    const cal = calendarFor(await this.#settings.get())
    const figures = []
    // A day at a time: a month of a heavy user's events is never in memory at once.
    for (let day = dayStartMs(logicalDate(startMs, cal), cal); day < endMs;) {
      const next = bucketNext(day, 'day', cal)
      const segments = await this.#activeTime.segments({
        startMs: Math.max(day, startMs),
        endMs: Math.min(next, endMs),
      })
      if (segments.length > 0) figures.push(dayFigures(segments, matches))
      day = next
    }
    return suggestDistances(figures)
  }
}

function checkRange(startMs: number, endMs: number): void {
  if (endMs - startMs > MAX_SUGGEST_DAYS * DAY_MS) {
    throw new UnprocessableError(
      'range_too_long',
      `suggestions read at most ${MAX_SUGGEST_DAYS} days; choose a shorter range`,
      'body/end',
    )
  }
}
