/**
 * A batch of new events as it crosses to the writer thread. Posting the events as objects made
 * the HTTP thread serialize, and the writer rebuild, a thousand objects and ten thousand strings
 * per batch, most of them repeats (the same category, app, project and source on every event).
 * Packed, each distinct string crosses once, and the rest is two typed arrays (copied as bytes).
 */
import type { NewActivityEvent } from '../../domain/events.ts'
import type { Change } from '../ports.ts'

/** `NewActivityEvent[]` packed for `postMessage` (see the module comment). */
export interface PackedEvents {
  /** Each distinct string of the batch, once. */
  strings: string[]
  /** Per event, for each of `STRING_FIELDS`: its index in `strings`, or -1 for null. */
  refs: Int32Array
  /** Per event: start, end (epoch ms) and duration (s; NaN for null). */
  times: Float64Array
}

const STRING_FIELDS = [
  'category',
  'app',
  'entity',
  'entityType',
  'project',
  'projectPath',
  'branch',
  'language',
  'source',
  'device',
] as const
const WIDTH = STRING_FIELDS.length

/** Packs a batch on the sending side. */
export function packEvents(events: readonly NewActivityEvent[]): PackedEvents {
  const index = new Map<string, number>()
  const strings: string[] = []
  const refs = new Int32Array(events.length * WIDTH)
  const times = new Float64Array(events.length * 3)
  let r = 0
  let t = 0
  for (const e of events) {
    for (const field of STRING_FIELDS) {
      const value = e[field]
      if (value === null || value === undefined) {
        refs[r++] = -1
        continue
      }
      let i = index.get(value)
      if (i === undefined) {
        i = strings.push(value) - 1
        index.set(value, i)
      }
      refs[r++] = i
    }
    times[t++] = e.startMs
    times[t++] = e.endMs
    times[t++] = e.durationSec ?? Number.NaN
  }
  return { strings, refs, times }
}

/** The events of a packed batch, in order. */
export function unpackEvents({ strings, refs, times }: PackedEvents): NewActivityEvent[] {
  const count = times.length / 3
  const out = new Array<NewActivityEvent>(count)
  const s = (i: number): string | null => (i < 0 ? null : (strings[i] as string))
  for (let n = 0, r = 0, t = 0; n < count; n++, r += WIDTH, t += 3) {
    const duration = times[t + 2] as number
    out[n] = {
      startMs: times[t] as number,
      endMs: times[t + 1] as number,
      durationSec: Number.isNaN(duration) ? null : duration,
      category: s(refs[r] as number) as string,
      app: s(refs[r + 1] as number) as string,
      entity: s(refs[r + 2] as number) as string,
      entityType: s(refs[r + 3] as number),
      project: s(refs[r + 4] as number) as string,
      projectPath: s(refs[r + 5] as number),
      branch: s(refs[r + 6] as number),
      language: s(refs[r + 7] as number),
      source: s(refs[r + 8] as number) as string,
      device: s(refs[r + 9] as number),
    }
  }
  return out
}

/**
 * A batch's changes as they cross back from the writer thread. Event upserts (nearly all of them)
 * go as their distinct strings once, their ids, and two typed arrays, like `PackedEvents`; the few
 * other changes (AFK periods, devices, deletions) go as they are. `order` keeps the feed order: per
 * change, the index of its event row, or -1 - its index in `others`.
 */
export interface PackedChanges {
  order: Int32Array
  strings: string[]
  ids: string[]
  /** Per event row, for each of `CHANGE_STRING_FIELDS`: its index in `strings`, or -1 for null. */
  refs: Int32Array
  /** Per event row: seq, start, end (epoch ms) and duration (s; NaN for null). */
  numbers: Float64Array
  others: Change[]
}

const CHANGE_STRING_FIELDS = [
  'device',
  'category',
  'app',
  'entity',
  'entityType',
  'project',
  'projectPath',
  'branch',
  'language',
  'source',
] as const
const CHANGE_WIDTH = CHANGE_STRING_FIELDS.length

/** Packs changes on the writer's side. */
export function packChanges(changes: readonly Change[]): PackedChanges {
  let rows = 0
  for (const c of changes) if (c.kind === 'event' && c.op === 'upsert') rows++
  const order = new Int32Array(changes.length)
  const index = new Map<string, number>()
  const strings: string[] = []
  const ids: string[] = []
  const refs = new Int32Array(rows * CHANGE_WIDTH)
  const numbers = new Float64Array(rows * 4)
  const others: Change[] = []
  let r = 0
  let t = 0
  for (let n = 0; n < changes.length; n++) {
    const c = changes[n] as Change
    if (!(c.kind === 'event' && c.op === 'upsert')) {
      order[n] = -1 - others.length
      others.push(c)
      continue
    }
    const e = c.event
    order[n] = ids.length
    ids.push(e.id)
    for (const field of CHANGE_STRING_FIELDS) {
      const value = e[field]
      if (value === null) {
        refs[r++] = -1
        continue
      }
      let i = index.get(value)
      if (i === undefined) {
        i = strings.push(value) - 1
        index.set(value, i)
      }
      refs[r++] = i
    }
    numbers[t++] = c.seq
    numbers[t++] = e.startMs
    numbers[t++] = e.endMs
    numbers[t++] = e.durationSec ?? Number.NaN
  }
  return { order, strings, ids, refs, numbers, others }
}

/** The changes of a packed batch, in order. */
export function unpackChanges(packed: PackedChanges): Change[] {
  const { order, strings, ids, refs, numbers, others } = packed
  const out = new Array<Change>(order.length)
  const s = (i: number): string | null => (i < 0 ? null : (strings[i] as string))
  for (let n = 0; n < order.length; n++) {
    const row = order[n] as number
    if (row < 0) {
      out[n] = others[-1 - row] as Change
      continue
    }
    const r = row * CHANGE_WIDTH
    const t = row * 4
    const duration = numbers[t + 3] as number
    out[n] = {
      seq: numbers[t] as number,
      kind: 'event',
      op: 'upsert',
      event: {
        id: ids[row] as string,
        device: s(refs[r] as number) as string,
        startMs: numbers[t + 1] as number,
        endMs: numbers[t + 2] as number,
        durationSec: Number.isNaN(duration) ? null : duration,
        category: s(refs[r + 1] as number) as string,
        app: s(refs[r + 2] as number) as string,
        entity: s(refs[r + 3] as number) as string,
        entityType: s(refs[r + 4] as number),
        project: s(refs[r + 5] as number) as string,
        projectPath: s(refs[r + 6] as number),
        branch: s(refs[r + 7] as number),
        language: s(refs[r + 8] as number),
        source: s(refs[r + 9] as number) as string,
      },
    }
  }
  return out
}
