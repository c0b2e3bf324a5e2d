/**
 * The hub's side of sync: pairing codes, paired devices and their tokens (scope `sync`, bound to
 * a device), and the three things a paired device does: say hello (where its pushes continue),
 * push its own changes, pull everyone else's (waiting for the next commit when there is nothing
 * new, so a change reaches the other devices as soon as the hub has it).
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto'
import type { Authenticator, Principal } from '../../domain/access.ts'
import type { Clock } from '../../domain/clock.ts'
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  UnauthorizedError,
  UnprocessableError,
} from '../../domain/errors.ts'
import { EARLIEST_MS } from '../../domain/events.ts'
import {
  type SyncBatch,
  checkSyncChange,
  formatPairingCode,
  parsePairingCode,
  recordedDevices,
} from '../../domain/sync.ts'
import type { Store, SyncClientRow, SyncPage } from '../../store/ports.ts'
import type { Bus } from '../bus.ts'
import { PROTOCOL_VERSION as SYNC_PROTOCOL, protocolMismatch } from '../../domain/protocol.ts'

/** How a hub is reached, as `daybook pair` prints it. */
export interface HubIdentity {
  /** The URL devices reach this hub at. */
  url: string
  /** Its certificate's fingerprint; undefined behind a TLS proxy (the proxy's certificate is checked the usual way). */
  fingerprint: string | undefined
}

/** A pairing code as `daybook pair` shows it. */
export interface PairingCode {
  url: string
  code: string
  fingerprint: string | null
  expiresAt: string
  /** The one command to run on the new device. */
  command: string
}

/** Bounds of a code's lifetime. */
export const CODE_LIFETIME = { defaultMs: 10 * 60_000, minMs: 60_000, maxMs: 7 * 86_400_000 }

/** Most changes a push may carry. */
export const MAX_PUSH_CHANGES = 10_000

const TOKEN_PREFIX = 'dbs_'

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** A paired device's token as the hub keeps it in memory (only its hash). */
interface LiveClient {
  row: SyncClientRow
  /** When its last use was written (epoch ms). */
  touched: number
  /** When it was last used (epoch ms; written at most once a minute, as `touched`). */
  seen: number
  /**
   * How far the device has read the hub's changes: the position its latest pull in this run of
   * the hub started after. Only in memory: a device pulls again as soon as the hub is back.
   */
  pulledSeq?: number
}

/** A paired device as `GET /v1/sync/clients` shows it. */
export interface SyncClientView extends SyncClientRow {
  /** How far it has read the hub's changes in this run of the hub; null before its first pull. */
  pulledSeq: number | null
  /** The hub's latest feed position: `lastSeq - pulledSeq` changes are not yet read. */
  lastSeq: number
}

export class SyncHub implements Authenticator {
  readonly #store: () => Store
  readonly #bus: Bus
  readonly #clock: Clock
  #identity: HubIdentity | undefined
  #live: Promise<Map<string, LiveClient>> | undefined
  /** This run of the hub: an epoch and the feed position it started at (see `begin`). */
  #run: { epoch: number; startSeq: number } | undefined
  /** Pulls waiting for the next commit. */
  readonly #waiting = new Set<() => void>()

  constructor(deps: { store: () => Store; bus: Bus; clock: Clock }) {
    this.#store = deps.store
    this.#bus = deps.bus
    this.#clock = deps.clock
    this.#bus.subscribe(() => this.#wake())
  }

  /** Makes this daemon a hub reached as `identity`. */
  enable(identity: HubIdentity): void {
    this.#identity = identity
  }

  get enabled(): boolean {
    return this.#identity !== undefined
  }

  get identity(): HubIdentity | undefined {
    return this.#identity
  }

  /**
   * Starts a run: called once the store is attached, before anything is written. A device that
   * pulled in an earlier run continues from no later than where this one began: if the database
   * was restored from an older copy, positions after it were handed out again and must be read
   * again (see `pull`).
   */
  async begin(): Promise<void> {
    if (!this.enabled) return
    this.#run = { epoch: randomInt(2 ** 47), startSeq: await this.#store().changes.last() }
  }

