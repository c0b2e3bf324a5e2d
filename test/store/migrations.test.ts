import assert from 'node:assert/strict'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { test } from 'node:test'
import { makeCalendar } from '../../src/domain/calendar.ts'
import { parse as uuidParse } from 'uuid'
import { eventId } from '../../src/domain/events.ts'
import { referenceFromStore } from './reference.ts'
import { openStore } from '../../src/store/open.ts'
import type { ActiveTimeQuery } from '../../src/store/ports.ts'
import { LATEST_VERSION, loadMigrations, migrate } from '../../src/store/sqlite/migrations.ts'
import { tempDir } from '../helpers.ts'
import { event, heartbeat } from './conformance.ts'

/** A database at schema `version`, through the raw connection (as an older Daybook left it). */
function databaseAt(file: string, version: number): DatabaseSync {
  const db = new DatabaseSync(file)
  migrate(db, file, version)
  return db
}

/** The versions after `version`, up to the latest: what migrating a database at `version` applies. */
function versionsAfter(version: number): number[] {
  return Array.from({ length: LATEST_VERSION - version }, (_, i) => version + 1 + i)
}

/**
 * Events as an older daemon stored them, through the raw connection (today's store writes columns
 * an older schema lacks): one project, entity, branch, language and source; an app each.
 */
function storeRaw(db: DatabaseSync, events: ReturnType<typeof event>[]): void {
  const own = db.prepare('SELECT id, uuid FROM devices WHERE own = 1').get() as {
    id: number
    uuid: string
  }
  db.exec(`
    INSERT INTO categories (uuid, name) VALUES ('c', 'Coding');
    INSERT INTO projects (uuid, name, root_path, last_updated) VALUES ('p', 'daybook', '/src/daybook', 0);
    INSERT INTO entities (project_id, name, type) VALUES (1, 'main.rs', 'File');
    INSERT INTO branches (project_id, name) VALUES (1, 'main');
    INSERT INTO languages (name) VALUES ('Rust');
    INSERT INTO sources (name) VALUES ('skopio-vscode');`)
  const app = db.prepare('INSERT INTO apps (uuid, name) VALUES (?, ?)')
  const insert = db.prepare(
    `INSERT INTO events (seq, id, device_id, start_ms, end_ms, category_id, app_id, entity_id,
       project_id, branch_id, language_id, source_id) VALUES (?, ?, ?, ?, ?, 1, ?, 1, 1, 1, 1, 1)`,
  )
  events.forEach((e, i) => {
    app.run(`a${i}`, e.app)
    insert.run(
      100 + i,
      Buffer.from(uuidParse(eventId(own.uuid, e))),
      own.id,
      e.startMs,
      e.endMs,
      i + 1,
    )
  })
  db.prepare("UPDATE meta SET value = ? WHERE key = 'seq'").run(100 + events.length - 1)
}

test('migrations are numbered 1..N without gaps, and N is the latest version', () => {
  const all = loadMigrations()
  assert.deepEqual(
    all.map((m) => m.version),
    Array.from({ length: all.length }, (_, i) => i + 1),
  )
  assert.equal(LATEST_VERSION, all.length)
})

test('a fresh database migrates to the latest version; migrating again is a no-op', async (t) => {
  const store = await openStore({
    driver: 'sqlite',
    file: path.join(tempDir(t), 'db.sqlite'),
    readers: 0,
  })
  t.after(() => store.close())
  assert.deepEqual(await store.schema(), { version: 0, latest: LATEST_VERSION })
  assert.deepEqual(
    await store.migrate(),
    Array.from({ length: LATEST_VERSION }, (_, i) => i + 1),
  )
  assert.deepEqual(await store.migrate(), [])
  assert.equal((await store.devices.list()).filter((d) => d.own).length, 1)
})

test('a database from a newer schema is refused, untouched', async (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  const db = new DatabaseSync(file)
  db.exec(`PRAGMA user_version = ${LATEST_VERSION + 1}`)
  db.close()
  await assert.rejects(openStore({ driver: 'sqlite', file }), {
    code: 'schema_too_new',
    message: new RegExp(`schema version ${LATEST_VERSION + 1}.*only knows up to ${LATEST_VERSION}`),
  })
  const after = new DatabaseSync(file, { readOnly: true })
  t.after(() => after.close())
  assert.deepEqual(
    { ...after.prepare('PRAGMA user_version').get() },
    { user_version: LATEST_VERSION + 1 },
  )
})

