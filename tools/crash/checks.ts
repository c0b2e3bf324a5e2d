/**
 * What every trial checks once the daemon is back, besides each kind's items (`checkLedger`):
 * the change feed (a reader that followed it across the crash missed nothing and nothing is in
 * it twice), the acknowledged settings, the rollups against the reference path, and SQLite's
 * own integrity check.
 */
import { isDeepStrictEqual } from 'node:util'
import { DatabaseSync } from 'node:sqlite'
import { setTimeout as sleep } from 'node:timers/promises'
import { type BucketUnit, makeCalendar } from '../../src/domain/calendar.ts'
import type { Dimension } from '../../src/domain/events.ts'
import { openStore } from '../../src/store/open.ts'
import type { ActiveTimeQuery, EventListQuery, EventPage, Store } from '../../src/store/ports.ts'
import { LATEST_VERSION } from '../../src/store/sqlite/migrations.ts'
import { referenceFromStore } from '../../test/store/reference.ts'
import type { Live } from './daemon.ts'
import { Refused, call } from './http.ts'
import {
  type SettingsPatch,
  type StoredView,
  type Times,
  type WireChange,
  putSettings,
  readFeed,
} from './items.ts'

/** A row of the feed, whatever its kind: what a follower keeps its latest state by. */
function rowKey(c: WireChange): string {
  const id = c.kind === 'setting' ? c.data.key : c.data.id
  return `${c.kind}:${String(id)}`
}

/**
 * A reader of the change feed, as sync and hooks read it: from where it stopped, across the
 * crash. It keeps each row's latest position.
 */
export class FeedFollower {
  #cursor = 0
  readonly seen = new Map<string, number>()

  async poll(live: Live): Promise<void> {
    const changes = await readFeed(live, this.#cursor)
    for (const c of changes) {
      this.seen.set(rowKey(c), c.seq)
      this.#cursor = Math.max(this.#cursor, c.seq)
    }
  }

  /** Follows until `stop()` or until the daemon stops answering. */
  async follow(live: Live, stop: () => boolean): Promise<void> {
    while (!stop()) {
      try {
        await this.poll(live)
      } catch {
        return
      }
      await sleep(25)
    }
  }
}

/**
 * The feed read from the start has each position and each row once, in order; the follower,
 * caught up after the restart, holds every row at its latest position (a change it never saw
 * would be a gap: a position reused after the crash, or a row gone without a tombstone).
 */
export async function checkFeed(view: StoredView, follower: FeedFollower): Promise<string[]> {
  const problems: string[] = []
  await follower.poll(view.live)
  const feed = await view.feed()
  const rows = new Map<string, number>()
  let last = 0
  for (const c of feed) {
    if (c.seq <= last) problems.push(`position ${c.seq} after ${last}`)
    last = c.seq
    const key = rowKey(c)
    if (rows.has(key)) problems.push(`${key} twice in the feed`)
    rows.set(key, c.seq)
  }
  for (const [key, seq] of rows) {
    const seen = follower.seen.get(key)
    if (seen !== seq)
      problems.push(`the follower has ${key} at ${seen ?? 'nothing'}, the feed at ${seq}`)
  }
  for (const key of follower.seen.keys()) {
    if (!rows.has(key)) problems.push(`${key} left the feed without a tombstone`)
  }
  return problems.slice(0, 20)
}

/** Settings changes: each acknowledged one holds, an unanswered one may or may not. */
export class SettingsLedger {
  readonly acked: SettingsPatch[] = []
  inflight: SettingsPatch | undefined
  readonly refusals: string[] = []
  /** The settings before the first change: what a key holds when no change of it landed. */
  #initial: Record<string, unknown> | undefined

  /** False when the daemon did not acknowledge the change. */
  async put(live: Live, patch: SettingsPatch): Promise<boolean> {
    try {
      this.#initial ??= await call<Record<string, unknown>>(live, { path: '/v1/settings' })
    } catch {
      return false // the daemon is gone: nothing was sent
    }
    this.inflight = patch
    try {
      await putSettings(live, patch)
    } catch (err) {
      if (err instanceof Refused) this.refusals.push(err.message)
      return false
    }
    this.acked.push(patch)
    this.inflight = undefined
    return true
  }

