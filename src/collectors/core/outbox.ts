/**
 * A collector's outbox: what it has to tell the daemon and has not yet had acknowledged, kept in
 * one small file (replaced atomically, fsynced) so it survives daemon restarts, network errors
 * and the collector's own crash: after a crash the file holds the old list or the new one, never
 * a torn one.
 *
 * Items are keyed. Each remembers whether it was ever offered to a server, because payloads
 * differ in what a re-send means: a window event re-sent with a later end extends the stored one
 * (so a newer version may replace an offered item), while an input bucket is de-duplicated by
 * its id (so an offered bucket must never change: its new counts go to a new item). The outbox
 * keeps the flag; each collector applies its payload's rule.
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { writeFileAtomic } from '../../config/files.ts'

interface Stored<T> {
  version: number
  item: T
  offered: boolean
}

/** One waiting item, as `entries()` gives it. */
export interface OutboxEntry<T> {
  key: string
  /** Changes whenever the item is replaced; `ack` compares it. */
  version: number
  item: T
  /** True once the item was offered to a server (persisted before the server sees it). */
  offered: boolean
}

/**
 * Reads a file written by an earlier version of a collector into outbox rows, or undefined when
 * the text is not that format. Lets a collector keep what an older release left unsent.
 */
export type LegacyReader<T> = (data: unknown) => [string, T, boolean][] | undefined

export class Outbox<T> {
  readonly file: string
  readonly #items = new Map<string, Stored<T>>()
  #version = 0

  /**
   * Opens the outbox at `file` (empty when there is none). A file that cannot be read is moved
   * aside to `<file>.corrupt-<ms>` rather than overwritten, and reported through `log`.
   */
  constructor(file: string, log: (line: string) => void, legacy?: LegacyReader<T>) {
    this.file = file
    if (!existsSync(file)) return
    try {
      for (const [key, item, offered] of parse(readFileSync(file, 'utf8'), legacy)) {
        this.#items.set(key, { version: ++this.#version, item, offered })
      }
    } catch (err) {
      // Never overwrite what cannot be read: it is moved aside for a person to look at.
      const aside = `${file}.corrupt-${Date.now()}`
      renameSync(file, aside)
      log(`outbox ${file} was unreadable (${(err as Error).message}); moved to ${aside}`)
    }
  }

  get size(): number {
    return this.#items.size
  }

  /** Adds or replaces items (a replaced item counts as never offered), and writes the file. */
  put(entries: readonly (readonly [string, T])[]): void {
    if (entries.length === 0) return
    for (const [key, item] of entries) {
      this.#items.set(key, { version: ++this.#version, item, offered: false })
    }
    this.#save()
  }

  /** Everything waiting, in the order it was first put, with what `ack` needs. */
  entries(): OutboxEntry<T>[] {
    return [...this.#items].map(([key, s]) => ({ key, ...s }))
  }

  /** Records that these items are being offered to a server; on disk before returning. */
  markOffered(entries: readonly { key: string; version: number }[]): void {
    let changed = false
    for (const { key, version } of entries) {
      const stored = this.#items.get(key)
      if (stored?.version === version && !stored.offered) {
        stored.offered = true
        changed = true
      }
    }
    if (changed) this.#save()
  }

  /** Removes what was acknowledged, unless it was replaced since. */
  ack(sent: readonly { key: string; version: number }[]): void {
    let changed = false
    for (const { key, version } of sent) {
      if (this.#items.get(key)?.version === version) {
        this.#items.delete(key)
        changed = true
      }
    }
    if (changed) this.#save()
  }

  #save(): void {
    if (this.#items.size === 0) {
      rmSync(this.file, { force: true })
      return
    }
    const items = [...this.#items].map(([k, s]) => [k, s.item, s.offered])
    writeFileAtomic(this.file, `${JSON.stringify({ version: 2, items })}\n`)
  }
}

function parse<T>(text: string, legacy: LegacyReader<T> | undefined): [string, T, boolean][] {
  const data = JSON.parse(text) as unknown
  const old = legacy?.(data)
  if (old) return old
  const items = (data as { items?: unknown }).items
  if (!Array.isArray(items)) throw new Error('no items')
  return items.map((row: unknown) => {
    if (!Array.isArray(row) || typeof row[0] !== 'string') throw new Error('an item has no key')
    // Rows of the first format have no flag; an unknown flag counts as offered, the safe side
    // (an offered item is never changed in place, so nothing the server may hold is altered).
    return [row[0], row[1] as T, row.length < 3 ? false : row[2] !== false]
  })
}
