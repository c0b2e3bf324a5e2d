/**
 * The assistant's tools: one definition each, served as MCP tools (`mcp.ts`) and as OpenAI
 * function tools to the model behind `/v1/chat/completions` (`functions.ts`). Each answers with
 * a short text and structured data under its output schema; each reads and writes only through
 * the API with the caller's token (see `context.ts`), so the route decides what a scope may do.
 */
import * as z from 'zod'
import { summarize } from '../client/reports.ts'
import type { Scope } from '../domain/access.ts'
import { formatTimestamp, logicalDate } from '../domain/calendar.ts'
import { formatDuration } from '../domain/time.ts'
import { type ToolContext, describeToolFailure, localClock, localTime, where } from './context.ts'
import {
  PERIOD_NAMES,
  type PeriodArgs,
  isoRange,
  parseInstant,
  periodOutput,
  periodShape,
  resolvePeriod,
} from './periods.ts'

/** What a tool answers: a few lines for a person or model, and the same as data. */
export interface ToolAnswer<T> {
  text: string
  data: T
}

export interface DaybookTool<
  I extends z.ZodRawShape = z.ZodRawShape,
  O extends z.ZodRawShape = z.ZodRawShape,
> {
  name: string
  title: string
  description: string
  /** The least token scope its routes need. */
  scope: Extract<Scope, 'read_only' | 'data'>
  /** Changes nothing (MCP's readOnlyHint). */
  readOnly: boolean
  input: I
  output: O
  run(args: z.infer<z.ZodObject<I>>, ctx: ToolContext): Promise<ToolAnswer<z.infer<z.ZodObject<O>>>>
}

/** Erases a tool's own types so the list can hold them all. */
function tool<I extends z.ZodRawShape, O extends z.ZodRawShape>(t: DaybookTool<I, O>): DaybookTool {
  return t
}

/** The groupings `get_summary` and `compare_periods` offer. */
export const GROUP_BYS = [
  'project',
  'app',
  'language',
  'category',
  'branch',
  'entity',
  'device',
  'label',
] as const

/** A collector silent this long is flagged (the dashboard's rule). */
const SILENT_AFTER_SECONDS = 15 * 60

const FILTERS = {
  projects: 'project',
  apps: 'app',
  categories: 'category',
  languages: 'language',
  branches: 'branch',
  entities: 'entity',
  devices: 'device',
} as const

const filterShape = Object.fromEntries(
  Object.entries(FILTERS).map(([param, dim]) => [
    param,
    z.array(z.string().max(4096)).max(100).optional().describe(`Only these ${dim} names (exact).`),
  ]),
) as Record<keyof typeof FILTERS, z.ZodOptional<z.ZodArray<z.ZodString>>>

const groupByInput = z
  .enum(GROUP_BYS)
  .default('project')
  .describe('What to split the time by; label = the time inside each label, by its text.')
const topN = z.number().int().min(1).max(100).default(10).describe('Most groups to list.')

const percent = (part: number, total: number) =>
  total > 0 ? ` (${Math.round((part / total) * 100)}%)` : ''

/** `this_week (2025-09-08 – 2025-09-14, Europe/Berlin)`. */
function periodLabel(p: z.infer<typeof periodOutput>): string {
  const days = p.firstDay === p.lastDay ? p.firstDay : `${p.firstDay} – ${p.lastDay}`
  return `${p.name} (${days}, ${p.timeZone})`
}

async function resolve(
  ctx: ToolContext,
  args: PeriodArgs,
  fallback?: (typeof PERIOD_NAMES)[number],
) {
  const w = await where(ctx)
  return { ...w, period: resolvePeriod(args, w.calendar, ctx.now(), fallback) }
}

