/**
 * Keeping the rollup cells current (writer worker only).
 *
 * Writes mark the slots they touch dirty, in their own transaction. The writer then recomputes
 * dirty slots in the background, a few dozen per transaction: it resolves the timeline of each run
 * of consecutive dirty slots from the events and AFK periods (`activeTimeline`, the one
 * definition), replaces the slots' cells, adds the difference to their hours' cells (and to the
 * hour and day marginals), and clears the slots' dirty marks — all in one transaction, so a reader sees a slot either dirty (and resolves
 * it from events) or with cells that match the events.
 */
import { HOURS_PER_DAY, SLOT_MS, SLOTS_PER_HOUR } from '../../domain/cells.ts'
import { DAY_MS } from '../../domain/time.ts'
import { activeTimeline } from '../../domain/timeline.ts'
import type { Connection } from './connection.ts'
import {
  type Categorizer,
  type EventRow,
  afkOverlapping,
  eventsOverlapping,
  ruleCategories,
  sourcePriorities,
} from './rows.ts'

const TUPLE = ['device', 'source', 'category', 'app', 'project', 'branch', 'language'] as const
const PROJECT_ENTITY = ['project', 'entity'] as const

/** Longest run of consecutive slots resolved at once (bounds the events held in memory). */
const MAX_RUN = 16

type Family = { slots: string; hours: string; columns: readonly string[] }
const PLAIN: Family = { slots: 'cells_slot', hours: 'cells_hour', columns: TUPLE }
const PE: Family = { slots: 'cells_slot_pe', hours: 'cells_hour_pe', columns: PROJECT_ENTITY }

function keyOf(row: EventRow, columns: readonly string[]): string {
  return columns.map((c) => row[c as keyof EventRow]).join(',')
}

/**
 * How long a dirty slot must go untouched before the writer recomputes it. A watcher extends its
 * current event every few seconds, and a batch touches the same slots as the one before it:
 * recomputing at once would redo the same slot many times. Readers resolve a slot from events
 * until then, so nothing waits for this but speed.
 */
export const SETTLE_MS = 1000

/**
 * Write marks per UTC day, kept in `meta` under `write_mark:<day + 10^7, 8 digits>` (so a range of
 * days is a range of keys), and `write_mark:all` for a change that moves every day's time (source
 * priorities, category rules). Every write that changes active time puts its mark (greater than
 * any before it) on the days it touches, as it marks their slots dirty, and the mark stays after
 * the slots are recomputed: a reader keeps an answer while the marks of its days are unchanged.
 */
const dayMarkKey = (day: number) => `write_mark:${String(day + 1e7).padStart(8, '0')}`
const ALL_DAYS_MARK = 'write_mark:all'

/** The greatest write mark of any day (0 when none): marks continue from there. */
export function lastWriteMark(c: Connection): number {
  return (
    c.get<{ m: number | null }>(
      `SELECT max(value) AS m FROM meta WHERE key >= 'write_mark:' AND key < 'write_mark;'`,
    )?.m ?? 0
  )
}

/**
 * Marks the slots from `fromMs` to `toMs` (inclusive of the slot containing `toMs`) dirty, and puts
 * the mark on their days.
 */
export function markDirty(c: Connection, fromMs: number, toMs: number, nowMs: number): void {
  const first = Math.floor(fromMs / SLOT_MS)
  const last = Math.floor(Math.max(fromMs, toMs) / SLOT_MS)
  c.run(
    `WITH RECURSIVE s(n) AS (SELECT $first UNION ALL SELECT n + 1 FROM s WHERE n < $last)
     INSERT INTO dirty_slots (slot, marked_ms) SELECT n, $now FROM s WHERE true
     ON CONFLICT (slot) DO UPDATE SET marked_ms = excluded.marked_ms`,
    { first, last, now: nowMs },
  )
  c.run(
    `WITH RECURSIVE d(n) AS (SELECT $first UNION ALL SELECT n + 1 FROM d WHERE n < $last)
     INSERT INTO meta (key, value) SELECT printf('write_mark:%08d', n + 10000000), $now FROM d
     WHERE true ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    {
      first: Math.floor((first * SLOT_MS) / DAY_MS),
      last: Math.floor((last * SLOT_MS) / DAY_MS),
      now: nowMs,
    },
  )
}

/**
 * The marks an answer over `range` depends on: the latest write mark of the days it covers and of
 * every day (day -1). Unchanged marks mean unchanged events and AFK periods in the range, and
 * unchanged settings that decide who owns time.
 */
export function writeMarks(c: Connection, range: { startMs: number; endMs: number }): string {
  const row = c.get<{ m: number | null; g: number | null }>(
    `SELECT (SELECT max(value) FROM meta WHERE key BETWEEN $a AND $b) AS m,
            (SELECT value FROM meta WHERE key = $all) AS g`,
    {
      a: dayMarkKey(Math.floor(range.startMs / DAY_MS)),
      b: dayMarkKey(Math.floor((range.endMs - 1) / DAY_MS)),
      all: ALL_DAYS_MARK,
    },
  )
  return `${row?.m ?? 0},${row?.g ?? 0}`
}

/**
 * Marks every slot that holds active time dirty, and marks the dirty ones again (the source
 * priorities or category rules changed: what readers resolved from events before is stale too).
 */
export function markAllDirty(c: Connection, nowMs: number): void {
  c.run('UPDATE dirty_slots SET marked_ms = $now', { now: nowMs })
  c.run(
    `INSERT INTO meta (key, value) VALUES ($all, $now)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    { all: ALL_DAYS_MARK, now: nowMs },
  )
  c.run(
    `INSERT INTO dirty_slots (slot, marked_ms) SELECT DISTINCT slot, $now FROM cells_slot WHERE true
     ON CONFLICT (slot) DO UPDATE SET marked_ms = excluded.marked_ms`,
    { now: nowMs },
  )
}

