/**
 * Counts in words for people: `1 event`, `2 events`, `1,234 AFK periods`. One rule for every line
 * the CLI, the collectors and the assistant print.
 */

const numbers = new Intl.NumberFormat('en')

/**
 * `n` and the noun that goes with it: `singular` for exactly one, else `plural` (default:
 * `singular` + `s`). Numbers are grouped (`1,234`).
 */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${numbers.format(n)} ${n === 1 ? singular : plural}`
}
