/**
 * The embedded store, as the main thread sees it: the `Store` port, each call answered by a
 * worker thread (`worker.ts`). Writes go to the one writer; reads go to a reader worker (the least
 * busy), or to the writer when the store has none. Nothing here touches SQLite, so a slow query
 * never holds up the HTTP event loop.
 */
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import * as errors from '../../domain/errors.ts'
import { checkUserName } from '../../domain/users.ts'
import type { Store } from '../ports.ts'
import type { Call, StoreCalls, StoreMethod } from './calls.ts'
import type { Control, Reply, Startup, WorkerOptions } from './worker.ts'
import { packEvents, unpackChanges } from './event-batch.ts'
import { workerSources } from './worker-sources.ts'

export interface SqliteStoreOptions {
  /** The database file (created, owner-only, when missing). */
  file: string
  /** Reader workers beside the writer (default 1); 0 answers reads on the writer. */
  readers?: number
  /** Dirty rollup slots recomputed per background transaction (default 64). */
  rollupBatch?: number
  /** Told when a worker dies unexpectedly (the daemon logs it and exits). */
  onFailure?: (err: Error) => void
}

const WORKER_URL = new URL('./worker.ts', import.meta.url)
const ENTRY_URL = new URL('./worker-entry.js', import.meta.url)

/** Rebuilds an error thrown in a worker as the same class, so the HTTP mapping still applies. */
function rebuild(e: Extract<Reply, { ok: false }>['error']): Error {
  const Class = (errors as Record<string, unknown>)[e.name]
  if (typeof Class === 'function' && Class.prototype instanceof errors.DaybookError) {
    const err = Object.create(Class.prototype) as errors.DaybookError
    Object.assign(err, { name: e.name, message: e.message, code: e.code, field: e.field })
    return err
  }
  const err = new Error(e.message)
  err.name = e.name
  if (e.stack) err.stack = e.stack
  return err
}

/**
 * Threads no store is using, kept a few seconds for the next store opened in this process: a
 * thread's start and its modules cost about 130 ms of CPU, which a store opened again (a restore,
 * a user's diary, the tests' many stores) would pay twice per open. Unreferenced while idle, so
 * they never keep the process alive.
 */
const idle = new Map<Worker, NodeJS.Timeout>()
const IDLE_MS = 5_000
const MAX_IDLE = 4

/**
 * Call ids are unique in the process, not per store: a thread's replies to one store can never be
 * taken for another's.
 */
let lastCallId = 0

function newThread(): Worker {
  // A worker's heap holds a batch or a page of rows at a time; bounding it keeps garbage from
  // piling up in a long-running daemon.
  const worker = new Worker(ENTRY_URL, {
    workerData: { loader: { sources: workerSources(WORKER_URL), main: WORKER_URL.href } },
    execArgv: ['--disable-warning=ExperimentalWarning'],
    resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 },
  })
  // While it serves a store, the store hears of its failure too; idle, it just leaves the pool.
  const leave = () => {
    clearTimeout(idle.get(worker))
    idle.delete(worker)
  }
  worker.on('exit', leave)
  worker.on('error', leave)
  return worker
}

/** An idle thread, or a new one. */
function takeThread(): Worker {
  for (const [worker, timer] of idle) {
    clearTimeout(timer)
    idle.delete(worker)
    worker.ref()
    return worker
  }
  return newThread()
}

/**
 * Ends `worker` by itself (it closes its port) rather than terminating it: terminating races the
 * thread's own teardown, and a process that exits during that race can abort inside V8.
 */
function retire(worker: Worker): void {
  clearTimeout(idle.get(worker))
  idle.delete(worker)
  worker.postMessage({ retire: true } satisfies Control)
}

/** Keeps `worker` (serving no database now) for the next store, or lets it end. */
function releaseThread(worker: Worker): void {
  if (idle.size >= MAX_IDLE) return retire(worker)
  worker.unref()
  idle.set(worker, setTimeout(() => retire(worker), IDLE_MS).unref())
}

/**
 * Ends the idle threads and waits until they have: a daemon that stops leaves no thread behind
 * (they would not keep it alive, but a clean stop ends what it started).
 */
export async function retireIdleThreads(): Promise<void> {
  const ending = [...idle.keys()].map((worker) => {
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
    worker.ref()
    retire(worker)
    return exited
  })
  await Promise.all(ending)
}

