/**
 * Every write of the SQLite store, run by the one writer worker. Each method is one transaction:
 * it assigns feed positions (`seq`) from a counter kept in `meta` — inside the transaction, so the
 * commit order is the feed order and a rolled-back batch uses none — marks the rollup slots it
 * touches dirty, and returns what it changed.
 */
import { parse as uuidParse, stringify as uuidStringify, v7 as uuidv7 } from 'uuid'
import { ConflictError, NotFoundError, UnprocessableError } from '../../domain/errors.ts'
import {
  type NewActivityEvent,
  type NewAfkPeriod,
  afkEffectiveEnd,
  afkId,
  eventIdBytes,
  spanSeconds,
} from '../../domain/events.ts'
import { isEmptyCounts } from '../../domain/input.ts'
import { type Heartbeat, hasPlaceholder, heartbeatHash } from '../../domain/wakatime/heartbeat.ts'
import { editorSource, isWakatimeSource } from '../../domain/wakatime/user-agent.ts'
import { sourcePriorityOf } from '../../domain/timeline.ts'
import {
  type AfkSelector,
  type DeviceRow,
  type EventSelector,
  type HeartbeatIngestResult,
  type IngestResult,
  type InputDelta,
  type TokenRow,
} from '../ports.ts'
import type { Change } from '../../domain/changes.ts'
import type { Label, NewLabel } from '../../domain/labels.ts'
import { PRESENCE_PRIORITY } from '../../domain/presence.ts'
import type { Connection } from './connection.ts'
import { DimensionWriter, idsOfNames } from './dimensions.ts'
import { ChangePacker, type PackedIngestResult } from './event-batch.ts'
import { storedDuration } from './migrations/0004_devices_feed_rollups.ts'
import {
  AFK_COLUMNS,
  LABEL_COLUMNS,
  type StoredAfk,
  type StoredLabel,
  deviceChanges,
  deviceRows,
  namedAfk,
  toLabel,
} from './records.ts'
import {
  type Stream,
  type StreamKey,
  allStreams,
  deriveRegion,
  findRegions,
  firstKey,
  hashHex,
} from './heartbeats.ts'
import { markAllDirty, markDirty } from './rollups.ts'
import { readSettings } from './rows.ts'

/** Records a deletion; a row deleted twice keeps one tombstone, at its latest position. */
const TOMBSTONE_SQL = (kind: 'event' | 'afk' | 'label') => `
  INSERT INTO tombstones (seq, kind, id, start_ms) VALUES ($seq, '${kind}', $id, $s)
  ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, start_ms = excluded.start_ms`

/** Time spans whose slots a transaction made dirty, merged before they are written. */
class DirtySpans {
  readonly #spans: [number, number][] = []

  add(fromMs: number, toMs: number): void {
    this.#spans.push([Math.min(fromMs, toMs), Math.max(fromMs, toMs)])
  }

  flush(c: Connection, mark: () => number): void {
    if (this.#spans.length === 0) return
    const nowMs = mark()
    this.#spans.sort((a, b) => a[0] - b[0])
    let current: [number, number] | undefined
    for (const span of this.#spans) {
      if (current && span[0] <= current[1] + 900_000) current[1] = Math.max(current[1], span[1])
      else {
        if (current) markDirty(c, current[0], current[1], nowMs)
        current = [...span]
      }
    }
    if (current) markDirty(c, current[0], current[1], nowMs)
  }
}

/** What a transaction gives the code inside it. */
interface TxContext {
  nextSeq: () => number
  unSeq: () => number
  dirty: DirtySpans
}

/** What re-deriving heartbeat streams changed, gathered for the end of the transaction. */
interface Derived {
  changes: Change[]
  presence: Map<number, number[]>
  perDevice: Map<number, { added: number; lastSeen: number }>
  maxEnd: number
  withChanges: boolean
  priority: (source: string) => number
}

export class Writer {
  readonly #c: Connection
  readonly #dims: DimensionWriter
  #seq = 0
  /** Called after every committed write that left dirty slots (the rollup loop wakes up). */
  onDirty: () => void = () => undefined

  constructor(connection: Connection) {
    this.#c = connection
    this.#dims = new DimensionWriter(connection)
  }

  /** User agents (with their editor and OS) → ids, as stored. */
  readonly #agents = new Map<string, number>()

  /** After a migration: forget cached ids and statements. */
  reset(): void {
    this.#lastMark = undefined
    this.#dims.reset()
    this.#agents.clear()
  }

