/**
 * What the harness sends and looks for again: one `ItemKind` per wire (Skopio events and AFK
 * periods, input batches and frames, WakaTime heartbeats, ActivityWatch heartbeats and imports),
 * each with a key per item, how it is sent, and how many times each key is stored. A `Ledger`
 * keeps, per kind, what the daemon acknowledged and what was in flight when it died.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Live } from './daemon.ts'
import { type Call, Refused, call } from './http.ts'
import type { Random } from './random.ts'

const SEC = 1000
const MIN = 60 * SEC
const DAY = 24 * 60 * MIN
const BUCKET = 5 * MIN

/** An entry of the change feed as `GET /v1/changes` serves it. */
export interface WireChange {
  seq: number
  kind: string
  op: 'upsert' | 'delete'
  data: Record<string, unknown>
}

/** What the restarted daemon holds, read once per trial and shared by the kinds. */
export class StoredView {
  readonly live: Live
  readonly #cache = new Map<string, Promise<unknown>>()

  constructor(live: Live) {
    this.live = live
  }

  #once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = this.#cache.get(key)
    if (!p) this.#cache.set(key, (p = read()))
    return p as Promise<T>
  }

  /** The whole change feed, from the start. */
  feed(): Promise<WireChange[]> {
    return this.#once('feed', () => readFeed(this.live, 0))
  }

  /** Stored events by entity, and by source besides. */
  async events(source?: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>()
    for (const c of await this.feed()) {
      if (c.kind !== 'event' || c.op !== 'upsert') continue
      if (source !== undefined && c.data.source !== source) continue
      const entity = String(c.data.entity)
      counts.set(entity, (counts.get(entity) ?? 0) + 1)
    }
    return counts
  }

  /** Input counts per 5-minute bucket (all sources), the last 30 days. */
  inputRows(): Promise<Map<number, number>> {
    return this.#once('input', async () => {
      const { rows } = await call<{ rows: { t: number; kp: number }[] }>(this.live, {
        path: '/activity/summary?days=30',
      })
      return new Map(rows.map((r) => [r.t, r.kp]))
    })
  }

  /** The raw WakaTime heartbeats of a UTC day, by time. */
  heartbeats(date: string): Promise<Map<string, number>> {
    return this.#once(`wk-${date}`, async () => {
      const { data } = await call<{ data: { time: number }[] }>(this.live, {
        path: `/api/v1/users/current/heartbeats?date=${date}&timezone=UTC`,
      })
      const counts = new Map<string, number>()
      for (const h of data) {
        const key = String(Math.round(h.time * 1000))
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      return counts
    })
  }

  /** ActivityWatch events of a bucket, by title (an absent bucket holds none). */
  awTitles(bucket: string): Promise<Map<string, number>> {
    return this.#once(`aw-${bucket}`, async () => {
      const counts = new Map<string, number>()
      let events: { data: { title?: string } }[]
      try {
        events = await call(this.live, {
          aw: true,
          path: `/api/0/buckets/${bucket}/events?limit=-1`,
        })
      } catch (err) {
        if (err instanceof Refused && err.status === 404) return counts
        throw err
      }
      for (const e of events) {
        const title = String(e.data.title)
        counts.set(title, (counts.get(title) ?? 0) + 1)
      }
      return counts
    })
  }
}

/** Every change after `after`, page by page. */
export async function readFeed(live: Live, after: number): Promise<WireChange[]> {
  const out: WireChange[] = []
  for (let cursor = after; ;) {
    const page = await call<{ changes: WireChange[]; next: number }>(live, {
      path: `/v1/changes?after=${cursor}&limit=10000`,
    })
    out.push(...page.changes)
    if (page.changes.length === 0) return out
    cursor = page.next
  }
}

/** One kind of item. */
export interface ItemKind<T> {
  readonly name: string
  /** Whether sending an item again after an unknown outcome is safe (the wire deduplicates). */
  readonly idempotent: boolean
  key(item: T): string
  /** Sends the items in one request; throws unless the daemon acknowledged them. */
  send(live: Live, items: readonly T[]): Promise<void>
  /** How many times each of `keys` is stored (every view of it: the timeline's included). */
  stored(view: StoredView, keys: readonly string[]): Promise<Map<string, number>>
}

