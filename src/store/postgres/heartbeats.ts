/**
 * WakaTime heartbeats in PostgreSQL: storing them, and keeping each stream's derived events (one
 * editor on one device) equal to what its heartbeats derive. As in the SQLite store, a write
 * derives again only the stretches its new heartbeats can change, from the stable cut before each
 * to the stable cut after it (`src/domain/wakatime/reconcile.ts` decides, a page of the stream at a
 * time; `deriveEvents`' `StreamDeriver` derives; `diffDerived` says what to change): the cost of a
 * post is that of its stretches, not of everything the device ever sent.
 */
import type { Change } from '../../domain/changes.ts'
import { type NewActivityEvent, eventId } from '../../domain/events.ts'
import { isPresence } from '../../domain/presence.ts'
import { sourcePriorityOf } from '../../domain/timeline.ts'
import type { TimeRange } from '../../domain/calendar.ts'
import type { StreamHeartbeat } from '../../domain/wakatime/derive.ts'
import {
  type Heartbeat,
  type StoredHeartbeat,
  hasPlaceholder,
  heartbeatHash,
} from '../../domain/wakatime/heartbeat.ts'
import {
  type PageRequest,
  type PagedHeartbeat,
  type Replacement,
  type Stretch,
  type StreamWalk,
  deriveStretch,
  diffDerived,
  findStretches,
} from '../../domain/wakatime/reconcile.ts'
import {
  editorDisplayName,
  editorSource,
  isWakatimeSource,
} from '../../domain/wakatime/user-agent.ts'
import type { HeartbeatIngestResult, HeartbeatMachine } from '../ports.ts'
import { hlc } from './clock.ts'
import { type Queryable, type Tx, all, one } from './db.ts'
import {
  type DeviceTally,
  bury,
  device,
  endOpenPeriods,
  ensureEventNames,
  eventChanges,
  finishChanges,
  raiseMaxEnd,
  readSettings,
  recordSenders,
  tallySender,
  updateDevices,
} from './records.ts'
import { type MachineRow, MACHINES_SQL, toMachine } from '../sqlite/heartbeats.ts'
import { insertEventRows } from './writes.ts'

/** One editor on one device. */
interface Stream {
  deviceId: number
  deviceUuid: string
  deviceName: string
  source: string
}

/** A heartbeat's place in its stream: time, then hash. */
interface StreamKey {
  t: number
  h: Buffer
}

interface StreamRow {
  time_ms: number
  hash: Buffer
  entity: string
  type: string
  category: string
  project: string
  branch: string
  language: string
  deleted: boolean
}

/** What a derivation does to a stream: the stretches around `added` heartbeats, or all of it. */
interface StreamWork {
  stream: Stream
  /** The heartbeats this write stored or blanked; undefined: derive the whole stream. */
  added?: StreamKey[]
}

const PAGE = 512

const ROW_COLUMNS = 'time_ms, hash, entity, type, category, project, branch, language, deleted'

function compareKeys(a: StreamKey, b: StreamKey): number {
  return a.t - b.t || Buffer.compare(a.h, b.h)
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
    deleted: r.deleted,
  }
}

/** Rows of a stream strictly before `key`, latest first (bytea orders as `Buffer.compare`). */
function before(q: Queryable, s: Stream, key: StreamKey): Promise<StreamRow[]> {
  return all<StreamRow>(
    q,
    `SELECT ${ROW_COLUMNS} FROM wakatime_heartbeats
     WHERE device_id = $1 AND source = $2 AND (time_ms, hash) < ($3, $4)
     ORDER BY time_ms DESC, hash DESC LIMIT ${String(PAGE)}`,
    [s.deviceId, s.source, key.t, key.h],
  )
}

