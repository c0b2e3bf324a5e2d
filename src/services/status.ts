/**
 * The daemon's status: what it is, how long it has run, what it stores, which collectors and
 * devices sent data and when (a collector that went silent shows), and who is connected.
 */
import { statSync } from 'node:fs'
import type { Clock } from '../domain/clock.ts'
import type { Store } from '../store/ports.ts'
import { type WatchStatus, readWatchStatus } from '../config/watch-status.ts'
import { isProcessAlive } from '../config/process.ts'
import type { BackupScheduleStatus, BackupService } from './backups.ts'

export interface StatusReport {
  daemon: 'daybook'
  version: string
  startedAt: number
  uptimeSeconds: number
  database: { location: string; bytes: number | null }
  counts: {
    events: number
    afkPeriods: number
    inputBuckets: number
    labels: number
    devices: number
  }
  rollups: { pendingSlots: number }
  collectors: {
    source: string
    device: string
    kind: string
    lastSeenMs: number
    silentSeconds: number
    items: number
  }[]
  devices: { id: string; name: string; own: boolean; lastSeenMs: number | null; events: number }[]
  streams: { websocketClients: number }
  memory: { rssBytes: number }
  /** The local watcher's last report, and whether its process still runs; null when none ran. */
  watchers: (WatchStatus & { running: boolean }) | null
  /** Scheduled backups: the setting, the last backup, the next one, the last failure. */
  backups: BackupScheduleStatus
  /** Where this daemon's start went; null when it was not started as a daemon (tests, tools). */
  startup: StartupTimes | null
}

/**
 * Where a daemon's start went, in ms, in the order it happens: loading its code (from the
 * process's start to the daemon's first line), building the API (routes and their schemas),
 * opening the store beyond that (its worker threads and the database), migrating, attaching the
 * store (sync, hooks, screenshots, backups, retention), opening the users' diaries; and the
 * whole, from the process's start to ready.
 */
export interface StartupTimes {
  loadMs: number
  apiMs: number
  storeMs: number
  migrateMs: number
  attachMs: number
  usersMs: number
  readyMs: number
}

/** Size of a SQLite database with its WAL and shared-memory files, or null for another store. */
function databaseBytes(location: string): number | null {
  let total = 0
  let found = false
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(location + suffix).size
      found = true
    } catch {
      // not there (no WAL yet, or not a file)
    }
  }
  return found ? total : null
}

export async function statusReport(deps: {
  store: Store
  version: string
  startedMs: number
  clock: Clock
  websocketClients: number
  /** The report file of `daybook watch` for this daemon's data dir. */
  watchStatusFile?: string | undefined
  backups: BackupService
  startup?: StartupTimes | undefined
}): Promise<StatusReport> {
  const { store, clock } = deps
  const now = clock()
  const [counts, pendingSlots, collectors, devices, watchers, backups] = await Promise.all([
    store.status.counts(),
    store.activeTime.pending(),
    store.status.collectors(),
    store.devices.list(),
    watchersReport(deps.watchStatusFile),
    deps.backups.status(),
  ])
  return {
    daemon: 'daybook',
    version: deps.version,
    startedAt: deps.startedMs,
    uptimeSeconds: Math.floor((now - deps.startedMs) / 1000),
    database: { location: store.location, bytes: databaseBytes(store.location) },
    counts,
    rollups: { pendingSlots },
    collectors: collectors.map((c) => ({
      ...c,
      silentSeconds: Math.max(0, Math.floor((now - c.lastSeenMs) / 1000)),
    })),
    devices,
    streams: { websocketClients: deps.websocketClients },
    memory: { rssBytes: process.memoryUsage.rss() },
    watchers,
    backups,
    startup: deps.startup ?? null,
  }
}

async function watchersReport(file: string | undefined): Promise<StatusReport['watchers']> {
  const report = file === undefined ? undefined : await readWatchStatus(file)
  return report ? { ...report, running: isProcessAlive(report.pid) } : null
}
