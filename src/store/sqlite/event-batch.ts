/**
 * A batch of new events as it crosses to the writer thread. Posting the events as objects made
 * the HTTP thread serialize, and the writer rebuild, a thousand objects and ten thousand strings
 * per batch, most of them repeats (the same category, app, project and source on every event).
 * Packed, each distinct string crosses once, and the rest is two typed arrays (copied as bytes).
 */
import type { NewActivityEvent } from '../../domain/events.ts'

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
