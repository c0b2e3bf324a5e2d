/**
 * Sync on the PostgreSQL store, a hub's side (its spokes keep their diaries in SQLite): the feed
 * as sync carries it (rows by content id, devices by id), the cursors, and the store's sync port.
 * Applying a pushed batch is `sync-apply.ts`; pairing codes and paired devices `sync-clients.ts`.
 * Every rule (what wins, names, where pushes resume) is the domain's, as on SQLite.
 */
import type pg from 'pg'
import type { EventRecord } from './records.ts'
import { ConflictError } from '../../domain/errors.ts'
import { type SyncChange, SYNCED_SETTINGS } from '../../domain/sync.ts'
import type { SyncClientRow, SyncCursors, SyncOrigin, SyncPage, SyncStore } from '../ports.ts'
import {
  type AfkRow,
  type FeedChange,
  type InputBucketRow,
  type LabelRow,
  type SettingRow,
  type TombstoneRow,
  afkChange,
  inputChange,
  nextPage,
  settingChange,
  syncLabel,
  tombstoneChange,
  withDeviceIds,
} from '../sync-wire.ts'
import { type Queryable, all, one, snapshot, write } from './db.ts'
import { applySync } from './sync-rows.ts'
import { createCode, pair, pushedFor, setMeta, syncClients } from './sync-clients.ts'

const SYNCED = `key IN (${SYNCED_SETTINGS.map((k) => `'${k}'`).join(', ')})`

/** The feed's row kinds and their tables; every one has a `seq` and an `origin`. */
const HEADS = [
  ['e', 'events', ''],
  ['a', 'afk_periods', ''],
  ['t', 'tombstones', ''],
  ['s', 'settings', `AND ${SYNCED}`],
  ['d', 'devices', ''],
  ['l', 'labels', ''],
  ['i', 'input_activity', ''],
  ['f', 'sync_frames', ''],
] as const

/** The SQL condition `origin` selects (its parameter `$3`, a device's row id). */
async function originFilter(
  q: Queryable,
  origin: SyncOrigin,
): Promise<{ sql: string; peer: number }> {
  if ('only' in origin) return { sql: 'origin IS NULL', peer: -1 }
  const row = await one<{ id: number }>(q, 'SELECT id FROM devices WHERE uuid = $1', [
    origin.except,
  ])
  return { sql: 'origin IS DISTINCT FROM $3', peer: row?.id ?? -1 }
}

async function lastSeq(q: Queryable): Promise<number> {
  return (await one<{ value: number }>(q, "SELECT value FROM meta WHERE key = 'seq'"))?.value ?? 0
}

/** See `SyncStore.changes` (read on one snapshot). */
async function syncChanges(
  q: Queryable,
  after: number,
  limit: number,
  origin: SyncOrigin,
): Promise<SyncPage> {
  const last = await lastSeq(q)
  const { sql, peer } = await originFilter(q, origin)
  const heads = await all<{ seq: number; k: string }>(
    q,
    `${HEADS.map(([k, table, extra]) => `SELECT seq, '${k}' AS k FROM ${table} WHERE seq > $1 AND ${sql} ${extra}`).join(' UNION ALL ')}
     ORDER BY seq LIMIT $2`,
    [after, limit, ...('only' in origin ? [] : [peer])],
  )
  const of = (k: string) => heads.filter((h) => h.k === k).map((h) => h.seq)
  const out: FeedChange[] = []
  // Devices by their row ids until the end (the ids are this database's own).
  const deviceIds = new Set<number>()
  const rows = <R extends pg.QueryResultRow>(sql: string, k: string) =>
    of(k).length === 0 ? Promise.resolve([]) : all<R>(q, sql, [of(k)])

  for (const r of await rows<
    Omit<EventRecord, 'device'> & { device_id: number; version: number | null }
  >(
    `SELECT e.seq, e.id, e.device_id, e.start_ms, e.end_ms, e.duration, e.category, e.app,
            e.entity, en.type AS entity_type, e.project, p.root_path, e.branch, e.language,
            e.source, e.version
     FROM events e
     LEFT JOIN entities en ON en.project = e.project AND en.name = e.entity
     LEFT JOIN projects p ON p.name = e.project
     WHERE e.seq = ANY($1::bigint[])`,
    'e',
  )) {
    deviceIds.add(r.device_id)
    out.push({
      seq: r.seq,
      change: {
        kind: 'event',
        op: 'upsert',
        id: r.id,
        device: String(r.device_id),
        startMs: r.start_ms,
        endMs: r.end_ms,
        durationSec: r.duration,
        category: r.category,
        app: r.app,
        entity: r.entity,
        entityType: r.entity_type,
        project: r.project,
        projectPath: r.root_path,
        branch: r.branch,
        language: r.language,
        source: r.source,
        version: r.version,
      },
    })
  }

  for (const r of await rows<AfkRow>(
    `SELECT seq, device_id, start_ms, end_ms, inferred_end_ms, duration, source FROM afk_periods
     WHERE seq = ANY($1::bigint[])`,
    'a',
  )) {
    deviceIds.add(r.device_id)
    out.push(afkChange(r))
  }

  for (const r of await rows<TombstoneRow & { id: string }>(
    'SELECT seq, kind, id, device_id, start_ms, version FROM tombstones WHERE seq = ANY($1::bigint[])',
    't',
  )) {
    if (r.device_id !== null) deviceIds.add(r.device_id)
    out.push(tombstoneChange(r, r.id))
  }

  for (const r of await rows<SettingRow>(
    'SELECT seq, key, value, version FROM settings WHERE seq = ANY($1::bigint[])',
    's',
  )) {
    out.push(settingChange(r))
  }

  for (const r of await rows<{
    seq: number
    id: number
    uuid: string
    name: string
    version: number
  }>('SELECT seq, id, uuid, name, version FROM devices WHERE seq = ANY($1::bigint[])', 'd')) {
    deviceIds.add(r.id)
    out.push({
      seq: r.seq,
      change: { kind: 'device', op: 'upsert', id: r.uuid, name: r.name, version: r.version },
    })
  }

  for (const r of await rows<LabelRow>(
    `SELECT seq, id, text, context, start_ms, end_ms, created_ms, updated_ms, version FROM labels
     WHERE seq = ANY($1::bigint[])`,
    'l',
  )) {
    out.push({ seq: r.seq, change: syncLabel(r) })
  }

  for (const r of await rows<InputBucketRow>(
    `SELECT seq, bucket_ms, device_id, source, lc, rc, mc, kp, mm, scroll FROM input_activity
     WHERE seq = ANY($1::bigint[])`,
    'i',
  )) {
    deviceIds.add(r.device_id)
    out.push(inputChange(r))
  }

  // Screenshots' index rows received from devices, as they came (the device by id already).
  for (const r of await rows<{ seq: number; frame: string }>(
    'SELECT seq, frame FROM sync_frames WHERE seq = ANY($1::bigint[])',
    'f',
  )) {
    out.push({ seq: r.seq, change: JSON.parse(r.frame) as SyncChange })
  }

  const devices: Record<string, string> = {}
  const uuidOf = new Map<number, string>()
  if (deviceIds.size > 0) {
    for (const d of await all<{ id: number; uuid: string; name: string }>(
      q,
      'SELECT id, uuid, name FROM devices WHERE id = ANY($1::bigint[])',
      [[...deviceIds]],
    )) {
      uuidOf.set(d.id, d.uuid)
      devices[d.uuid] = d.name
    }
  }
  // A frame's row came with its device's id already.
  withDeviceIds(out, uuidOf)
  // A frame's row names its device by id; the batch names every device it mentions.
  const frameDevices = out
    .map((o) => o.change)
    .filter((c) => c.kind === 'screenshot' && c.op === 'upsert')
    .map((c) => (c as { device: string }).device)
    .filter((d) => !(d in devices))
  if (frameDevices.length > 0) {
    for (const d of await all<{ uuid: string; name: string }>(
      q,
      'SELECT uuid, name FROM devices WHERE uuid = ANY($1::text[])',
      [frameDevices],
    )) {
      devices[d.uuid] = d.name
    }
  }
  out.sort((x, y) => x.seq - y.seq)
  return {
    devices,
    changes: out.map((o) => o.change),
    next: nextPage(heads, limit, after, last),
    last,
  }
}

