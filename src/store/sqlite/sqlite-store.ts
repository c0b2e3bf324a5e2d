/**
 * The embedded store: one `node:sqlite` connection in WAL mode.
 *
 * Concurrency: node:sqlite is synchronous, and every write below runs start to finish inside one
 * call on the event loop, so there is exactly one write path and no transaction ever spans an
 * `await`. Readers in other processes (the CLI, backups) see committed snapshots through WAL.
 */
import { closeSync, existsSync, openSync } from 'node:fs'
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import { v7 as uuidv7 } from 'uuid'
import {
  type ActivityEvent,
  type AfkPeriod,
  type Dimension,
  type NewActivityEvent,
  afkId,
  eventId,
} from '../../domain/events.ts'
import type { TimeRange } from '../../domain/calendar.ts'
import { type InputBucket, isEmptyCounts } from '../../domain/input.ts'
import type {
  AfkInsertResult,
  EventQuery,
  InputDelta,
  InsertResult,
  NamedRow,
  OpenRange,
  ProjectCursor,
  ProjectPage,
  ProjectRow,
  Store,
  TokenRow,
} from '../store.ts'
import { LATEST_VERSION, assertKnownSchema, migrate, schemaVersion } from './migrations.ts'

type Params = Record<string, SQLInputValue>

interface EventRow {
  id: string
  start_ms: number
  end_ms: number
  duration: number | null
  category: string
  app: string
  entity: string
  entity_type: string | null
  project: string
  project_path: string | null
  branch: string | null
  language: string | null
  source: string
}

interface ProjectRecord {
  id: string
  name: string
  root_path: string | null
  last_updated: number
}

interface AfkRow {
  id: string
  start_ms: number
  end_ms: number | null
  duration: number | null
}

/** Table and join alias of each dimension, as `events` references it. */
const DIMENSION_SQL = {
  app: { alias: 'a', column: 'app_id' },
  category: { alias: 'c', column: 'category_id' },
  entity: { alias: 'en', column: 'entity_id' },
  project: { alias: 'p', column: 'project_id' },
  branch: { alias: 'b', column: 'branch_id' },
  language: { alias: 'l', column: 'language_id' },
  source: { alias: 's', column: 'source_id' },
} as const satisfies Record<Dimension, { alias: string; column: string }>

const EVENT_SELECT = `
SELECT e.id, e.start_ms, e.end_ms, e.duration,
       c.name AS category, a.name AS app, en.name AS entity, en.type AS entity_type,
       p.name AS project, p.root_path AS project_path, b.name AS branch, l.name AS language,
       s.name AS source
FROM events e
JOIN categories c ON c.id = e.category_id
JOIN apps a ON a.id = e.app_id
JOIN entities en ON en.id = e.entity_id
JOIN projects p ON p.id = e.project_id
LEFT JOIN branches b ON b.id = e.branch_id
LEFT JOIN languages l ON l.id = e.language_id
JOIN sources s ON s.id = e.source_id`

const PROJECT_COLUMNS = 'id, name, root_path, last_updated'

interface TokenRecord {
  id: string
  name: string
  token_hash: string
  token_salt: string
  token_preview: string
  acl: TokenRow['acl']
  created_at: number
  expires_at: number | null
  last_used_at: number | null
  revoked: number
}

export class SqliteStore implements Store {
  readonly file: string
  readonly #db: DatabaseSync
  readonly #statements = new Map<string, StatementSync>()

  private constructor(file: string, db: DatabaseSync) {
    this.file = file
    this.#db = db
  }

  /**
   * Opens (creating if needed) the database at `file` and checks that its schema is not newer
   * than this build. Does not migrate: call `migrate()`.
   */
  static open(file: string): SqliteStore {
    if (file !== ':memory:' && !existsSync(file)) {
      // Activity history is personal: the file is created owner-only before SQLite opens it, so
      // the WAL and shared-memory files SQLite creates next to it inherit mode 0600 as well.
      closeSync(openSync(file, 'wx', 0o600))
    }
    const db = new DatabaseSync(file, { enableForeignKeyConstraints: true, timeout: 5000 })
    try {
      // WAL lets readers proceed during a write; synchronous=FULL fsyncs the WAL on every commit,
      // so a batch the daemon acknowledged survives a power cut, not only a process crash.
      db.exec('PRAGMA journal_mode = WAL')
      db.exec('PRAGMA synchronous = FULL')
      assertKnownSchema(db, file)
    } catch (err) {
      db.close()
      throw err
    }
    return new SqliteStore(file, db)
  }

