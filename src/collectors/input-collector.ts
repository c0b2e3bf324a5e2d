/**
 * The input collector's logic, free of timers and hooks so it runs on a fake clock in tests:
 * counters fed by a hook source → sampled into 5-minute buckets → sealed into the durable spool
 * at each flush → sent; a failed send keeps everything and is retried with capped backoff.
 *
 * Durability: counts live in memory only between flushes (`flushMs`, 30 s by default); a graceful
 * stop (`stop()`) seals and tries a last send, so only a hard kill can lose that last interval.
 */
import {
  INPUT_KINDS,
  type InputCounts,
  type InputKind,
  addCounts,
  bucketStart,
  emptyCounts,
  isEmptyCounts,
} from '../domain/input.ts'
import type { Spool, SpoolEntry } from './spool.ts'

/** Where input events come from: a global hook (uiohook), or a fake in tests. */
export interface InputSource {
  /** Starts delivering events; `n` is how many of the kind happened (1 when absent). */
  start(onInput: (kind: InputKind, n?: number) => void): Promise<void>
  stop(): Promise<void>
}

/** Why a send failed: an HTTP status when the server answered, or only a message. */
export interface SendFailure {
  status?: number | undefined
  message: string
}

export interface SendResult {
  /** How many entries, from the start of those given, the server acknowledged (2xx). */
  accepted: number
  failure?: SendFailure | undefined
}

/** Delivers spool entries to a server. */
export interface Sender {
  /** Where it sends, for log lines. */
  readonly target: string
  send(entries: readonly SpoolEntry[]): Promise<SendResult>
}

export interface CollectorOptions {
  spool: Spool
  sender: Sender
  clock: () => number
  /** How often to flush (seal into the spool and send), ms. */
  flushMs: number
  /** First retry delay after a failed send; doubles per failure (default 1 s). */
  retryBaseMs?: number
  /** Longest retry delay (default 5 min). */
  retryMaxMs?: number
  log: (line: string) => void
  /** Also log what was sent every `reportMs` (default: only the first send is announced). */
  verbose?: boolean
  /** How often a verbose collector reports (default 5 min). */
  reportMs?: number
}

/** Capped exponential backoff: `base`, `2·base`, `4·base`, … up to `max`. */
export function backoffMs(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30))
}

export class InputCollector {
  readonly #o: Required<CollectorOptions>
  /** Events since the last sample. */
  #counters: InputCounts = emptyCounts()
  /** Sampled counts per bucket, not yet sealed into the spool. */
  readonly #pending = new Map<number, InputCounts>()
  #nextFlushMs: number
  #failures = 0
  #retryAtMs = 0
  #flushing: Promise<void> | undefined
  /** What was sent since the last report, and when that was. */
  #sentSinceReport = { buckets: 0, counts: emptyCounts() }
  #lastReportMs: number | undefined