class StoreWorker {
  readonly worker: Worker
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >()
  #failed: Error | undefined
  readonly #onMessage: (reply: Reply) => void
  readonly #onError: (err: Error) => void
  readonly #onExit: (code: number) => void
  #closing = false

  private constructor(worker: Worker, onFailure: (err: Error) => void) {
    this.worker = worker
    this.#onMessage = (reply: Reply) => {
      const p = this.#pending.get(reply.id)
      if (!p) return
      this.#pending.delete(reply.id)
      if (reply.ok) p.resolve(reply.value)
      else p.reject(rebuild(reply.error))
    }
    const fail = (err: Error) => {
      if (this.#failed) return
      this.#failed = err
      for (const p of this.#pending.values()) p.reject(err)
      this.#pending.clear()
      onFailure(err)
    }
    this.#onError = (err: Error) => fail(err)
    this.#onExit = (code: number) => fail(new Error(`the store worker exited (code ${code})`))
    worker.on('message', this.#onMessage)
    worker.on('error', this.#onError)
    worker.on('exit', this.#onExit)
  }

  /** Opens the database on a thread (an idle one, or a new one) and waits until it is open. */
  static start(options: WorkerOptions, onFailure: (err: Error) => void): Promise<StoreWorker> {
    const worker = takeThread()
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        worker.off('message', onStartup)
        reject(err)
      }
      const onStartup = (m: Startup | Reply) => {
        if (!('ready' in m)) return
        worker.off('message', onStartup)
        worker.off('error', onError)
        if (m.ready) resolve(new StoreWorker(worker, onFailure))
        else {
          // The file is not open: the thread serves no database and can serve another.
          releaseThread(worker)
          reject(rebuild(m.error.error))
        }
      }
      worker.once('error', onError)
      worker.on('message', onStartup)
      worker.postMessage({ open: options } satisfies Control)
    })
  }

  get load(): number {
    return this.#pending.size
  }

  call<M extends StoreMethod>(
    method: M,
    args: Parameters<StoreCalls[M]>,
  ): Promise<ReturnType<StoreCalls[M]>> {
    if (this.#failed) return Promise.reject(this.#failed)
    // Nothing may follow `close` to the thread: it may be serving another store by then. A call
    // after close stays unanswered, as it did when the thread ended with its store.
    if (this.#closing) return new Promise(() => undefined)
    if (method === 'close') this.#closing = true
    const id = ++lastCallId
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.worker.postMessage({ id, method, args } satisfies Call<M>)
    })
  }

  /** Closes the database; the file is closed on return, and the thread free for another. */
  async close(): Promise<void> {
    if (this.#failed) {
      await this.worker.terminate()
      return
    }
    await this.call('close', [])
    this.worker.off('message', this.#onMessage)
    this.worker.off('error', this.#onError)
    this.worker.off('exit', this.#onExit)
    releaseThread(this.worker)
  }
}

export class SqliteStore implements Store {
  readonly location: string
  readonly #options: SqliteStoreOptions
  readonly #writer: StoreWorker
  #readers: StoreWorker[] = []
  #closed: Promise<void> | undefined

  readonly events: Store['events']
  readonly afk: Store['afk']
  readonly devices: Store['devices']
  readonly catalog: Store['catalog']
  readonly input: Store['input']
  readonly settings: Store['settings']
  readonly tokens: Store['tokens']
  readonly changes: Store['changes']
  readonly activeTime: Store['activeTime']
  readonly labels: Store['labels']
  readonly status: Store['status']
  readonly search: Store['search']
  readonly activitywatch: Store['activitywatch']
  readonly heartbeats: Store['heartbeats']
  readonly sync: Store['sync']
  readonly hooks: Store['hooks']
  readonly screenshots: Store['screenshots']
  readonly users: Store['users']
  readonly teams: Store['teams']

  private constructor(options: SqliteStoreOptions, writer: StoreWorker) {
    this.location = options.file
    this.#options = options
    this.#writer = writer
    const w =
      <M extends StoreMethod>(method: M) =>
      (...args: Parameters<StoreCalls[M]>) =>
        this.#writer.call(method, args)
    const r =
      <M extends StoreMethod>(method: M) =>
      (...args: Parameters<StoreCalls[M]>) =>
        this.#reader().call(method, args)
    this.events = {
      // Packed: the batch crosses to the writer as a few strings and typed arrays.
      insert: async (events, receivedMs, options) => {
        const { changes, ...counts } = await this.#writer.call('events.insert', [
          packEvents(events),
          receivedMs,
          options,
        ])
        return { ...counts, changes: unpackChanges(changes) }
      },
      delete: w('events.delete'),
      list: r('events.list'),
      span: r('events.span'),
    }
    this.afk = { insert: w('afk.insert'), list: r('afk.list'), delete: w('afk.delete') }
    this.devices = {
      list: r('devices.list'),
      rename: w('devices.rename'),
      ensure: w('devices.ensure'),
    }
    this.catalog = {
      apps: r('catalog.apps'),
      categories: r('catalog.categories'),
      projects: r('catalog.projects'),
      searchProjects: r('catalog.searchProjects'),
      project: r('catalog.project'),
    }
    this.input = {
      add: w('input.add'),
      buckets: r('input.buckets'),
      rows: r('input.rows'),
      merge: w('input.merge'),
      deleteBefore: w('input.deleteBefore'),
      pruneBatches: w('input.pruneBatches'),
    }
    this.settings = { get: r('settings.get'), save: w('settings.save') }
    // Why a counter in memory: only this process writes this file (the data dir's lock), so the
    // tokens change through these calls alone, and none of them is missed. Moved once the write
    // has resolved, so a reader of the new number lists the tokens after it.
    let tokensVersion = 0
    const changesTokens =
      <A extends unknown[], T>(call: (...args: A) => Promise<T>) =>
      (...args: A) =>
        call(...args).finally(() => tokensVersion++)
    this.tokens = {
      insert: changesTokens(w('tokens.insert')),
      list: r('tokens.list'),
      revoke: changesTokens(w('tokens.revoke')),
      delete: changesTokens(w('tokens.delete')),
      touch: w('tokens.touch'),
      version: () => Promise.resolve(tokensVersion),
    }
    this.changes = { after: r('changes.after'), last: r('changes.last') }
    this.activeTime = {
      query: r('activeTime.query'),
      queryJson: r('activeTime.queryJson'),
      pending: w('activeTime.pending'),
      settle: w('activeTime.settle'),
      sessions: r('activeTime.sessions'),
    }
    this.labels = {
      create: w('labels.create'),
      update: w('labels.update'),
      delete: w('labels.delete'),
      get: r('labels.get'),
      list: r('labels.list'),
      search: r('labels.search'),
    }
    this.status = { counts: r('status.counts'), collectors: r('status.collectors') }
    this.search = { search: r('search.search') }
    this.activitywatch = {
      buckets: r('aw.buckets'),
      bucket: r('aw.bucket'),
      createBucket: w('aw.createBucket'),
      deleteBucket: w('aw.deleteBucket'),
      insertEvents: w('aw.insertEvents'),
      heartbeat: w('aw.heartbeat'),
      events: r('aw.events'),
      event: r('aw.event'),
      deleteEvent: w('aw.deleteEvent'),
      count: r('aw.count'),
      importBucket: w('aw.importBucket'),
      settings: r('aw.settings'),
      setting: r('aw.setting'),
      saveSetting: w('aw.saveSetting'),
      deleteSetting: w('aw.deleteSetting'),
    }
    this.heartbeats = {
      insert: w('heartbeats.insert'),
      list: r('heartbeats.list'),
      machines: r('heartbeats.machines'),
    }
    this.sync = {
      changes: r('sync.changes'),
      pending: r('sync.pending'),
      apply: w('sync.apply'),
      // Read where they are written: a spoke reads them right after moving them.
      cursors: w('sync.cursors'),
      setPushed: w('sync.setPushed'),
      resetCursors: w('sync.resetCursors'),
      checkSpoke: () => undefined,
      createCode: w('sync.createCode'),
      pair: w('sync.pair'),
      clients: w('sync.clients'),
      revoke: w('sync.revoke'),
      touch: w('sync.touch'),
      pushedFor: w('sync.pushedFor'),
    }
    this.hooks = {
      list: r('hooks.list'),
      replace: w('hooks.replace'),
      saveState: w('hooks.saveState'),
      updateActions: w('hooks.updateActions'),
      log: r('hooks.log'),
      logCount: r('hooks.logCount'),
      closeRunning: w('hooks.closeRunning'),
      pruneLog: w('hooks.pruneLog'),
      dnd: r('hooks.dnd'),
      saveDnd: w('hooks.saveDnd'),
    }
    this.users = {
      list: w('users.list'),
      add: w('users.add'),
      remove: w('users.remove'),
      setAdmin: w('users.setAdmin'),
      version: r('users.version'),
    }
    this.teams = {
      create: w('teams.create'),
      get: w('teams.get'),
      ofUser: w('teams.ofUser'),
      members: w('teams.members'),
      invite: w('teams.invite'),
      accept: w('teams.accept'),
      leave: w('teams.leave'),
      delete: w('teams.delete'),
      shares: w('teams.shares'),
      setShares: w('teams.setShares'),
    }
    this.screenshots = {
      settings: r('screenshots.settings'),
      saveSettings: w('screenshots.saveSettings'),
      insert: w('screenshots.insert'),
      around: r('screenshots.around'),
      searchText: r('screenshots.searchText'),
      totals: r('screenshots.totals'),
      prune: w('screenshots.prune'),
      purge: w('screenshots.purge'),
    }
  }

  /**
   * Opens the database in a writer worker (creating the file owner-only when missing). Throws a
   * `SchemaTooNewError` for a database written by a newer Daybook. Readers start once the schema
   * is current (here, or after `migrate()`).
   */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    const onFailure = options.onFailure ?? (() => undefined)
    const writer = await StoreWorker.start(
      { file: options.file, role: 'writer', rollupBatch: options.rollupBatch },
      onFailure,
    )
    const store = new SqliteStore(options, writer)
    // Readers start beside the migration rather than after it; none is asked anything until the
    // store is attached (after `migrate()`), and they prepare their statements on first use.
    store.#readersStarting = store.#startReaders().catch((err: unknown) => {
      onFailure(err as Error)
    })
    return store
  }

  #readersStarting: Promise<void> | undefined

  async #startReaders(): Promise<void> {
    const n = this.#options.readers ?? 1
    const onFailure = this.#options.onFailure ?? (() => undefined)
    this.#readers = await Promise.all(
      Array.from({ length: n }, () =>
        StoreWorker.start({ file: this.#options.file, role: 'reader' }, onFailure),
      ),
    )
  }

  /** The least busy reader, or the writer when there is none. */
  #reader(): StoreWorker {
    let best: StoreWorker | undefined
    for (const r of this.#readers) if (!best || r.load < best.load) best = r
    return best ?? this.#writer
  }

  /** Heap of each store thread, in bytes (for the status route and memory investigations). */
  async heaps(): Promise<{ thread: string; total: number; used: number }[]> {
    const threads = [
      ['writer', this.#writer] as const,
      ...this.#readers.map((r, i) => [`reader ${i + 1}`, r] as const),
    ]
    return Promise.all(
      threads.map(async ([thread, w]) => {
        const stats = await w.worker.getHeapStatistics()
        return { thread, total: stats.total_heap_size, used: stats.used_heap_size }
      }),
    )
  }

  /** The worker threads (for tests that check where work runs). */
  get threadIds(): { writer: number; readers: number[] } {
    return {
      writer: this.#writer.worker.threadId,
      readers: this.#readers.map((r) => r.worker.threadId),
    }
  }

  schema(): Promise<{ version: number; latest: number }> {
    return this.#writer.call('schema', [])
  }

  checkBackup(): void {
    // A file database is always copied by VACUUM INTO.
  }

  backup(file: string): Promise<{ version: number; bytes: number }> {
    return this.#writer.call('backup', [file])
  }

  /** `users/<name>.db` beside this database. */
  #diaryFile(name: string): string {
    return path.join(path.dirname(this.#options.file), 'users', `${checkUserName(name)}.db`)
  }

  async openDiary(name: string): Promise<SqliteStore> {
    const file = this.#diaryFile(name)
    // Private like the data dir: another local account must not read a user's diary.
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    return SqliteStore.open({ ...this.#options, file })
  }

  async dropDiary(name: string): Promise<void> {
    const file = this.#diaryFile(name)
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true })
  }

  async migrate(): Promise<number[]> {
    const applied = await this.#writer.call('migrate', [])
    await this.#readersStarting
    return applied
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#readersStarting
      await Promise.all(this.#readers.map((r) => r.close()))
      // The writer last: it checkpoints the WAL into the main file.
      await this.#writer.close()
    })()
    return this.#closed
  }
}
