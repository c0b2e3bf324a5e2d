/**
 * Answers to active-time questions kept by a reader thread until a write touches what they cover.
 *
 * A dashboard asks the same year-long questions again and again (every poll, every tab, every
 * change of grouping back and forth), and nothing in last year changes between two polls. An
 * answer is kept under its question (range, unit, zone and start of day, grouping, filters, AFK)
 * together with what it depends on: the write marks of the days it covers (`writeMarks`: every
 * write that changes active time puts a new, greater mark on the days it touches, in the same
 * transaction), the settings that decide who owns time, and the devices' names. It is read in the
 * same snapshot as the marks, so a kept answer is the answer the events give now: exactness does
 * not depend on it. Answers over a range that reaches now change with every write; they are kept
 * too, and replaced at the next question.
 */
import { type BucketCell, bucketRowsJson } from '../../domain/summary.ts'
import type { ActiveTimeQuery } from '../ports.ts'
import type { Connection } from './connection.ts'
import { activeTime } from './engine.ts'
import { writeMarks } from './rollups.ts'
import { readSettings } from './rows.ts'

interface Answer {
  key: string
  depends: string
  cells: BucketCell[]
  /** The bucket rows' JSON, without and with the entity type, written when first asked for. */
  json: [Uint8Array | undefined, Uint8Array | undefined]
  size: number
}

/** Most bytes (estimated) of answers one reader keeps: a few dozen dashboard answers. */
const MAX_BYTES = 16 * 2 ** 20
/** An answer larger than this is not kept (a decade of hours by entity). */
const MAX_ANSWER_BYTES = 4 * 2 ** 20
const CELL_BYTES = 120

const encoder = new TextEncoder()

export class AnswerCache {
  readonly #c: Connection
  /** In order of last use: the first is the next to go. */
  readonly #answers = new Map<string, Answer>()
  #bytes = 0

  constructor(c: Connection) {
    this.#c = c
  }

  /** The answer's cells (see `ActiveTimeStore.query`). */
  cells(q: ActiveTimeQuery): BucketCell[] {
    return this.#answer(q).cells
  }

  /** The answer as bucket rows' JSON (see `bucketRowsJson`). */
  json(q: ActiveTimeQuery, withMeta: boolean): Uint8Array {
    const answer = this.#answer(q)
    const i = withMeta ? 1 : 0
    let bytes = answer.json[i]
    if (bytes === undefined) {
      bytes = encoder.encode(bucketRowsJson(answer.cells, withMeta))
      answer.json[i] = bytes
      this.#resize(answer, answer.size + bytes.byteLength)
    }
    return bytes
  }

  #answer(q: ActiveTimeQuery): Answer {
    const c = this.#c
    return c.read(() => {
      const key = JSON.stringify([
        q.range.startMs,
        q.range.endMs,
        q.unit,
        q.calendar.timeZone,
        q.calendar.startOfDayMinutes,
        q.groupBy ?? null,
        Object.entries(q.filters)
          .filter(([, names]) => names && names.length > 0)
          .sort(([a], [b]) => (a < b ? -1 : 1)),
        q.includeAfk,
      ])
      const settings = readSettings(c)
      const devices = c.get<{ s: number | null }>('SELECT max(seq) AS s FROM devices')?.s ?? 0
      const depends = `${writeMarks(c, q.range)}|${devices}|${JSON.stringify([settings.sourcePriority, settings.categoryRules])}`
      const kept = this.#answers.get(key)
      if (kept) {
        this.#answers.delete(key)
        this.#bytes -= kept.size
        if (kept.depends === depends) {
          this.#answers.set(key, kept)
          this.#bytes += kept.size
          return kept
        }
      }
      const cells = activeTime(c, q)
      const answer: Answer = { key, depends, cells, json: [undefined, undefined], size: 0 }
      this.#answers.set(key, answer)
      this.#resize(answer, cells.length * CELL_BYTES)
      return answer
    })
  }

  /** Records an answer's new size, and lets the least recently used answers go. */
  #resize(answer: Answer, size: number): void {
    this.#bytes += size - answer.size
    answer.size = size
    if (size > MAX_ANSWER_BYTES) {
      this.#answers.delete(answer.key)
      this.#bytes -= size
      return
    }
    for (const [key, a] of this.#answers) {
      if (this.#bytes <= MAX_BYTES) break
      if (a === answer) continue
      this.#answers.delete(key)
      this.#bytes -= a.size
    }
  }
}
