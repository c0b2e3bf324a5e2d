/**
 * Reconciling a heartbeat stream's stored events with new heartbeats (one editor on one device).
 * A write re-derives only the stretches its heartbeats can change: each runs from the stable cut
 * before a new heartbeat to the stable cut after it (a cut, see `isCut`, whose two heartbeats were
 * both stored before the write, so the write cannot have moved it). Everything outside is
 * untouched: an editor sending in order re-derives only its current event, and a week-old
 * heartbeat from an offline queue re-derives only the stretch it lands in. The stretch's derived
 * events are then compared with those stored for it (`diffDerived`).
 *
 * The rules take plain data and return decisions, so any store can apply them: it feeds the
 * stream's heartbeats a page at a time (`StableCutSearch`) and writes what `diffDerived` says.
 */
import type { NewActivityEvent } from '../events.ts'
import { type DeriveContext, type StreamHeartbeat, StreamDeriver, isCut } from './derive.ts'

/** A heartbeat as reconciliation sees it: its content, and whether this write stored it. */
export type ReconcileHeartbeat = StreamHeartbeat & { fresh: boolean }

/**
 * True when the boundary between consecutive heartbeats `earlier` and `later` is a cut this write
 * cannot have moved: both heartbeats were stored before it, and the cut holds between them.
 */
function isStableCut(
  earlier: ReconcileHeartbeat,
  later: ReconcileHeartbeat,
  timeoutMs: number,
): boolean {
  return !earlier.fresh && !later.fresh && isCut(earlier, later, timeoutMs)
}

/**
 * Walks a stream away from a new heartbeat to the first stable cut. Fed the stream's heartbeats in
 * walking order, a page at a time (`back`: latest first, from the heartbeat before the new one;
 * `forward`: earliest first, from the new one itself), it answers the heartbeat where the stretch
 * starts (`back`) or where it ends, not included (`forward`): in both, the later heartbeat of the
 * cut. A backward walk that runs out of heartbeats starts at the stream's first (`last`); a
 * forward one that runs out asks `end()`, and reaches the stream's end when that has none.
 *
 * A cut before a heartbeat that another follows at the same instant is no cut: that heartbeat
 * covers nothing, so the event before it may run on into the one after it when their names
 * match. Such a cut is passed over, which only makes the stretch longer.
 */
export class StableCutSearch<H extends ReconcileHeartbeat> {
  readonly #direction: 'back' | 'forward'
  readonly #timeoutMs: number
  #last: H | undefined
  /** Back: the heartbeat after `last` in the stream (at first, the new one). */
  #after: Pick<StreamHeartbeat, 'timeMs'> | undefined
  /** Forward: a cut found before `last`, holding unless the next heartbeat shares its instant. */
  #pending = false

  /** `from` is the heartbeat a backward walk starts beside (the new one). */
  constructor(
    direction: 'back' | 'forward',
    timeoutMs: number,
    from?: Pick<StreamHeartbeat, 'timeMs'>,
  ) {
    this.#direction = direction
    this.#timeoutMs = timeoutMs
    this.#after = from
  }

