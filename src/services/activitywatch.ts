/**
 * ActivityWatch, as every adapter of its API calls it: buckets, events, heartbeats, import and
 * settings kept as ActivityWatch keeps them (the store's `activitywatch` port), and each stored
 * event also fed to Daybook's timeline through the ingest service (`mapEvent`), so summaries,
 * the dashboard and insights count ActivityWatch watchers' time once, with everything else.
 *
 * The AW row commits first, then its timeline event. A crash between the two leaves the AW row
 * without its timeline view until the watcher's next heartbeat, which the client retries anyway
 * (it got no answer) and which maps to the same timeline event; an import retried maps every
 * event it holds again. Nothing acknowledged is lost.
 */
import { INCOGNITO, type Mapped, mapEvent } from '../domain/activitywatch/mapping.ts'
import type { AwBucket, AwBucketRecord, AwEvent, JsonValue } from '../domain/activitywatch/model.ts'
import { endOf } from '../domain/activitywatch/model.ts'
import type { Clock } from '../domain/clock.ts'
import { NotFoundError } from '../domain/errors.ts'
import {
  EARLIEST_MS,
  MAX_EVENT_MS,
  MAX_FUTURE_MS,
  type NewActivityEvent,
  type NewAfkPeriod,
  eventId,
} from '../domain/events.ts'
import type { AwEventQuery } from '../store/activitywatch-port.ts'
import type { Store } from '../store/ports.ts'
import type { IngestService } from './ingest.ts'

/** The bucket missing, as ActivityWatch words it. */
function noSuchBucket(id: string): NotFoundError {
  return new NotFoundError('no_such_bucket', `The requested bucket '${id}' does not exist`)
}

/**
 * Incognito browsing is not kept: an incognito tab's URL and title are replaced before the event
 * is stored anywhere (so successive incognito pages merge into one event, as one private stretch).
 */
function redactIncognito(type: string, e: AwEvent): AwEvent {
  if (type !== 'web.tab.current' && type !== 'currentwindow') return e
  if (e.data.incognito !== true) return e
  const data = { ...e.data }
  if ('url' in data) data.url = INCOGNITO
  if ('title' in data) data.title = INCOGNITO
  return { ...e, data }
}

/** Events clipped to a range, as ActivityWatch serves them (start and end clamped). */
function clipEvents(events: readonly AwEvent[], start?: bigint, end?: bigint): AwEvent[] {
  return events.map((e) => {
    let s = e.timestamp
    let t = endOf(e)
    if (start !== undefined && s < start) s = start
    if (end !== undefined && t > end) t = end
    if (s === e.timestamp && t === endOf(e)) return e
    return { ...e, timestamp: s, duration: t > s ? t - s : 0n }
  })
}

export class ActivityWatchService {
  readonly #store: () => Store
  readonly #ingest: IngestService
  readonly #clock: Clock
  /** Buckets by id (only this service writes them); filled on first use. */
  readonly #buckets = new Map<string, AwBucketRecord>()

  constructor(deps: { store: () => Store; ingest: IngestService; clock: Clock }) {
    this.#store = deps.store
    this.#ingest = deps.ingest
    this.#clock = deps.clock
  }

