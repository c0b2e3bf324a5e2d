/**
 * WakaTime heartbeats: storing them, and keeping the events derived from each stream (one editor
 * on one device) equal to what the stream's heartbeats derive (`src/domain/wakatime/reconcile.ts`
 * decides which stretches to derive again and what to change; this reads and writes the rows).
 */
import { stringify as uuidStringify } from 'uuid'
import { type NewActivityEvent, eventIdBytes } from '../../../domain/events.ts'
import { isPresence } from '../../../domain/presence.ts'
import { sourcePriorityOf } from '../../../domain/timeline.ts'
import {
  type Heartbeat,
  hasPlaceholder,
  heartbeatHash,
} from '../../../domain/wakatime/heartbeat.ts'
import { diffDerived } from '../../../domain/wakatime/reconcile.ts'
import { editorSource, isWakatimeSource } from '../../../domain/wakatime/user-agent.ts'
import type { HeartbeatIngestResult } from '../../ports.ts'
import {
  type Stream,
  type StreamKey,
  allStreams,
  deriveRegion,
  findRegions,
  firstKey,
  hashHex,
} from '../heartbeats.ts'
import { storedDuration } from '../migrations/0004_devices_feed_rollups.ts'
import { readSettings } from '../rows.ts'
import { endOpenPeriods } from './afk.ts'
import { EventRows, eventChange } from './event-rows.ts'
import { bury, liftEventTombstone } from './tombstones.ts'
import {
  type DeviceTally,
  SenderTally,
  type Tx,
  raiseMaxEnd,
  updateDevices,
} from './transaction.ts'

/** A stored event of a stream, as the diff with its derivation sees it. */
interface StoredDerived {
  key: string
  endMs: number
  seq: number
  id: Uint8Array
  startMs: number
}

/** A derived event, as the diff sees it. */
interface Derived {
  key: string
  endMs: number
  id: Uint8Array
  event: NewActivityEvent
}

/**
 * Re-derives stretches of streams within one transaction, gathering what the device counts, the
 * latest end and open AFK periods need at its end (`finish`).
 */
class Derivation {
  readonly #tx: Tx
  readonly #withChanges: boolean
  readonly #priority: (source: string) => number
  readonly #timeoutMs: number
  readonly #perDevice: DeviceTally = new Map()
  readonly #presence = new Map<number, number[]>()
  #maxEnd = 0

  constructor(tx: Tx, withChanges: boolean) {
    this.#tx = tx
    this.#withChanges = withChanges
    const settings = readSettings(tx.c)
    this.#priority = sourcePriorityOf(settings.sourcePriority)
    this.#timeoutMs = settings.heartbeatTimeoutSec * 1000
  }