/** Rows of a stream after `key` (or from it, `inclusive`), earliest first. */
function after(q: Queryable, s: Stream, key: StreamKey, inclusive = false): Promise<StreamRow[]> {
  return all<StreamRow>(
    q,
    `SELECT ${ROW_COLUMNS} FROM wakatime_heartbeats
     WHERE device_id = $1 AND source = $2 AND (time_ms, hash) ${inclusive ? '>=' : '>'} ($3, $4)
     ORDER BY time_ms, hash LIMIT ${String(PAGE)}`,
    [s.deviceId, s.source, key.t, key.h],
  )
}

type Region = Stretch<StreamKey>

function walkOf(timeoutMs: number): StreamWalk<StreamKey> {
  return {
    compare: compareKeys,
    timeOf: (k) => k.t,
    idOf: (k) => k.h.toString('hex'),
    pageSize: PAGE,
    timeoutMs,
  }
}

/**
 * Runs a walk of the domain's (`findStretches`, `deriveStretch`, the SQLite store's too) over
 * stream `s`: answers each page it asks for and hands each replacement to `replace`; resolves to
 * what the walk returns.
 */
async function run<T>(
  q: Queryable,
  s: Stream,
  steps: Generator<PageRequest<StreamKey> | Replacement, T, PagedHeartbeat<StreamKey>[]>,
  replace: (r: Replacement) => Promise<void> = () => Promise.resolve(),
): Promise<T> {
  let step = steps.next([])
  while (!step.done) {
    const ask = step.value
    if ('events' in ask) {
      await replace(ask)
      step = steps.next([])
      continue
    }
    const rows =
      ask.direction === 'before'
        ? await before(q, s, ask.key)
        : await after(q, s, ask.key, ask.inclusive)
    step = steps.next(rows.map((r) => ({ ...heartbeatOf(r), key: keyOf(r) })))
  }
  return step.value
}

/**
 * Derives the stretches of streams the work names again and makes the stored events equal;
 * resolves to the changes (events only when `withChanges`; tombstones and AFK periods ended always).
 */
async function derive(tx: Tx, work: Iterable<StreamWork>, withChanges: boolean): Promise<Change[]> {
  const settings = await readSettings(tx.c)
  const priority = sourcePriorityOf(settings.sourcePriority)
  const timeoutMs = settings.heartbeatTimeoutSec * 1000
  const changes: Change[] = []
  const upserted: number[] = []
  const perDevice: DeviceTally = new Map()
  const presence = new Map<number, number[]>()
  let maxEnd = 0
  for (const { stream: s, added } of work) {
    let tally = perDevice.get(s.deviceId)
    if (!tally) perDevice.set(s.deviceId, (tally = { added: 0, lastSeen: 0 }))
    const deviceTally = tally
    // Derived events are an editor's: presence, unless the settings rank the editor lower.
    const isEditorPresence = isPresence(priority(s.source))
    /** Makes the stored events of `s` that start in [fromMs, toMs) equal to `events`. */
    const replace = async (fromMs: number, toMs: number, events: NewActivityEvent[]) => {
      const stored = (
        await all<{ seq: number; id: string; start_ms: number; end_ms: number }>(
          tx.c,
          `SELECT seq, id, start_ms, end_ms FROM events
           WHERE device_id = $1 AND source = $2 AND start_ms >= $3 AND start_ms < $4`,
          [s.deviceId, s.source, fromMs, toMs],
        )
      ).map((r) => ({ key: r.id, endMs: r.end_ms, seq: r.seq, startMs: r.start_ms }))
      const derived = events.map((event) => ({
        key: eventId(s.deviceUuid, event),
        endMs: event.endMs,
        event,
      }))
      const diff = diffDerived(stored, derived)
      const inserts = []
      await ensureEventNames(
        tx,
        diff.upserts.map((u) => u.derived.event),
      )
      for (const { derived: d, stored: old } of diff.upserts) {
        const seq = tx.nextSeq()
        if (old) {
          await tx.c.query(
            `UPDATE events SET seq = $1, end_ms = $2, duration = NULL, version = $3, origin = NULL
             WHERE seq = $4`,
            [seq, d.event.endMs, await hlc(tx), old.seq],
          )
        } else {
          inserts.push({ seq, id: d.key, deviceId: s.deviceId, e: d.event, version: await hlc(tx) })
          deviceTally.added++
          if (isEditorPresence) {
            const times = presence.get(s.deviceId) ?? []
            times.push(d.event.startMs)
            presence.set(s.deviceId, times)
          }
        }
        upserted.push(seq)
        deviceTally.lastSeen = Math.max(deviceTally.lastSeen, d.event.endMs)
        maxEnd = Math.max(maxEnd, d.event.endMs)
      }
      if (inserts.length > 0) {
        // A derived event made again lifts the tombstone an earlier derivation left of it.
        await tx.c.query("DELETE FROM tombstones WHERE kind = 'event' AND id = ANY($1::text[])", [
          inserts.map((r) => r.id),
        ])
      }
      await insertEventRows(tx, inserts)
      for (const old of diff.removals) {
        changes.push(
          await bury(tx, 'event', {
            seq: old.seq,
            id: old.key,
            startMs: old.startMs,
            deviceId: s.deviceId,
          }),
        )
        deviceTally.added--
      }
    }
    const walk = walkOf(timeoutMs)
    let regions: Region[]
    if (added) regions = await run(tx.c, s, findStretches(walk, added))
    else {
      const first = (
        await after(tx.c, s, { t: Number.MIN_SAFE_INTEGER, h: Buffer.alloc(0) }, true)
      )[0]
      regions = first ? [{ start: keyOf(first), end: null }] : []
    }
    const context = {
      device: s.deviceName,
      source: s.source,
      app: editorDisplayName(s.source.slice('wakatime-'.length)),
    }
    for (const region of regions) {
      await run(tx.c, s, deriveStretch(walk, region, context), (r) =>
        replace(r.fromMs, r.toMs, r.events),
      )
    }
  }
  await updateDevices(tx, perDevice)
  await raiseMaxEnd(tx, maxEnd)
  changes.push(...(await endOpenPeriods(tx, presence)))
  if (withChanges) changes.push(...(await eventChanges(tx.c, upserted)))
  return changes
}

