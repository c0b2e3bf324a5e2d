/**
 * A batch of new events as it crosses to the writer thread. Posting the events as objects made
 * the HTTP thread serialize, and the writer rebuild, a thousand objects and ten thousand strings
 * per batch, most of them repeats (the same category, app, project and source on every event).
 * Packed, each distinct string crosses once, and the rest is two typed arrays (copied as bytes).
 */
import type { NewActivityEvent } from '../../domain/events.ts'
import type { IngestResult } from '../ports.ts'
import type { Change } from '../../domain/changes.ts'

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
 * go as their distinct strings once and three typed arrays, like `PackedEvents`, written by the
 * writer as it stores each event (no change objects are built on its side); the few other changes
 * (AFK periods, devices) go as they are. `order` keeps the feed order: per change, the index of
 * its event row, or -1 - its index in `others`.
 */
export interface PackedChanges {
  order: Int32Array
  strings: string[]
  /** Per event row: its content id's 16 bytes. */
  ids: Uint8Array
  /** Per event row, for each of `CHANGE_STRING_FIELDS`: its index in `strings`, or -1 for null. */
  refs: Int32Array
  /** Per event row: seq, start, end (epoch ms) and duration (s). */
  numbers: Float64Array
  others: Change[]
}

/** What a batch's writer answers with packed changes. */
export type PackedIngestResult = Omit<IngestResult, 'changes'> & { changes: PackedChanges }

const CHANGE_STRING_FIELDS = 10

/** The names of an event its change carries as they were sent. */
type ChangeNames = Pick<
  NewActivityEvent,
  'category' | 'app' | 'entity' | 'project' | 'branch' | 'language' | 'source'
>

/** Builds a batch's `PackedChanges` on the writer's side, one stored event at a time. */
export class ChangePacker {
  readonly #index = new Map<string, number>()
  readonly #strings: string[] = []
  #ids: Uint8Array
  #refs: Int32Array
  #numbers: Float64Array
  #rows = 0
  readonly #superseded = new Set<number>()

  constructor(capacity: number) {
    const rows = Math.max(1, capacity)
    this.#ids = new Uint8Array(rows * 16)
    this.#refs = new Int32Array(rows * CHANGE_STRING_FIELDS)
    this.#numbers = new Float64Array(rows * 4)
  }

  #ref(value: string | null): number {
    if (value === null) return -1
    let i = this.#index.get(value)
    if (i === undefined) {
      i = this.#strings.push(value) - 1
      this.#index.set(value, i)
    }
    return i
  }

  /** The upsert of an event stored or extended at `seq` (seqs only grow from call to call). */
  add(
    seq: number,
    id: Uint8Array,
    device: string,
    e: ChangeNames & { startMs: number; endMs: number },
    durationSec: number,
    entityType: string | null,
    projectPath: string | null,
  ): void {
    const row = this.#rows++
    if (row * 16 >= this.#ids.length) this.#grow()
    this.#ids.set(id.subarray(0, 16), row * 16)
    const refs = this.#refs
    let r = row * CHANGE_STRING_FIELDS
    refs[r++] = this.#ref(device)
    refs[r++] = this.#ref(e.category)
    refs[r++] = this.#ref(e.app)
    refs[r++] = this.#ref(e.entity)
    refs[r++] = this.#ref(entityType)
    refs[r++] = this.#ref(e.project)
    refs[r++] = this.#ref(projectPath)
    refs[r++] = this.#ref(e.branch)
    refs[r++] = this.#ref(e.language)
    refs[r] = this.#ref(e.source)
    const t = row * 4
    this.#numbers[t] = seq
    this.#numbers[t + 1] = e.startMs
    this.#numbers[t + 2] = e.endMs
    this.#numbers[t + 3] = durationSec
  }

  /** The event added at `seq` moved on to a later seq: its change there is dropped. */
  supersede(seq: number): void {
    this.#superseded.add(seq)
  }

  #grow(): void {
    const grown = (a: Uint8Array | Int32Array | Float64Array) => {
      const b = new (a.constructor as new (n: number) => typeof a)(a.length * 2)
      b.set(a)
      return b
    }
    this.#ids = grown(this.#ids) as Uint8Array
    this.#refs = grown(this.#refs) as Int32Array
    this.#numbers = grown(this.#numbers) as Float64Array
  }

  /** The packed changes: the event rows merged by seq with `others` (in seq order). */
  finish(others: readonly Change[]): PackedChanges {
    const order: number[] = []
    const numbers = this.#numbers
    let o = 0
    for (let row = 0; row < this.#rows; row++) {
      const seq = numbers[row * 4] as number
      if (this.#superseded.has(seq)) continue
      while (o < others.length && (others[o] as Change).seq < seq) order.push(-1 - o++)
      order.push(row)
    }
    while (o < others.length) order.push(-1 - o++)
    return {
      order: Int32Array.from(order),
      strings: this.#strings,
      ids: this.#ids.slice(0, this.#rows * 16),
      refs: this.#refs.slice(0, this.#rows * CHANGE_STRING_FIELDS),
      numbers: numbers.slice(0, this.#rows * 4),
      others: [...others],
    }
  }
}

/** The two lowercase hex digits of each byte value, as character codes. */
const HEX_DIGITS = new Uint8Array(512)
for (let i = 0; i < 256; i++) {
  const hex = (i + 0x100).toString(16)
  HEX_DIGITS[i * 2] = hex.charCodeAt(1)
  HEX_DIGITS[i * 2 + 1] = hex.charCodeAt(2)
}
/** A dashed UUID's 36 characters, written in place (the dashes stay). */
const uuidText = Buffer.alloc(36, '-')

/**
 * 16 bytes of a content id in the dashed form, as `uuid`'s `stringify` gives it, without checking
 * them against the UUID pattern: ids made by `eventIdBytes` are version-5 UUIDs by construction.
 * Written as characters into one buffer and read out as one string: joining 20 pieces built a
 * chain of intermediate strings per id, the largest allocation of an ingest request.
 */
function formatUuid(b: Uint8Array, at: number): string {
  let o = 0
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) o++
    const digits = (b[at + i] as number) * 2
    uuidText[o++] = HEX_DIGITS[digits] as number
    uuidText[o++] = HEX_DIGITS[digits + 1] as number
  }
  return uuidText.toString('latin1', 0, 36)
}

/** The changes of a packed batch, in feed order. */
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
    const r = row * CHANGE_STRING_FIELDS
    const t = row * 4
    out[n] = {
      seq: numbers[t] as number,
      kind: 'event',
      op: 'upsert',
      event: {
        id: formatUuid(ids, row * 16),
        device: s(refs[r] as number) as string,
        startMs: numbers[t + 1] as number,
        endMs: numbers[t + 2] as number,
        durationSec: numbers[t + 3] as number,
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
