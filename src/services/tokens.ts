/**
 * Scoped API tokens (skill-daemon's API): created, listed, revoked and deleted by an admin, checked on every
 * request. The secret is shown once at creation; the store keeps only a salted SHA-256 of it.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../domain/clock.ts'
import { ConflictError } from '../domain/errors.ts'
import { newSecret } from '../auth/default-token.ts'
import type { Store, TokenRow } from '../store/ports.ts'
import type { Authenticator, Principal, Scope } from '../domain/access.ts'

/** How long a new token lives, as the wire names it (`day` is ours; skill-daemon starts at `week`). */
export const EXPIRIES = ['day', 'week', 'month', 'quarter', 'never'] as const
export type Expiry = (typeof EXPIRIES)[number]

const DAY_SEC = 86_400
const EXPIRY_DAYS: Record<Expiry, number | null> = {
  day: 1,
  week: 7,
  month: 30,
  quarter: 90,
  never: null,
}

/** Most tokens that may be active (not revoked, not expired) at once, as in skill-daemon. */
const MAX_ACTIVE_TOKENS = 50

/** The default token's id in principals; no stored token can have it (ids are hex). */
export const DEFAULT_TOKEN_ID = 'default'

/**
 * How often, at most, a token's `last_used_at` is written. Writing it on every request would turn
 * every read into a database write; a minute's precision is plenty for "when was this used".
 */
const TOUCH_INTERVAL_SEC = 60

const SECRET_RE = /^sk-[A-Za-z0-9_-]{43}$/

/**
 * The key format `wakatime-cli` insists on (it refuses to run with any other): a lowercase UUIDv4,
 * optionally prefixed `waka_`. Daybook issues the bare UUID; the prefix is accepted and ignored.
 */