const getSummary = tool({
  name: 'get_summary',
  title: 'Active time of a period, split by a dimension',
  description:
    'Active time (overlaps counted once, time away left out) in a period, split by project, app, ' +
    'language, category, branch, entity (file, title or URL), device or label, with optional ' +
    'filters. The numbers are those of /v1/summary/*.',
  scope: 'read_only',
  readOnly: true,
  input: {
    ...periodShape,
    groupBy: groupByInput,
    ...filterShape,
    top_n: topN,
  },
  output: {
    period: periodOutput,
    groupBy: z.enum(GROUP_BYS),
    totalSeconds: z.number().int(),
    groups: z.array(z.object({ name: z.string(), seconds: z.number().int() })),
    otherSeconds: z.number().int().describe('The groups beyond top_n, together.'),
    otherGroups: z.number().int(),
    unassignedSeconds: z.number().int().describe('Active time without a value of groupBy.'),
  },
  async run(args, ctx) {
    const { zone, period } = await resolve(ctx, args)
    const filters = Object.fromEntries(
      Object.keys(FILTERS).flatMap((k) => {
        const v = args[k as keyof typeof FILTERS]
        return v && v.length > 0 ? [[k, v]] : []
      }),
    )
    const s = await summarize(ctx.api, {
      preset: period.preset,
      tz: zone,
      groupBy: args.groupBy,
      filters,
    })
    const shown = s.groups.slice(0, args.top_n)
    const rest = s.groups.slice(args.top_n)
    const otherSeconds = rest.reduce((sum, g) => sum + g.seconds, 0)
    const lines = shown.map(
      (g) => `- ${g.name}: ${formatDuration(g.seconds)}${percent(g.seconds, s.totalSeconds)}`,
    )
    if (rest.length > 0) lines.push(`- ${rest.length} more: ${formatDuration(otherSeconds)}`)
    if (s.unassignedSeconds > 0) {
      lines.push(`- (no ${args.groupBy}): ${formatDuration(s.unassignedSeconds)}`)
    }
    const filtered =
      Object.keys(filters).length > 0 ? `, filtered by ${JSON.stringify(filters)}` : ''
    return {
      text:
        `${periodLabel(period.out)}: ${formatDuration(s.totalSeconds)} active${filtered}.` +
        (shown.length > 0
          ? `\nBy ${args.groupBy}:\n${lines.join('\n')}`
          : '\nNo activity recorded.'),
      data: {
        period: period.out,
        groupBy: args.groupBy,
        totalSeconds: s.totalSeconds,
        groups: shown,
        otherSeconds,
        otherGroups: rest.length,
        unassignedSeconds: s.unassignedSeconds,
      },
    }
  },
})

const stretchOutput = z.object({
  start: z.string(),
  end: z.string(),
  seconds: z.number().int(),
  app: z.string(),
  project: z.string(),
  category: z.string(),
  entity: z.string(),
  branch: z.string().nullable(),
  language: z.string().nullable(),
  device: z.string(),
})

const getTimeline = tool({
  name: 'get_timeline',
  title: 'What happened when: the resolved timeline',
  description:
    'The stretches of a day or range (at most 31 days) in time order: who owned each stretch ' +
    'after overlaps are resolved and time away removed, consecutive pieces of one activity ' +
    "joined. Paged: pass the answer's next as cursor.",
  scope: 'read_only',
  readOnly: true,
  input: {
    ...periodShape,
    limit: z.number().int().min(1).max(200).default(50).describe('Most stretches per page.'),
    cursor: z.string().max(64).optional().describe('The next of the previous page.'),
  },
  output: {
    period: periodOutput,
    activeSeconds: z.number().int(),
    stretches: z.array(stretchOutput),
    next: z.string().nullable().describe('Pass as cursor for the next page; null: no more.'),
  },
  async run(args, ctx) {
    const { zone, period } = await resolve(ctx, args)
    const t = await ctx.api.timeline({
      ...isoRange(period),
      tz: zone,
      limit: args.limit,
      ...(args.cursor === undefined ? {} : { after: args.cursor }),
    })
    const stretches = t.stretches.map((s) => ({
      start: s.start,
      end: s.end,
      seconds: s.seconds,
      app: s.app,
      project: s.project,
      category: s.category,
      entity: s.entity,
      branch: s.branch,
      language: s.language,
      device: s.device,
    }))
    const lines = stretches.map((s) => {
      const names = [s.app, s.project, s.entity].filter((n) => n !== '').join(' · ')
      return (
        `- ${localClock(Date.parse(s.start), zone)}–${localClock(Date.parse(s.end), zone)} ` +
        `${names} (${formatDuration(s.seconds)})`
      )
    })
    return {
      text:
        `${periodLabel(period.out)}: ${formatDuration(t.activeSeconds)} active, ` +
        `${stretches.length} stretch${stretches.length === 1 ? '' : 'es'} on this page` +
        (lines.length > 0 ? `:\n${lines.join('\n')}` : '.') +
        (t.next === null ? '' : `\nMore: call again with cursor ${t.next}.`),
      data: { period: period.out, activeSeconds: t.activeSeconds, stretches, next: t.next },
    }
  },
})

