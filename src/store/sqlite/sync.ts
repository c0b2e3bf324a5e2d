/**
 * Sync's reads: the feed as sync carries it (rows by content id, devices by id), what a spoke has
 * not had acknowledged, its cursors, and a hub's paired devices.
 */
import { stringify as uuidStringify } from 'uuid'
import { SYNCED_SETTINGS } from '../../domain/sync.ts'
import type { SyncClientRow, SyncCursors, SyncOrigin, SyncPage } from '../ports.ts'
import {
  type AfkRow,
  type ClientRecord,
  type FeedChange,
  type InputBucketRow,
  type LabelRow,
  type SettingRow,
  type TombstoneRow,
  CLIENT_COLUMNS,
  afkChange,
  inputChange,
  nextPage,
  settingChange,
  syncLabel,
  toSyncClient,
  tombstoneChange,
  withDeviceIds,
} from '../sync-wire.ts'
import type { Connection } from './connection.ts'
import { lookupNames } from './dimensions.ts'
import { FRAME_RECORD, type FrameRecord, toSyncScreenshot } from './screenshots.ts'
import type { StoredEvent } from './records.ts'

/** The feed's row kinds and their tables; every one has a `seq` and an `origin`. */
const HEADS = [
  ['e', 'events', ''],
  ['a', 'afk_periods', ''],
  ['t', 'tombstones', ''],
  ['s', 'settings', `AND key IN (${SYNCED_SETTINGS.map((k) => `'${k}'`).join(', ')})`],
  ['d', 'devices', ''],
  ['l', 'labels', ''],
  ['i', 'input_activity', ''],
  ['f', 'screenshots', ''],
] as const

/** The SQL condition `origin` selects, and its parameter. */
function originFilter(c: Connection, origin: SyncOrigin): { sql: string; peer: number | null } {
  if ('only' in origin) return { sql: 'origin IS NULL', peer: null }
  const peer = c.get<{ id: number }>('SELECT id FROM devices WHERE uuid = $u', {
    u: origin.except,
  })?.id
  return { sql: 'origin IS NOT $peer', peer: peer ?? -1 }
}

/** The latest feed position committed. */
export function lastSeq(c: Connection): number {
  return c.get<{ v: number }>("SELECT value AS v FROM meta WHERE key = 'seq'")?.v ?? 0
}

/** An `events` row with its sync version. */
type EventRecord = StoredEvent & { version: number | null }

