/**
 * The storage port: everything the daemon asks of its database, and nothing more. SQLite is the
 * embedded default (`sqlite/`); a PostgreSQL store for multi-device and team use implements the
 * same interface. Methods are async so a networked store fits without changing callers.
 */
import type {
  ActivityEvent,
  AfkPeriod,
  Dimension,
  EventFilters,
  NewActivityEvent,
} from '../domain/events.ts'
import type { TimeRange } from '../domain/calendar.ts'
import type { Scope } from '../auth/access.ts'
import type { InputBucket, InputCounts } from '../domain/input.ts'

export interface InsertResult {
  /** Rows that were new. */
  inserted: number
  /** Rows already present with the same content id (re-sends); nothing changed for them. */
  duplicates: number
}

export interface AfkInsertResult extends InsertResult {
  /** Known periods that this batch closed or extended. */
  updated: number
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

/** A range whose sides may be unbounded (absent or infinite). */
export interface OpenRange {
  startMs?: number | undefined
  endMs?: number | undefined
}

export interface EventQuery {
  /** Events overlapping this range. */
  range: OpenRange
  filters: EventFilters
  /** Only events that have this dimension (a non-null branch, say). */
  requireDimension?: Dimension | undefined
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

/** Counts to add to one bucket of one source. */
export interface InputDelta extends InputCounts {
  /** Bucket start, epoch ms, a multiple of 5 minutes. */
  bucketMs: number
  source: string
  /** The sender's id for this delta: a delta whose id was already added is skipped. */
  batchId?: string | undefined
}

export interface Store {
  /** Inserts a batch in one transaction: all of it lands, or none. Resolves after the commit. */
  insertEvents(events: readonly NewActivityEvent[]): Promise<InsertResult>
  /** Inserts or closes AFK periods in one transaction; resolves after the commit. */
  insertAfk(periods: readonly Omit<AfkPeriod, 'id'>[]): Promise<AfkInsertResult>
  /** Events overlapping the range that pass the filters, ordered by start then id. */
  events(query: EventQuery): Promise<ActivityEvent[]>
  /** AFK periods overlapping the range (an open period reaches up to `nowMs`), by start. */
  afk(range: OpenRange, nowMs: number): Promise<AfkPeriod[]>
  /** Start of the earliest and end of the latest event, or undefined when there are none. */
  activitySpan(): Promise<TimeRange | undefined>
  apps(): Promise<NamedRow[]>
  categories(): Promise<NamedRow[]>
  /** One page of projects, newest activity first, starting with the `from` row when given. */
  projects(page: { from?: ProjectCursor | undefined; limit: number }): Promise<ProjectPage>
  /** Projects whose name has a word starting with `query`, best match first. */
  searchProjects(query: string, limit: number): Promise<ProjectRow[]>
  project(id: string): Promise<ProjectRow | undefined>
  /**
   * Adds input counts to their buckets in one transaction; resolves after the commit. Deltas whose
   * `batchId` was already added count as duplicates and change nothing.
   */
  addInput(deltas: readonly InputDelta[], receivedMs: number): Promise<InsertResult>
  /** Input per bucket (all sources summed) for buckets starting in `[startMs, endMs)`, ascending. */
  inputBuckets(range: { startMs: number; endMs?: number | undefined }): Promise<InputBucket[]>
  /** Deletes input rows of buckets starting before `cutoffMs`; resolves to the rows deleted. */
  deleteInputBefore(cutoffMs: number): Promise<number>
  /** Forgets batch ids received before `cutoffMs`; resolves to the ids removed. */
  pruneInputBatches(cutoffMs: number): Promise<number>
  /** Stored settings, key to JSON value. */
  settings(): Promise<Record<string, unknown>>
  /** Replaces the given settings keys in one transaction. */
  saveSettings(values: Record<string, unknown>): Promise<void>
  /**
   * Inserts a token unless `maxActive` tokens are already active (not revoked, not expired at
   * `nowSec`); the count and the insert are one transaction. Resolves to false when at the cap.
   */
  insertToken(token: TokenRow, maxActive: number, nowSec: number): Promise<boolean>
  /** Every stored token, revoked and expired ones included, oldest first. */
  tokens(): Promise<TokenRow[]>
  /** Marks a token revoked; false when there is no such token. */
  revokeToken(id: string): Promise<boolean>
  /** Removes a token; false when there is no such token. */
  deleteToken(id: string): Promise<boolean>
  /** Records when a token was last used. */
  touchToken(id: string, lastUsedAt: number): Promise<void>
  /** Closes the store; pending writes have already committed. */
  close(): Promise<void>
}