  /** Takes the next heartbeats of the walk; the heartbeat at the stable cut once one is found. */
  feed(heartbeats: Iterable<H>): H | undefined {
    for (const h of heartbeats) {
      const last = this.#last
      if (this.#direction === 'back') {
        const after = this.#after
        this.#after = last ?? after
        this.#last = h
        if (last === undefined) continue
        if (after?.timeMs !== last.timeMs && isStableCut(h, last, this.#timeoutMs)) return last
        continue
      }
      this.#last = h
      if (last === undefined) continue
      if (this.#pending) {
        this.#pending = false
        if (h.timeMs !== last.timeMs) return last
      }
      this.#pending = isStableCut(last, h, this.#timeoutMs)
    }
    return undefined
  }

  /** A forward walk at the stream's end: the stable cut before its last heartbeat, if any. */
  end(): H | undefined {
    return this.#pending ? this.#last : undefined
  }

  /** The last heartbeat fed, if any. */
  get last(): H | undefined {
    return this.#last
  }
}

/** A stretch of a stream to derive again: from `start` up to, not including, `end` (null: to the end). */
export interface Stretch<K> {
  start: K
  end: K | null
}

/**
 * Joins the stretches around a write's new heartbeats (each found by walking from one of them, in
 * stream order) where they overlap, so no stored event is compared twice.
 */
export function joinStretches<K>(
  stretches: readonly Stretch<K>[],
  compare: (a: K, b: K) => number,
): Stretch<K>[] {
  const out: Stretch<K>[] = []
  for (const s of stretches) {
    const last = out[out.length - 1]
    if (last && (last.end === null || compare(s.start, last.end) < 0)) {
      out[out.length - 1] = { start: last.start, end: s.end }
    } else {
      out.push(s)
    }
  }
  return out
}

/** A heartbeat of a stream as a store reads it: its content and its place in the stream. */
export type PagedHeartbeat<K> = StreamHeartbeat & { key: K }

/**
 * A page of a stream a walk needs next: the heartbeats before `key`, latest first (`before`), or
 * after it (or from it, `inclusive`), earliest first (`after`), `StreamWalk.pageSize` at most.
 */
export interface PageRequest<K> {
  direction: 'before' | 'after'
  key: K
  inclusive: boolean
}

/** Events to make the stored ones of a stream starting in [fromMs, toMs) equal to. */
export interface Replacement {
  fromMs: number
  toMs: number
  events: NewActivityEvent[]
}

/** How a store places heartbeats in a stream (by their keys) and pages through it. */
export interface StreamWalk<K> {
  compare(a: K, b: K): number
  /** A key's time. */
  timeOf(key: K): number
  /** A key's heartbeat, as text: which heartbeats a write stored. */
  idOf(key: K): string
  pageSize: number
  timeoutMs: number
}

/**
 * The stretches of a stream that the heartbeats `added` (stored by this write) change: around
 * each, from the stable cut before it to the stable cut after it, joined where they overlap. A
 * generator, so a store with a synchronous database and one with an asynchronous one walk alike:
 * it yields the page it needs next and is resumed with that page's heartbeats.
 */
export function* findStretches<K>(
  walk: StreamWalk<K>,
  added: readonly K[],
): Generator<PageRequest<K>, Stretch<K>[], PagedHeartbeat<K>[]> {
  const keys = [...added].sort((a, b) => walk.compare(a, b))
  const isNew = new Set(keys.map((k) => walk.idOf(k)))
  const walked = (h: PagedHeartbeat<K>) => ({ ...h, fresh: isNew.has(walk.idOf(h.key)) })
  const stretches: Stretch<K>[] = []
  for (const key of keys) {
    const last = stretches[stretches.length - 1]
    // Inside the stretch found for an earlier one: derived with it.
    if (last && (last.end === null || walk.compare(key, last.end) < 0)) continue
    const back = new StableCutSearch<ReturnType<typeof walked>>('back', walk.timeoutMs, {
      timeMs: walk.timeOf(key),
    })
    let start: K | undefined
    for (let cursor = key; start === undefined;) {
      const rows = yield { direction: 'before', key: cursor, inclusive: false }
      start = back.feed(rows.map(walked))?.key
      if (rows.length < walk.pageSize) break
      cursor = (rows[rows.length - 1] as PagedHeartbeat<K>).key
    }
    const forward = new StableCutSearch<ReturnType<typeof walked>>('forward', walk.timeoutMs)
    let end: K | null | undefined
    for (let cursor = key, inclusive = true; end === undefined; inclusive = false) {
      const rows = yield { direction: 'after', key: cursor, inclusive }
      end = forward.feed(rows.map(walked))?.key
      if (end !== undefined) break
      if (rows.length < walk.pageSize) end = forward.end()?.key ?? null
      else cursor = (rows[rows.length - 1] as PagedHeartbeat<K>).key
    }
    // A backward walk that ran out starts at the stream's first (or the added one is the first).
    stretches.push({ start: start ?? back.last?.key ?? key, end })
  }
  return joinStretches(stretches, (a, b) => walk.compare(a, b))
}

/**
 * Derives the events of a stretch, a page of heartbeats at a time (yielding the page it needs, as
 * `findStretches`), and yields them in windows of start time: each `Replacement` holds every event
 * starting in its [fromMs, toMs), and the windows cover the stretch without gaps or overlaps, so
 * each stored event of the stream is compared with the derivation once. Windows keep memory
 * bounded when a whole stream is derived again. Resumed after a replacement with any value.
 */
export function* deriveStretch<K>(
  walk: StreamWalk<K>,
  stretch: Stretch<K>,
  context: Omit<DeriveContext, 'timeoutMs'>,
): Generator<PageRequest<K> | Replacement, void, PagedHeartbeat<K>[]> {
  const deriver = new StreamDeriver({ ...context, timeoutMs: walk.timeoutMs })
  const endMs = stretch.end === null ? Number.MAX_SAFE_INTEGER : walk.timeOf(stretch.end)
  let windowStart = walk.timeOf(stretch.start)
  let pending: NewActivityEvent[] = []
  for (let cursor = stretch.start, inclusive = true; ; inclusive = false) {
    const rows = yield { direction: 'after', key: cursor, inclusive }
    let done = rows.length < walk.pageSize
    for (const h of rows) {
      if (stretch.end !== null && walk.compare(h.key, stretch.end) >= 0) {
        done = true
        break
      }
      pending.push(...deriver.push(h))
    }
    if (done) break
    cursor = (rows[rows.length - 1] as PagedHeartbeat<K>).key
    const frontier = deriver.frontier
    if (pending.length >= walk.pageSize && frontier > windowStart) {
      yield { fromMs: windowStart, toMs: frontier, events: pending }
      pending = []
      windowStart = frontier
    }
  }
  pending.push(...deriver.end(stretch.end === null ? undefined : { timeMs: endMs }))
  yield { fromMs: windowStart, toMs: endMs, events: pending }
}

/** An event of a stretch, stored or derived: its identity (as text) and its end. */
export interface Keyed {
  key: string
  endMs: number
}

/** What makes a stretch's stored events equal to its derived ones. */
export interface DerivedDiff<S extends Keyed, D extends Keyed> {
  /**
   * In the derivation's order: a derived event with no stored one (`stored` undefined: insert it,
   * lifting any tombstone an earlier derivation left of it), or whose stored one ends elsewhere
   * (move the stored end to the derived one). Stored events that already match are left out.
   */
  upserts: { derived: D; stored: S | undefined }[]
  /** Stored events no longer derived, in stored order: delete them, leaving tombstones. */
  removals: S[]
}

/** Compares the events stored for a stretch with those derived for it now. */
export function diffDerived<S extends Keyed, D extends Keyed>(
  stored: readonly S[],
  derived: readonly D[],
): DerivedDiff<S, D> {
  const byKey = new Map(stored.map((s) => [s.key, s]))
  const upserts: DerivedDiff<S, D>['upserts'] = []
  for (const d of derived) {
    const s = byKey.get(d.key)
    if (s === undefined) {
      upserts.push({ derived: d, stored: undefined })
      continue
    }
    byKey.delete(d.key)
    if (s.endMs !== d.endMs) upserts.push({ derived: d, stored: s })
  }
  return { upserts, removals: [...byKey.values()] }
}
