/**
 * The default admin token: 32 random bytes, base64url, in `<config-dir>/auth.token` (0600 in a
 * 0700 dir), created on first start. Local clients (CLI, collectors) read it from there.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { writeFileAtomic } from '../config/files.ts'
import { ConflictError } from '../domain/errors.ts'
import type { Authenticator, Principal } from '../domain/access.ts'

/** A fresh random secret: 32 bytes, base64url without padding. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url')
}

/** Reads the token at `file`, creating it (atomically, 0600) when it does not exist. */
export function ensureDefaultToken(file: string): string {
  const existing = readTokenFile(file)
  if (existing !== undefined) return existing
  const token = newSecret()
  writeFileAtomic(file, `${token}\n`)
  return token
}

/**
 * The token stored at `file`, or undefined when the file is missing or empty. Anything but a
 * regular file is refused before it is read: reading a FIFO would block the thread for good.
 */
export function readTokenFile(file: string): string | undefined {
  if (!existsSync(file)) return undefined
  if (!statSync(file).isFile()) {
    throw new Error('not a regular file')
  }
  const token = readFileSync(file, 'utf8').trim()
  return token === '' ? undefined : token
}

/** Replaces the token at `file` with a new one, atomically; returns the new token. */
export function rotateDefaultToken(file: string): string {
  const token = newSecret()
  writeFileAtomic(file, `${token}\n`)
  return token
}

/** The default admin token's secret, and how to rotate it. */
export interface DefaultTokenSource {
  /** The secret now; read on every check, so a rotation takes effect on the next request. */
  current(): string
  /** Replaces the secret and returns the new one; throws `ConflictError` when it cannot. */
  rotate(): string
}

/** Shorter than this, a token file's content is not a real secret (ours are 43 characters). */
const MIN_SECRET_LENGTH = 32

/**
 * Why the token file cannot be trusted, or undefined when it can: readable by others, or holding
 * a secret too short to resist guessing. Checked at start and on every reload.
 */
export function tokenFileProblem(file: string, secret: string): string | undefined {
  if (isExposed(file))
    return `token file ${file} is readable by other users; run: chmod 600 ${file}`
  if (secret.length < MIN_SECRET_LENGTH) {
    return (
      `token file ${file} holds a secret shorter than ${MIN_SECRET_LENGTH} characters; ` +
      'delete the file to have a new one made'
    )
  }
  return undefined
}

/**
 * The default token kept in `file` (which must exist); rotation rewrites the file atomically.
 * The file is the source of truth: when another program replaces it (a new mtime), the next
 * check reads the new secret, so an outside rotation needs no restart. A file that vanished or
 * was emptied keeps the last secret rather than locking everyone out; so does a replacement that
 * fails the start-time checks (readable by others, too short), with a warning through `warn`.
 */
export function fileDefaultToken(
  file: string,
  secret: string,
  warn: (message: string) => void = () => undefined,
): DefaultTokenSource {
  let current = secret
  let seen = mtimeOf(file)
  return {
    current: () => {
      const mtime = mtimeOf(file)
      if (mtime !== seen) {
        seen = mtime
        const replacement = readTokenFile(file)
        if (replacement !== undefined && replacement !== current) {
          const problem = tokenFileProblem(file, replacement)
          if (problem === undefined) current = replacement
          else warn(`${problem}; the daemon keeps using the previous default token`)
        }
      }
      return current
    },
    rotate: () => {
      current = rotateDefaultToken(file)
      seen = mtimeOf(file)
      return current
    },
  }
}

function mtimeOf(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs
  } catch {
    return undefined
  }
}

/** A default token fixed from outside (`DAYBOOK_TOKEN`): it cannot be rotated from here. */
export function fixedDefaultToken(secret: string, source = 'DAYBOOK_TOKEN'): DefaultTokenSource {
  return {
    current: () => secret,
    rotate: () => {
      throw new ConflictError(
        'default_token_fixed',
        `the default token comes from ${source}; change it there and restart the daemon`,
      )
    },
  }
}

/** True when group or others can read or write `file` (POSIX only). */
function isExposed(file: string): boolean {
  return process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0
}

/**
 * Compares two secrets in constant time. Both sides are hashed first, so neither the content nor
 * the length of the expected secret leaks through timing.
 */
function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/** Accepts exactly one secret, as one fixed principal (the default token is the admin one). */
export class StaticKeyAuthenticator implements Authenticator {
  readonly #secret: () => string
  readonly #principal: Principal

  /** `secret` is read on every check, so a rotated secret takes effect at once. */
  constructor(secret: () => string, principal: Principal = { tokenId: 'default', scope: 'admin' }) {
    this.#secret = secret
    this.#principal = principal
  }

  async authenticate(presented: string): Promise<Principal | undefined> {
    return secretsEqual(presented, this.#secret()) ? this.#principal : undefined
  }
}
