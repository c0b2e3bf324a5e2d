/**
 * Caps on open TCP connections, so that idle connections from one local user cannot use up the
 * daemon's file descriptors and take it off the air. The total stays below the process's
 * descriptor limit with room for the database, its workers and the Unix socket listener, which
 * is not capped (only its owner can reach it).
 */
import { readFileSync } from 'node:fs'

export interface ConnectionLimits {
  /** Open TCP connections at once. */
  total: number
  /** Open TCP connections from one client address. */
  perAddress: number
}

/** Descriptors kept free for the database, the store workers, logs and the Unix socket. */
const RESERVED_DESCRIPTORS = 128

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

/** Limits fitted to this process: at most 1024 in total, 64 per address. */
export function defaultConnectionLimits(): ConnectionLimits {
  const total = Math.max(16, Math.min(1024, openFileLimit() - RESERVED_DESCRIPTORS))
  return { total, perAddress: Math.min(64, total) }
}
