/**
 * A store worker thread: one SQLite connection, answering the main thread's calls one at a time.
 *
 * The writer owns the only write connection (so there is exactly one write path and no write ever
 * waits on another), runs migrations, and keeps the rollups current in the background between
 * calls. Readers read WAL snapshots; a query that takes seconds blocks neither the HTTP event loop
 * nor ingestion.
 */
import { parentPort } from 'node:worker_threads'
import { DaybookError } from '../../domain/errors.ts'
import { ActivityWatchTables } from './activitywatch.ts'
import { Connection } from './connection.ts'
import { HookTables } from './hooks.ts'
import { ScreenshotTables } from './screenshots.ts'
import type { Call, StoreCalls } from './calls.ts'
import { unpackEvents } from './event-batch.ts'
import { LATEST_VERSION, migrate, schemaVersion } from './migrations.ts'
import { backupInto } from './backup.ts'
import { Reader } from './reader.ts'
import { SETTLE_MS, nextSettled, pendingSlots, refreshDirty } from './rollups.ts'
import { storageError } from './storage-errors.ts'
import { Writer } from './writer.ts'
import { addUser, directoryVersion, listUsers, removeUser, setUserAdmin } from './write/users.ts'
import {
  acceptInvitation,
  createTeam,
  deleteTeam,
  getTeam,
  inviteMember,
  leaveTeam,
  setTeamShares,
  teamMembers,
  teamShares,
  teamsOf,
} from './write/teams.ts'
import { pendingChanges, syncChanges, syncClients, syncCursors } from './sync.ts'

export interface WorkerOptions {
  file: string
  role: 'writer' | 'reader'
  /** Dirty slots recomputed per background transaction. */
  rollupBatch?: number
}

/** The answer: a value, or an error with what is needed to rebuild it as the same class. */
export type Reply =
  | { id: number; ok: true; value: unknown }
  | {
      id: number
      ok: false
      error: { name: string; message: string; code?: string; field?: string; stack?: string }
    }

const port = parentPort
if (!port) throw new Error('the store worker must run in a worker thread')

/** The answer to `{ open }`: ready, or why the database could not be opened. */
export type Startup = { ready: true } | { ready: false; error: Extract<Reply, { ok: false }> }

/** What the main thread sends besides calls: open a database, or end the thread. */
export type Control = { open: WorkerOptions } | { retire: true }

/**
 * One database, open from `{ open }` to the `close` call: its connection, its tables and the
 * calls it answers. Throws when the file cannot be opened.
 */