  /** Schema version of the open database. */
  get schemaVersion(): number {
    return schemaVersion(this.#db)
  }

  /** True when migrations are pending. */
  get needsMigration(): boolean {
    return this.schemaVersion < LATEST_VERSION
  }

  /** Applies pending migrations; returns the versions applied. */
  migrate(upTo?: number): number[] {
    this.#statements.clear()
    return migrate(this.#db, this.file, upTo)
  }

  #stmt(sql: string): StatementSync {
    let s = this.#statements.get(sql)
    if (!s) {
      s = this.#db.prepare(sql)
      this.#statements.set(sql, s)
    }
    return s
  }

  #transaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE')
    try {
      const result = fn()
      this.#db.exec('COMMIT')
      return result
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
      throw err
    }
  }

  async insertEvents(events: readonly NewActivityEvent[]): Promise<InsertResult> {
    return this.#transaction(() => {
      const ids = this.#upsertDimensions(events)
      const insert = this.#stmt(`
        INSERT INTO events (id, start_ms, end_ms, duration, category_id, app_id, entity_id,
                            project_id, branch_id, language_id, source_id)
        VALUES ($id, $start, $end, $duration, $category, $app, $entity, $project, $branch,
                $language, $source)
        ON CONFLICT (id) DO NOTHING`)
      let inserted = 0
      let longest = 0
      for (const e of events) {
        const projectId = ids.get(key('projects', e.project))
        const r = insert.run({
          id: eventId(e),
          start: e.startMs,
          end: e.endMs,
          duration: e.durationSec,
          category: ids.get(key('categories', e.category)) ?? null,
          app: ids.get(key('apps', e.app)) ?? null,
          entity: ids.get(key('entities', e.project, e.entity)) ?? null,
          project: projectId ?? null,
          branch:
            e.branch === null ? null : (ids.get(key('branches', e.project, e.branch)) ?? null),
          language: e.language === null ? null : (ids.get(key('languages', e.language)) ?? null),
          source: ids.get(key('sources', e.source)) ?? null,
        })
        inserted += Number(r.changes)
        longest = Math.max(longest, e.endMs - e.startMs)
      }
      // The longest event bounds how far before a range an overlapping event can start, which
      // turns the overlap test into an index range scan on start_ms.
      this.#stmt(
        `INSERT INTO meta (key, value) VALUES ('max_event_ms', $v)
         ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`,
      ).run({ v: longest })
      return { inserted, duplicates: events.length - inserted }
    })
  }

  /**
   * Upserts every dimension row a batch uses, once per distinct name, bumping `last_updated` to
   * the latest activity that used it. Returns ids keyed by `key(table, …names)`.
   */
  #upsertDimensions(events: readonly NewActivityEvent[]): Map<string, string> {
    const named = {
      categories: new Map<string, number>(),
      apps: new Map<string, number>(),
      sources: new Map<string, number>(),
      languages: new Map<string, number>(),
    }
    const projects = new Map<string, { sec: number; rootPath: string | null }>()
    const children = {
      entities: new Map<
        string,
        { project: string; name: string; sec: number; type: string | null }
      >(),
      branches: new Map<string, { project: string; name: string; sec: number; type: null }>(),
    }
    const latest = (m: Map<string, number>, name: string, sec: number) =>
      m.set(name, Math.max(sec, m.get(name) ?? sec))
    for (const e of events) {
      const sec = Math.floor(e.endMs / 1000)
      latest(named.categories, e.category, sec)
      latest(named.apps, e.app, sec)
      latest(named.sources, e.source, sec)
      if (e.language !== null) latest(named.languages, e.language, sec)
      const p = projects.get(e.project)
      projects.set(e.project, {
        sec: Math.max(sec, p?.sec ?? sec),
        rootPath: p?.rootPath ?? e.projectPath,
      })
      const ent = children.entities.get(key(e.project, e.entity))
      children.entities.set(key(e.project, e.entity), {
        project: e.project,
        name: e.entity,
        sec: Math.max(sec, ent?.sec ?? sec),
        type: ent?.type ?? e.entityType,
      })
      if (e.branch !== null) {
        const br = children.branches.get(key(e.project, e.branch))
        children.branches.set(key(e.project, e.branch), {
          project: e.project,
          name: e.branch,
          sec: Math.max(sec, br?.sec ?? sec),
          type: null,
        })
      }
    }

    const ids = new Map<string, string>()
    for (const [table, m] of Object.entries(named)) {
      for (const [name, sec] of m) ids.set(key(table, name), this.#touch(table, { name }, sec))
    }
    for (const [name, { sec, rootPath }] of projects) {
      ids.set(
        key('projects', name),
        this.#touch('projects', { name }, sec, ['root_path', rootPath]),
      )
    }
    // Entities and branches belong to a project; an entity keeps the first type it was seen with.
    for (const [table, m] of Object.entries(children)) {
      for (const c of m.values()) {
        const match = { project_id: ids.get(key('projects', c.project)) ?? null, name: c.name }
        const fill = table === 'entities' ? (['type', c.type] as const) : undefined
        ids.set(key(table, c.project, c.name), this.#touch(table, match, c.sec, fill))
      }
    }
    return ids
  }

  /**
   * Marks the dimension row matching `match` as used at `sec` (and fills `fill` if it is still
   * null), creating it when it does not exist yet; returns its id. Update first: most names are
   * known already, and a new UUIDv7 is only drawn for a row that is really inserted.
   */
  #touch(
    table: string,
    match: Params,
    sec: number,
    fill?: readonly [column: string, value: string | null],
  ): string {
    const columns = Object.keys(match)
    const where = columns.map((c) => `${c} = $${c}`).join(' AND ')
    const params: Params = { ...match, sec }
    if (fill) params.fill = fill[1]
    const setFill = fill ? `, ${fill[0]} = coalesce(${fill[0]}, $fill)` : ''
    const updated = this.#stmt(
      `UPDATE ${table} SET last_updated = max(last_updated, $sec)${setFill} WHERE ${where} RETURNING id`,
    ).get(params) as { id: string } | undefined
    if (updated) return updated.id
    const id = uuidv7()
    const insertColumns = ['id', ...columns, 'last_updated', ...(fill ? [fill[0]] : [])]
    const values = ['$id', ...columns.map((c) => `$${c}`), '$sec', ...(fill ? ['$fill'] : [])]
    this.#stmt(
      `INSERT INTO ${table} (${insertColumns.join(', ')}) VALUES (${values.join(', ')})`,
    ).run({
      ...params,
      id,
    })
    return id
  }

  async insertAfk(periods: readonly Omit<AfkPeriod, 'id'>[]): Promise<AfkInsertResult> {
    return this.#transaction(() => {
      const find = this.#stmt('SELECT end_ms FROM afk_periods WHERE id = $id')
      const insert = this.#stmt(
        'INSERT INTO afk_periods (id, start_ms, end_ms, duration) VALUES ($id, $start, $end, $duration)',
      )
      const update = this.#stmt(
        'UPDATE afk_periods SET end_ms = $end, duration = $duration WHERE id = $id',
      )
      const result = { inserted: 0, duplicates: 0, updated: 0 }
      for (const p of periods) {
        const id = afkId(p.startMs)
        const existing = find.get({ id }) as { end_ms: number | null } | undefined
        const params = { id, start: p.startMs, end: p.endMs, duration: p.durationSec }
        if (!existing) {
          insert.run(params)
          result.inserted++
        } else if (p.endMs !== null && (existing.end_ms === null || p.endMs > existing.end_ms)) {
          // The same period, now closed (or seen longer): keep the longest knowledge of it.
          update.run({ id, end: p.endMs, duration: p.durationSec })
          result.updated++
        } else {
          result.duplicates++
        }
      }
      return result
    })
  }

  async events(query: EventQuery): Promise<ActivityEvent[]> {
    const where: string[] = []
    const params: Params = {}
    const { startMs, endMs } = finiteSides(query.range)
    if (endMs !== undefined) {
      where.push('e.start_ms < $end')
      params.end = endMs
    }
    if (startMs !== undefined) {
      // A point event exactly at the range start is inside it; see insertEvents for max_event_ms.
      where.push('(e.end_ms > $start OR e.start_ms >= $start)')
      where.push(
        "e.start_ms >= $start - coalesce((SELECT value FROM meta WHERE key = 'max_event_ms'), 0)",
      )
      params.start = startMs
    }
    for (const [dim, names] of Object.entries(query.filters) as [Dimension, string[]][]) {
      if (names.length === 0) continue
      where.push(`${DIMENSION_SQL[dim].alias}.name IN (SELECT value FROM json_each($f_${dim}))`)
      params[`f_${dim}`] = JSON.stringify(names)
    }
    if (query.requireDimension) {
      where.push(`e.${DIMENSION_SQL[query.requireDimension].column} IS NOT NULL`)
    }
    const sql = `${EVENT_SELECT}
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY e.start_ms, e.id`
    return (this.#stmt(sql).all(params) as unknown as EventRow[]).map(toEvent)
  }

  async afk(range: OpenRange, nowMs: number): Promise<AfkPeriod[]> {
    const { startMs, endMs } = finiteSides(range)
    const rows = this.#stmt(
      `
      SELECT id, start_ms, end_ms, duration FROM afk_periods
      WHERE ($end IS NULL OR start_ms < $end)
        AND ($start IS NULL OR coalesce(end_ms, max($now, start_ms)) > $start)
      ORDER BY start_ms`,
    ).all({ start: startMs ?? null, end: endMs ?? null, now: nowMs }) as unknown as AfkRow[]
    return rows.map((r) => ({
      id: r.id,
      startMs: r.start_ms,
      endMs: r.end_ms,
      durationSec: r.duration,
    }))
  }

  async activitySpan(): Promise<TimeRange | undefined> {
    const row = this.#stmt(
      'SELECT min(start_ms) AS first, max(end_ms) AS last FROM events',
    ).get() as {
      first: number | null
      last: number | null
    }
    return row.first === null || row.last === null
      ? undefined
      : { startMs: row.first, endMs: row.last }
  }

  async apps(): Promise<NamedRow[]> {
    return this.#named('apps')
  }

  async categories(): Promise<NamedRow[]> {
    return this.#named('categories')
  }

  #named(table: 'apps' | 'categories'): NamedRow[] {
    return this.#stmt(
      `SELECT id, name FROM ${table} ORDER BY name, id`,
    ).all() as unknown as NamedRow[]
  }

  async projects(page: { from?: ProjectCursor | undefined; limit: number }): Promise<ProjectPage> {
    const { from, limit } = page
    // Order and cursor test use the same total order (last_updated DESC, id DESC), so pages
    // neither skip nor repeat rows even when many projects share a timestamp.
    const data = this.#stmt(
      `
      SELECT ${PROJECT_COLUMNS} FROM projects
      WHERE $lu IS NULL OR last_updated < $lu OR (last_updated = $lu AND id <= $id)
      ORDER BY last_updated DESC, id DESC LIMIT $limit`,
    ).all({
      lu: from?.lastUpdated ?? null,
      id: from?.id ?? null,
      limit,
    }) as unknown as ProjectRecord[]
    const cursors = this.#stmt(
      `
      SELECT id, last_updated FROM (
        SELECT id, last_updated,
               ROW_NUMBER() OVER (ORDER BY last_updated DESC, id DESC) AS rn
        FROM projects)
      WHERE (rn - 1) % $limit = 0 ORDER BY rn`,
    ).all({ limit }) as unknown as ProjectRecord[]
    return {
      data: data.map(toProject),
      totalPages: cursors.length,
      cursors: cursors.map((r) => ({ lastUpdated: r.last_updated, id: r.id })),
    }
  }

  async searchProjects(query: string, limit: number): Promise<ProjectRow[]> {
    // A query with no letter or digit has no token to match (and would be an FTS syntax error).
    if (!/[\p{L}\p{N}]/u.test(query)) return []
    const phrase = `"${query.replaceAll('"', '""')}"*`
    const rows = this.#stmt(
      `
      SELECT p.id, p.name, p.root_path, p.last_updated
      FROM projects_fts f JOIN projects p ON p.rowid = f.rowid
      WHERE projects_fts MATCH $phrase
      ORDER BY f.rank, p.last_updated DESC, p.id DESC LIMIT $limit`,
    ).all({
      phrase,
      limit,
    }) as unknown as ProjectRecord[]
    return rows.map(toProject)
  }

  async project(id: string): Promise<ProjectRow | undefined> {
    const row = this.#stmt(`SELECT ${PROJECT_COLUMNS} FROM projects WHERE id = $id`).get({ id }) as
      ProjectRecord | undefined
    return row ? toProject(row) : undefined
  }

  async addInput(deltas: readonly InputDelta[], receivedMs: number): Promise<InsertResult> {
    return this.#transaction(() => {
      const claim = this.#stmt(`
        INSERT INTO input_batches (id, received_ms) VALUES ($id, $received)
        ON CONFLICT (id) DO NOTHING`)
      const add = this.#stmt(`
        INSERT INTO input_activity (bucket_ms, source, lc, rc, mc, kp, mm, scroll)
        VALUES ($bucket, $source, $lc, $rc, $mc, $kp, $mm, $scroll)
        ON CONFLICT (bucket_ms, source) DO UPDATE SET
          lc = lc + excluded.lc, rc = rc + excluded.rc, mc = mc + excluded.mc,
          kp = kp + excluded.kp, mm = mm + excluded.mm, scroll = scroll + excluded.scroll`)
      let inserted = 0
      for (const d of deltas) {
        // The id is claimed in the same transaction as the counts are added: either both happen
        // or neither, so a re-send is skipped exactly when the first send was committed.
        if (d.batchId !== undefined) {
          const claimed = claim.run({ id: d.batchId, received: receivedMs })
          if (Number(claimed.changes) === 0) continue
        }
        inserted++
        // Nothing to add: an all-zero frame (the seed client's forced final flush) makes no row.
        if (isEmptyCounts(d)) continue
        add.run({
          bucket: d.bucketMs,
          source: d.source,
          lc: d.lc,
          rc: d.rc,
          mc: d.mc,
          kp: d.kp,
          mm: d.mm,
          scroll: d.scroll,
        })
      }
      return { inserted, duplicates: deltas.length - inserted }
    })
  }

  async inputBuckets(range: {
    startMs: number
    endMs?: number | undefined
  }): Promise<InputBucket[]> {
    const rows = this.#stmt(
      `
      SELECT bucket_ms AS bucketMs, sum(lc) AS lc, sum(rc) AS rc, sum(mc) AS mc, sum(kp) AS kp,
             sum(mm) AS mm, sum(scroll) AS scroll
      FROM input_activity
      WHERE bucket_ms >= $start AND ($end IS NULL OR bucket_ms < $end)
      GROUP BY bucket_ms ORDER BY bucket_ms`,
    ).all({
      start: range.startMs,
      end: range.endMs ?? null,
    })
    return (rows as unknown as InputBucket[]).map((r) => ({ ...r }))
  }

  async deleteInputBefore(cutoffMs: number): Promise<number> {
    const r = this.#stmt('DELETE FROM input_activity WHERE bucket_ms < $cutoff').run({
      cutoff: cutoffMs,
    })
    return Number(r.changes)
  }

  async pruneInputBatches(cutoffMs: number): Promise<number> {
    const r = this.#stmt('DELETE FROM input_batches WHERE received_ms < $cutoff').run({
      cutoff: cutoffMs,
    })
    return Number(r.changes)
  }

  async settings(): Promise<Record<string, unknown>> {
    const rows = this.#stmt('SELECT key, value FROM settings').all() as unknown as {
      key: string
      value: string
    }[]
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]))
  }

  async saveSettings(values: Record<string, unknown>): Promise<void> {
    this.#transaction(() => {
      const upsert = this.#stmt(`
        INSERT INTO settings (key, value) VALUES ($key, $value)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
      for (const [k, v] of Object.entries(values)) upsert.run({ key: k, value: JSON.stringify(v) })
    })
  }

  async insertToken(token: TokenRow, maxActive: number, nowSec: number): Promise<boolean> {
    return this.#transaction(() => {
      const { n } = this.#stmt(
        `SELECT count(*) AS n FROM api_tokens
         WHERE revoked = 0 AND (expires_at IS NULL OR expires_at > $now)`,
      ).get({ now: nowSec }) as { n: number }
      if (n >= maxActive) return false
      this.#stmt(
        `
        INSERT INTO api_tokens (id, name, token_hash, token_salt, token_preview, acl, created_at,
                                expires_at, last_used_at, revoked)
        VALUES ($id, $name, $hash, $salt, $preview, $acl, $created, $expires, $used, $revoked)`,
      ).run({
        id: token.id,
        name: token.name,
        hash: token.tokenHash,
        salt: token.tokenSalt,
        preview: token.tokenPreview,
        acl: token.acl,
        created: token.createdAt,
        expires: token.expiresAt,
        used: token.lastUsedAt,
        revoked: token.revoked ? 1 : 0,
      })
      return true
    })
  }

  async tokens(): Promise<TokenRow[]> {
    const rows = this.#stmt(
      'SELECT * FROM api_tokens ORDER BY created_at, id',
    ).all() as unknown as TokenRecord[]
    return rows.map(toToken)
  }

  async revokeToken(id: string): Promise<boolean> {
    return this.#stmt('UPDATE api_tokens SET revoked = 1 WHERE id = $id').run({ id }).changes > 0
  }

  async deleteToken(id: string): Promise<boolean> {
    return this.#stmt('DELETE FROM api_tokens WHERE id = $id').run({ id }).changes > 0
  }

  async touchToken(id: string, lastUsedAt: number): Promise<void> {
    this.#stmt('UPDATE api_tokens SET last_used_at = $at WHERE id = $id').run({
      id,
      at: lastUsedAt,
    })
  }

  async close(): Promise<void> {
    if (!this.#db.isOpen) return
    this.#statements.clear()
    // Fold the WAL back into the main file so the database is one self-contained file at rest.
    this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    this.#db.close()
  }
}

/** The bounded sides of a range (infinite sides are unbounded too). */
function finiteSides(range: OpenRange): OpenRange {
  const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : undefined)
  return { startMs: finite(range.startMs), endMs: finite(range.endMs) }
}

function key(table: string, ...names: string[]): string {
  return JSON.stringify([table, ...names])
}

function toEvent(r: EventRow): ActivityEvent {
  return {
    id: r.id,
    startMs: r.start_ms,
    endMs: r.end_ms,
    durationSec: r.duration,
    category: r.category,
    app: r.app,
    entity: r.entity,
    entityType: r.entity_type,
    project: r.project,
    projectPath: r.project_path,
    branch: r.branch,
    language: r.language,
    source: r.source,
  }
}

function toToken(r: TokenRecord): TokenRow {
  return {
    id: r.id,
    name: r.name,
    tokenHash: r.token_hash,
    tokenSalt: r.token_salt,
    tokenPreview: r.token_preview,
    acl: r.acl,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revoked: r.revoked !== 0,
  }
}

function toProject(r: ProjectRecord): ProjectRow {
  return { id: r.id, name: r.name, rootPath: r.root_path, lastUpdated: r.last_updated }
}