/** A heartbeat of a batch with what storing it needs: its device, source, agent and hash. */
interface Placed {
  h: Heartbeat
  ref: { id: number; uuid: string; name: string }
  source: string
  agent: number
  hash: Buffer
}

/**
 * The latest heartbeat of each device (`wakatime_machines`) after `fresh` (new heartbeats, in
 * arrival order): one read and one write per device, with the rule of a row written per heartbeat
 * (a heartbeat as late as the latest or later replaces its time and agent; a named project stays
 * until another is named). Safe as a read then a write: the diary's write lock is held.
 */
async function recordMachines(tx: Tx, fresh: readonly Placed[]): Promise<void> {
  const byDevice = new Map<number, Placed[]>()
  for (const p of fresh) byDevice.set(p.ref.id, [...(byDevice.get(p.ref.id) ?? []), p])
  for (const [deviceId, placed] of byDevice) {
    let latest = await one<{ last_ms: number; agent_id: number; project: string | null }>(
      tx.c,
      'SELECT last_ms, agent_id, project FROM wakatime_machines WHERE device_id = $1',
      [deviceId],
    )
    for (const { h, agent } of placed) {
      const named = !hasPlaceholder(h) && h.project !== '' ? h.project : null
      if (latest && h.timeMs < latest.last_ms) continue
      latest = { last_ms: h.timeMs, agent_id: agent, project: named ?? latest?.project ?? null }
    }
    if (!latest) continue
    await tx.c.query(
      `INSERT INTO wakatime_machines (device_id, last_ms, agent_id, project) VALUES ($1, $2, $3, $4)
       ON CONFLICT (device_id) DO UPDATE SET last_ms = excluded.last_ms,
         agent_id = excluded.agent_id, project = excluded.project`,
      [deviceId, latest.last_ms, latest.agent_id, latest.project],
    )
  }
}

