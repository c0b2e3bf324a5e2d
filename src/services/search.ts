/**
 * Search: hits over a range, newest first, found a day at a time so a stream can send each day's
 * hits as soon as they are known, and stop when nobody is listening any more. An event hit shows
 * the category its time counts under, as the listing does.
 */
import { type Calendar, type TimeRange, bucketFloor } from '../domain/calendar.ts'
import type { Store } from '../store/ports.ts'
import type { SearchHit } from '../domain/search.ts'
import type { ActiveTimeService } from './active-time.ts'
import type { EventService } from './events.ts'

export class SearchService {
  readonly #store: () => Store
  readonly #activeTime: ActiveTimeService
  readonly #events: EventService

  constructor(deps: { store: () => Store; activeTime: ActiveTimeService; events: EventService }) {
    this.#store = deps.store
    this.#activeTime = deps.activeTime
    this.#events = deps.events
  }

  /**
   * Hits in `range` (clipped to what is stored and to now), newest first, at most `limit`; the
   * days searched are reported to `onDay` as they are done. Stops early when `signal` aborts.
   */
  async *stream(
    text: string,
    range: { startMs?: number | undefined; endMs?: number | undefined },
    limit: number,
    calendar: Calendar,
    signal?: AbortSignal,
  ): AsyncGenerator<{ day: TimeRange; hits: SearchHit[] }> {
    const clipped = await this.#activeTime.clip(range)
    if (!clipped) return
    const categorize = await this.#events.categorize()
    let remaining = limit
    let end = clipped.endMs
    while (end > clipped.startMs && remaining > 0 && !signal?.aborted) {
      const start = Math.max(clipped.startMs, bucketFloor(end - 1, 'day', calendar))
      const day = { startMs: start, endMs: end }
      const hits = (await this.#store().search.search(text, day, remaining)).map((h) =>
        h.type === 'event' ? { ...h, event: categorize(h.event) } : h,
      )
      remaining -= hits.length
      yield { day, hits }
      end = start
    }
  }

  /** All hits at once (at most `limit`). */
  async search(
    text: string,
    range: { startMs?: number | undefined; endMs?: number | undefined },
    limit: number,
    calendar: Calendar,
  ): Promise<SearchHit[]> {
    const out: SearchHit[] = []
    for await (const { hits } of this.stream(text, range, limit, calendar)) out.push(...hits)
    return out
  }
}
