/**
 * Stored rows as sync carries them, for every store (SQLite and PostgreSQL name their columns
 * alike): the feed's rows made into changes, a device's row id replaced by its id, the rows an
 * applying store compares an incoming change with, and a hub's paired devices.
 */
import { afkId } from '../domain/events.ts'
import type {
  SyncAfk,
  SyncChange,
  SyncEvent,
  SyncInput,
  SyncLabel,
  SyncSetting,
  SyncTombstone,
} from '../domain/sync.ts'
import type { SyncClientRow } from './ports.ts'

/** A change read from the feed at its position. */
export interface FeedChange {
  seq: number
  change: SyncChange
}

/** A stored event as sync compares it (`storedEvent`). */
export interface StoredEventRow {
  seq: number
  device_id: number
  start_ms: number
  end_ms: number
  duration: number | null
  version: number | null
}

/** A stored AFK period as sync compares it (`storedAfk`). */
export interface StoredAfkRow {
  seq: number
  device_id: number
  start_ms: number
  end_ms: number | null
  inferred_end_ms: number | null
  duration: number | null
}

export interface AfkRow extends StoredAfkRow {
  source: string | null
}

/** An AFK period's change; its device (and so its id) is a row id until `withDeviceIds`. */
export function afkChange(r: AfkRow): FeedChange {
  return {
    seq: r.seq,
    change: {
      kind: 'afk',
      op: 'upsert',
      id: '', // set with the device's id
      device: String(r.device_id),
      startMs: r.start_ms,
      endMs: r.end_ms,
      inferredEndMs: r.end_ms === null ? r.inferred_end_ms : null,
      durationSec: r.duration,
      source: r.source,
    },
  }
}

export interface TombstoneRow {
  seq: number
  kind: SyncTombstone['kind']
  device_id: number | null
  start_ms: number | null
  version: number | null
}

/** A tombstone's change (`id` its content id as text). */
export function tombstoneChange(r: TombstoneRow, id: string): FeedChange {
  return {
    seq: r.seq,
    change: {
      kind: r.kind,
      op: 'delete',
      id,
      device: r.device_id === null ? null : String(r.device_id),
      startMs: r.start_ms,
      version: r.version,
    },
  }
}

export interface SettingRow {
  seq: number
  key: string
  value: string
  version: number
}

export function settingChange(r: SettingRow): FeedChange {
  return {
    seq: r.seq,
    change: {
      kind: 'setting',
      op: 'upsert',
      key: r.key,
      value: JSON.parse(r.value) as unknown,
      version: r.version,
    },
  }
}

export interface LabelRow {
  seq: number
  id: string
  text: string
  context: string | null
  start_ms: number
  end_ms: number
  created_ms: number
  updated_ms: number
  version: number
}

/** A label as sync carries it. */
export function syncLabel(r: LabelRow): SyncLabel {
  return {
    kind: 'label',
    op: 'upsert',
    id: r.id,
    text: r.text,
    context: r.context,
    startMs: r.start_ms,
    endMs: r.end_ms,
    createdMs: r.created_ms,
    updatedMs: r.updated_ms,
    version: r.version,
  }
}

export interface InputBucketRow {
  seq: number
  bucket_ms: number
  device_id: number
  source: string
  lc: number
  rc: number
  mc: number
  kp: number
  mm: number
  scroll: number
}

export function inputChange(r: InputBucketRow): FeedChange {
  const { seq, bucket_ms, device_id, source, lc, rc, mc, kp, mm, scroll } = r
  const change: SyncInput = {
    kind: 'input',
    op: 'upsert',
    device: String(device_id),
    bucketMs: bucket_ms,
    source,
    lc,
    rc,
    mc,
    kp,
    mm,
    scroll,
  }
  return { seq, change }
}

/**
 * Replaces the devices' row ids the changes name with their ids (`uuidOf`; the row ids are the
 * database's own), and gives AFK periods their content ids, which name the device's id.
 */