test('migration 4 converts a version-3 database: nothing lost, ids recomputed, re-sends still deduplicate', async (t) => {
  const file = path.join(tempDir(t), 'daybook.db')
  const old = databaseAt(file, 3)
  const T = Date.parse('2025-09-11T09:00:00Z')
  // Rows as version 3 wrote them: TEXT ids, events identified by content including the end. The
  // same heartbeat stored twice (a longer copy) is two rows there.
  old.exec(`
    INSERT INTO apps (id, name, last_updated) VALUES ('0199aaaa-0000-7000-8000-000000000001', 'Code', 1);
    INSERT INTO categories (id, name, last_updated) VALUES ('0199aaaa-0000-7000-8000-000000000002', 'Coding', 1);
    INSERT INTO projects (id, name, root_path, last_updated)
      VALUES ('0199aaaa-0000-7000-8000-000000000003', 'daybook', '/src/daybook', 1757581800);
    INSERT INTO sources (id, name, last_updated) VALUES ('s1', 'skopio-vscode', 1);
    INSERT INTO languages (id, name, last_updated) VALUES ('l1', 'Rust', 1);
    INSERT INTO branches (id, project_id, name, last_updated)
      VALUES ('b1', '0199aaaa-0000-7000-8000-000000000003', 'main', 1);
    INSERT INTO entities (id, project_id, name, type, last_updated)
      VALUES ('e1', '0199aaaa-0000-7000-8000-000000000003', 'main.rs', 'File', 1);
    INSERT INTO entities (id, project_id, name, type, last_updated)
      VALUES ('e2', '0199aaaa-0000-7000-8000-000000000003', 'lib.rs', 'File', 1);
  `)
  const insert = old.prepare(`
    INSERT INTO events (id, start_ms, end_ms, duration, category_id, app_id, entity_id, project_id,
                        branch_id, language_id, source_id)
    VALUES (?, ?, ?, ?, '0199aaaa-0000-7000-8000-000000000002', '0199aaaa-0000-7000-8000-000000000001',
            ?, '0199aaaa-0000-7000-8000-000000000003', 'b1', 'l1', 's1')`)
  insert.run('old-1', T, T + 600_000, 600, 'e1')
  insert.run('old-2', T, T + 900_000, 900, 'e1') // the same event, seen longer
  insert.run('old-3', T + 3_600_000, T + 3_660_000, 60, 'e2')
  old
    .prepare('INSERT INTO afk_periods (id, start_ms, end_ms, duration) VALUES (?, ?, ?, ?)')
    .run('a1', T + 300_000, T + 420_000, 120)
  old.prepare('INSERT INTO input_activity (bucket_ms, source, kp) VALUES (?, ?, ?)').run(T, 'kb', 7)
  old.prepare("INSERT INTO settings (key, value) VALUES ('timezone', '\"Europe/Berlin\"')").run()
  old.close()

  const store = await openStore({ driver: 'sqlite', file, readers: 1 })
  t.after(() => store.close())
  assert.deepEqual(
    await store.migrate(),
    Array.from({ length: LATEST_VERSION - 3 }, (_, i) => i + 4),
  )
  const [own] = await store.devices.list()
  assert.equal(own?.own, true)
  assert.equal(own?.events, 2)
  const { events } = await store.events.list({ range: {}, filters: {}, limit: 10 })
  assert.deepEqual(
    events.map((e) => [e.entity, e.endMs - e.startMs, e.device]),
    [
      ['main.rs', 900_000, own?.name],
      ['lib.rs', 60_000, own?.name],
    ],
  )
  assert.equal(
    events[0]?.id,
    eventId(own?.id, {
      source: 'skopio-vscode',
      startMs: T,
      category: 'Coding',
      app: 'Code',
      entity: 'main.rs',
      project: 'daybook',
      branch: 'main',
      language: 'Rust',
    }),
  )
  assert.deepEqual(
    (await store.catalog.apps()).map((a) => a.id),
    ['0199aaaa-0000-7000-8000-000000000001'],
  )
  assert.equal((await store.catalog.projects({ limit: 5 })).data[0]?.rootPath, '/src/daybook')
  assert.deepEqual(
    (await store.afk.list({})).map((p) => [p.startMs, p.endMs, p.device]),
    [[T + 300_000, T + 420_000, own?.name]],
  )
  assert.deepEqual(
    (await store.input.buckets({ startMs: 0 })).map((b) => [b.bucketMs, b.kp]),
    [[T, 7]],
  )
  assert.deepEqual(await store.settings.get(), { timezone: 'Europe/Berlin' })

  // Re-sending an old payload deduplicates; a longer copy extends.
  const again = await store.events.insert(
    [
      event({ startMs: T, endMs: T + 600_000, projectPath: '/src/daybook' }),
      event({ startMs: T + 3_600_000, endMs: T + 3_720_000, entity: 'lib.rs' }),
    ],
    T,
  )
  assert.deepEqual([again.inserted, again.duplicates, again.updated], [0, 1, 1])

  // Rollups are built after the migration; answers are exact before and after.
  const q: ActiveTimeQuery = {
    range: { startMs: T - 3_600_000, endMs: T + 86_400_000 },
    unit: 'hour',
    calendar: makeCalendar('Europe/Berlin'),
    filters: {},
    includeAfk: false,
  }
  const reference = await referenceFromStore(store, q)
  assert.deepEqual(await store.activeTime.query(q), reference)
  await store.activeTime.settle()
  assert.deepEqual(await store.activeTime.query(q), reference)
  assert.equal(
    reference.reduce((s, c) => s + c.seconds, 0),
    900 - 120 + 120,
  )
})

