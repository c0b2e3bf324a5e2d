/**
 * The storage port: everything the daemon asks of its database, split by aggregate, and nothing
 * more. SQLite (in worker threads) is the embedded default; a PostgreSQL store for several devices
 * implements the same interfaces and passes the same conformance suite (`test/store/conformance.ts`).
 *
 * Every write resolves after its transaction has committed, with the changes it made, each with
 * its place in the change feed (`seq`, strictly increasing in commit order).
 */
import type { Scope } from '../domain/access.ts'
import type { Calendar, BucketUnit, TimeRange } from '../domain/calendar.ts'
import type {
  ActivityEvent,
  AfkPeriod,
  Dimension,
  EventFilters,
  NewActivityEvent,
  NewAfkPeriod,
} from '../domain/events.ts'
import type { InputBucket, InputCounts, InputRow } from '../domain/input.ts'
import type { Heartbeat, StoredHeartbeat } from '../domain/wakatime/heartbeat.ts'
import type { BucketCell } from '../domain/summary.ts'
import type { Change } from '../domain/changes.ts'
import type { SyncBatch } from '../domain/sync.ts'
import type { PairingRefusal } from '../domain/sync-hub.ts'
import type { ActivityWatchStore } from './activitywatch-port.ts'
import type { Label, NewLabel } from '../domain/labels.ts'
import type { SearchHit } from '../domain/search.ts'
import type { Session } from '../domain/sessions.ts'
import type { DndConfig } from '../domain/hooks/dnd.ts'
import type { HookState } from '../domain/hooks/firing.ts'
import type { HookActionResult, HookLogEntry, NewHookLogEntry } from '../domain/hooks/log.ts'
import type { HookRule } from '../domain/hooks/rules.ts'
import type { ScreenshotConfig, ScreenshotPause } from '../domain/screenshots.ts'
import type { Team, TeamMember, TeamShare } from '../domain/teams.ts'

/** A range whose sides may be unbounded (absent or infinite). */
export interface OpenRange {
  startMs?: number | undefined
  endMs?: number | undefined
}

export interface IngestResult {
  /** Items that were new. */
  inserted: number
  /** Items already stored (re-sends, or deleted before); nothing changed for them. */
  duplicates: number
  /** Known items this batch extended (a later end) or closed. */
  updated: number
  /** The changes, in feed order. */
  changes: Change[]
}

/** Events to delete: every given condition must hold; at least one must be given. */
export interface EventSelector {
  ids?: readonly string[] | undefined
  /** Events starting at or after this instant... */
  startMs?: number | undefined
  /** ...and before this one. */
  endMs?: number | undefined
  sources?: readonly string[] | undefined
  devices?: readonly string[] | undefined
}

/** A position in an event listing: the last event of the previous page. */
export interface EventCursor {
  startMs: number
  id: string
}

export interface EventListQuery {
  /** Events overlapping this range (a point event at its start included). */
  range: OpenRange
  filters: EventFilters
  /** Only events that have this dimension (a non-null branch, say). */
  requireDimension?: Dimension | undefined
  /** Most events to return. */
  limit: number
  /** Continue after this event. */
  after?: EventCursor | undefined
}

export interface EventPage {
  /** By start, then id. */
  events: ActivityEvent[]
  /** Where the next page starts; null when this is the last. */
  next: EventCursor | null
}

export interface InsertOptions {
  /**
   * Return the events' changes (default true). Without listeners nobody needs them, and building
   * them is much of a batch's cost; AFK periods a batch ended are returned either way.
   */
  changes?: boolean
}

export interface EventStore {
  /**
   * Stores a batch in one transaction (all of it or none). An event whose device, source, start
   * and names are stored already extends the stored one when its end is later, and is a duplicate
   * otherwise; an event deleted before stays deleted (a duplicate). Events of sources ranked at or
   * above `PRESENCE_PRIORITY` count as presence: they end open AFK periods of their device.
   * `receivedMs` is when the daemon received the batch (its clock): the collectors' last-seen
   * time and the creation time of devices it names.
   */
  insert(
    events: readonly NewActivityEvent[],
    receivedMs: number,
    options?: InsertOptions,
  ): Promise<IngestResult>
  /** Deletes matching events in one transaction, leaving a tombstone of each in the feed. */
  delete(selector: EventSelector): Promise<{ deleted: number; changes: Change[] }>
  /** Events as stored, with the category they were sent with (`services/events.ts` applies the rules). */
  list(query: EventListQuery): Promise<EventPage>
  /** Start of the earliest and end of the latest event, or undefined when there are none. */
  span(): Promise<TimeRange | undefined>
}