/** See `SyncStore.changes`. */
export function syncChanges(
  c: Connection,
  after: number,
  limit: number,
  origin: SyncOrigin,
): SyncPage {
  return c.read(() => {
    const last = lastSeq(c)
    const { sql, peer } = originFilter(c, origin)
    const params = { a: after, n: limit, ...(peer === null ? {} : { peer }) }
    const heads = c.all<{ seq: number; k: string }>(
      `${HEADS.map(([k, table, extra]) => `SELECT seq, '${k}' AS k FROM ${table} WHERE seq > $a AND ${sql} ${extra}`).join(' UNION ALL ')}
       ORDER BY seq LIMIT $n`,
      params,
    )
    const seqs = (k: string) => JSON.stringify(heads.filter((h) => h.k === k).map((h) => h.seq))
    const out: FeedChange[] = []
    const deviceIds = new Set<number>()

    const events = c.all<EventRecord>(
      `SELECT seq, id, device_id, start_ms, end_ms, duration, category_id, app_id, entity_id,
              project_id, branch_id, language_id, source_id, version
       FROM events WHERE seq IN (SELECT value FROM json_each($s))`,
      { s: seqs('e') },
    )
    if (events.length > 0) {
      const ids = (f: (r: EventRecord) => number | null) =>
        events.map(f).filter((v): v is number => v !== null)
      const categories = lookupNames(
        c,
        'categories',
        ids((r) => r.category_id),
      )
      const apps = lookupNames(
        c,
        'apps',
        ids((r) => r.app_id),
      )
      const entities = lookupNames(
        c,
        'entities',
        ids((r) => r.entity_id),
      )
      const projects = lookupNames(
        c,
        'projects',
        ids((r) => r.project_id),
      )
      const branches = lookupNames(
        c,
        'branches',
        ids((r) => r.branch_id),
      )
      const languages = lookupNames(
        c,
        'languages',
        ids((r) => r.language_id),
      )
      const sources = lookupNames(
        c,
        'sources',
        ids((r) => r.source_id),
      )
      const name = (m: Map<number, { name: string }>, id: number) => m.get(id)?.name ?? ''
      for (const r of events) {
        deviceIds.add(r.device_id)
        const entity = entities.get(r.entity_id)
        const project = projects.get(r.project_id)
        out.push({
          seq: r.seq,
          change: {
            kind: 'event',
            op: 'upsert',
            id: uuidStringify(r.id),
            device: String(r.device_id), // replaced by the device's id below
            startMs: r.start_ms,
            endMs: r.end_ms,
            durationSec: r.duration,
            category: name(categories, r.category_id),
            app: name(apps, r.app_id),
            entity: entity?.name ?? '',
            entityType: entity?.extra ?? null,
            project: project?.name ?? '',
            projectPath: project?.extra ?? null,
            branch: r.branch_id === null ? null : name(branches, r.branch_id),
            language: r.language_id === null ? null : name(languages, r.language_id),
            source: name(sources, r.source_id),
            version: r.version,
          },
        })
      }
    }

    for (const r of c.all<AfkRow>(
      `SELECT seq, device_id, start_ms, end_ms, inferred_end_ms, duration, source FROM afk_periods
       WHERE seq IN (SELECT value FROM json_each($s))`,
      { s: seqs('a') },
    )) {
      deviceIds.add(r.device_id)
      out.push(afkChange(r))
    }

    for (const r of c.all<TombstoneRow & { id: Uint8Array }>(
      `SELECT seq, kind, id, device_id, start_ms, version FROM tombstones
       WHERE seq IN (SELECT value FROM json_each($s))`,
      { s: seqs('t') },
    )) {
      if (r.device_id !== null) deviceIds.add(r.device_id)
      out.push(tombstoneChange(r, uuidStringify(r.id)))
    }

    for (const r of c.all<SettingRow>(
      `SELECT seq, key, value, version FROM settings WHERE seq IN (SELECT value FROM json_each($s))`,
      { s: seqs('s') },
    )) {
      out.push(settingChange(r))
    }

    for (const r of c.all<{ seq: number; id: number; uuid: string; name: string; version: number }>(
      `SELECT seq, id, uuid, name, version FROM devices WHERE seq IN (SELECT value FROM json_each($s))`,
      { s: seqs('d') },
    )) {
      deviceIds.add(r.id)
      out.push({
        seq: r.seq,
        change: { kind: 'device', op: 'upsert', id: r.uuid, name: r.name, version: r.version },
      })
    }

    for (const r of c.all<LabelRow>(
      `SELECT seq, id, text, context, start_ms, end_ms, created_ms, updated_ms, version FROM labels
       WHERE seq IN (SELECT value FROM json_each($s))`,
      { s: seqs('l') },
    )) {
      out.push({ seq: r.seq, change: syncLabel(r) })
    }

    for (const r of c.all<InputBucketRow>(
      `SELECT seq, bucket_ms, device_id, source, lc, rc, mc, kp, mm, scroll FROM input_activity
       WHERE seq IN (SELECT value FROM json_each($s))`,
      { s: seqs('i') },
    )) {
      deviceIds.add(r.device_id)
      out.push(inputChange(r))
    }

    // Screenshots' index rows (their images stay here).
    for (const r of c.all<FrameRecord>(
      `SELECT ${FRAME_RECORD} FROM screenshots WHERE seq IN (SELECT value FROM json_each($s))`,
      { s: seqs('f') },
    )) {
      deviceIds.add(r.device_id)
      out.push({ seq: r.seq, change: toSyncScreenshot(r) })
    }

    // Devices by their ids (the integer ids are this database's own).
    const devices: Record<string, string> = {}
    const uuidOf = new Map<number, string>()
    if (deviceIds.size > 0) {
      for (const d of c.all<{ id: number; uuid: string; name: string }>(
        'SELECT id, uuid, name FROM devices WHERE id IN (SELECT value FROM json_each($ids))',
        { ids: JSON.stringify([...deviceIds]) },
      )) {
        uuidOf.set(d.id, d.uuid)
        devices[d.uuid] = d.name
      }
    }
    withDeviceIds(out, uuidOf)
    out.sort((x, y) => x.seq - y.seq)
    const next = nextPage(heads, limit, after, last)
    return { devices, changes: out.map((o) => o.change), next, last }
  })
}

/** See `SyncStore.pending`. */
export function pendingChanges(c: Connection, after: number): number {
  return c.read(
    () =>
      c.get<{ n: number }>(
        `SELECT (${HEADS.map(([, table, extra]) => `(SELECT count(*) FROM ${table} WHERE seq > $a AND origin IS NULL ${extra})`).join(' + ')}) AS n`,
        { a: after },
      )?.n ?? 0,
  )
}

/** A meta value, or `fallback`. */
function meta(c: Connection, key: string): number | undefined {
  return c.get<{ value: number }>('SELECT value FROM meta WHERE key = $k', { k: key })?.value
}

/** See `SyncStore.cursors`. */
export function syncCursors(c: Connection): SyncCursors {
  return c.read(() => ({
    pulledSeq: meta(c, 'sync_pulled') ?? 0,
    pulledEpoch: meta(c, 'sync_pulled_epoch') ?? null,
    pushedSeq: meta(c, 'sync_pushed') ?? 0,
  }))
}

/** A hub's paired devices (see `SyncStore.clients`). */
export function syncClients(
  c: Connection,
  where = '',
  params: Record<string, string> = {},
): SyncClientRow[] {
  return c
    .all<ClientRecord>(
      `SELECT ${CLIENT_COLUMNS}
       FROM sync_clients s JOIN devices d ON d.id = s.device_id ${where}
       ORDER BY s.paired_ms, s.id`,
      params,
    )
    .map(toSyncClient)
}