export function withDeviceIds(out: readonly FeedChange[], uuidOf: Map<number, string>): void {
  const uuid = (local: string) => uuidOf.get(Number(local)) ?? ''
  for (const { change } of out) {
    if (change.kind === 'device') continue
    if (change.op === 'delete') {
      if (change.device !== null) change.device = uuid(change.device)
    } else if (change.kind === 'event' || change.kind === 'input') {
      change.device = uuid(change.device)
    } else if (change.kind === 'afk') {
      change.device = uuid(change.device)
      change.id = afkId(change.device, change.startMs)
    }
  }
}

/**
 * Where the next page starts: past every position committed when fewer than `limit` rows were
 * read, else at the last row read.
 */
export function nextPage(
  heads: readonly { seq: number }[],
  limit: number,
  after: number,
  last: number,
): number {
  return heads.length < limit ? Math.max(after, last) : (heads[heads.length - 1]?.seq ?? after)
}

/** The fields of a stored event a tombstone is compared on (its names do not matter then). */
const PLACEHOLDER_EVENT: SyncEvent = {
  kind: 'event',
  op: 'upsert',
  id: '',
  device: '',
  startMs: 0,
  endMs: 0,
  durationSec: null,
  category: '',
  app: '',
  entity: '',
  entityType: null,
  project: '',
  projectPath: null,
  branch: null,
  language: null,
  source: '',
  version: null,
}

/** A stored event in the wire's form, to compare `incoming` with (`source`: the stored one's). */
export function storedEvent(
  incoming: SyncEvent | SyncTombstone,
  found: StoredEventRow,
  source: string,
): SyncEvent {
  return {
    ...(incoming.op === 'upsert' ? incoming : PLACEHOLDER_EVENT),
    source: incoming.op === 'upsert' ? incoming.source : source,
    endMs: found.end_ms,
    durationSec: found.duration,
    version: found.version,
  }
}

/** A stored AFK period in the wire's form, to compare `incoming` with. */
export function storedAfk(incoming: SyncAfk | SyncTombstone, found: StoredAfkRow): SyncAfk {
  return {
    kind: 'afk',
    op: 'upsert',
    id: incoming.id,
    device: incoming.device ?? '',
    startMs: found.start_ms,
    endMs: found.end_ms,
    inferredEndMs: found.end_ms === null ? found.inferred_end_ms : null,
    durationSec: found.duration,
  }
}

/**
 * A setting as held now, to compare `incoming` with: written earlier in the same batch
 * (`pending`), else stored (`row`), else none.
 */
export function storedSetting(
  incoming: SyncSetting,
  pending: { value: unknown; version: number } | undefined,
  row: { value: string; version: number } | undefined,
): SyncSetting | undefined {
  const held = pending ?? (row && { value: JSON.parse(row.value) as unknown, version: row.version })
  return held && { kind: 'setting', op: 'upsert', key: incoming.key, ...held }
}

/** A hub's paired device as stored (`revoked` a boolean or SQLite's 0/1). */
export interface ClientRecord {
  id: string
  uuid: string
  name: string
  token_hash: string
  token_preview: string
  paired_ms: number
  last_seen_ms: number | null
  pushed_seq: number
  epoch: number | null
  revoked: number | boolean
}

/** The columns of `ClientRecord`: `sync_clients s JOIN devices d`. */
export const CLIENT_COLUMNS = `s.id, d.uuid, d.name, s.token_hash, s.token_preview, s.paired_ms,
  s.last_seen_ms, s.pushed_seq, s.epoch, s.revoked`

export function toSyncClient(r: ClientRecord): SyncClientRow {
  return {
    id: r.id,
    deviceId: r.uuid,
    name: r.name,
    tokenHash: r.token_hash,
    tokenPreview: r.token_preview,
    pairedMs: r.paired_ms,
    lastSeenMs: r.last_seen_ms,
    pushedSeq: r.pushed_seq,
    epoch: r.epoch,
    revoked: r.revoked === true || r.revoked === 1,
  }
}