  /** One write transaction with a seq counter and dimension layer that roll back with it. */
  #tx<T>(fn: (ctx: TxContext) => T): T {
    const dirty = new DirtySpans()
    let seq = 0
    try {
      const result = this.#c.write(() => {
        seq = (
          this.#c.get<{ value: number }>("SELECT value FROM meta WHERE key = 'seq'") ?? {
            value: 0,
          }
        ).value
        const start = seq
        this.#dims.begin()
        const out = fn({ nextSeq: () => ++seq, unSeq: () => --seq, dirty })
        this.#dims.flush()
        dirty.flush(this.#c, () => this.#mark())
        const created = this.#dims.createdDevices()
        if (created.length > 0 && isWriteResult(out)) {
          const devices = deviceChanges(this.#c, created)
          out.changes = [...devices, ...out.changes].sort((a, b) => a.seq - b.seq)
        }
        if (seq !== start) {
          this.#c.run(
            "INSERT INTO meta (key, value) VALUES ('seq', $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            { v: seq },
          )
        }
        return out
      })
      this.#seq = seq
      return result
    } catch (err) {
      // The caches may name rows the rollback removed.
      this.#dims.reset()
      this.#agents.clear()
      throw err
    } finally {
      this.onDirty()
    }
  }

  /** The last mark put on dirty slots; undefined until read from the database. */
  #lastMark: number | undefined

  /**
   * The mark for the slots this transaction touches: its time, but always greater than every mark
   * before it (even when the clock steps back, or two writes share a millisecond). Readers keep a
   * dirty slot's resolution while its mark is unchanged (see `engine.ts`).
   */
  #mark(): number {
    this.#lastMark ??=
      this.#c.get<{ m: number | null }>('SELECT max(marked_ms) AS m FROM dirty_slots')?.m ?? 0
    this.#lastMark = Math.max(Date.now(), this.#lastMark + 1)
    return this.#lastMark
  }

  /** The latest committed seq. */
  get lastSeq(): number {
    return this.#seq
  }

  #maxEnd(): number {
    return (
      this.#c.get<{ value: number }>("SELECT value FROM meta WHERE key = 'max_end_ms'")?.value ?? 0
    )
  }

  #raiseMaxEnd(ms: number): void {
    this.#c.run(
      `INSERT INTO meta (key, value) VALUES ('max_end_ms', $v)
       ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`,
      { v: ms },
    )
  }

  /** Source ids ranked as presence (editors) under the current settings. */
  #presenceSources(): number[] {
    const priority = sourcePriorityOf(readSettings(this.#c).sourcePriority)
    return this.#c
      .all<{ id: number; name: string }>('SELECT id, name FROM sources')
      .filter((s) => priority(s.name) >= PRESENCE_PRIORITY)
      .map((s) => s.id)
  }

  /**
   * Stores a batch (see `EventStore.insert`). With `changes: false` the answer carries no change
   * data for events (nobody listens; building it is a third of the work). The changes come packed
   * for the trip back to the HTTP thread (see `PackedChanges`), devices created included.
   */
  insertEvents(
    events: readonly NewActivityEvent[],
    nowMs: number,
    options: { changes?: boolean } = {},
  ): PackedIngestResult {
    const withChanges = options.changes ?? true
    return this.#tx(({ nextSeq, unSeq, dirty }) => {
      const c = this.#c
      const dims = this.#dims
      const result = { inserted: 0, duplicates: 0, updated: 0 }
      const priority = sourcePriorityOf(readSettings(c).sourcePriority)
      // The stored event with this identity, if any: one probe of the (start, id) index. One
      // writer, inside its transaction: no other write can add one meanwhile.
      const stored = c.stmt('SELECT seq, end_ms FROM events WHERE start_ms = ? AND id = ?')
      // Most databases never delete an event: then there is no tombstone to look for.
      const tombstoned = c.get("SELECT 1 AS x FROM tombstones WHERE kind = 'event' LIMIT 1")
        ? c.stmt("SELECT 1 AS x FROM tombstones WHERE kind = 'event' AND id = ?")
        : undefined
      const insert = c.stmt(`
        INSERT INTO events (seq, id, device_id, start_ms, end_ms, duration, category_id, app_id,
                            entity_id, project_id, branch_id, language_id, source_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      const extend = c.stmt('UPDATE events SET seq = ?, end_ms = ?, duration = ? WHERE seq = ?')
      const perDevice = new Map<number, { added: number; lastSeen: number }>()
      const presence = new Map<number, number[]>()
      // The change of each event this batch stored, in seq order. An event may come twice: a
      // later end moves it to a later seq, and the change at its earlier seq is dropped.
      const changed = new ChangePacker(withChanges ? events.length : 0)
      const senders = new SenderTally()
      let maxEnd = 0
      for (const e of events) {
        const device = dims.device(e.device, nextSeq, nowMs)
        senders.add(e.source, device.id)
        const category = dims.named('categories', e.category)
        const app = dims.named('apps', e.app)
        const source = dims.named('sources', e.source)
        const project = dims.project(e.project, e.projectPath, Math.floor(e.endMs / 1000))
        const entity = dims.entity(project, e.entity, e.entityType)
        const branch = e.branch === null ? null : dims.branch(project, e.branch)
        const language = e.language === null ? null : dims.named('languages', e.language)

        const id = eventIdBytes(device.uuid, e)
        const duration = storedDuration(e.durationSec, e.startMs, e.endMs)
        if (tombstoned?.get(id)) {
          result.duplicates++
          continue
        }
        let seq = nextSeq()
        const seen = perDevice.get(device.id) ?? { added: 0, lastSeen: 0 }
        const found = stored.get(e.startMs, id) as { seq: number; end_ms: number } | undefined
        if (found === undefined) {
          insert.run(
            seq,
            id,
            device.id,
            e.startMs,
            e.endMs,
            duration,
            category,
            app,
            entity,
            project,
            branch,
            language,
            source,
          )
          result.inserted++
          dirty.add(e.startMs, e.endMs)
          seen.added++
        } else if (e.endMs > found.end_ms) {
          extend.run(seq, e.endMs, duration, found.seq)
          changed.supersede(found.seq)
          result.updated++
          dirty.add(found.end_ms, e.endMs)
        } else {
          // The position drawn for it went unused: give it back, so the feed has no holes.
          seq = unSeq()
          result.duplicates++
          continue
        }
        seen.lastSeen = Math.max(seen.lastSeen, e.endMs)
        perDevice.set(device.id, seen)
        maxEnd = Math.max(maxEnd, e.endMs)
        if (withChanges) {
          changed.add(
            seq,
            id,
            device.name,
            e,
            e.durationSec ?? spanSeconds(e.startMs, e.endMs),
            dims.extra('entity', entity),
            dims.extra('project', project),
          )
        }
        if (priority(e.source) >= PRESENCE_PRIORITY) {
          const times = presence.get(device.id) ?? []
          times.push(e.startMs)
          presence.set(device.id, times)
        }
      }
      this.#updateDevices(perDevice)
      this.#collect(senders, 'events', nowMs)
      if (maxEnd > 0) this.#raiseMaxEnd(maxEnd)
      const afkChanges = this.#presence(presence, nextSeq, dirty)
      // The changes are not an array: `#tx` leaves them alone, and created devices go in here.
      const created = dims.createdDevices()
      const others = [...(created.length > 0 ? deviceChanges(c, created) : []), ...afkChanges]
      return { ...result, changes: changed.finish(others.sort((a, b) => a.seq - b.seq)) }
    })
  }

  #afkChanges(seqs: number[]): Change[] {
    if (seqs.length === 0) return []
    const rows = this.#c.all<StoredAfk>(
      `SELECT ${AFK_COLUMNS} FROM afk_periods WHERE seq IN (SELECT value FROM json_each($s)) ORDER BY seq`,
      { s: JSON.stringify(seqs) },
    )
    return namedAfk(this.#c, rows).map((afk, i) => ({
      seq: (rows[i] as StoredAfk).seq,
      kind: 'afk',
      op: 'upsert',
      afk,
    }))
  }

  /** Records that `source` on a device sent `items` of `kind` now. */
  #collect(counts: SenderTally, kind: 'events' | 'afk' | 'input', nowMs: number): void {
    const upsert = this.#c.stmt(`
      INSERT INTO collectors (source, device_id, kind, last_seen_ms, items) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET last_seen_ms = excluded.last_seen_ms, items = items + excluded.items`)
    for (const [source, byDevice] of counts.bySource) {
      for (const [device, items] of byDevice) upsert.run(source, device, kind, nowMs, items)
    }
  }

  #updateDevices(perDevice: Map<number, { added: number; lastSeen: number }>): void {
    for (const [id, d] of perDevice) {
      this.#c.run(
        `UPDATE devices SET events = events + $added,
           last_seen_ms = max(coalesce(last_seen_ms, 0), $seen) WHERE id = $id`,
        { added: d.added, seen: d.lastSeen, id },
      )
    }
  }

  /**
   * Presence on a device ends its open AFK periods: each open period that began at or before a
   * presence time is taken to end at the first such time (unless it was inferred earlier).
   */
  #presence(presence: Map<number, number[]>, nextSeq: () => number, dirty: DirtySpans): Change[] {
    const seqs: number[] = []
    for (const [device, times] of presence) {
      times.sort((a, b) => a - b)
      const open = this.#c.all<{ seq: number; start_ms: number; inferred_end_ms: number | null }>(
        'SELECT seq, start_ms, inferred_end_ms FROM afk_periods WHERE device_id = $d AND end_ms IS NULL',
        { d: device },
      )
      for (const o of open) {
        const t = firstAtOrAfter(times, o.start_ms)
        if (t === undefined || (o.inferred_end_ms !== null && o.inferred_end_ms <= t)) continue
        const seq = nextSeq()
        this.#c.run('UPDATE afk_periods SET inferred_end_ms = $t, seq = $seq WHERE seq = $old', {
          t,
          seq,
          old: o.seq,
        })
        dirty.add(t, o.inferred_end_ms ?? Math.max(t, this.#maxEnd()))
        seqs.push(seq)
      }
    }
    return this.#afkChanges(seqs)
  }

  deleteEvents(selector: EventSelector): { deleted: number; changes: Change[] } {
    return this.#tx((ctx) => {
      const { nextSeq, dirty } = ctx
      const c = this.#c
      const where: string[] = []
      const params: Record<string, string | number> = {}
      if (selector.ids !== undefined) {
        where.push("id IN (SELECT unhex(replace(value, '-', '')) FROM json_each($ids))")
        params.ids = JSON.stringify(selector.ids)
      }
      if (selector.startMs !== undefined) {
        where.push('start_ms >= $start')
        params.start = selector.startMs
      }
      if (selector.endMs !== undefined) {
        where.push('start_ms < $end')
        params.end = selector.endMs
      }
      if (selector.sources !== undefined) {
        where.push('source_id IN (SELECT value FROM json_each($sources))')
        params.sources = JSON.stringify(idsOfNames(c, 'sources', selector.sources))
      }
      if (selector.devices !== undefined) {
        where.push('device_id IN (SELECT value FROM json_each($devices))')
        params.devices = JSON.stringify(idsOfNames(c, 'devices', selector.devices))
      }
      if (where.length === 0) throw new Error('deleteEvents needs a condition')
      const rows = c.all<{
        seq: number
        id: Uint8Array
        device_id: number
        start_ms: number
        end_ms: number
        source_id: number
      }>(
        `SELECT seq, id, device_id, start_ms, end_ms, source_id FROM events WHERE ${where.join(' AND ')} ORDER BY start_ms, id`,
        params,
      )
      const changes: Change[] = []
      const perDevice = new Map<number, number>()
      for (const r of rows) {
        const seq = nextSeq()
        c.run(TOMBSTONE_SQL('event'), { seq, id: r.id, s: r.start_ms })
        c.run('DELETE FROM events WHERE seq = $seq', { seq: r.seq })
        dirty.add(r.start_ms, r.end_ms)
        perDevice.set(r.device_id, (perDevice.get(r.device_id) ?? 0) + 1)
        changes.push({ seq, kind: 'event', op: 'delete', id: uuidStringify(r.id) })
      }
      for (const [id, n] of perDevice) {
        c.run('UPDATE devices SET events = max(0, events - $n) WHERE id = $id', { n, id })
      }
      changes.push(...this.#forgetHeartbeats(rows, ctx))
      return { deleted: rows.length, changes: changes.sort((a, b) => a.seq - b.seq) }
    })
  }

  /**
   * Deleted events derived from WakaTime heartbeats stay deleted: the heartbeats inside them
   * become blank markers (still ending the coverage of the heartbeat before, covering nothing),
   * and the stretches around them are derived again (a placeholder after them may have named
   * them).
   */
  #forgetHeartbeats(
    rows: readonly { device_id: number; source_id: number; start_ms: number; end_ms: number }[],
    ctx: TxContext,
  ): Change[] {
    const c = this.#c
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
    if (streams.size === 0) return []
    const timeoutMs = readSettings(c).heartbeatTimeoutSec * 1000
    const derived = this.#derived(true)
    for (const { deviceId, sourceId, keys } of streams.values()) {
      const stream = this.#stream(deviceId, sourceId)
      for (const region of findRegions(c, stream, keys, timeoutMs)) {
        deriveRegion(c, stream, region, timeoutMs, (from, to, events) =>
          this.#replaceDerived(stream, from, to, events, ctx, derived),
        )
      }
    }
    return this.#finishDerived(derived, ctx)
  }

  insertAfk(periods: readonly NewAfkPeriod[], nowMs: number): IngestResult {
    return this.#tx(({ nextSeq, dirty }) => {
      const c = this.#c
      const result: IngestResult = { inserted: 0, duplicates: 0, updated: 0, changes: [] }
      const seqs: number[] = []
      const maxEnd = () => this.#maxEnd()
      const senders = new SenderTally()
      for (const p of periods) {
        const device = this.#dims.device(p.device, nextSeq, nowMs)
        senders.add(p.source ?? 'afk', device.id)
        const found = c.get<{ seq: number; end_ms: number | null; inferred_end_ms: number | null }>(
          'SELECT seq, end_ms, inferred_end_ms FROM afk_periods WHERE device_id = $d AND start_ms = $s',
          { d: device.id, s: p.startMs },
        )
        const duration =
          p.endMs === null ? p.durationSec : storedDuration(p.durationSec, p.startMs, p.endMs)
        if (!found) {
          if (
            c.get("SELECT 1 AS x FROM tombstones WHERE kind = 'afk' AND id = $id", {
              id: Buffer.from(uuidParse(afkId(device.uuid, p.startMs))),
            })
          ) {
            result.duplicates++
            continue
          }
          const inferred = p.endMs === null ? this.#evidenceAfter(device.id, p.startMs) : null
          const seq = nextSeq()
          c.run(
            `INSERT INTO afk_periods (seq, device_id, start_ms, end_ms, inferred_end_ms, duration)
             VALUES ($seq, $d, $s, $e, $i, $dur)`,
            { seq, d: device.id, s: p.startMs, e: p.endMs, i: inferred, dur: duration },
          )
          const end = afkEffectiveEnd({ endMs: p.endMs, inferredEndMs: inferred })
          dirty.add(p.startMs, Number.isFinite(end) ? end : Math.max(p.startMs, maxEnd()))
          result.inserted++
          seqs.push(seq)
        } else if (p.endMs !== null && (found.end_ms === null || p.endMs > found.end_ms)) {
          const before = afkEffectiveEnd({
            endMs: found.end_ms,
            inferredEndMs: found.inferred_end_ms,
          })
          const seq = nextSeq()
          c.run(
            `UPDATE afk_periods SET seq = $seq, end_ms = $e, inferred_end_ms = NULL, duration = $dur
             WHERE seq = $old`,
            { seq, e: p.endMs, dur: duration, old: found.seq },
          )
          dirty.add(p.endMs, Number.isFinite(before) ? before : Math.max(p.endMs, maxEnd()))
          result.updated++
          seqs.push(seq)
        } else {
          result.duplicates++
        }
      }
      this.#collect(senders, 'afk', nowMs)
      result.changes = this.#afkChanges(seqs)
      return result
    })
  }

  /** The first evidence of presence on a device at or after `fromMs`: input, or an editor's event. */
  #evidenceAfter(device: number, fromMs: number): number | null {
    const input = this.#c.get<{ t: number | null }>(
      `SELECT min(bucket_ms) AS t FROM input_activity WHERE device_id = $d AND bucket_ms >= $from`,
      { d: device, from: fromMs },
    )?.t
    const sources = this.#presenceSources()
    const event =
      sources.length === 0
        ? null
        : this.#c.get<{ start_ms: number }>(
            `SELECT start_ms FROM events WHERE start_ms >= $from AND device_id = $d
               AND source_id IN (SELECT value FROM json_each($s)) ORDER BY start_ms LIMIT 1`,
            { from: fromMs, d: device, s: JSON.stringify(sources) },
          )?.start_ms
    const candidates = [input, event].filter((t): t is number => typeof t === 'number')
    return candidates.length === 0 ? null : Math.min(...candidates)
  }

  deleteAfk(selector: AfkSelector): { deleted: number; changes: Change[] } {
    return this.#tx(({ nextSeq, dirty }) => {
      const c = this.#c
      const devices =
        selector.devices === undefined ? undefined : idsOfNames(c, 'devices', selector.devices)
      const rows = c.all<StoredAfk & { uuid: string }>(
        `SELECT a.seq, a.device_id, a.start_ms, a.end_ms, a.inferred_end_ms, a.duration, d.uuid
         FROM afk_periods a JOIN devices d ON d.id = a.device_id
         WHERE a.start_ms >= $start AND a.start_ms < $end
           ${devices === undefined ? '' : 'AND a.device_id IN (SELECT value FROM json_each($devices))'}
         ORDER BY a.start_ms`,
        {
          start: selector.startMs,
          end: selector.endMs,
          ...(devices === undefined ? {} : { devices: JSON.stringify(devices) }),
        },
      )
      const named = namedAfk(c, rows)
      const changes: Change[] = []
      rows.forEach((r, i) => {
        const seq = nextSeq()
        const id = (named[i] as { id: string }).id
        c.run(TOMBSTONE_SQL('afk'), {
          seq,
          id: Buffer.from(uuidParse(id)),
          s: r.start_ms,
        })
        c.run('DELETE FROM afk_periods WHERE seq = $seq', { seq: r.seq })
        const end = afkEffectiveEnd({ endMs: r.end_ms, inferredEndMs: r.inferred_end_ms })
        dirty.add(r.start_ms, Number.isFinite(end) ? end : Math.max(r.start_ms, this.#maxEnd()))
        changes.push({ seq, kind: 'afk', op: 'delete', id })
      })
      return { deleted: rows.length, changes }
    })
  }

  renameDevice(uuid: string, name: string): { device: DeviceRow; changes: Change[] } {
    return this.#tx(({ nextSeq }) => {
      const c = this.#c
      const row = c.get<{ id: number; name: string }>(
        'SELECT id, name FROM devices WHERE uuid = $u',
        {
          u: uuid,
        },
      )
      if (!row) throw new NotFoundError('device_not_found', `no device with id ${uuid}`, 'id')
      const other = c.get<{ id: number }>('SELECT id FROM devices WHERE name = $n', { n: name })
      if (other && other.id !== row.id) {
        throw new ConflictError(
          'device_name_taken',
          `another device is named ${JSON.stringify(name)}`,
          'name',
        )
      }
      const seq = nextSeq()
      c.run('UPDATE devices SET name = $n, seq = $seq WHERE id = $id', { n: name, seq, id: row.id })
      this.#dims.reset()
      const device = deviceRows(c, [row.id])[0] as DeviceRow
      return {
        device,
        changes: [
          { seq, kind: 'device', op: 'upsert', device: { id: device.id, name, own: device.own } },
        ],
      }
    })
  }

  addInput(
    deltas: readonly InputDelta[],
    receivedMs: number,
  ): IngestResult & { applied: number[] } {
    return this.#tx(({ nextSeq, dirty }) => {
      const c = this.#c
      const claim = c.stmt(
        'INSERT INTO input_batches (id, received_ms) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
      )
      const add = c.stmt(`
        INSERT INTO input_activity (bucket_ms, device_id, source, lc, rc, mc, kp, mm, scroll)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (bucket_ms, device_id, source) DO UPDATE SET
          lc = lc + excluded.lc, rc = rc + excluded.rc, mc = mc + excluded.mc,
          kp = kp + excluded.kp, mm = mm + excluded.mm, scroll = scroll + excluded.scroll`)
      let inserted = 0
      const applied: number[] = []
      const presence = new Map<number, number[]>()
      const senders = new SenderTally()
      const seen = new Map<number, { added: number; lastSeen: number }>()
      for (const [i, d] of deltas.entries()) {
        // The id is claimed in the same transaction as the counts are added: either both happen
        // or neither, so a re-send is skipped exactly when the first send was committed.
        if (d.batchId !== undefined && Number(claim.run(d.batchId, receivedMs).changes) === 0) {
          continue
        }
        inserted++
        // Nothing to add: an all-zero frame (the frames client's forced final flush) makes no row.
        if (isEmptyCounts(d)) continue
        const device = this.#dims.device(d.device ?? null, nextSeq, receivedMs)
        add.run(d.bucketMs, device.id, d.source, d.lc, d.rc, d.mc, d.kp, d.mm, d.scroll)
        senders.add(d.source, device.id)
        applied.push(i)
        const times = presence.get(device.id) ?? []
        times.push(d.bucketMs)
        presence.set(device.id, times)
        const s = seen.get(device.id) ?? { added: 0, lastSeen: 0 }
        seen.set(device.id, { added: 0, lastSeen: Math.max(s.lastSeen, d.bucketMs + 300_000) })
      }
      this.#updateDevices(seen)
      this.#collect(senders, 'input', receivedMs)
      const changes = this.#presence(presence, nextSeq, dirty)
      return { inserted, duplicates: deltas.length - inserted, updated: 0, changes, applied }
    })
  }

  createLabel(label: NewLabel, nowMs: number): { label: Label; changes: Change[] } {
    return this.#tx(({ nextSeq }) => {
      const seq = nextSeq()
      const id = uuidv7()
      this.#c.run(
        `INSERT INTO labels (seq, id, text, context, start_ms, end_ms, created_ms, updated_ms)
         VALUES ($seq, $id, $text, $context, $start, $end, $now, $now)`,
        {
          seq,
          id,
          text: label.text,
          context: label.context,
          start: label.startMs,
          end: label.endMs,
          now: nowMs,
        },
      )
      const stored = this.#label(id) as Label
      return {
        label: stored,
        changes: [{ seq, kind: 'label', op: 'upsert', label: stored, created: true }],
      }
    })
  }

  updateLabel(
    id: string,
    patch: Partial<NewLabel>,
    nowMs: number,
  ): { label: Label; changes: Change[] } {
    return this.#tx(({ nextSeq }) => {
      const current = this.#label(id)
      if (!current) throw new NotFoundError('label_not_found', `no label with id ${id}`, 'id')
      const next = { ...current, ...patch }
      if (next.endMs < next.startMs) {
        throw new UnprocessableError(
          'invalid_range',
          'the label would end before it starts',
          'body/endUtc',
        )
      }
      const seq = nextSeq()
      this.#c.run(
        `UPDATE labels SET seq = $seq, text = $text, context = $context, start_ms = $start,
           end_ms = $end, updated_ms = $now WHERE id = $id`,
        {
          seq,
          id,
          text: next.text,
          context: next.context,
          start: next.startMs,
          end: next.endMs,
          now: nowMs,
        },
      )
      const stored = this.#label(id) as Label
      return {
        label: stored,
        changes: [{ seq, kind: 'label', op: 'upsert', label: stored, created: false }],
      }
    })
  }

  deleteLabel(id: string): { deleted: boolean; changes: Change[] } {
    return this.#tx(({ nextSeq }) => {
      const current = this.#label(id)
      if (!current) return { deleted: false, changes: [] }
      const seq = nextSeq()
      this.#c.run(TOMBSTONE_SQL('label'), {
        seq,
        id: Buffer.from(uuidParse(id)),
        s: current.startMs,
      })
      this.#c.run('DELETE FROM labels WHERE id = $id', { id })
      return { deleted: true, changes: [{ seq, kind: 'label', op: 'delete', id }] }
    })
  }

  #label(id: string): Label | undefined {
    const row = this.#c.get<StoredLabel>(`SELECT ${LABEL_COLUMNS} FROM labels WHERE id = $id`, {
      id,
    })
    return row ? toLabel(row) : undefined
  }

  deleteInputBefore(cutoffMs: number): number {
    return this.#c.run('DELETE FROM input_activity WHERE bucket_ms < $cutoff', { cutoff: cutoffMs })
  }

  pruneInputBatches(cutoffMs: number): number {
    return this.#c.run('DELETE FROM input_batches WHERE received_ms < $cutoff', {
      cutoff: cutoffMs,
    })
  }

  /** The categories the category rules name exist, so the rollups can count time under them. */
  ensureRuleCategories(): void {
    this.#tx(() => {
      for (const rule of readSettings(this.#c).categoryRules) {
        this.#dims.named('categories', rule.category)
      }
      return null
    })
  }

  saveSettings(values: Record<string, unknown>): { changes: Change[] } {
    return this.#tx((ctx) => {
      const { nextSeq } = ctx
      const c = this.#c
      const before = JSON.stringify(readSettings(c).sourcePriority)
      const rulesBefore = JSON.stringify(readSettings(c).categoryRules)
      const timeoutBefore = readSettings(c).heartbeatTimeoutSec
      const changes: Change[] = []
      for (const [key, value] of Object.entries(values)) {
        const seq = nextSeq()
        c.run(
          `INSERT INTO settings (key, value, seq) VALUES ($k, $v, $seq)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, seq = excluded.seq`,
          { k: key, v: JSON.stringify(value), seq },
        )
        changes.push({ seq, kind: 'setting', op: 'upsert', key, value })
      }
      // Who wins overlapping time changed: every slot with active time is recomputed.
      if (JSON.stringify(readSettings(c).sourcePriority) !== before) markAllDirty(c, this.#mark())
      // Which category time counts under changed: the same recount, under the new rules.
      const rules = readSettings(c).categoryRules
      if (JSON.stringify(rules) !== rulesBefore) {
        for (const rule of rules) this.#dims.named('categories', rule.category)
        markAllDirty(c, this.#mark())
      }
      // How far a heartbeat reaches changed: every stream's events are derived again.
      const timeout = readSettings(c).heartbeatTimeoutSec
      if (timeout !== timeoutBefore) {
        const derived = this.#derived(true)
        for (const { device_id, source_id } of allStreams(c)) {
          const stream = this.#stream(device_id, source_id)
          const start = firstKey(c, stream)
          if (!start) continue
          deriveRegion(c, stream, { start, end: null }, timeout * 1000, (from, to, events) =>
            this.#replaceDerived(stream, from, to, events, ctx, derived),
          )
        }
        changes.push(...this.#finishDerived(derived, ctx))
      }
      return { changes: changes.sort((a, b) => a.seq - b.seq) }
    })
  }

  /**
   * Stores WakaTime heartbeats and re-derives the stretches of their streams they change (see
   * `HeartbeatStore.insert`).
   */
  insertHeartbeats(
    heartbeats: readonly Heartbeat[],
    nowMs: number,
    options: { changes?: boolean } = {},
  ): HeartbeatIngestResult {
    return this.#tx((ctx) => {
      const c = this.#c
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
        const device = this.#dims.device(h.device, ctx.nextSeq, nowMs)
        const source = editorSource(h.editor)
        const sourceId = this.#dims.named('sources', source)
        senders.add(source, device.id)
        const agent = this.#agent(h.userAgent, h.editor, h.os)
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
          entry = {
            stream: {
              deviceId: device.id,
              deviceUuid: device.uuid,
              deviceName: device.name,
              sourceId,
              source,
            },
            keys: [],
          }
          streams.set(key, entry)
        }
        entry.keys.push({ t: h.timeMs, h: hash })
      }
      this.#collect(senders, 'events', nowMs)
      const timeoutMs = readSettings(c).heartbeatTimeoutSec * 1000
      const derived = this.#derived(options.changes ?? true)
      for (const { stream, keys } of streams.values()) {
        for (const region of findRegions(c, stream, keys, timeoutMs)) {
          deriveRegion(c, stream, region, timeoutMs, (from, to, events) =>
            this.#replaceDerived(stream, from, to, events, ctx, derived),
          )
        }
      }
      const inserted = stored.filter(Boolean).length
      return {
        inserted,
        duplicates: heartbeats.length - inserted,
        updated: 0,
        changes: this.#finishDerived(derived, ctx),
        stored,
      }
    })
  }

  #agent(userAgent: string, editor: string, os: string): number {
    const key = JSON.stringify([userAgent, editor, os])
    const cached = this.#agents.get(key)
    if (cached !== undefined) return cached
    const c = this.#c
    const found = c.get<{ id: number }>(
      'SELECT id FROM wakatime_agents WHERE user_agent = $u AND editor = $e AND os = $o',
      { u: userAgent, e: editor, o: os },
    )
    const id =
      found?.id ??
      Number(
        c
          .stmt('INSERT INTO wakatime_agents (user_agent, editor, os) VALUES (?, ?, ?)')
          .run(userAgent, editor, os).lastInsertRowid,
      )
    this.#agents.set(key, id)
    return id
  }

  /** A heartbeat stream by its device and source ids. */
  #stream(deviceId: number, sourceId: number): Stream {
    const row = this.#c.get<{ uuid: string; device: string; source: string }>(
      `SELECT d.uuid, d.name AS device, s.name AS source FROM devices d, sources s
       WHERE d.id = $d AND s.id = $s`,
      { d: deviceId, s: sourceId },
    ) as { uuid: string; device: string; source: string }
    return {
      deviceId,
      deviceUuid: row.uuid,
      deviceName: row.device,
      sourceId,
      source: row.source,
    }
  }

  #derived(withChanges: boolean): Derived {
    const priority = sourcePriorityOf(readSettings(this.#c).sourcePriority)
    return {
      changes: [],
      presence: new Map(),
      perDevice: new Map(),
      maxEnd: 0,
      withChanges,
      priority,
    }
  }

  /**
   * Makes the stored events of `stream` that start in [fromMs, toMs) equal to `events`: an event
   * with the same identity is kept (its end updated when it differs), a missing one inserted (a
   * tombstone of it, left by an earlier derivation, is lifted), one no longer derived deleted.
   */
  #replaceDerived(
    stream: Stream,
    fromMs: number,
    toMs: number,
    events: readonly NewActivityEvent[],
    ctx: TxContext,
    derived: Derived,
  ): void {
    const c = this.#c
    const dims = this.#dims
    const stored = c.all<{ seq: number; id: Uint8Array; start_ms: number; end_ms: number }>(
      `SELECT seq, id, start_ms, end_ms FROM events
       WHERE start_ms >= $a AND start_ms < $b AND device_id = $d AND source_id = $s`,
      { a: fromMs, b: toMs, d: stream.deviceId, s: stream.sourceId },
    )
    const byId = new Map(stored.map((r) => [hashHex(r.id), r]))
    const insert = c.stmt(`
      INSERT INTO events (seq, id, device_id, start_ms, end_ms, duration, category_id, app_id,
                          entity_id, project_id, branch_id, language_id, source_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    const lift = c.stmt("DELETE FROM tombstones WHERE kind = 'event' AND id = ?")
    const device = derived.perDevice.get(stream.deviceId) ?? { added: 0, lastSeen: 0 }
    derived.perDevice.set(stream.deviceId, device)
    // Derived events are an editor's: presence, unless the settings rank the editor lower.
    const presence = derived.presence.get(stream.deviceId) ?? []
    if (derived.priority(stream.source) >= PRESENCE_PRIORITY) {
      derived.presence.set(stream.deviceId, presence)
    }
    for (const e of events) {
      const id = eventIdBytes(stream.deviceUuid, e)
      const hex = hashHex(id)
      const found = byId.get(hex)
      let seq: number
      const category = dims.named('categories', e.category)
      const project = dims.project(e.project, e.projectPath, Math.floor(e.endMs / 1000))
      const entity = dims.entity(project, e.entity, e.entityType)
      if (found) {
        byId.delete(hex)
        if (found.end_ms === e.endMs) continue
        seq = ctx.nextSeq()
        c.run('UPDATE events SET seq = $seq, end_ms = $end, duration = NULL WHERE seq = $old', {
          seq,
          end: e.endMs,
          old: found.seq,
        })
        ctx.dirty.add(found.end_ms, e.endMs)
      } else {
        seq = ctx.nextSeq()
        insert.run(
          seq,
          id,
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
        lift.run(id)
        ctx.dirty.add(e.startMs, e.endMs)
        device.added++
        presence.push(e.startMs)
      }
      device.lastSeen = Math.max(device.lastSeen, e.endMs)
      derived.maxEnd = Math.max(derived.maxEnd, e.endMs)
      if (derived.withChanges) {
        derived.changes.push(
          eventUpsert(
            seq,
            uuidStringify(id),
            stream.deviceName ?? '',
            e,
            undefined,
            dims,
            entity,
            project,
          ),
        )
      }
    }
    for (const r of byId.values()) {
      const seq = ctx.nextSeq()
      c.run(TOMBSTONE_SQL('event'), { seq, id: r.id, s: r.start_ms })
      c.run('DELETE FROM events WHERE seq = $seq', { seq: r.seq })
      ctx.dirty.add(r.start_ms, r.end_ms)
      device.added--
      derived.changes.push({ seq, kind: 'event', op: 'delete', id: uuidStringify(r.id) })
    }
  }

  /** Device counts, the latest end and presence for what derivation changed; its changes. */
  #finishDerived(derived: Derived, ctx: TxContext): Change[] {
    this.#updateDevices(derived.perDevice)
    if (derived.maxEnd > 0) this.#raiseMaxEnd(derived.maxEnd)
    const afk = this.#presence(derived.presence, ctx.nextSeq, ctx.dirty)
    return [...derived.changes, ...afk].sort((a, b) => a.seq - b.seq)
  }

  insertToken(token: TokenRow, maxActive: number, nowSec: number): boolean {
    return this.#c.write(() => {
      const { n } = this.#c.get<{ n: number }>(
        `SELECT count(*) AS n FROM api_tokens
         WHERE revoked = 0 AND (expires_at IS NULL OR expires_at > $now)`,
        { now: nowSec },
      ) as { n: number }
      if (n >= maxActive) return false
      this.#c.run(
        `INSERT INTO api_tokens (id, name, token_hash, token_salt, token_preview, acl, created_at,
                                 expires_at, last_used_at, revoked)
         VALUES ($id, $name, $hash, $salt, $preview, $acl, $created, $expires, $used, $revoked)`,
        {
          id: token.id,
          name: token.name,
          hash: token.tokenHash,
          salt: token.tokenSalt,
          preview: token.tokenPreview,
          acl: token.acl,
          created: token.createdAt,
          expires: token.expiresAt,
          used: token.lastUsedAt,
          revoked: token.revoked ? 1 : 0,
        },
      )
      return true
    })
  }

  revokeToken(id: string): boolean {
    return this.#c.run('UPDATE api_tokens SET revoked = 1 WHERE id = $id', { id }) > 0
  }

  deleteToken(id: string): boolean {
    return this.#c.run('DELETE FROM api_tokens WHERE id = $id', { id }) > 0
  }

  touchToken(id: string, lastUsedAt: number): void {
    this.#c.run('UPDATE api_tokens SET last_used_at = $at WHERE id = $id', { id, at: lastUsedAt })
  }
}

