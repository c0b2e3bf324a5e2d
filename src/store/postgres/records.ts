/**
 * Rows of the PostgreSQL store back into the domain's shapes, and the small writes every
 * aggregate shares: devices, names, tombstones, presence ending AFK periods, collector tallies.
 */
import { randomUUID } from 'node:crypto'
import { v7 as uuidv7 } from 'uuid'
import { type Change, type TombstoneKind, tombstoneChange } from '../../domain/changes.ts'
import {
  type ActivityEvent,
  type AfkPeriod,
  UNNAMED_AFK_SOURCE,
  afkId,
  namedDeviceId,
} from '../../domain/events.ts'
import { presenceEnd } from '../../domain/presence.ts'
import { type Settings, withDefaults } from '../../domain/settings.ts'
import type { DeviceRow } from '../ports.ts'
import { type StoredLabel, toLabel } from '../sqlite/records.ts'

export { toLabel }
import { hlc } from './clock.ts'
import { type DeviceRef, type Queryable, type Tx, all, one } from './db.ts'

/** An event with its names, device and the known type and root path, as selected. */
export const EVENT_SELECT = `
  SELECT e.seq, e.id, d.name AS device, e.start_ms, e.end_ms, e.duration, e.category, e.app,
         e.entity, en.type AS entity_type, e.project, p.root_path, e.branch, e.language, e.source
  FROM events e
  JOIN devices d ON d.id = e.device_id
  LEFT JOIN entities en ON en.project = e.project AND en.name = e.entity
  LEFT JOIN projects p ON p.name = e.project`

export interface EventRecord {
  seq: number
  id: string
  device: string
  start_ms: number
  end_ms: number
  duration: number | null
  category: string
  app: string
  entity: string
  entity_type: string | null
  project: string
  root_path: string | null
  branch: string | null
  language: string | null
  source: string
}

export function toEvent(r: EventRecord): ActivityEvent {
  return {
    id: r.id,
    device: r.device,
    startMs: r.start_ms,
    endMs: r.end_ms,
    durationSec: r.duration ?? Math.round((r.end_ms - r.start_ms) / 1000),
    category: r.category,
    app: r.app,
    entity: r.entity,
    entityType: r.entity_type,
    project: r.project,
    projectPath: r.root_path,
    branch: r.branch,
    language: r.language,
    source: r.source,
  }
}

export const AFK_SELECT = `
  SELECT a.seq, d.uuid, d.name AS device, a.start_ms, a.end_ms, a.inferred_end_ms, a.duration,
    a.source, a.device_id
  FROM afk_periods a JOIN devices d ON d.id = a.device_id`

export interface AfkRecord {
  seq: number
  uuid: string
  device: string
  device_id: number
  start_ms: number
  end_ms: number | null
  inferred_end_ms: number | null
  duration: number | null
  source: string | null
}

export function toAfk(r: AfkRecord): AfkPeriod {
  return {
    id: afkId(r.uuid, r.start_ms),
    device: r.device,
    startMs: r.start_ms,
    endMs: r.end_ms,
    inferredEndMs: r.end_ms === null ? r.inferred_end_ms : null,
    durationSec:
      r.duration ?? (r.end_ms === null ? null : Math.round((r.end_ms - r.start_ms) / 1000)),
    source: r.source ?? UNNAMED_AFK_SOURCE,
  }
}

export const LABEL_COLUMNS = 'seq, id, text, context, start_ms, end_ms, created_ms, updated_ms'

/** A `labels` row with its feed position. */
export type LabelRecord = StoredLabel & { seq: number }

interface DeviceRecord {
  id: number
  seq: number
  uuid: string
  name: string
  own: boolean
  last_seen_ms: number | null
  events: number
}

const DEVICE_SELECT = 'SELECT id, seq, uuid, name, own, last_seen_ms, events FROM devices'

/** Devices, the daemon's own first, then by name (or only those with the given ids). */
export async function deviceRows(q: Queryable, ids?: readonly number[]): Promise<DeviceRow[]> {
  const rows = await all<DeviceRecord>(
    q,
    `${DEVICE_SELECT} ${ids === undefined ? '' : 'WHERE id = ANY($1::bigint[])'} ORDER BY own DESC, name`,
    ids === undefined ? [] : [ids],
  )
  return rows.map((r) => ({
    id: r.uuid,
    name: r.name,
    own: r.own,
    lastSeenMs: r.last_seen_ms,
    events: r.events,
  }))
}

/** The devices with the given ids as feed changes. */
export async function deviceChanges(q: Queryable, ids: readonly number[]): Promise<Change[]> {
  if (ids.length === 0) return []
  const rows = await all<DeviceRecord>(q, `${DEVICE_SELECT} WHERE id = ANY($1::bigint[])`, [ids])
  return rows.map((r) => ({
    seq: r.seq,
    kind: 'device',
    op: 'upsert',
    device: { id: r.uuid, name: r.name, own: r.own },
  }))
}

