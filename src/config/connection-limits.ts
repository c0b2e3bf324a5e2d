/**
 * Limits on TCP connections, so that connections held open by one local user cannot use up the
 * daemon's file descriptors and take it off the air, nor lock out the clients that have a token.
 * The total stays below the process's descriptor limit with room for the database, its workers
 * and the Unix socket listener, which is not capped (only its owner can reach it).
 */
import { readFileSync } from 'node:fs'

export interface ConnectionLimits {
  /** Open TCP connections at once (the token reserve comes on top). */
  total: number
  /** Open TCP connections from one client address (the token reserve comes on top). */
  perAddress: number
  /**
   * Connections let in beyond the caps when nothing can be closed to make room; a request on
   * one must present a valid token, or it is answered 503 and the connection closed.
   */
  tokenReserve: number
  /**
   * A connection that has not sent a whole request this long after it opened is the first to be
   * closed when a cap is reached (then idle keep-alive connections, unauthenticated ones first).
   */
  graceMs: number
  /** A request's headers must have arrived this long after its first byte. */
  headersTimeoutMs: number
  /** The whole request (headers and body) must have arrived this long after its first byte. */
  requestTimeoutMs: number
}

/** Descriptors kept free for the database, the store workers, logs and the Unix socket. */
const RESERVED_DESCRIPTORS = 128

/** "Within a few seconds": long enough for any client to send its request on a live machine. */
export const CONNECTION_GRACE_MS = 3000

/** The soft limit on open files (Linux: /proc/self/limits), or 1024 when it cannot be read. */
function openFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'))
    const soft = line?.split(/\s{2,}/)[1]
    const n = Number(soft)
    return Number.isFinite(n) && n > 0 ? n : 1024
  } catch {
    return 1024
  }
}

/** Caps fitted to this process: at most 1024 in total, 64 per address. */
export function defaultConnectionLimits(): { total: number; perAddress: number } {
  const total = Math.max(16, Math.min(1024, openFileLimit() - RESERVED_DESCRIPTORS - 32))
  return { total, perAddress: Math.min(64, total) }
}

/** The slots kept for token holders beyond a total of `total`: 1 in 32, from 2 to 32. */
export function tokenReserveFor(total: number): number {
  return Math.min(32, Math.max(2, Math.ceil(total / 32)))
}
