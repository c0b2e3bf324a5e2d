/**
 * Every read of the SQLite store. Runs in reader workers (each its own connection, reading WAL
 * snapshots while the writer writes), or in the writer when a store has no readers.
 */
import { parse as uuidParse, stringify as uuidStringify } from 'uuid'
import type { TimeRange } from '../../domain/calendar.ts'
import type { AfkPeriod, Dimension } from '../../domain/events.ts'
import type { InputBucket, InputRow } from '../../domain/input.ts'
import type { StoredHeartbeat } from '../../domain/wakatime/heartbeat.ts'
import type { BucketCell } from '../../domain/summary.ts'
import type {
  HeartbeatMachine,
  ActiveTimeQuery,
  CollectorRow,
  DeviceRow,
  EventListQuery,
  EventPage,
  NamedRow,
  OpenRange,
  ProjectCursor,
  ProjectPage,
  ProjectRow,
  TokenRow,
} from '../ports.ts'
import type { Change } from '../../domain/changes.ts'
import type { Label } from '../../domain/labels.ts'
import type { SearchHit } from '../../domain/search.ts'
import type { Session } from '../../domain/sessions.ts'
import type { Connection } from './connection.ts'
import { type ChildTable, type NamedTable, idsOfNames } from './dimensions.ts'
import { AnswerCache } from './answers.ts'
import { heartbeatMachines, listHeartbeats } from './heartbeats.ts'
import { ftsQuery, search, words } from './search.ts'
import { sessions } from './engine.ts'
import {
  AFK_COLUMNS,
  EVENT_COLUMNS,
  LABEL_COLUMNS,
  type StoredLabel,
  toLabel,
  type StoredAfk,
  type StoredEvent,
  deviceChanges,
  deviceRows,
  namedAfk,
  namedEvents,
} from './records.ts'
import { pendingSlots } from './rollups.ts'
import { SHORT_EVENT_MS } from './rows.ts'

/** Stand-ins for an unbounded side of a range in SQL. */
const NEVER_BEFORE = -8.64e15
const NEVER_AFTER = 8.64e15

const FILTER_TABLES: Record<
  Dimension,
  { column: string; table: NamedTable | ChildTable | 'devices' }
> = {
  app: { column: 'app_id', table: 'apps' },
  project: { column: 'project_id', table: 'projects' },
  language: { column: 'language_id', table: 'languages' },
  branch: { column: 'branch_id', table: 'branches' },
  category: { column: 'category_id', table: 'categories' },
  entity: { column: 'entity_id', table: 'entities' },
  source: { column: 'source_id', table: 'sources' },
  device: { column: 'device_id', table: 'devices' },
}

function bounds(range: OpenRange): { start: number; end: number } {
  const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : undefined)
  return { start: finite(range.startMs) ?? NEVER_BEFORE, end: finite(range.endMs) ?? NEVER_AFTER }
}

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

interface ProjectRecord {
  uuid: string
  name: string
  root_path: string | null
  last_updated: number
}

function toProject(r: ProjectRecord): ProjectRow {
  return { id: r.uuid, name: r.name, rootPath: r.root_path, lastUpdated: r.last_updated }
}

export class Reader {
  readonly #c: Connection

  readonly #answers: AnswerCache

  constructor(connection: Connection) {
    this.#c = connection
    this.#answers = new AnswerCache(connection)
  }

  listEvents(q: EventListQuery): EventPage {
    const c = this.#c
    return c.read(() => {
      const { start, end } = bounds(q.range)
      const where: string[] = []
      const params: Record<string, string | number | Uint8Array> = { start, end, n: q.limit + 1 }
      for (const [dim, names] of Object.entries(q.filters) as [Dimension, readonly string[]][]) {
        if (!names || names.length === 0) continue
        const { column, table } = FILTER_TABLES[dim]
        const ids = idsOfNames(c, table, names)
        if (ids.length === 0) return { events: [], next: null }
        where.push(`${column} IN (SELECT value FROM json_each($f_${dim}))`)
        params[`f_${dim}`] = JSON.stringify(ids)
      }
      if (q.requireDimension) where.push(`${FILTER_TABLES[q.requireDimension].column} IS NOT NULL`)
      if (q.after) {
        where.push('(start_ms > $cs OR (start_ms = $cs AND id > $cid))')
        params.cs = q.after.startMs
        params.cid = uuidParse(q.after.id)
      }
      const extra = where.map((w) => ` AND ${w}`).join('')
      // Each part delivers rows in (start, id) order, so SQLite merges them and stops at the limit.
      const rows = c.all<StoredEvent>(
        `SELECT ${EVENT_COLUMNS} FROM events
         WHERE start_ms >= $start - ${SHORT_EVENT_MS} AND start_ms < $end
           AND (end_ms > $start OR start_ms >= $start) AND end_ms - start_ms <= ${SHORT_EVENT_MS}${extra}
         UNION ALL
         SELECT ${EVENT_COLUMNS} FROM events
         WHERE end_ms - start_ms > ${SHORT_EVENT_MS} AND end_ms > $start AND start_ms < $end${extra}
         ORDER BY start_ms, id LIMIT $n`,
        params,
      )
      const more = rows.length > q.limit
      const page = more ? rows.slice(0, q.limit) : rows
      const last = page[page.length - 1]
      return {
        events: namedEvents(c, page),
        next: more && last ? { startMs: last.start_ms, id: uuidStringify(last.id) } : null,
      }
    })
  }

