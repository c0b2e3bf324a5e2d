/**
 * Events as every reader sees them: each with the category it counts under
 * (`domain/category-rules.ts`), and a `categories` filter that selects by that category, so a
 * listing shows what the summaries count. The store keeps events as they were sent (the change
 * feed and sync carry them so); the rules are applied here, on the way out.
 */
import type { TimeRange } from '../domain/calendar.ts'
import {
  GENERIC_CATEGORIES,
  storedCategoriesFor,
  withRuleCategory,
} from '../domain/category-rules.ts'
import type { ActivityEvent } from '../domain/events.ts'
import { withDefaults } from '../domain/settings.ts'
import type { EventListQuery, EventPage, Store } from '../store/ports.ts'

/** Events fetched from the store at once while collecting a whole range. */
const PAGE = 10_000

export class EventService {
  readonly #store: () => Store

  constructor(deps: { store: () => Store }) {
    this.#store = deps.store
  }

  /** What gives an event its effective category under the stored rules. */
  async categorize(): Promise<<E extends ActivityEvent>(event: E) => E> {
    return withRuleCategory(withDefaults(await this.#store().settings.get()).categoryRules)
  }

  /**
   * A page of events by start, then id, each with its effective category; a `category` filter
   * names effective categories. The store is asked for the stored categories that can count
   * under them (`storedCategoriesFor`), and the rules decide each event; when that leaves fewer
   * than `limit`, the next candidates are fetched, so a page is as full as an unfiltered one
   * and its cursor is the last event returned: the events between it and the next kept one are
   * all ones the filter rejects.
   */
  async list(q: EventListQuery): Promise<EventPage> {
    const store = this.#store()
    const { categoryRules } = withDefaults(await store.settings.get())
    const categorize = withRuleCategory(categoryRules)
    const wanted = q.filters.category
    if (!wanted || wanted.length === 0) {
      const page = await store.events.list(q)
      return { events: page.events.map(categorize), next: page.next }
    }
    const stored = storedCategoriesFor(wanted, categoryRules)
    const filters = { ...q.filters, category: stored }
    // No generic category among the candidates (or no rules): every candidate keeps its own
    // category, so the store's filter is exact.
    if (categoryRules.length === 0 || !stored.some((c) => GENERIC_CATEGORIES.has(c))) {
      const page = await store.events.list({ ...q, filters })
      return { events: page.events.map(categorize), next: page.next }
    }
    const keep = new Set(wanted)
    const kept: ActivityEvent[] = []
    let after = q.after
    for (;;) {
      const page = await store.events.list({ ...q, filters, after })
      for (const e of page.events) {
        const counted = categorize(e)
        if (keep.has(counted.category)) kept.push(counted)
      }
      if (kept.length > q.limit) {
        const last = kept[q.limit - 1] as ActivityEvent
        return { events: kept.slice(0, q.limit), next: { startMs: last.startMs, id: last.id } }
      }
      if (!page.next) return { events: kept, next: null }
      after = page.next
    }
  }

  /** Every event overlapping `range`, as stored (the rules not applied), by start then id. */
  async stored(range: TimeRange): Promise<ActivityEvent[]> {
    const events: ActivityEvent[] = []
    let after: EventListQuery['after']
    for (;;) {
      const page = await this.#store().events.list({ range, filters: {}, limit: PAGE, after })
      events.push(...page.events)
      if (!page.next) return events
      after = page.next
    }
  }
}