/** AFK periods to delete: those of these devices starting in the range. */
export interface AfkSelector {
  startMs: number
  endMs: number
  devices?: readonly string[] | undefined
}

export interface AfkStore {
  /**
   * Stores periods in one transaction. A period is its device and start: re-sent with a later end
   * it is extended (an open one is closed); otherwise it is a duplicate. An open period ends at
   * the first evidence of presence on its device after it, until a real end arrives.
   * `receivedMs` is when the daemon received them (see `EventStore.insert`).
   */
  insert(periods: readonly NewAfkPeriod[], receivedMs: number): Promise<IngestResult>
  /** Periods overlapping the range, by start; an open one overlaps everything after its start. */
  list(range: OpenRange): Promise<AfkPeriod[]>
  delete(selector: AfkSelector): Promise<{ deleted: number; changes: Change[] }>
}

/** What storing heartbeats did: per heartbeat whether it was new, and the events re-derived. */
export interface HeartbeatIngestResult extends IngestResult {
  /** For each heartbeat of the batch, in order: true when new, false when already stored. */
  stored: boolean[]
}

/** The latest heartbeat a device sent. */
export interface HeartbeatMachine {
  /** The device by name. */
  device: string
  deviceId: string
  lastMs: number
  editor: string
  os: string
  userAgent: string
  /** Its project as sent, or null when it sent a placeholder or none. */
  project: string | null
}

export interface HeartbeatStore {
  /**
   * Stores WakaTime heartbeats, each at most once per device (see `heartbeatHash`), and in the
   * same transaction re-derives the events of every stretch of their streams (an editor on a
   * device) that they change, by `src/domain/wakatime/derive.ts` under the `heartbeatTimeoutSec`
   * setting: derived events that no longer hold are deleted (tombstones in the feed), changed
   * ones updated, new ones inserted. The stored events end the same whatever order heartbeats
   * arrive in. Derived events of editors count as presence, like other editors' events.
   * `receivedMs` is when the daemon received them (see `EventStore.insert`).
   */
  insert(
    heartbeats: readonly Heartbeat[],
    receivedMs: number,
    options?: InsertOptions,
  ): Promise<HeartbeatIngestResult>
  /** Heartbeats with a time in `range`, by time then id, at most `limit`. */
  list(range: TimeRange, limit: number): Promise<StoredHeartbeat[]>
  /** The latest heartbeat of each device that sent any, latest first. */
  machines(): Promise<HeartbeatMachine[]>
}

export interface LabelStore {
  /** Creates a label at `nowMs` (its created and updated time). */
  create(label: NewLabel, nowMs: number): Promise<{ label: Label; changes: Change[] }>
  /** Changes the given fields at `nowMs`; `NotFoundError` when there is no such label. */
  update(
    id: string,
    patch: Partial<NewLabel>,
    nowMs: number,
  ): Promise<{ label: Label; changes: Change[] }>
  /** Deletes a label (a tombstone in the feed); false when there is no such label. */
  delete(id: string): Promise<{ deleted: boolean; changes: Change[] }>
  get(id: string): Promise<Label | undefined>
  /** Labels overlapping `range`, by start; without a range the most recently created first. */
  list(query: { range?: OpenRange | undefined; limit: number }): Promise<Label[]>
  /** Labels whose text or context matches `query` (words, prefixes), best first (BM25). */
  search(query: string, limit: number): Promise<Label[]>
}

/** When a collector (a source on a device) last sent data, and how much it has sent. */
export interface CollectorRow {
  source: string
  device: string
  kind: 'events' | 'afk' | 'input'
  /** Epoch ms of the latest batch the daemon received from it. */
  lastSeenMs: number
  items: number
}

