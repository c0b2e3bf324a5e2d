/**
 * WakaTime heartbeats in PostgreSQL: storing them, and keeping each stream's derived events (one
 * editor on one device) equal to what its heartbeats derive. Where the SQLite store walks only
 * the stretches new heartbeats change, this derives a touched stream whole, with the same domain
 * rules (`deriveEvents`, `diffDerived`): the domain guarantees both give the same events.
 */
import type { Change } from '../../domain/changes.ts'
import { type NewActivityEvent, eventId } from '../../domain/events.ts'
import { isPresence } from '../../domain/presence.ts'
import { sourcePriorityOf } from '../../domain/timeline.ts'
import type { TimeRange } from '../../domain/calendar.ts'
import { type StreamHeartbeat, deriveEvents } from '../../domain/wakatime/derive.ts'
import {
  type Heartbeat,
  type StoredHeartbeat,
  hasPlaceholder,
  heartbeatHash,
} from '../../domain/wakatime/heartbeat.ts'
import { diffDerived } from '../../domain/wakatime/reconcile.ts'
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

interface StreamRow {
  time_ms: number
  entity: string
  type: string
  category: string
  project: string
  branch: string
  language: string
  deleted: boolean
}

/**
 * Derives the events of `streams` again and makes the stored ones equal; resolves to the changes
 * (events only when `withChanges`; tombstones and AFK periods ended always).
 */
async function derive(tx: Tx, streams: Iterable<Stream>, withChanges: boolean): Promise<Change[]> {
  const settings = await readSettings(tx.c)
  const priority = sourcePriorityOf(settings.sourcePriority)
  const timeoutMs = settings.heartbeatTimeoutSec * 1000
  const changes: Change[] = []
  const upserted: number[] = []
  const perDevice: DeviceTally = new Map()
  const presence = new Map<number, number[]>()
  let maxEnd = 0
  for (const s of streams) {
    const heartbeats = await all<StreamRow>(
      tx.c,
      `SELECT time_ms, entity, type, category, project, branch, language, deleted
       FROM wakatime_heartbeats WHERE device_id = $1 AND source = $2 ORDER BY time_ms, hash`,
      [s.deviceId, s.source],
    )
    const events = deriveEvents(
      heartbeats.map((r): StreamHeartbeat => ({
        timeMs: r.time_ms,
        entity: r.entity,
        type: r.type,
        category: r.category,
        project: r.project,
        branch: r.branch,
        language: r.language,
        deleted: r.deleted,
      })),
      {
        timeoutMs,
        device: s.deviceName,
        source: s.source,
        app: editorDisplayName(s.source.slice('wakatime-'.length)),
      },
    )
    const stored = (
      await all<{ seq: number; id: string; start_ms: number; end_ms: number }>(
        tx.c,
        'SELECT seq, id, start_ms, end_ms FROM events WHERE device_id = $1 AND source = $2',
        [s.deviceId, s.source],
      )
    ).map((r) => ({ key: r.id, endMs: r.end_ms, seq: r.seq, startMs: r.start_ms }))
    const derived = events.map((event: NewActivityEvent) => ({
      key: eventId(s.deviceUuid, event),
      endMs: event.endMs,
      event,
    }))
    const diff = diffDerived(stored, derived)
    let tally = perDevice.get(s.deviceId)
    if (!tally) perDevice.set(s.deviceId, (tally = { added: 0, lastSeen: 0 }))
    // Derived events are an editor's: presence, unless the settings rank the editor lower.
    const isEditorPresence = isPresence(priority(s.source))
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
        await tx.c.query("DELETE FROM tombstones WHERE kind = 'event' AND id = $1", [d.key])
        tally.added++
        if (isEditorPresence) {
          const times = presence.get(s.deviceId) ?? []
          times.push(d.event.startMs)
          presence.set(s.deviceId, times)
        }
      }
      upserted.push(seq)
      tally.lastSeen = Math.max(tally.lastSeen, d.event.endMs)
      maxEnd = Math.max(maxEnd, d.event.endMs)
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
      tally.added--
    }
  }
  await updateDevices(tx, perDevice)
  await raiseMaxEnd(tx, maxEnd)
  changes.push(...(await endOpenPeriods(tx, presence)))
  if (withChanges) changes.push(...(await eventChanges(tx.c, upserted)))
  return changes
}