/** See `SyncStore.pending`. */
async function pendingChanges(q: Queryable, after: number): Promise<number> {
  return (
    (
      await one<{ n: number }>(
        q,
        `SELECT (${HEADS.map(([, table, extra]) => `(SELECT count(*) FROM ${table} WHERE seq > $1 AND origin IS NULL ${extra})`).join(' + ')})::int AS n`,
        [after],
      )
    )?.n ?? 0
  )
}

/** See `SyncStore.cursors`. */
async function syncCursors(q: Queryable): Promise<SyncCursors> {
  const meta = new Map(
    (
      await all<{ key: string; value: number }>(
        q,
        "SELECT key, value FROM meta WHERE key IN ('sync_pulled', 'sync_pulled_epoch', 'sync_pushed')",
      )
    ).map((r) => [r.key, r.value]),
  )
  return {
    pulledSeq: meta.get('sync_pulled') ?? 0,
    pulledEpoch: meta.get('sync_pulled_epoch') ?? null,
    pushedSeq: meta.get('sync_pushed') ?? 0,
  }
}

/** The sync port of a PostgreSQL store. */
export function pgSyncStore(pool: pg.Pool): SyncStore {
  return {
    changes: (after, limit, origin) => snapshot(pool, (q) => syncChanges(q, after, limit, origin)),
    pending: (after) => pendingChanges(pool, after),
    apply: (batch, peer, cursor, receivedMs) =>
      write(pool, (tx) => applySync(tx, batch, peer, cursor, receivedMs)),
    cursors: () => syncCursors(pool),
    setPushed: (seq) => write(pool, (tx) => setMeta(tx.c, 'sync_pushed', seq)),
    resetCursors: async () => {
      await pool.query(
        "DELETE FROM meta WHERE key IN ('sync_pulled', 'sync_pulled_epoch', 'sync_pushed')",
      )
    },
    checkSpoke: () => {
      throw new ConflictError(
        'spoke_needs_sqlite',
        'a daemon on PostgreSQL serves devices as a hub (daybook pair) but does not pair with a hub itself; a device that pairs keeps its diary in SQLite',
      )
    },
    createCode: (code) => createCode(pool, code),
    pair: (request) => write(pool, (tx) => pair(tx, request)),
    clients: (): Promise<SyncClientRow[]> => syncClients(pool),
    revoke: async (id) =>
      ((await pool.query('UPDATE sync_clients SET revoked = true WHERE id = $1', [id])).rowCount ??
        0) > 0,
    touch: async (id, nowMs) => {
      await pool.query('UPDATE sync_clients SET last_seen_ms = $2 WHERE id = $1', [id, nowMs])
    },
    pushedFor: (client, epoch, startSeq) =>
      write(pool, (tx) => pushedFor(tx.c, client, epoch, startSeq)),
  }
}
