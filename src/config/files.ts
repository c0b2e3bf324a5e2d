/**
 * Small, careful file writes for secrets and state: private modes, atomic replacement.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import path from 'node:path'

/** Creates `dir` (and parents) readable by the owner only. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
}

/**
 * Writes `content` to `file` atomically with mode 0600: a reader sees the old file or the new
 * one, never a torn or world-readable one, and the new content is on disk before the rename.
 */
export function writeFileAtomic(file: string, content: string): void {
  ensurePrivateDir(path.dirname(file))
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  // Created 0600 from the first byte ('wx' = exclusive create), so the secret is never exposed.
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    writeSync(fd, content)
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
