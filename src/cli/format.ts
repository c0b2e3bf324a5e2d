/**
 * Plain-text formatting for CLI output (durations: `formatDuration` in the domain, shared with
 * the dashboard and the assistant).
 */

/** A bar of `width` cells scaled so that `max` fills it; anything above zero shows at least one. */
export function bar(value: number, max: number, width = 24): string {
  if (value <= 0 || max <= 0) return ''
  return '█'.repeat(Math.max(1, Math.round((value / max) * width)))
}

const graphemes = new Intl.Segmenter()

/** How many characters a terminal shows for `text` (grapheme clusters, not UTF-16 units). */
function displayWidth(text: string): number {
  return Array.from(graphemes.segment(text)).length
}

/** Left-aligned columns, padded to the widest cell in each; the last column is not padded. */
export function columns(rows: string[][]): string {
  const widths: number[] = []
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))))
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - displayWidth(cell)),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** Epoch ms as local `YYYY-MM-DD HH:MM` (the terminal's zone). */
export function localTime(ms: number): string {
  const d = new Date(ms)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}