export interface StatusStore {
  /** How much is stored. */
  counts(): Promise<{
    events: number
    afkPeriods: number
    inputBuckets: number
    labels: number
    devices: number
  }>
  collectors(): Promise<CollectorRow[]>
}

export interface SearchStore {
  /**
   * Events whose entity, project, app or branch names match `text` (words, prefixes), and labels
   * whose text matches it, within `range`, newest first, at most `limit`.
   */
  search(text: string, range: TimeRange, limit: number): Promise<SearchHit[]>
}

/** A device activity is recorded on. */
export interface DeviceRow {
  id: string
  name: string
  /** The daemon's own device. */
  own: boolean
  /** Epoch ms of the latest event end or input on it, or null. */
  lastSeenMs: number | null
  /** Events stored for it. */
  events: number
}

export interface DeviceStore {
  list(): Promise<DeviceRow[]>
  /** Renames a device; `ConflictError` when another has the name, `NotFoundError` when unknown. */
  rename(id: string, name: string): Promise<{ device: DeviceRow; changes: Change[] }>
  /**
   * Creates, in one transaction, the devices of these names that are not stored yet (other
   * devices, never this daemon's own), as a write naming them would: an export's devices read
   * back, those without any data too. Resolves to how many were created and their changes.
   */
  ensure(names: readonly string[], nowMs: number): Promise<{ created: number; changes: Change[] }>
}

/** An app or category as listed. */
export interface NamedRow {
  id: string
  name: string
}

/** A project as listed; `lastUpdated` is unix seconds of its latest activity. */
export interface ProjectRow {
  id: string
  name: string
  rootPath: string | null
  lastUpdated: number | null
}

/** A position in the project list: the row a page starts with. */
export interface ProjectCursor {
  lastUpdated: number
  id: string
}

export interface ProjectPage {
  data: ProjectRow[]
  totalPages: number
  /** `cursors[k]` is the first row of page k+1 (k from 0). */
  cursors: ProjectCursor[]
}

export interface CatalogStore {
  apps(): Promise<NamedRow[]>
  categories(): Promise<NamedRow[]>
  /** One page of projects, newest activity first, starting with the `from` row when given. */
  projects(page: { from?: ProjectCursor | undefined; limit: number }): Promise<ProjectPage>
  /** Projects whose name has a word starting with `query`, best match first. */
  searchProjects(query: string, limit: number): Promise<ProjectRow[]>
  project(id: string): Promise<ProjectRow | undefined>
}

/** Counts to add to one bucket of one source on one device. */
export interface InputDelta extends InputCounts {
  /** Bucket start, epoch ms, a multiple of 5 minutes. */
  bucketMs: number
  source: string
  /** The device by name; null or absent: the daemon's own. */
  device?: string | null | undefined
  /** The sender's id for this delta: a delta whose id was already added is skipped. */
  batchId?: string | undefined
}

export interface InputStore {
  /**
   * Adds counts to their buckets in one transaction. Deltas whose `batchId` was already added are
   * duplicates and change nothing. Counts are presence: they end open AFK periods of the device.
   */
  add(
    deltas: readonly InputDelta[],
    receivedMs: number,
  ): Promise<IngestResult & { /** Indices of the deltas that added counts. */ applied: number[] }>
  /**
   * Input per bucket (all sources summed, and all devices, or those named in `devices`) for
   * buckets starting in the range.
   */
  buckets(range: {
    startMs: number
    endMs?: number | undefined
    devices?: readonly string[] | undefined
  }): Promise<InputBucket[]>
  /**
   * The stored rows (per bucket, device and source, nothing summed) of buckets starting in the
   * range, of all devices or those named in `devices`, by bucket, device name and source: what
   * an export writes.
   */
  rows(range: {
    startMs: number
    endMs: number
    devices?: readonly string[] | undefined
  }): Promise<InputRow[]>
  /**
   * Stores whole rows (an export's, read back) in one transaction: each counter of a row becomes
   * the larger of the stored and the given (`largerCounts`), so a row given again, or a row the
   * daemon already holds, changes nothing. Counts are presence, as with `add`; the rows are not
   * a collector's sign of life. Resolves to the rows that grew (`inserted`; the others are
   * `duplicates`) and, per row that grew, by how much (`added`).
   */
  merge(
    rows: readonly InputRow[],
    receivedMs: number,
  ): Promise<IngestResult & { added: InputRow[] }>
  /** Deletes rows of buckets starting before `cutoffMs`; resolves to the rows deleted. */
  deleteBefore(cutoffMs: number): Promise<number>
  /** Forgets batch ids received before `cutoffMs`; resolves to the ids removed. */
  pruneBatches(cutoffMs: number): Promise<number>
}

