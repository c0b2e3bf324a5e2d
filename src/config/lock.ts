/**
 * One daemon per data dir. The lock is an exclusive SQLite lock on `<data-dir>/daemon.lock`: the
 * operating system holds it for as long as the process lives and drops it when the process dies,
 * however it dies, so a crash never leaves a stale lock behind (a pid file would).
 */
import { DatabaseSync } from 'node:sqlite'

/** A held lock; `release()` lets the next daemon in. */
export interface DataDirLock {
  release(): void
}

/** Takes the lock at `file`, or returns undefined when another process holds it. */
export function lockDataDir(file: string): DataDirLock | undefined {
  const db = new DatabaseSync(file, { timeout: 0 })
  try {
    // EXCLUSIVE locking mode keeps the lock after the transaction's first write, until close.
    db.exec('PRAGMA locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE')
    db.exec('CREATE TABLE IF NOT EXISTS held (pid INTEGER)')
    db.exec('COMMIT')
  } catch (err) {
    db.close()
    if ((err as { errcode?: number }).errcode === 5 /* SQLITE_BUSY */) return undefined
    throw err
  }
  let held = true
  return {
    release: () => {
      if (held) db.close()
      held = false
    },
  }
}