test('migration 1: the project search index follows inserts and renames (through migration 4)', async (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  t.after(() => store.close())
  await store.migrate()
  await store.events.insert([event({ project: 'alpha beta' })], Date.now())
  assert.deepEqual(
    (await store.catalog.searchProjects('bet', 5)).map((p) => p.name),
    ['alpha beta'],
  )
  const db = new DatabaseSync(file)
  t.after(() => db.close())
  db.prepare("UPDATE projects SET name = 'gamma' WHERE name = 'alpha beta'").run()
  assert.deepEqual(await store.catalog.searchProjects('bet', 5), [])
  assert.deepEqual(
    (await store.catalog.searchProjects('gam', 5)).map((p) => p.name),
    ['gamma'],
  )
})

test('input counts are unique per (bucket, device, source), aligned and non-negative', async (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  await store.migrate()
  await store.close()
  const db = new DatabaseSync(file)
  t.after(() => db.close())
  const insert = db.prepare(
    'INSERT INTO input_activity (bucket_ms, device_id, source, kp) VALUES (?, 1, ?, ?)',
  )
  insert.run(300_000, 'frames', 2)
  assert.throws(() => insert.run(300_000, 'frames', 3), /UNIQUE/)
  assert.throws(() => insert.run(300_001, 'frames', 1), /CHECK constraint/, 'bucket not aligned')
  assert.throws(() => insert.run(600_000, 'frames', -1), /CHECK constraint/, 'negative count')
})

test('migration 6 adds WakaTime heartbeats to a database with events: nothing lost, streams derive', async (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  databaseAt(file, 5).close()
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  t.after(() => store.close())
  const T = Date.parse('2025-09-11T09:00:00Z')
  assert.deepEqual(await store.migrate(), versionsAfter(5))
  await store.events.insert([event({ startMs: T, endMs: T + 60_000 })], T)
  const r = await store.heartbeats.insert(
    [heartbeat({ timeMs: T + 120_000 }), heartbeat({ timeMs: T + 180_000 })],
    T,
  )
  assert.deepEqual(r.stored, [true, true])
  const { events } = await store.events.list({ range: {}, filters: {}, limit: 10 })
  assert.deepEqual(
    events.map((e) => [e.source, e.startMs - T, e.endMs - T]),
    [
      ['skopio-vscode', 0, 60_000],
      ['wakatime-vscode', 120_000, 180_000],
    ],
  )
  const db = new DatabaseSync(file)
  t.after(() => db.close())
  assert.throws(
    () =>
      db
        .prepare(
          `INSERT INTO wakatime_heartbeats (device_id, hash, source_id, time_ms, entity, type,
             category, project, branch, language, is_write, agent_id) VALUES (1, x'00', 1, 0, '', '', '', '', '', '', 2, 1)`,
        )
        .run(),
    /CHECK constraint/,
  )
})