export interface SettingsStore {
  /** Stored settings, key to JSON value. */
  get(): Promise<Record<string, unknown>>
  /**
   * Replaces the given keys in one transaction. A change of `sourcePriority` re-resolves all
   * stored time (in the background; answers stay exact meanwhile); a change of
   * `heartbeatTimeoutSec` re-derives the events of every stored heartbeat, in the same
   * transaction (their changes are among those returned).
   */
  save(values: Record<string, unknown>): Promise<{ changes: Change[] }>
}

/** A scoped API token as stored: never its secret, only a salted hash of it. Times are unix seconds. */
export interface TokenRow {
  id: string
  name: string
  /** hex(SHA-256(salt ‖ secret)). */
  tokenHash: string
  tokenSalt: string
  /** `sk-abc…wxyz`: enough to recognise a token, not to use it. */
  tokenPreview: string
  acl: Scope
  createdAt: number
  /** Null: never expires. */
  expiresAt: number | null
  lastUsedAt: number | null
  revoked: boolean
}

export interface TokenStore {
  /**
   * Inserts a token unless `maxActive` tokens are already active (not revoked, not expired at
   * `nowSec`); the count and the insert are one transaction. Resolves to false when at the cap.
   */
  insert(token: TokenRow, maxActive: number, nowSec: number): Promise<boolean>
  /** Every stored token, revoked and expired ones included, oldest first. */
  list(): Promise<TokenRow[]>
  /** Marks a token revoked; false when there is no such token. */
  revoke(id: string): Promise<boolean>
  /** Removes a token; false when there is no such token. */
  delete(id: string): Promise<boolean>
  /** Records when a token was last used. */
  touch(id: string, lastUsedAt: number): Promise<void>
  /**
   * A number that changes whenever a token is inserted, revoked or deleted (not touched), by the
   * time that call resolves: a reader of this number who then lists the tokens has seen at least
   * those changes. Daemons sharing a database compare it to know when their cache is stale.
   */
  version(): Promise<number>
}

export interface ChangeFeed {
  /**
   * Changes after `after`, in `seq` order. The feed is compacted: a row appears once, at its
   * latest change, as it now is; deletions appear as tombstones. Nothing committed is skipped.
   */
  after(after: number, limit: number): Promise<{ changes: Change[]; next: number }>
  /** The latest `seq` committed (0 when none). */
  last(): Promise<number>
}

/** Which of the feed's changes sync reads. */
export type SyncOrigin =
  /** Changes made by this daemon (what a spoke pushes). */
  | { only: 'local' }
  /** Every change but those received from this device's daemon (what a hub sends a spoke). */
  | { except: string }

/** A page of the feed as sync carries it. */
export interface SyncPage extends SyncBatch {
  /** Where the next page starts: the last position this page covers. */
  next: number
  /** The latest position committed when the page was read. */
  last: number
}

/** Where an applied batch moves a cursor, in the transaction that stores it. */
export type SyncCursor =
  /** A hub: how far it has stored a paired device's own changes (its feed position). */
  | { pushed: { client: string; seq: number; epoch: number } }
  /** A spoke: how far it has read the hub's feed, and in which run of the hub. */
  | { pulled: { seq: number; epoch: number } }

