/**
 * Deletes input-activity rows older than the `inputRetentionDays` setting (0 keeps them forever),
 * at most once a day: at start-up, then whenever a check finds a day has passed since the last
 * run. The frames server's version of this never ran (its condition was inverted); this one is driven by
 * an injectable clock so tests can show that it does.
 */
import { withDefaults } from '../domain/settings.ts'
import type { Store } from '../store/ports.ts'
import { DAY_MS } from '../domain/time.ts'

/**
 * How long batch ids are remembered for de-duplication. Senders place counts by their own
 * timestamps only within 30 days, so a re-send later than this is rare; the table stays small
 * whatever the retention setting.
 */
const BATCH_ID_TTL_MS = 31 * DAY_MS

export interface RetentionRun {
  atMs: number
  rowsDeleted: number
  batchIdsDeleted: number
}

export interface InputRetentionOptions {
  /** The store, or undefined while it is not open yet (nothing runs then). */
  store: () => Store | undefined
  clock: () => number
  /** Called when a run fails; the next check tries again. */
  onError?: (err: unknown) => void
  /** Called after each run. */
  onRun?: (run: RetentionRun) => void
}

export class InputRetention {
  readonly #options: InputRetentionOptions
  #lastRunMs: number | undefined
  #running: Promise<RetentionRun | undefined> | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(options: InputRetentionOptions) {
    this.#options = options
  }

  /** When the last successful run happened (epoch ms), if any. */
  get lastRunMs(): number | undefined {
    return this.#lastRunMs
  }

  /**
   * Runs when it never ran or a day has passed since the last run; otherwise does nothing.
   * Never rejects: a failure goes to `onError`. Resolves to the run, if one happened.
   */
  maybeRun(): Promise<RetentionRun | undefined> {
    const now = this.#options.clock()
    if (this.#running) return this.#running
    if (this.#lastRunMs !== undefined && now - this.#lastRunMs < DAY_MS) {
      return Promise.resolve(undefined)
    }
    const store = this.#options.store()
    if (!store) return Promise.resolve(undefined)
    this.#running = this.#run(store, now).finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  /** Checks every `intervalMs` (the timer does not keep the process alive). */
  start(intervalMs: number): void {
    this.stop()
    this.#timer = setInterval(() => void this.maybeRun(), intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }

  async #run(store: Store, now: number): Promise<RetentionRun | undefined> {
    try {
      const { inputRetentionDays: days } = withDefaults(await store.settings.get())
      const rowsDeleted = days > 0 ? await store.input.deleteBefore(now - days * DAY_MS) : 0
      const batchIdsDeleted = await store.input.pruneBatches(now - BATCH_ID_TTL_MS)
      this.#lastRunMs = now
      const run = { atMs: now, rowsDeleted, batchIdsDeleted }
      this.#options.onRun?.(run)
      return run
    } catch (err) {
      this.#options.onError?.(err)
      return undefined
    }
  }
}
