/**
 * What route handlers reach through `app.daybook`: the services (ingest, active time, insights,
 * labels, settings, devices, tokens, retention), the bus, the store once it is ready, the clock, settings and the calendar a
 * request computes in. Routes translate wire shapes and call these; they compute no time.
 */
import type { FastifySchema } from 'fastify'
import type { Access } from '../domain/access.ts'
import type { DefaultTokenSource } from '../auth/default-token.ts'
import type { Calendar } from '../domain/calendar.ts'
import type { Clock } from '../domain/clock.ts'
import { ConflictError, NotReadyError } from '../domain/errors.ts'
import { type Settings, calendarFor } from '../domain/settings.ts'
import { ActiveTimeService } from '../services/active-time.ts'
import { ActivityWatchService } from '../services/activitywatch.ts'
import { BackupService } from '../services/backups.ts'
import { ExportService } from '../services/export.ts'
import { ImportService } from '../services/import.ts'
import { Bus } from '../services/bus.ts'
import { DeviceService } from '../services/devices.ts'
import { EventService } from '../services/events.ts'
import { IngestService } from '../services/ingest.ts'
import { HistoryService } from '../services/history.ts'
import { type HookServiceOptions, HookService } from '../services/hooks.ts'
import { HookSuggestions } from '../services/hook-suggestions.ts'
import { InsightService } from '../services/insights.ts'
import { LabelService } from '../services/labels.ts'
import { ScreenshotService } from '../services/screenshots.ts'
import { SearchService } from '../services/search.ts'
import { SettingsService } from '../services/settings.ts'
import { InputRetention } from '../services/retention.ts'
import { SyncHub } from '../services/sync/hub.ts'
import { SyncSpoke } from '../services/sync/spoke.ts'
import { TokenAuthenticator } from '../services/tokens.ts'
import type { Store } from '../store/ports.ts'
import type { StartupTimes } from '../services/status.ts'
import { timedStore } from '../store/timed.ts'
import { RateLimiter } from './rate-limiter.ts'
import { StorageHealth } from './storage-health.ts'
import type { StreamHub } from './stream/hub.ts'

export type { Clock }

/** One entry of the route table: what is served, and who may call it. */
export interface RouteEntry {
  method: string
  url: string
  access: Access | undefined
  /**
   * `frames` when the route speaks the frames wire (raw-key auth, `{"error"}` bodies); `openai`
   * for the OpenAI-compatible routes (`{"error":{…}}` bodies).
   */
  wire: 'frames' | 'openai' | undefined
  /** Its schemas as registered (query string, params, body, responses...). */
  schema: FastifySchema | undefined
}

export class DaybookContext {
  readonly version: string
  readonly clock: Clock
  /** Every route the app serves, as registered (HEAD routes included). */
  readonly routes: RouteEntry[] = []
  /** What the store committed, announced after commit. */
  readonly bus: Bus
  readonly ingest: IngestService
  /** Events as listed and searched: each with the category it counts under. */
  readonly events: EventService
  readonly activeTime: ActiveTimeService
  readonly insights: InsightService
  readonly labels: LabelService
  readonly history: HistoryService
  readonly search: SearchService
  readonly settings: SettingsService
  readonly devices: DeviceService
  /** ActivityWatch's buckets and events, each also mapped into the timeline. */
  readonly activitywatch: ActivityWatchService
  /** Everything stored, read a page at a time (`GET /v1/export`). */
  readonly exports: ExportService
  /** Import jobs (`POST /v1/import`), through the same ingest paths as live data. */
  readonly imports: ImportService
  /** Backups of the database while the daemon runs (`POST /v1/backups`). */
  readonly backups: BackupService
  /** When the daemon started (epoch ms). */
  readonly startedMs: number
  /** Where the daemon's start went; set by the daemon once it is ready. */
  startup: StartupTimes | undefined
  /** The live stream's clients (set once the stream is installed). */
  stream: StreamHub | undefined
  /** Scoped tokens: checked on every request, managed by the token routes. */
  readonly tokens: TokenAuthenticator
  /** Deletes old input-activity rows; runs when the store is attached, then at most daily. */
  readonly inputRetention: InputRetention
  /** Sync, the hub's side: pairing, paired devices and their tokens, push and pull. */
  readonly syncHub: SyncHub
  /** Sync, a spoke's side: the loops that push to and pull from its hub. */
  readonly syncSpoke: SyncSpoke
  /**
   * Failed authentications per client address: one budget for every listener of the daemon
   * (the ActivityWatch listener counts into it too), so a second port gives no extra guesses.
   */
  readonly authFailures: RateLimiter
  /** Whether the disk under the store takes writes (`/readyz` says why not). */
  readonly storage = new StorageHealth()
  /** Hook rules: evaluated over the live data once the store is attached. */
  readonly hooks: HookService
  readonly hookSuggestions: HookSuggestions
  /** Screenshots: capture settings, frames, their files and text search. */
  readonly screenshots: ScreenshotService
  readonly #defaultToken: DefaultTokenSource | undefined
  readonly #onError: (err: unknown, what: string) => void
  #store: Store | undefined
  readonly #timed: (store: Store) => Store

