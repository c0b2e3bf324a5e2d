/**
 * When a rule's condition holds, read off the active timeline (`src/domain/timeline.ts`: AFK
 * removed, overlaps counted once, each event with its effective category): the instants at which
 * it crossed its threshold (its crossings, each with a stable key), and how far along it is now.
 *
 * Crossings are found in the data, not in the order the data arrived, so a crossing in data that
 * came late (a collector's spool, a daemon that was down) is found like any other; firing once per
 * crossing is `firing.ts`'s.
 *
 *   activity   matching segments joined where they touch (gaps under a minute without any
 *              activity are joined, not counted); other activity interrupts. Crosses when the
 *              stretch's active time reaches N.
 *   budget     matching active time of a local day; crosses when it reaches N (once a day).
 *   no_break   all activity joined across gaps shorter than M (the break); the matching active
 *              time in such a stretch crosses at N.
 *   back_from_afk  a gap in all activity of at least N, ended by (matching) activity.
 *   project_switch a project's activity joined across gaps shorter than N: it starts with its
 *              first segment, and stops N minutes after its last.
 *   silent_collector  a collector (source on a device) whose last batch is N minutes old.
 *   label      a label created with matching text (not one a hook made).
 */
import type { TimeRange } from '../calendar.ts'
import type { ActivityEvent } from '../events.ts'
import type { Label } from '../labels.ts'
import { MINUTE_MS } from '../time.ts'
import type { Segment } from '../timeline.ts'
import { compileMatch, eventMatcher } from './match.ts'
import type { When, WhenKind } from './rules.ts'

/** Gaps without any activity shorter than this do not interrupt an `activity` stretch. */
export const CONTINUITY_GAP_MS = MINUTE_MS
/** A stretch that ended less than this ago is still going on (data arrives in batches). */
export const RECENT_MS = 5 * MINUTE_MS
/** The context prefix of labels made by a hook's `label` action: `label` rules ignore them. */
export const HOOK_LABEL_CONTEXT = 'daybook-hook:'

/** When a collector last sent data. */
export interface CollectorSeen {
  source: string
  device: string
  lastSeenMs: number
}

/** A local day: its date and its bounds. */
export interface Day {
  label: string
  startMs: number
  endMs: number
}

/** What the conditions are read from. */
export interface HookView {
  nowMs: number
  /** Where the timeline read begins: what seems to begin here may have begun earlier. */
  windowStartMs: number
  /** The active timeline of `[windowStartMs, nowMs]`, in time order. */
  segments: readonly Segment<ActivityEvent>[]
  /** The local days overlapping the window, in order (the last holds now). */
  days: readonly Day[]
  collectors: readonly CollectorSeen[]
  /** Labels created lately. */
  labels: readonly Label[]
}

/** One crossing of a rule's threshold. */
export interface Crossing {
  /** When the condition became true. */
  at: number
  /** The same crossing has the same key at every evaluation. */
  key: string
  /** The stretch that matched. */
  range: TimeRange
  /** The activity that matched (the one at the crossing), when there is one. */
  event: ActivityEvent | null
  /** The measured value at the crossing, in minutes (null for `project_switch`, `label`). */
  minutes: number | null
  project?: { name: string; transition: 'started' | 'stopped' }
  collector?: CollectorSeen
  label?: Label
}

/** How far along a rule is: "38 of 50 minutes". */
export interface Progress {
  value: number
  threshold: number
  /** The condition holds now. */
  met: boolean
  text: string
}

export interface Evaluation {
  progress: Progress | null
  /** In time order. */
  crossings: Crossing[]
}

/**
 * Kinds whose crossings are separate occurrences (each fires); for the others only the latest
 * unhandled crossing fires, once, however many an outage hid.
 */
export const OCCURRENCE_KINDS: ReadonlySet<WhenKind> = new Set([
  'project_switch',
  'silent_collector',
  'label',
])

/** Kinds read off the timeline. */
export function readsTimeline(kind: WhenKind): boolean {
  return kind !== 'silent_collector' && kind !== 'label'
}

