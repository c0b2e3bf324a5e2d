/**
 * The activity event model and its content-derived identity.
 *
 * An event's id is a UUIDv5 over its content *by names* — never over database row ids — so the
 * same event gets the same id in any database, and a re-sent event is recognised as a duplicate.
 */
import { v5 as uuidv5 } from 'uuid'

/** Namespace for Daybook's content ids (a fixed random UUID; changing it re-identifies all data). */
const DAYBOOK_NAMESPACE = '3f1d5e0a-7c1b-4f7e-9a52-6d1f0c2b8e47'

/** The grouping dimensions of an event, named as the wire uses them in `groupBy`. */
export const DIMENSIONS = [
  'app',
  'project',
  'language',
  'branch',
  'category',
  'entity',
  'source',
] as const
export type Dimension = (typeof DIMENSIONS)[number]

/** Filterable dimensions and the query parameter that filters them. */
export const FILTER_PARAMS = {
  apps: 'app',
  projects: 'project',
  categories: 'category',
  entities: 'entity',
  branches: 'branch',
  languages: 'language',
} as const satisfies Record<string, Dimension>
export type FilterParam = keyof typeof FILTER_PARAMS

/** Filters: for each dimension, the names it must be one of. Absent or empty = no filter. */
export type EventFilters = Partial<Record<Dimension, readonly string[]>>

/** An event as stored and served: times in epoch ms, dimensions by name. */
export interface ActivityEvent {
  id: string
  startMs: number
  endMs: number
  /** The duration the client reported, in seconds; informational, time math uses start/end. */
  durationSec: number | null
  category: string
  app: string
  entity: string
  entityType: string | null
  project: string
  projectPath: string | null
  branch: string | null
  language: string | null
  source: string
}

/** An event before it has an id. */
export type NewActivityEvent = Omit<ActivityEvent, 'id'>

/** The content id of an event: equal content, equal id, in every database. */
export function eventId(e: NewActivityEvent): string {
  // JSON encoding keeps the key unambiguous whatever characters the names contain.
  const key = JSON.stringify([
    'event/1',
    e.category,
    e.app,
    e.entity,
    e.project,
    e.branch,
    e.language,
    e.source,
    e.startMs,
    e.endMs,
  ])
  return uuidv5(key, DAYBOOK_NAMESPACE)
}

/** A period away from keyboard; `endMs` null while it is still open. */
export interface AfkPeriod {
  id: string
  startMs: number
  endMs: number | null
  durationSec: number | null
}

/**
 * The content id of an AFK period: its start. A period first sent open and later sent closed
 * (or extended) is the same period, so it updates in place rather than being counted twice.
 */
export function afkId(startMs: number): string {
  return uuidv5(JSON.stringify(['afk/1', startMs]), DAYBOOK_NAMESPACE)
}

/** The value of a dimension of an event (null when the event has none). */
export function dimensionValue(e: ActivityEvent, d: Dimension): string | null {
  return e[d]
}
