/**
 * The window and AFK watchers' loop: one sample a second (and at once when the desktop says focus
 * or a title changed), each turned by the pure trackers into events and AFK periods, put in the
 * outboxes, and delivered by the couriers. Timers live here; everything they drive is testable on
 * a fake clock.
 */
import type { AfkPeriodInput, AfkTracker } from './afk/tracker.ts'
import type { Courier } from './core/courier.ts'
import type { Outbox } from './core/outbox.ts'
import type { DesktopSource } from './platform/x11-desktop.ts'
import type { WindowEvent, WindowTracker } from './window/tracker.ts'

export interface DesktopWatcherOptions {
  source: DesktopSource
  clock: () => number
  window?: { tracker: WindowTracker; outbox: Outbox<WindowEvent>; courier: Courier<WindowEvent> }
  afk?: { tracker: AfkTracker; outbox: Outbox<AfkPeriodInput>; courier: Courier<AfkPeriodInput> }
  /**
   * A gap between samples longer than this means the machine slept (or the process was
   * stopped): the window event ends at the last sample, and the AFK watcher counts the gap as
   * away (default 30 s; samples come every second).
   */
  suspendGapMs?: number
  /** Instead of sending, print each item (`--dry-run`). */
  dryRun?: (kind: 'event' | 'afk', item: unknown) => void
  log: (line: string) => void
}

const eventKey = (e: WindowEvent) => `${e.timestamp}\0${e.app_name}\0${e.entity_name}`
const afkKey = (p: AfkPeriodInput) => p.afk_start

export class DesktopWatcher {
  readonly #o: DesktopWatcherOptions
  #busy: Promise<void> | undefined
  #again = false
  #lastSampleMs: number | undefined
  /** The last event and AFK period recorded (for the status report). */
  lastEvent: WindowEvent | undefined
  lastAfk: AfkPeriodInput | undefined

  constructor(options: DesktopWatcherOptions) {
    this.#o = options
  }

  /** Takes one sample of the desktop (queued when one is running). */
  tick(): Promise<void> {
    if (this.#busy) {
      this.#again = true
      return this.#busy
    }
    this.#busy = this.#sample()
      .catch((err: unknown) =>
        this.#o.log(`sampling the desktop failed: ${(err as Error).message}`),
      )
      .finally(() => {
        this.#busy = undefined
        if (this.#again) {
          this.#again = false
          void this.tick()
        }
      })
    return this.#busy
  }

  async #sample(): Promise<void> {
    const { source, clock, window, afk } = this.#o
    const now = clock()
    const previous = this.#lastSampleMs
    this.#lastSampleMs = now
    if (previous !== undefined && now - previous > (this.#o.suspendGapMs ?? 30_000)) {
      // Why: after a suspend, the X server's idle counter may not count the time asleep, so the
      // last input would look recent and the open window event would be extended across the
      // whole night. Nothing is known between the two samples: it is not counted.
      if (window) this.#events(window.tracker.stop(previous))
      if (afk) this.#afk(afk.tracker.suspended(previous))
    }
    const idleMs = afk ? await source.idleMs() : 0
    if (afk) {
      const locked = source.locked ? await source.locked() : false
      const wasAway = afk.tracker.away
      const periods = afk.tracker.sample(idleMs, now, locked)
      this.#afk(periods)
      if (!wasAway && afk.tracker.away && window) {
        // Away since the last input: the window event ends there, not at this sample.
        this.#events(window.tracker.away(afk.tracker.awaySinceMs ?? now))
      }
      if (afk.tracker.away) return
    }
    if (window) this.#events(window.tracker.sample(await source.focused(), now, now - idleMs))
  }

  #events(events: WindowEvent[]): void {
    if (events.length === 0 || !this.#o.window) return
    this.lastEvent = events.at(-1)
    if (this.#o.dryRun) for (const e of events) this.#o.dryRun('event', e)
    else this.#o.window.outbox.put(events.map((e) => [eventKey(e), e] as const))
  }

  #afk(periods: AfkPeriodInput[]): void {
    if (periods.length === 0 || !this.#o.afk) return
    this.lastAfk = periods.at(-1)
    if (this.#o.dryRun) for (const p of periods) this.#o.dryRun('afk', p)
    else this.#o.afk.outbox.put(periods.map((p) => [afkKey(p), p] as const))
  }

  /** Whether the person is away (the AFK watcher says so). */
  get away(): boolean {
    return this.#o.afk?.tracker.away ?? false
  }

  get couriers(): { window?: Courier<WindowEvent>; afk?: Courier<AfkPeriodInput> } {
    return { window: this.#o.window?.courier, afk: this.#o.afk?.courier }
  }

  /** Delivers what waits (`force`: also while backing off). */
  async flush(force = false): Promise<void> {
    await Promise.all([this.#o.window?.courier.flush(force), this.#o.afk?.courier.flush(force)])
  }

  /** Shutdown: the current event and AFK period end now, and everything is sent once more. */
  async stop(): Promise<void> {
    await this.#busy
    const now = this.#o.clock()
    if (this.#o.window) this.#events(this.#o.window.tracker.stop(now))
    if (this.#o.afk) this.#afk(this.#o.afk.tracker.stop(now))
    await this.flush(true)
  }
}