/** What was acknowledged and what was in flight, per kind. */
export class Ledger<T> {
  readonly kind: ItemKind<T>
  readonly acked = new Map<string, T>()
  readonly inflight = new Map<string, T>()
  /** Requests the daemon answered with an error: always a finding. */
  readonly refusals: string[] = []

  constructor(kind: ItemKind<T>) {
    this.kind = kind
  }

  /** Sends one batch; false when the daemon did not acknowledge it (it died, or refused). */
  async send(live: Live, items: readonly T[]): Promise<boolean> {
    for (const item of items) this.inflight.set(this.kind.key(item), item)
    try {
      await this.kind.send(live, items)
    } catch (err) {
      if (err instanceof Refused) this.refusals.push(err.message)
      return false
    }
    for (const item of items) {
      const key = this.kind.key(item)
      this.inflight.delete(key)
      this.acked.set(key, item)
    }
    return true
  }

  /**
   * Sends again what was in flight when the daemon died, as a client that got no answer does
   * (idempotent kinds only; the others may hold it once or not at all).
   */
  async resend(live: Live, batch: number): Promise<void> {
    if (!this.kind.idempotent) return
    const waiting = [...this.inflight.values()]
    for (let i = 0; i < waiting.length; i += batch) {
      if (!(await this.send(live, waiting.slice(i, i + batch)))) {
        throw new Error(`${this.kind.name}: the restarted daemon did not take a re-send`)
      }
    }
  }
}

/** What a kind's check found. */
export interface KindResult {
  kind: string
  acknowledged: number
  lost: string[]
  doubled: string[]
  refusals: string[]
}

/** The count of an item stored in part: some of it there, some not (always lost). */
export const TORN = -1

/** Every acknowledged item once; nothing (acknowledged or in flight) twice or in part. */
export async function checkLedger<T>(ledger: Ledger<T>, view: StoredView): Promise<KindResult> {
  const keys = [...ledger.acked.keys(), ...ledger.inflight.keys()]
  const counts = await ledger.kind.stored(view, keys)
  const lost = keys
    .filter((k) => counts.get(k) === TORN || (ledger.acked.has(k) && (counts.get(k) ?? 0) < 1))
    .map((k) => (counts.get(k) === TORN ? `${k} (in part)` : k))
  const doubled = keys.filter((k) => (counts.get(k) ?? 0) > 1)
  return {
    kind: ledger.kind.name,
    acknowledged: ledger.acked.size,
    lost,
    doubled,
    refusals: ledger.refusals,
  }
}

/** Items of one kind made one batch at a time, until there are no more. */
export type Source<T> = () => T[] | undefined

/**
 * Sends batches from `next` until `stop()` or the daemon stops answering. A source that runs dry
 * waits for the stop, so a workload lasts until the kill.
 */
export async function pump<T>(
  ledger: Ledger<T>,
  live: Live,
  next: Source<T>,
  stop: () => boolean,
): Promise<void> {
  while (!stop()) {
    const items = next()
    if (items === undefined) return idle(stop)
    if (!(await ledger.send(live, items))) return
  }
}

/** Resolves once `stop()` holds. */
export async function idle(stop: () => boolean): Promise<void> {
  while (!stop()) await sleep(20)
}

/** Counts from one map, for the given keys. */
function pickCounts(all: Map<string, number>, keys: readonly string[]): Map<string, number> {
  return new Map(keys.map((k) => [k, all.get(k) ?? 0]))
}

/**
 * An item kept in two places (ActivityWatch's bucket and Daybook's timeline) counts as there
 * only when it is in both, and as doubled when it is twice in either.
 */
function inBoth(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>()
  for (const [k, n] of a) {
    const m = b.get(k) ?? 0
    out.set(k, Math.min(n, m) === 0 ? 0 : Math.max(n, m))
  }
  return out
}

// ---- The kinds -------------------------------------------------------------------------------

/** The times a trial's items are placed at, from the trial's start. */
export class Times {
  readonly nowMs: number
  /** Events and AFK periods: twelve days back, onwards. */
  readonly history: number
  /** Input buckets: 25 days back, aligned. */
  readonly inputBase: number
  /** WakaTime heartbeats: yesterday (UTC). */
  readonly heartbeatDay: number

  constructor(nowMs: number) {
    this.nowMs = nowMs
    this.history = Math.floor((nowMs - 12 * DAY) / MIN) * MIN
    this.inputBase = Math.floor((nowMs - 25 * DAY) / BUCKET) * BUCKET
    this.heartbeatDay = Math.floor(nowMs / DAY) * DAY - DAY
  }

