/**
 * The PostgreSQL store's reads. Active time is resolved from the events of the question's range
 * with the one definition of the timeline (`eventTimeline`) at every question: exact by
 * construction, with no rollups to keep current.
 */
import { type TimeRange, splitRange } from '../../domain/calendar.ts'
import type { Change } from '../../domain/changes.ts'
import type { ActivityEvent, AfkPeriod, Dimension } from '../../domain/events.ts'
import type { InputBucket, InputRow } from '../../domain/input.ts'
import type { Label } from '../../domain/labels.ts'
import type { SearchHit } from '../../domain/search.ts'
import { type Session, SessionJoiner } from '../../domain/sessions.ts'
import { type BucketCell, TOTAL_GROUP, bucketize } from '../../domain/summary.ts'
import { eventTimeline } from '../../domain/timeline.ts'
import type {
  ActiveTimeQuery,
  CollectorRow,
  EventListQuery,
  EventPage,
  NamedRow,
  OpenRange,
  ProjectCursor,
  ProjectPage,
  ProjectRow,
  TokenRow,
} from '../ports.ts'
import { words } from '../sqlite/search.ts'
import { type Queryable, all, one } from './db.ts'
import {
  AFK_SELECT,
  type AfkRecord,
  EVENT_SELECT,
  type EventRecord,
  LABEL_COLUMNS,
  type LabelRecord,
  deviceChanges,
  readSettings,
  toAfk,
  toEvent,
  toLabel,
} from './records.ts'

/** Stand-ins for an unbounded side of a range. */
const NEVER_BEFORE = -8.64e15
const NEVER_AFTER = 8.64e15

function bounds(range: OpenRange): { start: number; end: number } {
  const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : undefined)
  return { start: finite(range.startMs) ?? NEVER_BEFORE, end: finite(range.endMs) ?? NEVER_AFTER }
}

/** The event column each filterable dimension is in. */
const COLUMNS: Record<Dimension, string> = {
  app: 'e.app',
  project: 'e.project',
  language: 'e.language',
  branch: 'e.branch',
  category: 'e.category',
  entity: 'e.entity',
  source: 'e.source',
  device: 'd.name',
}

/** Events overlapping `range` (a point event at its start included), by start then id. */
export async function listEvents(q: Queryable, query: EventListQuery): Promise<EventPage> {
  const { start, end } = bounds(query.range)
  const params: unknown[] = [start, end, query.limit + 1]
  const where: string[] = []
  for (const [dim, names] of Object.entries(query.filters) as [Dimension, readonly string[]][]) {
    if (!names || names.length === 0) continue
    params.push(names)
    where.push(`${COLUMNS[dim]} = ANY($${String(params.length)}::text[])`)
  }
  if (query.requireDimension) where.push(`${COLUMNS[query.requireDimension]} IS NOT NULL`)
  if (query.after) {
    params.push(query.after.startMs, query.after.id)
    const s = `$${String(params.length - 1)}`
    const id = `$${String(params.length)}::uuid`
    where.push(`(e.start_ms > ${s} OR (e.start_ms = ${s} AND e.id > ${id}))`)
  }
  const rows = await all<EventRecord>(
    q,
    `${EVENT_SELECT}
     WHERE e.start_ms < $2 AND (e.end_ms > $1 OR e.start_ms >= $1)
       ${where.map((w) => `AND ${w}`).join(' ')}
     ORDER BY e.start_ms, e.id LIMIT $3`,
    params,
  )
  const more = rows.length > query.limit
  const page = more ? rows.slice(0, query.limit) : rows
  const last = page[page.length - 1]
  return {
    events: page.map(toEvent),
    next: more && last ? { startMs: last.start_ms, id: last.id } : null,
  }
}

export async function span(q: Queryable): Promise<TimeRange | undefined> {
  const first = (await one<{ s: number | null }>(q, 'SELECT min(start_ms) AS s FROM events'))?.s
  const last = await one<{ v: number }>(q, "SELECT value AS v FROM meta WHERE key = 'max_end_ms'")
  if (first === null || first === undefined || !last) return undefined
  return { startMs: first, endMs: Math.max(first, last.v) }
}