/**
 * How much timeline before an instant a rule needs to find a crossing there: the stretch that
 * crosses and the gap before it. `budget` reads whole days instead.
 */
export function lookbackMs(when: When): number {
  const n = (when.minutes ?? 0) * MINUTE_MS
  const slack = 30 * MINUTE_MS
  switch (when.kind) {
    case 'activity':
      return 2 * n + slack
    case 'no_break':
      return 2 * n + (when.breakMinutes ?? 0) * MINUTE_MS + slack
    case 'back_from_afk':
      return n + slack
    case 'project_switch':
      return 2 * n + slack
    default:
      return 0
  }
}

/** Reads a rule's condition off the view. */
export function evaluateCondition(when: When, view: HookView): Evaluation {
  const n = (when.minutes ?? 0) * MINUTE_MS
  switch (when.kind) {
    case 'activity':
      return activity(when, view, n)
    case 'budget':
      return budget(when, view, n)
    case 'no_break':
      return noBreak(when, view, n, (when.breakMinutes ?? 0) * MINUTE_MS)
    case 'back_from_afk':
      return backFromAfk(when, view, n)
    case 'project_switch':
      return projectSwitch(when, view, n)
    case 'silent_collector':
      return silentCollector(when, view, n)
    case 'label':
      return labelCreated(when, view)
  }
}

type Seg = Segment<ActivityEvent>

/** Segments joined into one stretch. */
interface Run {
  startMs: number
  endMs: number
  segments: Seg[]
  /** Something that is no member came after it (it cannot go on). */
  interrupted: boolean
}

/**
 * Joins the member segments across gaps shorter than `joinGapMs`; with `othersInterrupt`, a
 * segment that is no member ends the run it follows.
 */
function runs(
  segments: readonly Seg[],
  member: (e: ActivityEvent) => boolean,
  joinGapMs: number,
  othersInterrupt: boolean,
): Run[] {
  const out: Run[] = []
  let current: Run | undefined
  for (const s of segments) {
    if (!member(s.event)) {
      if (othersInterrupt && current) {
        current.interrupted = true
        current = undefined
      }
      continue
    }
    if (current && s.startMs - current.endMs < joinGapMs) {
      current.endMs = s.endMs
      current.segments.push(s)
    } else {
      current = { startMs: s.startMs, endMs: s.endMs, segments: [s], interrupted: false }
      out.push(current)
    }
  }
  return out
}

/** Counted time of a run, and the instant (and segment) at which it reached `thresholdMs`. */
function accumulate(
  run: Run,
  counts: (e: ActivityEvent) => boolean,
  thresholdMs: number,
): { totalMs: number; crossing: { at: number; event: ActivityEvent } | undefined } {
  let total = 0
  let crossing: { at: number; event: ActivityEvent } | undefined
  for (const s of run.segments) {
    if (!counts(s.event)) continue
    const length = s.endMs - s.startMs
    if (crossing === undefined && total + length >= thresholdMs) {
      crossing = { at: s.startMs + (thresholdMs - total), event: s.event }
    }
    total += length
  }
  return { totalMs: total, crossing }
}

const minutes = (ms: number) => Math.floor(ms / MINUTE_MS)

function progress(valueMs: number, thresholdMs: number, met: boolean, text: string): Progress {
  return { value: minutes(valueMs), threshold: minutes(thresholdMs), met, text }
}

/** `38 of 50 minutes`. */
function ofText(valueMs: number, thresholdMs: number, what: string): string {
  return `${minutes(valueMs)} of ${minutes(thresholdMs)} minutes ${what}`.trimEnd()
}