  get heartbeatDate(): string {
    return new Date(this.heartbeatDay).toISOString().slice(0, 10)
  }
}

const iso = (ms: number) => new Date(ms).toISOString()

export type SkopioEvent = Record<string, unknown> & { entity_name: string }

export const SKOPIO_SOURCES = ['skopio-vscode', 'daybook-window', 'daybook-browser'] as const
const APPS = ['Code', 'firefox', 'kitty', 'slack', 'zoom']
const PROJECTS = ['daybook', 'skopio', 'frames', 'notes']
const CATEGORIES = ['Coding', 'Other', 'Browsing', 'Meeting']

export const events: ItemKind<SkopioEvent> = {
  name: 'events',
  idempotent: true,
  key: (e) => e.entity_name,
  send: (live, items) => call(live, { path: '/v1/events', body: items }),
  stored: async (view, keys) => pickCounts(await view.events(), keys),
}

/** Skopio events from `times.history` on, overlapping across three sources. */
export function eventSource(
  times: Times,
  rng: Random,
  batch: number,
  max: number,
  from = 0,
): Source<SkopioEvent> {
  let n = from
  return () => {
    if (n >= max) return undefined
    const out: SkopioEvent[] = []
    for (let i = 0; i < batch && n < max; i++, n++) {
      const start = times.history + n * 20 * SEC + rng.int(0, 15) * SEC
      const end = start + rng.int(5, 90) * SEC
      out.push({
        timestamp: iso(start),
        end_timestamp: iso(end),
        duration: Math.round((end - start) / SEC),
        category: rng.pick(CATEGORIES),
        app_name: rng.pick(APPS),
        entity_name: `ev-${n}`,
        entity_type: 'File',
        project_name: rng.pick(PROJECTS),
        project_path: null,
        branch_name: 'main',
        language_name: 'TypeScript',
        source_name: rng.pick(SKOPIO_SOURCES),
      })
    }
    return out
  }
}

export interface AfkInput {
  afk_start: string
  afk_end: string
  source: string
}