test('migration 7 indexes events by start alone: stored events still deduplicate and extend', async (t) => {
  const file = path.join(tempDir(t), 'db.sqlite')
  const T = Date.parse('2025-09-11T09:00:00Z')
  {
    // Two events of one start, as a version-6 daemon stored them.
    const db = databaseAt(file, 6)
    storeRaw(db, [
      event({ startMs: T, endMs: T + 60_000 }),
      event({ startMs: T, endMs: T + 30_000, app: 'Other' }),
    ])
    db.close()
  }
  // The migration keeps every row of the version-6 database.
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  t.after(() => store.close())
  assert.deepEqual(await store.migrate(), versionsAfter(6))
  const db = new DatabaseSync(file, { readOnly: true })
  t.after(() => db.close())
  const indexes = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'")
    .all()
    .map((r) => r.name)
  assert.ok(indexes.includes('events_start') && !indexes.includes('events_start_id'))
  const again = await store.events.insert(
    [
      event({ startMs: T, endMs: T + 60_000 }),
      event({ startMs: T, endMs: T + 90_000, app: 'Other' }),
      event({ startMs: T, endMs: T + 10_000, app: 'Third' }),
    ],
    T,
  )
  assert.deepEqual(
    { inserted: again.inserted, duplicates: again.duplicates, updated: again.updated },
    { inserted: 1, duplicates: 1, updated: 1 },
  )
  const { events } = await store.events.list({ range: {}, filters: {}, limit: 10 })
  assert.deepEqual(events.map((e) => [e.app, e.endMs - T]).sort(), [
    ['Code', 60_000],
    ['Other', 90_000],
    ['Third', 10_000],
  ])
})

test('the hooks migration adds empty hook tables to a database with events, which stay', async (t) => {
  const version = loadMigrations().find((m) => m.name === 'hooks')?.version
  assert.ok(version !== undefined, 'a migration named hooks')
  const file = path.join(tempDir(t), 'db.sqlite')
  const T = Date.parse('2025-09-11T09:00:00Z')
  {
    const db = databaseAt(file, version - 1)
    storeRaw(db, [event({ startMs: T, endMs: T + 60_000 })])
    db.close()
  }
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  t.after(() => store.close())
  assert.deepEqual(await store.migrate(), versionsAfter(version - 1))
  assert.deepEqual(await store.hooks.list(), [])
  assert.equal(await store.hooks.logCount(), 0)
  assert.deepEqual(await store.hooks.dnd(), { enabled: false, untilMs: null, quietHours: [] })
  const { events } = await store.events.list({ range: {}, filters: {}, limit: 10 })
  assert.equal(events.length, 1)
})

test('the sync migration puts a database’s events and input in the feed sync reads, nothing lost', async (t) => {
  const version = loadMigrations().find((m) => m.name === 'sync')?.version
  assert.ok(version !== undefined, 'a migration named sync')
  const file = path.join(tempDir(t), 'db.sqlite')
  const T = Date.parse('2025-09-11T09:00:00Z')
  {
    const db = databaseAt(file, version - 1)
    storeRaw(db, [event({ startMs: T, endMs: T + 60_000 })])
    const own = db.prepare('SELECT id FROM devices WHERE own = 1').get() as { id: number }
    const input = db.prepare(
      `INSERT INTO input_activity (bucket_ms, device_id, source, lc, rc, mc, kp, mm, scroll)
       VALUES (?, ?, 'daybook-input', 1, 0, 0, ?, 0, 0)`,
    )
    input.run(T, own.id, 40)
    input.run(T + 300_000, own.id, 2)
    db.close()
  }
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  t.after(() => store.close())
  assert.deepEqual(await store.migrate(), versionsAfter(version - 1))
  // Everything there was is this daemon's own, to push: the event and both input buckets, after
  // the rows that were in the feed, each at its own position.
  const page = await store.sync.changes(0, 100, { only: 'local' })
  const kinds = page.changes.map((c) => c.kind)
  assert.equal(kinds.filter((k) => k === 'event').length, 1)
  assert.equal(kinds.filter((k) => k === 'input').length, 2)
  assert.equal(page.next, await store.changes.last())
  assert.equal(await store.sync.pending(0), page.changes.length)
  const { events } = await store.events.list({ range: {}, filters: {}, limit: 10 })
  assert.equal(events.length, 1)
  // A write after the migration comes after them in the feed.
  await store.events.insert([event({ startMs: T + 120_000, endMs: T + 180_000 })], T)
  assert.equal((await store.sync.changes(page.next, 100, { only: 'local' })).changes.length, 1)
})

