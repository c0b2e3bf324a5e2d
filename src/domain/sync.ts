/**
 * Sync between daemons (a hub and its spokes): what crosses the wire, and the one rule every
 * store applies to a change another daemon made (`applyRemote`).
 *
 * A change is the row as its sender now holds it, named by content id (events, AFK periods) or by
 * a key every daemon shares (labels by id, settings by key, devices by id, input buckets by
 * bucket, device and source). Applying one merges it into the row held here, and the merge is a
 * join: commutative, associative and idempotent, so any interleaving and duplication of the same
 * changes leaves every daemon with the same rows.
 *  - events: ends only grow, and a deletion wins over any upsert; the events derived from WakaTime
 *    heartbeats are re-derived by their own daemon (an end may move back, a deleted event come
 *    back), so they carry a version and the later version wins;
 *  - AFK periods: a real end only grows and replaces an inferred one; an inferred end (the first
 *    presence after the start) only moves earlier; a deletion wins;
 *  - input buckets: counts only grow (each counter the larger);
 *  - labels, settings and device names: last writer wins by a hybrid logical clock (`Hlc`), so an
 *    offline change survives unless a later one supersedes it; a deleted label stays deleted;
 *  - screenshots' index rows (never their images): a frame does not change once stored, so two
 *    upserts keep the greater content (a total order); a deletion (purge, retention) wins.
 */
import { type Arrival, afkArrival, eventArrival } from './arrivals.ts'
import { UnprocessableError } from './errors.ts'
import { EARLIEST_MS, MAX_EVENT_MS, afkId, eventIdBytes, frameId } from './events.ts'
import { largerCounts } from './input.ts'
import { framePath, parseFramePath } from './screenshots.ts'
import { isWakatimeSource } from './wakatime/user-agent.ts'

/**
 * The personal settings that sync. The rest stay with their daemon: how long input is kept and
 * how far a WakaTime heartbeat reaches (the events derived from heartbeats sync instead).
 */
export const SYNCED_SETTINGS = [
  'timezone',
  'startOfDay',
  'sourcePriority',
  'categoryRules',
  'sessionGapMinutes',
] as const

/** True for a setting that syncs between devices. */
export function isSyncedSetting(key: string): boolean {
  return (SYNCED_SETTINGS as readonly string[]).includes(key)
}

/** An event as it crosses between daemons: its stored form, its device by id. */
export interface SyncEvent {
  kind: 'event'
  op: 'upsert'
  id: string
  /** The device's id (not its name: names differ between daemons only by accident). */
  device: string
  startMs: number
  endMs: number
  /** The duration the client reported, when it differs from end - start; else null. */
  durationSec: number | null
  category: string
  app: string
  entity: string
  entityType: string | null
  project: string
  projectPath: string | null
  branch: string | null
  language: string | null
  source: string
  /** For events derived from WakaTime heartbeats: the hybrid-clock time of their latest change. */
  version: number | null
}

export interface SyncAfk {
  kind: 'afk'
  op: 'upsert'
  id: string
  device: string
  startMs: number
  endMs: number | null
  inferredEndMs: number | null
  durationSec: number | null
  /** The watcher that first reported it (absent from a sender that stored none). */
  source?: string | null | undefined
}

export interface SyncInput {
  kind: 'input'
  op: 'upsert'
  device: string
  bucketMs: number
  source: string
  lc: number
  rc: number
  mc: number
  kp: number
  mm: number
  scroll: number
}

export interface SyncLabel {
  kind: 'label'
  op: 'upsert'
  id: string
  text: string
  context: string | null
  startMs: number
  endMs: number
  createdMs: number
  updatedMs: number
  version: number
}

export interface SyncSetting {
  kind: 'setting'
  op: 'upsert'
  key: string
  value: unknown
  version: number
}

export interface SyncDevice {
  kind: 'device'
  op: 'upsert'
  id: string
  name: string
  version: number
}

/**
 * A screenshot's index row: what was on screen, its text, where its image is on its device. The
 * image itself does not sync (it stays on the device that took it).
 */
