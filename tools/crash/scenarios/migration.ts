/**
 * A migration from the previous schema version: a database at version N-1 holding a history
 * (built as test/store/migrations.test.ts builds one: the schema migrated that far, then rows
 * written by the store on it), opened by the daemon, which migrates it at start; killed at a
 * random moment from the spawn, during the migration or the ingest after it.
 */
import { mkdirSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { toAfkPeriod, toNewEvent } from '../../../src/api/schemas/events.ts'
import { openStore } from '../../../src/store/open.ts'
import { LATEST_VERSION, migrate } from '../../../src/store/sqlite/migrations.ts'
import type { Scenario, Trial } from '../harness.ts'
import { afk, afkSource, eventSource, events, pump } from '../items.ts'

/** The history the previous version left: enough that migrating it takes a moment. */
const seededSizes = (t: Trial) => ({ events: t.size(20_000), afk: t.size(1_000) })

export const migration: Scenario = {
  name: 'migration',
  about: `a database at the previous schema version (${LATEST_VERSION - 1}) migrated at start`,
  async seed(t) {
    mkdirSync(t.dataDir, { recursive: true, mode: 0o700 })
    const db = new DatabaseSync(t.dbFile)
    migrate(db, t.dbFile, LATEST_VERSION - 1)
    db.close()
    const seeded = seededSizes(t)
    const store = await openStore({ driver: 'sqlite', file: t.dbFile, readers: 0 })
    try {
      const eventItems = eventSource(t.times, t.rng, 1000, seeded.events)
      for (let batch = eventItems(); batch; batch = eventItems()) {
        await store.events.insert(
          batch.map((e, i) => toNewEvent(e as never, i)),
          t.times.nowMs,
        )
        for (const e of batch) t.ledger(events).acked.set(e.entity_name, e)
      }
      const periods = afkSource(t.times, t.rng, 500, seeded.afk)
      for (let batch = periods(); batch; batch = periods()) {
        await store.afk.insert(
          batch.map((p, i) => toAfkPeriod(p as never, i)),
          t.times.nowMs,
        )
        for (const p of batch) t.ledger(afk).acked.set(afk.key(p), p)
      }
    } finally {
      await store.close()
    }
  },
  // From the spawn: the start (opening, migrating) takes about a second on a busy machine.
  kill: (t) => ({ from: 'spawn', ms: t.rng.int(200, 3000) }),
  async work(t, live) {
    const stop = () => t.stopped
    const seeded = seededSizes(t)
    await Promise.all([
      pump(t.ledger(events), live, eventSource(t.times, t.rng, 200, 40_000, seeded.events), stop),
      pump(t.ledger(afk), live, afkSource(t.times, t.rng, 20, 2_000, seeded.afk), stop),
    ])
  },
}
