/**
 * Stored rows back into the domain's named shapes: names are looked up once per batch of rows,
 * never joined per row.
 */
import { stringify as uuidStringify } from 'uuid'
import {
  type ActivityEvent,
  type AfkPeriod,
  UNNAMED_AFK_SOURCE,
  afkId,
} from '../../domain/events.ts'
import type { DeviceRow } from '../ports.ts'
import type { Change } from '../../domain/changes.ts'
import type { Label } from '../../domain/labels.ts'
import type { Connection } from './connection.ts'
import { lookupNames } from './dimensions.ts'

/** An `events` row as stored. */
export interface StoredEvent {
  seq: number
  id: Uint8Array
  device_id: number
  start_ms: number
  end_ms: number
  duration: number | null
  category_id: number
  app_id: number
  entity_id: number
  project_id: number
  branch_id: number | null
  language_id: number | null
  source_id: number
}

export const EVENT_COLUMNS = `seq, id, device_id, start_ms, end_ms, duration, category_id, app_id,
  entity_id, project_id, branch_id, language_id, source_id`

/** An `afk_periods` row as stored. */
export interface StoredAfk {
  seq: number
  device_id: number
  start_ms: number
  end_ms: number | null
  inferred_end_ms: number | null
  duration: number | null
  source: string | null
}

export const AFK_COLUMNS = 'seq, device_id, start_ms, end_ms, inferred_end_ms, duration, source'

interface DeviceInfo {
  uuid: string
  name: string
}

function devicesById(c: Connection, ids: Iterable<number>): Map<number, DeviceInfo> {
  const list = [...new Set(ids)]
  const out = new Map<number, DeviceInfo>()
  if (list.length === 0) return out
  for (const r of c.all<{ id: number; uuid: string; name: string }>(
    'SELECT id, uuid, name FROM devices WHERE id IN (SELECT value FROM json_each($ids))',
    { ids: JSON.stringify(list) },
  )) {
    out.set(r.id, { uuid: r.uuid, name: r.name })
  }
  return out
}

/** The events of `rows`, named, in the same order. */
export function namedEvents(c: Connection, rows: readonly StoredEvent[]): ActivityEvent[] {
  if (rows.length === 0) return []
  const pick = (f: (r: StoredEvent) => number | null) =>
    rows.map(f).filter((v): v is number => v !== null)
  const devices = devicesById(
    c,
    pick((r) => r.device_id),
  )
  const categories = lookupNames(
    c,
    'categories',
    pick((r) => r.category_id),
  )
  const apps = lookupNames(
    c,
    'apps',
    pick((r) => r.app_id),
  )
  const entities = lookupNames(
    c,
    'entities',
    pick((r) => r.entity_id),
  )
  const projects = lookupNames(
    c,
    'projects',
    pick((r) => r.project_id),
  )
  const branches = lookupNames(
    c,
    'branches',
    pick((r) => r.branch_id),
  )
  const languages = lookupNames(
    c,
    'languages',
    pick((r) => r.language_id),
  )
  const sources = lookupNames(
    c,
    'sources',
    pick((r) => r.source_id),
  )
  const name = (m: Map<number, { name: string }>, id: number) => m.get(id)?.name ?? ''
  return rows.map((r) => {
    const entity = entities.get(r.entity_id)
    const project = projects.get(r.project_id)
    return {
      id: uuidStringify(r.id),
      device: devices.get(r.device_id)?.name ?? '',
      startMs: r.start_ms,
      endMs: r.end_ms,
      durationSec: r.duration ?? Math.round((r.end_ms - r.start_ms) / 1000),
      category: name(categories, r.category_id),
      app: name(apps, r.app_id),
      entity: entity?.name ?? '',
      entityType: entity?.extra ?? null,
      project: project?.name ?? '',
      projectPath: project?.extra ?? null,
      branch: r.branch_id === null ? null : name(branches, r.branch_id),
      language: r.language_id === null ? null : name(languages, r.language_id),
      source: name(sources, r.source_id),
    }
  })
}

/** The AFK periods of `rows`, named, in the same order. */
export function namedAfk(c: Connection, rows: readonly StoredAfk[]): AfkPeriod[] {
  const devices = devicesById(
    c,
    rows.map((r) => r.device_id),
  )
  return rows.map((r) => {
    const device = devices.get(r.device_id)
    return {
      id: afkId(device?.uuid ?? '', r.start_ms),
      device: device?.name ?? '',
      startMs: r.start_ms,
      endMs: r.end_ms,
      inferredEndMs: r.end_ms === null ? r.inferred_end_ms : null,
      durationSec:
        r.duration ?? (r.end_ms === null ? null : Math.round((r.end_ms - r.start_ms) / 1000)),
      source: r.source ?? UNNAMED_AFK_SOURCE,
    }
  })
}

interface StoredDevice {
  seq: number
  uuid: string
  name: string
  own: number
  last_seen_ms: number | null
  events: number
}

function storedDevices(c: Connection, where: string, params: Record<string, string>) {
  return c.all<StoredDevice>(
    `SELECT seq, uuid, name, own, last_seen_ms, events FROM devices ${where} ORDER BY own DESC, name`,
    params,
  )
}

function toDevice(r: StoredDevice): DeviceRow {
  return {
    id: r.uuid,
    name: r.name,
    own: r.own === 1,
    lastSeenMs: r.last_seen_ms,
    events: r.events,
  }
}

/** A `labels` row as stored. */
export interface StoredLabel {
  id: string
  text: string
  context: string | null
  start_ms: number
  end_ms: number
  created_ms: number
  updated_ms: number
}

export const LABEL_COLUMNS = 'id, text, context, start_ms, end_ms, created_ms, updated_ms'

export function toLabel(r: StoredLabel): Label {
  return {
    id: r.id,
    text: r.text,
    context: r.context,
    startMs: r.start_ms,
    endMs: r.end_ms,
    createdMs: r.created_ms,
    updatedMs: r.updated_ms,
  }
}

/** Devices, the daemon's own first, then by name (or only those with the given ids). */
export function deviceRows(c: Connection, ids?: readonly number[]): DeviceRow[] {
  return ids === undefined
    ? storedDevices(c, '', {}).map(toDevice)
    : storedDevices(c, 'WHERE id IN (SELECT value FROM json_each($ids))', {
        ids: JSON.stringify(ids),
      }).map(toDevice)
}

/** The devices with the given ids as feed changes. */
export function deviceChanges(c: Connection, ids: readonly number[]): Change[] {
  return storedDevices(c, 'WHERE id IN (SELECT value FROM json_each($ids))', {
    ids: JSON.stringify(ids),
  }).map((r) => ({
    seq: r.seq,
    kind: 'device',
    op: 'upsert',
    device: { id: r.uuid, name: r.name, own: r.own === 1 },
  }))
}