export interface SyncScreenshot {
  kind: 'screenshot'
  op: 'upsert'
  /** `frameId(device, filename)`. */
  id: string
  device: string
  /** `YYYYMMDDHHMMSS-<device>.webp` as its device named it (its date folder follows from it). */
  filename: string
  atMs: number
  app: string
  title: string
  url: string | null
  bytes: number
  width: number
  height: number
  hash: string
  text: string | null
  ocrMs: number | null
}

/** A deleted event, AFK period, label or screenshot: its tombstone. */
export interface SyncTombstone {
  kind: 'event' | 'afk' | 'label' | 'screenshot'
  op: 'delete'
  id: string
  /** The device of the deleted event, period or frame (null for labels, and when not known). */
  device: string | null
  /** Where the deleted event or period started, when the frame was taken (null for labels). */
  startMs: number | null
  /** For events derived from heartbeats: when they were deleted (hybrid clock); else null. */
  version: number | null
}

/** One change as sync carries it: the row as its sender now holds it. */
export type SyncChange =
  | SyncEvent
  | SyncAfk
  | SyncInput
  | SyncLabel
  | SyncSetting
  | SyncDevice
  | SyncScreenshot
  | SyncTombstone

/** A batch of changes, with the name of every device they mention (by id). */
export interface SyncBatch {
  devices: Record<string, string>
  changes: SyncChange[]
}

/** Input counters, in wire order. */
export const INPUT_COUNTERS = ['lc', 'rc', 'mc', 'kp', 'mm', 'scroll'] as const

/** The key of the row a change is about: two changes of one row share it. */
export function rowKey(c: SyncChange): string {
  switch (c.kind) {
    case 'input':
      return `input/${c.device}/${c.bucketMs}/${c.source}`
    case 'setting':
      return `setting/${c.key}`
    default:
      return `${c.kind}/${c.id}`
  }
}

/** Events of this source are derived from heartbeats by their own daemon: versioned. */
export function isDerivedSource(source: string): boolean {
  return isWakatimeSource(source)
}

/** Compares two values as their JSON text: an order every daemon agrees on. */
function compareJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a) ?? ''
  const y = JSON.stringify(b) ?? ''
  return x < y ? -1 : x > y ? 1 : 0
}

