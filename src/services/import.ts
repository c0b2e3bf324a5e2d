/**
 * Import jobs: items read from a file of any format (the API layer parses it) stored through the
 * same paths as live data: events and AFK periods through ingest (arrivals, content ids, presence),
 * WakaTime heartbeats through ingest's heartbeat path (the same derivation as the plugins' posts),
 * ActivityWatch buckets through the ActivityWatch service (the same mapping as live watchers).
 * So an import obeys every rule a live sender does, and importing a file again adds nothing.
 *
 * Items are stored in batches as they are read: memory stays bounded whatever the file's size.
 */
import { randomUUID } from 'node:crypto'
import type { AwBucketRecord, AwEvent } from '../domain/activitywatch/model.ts'
import { endOf } from '../domain/activitywatch/model.ts'
import type { Clock } from '../domain/clock.ts'
import { DaybookError, NotFoundError } from '../domain/errors.ts'
import {
  type ImportFormat,
  type ImportSummary,
  type ItemKind,
  countSkipped,
  emptySummary,
  skipReason,
} from '../domain/exchange.ts'
import type { NewActivityEvent, NewAfkPeriod } from '../domain/events.ts'
import type { NewLabel } from '../domain/labels.ts'
import { portableSettings } from '../domain/settings.ts'
import type { Heartbeat } from '../domain/wakatime/heartbeat.ts'
import type { InputRow } from '../domain/input.ts'
import type { Store } from '../store/ports.ts'
import type { ActivityWatchService } from './activitywatch.ts'
import type { Bus } from './bus.ts'
import type { IngestService } from './ingest.ts'
import type { LabelService } from './labels.ts'
import type { SettingsService } from './settings.ts'
import type { DeviceService } from './devices.ts'

/** One item read from an import file, as the service stores it. */
export type ImportItem =
  | { kind: 'event'; event: NewActivityEvent }
  | { kind: 'afk period'; period: NewAfkPeriod }
  | { kind: 'heartbeat'; heartbeat: Heartbeat }
  | { kind: 'activitywatch event'; bucket: AwBucketRecord; event: AwEvent }
  | { kind: 'input bucket'; row: InputRow }
  | { kind: 'label'; label: NewLabel }
  | { kind: 'setting'; settings: Record<string, unknown> }
  /** A device an export names (created when not stored: one without any data too). */
  | { kind: 'device'; name: string }
  /** An item the file holds that cannot be stored, and why ("before 1990"). */
  | { kind: 'skip'; of: ItemKind; reason: string }

/** An import as `GET /v1/import/{id}` shows it. */
export interface ImportJob {
  id: string
  format: ImportFormat
  /** The file's name as the client gave it (for messages). */
  name: string
  state: 'running' | 'done' | 'failed'
  dryRun: boolean
  atomic: boolean
  startedMs: number
  finishedMs: number | null
  /** Bytes of the input read so far. */
  bytes: number
  summary: ImportSummary
  /** Why it failed: one line naming the file, the line or byte, and what was expected. */
  error: string | null
  /** When it failed: whether the items read before the error were kept (false: none stored). */
  kept: boolean | null
}

/**
 * Items per write: one ingest call, so one store transaction and one round trip to the writer
 * thread each. Two batches are in memory at most (one read while the other is written).
 */
const BATCH = 5000
/**
 * The longest an item read waits for its batch to fill: an input that arrives slowly or pauses (a
 * pipe from a program still writing) is stored as it comes, not when 5,000 items or the end came.
 */
const HOLD_MS = 1000
/** Finished jobs remembered for `GET /v1/import/{id}`. */
const KEEP_JOBS = 50
/** Progress on the live stream at most this often. */
const PROGRESS_MS = 1000

const OWN = '(this device)'

export class ImportService {
  readonly #store: () => Store
  readonly #bus: Bus
  readonly #clock: Clock
  readonly #ingest: IngestService
  readonly #aw: ActivityWatchService
  readonly #labels: LabelService
  readonly #settings: SettingsService
  readonly #devices: DeviceService
  readonly #jobs = new Map<string, ImportJob>()

