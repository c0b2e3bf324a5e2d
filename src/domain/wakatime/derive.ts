/**
 * Heartbeats → events: the pure rule the store applies to each stream of heartbeats (one editor on
 * one device), in (time, id) order.
 *
 *   heartbeats   a      a      a   b          b   (gap ≥ timeout)   b
 *                |------|------|---|----------|                     |
 *   events       [====== a ========][=== b ===]                     (a lone heartbeat: nothing)
 *
 * Heartbeat i covers [tᵢ, tᵢ₊₁) when the gap to the next is under the timeout, else nothing (the
 * last one covers nothing: nobody knows how long it lasted). Consecutive covered stretches with
 * the same names are one event; placeholders (`<<LAST_PROJECT>>`) take the names of the heartbeat
 * before. The result depends only on the set of heartbeats, never on the order they arrived in.
 *
 * Cuts make late heartbeats cheap: at a cut, the events before it and after it depend on nothing
 * across it, so a heartbeat arriving late re-derives only the stretch between the cut before it
 * and the cut after it (see the SQLite writer).
 */
import type { NewActivityEvent } from '../events.ts'
import {
  type Heartbeat,
  type HeartbeatNames,
  NO_PROJECT,
  hasPlaceholder,
  resolveNames,
  sameNames,
} from './heartbeat.ts'

/** What the derivation reads of a heartbeat. */
export type StreamHeartbeat = Pick<
  Heartbeat,
  'timeMs' | 'entity' | 'type' | 'category' | 'project' | 'branch' | 'language'
> & {
  /**
   * The heartbeat's event was deleted: it still ends the coverage of the heartbeat before it,
   * but covers nothing itself and passes no names on.
   */
  deleted?: boolean
}

/** Default gap after which a heartbeat covers nothing: 15 minutes, WakaTime's default. */
export const DEFAULT_HEARTBEAT_TIMEOUT_SEC = 900
/** Bounds of the `heartbeatTimeoutSec` setting (Wakapi allows 1 minute to 1 hour). */
export const HEARTBEAT_TIMEOUT_BOUNDS = { min: 60, max: 3600 } as const

/**
 * True when `cur` is a cut: the derivation of the heartbeats from `cur` on does not depend on any
 * before it, and the events before it end by `cur`'s time. That holds when `cur` has no
 * placeholder and either the gap before it reaches the timeout or its names differ from the
 * previous heartbeat's (which then must have no placeholder either, and an earlier time). The
 * first heartbeat is a cut. A heartbeat at `cur`'s instant after it can still join the events
 * across `cur` (which then covers nothing): reconciliation checks that (`StableCutSearch`).
 */
export function isCut(
  prev: StreamHeartbeat | undefined,
  cur: StreamHeartbeat,
  timeoutMs: number,
): boolean {
  if (!prev || cur.deleted) return true
  if (hasPlaceholder(cur)) return false
  const gap = cur.timeMs - prev.timeMs
  if (gap >= timeoutMs || prev.deleted) return true
  // At the same instant the previous heartbeat covers nothing, so an event may run across both.
  if (gap === 0 || hasPlaceholder(prev)) return false
  return !sameNames(resolveNames(prev, undefined), resolveNames(cur, undefined))
}

export interface DeriveContext {
  timeoutMs: number
  /** The device by name; null: the daemon's own. */
  device: string | null
  /** `wakatime-<editor>`. */
  source: string
  /** The editor's display name: the events' app. */
  app: string
}

const BLANK: HeartbeatNames = {
  category: '',
  entity: '',
  entityType: null,
  project: '',
  branch: '',
  language: '',
}

interface Open {
  names: HeartbeatNames
  startMs: number
  endMs: number
}

/**
 * Derives events incrementally: `push` the heartbeats of a stream in order (it returns the events
 * that can no longer change), then `end` with the heartbeat that follows the stretch, if any.
 */
export class StreamDeriver {
  readonly #ctx: DeriveContext
  #prev: { timeMs: number; names: HeartbeatNames; deleted: boolean } | undefined
  #open: Open | undefined

  constructor(ctx: DeriveContext) {
    this.#ctx = ctx
  }

  /**
   * No event derived later starts before this instant: every event starting earlier has been
   * returned already.
   */
  get frontier(): number {
    return this.#open?.startMs ?? this.#prev?.timeMs ?? Number.NEGATIVE_INFINITY
  }

  push(h: StreamHeartbeat): NewActivityEvent[] {
    const out = this.#cover(h.timeMs)
    if (h.deleted) {
      if (this.#open) out.push(this.#event(this.#open))
      this.#open = undefined
      this.#prev = { timeMs: h.timeMs, names: BLANK, deleted: true }
      return out
    }
    this.#prev = { timeMs: h.timeMs, names: resolveNames(h, this.#prev?.names), deleted: false }
    return out
  }

  /**
   * Ends the stretch. `next` is the heartbeat after it (the one that ends the last heartbeat's
   * coverage), or undefined at the end of the stream. Returns the remaining events.
   */
  end(next?: Pick<StreamHeartbeat, 'timeMs'>): NewActivityEvent[] {
    const out = next ? this.#cover(next.timeMs) : []
    if (this.#open) out.push(this.#event(this.#open))
    this.#open = undefined
    return out
  }

  /** The previous heartbeat's coverage, now that the next one is at `timeMs`. */
  #cover(timeMs: number): NewActivityEvent[] {
    const prev = this.#prev
    if (!prev || prev.deleted) return []
    const gap = timeMs - prev.timeMs
    // Two heartbeats at the same instant: the first covers nothing but breaks nothing either.
    if (gap === 0) return []
    const open = this.#open
    if (gap >= this.#ctx.timeoutMs) {
      this.#open = undefined
      return open ? [this.#event(open)] : []
    }
    if (open && open.endMs === prev.timeMs && sameNames(open.names, prev.names)) {
      open.endMs = timeMs
      return []
    }
    this.#open = { names: prev.names, startMs: prev.timeMs, endMs: timeMs }
    return open ? [this.#event(open)] : []
  }

  #event(o: Open): NewActivityEvent {
    return {
      device: this.#ctx.device,
      startMs: o.startMs,
      endMs: o.endMs,
      durationSec: null,
      category: o.names.category,
      app: this.#ctx.app,
      entity: o.names.entity,
      entityType: o.names.entityType,
      project: o.names.project === '' ? NO_PROJECT : o.names.project,
      projectPath: null,
      branch: o.names.branch === '' ? null : o.names.branch,
      language: o.names.language === '' ? null : o.names.language,
      source: this.#ctx.source,
    }
  }
}

/** All the events of a whole stream (sorted by time, then id). */
export function deriveEvents(
  heartbeats: readonly StreamHeartbeat[],
  ctx: DeriveContext,
): NewActivityEvent[] {
  const deriver = new StreamDeriver(ctx)
  const out: NewActivityEvent[] = []
  for (const h of heartbeats) out.push(...deriver.push(h))
  out.push(...deriver.end())
  return out
}
