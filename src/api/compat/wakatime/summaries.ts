/**
 * WakaTime's summaries (`SummariesData`: a grand total and breakdowns by category, project,
 * language, editor, OS and machine) from Daybook's active time. Every number is a sum the
 * active-time service computed on the one timeline, so the editor time is counted together with
 * the window watcher and the browser, never twice, and a day's grand total is what
 * `/v1/summary/total` says for that day.
 */
import os from 'node:os'
import type { ActivityEvent, Dimension, EventFilters } from '../../../domain/events.ts'
import { type Calendar, type TimeRange, formatTimestamp } from '../../../domain/calendar.ts'
import { compareNames } from '../../../domain/summary.ts'
import { durationDecimal, durationDigital, durationText } from '../../../domain/wakatime/ranges.ts'
import { editorDisplayName, isWakatimeSource, osName } from '../../../domain/wakatime/user-agent.ts'
import type { DaybookContext } from '../../context.ts'

/** A breakdown line in WakaTime's shape. */
export interface Entry {
  name: string
  total_seconds: number
  percent: number
  digital: string
  decimal: string
  text: string
  hours: number
  minutes: number
  seconds: number
  machine_name_id?: string
}

/** `grand_total` in WakaTime's shape. */
export function grandTotal(seconds: number) {
  return {
    total_seconds: seconds,
    digital: durationDigital(seconds),
    decimal: durationDecimal(seconds),
    text: durationText(seconds),
    hours: Math.floor(seconds / 3600),
    minutes: Math.floor((seconds % 3600) / 60),
  }
}

function entry(name: string, seconds: number, total: number): Entry {
  const whole = Math.floor(seconds)
  return {
    name,
    ...grandTotal(seconds),
    // A line's clock shows seconds too (`2:17:36`), the grand total's does not (`2:17`).
    digital: `${durationDigital(whole)}:${String(whole % 60).padStart(2, '0')}`,
    percent: total > 0 ? Math.round((seconds / total) * 10_000) / 100 : 0,
    seconds: whole % 60,
  }
}

/** Sums by name → entries, the largest first (then by name). */
function entries(sums: ReadonlyMap<string, number>, total: number): Entry[] {
  return [...sums]
    .filter(([, s]) => s > 0)
    .sort((a, b) => b[1] - a[1] || compareNames(a[0], b[0]))
    .map(([name, s]) => entry(name, s, total))
}

/** The editor a source stands for: `wakatime-vscode` → VS Code; other sources by their name. */
export function editorName(source: string): string {
  return isWakatimeSource(source) ? editorDisplayName(source.slice('wakatime-'.length)) : source
}

/** The daemon's own operating system, by Daybook's names. */
function ownOs(): string {
  switch (os.platform()) {
    case 'darwin':
      return 'macOS'
    case 'win32':
      return 'Windows'
    default:
      return osName(os.platform())
  }
}

/** What the devices are: their ids and operating systems (as their heartbeats said). */
export interface Machines {
  ids: Map<string, string>
  os: Map<string, string>
}

export async function machines(daybook: DaybookContext): Promise<Machines> {
  const [devices, latest] = await Promise.all([
    daybook.devices.list(),
    daybook.store.heartbeats.machines(),
  ])
  const ids = new Map(devices.map((d) => [d.name, d.id]))
  const systems = new Map<string, string>()
  for (const d of devices) if (d.own) systems.set(d.name, ownOs())
  for (const m of latest) if (m.os !== '') systems.set(m.device, m.os)
  return { ids, os: systems }
}

/** The breakdowns a summary lists, and the dimension each is computed by. */
const BREAKDOWNS = {
  categories: 'category',
  projects: 'project',
  languages: 'language',
  editors: 'source',
  machines: 'device',
} as const satisfies Record<string, Dimension>

export interface SummaryOptions {
  range: TimeRange
  calendar: Calendar
  filters: EventFilters
  /** `day`: one summary per local day; null: one over the whole range. */
  unit: 'day' | null
  /** Also break down by branch and entity (WakaTime does so when a project is chosen). */
  details: boolean
}

