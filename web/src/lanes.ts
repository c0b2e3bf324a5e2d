/**
 * The timeline's scale, apart from its rendering: the view a zoom may show, the hours that have
 * data, the axis's ticks, and the bars a lane draws.
 */
import type { CalendarBucket } from '../../src/domain/calendar.ts'
import { HOUR_MS, MINUTE_MS } from '../../src/domain/time.ts'

export interface Item {
  startMs: number
  endMs: number
  cls: string
  /** What hovering (or the arrow keys) tells about it. */
  describe: () => string[]
  /** Written inside the stretch where it is wide enough. */
  text?: string
  testid?: string
}

export interface Row {
  title: string
  cls?: string
  testid?: string
  items: Item[]
}

export interface Span {
  startMs: number
  endMs: number
}

/** The narrowest the view zooms to. */
export const MIN_SPAN_MS = 5 * MINUTE_MS
/** A stretch narrower than this many pixels shows no text. */
export const TEXT_MIN_PX = 56
/** Steps between the axis's ticks, in minutes. */
const TICK_STEPS = [5, 10, 15, 30, 60, 120, 180, 360]

/** `view` moved and clamped into `day`, at least `MIN_SPAN_MS` long. */
export function clampView(view: Span, day: Span): Span {
  const span = Math.min(day.endMs - day.startMs, Math.max(MIN_SPAN_MS, view.endMs - view.startMs))
  const start = Math.min(day.endMs - span, Math.max(day.startMs, view.startMs))
  return { startMs: start, endMs: start + span }
}

/**
 * The hours that have data: from the start of the hour of the first stretch to the end of the hour
 * of the last (the whole day when there is nothing).
 */
export function dataHours(rows: readonly Row[], hours: readonly CalendarBucket[], day: Span): Span {
  let first = Infinity
  let last = -Infinity
  for (const row of rows) {
    for (const item of row.items) {
      first = Math.min(first, item.startMs)
      last = Math.max(last, item.endMs)
    }
  }
  if (!(first < last)) return day
  const from = hours.find((h) => h.endMs > first)
  const to = [...hours].reverse().find((h) => h.startMs < last)
  return { startMs: from?.startMs ?? day.startMs, endMs: to?.endMs ?? day.endMs }
}

/** Tick instants in `view`: local hours, or minutes within them, at least `minGapPx` apart. */
export function ticks(
  hours: readonly CalendarBucket[],
  view: Span,
  widthPx: number,
  minGapPx: number,
) {
  const span = view.endMs - view.startMs
  const step =
    TICK_STEPS.find((m) => ((m * MINUTE_MS) / span) * widthPx >= minGapPx) ??
    TICK_STEPS[TICK_STEPS.length - 1] ??
    60
  const out: number[] = []
  for (const h of hours) {
    if (h.endMs <= view.startMs || h.startMs >= view.endMs) continue
    // The start of the local hour (the day's first bucket may begin after it).
    const top = h.endMs - HOUR_MS
    if (step >= 60) {
      if (Number(h.label.slice(11, 13)) % (step / 60) === 0) out.push(top)
    } else {
      for (let m = 0; m < 60; m += step) out.push(top + m * MINUTE_MS)
    }
  }
  return out.filter(
    (t) => t >= view.startMs && t <= view.endMs && t >= (hours[0]?.startMs ?? view.startMs),
  )
}

/** What one drawn bar of a lane stands for: items `first`…`last`, described by `lead`. */
export interface Block {
  startMs: number
  endMs: number
  cls: string
  first: number
  last: number
  /** The longest item in the block. */
  lead: number
}

/** A stretch narrower than this many pixels joins a run of its colour that it meets. */
const NARROW_PX = 12

/**
 * The bars a lane draws in `view`: its items, but narrow ones of one colour that meet within a
 * pixel as one bar, and a run too narrow to see (under a pixel) in the bar it touches. A busy day holds
 * thousands of items; as many elements would slow every change of the page, and the eye tells no
 * more of them apart. Labels are drawn each on its own.
 */
export function blocks(row: Row, view: Span, widthPx: number): Block[] {
  const pxPerMs = widthPx / (view.endMs - view.startMs)
  const merge = row.cls !== 'labels'
  // Runs of one colour.
  const runs: Block[] = []
  row.items.forEach((item, i) => {
    if (item.endMs <= view.startMs || item.startMs >= view.endMs) return
    const startMs = Math.max(view.startMs, item.startMs)
    const endMs = Math.min(view.endMs, item.endMs)
    const open = runs[runs.length - 1]
    // Wide stretches stay apart (each says what it was); narrow ones join the run they meet.
    const narrow =
      open !== undefined &&
      Math.min(endMs - startMs, open.endMs - open.startMs) * pxPerMs < NARROW_PX
    if (
      merge &&
      open !== undefined &&
      narrow &&
      open.cls === item.cls &&
      (startMs - open.endMs) * pxPerMs < 1
    ) {
      extend(open, row, i, endMs)
    } else runs.push({ startMs, endMs, cls: item.cls, first: i, last: i, lead: i })
  })
  if (!merge) return runs
  // Runs under a pixel go into the bar before them, when they touch it.
  const out: Block[] = []
  for (const run of runs) {
    const open = out[out.length - 1]
    const narrow = (run.endMs - run.startMs) * pxPerMs < 1
    if (open !== undefined && narrow && (run.startMs - open.endMs) * pxPerMs < 1) {
      const lead = row.items[run.lead]
      extend(open, row, run.last, run.endMs)
      const current = row.items[open.lead]
      if (lead && current && lead.endMs - lead.startMs > current.endMs - current.startMs) {
        open.lead = run.lead
      }
    } else out.push(run)
  }
  return out
}

/** `block` reaching to `endMs` and item `i`; its lead the longest item so far. */
function extend(block: Block, row: Row, i: number, endMs: number): void {
  const lead = row.items[block.lead]
  const item = row.items[i]
  if (lead && item && item.endMs - item.startMs > lead.endMs - lead.startMs) block.lead = i
  block.endMs = Math.max(block.endMs, endMs)
  block.last = i
}