  constructor(options: CollectorOptions) {
    this.#o = {
      retryBaseMs: 1000,
      retryMaxMs: 300_000,
      verbose: false,
      reportMs: 300_000,
      ...options,
    }
    this.#nextFlushMs = options.clock() + options.flushMs
  }

  /** Consecutive failed sends (0 when the last one succeeded). */
  get failures(): number {
    return this.#failures
  }

  /** When the next retry may happen (epoch ms), while failing. */
  get retryAtMs(): number {
    return this.#retryAtMs
  }

  /** Counts sampled or unsampled but not yet in the spool. */
  get unsealed(): InputCounts {
    const out = { ...this.#counters }
    for (const c of this.#pending.values()) addCounts(out, c)
    return out
  }

  /** Counts one event (the hook calls this). */
  record(kind: InputKind, n = 1): void {
    if (INPUT_KINDS.includes(kind) && Number.isFinite(n) && n > 0) this.#counters[kind] += n
  }

  /** Moves the counters into the current bucket. */
  sample(): void {
    if (isEmptyCounts(this.#counters)) return
    const bucket = bucketStart(this.#o.clock())
    const into = this.#pending.get(bucket) ?? emptyCounts()
    this.#pending.set(bucket, addCounts(into, this.#counters))
    this.#counters = emptyCounts()
  }

  /**
   * One step of the loop (call every sample interval): samples, and flushes when the flush
   * interval has passed or a retry is due. Never rejects.
   */
  async tick(): Promise<void> {
    this.sample()
    const now = this.#o.clock()
    const flushDue = now >= this.#nextFlushMs
    const retryDue = this.#failures > 0 && now >= this.#retryAtMs && this.#o.spool.size > 0
    if ((!flushDue && !retryDue) || this.#flushing) return
    if (flushDue) this.#nextFlushMs = now + this.#o.flushMs
    await this.#runFlush(false)
  }

  /** A final sample, seal and send, whatever the backoff; resolves true when nothing is left. */
  async stop(): Promise<boolean> {
    if (this.#flushing) await this.#flushing
    this.sample()
    await this.#runFlush(true)
    return this.#o.spool.size === 0
  }

  /** Seals what was sampled into the spool now (persisted), without sending. */
  seal(): void {
    if (this.#pending.size === 0) return
    for (const [bucket, counts] of this.#pending) {
      if (!isEmptyCounts(counts)) this.#o.spool.add(bucket, counts)
    }
    this.#pending.clear()
    this.#o.spool.save()
  }

  /** Seals and sends now (unless backing off); what a restart does with a non-empty spool. */
  flush(): Promise<void> {
    return this.#flushing ?? this.#runFlush(false)
  }

  #runFlush(force: boolean): Promise<void> {
    const run = this.#flush(force)
      .catch((err: unknown) => {
        // Only the spool write can get here (the sender never rejects): the entries stay
        // in memory and on disk as they were, and the next flush tries again.
        this.#o.log(`flush failed: ${(err as Error).message}`)
      })
      .finally(() => {
        this.#flushing = undefined
      })
    this.#flushing = run
    return run
  }

  /**
   * Says once that counts arrive (so a person sees the collector works), then, when verbose,
   * what was sent every `reportMs`.
   */
  #noteSent(sent: readonly SpoolEntry[]): void {
    if (sent.length === 0) return
    const total = this.#sentSinceReport
    total.buckets += sent.length
    for (const e of sent) {
      for (const k of Object.keys(total.counts) as (keyof InputCounts)[]) total.counts[k] += e[k]
    }
    const now = this.#o.clock()
    const first = this.#lastReportMs === undefined
    if (!first && (!this.#o.verbose || now - (this.#lastReportMs ?? 0) < this.#o.reportMs)) return
    const c = total.counts
    this.#o.log(
      `${first ? 'connected: ' : ''}sent ${total.buckets} bucket(s) to ${this.#o.sender.target} ` +
        `(${c.kp} keys, ${c.lc + c.rc + c.mc} clicks, ${c.scroll} scrolls, ${c.mm} moves)` +
        (first ? `; from now on every ${Math.round(this.#o.flushMs / 1000)} s` : ''),
    )
    this.#lastReportMs = now
    this.#sentSinceReport = { buckets: 0, counts: emptyCounts() }
  }

  async #flush(force: boolean): Promise<void> {
    const { spool, sender, log } = this.#o
    try {
      this.seal()
    } catch (err) {
      // The counts stay in memory (pending) and are sealed at the next flush.
      log(
        `cannot write the spool ${spool.file}: ${(err as Error).message}; keeping counts in memory`,
      )
      return
    }
    if (spool.size === 0) return
    if (!force && this.#failures > 0 && this.#o.clock() < this.#retryAtMs) return

    const batch = [...spool.entries]
    // Offered entries are frozen (see spool.ts); that must be on disk before the server sees them.
    spool.markOffered(batch)
    spool.save()
    let result: SendResult
    try {
      result = await sender.send(batch)
    } catch (err) {
      result = { accepted: 0, failure: { message: (err as Error).message } }
    }
    if (result.accepted > 0) {
      spool.remove(batch.slice(0, result.accepted))
      spool.save()
    }
    this.#noteSent(batch.slice(0, result.accepted))
    if (!result.failure) {
      if (this.#failures > 0) {
        log(
          `sent ${batch.length} bucket(s) to ${sender.target} after ${this.#failures} failed attempt(s)`,
        )
      }
      this.#failures = 0
      this.#retryAtMs = 0
      return
    }
    this.#failures++
    const wait = backoffMs(this.#failures, this.#o.retryBaseMs, this.#o.retryMaxMs)
    this.#retryAtMs = this.#o.clock() + wait
    const kept = `${spool.size} bucket(s) kept in ${spool.file}`
    const retry = force
      ? 'they are sent at the next start'
      : `retrying in ${Math.ceil(wait / 1000)} s`
    const { status, message } = result.failure
    if (status === 401) {
      log(
        `${sender.target} refused the key (401 unauthorized): check --key-file, DAYBOOK_KEY, DAYBOOK_TOKEN or the token file; ${kept}, ${retry}`,
      )
    } else {
      log(
        `sending to ${sender.target} failed (${status === undefined ? message : `HTTP ${status}: ${message}`}); ${kept}, ${retry}`,
      )
    }
  }
}
