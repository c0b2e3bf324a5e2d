/**
 * Answers active-time questions inside a reader worker, on one snapshot.
 *
 * Buckets are enumerated only where there is activity (the UTC days holding cells or dirty
 * slots), then planned (`planBuckets`): whole UTC hours come from hour cells (for a question
 * by at most one dimension other than entity, whole UTC days from day cells and the hours between
 * them and the bucket's edges: `planDays`), remaining whole slots from slot cells, and partial slots at the
 * edges plus dirty slots are resolved from events with the one definition of the timeline. Sums are in integer dimension ids until the end, when
 * the groups that have time are named. With `includeAfk` nothing comes from cells (they have AFK
 * taken out): every bucket is resolved from events, a bucket at a time.
 */
import { type TimeRange, splitActive, splitRange } from '../../domain/calendar.ts'
import { SLOT_MS, planBuckets, planDays } from '../../domain/cells.ts'
import type { Dimension } from '../../domain/events.ts'
import { type BucketCell, CellSums, TOTAL_GROUP } from '../../domain/summary.ts'
import { DAY_MS, HOUR_MS } from '../../domain/time.ts'
import { type Segment, activeTimeline, mergeIntervals } from '../../domain/timeline.ts'
import type { ActiveTimeQuery } from '../ports.ts'
import { type Session, SessionJoiner } from '../../domain/sessions.ts'
import type { Connection } from './connection.ts'
import { type NamedTable, type ChildTable, idsOfNames, lookupNames } from './dimensions.ts'
import { MARGINAL_DIM } from './rollups.ts'
import {
  type EventRow,
  type RowDimension,
  afkOverlapping,
  eventsOverlapping,
  readSettings,
  ruleCategories,
  sourcePriorities,
} from './rows.ts'

/** Where each dimension lives: its row/cell column and its table of names. */
const DIMENSION_TABLES: Record<
  Dimension,
  { column: RowDimension; table: NamedTable | ChildTable | 'devices' }
> = {
  app: { column: 'app', table: 'apps' },
  project: { column: 'project', table: 'projects' },
  language: { column: 'language', table: 'languages' },
  branch: { column: 'branch', table: 'branches' },
  category: { column: 'category', table: 'categories' },
  entity: { column: 'entity', table: 'entities' },
  source: { column: 'source', table: 'sources' },
  device: { column: 'device', table: 'devices' },
}

/** Raw sums: bucket index → group id (0 = ungrouped) → ms. */
type Raw = Map<number, Map<number, number>>

/**
 * `cells: false` resolves every bucket from the events, as Daybook did before rollups: the path
 * the benchmark compares the rollups with (and the one `includeAfk` always takes).
 */
