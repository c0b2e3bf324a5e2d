/**
 * The collector's durable spool: input counts that are not yet acknowledged by the server, one
 * entry per bucket and sealing, in one small JSON file replaced atomically (`writeFileAtomic`), so
 * after a crash the file holds the old list or the new one, never a torn one.
 *
 * Each entry has a random id that the server remembers, so re-sending an entry after a lost
 * response adds nothing. That makes one rule essential: an entry that has been offered to the
 * server once is never changed again (the server may already hold it under its id); new counts
 * for the same bucket go to a new entry. Entries never offered are merged, which keeps the spool
 * at about one entry per bucket however long the server is away.
 */
import { randomUUID } from 'node:crypto'
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs'
import path from 'node:path'
import { ensurePrivateDir, writeFileAtomic } from '../config/files.ts'
import { INPUT_KINDS, type InputCounts, addCounts, emptyCounts } from '../domain/input.ts'
import { isProcessAlive } from '../config/process.ts'

export interface SpoolEntry extends InputCounts {
  /** Unique id the server de-duplicates by. */
  id: string
  /** Bucket start, epoch ms. */
  bucketMs: number
  /** True once the entry was offered to a server: from then on it is never changed. */
  offered: boolean
}

interface SpoolFile {
  version: 1
  entries: SpoolEntry[]
}

/** The spool file of a data dir. */
export function spoolFile(dataDir: string): string {
  return path.join(dataDir, 'spool', 'input.json')
}

export class Spool {
  readonly file: string
  #entries: SpoolEntry[]

  private constructor(file: string, entries: SpoolEntry[]) {
    this.file = file
    this.#entries = entries
  }

  /**
   * Loads the spool at `file` (empty when there is none). A file that cannot be read as a spool is
   * moved aside to `<file>.corrupt-<ms>` rather than overwritten, and reported through `warn`.
   */
  static open(file: string, warn: (message: string) => void = () => undefined): Spool {
    if (!existsSync(file)) return new Spool(file, [])
    const text = readFileSync(file, 'utf8')
    try {
      return new Spool(file, parseSpool(text))
    } catch (err) {
      const aside = `${file}.corrupt-${Date.now()}`
      renameSync(file, aside)
      warn(`spool ${file} is unreadable (${(err as Error).message}); moved to ${aside}`)
      return new Spool(file, [])
    }
  }

  /** Entries waiting to be acknowledged, oldest bucket first. */
  get entries(): readonly SpoolEntry[] {
    return this.#entries
  }

  get size(): number {
    return this.#entries.length
  }

  /** Adds counts to the bucket: merged into its entry not yet offered, or a new entry. */
  add(bucketMs: number, counts: InputCounts): void {
    const open = this.#entries.find((e) => e.bucketMs === bucketMs && !e.offered)
    if (open) {
      addCounts(open, counts)
      return
    }
    this.#entries.push({
      id: randomUUID(),
      bucketMs,
      offered: false,
      ...emptyCounts(),
      ...pick(counts),
    })
    this.#entries.sort((a, b) => a.bucketMs - b.bucketMs)
  }

  /** Marks entries as offered; call `save()` before actually sending them. */
  markOffered(entries: readonly SpoolEntry[]): void {
    const ids = new Set(entries.map((e) => e.id))
    for (const e of this.#entries) if (ids.has(e.id)) e.offered = true
  }

  /** Drops acknowledged entries. */
  remove(entries: readonly SpoolEntry[]): void {
    const ids = new Set(entries.map((e) => e.id))
    this.#entries = this.#entries.filter((e) => !ids.has(e.id))
  }

  /** Writes the spool to disk atomically (fsynced); an empty spool removes the file. */
  save(): void {
    if (this.#entries.length === 0) {
      rmSync(this.file, { force: true })
      return
    }
    const body: SpoolFile = { version: 1, entries: this.#entries }
    writeFileAtomic(this.file, `${JSON.stringify(body)}\n`)
  }
}

function pick(counts: InputCounts): InputCounts {
  const out = emptyCounts()
  for (const k of INPUT_KINDS) out[k] = counts[k]
  return out
}

function parseSpool(text: string): SpoolEntry[] {
  const data = JSON.parse(text) as Partial<SpoolFile>
  if (data.version !== 1 || !Array.isArray(data.entries)) throw new Error('not a version 1 spool')
  return data.entries.map((e: Partial<SpoolEntry>) => {
    if (typeof e.id !== 'string' || !Number.isSafeInteger(e.bucketMs)) {
      throw new Error('an entry has no id or bucket')
    }
    const counts = emptyCounts()
    for (const k of INPUT_KINDS) {
      const v = e[k]
      if (!Number.isSafeInteger(v) || (v as number) < 0) throw new Error(`an entry has a bad ${k}`)
      counts[k] = v as number
    }
    // An entry whose flag is lost is treated as offered: changing it could lose counts.
    return { id: e.id, bucketMs: e.bucketMs as number, offered: e.offered !== false, ...counts }
  })
}

/**
 * Takes `<dir>/input.lock` for this process, so two collectors never share one spool (each would
 * overwrite the other's file). A lock left by a process that no longer runs is taken over.
 * Returns a release function; throws with the holder's pid when a live process holds it.
 */
export function lockSpool(dataDir: string): () => void {
  const dir = path.dirname(spoolFile(dataDir))
  ensurePrivateDir(dir)
  const lock = path.join(dir, 'input.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600)
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return () => rmSync(lock, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number(readFileSync(lock, 'utf8').trim())
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid)) {
        throw new Error(`another collector (pid ${pid}) is using ${dir}`)
      }
      rmSync(lock, { force: true })
    }
  }
  throw new Error(`cannot take the lock ${lock}`)
}
