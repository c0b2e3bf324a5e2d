/**
 * Units of time in milliseconds, and the one rule for a range's order that every route, wire and
 * service applies.
 */
import { UnprocessableError } from './errors.ts'

const SECOND_MS = 1000
export const MINUTE_MS = 60 * SECOND_MS
export const HOUR_MS = 60 * MINUTE_MS
export const DAY_MS = 24 * HOUR_MS

/**
 * Refuses a range that ends before it starts: 422 `invalid_range`, "`end` is before `start`",
 * naming the fields as the request spelled them (`body/endUtc`, `preset[custom][end]`). An empty
 * range (end equal to start) is allowed. Either side may be absent (an open range).
 */
export function checkRangeOrder(
  startMs: number | undefined,
  endMs: number | undefined,
  field: { start: string; end: string } = { start: 'start', end: 'end' },
): void {
  if (startMs !== undefined && endMs !== undefined && endMs < startMs) {
    throw new UnprocessableError(
      'invalid_range',
      `${field.end} is before ${field.start}`,
      field.end,
    )
  }
}

/** `3h 12m`, `45m`, `30s`: the largest units that matter for a day's numbers. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h === 0 ? `${m}m` : `${h}h ${m}m`
}
