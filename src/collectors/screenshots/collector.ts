/**
 * The screenshot collector's loop: it asks the daemon whether to capture (reporting its counts
 * every few seconds), and while capture is on takes a frame every `intervalSecs` and 2 s after a
 * window change; skips private and excluded windows, time away and a locked screen; skips a
 * frame within a few bits (perceptual hash) of the last one of the same window; encodes it as
 * WebP, reads its text in the OCR pool (waiting at most the configured time) and sends it.
 *
 * Fails closed: until the daemon has said capture is on, and whenever it cannot be asked,
 * nothing is captured. The daemon refuses frames while capture is off, whatever this believed.
 */
import { hostname } from 'node:os'
import type { CollectorStatus, ScreenshotCounts } from '../../config/watch-status.ts'
import type { PrivacyRules } from '../../config/watch-config.ts'
import {
  SAME_FRAME_BITS,
  type ScreenshotConfig,
  hashDistance,
  quantile,
} from '../../domain/screenshots.ts'
import { type Connection, post } from '../core/courier.ts'
import type { DesktopSource } from '../platform/x11-desktop.ts'
import type { Grab, ScreenSource } from '../platform/x11-screen.ts'
import { mayCapture, windowUrl } from '../window/privacy.ts'
import { encodeWebp, frameFacts, ocrImage } from './frame.ts'
import type { OcrPool } from './ocr.ts'

/** What the daemon says before each frame (`POST /v1/screenshots/report`'s answer). */
interface DaemonState {
  config: ScreenshotConfig
  capturing: boolean
  reason: string
}

/** A frame as `POST /v1/screenshots` takes it. */
interface Upload {
  timestamp: number
  device: string
  app: string
  title: string
  url: string | null
  width: number
  height: number
  hash: string
  text: string | null
  ocrMs: number | null
  image: string
}

export interface ScreenshotCollectorOptions {
  screen: ScreenSource
  desktop: DesktopSource
  privacy: PrivacyRules
  afkTimeoutMs: number
  /** A connection to the daemon for one exchange. */
  client: () => Connection
  /** Path prefix of the Daybook API (`''` for the local daemon). */
  base: string
  startOcr: (languages: readonly string[]) => Promise<OcrPool>
  clock: () => number
  log: (line: string) => void
  device?: string
}

/** How often the daemon is asked whether to capture (and told the counts). */
export const REFRESH_MS = 5000
/** A window change is captured this long after it (the new window has drawn by then). */
const AFTER_CHANGE_MS = 2000
/** Frames kept for a retry while the daemon cannot be reached. */
const RETRY_FRAMES = 10
/** OCR times kept for the percentiles. */
const OCR_SAMPLES = 200

export class ScreenshotCollector {
  readonly #o: ScreenshotCollectorOptions
  readonly #device: string
  #state: DaemonState | undefined
  #ocr: { pool: Promise<OcrPool>; languages: string } | undefined
  #busy = false
  #lastFrameMs = 0
  #changedMs: number | undefined
  /** The last hash of each window (app and title). */
  readonly #hashes = new Map<string, string>()
  readonly #retry: Upload[] = []
  readonly #ocrMs: number[] = []
  /** Why the last due frame was not taken: the screen locked, or the person away. */
  #away: 'locked' | 'away' | undefined
  /** Frames waiting for or in OCR. */
  #pending = 0
  readonly counts = {
    captured: 0,
    skippedIdentical: 0,
    skippedPrivate: 0,
    skippedAway: 0,
    ocrTimedOut: 0,
  }
  lastSentMs: number | undefined
  last: string | null = null

  constructor(options: ScreenshotCollectorOptions) {
    this.#o = options
    this.#device = options.device ?? hostname()
  }