/** When the earliest dirty slot settles (epoch ms), or undefined when none is dirty. */
export function nextSettled(c: Connection): number | undefined {
  const row = c.get<{ m: number | null }>('SELECT min(marked_ms) AS m FROM dirty_slots')
  return row?.m === null || row?.m === undefined ? undefined : row.m + SETTLE_MS
}

/** Dirty slots waiting. */
export function pendingSlots(c: Connection): number {
  return (c.get<{ n: number }>('SELECT count(*) AS n FROM dirty_slots') as { n: number }).n
}

/**
 * Recomputes up to `maxSlots` dirty slots last touched at or before `settledBefore` (all of them
 * when omitted), in slot order, in one transaction. Resolves to the number of such slots left.
 */
export function refreshDirty(
  c: Connection,
  maxSlots: number,
  settledBefore = Number.POSITIVE_INFINITY,
): number {
  return c.write(() => {
    const cutoff = Number.isFinite(settledBefore) ? settledBefore : Number.MAX_SAFE_INTEGER
    const slots = c
      .all<{ slot: number }>(
        'SELECT slot FROM dirty_slots WHERE marked_ms <= $cutoff ORDER BY slot LIMIT $n',
        { n: maxSlots, cutoff },
      )
      .map((r) => r.slot)
    if (slots.length === 0) return 0
    const priority = sourcePriorities(c)
    const category = ruleCategories(c)
    for (const [first, last] of runs(slots)) refreshRun(c, first, last, priority, category)
    c.run('DELETE FROM dirty_slots WHERE slot IN (SELECT value FROM json_each($slots))', {
      slots: JSON.stringify(slots),
    })
    return (
      c.get<{ n: number }>('SELECT count(*) AS n FROM dirty_slots WHERE marked_ms <= $cutoff', {
        cutoff,
      }) as { n: number }
    ).n
  })
}

/** Consecutive slots grouped into runs of at most `MAX_RUN`. */
function runs(slots: number[]): [number, number][] {
  const out: [number, number][] = []
  for (const s of slots) {
    const last = out[out.length - 1]
    if (last && s === last[1] + 1 && s - last[0] < MAX_RUN) last[1] = s
    else out.push([s, s])
  }
  return out
}

function refreshRun(
  c: Connection,
  first: number,
  last: number,
  priority: (row: EventRow) => number,
  category: Categorizer,
): void {
  const range = { startMs: first * SLOT_MS, endMs: (last + 1) * SLOT_MS }
  const segments = activeTimeline(
    eventsOverlapping(c, range, category),
    afkOverlapping(c, range),
    range,
    priority,
  )
  // New seconds per slot and tuple, for both families.
  const fresh = { plain: new Map<string, number>(), pe: new Map<string, number>() }
  for (const seg of segments) {
    for (let s = Math.floor(seg.startMs / SLOT_MS); s * SLOT_MS < seg.endMs; s++) {
      const ms = Math.min(seg.endMs, (s + 1) * SLOT_MS) - Math.max(seg.startMs, s * SLOT_MS)
      if (ms <= 0) continue
      for (const [map, columns] of [
        [fresh.plain, TUPLE],
        [fresh.pe, PROJECT_ENTITY],
      ] as const) {
        const k = `${s},${keyOf(seg.event, columns)}`
        map.set(k, (map.get(k) ?? 0) + ms / 1000)
      }
    }
  }
  const hourDeltas = replaceCells(c, PLAIN, first, last, fresh.plain)
  const peDeltas = replaceCells(c, PE, first, last, fresh.pe)
  updateMarginals(c, hourDeltas, peDeltas)
}

/** The marginal dimension codes (see `cells_hour_dim`): 0 total, then the tuple's columns. */
export const MARGINAL_DIM = {
  total: 0,
  device: 1,
  source: 2,
  category: 3,
  app: 4,
  project: 5,
  branch: 6,
  language: 7,
  entity: 8,
} as const

