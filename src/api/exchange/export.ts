/**
 * Exports written in a format's shape, as text chunks produced a record at a time: the response
 * streams them, so memory stays constant whatever the history's size.
 */
import type { ActivityEvent } from '../../domain/events.ts'
import { CSV_COLUMNS, type ExportFormat, eventToCsvRow } from '../../domain/exchange.ts'
import type { ExportQuery, ExportService } from '../../services/export.ts'

/** The content type each format is served as. */
export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  daybook: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
  activitywatch: 'application/json',
  wakatime: 'application/json',
}

/** The file name a download of each format suggests. */
export const EXPORT_FILE_NAMES: Record<ExportFormat, string> = {
  daybook: 'daybook-export.ndjson',
  csv: 'daybook-export.csv',
  activitywatch: 'aw-buckets-export.json',
  wakatime: 'wakatime-export.json',
}

/** The export as text chunks. */
export function exportChunks(
  service: ExportService,
  format: ExportFormat,
  q: ExportQuery,
): AsyncGenerator<string> {
  switch (format) {
    case 'daybook':
      return daybookChunks(service, q)
    case 'csv':
      return csvChunks(service, q)
    case 'activitywatch':
      return activityWatchChunks(service, q)
    case 'wakatime':
      return wakatimeChunks(service, q)
  }
}

async function* daybookChunks(service: ExportService, q: ExportQuery): AsyncGenerator<string> {
  for await (const r of service.daybook(q)) yield `${JSON.stringify(r)}\n`
}

async function* csvChunks(service: ExportService, q: ExportQuery): AsyncGenerator<string> {
  // Loaded by the first CSV export, not with every start of the daemon.
  const { stringify } = await import('csv-stringify/sync')
  yield stringify([[...CSV_COLUMNS]])
  for await (const e of service.events(q)) yield stringify([eventToCsvRow(e)])
}

/** The ActivityWatch bucket an event belongs in: by what it records. */
function awKind(e: ActivityEvent): 'window' | 'web' | 'editor' {
  if (e.entityType === 'Url') return 'web'
  if (e.language !== null || e.entityType === 'File' || e.source.startsWith('wakatime-')) {
    return 'editor'
  }
  return 'window'
}

const AW_BUCKETS = {
  window: { prefix: 'aw-watcher-window', type: 'currentwindow', client: 'aw-watcher-window' },
  web: { prefix: 'aw-watcher-web-daybook', type: 'web.tab.current', client: 'aw-watcher-web' },
  editor: {
    prefix: 'aw-watcher-daybook-editor',
    type: 'app.editor.activity',
    client: 'aw-watcher-daybook-editor',
  },
  afk: { prefix: 'aw-watcher-afk', type: 'afkstatus', client: 'aw-watcher-afk' },
} as const

function awData(kind: 'window' | 'web' | 'editor', e: ActivityEvent): Record<string, unknown> {
  switch (kind) {
    case 'window':
      return { app: e.app, title: e.entity }
    case 'web':
      return { url: e.entity, title: e.project, audible: false, incognito: false, tabCount: 1 }
    case 'editor':
      return {
        file: e.entity,
        project: e.project,
        language: e.language ?? '',
        ...(e.branch === null ? {} : { branch: e.branch }),
      }
  }
}

function awEvent(startMs: number, endMs: number, data: Record<string, unknown>): string {
  return JSON.stringify({
    timestamp: new Date(startMs).toISOString(),
    duration: (endMs - startMs) / 1000,
    data,
  })
}

/**
 * `{"buckets": {…}}` as aw-server imports it: per device a window, web, editor and AFK bucket
 * (each written when it has events), read one bucket at a time.
 */
async function* activityWatchChunks(
  service: ExportService,
  q: ExportQuery,
): AsyncGenerator<string> {
  yield '{"buckets":{'
  let firstBucket = true
  const created = new Date().toISOString()
  for (const device of await service.deviceNames(q)) {
    const only = { ...q, devices: [device] }
    for (const kind of ['window', 'web', 'editor', 'afk'] as const) {
      const meta = AW_BUCKETS[kind]
      const id = `${meta.prefix}_${device}`
      let count = 0
      const open = () =>
        `${firstBucket ? '' : ','}${JSON.stringify(id)}:${JSON.stringify({
          id,
          created,
          name: null,
          type: meta.type,
          client: meta.client,
          hostname: device,
          data: {},
        }).slice(0, -1)},"events":[`
      const events =
        kind === 'afk'
          ? mapAsync(service.afk(only), (p) =>
              awEvent(p.startMs, p.endMs ?? p.inferredEndMs ?? p.startMs, { status: 'afk' }),
            )
          : mapAsync(service.events(only), (e) =>
              awKind(e) === kind ? awEvent(e.startMs, e.endMs, awData(kind, e)) : undefined,
            )
      for await (const text of events) {
        if (count === 0) {
          yield open()
          firstBucket = false
        }
        yield count === 0 ? text : `,${text}`
        count++
      }
      if (count > 0) yield ']}'
    }
  }
  yield '}}'
}

async function* mapAsync<T>(
  source: AsyncIterable<T>,
  f: (t: T) => string | undefined,
): AsyncGenerator<string> {
  for await (const t of source) {
    const v = f(t)
    if (v !== undefined) yield v
  }
}

/** The date (UTC) of an instant, `YYYY-MM-DD`. */
const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/**
 * WakaTime's data dump: `{"user", "days": [{"date", "heartbeats": […]}], "range"}` from the
 * stored WakaTime heartbeats, one UTC day after another.
 */
async function* wakatimeChunks(service: ExportService, q: ExportQuery): AsyncGenerator<string> {
  yield '{"user":{"username":"daybook","display_name":"Daybook export"},"days":['
  let day: string | undefined
  let first: number | undefined
  let last: number | undefined
  for await (const h of service.heartbeats(q)) {
    const date = utcDate(h.timeMs)
    if (date !== day) {
      yield `${day === undefined ? '' : ']},'}{"date":${JSON.stringify(date)},"heartbeats":[`
      day = date
    } else yield ','
    first ??= h.timeMs
    last = h.timeMs
    yield JSON.stringify({
      ...h.extra,
      entity: h.entity,
      type: h.type,
      category: h.category,
      project: h.project,
      branch: h.branch === '' ? null : h.branch,
      language: h.language === '' ? null : h.language,
      is_write: h.isWrite,
      time: h.timeMs / 1000,
      machine_name_id: h.device,
      user_agent_id: h.userAgent,
    })
  }
  if (day !== undefined) yield ']}'
  const range =
    first === undefined || last === undefined
      ? { start: null, end: null }
      : { start: utcDate(first), end: utcDate(last) }
  yield `],"range":${JSON.stringify(range)}}`
}