export async function listAfk(q: Queryable, range: OpenRange): Promise<AfkPeriod[]> {
  const { start, end } = bounds(range)
  const rows = await all<AfkRecord>(
    q,
    `${AFK_SELECT}
     WHERE a.start_ms < $2 AND (coalesce(a.end_ms, a.inferred_end_ms) IS NULL
       OR coalesce(a.end_ms, a.inferred_end_ms) > $1 OR a.start_ms >= $1)
     ORDER BY a.start_ms, a.device_id`,
    [start, end],
  )
  return rows.map(toAfk)
}

export async function named(q: Queryable, table: 'apps' | 'categories'): Promise<NamedRow[]> {
  return all<NamedRow>(q, `SELECT uuid AS id, name FROM ${table} ORDER BY name COLLATE "C", uuid`)
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

export async function projects(
  q: Queryable,
  page: { from?: ProjectCursor | undefined; limit: number },
): Promise<ProjectPage> {
  const { from, limit } = page
  // Order and cursor use the same total order (last_updated DESC, uuid DESC), so pages neither
  // skip nor repeat rows even when many projects share a timestamp.
  const data = await all<ProjectRecord>(
    q,
    `SELECT uuid, name, root_path, last_updated FROM projects
     WHERE $1::bigint IS NULL OR last_updated < $1 OR (last_updated = $1 AND uuid <= $2)
     ORDER BY last_updated DESC, uuid COLLATE "C" DESC LIMIT $3`,
    [from?.lastUpdated ?? null, from?.id ?? null, limit],
  )
  const cursors = await all<ProjectRecord>(
    q,
    `SELECT uuid, last_updated FROM (
       SELECT uuid, last_updated,
              row_number() OVER (ORDER BY last_updated DESC, uuid COLLATE "C" DESC) AS rn
       FROM projects) AS r
     WHERE (rn - 1) % $1 = 0 ORDER BY rn`,
    [limit],
  )
  return {
    data: data.map(toProject),
    totalPages: cursors.length,
    cursors: cursors.map((r) => ({ lastUpdated: r.last_updated, id: r.uuid })),
  }
}

/** Whether `name` has, in order, words starting with each of `tokens` (one phrase, last a prefix). */
function matchesPhrase(name: string, tokens: readonly string[]): boolean {
  const own = words(name)
  for (let i = 0; i + tokens.length <= own.length; i++) {
    if (
      tokens.every((t, k) =>
        k === tokens.length - 1 ? (own[i + k] as string).startsWith(t) : own[i + k] === t,
      )
    ) {
      return true
    }
  }
  return false
}

export async function searchProjects(
  q: Queryable,
  query: string,
  limit: number,
): Promise<ProjectRow[]> {
  const tokens = words(query)
  if (tokens.length === 0) return []
  const rows = await all<ProjectRecord>(
    q,
    `SELECT uuid, name, root_path, last_updated FROM projects
     WHERE lower(name) LIKE '%' || $1 || '%' ORDER BY last_updated DESC, uuid DESC`,
    [(tokens[0] as string).replace(/[\\%_]/g, '\\$&')],
  )
  // Best match first: fewer words besides the query's rank higher (as FTS5's rank does).
  return rows
    .filter((r) => matchesPhrase(r.name, tokens))
    .map((r, i) => ({ r, i, extra: words(r.name).length }))
    .sort((a, b) => a.extra - b.extra || a.i - b.i)
    .slice(0, limit)
    .map(({ r }) => toProject(r))
}

export async function project(q: Queryable, id: string): Promise<ProjectRow | undefined> {
  const row = await one<ProjectRecord>(
    q,
    'SELECT uuid, name, root_path, last_updated FROM projects WHERE uuid = $1',
    [id],
  )
  return row ? toProject(row) : undefined
}

export async function inputBuckets(
  q: Queryable,
  range: { startMs: number; endMs?: number | undefined; devices?: readonly string[] | undefined },
): Promise<InputBucket[]> {
  return all<InputBucket>(
    q,
    `SELECT bucket_ms AS "bucketMs", sum(lc)::bigint AS lc, sum(rc)::bigint AS rc,
            sum(mc)::bigint AS mc, sum(kp)::bigint AS kp, sum(mm)::bigint AS mm,
            sum(scroll)::bigint AS scroll
     FROM input_activity i
     WHERE bucket_ms >= $1 AND ($2::bigint IS NULL OR bucket_ms < $2)
       AND ($3::text[] IS NULL OR device_id IN (SELECT id FROM devices WHERE name = ANY($3::text[])))
     GROUP BY bucket_ms ORDER BY bucket_ms`,
    [range.startMs, range.endMs ?? null, range.devices ?? null],
  )
}

export async function inputRows(
  q: Queryable,
  range: { startMs: number; endMs: number; devices?: readonly string[] | undefined },
): Promise<InputRow[]> {
  return all<InputRow>(
    q,
    `SELECT i.bucket_ms AS "bucketMs", d.name AS device, i.source, i.lc, i.rc, i.mc, i.kp, i.mm,
            i.scroll
     FROM input_activity i JOIN devices d ON d.id = i.device_id
     WHERE i.bucket_ms >= $1 AND i.bucket_ms < $2
       AND ($3::text[] IS NULL OR d.name = ANY($3::text[]))
     ORDER BY i.bucket_ms, d.name COLLATE "C", i.source COLLATE "C"`,
    [range.startMs, range.endMs, range.devices ?? null],
  )
}

export async function settings(q: Queryable): Promise<Record<string, unknown>> {
  const rows = await all<{ key: string; value: string }>(q, 'SELECT key, value FROM settings')
  return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]))
}