function activity(when: When, view: HookView, n: number): Evaluation {
  const matches = eventMatcher(when.match)
  const found = runs(view.segments, matches, CONTINUITY_GAP_MS, true)
  const crossings: Crossing[] = []
  for (const run of found) {
    // A stretch that begins at the window's start may have begun before it: its crossing (if
    // any) is not known here.
    if (run.startMs < view.windowStartMs + CONTINUITY_GAP_MS) continue
    const { crossing } = accumulate(run, matches, n)
    if (!crossing) continue
    crossings.push({
      at: crossing.at,
      key: `activity:${run.startMs}`,
      range: { startMs: run.startMs, endMs: run.endMs },
      event: crossing.event,
      minutes: minutes(n),
    })
  }
  const last = found.at(-1)
  const going = last !== undefined && !last.interrupted && view.nowMs - last.endMs < RECENT_MS
  const value = going ? accumulate(last, matches, n).totalMs : 0
  return {
    progress: progress(value, n, going && value >= n, ofText(value, n, 'without interruption')),
    crossings,
  }
}

function budget(when: When, view: HookView, n: number): Evaluation {
  const matches = eventMatcher(when.match)
  const crossings: Crossing[] = []
  let today = 0
  for (const day of view.days) {
    // Only whole days are summed: a day the window cuts is not known here.
    if (day.startMs < view.windowStartMs) continue
    let total = 0
    let crossed = false
    for (const s of view.segments) {
      if (s.endMs <= day.startMs || s.startMs >= day.endMs || !matches(s.event)) continue
      const start = Math.max(s.startMs, day.startMs)
      const length = Math.min(s.endMs, day.endMs) - start
      if (!crossed && total + length >= n) {
        crossed = true
        const at = start + (n - total)
        crossings.push({
          at,
          key: `budget:${day.label}`,
          range: { startMs: day.startMs, endMs: at },
          event: s.event,
          minutes: minutes(n),
        })
      }
      total += length
    }
    if (day === view.days.at(-1)) today = total
  }
  return { progress: progress(today, n, today >= n, ofText(today, n, 'today')), crossings }
}

function noBreak(when: When, view: HookView, n: number, breakMs: number): Evaluation {
  const matches = eventMatcher(when.match)
  const found = runs(view.segments, () => true, breakMs, false)
  const crossings: Crossing[] = []
  for (const run of found) {
    if (run.startMs < view.windowStartMs + breakMs) continue
    const { crossing } = accumulate(run, matches, n)
    if (!crossing) continue
    crossings.push({
      at: crossing.at,
      key: `no_break:${run.startMs}`,
      range: { startMs: run.startMs, endMs: run.endMs },
      event: crossing.event,
      minutes: minutes(n),
    })
  }
  const last = found.at(-1)
  const going = last !== undefined && view.nowMs - last.endMs < breakMs
  if (!going) return { progress: progress(0, n, false, 'on a break'), crossings }
  const value = accumulate(last, matches, n).totalMs
  return {
    progress: progress(value, n, value >= n, ofText(value, n, 'without a break')),
    crossings,
  }
}

function backFromAfk(when: When, view: HookView, n: number): Evaluation {
  const matches = eventMatcher(when.match)
  const crossings: Crossing[] = []
  // Before the first segment of the window nothing is known but that the window holds no
  // activity: the gap is at least that long (the window reaches back far enough to tell).
  let lastEnd = view.windowStartMs
  for (const s of view.segments) {
    const gap = s.startMs - lastEnd
    if (gap >= n && matches(s.event)) {
      crossings.push({
        at: s.startMs,
        key: `back:${s.startMs}`,
        range: { startMs: lastEnd, endMs: s.startMs },
        event: s.event,
        minutes: minutes(gap),
      })
    }
    lastEnd = Math.max(lastEnd, s.endMs)
  }
  const away = view.nowMs - lastEnd
  const text = away >= MINUTE_MS ? `away ${ofText(away, n, '')}` : 'active'
  return {
    progress: progress(away >= MINUTE_MS ? away : 0, n, away >= n, text),
    crossings,
  }
}