/** Events at these feed positions, as changes. */
export async function eventChanges(q: Queryable, seqs: readonly number[]): Promise<Change[]> {
  if (seqs.length === 0) return []
  const rows = await all<EventRecord>(q, `${EVENT_SELECT} WHERE e.seq = ANY($1::bigint[])`, [seqs])
  return rows.map((r) => ({ seq: r.seq, kind: 'event', op: 'upsert', event: toEvent(r) }))
}

/** AFK periods at these feed positions, as changes. */
export async function afkChanges(q: Queryable, seqs: readonly number[]): Promise<Change[]> {
  if (seqs.length === 0) return []
  const rows = await all<AfkRecord>(q, `${AFK_SELECT} WHERE a.seq = ANY($1::bigint[])`, [seqs])
  return rows.map((r) => ({ seq: r.seq, kind: 'afk', op: 'upsert', afk: toAfk(r) }))
}

/** The stored settings over the defaults. */
export async function readSettings(q: Queryable): Promise<Settings> {
  const rows = await all<{ key: string; value: string }>(q, 'SELECT key, value FROM settings')
  return withDefaults(Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown])))
}

/** The daemon's own device. */
export async function ownDevice(q: Queryable): Promise<DeviceRef> {
  const own = await one<DeviceRef>(q, 'SELECT id, uuid, name FROM devices WHERE own')
  if (!own) throw new Error('the database has no own device (not migrated?)')
  return own
}

/**
 * The device named `name` (null: the daemon's own), creating it with a name-derived id and the
 * next feed position.
 */
export async function device(tx: Tx, name: string | null, nowMs: number): Promise<DeviceRef> {
  const key = name ?? '\u0000own'
  const cached = tx.devices.get(key)
  if (cached) return cached
  let ref =
    name === null
      ? await ownDevice(tx.c)
      : await one<DeviceRef>(tx.c, 'SELECT id, uuid, name FROM devices WHERE name = $1', [name])
  if (!ref && name !== null) {
    let uuid = namedDeviceId(name)
    // A renamed device may have left this name's derived id behind: then take a random one.
    if (await one(tx.c, 'SELECT 1 FROM devices WHERE uuid = $1', [uuid])) uuid = randomUUID()
    ref = await one<DeviceRef>(
      tx.c,
      `INSERT INTO devices (uuid, name, own, created_ms, events, seq)
       VALUES ($1, $2, false, $3, 0, $4) RETURNING id, uuid, name`,
      [uuid, name, nowMs, tx.nextSeq()],
    )
    if (!ref) throw new Error(`device ${name} was not created`)
    tx.createdDevices.push(ref.id)
  }
  if (!ref) throw new Error('no device')
  tx.devices.set(key, ref)
  return ref
}

/** Creates the apps or categories of these names that do not exist yet. */
export async function ensureNames(
  q: Queryable,
  table: 'apps' | 'categories',
  names: Iterable<string>,
): Promise<void> {
  const list = [...new Set(names)]
  if (list.length === 0) return
  await q.query(
    `INSERT INTO ${table} (uuid, name) SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT (name) DO NOTHING`,
    [list.map(() => uuidv7()), list],
  )
}

/** What events name, for the tables of names: projects' latest activity and paths, entity types. */
export interface NamedThings {
  project: string
  projectPath: string | null
  entity: string
  entityType: string | null
  category: string
  app: string
  endMs: number
}

/**
 * Creates the names a batch of events uses; a project's root path and an entity's type are set
 * the first time one is known, and a project's latest activity only moves forward.
 */
export async function ensureEventNames(tx: Tx, events: readonly NamedThings[]): Promise<void> {
  if (events.length === 0) return
  await ensureNames(
    tx.c,
    'categories',
    events.map((e) => e.category),
  )
  await ensureNames(
    tx.c,
    'apps',
    events.map((e) => e.app),
  )
  const projects = new Map<string, { path: string | null; lu: number }>()
  const entities = new Map<string, { project: string; name: string; type: string | null }>()
  for (const e of events) {
    const p = projects.get(e.project)
    const lu = Math.floor(e.endMs / 1000)
    if (!p) projects.set(e.project, { path: e.projectPath, lu })
    else {
      p.path ??= e.projectPath
      p.lu = Math.max(p.lu, lu)
    }
    const key = JSON.stringify([e.project, e.entity])
    const en = entities.get(key)
    if (!en) entities.set(key, { project: e.project, name: e.entity, type: e.entityType })
    else en.type ??= e.entityType
  }
  const names = [...projects.keys()]
  await tx.c.query(
    `INSERT INTO projects (uuid, name, root_path, last_updated)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
     ON CONFLICT (name) DO UPDATE SET root_path = coalesce(projects.root_path, excluded.root_path),
       last_updated = greatest(projects.last_updated, excluded.last_updated)`,
    [
      names.map(() => uuidv7()),
      names,
      names.map((n) => projects.get(n)?.path ?? null),
      names.map((n) => projects.get(n)?.lu ?? 0),
    ],
  )
  const list = [...entities.values()]
  await tx.c.query(
    `INSERT INTO entities (project, name, type)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (project, name) DO UPDATE SET type = coalesce(entities.type, excluded.type)`,
    [list.map((e) => e.project), list.map((e) => e.name), list.map((e) => e.type)],
  )
}

