/**
 * The assistant's tools about totals: `get_summary`, `get_insights` and `compare_periods`.
 */
import * as z from 'zod'
import { summarize } from '../client/reports.ts'
import { logicalDate } from '../domain/calendar.ts'
import { formatDuration } from '../domain/time.ts'
import { where } from './context.ts'
import { periodOutput, periodShape, resolvePeriod } from './periods.ts'
import {
  FILTERS,
  GROUP_BYS,
  filterShape,
  groupByInput,
  percent,
  periodLabel,
  resolve,
  tool,
  topN,
} from './tool.ts'

export const getSummary = tool({
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

const dayRun = z.object({
  days: z.number().int(),
  start: z.string().nullable(),
  end: z.string().nullable(),
})

export const getInsights = tool({
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

export const comparePeriods = tool({
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
