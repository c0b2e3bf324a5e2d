/**
 * Screenshots ("what was on screen"): the capture settings and pause, frames received from the
 * collector (the image written under the data dir, then its index row), the image files the
 * routes serve, text search, frames around a moment, the metrics, and deletion: retention and
 * the size cap (after every frame and hourly), purge on request.
 *
 * The daemon owns the screenshots dir: the collector sends each frame here rather than writing
 * it, so one process decides what is kept and deletes it, and a frame sent while capture is off
 * or paused is refused here too, whatever the collector believed.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { open, unlink } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../config/files.ts'
import type { ScreenshotCounts } from '../config/watch-status.ts'
import { ConflictError, NotFoundError, UnprocessableError } from '../domain/errors.ts'
import {
  type FramePath,
  type ScreenshotConfig,
  type ScreenshotConfigPatch,
  applyScreenshotPatch,
  captureState,
  frameUrlPath,
  framePath,
  frameSecondMs,
  parseFramePath,
  retentionCutoffMs,
} from '../domain/screenshots.ts'
import { HOUR_MS } from '../domain/time.ts'
import type { DeletedFile, Frame, FrameHit, OpenRange, Store } from '../store/ports.ts'
import type { Bus } from './bus.ts'

/** What the collector sends with each frame's image. */
export interface FrameUpload {
  atMs: number
  device: string
  app: string
  title: string
  url: string | null
  width: number
  height: number
  hash: string
  text: string | null
  ocrMs: number | null
  /** The WebP file. */
  image: Buffer
}

/** What the collector reads before each frame: the settings and whether to capture now. */
export interface CaptureState {
  config: ScreenshotConfig
  capturing: boolean
  /** `capturing`, `off`, `paused until …`. */
  reason: string
  pausedUntilMs: number | null
  paused: boolean
}

export interface ScreenshotMetrics {
  frames: number
  bytes: number
  oldestMs: number | null
  capturing: boolean
  reason: string
  /** The collector's counts since it started, as last reported (null when none has). */
  collector: (ScreenshotCounts & { reportedAt: number }) | null
}

export interface ScreenshotServiceOptions {
  store: () => Store
  clock: () => number
  /** Told when frames are stored or deleted (sync pushes them). */
  bus?: Bus | undefined
  /** The screenshots dir (`<data dir>/screenshots`); undefined: this app keeps no frames. */
  dir: string | undefined
  onError?: (err: unknown, what: string) => void
}

/** A WebP file starts `RIFF<size>WEBP`. */
function isWebp(b: Buffer): boolean {
  return (
    b.length > 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP'
  )
}

export class ScreenshotService {
  readonly #o: ScreenshotServiceOptions
  #timer: NodeJS.Timeout | undefined
  #report: { counts: ScreenshotCounts; atMs: number } | undefined

  constructor(options: ScreenshotServiceOptions) {
    this.#o = options
  }

  /** The screenshots dir; 404 when this app keeps none. */
  get dir(): string {
    if (this.#o.dir === undefined) {
      throw new NotFoundError('no_screenshots', 'this daemon keeps no screenshots')
    }
    return this.#o.dir
  }