function projectSwitch(when: When, view: HookView, n: number): Evaluation {
  const matches = eventMatcher(when.match)
  const byProject = new Map<string, Seg[]>()
  for (const s of view.segments) {
    const project = s.event.project
    if (project === '' || !matches(s.event)) continue
    let list = byProject.get(project)
    if (!list) byProject.set(project, (list = []))
    list.push(s)
  }
  const crossings: Crossing[] = []
  let current: { name: string; endMs: number } | undefined
  for (const [name, segments] of byProject) {
    for (const run of runs(segments, () => true, n, false)) {
      const range = { startMs: run.startMs, endMs: run.endMs }
      if (run.startMs >= view.windowStartMs + n) {
        crossings.push({
          at: run.startMs,
          key: `start:${name}:${run.startMs}`,
          range,
          event: (run.segments[0] as Seg).event,
          minutes: null,
          project: { name, transition: 'started' },
        })
      }
      if (view.nowMs - run.endMs >= n) {
        crossings.push({
          at: run.endMs + n,
          key: `stop:${name}:${run.endMs}`,
          range,
          event: (run.segments.at(-1) as Seg).event,
          minutes: null,
          project: { name, transition: 'stopped' },
        })
      } else if (!current || run.endMs > current.endMs) {
        current = { name, endMs: run.endMs }
      }
    }
  }
  crossings.sort(byInstant)
  const text = current ? `working on ${current.name}` : 'no project'
  // Nothing is measured: which project is being worked on (threshold 0).
  return { progress: { value: 0, threshold: 0, met: current !== undefined, text }, crossings }
}

function silentCollector(when: When, view: HookView, n: number): Evaluation {
  const member = compileMatch<CollectorSeen>(when.match, (c, field) =>
    field === 'source' ? c.source : field === 'device' ? c.device : undefined,
  )
  // A collector reports events and AFK periods (or input) separately: its latest batch counts.
  const latest = new Map<string, CollectorSeen>()
  for (const c of view.collectors) {
    if (!member(c)) continue
    const key = `${c.source}@${c.device}`
    const seen = latest.get(key)
    if (!seen || c.lastSeenMs > seen.lastSeenMs) latest.set(key, c)
  }
  const crossings: Crossing[] = []
  let quietest: CollectorSeen | undefined
  for (const [key, c] of latest) {
    const silent = view.nowMs - c.lastSeenMs
    if (!quietest || c.lastSeenMs < quietest.lastSeenMs) quietest = c
    if (silent < n) continue
    crossings.push({
      at: c.lastSeenMs + n,
      key: `silent:${key}:${c.lastSeenMs}`,
      range: { startMs: c.lastSeenMs, endMs: view.nowMs },
      event: null,
      minutes: minutes(silent),
      collector: c,
    })
  }
  crossings.sort(byInstant)
  if (!quietest) return { progress: progress(0, n, false, 'no matching collector'), crossings }
  const silent = Math.max(0, view.nowMs - quietest.lastSeenMs)
  return {
    progress: progress(
      silent,
      n,
      silent >= n,
      `${quietest.source} on ${quietest.device} silent ${ofText(silent, n, '')}`,
    ),
    crossings,
  }
}

function labelCreated(when: When, view: HookView): Evaluation {
  const member = compileMatch<Label>(when.match, (l, field) =>
    field === 'text' ? l.text : undefined,
  )
  const crossings: Crossing[] = []
  for (const label of view.labels) {
    // A hook's own labels never fire a label rule: one rule's label action could fire itself.
    if (label.context?.startsWith(HOOK_LABEL_CONTEXT) || !member(label)) continue
    crossings.push({
      at: label.createdMs,
      key: `label:${label.id}`,
      range: { startMs: label.startMs, endMs: label.endMs },
      event: null,
      minutes: null,
      label,
    })
  }
  crossings.sort(byInstant)
  return { progress: null, crossings }
}

/** Time order, then key order: a total order of crossings. */
export function byInstant(a: { at: number; key: string }, b: { at: number; key: string }): number {
  return a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
}

/**
 * The active time of each stretch of matching activity as an `activity` rule sees them (joined
 * where they touch, interrupted by other activity), in time order.
 */
export function activityStretchesMs(
  segments: readonly Segment<ActivityEvent>[],
  matches: (e: ActivityEvent) => boolean,
): number[] {
  return runs(segments, matches, CONTINUITY_GAP_MS, true).map(
    (run) => accumulate(run, matches, Infinity).totalMs,
  )
}
