/**
 * Backups while the daemon runs: the store writes a consistent, checked copy (`Store.backup`),
 * which is gzip-compressed beside its final name and renamed into place, so a backup file is
 * whole or absent. Listed from their directory (the `backups.dir` setting, else
 * `<data-dir>/backups`).
 *
 * Scheduled backups (the `backups` setting): time is cut into slots of `everyHours` from the
 * epoch, read off the daemon's clock, and each slot gets one backup. Which slots are done is read
 * from the directory itself (the time is in the file's name), so a restart never takes a second
 * backup for a slot. A failed slot is reported (status, and the log once) and tried again in the
 * next one. After each scheduled backup the oldest scheduled ones beyond `keep` are deleted: only
 * files with the scheduled name, never a manual backup or anything else in the directory.
 */
import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import type { Clock } from '../domain/clock.ts'
import { ConflictError } from '../domain/errors.ts'
import { type BackupSettings, DEFAULT_BACKUP_SETTINGS } from '../domain/settings.ts'
import type { Store } from '../store/ports.ts'
import type { Bus } from './bus.ts'
import type { SettingsService } from './settings.ts'

/** A backup file as listed. */
export interface BackupInfo {
  file: string
  bytes: number
  /** When it was taken (epoch ms, the daemon's clock, to the second: the time in its name). */
  createdMs: number
  /** Written by the schedule (pruned beyond `keep`), or asked for (never deleted). */
  scheduled: boolean
}

/** The schedule as `/v1/status` shows it. */
export interface BackupScheduleStatus extends BackupSettings {
  /** The directory in use (`dir`, or the default). */
  dir: string
  /** The newest backup in the directory, scheduled or not. */
  last: BackupInfo | null
  /** When the next scheduled backup is due (epoch ms); null when off. */
  nextMs: number | null
  /** The last scheduled attempt's failure, until one succeeds. */
  failure: { atMs: number; message: string } | null
}

const HOUR_MS = 3_600_000

/**
 * Names of the backups this service writes: `daybook-20250301T090000Z.db.gz` when asked for,
 * `daybook-scheduled-20250301T090000Z.db.gz` from the schedule.
 */