/**
 * Stores heartbeats and derives the stretches of the streams they change (see
 * `HeartbeatStore.insert`). The batch is one `INSERT` (a heartbeat sent twice in it is stored
 * once, the first time): a statement per heartbeat would hold the diary's write lock for a round
 * trip each.
 */
export async function insertHeartbeats(
  tx: Tx,
  heartbeats: readonly Heartbeat[],
  receivedMs: number,
  withChanges: boolean,
): Promise<HeartbeatIngestResult> {
  const senders = new Map<string, number>()
  const agents = new Map<string, number>()
  const placed: Placed[] = []
  for (const h of heartbeats) {
    const ref = await device(tx, h.device, receivedMs)
    const source = editorSource(h.editor)
    tallySender(senders, source, ref.id)
    const agentKey = JSON.stringify([h.userAgent, h.editor, h.os])
    let agent = agents.get(agentKey)
    if (agent === undefined) {
      await tx.c.query(
        `INSERT INTO wakatime_agents (user_agent, editor, os) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING`,
        [h.userAgent, h.editor, h.os],
      )
      agent = (
        (await one<{ id: number }>(
          tx.c,
          'SELECT id FROM wakatime_agents WHERE user_agent = $1 AND editor = $2 AND os = $3',
          [h.userAgent, h.editor, h.os],
        )) as { id: number }
      ).id
      agents.set(agentKey, agent)
    }
    placed.push({ h, ref, source, agent, hash: Buffer.from(heartbeatHash(h)) })
  }
  const col = <T>(f: (p: Placed) => T) => placed.map(f)
  const inserted = await all<{ device_id: number; hash: Buffer }>(
    tx.c,
    `INSERT INTO wakatime_heartbeats (device_id, hash, source, time_ms, entity, type, category,
                                      project, branch, language, is_write, agent_id, extra)
     SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::bigint[], $5::text[],
       $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::boolean[], $12::bigint[],
       $13::text[])
     ON CONFLICT (device_id, hash) DO NOTHING
     RETURNING device_id, hash`,
    [
      col((p) => p.ref.id),
      col((p) => p.hash),
      col((p) => p.source),
      col((p) => p.h.timeMs),
      col((p) => p.h.entity),
      col((p) => p.h.type),
      col((p) => p.h.category),
      col((p) => p.h.project),
      col((p) => p.h.branch),
      col((p) => p.h.language),
      col((p) => p.h.isWrite),
      col((p) => p.agent),
      col((p) => (p.h.extra === null ? null : JSON.stringify(p.h.extra))),
    ],
  )
  const keyOfRow = (deviceId: number, hash: Buffer) => `${String(deviceId)}/${hash.toString('hex')}`
  const unclaimed = new Set(inserted.map((r) => keyOfRow(r.device_id, r.hash)))
  // In arrival order: of two equal heartbeats in the batch, the first is the one stored.
  const stored = placed.map((p) => unclaimed.delete(keyOfRow(p.ref.id, p.hash)))
  const fresh = placed.filter((_, i) => stored[i])
  await recordMachines(tx, fresh)
  const streams = new Map<string, Required<StreamWork>>()
  for (const { h, ref, source, hash } of fresh) {
    const key = JSON.stringify([ref.id, source])
    let entry = streams.get(key)
    if (!entry) {
      const stream = { deviceId: ref.id, deviceUuid: ref.uuid, deviceName: ref.name, source }
      streams.set(key, (entry = { stream, added: [] }))
    }
    entry.added.push({ t: h.timeMs, h: hash })
  }
  await recordSenders(tx, senders, 'events', receivedMs)
  const changes = await derive(tx, streams.values(), withChanges)
  return {
    inserted: fresh.length,
    duplicates: heartbeats.length - fresh.length,
    updated: 0,
    changes: await finishChanges(tx, changes),
    stored,
  }
}

