/** A stretch of continuous activity. */
export interface Session {
  startMs: number
  endMs: number
  activeSeconds: number
}

/**
 * Joins timeline segments, fed in time order, into sessions: a segment starting less than `gapMs`
 * after the current session ends extends it; otherwise it starts the next one.
 */
export class SessionJoiner {
  readonly #gapMs: number
  readonly #out: Session[] = []
  #current: Session | undefined

  constructor(gapMs: number) {
    this.#gapMs = gapMs
  }

  push(seg: { startMs: number; endMs: number }): void {
    const seconds = (seg.endMs - seg.startMs) / 1000
    const current = this.#current
    if (current && seg.startMs - current.endMs < this.#gapMs) {
      current.endMs = seg.endMs
      current.activeSeconds += seconds
    } else {
      if (current) this.#out.push(current)
      this.#current = { startMs: seg.startMs, endMs: seg.endMs, activeSeconds: seconds }
    }
  }

  /** The sessions, the last one included. */
  finish(): Session[] {
    if (this.#current) this.#out.push(this.#current)
    this.#current = undefined
    return this.#out
  }
}
