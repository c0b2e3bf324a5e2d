/**
 * The assistant's tools: one definition each, served as MCP tools (`mcp.ts`) and as OpenAI
 * function tools to the model behind `/v1/chat/completions` (`chat.ts`). Each answers with
 * a short text and structured data under its output schema; each reads and writes only through
 * the API with the caller's token (see `context.ts`), so the route decides what a scope may do.
 */
import * as z from 'zod'
import { formatTimestamp, logicalDate } from '../domain/calendar.ts'
import { formatDuration } from '../domain/time.ts'
import { count } from '../domain/words.ts'
import { type ToolContext, describeToolFailure, localTime, where } from './context.ts'
import { PERIOD_NAMES } from './periods.ts'
import { type DaybookTool, GROUP_BYS, SILENT_AFTER_SECONDS, tool } from './tool.ts'
import { comparePeriods, getInsights, getSummary } from './tools-totals.ts'
import {
  createLabel,
  getTimeline,
  listLabels,
  listSessions,
  searchActivity,
} from './tools-activity.ts'

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
        `Daybook ${s.version}, ${count(s.counts.events, 'event')} on ${count(devices.length, 'device')} ` +
        `(${devices.map((d) => d.name + (d.own ? ', this one' : '')).join('; ')}).` +
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