/** Stores heartbeats and derives the streams they touch (see `HeartbeatStore.insert`). */
export async function insertHeartbeats(
  tx: Tx,
  heartbeats: readonly Heartbeat[],
  receivedMs: number,
  withChanges: boolean,
): Promise<HeartbeatIngestResult> {
  const stored: boolean[] = []
  const streams = new Map<string, Stream>()
  const senders = new Map<string, number>()
  const agents = new Map<string, number>()
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
    const inserted = await tx.c.query(
      `INSERT INTO wakatime_heartbeats (device_id, hash, source, time_ms, entity, type, category,
                                        project, branch, language, is_write, agent_id, extra)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (device_id, hash) DO NOTHING`,
      [
        ref.id,
        Buffer.from(heartbeatHash(h)),
        source,
        h.timeMs,
        h.entity,
        h.type,
        h.category,
        h.project,
        h.branch,
        h.language,
        h.isWrite,
        agent,
        h.extra === null ? null : JSON.stringify(h.extra),
      ],
    )
    const isNew = inserted.rowCount === 1
    stored.push(isNew)
    if (!isNew) continue
    const named = !hasPlaceholder(h) && h.project !== '' ? h.project : null
    await tx.c.query(
      `INSERT INTO wakatime_machines (device_id, last_ms, agent_id, project) VALUES ($1, $2, $3, $4)
       ON CONFLICT (device_id) DO UPDATE SET last_ms = excluded.last_ms,
         agent_id = excluded.agent_id,
         project = coalesce(excluded.project, wakatime_machines.project)
       WHERE excluded.last_ms >= wakatime_machines.last_ms`,
      [ref.id, h.timeMs, agent, named],
    )
    streams.set(JSON.stringify([ref.id, source]), {
      deviceId: ref.id,
      deviceUuid: ref.uuid,
      deviceName: ref.name,
      source,
    })
  }
  await recordSenders(tx, senders, 'events', receivedMs)
  const changes = await derive(tx, streams.values(), withChanges)
  const inserted = stored.filter(Boolean).length
  return {
    inserted,
    duplicates: heartbeats.length - inserted,
    updated: 0,
    changes: await finishChanges(tx, changes),
    stored,
  }
}

async function streamsOf(q: Queryable, where: string, params: unknown[]): Promise<Stream[]> {
  return (
    await all<{ device_id: number; uuid: string; name: string; source: string }>(
      q,
      `SELECT DISTINCT h.device_id, d.uuid, d.name, h.source
       FROM wakatime_heartbeats h JOIN devices d ON d.id = h.device_id ${where}
       ORDER BY h.device_id, h.source`,
      params,
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
  return derive(tx, await streamsOf(tx.c, '', []), true)
}

/**
 * Deleted events derived from WakaTime heartbeats stay deleted: the heartbeats inside them become
 * blank markers (still ending the coverage of the heartbeat before, covering nothing), and their
 * streams are derived again.
 */
export async function forgetHeartbeats(
  tx: Tx,
  rows: readonly { device_id: number; source: string; start_ms: number; end_ms: number }[],
): Promise<Change[]> {
  const touched = new Set<string>()
  for (const r of rows) {
    if (!isWakatimeSource(r.source)) continue
    const marked = await tx.c.query(
      `UPDATE wakatime_heartbeats SET deleted = true, entity = '', project = '', branch = '',
         language = '', extra = NULL
       WHERE device_id = $1 AND source = $2 AND time_ms >= $3 AND time_ms < $4 AND NOT deleted`,
      [r.device_id, r.source, r.start_ms, r.end_ms],
    )
    if ((marked.rowCount ?? 0) > 0) touched.add(JSON.stringify([r.device_id, r.source]))
  }
  if (touched.size === 0) return []
  const streams = (await streamsOf(tx.c, '', [])).filter((s) =>
    touched.has(JSON.stringify([s.deviceId, s.source])),
  )
  return derive(tx, streams, true)
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
