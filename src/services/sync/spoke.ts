/**
 * A spoke: an ordinary daemon that also syncs with one hub, continuously and in the background.
 * It keeps recording whether or not the hub is reachable; two loops move changes once it is:
 *  - push: this daemon's own changes after the hub's acknowledged cursor, in batches, as soon as
 *    they commit (the hub answers after its own commit; only then does the cursor move);
 *  - pull: every other change the hub holds, the hub holding the request open until there is one,
 *    applied here with the pull cursor in the same transaction.
 * A failure sends the loop into a capped backoff (the state says `offline`, or `refused` when the
 * hub said no); the next success catches up from the cursors.
 *
 * What pairing left (the hub's URL, its certificate's fingerprint, this device's token) is kept in
 * `<config-dir>/sync.json`, mode 0600; the cursors live in the database with the data.
 */
import { randomInt } from 'node:crypto'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { writeFileAtomic } from '../../config/files.ts'
import type { Clock } from '../../domain/clock.ts'
import {
  BadGatewayError,
  BadRequestError,
  ConflictError,
  DaybookError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  UnauthorizedError,
  UnprocessableError,
} from '../../domain/errors.ts'
import { PROTOCOL_VERSION } from '../../domain/protocol.ts'
import { type SyncBatch, checkSyncChange } from '../../domain/sync.ts'
import type { Store, SyncPage } from '../../store/ports.ts'
import type { Bus } from '../bus.ts'
import { FingerprintMismatchError, isFingerprint } from './tls.ts'
import { HubConnection, HubRefusedError, HubUnreachableError, hubUrlProblem } from './transport.ts'

/** What pairing left on a spoke (`sync.json`). */
export interface SpokeConfig {
  hub: string
  fingerprint: string | null
  token: string
  hubDevice: { id: string; name: string }
  device: { id: string; name: string }
  pairedAt: string
}

export type SyncState = 'synced' | 'syncing' | 'offline' | 'refused'

/** `GET /v1/sync/status`. */
export interface SyncStatus {
  /** `spoke`: syncs with a hub; `hub`: devices sync with it; `none`: neither. */
  role: 'spoke' | 'hub' | 'none'
  hub: string | null
  state: SyncState | 'unpaired' | 'hub'
  pushedSeq: number
  pulledSeq: number
  /** This daemon's changes the hub has not acknowledged yet. */
  pending: number
  lastPushAt: string | null
  lastPullAt: string | null
  lastError: string | null
}

/** Changes per push (a batch is one transaction on the hub). */
export const PUSH_BATCH = 5_000
/** Changes per pull. */
export const PULL_BATCH = 5_000
/** How long the hub holds a pull open when there is nothing new. */
export const PULL_WAIT_MS = 20_000
/**
 * Longest wait between attempts while the hub is unreachable (the default of
 * DAYBOOK_SYNC_RETRY_MAX_SEC), and after a refusal.
 */
const BACKOFF_CAP_MS = { offline: 10_000, refused: 60_000 }

/** Runs one task at a time. */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn)
    this.#tail = next.catch(() => undefined)
    return next
  }
}

/** A wake-up signal a loop waits on (set before the wait: the wait returns at once). */
class Signal {
  #set = false
  #wake: (() => void) | undefined

  set(): void {
    this.#set = true
    this.#wake?.()
  }

  async wait(ms: number): Promise<void> {
    if (this.#set) {
      this.#set = false
      return
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#wake = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.#wake = done
    })
    this.#set = false
  }
}