export function activeTime(
  c: Connection,
  q: ActiveTimeQuery,
  options: { cells: boolean } = { cells: true },
): BucketCell[] {
  const fromEvents = q.includeAfk || !options.cells
  return c.read(() => {
    const range = q.range
    if (!(range.startMs < range.endMs)) return []
    // Filters by name → id sets; a filter that names nothing stored selects nothing.
    const filters: [RowDimension, Set<number>][] = []
    for (const [dim, names] of Object.entries(q.filters) as [Dimension, readonly string[]][]) {
      if (!names || names.length === 0) continue
      const { column, table } = DIMENSION_TABLES[dim]
      const ids = idsOfNames(c, table, names)
      if (ids.length === 0) return []
      filters.push([column, new Set(ids)])
    }
    const groupColumn = q.groupBy === undefined ? undefined : DIMENSION_TABLES[q.groupBy].column
    // The dimensions the question involves decide which cells can answer it. Entities live only in
    // the project × entity family (and the marginals); entity with any other dimension is
    // resolved from events.
    const involved = new Set([
      ...filters.map(([col]) => col),
      ...(groupColumn ? [groupColumn] : []),
    ])
    const tables = !involved.has('entity')
      ? { slots: 'cells_slot', hours: 'cells_hour' }
      : [...involved].every((d) => d === 'project' || d === 'entity')
        ? { slots: 'cells_slot_pe', hours: 'cells_hour_pe' }
        : undefined

    const firstSlot = Math.floor(range.startMs / SLOT_MS)
    const lastSlot = Math.floor((range.endMs - 1) / SLOT_MS)
    const marks = new Map<number, number>()
    if (!fromEvents) {
      for (const r of c.all<{ slot: number; marked_ms: number }>(
        'SELECT slot, marked_ms FROM dirty_slots WHERE slot BETWEEN $a AND $b ORDER BY slot',
        { a: firstSlot, b: lastSlot },
      )) {
        marks.set(r.slot, r.marked_ms)
      }
    }
    const dirty = [...marks.keys()]

    // The buckets: only where there is something to count.
    let buckets: { label: string; startMs: number; endMs: number }[]
    if (fromEvents) {
      buckets = q.unit === null ? [{ label: '', ...range }] : splitRange(range, q.unit, q.calendar)
    } else {
      const active = activeDays(c, range, dirty)
      if (active.length === 0) return []
      buckets =
        q.unit === null ? [{ label: '', ...range }] : splitActive(range, q.unit, q.calendar, active)
    }

    const raw: Raw = new Map()
    const add = (bucket: number, group: number, ms: number) => {
      let byGroup = raw.get(bucket)
      if (!byGroup) raw.set(bucket, (byGroup = new Map<number, number>()))
      byGroup.set(group, (byGroup.get(group) ?? 0) + ms)
    }

    if (fromEvents) {
      resolveFromEvents(
        c,
        buckets.map((b, i): [number, number, number] => [i, b.startMs, b.endMs]),
        q.includeAfk ? null : afkOverlapping,
        filters,
        groupColumn,
        add,
      )
    } else {
      const plan = planBuckets(buckets, dirty)
      const fromEventsToo = [...plan.events]
      // Grouped or filtered by at most one dimension: whole days and hours come from its
      // marginals.
      if (involved.size <= 1) {
        const dim = [...involved][0]
        const only = filters[0]?.[1]
        const grouped = groupColumn !== undefined
        // Entities have no day marginal (see `updateMarginals`).
        const { days, plus, minus } =
          dim === 'entity' ? { days: [], plus: plan.hours, minus: [] } : planDays(plan.hours)
        sumMarginal(c, 'day', dim, days, only, grouped, add)
        sumMarginal(c, 'hour', dim, plus, only, grouped, add)
        sumMarginal(c, 'hour', dim, minus, only, grouped, (b, g, ms) => add(b, g, -ms))
      } else if (tables) {
        sumCells(c, tables.hours, 'hour', plan.hours, filters, groupColumn, add)
      } else {
        for (const [b, h0, h1] of plan.hours) fromEventsToo.push([b, h0 * HOUR_MS, h1 * HOUR_MS])
      }
      if (tables) sumCells(c, tables.slots, 'slot', plan.slots, filters, groupColumn, add)
      else for (const [b, s0, s1] of plan.slots) fromEventsToo.push([b, s0 * SLOT_MS, s1 * SLOT_MS])
      fromEventsToo.sort((x, y) => x[1] - y[1])
      const rest = sumDirtySlots(
        c,
        fromEventsToo,
        marks,
        [firstSlot, lastSlot],
        filters,
        groupColumn,
        add,
      )
      resolveFromEvents(c, rest, afkOverlapping, filters, groupColumn, add)
    }
    return name(c, raw, buckets, q.groupBy)
  })
}

/**
 * Dirty slots resolved from events, kept by this reader thread between queries: a dashboard that
 * polls while a writer ingests asks about the same dirty slots again and again, and the rollups
 * catch up on them only after they settle. A slot's resolution is reused while the slot's mark
 * is unchanged: the writer gives every write transaction a mark greater than any before it and
 * puts it on every slot the write touches (events, AFK periods, settings that change who owns
 * time), so an unchanged mark means unchanged inputs. The settings the resolution used are part
 * of the key too, and slots found clean are dropped.
 */
interface DirtySlotCache {
  file: string
  settings: string
  slots: Map<number, { marked: number; segments: Segment<EventRow>[] }>
}
let dirtySlotCache: DirtySlotCache | undefined
/**
 * More dirty slots than ingest at full speed leaves behind (ten days of dense activity). A query
 * meeting more (after a migration or a rebuild, every slot is dirty) resolves them a day at a
 * time as before, keeping none: holding them all would hold the whole history's timeline.
 */
