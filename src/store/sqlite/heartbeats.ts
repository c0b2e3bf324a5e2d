/**
 * WakaTime heartbeats in SQLite: paging through a stream to find the stretches new heartbeats
 * change (the rule is `src/domain/wakatime/reconcile.ts`), deriving their events
 * (`src/domain/wakatime/derive.ts`), and reading heartbeats back.
 */
import type { NewActivityEvent } from '../../domain/events.ts'
import type { StreamHeartbeat } from '../../domain/wakatime/derive.ts'
import {
  type PageRequest,
  type PagedHeartbeat,
  type Replacement,
  type Stretch,
  type StreamWalk,
  deriveStretch,
  findStretches,
} from '../../domain/wakatime/reconcile.ts'
import type { StoredHeartbeat } from '../../domain/wakatime/heartbeat.ts'
import { editorDisplayName } from '../../domain/wakatime/user-agent.ts'
import type { TimeRange } from '../../domain/calendar.ts'
import type { HeartbeatMachine } from '../ports.ts'
import type { Connection } from './connection.ts'

/** A heartbeat's place in its stream: time, then hash. */
export interface StreamKey {
  t: number
  h: Uint8Array
}

/** One editor on one device. */
export interface Stream {
  deviceId: number
  deviceUuid: string
  /** The device as derived events name it (null: the daemon's own). */
  deviceName: string | null
  sourceId: number
  /** `wakatime-<editor slug>`. */
  source: string
}

interface StreamRow {
  time_ms: number
  hash: Uint8Array
  entity: string
  type: string
  category: string
  project: string
  branch: string
  language: string
  deleted: number
}

const PAGE = 512

const ROW_COLUMNS = 'time_ms, hash, entity, type, category, project, branch, language, deleted'

function compareKeys(a: StreamKey, b: StreamKey): number {
  return a.t - b.t || Buffer.compare(a.h, b.h)
}

/** A key's hash as hex: the heartbeat's identity within its device. */
export function hashHex(h: Uint8Array): string {
  return Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('hex')
}

function keyOf(r: StreamRow): StreamKey {
  return { t: r.time_ms, h: r.hash }
}

function heartbeatOf(r: StreamRow): StreamHeartbeat {
  return {
    timeMs: r.time_ms,
    entity: r.entity,
    type: r.type,
    category: r.category,
    project: r.project,
    branch: r.branch,
    language: r.language,
    deleted: r.deleted === 1,
  }
}

/** Rows of a stream strictly before `key`, latest first. */
function before(c: Connection, s: Stream, key: StreamKey, limit: number): StreamRow[] {
  return c.all<StreamRow>(
    `SELECT ${ROW_COLUMNS} FROM wakatime_heartbeats
     WHERE device_id = $d AND source_id = $s AND time_ms <= $t AND (time_ms < $t OR hash < $h)
     ORDER BY time_ms DESC, hash DESC LIMIT $n`,
    { d: s.deviceId, s: s.sourceId, t: key.t, h: key.h, n: limit },
  )
}

/** Rows of a stream after `key` (or from it, `inclusive`), earliest first. */
function after(
  c: Connection,
  s: Stream,
  key: StreamKey,
  limit: number,
  inclusive = false,
): StreamRow[] {
  return c.all<StreamRow>(
    `SELECT ${ROW_COLUMNS} FROM wakatime_heartbeats
     WHERE device_id = $d AND source_id = $s AND time_ms >= $t
       AND (time_ms > $t OR hash ${inclusive ? '>=' : '>'} $h)
     ORDER BY time_ms, hash LIMIT $n`,
    { d: s.deviceId, s: s.sourceId, t: key.t, h: key.h, n: limit },
  )
}

/** A stretch to re-derive: from `start` (a heartbeat) up to, not including, `end` (null: to the end). */
export type Region = Stretch<StreamKey>

function walkOf(timeoutMs: number): StreamWalk<StreamKey> {
  return {
    compare: compareKeys,
    timeOf: (k) => k.t,
    idOf: (k) => hashHex(k.h),
    pageSize: PAGE,
    timeoutMs,
  }
}

/**
 * Runs a walk of the domain's (`findStretches`, `deriveStretch`) over stream `s`: answers each
 * page it asks for and hands each replacement to `replace`; resolves to what the walk returns.
 */
function run<T>(
  c: Connection,
  s: Stream,
  steps: Generator<PageRequest<StreamKey> | Replacement, T, PagedHeartbeat<StreamKey>[]>,
  replace: (r: Replacement) => void = () => undefined,
): T {
  let step = steps.next([])
  while (!step.done) {
    const ask = step.value
    if ('events' in ask) {
      replace(ask)
      step = steps.next([])
      continue
    }
    const rows =
      ask.direction === 'before'
        ? before(c, s, ask.key, PAGE)
        : after(c, s, ask.key, PAGE, ask.inclusive)
    step = steps.next(rows.map((r) => ({ ...heartbeatOf(r), key: keyOf(r) })))
  }
  return step.value
}

