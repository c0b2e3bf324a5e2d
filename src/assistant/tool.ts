/**
 * What every assistant tool is made of: its shape (`DaybookTool`), and the inputs, groupings and
 * period handling the tools share.
 */
import * as z from 'zod'
import type { Scope } from '../domain/access.ts'
import { type ToolContext, where } from './context.ts'
import type { PERIOD_NAMES, periodOutput } from './periods.ts'
import { type PeriodArgs, resolvePeriod } from './periods.ts'

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
export function tool<I extends z.ZodRawShape, O extends z.ZodRawShape>(
  t: DaybookTool<I, O>,
): DaybookTool {
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
export const SILENT_AFTER_SECONDS = 15 * 60

export const FILTERS = {
  projects: 'project',
  apps: 'app',
  categories: 'category',
  languages: 'language',
  branches: 'branch',
  entities: 'entity',
  devices: 'device',
} as const

export const filterShape = Object.fromEntries(
  Object.entries(FILTERS).map(([param, dim]) => [
    param,
    z.array(z.string().max(4096)).max(100).optional().describe(`Only these ${dim} names (exact).`),
  ]),
) as Record<keyof typeof FILTERS, z.ZodOptional<z.ZodArray<z.ZodString>>>

export const groupByInput = z
  .enum(GROUP_BYS)
  .default('project')
  .describe('What to split the time by; label = the time inside each label, by its text.')
export const topN = z.number().int().min(1).max(100).default(10).describe('Most groups to list.')

export const percent = (part: number, total: number) =>
  total > 0 ? ` (${Math.round((part / total) * 100)}%)` : ''

/** `this_week (2025-09-08 – 2025-09-14, Europe/Berlin)`. */
export function periodLabel(p: z.infer<typeof periodOutput>): string {
  const days = p.firstDay === p.lastDay ? p.firstDay : `${p.firstDay} – ${p.lastDay}`
  return `${p.name} (${days}, ${p.timeZone})`
}

export async function resolve(
  ctx: ToolContext,
  args: PeriodArgs,
  fallback?: (typeof PERIOD_NAMES)[number],
) {
  const w = await where(ctx)
  return { ...w, period: resolvePeriod(args, w.calendar, ctx.now(), fallback) }
}
