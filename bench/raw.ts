/**
 * The raw floor for `npm run bench`: the same rows in a bare `node:sqlite` table with two indexes,
 * written with the daemon's durability (WAL, synchronous=FULL, one transaction per 1,000 rows), and
 * plain GROUP BY scans over them. The scans are fast and wrong in the ways Daybook is not (overlaps
 * counted twice, AFK ignored, UTC days): they are the floor to compare speed with, not answers.
 */
import { DatabaseSync } from 'node:sqlite'
import type { BenchEvent } from './generate.ts'

/** An event as a row of the bare table: start, end, category, app, entity, project, language,
 * branch, source. */
export function rawRow(e: BenchEvent): (number | string | null)[] {
  return [
    Date.parse(e.timestamp),
    Date.parse(e.end_timestamp),
    e.category,
    e.app_name,
    e.entity_name,
    e.project_name,
    e.language_name,
    e.branch_name,
    e.source_name,
  ]
}

export class RawFloor {
  readonly db: DatabaseSync
  readonly #insert

  constructor(file: string) {
    this.db = new DatabaseSync(file)
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL')
    this.db.exec(`CREATE TABLE events (start_ms INTEGER, end_ms INTEGER, category TEXT, app TEXT,
      entity TEXT, project TEXT, language TEXT, branch TEXT, source TEXT)`)
    this.db.exec('CREATE INDEX raw_start ON events (start_ms)')
    this.db.exec('CREATE INDEX raw_project ON events (project, start_ms)')
    this.#insert = this.db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
  }

  /** Inserts a batch in one transaction. */
  insert(batch: readonly BenchEvent[]): void {
    this.db.exec('BEGIN')
    for (const e of batch) {
      this.#insert.run(...rawRow(e))
    }
    this.db.exec('COMMIT')
  }

  /** Runs a scan; returns the row count (so nothing is optimised away). */
  scan(sql: string, ...params: number[]): number {
    return this.db.prepare(sql).all(...params).length
  }

  close(): void {
    this.db.close()
  }
}

/**
 * The cheapest scan that reads every row of the range once: what reading these rows costs at
 * least. The year-long questions' target (≤ 1/5) is against this one; the shaped scans below pay a
 * temporary B-tree besides.
 */
export const CHEAPEST_SCAN = `SELECT project, sum(end_ms - start_ms) FROM events
  WHERE start_ms >= ?1 AND start_ms < ?2 GROUP BY project`

const BUCKET_SQL = {
  day: '(start_ms - ?1) / 86400000',
  week: '(start_ms - ?1) / 604800000',
  month: `strftime('%Y-%m', start_ms / 1000, 'unixepoch')`,
} as const

/** A GROUP BY scan shaped like a question over buckets of `unit` grouped by `column`. */
export function shapedScan(unit: keyof typeof BUCKET_SQL, column: string): string {
  return `SELECT ${BUCKET_SQL[unit]} AS b, ${column}, sum(end_ms - start_ms)
    FROM events WHERE start_ms >= ?1 AND start_ms < ?2 GROUP BY b, ${column}`
}

/** GROUP BY scans shaped like each benchmark query, over `[start, end)` of the year. */
export const RAW_SCANS = {
  dayByProject: `SELECT (start_ms - ?1) / 86400000 AS d, project, sum(end_ms - start_ms)
    FROM events WHERE start_ms >= ?1 AND start_ms < ?2 GROUP BY d, project`,
  weekByLanguage: `SELECT (start_ms - ?1) / 604800000 AS w, language, sum(end_ms - start_ms)
    FROM events WHERE start_ms >= ?1 AND start_ms < ?2 GROUP BY w, language`,
  monthByApp: `SELECT strftime('%Y-%m', start_ms / 1000, 'unixepoch') AS m, app, sum(end_ms - start_ms)
    FROM events WHERE start_ms >= ?1 AND start_ms < ?2 GROUP BY m, app`,
  filteredYear: `SELECT (start_ms - ?1) / 86400000 AS d, language, sum(end_ms - start_ms)
    FROM events WHERE project = 'project-07' AND start_ms >= ?1 AND start_ms < ?2 GROUP BY d, language`,
  yearTotal: 'SELECT sum(end_ms - start_ms) FROM events WHERE start_ms >= ?1 AND start_ms < ?2',
  topN: `SELECT project, sum(end_ms - start_ms) AS s FROM events
    WHERE start_ms >= ?1 AND start_ms < ?2 GROUP BY project ORDER BY s DESC LIMIT 10`,
  mostActiveDay: `SELECT (start_ms - ?1) / 86400000 AS d, sum(end_ms - start_ms) AS s FROM events
    WHERE start_ms >= ?1 AND start_ms < ?2 GROUP BY d ORDER BY s DESC LIMIT 1`,
  todayByHour: `SELECT (start_ms - ?1) / 3600000 AS h, sum(end_ms - start_ms) FROM events
    WHERE start_ms >= ?1 AND start_ms < ?2 GROUP BY h`,
} as const

/**
 * A scan above in PostgreSQL's dialect: numbered parameters as `$n`, the month of a UTC
 * millisecond time with `to_char`.
 */
export function postgresSql(sql: string): string {
  return sql
    .replaceAll(
      BUCKET_SQL.month,
      `to_char(to_timestamp(start_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM')`,
    )
    .replace(/\?(\d)/g, '$$$1')
}