export class SyncSpoke {
  readonly #store: () => Store
  readonly #bus: Bus
  readonly #clock: Clock
  readonly #onError: (err: unknown) => void
  #file: string | undefined
  #config: SpokeConfig | undefined
  #conn: HubConnection | undefined
  /** This run: a random epoch and the feed position it began at (the hub compares them). */
  #run: { epoch: number; startSeq: number } | undefined
  #running = false
  #abort = new AbortController()
  readonly #pushSignal = new Signal()
  readonly #pushLock = new Mutex()
  readonly #pullLock = new Mutex()
  #unsubscribe: (() => void) | undefined
  /** Set while this spoke announces what it pulled (those are no changes of its own to push). */
  #announcing = false
  #helloDone = false
  /** The hub's run the last pull came from. */
  #hubEpoch: number | undefined
  #pushed = 0
  #caughtUp = false
  #lastPushMs: number | null = null
  #lastPullMs: number | null = null
  #lastError: { message: string; refused: boolean } | undefined
  #loops: Promise<void>[] = []
  #offlineCapMs = BACKOFF_CAP_MS.offline

  constructor(deps: {
    store: () => Store
    bus: Bus
    clock: Clock
    onError?: (err: unknown) => void
  }) {
    this.#store = deps.store
    this.#bus = deps.bus
    this.#clock = deps.clock
    this.#onError = deps.onError ?? (() => undefined)
  }

  /**
   * Where pairing is kept (`<config-dir>/sync.json`); without it this daemon cannot join a hub.
   * `retryMaxMs` caps the wait between attempts while the hub is unreachable.
   */
  configure(configDir: string, options: { retryMaxMs?: number | undefined } = {}): void {
    this.#file = path.join(configDir, 'sync.json')
    this.#offlineCapMs = options.retryMaxMs ?? BACKOFF_CAP_MS.offline
  }

  get joined(): boolean {
    return this.#config !== undefined
  }

  /** True when a pairing is kept in the config dir (read before the store opens). */
  static pairedIn(configDir: string): boolean {
    return existsSync(path.join(configDir, 'sync.json'))
  }