export const WAKATIME_KEY_RE =
  /^(waka_)?[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/

/** Formats a token can be issued in: Daybook's `sk-…`, or a WakaTime key (a UUIDv4). */
export const TOKEN_FORMATS = ['daybook', 'wakatime'] as const
export type TokenFormat = (typeof TOKEN_FORMATS)[number]

/** A fresh scoped secret: `sk-` + base64url of 32 random bytes. */
function newTokenSecret(): string {
  return `sk-${newSecret()}`
}

/** `sk-abc…wxyz`: the first 6 and last 4 characters (U+2026 between), as in skill-daemon. */
export function tokenPreview(secret: string): string {
  return `${secret.slice(0, 6)}…${secret.slice(-4)}`
}

function hashSecret(salt: string, secret: string): Buffer {
  return createHash('sha256').update(salt).update(secret).digest()
}

/** Unix seconds at which a token created at `nowSec` with `expiry` expires, or null for never. */
export function expiresAt(expiry: Expiry, nowSec: number): number | null {
  const days = EXPIRY_DAYS[expiry]
  return days === null ? null : nowSec + days * DAY_SEC
}

/** A token as the API shows it: everything but the secret, its hash and its salt. */
export type TokenInfo = Omit<TokenRow, 'tokenHash' | 'tokenSalt'> & { format: TokenFormat }

/** A token just created: its info, and the secret, which is never available again. */
export interface CreatedToken {
  info: TokenInfo
  secret: string
}

interface LiveToken {
  row: TokenRow
  hash: Buffer
  /** `last_used_at` as last written to the store. */
  writtenUse: number | null
}

/**
 * Checks scoped tokens and manages them. Tokens that are not revoked are cached in memory, loaded
 * from the store on first use; every change made here updates the cache as it writes the store, so
 * a revocation or deletion takes effect on the very next request.
 *
 * Why a version read before trusting the cache: several daemon processes may share one database
 * (a team server behind a load balancer), and a token made or revoked through one of them must
 * hold on the others from their next request, not their next restart. The store's tokens'
 * version (`TokenStore.version`, moved in the same transaction as every change) is one row by key;
 * the list is read again only when it moved. Not LISTEN/NOTIFY (a notice sent while a connection
 * was down is lost) nor a timer (a window in which a revoked token still passes).
 */
export class TokenAuthenticator implements Authenticator {
  readonly #store: () => Store
  readonly #clock: Clock
  #live: Promise<Map<string, LiveToken>> | undefined
  /** The store's tokens' version the cache matches (read before its list). */
  #version: number | undefined
  /** The version check callers arriving now will share: queued, not yet started. */
  #nextCheck: Promise<Map<string, LiveToken>> | undefined
  #checks: Promise<unknown> = Promise.resolve()

  /** `store` is a getter: the store is attached after migrations, and throws (503) until then. */
  constructor(options: { store: () => Store; clock: Clock }) {
    this.#store = options.store
    this.#clock = options.clock
  }

  #nowSec(): number {
    return Math.floor(this.#clock() / 1000)
  }

  /**
   * The cache, loaded once (and again when the version moved). Every mutation awaits it first, so
   * a load cannot resolve with a snapshot taken before a revocation and then resurrect the revoked
   * token: should it, its version is older than the store's and the next check loads again.
   */
  #tokens(): Promise<Map<string, LiveToken>> {
    if (!this.#live) {
      const loading = this.#load()
      this.#live = loading
      // A failed load is retried on the next request rather than remembered.
      void loading.catch(() => {
        if (this.#live === loading) this.#live = undefined
      })
    }
    return this.#live
  }

  async #load(): Promise<Map<string, LiveToken>> {
    const store = this.#store()
    // The version before the list: a change between the two shows as a newer version next time.
    const version = await store.tokens.version()
    const rows = await store.tokens.list()
    this.#version = version
    return new Map(
      rows
        .filter((r) => !r.revoked)
        .map((r) => [
          r.id,
          { row: r, hash: Buffer.from(r.tokenHash, 'hex'), writtenUse: r.lastUsedAt },
        ]),
    )
  }

  /**
   * The cache as the store's tokens are now: one read of their version, started after this call
   * (callers meanwhile share it), and the list again only when the version moved.
   */
  #current(): Promise<Map<string, LiveToken>> {
    this.#nextCheck ??= (async () => {
      await this.#checks.catch(() => undefined)
      this.#nextCheck = undefined
      const tokens = await this.#tokens()
      if ((await this.#store().tokens.version()) === this.#version) return tokens
      this.#live = undefined
      return this.#tokens()
    })()
    this.#checks = this.#nextCheck
    return this.#nextCheck
  }

  /** The cached token whose secret is `secret`. */
  #find(tokens: Map<string, LiveToken>, secret: string): LiveToken | undefined {
    for (const live of tokens.values()) {
      if (timingSafeEqual(hashSecret(live.row.tokenSalt, secret), live.hash)) return live
    }
    return undefined
  }

  /** The principal of a live token, checked against the store's current tokens. */
  authenticate(presented: string): Promise<Principal | undefined> {
    return this.#authenticate(presented, true)
  }

  /**
   * The principal of a live token this cache holds, checked against the store's current tokens;
   * undefined, without reading the store, for a secret the cache does not hold (then only a token
   * made through another daemon since could match: `authenticate` finds those). For looking a
   * token up in many diaries at the cost of one read.
   */
  authenticateHeld(presented: string): Promise<Principal | undefined> {
    return this.#authenticate(presented, false)
  }

  async #authenticate(presented: string, onMiss: boolean): Promise<Principal | undefined> {
    // Not shaped like a scoped secret: nothing to hash (the format itself is no secret).
    let secret = presented
    if (WAKATIME_KEY_RE.test(presented)) secret = presented.replace(/^waka_/, '')
    else if (!SECRET_RE.test(presented)) return undefined
    const cached = await this.#tokens()
    let live = this.#find(cached, secret)
    if (live === undefined && !onMiss) return undefined
    const tokens = await this.#current()
    if (tokens !== cached) live = this.#find(tokens, secret)
    if (live === undefined) return undefined
    const { row } = live
    const now = this.#nowSec()
    if (row.expiresAt !== null && now >= row.expiresAt) return undefined
    row.lastUsedAt = now
    if (live.writtenUse === null || now - live.writtenUse >= TOUCH_INTERVAL_SEC) {
      live.writtenUse = now
      // Bookkeeping only: a failed write must not refuse a valid token; it is retried later.
      await this.#store()
        .tokens.touch(row.id, now)
        .catch(() => (live.writtenUse = null))
    }
    return { tokenId: row.id, scope: row.acl }
  }

  /**
   * Creates a token; throws `ConflictError` (409) when `MAX_ACTIVE_TOKENS` are active. `expiry`
   * is a wire name, or a lifetime in seconds (dashboard sessions).
   */
  async create(input: {
    name: string
    acl: Scope
    expiry: Expiry | { seconds: number }
    format?: TokenFormat | undefined
  }): Promise<CreatedToken> {
    const tokens = await this.#tokens()
    const now = this.#nowSec()
    // A WakaTime key has 122 random bits, as a UUIDv4 must: plenty against guessing, and the
    // failed-authentication limit applies to it as to every token.
    const secret = input.format === 'wakatime' ? randomUUID() : newTokenSecret()
    const salt = randomBytes(16).toString('base64url')
    const hash = hashSecret(salt, secret)
    const row: TokenRow = {
      id: randomBytes(8).toString('hex'),
      name: input.name,
      tokenHash: hash.toString('hex'),
      tokenSalt: salt,
      tokenPreview: tokenPreview(secret),
      acl: input.acl,
      createdAt: now,
      expiresAt:
        typeof input.expiry === 'object'
          ? now + input.expiry.seconds
          : expiresAt(input.expiry, now),
      lastUsedAt: null,
      revoked: false,
    }
    if (!(await this.#store().tokens.insert(row, MAX_ACTIVE_TOKENS, now))) {
      throw new ConflictError(
        'token_limit',
        `maximum active token count reached (${MAX_ACTIVE_TOKENS}); revoke or delete one first`,
      )
    }
    tokens.set(row.id, { row, hash, writtenUse: null })
    return { info: info(row), secret }
  }

  /** Every stored token, oldest first, with the freshest `last_used_at` known. */
  async list(): Promise<TokenInfo[]> {
    const tokens = await this.#tokens()
    return (await this.#store().tokens.list()).map((row) => {
      const live = tokens.get(row.id)
      return info(live ? { ...row, lastUsedAt: live.row.lastUsedAt } : row)
    })
  }

  /** Revokes a token: it stops working at once and stays listed. False when unknown. */
  async revoke(id: string): Promise<boolean> {
    const tokens = await this.#tokens()
    // Out of the cache before the store is written: should the write fail, the token is still
    // refused for the rest of this run (fail closed).
    tokens.delete(id)
    return this.#store().tokens.revoke(id)
  }

  /** Deletes a token: it stops working at once and is no longer listed. False when unknown. */
  async delete(id: string): Promise<boolean> {
    const tokens = await this.#tokens()
    tokens.delete(id)
    return this.#store().tokens.delete(id)
  }
}

function info(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    // The preview shows the format (`sk-abc…wxyz` or `8f1c2b…1d2e`): no column is needed for it.
    format: row.tokenPreview.startsWith('sk-') ? 'daybook' : 'wakatime',
    name: row.name,
    tokenPreview: row.tokenPreview,
    acl: row.acl,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revoked: row.revoked,
  }
}