  constructor(deps: {
    store: () => Store
    bus: Bus
    clock: Clock
    ingest: IngestService
    activitywatch: ActivityWatchService
    labels: LabelService
    settings: SettingsService
    devices: DeviceService
  }) {
    this.#store = deps.store
    this.#bus = deps.bus
    this.#clock = deps.clock
    this.#ingest = deps.ingest
    this.#aw = deps.activitywatch
    this.#labels = deps.labels
    this.#settings = deps.settings
    this.#devices = deps.devices
  }

  /** A new job, running. */
  create(options: {
    format: ImportFormat
    name: string
    dryRun: boolean
    atomic: boolean
  }): ImportJob {
    const job: ImportJob = {
      id: randomUUID(),
      ...options,
      state: 'running',
      startedMs: this.#clock(),
      finishedMs: null,
      bytes: 0,
      summary: emptySummary(),
      error: null,
      kept: null,
    }
    this.#jobs.set(job.id, job)
    for (const [id, j] of this.#jobs) {
      if (this.#jobs.size <= KEEP_JOBS) break
      if (j.state !== 'running') this.#jobs.delete(id)
    }
    return job
  }

  /** The jobs remembered (running ones, and the last ended ones), newest first. */
  list(): ImportJob[] {
    return [...this.#jobs.values()].reverse()
  }

  get(id: string): ImportJob {
    const job = this.#jobs.get(id)
    if (!job) throw new NotFoundError('no_such_import', `no import job ${id}`, 'id')
    return job
  }

  /**
   * Reads `items` into the store (or, dry, only counts them), updating the job as it goes. A
   * failure of the input (a `DaybookError` from the parser) ends the job `failed` with the items
   * before it kept (`kept: true`) — the batch in hand is stored first — unless `keep` is false.
   * Resolves to the job when it ended.
   */
  async run(
    job: ImportJob,
    items: AsyncIterable<ImportItem>,
    options: { dryRun: boolean; bytes?: () => number },
  ): Promise<ImportJob> {
    const batch = new Batch(this, job.summary, options.dryRun)
    let lastProgress = this.#clock()
    try {
      for await (const item of items) {
        await batch.add(item)
        job.bytes = options.bytes?.() ?? job.bytes
        if (this.#clock() - lastProgress >= PROGRESS_MS) {
          lastProgress = this.#clock()
          this.#progress(job)
        }
      }
      await batch.finish()
      job.bytes = options.bytes?.() ?? job.bytes
      job.state = 'done'
    } catch (err) {
      if (!(err instanceof DaybookError)) {
        await batch.finish().catch(() => undefined)
        job.state = 'failed'
        job.error = `${job.name}: ${(err as Error).message}`
        job.finishedMs = this.#clock()
        this.#progress(job)
        throw err
      }
      // The items read before the error are kept, all of them (the batch in hand included). A
      // write that failed itself has been reported by the error in hand.
      await batch.finish().catch(() => undefined)
      job.state = 'failed'
      job.error = err.message
      job.kept = !options.dryRun
    }
    job.finishedMs = this.#clock()
    this.#progress(job)
    return job
  }

  /**
   * Marks a job failed: an atomic import's check found a problem (nothing stored, `kept` false),
   * or its upload was cut off (the items before the cut are stored and counted: `kept` true).
   */
  fail(job: ImportJob, message: string, kept: boolean): ImportJob {
    job.state = 'failed'
    job.error = message
    job.kept = kept
    job.finishedMs = this.#clock()
    this.#progress(job)
    return job
  }

  #progress(job: ImportJob): void {
    this.#bus.publish({ type: 'import', job: { ...job, summary: structuredClone(job.summary) } })
  }

  /** @internal The writers a batch uses. */
  get writers() {
    return {
      store: this.#store,
      clock: this.#clock,
      ingest: this.#ingest,
      aw: this.#aw,
      labels: this.#labels,
      settings: this.#settings,
      devices: this.#devices,
    }
  }
}

/** Items waiting to be stored, one kind at a time (a file's order is kept between kinds). */
class Batch {
  readonly #w: ImportService['writers']
  readonly #s: ImportSummary
  readonly #dry: boolean
  #kind: ImportItem['kind'] | undefined
  #bucket: string | undefined
  #items: ImportItem[] = []
  #own: string | undefined
  /** The write in flight (or the last one), resolved once it is committed. */
  #writing: Promise<void> = Promise.resolve()
  /** Stores the batch in hand once its first item has waited `HOLD_MS`. */
  #hold: NodeJS.Timeout | undefined

