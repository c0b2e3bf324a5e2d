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
import { type StreamHeartbeat, isCut } from './derive.ts'

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