  span(): TimeRange | undefined {
    return this.#c.read(() => {
      const first = this.#c.get<{ s: number | null }>('SELECT min(start_ms) AS s FROM events')?.s
      const last = this.#c.get<{ v: number }>(
        "SELECT value AS v FROM meta WHERE key = 'max_end_ms'",
      )
      if (first === null || first === undefined || !last) return undefined
      return { startMs: first, endMs: Math.max(first, last.v) }
    })
  }

  listAfk(range: OpenRange): AfkPeriod[] {
    const { start, end } = bounds(range)
    const c = this.#c
    return c.read(() =>
      namedAfk(
        c,
        c.all<StoredAfk>(
          `SELECT ${AFK_COLUMNS} FROM afk_periods
           WHERE start_ms < $end AND (coalesce(end_ms, inferred_end_ms) IS NULL
             OR coalesce(end_ms, inferred_end_ms) > $start OR start_ms >= $start)
           ORDER BY start_ms, device_id`,
          { start, end },
        ),
      ),
    )
  }

  devices(): DeviceRow[] {
    return deviceRows(this.#c)
  }

  named(table: 'apps' | 'categories'): NamedRow[] {
    return this.#c.all<NamedRow>(`SELECT uuid AS id, name FROM ${table} ORDER BY name, uuid`)
  }

  projects(page: { from?: ProjectCursor | undefined; limit: number }): ProjectPage {
    const c = this.#c
    return c.read(() => {
      const { from, limit } = page
      // Order and cursor test use the same total order (last_updated DESC, uuid DESC), so pages
      // neither skip nor repeat rows even when many projects share a timestamp.
      const data = c.all<ProjectRecord>(
        `SELECT uuid, name, root_path, last_updated FROM projects
         WHERE $lu IS NULL OR last_updated < $lu OR (last_updated = $lu AND uuid <= $id)
         ORDER BY last_updated DESC, uuid DESC LIMIT $limit`,
        { lu: from?.lastUpdated ?? null, id: from?.id ?? null, limit },
      )
      const cursors = c.all<ProjectRecord>(
        `SELECT uuid, last_updated FROM (
           SELECT uuid, last_updated, ROW_NUMBER() OVER (ORDER BY last_updated DESC, uuid DESC) AS rn
           FROM projects)
         WHERE (rn - 1) % $limit = 0 ORDER BY rn`,
        { limit },
      )
      return {
        data: data.map(toProject),
        totalPages: cursors.length,
        cursors: cursors.map((r) => ({ lastUpdated: r.last_updated, id: r.uuid })),
      }
    })
  }

  searchProjects(query: string, limit: number): ProjectRow[] {
    // The query's words as one phrase, the last a prefix. Only letters and digits reach FTS5:
    // they are all its tokenizer indexes, and nothing else (quotes, NUL) can break the syntax.
    const tokens = words(query)
    if (tokens.length === 0) return []
    const phrase = `"${tokens.join(' ')}"*`
    return this.#c
      .all<ProjectRecord>(
        `SELECT p.uuid, p.name, p.root_path, p.last_updated
         FROM projects_fts f JOIN projects p ON p.id = f.rowid
         WHERE projects_fts MATCH $phrase
         ORDER BY f.rank, p.last_updated DESC, p.uuid DESC LIMIT $limit`,
        { phrase, limit },
      )
      .map(toProject)
  }

  project(id: string): ProjectRow | undefined {
    const row = this.#c.get<ProjectRecord>(
      'SELECT uuid, name, root_path, last_updated FROM projects WHERE uuid = $id',
      { id },
    )
    return row ? toProject(row) : undefined
  }

  inputBuckets(range: {
    startMs: number
    endMs?: number | undefined
    devices?: readonly string[] | undefined
  }): InputBucket[] {
    const devices = range.devices === undefined ? null : JSON.stringify(range.devices)
    return this.#c
      .all<InputBucket>(
        `SELECT bucket_ms AS bucketMs, sum(lc) AS lc, sum(rc) AS rc, sum(mc) AS mc, sum(kp) AS kp,
                sum(mm) AS mm, sum(scroll) AS scroll
         FROM input_activity
         WHERE bucket_ms >= $start AND ($end IS NULL OR bucket_ms < $end)
           AND ($devices IS NULL OR device_id IN
                (SELECT id FROM devices WHERE name IN (SELECT value FROM json_each($devices))))
         GROUP BY bucket_ms ORDER BY bucket_ms`,
        { start: range.startMs, end: range.endMs ?? null, devices },
      )
      .map((r) => ({ ...r }))
  }

  inputRows(range: {
    startMs: number
    endMs: number
    devices?: readonly string[] | undefined
  }): InputRow[] {
    const devices = range.devices === undefined ? null : JSON.stringify(range.devices)
    return this.#c
      .all<InputRow>(
        `SELECT i.bucket_ms AS bucketMs, d.name AS device, i.source, i.lc, i.rc, i.mc, i.kp,
                i.mm, i.scroll
         FROM input_activity i JOIN devices d ON d.id = i.device_id
         WHERE i.bucket_ms >= $start AND i.bucket_ms < $end
           AND ($devices IS NULL OR d.name IN (SELECT value FROM json_each($devices)))
         ORDER BY i.bucket_ms, d.name, i.source`,
        { start: range.startMs, end: range.endMs, devices },
      )
      .map((r) => ({ ...r }))
  }

  settings(): Record<string, unknown> {
    const rows = this.#c.all<{ key: string; value: string }>('SELECT key, value FROM settings')
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]))
  }

  tokens(): TokenRow[] {
    return this.#c
      .all<TokenRecord>('SELECT * FROM api_tokens ORDER BY created_at, rowid')
      .map((r) => ({
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
      }))
  }

  lastSeq(): number {
    return this.#c.get<{ v: number }>("SELECT value AS v FROM meta WHERE key = 'seq'")?.v ?? 0
  }

  /** The compacted feed after `after`: every row kind merged in `seq` order. */
  changesAfter(after: number, limit: number): { changes: Change[]; next: number } {
    const c = this.#c
    return c.read(() => {
      // Screenshots' tombstones are sync's alone: this feed carries no frames.
      const heads = c.all<{ seq: number; k: string }>(
        `SELECT seq, 'e' AS k FROM events WHERE seq > $a
         UNION ALL SELECT seq, 'a' FROM afk_periods WHERE seq > $a
         UNION ALL SELECT seq, 't' FROM tombstones WHERE seq > $a AND kind <> 'screenshot'
         UNION ALL SELECT seq, 's' FROM settings WHERE seq > $a
         UNION ALL SELECT seq, 'd' FROM devices WHERE seq > $a
         UNION ALL SELECT seq, 'l' FROM labels WHERE seq > $a
         ORDER BY seq LIMIT $n`,
        { a: after, n: limit },
      )
      const of = (k: string) => JSON.stringify(heads.filter((h) => h.k === k).map((h) => h.seq))
      const changes: Change[] = []
      const events = c.all<StoredEvent>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE seq IN (SELECT value FROM json_each($s))`,
        { s: of('e') },
      )
      namedEvents(c, events).forEach((event, i) =>
        changes.push({ seq: (events[i] as StoredEvent).seq, kind: 'event', op: 'upsert', event }),
      )
      const afk = c.all<StoredAfk>(
        `SELECT ${AFK_COLUMNS} FROM afk_periods WHERE seq IN (SELECT value FROM json_each($s))`,
        { s: of('a') },
      )
      namedAfk(c, afk).forEach((p, i) =>
        changes.push({ seq: (afk[i] as StoredAfk).seq, kind: 'afk', op: 'upsert', afk: p }),
      )
      for (const l of c.all<StoredLabel & { seq: number }>(
        `SELECT seq, ${LABEL_COLUMNS} FROM labels WHERE seq IN (SELECT value FROM json_each($s))`,
        { s: of('l') },
      )) {
        changes.push({ seq: l.seq, kind: 'label', op: 'upsert', label: toLabel(l) })
      }
      for (const t of c.all<{ seq: number; kind: 'event' | 'afk' | 'label'; id: Uint8Array }>(
        'SELECT seq, kind, id FROM tombstones WHERE seq IN (SELECT value FROM json_each($s))',
        { s: of('t') },
      )) {
        changes.push({ seq: t.seq, kind: t.kind, op: 'delete', id: uuidStringify(t.id) })
      }
      for (const s of c.all<{ seq: number; key: string; value: string }>(
        'SELECT seq, key, value FROM settings WHERE seq IN (SELECT value FROM json_each($s))',
        { s: of('s') },
      )) {
        changes.push({
          seq: s.seq,
          kind: 'setting',
          op: 'upsert',
          key: s.key,
          value: JSON.parse(s.value),
        })
      }
      const deviceIds = c
        .all<{ id: number }>(
          'SELECT id FROM devices WHERE seq IN (SELECT value FROM json_each($s))',
          {
            s: of('d'),
          },
        )
        .map((r) => r.id)
      if (deviceIds.length > 0) changes.push(...deviceChanges(c, deviceIds))
      changes.sort((a, b) => a.seq - b.seq)
      const last = heads[heads.length - 1]
      return { changes, next: last ? last.seq : after }
    })
  }

  activeTime(q: ActiveTimeQuery): BucketCell[] {
    return this.#answers.cells(q)
  }

  activeTimeJson(q: ActiveTimeQuery, withMeta: boolean): Uint8Array {
    return this.#answers.json(q, withMeta)
  }

  sessions(range: TimeRange, gapMs: number): Session[] {
    return sessions(this.#c, range, gapMs)
  }

  label(id: string): Label | undefined {
    const row = this.#c.get<StoredLabel>(`SELECT ${LABEL_COLUMNS} FROM labels WHERE id = $id`, {
      id,
    })
    return row ? toLabel(row) : undefined
  }

  labels(query: { range?: OpenRange | undefined; limit: number }): Label[] {
    if (!query.range) {
      return this.#c
        .all<StoredLabel>(
          `SELECT ${LABEL_COLUMNS} FROM labels ORDER BY created_ms DESC, seq DESC LIMIT $n`,
          { n: query.limit },
        )
        .map(toLabel)
    }
    const { start, end } = bounds(query.range)
    return this.#c
      .all<StoredLabel>(
        `SELECT ${LABEL_COLUMNS} FROM labels WHERE start_ms < $end AND (end_ms > $start OR start_ms >= $start)
         ORDER BY start_ms, id LIMIT $n`,
        { start, end, n: query.limit },
      )
      .map(toLabel)
  }

  searchLabels(query: string, limit: number): Label[] {
    const match = ftsQuery(query)
    if (match === undefined) return []
    return this.#c
      .all<StoredLabel>(
        `SELECT ${LABEL_COLUMNS.split(', ')
          .map((col) => `l.${col}`)
          .join(', ')}
         FROM labels_fts f JOIN labels l ON l.seq = f.rowid
         WHERE labels_fts MATCH $match ORDER BY bm25(labels_fts), l.created_ms DESC LIMIT $n`,
        { match, n: limit },
      )
      .map(toLabel)
  }

  heartbeats(range: TimeRange, limit: number): StoredHeartbeat[] {
    return this.#c.read(() => listHeartbeats(this.#c, range, limit))
  }

  heartbeatMachines(): HeartbeatMachine[] {
    return this.#c.read(() => heartbeatMachines(this.#c))
  }

  counts(): {
    events: number
    afkPeriods: number
    inputBuckets: number
    labels: number
    devices: number
  } {
    const c = this.#c
    return c.read(() => {
      const one = (sql: string) => c.get<{ n: number | null }>(sql)?.n ?? 0
      return {
        // Kept per device as events are written: counting two million rows takes a while.
        events: one('SELECT sum(events) AS n FROM devices'),
        afkPeriods: one('SELECT count(*) AS n FROM afk_periods'),
        inputBuckets: one('SELECT count(*) AS n FROM input_activity'),
        labels: one('SELECT count(*) AS n FROM labels'),
        devices: one('SELECT count(*) AS n FROM devices'),
      }
    })
  }

  collectors(): CollectorRow[] {
    return this.#c
      .all<{
        source: string
        device: string
        kind: CollectorRow['kind']
        last_seen_ms: number
        items: number
      }>(
        `SELECT c.source, d.name AS device, c.kind, c.last_seen_ms, c.items
         FROM collectors c JOIN devices d ON d.id = c.device_id ORDER BY c.last_seen_ms DESC, c.source`,
      )
      .map((r) => ({
        source: r.source,
        device: r.device,
        kind: r.kind,
        lastSeenMs: r.last_seen_ms,
        items: r.items,
      }))
  }

  search(text: string, range: TimeRange, limit: number): SearchHit[] {
    return search(this.#c, text, range, limit)
  }

  pending(): number {
    return pendingSlots(this.#c)
  }
}