const searchActivity = tool({
  name: 'search_activity',
  title: 'Find activity by words',
  description:
    'Full-text search over file names, window titles, URLs, projects, apps, branches and label ' +
    'text, newest first, with the active seconds each hit owned. Optionally within a period.',
  scope: 'data',
  readOnly: true,
  input: {
    text: z.string().min(1).max(500).describe('Words; each matches as a prefix.'),
    ...periodShape,
    limit: z.number().int().min(1).max(100).default(20),
  },
  output: {
    query: z.string(),
    activeSeconds: z.number().int().describe('All hits together.'),
    hits: z.array(
      z.object({
        kind: z.enum(['event', 'label']),
        start: z.string(),
        end: z.string().nullable(),
        activeSeconds: z.number().int(),
        name: z.string().describe('The file, title, URL or label text.'),
        app: z.string().nullable(),
        project: z.string().nullable(),
        category: z.string().nullable(),
      }),
    ),
  },
  async run(args, ctx) {
    const bounded = args.period !== undefined || args.start !== undefined || args.end !== undefined
    const { zone, period } = await resolve(ctx, args)
    const found = await ctx.api.search({
      text: args.text,
      limit: args.limit,
      ...(bounded ? { startUtc: period.startMs / 1000, endUtc: period.endMs / 1000 } : {}),
    })
    const hits = found.map((h) =>
      h.type === 'event'
        ? {
            kind: 'event' as const,
            start: h.event.timestamp,
            end: h.event.endTimestamp,
            activeSeconds: h.activeSeconds,
            name: h.event.entity ?? '',
            app: h.event.app,
            project: h.event.project,
            category: h.event.category,
          }
        : {
            kind: 'label' as const,
            start: formatTimestamp(h.label.startUtc * 1000),
            end: formatTimestamp(h.label.endUtc * 1000),
            activeSeconds: h.activeSeconds,
            name: h.label.text,
            app: null,
            project: null,
            category: null,
          },
    )
    const total = hits.reduce((s, h) => s + h.activeSeconds, 0)
    const lines = hits.map(
      (h) =>
        `- ${localTime(Date.parse(h.start), zone)} ${h.kind === 'label' ? 'label ' : ''}` +
        `${h.name}${h.project ? ` (${h.project})` : ''}: ${formatDuration(h.activeSeconds)}`,
    )
    return {
      text:
        `${hits.length} hit${hits.length === 1 ? '' : 's'} for "${args.text}"` +
        `${bounded ? ` in ${periodLabel(period.out)}` : ''}, ${formatDuration(total)} active` +
        (lines.length > 0 ? `:\n${lines.join('\n')}` : '.'),
      data: { query: args.text, activeSeconds: total, hits },
    }
  },
})

const dayRun = z.object({
  days: z.number().int(),
  start: z.string().nullable(),
  end: z.string().nullable(),
})