export async function tokens(q: Queryable): Promise<TokenRow[]> {
  const rows = await all<{
    id: string
    name: string
    token_hash: string
    token_salt: string
    token_preview: string
    acl: TokenRow['acl']
    created_at: number
    expires_at: number | null
    last_used_at: number | null
    revoked: boolean
  }>(q, 'SELECT * FROM api_tokens ORDER BY created_at, row')
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    tokenHash: r.token_hash,
    tokenSalt: r.token_salt,
    tokenPreview: r.token_preview,
    acl: r.acl,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revoked: r.revoked,
  }))
}

export async function lastSeq(q: Queryable): Promise<number> {
  return (await one<{ v: number }>(q, "SELECT value AS v FROM meta WHERE key = 'seq'"))?.v ?? 0
}

/** The compacted feed after `after` (call on one snapshot): every row kind in `seq` order. */
export async function changesAfter(
  q: Queryable,
  after: number,
  limit: number,
): Promise<{ changes: Change[]; next: number }> {
  const heads = await all<{ seq: number; k: string }>(
    q,
    `SELECT seq, 'e' AS k FROM events WHERE seq > $1
     UNION ALL SELECT seq, 'a' FROM afk_periods WHERE seq > $1
     UNION ALL SELECT seq, 't' FROM tombstones WHERE seq > $1 AND kind <> 'screenshot'
     UNION ALL SELECT seq, 's' FROM settings WHERE seq > $1
     UNION ALL SELECT seq, 'd' FROM devices WHERE seq > $1
     UNION ALL SELECT seq, 'l' FROM labels WHERE seq > $1
     ORDER BY seq LIMIT $2`,
    [after, limit],
  )
  const of = (k: string) => heads.filter((h) => h.k === k).map((h) => h.seq)
  const changes: Change[] = []
  for (const r of await all<EventRecord>(q, `${EVENT_SELECT} WHERE e.seq = ANY($1::bigint[])`, [
    of('e'),
  ])) {
    changes.push({ seq: r.seq, kind: 'event', op: 'upsert', event: toEvent(r) })
  }
  for (const r of await all<AfkRecord>(q, `${AFK_SELECT} WHERE a.seq = ANY($1::bigint[])`, [
    of('a'),
  ])) {
    changes.push({ seq: r.seq, kind: 'afk', op: 'upsert', afk: toAfk(r) })
  }
  for (const l of await all<LabelRecord>(
    q,
    `SELECT ${LABEL_COLUMNS} FROM labels WHERE seq = ANY($1::bigint[])`,
    [of('l')],
  )) {
    changes.push({ seq: l.seq, kind: 'label', op: 'upsert', label: toLabel(l) })
  }
  for (const t of await all<{ seq: number; kind: 'event' | 'afk' | 'label'; id: string }>(
    q,
    'SELECT seq, kind, id FROM tombstones WHERE seq = ANY($1::bigint[])',
    [of('t')],
  )) {
    changes.push({ seq: t.seq, kind: t.kind, op: 'delete', id: t.id })
  }
  for (const s of await all<{ seq: number; key: string; value: string }>(
    q,
    'SELECT seq, key, value FROM settings WHERE seq = ANY($1::bigint[])',
    [of('s')],
  )) {
    changes.push({
      seq: s.seq,
      kind: 'setting',
      op: 'upsert',
      key: s.key,
      value: JSON.parse(s.value) as unknown,
    })
  }
  const deviceIds = (
    await all<{ id: number }>(q, 'SELECT id FROM devices WHERE seq = ANY($1::bigint[])', [of('d')])
  ).map((r) => r.id)
  changes.push(...(await deviceChanges(q, deviceIds)))
  changes.sort((a, b) => a.seq - b.seq)
  const last = heads[heads.length - 1]
  return { changes, next: last ? last.seq : after }
}

