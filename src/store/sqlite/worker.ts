/**
 * A store worker thread: one SQLite connection, answering the main thread's calls one at a time.
 *
 * The writer owns the only write connection (so there is exactly one write path and no write ever
 * waits on another), runs migrations, and keeps the rollups current in the background between
 * calls. Readers read WAL snapshots; a query that takes seconds blocks neither the HTTP event loop
 * nor ingestion.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { DaybookError } from '../../domain/errors.ts'
import { ActivityWatchTables } from './activitywatch.ts'
import { Connection } from './connection.ts'
import { type PackedEvents, unpackEvents } from './event-batch.ts'
import { LATEST_VERSION, migrate, schemaVersion } from './migrations.ts'
import { Reader } from './reader.ts'
import { SETTLE_MS, nextSettled, pendingSlots, refreshDirty } from './rollups.ts'
import { Writer } from './writer.ts'

export interface WorkerOptions {
  file: string
  role: 'writer' | 'reader'
  /** Dirty slots recomputed per background transaction. */
  rollupBatch?: number
}

/** A call from the main thread. */
export interface Call {
  id: number
  method: string
  args: unknown[]
}

/** The answer: a value, or an error with what is needed to rebuild it as the same class. */
export type Reply =
  | { id: number; ok: true; value: unknown }
  | {
      id: number
      ok: false
      error: { name: string; message: string; code?: string; field?: string; stack?: string }
    }

const options = workerData as WorkerOptions
const port = parentPort
if (!port) throw new Error('the store worker must run in a worker thread')

/** The first message: ready, or why the database could not be opened. */
export type Startup = { ready: true } | { ready: false; error: Extract<Reply, { ok: false }> }

let opened: Connection | undefined
try {
  opened = Connection.open(options.file, options.role)
} catch (err) {
  port.postMessage({ ready: false, error: failure(0, err) } satisfies Startup)
  port.close()
}
const c = opened as Connection
const reader = new Reader(c)
const writer = options.role === 'writer' ? new Writer(c) : undefined
const aw = new ActivityWatchTables(c)
const rollupBatch = options.rollupBatch ?? 64
let closed = false
let current = opened !== undefined && schemaVersion(c.db) === LATEST_VERSION
let timer: NodeJS.Timeout | undefined

/**
 * Keeps the rollups current: once the earliest dirty slot has settled, recomputes settled slots a
 * batch at a time, yielding to calls between batches.
 */
function scheduleRollups(): void {
  if (!writer || !current || closed || timer) return
  const at = nextSettled(c)
  if (at === undefined) return
  timer = setTimeout(
    () => {
      timer = undefined
      if (closed) return
      try {
        const left = refreshDirty(c, rollupBatch, Date.now() - SETTLE_MS)
        if (left > 0) setImmediate(scheduleRollups)
        else scheduleRollups()
      } catch (err) {
        // A failed refresh leaves the slots dirty: answers stay exact, and the next write retries.
        console.error('daybook store: rollup refresh failed:', err)
      }
    },
    Math.max(0, at - Date.now()),
  )
}
if (writer) writer.onDirty = scheduleRollups

function needWriter(): Writer {
  if (!writer) throw new Error('this store worker does not write')
  return writer
}