  /** Starts syncing if this daemon was paired (once the store is attached). */
  async begin(): Promise<void> {
    this.#run = { epoch: randomInt(2 ** 47), startSeq: await this.#store().changes.last() }
    if (this.#file === undefined || !existsSync(this.#file)) return
    this.#config = JSON.parse(readFileSync(this.#file, 'utf8')) as SpokeConfig
    this.#start()
  }

  #start(): void {
    const config = this.#config as SpokeConfig
    this.#conn = new HubConnection(config.hub, config.fingerprint ?? undefined)
    this.#running = true
    this.#abort = new AbortController()
    this.#helloDone = false
    this.#unsubscribe = this.#bus.subscribe(() => {
      if (!this.#announcing) this.#pushSignal.set()
    })
    this.#pushSignal.set()
    this.#loops = [this.#pushLoop(), this.#pullLoop()]
  }

  /** Stops both loops (a request in flight is abandoned; its cursor has not moved). */
  async stop(): Promise<void> {
    this.#running = false
    this.#abort.abort()
    this.#pushSignal.set()
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    await Promise.allSettled(this.#loops)
    this.#loops = []
    this.#conn?.close()
    this.#conn = undefined
  }

  // Joining and leaving.

  /**
   * Pairs this daemon with a hub: exchanges the code for a token (the hub's certificate checked
   * against `fingerprint` first), keeps the pairing, and starts syncing from the beginning.
   */
  async join(request: {
    url: string
    code: string
    fingerprint?: string | undefined
  }): Promise<SyncStatus> {
    if (this.#file === undefined) {
      throw new ConflictError(
        'sync_unavailable',
        'this daemon keeps no config dir, so it cannot pair',
      )
    }
    if (this.#config) {
      throw new ConflictError(
        'already_paired',
        `this daemon already syncs with ${this.#config.hub}; run daybook sync leave first`,
      )
    }
    const problem = hubUrlProblem(request.url)
    if (problem !== undefined) throw new UnprocessableError('invalid_url', problem, 'url')
    if (request.fingerprint !== undefined && !isFingerprint(request.fingerprint)) {
      throw new UnprocessableError(
        'invalid_fingerprint',
        'a fingerprint looks like SHA256: and 43 letters, digits, + or / (as daybook pair printed it)',
        'fingerprint',
      )
    }
    // Before the hub hands out a token: a store that cannot be a spoke is refused here.
    this.#store().sync.checkSpoke()
    const own = (await this.#store().devices.list()).find((d) => d.own)
    if (!own) throw new Error('this daemon has no device of its own')
    const conn = new HubConnection(request.url, request.fingerprint)
    let joined: {
      token: string
      device: { id: string; name: string; version?: number }
      hub: { id: string; name: string }
    }
    try {
      joined = await conn.request('POST', '/v1/sync/hub/join', {
        body: {
          code: request.code,
          device: { id: own.id, name: own.name },
          protocol: PROTOCOL_VERSION,
        },
      })
    } catch (err) {
      throw asDaybookError(err)
    } finally {
      conn.close()
    }
    this.#config = {
      hub: request.url,
      fingerprint: request.fingerprint ?? null,
      token: joined.token,
      hubDevice: { id: joined.hub.id, name: joined.hub.name },
      device: { id: joined.device.id, name: joined.device.name },
      pairedAt: new Date(this.#clock()).toISOString(),
    }
    // The name the hub gave this device, taken here at once (the hub's own device may share this
    // device's old name: one host name on every machine), as the hub's change it is, of the
    // hub's version: this daemon's clock moves past it, so a rename made here later wins even
    // when the hub's clock runs ahead and the hub is out of reach before the first pull. (Taken
    // as a rename of this daemon's own, it lost to the hub's older one then, on every daemon.)
    const named = await this.#store().sync.apply(
      {
        devices: { [joined.hub.id]: joined.hub.name },
        changes: [
          {
            kind: 'device',
            op: 'upsert',
            id: own.id,
            name: joined.device.name,
            version: joined.device.version ?? 0,
          },
        ],
      },
      joined.hub.id,
      { pulled: { seq: 0, epoch: 0 } },
      this.#clock(),
    )
    this.#bus.publish({ type: 'changes', changes: named.changes })
    const now = (await this.#store().devices.list()).find((d) => d.own)
    if (now && now.name !== joined.device.name) {
      // A rename made here before pairing, of a later version (this machine's clock ahead of
      // the hub's), kept its name: the pairing's name is the later wish, so it is made here now.
      try {
        const { changes } = await this.#store().devices.rename(own.id, joined.device.name)
        this.#bus.publish({ type: 'changes', changes })
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err
        // Another device here has that name: the hub's rename arrives with the first pull.
      }
    }
    // A fresh start against this hub: everything of this device is pushed, everything pulled.
    await this.#store().sync.resetCursors()
    this.#pushed = 0
    this.#lastPushMs = null
    this.#lastPullMs = null
    this.#lastError = undefined
    this.#caughtUp = false
    writeFileAtomic(this.#file, `${JSON.stringify(this.#config, null, 2)}\n`)
    this.#start()
    return this.status()
  }

  /**
   * Stops syncing: the token is revoked on the hub when it is reachable, the pairing forgotten
   * here; every row stays.
   */
  async leave(): Promise<{ left: boolean; hubReached: boolean }> {
    const config = this.#config
    if (!config) throw new ConflictError('not_paired', 'this daemon does not sync with a hub')
    await this.stop()
    let hubReached = true
    const conn = new HubConnection(config.hub, config.fingerprint ?? undefined)
    try {
      await conn.request('POST', '/v1/sync/hub/leave', { token: config.token, timeoutMs: 10_000 })
    } catch (err) {
      // Already revoked there: left all the same.
      hubReached = err instanceof HubRefusedError && err.status === 401
    } finally {
      conn.close()
    }
    if (this.#file !== undefined) rmSync(this.#file, { force: true })
    this.#config = undefined
    await this.#store().sync.resetCursors()
    return { left: true, hubReached }
  }

  // Status.

  async status(): Promise<SyncStatus> {
    const cursors = await this.#store().sync.cursors()
    const config = this.#config
    if (!config) {
      return {
        role: 'none',
        hub: null,
        state: 'unpaired',
        pushedSeq: 0,
        pulledSeq: 0,
        pending: 0,
        lastPushAt: null,
        lastPullAt: null,
        lastError: null,
      }
    }
    const pending = await this.#store().sync.pending(cursors.pushedSeq)
    const error = this.#lastError
    const state: SyncState = error
      ? error.refused
        ? 'refused'
        : 'offline'
      : pending > 0 || !this.#caughtUp
        ? 'syncing'
        : 'synced'
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
    return {
      role: 'spoke',
      hub: config.hub,
      state,
      pushedSeq: cursors.pushedSeq,
      pulledSeq: cursors.pulledSeq,
      pending,
      lastPushAt: iso(this.#lastPushMs),
      lastPullAt: iso(this.#lastPullMs),
      lastError: error?.message ?? null,
    }
  }

  /** Syncs now: pushes everything pending and pulls until caught up; resolves to the status. */
  async now(): Promise<SyncStatus> {
    if (!this.#config) throw new ConflictError('not_paired', 'this daemon does not sync with a hub')
    try {
      // Both ways at once: the hub applies this device's changes while this one applies others'.
      await Promise.all([
        this.#pushRound(),
        (async () => {
          for (let i = 0; i < 100_000; i++) {
            await this.#pullRound(0)
            if (this.#caughtUp) break
          }
        })(),
      ])
      this.#succeeded()
    } catch (err) {
      this.#failed(err)
    }
    return this.status()
  }

  // The loops.

  async #pushLoop(): Promise<void> {
    let failures = 0
    while (this.#running) {
      await this.#pushSignal.wait(30_000)
      if (!this.#running) break
      try {
        await this.#pushRound()
        failures = 0
        this.#succeeded()
      } catch (err) {
        if (!this.#running) break
        this.#failed(err)
        await this.#backoff(failures++)
        this.#pushSignal.set()
      }
    }
  }

  async #pullLoop(): Promise<void> {
    let failures = 0
    while (this.#running) {
      try {
        await this.#pullRound(PULL_WAIT_MS)
        failures = 0
        this.#succeeded()
      } catch (err) {
        if (!this.#running) break
        this.#failed(err)
        await this.#backoff(failures++)
      }
    }
  }

  async #backoff(failures: number): Promise<void> {
    const cap = this.#lastError?.refused ? BACKOFF_CAP_MS.refused : this.#offlineCapMs
    const ms = Math.min(cap, 250 * 2 ** failures) * (0.5 + Math.random() / 2)
    await sleep(ms, undefined, { signal: this.#abort.signal }).catch(() => undefined)
  }

  #succeeded(): void {
    this.#lastError = undefined
  }

  #failed(err: unknown): void {
    this.#helloDone = false
    if (err instanceof HubUnreachableError) {
      this.#lastError = { message: err.message, refused: false }
    } else if (err instanceof FingerprintMismatchError) {
      this.#lastError = { message: err.message, refused: true }
    } else if (err instanceof HubRefusedError) {
      this.#lastError = {
        message: `the hub refused: ${err.message} (${err.status} ${err.code})`,
        refused: true,
      }
    } else if ((err as Error).name === 'AbortError') {
      return
    } else {
      this.#lastError = { message: (err as Error).message, refused: false }
      this.#onError(err)
    }
  }

  #connection(): { conn: HubConnection; config: SpokeConfig } {
    if (!this.#conn || !this.#config) throw new Error('not syncing')
    return { conn: this.#conn, config: this.#config }
  }

  /** Where pushes continue, as the hub says (its restored database may hold less than we think). */
  async #hello(): Promise<void> {
    const { conn, config } = this.#connection()
    const run = this.#run as { epoch: number; startSeq: number }
    const hello = await conn.request<{ pushedSeq: number }>('GET', '/v1/sync/hub/hello', {
      token: config.token,
      query: { protocol: PROTOCOL_VERSION, epoch: run.epoch, startSeq: run.startSeq },
      signal: this.#abort.signal,
    })
    this.#pushed = hello.pushedSeq
    await this.#store().sync.setPushed(this.#pushed)
    this.#helloDone = true
  }

  /** Pushes every change of this daemon the hub has not acknowledged. */
  #pushRound(): Promise<void> {
    return this.#pushLock.run(async () => {
      const store = this.#store()
      for (;;) {
        if (!this.#helloDone) await this.#hello()
        const { conn, config } = this.#connection()
        const page = await store.sync.changes(this.#pushed, PUSH_BATCH, { only: 'local' })
        // Nothing of ours: only move the cursor past others' changes now and then.
        if (page.changes.length === 0 && page.next - this.#pushed < 1_000) break
        try {
          const answer = await conn.request<{ pushedSeq: number }>('POST', '/v1/sync/hub/push', {
            token: config.token,
            body: {
              from: this.#pushed,
              to: page.next,
              epoch: (this.#run as { epoch: number }).epoch,
              batch: { devices: page.devices, changes: page.changes } satisfies SyncBatch,
            },
            timeoutMs: 120_000,
            signal: this.#abort.signal,
          })
          this.#pushed = answer.pushedSeq
        } catch (err) {
          // The hub holds less than we thought (restored from an older copy): from where it is.
          if (err instanceof HubRefusedError && err.code === 'cursor_ahead') {
            this.#helloDone = false
            continue
          }
          throw err
        }
        await store.sync.setPushed(this.#pushed)
        this.#lastPushMs = this.#clock()
        if (page.next >= page.last) break
      }
      this.#lastPushMs ??= this.#clock()
    })
  }

  /** Pulls one page (waiting up to `waitMs` for one) and applies it with its cursor. */
  #pullRound(waitMs: number): Promise<void> {
    return this.#pullLock.run(async () => {
      const { conn, config } = this.#connection()
      const store = this.#store()
      const cursors = await store.sync.cursors()
      const page = await conn.request<SyncPage & { epoch: number; startSeq: number }>(
        'GET',
        '/v1/sync/hub/pull',
        {
          token: config.token,
          query: {
            after: cursors.pulledSeq,
            ...(cursors.pulledEpoch === null ? {} : { epoch: cursors.pulledEpoch }),
            limit: PULL_BATCH,
            wait: waitMs,
          },
          timeoutMs: waitMs + 60_000,
          signal: this.#abort.signal,
        },
      )
      page.changes.forEach((c, i) => checkSyncChange(c, `the hub's change ${i}`))
      if (this.#hubEpoch !== page.epoch) {
        // A new run of the hub (restarted, perhaps from an older copy): ask it again where this
        // device's pushes continue, and push what it lacks.
        this.#hubEpoch = page.epoch
        this.#helloDone = false
        this.#pushSignal.set()
      }
      if (
        page.changes.length > 0 ||
        page.next !== cursors.pulledSeq ||
        page.epoch !== cursors.pulledEpoch
      ) {
        const { changes } = await store.sync.apply(
          { devices: page.devices, changes: page.changes },
          config.hubDevice.id,
          { pulled: { seq: page.next, epoch: page.epoch } },
          this.#clock(),
        )
        this.#announcing = true
        try {
          this.#bus.publish({ type: 'changes', changes })
        } finally {
          this.#announcing = false
        }
      }
      this.#caughtUp = page.next >= page.last
      this.#lastPullMs = this.#clock()
    })
  }
}

/** A hub's refusal (or absence) as this daemon's own typed error, with the hub's code and words. */
function asDaybookError(err: unknown): Error {
  if (err instanceof FingerprintMismatchError) {
    return new BadGatewayError('fingerprint_mismatch', err.message)
  }
  if (err instanceof HubUnreachableError) return new BadGatewayError('hub_unreachable', err.message)
  if (err instanceof HubRefusedError) {
    const Class =
      err.status === 400
        ? BadRequestError
        : err.status === 401
          ? UnauthorizedError
          : err.status === 403
            ? ForbiddenError
            : err.status === 404
              ? NotFoundError
              : err.status === 409
                ? ConflictError
                : err.status === 410
                  ? GoneError
                  : UnprocessableError
    return new Class(err.code, `the hub refused: ${err.message}`)
  }
  return err instanceof DaybookError ? err : (err as Error)
}