const MAX_CACHED_SLOTS = 1024
/** Longest run of dirty slots resolved at once (a day: bounds the events held at once). */
const MAX_RESOLVE_SLOTS = DAY_MS / SLOT_MS

/**
 * Adds the whole dirty slots among `ranges` from the cache of resolved slots (resolving those it
 * lacks, a run of consecutive slots at a time); returns the rest of the ranges, for
 * `resolveFromEvents`.
 */
function sumDirtySlots(
  c: Connection,
  ranges: [number, number, number][],
  marks: Map<number, number>,
  [firstSlot, lastSlot]: [number, number],
  filters: [RowDimension, Set<number>][],
  groupColumn: RowDimension | undefined,
  add: (bucket: number, group: number, ms: number) => void,
): [number, number, number][] {
  if (marks.size === 0 || marks.size > MAX_CACHED_SLOTS) return ranges
  const settings = readSettings(c)
  const key = JSON.stringify([settings.sourcePriority, settings.categoryRules])
  if (
    dirtySlotCache?.file !== c.file ||
    dirtySlotCache.settings !== key ||
    dirtySlotCache.slots.size > MAX_CACHED_SLOTS
  ) {
    dirtySlotCache = { file: c.file, settings: key, slots: new Map() }
  }
  const cached = dirtySlotCache.slots
  for (const slot of cached.keys()) {
    if (slot >= firstSlot && slot <= lastSlot && !marks.has(slot)) cached.delete(slot)
  }

  // Split the ranges at dirty slots: whole dirty slots come from the cache, the rest is left.
  const rest: [number, number, number][] = []
  const fromCache: [number, number][] = [] // [bucket, slot]
  for (const [b, from, to] of ranges) {
    let at = from
    for (let slot = Math.ceil(from / SLOT_MS); (slot + 1) * SLOT_MS <= to; slot++) {
      if (!marks.has(slot)) continue
      if (at < slot * SLOT_MS) rest.push([b, at, slot * SLOT_MS])
      fromCache.push([b, slot])
      at = (slot + 1) * SLOT_MS
    }
    if (at < to) rest.push([b, at, to])
  }
  if (fromCache.length === 0) return rest

  // Resolve the slots the cache lacks (or holds under an older mark), in runs.
  const missing = [
    ...new Set(
      fromCache.map(([, slot]) => slot).filter((s) => cached.get(s)?.marked !== marks.get(s)),
    ),
  ].sort((x, y) => x - y)
  if (missing.length > 0) {
    const priority = sourcePriorities(c)
    const category = ruleCategories(c)
    let i = 0
    while (i < missing.length) {
      let j = i
      while (
        j + 1 < missing.length &&
        missing[j + 1] === (missing[j] as number) + 1 &&
        j + 1 - i < MAX_RESOLVE_SLOTS
      ) {
        j++
      }
      const first = missing[i] as number
      const last = missing[j] as number
      const span = { startMs: first * SLOT_MS, endMs: (last + 1) * SLOT_MS }
      const perSlot = new Map<number, Segment<EventRow>[]>()
      for (let s = first; s <= last; s++) perSlot.set(s, [])
      for (const seg of activeTimeline(
        eventsOverlapping(c, span, category),
        afkOverlapping(c, span),
        span,
        priority,
      )) {
        for (let s = Math.floor(seg.startMs / SLOT_MS); s * SLOT_MS < seg.endMs; s++) {
          const startMs = Math.max(seg.startMs, s * SLOT_MS)
          const endMs = Math.min(seg.endMs, (s + 1) * SLOT_MS)
          if (startMs < endMs) perSlot.get(s)?.push({ startMs, endMs, event: seg.event })
        }
      }
      for (const [s, segments] of perSlot) {
        cached.set(s, { marked: marks.get(s) as number, segments })
      }
      i = j + 1
    }
  }

  const passes = (e: EventRow) => filters.every(([col, ids]) => ids.has(e[col]))
  for (const [b, slot] of fromCache) {
    for (const seg of (cached.get(slot) as { segments: Segment<EventRow>[] }).segments) {
      if (!passes(seg.event)) continue
      add(b, groupColumn === undefined ? 0 : seg.event[groupColumn], seg.endMs - seg.startMs)
    }
  }
  return rest
}