  /** Derives the stretches of `stream` that its heartbeats `added` change. */
  added(stream: Stream, added: readonly StreamKey[]): void {
    for (const region of findRegions(this.#tx.c, stream, added, this.#timeoutMs)) {
      deriveRegion(this.#tx.c, stream, region, this.#timeoutMs, (from, to, events) =>
        this.#replace(stream, from, to, events),
      )
    }
  }

  /** Derives the whole of `stream` again. */
  whole(stream: Stream): void {
    const start = firstKey(this.#tx.c, stream)
    if (!start) return
    deriveRegion(this.#tx.c, stream, { start, end: null }, this.#timeoutMs, (from, to, events) =>
      this.#replace(stream, from, to, events),
    )
  }

  /** Makes the stored events of `stream` that start in [fromMs, toMs) equal to `events`. */
  #replace(
    stream: Stream,
    fromMs: number,
    toMs: number,
    events: readonly NewActivityEvent[],
  ): void {
    const { c, dims, dirty } = this.#tx
    const stored = c
      .all<{ seq: number; id: Uint8Array; start_ms: number; end_ms: number }>(
        `SELECT seq, id, start_ms, end_ms FROM events
         WHERE start_ms >= $a AND start_ms < $b AND device_id = $d AND source_id = $s`,
        { a: fromMs, b: toMs, d: stream.deviceId, s: stream.sourceId },
      )
      .map((r): StoredDerived => ({
        key: hashHex(r.id),
        endMs: r.end_ms,
        seq: r.seq,
        id: r.id,
        startMs: r.start_ms,
      }))
    const derived = events.map((event): Derived => {
      const id = eventIdBytes(stream.deviceUuid, event)
      return { key: hashHex(id), endMs: event.endMs, id, event }
    })
    const diff = diffDerived(stored, derived)
    let device = this.#perDevice.get(stream.deviceId)
    if (!device) this.#perDevice.set(stream.deviceId, (device = { added: 0, lastSeen: 0 }))
    // Derived events are an editor's: presence, unless the settings rank the editor lower.
    let presence: number[] | undefined
    if (isPresence(this.#priority(stream.source))) {
      presence = this.#presence.get(stream.deviceId)
      if (!presence) this.#presence.set(stream.deviceId, (presence = []))
    }
    const rows = new EventRows(c)
    for (const { derived: d, stored: s } of diff.upserts) {
      const e = d.event
      const seq = this.#tx.nextSeq()
      const category = dims.named('categories', e.category)
      const project = dims.project(e.project, e.projectPath, Math.floor(e.endMs / 1000))
      const entity = dims.entity(project, e.entity, e.entityType)
      if (s) {
        c.run('UPDATE events SET seq = $seq, end_ms = $end, duration = NULL WHERE seq = $old', {
          seq,
          end: e.endMs,
          old: s.seq,
        })
        dirty.add(s.endMs, e.endMs)
      } else {
        rows.insert(
          seq,
          d.id,
          stream.deviceId,
          e.startMs,
          e.endMs,
          storedDuration(e.durationSec, e.startMs, e.endMs),
          category,
          dims.named('apps', e.app),
          entity,
          project,
          e.branch === null ? null : dims.branch(project, e.branch),
          e.language === null ? null : dims.named('languages', e.language),
          stream.sourceId,
        )
        liftEventTombstone(c, d.id)
        dirty.add(e.startMs, e.endMs)
        device.added++
        presence?.push(e.startMs)
      }
      device.lastSeen = Math.max(device.lastSeen, e.endMs)
      this.#maxEnd = Math.max(this.#maxEnd, e.endMs)
      if (this.#withChanges) {
        this.#tx.changes.add(
          eventChange(seq, d.id, stream.deviceName ?? '', e, dims, entity, project),
        )
      }
    }
    for (const s of diff.removals) {
      bury(this.#tx, 'event', s, uuidStringify(s.id))
      dirty.add(s.startMs, s.endMs)
      device.added--
    }
  }

  /** Device counts, the latest end and open AFK periods, for what the derivations changed. */
  finish(): void {
    updateDevices(this.#tx.c, this.#perDevice)
    if (this.#maxEnd > 0) raiseMaxEnd(this.#tx.c, this.#maxEnd)
    endOpenPeriods(this.#tx, this.#presence)
  }
}

/** A heartbeat stream by its device and source ids. */
function streamOf(tx: Tx, deviceId: number, sourceId: number): Stream {
  const row = tx.c.get<{ uuid: string; device: string; source: string }>(
    `SELECT d.uuid, d.name AS device, s.name AS source FROM devices d, sources s
     WHERE d.id = $d AND s.id = $s`,
    { d: deviceId, s: sourceId },
  ) as { uuid: string; device: string; source: string }
  return { deviceId, deviceUuid: row.uuid, deviceName: row.device, sourceId, source: row.source }
}

/** The id of a user agent (with its editor and OS), stored when new. */
function agentId(tx: Tx, userAgent: string, editor: string, os: string): number {
  const key = JSON.stringify([userAgent, editor, os])
  const cached = tx.agents.get(key)
  if (cached !== undefined) return cached
  const found = tx.c.get<{ id: number }>(
    'SELECT id FROM wakatime_agents WHERE user_agent = $u AND editor = $e AND os = $o',
    { u: userAgent, e: editor, o: os },
  )
  const id =
    found?.id ??
    Number(
      tx.c
        .stmt('INSERT INTO wakatime_agents (user_agent, editor, os) VALUES (?, ?, ?)')
        .run(userAgent, editor, os).lastInsertRowid,
    )
  tx.agents.set(key, id)
  return id
}

/**
 * Stores WakaTime heartbeats received at `receivedMs` and re-derives the stretches of their
 * streams they change (see `HeartbeatStore.insert`).
 */
export function insertHeartbeats(
  tx: Tx,
  heartbeats: readonly Heartbeat[],
  receivedMs: number,
  withChanges: boolean,
): HeartbeatIngestResult {
  const { c, dims } = tx
  const insert = c.stmt(`
    INSERT INTO wakatime_heartbeats (device_id, hash, source_id, time_ms, entity, type, category,
                                     project, branch, language, is_write, agent_id, extra)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (device_id, hash) DO NOTHING`)
  const latest = c.stmt(`
    INSERT INTO wakatime_machines (device_id, last_ms, agent_id, project) VALUES (?, ?, ?, ?)
    ON CONFLICT (device_id) DO UPDATE SET last_ms = excluded.last_ms,
      agent_id = excluded.agent_id, project = coalesce(excluded.project, project)
    WHERE excluded.last_ms >= last_ms`)
  const stored: boolean[] = []
  const streams = new Map<string, { stream: Stream; keys: StreamKey[] }>()
  const senders = new SenderTally()
  for (const h of heartbeats) {
    const device = dims.device(h.device, tx.nextSeq, receivedMs)
    const source = editorSource(h.editor)
    const sourceId = dims.named('sources', source)
    senders.add(source, device.id)
    const agent = agentId(tx, h.userAgent, h.editor, h.os)
    const hash = heartbeatHash(h)
    const isNew =
      Number(
        insert.run(
          device.id,
          hash,
          sourceId,
          h.timeMs,
          h.entity,
          h.type,
          h.category,
          h.project,
          h.branch,
          h.language,
          h.isWrite ? 1 : 0,
          agent,
          h.extra === null ? null : JSON.stringify(h.extra),
        ).changes,
      ) === 1
    stored.push(isNew)
    if (!isNew) continue
    const named = !hasPlaceholder(h) && h.project !== '' ? h.project : null
    latest.run(device.id, h.timeMs, agent, named)
    const key = `${device.id}/${sourceId}`
    let entry = streams.get(key)
    if (!entry) {
      const stream = {
        deviceId: device.id,
        deviceUuid: device.uuid,
        deviceName: device.name,
        sourceId,
        source,
      }
      streams.set(key, (entry = { stream, keys: [] }))
    }
    entry.keys.push({ t: h.timeMs, h: hash })
  }
  senders.record(c, 'events', receivedMs)
  const derivation = new Derivation(tx, withChanges)
  for (const { stream, keys } of streams.values()) derivation.added(stream, keys)
  derivation.finish()
  const inserted = stored.filter(Boolean).length
  return {
    inserted,
    duplicates: heartbeats.length - inserted,
    updated: 0,
    changes: tx.changes.finish(),
    stored,
  }
}

/** Derives every stream's events again (the heartbeat timeout changed). */
export function rederiveAll(tx: Tx): void {
  const derivation = new Derivation(tx, true)
  for (const { device_id, source_id } of allStreams(tx.c)) {
    derivation.whole(streamOf(tx, device_id, source_id))
  }
  derivation.finish()
}

/**
 * Deleted events derived from WakaTime heartbeats stay deleted: the heartbeats inside them become
 * blank markers (still ending the coverage of the heartbeat before, covering nothing), and the
 * stretches around them are derived again (a placeholder after them may have named them).
 */
export function forgetHeartbeats(
  tx: Tx,
  rows: readonly { device_id: number; source_id: number; start_ms: number; end_ms: number }[],
): void {
  const { c } = tx
  const wakatime = new Set(
    c
      .all<{ id: number; name: string }>('SELECT id, name FROM sources')
      .filter((s) => isWakatimeSource(s.name))
      .map((s) => s.id),
  )
  const mark = c.stmt(`
    UPDATE wakatime_heartbeats SET deleted = 1, entity = '', project = '', branch = '',
      language = '', extra = NULL
    WHERE device_id = ? AND source_id = ? AND time_ms >= ? AND time_ms < ? AND deleted = 0
    RETURNING time_ms, hash`)
  const streams = new Map<string, { deviceId: number; sourceId: number; keys: StreamKey[] }>()
  for (const r of rows) {
    if (!wakatime.has(r.source_id)) continue
    const marked = mark.all(r.device_id, r.source_id, r.start_ms, r.end_ms) as {
      time_ms: number
      hash: Uint8Array
    }[]
    if (marked.length === 0) continue
    const key = `${r.device_id}/${r.source_id}`
    const entry = streams.get(key) ?? { deviceId: r.device_id, sourceId: r.source_id, keys: [] }
    entry.keys.push(...marked.map((m) => ({ t: m.time_ms, h: m.hash })))
    streams.set(key, entry)
  }
  if (streams.size === 0) return
  const derivation = new Derivation(tx, true)
  for (const { deviceId, sourceId, keys } of streams.values()) {
    derivation.added(streamOf(tx, deviceId, sourceId), keys)
  }
  derivation.finish()
}