const getInsights = tool({
  name: 'get_insights',
  title: 'Streaks, most active day, averages, hours of the day',
  description:
    'Longest and current streak of active days, the most active day, daily averages and the ' +
    'average active time per hour of the day, over a year, month, ISO week or day (default: all ' +
    'recorded time; the most active day defaults to this year).',
  scope: 'read_only',
  readOnly: true,
  input: {
    range: z
      .string()
      .regex(/^\d{4}(-\d{2}(-\d{2})?|-W\d{2})?$/)
      .optional()
      .describe('YYYY, YYYY-MM, YYYY-Www or YYYY-MM-DD.'),
  },
  output: {
    range: z.string().describe('The range, or "all" for all recorded time.'),
    timeZone: z.string(),
    streak: z.object({ current: dayRun, longest: dayRun }),
    mostActiveDay: z
      .object({ range: z.string(), date: z.string(), seconds: z.number().int() })
      .nullable(),
    dailyAverage: z.object({
      totalSeconds: z.number().int(),
      days: z.number().int(),
      activeDays: z.number().int(),
      averageSeconds: z.number(),
      activeDayAverageSeconds: z.number(),
    }),
    hourOfDay: z.array(z.object({ hour: z.number().int(), averageSeconds: z.number() })),
  },
  async run(args, ctx) {
    const { zone, calendar } = await where(ctx)
    const base = { tz: zone, ...(args.range === undefined ? {} : { insightRange: args.range }) }
    const dayRange = args.range ?? String(logicalDate(ctx.now(), calendar).year)
    const [streak, most, average, hours] = await Promise.all([
      ctx.api.insight({ ...base, insightType: 'streak' }),
      ctx.api.insight({ tz: zone, insightType: 'mostActiveDay', insightRange: dayRange }),
      ctx.api.insight({ ...base, insightType: 'dailyAverage' }),
      ctx.api.insight({ ...base, insightType: 'hourOfDay' }),
    ])
    if (!('streak' in streak) || !('mostActiveDay' in most) || !('dailyAverage' in average)) {
      throw new Error('the daemon answered an insight of another type')
    }
    const hourOfDay = 'hourOfDay' in hours ? hours.hourOfDay : []
    const mostActiveDay =
      most.mostActiveDay.total_duration > 0
        ? {
            range: dayRange,
            date: most.mostActiveDay.date,
            seconds: most.mostActiveDay.total_duration,
          }
        : null
    const d = average.dailyAverage
    const peak = [...hourOfDay]
      .sort((a, b) => b.averageSeconds - a.averageSeconds)
      .slice(0, 3)
      .filter((h) => h.averageSeconds > 0)
      .map((h) => `${String(h.hour).padStart(2, '0')}:00 (${formatDuration(h.averageSeconds)})`)
    const s = streak.streak
    return {
      text: [
        `Insights for ${args.range ?? 'all recorded time'} (${zone}):`,
        `- streak: current ${s.current.days} day${s.current.days === 1 ? '' : 's'}, longest ${s.longest.days}` +
          (s.longest.start ? ` (${s.longest.start} – ${s.longest.end})` : ''),
        `- most active day in ${dayRange}: ` +
          (mostActiveDay
            ? `${mostActiveDay.date}, ${formatDuration(mostActiveDay.seconds)}`
            : 'none'),
        `- ${formatDuration(d.totalSeconds)} over ${d.days} days, ${d.activeDays} active: ` +
          `${formatDuration(d.averageSeconds)} a day, ${formatDuration(d.activeDayAverageSeconds)} an active day`,
        `- busiest hours on average: ${peak.length > 0 ? peak.join(', ') : 'none'}`,
      ].join('\n'),
      data: {
        range: args.range ?? 'all',
        timeZone: zone,
        streak: s,
        mostActiveDay,
        dailyAverage: d,
        hourOfDay,
      },
    }
  },
})

const comparePeriods = tool({
  name: 'compare_periods',
  title: 'Two periods side by side',
  description:
    'Active time of two periods (a and b), split by a dimension: each group in both, and the ' +
    'difference b − a. Each period is a name or start/end, as in get_summary.',
  scope: 'read_only',
  readOnly: true,
  input: {
    a: z.object(periodShape).describe('The first period (e.g. last_week).'),
    b: z.object(periodShape).describe('The second period (e.g. this_week).'),
    groupBy: groupByInput,
    top_n: topN,
  },
  output: {
    groupBy: z.enum(GROUP_BYS),
    a: z.object({ period: periodOutput, totalSeconds: z.number().int() }),
    b: z.object({ period: periodOutput, totalSeconds: z.number().int() }),
    differenceSeconds: z.number().int().describe('b − a.'),
    groups: z.array(
      z.object({
        name: z.string(),
        a: z.number().int(),
        b: z.number().int(),
        difference: z.number().int(),
      }),
    ),
  },
  async run(args, ctx) {
    const w = await where(ctx)
    const now = ctx.now()
    const [pa, pb] = [args.a, args.b].map((p) => resolvePeriod(p, w.calendar, now)) as [
      ReturnType<typeof resolvePeriod>,
      ReturnType<typeof resolvePeriod>,
    ]
    const [sa, sb] = await Promise.all(
      [pa, pb].map((p) =>
        summarize(ctx.api, { preset: p.preset, tz: w.zone, groupBy: args.groupBy }),
      ),
    )
    if (!sa || !sb) throw new Error('no summary')
    const a = new Map(sa.groups.map((g) => [g.name, g.seconds]))
    const b = new Map(sb.groups.map((g) => [g.name, g.seconds]))
    const groups = [...new Set([...a.keys(), ...b.keys()])]
      .map((name) => {
        const [x, y] = [a.get(name) ?? 0, b.get(name) ?? 0]
        return { name, a: x, b: y, difference: y - x }
      })
      .sort((p, q) => Math.max(q.a, q.b) - Math.max(p.a, p.b) || (p.name < q.name ? -1 : 1))
      .slice(0, args.top_n)
    const signed = (s: number) => `${s < 0 ? '−' : '+'}${formatDuration(Math.abs(s))}`
    return {
      text:
        `a = ${periodLabel(pa.out)}: ${formatDuration(sa.totalSeconds)}; ` +
        `b = ${periodLabel(pb.out)}: ${formatDuration(sb.totalSeconds)} ` +
        `(${signed(sb.totalSeconds - sa.totalSeconds)}).` +
        (groups.length > 0
          ? `\nBy ${args.groupBy} (a → b):\n` +
            groups
              .map(
                (g) =>
                  `- ${g.name}: ${formatDuration(g.a)} → ${formatDuration(g.b)} (${signed(g.difference)})`,
              )
              .join('\n')
          : ''),
      data: {
        groupBy: args.groupBy,
        a: { period: pa.out, totalSeconds: sa.totalSeconds },
        b: { period: pb.out, totalSeconds: sb.totalSeconds },
        differenceSeconds: sb.totalSeconds - sa.totalSeconds,
        groups,
      },
    }
  },
})