/**
 * The stretches of a stream that the heartbeats `added` (just inserted) change: around each, from
 * the stable cut before it to the stable cut after it (see `src/domain/wakatime/reconcile.ts`),
 * read a page at a time.
 */
export function findRegions(
  c: Connection,
  s: Stream,
  added: readonly StreamKey[],
  timeoutMs: number,
): Region[] {
  return run(c, s, findStretches(walkOf(timeoutMs), added))
}

/**
 * Derives the events of a region, handing them over in windows of start time: `replace(from, to,
 * events)` receives every event starting in [from, to) (see `deriveStretch`).
 */
export function deriveRegion(
  c: Connection,
  s: Stream,
  region: Region,
  timeoutMs: number,
  replace: (fromMs: number, toMs: number, events: NewActivityEvent[]) => void,
): void {
  const context = {
    device: s.deviceName,
    source: s.source,
    app: editorDisplayName(s.source.slice('wakatime-'.length)),
  }
  run(c, s, deriveStretch(walkOf(timeoutMs), region, context), (r) =>
    replace(r.fromMs, r.toMs, r.events),
  )
}

/** Every stream that has heartbeats, as (device, source) ids. */
export function allStreams(c: Connection): { device_id: number; source_id: number }[] {
  return c.all(
    'SELECT DISTINCT device_id, source_id FROM wakatime_heartbeats ORDER BY device_id, source_id',
  )
}

/** The first heartbeat of a stream. */
export function firstKey(c: Connection, s: Stream): StreamKey | undefined {
  const row = after(c, s, { t: Number.MIN_SAFE_INTEGER, h: new Uint8Array(0) }, 1, true)[0]
  return row ? keyOf(row) : undefined
}

interface ListedRow extends Omit<StreamRow, 'deleted'> {
  is_write: number
  extra: string | null
  device: string
  device_uuid: string
  user_agent: string
  editor: string
  os: string
}

/** Heartbeats with a time in `range`, by time then hash. */
export function listHeartbeats(c: Connection, range: TimeRange, limit: number): StoredHeartbeat[] {
  return c
    .all<ListedRow>(
      `SELECT h.time_ms, h.hash, h.entity, h.type, h.category, h.project, h.branch, h.language,
              h.is_write, h.extra, d.name AS device, d.uuid AS device_uuid, a.user_agent, a.editor, a.os
       FROM wakatime_heartbeats h
       JOIN devices d ON d.id = h.device_id
       JOIN wakatime_agents a ON a.id = h.agent_id
       WHERE h.time_ms >= $a AND h.time_ms < $b AND h.deleted = 0
       ORDER BY h.time_ms, h.hash LIMIT $n`,
      { a: range.startMs, b: range.endMs, n: limit },
    )
    .map((r) => ({
      id: hashHex(r.hash),
      entity: r.entity,
      type: r.type,
      category: r.category,
      project: r.project,
      branch: r.branch,
      language: r.language,
      isWrite: r.is_write === 1,
      timeMs: r.time_ms,
      device: r.device,
      deviceId: r.device_uuid,
      editor: r.editor,
      os: r.os,
      userAgent: r.user_agent,
      extra: r.extra === null ? null : (JSON.parse(r.extra) as Record<string, unknown>),
    }))
}

/** A row of {@link MACHINES_SQL}: a device's latest heartbeat (portable SQL, both stores). */
export interface MachineRow {
  device: string
  uuid: string
  last_ms: number
  editor: string
  os: string
  user_agent: string
  project: string | null
}

/** The latest heartbeat of each device, latest first (runs as is on SQLite and PostgreSQL). */
export const MACHINES_SQL = `SELECT d.name AS device, d.uuid, m.last_ms, a.editor, a.os, a.user_agent, m.project
  FROM wakatime_machines m
  JOIN devices d ON d.id = m.device_id
  JOIN wakatime_agents a ON a.id = m.agent_id
  ORDER BY m.last_ms DESC, d.name`

/** A {@link MachineRow} as the port gives it. */
export function toMachine(r: MachineRow): HeartbeatMachine {
  return {
    device: r.device,
    deviceId: r.uuid,
    lastMs: r.last_ms,
    editor: r.editor,
    os: r.os,
    userAgent: r.user_agent,
    project: r.project,
  }
}

/** The latest heartbeat of each device, latest first. */
export function heartbeatMachines(c: Connection): HeartbeatMachine[] {
  return c.all<MachineRow>(MACHINES_SQL).map(toMachine)
}
