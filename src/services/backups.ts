/**
 * Backups while the daemon runs: the store writes a consistent, checked copy (`Store.backup`),
 * which is gzip-compressed beside its final name and renamed into place, so a backup file is
 * whole or absent. Listed from their directory (`<data-dir>/backups` unless told otherwise).
 */
import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import type { Clock } from '../domain/clock.ts'
import { ConflictError } from '../domain/errors.ts'
import type { Store } from '../store/ports.ts'

/** A backup file as listed. */
export interface BackupInfo {
  file: string
  bytes: number
  /** When it was written (epoch ms). */
  createdMs: number
}

/** Names of the backups this service writes: `daybook-20250301T090000Z.db.gz`. */
const NAME = /^daybook-\d{8}T\d{6}Z\.db\.gz$/

export class BackupService {
  readonly #store: () => Store
  readonly #clock: Clock

  constructor(deps: { store: () => Store; clock: Clock }) {
    this.#store = deps.store
    this.#clock = deps.clock
  }

  /** Where backups go by default: `backups/` beside the database. */
  defaultDir(): string {
    return path.join(path.dirname(this.#store().location), 'backups')
  }

  /**
   * Writes a backup to `file` (default: a new file named by the time in the default directory),
   * refusing to overwrite one. Resolves once it is complete, checked and compressed.
   */
  async create(file?: string): Promise<BackupInfo & { version: number }> {
    const stamp = new Date(this.#clock()).toISOString().replace(/[-:]|\.\d+/g, '')
    const target = file ?? path.join(this.defaultDir(), `daybook-${stamp}.db.gz`)
    const exists = await stat(target).then(
      () => true,
      () => false,
    )
    if (exists) throw new ConflictError('backup_exists', `${target} exists already`, 'file')
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 })
    const id = randomUUID()
    const raw = `${target}.${id}.db`
    const part = `${target}.${id}.part`
    try {
      const { version } = await this.#store().backup(raw)
      await pipeline(
        createReadStream(raw),
        createGzip(),
        createWriteStream(part, { mode: 0o600, flags: 'wx' }),
      )
      await rename(part, target)
      const { size, mtimeMs } = await stat(target)
      return { file: target, bytes: size, createdMs: Math.round(mtimeMs), version }
    } finally {
      await rm(raw, { force: true })
      await rm(part, { force: true })
    }
  }

  /** The backups in `dir` (default: the default directory), newest first. */
  async list(dir = this.defaultDir()): Promise<BackupInfo[]> {
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      return []
    }
    const out: BackupInfo[] = []
    for (const name of names.filter((n) => NAME.test(n))) {
      const file = path.join(dir, name)
      const { size, mtimeMs } = await stat(file)
      out.push({ file, bytes: size, createdMs: Math.round(mtimeMs) })
    }
    return out.sort((a, b) => b.file.localeCompare(a.file))
  }
}