function session(options: WorkerOptions): StoreCalls {
  const c = Connection.open(options.file, options.role)
  const reader = new Reader(c)
  const writer = options.role === 'writer' ? new Writer(c) : undefined
  const aw = new ActivityWatchTables(c)
  const hooks = new HookTables(c)
  const screenshots = new ScreenshotTables(c, writer)
  const rollupBatch = options.rollupBatch ?? 64
  let closed = false
  let current = schemaVersion(c.db) === LATEST_VERSION
  let timer: NodeJS.Timeout | undefined
  let lastRefreshLog = -Infinity

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
          // On a full disk every write retries it: said once a minute, not each time.
          const now = Date.now()
          if (now - lastRefreshLog >= 60_000) {
            lastRefreshLog = now
            console.error('daybook store: rollup refresh failed:', storageError(err, c.file) ?? err)
          }
        }
      },
      Math.max(0, at - Date.now()),
    )
  }
  if (writer) writer.onDirty = scheduleRollups

  /** Writes, refused by a reader worker. */
  function w(): Writer {
    if (!writer) throw new Error('this store worker does not write')
    return writer
  }

  /** ActivityWatch's tables, for a write (refused by a reader worker). */
  function awWrite(): ActivityWatchTables {
    w()
    return aw
  }

  /** The hooks' tables, for a write (refused by a reader worker). */
  function hooksWrite(): HookTables {
    w()
    return hooks
  }

  /** The screenshots' tables, for a write (refused by a reader worker). */
  function screenshotsWrite(): ScreenshotTables {
    w()
    return screenshots
  }

  const handlers: StoreCalls = {
    schema: () => ({ version: schemaVersion(c.db), latest: LATEST_VERSION }),
    migrate: () => {
      const writer = w()
      const applied = migrate(c.db, c.file)
      c.resetStatements()
      writer.reset()
      writer.ensureRuleCategories()
      current = true
      scheduleRollups()
      return applied
    },
    backup: (file) => {
      w()
      const { version, bytes } = backupInto(c, file)
      return { version, bytes }
    },
    close: () => {
      closed = true
      clearTimeout(timer)
      const failed = c.close(options.role === 'writer')
      if (failed) {
        console.error(
          `daybook store: could not fold the write-ahead log into ${c.file} at close ` +
            `(${(storageError(failed, c.file) ?? failed).message}); it is kept beside the ` +
            'database and applied at the next start: nothing is lost',
        )
      }
      return null
    },

    'events.insert': (events, receivedMs, options) =>
      w().insertEvents(unpackEvents(events), receivedMs, options),
    'events.delete': (selector) => w().deleteEvents(selector),
    'events.list': (q) => reader.listEvents(q),
    'events.span': () => reader.span(),
    'afk.insert': (periods, receivedMs) => w().insertAfk(periods, receivedMs),
    'afk.list': (range) => reader.listAfk(range),
    'afk.delete': (selector) => w().deleteAfk(selector),
    'devices.list': () => reader.devices(),
    'devices.rename': (id, name) => w().renameDevice(id, name),
    'devices.ensure': (names, nowMs) => w().ensureDevices(names, nowMs),
    'catalog.apps': () => reader.named('apps'),
    'catalog.categories': () => reader.named('categories'),
    'catalog.projects': (page) => reader.projects(page),
    'catalog.searchProjects': (query, limit) => reader.searchProjects(query, limit),
    'catalog.project': (id) => reader.project(id),
    'input.add': (deltas, receivedMs) => w().addInput(deltas, receivedMs),
    'input.buckets': (range) => reader.inputBuckets(range),
    'input.rows': (range) => reader.inputRows(range),
    'input.merge': (rows, receivedMs) => w().mergeInput(rows, receivedMs),
    'input.deleteBefore': (cutoff) => w().deleteInputBefore(cutoff),
    'input.pruneBatches': (cutoff) => w().pruneInputBatches(cutoff),
    'settings.get': () => reader.settings(),
    'settings.save': (values) => w().saveSettings(values),
    // The directory is small and read where it is written: a user just added is listed at once.
    'users.list': () => (w(), listUsers(c)),
    'users.add': (user) => (w(), addUser(c, user)),
    'users.remove': (name) => (w(), removeUser(c, name)),
    'users.setAdmin': (name, admin) => (w(), setUserAdmin(c, name, admin)),
    // Asked before each request of a user's token: on a reader, so ingest never delays it.
    'users.version': () => directoryVersion(c),
    // Teams likewise: small, read where written (a member's consent counts from the next read).
    'teams.create': (team) => (w(), createTeam(c, team)),
    'teams.get': (id) => (w(), getTeam(c, id)),
    'teams.ofUser': (user) => (w(), teamsOf(c, user)),
    'teams.members': (id) => (w(), teamMembers(c, id)),
    'teams.invite': (id, user, by, at) => (w(), inviteMember(c, id, user, by, at)),
    'teams.accept': (id, user, at) => (w(), acceptInvitation(c, id, user, at)),
    'teams.leave': (id, user) => (w(), leaveTeam(c, id, user)),
    'teams.delete': (id) => (w(), deleteTeam(c, id)),
    'teams.shares': (id, user) => (w(), teamShares(c, id, user)),
    'teams.setShares': (id, user, shares) => (w(), setTeamShares(c, id, user, shares)),
    'tokens.insert': (token, max, now) => w().insertToken(token, max, now),
    'tokens.list': () => reader.tokens(),
    'tokens.revoke': (id) => w().revokeToken(id),
    'tokens.delete': (id) => w().deleteToken(id),
    'tokens.touch': (id, at) => w().touchToken(id, at),
    'changes.after': (after, limit) => reader.changesAfter(after, limit),
    'changes.last': () => reader.lastSeq(),
    'activeTime.query': (q) => reader.activeTime(q),
    'activeTime.queryJson': (q, withMeta) => reader.activeTimeJson(q, withMeta),
    'activeTime.sessions': (range, gap) => reader.sessions(range, gap),
    'activeTime.pending': () => pendingSlots(c),
    /** Runs the rollup refresh until nothing is dirty (tests and the bench wait on this). */
    'activeTime.settle': () => {
      while (refreshDirty(c, rollupBatch) > 0);
    },
    'labels.create': (label, nowMs) => w().createLabel(label, nowMs),
    'labels.update': (id, patch, nowMs) => w().updateLabel(id, patch, nowMs),
    'labels.delete': (id) => w().deleteLabel(id),
    'labels.get': (id) => reader.label(id),
    'labels.list': (q) => reader.labels(q),
    'labels.search': (query, limit) => reader.searchLabels(query, limit),
    'status.counts': () => reader.counts(),
    'status.collectors': () => reader.collectors(),
    'search.search': (text, range, limit) => reader.search(text, range, limit),
    'aw.buckets': () => aw.buckets(),
    'aw.bucket': (id) => aw.bucket(id),
    'aw.createBucket': (bucket) => awWrite().createBucket(bucket),
    'aw.deleteBucket': (id) => awWrite().deleteBucket(id),
    'aw.insertEvents': (bucket, events) => awWrite().insertEvents(bucket, events),
    'aw.heartbeat': (bucket, hb, pulsetime) => awWrite().heartbeat(bucket, hb, pulsetime),
    'aw.events': (bucket, q) => aw.events(bucket, q),
    'aw.event': (bucket, id) => aw.event(bucket, id),
    'aw.deleteEvent': (bucket, id) => awWrite().deleteEvent(bucket, id),
    'aw.count': (bucket, q) => aw.count(bucket, q),
    'aw.importBucket': (bucket, events) => awWrite().importBucket(bucket, events),
    'aw.settings': () => aw.settings(),
    'aw.setting': (key) => aw.setting(key),
    'aw.saveSetting': (key, value) => {
      awWrite().saveSetting(key, value)
    },
    'aw.deleteSetting': (key) => awWrite().deleteSetting(key),
    'heartbeats.insert': (heartbeats, receivedMs, options) =>
      w().insertHeartbeats(heartbeats, receivedMs, options),
    'heartbeats.list': (range, limit) => reader.heartbeats(range, limit),
    'heartbeats.machines': () => reader.heartbeatMachines(),
    'sync.changes': (after, limit, origin) => syncChanges(c, after, limit, origin),
    'sync.pending': (after) => pendingChanges(c, after),
    'sync.apply': (batch, peer, cursor, receivedMs) =>
      w().applySync(batch, peer, cursor, receivedMs),
    'sync.cursors': () => syncCursors(c),
    'sync.setPushed': (seq) => w().setPushed(seq),
    'sync.resetCursors': () => w().resetCursors(),
    'sync.createCode': (code) => w().createCode(code),
    'sync.pair': (request) => w().pair(request),
    'sync.clients': () => c.read(() => syncClients(c)),
    'sync.revoke': (id) => w().revokeClient(id),
    'sync.touch': (id, nowMs) => w().touchClient(id, nowMs),
    'sync.pushedFor': (id, epoch, startSeq) => w().pushedFor(id, epoch, startSeq),
    'hooks.list': () => hooks.list(),
    'hooks.replace': (list) => {
      hooksWrite().replace(list)
    },
    'hooks.saveState': (id, state, fired) => hooksWrite().saveState(id, state, fired),
    'hooks.updateActions': (logId, updates) => hooksWrite().updateActions(logId, updates),
    'hooks.log': (q) => hooks.log(q),
    'hooks.logCount': (hookId) => hooks.logCount(hookId),
    'hooks.closeRunning': () => hooksWrite().closeRunning(),
    'hooks.pruneLog': (keep) => hooksWrite().pruneLog(keep),
    'hooks.dnd': () => hooks.dnd(),
    'hooks.saveDnd': (config) => {
      hooksWrite().saveDnd(config)
    },
    'screenshots.settings': () => screenshots.settings(),
    'screenshots.saveSettings': (settings) => {
      screenshotsWrite().saveSettings(settings)
    },
    'screenshots.insert': (frame) => screenshotsWrite().insert(frame),
    'screenshots.around': (atMs, windowMs, limit) => screenshots.around(atMs, windowMs, limit),
    'screenshots.searchText': (text, range, limit) => screenshots.searchText(text, range, limit),
    'screenshots.totals': () => screenshots.totals(),
    'screenshots.prune': (beforeMs, maxBytes) => screenshotsWrite().prune(beforeMs, maxBytes),
    'screenshots.purge': (range, devices) => screenshotsWrite().purge(range, devices),
  }
  if (writer && current && pendingSlots(c) > 0) scheduleRollups()
  return handlers
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

let handlers: StoreCalls | undefined
let file = ''

// A thread outlives the databases it serves: once one is closed the main thread may give it
// another (`{ open }`), so a store opened again does not pay for a thread's start and its modules.
port.on('message', (message: Call | Control) => {
  if ('retire' in message) {
    port.close()
    return
  }
  if ('open' in message) {
    file = message.open.file
    try {
      handlers = session(message.open)
      port.postMessage({ ready: true } satisfies Startup)
    } catch (err) {
      port.postMessage({ ready: false, error: failure(0, err) } satisfies Startup)
    }
    return
  }
  const call = message
  let reply: Reply
  try {
    // The one untyped step: a message from the main thread, typed there by the same map.
    const handler = handlers?.[call.method] as ((...args: unknown[]) => unknown) | undefined
    if (!handler) throw new Error(`unknown store call ${call.method}`)
    reply = { id: call.id, ok: true, value: handler(...(call.args as unknown[])) }
  } catch (err) {
    // A full or failing disk is a typed error (507), not a crash: the transaction was rolled
    // back whole, and the next call tries again.
    reply = failure(call.id, storageError(err, file) ?? err)
  }
  if (call.method === 'close') handlers = undefined
  port.postMessage(reply)
})