  /** The counts as the daemon's metrics and the status report show them. */
  get report(): ScreenshotCounts {
    return {
      ...this.counts,
      ocrPending: this.#pending,
      ocrMsP50: quantile(this.#ocrMs, 0.5),
      ocrMsP95: quantile(this.#ocrMs, 0.95),
    }
  }

  /** The status report's line. */
  status(): CollectorStatus {
    const state = !this.#state
      ? 'asking'
      : !this.#state.capturing
        ? this.#state.reason
        : (this.#away ?? 'capturing')
    return {
      collector: 'screenshots',
      state,
      waiting: this.#retry.length,
      delivered: this.counts.captured,
      lastSentAt: this.lastSentMs === undefined ? null : new Date(this.lastSentMs).toISOString(),
      last: this.last,
      screenshots: this.report,
    }
  }

  /** A window changed focus or title: a frame is taken shortly after. */
  changed(): void {
    this.#changedMs = this.#o.clock()
  }

  /**
   * Reports the counts and reads whether to capture; when the daemon cannot be asked, capture
   * stops until it can. Stops OCR while capture is off.
   */
  async refresh(): Promise<void> {
    let next: DaemonState | undefined
    try {
      const res = await this.#o.client().exchange('POST', `${this.#o.base}/v1/screenshots/report`, {
        body: JSON.stringify(this.report),
        headers: { 'content-type': 'application/json' },
      })
      if (res.status === 200) next = JSON.parse(res.body) as DaemonState
      else if (this.#state) this.#o.log(`the daemon refused the report (${res.status})`)
    } catch {
      // No daemon now: nothing is captured until it answers.
    }
    const was = this.#state?.capturing
    this.#state = next
    if (next?.capturing !== was) {
      this.#o.log(
        next?.capturing ? 'capture is on' : `not capturing (${next?.reason ?? 'no daemon'})`,
      )
    }
    if (!next?.capturing || !next.config.ocr.enabled) await this.#stopOcr()
  }

  /** Takes a frame when one is due (called every second). */
  async tick(): Promise<void> {
    const state = this.#state
    if (!state?.capturing || this.#busy) return
    const now = this.#o.clock()
    const due =
      now - this.#lastFrameMs >= state.config.intervalSecs * 1000 ||
      (this.#changedMs !== undefined && now - this.#changedMs >= AFTER_CHANGE_MS)
    if (!due) return
    this.#busy = true
    try {
      await this.#capture(state.config, now)
    } catch (err) {
      this.#o.log(`a frame failed: ${(err as Error).message}`)
    } finally {
      this.#busy = false
    }
  }

  async #capture(config: ScreenshotConfig, now: number): Promise<void> {
    this.#lastFrameMs = now
    this.#changedMs = undefined
    const { desktop, screen } = this.#o
    const [idleMs, locked] = await Promise.all([
      desktop.idleMs(),
      desktop.locked ? desktop.locked() : false,
    ])
    this.#away = locked ? 'locked' : idleMs >= this.#o.afkTimeoutMs ? 'away' : undefined
    if (this.#away) {
      this.counts.skippedAway++
      return
    }
    const w = await desktop.focused()
    if (!w) return
    if (!mayCapture(this.#o.privacy, w)) {
      this.counts.skippedPrivate++
      return
    }
    const grab = await screen.grab(config.scope)
    if (!grab) return
    // The focused window may have changed while the image was read: check it again.
    const after = await desktop.focused()
    if (!after || after.app !== w.app || after.title !== w.title) {
      if (after && !mayCapture(this.#o.privacy, after)) this.counts.skippedPrivate++
      return
    }
    const { hash, flat } = frameFacts(grab)
    const key = `${w.app}\0${w.title}`
    const previous = this.#hashes.get(key)
    if (previous !== undefined && hashDistance(previous, hash) <= SAME_FRAME_BITS) {
      this.counts.skippedIdentical++
      return
    }
    const [webp, ocr] = await Promise.all([
      encodeWebp(grab, config.quality, flat),
      config.ocr.enabled ? this.#read(grab, config) : null,
    ])
    const url = windowUrl(w)
    await this.#send({
      timestamp: now / 1000,
      device: this.#device,
      app: w.app,
      title: w.title,
      url: url ? url.href : null,
      width: grab.width,
      height: grab.height,
      hash,
      text: ocr?.text ?? null,
      ocrMs: ocr?.ms ?? null,
      image: webp.toString('base64'),
    })
    this.#hashes.set(key, hash)
    if (this.#hashes.size > 500) this.#hashes.delete(this.#hashes.keys().next().value as string)
  }

  async #read(grab: Grab, config: ScreenshotConfig): Promise<{ text: string; ms: number } | null> {
    this.#pending++
    try {
      const pool = await this.#pool(config.ocr.languages)
      const result = await pool.read(await ocrImage(grab), config.ocr.timeoutSecs * 1000)
      if (result) {
        this.#ocrMs.push(result.ms)
        if (this.#ocrMs.length > OCR_SAMPLES) this.#ocrMs.shift()
      } else {
        this.counts.ocrTimedOut++
        this.#o.log(`OCR took over ${config.ocr.timeoutSecs} s; the frame is kept without text`)
      }
      return result
    } catch (err) {
      this.#o.log(`OCR failed: ${(err as Error).message}; the frame is kept without text`)
      return null
    } finally {
      this.#pending--
    }
  }

  /** The OCR pool for `languages`, started on first use (again when they change). */
  #pool(languages: readonly string[]): Promise<OcrPool> {
    const key = languages.join('+')
    if (this.#ocr?.languages !== key) {
      void this.#stopOcr()
      const pool = this.#o.startOcr(languages)
      // A pool that cannot start (a language's data missing) is tried again at the next frame.
      pool.catch(() => {
        if (this.#ocr?.pool === pool) this.#ocr = undefined
      })
      this.#ocr = { pool, languages: key }
    }
    return this.#ocr.pool
  }

  async #stopOcr(): Promise<void> {
    const ocr = this.#ocr
    this.#ocr = undefined
    if (ocr) await ocr.pool.then((p) => p.close()).catch(() => undefined)
  }

  /** Sends the frame, after any kept for a retry; keeps it when the daemon cannot be reached. */
  async #send(upload: Upload): Promise<void> {
    this.#retry.push(upload)
    while (this.#retry.length > 0) {
      const next = this.#retry[0] as Upload
      const failure = await post(
        this.#o.client(),
        `${this.#o.base}/v1/screenshots`,
        JSON.stringify(next),
        {
          'content-type': 'application/json',
        },
      )
      if (failure && (failure.status === undefined || failure.status >= 500)) {
        // Unreachable or failing: kept (the oldest dropped past the limit) for the next frame.
        if (this.#retry.length > RETRY_FRAMES) this.#retry.shift()
        this.#o.log(`cannot send a frame (${failure.message}); ${this.#retry.length} kept`)
        return
      }
      this.#retry.shift()
      if (failure) {
        // Refused (capture turned off meanwhile, or a bad frame): dropped, never retried.
        this.#o.log(`the daemon refused a frame: ${failure.message}`)
        if (failure.status === 409) await this.refresh()
        continue
      }
      this.counts.captured++
      this.lastSentMs = this.#o.clock()
      this.last = `${next.app}: ${next.title}`
    }
  }

  /** Ends OCR; frames kept for a retry are dropped (they were never acknowledged). */
  async stop(): Promise<void> {
    await this.#stopOcr()
  }
}
