/**
 * How the dashboard writes durations, shares, dates and times (also what its tests compare).
 * Dates and times follow the browser's locale; a locale that counts the day in 24 hours shows
 * midnight as `00:00`, never `24:00` (what `hour12: false` gives in some browsers).
 */
import { count } from '../../src/domain/words.ts'

export { formatDuration } from '../../src/domain/time.ts'
/** Counts in words (`1 day`, `2 days`), as the CLI writes them. */
export { count }

/** `42%`, `<1%` for a small but present share. */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0 || part <= 0) return '0%'
  const pct = (part / whole) * 100
  return pct < 1 ? '<1%' : `${Math.round(pct)}%`
}

/** The locale's own clock: 12-hour where it uses one, else 24 hours from `00` to `23`. */
function hourCycle(): 'h12' | 'h23' {
  const hc = new Intl.DateTimeFormat(undefined, { hour: 'numeric' }).resolvedOptions().hourCycle
  return hc === 'h11' || hc === 'h12' ? 'h12' : 'h23'
}

const formats = new Map<string, Intl.DateTimeFormat>()

/** One formatter per zone and shape: building one costs far more than using it. */
function cached(key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = formats.get(key)
  if (!f) formats.set(key, (f = make()))
  return f
}

function clockOptions(seconds = false): Intl.DateTimeFormatOptions {
  const hc = hourCycle()
  return {
    hour: hc === 'h23' ? '2-digit' : 'numeric',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
    hourCycle: hc,
  }
}

/** Local wall time of an instant in `timeZone`, as the browser's locale writes it. */
export function formatClock(ms: number, timeZone: string): string {
  return cached(
    `clock ${timeZone}`,
    () => new Intl.DateTimeFormat(undefined, { timeZone, ...clockOptions() }),
  ).format(ms)
}

/** An hour of the day (0–23) as the locale writes it on an axis: `09`, or `9 AM`. */
export function formatHour(hour: number): string {
  const hc = hourCycle()
  if (hc === 'h23') return String(hour).padStart(2, '0')
  return cached(
    'hour',
    () => new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', hour: 'numeric', hourCycle: hc }),
  ).format(Date.UTC(2000, 0, 1, hour))
}

/** `HH:MM` on a 24-hour clock: the value of an `<input type="time">`, whatever the locale. */
export function inputTime(ms: number, timeZone: string): string {
  return cached(
    `input ${timeZone}`,
    () =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }),
  ).format(ms)
}

/** A weekday, date and time in `timeZone`, as the locale writes them. */
export function formatDateTime(ms: number, timeZone: string): string {
  return cached(
    `datetime ${timeZone}`,
    () =>
      new Intl.DateTimeFormat(undefined, {
        timeZone,
        weekday: 'short',
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        ...clockOptions(),
      }),
  ).format(ms)
}

/** Day, month and time to the second in `timeZone`, as the locale writes them (a log's times). */
export function formatStamp(ms: number, timeZone: string): string {
  return cached(
    `stamp ${timeZone}`,
    () =>
      new Intl.DateTimeFormat(undefined, {
        timeZone,
        day: 'numeric',
        month: 'short',
        ...clockOptions(true),
      }),
  ).format(ms)
}

/** A calendar date (`YYYY-MM-DD`) as the locale writes it, with the options given. */
export function formatDate(date: string, options: Intl.DateTimeFormatOptions): string {
  const [y, m, d] = date.split('-').map(Number)
  return cached(
    `date ${JSON.stringify(options)}`,
    () => new Intl.DateTimeFormat(undefined, { ...options, timeZone: 'UTC' }),
  ).format(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1))
}

/** `3 min ago`, `2 h ago`, `5 days ago`. */
export function formatAgo(seconds: number): string {
  if (seconds < 60) return 'just now'
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  const days = Math.floor(seconds / 86_400)
  return `${count(days, 'day')} ago`
}
