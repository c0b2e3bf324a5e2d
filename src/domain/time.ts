/**
 * Units of time in milliseconds, the one rule for a range's order that every route, wire and
 * service applies, and the one way a duration is written for people.
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

/**
 * How Daybook writes a duration for people: in the CLI, on the dashboard and by the assistant. Below an hour
 * nothing is cut: minutes and seconds (`12m 54s`), so rows of 53 s, 43 s and 9 s add up on screen
 * to the `1m 45s` above them. From an hour on, minutes are enough: rounded to the nearest one
 * (`1h 5m`), not floored. A part that is zero is left out (`45m`, `2h`).
 */
export function formatDuration(seconds: number): string {
  const s = Number.isFinite(seconds) ? Math.max(0, Math.round(seconds)) : 0
  if (s < 60) return `${s}s`
  if (s < 3600) {
    const m = Math.floor(s / 60)
    const rest = s % 60
    return rest === 0 ? `${m}m` : `${m}m ${rest}s`
  }
  const minutes = Math.round(s / 60)
  const h = Math.floor(minutes / 60)
  const m = minutes % 60
  return m === 0 ? `${h}h` : `${h}h ${m}m`
}
