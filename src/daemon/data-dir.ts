/**
 * The data dir's hygiene: it is a directory the daemon can write, made owner-only (0700) when
 * created; one daemon holds it at a time; the database files in it are the owner's alone (0600).
 */
import { accessSync, chmodSync, constants, statSync } from 'node:fs'
import { readDiscovery } from '../config/discovery.ts'
import { describeFsError, ensurePrivateDir } from '../config/files.ts'
import { type DataDirLock, lockDataDir } from '../config/lock.ts'
import { dataPaths } from '../config/paths.ts'
import { StartError } from './start-error.ts'

/** Makes sure `dir` can hold the daemon's files; throws `StartError` with one line when not. */
export function prepareDataDir(dir: string): void {
  let isDir: boolean | undefined
  try {
    isDir = statSync(dir).isDirectory()
  } catch {
    isDir = undefined // not there yet, or not reachable: making it says which
  }
  if (isDir === false) {
    throw new StartError(`the data dir ${dir} is a file, not a directory (see --data-dir)`)
  }
  try {
    ensurePrivateDir(dir)
    accessSync(dir, constants.W_OK)
  } catch (err) {
    throw new StartError(`cannot use data dir ${dir}: ${describeFsError(err)}`)
  }
}

/**
 * Takes the data dir's lock before anything else touches the dir: a second daemon would
 * overwrite daemon.json and, stopping, delete it from under the first one.
 */
export function holdDataDir(dir: string): DataDirLock {
  const lock = lockDataDir(dataPaths(dir).lock)
  if (!lock) {
    throw new StartError(
      `another daybook daemon is already running for ${dir}${runningPid(dir)}; ` +
        'stop it first, or use another --data-dir',
    )
  }
  return lock
}

/** ` (pid N)` from the running daemon's discovery file, when it can be read. */
function runningPid(dir: string): string {
  try {
    const pid = readDiscovery(dir)?.pid
    return pid === undefined ? '' : ` (pid ${pid})`
  } catch {
    return ''
  }
}

/**
 * The database holds a person's activity: it and its WAL and shared-memory files are the owner's
 * alone, whatever mode an older tool created them with (SQLite gives new companions the main
 * file's mode). A changed mode is said through `warn`.
 */
export function restrictDatabaseMode(file: string, warn: (line: string) => void): void {
  if (process.platform === 'win32') return
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    let mode: number
    try {
      mode = statSync(f).mode & 0o777
    } catch {
      continue // not there yet
    }
    if ((mode & 0o077) === 0) continue
    try {
      chmodSync(f, 0o600)
    } catch (err) {
      throw new StartError(`cannot make ${f} private (mode 0600): ${describeFsError(err)}`)
    }
    warn(
      `${f} was readable by other users (mode ${mode.toString(8).padStart(4, '0')}); its mode is now 0600`,
    )
  }
}