/**
 * Items a write received per sender (source, device), for the collectors table. Counted by source
 * and then device id: no key is built per item.
 */
class SenderTally {
  readonly bySource = new Map<string, Map<number, number>>()

  add(source: string, deviceId: number): void {
    let byDevice = this.bySource.get(source)
    if (!byDevice) this.bySource.set(source, (byDevice = new Map<number, number>()))
    byDevice.set(deviceId, (byDevice.get(deviceId) ?? 0) + 1)
  }
}

function isWriteResult(v: unknown): v is { changes: Change[] } {
  return typeof v === 'object' && v !== null && Array.isArray((v as { changes?: unknown }).changes)
}

function firstAtOrAfter(sorted: number[], t: number): number | undefined {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((sorted[mid] as number) < t) lo = mid + 1
    else hi = mid
  }
  return sorted[lo]
}

/** The change-feed entry of an event stored or extended in this transaction. */
function eventUpsert(
  seq: number,
  id: string,
  device: string,
  e: Pick<
    NewActivityEvent,
    | 'startMs'
    | 'endMs'
    | 'category'
    | 'app'
    | 'entity'
    | 'project'
    | 'branch'
    | 'language'
    | 'source'
  >,
  durationSec: number | null | undefined,
  dims: DimensionWriter,
  entity: number,
  project: number,
): Change {
  return {
    seq,
    kind: 'event',
    op: 'upsert',
    event: {
      id,
      device,
      startMs: e.startMs,
      endMs: e.endMs,
      durationSec: durationSec ?? spanSeconds(e.startMs, e.endMs),
      category: e.category,
      app: e.app,
      entity: e.entity,
      entityType: dims.extra('entity', entity),
      project: e.project,
      projectPath: dims.extra('project', project),
      branch: e.branch,
      language: e.language,
      source: e.source,
    },
  }
}
