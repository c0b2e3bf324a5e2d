/**
 * Events and AFK periods as the timeline sees them inside the store: integer dimensions, no names.
 * Shared by the writer (recomputing rollup slots) and the readers (resolving edges and dirty slots).
 */
import type { TimeRange } from '../../domain/calendar.ts'
import type { AfkInterval, TimelineEvent } from '../../domain/timeline.ts'
import { GENERIC_CATEGORIES, categorizer } from '../../domain/category-rules.ts'
import { sourcePriorityOf } from '../../domain/timeline.ts'
import { DEFAULT_SETTINGS, withDefaults } from '../../domain/settings.ts'
import type { Connection } from './connection.ts'

/** Events at most this long are found by their start; longer ones through the `events_long` index. */
export const SHORT_EVENT_MS = 3_600_000

/** An event row for the timeline. Absent branch and language are 0. */
export interface EventRow extends TimelineEvent {
  id: string
  device: number
  startMs: number
  endMs: number
  source: number
  category: number
  app: number
  entity: number
  project: number
  branch: number
  language: number
}

/** The dimension columns of an event row, as named in `groupBy` and filters. */
export const ROW_DIMENSIONS = [
  'device',
  'source',
  'category',
  'app',
  'project',
  'branch',
  'language',
  'entity',
] as const
export type RowDimension = (typeof ROW_DIMENSIONS)[number]

interface RawEvent {
  id: Uint8Array
  device_id: number
  start_ms: number
  end_ms: number
  source_id: number
  category_id: number
  app_id: number
  entity_id: number
  project_id: number
  branch_id: number | null
  language_id: number | null
}

const COLUMNS = `id, device_id, start_ms, end_ms, source_id, category_id, app_id, entity_id,
  project_id, branch_id, language_id`

/**
 * The one overlap query: short events by their start (an index range of at most an hour before
 * the range), long events by their end (a small partial index).
 */
const OVERLAP_SQL = (columns: string) => `
  SELECT ${columns} FROM events
  WHERE start_ms >= $start - ${SHORT_EVENT_MS} AND start_ms < $end
    AND (end_ms > $start OR start_ms >= $start) AND end_ms - start_ms <= ${SHORT_EVENT_MS}
  UNION ALL
  SELECT ${columns} FROM events
  WHERE end_ms - start_ms > ${SHORT_EVENT_MS} AND end_ms > $start AND start_ms < $end`

/** Events overlapping `range` (a point event at its start included), in no particular order. */
export function eventsOverlapping(
  c: Connection,
  range: TimeRange,
  category: Categorizer = ruleCategories(c),
): EventRow[] {
  const rows = c.all<RawEvent>(OVERLAP_SQL(COLUMNS), { start: range.startMs, end: range.endMs })
  return rows.map((r) => ({
    // Hex orders exactly like the dashed form the reference path uses, and costs far less.
    id: Buffer.from(r.id.buffer, r.id.byteOffset, 16).toString('hex'),
    device: r.device_id,
    startMs: r.start_ms,
    endMs: r.end_ms,
    source: r.source_id,
    category: category(r),
    app: r.app_id,
    entity: r.entity_id,
    project: r.project_id,
    branch: r.branch_id ?? 0,
    language: r.language_id ?? 0,
  }))
}

/**
 * AFK periods overlapping `range` as timeline intervals: each ends at its reported end, else its
 * inferred end, else never.
 */
export function afkOverlapping(c: Connection, range: TimeRange): AfkInterval[] {
  return c
    .all<{ device_id: number; start_ms: number; end_ms: number | null }>(
      `SELECT device_id, start_ms, coalesce(end_ms, inferred_end_ms) AS end_ms FROM afk_periods
       WHERE start_ms < $end AND (coalesce(end_ms, inferred_end_ms) IS NULL
                                  OR coalesce(end_ms, inferred_end_ms) > $start)`,
      { start: range.startMs, end: range.endMs },
    )
    .map((r) => ({
      device: r.device_id,
      startMs: r.start_ms,
      endMs: r.end_ms ?? Number.POSITIVE_INFINITY,
    }))
}

/** The stored settings over the defaults. */
export function readSettings(c: Connection) {
  const rows = c.all<{ key: string; value: string }>('SELECT key, value FROM settings')
  return withDefaults(Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown])))
}

/** Priority of each stored source id under the `sourcePriority` setting. */
export function sourcePriorities(c: Connection): (row: { source: number }) => number {
  const table = readSettings(c).sourcePriority ?? DEFAULT_SETTINGS.sourcePriority
  const byName = sourcePriorityOf(table)
  const byId = new Map<number, number>()
  for (const s of c.all<{ id: number; name: string }>('SELECT id, name FROM sources')) {
    byId.set(s.id, byName(s.name))
  }
  const fallback = byName('*')
  return (row) => byId.get(row.source) ?? fallback
}

/** The category id a stored event counts under (see `ruleCategories`). */
export type Categorizer = (row: {
  category_id: number
  app_id: number
  entity_id: number
}) => number

/**
 * The category each stored event counts under: its own, or, when that is a generic one, what the
 * `categoryRules` setting says (see `domain/category-rules.ts`). Names are looked up once per
 * app and entity per categorizer; most rows keep their own category without a lookup. Valid for
 * one snapshot (a read or a write transaction): make one per query and pass it to each
 * `eventsOverlapping` of that query, so a query resolving many runs looks each name up once.
 */
export function ruleCategories(c: Connection): Categorizer {
  const rules = readSettings(c).categoryRules
  if (rules.length === 0) return (r) => r.category_id
  const categories = new Map(
    c
      .all<{ id: number; name: string }>('SELECT id, name FROM categories')
      .map((r) => [r.name, r.id]),
  )
  const generic = new Map<number, string>()
  for (const name of GENERIC_CATEGORIES) {
    const id = categories.get(name)
    if (id !== undefined) generic.set(id, name)
  }
  if (generic.size === 0) return (r) => r.category_id
  const decide = categorizer(rules)
  const apps = new Map<number, string>()
  const appName = (id: number) => {
    let name = apps.get(id)
    if (name === undefined) {
      name = c.get<{ name: string }>('SELECT name FROM apps WHERE id = $id', { id })?.name ?? ''
      apps.set(id, name)
    }
    return name
  }
  const decided = new Map<string, number>()
  return (r) => {
    const own = generic.get(r.category_id)
    if (own === undefined) return r.category_id
    const key = `${r.category_id}:${r.app_id}:${r.entity_id}`
    let id = decided.get(key)
    if (id === undefined) {
      const entity = c.get<{ name: string; type: string | null }>(
        'SELECT name, type FROM entities WHERE id = $id',
        { id: r.entity_id },
      )
      const name = decide({
        category: own,
        app: appName(r.app_id),
        entity: entity?.name ?? '',
        entityType: entity?.type ?? '',
      })
      // A rule's category exists once the writer has seen the rules; until then, the event's own.
      id = categories.get(name) ?? r.category_id
      decided.set(key, id)
    }
    return id
  }
}
