/**
 * Answers built from the typed API, shared by the CLI (`daybook summary`) and the assistant's
 * tools (MCP and chat): every number is the daemon's own, from `/v1/summary/*`.
 */
import type { Temporal } from 'temporal-polyfill'
import { type Calendar, dayStartMs } from '../domain/calendar.ts'
import type { Bucket, BucketsParams, DaybookApi, Filters, PresetParam } from './api.ts'

/** Local days `first` to `last` (both included) on `cal`, as a custom preset of day buckets. */
export function daysPreset(
  first: Temporal.PlainDate,
  last: Temporal.PlainDate,
  cal: Calendar,
): PresetParam {
  const iso = (ms: number) => new Date(ms).toISOString()
  return {
    custom: {
      start: iso(dayStartMs(first, cal)),
      end: iso(dayStartMs(last.add({ days: 1 }), cal)),
      bucket: 'day',
    },
  }
}

/** Seconds per group over all the buckets of an answer. */
function sumGroups(rows: readonly Bucket[]): Map<string, number> {
  const totals = new Map<string, number>()
  for (const row of rows) {
    for (const [group, seconds] of Object.entries(row.groupedValues)) {
      totals.set(group, (totals.get(group) ?? 0) + seconds)
    }
  }
  return totals
}

/** A range's active time and its groups, largest first. */
export interface GroupedSummary {
  totalSeconds: number
  groups: { name: string; seconds: number }[]
  /** Active time that has no value of the dimension (an app event has no branch). */
  unassignedSeconds: number
}

/**
 * The active time of a preset range and its split by `groupBy`: two bucket queries (grouped and
 * not), so the total is `/v1/summary/total`'s and each group's seconds are the buckets' own.
 */
export async function summarize(
  api: DaybookApi,
  q: {
    preset: PresetParam
    tz: string
    groupBy: NonNullable<BucketsParams['groupBy']>
    filters?: Filters
  },
): Promise<GroupedSummary> {
  const query = { preset: q.preset, tz: q.tz, ...q.filters }
  const [grouped, ungrouped] = await Promise.all([
    api.buckets({ ...query, groupBy: q.groupBy }),
    api.buckets(query),
  ])
  const groups = [...sumGroups(grouped).entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([name, seconds]) => ({ name, seconds }))
  const totalSeconds = sumGroups(ungrouped).get('Total') ?? 0
  // Labels may overlap, so their groups can add up to more than the total.
  const unassignedSeconds = Math.max(0, totalSeconds - groups.reduce((s, g) => s + g.seconds, 0))
  return { totalSeconds, groups, unassignedSeconds }
}