const listSessions = tool({
  name: 'list_sessions',
  title: 'Work sessions',
  description:
    'Sessions of continuous activity in a period: activity joined across gaps shorter than the ' +
    "sessionGapMinutes setting (default 15), with each session's active seconds.",
  scope: 'read_only',
  readOnly: true,
  input: { ...periodShape },
  output: {
    period: periodOutput,
    activeSeconds: z.number().int(),
    sessions: z.array(
      z.object({ start: z.string(), end: z.string(), activeSeconds: z.number().int() }),
    ),
  },
  async run(args, ctx) {
    const { zone, period } = await resolve(ctx, args)
    const sessions = await ctx.api.sessions(isoRange(period))
    const total = sessions.reduce((s, x) => s + x.activeSeconds, 0)
    const lines = sessions.map(
      (s) =>
        `- ${localTime(Date.parse(s.start), zone)}–${localClock(Date.parse(s.end), zone)}: ` +
        `${formatDuration(s.activeSeconds)} active`,
    )
    return {
      text:
        `${periodLabel(period.out)}: ${sessions.length} session${sessions.length === 1 ? '' : 's'}, ` +
        `${formatDuration(total)} active` +
        (lines.length > 0 ? `:\n${lines.join('\n')}` : '.'),
      data: { period: period.out, activeSeconds: total, sessions },
    }
  },
})

const labelOutput = z.object({
  id: z.string(),
  text: z.string(),
  context: z.string().nullable(),
  start: z.string(),
  end: z.string(),
})

const toLabel = (l: {
  id: string
  text: string
  context: string | null
  startUtc: number
  endUtc: number
}) => ({
  id: l.id,
  text: l.text,
  context: l.context,
  start: formatTimestamp(l.startUtc * 1000),
  end: formatTimestamp(l.endUtc * 1000),
})

const listLabels = tool({
  name: 'list_labels',
  title: 'Labels on stretches of time',
  description: 'Labels overlapping a period, or the most recent ones when no period is given.',
  scope: 'read_only',
  readOnly: true,
  input: { ...periodShape, limit: z.number().int().min(1).max(200).default(50) },
  output: { labels: z.array(labelOutput) },
  async run(args, ctx) {
    const bounded = args.period !== undefined || args.start !== undefined || args.end !== undefined
    const { zone, period } = await resolve(ctx, args)
    const labels = (
      await ctx.api.labels({
        limit: args.limit,
        ...(bounded ? { startUtc: period.startMs / 1000, endUtc: period.endMs / 1000 } : {}),
      })
    ).map(toLabel)
    const lines = labels.map(
      (l) =>
        `- ${localTime(Date.parse(l.start), zone)}–${localClock(Date.parse(l.end), zone)}: ${l.text}`,
    )
    return {
      text:
        `${labels.length} label${labels.length === 1 ? '' : 's'}` +
        (bounded ? ` in ${periodLabel(period.out)}` : ' (most recent)') +
        (lines.length > 0 ? `:\n${lines.join('\n')}` : '.'),
      data: { labels },
    }
  },
})