/** The breakdowns of a summary, by WakaTime's names. */
export interface Breakdowns {
  categories: Entry[]
  projects: Entry[]
  languages: Entry[]
  editors: Entry[]
  machines: Entry[]
  operating_systems: Entry[]
  dependencies: Entry[]
  branches?: Entry[]
  entities?: Entry[]
}

/** One summary: its bucket label ('' for a whole range) and its sums. */
export interface Summary {
  label: string
  total: number
  data: Breakdowns
}

/** Summaries of a range, per day or as one, every number from the active-time service. */
export async function summarize(daybook: DaybookContext, o: SummaryOptions): Promise<Summary[]> {
  const dims: [keyof Breakdowns, Dimension][] = Object.entries(BREAKDOWNS) as [
    keyof Breakdowns,
    Dimension,
  ][]
  if (o.details) dims.push(['branches', 'branch'], ['entities', 'entity'])
  const query = (groupBy?: Dimension) =>
    daybook.activeTime.cells({
      range: o.range,
      unit: o.unit,
      calendar: o.calendar,
      groupBy,
      filters: o.filters,
      includeAfk: false,
    })
  const [totals, known, ...grouped] = await Promise.all([
    query(),
    machines(daybook),
    ...dims.map(([, d]) => query(d)),
  ])
  const byLabel = new Map<string, Summary>()
  const labelOf = (label: string) => (o.unit === null ? '' : label)
  for (const cell of totals) {
    byLabel.set(labelOf(cell.label), {
      ...emptySummary(labelOf(cell.label), o.details),
      total: cell.seconds,
    })
  }
  for (const [i, [key, dim]] of dims.entries()) {
    const sums = new Map<string, Map<string, number>>()
    for (const cell of grouped[i] ?? []) {
      const label = labelOf(cell.label)
      const name = dim === 'source' ? editorName(cell.group) : cell.group
      const inLabel = sums.get(label) ?? new Map<string, number>()
      inLabel.set(name, (inLabel.get(name) ?? 0) + cell.seconds)
      sums.set(label, inLabel)
    }
    for (const summary of byLabel.values()) {
      const named = sums.get(summary.label) ?? new Map<string, number>()
      summary.data[key] = entries(named, summary.total)
      if (dim === 'device') {
        const systems = new Map<string, number>()
        for (const [device, s] of named) {
          const system = known.os.get(device) ?? 'Unknown'
          systems.set(system, (systems.get(system) ?? 0) + s)
        }
        summary.data.operating_systems = entries(systems, summary.total)
        for (const e of summary.data[key] ?? []) {
          const id = known.ids.get(e.name)
          if (id !== undefined) e.machine_name_id = id
        }
      }
    }
  }
  return [...byLabel.values()]
}

/** An empty summary (a day without activity still has its line). */
export function emptySummary(label: string, details: boolean): Summary {
  const data: Breakdowns = {
    operating_systems: [],
    dependencies: [],
    categories: [],
    projects: [],
    languages: [],
    editors: [],
    machines: [],
  }
  if (details) Object.assign(data, { branches: [], entities: [] })
  return { label, total: 0, data }
}

/** A summary in WakaTime's `SummariesData` shape. */
export function summaryData(
  s: Summary,
  range: TimeRange & { date?: string; text: string },
  calendar: Calendar,
) {
  return {
    grand_total: grandTotal(s.total),
    ...s.data,
    range: {
      ...(range.date !== undefined ? { date: range.date } : {}),
      start: formatTimestamp(range.startMs),
      end: formatTimestamp(range.endMs),
      text: range.text,
      timezone: calendar.timeZone,
    },
  }
}

/** What a duration's slice names: `project`, `entity`, … of the event that owned the time. */
export function sliceValue(e: ActivityEvent, slice: string): string | null {
  switch (slice) {
    case 'entity':
      return e.entity
    case 'language':
      return e.language
    case 'category':
      return e.category
    case 'editor':
      return editorName(e.source)
    case 'machine':
      return e.device
    case 'branch':
      return e.branch
    default:
      return e.project
  }
}