/** Every stream that has heartbeats. */
async function streamsOf(q: Queryable): Promise<Stream[]> {
  return (
    await all<{ device_id: number; uuid: string; name: string; source: string }>(
      q,
      `SELECT DISTINCT h.device_id, d.uuid, d.name, h.source
       FROM wakatime_heartbeats h JOIN devices d ON d.id = h.device_id
       ORDER BY h.device_id, h.source`,
    )
  ).map((r) => ({
    deviceId: r.device_id,
    deviceUuid: r.uuid,
    deviceName: r.name,
    source: r.source,
  }))
}

/** Derives every stream's events again (the heartbeat timeout changed). */
export async function rederiveAll(tx: Tx): Promise<Change[]> {
  return derive(
    tx,
    (await streamsOf(tx.c)).map((stream) => ({ stream })),
    true,
  )
}

/**
 * Deleted events derived from WakaTime heartbeats stay deleted: the heartbeats inside them become
 * blank markers (still ending the coverage of the heartbeat before, covering nothing), and the
 * stretches around them are derived again (a placeholder after them may have named them).
 */
export async function forgetHeartbeats(
  tx: Tx,
  rows: readonly { device_id: number; source: string; start_ms: number; end_ms: number }[],
): Promise<Change[]> {
  const marked = new Map<string, StreamKey[]>()
  for (const r of rows) {
    if (!isWakatimeSource(r.source)) continue
    const keys = await all<{ time_ms: number; hash: Buffer }>(
      tx.c,
      `UPDATE wakatime_heartbeats SET deleted = true, entity = '', project = '', branch = '',
         language = '', extra = NULL
       WHERE device_id = $1 AND source = $2 AND time_ms >= $3 AND time_ms < $4 AND NOT deleted
       RETURNING time_ms, hash`,
      [r.device_id, r.source, r.start_ms, r.end_ms],
    )
    if (keys.length === 0) continue
    const key = JSON.stringify([r.device_id, r.source])
    marked.set(key, [...(marked.get(key) ?? []), ...keys.map((k) => ({ t: k.time_ms, h: k.hash }))])
  }
  if (marked.size === 0) return []
  const work = (await streamsOf(tx.c)).flatMap((stream) => {
    const added = marked.get(JSON.stringify([stream.deviceId, stream.source]))
    return added ? [{ stream, added }] : []
  })
  return derive(tx, work, true)
}

/** Heartbeats with a time in `range`, by time then hash. */
export async function listHeartbeats(
  q: Queryable,
  range: TimeRange,
  limit: number,
): Promise<StoredHeartbeat[]> {
  const rows = await all<{
    time_ms: number
    hash: Buffer
    entity: string
    type: string
    category: string
    project: string
    branch: string
    language: string
    is_write: boolean
    extra: string | null
    device: string
    device_uuid: string
    user_agent: string
    editor: string
    os: string
  }>(
    q,
    `SELECT h.time_ms, h.hash, h.entity, h.type, h.category, h.project, h.branch, h.language,
            h.is_write, h.extra, d.name AS device, d.uuid AS device_uuid, a.user_agent, a.editor, a.os
     FROM wakatime_heartbeats h
     JOIN devices d ON d.id = h.device_id
     JOIN wakatime_agents a ON a.id = h.agent_id
     WHERE h.time_ms >= $1 AND h.time_ms < $2 AND NOT h.deleted
     ORDER BY h.time_ms, h.hash LIMIT $3`,
    [range.startMs, range.endMs, limit],
  )
  return rows.map((r) => ({
    id: r.hash.toString('hex'),
    entity: r.entity,
    type: r.type,
    category: r.category,
    project: r.project,
    branch: r.branch,
    language: r.language,
    isWrite: r.is_write,
    timeMs: r.time_ms,
    device: r.device,
    deviceId: r.device_uuid,
    editor: r.editor,
    os: r.os,
    userAgent: r.user_agent,
    extra: r.extra === null ? null : (JSON.parse(r.extra) as Record<string, unknown>),
  }))
}

/** The latest heartbeat of each device, latest first (the SQLite store's query and mapping). */
export async function heartbeatMachines(q: Queryable): Promise<HeartbeatMachine[]> {
  return (await all<MachineRow>(q, MACHINES_SQL)).map(toMachine)
}
