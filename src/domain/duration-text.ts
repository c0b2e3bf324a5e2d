/**
 * How Daybook writes a duration for people, in the CLI and on the dashboard alike. Below an hour
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