/** UTC days (as ranges) holding active time or dirty slots within `range`, merged. */
function activeDays(c: Connection, range: TimeRange, dirty: number[]): TimeRange[] {
  const days = c
    .all<{ day: number }>('SELECT day FROM cells_day_dim WHERE dim = 0 AND day BETWEEN $a AND $b', {
      a: Math.floor(range.startMs / DAY_MS),
      b: Math.floor((range.endMs - 1) / DAY_MS),
    })
    .map((r) => r.day)
  for (const slot of dirty) days.push(Math.floor((slot * SLOT_MS) / DAY_MS))
  return mergeIntervals(days.map((d) => ({ startMs: d * DAY_MS, endMs: (d + 1) * DAY_MS })))
}

/** Adds the cells of the planned ranges, one query per level (an index range per bucket part). */
function sumCells(
  c: Connection,
  table: string,
  unitColumn: 'hour' | 'slot',
  ranges: [number, number, number][],
  filters: [RowDimension, Set<number>][],
  groupColumn: RowDimension | undefined,
  add: (bucket: number, group: number, ms: number) => void,
): void {
  if (ranges.length === 0) return
  const where = filters.map(([col], i) => `AND c.${col} IN (SELECT value FROM json_each($f${i}))`)
  const params: Record<string, string> = { r: JSON.stringify(ranges) }
  filters.forEach(([, ids], i) => (params[`f${i}`] = JSON.stringify([...ids])))
  const rows = c.all<{ b: number; g: number; s: number }>(
    `SELECT r.value ->> 0 AS b, ${groupColumn === undefined ? '0' : `c.${groupColumn}`} AS g,
            sum(c.seconds) AS s
     FROM json_each($r) AS r
     CROSS JOIN ${table} AS c ON c.${unitColumn} >= (r.value ->> 1) AND c.${unitColumn} < (r.value ->> 2)
     WHERE 1 ${where.join(' ')}
     GROUP BY b, g`,
    params,
  )
  for (const r of rows) add(r.b, r.g, r.s * 1000)
}

/*
 * Both sums join the plan's ranges (a small JSON list) to a cell table. CROSS JOIN keeps the list
 * as the outer loop, so each range is one primary-key range search; left to itself, SQLite may
 * scan the cells and re-read the list for every cell.
 */

/**
 * Adds the planned ranges from the day or hour marginal of one dimension (or the total). Day cells
 * hold whole milliseconds, hour cells seconds: every sum is a whole number of milliseconds, so it
 * is rounded to one (a day read whole less some of its hours must come out exact).
 */
function sumMarginal(
  c: Connection,
  level: 'day' | 'hour',
  dim: RowDimension | undefined,
  ranges: [number, number, number][],
  only: Set<number> | undefined,
  grouped: boolean,
  add: (bucket: number, group: number, ms: number) => void,
): void {
  if (ranges.length === 0) return
  const [table, sum] =
    level === 'day' ? ['cells_day_dim', 'sum(c.ms)'] : ['cells_hour_dim', 'sum(c.seconds) * 1000']
  const rows = c.all<{ b: number; g: number; ms: number }>(
    `SELECT r.value ->> 0 AS b, ${grouped ? 'c.value' : '0'} AS g, ${sum} AS ms
     FROM json_each($r) AS r
     CROSS JOIN ${table} AS c
       ON c.dim = $dim AND c.${level} >= (r.value ->> 1) AND c.${level} < (r.value ->> 2)
     ${only ? 'WHERE c.value IN (SELECT value FROM json_each($only))' : ''}
     GROUP BY b, g`,
    {
      r: JSON.stringify(ranges),
      dim: dim === undefined ? MARGINAL_DIM.total : MARGINAL_DIM[dim],
      ...(only ? { only: JSON.stringify([...only]) } : {}),
    },
  )
  for (const r of rows) add(r.b, r.g, Math.round(r.ms))
}

/**
 * Resolves the planned event ranges from the events themselves: consecutive ranges are loaded and
 * resolved together (a run), then split back into their buckets.
 */
