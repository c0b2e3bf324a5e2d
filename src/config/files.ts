/**
 * Small, careful file writes for secrets and state: private modes, atomic replacement.
 */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs'
import path from 'node:path'

/** Creates `dir` (and parents) readable by the owner only. */
export function ensurePrivateDir(dir: string): void {
  makeDirs(dir, 0o700)
}

/**
 * Creates `dir` and its missing parents with `mode`, each once, from the top down; the first
 * refusal is thrown as the operating system gave it. Node's own `mkdir({ recursive: true })` is
 * not used: under a parent that exists but takes no new entries (`/proc`), mkdir of the parent
 * answers EEXIST and of the child ENOENT, and it goes back and forth between the two for ever,
 * blocking the event loop (signals included).
 */
export function makeDirs(dir: string, mode = 0o777): void {
  const missing: string[] = []
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) {
    missing.push(d)
    if (path.dirname(d) === d) break
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, { mode })
    } catch (err) {
      // Made by someone else meanwhile: fine; a file there fails on the next component.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
}

/** A file-system failure as a short phrase for a one-line message. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EROFS':
      return 'read-only file system'
    case 'ENOTDIR':
      return 'a path component is not a directory'
    case 'ENOSPC':
      return 'no space left on device'
    case 'ENOENT':
      // mkdir under a parent that exists, yet refuses new entries (/proc, /sys).
      if (e.syscall === 'mkdir' && e.path !== undefined) {
        return `${path.dirname(e.path)} does not accept new directories`
      }
      return e.message
    default:
      return e.message
  }
}

/**
 * Writes `content` to `file` atomically with mode 0600: a reader sees the old file or the new
 * one, never a torn or world-readable one, and the new content is on disk before the rename.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  ensurePrivateDir(path.dirname(file))
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  // Created 0600 from the first byte ('wx' = exclusive create), so the secret is never exposed.
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    if (typeof content === 'string') writeSync(fd, content)
    else writeSync(fd, content)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  renameSync(tmp, file)
  if (process.platform !== 'win32') {
    const dirFd = openSync(path.dirname(file), 'r')
    try {
      fsyncSync(dirFd)
    } finally {
      closeSync(dirFd)
    }
  }
}