/** A device paired with this hub. Times are epoch ms. */
export interface SyncClientRow {
  /** The id of its token. */
  id: string
  /** The device's id. */
  deviceId: string
  /** The device's name as the hub holds it now (named at pairing; a rename syncs). */
  name: string
  /** hex(SHA-256(secret)) of its token (the secret is 256 random bits). */
  tokenHash: string
  tokenPreview: string
  pairedMs: number
  lastSeenMs: number | null
  /** How far the hub has stored the device's own changes (a position in the device's feed). */
  pushedSeq: number
  /** The device's run that position was given in (see `SyncStore.pushedFor`). */
  epoch: number | null
  revoked: boolean
}

/** A spoke's cursors, kept with the changes they cover. */
export interface SyncCursors {
  /** How far the hub's feed has been applied here, and in which run of the hub. */
  pulledSeq: number
  pulledEpoch: number | null
  /** How far the hub acknowledged this daemon's own changes (as last heard). */
  pushedSeq: number
}

/** Why a pairing code cannot be used. */
export type { PairingRefusal } from '../domain/sync-hub.ts'

export interface SyncStore {
  /**
   * The compacted feed after `after` as sync carries it: at most `limit` changes, in feed order,
   * of the rows whose latest change `origin` selects (settings: only those that sync; input
   * buckets included). `next` covers every position read, so a reader passes it back as `after`.
   */
  changes(after: number, limit: number, origin: SyncOrigin): Promise<SyncPage>
  /** How many changes made here are after `after` (a spoke's changes not yet acknowledged). */
  pending(after: number): Promise<number>
  /**
   * Applies changes another daemon made, all in one transaction, each by the domain's
   * `applyRemote` and the arrival and presence rules, and moves `cursor` in the same transaction
   * (so a crash loses nothing and applies nothing twice). Devices the batch names that are not
   * stored are created with its names. `peer` is the device id of the daemon the batch came
   * from: rows left as it sent them are marked as received from it. Resolves to how many changes
   * did something and the feed entries they made.
   */
  apply(
    batch: SyncBatch,
    peer: string,
    cursor: SyncCursor,
    receivedMs: number,
  ): Promise<{ applied: number; changes: Change[] }>
  /** A spoke's cursors. */
  cursors(): Promise<SyncCursors>
  /** A spoke records how far the hub acknowledged its changes. */
  setPushed(seq: number): Promise<void>
  /** A spoke starts over (joined a hub, or left one): both cursors to 0. */
  resetCursors(): Promise<void>
  /**
   * Throws, writing nothing, when this store cannot keep a spoke's diary (a server database
   * serves as a hub only: the `ConflictError` saying so); returns for a store that can.
   */
  checkSpoke(): void

  /** A hub stores a pairing code (its hash) with the name the device will get. */
  createCode(code: {
    hash: Uint8Array
    name: string | null
    nowMs: number
    expiresMs: number
  }): Promise<void>
  /**
   * A hub pairs a device with a code, in one transaction: the code must be known, unused and not
   * expired at `nowMs`, and the name (the code's, else the device's) not another device's; then
   * the code is used, the device created (if new) and the client stored, earlier clients of the
   * same device revoked. Resolves to the client and the version of the device's name here (the
   * device takes the name as a synced change of that version), or why not (nothing changed then).
   */
  pair(request: {
    codeHash: Uint8Array
    device: { id: string; name: string }
    client: { id: string; tokenHash: string; tokenPreview: string }
    nowMs: number
  }): Promise<
    | { ok: true; client: SyncClientRow; version: number; changes: Change[] }
    | { ok: false; reason: PairingRefusal; name?: string }
  >
  /** Every paired device, revoked ones included, oldest first. */
  clients(): Promise<SyncClientRow[]>
  /** Revokes a client's token; false when there is no such client. */
  revoke(id: string): Promise<boolean>
  /** Records when a client was last heard from. */
  touch(id: string, nowMs: number): Promise<void>
  /**
   * Where a paired device's pushes continue: its acknowledged position, or, when the device
   * reports a new run (`epoch`) that began at `startSeq` (its database restored from an older
   * copy, say), no later than that.
   */
  pushedFor(client: string, epoch: number, startSeq: number): Promise<number>
}

