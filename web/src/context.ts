/**
 * What every view shares: the filters a click can set, the groupings, and the context the app
 * hands each view (its own module, so views never import the app that renders them).
 */
import type { DaybookApi, Filters, Settings } from '../../src/client/api.ts'
import type { Calendar } from '../../src/domain/calendar.ts'
import type { StoredSession } from './session.ts'

/** Dimensions a click can filter by, and the query parameter of each. */
export const FILTER_DIMS = {
  project: 'projects',
  app: 'apps',
  language: 'languages',
  category: 'categories',
  entity: 'entities',
  branch: 'branches',
  device: 'devices',
} as const satisfies Record<string, keyof Filters>
export type FilterDim = keyof typeof FILTER_DIMS
export type ActiveFilters = Partial<Record<FilterDim, string>>

export const GROUPS = ['category', 'project', 'language', 'app'] as const
export type Group = (typeof GROUPS)[number]

/** API filters from the active ones. */
export function apiFilters(f: ActiveFilters): Filters {
  const out: Filters = {}
  for (const [dim, v] of Object.entries(f) as [FilterDim, string | undefined][]) {
    if (v !== undefined) out[FILTER_DIMS[dim]] = [v]
  }
  return out
}

export interface Ctx {
  api: DaybookApi
  session: StoredSession
  settings: Settings
  cal: Calendar
  tz: string
  /** Bumped by the live stream: every view reloads on a change. */
  tick: number
}