export const afk: ItemKind<AfkInput> = {
  name: 'afk',
  idempotent: true,
  key: (p) => String(Date.parse(p.afk_start)),
  send: (live, items) => call(live, { path: '/v1/afk', body: items }),
  stored: async (view, keys) => {
    const counts = new Map<string, number>()
    for (const c of await view.feed()) {
      if (c.kind !== 'afk' || c.op !== 'upsert') continue
      const key = String(Date.parse(String(c.data.timestamp)))
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    return pickCounts(counts, keys)
  },
}

export function afkSource(
  times: Times,
  rng: Random,
  batch: number,
  max: number,
  from = 0,
): Source<AfkInput> {
  let n = from
  return () => {
    if (n >= max) return undefined
    const out: AfkInput[] = []
    for (let i = 0; i < batch && n < max; i++, n++) {
      const start = times.history + n * 7 * MIN + rng.int(0, 60) * SEC
      out.push({
        afk_start: iso(start),
        afk_end: iso(start + rng.int(1, 4) * MIN),
        source: 'crash-afk',
      })
    }
    return out
  }
}

/** Input counts: each item its own 5-minute bucket (shared with frames), 7 key presses. */
const INPUT_KP = 7

/** Hands out input buckets to the input and frames kinds, so that each is one item's. */
export class InputBuckets {
  readonly #times: Times
  #next = 0

  constructor(times: Times) {
    this.#times = times
  }

  /** The next free bucket's start, or undefined when the 25 days are used up. */
  take(): number | undefined {
    if (this.#next >= 25 * 288 - 12) return undefined
    return this.#times.inputBase + this.#next++ * BUCKET
  }
}

async function inputCounts(
  view: StoredView,
  keys: readonly string[],
): Promise<Map<string, number>> {
  const rows = await view.inputRows()
  // A bucket holding the item twice has twice its key presses.
  return new Map(keys.map((k) => [k, (rows.get(Number(k)) ?? 0) / INPUT_KP]))
}

export interface InputBucket {
  id: string
  timestamp_ms: number
  kp: number
  lc: number
}

export const input: ItemKind<InputBucket> = {
  name: 'input',
  idempotent: true,
  key: (b) => String(b.timestamp_ms),
  send: (live, items) =>
    call(live, { path: '/v1/input', body: { source: 'crash-input', buckets: items } }),
  stored: inputCounts,
}

export function inputSource(buckets: InputBuckets, batch: number): Source<InputBucket> {
  return () => {
    const out: InputBucket[] = []
    for (let i = 0; i < batch; i++) {
      const t = buckets.take()
      if (t === undefined) break
      out.push({ id: `in-${t}`, timestamp_ms: t, kp: INPUT_KP, lc: 1 })
    }
    return out.length === 0 ? undefined : out
  }
}

export interface Frame {
  timestamp_ms: number
  summary: { total_kp: number }
  source: string
  batch_id: string
}

export const frames: ItemKind<Frame> = {
  name: 'frames',
  idempotent: true,
  key: (f) => String(f.timestamp_ms),
  // The frames wire: one frame per request, the key sent raw.
  send: async (live, items) => {
    for (const f of items) await call(live, { path: '/frames', body: f, authorization: live.token })
  },
  stored: inputCounts,
}

export function frameSource(buckets: InputBuckets): Source<Frame> {
  return () => {
    const t = buckets.take()
    if (t === undefined) return undefined
    return [
      {
        timestamp_ms: t,
        summary: { total_kp: INPUT_KP },
        source: 'crash-frames',
        batch_id: `fr-${t}`,
      },
    ]
  }
}

export interface Heartbeat {
  entity: string
  type: string
  category: string
  time: number
  project: string
  language: string
  is_write: boolean
}

export function wakatime(times: Times): ItemKind<Heartbeat> {
  return {
    name: 'wakatime',
    idempotent: true,
    key: (h) => String(Math.round(h.time * 1000)),
    send: (live, items) =>
      call(live, { path: '/api/v1/users/current/heartbeats.bulk', body: items }),
    stored: async (view, keys) => pickCounts(await view.heartbeats(times.heartbeatDate), keys),
  }
}

export function heartbeatSource(times: Times, rng: Random, batch: number): Source<Heartbeat> {
  let n = 0
  return () => {
    // Every 4 s of one day.
    if (n >= 20_000) return undefined
    const out: Heartbeat[] = []
    for (let i = 0; i < batch && n < 20_000; i++, n++) {
      out.push({
        entity: `/crash/wk-${n % 50}.ts`,
        type: 'file',
        category: 'coding',
        time: (times.heartbeatDay + 60 * SEC + n * 4 * SEC) / 1000,
        project: rng.pick(PROJECTS),
        language: 'TypeScript',
        is_write: n % 5 === 0,
      })
    }
    return out
  }
}

/** The ActivityWatch window watcher's bucket the heartbeats go to. */
export const AW_BUCKET = 'aw-watcher-window_crash-host'
export const AW_BUCKET_BODY = {
  client: 'aw-watcher-window',
  type: 'currentwindow',
  hostname: 'crash-host',
}

export interface AwHeartbeat {
  timestamp: string
  duration: number
  data: { app: string; title: string }
}

/** Counts of an ActivityWatch item in both its places: AW's own bucket and Daybook's timeline. */
async function awAndTimeline(
  view: StoredView,
  bucket: string,
  keys: readonly string[],
): Promise<Map<string, number>> {
  const aw = pickCounts(await view.awTitles(bucket), keys)
  const timeline = pickCounts(await view.events('aw-watcher-window'), keys)
  return inBoth(aw, timeline)
}

export const awHeartbeats: ItemKind<AwHeartbeat> = {
  name: 'aw-heartbeats',
  idempotent: true,
  key: (h) => h.data.title,
  send: async (live, items) => {
    for (const h of items) {
      await call(live, {
        aw: true,
        path: `/api/0/buckets/${AW_BUCKET}/heartbeat?pulsetime=0`,
        body: h,
      })
    }
  },
  stored: (view, keys) => awAndTimeline(view, AW_BUCKET, keys),
}

/** Creates the heartbeats' bucket (again: an existing one is a 304). */
export async function createAwBucket(live: Live): Promise<void> {
  await call(live, { aw: true, path: `/api/0/buckets/${AW_BUCKET}`, body: AW_BUCKET_BODY }).catch(
    (err: unknown) => {
      if (!(err instanceof Refused && err.status === 304)) throw err
    },
  )
}

export function awHeartbeatSource(times: Times): Source<AwHeartbeat> {
  let n = 0
  return () => {
    const start = times.history + 11 * DAY + n * 3 * SEC
    return [{ timestamp: iso(start), duration: 2, data: { app: 'firefox', title: `aw-${n++}` } }]
  }
}

/** An ActivityWatch import: one bucket of `size` window events, all of it or none. */
export interface AwImport {
  id: string
  events: { timestamp: string; duration: number; data: { app: string; title: string } }[]
}

export const awImports: ItemKind<AwImport> = {
  name: 'aw-imports',
  // Importing a bucket again skips the events it already holds.
  idempotent: true,
  key: (b) => b.id,
  send: (live, items) =>
    call(live, {
      aw: true,
      path: '/api/0/import',
      body: {
        buckets: Object.fromEntries(
          items.map((b) => [b.id, { id: b.id, ...AW_BUCKET_BODY, events: b.events }]),
        ),
      },
    }),
  stored: async (view, keys) => {
    const out = new Map<string, number>()
    for (const id of keys) {
      const size = Number(id.split('-').at(-1))
      const titles = Array.from({ length: size }, (_, i) => `${id}-${i}`)
      const counts = [...(await awAndTimeline(view, id, titles)).values()]
      const first = counts[0] ?? 0
      // All of it (once, or twice) or none of it; anything else is torn.
      out.set(id, counts.every((n) => n === first) ? first : TORN)
    }
    return out
  },
}

export function awImportSource(times: Times, size: number): Source<AwImport> {
  let n = 0
  return () => {
    const id = `crash-import-${n}-${size}`
    const base = times.history + 10 * DAY + n * size * 4 * SEC
    n++
    return [
      {
        id,
        events: Array.from({ length: size }, (_, i) => ({
          timestamp: iso(base + i * 4 * SEC),
          duration: 3,
          data: { app: 'firefox', title: `${id}-${i}` },
        })),
      },
    ]
  }
}

/** A Daybook import (`POST /v1/import?format=csv&atomic=true`): `size` window rows, all or none. */
export interface CsvImport {
  id: string
  size: number
  csv: string
}

export const csvImports: ItemKind<CsvImport> = {
  name: 'csv-imports',
  // Every item has a content id: importing the file again adds only what is missing.
  idempotent: true,
  key: (f) => f.id,
  send: (live, items) => sendEach(items, (f) => importCsv(live, f)),
  stored: async (view, keys) => {
    const stored = await view.events('csv-import')
    const out = new Map<string, number>()
    for (const id of keys) {
      const size = Number(id.split('-').at(-1))
      const counts = Array.from({ length: size }, (_, i) => stored.get(`${id}-${i}`) ?? 0)
      const first = counts[0] ?? 0
      // Atomic: all of it (once, or twice) or none of it; anything else is torn.
      out.set(id, counts.every((n) => n === first) ? first : TORN)
    }
    return out
  },
}

async function sendEach<T>(items: readonly T[], send: (item: T) => Promise<unknown>) {
  for (const item of items) await send(item)
}

async function importCsv(live: Live, f: CsvImport): Promise<void> {
  const job = await call<{ state: string; summary: { imported: number; duplicates: number } }>(
    live,
    { path: '/v1/import?format=csv&atomic=true', text: f.csv, contentType: 'text/csv' },
  )
  const { imported, duplicates } = job.summary
  // A re-send after a kill finds what the killed import stored as duplicates.
  if (job.state !== 'done' || imported + duplicates !== f.size) {
    throw new Error(`${f.id}: import answered ${JSON.stringify(job).slice(0, 300)}`)
  }
}

/** CSV files of `size` window rows each, one after another in time. */
export function csvImportSource(times: Times, size: number): Source<CsvImport> {
  let n = 0
  return () => {
    const id = `csv-${n}-${size}`
    const base = times.history + 9 * DAY + n * size * 10 * SEC
    n++
    const rows = Array.from(
      { length: size },
      (_, i) =>
        `${iso(base + i * 10 * SEC)},${iso(base + i * 10 * SEC + 8 * SEC)},kitty,${id}-${i}`,
    )
    return [{ id, size, csv: `start,end,app,title\n${rows.join('\n')}\n` }]
  }
}

/** A request of the settings: what the harness sends to change them. */
export type SettingsPatch = Record<string, unknown>

/** Sends a settings change; throws unless acknowledged. */
export function putSettings(live: Live, patch: SettingsPatch): Promise<unknown> {
  const c: Call = { method: 'PUT', path: '/v1/settings', body: patch }
  return call(live, c)
}