const TOMBSTONED_TABLES: Record<TombstoneKind, string> = {
  event: 'events',
  afk: 'afk_periods',
  label: 'labels',
}

/**
 * Deletes a row and leaves its tombstone at a new feed position (a row deleted twice keeps one
 * tombstone, at its latest position).
 */
export async function bury(
  tx: Tx,
  kind: TombstoneKind,
  row: { seq: number; id: string; startMs: number; deviceId?: number | null | undefined },
  received?: { version: number | null; origin: number },
): Promise<Change> {
  const seq = tx.nextSeq()
  // Versioned by the hybrid clock (sync compares it with later re-derivations); this daemon's
  // change (`origin` null) unless received from another daemon.
  await tx.c.query(
    `INSERT INTO tombstones (seq, kind, id, start_ms, device_id, version, origin)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, start_ms = excluded.start_ms,
       device_id = coalesce(excluded.device_id, tombstones.device_id),
       version = excluded.version, origin = excluded.origin`,
    [
      seq,
      kind,
      row.id,
      row.startMs,
      row.deviceId ?? null,
      received ? received.version : await hlc(tx),
      received ? received.origin : null,
    ],
  )
  await tx.c.query(`DELETE FROM ${TOMBSTONED_TABLES[kind]} WHERE seq = $1`, [row.seq])
  return tombstoneChange(seq, kind, row.id)
}

/**
 * Presence a write stored (per device id, its times) ends the device's open AFK periods (see
 * `presenceEnd`); resolves to their changes.
 */
export async function endOpenPeriods(
  tx: Tx,
  presence: ReadonlyMap<number, number[]>,
): Promise<Change[]> {
  const seqs: number[] = []
  for (const [deviceId, times] of presence) {
    times.sort((a, b) => a - b)
    const open = await all<{ seq: number; start_ms: number; inferred_end_ms: number | null }>(
      tx.c,
      'SELECT seq, start_ms, inferred_end_ms FROM afk_periods WHERE device_id = $1 AND end_ms IS NULL',
      [deviceId],
    )
    for (const o of open) {
      const t = presenceEnd({ startMs: o.start_ms, inferredEndMs: o.inferred_end_ms }, times)
      if (t === undefined) continue
      const seq = tx.nextSeq()
      await tx.c.query(
        'UPDATE afk_periods SET inferred_end_ms = $1, seq = $2, origin = NULL WHERE seq = $3',
        [t, seq, o.seq],
      )
      seqs.push(seq)
    }
  }
  return afkChanges(tx.c, seqs)
}

/** What a write added to each device: events stored (less deleted), and the latest time seen. */
export type DeviceTally = Map<number, { added: number; lastSeen: number }>

export async function updateDevices(tx: Tx, perDevice: DeviceTally): Promise<void> {
  for (const [id, d] of perDevice) {
    await tx.c.query(
      `UPDATE devices SET events = greatest(0, events + $1),
         last_seen_ms = greatest(coalesce(last_seen_ms, 0), $2) WHERE id = $3`,
      [d.added, d.lastSeen, id],
    )
  }
}

/** Records that each sender (source, device id → items) sent items of `kind` at `receivedMs`. */
export async function recordSenders(
  tx: Tx,
  senders: ReadonlyMap<string, number>,
  kind: 'events' | 'afk' | 'input',
  receivedMs: number,
): Promise<void> {
  for (const [key, items] of senders) {
    const [source, deviceId] = JSON.parse(key) as [string, number]
    await tx.c.query(
      `INSERT INTO collectors (source, device_id, kind, last_seen_ms, items)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (source, device_id, kind) DO UPDATE SET last_seen_ms = excluded.last_seen_ms,
         items = collectors.items + excluded.items`,
      [source, deviceId, kind, receivedMs, items],
    )
  }
}

/** Counts one item of `source` from device `deviceId` into `senders`. */
export function tallySender(senders: Map<string, number>, source: string, deviceId: number): void {
  const key = JSON.stringify([source, deviceId])
  senders.set(key, (senders.get(key) ?? 0) + 1)
}

/** Raises the latest event end known (for `span`). */
export async function raiseMaxEnd(tx: Tx, ms: number): Promise<void> {
  if (ms <= 0) return
  await tx.c.query(
    `INSERT INTO meta (key, value) VALUES ('max_end_ms', $1)
     ON CONFLICT (key) DO UPDATE SET value = greatest(meta.value, excluded.value)`,
    [ms],
  )
}

/** The changes of a write in feed order, with the devices it created first among them. */
export async function finishChanges(tx: Tx, changes: readonly Change[]): Promise<Change[]> {
  const created = await deviceChanges(tx.c, tx.createdDevices)
  return [...created, ...changes].sort((a, b) => a.seq - b.seq)
}