const NAME = /^daybook-(scheduled-)?(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z\.db\.gz$/

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
/** A backup's raw copy or compressed part, beside its final name, with its daemon's pid. */
const LEFTOVER = new RegExp(`^\\..+\\.(\\d+)-${UUID}\\.(db|db-journal|db-wal|db-shm|part)$`)

/** Whether a process with this pid runs (one of another user counts as running). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function stampOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]|\.\d+/g, '')
}

export class BackupService {
  readonly #store: () => Store
  readonly #clock: Clock
  readonly #settings: SettingsService | undefined
  readonly #onError: (err: unknown, what: string) => void
  #timer: NodeJS.Timeout | undefined
  #unsubscribe: (() => void) | undefined
  #checking: Promise<BackupInfo | undefined> | undefined
  /** The slot whose scheduled backup failed: tried again in the next one. */
  #failedSlot: number | undefined
  #failure: { atMs: number; message: string } | null = null

  constructor(deps: {
    store: () => Store
    clock: Clock
    settings?: SettingsService
    bus?: Bus
    /** Told of a scheduled backup's failure, once until one succeeds again. */
    onError?: (err: unknown, what: string) => void
  }) {
    this.#store = deps.store
    this.#clock = deps.clock
    this.#settings = deps.settings
    this.#onError = deps.onError ?? (() => undefined)
    // A change of the schedule is acted on at once (turned on: the current slot's backup).
    this.#unsubscribe = deps.bus?.subscribe((message) => {
      if (message.type !== 'changes') return
      if (!message.changes.some((c) => c.kind === 'setting' && c.key === 'backups')) return
      this.#failedSlot = undefined
      void this.check()
    })
  }

  /** Where backups go by default: `backups/` beside the database. */
  defaultDir(): string {
    return path.join(path.dirname(this.#store().location), 'backups')
  }

  /** The directory in use: the `backups.dir` setting, or the default. */
  async dir(): Promise<string> {
    return (await this.#schedule())?.dir ?? this.defaultDir()
  }

  async #schedule(): Promise<BackupSettings | undefined> {
    return (await this.#settings?.get())?.backups
  }

  /**
   * Writes a backup to `file` (default: a new file named by the time in the backup directory),
   * refusing to overwrite one. Resolves once it is complete, checked and compressed.
   */
  async create(
    file?: string,
    options: { scheduled?: boolean; dir?: string } = {},
  ): Promise<BackupInfo & { version: number }> {
    const createdMs = this.#clock()
    const name = `daybook-${options.scheduled === true ? 'scheduled-' : ''}${stampOf(createdMs)}.db.gz`
    const target = file ?? path.join(options.dir ?? (await this.dir()), name)
    const exists = await stat(target).then(
      () => true,
      () => false,
    )
    if (exists) throw new ConflictError('backup_exists', `${target} exists already`, 'file')
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 })
    const id = randomUUID()
    // A daemon killed half-way leaves these behind, beside the final name (a rename must not
    // cross file systems): hidden, and named with this process's pid so that a later start can
    // tell a dead daemon's leftovers from a live one's work.
    const stem = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${id}`)
    const raw = `${stem}.db`
    const part = `${stem}.part`
    try {
      const { version } = await this.#store().backup(raw)
      await pipeline(
        createReadStream(raw),
        createGzip(),
        createWriteStream(part, { mode: 0o600, flags: 'wx' }),
      )
      await rename(part, target)
      const { size } = await stat(target)
      return {
        file: target,
        bytes: size,
        createdMs: Math.floor(createdMs / 1000) * 1000,
        scheduled: options.scheduled === true,
        version,
      }
    } finally {
      await rm(raw, { force: true })
      await rm(part, { force: true })
    }
  }

  /**
   * Removes what backups of a daemon killed half-way left in the backup directories (the default
   * one and the schedule's): raw copies (with the journal SQLite keeps beside one while writing it)
   * and compressed parts whose daemon is gone. Called once at
   * start, before any backup of this life begins, so a leftover with this process's own pid is a
   * dead one's too (a container's daemon has the same pid at every start).
   */
  async sweep(): Promise<void> {
    if (!path.isAbsolute(this.#store().location)) return // PostgreSQL: no backups here
    const dir = (await this.#schedule())?.dir ?? undefined
    for (const folder of new Set([this.defaultDir(), ...(dir === undefined ? [] : [dir])])) {
      const names = await readdir(folder).catch(() => [] as string[])
      for (const name of names) {
        const pid = Number(LEFTOVER.exec(name)?.[1] ?? Number.NaN)
        if (Number.isNaN(pid) || (pid !== process.pid && alive(pid))) continue
        await rm(path.join(folder, name), { force: true })
      }
    }
  }

  /** The backups in `dir` (default: the backup directory), newest first. */
  async list(dir?: string): Promise<BackupInfo[]> {
    const from = dir ?? (await this.dir())
    let names: string[]
    try {
      names = await readdir(from)
    } catch {
      return []
    }
    const out: BackupInfo[] = []
    for (const name of names) {
      const m = NAME.exec(name)
      if (!m) continue
      const [, scheduled, y, mo, d, h, mi, s] = m
      const file = path.join(from, name)
      const size = await stat(file).then(
        (st) => (st.isFile() ? st.size : undefined),
        () => undefined,
      )
      if (size === undefined) continue
      out.push({
        file,
        bytes: size,
        createdMs: Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)),
        scheduled: scheduled !== undefined,
      })
    }
    return out.sort((a, b) => b.createdMs - a.createdMs || b.file.localeCompare(a.file))
  }

  /** Checks the schedule every `intervalMs` (the timer does not keep the process alive). */
  start(intervalMs: number): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = setInterval(() => void this.check(), intervalMs)
    this.#timer.unref()
  }

  /** Stops the timer; resolves once a backup in progress has finished. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
    await this.#checking
  }

  /** Stops for good (the app closes): no more checks, not even on a settings change. */
  async close(): Promise<void> {
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    await this.stop()
  }

  /**
   * Takes the current slot's scheduled backup when the schedule is on and the slot has none yet
   * (and did not fail), after any check already running; then prunes. Never rejects: a failure is kept for the status and logged
   * when it begins. Resolves to the backup taken, if one was.
   */
  check(): Promise<BackupInfo | undefined> {
    // One at a time, each reading the clock when it starts: a check asked for while another runs
    // sees the time of its asking, not the earlier one's.
    const run = (this.#checking ?? Promise.resolve(undefined)).then(() => this.#check())
    this.#checking = run
    void run.finally(() => {
      if (this.#checking === run) this.#checking = undefined
    })
    return run
  }

  async #check(): Promise<BackupInfo | undefined> {
    const now = this.#clock()
    let slot: number | undefined
    try {
      this.#store()
    } catch {
      return undefined // not attached yet: the next check comes
    }
    try {
      const schedule = await this.#schedule()
      if (schedule?.enabled !== true) return undefined
      const store = this.#store()
      store.checkBackup()
      const period = schedule.everyHours * HOUR_MS
      slot = Math.floor(now / period)
      if (this.#failedSlot === slot) return undefined
      const dir = schedule.dir ?? this.defaultDir()
      const scheduled = (await this.list(dir)).filter((b) => b.scheduled)
      const newest = scheduled[0]
      if (newest !== undefined && Math.floor(newest.createdMs / period) >= slot) return undefined
      const taken = await this.create(undefined, { scheduled: true, dir })
      this.#failure = null
      this.#failedSlot = undefined
      // Only now, with the new one whole: the oldest scheduled backups beyond `keep`.
      for (const old of [taken, ...scheduled].slice(schedule.keep)) {
        await rm(old.file, { force: true })
      }
      return taken
    } catch (err) {
      this.#failedSlot = slot
      const message = err instanceof Error ? err.message : String(err)
      // Logged when it begins or changes, not every slot a dead disk stays dead.
      if (this.#failure?.message !== message) this.#onError(err, 'the scheduled backup failed')
      this.#failure = { atMs: now, message }
      return undefined
    }
  }

  /** The schedule, its last backup, when the next is due, and its last failure. */
  async status(): Promise<BackupScheduleStatus> {
    const schedule = (await this.#schedule()) ?? DEFAULT_BACKUP_SETTINGS
    const dir = schedule.dir ?? this.defaultDir()
    const backups = await this.list(dir)
    let nextMs: number | null = null
    if (schedule.enabled) {
      const now = this.#clock()
      const period = schedule.everyHours * HOUR_MS
      const slot = Math.floor(now / period)
      const newest = backups.find((b) => b.scheduled)
      const done =
        this.#failedSlot === slot ||
        (newest !== undefined && Math.floor(newest.createdMs / period) >= slot)
      nextMs = done ? (slot + 1) * period : now
    }
    return {
      ...schedule,
      dir,
      last: backups[0] ?? null,
      nextMs,
      failure: schedule.enabled ? this.#failure : null,
    }
  }
}
