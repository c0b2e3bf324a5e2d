/**
 * The input collector's logic, free of timers and hooks so it runs on a fake clock in tests:
 * counters fed by a hook source, each count in the 5-minute bucket it arrived in → sampled →
 * sealed into the outbox at each flush → delivered by the courier (the same outbox and courier as
 * every other collector).
 *
 * Durability: counts live in memory only between flushes (`flushMs`, 30 s by default); a graceful
 * stop (`stop()`) seals and tries a last send, so only a hard kill can lose that last interval.
 * Input buckets are de-duplicated by id on the server, so a bucket once offered is never changed:
 * later counts for the same bucket go into a new item.
 */
import {
  INPUT_KINDS,
  type InputCounts,
  type InputKind,
  addCounts,
  bucketStart,
  emptyCounts,
  isEmptyCounts,
} from '../../domain/input.ts'
import { type Connection, Courier, type Delivery } from '../core/courier.ts'
import type { Outbox } from '../core/outbox.ts'
import { type InputItem, newInputItem } from './deliveries.ts'
import { count } from '../../domain/words.ts'

/** Where input events come from: a global hook (uiohook), or a fake in tests. */
export interface InputSource {
  /** Starts delivering events; `n` is how many of the kind happened (1 when absent). */
  start(onInput: (kind: InputKind, n?: number) => void): Promise<void>
  stop(): Promise<void>
}

export interface CollectorOptions {
  outbox: Outbox<InputItem>
  /** The wire format (`daybookInputDelivery` or `framesDelivery`). */
  delivery: Delivery<InputItem>
  /** A client for each attempt (see `Courier`). */
  client: () => Connection
  /** Describes the target in log lines. */
  target: string
  clock: () => number
  /** How often to flush (seal into the outbox and send), ms. */
  flushMs: number
  log: (line: string) => void
  /** Also log what was sent every `reportMs` (default: only the first send is announced). */
  verbose?: boolean
  /** How often a verbose collector reports (default 5 min). */
  reportMs?: number
  /** First retry delay after a failed send; doubles per failure (default 1 s). */
  retryBaseMs?: number
  /** Longest retry delay (default 5 min). */
  retryMaxMs?: number
}

export class InputCollector {
  readonly #o: CollectorOptions & { verbose: boolean; reportMs: number }
  readonly courier: Courier<InputItem>
  /** Events since the last sample. */
  #counters: InputCounts = emptyCounts()
  /** The bucket the counters were counted in. */
  #countersBucket = 0
  /** Sampled counts per bucket, not yet sealed into the outbox. */
  readonly #pending = new Map<number, InputCounts>()
  #nextFlushMs: number
  /** What was sent since the last report, and when that was. */
  #sentSinceReport = { buckets: 0, counts: emptyCounts() }
  #lastReportMs: number | undefined

  constructor(options: CollectorOptions) {
    this.#o = { verbose: false, reportMs: 300_000, ...options }
    this.#nextFlushMs = options.clock() + options.flushMs
    this.courier = new Courier<InputItem>({
      outbox: options.outbox,
      delivery: options.delivery,
      client: options.client,
      target: options.target,
      what: 'input counts',
      unit: 'bucket',
      clock: options.clock,
      log: options.log,
      onDelivered: (items, first) => this.#noteSent(items, first),
      ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
      ...(options.retryMaxMs === undefined ? {} : { retryMaxMs: options.retryMaxMs }),
    })
  }

  /** Consecutive failed sends (0 when the last one succeeded). */
  get failures(): number {
    return this.courier.failures
  }