  get #aw() {
    return this.#store().activitywatch
  }

  /** The daemon's own device: ActivityWatch's `hostname` and `device_id`. */
  async ownDevice(): Promise<{ name: string; id: string }> {
    const own = (await this.#store().devices.list()).find((d) => d.own)
    return { name: own?.name ?? 'unknown', id: own?.id ?? '' }
  }

  buckets(): Promise<AwBucket[]> {
    return this.#aw.buckets()
  }

  async bucket(id: string): Promise<AwBucket> {
    const b = await this.#aw.bucket(id)
    if (!b) throw noSuchBucket(id)
    return b
  }

  async #record(id: string): Promise<AwBucketRecord> {
    const cached = this.#buckets.get(id)
    if (cached) return cached
    const b = await this.bucket(id)
    this.#buckets.set(id, b)
    return b
  }

  /**
   * Creates a bucket; false when it exists. `!local` as hostname stands for this device (and
   * adds its id to the bucket's data), as ActivityWatch does for aw-watcher-web.
   */
  async createBucket(bucket: AwBucketRecord): Promise<boolean> {
    let b = bucket
    if (b.hostname === '!local') {
      const own = await this.ownDevice()
      b = { ...b, hostname: own.name, data: { ...b.data, device_id: own.id } }
    }
    return this.#aw.createBucket(b)
  }

  /** Deletes a bucket, its events, and their view in the timeline. False when there was none. */
  async deleteBucket(id: string): Promise<boolean> {
    const b = await this.#aw.bucket(id)
    if (!b) return false
    // The timeline view goes first, a page at a time: a crash half-way leaves the bucket in
    // place, so deleting it again finishes the job.
    const PAGE = 2000
    let before: bigint | undefined
    let boundary = new Set<number | null>()
    for (;;) {
      // Newest first, from `before` back; events starting exactly at `before` were seen already.
      const page = await this.#aw.events(id, { end: before, limit: PAGE })
      const fresh = page.filter((e) => e.timestamp !== before || !boundary.has(e.id))
      if (fresh.length === 0) break
      await this.#unmap(b, fresh)
      if (page.length < PAGE) break
      const last = (page[page.length - 1] as AwEvent).timestamp
      if (last !== before) boundary = new Set()
      for (const e of page) if (e.timestamp === last) boundary.add(e.id)
      before = last
    }
    this.#buckets.delete(id)
    return this.#aw.deleteBucket(id)
  }

  /** Stores events (an event with an id replaces that one); resolves to them with their ids. */
  async insertEvents(bucketId: string, events: readonly AwEvent[]): Promise<AwEvent[]> {
    const b = await this.#record(bucketId)
    const redacted = events.map((e) => redactIncognito(b.type, e))
    const { events: stored, replaced } = await this.#aw.insertEvents(bucketId, redacted)
    // A replaced event whose timeline view changes identity loses its old view first.
    const kept = new Set(stored.map((e) => timelineKey(mapEvent(b, e))))
    await this.#unmap(
      b,
      replaced.filter((e) => !kept.has(timelineKey(mapEvent(b, e)))),
    )
    await this.#map(b, stored)
    return stored
  }

  /** Applies a heartbeat; resolves to the merged or inserted event, with its id. */
  async heartbeat(bucketId: string, heartbeat: AwEvent, pulsetimeNs: bigint): Promise<AwEvent> {
    const b = await this.#record(bucketId)
    const { event } = await this.#aw.heartbeat(
      bucketId,
      redactIncognito(b.type, heartbeat),
      pulsetimeNs,
    )
    await this.#map(b, [event])
    return event
  }

  /** Events overlapping the range, newest first, clipped to it. */
  async events(bucketId: string, q: AwEventQuery): Promise<AwEvent[]> {
    return clipEvents(await this.#aw.events(bucketId, q), q.start, q.end)
  }

  async event(bucketId: string, id: number): Promise<AwEvent> {
    const e = await this.#aw.event(bucketId, id)
    if (!e) {
      throw new NotFoundError(
        'no_such_event',
        `The requested event ${id} does not exist in '${bucketId}'`,
      )
    }
    return e
  }

  /** Deletes an event and its timeline view; false when there was none. */
  async deleteEvent(bucketId: string, id: number): Promise<boolean> {
    const b = await this.#record(bucketId)
    const gone = await this.#aw.deleteEvent(bucketId, id)
    if (!gone) return false
    await this.#unmap(b, [gone])
    return true
  }

  count(bucketId: string, q: Omit<AwEventQuery, 'limit'>): Promise<number> {
    return this.#aw.count(bucketId, q)
  }

  /** Every bucket (or one) with all its events, as ActivityWatch exports them. */
  async export(bucketId?: string): Promise<{ bucket: AwBucket; events: AwEvent[] }[]> {
    const buckets = bucketId === undefined ? await this.buckets() : [await this.bucket(bucketId)]
    const out = []
    for (const bucket of buckets) out.push({ bucket, events: await this.#aw.events(bucket.id, {}) })
    return out
  }

  /**
   * Imports buckets: new ones created, existing ones merged without duplicates. Resolves to how
   * many events were new and how many were stored already.
   */
  async import(
    buckets: readonly { bucket: AwBucketRecord; events: AwEvent[] }[],
  ): Promise<{ inserted: number; duplicates: number }> {
    let inserted = 0
    let duplicates = 0
    for (const { bucket, events } of buckets) {
      const redacted = events.map((e) => redactIncognito(bucket.type, e))
      const result = await this.#aw.importBucket(bucket, redacted)
      const stored = await this.#record(bucket.id)
      // Every event of the import, not only those new to the bucket: an import cut off by a
      // crash after its AW rows committed left them without their timeline view, and importing
      // it again (what a client that got no answer does) skips them as known. Mapping is
      // idempotent: a view already there is a duplicate. (Found by the crash harness.)
      await this.#map(stored, redacted)
      inserted += result.inserted.length
      duplicates += events.length - result.inserted.length
    }
    return { inserted, duplicates }
  }

  settings(): Promise<Record<string, JsonValue>> {
    return this.#aw.settings()
  }

  async setting(key: string): Promise<JsonValue> {
    return (await this.#aw.setting(key)) ?? null
  }

  saveSetting(key: string, value: JsonValue): Promise<void> {
    return this.#aw.saveSetting(key, value)
  }

  deleteSetting(key: string): Promise<boolean> {
    return this.#aw.deleteSetting(key)
  }

  /** Feeds the timeline views of stored events to ingest (those Daybook would refuse are left). */
  async #map(b: AwBucketRecord, events: readonly AwEvent[]): Promise<void> {
    const now = this.#clock()
    const activity: NewActivityEvent[] = []
    const afk: NewAfkPeriod[] = []
    for (const e of events) {
      const m = mapEvent(b, e)
      if (!m) continue
      const range = m.kind === 'event' ? m.event : { ...m.period, endMs: m.period.endMs ?? 0 }
      // Daybook's rules for times (not before 1990, not in the future, at most 7 days long) hold
      // for the timeline; an AW event outside them stays an AW event only.
      if (
        range.startMs < EARLIEST_MS ||
        range.startMs > now + MAX_FUTURE_MS ||
        range.endMs - range.startMs > MAX_EVENT_MS
      ) {
        continue
      }
      if (m.kind === 'event') activity.push(m.event)
      else afk.push(m.period)
    }
    if (activity.length > 0) await this.#ingest.events(activity)
    if (afk.length > 0) await this.#ingest.afk(afk)
  }

  /** Removes the timeline views of events that are gone or changed. */
  async #unmap(b: AwBucketRecord, events: readonly AwEvent[]): Promise<void> {
    const mapped = events.map((e) => mapEvent(b, e)).filter((m) => m !== undefined)
    if (mapped.length === 0) return
    const device = (await this.#store().devices.list()).find((d) => d.name === b.hostname)
    if (!device) return
    const ids: string[] = []
    for (const m of mapped) {
      if (m.kind === 'event') ids.push(eventId(device.id, m.event))
      else {
        // An AFK period is its device and start.
        await this.#ingest.deleteAfk({
          startMs: m.period.startMs,
          endMs: m.period.startMs + 1,
          devices: [b.hostname],
        })
      }
    }
    if (ids.length > 0) await this.#ingest.deleteEvents({ ids })
  }
}

/** What identifies a timeline view: its kind, start and names (not its end). */
function timelineKey(m: Mapped): string {
  if (!m) return ''
  if (m.kind === 'afk') return JSON.stringify(['afk', m.period.startMs])
  const e = m.event
  return JSON.stringify([
    e.source,
    e.startMs,
    e.category,
    e.app,
    e.entity,
    e.project,
    e.branch,
    e.language,
  ])
}
