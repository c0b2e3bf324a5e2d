/**
 * What a tool runs with: the typed API under the caller's own token, and the daemon's clock.
 *
 * Every tool reads and writes through Daybook's HTTP API, never the store: inside the daemon the
 * requests are injected with the caller's own `Authorization` header, from `daybook mcp` they go
 * over the socket with the CLI's token. So each route's access check decides what a tool may do
 * with the caller's scope, and every number is the one the route answers.
 */
import { Temporal } from 'temporal-polyfill'
import type { DaybookApi, Settings } from '../client/api.ts'
import type { Scope } from '../domain/access.ts'
import { type Calendar, makeCalendar, processTimeZone } from '../domain/calendar.ts'
import { DaybookError } from '../domain/errors.ts'

export interface ToolContext {
  api: DaybookApi
  /** The daemon's time (epoch ms): its own clock inside it, this machine's from `daybook mcp`. */
  now: () => number
  /** The caller's scope when known (inside the daemon); `daybook mcp` does not know its token's. */
  scope?: Scope | undefined
}

/** The zone and calendar a tool computes in, read from the daemon's settings once per call. */
export interface Where {
  settings: Settings
  zone: string
  calendar: Calendar
}

/**
 * The daemon's zone when its `timezone` setting names one; otherwise this process's, which is the
 * daemon's own inside it and a local daemon's from `daybook mcp` (as `daybook summary` does).
 */
export async function where(ctx: ToolContext): Promise<Where> {
  const settings = await ctx.api.settings()
  const zone = settings.timezone ?? processTimeZone()
  return { settings, zone, calendar: makeCalendar(zone, settings.startOfDay) }
}

/** `2025-09-11 09:30` in `zone`. */
export function localTime(ms: number, zone: string): string {
  const z = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone)
  return `${z.toPlainDate().toString()} ${z.toPlainTime().toString({ smallestUnit: 'minute' })}`
}

/** `09:30` in `zone`. */
export function localClock(ms: number, zone: string): string {
  return Temporal.Instant.fromEpochMilliseconds(ms)
    .toZonedDateTimeISO(zone)
    .toPlainTime()
    .toString({ smallestUnit: 'minute' })
}

/** An HTTP refusal from either typed client (`client/api.ts` or `client/client.ts`). */
function httpFailure(err: unknown): { status: number; code: string; message: string } | undefined {
  if (!(err instanceof Error)) return undefined
  const e = err as Error & { status?: unknown; code?: unknown }
  return typeof e.status === 'number' && typeof e.code === 'string'
    ? { status: e.status, code: e.code, message: e.message }
    : undefined
}

/**
 * A failed tool call in words the model (and the person) can act on: a refused scope names the
 * scope the tool needs, a refused token says so, the daemon's own message otherwise.
 */
export function describeToolFailure(err: unknown, tool: { name: string; scope: Scope }): string {
  const http = httpFailure(err)
  if (http?.status === 403) {
    const needs = tool.scope === 'data' ? 'data or admin' : 'read_only, data or admin'
    return (
      `${tool.name} needs a Daybook token of scope ${needs}; the token in use may not do this ` +
      `(403 ${http.code}: ${http.message})`
    )
  }
  if (http?.status === 401) {
    return `Daybook refused the token (missing, wrong, expired or revoked): ${http.message}`
  }
  if (http) return `Daybook answered ${http.status} ${http.code}: ${http.message}`
  if (err instanceof DaybookError) return err.message
  if (err instanceof Error) return err.message
  return String(err)
}
