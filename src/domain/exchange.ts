/**
 * Import and export, the pure parts: the formats, Daybook's own lossless record shapes, the CSV
 * columns, which items an import skips and why, and the summary an import ends with.
 */
import { parseTimestamp } from './calendar.ts'
import {
  EARLIEST_MS,
  MAX_EVENT_MS,
  MAX_FUTURE_MS,
  type NewActivityEvent,
  type NewAfkPeriod,
} from './events.ts'
import { BadRequestError } from './errors.ts'
import type { InputRow } from './input.ts'
import type { NewLabel } from './labels.ts'
import type { Heartbeat } from './wakatime/heartbeat.ts'

/** Formats `daybook export` writes. */
export const EXPORT_FORMATS = ['daybook', 'csv', 'activitywatch', 'wakatime'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** Formats `daybook import` reads (`wakapi`: a heartbeat list, `{"data":[…]}` or `[…]`). */
export const IMPORT_FORMATS = ['daybook', 'csv', 'activitywatch', 'wakatime', 'wakapi'] as const
export type ImportFormat = (typeof IMPORT_FORMATS)[number]

/** The version of the `daybook` format this build writes and reads. */
export const DAYBOOK_FORMAT_VERSION = 1

/**
 * One line of a `daybook` export (NDJSON). The first line is the header; settings come before
 * heartbeats, since the heartbeat timeout decides the events heartbeats derive.
 */
export type DaybookRecord =
  | { type: 'header'; format: 'daybook'; version: number; exportedAt: string; schema: number }
  | { type: 'settings'; settings: Record<string, unknown> }
  | { type: 'device'; name: string; own: boolean }
  | ({ type: 'label' } & NewLabel)
  | { type: 'heartbeat'; heartbeat: Heartbeat }
  | ({ type: 'event' } & NewActivityEvent)
  | ({ type: 'afk' } & NewAfkPeriod)
  /** A stored input row: a bucket of one device and source (`source` absent in older files). */
  | ({ type: 'input' } & InputRow)

/** The columns of the CSV format, in order; the header is required on import. */
export const CSV_COLUMNS = [
  'start',
  'end',
  'app',
  'title',
  'url',
  'project',
  'branch',
  'language',
  'category',
  'source',
  'device',
] as const
export type CsvColumn = (typeof CSV_COLUMNS)[number]

/** The source CSV rows without one get. */
export const CSV_SOURCE = 'csv-import'

/** An event as one CSV row (times RFC 3339 in UTC). */
export function eventToCsvRow(e: NewActivityEvent & { device: string }): string[] {
  const isUrl = e.entityType === 'Url'
  return [
    new Date(e.startMs).toISOString(),
    new Date(e.endMs).toISOString(),
    e.app,
    isUrl ? '' : e.entity,
    isUrl ? e.entity : '',
    e.project,
    e.branch ?? '',
    e.language ?? '',
    e.category,
    e.source,
    e.device,
  ]
}

/** Checks a CSV header: every column known, `start` and `end` present. Throws naming the column. */
export function checkCsvHeader(header: readonly string[]): void {
  for (const name of header) {
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      throw new BadRequestError(
        'unknown_column',
        `unknown column ${JSON.stringify(name)}; expected columns: ${CSV_COLUMNS.join(',')}`,
      )
    }
  }
  for (const required of ['start', 'end']) {
    if (!header.includes(required)) {
      throw new BadRequestError(
        'missing_column',
        `the header has no ${JSON.stringify(required)} column; expected columns: ${CSV_COLUMNS.join(',')}`,
      )
    }
  }
}

/** A CSV time: RFC 3339, or epoch seconds (fractions allowed). */
function csvTime(value: string, column: string): number {
  const v = value.trim()
  if (/^-?\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000)
  try {
    return parseTimestamp(v, column)
  } catch {
    throw new BadRequestError(
      'invalid_time',
      `${column} must be an RFC 3339 time or epoch seconds, got ${JSON.stringify(value)}`,
      column,
    )
  }
}

/** A CSV row (by column name) as an event; `device` is used when the row names none. */
export function csvRowToEvent(
  row: Readonly<Record<string, string | undefined>>,
  device: string | null,
): NewActivityEvent {
  const text = (k: CsvColumn) => (row[k] ?? '').trim()
  const startMs = csvTime(row.start ?? '', 'start')
  const endMs = csvTime(row.end ?? '', 'end')
  const url = text('url')
  const title = text('title')
  return {
    startMs,
    endMs,
    durationSec: null,
    category: text('category') || 'uncategorized',
    app: text('app'),
    entity: url || title,
    entityType: url ? 'Url' : title ? 'Window' : null,
    project: text('project'),
    projectPath: null,
    branch: text('branch') || null,
    language: text('language') || null,
    source: text('source') || CSV_SOURCE,
    device: text('device') || device,
  }
}

/** What an import counts items as. */
export type ItemKind =
  | 'event'
  | 'afk period'
  | 'heartbeat'
  | 'activitywatch event'
  | 'input bucket'
  | 'label'
  | 'setting'
  | 'device'