/**
 * Moves the hour and day marginals by the hours' tuple deltas. A day's delta is the sum of its
 * hours' deltas, in whole milliseconds (each delta is one, up to the float error of its seconds).
 * Entities get no day marginal: they are the long tail (a window title, a file), most seen within
 * one hour, so a day row per entity would cost about as much disk and writing as its hour rows and
 * save few reads; a question by entity reads hours.
 */
function updateMarginals(
  c: Connection,
  plain: Map<string, number>,
  entity: Map<string, number>,
): void {
  const hours = new Map<string, number>()
  const days = new Map<string, number>()
  const add = (dim: number, hour: number, value: number, seconds: number) => {
    const k = `${dim},${hour},${value}`
    hours.set(k, (hours.get(k) ?? 0) + seconds)
    if (dim === MARGINAL_DIM.entity) return
    const d = `${dim},${Math.floor(hour / HOURS_PER_DAY)},${value}`
    days.set(d, (days.get(d) ?? 0) + Math.round(seconds * 1000))
  }
  for (const [k, seconds] of plain) {
    const [hour, ...tuple] = k.split(',').map(Number) as [number, ...number[]]
    add(MARGINAL_DIM.total, hour, 0, seconds)
    tuple.forEach((value, i) => add(i + 1, hour, value, seconds))
  }
  for (const [k, seconds] of entity) {
    const [hour, , value] = k.split(',').map(Number) as [number, number, number]
    add(MARGINAL_DIM.entity, hour, value, seconds)
  }
  applyDeltas(c, 'cells_hour_dim', 'hour', 'seconds', hours)
  applyDeltas(c, 'cells_day_dim', 'day', 'ms', days)
}

/** Adds `(dim, unit, value) → amount` deltas to a marginal, deleting rows that reach 0. */
function applyDeltas(
  c: Connection,
  table: string,
  unit: 'hour' | 'day',
  column: 'seconds' | 'ms',
  delta: Map<string, number>,
): void {
  const upsert = c.stmt(
    `INSERT INTO ${table} (dim, ${unit}, value, ${column}) VALUES (?, ?, ?, ?)
     ON CONFLICT DO UPDATE SET ${column} = ${column} + excluded.${column} RETURNING ${column} AS v`,
  )
  const drop = c.stmt(`DELETE FROM ${table} WHERE dim = ? AND ${unit} = ? AND value = ?`)
  for (const [k, amount] of delta) {
    if (amount === 0) continue
    const [dim, at, value] = k.split(',').map(Number) as [number, number, number]
    const row = upsert.get(dim, at, value, amount) as { v: number }
    if (row.v === 0) drop.run(dim, at, value)
  }
}

/**
 * Replaces the cells of slots `[first, last]`, moves their hours' cells by the difference, and
 * returns that difference per (hour, tuple).
 */
function replaceCells(
  c: Connection,
  family: Family,
  first: number,
  last: number,
  fresh: Map<string, number>,
): Map<string, number> {
  const cols = family.columns
  const old = c.all<Record<string, number>>(
    `SELECT slot, ${cols.join(', ')}, seconds FROM ${family.slots} WHERE slot BETWEEN $first AND $last`,
    { first, last },
  )
  // Hour deltas: fresh minus old, per (hour, tuple).
  const delta = new Map<string, number>()
  const add = (slotKey: string, seconds: number) => {
    const comma = slotKey.indexOf(',')
    const slot = Number(slotKey.slice(0, comma))
    const hourKey = `${Math.floor(slot / SLOTS_PER_HOUR)}${slotKey.slice(comma)}`
    delta.set(hourKey, (delta.get(hourKey) ?? 0) + seconds)
  }
  for (const row of old) {
    add(`${row.slot},${cols.map((col) => row[col]).join(',')}`, -(row.seconds as number))
  }
  for (const [k, seconds] of fresh) add(k, seconds)

  c.run(`DELETE FROM ${family.slots} WHERE slot BETWEEN $first AND $last`, { first, last })
  const insert = c.stmt(
    `INSERT INTO ${family.slots} (slot, ${cols.join(', ')}, seconds) VALUES (${['?', ...cols.map(() => '?'), '?'].join(', ')})`,
  )
  for (const [k, seconds] of fresh) insert.run(...k.split(',').map(Number), seconds)

  const upsert = c.stmt(
    `INSERT INTO ${family.hours} (hour, ${cols.join(', ')}, seconds) VALUES (${['?', ...cols.map(() => '?'), '?'].join(', ')})
     ON CONFLICT DO UPDATE SET seconds = seconds + excluded.seconds`,
  )
  const hours = new Set<number>()
  for (const [k, seconds] of delta) {
    if (seconds === 0) continue
    const parts = k.split(',').map(Number)
    upsert.run(...parts, seconds)
    hours.add(parts[0] as number)
  }
  if (hours.size > 0) {
    c.run(
      `DELETE FROM ${family.hours} WHERE hour IN (SELECT value FROM json_each($h)) AND seconds = 0`,
      { h: JSON.stringify([...hours]) },
    )
  }
  return delta
}