/** A question about active time; see `src/domain/timeline.ts` for the definition. */
export interface ActiveTimeQuery {
  /** A finite range in whole seconds; callers clip it to the present. */
  range: TimeRange
  /** Calendar buckets of this unit, or `null` for one bucket spanning the range (label ''). */
  unit: BucketUnit | null
  calendar: Calendar
  groupBy?: Dimension | undefined
  filters: EventFilters
  /** Count time inside AFK periods too. */
  includeAfk: boolean
}

export interface ActiveTimeStore {
  /**
   * Active seconds per bucket and group, empty cells left out, in bucket order then group name
   * order. Equal, to the second, to `referenceActiveTime` over the same events.
   */
  query(q: ActiveTimeQuery): Promise<BucketCell[]>
  /**
   * The same answer as Skopio's bucket rows, JSON in UTF-8 (`bucketRowsJson`; the entity type as
   * `groupMeta` when `withMeta`): a large answer is written where it is computed and crosses to
   * the HTTP thread as bytes.
   */
  queryJson(q: ActiveTimeQuery, withMeta: boolean): Promise<Uint8Array>
  /** Slots whose rollups are waiting to be recomputed (0 when the rollups are current). */
  pending(): Promise<number>
  /** Resolves once the rollups are current (answers are exact either way; this is for speed). */
  settle(): Promise<void>
  /**
   * Stretches of activity in `range` (whole seconds): active time joined across gaps shorter than
   * `gapMs`, each with its active seconds. Sessions are cut at the range's ends.
   */
  sessions(range: TimeRange, gapMs: number): Promise<Session[]>
}

/** A hook rule and its state, as stored. */
export interface StoredHook {
  rule: HookRule
  state: HookState
}

/**
 * Hook rules, their state, the firing log and the do-not-disturb settings. Rules and state are
 * the daemon's own configuration: not in the change feed.
 */
export interface HookStore {
  /** Every rule with its state, in order. */
  list(): Promise<StoredHook[]>
  /** Replaces every rule and its state in one transaction (the log stays). */
  replace(hooks: readonly StoredHook[]): Promise<void>
  /**
   * Saves a rule's state and logs its firings in one transaction: a crossing is handled once
   * this commits, whatever happens to the actions. Resolves to the new entries' ids, in order;
   * to `null` (and changes nothing) when there is no such rule.
   */
  saveState(
    id: string,
    state: HookState,
    fired?: readonly NewHookLogEntry[],
  ): Promise<number[] | null>
  /**
   * Records how actions of a logged firing went: each update replaces the result at its index
   * (the order of the rule's actions). False when the entry is gone.
   */
  updateActions(
    logId: number,
    updates: readonly { index: number; result: HookActionResult }[],
  ): Promise<boolean>
  /** Log entries, newest first (`hookId`: of that rule only). */
  log(query: {
    limit: number
    offset: number
    hookId?: string | undefined
  }): Promise<HookLogEntry[]>
  logCount(hookId?: string): Promise<number>
  /**
   * Marks the actions still `running` in the log as interrupted (`interruptRunning`): the daemon
   * stopped while they ran. Resolves to the entries changed.
   */
  closeRunning(): Promise<number>
  /** Deletes all but the newest `keep` entries; resolves to the entries deleted. */
  pruneLog(keep: number): Promise<number>
  /** The do-not-disturb settings (the defaults when never saved). */
  dnd(): Promise<DndConfig>
  saveDnd(config: DndConfig): Promise<void>
}

/** A screenshot's index row: where its file is and what was on screen. */
export interface NewFrame {
  /** The device's name (its row is created when new, as for events). */
  /** `YYYY-MM-DD`, its folder under the screenshots dir. */
  date: string
  /** `YYYYMMDDHHMMSS-<device>.webp`, unique. */
  filename: string
  atMs: number
  device: string
  app: string
  title: string
  url: string | null
  bytes: number
  width: number
  height: number
  /** The perceptual hash (`differenceHash`). */
  hash: string
  /** The text OCR read, or null when there was none (OCR off, timed out, failed). */
  text: string | null
  /** How long OCR took, when it ran. */
  ocrMs: number | null
}