  #requireHub(): HubIdentity {
    if (!this.#identity) {
      throw new NotFoundError(
        'not_a_hub',
        'this daemon is not a hub (start one with daybook serve --hub)',
      )
    }
    return this.#identity
  }

  #wake(): void {
    for (const wake of this.#waiting) wake()
  }

  // Tokens.

  #clients(): Promise<Map<string, LiveClient>> {
    if (!this.#live) {
      const loading = this.#store()
        .sync.clients()
        .then(
          (rows) =>
            new Map(
              rows
                .filter((r) => !r.revoked)
                .map((r) => [r.tokenHash, { row: r, touched: 0, seen: r.lastSeenMs ?? 0 }]),
            ),
        )
      this.#live = loading
      void loading.catch(() => {
        if (this.#live === loading) this.#live = undefined
      })
    }
    return this.#live
  }

  async authenticate(secret: string): Promise<Principal | undefined> {
    if (!secret.startsWith(TOKEN_PREFIX) || !this.enabled) return undefined
    // The secret is 256 random bits: its plain SHA-256 is as good as a salted one, and a lookup.
    const live = (await this.#clients()).get(sha256(secret).toString('hex'))
    if (!live) return undefined
    const now = this.#clock()
    live.seen = now
    if (now - live.touched >= 60_000) {
      live.touched = now
      live.row.lastSeenMs = now
      await this.#store()
        .sync.touch(live.row.id, now)
        .catch(() => (live.touched = 0))
    }
    return { tokenId: live.row.id, scope: 'sync', device: live.row.deviceId }
  }

  /** The paired device behind a request; 403 for a token bound to none (the admin token). */
  async #client(principal: Principal | undefined): Promise<SyncClientRow> {
    return (await this.#liveClient(principal)).row
  }

  async #liveClient(principal: Principal | undefined): Promise<LiveClient> {
    this.#requireHub()
    if (principal?.device === undefined) {
      throw new ForbiddenError(
        'not_a_device',
        'sync routes take the token a device got by pairing (daybook sync join)',
      )
    }
    for (const live of (await this.#clients()).values()) {
      if (live.row.id === principal.tokenId) return live
    }
    throw new UnauthorizedError('unauthorized', 'this device is no longer paired')
  }

  // Pairing.

  /** A new pairing code (`daybook pair`): single use, expiring after `lifetimeMs`. */
  async createCode(options: {
    name?: string | undefined
    lifetimeMs?: number | undefined
  }): Promise<PairingCode> {
    const identity = this.#requireHub()
    const lifetime = options.lifetimeMs ?? CODE_LIFETIME.defaultMs
    if (!(lifetime >= CODE_LIFETIME.minMs && lifetime <= CODE_LIFETIME.maxMs)) {
      throw new UnprocessableError(
        'invalid_expiry',
        'a pairing code lives from 1 minute to 7 days',
        'expires',
      )
    }
    const code = formatPairingCode(randomBytes(10))
    const now = this.#clock()
    await this.#store().sync.createCode({
      hash: sha256(code),
      name: options.name ?? null,
      nowMs: now,
      expiresMs: now + lifetime,
    })
    const fingerprint = identity.fingerprint ?? null
    return {
      url: identity.url,
      code,
      fingerprint,
      expiresAt: new Date(now + lifetime).toISOString(),
      command: `daybook sync join ${identity.url} ${code}${fingerprint === null ? '' : ` --fingerprint ${fingerprint}`}`,
    }
  }

  /** A device exchanges a code for its token (see `POST /v1/sync/hub/join`). */
  async join(request: {
    code: string
    device: { id: string; name: string }
    protocol: number
  }): Promise<{
    token: string
    device: { id: string; name: string; version: number }
    hub: { id: string; name: string }
    protocol: number
  }> {
    this.#requireHub()
    if (request.protocol !== SYNC_PROTOCOL) throw protocolMismatch(request.protocol)
    const code = parsePairingCode(request.code)
    if (code === undefined) {
      throw new BadRequestError(
        'invalid_code',
        'that is not a pairing code (16 letters and digits, as daybook pair printed it)',
        'code',
      )
    }
    const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
    const result = await this.#store().sync.pair({
      codeHash: sha256(code),
      device: request.device,
      client: {
        id: randomUUID(),
        tokenHash: sha256(secret).toString('hex'),
        tokenPreview: `${secret.slice(0, 8)}…${secret.slice(-4)}`,
      },
      nowMs: this.#clock(),
    })
    if (!result.ok) {
      switch (result.reason) {
        case 'unknown':
          throw new BadRequestError('unknown_code', 'no such pairing code on this hub', 'code')
        case 'used':
          throw new GoneError(
            'code_used',
            'this pairing code was used already; make a new one with daybook pair',
            'code',
          )
        case 'expired':
          throw new GoneError(
            'code_expired',
            'this pairing code has expired; make a new one with daybook pair',
            'code',
          )
        case 'name_taken':
          throw new ConflictError(
            'device_name_taken',
            `another device on the hub is named ${JSON.stringify(result.name)}; make a code with daybook pair --name OTHER (this code stays valid)`,
            'device/name',
          )
      }
    }
    const clients = await this.#clients()
    for (const [hash, live] of clients) {
      if (live.row.deviceId === request.device.id) clients.delete(hash)
    }
    clients.set(result.client.tokenHash, { row: result.client, touched: 0, seen: 0 })
    this.#bus.publish({ type: 'changes', changes: result.changes })
    return {
      token: secret,
      device: { id: result.client.deviceId, name: result.client.name, version: result.version },
      hub: await this.#ownDevice(),
      protocol: SYNC_PROTOCOL,
    }
  }

  async #ownDevice(): Promise<{ id: string; name: string }> {
    const own = (await this.#store().devices.list()).find((d) => d.own)
    if (!own) throw new Error('the hub has no device of its own')
    return { id: own.id, name: own.name }
  }

  /**
   * Paired devices, revoked ones included (`GET /v1/sync/clients`): last seen as of their latest
   * request, and how far each has read the hub's changes.
   */
  async clients(): Promise<SyncClientView[]> {
    this.#requireHub()
    const rows = await this.#store().sync.clients()
    const lastSeq = await this.#store().changes.last()
    const live = await this.#clients()
    return rows.map((r) => {
      const l = live.get(r.tokenHash)
      const seen = Math.max(r.lastSeenMs ?? 0, l?.seen ?? 0)
      return {
        ...r,
        lastSeenMs: seen === 0 ? null : seen,
        pulledSeq: l?.pulledSeq ?? null,
        lastSeq,
      }
    })
  }

  /**
   * Revokes a paired device's token (at once: its waiting pulls end with 401). Its data stays,
   * unless `purge`: then its events, AFK periods and screenshots' index rows are deleted, as any
   * deletion (tombstones every device applies). Its input counts stay: the sync protocol has no
   * deletion of counts, and the hub alone dropping them would make its totals differ from every
   * other device's.
   */
  async revoke(id: string, purge: boolean): Promise<{ revoked: boolean; purged: number }> {
    this.#requireHub()
    const store = this.#store()
    const row = (await store.sync.clients()).find((r) => r.id === id)
    if (!row || !(await store.sync.revoke(id))) {
      throw new NotFoundError('client_not_found', `no paired device with id ${id}`, 'id')
    }
    const clients = await this.#clients()
    clients.delete(row.tokenHash)
    this.#wake()
    let purged = 0
    if (purge) {
      const device = (await store.devices.list()).find((d) => d.id === row.deviceId)
      if (device) {
        const events = await store.events.delete({ devices: [device.name] })
        const afk = await store.afk.delete({
          startMs: EARLIEST_MS,
          endMs: Number.MAX_SAFE_INTEGER,
          devices: [device.name],
        })
        // Its frames' index rows too (the images are on the device; the tombstones reach every
        // other device, which deletes its copy of the row).
        const frames = await store.screenshots.purge({}, [device.name])
        this.#bus.publish({ type: 'changes', changes: [...events.changes, ...afk.changes] })
        purged = events.deleted + afk.deleted + frames.length
      }
    }
    return { revoked: true, purged }
  }

  /** A device leaves: its own token is revoked. */
  async leave(principal: Principal | undefined): Promise<void> {
    const client = await this.#client(principal)
    await this.revoke(client.id, false)
  }

  // Sync.

  #currentRun(): { epoch: number; startSeq: number } {
    if (!this.#run) throw new Error('the hub was not begun')
    return this.#run
  }

  /**
   * A device says hello: the protocol is checked, and the hub answers where its pushes continue
   * (the device's `epoch` is its own run, `startSeq` where that run began; see `pushedFor`).
   */
  async hello(
    principal: Principal | undefined,
    device: { protocol: number; epoch: number; startSeq: number },
  ): Promise<{
    protocol: number
    hub: { id: string; name: string }
    device: { id: string; name: string }
    pushedSeq: number
    epoch: number
    startSeq: number
  }> {
    const client = await this.#client(principal)
    if (device.protocol !== SYNC_PROTOCOL) throw protocolMismatch(device.protocol)
    const run = this.#currentRun()
    return {
      protocol: SYNC_PROTOCOL,
      hub: await this.#ownDevice(),
      device: { id: client.deviceId, name: client.name },
      pushedSeq: await this.#store().sync.pushedFor(client.id, device.epoch, device.startSeq),
      epoch: run.epoch,
      startSeq: run.startSeq,
    }
  }

  /**
   * A device pushes its own changes from `from` to `to` (positions in its feed). Every change is
   * checked first (422 naming it; nothing of the batch is stored); recorded data of another
   * paired device, or of the hub's own, is refused (403). The changes and the new cursor commit
   * in one transaction; the answer comes after that commit.
   */
  async push(
    principal: Principal | undefined,
    push: { from: number; to: number; epoch: number; batch: SyncBatch },
  ): Promise<{ pushedSeq: number; applied: number }> {
    const client = await this.#client(principal)
    const { batch } = push
    if (batch.changes.length > MAX_PUSH_CHANGES) {
      throw new UnprocessableError(
        'batch_too_large',
        `a push carries at most ${MAX_PUSH_CHANGES} changes`,
        'batch/changes',
      )
    }
    if (push.to < push.from) {
      throw new UnprocessableError('invalid_cursor', '`to` is before `from`', 'to')
    }
    batch.changes.forEach((c, i) => checkSyncChange(c, `batch/changes/${i}`))
    const store = this.#store()
    const others = new Set((await store.sync.clients()).map((r) => r.deviceId))
    others.delete(client.deviceId)
    others.add((await this.#ownDevice()).id)
    const foreign = [...recordedDevices(batch.changes)].find((d) => others.has(d))
    if (foreign !== undefined) {
      const index = batch.changes.findIndex(
        (c) => c.op === 'upsert' && 'device' in c && c.device === foreign,
      )
      throw new ForbiddenError(
        'foreign_device',
        `batch/changes/${index}: a device pushes its own data only; this is device ${foreign}'s`,
        `batch/changes/${index}`,
      )
    }
    const stored = (await store.sync.clients()).find((r) => r.id === client.id)
    if (stored && push.from > stored.pushedSeq) {
      throw new ConflictError(
        'cursor_ahead',
        `the hub holds this device's changes up to ${stored.pushedSeq}, not ${push.from}: push from there`,
        'from',
      )
    }
    const { applied, changes } = await store.sync.apply(
      batch,
      client.deviceId,
      { pushed: { client: client.id, seq: push.to, epoch: push.epoch } },
      this.#clock(),
    )
    this.#bus.publish({ type: 'changes', changes })
    // Screenshots' rows make no feed entries (so no message above): waiting pulls wake anyway.
    if (applied > 0) this.#wake()
    return { pushedSeq: push.to, applied }
  }

  /**
   * Changes after `after` for a device: every change the hub holds but those the device sent in
   * that state. A device that pulled in another run of the hub (`epoch`) continues from no later
   * than where this run began (see `begin`). When there is nothing new, the answer waits up to
   * `waitMs` for the next commit.
   */
  async pull(
    principal: Principal | undefined,
    request: { after: number; epoch: number | null; limit: number; waitMs: number },
    signal?: AbortSignal,
  ): Promise<SyncPage & { epoch: number; startSeq: number; after: number }> {
    const live = await this.#liveClient(principal)
    const client = live.row
    const run = this.#currentRun()
    let after = request.epoch === run.epoch ? request.after : Math.min(request.after, run.startSeq)
    // The device stored everything up to `after` (its cursor commits with what it covers).
    live.pulledSeq = after
    const deadline = this.#clock() + request.waitMs
    const own = await this.#ownDevice()
    for (;;) {
      const page = await this.#store().sync.changes(after, request.limit, {
        except: client.deviceId,
      })
      if (page.last < after) {
        // Only a database older than the device's cursor: read it all again.
        after = 0
        live.pulledSeq = 0
        continue
      }
      const remaining = deadline - this.#clock()
      if (page.changes.length > 0 || page.next > after || remaining <= 0 || signal?.aborted) {
        return {
          ...page,
          devices: { ...page.devices, [own.id]: own.name },
          epoch: run.epoch,
          startSeq: run.startSeq,
          after,
        }
      }
      await this.#nextCommit(remaining, signal)
      // Revoked while waiting: its token stops working at once.
      await this.#client(principal)
    }
  }

  #nextCommit(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#waiting.delete(done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.#waiting.add(done)
      signal?.addEventListener('abort', done)
    })
  }
}
