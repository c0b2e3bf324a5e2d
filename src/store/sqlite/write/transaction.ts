/**
 * The plumbing every write shares. Each write is one transaction: it assigns feed positions
 * (`seq`) from a counter kept in `meta` — inside the transaction, so the commit order is the feed
 * order and a rolled-back write uses none — marks the rollup slots it touches dirty, and returns
 * what it changed, in feed order.
 */
import type { Change } from '../../../domain/changes.ts'
import { nextHlc, observeHlc } from '../../../domain/sync.ts'
import type { Connection } from '../connection.ts'
import type { DimensionWriter } from '../dimensions.ts'
import { deviceChanges } from '../records.ts'
import { lastWriteMark, markDirty } from '../rollups.ts'

/** Time spans whose slots a transaction made dirty, merged before they are written. */
class DirtySpans {
  readonly #spans: [number, number][] = []

  add(fromMs: number, toMs: number): void {
    this.#spans.push([Math.min(fromMs, toMs), Math.max(fromMs, toMs)])
  }

  flush(c: Connection, mark: () => number): void {
    if (this.#spans.length === 0) return
    const nowMs = mark()
    this.#spans.sort((a, b) => a[0] - b[0])
    let current: [number, number] | undefined
    for (const span of this.#spans) {
      if (current && span[0] <= current[1] + 900_000) current[1] = Math.max(current[1], span[1])
      else {
        if (current) markDirty(c, current[0], current[1], nowMs)
        current = [...span]
      }
    }
    if (current) markDirty(c, current[0], current[1], nowMs)
  }
}

/**
 * The changes a transaction made, gathered as it makes them; `finish` adds the devices it created
 * and puts them in feed order.
 */
class ChangeLog {
  readonly #c: Connection
  readonly #dims: DimensionWriter
  readonly #changes: Change[] = []

  constructor(c: Connection, dims: DimensionWriter) {
    this.#c = c
    this.#dims = dims
  }

  add(...changes: Change[]): void {
    this.#changes.push(...changes)
  }