  constructor(options: {
    version: string
    clock: Clock
    store?: Store | undefined
    defaultToken?: DefaultTokenSource | undefined
    onError?: (err: unknown, what: string) => void
    /** Failed authentications allowed per client address and window (default 20 a minute). */
    authFailureLimit?: { limit: number; windowMs: number; clients?: number } | undefined
    hooks?: HookServiceOptions | undefined
    /** Where frames are kept (`<data dir>/screenshots`); undefined: none are. */
    screenshotsDir?: string | undefined
    /** Whether hooks may run commands and notifications here (false in users' diaries). */
    localActions?: boolean | undefined
    /** Store calls at least this slow are told to `onSlowQuery` (undefined or 0: none). */
    slowQueryMs?: number | undefined
    onSlowQuery?: ((method: string, ms: number) => void) | undefined
  }) {
    this.version = options.version
    this.clock = options.clock
    const slowMs = options.slowQueryMs ?? 0
    const onSlow = options.onSlowQuery
    this.#timed = (store) =>
      slowMs > 0 && onSlow !== undefined ? timedStore(store, slowMs, onSlow) : store
    this.#store = options.store && this.#timed(options.store)
    this.#defaultToken = options.defaultToken
    this.#onError = (err, what) => options.onError?.(err, what)
    const store = () => this.store
    const deps = { store, clock: this.clock }
    this.bus = new Bus((err) => options.onError?.(err, 'a bus listener failed'))
    this.ingest = new IngestService({ ...deps, bus: this.bus })
    this.events = new EventService({ store })
    this.activeTime = new ActiveTimeService({ ...deps, events: this.events })
    this.insights = new InsightService({ ...deps, activeTime: this.activeTime })
    this.labels = new LabelService({ ...deps, bus: this.bus })
    this.history = new HistoryService({ ...deps, activeTime: this.activeTime, ingest: this.ingest })
    this.search = new SearchService({
      store,
      activeTime: this.activeTime,
      events: this.events,
    })
    this.settings = new SettingsService({ store, bus: this.bus })
    this.devices = new DeviceService({ store, bus: this.bus, clock: this.clock })
    this.activitywatch = new ActivityWatchService({ ...deps, ingest: this.ingest })
    this.exports = new ExportService(deps)
    this.backups = new BackupService({
      ...deps,
      settings: this.settings,
      bus: this.bus,
      onError: (err, what) => options.onError?.(err, what),
    })
    this.imports = new ImportService({
      ...deps,
      bus: this.bus,
      ingest: this.ingest,
      activitywatch: this.activitywatch,
      labels: this.labels,
      settings: this.settings,
      devices: this.devices,
    })
    this.startedMs = this.clock()
    this.tokens = new TokenAuthenticator(deps)
    this.authFailures = new RateLimiter({
      ...(options.authFailureLimit ?? { limit: 20, windowMs: 60_000 }),
      clock: this.clock,
    })
    this.inputRetention = new InputRetention({
      store: () => this.#store,
      clock: options.clock,
      onError: (err) => options.onError?.(err, 'input retention failed'),
    })
    this.syncHub = new SyncHub({ ...deps, bus: this.bus })
    this.syncSpoke = new SyncSpoke({
      ...deps,
      bus: this.bus,
      onError: (err) => options.onError?.(err, 'sync failed'),
    })
    this.screenshots = new ScreenshotService({
      ...deps,
      bus: this.bus,
      dir: options.screenshotsDir,
      onError: (err, what) => options.onError?.(err, what),
    })
    this.hooks = new HookService({
      ...deps,
      bus: this.bus,
      activeTime: this.activeTime,
      settings: this.settings,
      labels: this.labels,
      onError: (err, what) => options.onError?.(err, what),
      options: { ...options.hooks, localActions: options.localActions ?? true },
    })
    this.hookSuggestions = new HookSuggestions({
      store,
      activeTime: this.activeTime,
      settings: this.settings,
    })
  }

  /** Rotates the default admin token; 409 when this daemon's default token is fixed. */
  rotateDefaultToken(): string {
    if (!this.#defaultToken) {
      throw new ConflictError('default_token_fixed', 'this daemon has no default token to rotate')
    }
    return this.#defaultToken.rotate()
  }

  /** True once a migrated store is attached; `/readyz` reports it. */
  get ready(): boolean {
    return this.#store !== undefined
  }

  /** The store; throws a 503 error until it is attached. */
  get store(): Store {
    if (!this.#store)
      throw new NotReadyError('not_ready', 'the daemon is starting; try again shortly')
    return this.#store
  }

  /**
   * Attaches the store once it is open and migrated: sync begins its run (before anything is
   * written), input retention runs for the first time, and hooks start (their first evaluation
   * catches up on the last day in the background).
   */
  async attachStore(store: Store): Promise<unknown> {
    this.#store = this.#timed(store)
    await this.beginSync()
    this.startHooks()
    this.screenshots.start()
    await this.sweepBackups()
    void this.backups.check()
    return this.inputRetention.maybeRun()
  }

  /** Sweeps what backups killed half-way left, before any backup of this life (never fatal). */
  async sweepBackups(): Promise<void> {
    await this.backups
      .sweep()
      .catch((err: unknown) => this.#onError(err, 'cannot sweep the remains of a backup'))
  }

  #syncBegun = false

  /** Sync begins its run, once, when the store is there (before anything is written). */
  async beginSync(): Promise<void> {
    if (this.#syncBegun || !this.ready) return
    this.#syncBegun = true
    if (this.syncHub.enabled) await this.syncHub.begin()
    else await this.syncSpoke.begin()
  }

  /** Starts the hooks once the store is attached (again: nothing happens). */
  startHooks(): void {
    if (this.ready) {
      this.hooks.start().catch((err: unknown) => this.#onError(err, 'hooks could not start'))
    }
  }

  /**
   * What one request computes with, read once: the settings, the calendar (the request's `tz` if
   * given, else the setting, else the process zone) and the time now.
   */
  async requestTime(
    requestZone?: string,
  ): Promise<{ settings: Settings; calendar: Calendar; nowMs: number }> {
    const settings = await this.settings.get()
    return { settings, calendar: calendarFor(settings, requestZone), nowMs: this.clock() }
  }
}