const handlers: Record<string, (...args: never[]) => unknown> = {
  schema: () => ({ version: schemaVersion(c.db), latest: LATEST_VERSION }),
  migrate: () => {
    needWriter()
    const applied = migrate(c.db, c.file)
    c.resetStatements()
    writer?.reset()
    writer?.ensureRuleCategories()
    current = true
    scheduleRollups()
    return applied
  },
  close: () => {
    closed = true
    clearTimeout(timer)
    c.close(options.role === 'writer')
    return null
  },

  'events.insert': (events: PackedEvents, options: never) =>
    needWriter().insertEvents(unpackEvents(events), Date.now(), options),
  'events.delete': (selector: never) => needWriter().deleteEvents(selector),
  'events.list': (q: never) => reader.listEvents(q),
  'events.span': () => reader.span(),
  'afk.insert': (periods: never) => needWriter().insertAfk(periods, Date.now()),
  'afk.list': (range: never) => reader.listAfk(range),
  'afk.delete': (selector: never) => needWriter().deleteAfk(selector),
  'devices.list': () => reader.devices(),
  'devices.rename': (id: never, name: never) => needWriter().renameDevice(id, name),
  'catalog.apps': () => reader.named('apps'),
  'catalog.categories': () => reader.named('categories'),
  'catalog.projects': (page: never) => reader.projects(page),
  'catalog.searchProjects': (query: never, limit: never) => reader.searchProjects(query, limit),
  'catalog.project': (id: never) => reader.project(id),
  'input.add': (deltas: never, receivedMs: never) => needWriter().addInput(deltas, receivedMs),
  'input.buckets': (range: never) => reader.inputBuckets(range),
  'input.deleteBefore': (cutoff: never) => needWriter().deleteInputBefore(cutoff),
  'input.pruneBatches': (cutoff: never) => needWriter().pruneInputBatches(cutoff),
  'settings.get': () => reader.settings(),
  'settings.save': (values: never) => needWriter().saveSettings(values),
  'tokens.insert': (token: never, max: never, now: never) =>
    needWriter().insertToken(token, max, now),
  'tokens.list': () => reader.tokens(),
  'tokens.revoke': (id: never) => needWriter().revokeToken(id),
  'tokens.delete': (id: never) => needWriter().deleteToken(id),
  'tokens.touch': (id: never, at: never) => needWriter().touchToken(id, at),
  'changes.after': (after: never, limit: never) => reader.changesAfter(after, limit),
  'changes.last': () => reader.lastSeq(),
  'activeTime.query': (q: never) => reader.activeTime(q),
  'activeTime.sessions': (range: never, gap: never) => reader.sessions(range, gap),
  'labels.create': (label: never) => needWriter().createLabel(label, Date.now()),
  'labels.update': (id: never, patch: never) => needWriter().updateLabel(id, patch, Date.now()),
  'labels.delete': (id: never) => needWriter().deleteLabel(id),
  'labels.get': (id: never) => reader.label(id),
  'labels.list': (q: never) => reader.labels(q),
  'labels.search': (query: never, limit: never) => reader.searchLabels(query, limit),
  'status.counts': () => reader.counts(),
  'status.collectors': () => reader.collectors(),
  'search.search': (text: never, range: never, limit: never) => reader.search(text, range, limit),
  'aw.buckets': () => aw.buckets(),
  'aw.bucket': (id: never) => aw.bucket(id),
  'aw.createBucket': (bucket: never) => (needWriter(), aw.createBucket(bucket)),
  'aw.deleteBucket': (id: never) => (needWriter(), aw.deleteBucket(id)),
  'aw.insertEvents': (bucket: never, events: never) => (
    needWriter(),
    aw.insertEvents(bucket, events)
  ),
  'aw.heartbeat': (bucket: never, hb: never, pulsetime: never) => (
    needWriter(),
    aw.heartbeat(bucket, hb, pulsetime)
  ),
  'aw.events': (bucket: never, q: never) => aw.events(bucket, q),
  'aw.event': (bucket: never, id: never) => aw.event(bucket, id),
  'aw.deleteEvent': (bucket: never, id: never) => (needWriter(), aw.deleteEvent(bucket, id)),
  'aw.count': (bucket: never, q: never) => aw.count(bucket, q),
  'aw.importBucket': (bucket: never, events: never) => (
    needWriter(),
    aw.importBucket(bucket, events)
  ),
  'aw.settings': () => aw.settings(),
  'aw.setting': (key: never) => aw.setting(key),
  'aw.saveSetting': (key: never, value: never) => (needWriter(), aw.saveSetting(key, value)),
  'aw.deleteSetting': (key: never) => (needWriter(), aw.deleteSetting(key)),
  'heartbeats.insert': (heartbeats: never, options: never) =>
    needWriter().insertHeartbeats(heartbeats, Date.now(), options),
  'heartbeats.list': (range: never, limit: never) => reader.heartbeats(range, limit),
  'heartbeats.machines': () => reader.heartbeatMachines(),
  'activeTime.pending': () => pendingSlots(c),
  /** Runs the rollup refresh until nothing is dirty (tests and the bench wait on this). */
  'activeTime.settle': () => {
    while (refreshDirty(c, rollupBatch) > 0);
    return null
  },
}

function failure(id: number, err: unknown): Extract<Reply, { ok: false }> {
  const e = err as Error & { code?: string; field?: string }
  return {
    id,
    ok: false,
    error: {
      name: e?.name ?? 'Error',
      message: e?.message ?? String(err),
      ...(err instanceof DaybookError ? { code: e.code, field: e.field } : { stack: e?.stack }),
    },
  }
}

if (opened)
  port.on('message', (call: Call) => {
    let reply: Reply
    try {
      const handler = handlers[call.method]
      if (!handler) throw new Error(`unknown store call ${call.method}`)
      reply = { id: call.id, ok: true, value: handler(...(call.args as never[])) }
    } catch (err) {
      reply = failure(call.id, err)
    }
    port.postMessage(reply)
    if (call.method === 'close') port.close()
  })

if (opened) {
  port.postMessage({ ready: true } satisfies Startup)
  if (writer && current && pendingSlots(c) > 0) scheduleRollups()
}
