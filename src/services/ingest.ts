/**
 * Ingest: the one place every write passes, whatever wire it came from (Skopio routes, input
 * frames, the WakaTime and ActivityWatch layers, the CLI). It applies the rules no wire may skip,
 * hands the batch to the store, and announces what was committed.
 */
import type { Clock } from '../domain/clock.ts'
import {
  type NewActivityEvent,
  type NewAfkPeriod,
  checkAfkTimes,
  checkEventTimes,
} from '../domain/events.ts'
import type { InputRow } from '../domain/input.ts'
import type { Heartbeat } from '../domain/wakatime/heartbeat.ts'
import type { AfkSelector, EventSelector, InputDelta, Store } from '../store/ports.ts'
import type { Change } from '../domain/changes.ts'
import type { Bus } from './bus.ts'

/** What a batch did, as the API answers it. */
export interface IngestCounts {
  inserted: number
  duplicates: number
  updated: number
}

/** Names the input field an item's problem is in, e.g. `body/3/timestamp`. */
export type FieldNamer = (index: number, name: string) => string

const BODY_FIELD: FieldNamer = (i, name) => `body/${i}/${name}`

export class IngestService {
  readonly #store: () => Store
  readonly #bus: Bus
  readonly #clock: Clock

  constructor(deps: { store: () => Store; bus: Bus; clock: Clock }) {
    this.#store = deps.store
    this.#bus = deps.bus
    this.#clock = deps.clock
  }

  #announce(changes: readonly Change[]): void {
    this.#bus.publish({ type: 'changes', changes })
  }

  /**
   * Stores a batch of events, all or nothing (see `EventStore.insert`). Resolves once committed;
   * throws `UnprocessableError` naming the first event whose times break a rule.
   */
  async events(
    events: readonly NewActivityEvent[],
    field: FieldNamer = BODY_FIELD,
  ): Promise<IngestCounts> {
    const now = this.#clock()
    events.forEach((e, i) => checkEventTimes(e, now, (name) => field(i, name)))
    if (events.length === 0) return { inserted: 0, duplicates: 0, updated: 0 }
    const { changes, ...counts } = await this.#store().events.insert(events, now, {
      changes: this.#bus.listeners > 0,
    })
    this.#announce(changes)
    return counts
  }

  /** Stores AFK periods, all or nothing (see `AfkStore.insert`). */
  async afk(
    periods: readonly NewAfkPeriod[],
    field: FieldNamer = BODY_FIELD,
  ): Promise<IngestCounts> {
    const now = this.#clock()
    periods.forEach((p, i) => checkAfkTimes(p, now, (name) => field(i, name)))
    if (periods.length === 0) return { inserted: 0, duplicates: 0, updated: 0 }
    const { changes, ...counts } = await this.#store().afk.insert(periods, now)
    this.#announce(changes)
    return counts
  }

  /** Adds input counts, each delta at most once (see `InputStore.add`). */
  async input(deltas: readonly InputDelta[]): Promise<{ inserted: number; duplicates: number }> {
    const { changes, applied, inserted, duplicates } = await this.#store().input.add(
      deltas,
      this.#clock(),
    )
    this.#bus.publish({
      type: 'input',
      samples: applied.map((i) => {
        const d = deltas[i] as InputDelta
        return {
          bucketMs: d.bucketMs,
          source: d.source,
          device: d.device ?? null,
          lc: d.lc,
          rc: d.rc,
          mc: d.mc,
          kp: d.kp,
          mm: d.mm,
          scroll: d.scroll,
        }
      }),
    })
    this.#announce(changes)
    return { inserted, duplicates }
  }

  /**
   * Stores whole input rows, an export's read back (see `InputStore.merge`): each counter the
   * larger of the stored and the given, so rows given again add nothing. What each row added is
   * published as input, as live counts are.
   */
  async mergeInput(rows: readonly InputRow[]): Promise<{ inserted: number; duplicates: number }> {
    const { changes, added, inserted, duplicates } = await this.#store().input.merge(
      rows,
      this.#clock(),
    )
    this.#bus.publish({ type: 'input', samples: added })
    this.#announce(changes)
    return { inserted, duplicates }
  }

  /**
   * Stores WakaTime heartbeats and the events they change on the timeline (see
   * `HeartbeatStore.insert`). Resolves once committed, with, per heartbeat, whether it was new.
   * Callers check each heartbeat first (`heartbeatProblem`): one bad heartbeat must not refuse
   * the others.
   */
  async heartbeats(heartbeats: readonly Heartbeat[]): Promise<{ stored: boolean[] }> {
    if (heartbeats.length === 0) return { stored: [] }
    const { changes, stored } = await this.#store().heartbeats.insert(heartbeats, this.#clock(), {
      changes: this.#bus.listeners > 0,
    })
    this.#announce(changes)
    return { stored }
  }

  /** Deletes events; each leaves a tombstone in the change feed. */
  async deleteEvents(selector: EventSelector): Promise<{ deleted: number }> {
    const { deleted, changes } = await this.#store().events.delete(selector)
    this.#announce(changes)
    return { deleted }
  }

  /** Deletes AFK periods; each leaves a tombstone in the change feed. */
  async deleteAfk(selector: AfkSelector): Promise<{ deleted: number }> {
    const { deleted, changes } = await this.#store().afk.delete(selector)
    this.#announce(changes)
    return { deleted }
  }
}
