/**
 * Export: everything stored, read a page at a time, so an export of years of history runs in
 * constant memory whatever its size. The API layer writes these records in a format's shape.
 */
import type { DaybookRecord } from '../domain/exchange.ts'
import { DAYBOOK_FORMAT_VERSION } from '../domain/exchange.ts'
import { EARLIEST_MS, type ActivityEvent, type AfkPeriod } from '../domain/events.ts'
import type { Clock } from '../domain/clock.ts'
import { DAY_MS } from '../domain/time.ts'
import { portableSettings } from '../domain/settings.ts'
import type { Heartbeat, StoredHeartbeat } from '../domain/wakatime/heartbeat.ts'
import type { EventCursor, Store } from '../store/ports.ts'

/** What to export: a range of start times and devices (all when absent). */
export interface ExportQuery {
  startMs?: number | undefined
  endMs?: number | undefined
  devices?: readonly string[] | undefined
}

/** Rows per read: large enough to be quick, small enough to bound memory. */
const PAGE = 1000
/** AFK periods, labels and input are read a window of time at a time (they have no cursor). */
const WINDOW_MS = 30 * DAY_MS

export class ExportService {
  readonly #store: () => Store
  readonly #clock: Clock

  constructor(deps: { store: () => Store; clock: Clock }) {
    this.#store = deps.store
    this.#clock = deps.clock
  }

  #bounds(q: ExportQuery): { startMs: number; endMs: number } {
    return { startMs: q.startMs ?? EARLIEST_MS, endMs: q.endMs ?? this.#clock() + DAY_MS }
  }

  #wanted(q: ExportQuery, device: string): boolean {
    return q.devices === undefined || q.devices.length === 0 || q.devices.includes(device)
  }

  /**
   * Time windows covering the query, from its start (1990 when it has none). Not from the
   * earliest event: AFK periods, labels and input may be older than any event, or have none
   * beside them (a machine that only counted input), and they are exported too.
   */
  async *#windows(q: ExportQuery): AsyncGenerator<{ startMs: number; endMs: number }> {
    const { startMs, endMs } = this.#bounds(q)
    for (let s = startMs; s < endMs; s += WINDOW_MS)
      yield { startMs: s, endMs: Math.min(endMs, s + WINDOW_MS) }
  }

  /** The devices an export covers, by name. */
  async deviceNames(q: ExportQuery): Promise<string[]> {
    return (await this.#store().devices.list()).map((d) => d.name).filter((n) => this.#wanted(q, n))
  }

  /** Events starting in the range, by start then id. */
  async *events(q: ExportQuery): AsyncGenerator<ActivityEvent> {
    const { startMs, endMs } = this.#bounds(q)
    let after: EventCursor | undefined
    for (;;) {
      const page = await this.#store().events.list({
        range: { startMs, endMs },
        filters: q.devices && q.devices.length > 0 ? { device: q.devices } : {},
        limit: PAGE,
        after,
      })
      // A listing is of events overlapping the range; only those starting in it are exported.
      for (const e of page.events) if (e.startMs >= startMs) yield e
      if (page.next === null) return
      after = page.next
    }
  }

  /** AFK periods starting in the range, by start. */
  async *afk(q: ExportQuery): AsyncGenerator<AfkPeriod> {
    for await (const w of this.#windows(q)) {
      const periods = await this.#store().afk.list(w)
      for (const p of periods) {
        // Each period once: in the window it starts in.
        if (p.startMs >= w.startMs && p.startMs < w.endMs && this.#wanted(q, p.device)) yield p
      }
    }
  }

  /** WakaTime heartbeats with a time in the range, by time then id. */
  async *heartbeats(q: ExportQuery): AsyncGenerator<StoredHeartbeat> {
    const { endMs } = this.#bounds(q)
    let startMs = this.#bounds(q).startMs
    let seen = new Set<string>()
    for (;;) {
      const page = await this.#store().heartbeats.list({ startMs, endMs }, PAGE)
      const fresh = page.filter((h) => !(h.timeMs === startMs && seen.has(h.id)))
      for (const h of fresh) if (this.#wanted(q, h.device)) yield h
      if (page.length < PAGE) return
      const last = (page[page.length - 1] as StoredHeartbeat).timeMs
      // The next page starts at the last time read; heartbeats at that instant already read are
      // skipped by id.
      if (last !== startMs) seen = new Set()
      for (const h of page) if (h.timeMs === last) seen.add(h.id)
      if (fresh.length === 0) throw new Error('more heartbeats at one instant than a page holds')
      startMs = last
    }
  }

  /** Every record of a `daybook` export, in the order an import needs them. */
  async *daybook(q: ExportQuery): AsyncGenerator<DaybookRecord> {
    const store = this.#store()
    const schema = await store.schema()
    yield {
      type: 'header',
      format: 'daybook',
      version: DAYBOOK_FORMAT_VERSION,
      exportedAt: new Date(this.#clock()).toISOString(),
      schema: schema.version,
    }
    yield { type: 'settings', settings: portableSettings(await store.settings.get()) }
    const devices = (await store.devices.list()).filter((d) => this.#wanted(q, d.name))
    for (const d of devices) yield { type: 'device', name: d.name, own: d.own }
    for await (const w of this.#windows(q)) {
      const labels = await store.labels.list({ range: w, limit: 1_000_000 })
      for (const l of labels) {
        if (l.startMs < w.startMs || l.startMs >= w.endMs) continue
        yield {
          type: 'label',
          text: l.text,
          context: l.context,
          startMs: l.startMs,
          endMs: l.endMs,
        }
      }
    }
    for await (const h of this.heartbeats(q)) {
      yield { type: 'heartbeat', heartbeat: withoutIds(h) }
    }
    for await (const e of this.events(q)) {
      yield { type: 'event', ...e, id: undefined } as DaybookRecord
    }
    for await (const p of this.afk(q)) {
      yield {
        type: 'afk',
        device: p.device,
        startMs: p.startMs,
        endMs: p.endMs,
        durationSec: p.durationSec,
        source: p.source,
      }
    }
    // Each stored row: its device and source as they are, nothing summed.
    const names = devices.map((d) => d.name)
    for await (const w of this.#windows(q)) {
      for (const r of await store.input.rows({ ...w, devices: names }))
        yield { type: 'input', ...r }
    }
  }
}

/** A heartbeat without its database ids: what was sent, as it is sent again. */
function withoutIds(h: StoredHeartbeat): Heartbeat {
  return {
    entity: h.entity,
    type: h.type,
    category: h.category,
    project: h.project,
    branch: h.branch,
    language: h.language,
    isWrite: h.isWrite,
    timeMs: h.timeMs,
    device: h.device,
    editor: h.editor,
    os: h.os,
    userAgent: h.userAgent,
    extra: h.extra,
  }
}
