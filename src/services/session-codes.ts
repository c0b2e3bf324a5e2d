/**
 * One-time sign-in codes for the dashboard: `daybook open` asks for one (with the admin token it
 * already holds), puts it in a URL, and the page exchanges it for a session token. The code is
 * the only secret that passes through a browser's address bar, so it is short-lived, single-use
 * and never written anywhere: a daemon restart forgets every pending code.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Scope } from '../domain/access.ts'
import type { Clock } from '../domain/clock.ts'

/** The scopes a dashboard session can have: `data` (reads, labels, analysis) or `admin`. */
export const SESSION_SCOPES = ['data', 'admin'] as const
export type SessionScope = (typeof SESSION_SCOPES)[number] & Scope

/** How long a code can be exchanged. */
const CODE_TTL_MS = 120_000

/** How long the session token a code buys lives: a working day, or an hour for admin. */
export const SESSION_TTL_SEC: Record<SessionScope, number> = { data: 12 * 3600, admin: 3600 }

/** The name every session token is stored under (it shows in `daybook token list`). */
export const SESSION_TOKEN_NAME = 'dashboard session'

/**
 * Most codes pending at once. Only an admin can make codes, so this only bounds memory against
 * a runaway script; past it the oldest pending code is dropped.
 */
const MAX_PENDING = 100

interface Pending {
  scope: SessionScope
  /** The user whose diary the session is of (undefined: the owner's). */
  user: string | undefined
  expiresAtMs: number
}

/** A code just issued: the secret itself is returned once and kept only as a hash. */
export interface IssuedCode {
  code: string
  scope: SessionScope
  expiresAtMs: number
}

function digest(code: string): string {
  return createHash('sha256').update(code).digest('hex')
}

/**
 * Pending codes, in memory. Codes are looked up by their SHA-256, so no comparison ever runs
 * over the secret itself (nothing to time); a code is deleted as it is redeemed, so two requests
 * racing with one code get one session between them.
 */
export class SessionCodes {
  readonly #clock: Clock
  /** SHA-256 (hex) of the code → what it grants. Insertion order is age order. */
  readonly #pending = new Map<string, Pending>()

  constructor(options: { clock: Clock }) {
    this.#clock = options.clock
  }

  /** A fresh code: 32 random bytes, base64url (43 characters). */
  issue(scope: SessionScope, user?: string): IssuedCode {
    const now = this.#clock()
    this.#prune(now)
    while (this.#pending.size >= MAX_PENDING) {
      const oldest = this.#pending.keys().next().value
      if (oldest === undefined) break
      this.#pending.delete(oldest)
    }
    const code = randomBytes(32).toString('base64url')
    const expiresAtMs = now + CODE_TTL_MS
    this.#pending.set(digest(code), { scope, user, expiresAtMs })
    return { code, scope, expiresAtMs }
  }

  /**
   * Uses up a code: the scope it grants, or undefined when it is unknown, already used or
   * expired (the three are indistinguishable to the caller on purpose).
   */
  redeem(code: string): { scope: SessionScope; user: string | undefined } | undefined {
    const now = this.#clock()
    this.#prune(now)
    const key = digest(code)
    const pending = this.#pending.get(key)
    if (!pending) return undefined
    this.#pending.delete(key)
    return { scope: pending.scope, user: pending.user }
  }

  /** Codes still pending (for tests and status). */
  get size(): number {
    return this.#pending.size
  }

  #prune(now: number): void {
    for (const [key, p] of this.#pending) if (now >= p.expiresAtMs) this.#pending.delete(key)
  }
}