const HOUR = 3_600_000

test('the AFK source migration keeps every period; those stored before it read as "afk"', async (t) => {
  const version = loadMigrations().find((m) => m.name === 'afk_source')?.version
  assert.ok(version !== undefined, 'a migration named afk_source')
  const file = path.join(tempDir(t), 'db.sqlite')
  const T = Date.parse('2025-09-11T09:00:00Z')
  {
    const db = databaseAt(file, version - 1)
    db.prepare(
      `INSERT INTO afk_periods (seq, device_id, start_ms, end_ms, duration)
       VALUES (1, (SELECT id FROM devices WHERE own = 1), ?, ?, 600)`,
    ).run(T, T + 600_000)
    db.close()
  }
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  t.after(() => store.close())
  assert.deepEqual(await store.migrate(), versionsAfter(version - 1))
  await store.afk.insert(
    [
      {
        device: null,
        startMs: T + HOUR,
        endMs: T + HOUR + 60_000,
        durationSec: null,
        source: 'daybook-afk',
      },
    ],
    T + 2 * HOUR,
  )
  const periods = await store.afk.list({})
  assert.deepEqual(
    periods.map((p) => [p.startMs - T, p.endMs === null ? null : p.endMs - T, p.source]),
    [
      [0, 600_000, 'afk'],
      [HOUR, HOUR + 60_000, 'daybook-afk'],
    ],
  )
})

test('the screenshots migration adds an empty frame index and default settings beside stored events', async (t) => {
  const version = loadMigrations().find((m) => m.name === 'screenshots')?.version
  assert.ok(version !== undefined, 'a migration named screenshots')
  const file = path.join(tempDir(t), 'db.sqlite')
  databaseAt(file, version - 1).close()
  const T = Date.parse('2025-09-11T09:00:00Z')
  {
    const store = await openStore({ driver: 'sqlite', file, readers: 0 })
    await store.events.insert([event({ startMs: T, endMs: T + 60_000 })], T)
    await store.close()
  }
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  t.after(() => store.close())
  assert.deepEqual(await store.migrate(), versionsAfter(version - 1))
  assert.deepEqual(await store.screenshots.totals(), { frames: 0, bytes: 0, oldestMs: null })
  assert.equal((await store.screenshots.settings()).config.enabled, false)
  const { events } = await store.events.list({ range: {}, filters: {}, limit: 10 })
  assert.equal(events.length, 1)
})

test('the screenshot prefix migration rebuilds the text index: frames stored before it are found, by short prefixes too', async (t) => {
  const version = loadMigrations().find((m) => m.name === 'screenshots_prefix')?.version
  assert.ok(version !== undefined, 'a migration named screenshots_prefix')
  const file = path.join(tempDir(t), 'db.sqlite')
  const db = databaseAt(file, version - 1)
  const insert = db.prepare(
    `INSERT INTO screenshots (filename, date, at_ms, device, app, title, url, bytes, width, height, hash, text, ocr_ms)
     VALUES (?, '2025-09-11', ?, 'laptop', 'firefox', ?, NULL, 10, 1, 1, '00', ?, 5)`,
  )
  const T = Date.parse('2025-09-11T09:00:00Z')
  insert.run('20250911090000-laptop.webp', T, 'Budget', 'Quarterly revenue chart')
  insert.run('20250911090100-laptop.webp', T + 60_000, 'Notes', 'nothing to see')
  db.close()
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  t.after(() => store.close())
  assert.deepEqual(await store.migrate(), versionsAfter(version - 1))
  const found = async (q: string) =>
    (await store.screenshots.searchText(q, {}, 10)).map((h) => h.frame.atMs)
  assert.deepEqual(await found('re ch'), [T])
  assert.deepEqual(await found('not'), [T + 60_000])
  assert.deepEqual(await found('budget'), [T])
  // The index still follows the rows.
  await store.screenshots.purge({ endMs: T + 1 })
  assert.deepEqual(await found('revenue'), [])
})

