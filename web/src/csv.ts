/**
 * The view as CSV (RFC 4180): one line per bucket and group, every group (not only those the
 * chart names), seconds as integers, and the same line again as the page writes it.
 */
import type { Bucket } from '../../src/client/api.ts'
import { formatDuration } from './format.ts'

/**
 * A cell, quoted when it holds a quote, comma or line break. Text a spreadsheet would run as a
 * formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'`: a window title is anyone's text,
 * and a CSV is opened in spreadsheets.
 */
export function csvCell(value: string | number): string {
  let s = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

export function toCsv(rows: readonly (readonly (string | number)[])[]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n'
}

/** Bucket rows grouped by `groupBy` as CSV: `bucket,<groupBy>,seconds,duration`. */
export function bucketsCsv(rows: readonly Bucket[], groupBy: string): string {
  const lines: (string | number)[][] = [['bucket', groupBy, 'seconds', 'duration']]
  for (const r of rows) {
    const groups = Object.entries(r.groupedValues)
      .filter(([, s]) => s > 0)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    for (const [g, s] of groups) lines.push([r.bucket, g, s, formatDuration(s)])
  }
  return toCsv(lines)
}