/** A stored frame: `device` is its device's name here. */
export type Frame = NewFrame & {
  /** Whether its image is on this daemon: false for a frame another device took (synced). */
  here: boolean
}

/** A frame whose text matched a search: `snippet` has each match between `«` and `»`. */
export interface FrameHit {
  frame: Frame
  snippet: string
  /**
   * BM25 rank over the query's rarer words: lower is a better match. Null when every word is in
   * so many frames that ranking would not tell them apart; then the newest come first.
   */
  rank: number | null
}

/** A deleted frame's file: `here` when it is on this daemon (to delete), else on its device. */
export interface DeletedFile {
  date: string
  filename: string
  here: boolean
}

/** The screenshots' settings as stored: the capture settings and a pause, if any. */
export interface ScreenshotSettings {
  config: ScreenshotConfig
  pause: ScreenshotPause | null
}

/**
 * The screenshots' index (one row a frame, its OCR text in a full-text index) and their settings.
 * The image files are the service's; the store says which to delete. Index rows sync between
 * devices (the images do not): a deletion leaves a tombstone, and a frame another daemon sent
 * is not `here`.
 */
export interface ScreenshotStore {
  /** The settings (the defaults, not paused, when never saved). */
  settings(): Promise<ScreenshotSettings>
  saveSettings(settings: ScreenshotSettings): Promise<void>
  /**
   * Adds a frame taken here; false (and nothing changes) when its device has one of that file
   * name, or had one that was deleted.
   */
  insert(frame: NewFrame): Promise<boolean>
  /** Frames within `windowMs` of `atMs`, nearest first, at most `limit`. */
  around(atMs: number, windowMs: number, limit: number): Promise<Frame[]>
  /**
   * Frames whose text (or title) has every word of `text` as a prefix, best match first (BM25),
   * within the range; empty when the text has no words. Words in a large share of the frames
   * do not count towards the rank (see `FrameHit.rank`).
   */
  searchText(text: string, range: OpenRange, limit: number): Promise<FrameHit[]>
  /** How many frames taken here, their bytes, the oldest one's time (null when none). */
  totals(): Promise<{ frames: number; bytes: number; oldestMs: number | null }>
  /**
   * Deletes the frames taken here older than `beforeMs`, then the oldest until the rest take at
   * most `maxBytes`; resolves to those frames, and to frames taken here that another daemon
   * deleted since the last call (their files are still to delete).
   */
  prune(beforeMs: number, maxBytes: number): Promise<DeletedFile[]>
  /**
   * Deletes the frames in the range (all of them with an empty range), every device's or, with
   * `devices`, those devices' (by name).
   */
  purge(range: OpenRange, devices?: readonly string[]): Promise<DeletedFile[]>
}

/**
 * A user of a team server. Each user's data is a diary of its own (a store beside the first
 * one); the first store's `users` table is the server's directory of them.
 */
export interface UserRow {
  /** Lower-case letters, digits and `_`, starting with a letter (`USER_NAME_RE`). */
  name: string
  /** A server admin: may add and remove users and make their tokens. */
  admin: boolean
  createdMs: number
  /**
   * The owner's diary is the directory's own store: the data a single-user daemon kept before it
   * had users (no rows moved).
   */
  owner: boolean
}

/** What removing a user did: removed, or why not (nothing changed then). */
export type UserRemoval = 'removed' | 'unknown' | 'last_admin' | 'owner'

/** The server's directory of users (read from the first store only). */
export interface UserStore {
  /** Every user, owner first, then by name. */
  list(): Promise<UserRow[]>
  /** Adds a user; false (nothing changed) when the name is taken. */
  add(user: UserRow): Promise<boolean>
  /**
   * Removes a user in one transaction, unless they are the last server admin (`last_admin`) or
   * the owner, whose diary is this store (`owner`).
   */
  remove(name: string): Promise<UserRemoval>
  /** Makes a user a server admin or not; refused for the last admin (`last_admin`). */
  setAdmin(name: string, admin: boolean): Promise<'ok' | 'unknown' | 'last_admin'>
  /**
   * A number that changes whenever the directory's users do (a user added, removed, made an admin
   * or not), in the same transaction: a daemon that saw this number has seen those users.
   */
  version(): Promise<number>
}