test('the day cells migration sums the hour marginals a database kept: the same cells the writer keeps, answers exact at once', async (t) => {
  const version = loadMigrations().find((m) => m.name === 'day_cells')?.version
  assert.ok(version !== undefined, 'a migration named day_cells')
  const file = path.join(tempDir(t), 'db.sqlite')
  const T = Date.parse('2025-03-29T20:10:00Z') // over the Berlin spring-forward night
  const HOUR = 3_600_000
  const cells = (db: DatabaseSync) =>
    db.prepare('SELECT dim, day, value, ms FROM cells_day_dim ORDER BY dim, day, value').all()
  let kept: unknown[]
  {
    const store = await openStore({ driver: 'sqlite', file, readers: 0 })
    try {
      await store.migrate()
      await store.events.insert(
        Array.from({ length: 40 }, (_, i) => {
          const startMs = T + i * 5 * HOUR + i * 1_001
          return event({
            startMs,
            endMs: startMs + (i % 7) * HOUR + 123,
            app: ['Code', 'Firefox', 'iTerm2'][i % 3],
            source: ['skopio-vscode', 'daybook-browser'][i % 2],
          })
        }),
        T,
      )
      await store.activeTime.settle()
    } finally {
      await store.close()
    }
    // As a daemon of the version before left it: hour marginals, no day cells.
    const db = new DatabaseSync(file)
    kept = cells(db)
    assert.ok(kept.length > 0)
    db.exec(`DROP TABLE cells_day_dim; PRAGMA user_version = ${version - 1}`)
    // The day cells migration alone: the migrations after it are in this schema already.
    assert.deepEqual(migrate(db, file, version), [version])
    db.exec(`PRAGMA user_version = ${LATEST_VERSION}`)
    db.close()
  }
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  t.after(() => store.close())
  assert.deepEqual(await store.migrate(), [])
  assert.equal(await store.activeTime.pending(), 0)
  const db = new DatabaseSync(file, { readOnly: true })
  t.after(() => db.close())
  assert.deepEqual(cells(db), kept)
  const q: ActiveTimeQuery = {
    range: { startMs: T - 2 * 86_400_000, endMs: T + 12 * 86_400_000 },
    unit: 'day',
    calendar: makeCalendar('Europe/Berlin', '04:15'),
    groupBy: 'app',
    filters: {},
    includeAfk: false,
  }
  assert.deepEqual(await store.activeTime.query(q), await referenceFromStore(store, q))
})

test('the screenshots sync migration names each frame by its device, puts frames in the sync feed, and keeps them found', async (t) => {
  const version = loadMigrations().find((m) => m.name === 'screenshots_sync')?.version
  assert.ok(version !== undefined, 'a migration named screenshots_sync')
  const file = path.join(tempDir(t), 'db.sqlite')
  const db = databaseAt(file, version - 1)
  const own = db.prepare('SELECT uuid, name FROM devices WHERE own = 1').get() as {
    uuid: string
    name: string
  }
  const insert = db.prepare(
    `INSERT INTO screenshots (filename, date, at_ms, device, app, title, url, bytes, width, height, hash, text, ocr_ms)
     VALUES (?, '2025-09-11', ?, ?, 'firefox', 'Budget', NULL, 10, 1, 1, '00', ?, 5)`,
  )
  const T = Date.parse('2025-09-11T09:00:00Z')
  insert.run('20250911090000-laptop.webp', T, own.name, 'Quarterly revenue chart')
  // A frame of a device the collector named differently (no device row of that name yet).
  insert.run('20250911090100-desk.webp', T + 60_000, 'desk', 'quarterly notes')
  db.close()
  const store = await openStore({ driver: 'sqlite', file, readers: 0 })
  t.after(() => store.close())
  assert.deepEqual(await store.migrate(), versionsAfter(version - 1))
  const hits = await store.screenshots.searchText('quarterly', {}, 10)
  assert.deepEqual(hits.map((h) => [h.frame.atMs, h.frame.device, h.frame.here]).sort(), [
    [T, own.name, true],
    [T + 60_000, 'desk', true],
  ])
  const page = await store.sync.changes(0, 100, { only: 'local' })
  const frames = page.changes.filter((c) => c.kind === 'screenshot')
  assert.deepEqual(
    frames.map((c) => c.kind === 'screenshot' && c.device).sort(),
    [own.uuid, (await store.devices.list()).find((d) => d.name === 'desk')?.id].sort(),
  )
  // The text index still follows the rows.
  await store.screenshots.purge({ endMs: T + 1 })
  assert.deepEqual(
    (await store.screenshots.searchText('quarterly', {}, 10)).map((h) => h.frame.atMs),
    [T + 60_000],
  )
})