/** Every event overlapping `range`, named. */
async function eventsIn(q: Queryable, range: TimeRange): Promise<ActivityEvent[]> {
  const rows = await all<EventRecord>(
    q,
    `${EVENT_SELECT} WHERE e.start_ms < $2 AND (e.end_ms > $1 OR e.start_ms >= $1)`,
    [range.startMs, range.endMs],
  )
  return rows.map(toEvent)
}

/** The active timeline of `range` under the stored settings (call on one snapshot). */
async function timeline(q: Queryable, range: TimeRange, includeAfk: boolean) {
  const settings = await readSettings(q)
  const events = await eventsIn(q, range)
  const afk = includeAfk ? null : await listAfk(q, range)
  return eventTimeline(events, afk, range, settings)
}

/** Active seconds per bucket and group (see `ActiveTimeStore.query`); call on one snapshot. */
export async function activeTime(q: Queryable, query: ActiveTimeQuery): Promise<BucketCell[]> {
  const range = query.range
  if (!(range.startMs < range.endMs)) return []
  const segments = await timeline(q, range, query.includeAfk)
  const filters = (Object.entries(query.filters) as [Dimension, readonly string[]][])
    .filter(([, names]) => names && names.length > 0)
    .map(([dim, names]) => [dim, new Set(names)] as const)
  const kept = segments.filter((s) =>
    filters.every(([dim, names]) => {
      const v = s.event[dim]
      return v !== null && names.has(v)
    }),
  )
  const buckets =
    query.unit === null ? [{ label: '', ...range }] : splitRange(range, query.unit, query.calendar)
  const groupBy = query.groupBy
  return bucketize(kept, buckets, {
    group: groupBy === undefined ? () => TOTAL_GROUP : (e) => e[groupBy],
    meta: groupBy === 'entity' ? (e) => e.entityType : undefined,
  }).toCells()
}

/** Stretches of activity joined across gaps shorter than `gapMs` (see `ActiveTimeStore.sessions`). */
export async function sessions(q: Queryable, range: TimeRange, gapMs: number): Promise<Session[]> {
  const joiner = new SessionJoiner(gapMs)
  for (const seg of await timeline(q, range, false)) joiner.push(seg)
  return joiner.finish()
}

export async function label(q: Queryable, id: string): Promise<Label | undefined> {
  const row = await one<LabelRecord>(q, `SELECT ${LABEL_COLUMNS} FROM labels WHERE id = $1`, [id])
  return row ? toLabel(row) : undefined
}

export async function labels(
  q: Queryable,
  query: { range?: OpenRange | undefined; limit: number },
): Promise<Label[]> {
  if (!query.range) {
    return (
      await all<LabelRecord>(
        q,
        `SELECT ${LABEL_COLUMNS} FROM labels ORDER BY created_ms DESC, seq DESC LIMIT $1`,
        [query.limit],
      )
    ).map(toLabel)
  }
  const { start, end } = bounds(query.range)
  return (
    await all<LabelRecord>(
      q,
      `SELECT ${LABEL_COLUMNS} FROM labels WHERE start_ms < $2 AND (end_ms > $1 OR start_ms >= $1)
       ORDER BY start_ms, id LIMIT $3`,
      [start, end, query.limit],
    )
  ).map(toLabel)
}

/** A text-search query matching every word of `text` as a prefix, or undefined when it has none. */
function prefixQuery(text: string): string | undefined {
  const list = words(text)
  return list.length === 0 ? undefined : list.map((w) => `${w}:*`).join(' & ')
}

export async function searchLabels(q: Queryable, text: string, limit: number): Promise<Label[]> {
  const match = prefixQuery(text)
  if (match === undefined) return []
  // Words are letters and digits only, so nothing in them can be read as query syntax.
  return (
    await all<LabelRecord>(
      q,
      `SELECT ${LABEL_COLUMNS} FROM labels WHERE words @@ to_tsquery('simple', $1)
       ORDER BY ts_rank_cd(words, to_tsquery('simple', $1)) DESC, created_ms DESC LIMIT $2`,
      [match, limit],
    )
  ).map(toLabel)
}