  constructor(service: ImportService, summary: ImportSummary, dry: boolean) {
    this.#w = service.writers
    this.#s = summary
    this.#dry = dry
  }

  async add(item: ImportItem): Promise<void> {
    this.#s.read++
    if (item.kind === 'skip') {
      countSkipped(this.#s, item.of, item.reason)
      return
    }
    const reason = this.#skip(item)
    if (reason !== undefined) {
      countSkipped(this.#s, item.kind, reason)
      return
    }
    const bucket = item.kind === 'activitywatch event' ? item.bucket.id : undefined
    if (item.kind !== this.#kind || bucket !== this.#bucket || this.#items.length >= BATCH) {
      await this.flush()
      this.#kind = item.kind
      this.#bucket = bucket
    }
    this.#items.push(item)
    if (this.#items.length === 1) {
      // A failed write is kept in `#writing` and reported by the next flush or `finish`.
      this.#hold = setTimeout(() => void this.flush().catch(() => undefined), HOLD_MS).unref()
    }
  }

  /** Why an item breaks the rules every wire obeys (and is skipped), or undefined. */
  #skip(item: Exclude<ImportItem, { kind: 'skip' }>): string | undefined {
    const now = this.#w.clock()
    switch (item.kind) {
      case 'event':
        return skipReason(item.event.startMs, item.event.endMs, now)
      case 'afk period':
        return skipReason(item.period.startMs, item.period.endMs, now)
      case 'heartbeat':
        return skipReason(item.heartbeat.timeMs, item.heartbeat.timeMs, now)
      case 'label':
        return skipReason(item.label.startMs, item.label.endMs, now)
      case 'input bucket':
        return skipReason(item.row.bucketMs, item.row.bucketMs, now)
      default:
        return undefined
    }
  }

  async #ownName(): Promise<string> {
    this.#own ??= (await this.#w.store().devices.list()).find((d) => d.own)?.name ?? OWN
    return this.#own
  }

