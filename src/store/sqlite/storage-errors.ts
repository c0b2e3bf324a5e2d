/**
 * A full or failing disk under the database, as the store reports it. SQLite answers a write that
 * finds no room with SQLITE_FULL (and a failing disk with SQLITE_IOERR); the transaction is rolled
 * back whole, so nothing of it is half-written, and the next write simply tries again. The daemon
 * keeps serving reads and keeps running: these become typed errors (507, or 503 for an I/O error
 * with room left), never a crash.
 */
import { statfsSync } from 'node:fs'
import path from 'node:path'
import { type DaybookError, InsufficientStorageError, NotReadyError } from '../../domain/errors.ts'

/**
 * Free space a write needs to be sure of going through: the write-ahead log grows by what a
 * write changes until a checkpoint folds it back, and is cut back to 16 MB after one.
 */
export const STORAGE_HEADROOM_BYTES = 16 * 1024 * 1024

const SQLITE_IOERR = 10
const SQLITE_FULL = 13

/** Bytes free to this process on the file system holding `dir`, or undefined if unknown. */
export function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir)
    return s.bavail * s.bsize
  } catch {
    return undefined
  }
}

/** True when the disk holding the database `file` has the headroom a write needs. */
export function roomToWrite(file: string): boolean {
  const free = freeBytes(path.dirname(file))
  return free === undefined || free >= STORAGE_HEADROOM_BYTES
}

/** `16 MB`, `3.2 MB`, `12 KB`. */
function size(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`
}

/**
 * The typed error for a SQLite error that says the disk under `file` is full or failing, or
 * undefined for any other error.
 */
export function storageError(err: unknown, file: string): DaybookError | undefined {
  const code = (err as { errcode?: unknown } | null)?.errcode
  if (typeof code !== 'number') return undefined
  const primary = code & 0xff
  if (primary !== SQLITE_FULL && primary !== SQLITE_IOERR) return undefined
  const dir = path.dirname(file)
  const free = freeBytes(dir)
  // An I/O error with the disk nearly full is the full disk by another name (SQLite reports a
  // shared-memory file it cannot extend as SQLITE_IOERR_SHMSIZE).
  if (primary === SQLITE_FULL || (free !== undefined && free < STORAGE_HEADROOM_BYTES)) {
    return new InsufficientStorageError(
      'disk_full',
      `the disk holding the data dir ${dir} is full` +
        (free === undefined ? '' : ` (${size(free)} free)`) +
        `: free at least ${size(STORAGE_HEADROOM_BYTES)} there and writes resume, ` +
        'without a restart; this write was not stored, nothing stored before it is lost',
    )
  }
  return new NotReadyError(
    'storage_error',
    `the database ${file} could not be read or written (${(err as Error).message}); ` +
      'this write was not stored, nothing stored before it is lost',
  )
}