  async config(): Promise<ScreenshotConfig> {
    return (await this.#o.store().screenshots.settings()).config
  }

  /** Applies a settings patch; lower retention or a smaller cap prunes at once. */
  async updateConfig(patch: ScreenshotConfigPatch): Promise<ScreenshotConfig> {
    const store = this.#o.store()
    const settings = await store.screenshots.settings()
    const config = applyScreenshotPatch(settings.config, patch)
    await store.screenshots.saveSettings({ ...settings, config })
    await this.prune()
    return config
  }

  /** Pauses capture until `untilMs` (null: until resumed). */
  async pause(untilMs: number | null): Promise<CaptureState> {
    if (untilMs !== null && untilMs <= this.#o.clock()) {
      throw new UnprocessableError('pause_in_past', 'a pause must end in the future', '/until')
    }
    const store = this.#o.store()
    const settings = await store.screenshots.settings()
    await store.screenshots.saveSettings({ ...settings, pause: { untilMs } })
    return this.state()
  }

  async resume(): Promise<CaptureState> {
    const store = this.#o.store()
    const settings = await store.screenshots.settings()
    await store.screenshots.saveSettings({ ...settings, pause: null })
    return this.state()
  }

  /** Keeps the collector's counts for the metrics; answers the capture state. */
  async report(counts: ScreenshotCounts): Promise<CaptureState> {
    this.#report = { counts, atMs: this.#o.clock() }
    return this.state()
  }

  /** The settings and whether capture runs now. */
  async state(): Promise<CaptureState> {
    const { config, pause } = await this.#o.store().screenshots.settings()
    const now = this.#o.clock()
    const paused = pause !== null && (pause.untilMs === null || pause.untilMs > now)
    return {
      config,
      ...captureState(config, pause, now),
      paused,
      pausedUntilMs: paused ? pause.untilMs : null,
    }
  }

  /**
   * Stores a frame from the collector: the file (0600 in a 0700 folder, on disk before its row),
   * then its index row. Refused while capture is off or paused. A frame whose file name is taken
   * (a second frame in the same second) is a duplicate: nothing changes.
   */
  async ingest(upload: FrameUpload): Promise<{ frame: Frame; stored: boolean }> {
    const state = await this.state()
    if (!state.capturing) {
      throw new ConflictError('capture_off', `screenshot capture is ${state.reason}`)
    }
    if (!isWebp(upload.image)) {
      throw new UnprocessableError('not_webp', 'the image is not a WebP file', '/image')
    }
    const where = framePath(upload.atMs, upload.device)
    const { image, ...meta } = upload
    const frame: Frame = { ...where, ...meta, bytes: image.length, here: true }
    const file = this.#file(where)
    if (existsSync(file)) return { frame, stored: false }
    // 0600 from its first byte in a 0700 folder, on disk before it takes its name.
    writeFileAtomic(file, image)
    let stored = false
    try {
      stored = await this.#o.store().screenshots.insert(frame)
    } finally {
      // A row that did not land leaves no file behind.
      if (!stored) rmSync(file, { force: true })
    }
    if (stored) {
      this.#o.bus?.publish({ type: 'screenshots', stored: 1, deleted: 0 })
      await this.prune(state.config)
    }
    return { frame, stored }
  }

  /**
   * The file of a requested frame name; 404 for a name outside the pattern or no such frame, 409
   * `screenshot_elsewhere` naming the device for a frame another device took (synced: its index
   * row is here, its image stays on that device).
   */
  async image(filename: string, date?: string): Promise<{ file: string; bytes: number }> {
    const where = parseFramePath(filename, date)
    const missing = new NotFoundError('no_such_screenshot', 'no such screenshot')
    if (!where) throw missing
    const file = this.#file(where)
    try {
      const handle = await open(file, 'r')
      try {
        return { file, bytes: (await handle.stat()).size }
      } finally {
        await handle.close()
      }
    } catch {
      // The frames of the name's second: one of them may be another device's.
      const second = frameSecondMs(where)
      const frames = await this.#o.store().screenshots.around(second + 500, 500, 100)
      const elsewhere = frames.find((f) => f.filename === filename && !f.here)
      if (elsewhere) {
        throw new ConflictError(
          'screenshot_elsewhere',
          `this frame's image is on the device ${JSON.stringify(elsewhere.device)}, which took it: images stay on their device (only the index and text sync)`,
        )
      }
      throw missing
    }
  }

  async around(atMs: number, windowMs: number, limit: number): Promise<Frame[]> {
    return this.#o.store().screenshots.around(atMs, windowMs, limit)
  }

  async searchText(text: string, range: OpenRange, limit: number): Promise<FrameHit[]> {
    return this.#o.store().screenshots.searchText(text, range, limit)
  }

  async metrics(): Promise<ScreenshotMetrics> {
    const [totals, state] = await Promise.all([this.#o.store().screenshots.totals(), this.state()])
    const r = this.#report
    return {
      ...totals,
      capturing: state.capturing,
      reason: state.reason,
      collector: r ? { ...r.counts, reportedAt: r.atMs } : null,
    }
  }

  /**
   * Deletes frames past retention, then the oldest over the size cap: rows first (a frame
   * nobody can find), then their files. Resolves to the frames deleted.
   */
  async prune(config?: ScreenshotConfig): Promise<number> {
    const c = config ?? (await this.config())
    const gone = await this.#o
      .store()
      .screenshots.prune(retentionCutoffMs(this.#o.clock(), c.retentionDays), c.maxBytes)
    await this.#unlink(gone)
    if (gone.length > 0)
      this.#o.bus?.publish({ type: 'screenshots', stored: 0, deleted: gone.length })
    return gone.length
  }

  /** Deletes the frames of a range; `all` also empties the screenshots dir. */
  async purge(range: OpenRange | 'all'): Promise<number> {
    const gone = await this.#o.store().screenshots.purge(range === 'all' ? {} : range)
    await this.#unlink(gone)
    if (gone.length > 0)
      this.#o.bus?.publish({ type: 'screenshots', stored: 0, deleted: gone.length })
    if (range === 'all' && this.#o.dir !== undefined && existsSync(this.#o.dir)) {
      // Files without a row (a crash between file and row) go too: "all" means all.
      for (const entry of readdirSync(this.#o.dir)) {
        rmSync(path.join(this.#o.dir, entry), { recursive: true, force: true })
      }
    }
    return gone.length
  }

  /** Prunes every hour, so an idle daemon still deletes old frames. */
  start(everyMs = HOUR_MS): void {
    this.stop()
    const run = () => {
      this.prune().catch((err: unknown) => this.#o.onError?.(err, 'screenshot retention failed'))
    }
    run()
    this.#timer = setInterval(run, everyMs)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** The URL path of a frame's image. */
  static url(frame: FramePath): string {
    return frameUrlPath(frame)
  }

  #file(where: FramePath): string {
    return path.join(this.dir, where.date, where.filename)
  }

  /** Deletes the files of deleted frames that are here. */
  async #unlink(frames: readonly DeletedFile[]): Promise<void> {
    if (this.#o.dir === undefined) return
    for (const f of frames.filter((x) => x.here)) {
      await unlink(this.#file(f)).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.#o.onError?.(err, `cannot delete screenshot ${f.date}/${f.filename}`)
        }
      })
    }
  }
}