/** Whether every token starts a word of `name`. */
function matchesWords(name: string, tokens: readonly string[]): boolean {
  const own = words(name)
  return tokens.every((t) => own.some((w) => w.startsWith(t)))
}

/** Events and labels whose names or text match `text` (see `SearchStore.search`); one snapshot. */
export async function search(
  q: Queryable,
  text: string,
  range: TimeRange,
  limit: number,
): Promise<SearchHit[]> {
  const tokens = words(text)
  if (tokens.length === 0) return []
  const like = `%${(tokens[0] as string).replace(/[\\%_]/g, '\\$&')}%`
  // The first word narrows in SQL; every word must start a word of one name (checked here).
  const candidates = await all<EventRecord>(
    q,
    `${EVENT_SELECT}
     WHERE e.start_ms >= $1 AND e.start_ms < $2
       AND (lower(e.entity) LIKE $3 OR lower(e.project) LIKE $3 OR lower(e.app) LIKE $3
            OR lower(coalesce(e.branch, '')) LIKE $3)
     ORDER BY e.start_ms DESC, e.id DESC`,
    [range.startMs, range.endMs, like],
  )
  const hits: SearchHit[] = []
  const settings = await readSettings(q)
  for (const r of candidates) {
    if (hits.length >= limit) break
    if (![r.entity, r.project, r.app, r.branch ?? ''].some((name) => matchesWords(name, tokens))) {
      continue
    }
    const event = toEvent(r)
    const within = { startMs: r.start_ms, endMs: Math.max(r.end_ms, r.start_ms) }
    let ms = 0
    for (const seg of eventTimeline(
      await eventsIn(q, within),
      await listAfk(q, within),
      within,
      settings,
    )) {
      if (seg.event.id === event.id) ms += seg.endMs - seg.startMs
    }
    hits.push({ type: 'event', event, activeSeconds: ms / 1000 })
  }
  const match = prefixQuery(text) as string
  for (const row of await all<LabelRecord>(
    q,
    `SELECT ${LABEL_COLUMNS} FROM labels
     WHERE words @@ to_tsquery('simple', $1) AND start_ms < $3 AND end_ms > $2
     ORDER BY start_ms DESC LIMIT $4`,
    [match, range.startMs, range.endMs, limit],
  )) {
    const l = toLabel(row)
    const within = {
      startMs: Math.max(l.startMs, range.startMs),
      endMs: Math.min(l.endMs, range.endMs),
    }
    let seconds = 0
    if (within.startMs < within.endMs) {
      for (const seg of await timeline(q, within, false))
        seconds += (seg.endMs - seg.startMs) / 1000
    }
    hits.push({ type: 'label', label: l, activeSeconds: seconds })
  }
  const start = (h: SearchHit) => (h.type === 'event' ? h.event.startMs : h.label.startMs)
  return hits.sort((x, y) => start(y) - start(x)).slice(0, limit)
}

export async function counts(q: Queryable): Promise<{
  events: number
  afkPeriods: number
  inputBuckets: number
  labels: number
  devices: number
}> {
  const row = await one<{
    events: number
    afk: number
    input: number
    labels: number
    devices: number
  }>(
    q,
    `SELECT (SELECT coalesce(sum(events), 0)::bigint FROM devices) AS events,
            (SELECT count(*) FROM afk_periods) AS afk,
            (SELECT count(*) FROM input_activity) AS input,
            (SELECT count(*) FROM labels) AS labels,
            (SELECT count(*) FROM devices) AS devices`,
  )
  return {
    events: row?.events ?? 0,
    afkPeriods: row?.afk ?? 0,
    inputBuckets: row?.input ?? 0,
    labels: row?.labels ?? 0,
    devices: row?.devices ?? 0,
  }
}

export async function collectors(q: Queryable): Promise<CollectorRow[]> {
  const rows = await all<{
    source: string
    device: string
    kind: CollectorRow['kind']
    last_seen_ms: number
    items: number
  }>(
    q,
    `SELECT c.source, d.name AS device, c.kind, c.last_seen_ms, c.items
     FROM collectors c JOIN devices d ON d.id = c.device_id
     ORDER BY c.last_seen_ms DESC, c.source COLLATE "C"`,
  )
  return rows.map((r) => ({
    source: r.source,
    device: r.device,
    kind: r.kind,
    lastSeenMs: r.last_seen_ms,
    items: r.items,
  }))
}
