/** How the dashboard writes durations, shares and times (also what its tests compare). */

/** `4h 27m`, `27m`, `45s`; whole minutes below the hour are floored, as a clock would show. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  if (s < 60) return s === 0 ? '0m' : `${s}s`
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h === 0 ? `${m}m` : `${h}h ${m}m`
}

/** `42%`, `<1%` for a small but present share. */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0 || part <= 0) return '0%'
  const pct = (part / whole) * 100
  return pct < 1 ? '<1%' : `${Math.round(pct)}%`
}

/** Local wall time `HH:MM` of an instant in `timeZone`. */
export function formatClock(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms)
}

/** `Mon 24 Nov 2025, 14:05` in `timeZone`. */
export function formatDateTime(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms)
}

/** `3 min ago`, `2 h ago`, `5 days ago`. */
export function formatAgo(seconds: number): string {
  if (seconds < 60) return 'just now'
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  const days = Math.floor(seconds / 86_400)
  return `${days} day${days === 1 ? '' : 's'} ago`
}
