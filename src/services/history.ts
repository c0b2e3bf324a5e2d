/**
 * History: sessions (stretches of continuous activity), what is recorded overall, and day totals.
 */
import {
  type Calendar,
  type TimeRange,
  bucketFloor,
  bucketNext,
  dateLabel,
} from '../domain/calendar.ts'
import type { Clock } from '../domain/clock.ts'
import type { Store } from '../store/ports.ts'
import type { Session } from '../domain/sessions.ts'
import type { ActiveTimeService } from './active-time.ts'
import type { IngestService } from './ingest.ts'
import { DAY_MS } from '../domain/time.ts'

export class HistoryService {
  readonly #store: () => Store
  readonly #clock: Clock
  readonly #activeTime: ActiveTimeService
  readonly #ingest: IngestService

  constructor(deps: {
    store: () => Store
    clock: Clock
    activeTime: ActiveTimeService
    ingest: IngestService
  }) {
    this.#store = deps.store
    this.#clock = deps.clock
    this.#activeTime = deps.activeTime
    this.#ingest = deps.ingest
  }

  /** Sessions overlapping `range` (cut at its ends, and at now). */
  async sessions(range: TimeRange, gapMinutes: number): Promise<Session[]> {
    const clipped = await this.#activeTime.clip(range)
    if (!clipped) return []
    return this.#store().activeTime.sessions(clipped, gapMinutes * 60_000)
  }

  /** The session containing `atMs`, or null; sessions are looked for a day either side of it. */
  async findSession(atMs: number, gapMinutes: number): Promise<Session | null> {
    const found = await this.sessions({ startMs: atMs - DAY_MS, endMs: atMs + DAY_MS }, gapMinutes)
    return found.find((s) => s.startMs <= atMs && atMs < s.endMs) ?? null
  }

  /** Deletes the events and AFK periods that start within a session's span. */
  async deleteSpan(range: TimeRange): Promise<{ deletedEvents: number; deletedAfk: number }> {
    const events = await this.#ingest.deleteEvents({ startMs: range.startMs, endMs: range.endMs })
    const afk = await this.#ingest.deleteAfk({ startMs: range.startMs, endMs: range.endMs })
    return { deletedEvents: events.deleted, deletedAfk: afk.deleted }
  }

  /** What is recorded: the span, the active days, the totals. */
  async stats(calendar: Calendar): Promise<{
    firstActivity: number | null
    lastActivity: number | null
    daysRecorded: number
    activeSeconds: number
    events: number
    afkPeriods: number
    labels: number
    devices: number
  }> {
    const store = this.#store()
    const [span, counts] = await Promise.all([store.events.span(), store.status.counts()])
    const days = span
      ? await this.#activeTime.cells({
          range: span,
          unit: 'day',
          calendar,
          filters: {},
          includeAfk: false,
        })
      : []
    return {
      firstActivity: span?.startMs ?? null,
      lastActivity: span?.endMs ?? null,
      daysRecorded: new Set(days.map((d) => d.label)).size,
      activeSeconds: days.reduce((s, d) => s + d.seconds, 0),
      events: counts.events,
      afkPeriods: counts.afkPeriods,
      labels: counts.labels,
      devices: counts.devices,
    }
  }

  /** Active minutes of each of the last `days` local days (today last), zero days included. */
  async dailyActiveMinutes(
    days: number,
    calendar: Calendar,
  ): Promise<{ date: string; minutes: number }[]> {
    const now = this.#clock()
    let start = bucketFloor(now, 'day', calendar)
    const end = bucketNext(now, 'day', calendar)
    for (let i = 1; i < days; i++) start = bucketFloor(start - 1, 'day', calendar)
    const cells = await this.#activeTime.cells({
      range: { startMs: start, endMs: end },
      unit: 'day',
      calendar,
      filters: {},
      includeAfk: false,
    })
    const byDay = new Map(cells.map((c) => [c.label, c.seconds]))
    const out: { date: string; minutes: number }[] = []
    for (let t = start; t < end; t = bucketNext(t, 'day', calendar)) {
      const date = dateLabel(t, calendar)
      out.push({ date, minutes: Math.round(((byDay.get(date) ?? 0) / 60) * 100) / 100 })
    }
    return out
  }
}