  /** Counts sampled or unsampled but not yet in the outbox. */
  get unsealed(): InputCounts {
    const out = { ...this.#counters }
    for (const c of this.#pending.values()) addCounts(out, c)
    return out
  }

  /**
   * Counts one event (the hook calls this), in the bucket of the moment it arrives. Why not the
   * bucket of the next sample: input just before a bucket's end, sampled after it, was dated in
   * the next bucket, and an AFK period that began at that input was taken to have ended there
   * (input at or after a period's start is presence).
   */
  record(kind: InputKind, n = 1): void {
    if (!INPUT_KINDS.includes(kind) || !Number.isFinite(n) || n <= 0) return
    const bucket = bucketStart(this.#o.clock())
    if (bucket !== this.#countersBucket) {
      this.sample()
      this.#countersBucket = bucket
    }
    this.#counters[kind] += n
  }

  /** Moves the counters into the bucket they were counted in. */
  sample(): void {
    if (isEmptyCounts(this.#counters)) return
    const bucket = this.#countersBucket
    const into = this.#pending.get(bucket) ?? emptyCounts()
    this.#pending.set(bucket, addCounts(into, this.#counters))
    this.#counters = emptyCounts()
  }

  /**
   * One step of the loop (call every sample interval): samples, and at each flush interval seals
   * and sends; in between, a retry is sent when its backoff is over. Never rejects.
   */
  async tick(): Promise<void> {
    this.sample()
    const now = this.#o.clock()
    if (now >= this.#nextFlushMs) {
      this.#nextFlushMs = now + this.#o.flushMs
      if (!this.#trySeal()) return
    } else if (this.courier.failures === 0) return
    await this.courier.flush()
  }

  /** A final sample, seal and send, whatever the backoff; resolves true when nothing is left. */
  async stop(): Promise<boolean> {
    this.sample()
    this.#trySeal()
    await this.courier.flush(true)
    return this.#o.outbox.size === 0 && this.#pending.size === 0
  }

  /**
   * Seals what was sampled into the outbox now (persisted), without sending: into the bucket's
   * item if it was never offered, else a new item.
   */
  seal(): void {
    if (this.#pending.size === 0) return
    const { outbox } = this.#o
    const open = new Map<number, InputItem>()
    for (const e of outbox.entries()) if (!e.offered) open.set(e.item.bucketMs, e.item)
    const changed: [string, InputItem][] = []
    for (const [bucket, counts] of this.#pending) {
      if (isEmptyCounts(counts)) continue
      const prior = open.get(bucket)
      const item = prior ? { ...prior } : newInputItem(bucket, emptyCounts())
      addCounts(item, counts)
      changed.push([item.id, item])
    }
    outbox.put(changed)
    this.#pending.clear()
  }

  /** Sends what waits now (unless backing off); what a restart does with a non-empty outbox. */
  flush(): Promise<void> {
    return this.courier.flush()
  }

  #trySeal(): boolean {
    try {
      this.seal()
      return true
    } catch (err) {
      // The counts stay in memory (pending) and are sealed at the next flush.
      this.#o.log(
        `cannot write the outbox ${this.#o.outbox.file}: ${(err as Error).message}; keeping counts in memory`,
      )
      return false
    }
  }

  /**
   * Says once that counts arrive (so a person sees the collector works), then, when verbose,
   * what was sent every `reportMs`.
   */
  #noteSent(sent: readonly InputItem[], first: boolean): void {
    const total = this.#sentSinceReport
    total.buckets += sent.length
    for (const e of sent) addCounts(total.counts, e)
    const now = this.#o.clock()
    if (!first && (!this.#o.verbose || now - (this.#lastReportMs ?? 0) < this.#o.reportMs)) return
    const c = total.counts
    this.#o.log(
      `${first ? 'connected: ' : ''}sent ${count(total.buckets, 'bucket')} to ${this.#o.target} ` +
        `(${count(c.kp, 'key')}, ${count(c.lc + c.rc + c.mc, 'click')}, ${count(c.scroll, 'scroll')}, ${count(c.mm, 'move')})` +
        (first ? `; from now on every ${Math.round(this.#o.flushMs / 1000)} s` : ''),
    )
    this.#lastReportMs = now
    this.#sentSinceReport = { buckets: 0, counts: emptyCounts() }
  }
}
