/**
 * A fixed-window counter per key (a client address), in memory. Used to limit failed
 * authentication and public routes; a local daemon has no need for a shared store.
 */
import type { Clock } from './context.ts'

export interface RateLimitOptions {
  /** Hits allowed per window. */
  limit: number
  windowMs: number
  /** Keys (clients) tracked at once, at most (default 10,000). */
  clients?: number
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
      // Set anew, so the map stays in the order the windows opened: the oldest come first.
      this.#windows.delete(key)
      this.#windows.set(key, w)
      if (this.#windows.size > (this.#options.clients ?? 10_000)) this.#prune(now)
    }
    return w
  }

  /** The keys tracked now. */
  get size(): number {
    return this.#windows.size
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
    // More clients than that within one window (guesses sprayed from a subnet's addresses; an
    // IPv6 /64 holds 2^64) would grow the map without end, and prune it on every request: the
    // oldest windows go, down to three quarters, so memory stays bounded and pruning runs once
    // per quarter of it. A client whose window goes starts afresh; one that sprays addresses has
    // a fresh budget at each of them anyway.
    const keep = Math.floor(((this.#options.clients ?? 10_000) * 3) / 4)
    for (const key of this.#windows.keys()) {
      if (this.#windows.size <= keep) break
      this.#windows.delete(key)
    }
  }
}
