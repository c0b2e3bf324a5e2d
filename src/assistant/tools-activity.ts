/**
 * The assistant's tools about what happened when: `get_timeline`, `search_activity`,
 * `list_sessions`, `list_labels` and `create_label`.
 */
import * as z from 'zod'
import { formatTimestamp } from '../domain/calendar.ts'
import { formatDuration } from '../domain/time.ts'
import { localClock, localTime, where } from './context.ts'
import { isoRange, parseInstant, periodOutput, periodShape } from './periods.ts'
import { periodLabel, resolve, tool } from './tool.ts'

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

export const getTimeline = tool({
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

export const searchActivity = tool({
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

export const listSessions = tool({
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

export const toLabel = (l: {
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

export const listLabels = tool({
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

export const createLabel = tool({
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