  /**
   * Each key holds its last acknowledged value (or, never changed with an answer, its value before
   * the first change), or the value in flight at the crash.
   */
  async check(live: Live): Promise<string[]> {
    if (this.acked.length === 0 && this.inflight === undefined) return []
    const stored = await call<Record<string, unknown>>(live, { path: '/v1/settings' })
    const problems: string[] = [...this.refusals]
    const keys = new Set([...this.acked, this.inflight ?? {}].flatMap((p) => Object.keys(p)))
    for (const key of keys) {
      const last = this.acked.findLast((p) => key in p)
      const before = last ?? this.#initial
      const allowed = [
        ...(before && key in before ? [before[key]] : []),
        ...(this.inflight && key in this.inflight ? [this.inflight[key]] : []),
      ]
      if (allowed.length === 0) continue
      if (!allowed.some((v) => isDeepStrictEqual(v, stored[key]))) {
        problems.push(
          `setting ${key} is ${JSON.stringify(stored[key])}, acknowledged ${JSON.stringify(last?.[key])}`,
        )
      }
    }
    return problems
  }
}

/** The questions put to the rollups and to the reference path: buckets, groups, AFK. */
const QUERIES: { unit: BucketUnit | null; groupBy?: Dimension; includeAfk: boolean }[] = [
  { unit: 'day', groupBy: 'project', includeAfk: false },
  { unit: 'hour', includeAfk: false },
  { unit: null, groupBy: 'source', includeAfk: true },
]

/**
 * With the daemon stopped, on its database file: the rollups answer every question as the
 * reference path (every event, by the definition) does, as the crash left them and once caught
 * up; the schema is the latest; `PRAGMA integrity_check` is ok.
 */
export async function checkDatabase(
  file: string,
  times: Times,
): Promise<{
  rollups: string[]
  integrity: string[]
}> {
  const rollups: string[] = []
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  try {
    const { version } = await store.schema()
    if (version !== LATEST_VERSION) rollups.push(`schema version ${version}, not ${LATEST_VERSION}`)
    const range = {
      startMs: Math.floor((times.history - 86_400_000) / 1000) * 1000,
      endMs: Math.floor(times.nowMs / 1000) * 1000,
    }
    const calendar = makeCalendar('UTC')
    // The reference answers come from the events, AFK periods and settings, which catching up
    // does not change: each is computed once (from one reading of the events) and compared with
    // the rollups twice.
    const reader = readingOnce(store)
    const wanted = []
    for (const q of QUERIES) {
      const query: ActiveTimeQuery = { ...q, range, calendar, filters: {} }
      wanted.push({ q, query, want: await referenceFromStore(reader, query) })
    }
    for (const phase of ['as left', 'caught up']) {
      if (phase === 'caught up') await store.activeTime.settle()
      for (const { q, query, want } of wanted) {
        const got = await store.activeTime.query(query)
        if (!isDeepStrictEqual(got, want)) {
          const diff =
            got.length !== want.length
              ? `${got.length} cells, reference ${want.length}`
              : firstDiff(got, want)
          rollups.push(
            `rollups ${phase}, ${q.unit ?? 'range'} by ${q.groupBy ?? 'total'}${q.includeAfk ? ' with AFK' : ''}: ${diff}`,
          )
        }
      }
    }
  } finally {
    await store.close()
  }
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const rows = db.prepare('PRAGMA integrity_check').all()
    const integrity = rows.map((r) => String(r.integrity_check)).filter((r) => r !== 'ok')
    return { rollups, integrity }
  } finally {
    db.close()
  }
}

/**
 * The store, reading each page of events once: the reference path lists every event for each
 * question, the same pages each time (the questions share one range).
 */
function readingOnce(store: Store): Store {
  const pages = new Map<string, Promise<EventPage>>()
  const events = {
    list(query: EventListQuery): Promise<EventPage> {
      const key = JSON.stringify(query)
      let page = pages.get(key)
      if (!page) pages.set(key, (page = store.events.list(query)))
      return page
    },
  }
  return Object.create(store, { events: { value: events } }) as Store
}

function firstDiff(got: readonly unknown[], want: readonly unknown[]): string {
  const i = got.findIndex((g, n) => !isDeepStrictEqual(g, want[n]))
  return `cell ${i}: ${JSON.stringify(got[i])}, reference ${JSON.stringify(want[i])}`
}
