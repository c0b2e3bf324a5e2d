/**
 * A fixed-window counter per key (a client address), in memory. Used to limit failed
 * authentication and public routes; a local daemon has no need for a shared store.
 */
import type { Clock } from './context.ts'

export interface RateLimitOptions {
  /** Hits allowed per window. */
  limit: number
  windowMs: number
  clock: Clock
}

export interface RateDecision {
  allowed: boolean
  /** Whole seconds until the window resets (for `Retry-After`); 0 when allowed. */
  retryAfterSec: number
}

export class RateLimiter {
  readonly #options: RateLimitOptions
  readonly #windows = new Map<string, { start: number; count: number }>()

  constructor(options: RateLimitOptions) {
    this.#options = options
  }

  /** Counts one hit for `key` and says whether it is within the limit. */
  hit(key: string): RateDecision {
    const w = this.#current(key)
    w.count++
    return this.#decide(w, w.count)
  }

  /** Whether one more hit for `key` would be allowed, without counting it. */
  check(key: string): RateDecision {
    const w = this.#current(key)
    return this.#decide(w, w.count + 1)
  }

  #current(key: string): { start: number; count: number } {
    const now = this.#options.clock()
    let w = this.#windows.get(key)
    if (!w || now - w.start >= this.#options.windowMs) {
      w = { start: now, count: 0 }
      this.#windows.set(key, w)
      if (this.#windows.size > 10_000) this.#prune(now)
    }
    return w
  }

  #decide(w: { start: number; count: number }, count: number): RateDecision {
    if (count <= this.#options.limit) return { allowed: true, retryAfterSec: 0 }
    const resetIn = w.start + this.#options.windowMs - this.#options.clock()
    return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(resetIn / 1000)) }
  }

  #prune(now: number): void {
    for (const [key, w] of this.#windows) {
      if (now - w.start >= this.#options.windowMs) this.#windows.delete(key)
    }
  }
}
