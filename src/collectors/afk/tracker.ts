/**
 * The AFK watcher's logic, on a fake clock in tests: from "milliseconds since the last input"
 * samples to AFK periods. Away once the idle time reaches the timeout, dated back to the last
 * input; back at the next input. A period is posted open when it starts and closed when it ends
 * (the daemon closes an open period when the same start arrives with an end).
 */

/** An AFK period as the daemon's `POST /v1/afk` takes it. */
export interface AfkPeriodInput {
  afk_start: string
  afk_end: string | null
  source?: string
}

const AFK_SOURCE = 'daybook-afk'

export class AfkTracker {
  readonly #timeoutMs: number
  #awaySinceMs: number | undefined

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs
  }

  get away(): boolean {
    return this.#awaySinceMs !== undefined
  }

  /** When the current AFK period began, while away. */
  get awaySinceMs(): number | undefined {
    return this.#awaySinceMs
  }

  /**
   * A sample: `idleMs` since the last input, at `nowMs`, and whether the screen is locked (away
   * from the last input at once, and until the screen is unlocked: typing the password is not
   * being back). Returns the periods to send.
   */
  sample(idleMs: number, nowMs: number, locked = false): AfkPeriodInput[] {
    const lastInputMs = nowMs - Math.max(0, idleMs)
    if (this.#awaySinceMs === undefined) {
      if (idleMs < this.#timeoutMs && !locked) return []
      this.#awaySinceMs = lastInputMs
      return [{ afk_start: iso(lastInputMs), afk_end: null, source: AFK_SOURCE }]
    }
    if (locked) return []
    // The last input is reckoned from two clocks (ours and the X server's idle counter), so it
    // wobbles by milliseconds between samples. Real input comes at least a timeout after the
    // period began (that is when it was noticed), far beyond the wobble.
    if (lastInputMs <= this.#awaySinceMs + Math.min(1000, this.#timeoutMs / 2)) return []
    // Input came back: the period ends at that input.
    const start = this.#awaySinceMs
    this.#awaySinceMs = undefined
    return [
      { afk_start: iso(start), afk_end: iso(Math.max(start, lastInputMs)), source: AFK_SOURCE },
    ]
  }

  /**
   * The machine slept (or the watcher was stopped) from `sinceMs` until now: nobody was at it,
   * so a period begins there unless one runs already; the next input ends it.
   */
  suspended(sinceMs: number): AfkPeriodInput[] {
    if (this.#awaySinceMs !== undefined) return []
    this.#awaySinceMs = sinceMs
    return [{ afk_start: iso(sinceMs), afk_end: null, source: AFK_SOURCE }]
  }

  /** Shutdown while away: the period ends now (nobody can say more). */
  stop(nowMs: number): AfkPeriodInput[] {
    if (this.#awaySinceMs === undefined) return []
    const start = this.#awaySinceMs
    this.#awaySinceMs = undefined
    return [{ afk_start: iso(start), afk_end: iso(Math.max(start, nowMs)), source: AFK_SOURCE }]
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