  /**
   * Hands the batch in hand to the store, after the one before it is written: the next batch is
   * read while this one is written (the writer thread and the parser work side by side), and
   * batches are written in the file's order. Rejects with the failure of the write before.
   */
  async flush(): Promise<void> {
    clearTimeout(this.#hold)
    const items = this.#items
    this.#items = []
    if (items.length === 0) return
    const before = this.#writing
    const writing = before.then(() => this.#store(items))
    // Awaited by the next flush or `finish`; never an unhandled rejection in between.
    writing.catch(() => undefined)
    this.#writing = writing
    await before
  }

  /** Stores the batch in hand and waits for every write. */
  async finish(): Promise<void> {
    await this.flush()
    await this.#writing
  }

  async #store(items: ImportItem[]): Promise<void> {
    const own = await this.#ownName()
    const s = this.#s
    const range = (startMs: number, endMs: number) => {
      if (s.range === null) s.range = { startMs, endMs }
      else {
        s.range.startMs = Math.min(s.range.startMs, startMs)
        s.range.endMs = Math.max(s.range.endMs, endMs)
      }
    }
    const add = (device: string, source: string, imported: number, duplicates: number) => {
      s.imported += imported
      s.duplicates += duplicates
      for (const [map, key] of [
        [s.byDevice, device],
        [s.bySource, source],
      ] as const) {
        const c = (map[key] ??= { imported: 0, duplicates: 0 })
        c.imported += imported
        c.duplicates += duplicates
      }
    }
    // Per device and source, so the summary can say where each item went.
    const groups = new Map<string, { device: string; source: string; items: ImportItem[] }>()
    for (const item of items) {
      const [device, source, startMs, endMs] = describe(item, own)
      if (Number.isFinite(startMs)) range(startMs, endMs)
      const key = JSON.stringify([device, source])
      let g = groups.get(key)
      if (!g) groups.set(key, (g = { device, source, items: [] }))
      g.items.push(item)
    }
    for (const g of groups.values()) {
      // Settings and devices are applied, not counted: they are not history.
      if (g.items[0]?.kind === 'setting' || g.items[0]?.kind === 'device') {
        if (!this.#dry) await this.#write(g.items)
        continue
      }
      if (this.#dry) {
        add(g.device, g.source, g.items.length, 0)
        continue
      }
      const { imported, duplicates } = await this.#write(g.items)
      add(g.device, g.source, imported, duplicates)
    }
  }

  async #write(items: ImportItem[]): Promise<{ imported: number; duplicates: number }> {
    const w = this.#w
    const of = <K extends ImportItem['kind']>(k: K) =>
      items.filter((i): i is Extract<ImportItem, { kind: K }> => i.kind === k)
    switch (items[0]?.kind) {
      case 'event': {
        const r = await w.ingest.events(of('event').map((i) => i.event))
        return { imported: r.inserted + r.updated, duplicates: r.duplicates }
      }
      case 'afk period': {
        const r = await w.ingest.afk(of('afk period').map((i) => i.period))
        return { imported: r.inserted + r.updated, duplicates: r.duplicates }
      }
      case 'heartbeat': {
        const { stored } = await w.ingest.heartbeats(of('heartbeat').map((i) => i.heartbeat))
        const imported = stored.filter(Boolean).length
        return { imported, duplicates: stored.length - imported }
      }
      case 'activitywatch event': {
        const list = of('activitywatch event')
        const bucket = (list[0] as (typeof list)[number]).bucket
        const r = await w.aw.import([{ bucket, events: list.map((i) => i.event) }])
        return { imported: r.inserted, duplicates: r.duplicates }
      }
      case 'input bucket': {
        const r = await w.ingest.mergeInput(of('input bucket').map((i) => i.row))
        return { imported: r.inserted, duplicates: r.duplicates }
      }
      case 'label': {
        let imported = 0
        for (const { label } of of('label')) {
          // A label has no content id: one with the same text and times is the same label.
          const existing = await w.store().labels.list({
            range: { startMs: label.startMs, endMs: label.endMs + 1 },
            limit: 10_000,
          })
          const same = existing.some(
            (l) => l.text === label.text && l.startMs === label.startMs && l.endMs === label.endMs,
          )
          if (same) continue
          await w.labels.create(label)
          imported++
        }
        return { imported, duplicates: items.length - imported }
      }
      case 'setting': {
        let imported = 0
        for (const { settings } of of('setting')) {
          const current = await w.store().settings.get()
          const changed = Object.entries(portableSettings(settings)).filter(
            ([k, v]) => JSON.stringify(current[k]) !== JSON.stringify(v),
          )
          if (changed.length === 0) continue
          await w.settings.update(Object.fromEntries(changed))
          imported++
        }
        return { imported, duplicates: items.length - imported }
      }
      case 'device': {
        const imported = await w.devices.ensure(of('device').map((i) => i.name))
        return { imported, duplicates: items.length - imported }
      }
      default:
        return { imported: 0, duplicates: 0 }
    }
  }
}

/** An item's device, source and span, for the summary. */
function describe(item: ImportItem, own: string): [string, string, number, number] {
  switch (item.kind) {
    case 'event':
      return [item.event.device ?? own, item.event.source, item.event.startMs, item.event.endMs]
    case 'afk period':
      return [
        item.period.device ?? own,
        item.period.source ?? 'afk',
        item.period.startMs,
        item.period.endMs ?? item.period.startMs,
      ]
    case 'heartbeat':
      return [
        item.heartbeat.device ?? own,
        'wakatime',
        item.heartbeat.timeMs,
        item.heartbeat.timeMs,
      ]
    case 'activitywatch event': {
      const ms = (ns: bigint) => Number(ns / 1_000_000n)
      return [
        item.bucket.hostname,
        item.bucket.client,
        ms(item.event.timestamp),
        ms(endOf(item.event)),
      ]
    }
    case 'input bucket':
      return [item.row.device ?? own, item.row.source, item.row.bucketMs, item.row.bucketMs]
    case 'label':
      return [own, 'label', item.label.startMs, item.label.endMs]
    case 'device':
      return [item.name, 'devices', Number.NaN, Number.NaN]
    default:
      return [own, 'settings', Number.NaN, Number.NaN]
  }
}
