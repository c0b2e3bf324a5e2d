/**
 * A watcher's outbox: what it has to tell the daemon and has not yet had acknowledged, kept in a
 * file (written atomically) so it survives daemon restarts, network errors and the watcher's own
 * crash. Items are keyed: a newer version of an item (an event extended to a later end) replaces
 * the older one, and the daemon's identity rules make a re-send harmless (a re-sent event with a
 * later end extends the stored one; an equal one is a duplicate).
 */
import { existsSync, readFileSync, renameSync } from 'node:fs'
import { writeFileAtomic } from '../../config/files.ts'
import { backoffMs } from '../input-collector.ts'
import { post, openClient } from '../sender.ts'
import type { DaybookClient } from '../../client/client.ts'

interface Stored<T> {
  version: number
  item: T
}

export class Outbox<T> {
  readonly file: string
  readonly #items = new Map<string, Stored<T>>()
  #version = 0

  constructor(file: string, log: (line: string) => void) {
    this.file = file
    if (!existsSync(file)) return
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { items: [string, T][] }
      for (const [key, item] of saved.items)
        this.#items.set(key, { version: ++this.#version, item })
    } catch (err) {
      // Never overwrite what cannot be read: it is moved aside for a person to look at.
      const aside = `${file}.corrupt-${Date.now()}`
      renameSync(file, aside)
      log(`outbox ${file} was unreadable (${(err as Error).message}); moved to ${aside}`)
    }
  }

  get size(): number {
    return this.#items.size
  }

  /** Adds or replaces an item, and writes the outbox before returning. */
  put(entries: readonly (readonly [string, T])[]): void {
    if (entries.length === 0) return
    for (const [key, item] of entries) this.#items.set(key, { version: ++this.#version, item })
    this.#save()
  }

  /** Everything waiting, with the versions `ack` needs. */
  snapshot(): { key: string; version: number; item: T }[] {
    return [...this.#items].map(([key, s]) => ({ key, version: s.version, item: s.item }))
  }

  /** Removes what was acknowledged, unless it was replaced since the snapshot. */
  ack(sent: readonly { key: string; version: number }[]): void {
    let changed = false
    for (const { key, version } of sent) {
      if (this.#items.get(key)?.version === version) {
        this.#items.delete(key)
        changed = true
      }
    }
    if (changed) this.#save()
  }

  #save(): void {
    writeFileAtomic(
      this.file,
      `${JSON.stringify({ items: [...this.#items].map(([k, s]) => [k, s.item]) })}\n`,
    )
  }
}

export interface CourierOptions<T> {
  outbox: Outbox<T>
  /** A client for each attempt, so a restarted daemon (new port, new token) is found again. */
  client: () => DaybookClient
  path: string
  /** Describes the target in log lines. */
  target: string
  /** What it delivers, in log lines (`window events`). */
  what: string
  clock: () => number
  log: (line: string) => void
  /** Items per request. */
  batch?: number
  retryBaseMs?: number
  retryMaxMs?: number
}

/**
 * Delivers an outbox: everything waiting, in batches, acknowledged only by a 2xx answer; after a
 * failure it waits (capped exponential backoff) before trying again. Says once that it is
 * connected, and once when delivery recovers.
 */
export class Courier<T> {
  readonly #o: Required<CourierOptions<T>>
  #failures = 0
  #retryAtMs = 0
  #sending: Promise<void> | undefined
  #connected = false
  /** Items delivered so far. */
  delivered = 0
  lastSentMs: number | undefined

  constructor(options: CourierOptions<T>) {
    this.#o = { batch: 500, retryBaseMs: 1000, retryMaxMs: 300_000, ...options }
  }

  get failures(): number {
    return this.#failures
  }

  /** Sends what is waiting unless backing off (`force`: send anyway, e.g. at shutdown). */
  flush(force = false): Promise<void> {
    this.#sending ??= this.#send(force).finally(() => {
      this.#sending = undefined
    })
    return this.#sending
  }

  async #send(force: boolean): Promise<void> {
    const { outbox, log } = this.#o
    if (outbox.size === 0) return
    if (!force && this.#failures > 0 && this.#o.clock() < this.#retryAtMs) return
    const waiting = outbox.snapshot()
    const client = openClient(this.#o.client)
    let failure = 'failure' in client ? client.failure : undefined
    for (let i = 0; !failure && i < waiting.length; i += this.#o.batch) {
      const chunk = waiting.slice(i, i + this.#o.batch)
      failure = await post(
        client as DaybookClient,
        this.#o.path,
        JSON.stringify(chunk.map((w) => w.item)),
        {},
      )
      if (failure) break
      outbox.ack(chunk)
      this.delivered += chunk.length
      this.lastSentMs = this.#o.clock()
    }
    if (!failure) {
      if (!this.#connected) log(`connected: sending ${this.#o.what} to ${this.#o.target}`)
      else if (this.#failures > 0) log(`sending ${this.#o.what} to ${this.#o.target} again`)
      this.#connected = true
      this.#failures = 0
      return
    }
    this.#failures++
    const wait = backoffMs(this.#failures, this.#o.retryBaseMs, this.#o.retryMaxMs)
    this.#retryAtMs = this.#o.clock() + wait
    if (this.#failures === 1 || this.#failures % 10 === 0) {
      const { status, message } = failure
      log(
        `sending ${this.#o.what} to ${this.#o.target} failed (${status === undefined ? message : `HTTP ${status}: ${message}`}); ` +
          `${outbox.size} item(s) kept in ${outbox.file}, retrying in ${Math.ceil(wait / 1000)} s`,
      )
    }
  }
}