/** What inviting a user to a team did, or why not (nothing changed then). */
export type TeamInvitation = 'invited' | 'unknown_team' | 'unknown_user' | 'member'

/** What leaving a team did (see `departure` in `src/domain/teams.ts`). */
export type TeamLeaving = 'left' | 'deleted' | 'unknown' | 'last_admin'

/**
 * Teams, their members and what each member shares (the directory's, read from the first store
 * only; not in the change feed). A removed user leaves every team (`UserStore.remove`), by the
 * forced `departure` rule.
 */
export interface TeamStore {
  /** Makes a team; its creator is its joined admin. */
  create(team: Team): Promise<void>
  get(id: string): Promise<Team | undefined>
  /** The teams `user` is a member of or invited to, with their place, by team name then id. */
  ofUser(user: string): Promise<{ team: Team; member: TeamMember }[]>
  /** A team's members and invitees, by name; empty for an unknown team. */
  members(id: string): Promise<TeamMember[]>
  /** Invites `user` (a user of the directory) as a member; `member` when already in or invited. */
  invite(id: string, user: string, invitedBy: string, atMs: number): Promise<TeamInvitation>
  /** Accepts an invitation (joined from `atMs`); `not_invited` when there is none to accept. */
  accept(id: string, user: string, atMs: number): Promise<'joined' | 'not_invited'>
  /** `user` leaves (or declines, or is removed): with their shares, by the `departure` rule. */
  leave(id: string, user: string): Promise<TeamLeaving>
  /** Deletes a team with its members and shares; false when there is none. */
  delete(id: string): Promise<boolean>
  /** What `user` shares with the team, by project. */
  shares(id: string, user: string): Promise<TeamShare[]>
  /** Replaces what `user` shares with the team; false (nothing changed) unless they joined. */
  setShares(id: string, user: string, shares: readonly TeamShare[]): Promise<boolean>
}

export interface Store {
  /** Where the data lives, for messages (a file path or a URL without credentials). */
  readonly location: string
  readonly events: EventStore
  readonly afk: AfkStore
  readonly devices: DeviceStore
  readonly catalog: CatalogStore
  readonly input: InputStore
  readonly settings: SettingsStore
  readonly tokens: TokenStore
  readonly changes: ChangeFeed
  readonly activeTime: ActiveTimeStore
  readonly labels: LabelStore
  readonly status: StatusStore
  readonly search: SearchStore
  readonly activitywatch: ActivityWatchStore
  readonly heartbeats: HeartbeatStore
  readonly sync: SyncStore
  readonly hooks: HookStore
  readonly screenshots: ScreenshotStore
  readonly users: UserStore
  readonly teams: TeamStore
  /**
   * Opens the diary of user `name` (creating it when missing): a store of the same kind beside
   * this one, sharing nothing with it (SQLite: `users/<name>.db` beside this file; PostgreSQL:
   * the schema `<schema>_u_<name>` on the same server). The caller migrates and closes it.
   */
  openDiary(name: string): Promise<Store>
  /** Deletes the diary of user `name` and everything in it (the caller has closed it). */
  dropDiary(name: string): Promise<void>
  /** Schema version of the open database, and the newest this build knows. */
  schema(): Promise<{ version: number; latest: number }>
  /**
   * Writes a consistent copy of the database to `file` (which must not exist) while writes go
   * on: it holds every change committed before the call, and passes an integrity check. Resolves
   * to the copy's schema version and size. A store that cannot (a server database) throws a
   * `ConflictError` naming its own tool.
   */
  backup(file: string): Promise<{ version: number; bytes: number }>
  /**
   * Throws what `backup` would for a store that cannot copy itself (a server database: the
   * `ConflictError` naming its tool), writing nothing; returns for a store that can.
   */
  checkBackup(): void
  /** Applies pending migrations; resolves to the versions applied. */
  migrate(): Promise<number[]>
  /** Closes the store; pending writes have already committed. */
  close(): Promise<void>
}