const createLabel = tool({
  name: 'create_label',
  title: 'Label a stretch of time',
  description:
    'Adds a label (what a stretch of time was: a meeting, a ticket, a focus block). start and ' +
    "end are RFC 3339, or local date-times like 2025-09-11T14:30 in Daybook's time zone.",
  scope: 'data',
  readOnly: false,
  input: {
    text: z.string().min(1).max(1000),
    start: z.string().max(40),
    end: z.string().max(40),
    context: z.string().max(10_000).optional().describe('Free text: notes, a link.'),
  },
  output: { label: labelOutput },
  async run(args, ctx) {
    const { zone } = await where(ctx)
    const startMs = parseInstant(args.start, zone, 'start')
    const endMs = parseInstant(args.end, zone, 'end')
    const label = toLabel(
      await ctx.api.createLabel({
        text: args.text,
        startUtc: startMs / 1000,
        endUtc: endMs / 1000,
        ...(args.context === undefined ? {} : { context: args.context }),
      }),
    )
    return {
      text: `Labelled ${localTime(startMs, zone)}–${localClock(endMs, zone)} "${label.text}" (id ${label.id}).`,
      data: { label },
    }
  },
})

const getStatus = tool({
  name: 'get_status',
  title: 'Collectors, devices and silence',
  description:
    'Each collector and device and when it last sent data (silent for more than 15 minutes is ' +
    "flagged), and this machine's watcher. Use it when numbers look low: is anything recording?",
  scope: 'read_only',
  readOnly: true,
  input: {},
  output: {
    collectors: z.array(
      z.object({
        source: z.string(),
        device: z.string(),
        kind: z.string(),
        lastSeen: z.string(),
        silentSeconds: z.number().int(),
        silent: z.boolean(),
      }),
    ),
    devices: z.array(
      z.object({
        name: z.string(),
        own: z.boolean(),
        lastSeen: z.string().nullable(),
        events: z.number().int(),
      }),
    ),
    watcher: z
      .object({
        running: z.boolean(),
        collectors: z.array(
          z.object({ collector: z.string(), state: z.string(), waiting: z.number().int() }),
        ),
      })
      .nullable(),
  },
  async run(_args, ctx) {
    const s = await ctx.api.status()
    const collectors = s.collectors.map((c) => ({
      source: c.source,
      device: c.device,
      kind: c.kind,
      lastSeen: c.lastSeen,
      silentSeconds: c.silentSeconds,
      silent: c.silentSeconds > SILENT_AFTER_SECONDS,
    }))
    const devices = s.devices.map((d) => ({
      name: d.name,
      own: d.own,
      lastSeen: d.lastSeen,
      events: d.events,
    }))
    const watcher = s.watchers && {
      running: s.watchers.running,
      collectors: s.watchers.collectors.map((c) => ({
        collector: c.collector,
        state: c.state,
        waiting: c.waiting,
      })),
    }
    const lines = collectors.map(
      (c) =>
        `- ${c.source} on ${c.device} (${c.kind}): last data ${formatDuration(c.silentSeconds)} ago` +
        (c.silent ? ' — SILENT' : ''),
    )
    return {
      text:
        `Daybook ${s.version}, ${s.counts.events} events on ${devices.length} device` +
        `${devices.length === 1 ? '' : 's'} (${devices.map((d) => d.name + (d.own ? ', this one' : '')).join('; ')}).` +
        (lines.length > 0
          ? `\nCollectors:\n${lines.join('\n')}`
          : '\nNo collector has sent data.') +
        (watcher
          ? `\nWatcher: ${watcher.running ? 'running' : 'not running'}` +
            (watcher.collectors.length > 0
              ? ` (${watcher.collectors.map((c) => `${c.collector} ${c.state}, ${c.waiting} waiting`).join('; ')})`
              : '')
          : '\nNo watcher has run on this machine.'),
      data: { collectors, devices, watcher },
    }
  },
})

/** The tools besides get_capabilities, in the order they are listed. */
const WORK_TOOLS = [
  getSummary,
  getTimeline,
  searchActivity,
  getInsights,
  comparePeriods,
  listSessions,
  listLabels,
  createLabel,
  getStatus,
]