/**
 * Why an item with these times cannot be stored (the rules every wire obeys:
 * `checkEventTimes`), as a summary groups it ("before 1990"); undefined when it can.
 */
export function skipReason(
  startMs: number,
  endMs: number | null,
  nowMs: number,
): string | undefined {
  if (!Number.isFinite(startMs) || startMs < EARLIEST_MS) return 'before 1990'
  if (startMs > nowMs + MAX_FUTURE_MS) return 'in the future'
  if (endMs !== null && endMs < startMs) return 'ending before they start'
  if (endMs !== null && endMs - startMs > MAX_EVENT_MS) return 'longer than 7 days'
  return undefined
}

/** Counts per device or source. */
export interface ImportCount {
  imported: number
  duplicates: number
}

/** What an import did, as its job and the CLI report it. */
export interface ImportSummary {
  /** Items read from the input (skipped ones included). */
  read: number
  imported: number
  duplicates: number
  /** Skipped items, by "<kind>s <reason>": `{"heartbeats before 1990": 42}`. */
  skipped: Record<string, number>
  /** The earliest start and latest end of the items read that could be stored, or null. */
  range: { startMs: number; endMs: number } | null
  byDevice: Record<string, ImportCount>
  bySource: Record<string, ImportCount>
}

export function emptySummary(): ImportSummary {
  return {
    read: 0,
    imported: 0,
    duplicates: 0,
    skipped: {},
    range: null,
    byDevice: {},
    bySource: {},
  }
}

/** Adds `b` into `a` (mutating `a`): the summary of several imports as one. */
export function mergeSummary(a: ImportSummary, b: ImportSummary): ImportSummary {
  a.read += b.read
  a.imported += b.imported
  a.duplicates += b.duplicates
  for (const [k, n] of Object.entries(b.skipped)) a.skipped[k] = (a.skipped[k] ?? 0) + n
  if (b.range) {
    a.range = a.range
      ? {
          startMs: Math.min(a.range.startMs, b.range.startMs),
          endMs: Math.max(a.range.endMs, b.range.endMs),
        }
      : { ...b.range }
  }
  for (const [to, from] of [
    [a.byDevice, b.byDevice],
    [a.bySource, b.bySource],
  ] as const) {
    for (const [k, c] of Object.entries(from)) {
      const t = (to[k] ??= { imported: 0, duplicates: 0 })
      t.imported += c.imported
      t.duplicates += c.duplicates
    }
  }
  return a
}

/** Adds a skipped item: `42 heartbeats before 1990`. */
export function countSkipped(s: ImportSummary, kind: ItemKind, reason: string): void {
  const key = `${kind}s ${reason}`
  s.skipped[key] = (s.skipped[key] ?? 0) + 1
}

/** The summary as the lines a person reads. */
export function describeSummary(s: ImportSummary): string[] {
  const lines: string[] = []
  if (s.imported === 0 && s.duplicates > 0) {
    lines.push(`all duplicates: ${s.duplicates} items were imported before, nothing added`)
  } else {
    lines.push(`imported ${s.imported}, duplicates ${s.duplicates}`)
  }
  for (const [reason, n] of Object.entries(s.skipped)) lines.push(`skipped ${n} ${reason}`)
  if (s.range) {
    lines.push(
      `range ${new Date(s.range.startMs).toISOString()} to ${new Date(s.range.endMs).toISOString()}`,
    )
  }
  for (const [title, map] of [
    ['device', s.byDevice],
    ['source', s.bySource],
  ] as const) {
    for (const [name, c] of Object.entries(map)) {
      lines.push(`  ${title} ${name}: ${c.imported} imported, ${c.duplicates} duplicates`)
    }
  }
  return lines
}

/**
 * The format of an input, from its first bytes (whitespace skipped): `undefined` when it cannot
 * be told. NDJSON with a Daybook header is `daybook`; a JSON object with `buckets` is
 * ActivityWatch's, with `days` WakaTime's, with `data` (or a JSON array) Wakapi's heartbeats;
 * text whose first line names CSV columns is `csv`.
 */
export function detectFormat(head: string): ImportFormat | undefined {
  const text = head.replace(/^\uFEFF/, '').trimStart()
  if (text.startsWith('{')) {
    if (
      /^\{\s*"type"\s*:\s*"header"/.test(text) ||
      /"format"\s*:\s*"daybook"/.test(text.split('\n')[0] ?? '')
    ) {
      return 'daybook'
    }
    if (/^\{\s*"buckets"\s*:/.test(text)) return 'activitywatch'
    if (/"days"\s*:\s*\[/.test(text) || /^\{\s*"(user|range)"\s*:/.test(text)) return 'wakatime'
    if (/^\{\s*"data"\s*:/.test(text)) return 'wakapi'
    return undefined
  }
  if (text.startsWith('[')) return 'wakapi'
  const first = (text.split(/\r?\n/)[0] ?? '').split(',').map((c) => c.trim().replace(/^"|"$/g, ''))
  if (first.includes('start') && first.includes('end')) return 'csv'
  return undefined
}
