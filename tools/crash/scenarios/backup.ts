/**
 * Backups (`POST /v1/backups`) taken one after another while events are ingested, killed at a
 * random moment: during the copy, its check, its compression or the rename. A backup the daemon
 * acknowledged is a whole database that passes `integrity_check` and holds at least the events
 * acknowledged before it was asked for; one in flight is whole or absent; and nothing a killed
 * backup wrote beside it (its raw copy, its compressed part) is left once the daemon has started
 * again.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { gunzipSync } from 'node:zlib'
import type { Scenario, Trial } from '../harness.ts'
import { call } from '../http.ts'
import {
  type ItemKind,
  type Ledger,
  type SkopioEvent,
  type Source,
  TORN,
  eventSource,
  events,
  pump,
} from '../items.ts'

/** A backup asked for: its file, and how many events were acknowledged before the asking. */
interface Backup {
  file: string
  events: number
}

/** Whether `file` is a whole backup holding at least `events` events. */
function whole(file: string, events: number): boolean {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'daybook-crash-backup-'))
  try {
    const copy = path.join(dir, 'copy.db')
    writeFileSync(copy, gunzipSync(readFileSync(file)))
    const db = new DatabaseSync(copy, { readOnly: true })
    try {
      const check = db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }
      const { n } = db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }
      return check.integrity_check === 'ok' && n >= events
    } finally {
      db.close()
    }
  } catch {
    return false // not gzip, not SQLite: torn
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const backups: ItemKind<Backup> = {
  name: 'backups',
  // Asking again for the same file is refused (it exists): a backup in flight is there or not.
  idempotent: false,
  key: (b) => `${b.file}#${b.events}`,
  async send(live, items) {
    for (const b of items) await call(live, { path: '/v1/backups', body: { file: b.file } })
  },
  stored: async (_view, keys) => {
    const out = new Map<string, number>()
    for (const key of keys) {
      const [file = '', events = '0'] = key.split('#')
      const name = path.basename(file)
      // No directory yet: the daemon was killed before it made the first backup's.
      const dir = path.dirname(file)
      const left = existsSync(dir) && readdirSync(dir).some((n) => n.startsWith(`.${name}.`))
      out.set(key, left ? TORN : !existsSync(file) ? 0 : whole(file, Number(events)) ? 1 : TORN)
    }
    return out
  },
}

/** Backups into the default directory, each asked for once the one before it is answered. */
function backupSource(t: Trial, acked: Ledger<SkopioEvent>): Source<Backup> {
  let n = 0
  return () => {
    const file = path.join(t.dataDir, 'backups', `crash-${n++}.db.gz`)
    return [{ file, events: acked.acked.size }]
  }
}

export const backup: Scenario = {
  name: 'backup',
  about: 'backups one after another, with ingest going on',
  kill: (t) => ({ from: 'ready', ms: t.rng.int(100, 4000) }),
  async work(t, live) {
    const stop = () => t.stopped
    const ingested = t.ledger(events)
    await Promise.all([
      pump(ingested, live, eventSource(t.times, t.rng, 200, t.size(20_000)), stop),
      pump(t.ledger(backups), live, backupSource(t, ingested), stop),
    ])
  },
}
