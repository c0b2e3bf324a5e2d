/**
 * Delivery of an outbox to a server, the same for every collector: everything waiting, in
 * batches, removed only when a 2xx answer acknowledges it (the frames input client cleared its
 * counts on any answer, a 401 or 500 included, which silently lost them); after a failure it
 * waits with capped exponential backoff. What a request looks like is the payload's `Delivery`.
 */
import type { Outbox } from './outbox.ts'
import { count } from '../../domain/words.ts'

/**
 * What a collector needs of a connection to a server: one HTTP exchange. The typed client
 * (`src/client/`) is one; the CLI hands it in, so the collectors depend on no transport.
 */
export interface Connection {
  exchange(
    method: string,
    path: string,
    options?: { body?: string | undefined; headers?: Record<string, string> | undefined },
  ): Promise<{ status: number; body: string }>
}

/** Why a send failed: an HTTP status when the server answered, or only a message. */
export interface SendFailure {
  status?: number | undefined
  message: string
}

export interface SendResult {
  /** How many items, from the start of those given, the server acknowledged (2xx). */
  accepted: number
  failure?: SendFailure | undefined
}

/** How one kind of payload travels: the requests for a list of items. */
export interface Delivery<T> {
  /** Sends `items` in order; stops at the first failure and says how many were acknowledged. */
  send(client: Connection, items: readonly T[]): Promise<SendResult>
}

/** Capped exponential backoff: `base`, `2·base`, `4·base`, … up to `max`. */
export function backoffMs(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30))
}

/** A JSON array of items per request, `batch` at a time (events, AFK periods). */
export function jsonArrayDelivery<T>(path: string, batch = 500): Delivery<T> {
  return {
    async send(client, items) {
      let accepted = 0
      for (let i = 0; i < items.length; i += batch) {
        const chunk = items.slice(i, i + batch)
        const failure = await post(client, path, JSON.stringify(chunk), {})
        if (failure) return { accepted, failure }
        accepted += chunk.length
      }
      return { accepted }
    },
  }
}

export interface CourierOptions<T> {
  outbox: Outbox<T>
  delivery: Delivery<T>
  /** A client for each attempt, so a restarted daemon (new port, new token) is found again. */
  client: () => Connection
  /** Describes the target in log lines. */
  target: string
  /** What it delivers, in log lines (`window events`). */
  what: string
  /** What one item is called in log lines (`event`; `events` for several). */
  unit: string
  clock: () => number
  log: (line: string) => void
  /**
   * Told of every acknowledged delivery (`first`: the first since start). By default the first
   * one is announced as `connected: sending <what> to <target>`.
   */
  onDelivered?: (items: readonly T[], first: boolean) => void
  retryBaseMs?: number
  retryMaxMs?: number
}

/**
 * Delivers an outbox. Says once that it is connected, each failure with what is kept and when it
 * tries again, and when delivery recovers.
 */
export class Courier<T> {
  readonly #o: Required<CourierOptions<T>>
  #failures = 0
  #retryAtMs = 0
  #sending: Promise<void> | undefined
  #connected = false
  /** Items delivered since start. */
  delivered = 0
  lastSentMs: number | undefined

  constructor(options: CourierOptions<T>) {
    this.#o = {
      retryBaseMs: 1000,
      retryMaxMs: 300_000,
      onDelivered: (_items, first) => {
        if (first) options.log(`connected: sending ${options.what} to ${options.target}`)
      },
      ...options,
    }
  }

  get target(): string {
    return this.#o.target
  }

  /** Consecutive failed attempts (0 when the last one succeeded). */
  get failures(): number {
    return this.#failures
  }

  /** When the next attempt may happen (epoch ms), while failing. */
  get retryAtMs(): number {
    return this.#retryAtMs
  }

  /** Whether a send now would not be held back by the backoff. */
  get due(): boolean {
    return this.#failures === 0 || this.#o.clock() >= this.#retryAtMs
  }

  /**
   * Sends what is waiting unless backing off (`force`: send anyway, e.g. at shutdown). Never
   * rejects; a call while a send runs joins it (a forced one then sends what came since).
   */
  flush(force = false): Promise<void> {
    if (this.#sending && force) return this.#sending.then(() => this.flush(true))
    this.#sending ??= this.#send(force)
      .catch((err: unknown) => {
        // Only the outbox write can get here: its items stay as they were, tried again later.
        this.#o.log(`cannot write the outbox ${this.#o.outbox.file}: ${(err as Error).message}`)
      })
      .finally(() => {
        this.#sending = undefined
      })
    return this.#sending
  }

  async #send(force: boolean): Promise<void> {
    const { outbox, log, target, unit } = this.#o
    if (outbox.size === 0) return
    if (!force && !this.due) return
    const waiting = outbox.entries()
    // Offered is on disk before the server sees anything (see Outbox).
    outbox.markOffered(waiting)
    let result: SendResult
    try {
      result = await this.#o.delivery.send(
        this.#o.client(),
        waiting.map((w) => w.item),
      )
    } catch (err) {
      // No daemon discovered, no token file, or a delivery that threw: nothing was acknowledged.
      result = { accepted: 0, failure: { message: (err as Error).message } }
    }
    if (result.accepted > 0) {
      const done = waiting.slice(0, result.accepted)
      outbox.ack(done)
      this.delivered += done.length
      this.lastSentMs = this.#o.clock()
      this.#o.onDelivered(
        done.map((w) => w.item),
        !this.#connected,
      )
      this.#connected = true
    }
    if (!result.failure) {
      if (this.#failures > 0) {
        log(
          `sent ${count(waiting.length, unit)} to ${target} after ${count(this.#failures, 'failed attempt')}`,
        )
      }
      this.#failures = 0
      this.#retryAtMs = 0
      return
    }
    this.#failures++
    const wait = backoffMs(this.#failures, this.#o.retryBaseMs, this.#o.retryMaxMs)
    this.#retryAtMs = this.#o.clock() + wait
    const kept = `${count(outbox.size, unit)} kept in ${outbox.file}`
    const retry = force
      ? 'they are sent at the next start'
      : `retrying in ${Math.ceil(wait / 1000)} s`
    const { status, message } = result.failure
    log(
      status === 401
        ? `${target} refused the key (401 unauthorized): check --key-file, DAYBOOK_KEY, DAYBOOK_TOKEN or the token file; ${kept}, ${retry}`
        : `sending ${this.#o.what} to ${target} failed (${status === undefined ? message : `HTTP ${status}: ${message}`}); ${kept}, ${retry}`,
    )
  }
}

/** Posts `body`; undefined on a 2xx answer, else what went wrong. */
export async function post(
  client: Connection,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<SendFailure | undefined> {
  try {
    const res = await client.exchange('POST', path, { body, headers })
    if (res.status >= 200 && res.status < 300) return undefined
    return { status: res.status, message: describeBody(res.body) }
  } catch (err) {
    return { message: (err as Error).message }
  }
}

/** The error a server sent: Daybook's `message`, the frames protocol's `error`, or the body. */
function describeBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown }
    if (typeof parsed.message === 'string') return parsed.message
    if (typeof parsed.error === 'string') return parsed.error
  } catch {
    // not JSON
  }
  return body.slice(0, 200).replace(/\s+/g, ' ').trim() || 'no body'
}