  /** Every change so far, the created devices' included, in feed order. */
  finish(): Change[] {
    const created = this.#dims.createdDevices()
    const all =
      created.length > 0
        ? [...deviceChanges(this.#c, created), ...this.#changes]
        : [...this.#changes]
    return all.sort((a, b) => a.seq - b.seq)
  }
}

/** What a transaction gives the code inside it. */
export interface Tx {
  readonly c: Connection
  readonly dims: DimensionWriter
  /** The next feed position; every position drawn must be used by a row this write leaves. */
  readonly nextSeq: () => number
  readonly dirty: DirtySpans
  readonly changes: ChangeLog
  /** A mark for slots made dirty now (see `Transactions.mark`). */
  readonly mark: () => number
  /** User agents (with their editor and OS) → ids, as stored; dropped with a rollback. */
  readonly agents: Map<string, number>
  /** The next hybrid-clock value: the version of a change made now (see `domain/sync.ts`). */
  readonly hlc: () => number
  /** Moves the hybrid clock past a version another daemon made. */
  readonly observe: (remote: number | null) => void
}

/** Runs writes as transactions on the one write connection. */
export class Transactions {
  readonly #c: Connection
  readonly #dims: DimensionWriter
  readonly #agents = new Map<string, number>()
  /** The last mark put on dirty slots; undefined until read from the database. */
  #lastMark: number | undefined
  /** Called after every write that may have left dirty slots (the rollup loop wakes up). */
  onDirty: () => void = () => undefined

  constructor(c: Connection, dims: DimensionWriter) {
    this.#c = c
    this.#dims = dims
  }

  /** After a migration: forget cached ids and marks. */
  reset(): void {
    this.#lastMark = undefined
    this.#dims.reset()
    this.#agents.clear()
  }

  /** One write transaction, with a seq counter and dimension layer that roll back with it. */
  run<T>(fn: (tx: Tx) => T): T {
    const c = this.#c
    const dims = this.#dims
    const dirty = new DirtySpans()
    try {
      return c.write(() => {
        let seq = c.get<{ value: number }>("SELECT value FROM meta WHERE key = 'seq'")?.value ?? 0
        const start = seq
        // The hybrid clock, read on first use and written back with the transaction.
        let clock: number | undefined
        let clockRead: number | undefined
        const readClock = () =>
          (clock ??= clockRead =
            c.get<{ value: number }>("SELECT value FROM meta WHERE key = 'hlc'")?.value ?? 0)
        dims.begin()
        const out = fn({
          c,
          dims,
          nextSeq: () => ++seq,
          dirty,
          changes: new ChangeLog(c, dims),
          mark: () => this.mark(),
          agents: this.#agents,
          hlc: () => (clock = nextHlc(readClock(), Date.now())),
          observe: (remote) => {
            clock = observeHlc(readClock(), remote)
          },
        })
        dims.flush()
        if (clock !== undefined && clock !== clockRead) {
          c.run(
            "INSERT INTO meta (key, value) VALUES ('hlc', $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            { v: clock },
          )
        }
        dirty.flush(c, () => this.mark())
        if (seq !== start) {
          c.run(
            "INSERT INTO meta (key, value) VALUES ('seq', $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            { v: seq },
          )
        }
        return out
      })
    } catch (err) {
      // The caches may name rows the rollback removed.
      this.#dims.reset()
      this.#agents.clear()
      throw err
    } finally {
      this.onDirty()
    }
  }

  /**
   * The mark for the slots a transaction touches: its time, but always greater than every mark
   * before it (even when the clock steps back, or two writes share a millisecond). Readers keep a
   * dirty slot's resolution while its mark is unchanged (see `engine.ts`).
   */
  mark(): number {
    this.#lastMark ??= Math.max(
      this.#c.get<{ m: number | null }>('SELECT max(marked_ms) AS m FROM dirty_slots')?.m ?? 0,
      lastWriteMark(this.#c),
    )
    this.#lastMark = Math.max(Date.now(), this.#lastMark + 1)
    return this.#lastMark
  }
}

/** The latest end of any event stored (0 when none). */
export function maxEnd(c: Connection): number {
  return c.get<{ value: number }>("SELECT value FROM meta WHERE key = 'max_end_ms'")?.value ?? 0
}

export function raiseMaxEnd(c: Connection, ms: number): void {
  c.run(
    `INSERT INTO meta (key, value) VALUES ('max_end_ms', $v)
     ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`,
    { v: ms },
  )
}

/** What a write added to each device: events stored (less deleted), and the latest time seen. */
export type DeviceTally = Map<number, { added: number; lastSeen: number }>

/** Adds a write's tally to the devices' event counts and last-seen times. */
export function updateDevices(c: Connection, perDevice: DeviceTally): void {
  for (const [id, d] of perDevice) {
    c.run(
      `UPDATE devices SET events = events + $added,
         last_seen_ms = max(coalesce(last_seen_ms, 0), $seen) WHERE id = $id`,
      { added: d.added, seen: d.lastSeen, id },
    )
  }
}

/**
 * Items a write received per sender (source, device), for the collectors table. Counted by source
 * and then device id: no key is built per item.
 */
export class SenderTally {
  readonly bySource = new Map<string, Map<number, number>>()

  add(source: string, deviceId: number): void {
    let byDevice = this.bySource.get(source)
    if (!byDevice) this.bySource.set(source, (byDevice = new Map<number, number>()))
    byDevice.set(deviceId, (byDevice.get(deviceId) ?? 0) + 1)
  }

  /** Records that each sender sent its items of `kind` at `receivedMs`. */
  record(c: Connection, kind: 'events' | 'afk' | 'input', receivedMs: number): void {
    const upsert = c.stmt(`
      INSERT INTO collectors (source, device_id, kind, last_seen_ms, items) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET last_seen_ms = excluded.last_seen_ms, items = items + excluded.items`)
    for (const [source, byDevice] of this.bySource) {
      for (const [device, items] of byDevice) upsert.run(source, device, kind, receivedMs, items)
    }
  }
}
