/**
 * Full-text search over what activity is named by (entities: files, window titles, URLs;
 * projects; apps; branches) and over label text, newest first, each hit with the active time it
 * owned. Words match as prefixes ("daybo" finds "daybook"); every word must match.
 */
import type { TimeRange } from '../../domain/calendar.ts'
import { activeTimeline } from '../../domain/timeline.ts'
import type { SearchHit } from '../../domain/search.ts'
import type { Connection } from './connection.ts'
import { activeTime } from './engine.ts'
import { makeCalendar } from '../../domain/calendar.ts'
import {
  EVENT_COLUMNS,
  LABEL_COLUMNS,
  type StoredEvent,
  type StoredLabel,
  namedEvents,
  toLabel,
} from './records.ts'
import { afkOverlapping, eventsOverlapping, ruleCategories, sourcePriorities } from './rows.ts'

/** The words of a search text (letters and digits), lower-cased. */
export function words(text: string): string[] {
  return [...text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)].map((m) => m[0]).slice(0, 16)
}

/**
 * An FTS5 query matching every word of `text` as a prefix, or undefined when it has none. Each
 * word is quoted, so no character of the text can be read as FTS syntax.
 */
export function ftsQuery(text: string): string | undefined {
  const list = words(text)
  return list.length === 0 ? undefined : list.map((w) => `"${w}"*`).join(' ')
}

const UTC = makeCalendar('UTC')

export function search(c: Connection, text: string, range: TimeRange, limit: number): SearchHit[] {
  const match = ftsQuery(text)
  if (match === undefined) return []
  const tokens = words(text)
  return c.read(() => {
    const ids = (sql: string) => c.all<{ id: number }>(sql, { m: match }).map((r) => r.id)
    const entities = ids(
      'SELECT rowid AS id FROM entities_fts WHERE entities_fts MATCH $m LIMIT 100000',
    )
    const projects = ids('SELECT rowid AS id FROM projects_fts WHERE projects_fts MATCH $m')
    // Apps and branches are few: matched in JavaScript, with the same every-word rule.
    const named = (table: 'apps' | 'branches') =>
      c
        .all<{ id: number; name: string }>(`SELECT id, name FROM ${table}`)
        .filter((r) => {
          const own = words(r.name)
          return tokens.every((t) => own.some((w) => w.startsWith(t)))
        })
        .map((r) => r.id)
    const apps = named('apps')
    const branches = named('branches')
    const hits: SearchHit[] = []
    if (entities.length + projects.length + apps.length + branches.length > 0) {
      const rows = c.all<StoredEvent>(
        `SELECT ${EVENT_COLUMNS} FROM events
         WHERE start_ms >= $a AND start_ms < $b
           AND (entity_id IN (SELECT value FROM json_each($e)) OR project_id IN (SELECT value FROM json_each($p))
                OR app_id IN (SELECT value FROM json_each($ap)) OR branch_id IN (SELECT value FROM json_each($br)))
         ORDER BY start_ms DESC, id DESC LIMIT $n`,
        {
          a: range.startMs,
          b: range.endMs,
          e: JSON.stringify(entities),
          p: JSON.stringify(projects),
          ap: JSON.stringify(apps),
          br: JSON.stringify(branches),
          n: limit,
        },
      )
      const priority = sourcePriorities(c)
      const category = ruleCategories(c)
      namedEvents(c, rows).forEach((event, i) => {
        const row = rows[i] as StoredEvent
        const span = { startMs: row.start_ms, endMs: Math.max(row.end_ms, row.start_ms) }
        const hex = Buffer.from(row.id.buffer, row.id.byteOffset, 16).toString('hex')
        let ms = 0
        for (const seg of activeTimeline(
          eventsOverlapping(c, span, category),
          afkOverlapping(c, span),
          span,
          priority,
        )) {
          if (seg.event.id === hex) ms += seg.endMs - seg.startMs
        }
        hits.push({ type: 'event', event, activeSeconds: ms / 1000 })
      })
    }
    const labels = c.all<StoredLabel>(
      `SELECT ${LABEL_COLUMNS.split(', ')
        .map((col) => `l.${col}`)
        .join(', ')}
       FROM labels_fts f JOIN labels l ON l.seq = f.rowid
       WHERE labels_fts MATCH $m AND l.start_ms < $b AND l.end_ms > $a
       ORDER BY l.start_ms DESC LIMIT $n`,
      { m: match, a: range.startMs, b: range.endMs, n: limit },
    )
    for (const row of labels) {
      const label = toLabel(row)
      const within = {
        startMs: Math.max(label.startMs, range.startMs),
        endMs: Math.min(label.endMs, range.endMs),
      }
      const cells =
        within.startMs < within.endMs
          ? activeTime(c, {
              range: within,
              unit: null,
              calendar: UTC,
              filters: {},
              includeAfk: false,
            })
          : []
      hits.push({ type: 'label', label, activeSeconds: cells.reduce((s, x) => s + x.seconds, 0) })
    }
    const start = (h: SearchHit) => (h.type === 'event' ? h.event.startMs : h.label.startMs)
    return hits.sort((x, y) => start(y) - start(x)).slice(0, limit)
  })
}