/** Lexicographic comparison of number tuples (null as -1). */
function compareTuple(a: readonly (number | null)[], b: readonly (number | null)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? -1
    const y = b[i] ?? -1
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** The smaller of two optional instants. */
function earlier(a: number | null, b: number | null): number | null {
  if (a === null) return b
  if (b === null) return a
  return Math.min(a, b)
}

/**
 * What a change that arrives from another daemon does to the row held here (`stored`, the row in
 * the same wire form, or undefined when none is held): the row as it must now be, or undefined
 * when the change adds nothing (a re-send, or older than what is held). Both must be about the
 * same row (`rowKey`). The rule is a join (see the module comment): whatever order and however
 * often a set of changes arrives, the rows end equal.
 */
export function applyRemote(
  stored: SyncChange | undefined,
  incoming: SyncChange,
): SyncChange | undefined {
  if (stored === undefined) return incoming
  switch (incoming.kind) {
    case 'event':
      return mergeEvent(stored, incoming)
    case 'afk':
      return mergeAfk(stored, incoming)
    case 'label':
      return mergeLabel(stored, incoming)
    case 'screenshot':
      return mergeScreenshot(stored, incoming)
    case 'input': {
      const s = stored as SyncInput
      const merged = largerCounts(s, incoming)
      return merged && { ...s, ...merged }
    }
    case 'setting': {
      const s = stored as SyncSetting
      const order =
        compareTuple([incoming.version], [s.version]) || compareJson(incoming.value, s.value)
      return order > 0 ? incoming : undefined
    }
    case 'device': {
      const s = stored as SyncDevice
      const order =
        compareTuple([incoming.version], [s.version]) || compareJson(incoming.name, s.name)
      return order > 0 ? incoming : undefined
    }
  }
}

/** The larger of two optional numbers (absent is the smallest). */
function larger(a: number | null, b: number | null): number | null {
  if (a === null) return b
  if (b === null) return a
  return Math.max(a, b)
}

/**
 * Two tombstones of one row: the later version (none is below every version), then the one that
 * says more (its device, its start); a total order, so every daemon keeps the same one.
 */
function compareTombstones(a: SyncTombstone, b: SyncTombstone): number {
  return (
    compareTuple(
      [a.version, a.device === null ? 0 : 1, a.startMs === null ? 0 : 1],
      [b.version, b.device === null ? 0 : 1, b.startMs === null ? 0 : 1],
    ) || compareJson([a.device, a.startMs], [b.device, b.startMs])
  )
}

/** Two upserts of one event: the later end, then the reported duration, then the extra names. */
function compareEventUpserts(a: SyncEvent, b: SyncEvent): number {
  return (
    compareTuple([a.endMs, a.durationSec], [b.endMs, b.durationSec]) ||
    compareJson([a.entityType, a.projectPath], [b.entityType, b.projectPath])
  )
}

/** The incoming change when it is greater under `compare`, else nothing. */
function greater<T>(incoming: T, stored: T, compare: (a: T, b: T) => number): T | undefined {
  return compare(incoming, stored) > 0 ? incoming : undefined
}

/**
 * An event. Deletions win over upserts and `eventArrival` decides between upserts (a later end
 * extends), except for events derived from heartbeats, which their own daemon re-derives: there
 * the later version wins whatever the change (a deletion on a tie).
 */
function mergeEvent(
  stored: SyncChange,
  incoming: SyncEvent | SyncTombstone,
): SyncChange | undefined {
  const s = stored as SyncEvent | SyncTombstone
  const derived =
    (incoming.op === 'upsert' && isDerivedSource(incoming.source)) ||
    (s.op === 'upsert' && isDerivedSource(s.source))
  if (derived) {
    // No version ranks below every version (compareTuple's null), never level with 0: a tie
    // between different changes would keep whichever came first.
    const version = (c: SyncEvent | SyncTombstone) => [c.version, c.op === 'delete' ? 1 : 0]
    const order =
      compareTuple(version(incoming), version(s)) ||
      (incoming.op === 'delete'
        ? compareTombstones(incoming, s as SyncTombstone)
        : compareEventUpserts(incoming, s as SyncEvent))
    return order > 0 ? incoming : undefined
  }
  if (incoming.op === 'delete') {
    return s.op === 'delete' ? greater(incoming, s, compareTombstones) : incoming
  }
  if (s.op === 'delete') return undefined
  const arrival: Arrival = eventArrival(s.endMs, false, incoming.endMs)
  if (arrival === 'extend') return incoming
  // An equal end: the rest decides, so two daemons never keep different ones.
  return s.endMs === incoming.endMs ? greater(incoming, s, compareEventUpserts) : undefined
}

/**
 * An AFK period: a deletion wins; a real end only grows (`afkArrival`) and replaces the inferred
 * one; while it is open, the earliest evidence of presence ends it. The merged row is built from
 * both, so it is the same whichever arrived first.
 */
function mergeAfk(stored: SyncChange, incoming: SyncAfk | SyncTombstone): SyncChange | undefined {
  const s = stored as SyncAfk | SyncTombstone
  if (incoming.op === 'delete') {
    return s.op === 'delete' ? greater(incoming, s, compareTombstones) : incoming
  }
  if (s.op === 'delete') return undefined
  const arrival = afkArrival({ endMs: s.endMs }, false, incoming.endMs)
  const endMs = arrival === 'extend' ? incoming.endMs : s.endMs
  const sameEnd = [s, incoming].filter((p) => p.endMs === endMs)
  const merged: SyncAfk = {
    ...s,
    endMs,
    inferredEndMs: endMs === null ? earlier(s.inferredEndMs, incoming.inferredEndMs) : null,
    durationSec: sameEnd.reduce<number | null>((d, p) => larger(d, p.durationSec), null),
  }
  return merged.endMs === s.endMs &&
    merged.inferredEndMs === s.inferredEndMs &&
    merged.durationSec === s.durationSec
    ? undefined
    : merged
}

/**
 * A row where a deletion wins (labels, screenshots), one side of them a deletion: the later
 * tombstone of two, the tombstone over an upsert.
 */
function mergeDeletion(stored: SyncChange, incoming: SyncChange): SyncChange | undefined {
  if (incoming.op !== 'delete') return undefined
  return stored.op === 'delete' ? greater(incoming, stored, compareTombstones) : incoming
}

/** A label: a deletion wins; otherwise the later version (then the greater content). */
function mergeLabel(
  stored: SyncChange,
  incoming: SyncLabel | SyncTombstone,
): SyncChange | undefined {
  const s = stored as SyncLabel | SyncTombstone
  if (incoming.op === 'delete' || s.op === 'delete') return mergeDeletion(s, incoming)
  const content = (l: SyncLabel) => [
    l.text,
    l.context,
    l.startMs,
    l.endMs,
    l.createdMs,
    l.updatedMs,
  ]
  const order =
    compareTuple([incoming.version], [s.version]) || compareJson(content(incoming), content(s))
  return order > 0 ? incoming : undefined
}

/**
 * A screenshot's index row: a deletion wins; two upserts of one frame (the same row, unless a
 * sender was broken) keep the greater content, so every daemon keeps the same one.
 */
function mergeScreenshot(
  stored: SyncChange,
  incoming: SyncScreenshot | SyncTombstone,
): SyncChange | undefined {
  const s = stored as SyncScreenshot | SyncTombstone
  if (incoming.op === 'delete' || s.op === 'delete') return mergeDeletion(s, incoming)
  // Fields in a fixed order: the two rows may have been built with their keys in another.
  const content = (f: SyncScreenshot) => [
    f.atMs,
    f.app,
    f.title,
    f.url,
    f.bytes,
    f.width,
    f.height,
    f.hash,
    f.text,
    f.ocrMs,
  ]
  return compareJson(content(incoming), content(s)) > 0 ? incoming : undefined
}

/**
 * Applies changes to a diary held as rows by `rowKey`, in order: the definition the stores
 * implement row by row (and what the property tests fold).
 */
export function applyAll(
  rows: ReadonlyMap<string, SyncChange>,
  changes: readonly SyncChange[],
): Map<string, SyncChange> {
  const out = new Map(rows)
  for (const c of changes) {
    const key = rowKey(c)
    const next = applyRemote(out.get(key), c)
    if (next !== undefined) out.set(key, next)
  }
  return out
}

/**
 * Checks a change from another daemon before anything of its batch is stored: the ids are the
 * content ids of what the change says, times and counts are sane, a setting is one that syncs.
 * Throws `UnprocessableError` naming `field` (e.g. `changes/12`). The future is not checked: the
 * sender's clock accepted it, and refusing it here would stop that device's sync for good.
 */
export function checkSyncChange(c: SyncChange, field: string): void {
  const bad = (what: string) => {
    throw new UnprocessableError('invalid_change', `${field}: ${what}`, field)
  }
  const checkTime = (ms: number, name: string) => {
    if (!Number.isSafeInteger(ms) || ms < EARLIEST_MS) bad(`${name} is not a time after 1990`)
  }
  const version = 'version' in c ? c.version : null
  if (
    version !== null &&
    !(Number.isSafeInteger(version) && version >= 0 && version <= MAX_VERSION)
  ) {
    bad('version is not a hybrid-clock time')
  }
  if (c.op === 'delete') return
  switch (c.kind) {
    case 'event': {
      checkTime(c.startMs, 'startMs')
      checkTime(c.endMs, 'endMs')
      if (c.endMs < c.startMs) bad('the event ends before it starts')
      if (c.endMs - c.startMs > MAX_EVENT_MS) bad('an event may last at most 7 days')
      // Compared as bytes: hashed the way ingest hashes (a sync batch checks thousands).
      if (!sameId(eventIdBytes(c.device, c), c.id)) {
        bad('the id is not the content id of this event')
      }
      return
    }
    case 'afk': {
      checkTime(c.startMs, 'startMs')
      if (c.endMs !== null && c.endMs < c.startMs) bad('the period ends before it starts')
      if (afkId(c.device, c.startMs) !== c.id) bad('the id is not the content id of this period')
      return
    }
    case 'input': {
      if (!Number.isSafeInteger(c.bucketMs) || c.bucketMs % 300_000 !== 0) {
        bad('bucketMs is not the start of a 5-minute bucket')
      }
      for (const k of INPUT_COUNTERS) {
        if (!Number.isSafeInteger(c[k]) || c[k] < 0) bad(`${k} is not a count`)
      }
      return
    }
    case 'label':
      if (c.endMs < c.startMs) bad('the label ends before it starts')
      return
    case 'setting':
      if (!isSyncedSetting(c.key)) bad(`${JSON.stringify(c.key)} is not a setting that syncs`)
      return
    case 'device':
      if (c.name.trim() === '') bad('a device needs a name')
      return
    case 'screenshot': {
      checkTime(c.atMs, 'atMs')
      const named = parseFramePath(c.filename)
      // The name's stamp is the frame's second: its folder and the image routes follow from it.
      if (!named || framePath(c.atMs, 'x').filename.slice(0, 14) !== c.filename.slice(0, 14)) {
        bad('the filename is not the name of a frame taken at atMs')
      }
      if (frameId(c.device, c.filename) !== c.id) bad('the id is not the content id of this frame')
      for (const k of ['bytes', 'width', 'height'] as const) {
        if (!Number.isSafeInteger(c[k]) || c[k] < 0) bad(`${k} is not a count`)
      }
      return
    }
  }
}

const HEX = '0123456789abcdef'

/** True when the 16 bytes are the dashed id `text` (lowercase, as ids are made). */
function sameId(bytes: Uint8Array, text: string): boolean {
  if (text.length !== 36) return false
  let at = 0
  for (let i = 0; i < 16; i++) {
    if (at === 8 || at === 13 || at === 18 || at === 23) at++
    const b = bytes[i] as number
    if (text[at] !== HEX[b >> 4] || text[at + 1] !== HEX[b & 15]) return false
    at += 2
  }
  return true
}

/** The devices whose recorded data (events, AFK periods, input, screenshots) a batch carries. */
export function recordedDevices(changes: readonly SyncChange[]): Set<string> {
  const out = new Set<string>()
  for (const c of changes) {
    if (
      c.op === 'upsert' &&
      (c.kind === 'event' || c.kind === 'afk' || c.kind === 'input' || c.kind === 'screenshot')
    ) {
      out.add(c.device)
    }
  }
  return out
}

/**
 * Hybrid logical clock values: wall-clock milliseconds times `HLC_UNITS`, plus a counter for
 * events within one millisecond (or while the wall clock stands behind the latest value seen).
 * They only grow on a daemon, and a daemon that hears of a later one moves past it, so a change
 * made after another was seen always has the greater value, whatever the two machines' clocks say.
 */
export const HLC_UNITS = 1024

/** The largest version accepted from another daemon (far beyond any clock; below 2^53). */
export const MAX_VERSION = 2 ** 52

/** The next clock value after `last` at wall-clock time `nowMs`. */
export function nextHlc(last: number, nowMs: number): number {
  return Math.max(last + 1, Math.floor(nowMs) * HLC_UNITS)
}

/** The latest clock value after hearing of `remote`. */
export function observeHlc(last: number, remote: number | null): number {
  return remote === null ? last : Math.max(last, remote)
}

/** The wall-clock time (epoch ms) a clock value was made at, about. */
export function hlcMs(hlc: number): number {
  return Math.floor(hlc / HLC_UNITS)
}

/**
 * Pairing codes: 80 random bits in Crockford's base32 (16 characters, no I, L, O or U), shown in
 * four groups of four. Read back case-insensitively, ignoring dashes and spaces, with O as 0 and
 * I or L as 1, so a code typed from a screen works.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A pairing code for 10 random bytes. */
export function formatPairingCode(bytes: Uint8Array): string {
  if (bytes.length !== 10) throw new Error('a pairing code is made of 10 bytes')
  let bits = 0n
  for (const b of bytes) bits = (bits << 8n) | BigInt(b)
  let text = ''
  for (let i = 15; i >= 0; i--) text += CROCKFORD.charAt(Number((bits >> BigInt(i * 5)) & 31n))
  return text.match(/.{4}/g)?.join('-') ?? text
}

/** The canonical form of a typed pairing code, or undefined when it cannot be one. */
export function parsePairingCode(text: string): string | undefined {
  const cleaned = text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1')
  if (!/^[0-9A-HJKMNP-TV-Z]{16}$/.test(cleaned)) return undefined
  return cleaned.match(/.{4}/g)?.join('-')
}