function resolveFromEvents(
  c: Connection,
  ranges: [number, number, number][],
  afk: typeof afkOverlapping | null,
  filters: [RowDimension, Set<number>][],
  groupColumn: RowDimension | undefined,
  add: (bucket: number, group: number, ms: number) => void,
): void {
  if (ranges.length === 0) return
  const priority = sourcePriorities(c)
  const category = ruleCategories(c)
  const passes = (e: EventRow) => filters.every(([col, ids]) => ids.has(e[col]))
  // Runs of touching ranges, at most a day long (bounds the events held at once).
  let run: [number, number, number][] = []
  const flush = () => {
    if (run.length === 0) return
    const span = {
      startMs: (run[0] as [number, number, number])[1],
      endMs: (run[run.length - 1] as [number, number, number])[2],
    }
    const segments = activeTimeline(
      eventsOverlapping(c, span, category),
      afk === null ? null : afk(c, span),
      span,
      priority,
    )
    let k = 0
    for (const seg of segments) {
      if (!passes(seg.event)) continue
      const group = groupColumn === undefined ? 0 : seg.event[groupColumn]
      while (k < run.length && (run[k] as [number, number, number])[2] <= seg.startMs) k++
      for (let j = k; j < run.length; j++) {
        const [b, from, to] = run[j] as [number, number, number]
        if (from >= seg.endMs) break
        const ms = Math.min(to, seg.endMs) - Math.max(from, seg.startMs)
        if (ms > 0) add(b, group, ms)
      }
    }
    run = []
  }
  for (const r of ranges) {
    const last = run[run.length - 1]
    if (last && (last[2] !== r[1] || r[2] - (run[0] as [number, number, number])[1] > DAY_MS))
      flush()
    run.push(r)
  }
  flush()
}

/** Raw sums → named cells, in bucket order then group name order. */
function name(
  c: Connection,
  raw: Raw,
  buckets: readonly { label: string }[],
  groupBy: Dimension | undefined,
): BucketCell[] {
  const sums = new CellSums()
  const groups = new Set<number>()
  for (const byGroup of raw.values()) for (const g of byGroup.keys()) groups.add(g)
  const names =
    groupBy === undefined ? undefined : lookupNames(c, DIMENSION_TABLES[groupBy].table, groups)
  const indices = [...raw.keys()].sort((a, b) => a - b)
  for (const i of indices) {
    const label = (buckets[i] as { label: string }).label
    sums.label(label)
    for (const [g, ms] of raw.get(i) as Map<number, number>) {
      if (groupBy === undefined) {
        sums.add(label, TOTAL_GROUP, ms)
        continue
      }
      const named = names?.get(g)
      // Absent branch or language (0): not part of any group.
      if (!named) continue
      sums.add(label, named.name, ms, groupBy === 'entity' ? named.extra : null)
    }
  }
  return sums.toCells()
}

/**
 * Stretches of activity in `range`: the active timeline (every source, AFK taken out), joined
 * across gaps shorter than `gapMs`. Only days with activity are resolved, a day at a time.
 */
export function sessions(c: Connection, range: TimeRange, gapMs: number): Session[] {
  return c.read(() => {
    const dirty = c
      .all<{ slot: number }>('SELECT slot FROM dirty_slots WHERE slot BETWEEN $a AND $b', {
        a: Math.floor(range.startMs / SLOT_MS),
        b: Math.floor((range.endMs - 1) / SLOT_MS),
      })
      .map((r) => r.slot)
    const priority = sourcePriorities(c)
    const category = ruleCategories(c)
    const joiner = new SessionJoiner(gapMs)
    for (const day of activeDays(c, range, dirty)) {
      for (
        let from = Math.max(day.startMs, range.startMs);
        from < Math.min(day.endMs, range.endMs);
        from += DAY_MS
      ) {
        const span = { startMs: from, endMs: Math.min(from + DAY_MS, day.endMs, range.endMs) }
        const segments = activeTimeline(
          eventsOverlapping(c, span, category),
          afkOverlapping(c, span),
          span,
          priority,
        )
        for (const seg of segments) joiner.push(seg)
      }
    }
    return joiner.finish()
  })
}
