/**
 * The PostgreSQL migration that makes a diary syncable, on a diary written before it: input
 * buckets recorded before get feed positions after every row there was (so a hub passes them on),
 * rows kept before are this daemon's own (no origin), and nothing else moves.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import pg from 'pg'
import { openStore } from '../../src/store/open.ts'
import { PG_MIGRATIONS } from '../../src/store/postgres/schema.ts'
import { freshDatabase, postgresUnavailable } from '../postgres.ts'

const missing = await postgresUnavailable()
const SYNC = PG_MIGRATIONS.find((m) => m.name === 'sync')

test(
  'the sync migration gives input recorded before feed positions after every row, and keeps the rest',
  { skip: missing ?? false },
  async (t) => {
    assert.ok(SYNC, 'a migration named sync')
    const url = await freshDatabase(t)
    const c = new pg.Client({ connectionString: url })
    // Ended before the test's database is dropped (its `after` runs first).
    c.on('error', () => undefined)
    await c.connect()
    // The schema as it was before the sync migration, with a bit of everything in it.
    for (const m of PG_MIGRATIONS.filter((x) => x.version < SYNC.version)) await c.query(m.sql)
    await c.query(
      `INSERT INTO meta (key, value) VALUES ('schema_version', $1), ('seq', 3);
       INSERT INTO devices (uuid, name, own, created_ms, events, seq)
         VALUES ('7f7a6c3e-0000-4000-8000-000000000001', 'laptop', true, 0, 1, 1);
       INSERT INTO events (seq, id, device_id, start_ms, end_ms, category, app, entity, project,
         source) VALUES (2, '7f7a6c3e-0000-4000-8000-000000000002', 1, 1757581200000,
         1757581500000, 'Coding', 'Code', 'a.ts', 'p', 'daybook-editor');
       INSERT INTO settings (key, value, seq) VALUES ('timezone', '"Europe/Berlin"', 3);
       INSERT INTO input_activity (bucket_ms, device_id, source, kp)
         VALUES (1757581200000, 1, 'daybook-input', 5), (1757581500000, 1, 'daybook-input', 7)`.replace(
        '$1',
        String(SYNC.version - 1),
      ),
    )
    const store = await openStore({ driver: 'postgres', url, poolSize: 2 })
    t.after(async () => {
      await store.close()
      await c.end()
    })
    assert.deepEqual(await store.migrate(), [
      ...PG_MIGRATIONS.filter((m) => m.version >= SYNC.version).map((m) => m.version),
    ])
    const input = await c.query<{ seq: string; kp: string }>(
      'SELECT seq, kp FROM input_activity ORDER BY bucket_ms',
    )
    assert.deepEqual(
      input.rows.map((r) => [Number(r.seq), Number(r.kp)]),
      [
        [4, 5],
        [5, 7],
      ],
    )
    assert.equal(await store.changes.last(), 5)
    // Everything kept before is this daemon's to push, input buckets included.
    const page = await store.sync.changes(0, 100, { only: 'local' })
    assert.deepEqual(
      page.changes.map((ch) => ch.kind),
      ['device', 'event', 'setting', 'input', 'input'],
    )
    assert.equal(await store.sync.pending(0), 5)
    assert.equal(page.next, 5)
    // Rows kept before keep what they said.
    assert.equal((await store.settings.get()).timezone, 'Europe/Berlin')
    const { events } = await store.events.list({ range: {}, filters: {}, limit: 10 })
    assert.deepEqual(
      events.map((e) => [e.id, e.device, e.endMs]),
      [['7f7a6c3e-0000-4000-8000-000000000002', 'laptop', 1757581500000]],
    )
  },
)
