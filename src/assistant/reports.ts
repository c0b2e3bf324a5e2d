/**
 * Markdown reports (the MCP resources `daybook://today` and `daybook://week`) and the data behind
 * the `standup` and `timesheet` prompts, from the same summaries the tools use.
 */
import { summarize } from '../client/reports.ts'
import { formatDuration } from '../domain/time.ts'
import { type ToolContext, where } from './context.ts'
import { type PeriodName, resolvePeriod } from './periods.ts'

const percent = (part: number, total: number) =>
  total > 0 ? `${Math.round((part / total) * 100)}%` : ''

const escapeCell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ')

/** A period's report: the total, then projects, apps and categories as tables. */
export async function markdownReport(ctx: ToolContext, name: PeriodName): Promise<string> {
  const { zone, calendar } = await where(ctx)
  const period = resolvePeriod({ period: name }, calendar, ctx.now())
  const dims = ['project', 'app', 'category'] as const
  const parts = await Promise.all(
    dims.map((groupBy) => summarize(ctx.api, { preset: period.preset, tz: zone, groupBy })),
  )
  const total = parts[0]?.totalSeconds ?? 0
  const days =
    period.out.firstDay === period.out.lastDay
      ? period.out.firstDay
      : `${period.out.firstDay} – ${period.out.lastDay}`
  const title = name === 'today' ? 'Today' : name === 'this_week' ? 'This week' : name
  const out = [`# ${title}: ${days} (${zone})`, '', `**${formatDuration(total)}** active.`]
  dims.forEach((dim, i) => {
    const groups = parts[i]?.groups.slice(0, 15) ?? []
    if (groups.length === 0) return
    out.push('', `## By ${dim}`, '', `| ${dim} | time | share |`, '| --- | ---: | ---: |')
    for (const g of groups) {
      out.push(
        `| ${escapeCell(g.name)} | ${formatDuration(g.seconds)} | ${percent(g.seconds, total)} |`,
      )
    }
  })
  if (total === 0) out.push('', 'No activity recorded.')
  return `${out.join('\n')}\n`
}

/** Yesterday and today by project, each project with its branches: what a stand-up needs. */
export async function standupText(ctx: ToolContext): Promise<string> {
  const { zone, calendar } = await where(ctx)
  const now = ctx.now()
  const out = [
    'Write my stand-up update from what Daybook recorded (active time; overlaps counted once, ' +
      'time away left out). Keep it short: what I did yesterday and what I am doing today, ' +
      'by project; mention branches where they say what the work was.',
  ]
  for (const name of ['yesterday', 'today'] as const) {
    const period = resolvePeriod({ period: name }, calendar, now)
    const byProject = await summarize(ctx.api, {
      preset: period.preset,
      tz: zone,
      groupBy: 'project',
    })
    out.push(
      '',
      `${name === 'today' ? 'Today so far' : 'Yesterday'} (${period.out.firstDay}): ` +
        `${formatDuration(byProject.totalSeconds)} active`,
    )
    for (const p of byProject.groups.slice(0, 8)) {
      const branches = await summarize(ctx.api, {
        preset: period.preset,
        tz: zone,
        groupBy: 'branch',
        filters: { projects: [p.name] },
      })
      const list = branches.groups
        .slice(0, 5)
        .map((b) => `${b.name} ${formatDuration(b.seconds)}`)
        .join(', ')
      out.push(`- ${p.name}: ${formatDuration(p.seconds)}${list ? ` (branches: ${list})` : ''}`)
    }
    if (byProject.groups.length === 0) out.push('- nothing recorded')
  }
  return out.join('\n')
}

/** A week as a table of projects by day, in hours with two decimals. */
export async function timesheetText(
  ctx: ToolContext,
  week: 'this_week' | 'last_week',
): Promise<string> {
  const { zone, calendar } = await where(ctx)
  const period = resolvePeriod({ period: week }, calendar, ctx.now())
  const rows = await ctx.api.buckets({
    preset: period.preset,
    tz: zone,
    groupBy: 'project',
    bucket: 'day',
  })
  const days: string[] = []
  for (
    let d = period.out.firstDay;
    d <= period.out.lastDay;
    d = new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
  ) {
    days.push(d)
  }
  const cells = new Map<string, Map<string, number>>()
  for (const row of rows) {
    for (const [project, seconds] of Object.entries(row.groupedValues)) {
      let byDay = cells.get(project)
      if (!byDay) cells.set(project, (byDay = new Map<string, number>()))
      byDay.set(row.bucket, (byDay.get(row.bucket) ?? 0) + seconds)
    }
  }
  const hours = (s: number) => (s / 3600).toFixed(2)
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0)
  const projects = [...cells.entries()].sort((a, b) => sum(b[1]) - sum(a[1]))
  const table = [
    `| project | ${days.join(' | ')} | total |`,
    `| --- | ${days.map(() => '---:').join(' | ')} | ---: |`,
    ...projects.map(
      ([project, byDay]) =>
        `| ${escapeCell(project)} | ${days.map((d) => hours(byDay.get(d) ?? 0)).join(' | ')} | ${hours(sum(byDay))} |`,
    ),
    `| total | ${days
      .map((d) => hours(projects.reduce((s, [, byDay]) => s + (byDay.get(d) ?? 0), 0)))
      .join(' | ')} | ${hours(projects.reduce((s, [, byDay]) => s + sum(byDay), 0))} |`,
  ]
  return [
    `Make my timesheet for ${period.out.firstDay} – ${period.out.lastDay} (${zone}) from the ` +
      'hours Daybook recorded per project and day below (active time, decimal hours). Present ' +
      'it as a table by project and day with totals; keep the numbers exactly as given.',
    '',
    ...table,
  ].join('\n')
}