const getCapabilities: DaybookTool = tool({
  name: 'get_capabilities',
  title: 'What Daybook holds and how to ask it',
  description:
    'Call first: the devices and sources recorded, the dates covered, the time zone and the ' +
    'current time, and what each other tool needs (periods, groupings, the token scope).',
  scope: 'read_only',
  readOnly: true,
  input: {},
  output: {
    now: z.string(),
    today: z.string(),
    timeZone: z.string(),
    startOfDay: z.string(),
    recorded: z.object({
      firstActivity: z.string().nullable(),
      lastActivity: z.string().nullable(),
      daysRecorded: z.number().int(),
      activeSeconds: z.number().int(),
    }),
    devices: z.array(
      z.object({ name: z.string(), own: z.boolean(), lastSeen: z.string().nullable() }),
    ),
    sources: z.array(z.string()),
    scope: z.string().nullable().describe("The token's scope, when known."),
    periods: z.array(z.string()),
    groupBy: z.array(z.string()),
    tools: z.array(
      z.object({ name: z.string(), needs: z.string(), readOnly: z.boolean(), title: z.string() }),
    ),
  },
  async run(_args, ctx) {
    const { zone, calendar, settings } = await where(ctx)
    const [recorded, devices, status] = await Promise.all([
      ctx.api.recorded({ tz: zone }),
      ctx.api.devices(),
      ctx.api.status(),
    ])
    const now = ctx.now()
    const sources = [...new Set(status.collectors.map((c) => c.source))].sort()
    const tools = [getCapabilities, ...WORK_TOOLS].map((t: DaybookTool) => ({
      name: t.name,
      needs: t.scope,
      readOnly: t.readOnly,
      title: t.title,
    }))
    const data = {
      now: formatTimestamp(now),
      today: logicalDate(now, calendar).toString(),
      timeZone: zone,
      startOfDay: settings.startOfDay,
      recorded: {
        firstActivity: recorded.firstActivity,
        lastActivity: recorded.lastActivity,
        daysRecorded: recorded.daysRecorded,
        activeSeconds: recorded.activeSeconds,
      },
      devices: devices.map((d) => ({ name: d.name, own: d.own, lastSeen: d.lastSeen })),
      sources,
      scope: ctx.scope ?? null,
      periods: [...PERIOD_NAMES, 'start/end: YYYY-MM-DD (local days) or RFC 3339'],
      groupBy: [...GROUP_BYS],
      tools,
    }
    const span =
      recorded.firstActivity === null
        ? 'nothing recorded yet'
        : `recorded from ${localTime(Date.parse(recorded.firstActivity), zone)} to ` +
          `${localTime(Date.parse(recorded.lastActivity ?? recorded.firstActivity), zone)} ` +
          `(${recorded.daysRecorded} days with activity, ${formatDuration(recorded.activeSeconds)} active)`
    return {
      text: [
        `Daybook: now ${localTime(now, zone)} (${zone}, days start at ${settings.startOfDay}); ${span}.`,
        `Devices: ${devices.map((d) => d.name + (d.own ? ' (this one)' : '')).join(', ') || 'none'}.`,
        `Sources: ${sources.join(', ') || 'none yet'}.`,
        `Periods: ${PERIOD_NAMES.join(', ')}, or start/end as YYYY-MM-DD or RFC 3339.`,
        `Group by: ${GROUP_BYS.join(', ')}.`,
        `Tools: ${tools.map((t) => `${t.name} (${t.needs}${t.readOnly ? '' : ', writes'})`).join(', ')}.` +
          (ctx.scope ? ` This token's scope: ${ctx.scope}.` : ''),
      ].join('\n'),
      data,
    }
  },
})

/** Every tool, get_capabilities first. */
export const TOOLS: readonly DaybookTool[] = [getCapabilities, ...WORK_TOOLS]

/** A tool's answer, or the failure in words (a refused scope, a bad period, the daemon away). */
export type ToolOutcome =
  { ok: true; text: string; data: Record<string, unknown> } | { ok: false; error: string }

/** Runs a tool with already-validated arguments; failures become words, never exceptions. */
export async function runTool(
  tool: DaybookTool,
  args: unknown,
  ctx: ToolContext,
): Promise<ToolOutcome> {
  try {
    const answer = await tool.run(args as never, ctx)
    return { ok: true, text: answer.text, data: answer.data }
  } catch (err) {
    return { ok: false, error: describeToolFailure(err, tool) }
  }
}
