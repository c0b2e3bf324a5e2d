/**
 * Migration 4: devices, integer-keyed dimensions, extension-stable event ids, the change feed,
 * tombstones, inferred AFK ends, input per device, and rollup cells.
 *
 * Existing data is converted, nothing dropped: every event and AFK period goes to the daemon's own
 * device (created here: a random id, the host name), event ids are recomputed over (device,
 * source, start, names) — so re-sends of old payloads still deduplicate — and two old rows that
 * differed only in their end (a heartbeat stored twice) become one row with the later end.
 * Apps, categories and projects keep their public ids. Rollups are built after the migration, in
 * the background; every slot with events starts dirty.
 */
import { randomUUID } from 'node:crypto'
import type { DatabaseSync } from 'node:sqlite'
import { parse as uuidParse } from 'uuid'
import { defaultDeviceName } from '../../../config/device.ts'
import { eventId } from '../../../domain/events.ts'

const SCHEMA = `
CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  own INTEGER NOT NULL DEFAULT 0 CHECK (own IN (0, 1)),
  created_ms INTEGER NOT NULL,
  last_seen_ms INTEGER,
  events INTEGER NOT NULL DEFAULT 0,
  seq INTEGER NOT NULL
);
CREATE UNIQUE INDEX devices_own ON devices (own) WHERE own = 1;
CREATE INDEX devices_seq ON devices (seq);

-- Dimensions: integer ids inside, names outside. Apps, categories and projects keep a public
-- uuid. Only projects are listed by recency, so only they track their latest activity.
CREATE TABLE v4_apps (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE);
CREATE TABLE v4_categories (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE);
CREATE TABLE v4_projects (
  id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE, root_path TEXT,
  last_updated INTEGER NOT NULL
);
CREATE TABLE v4_sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE v4_languages (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE v4_branches (
  id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, name TEXT NOT NULL, UNIQUE (project_id, name)
);
CREATE TABLE v4_entities (
  id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, name TEXT NOT NULL, type TEXT,
  UNIQUE (project_id, name)
);

-- seq is the row's place in the change feed and moves forward whenever the row changes; id is the
-- 16-byte content id. No foreign keys: ids come from the dimension tables in the same transaction.
CREATE TABLE v4_events (
  seq INTEGER PRIMARY KEY,
  id BLOB NOT NULL,
  device_id INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL CHECK (end_ms >= start_ms),
  duration INTEGER CHECK (duration >= 0), -- only when the client's differs from end - start
  category_id INTEGER NOT NULL,
  app_id INTEGER NOT NULL,
  entity_id INTEGER NOT NULL,
  project_id INTEGER NOT NULL,
  branch_id INTEGER,
  language_id INTEGER,
  source_id INTEGER NOT NULL
);

CREATE TABLE v4_afk_periods (
  seq INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER CHECK (end_ms IS NULL OR end_ms >= start_ms),
  inferred_end_ms INTEGER,
  duration INTEGER CHECK (duration >= 0),
  UNIQUE (device_id, start_ms)
);

CREATE TABLE v4_input_activity (
  bucket_ms INTEGER NOT NULL CHECK (bucket_ms % 300000 = 0),
  device_id INTEGER NOT NULL,
  source TEXT NOT NULL,
  lc INTEGER NOT NULL DEFAULT 0 CHECK (lc >= 0),
  rc INTEGER NOT NULL DEFAULT 0 CHECK (rc >= 0),
  mc INTEGER NOT NULL DEFAULT 0 CHECK (mc >= 0),
  kp INTEGER NOT NULL DEFAULT 0 CHECK (kp >= 0),
  mm INTEGER NOT NULL DEFAULT 0 CHECK (mm >= 0),
  scroll INTEGER NOT NULL DEFAULT 0 CHECK (scroll >= 0),
  PRIMARY KEY (bucket_ms, device_id, source)
) WITHOUT ROWID;

-- Labels: a person's notes on a stretch of time ("planning", "release day"). seq moves with every
-- change, like events'.
CREATE TABLE labels (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  text TEXT NOT NULL,
  context TEXT,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL CHECK (end_ms >= start_ms),
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX labels_start ON labels (start_ms);
CREATE INDEX labels_created ON labels (created_ms);

-- When each collector last sent data, per source, device and kind (events, afk, input): a
-- watcher that went silent shows in the status.
CREATE TABLE collectors (
  source TEXT NOT NULL,
  device_id INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('events', 'afk', 'input')),
  last_seen_ms INTEGER NOT NULL,
  items INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, device_id, kind)
) WITHOUT ROWID;

-- Deleted rows, so the feed (and sync) learns of deletions; a deleted event stays deleted.
CREATE TABLE tombstones (
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  id BLOB NOT NULL,
  start_ms INTEGER
);
CREATE UNIQUE INDEX tombstones_id ON tombstones (kind, id);

-- Rollups. A slot is 15 minutes of UTC (epoch ms / 900000); an hour cell is the sum of its four
-- slots. Cells hold the active seconds each dimension tuple owned in the resolved timeline; a
-- dimension a tuple lacks is 0. A dirty slot's
-- cells (and its hour's) are stale until the writer recomputes them; readers resolve dirty slots
-- from events meanwhile, so answers are exact at every moment. marked_ms is when a write last
-- touched the slot: the writer waits until it has settled before recomputing it.
CREATE TABLE dirty_slots (slot INTEGER PRIMARY KEY, marked_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE cells_slot (
  slot INTEGER NOT NULL, device INTEGER NOT NULL, source INTEGER NOT NULL,
  category INTEGER NOT NULL, app INTEGER NOT NULL, project INTEGER NOT NULL,
  branch INTEGER NOT NULL, language INTEGER NOT NULL, seconds INTEGER NOT NULL,
  PRIMARY KEY (slot, device, source, category, app, project, branch, language)
) WITHOUT ROWID;
CREATE TABLE cells_hour (
  hour INTEGER NOT NULL, device INTEGER NOT NULL, source INTEGER NOT NULL,
  category INTEGER NOT NULL, app INTEGER NOT NULL, project INTEGER NOT NULL,
  branch INTEGER NOT NULL, language INTEGER NOT NULL, seconds INTEGER NOT NULL,
  PRIMARY KEY (hour, device, source, category, app, project, branch, language)
) WITHOUT ROWID;
-- Marginals: per hour, the seconds of each value of one dimension (dim 0 = the total, 1..7 =
-- device, source, category, app, project, branch, language, 8 = entity). A question grouped or
-- filtered by at most one dimension reads these: a few rows an hour instead of every tuple.
CREATE TABLE cells_hour_dim (
  dim INTEGER NOT NULL, hour INTEGER NOT NULL, value INTEGER NOT NULL, seconds INTEGER NOT NULL,
  PRIMARY KEY (dim, hour, value)
) WITHOUT ROWID;
-- Project × entity: the files of a project, its windows, its pages. Entities are the many
-- values (a file, a window title, a URL), so they get their own narrow family rather than a
-- column in every tuple.
CREATE TABLE cells_slot_pe (
  slot INTEGER NOT NULL, project INTEGER NOT NULL, entity INTEGER NOT NULL,
  seconds INTEGER NOT NULL, PRIMARY KEY (slot, project, entity)
) WITHOUT ROWID;
CREATE TABLE cells_hour_pe (
  hour INTEGER NOT NULL, project INTEGER NOT NULL, entity INTEGER NOT NULL,
  seconds INTEGER NOT NULL, PRIMARY KEY (hour, project, entity)
) WITHOUT ROWID;
`

const FINAL = `
DROP TRIGGER projects_fts_insert;
DROP TRIGGER projects_fts_delete;
DROP TRIGGER projects_fts_rename;
DROP TABLE projects_fts;
DROP TABLE events;
DROP TABLE afk_periods;
DROP TABLE input_activity;
DROP TABLE branches;
DROP TABLE entities;
DROP TABLE apps;
DROP TABLE categories;
DROP TABLE projects;
DROP TABLE sources;
DROP TABLE languages;
ALTER TABLE v4_apps RENAME TO apps;
ALTER TABLE v4_categories RENAME TO categories;
ALTER TABLE v4_projects RENAME TO projects;
ALTER TABLE v4_sources RENAME TO sources;
ALTER TABLE v4_languages RENAME TO languages;
ALTER TABLE v4_branches RENAME TO branches;
ALTER TABLE v4_entities RENAME TO entities;
ALTER TABLE v4_events RENAME TO events;
ALTER TABLE v4_afk_periods RENAME TO afk_periods;
ALTER TABLE v4_input_activity RENAME TO input_activity;

CREATE INDEX projects_recent ON projects (last_updated DESC, uuid DESC);
-- Lookup by identity and range scans by start; events longer than an hour are also indexed by
-- end, so a range finds every event overlapping it without scanning back a week.
CREATE UNIQUE INDEX events_start_id ON events (start_ms, id);
CREATE INDEX events_long ON events (end_ms) WHERE end_ms - start_ms > 3600000;
CREATE INDEX afk_start ON afk_periods (start_ms);
CREATE INDEX afk_open ON afk_periods (device_id, start_ms) WHERE end_ms IS NULL;
CREATE INDEX input_device ON input_activity (device_id, bucket_ms);

CREATE VIRTUAL TABLE projects_fts USING fts5 (
  name, content = 'projects', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO projects_fts (projects_fts) VALUES ('rebuild');
CREATE TRIGGER projects_fts_insert AFTER INSERT ON projects BEGIN
  INSERT INTO projects_fts (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER projects_fts_delete AFTER DELETE ON projects BEGIN
  INSERT INTO projects_fts (projects_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER projects_fts_rename AFTER UPDATE OF name ON projects BEGIN
  INSERT INTO projects_fts (projects_fts, rowid, name) VALUES ('delete', old.id, old.name);
  INSERT INTO projects_fts (rowid, name) VALUES (new.id, new.name);
END;

-- Label text and context, searchable (ranked with BM25). The index follows the row's seq.
CREATE VIRTUAL TABLE labels_fts USING fts5 (
  text, context, content = 'labels', content_rowid = 'seq',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER labels_fts_insert AFTER INSERT ON labels BEGIN
  INSERT INTO labels_fts (rowid, text, context) VALUES (new.seq, new.text, new.context);
END;
CREATE TRIGGER labels_fts_delete AFTER DELETE ON labels BEGIN
  INSERT INTO labels_fts (labels_fts, rowid, text, context)
  VALUES ('delete', old.seq, old.text, old.context);
END;
CREATE TRIGGER labels_fts_update AFTER UPDATE ON labels BEGIN
  INSERT INTO labels_fts (labels_fts, rowid, text, context)
  VALUES ('delete', old.seq, old.text, old.context);
  INSERT INTO labels_fts (rowid, text, context) VALUES (new.seq, new.text, new.context);
END;

-- Names searchable by word prefix: entities (files, titles, URLs), apps, branches.
CREATE VIRTUAL TABLE entities_fts USING fts5 (
  name, content = 'entities', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO entities_fts (entities_fts) VALUES ('rebuild');
CREATE TRIGGER entities_fts_insert AFTER INSERT ON entities BEGIN
  INSERT INTO entities_fts (rowid, name) VALUES (new.id, new.name);
END;

ALTER TABLE settings ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
DELETE FROM meta WHERE key = 'max_event_ms';
`

const SLOT_MS = 900_000

interface OldEvent {
  start_ms: number
  end_ms: number
  duration: number | null
  category: string
  app: string
  entity: string
  project: string
  branch: string | null
  language: string | null
  source: string
  category_id: number
  app_id: number
  entity_id: number
  project_id: number
  branch_id: number | null
  language_id: number | null
  source_id: number
}

export function up(db: DatabaseSync): void {
  db.exec(SCHEMA)
  let seq = 0
  const own = { uuid: randomUUID(), name: defaultDeviceName() }
  const now = Date.now()

  // Dimensions: new integer ids; apps, categories and projects keep their public ids.
  db.exec(`
    INSERT INTO v4_apps (uuid, name) SELECT id, name FROM apps ORDER BY rowid;
    INSERT INTO v4_categories (uuid, name) SELECT id, name FROM categories ORDER BY rowid;
    INSERT INTO v4_projects (uuid, name, root_path, last_updated)
      SELECT id, name, root_path, last_updated FROM projects ORDER BY rowid;
    INSERT INTO v4_sources (name) SELECT name FROM sources ORDER BY rowid;
    INSERT INTO v4_languages (name) SELECT name FROM languages ORDER BY rowid;
    INSERT INTO v4_branches (project_id, name)
      SELECT np.id, b.name FROM branches b
      JOIN projects p ON p.id = b.project_id JOIN v4_projects np ON np.name = p.name ORDER BY b.rowid;
    INSERT INTO v4_entities (project_id, name, type)
      SELECT np.id, e.name, e.type FROM entities e
      JOIN projects p ON p.id = e.project_id JOIN v4_projects np ON np.name = p.name ORDER BY e.rowid;
  `)
  db.prepare(
    'INSERT INTO devices (uuid, name, own, created_ms, last_seen_ms, events, seq) VALUES (?, ?, 1, ?, NULL, 0, ?)',
  ).run(own.uuid, own.name, now, ++seq)
  const ownId = (db.prepare('SELECT id FROM devices WHERE own = 1').get() as { id: number }).id

  // Events, oldest first, each with its new id; a second row with the same identity only extends.
  const old = db.prepare(`
    SELECT e.start_ms, e.end_ms, e.duration,
           c.name AS category, a.name AS app, en.name AS entity, p.name AS project,
           b.name AS branch, l.name AS language, s.name AS source,
           nc.id AS category_id, na.id AS app_id, nen.id AS entity_id, np.id AS project_id,
           nb.id AS branch_id, nl.id AS language_id, ns.id AS source_id
    FROM events e
    JOIN categories c ON c.id = e.category_id JOIN v4_categories nc ON nc.name = c.name
    JOIN apps a ON a.id = e.app_id JOIN v4_apps na ON na.name = a.name
    JOIN projects p ON p.id = e.project_id JOIN v4_projects np ON np.name = p.name
    JOIN entities en ON en.id = e.entity_id
      JOIN v4_entities nen ON nen.project_id = np.id AND nen.name = en.name
    LEFT JOIN branches b ON b.id = e.branch_id
      LEFT JOIN v4_branches nb ON nb.project_id = np.id AND nb.name = b.name
    LEFT JOIN languages l ON l.id = e.language_id LEFT JOIN v4_languages nl ON nl.name = l.name
    JOIN sources s ON s.id = e.source_id JOIN v4_sources ns ON ns.name = s.name
    ORDER BY e.start_ms, e.end_ms`)
  const find = db.prepare('SELECT seq, end_ms FROM v4_events WHERE start_ms = ? AND id = ?')
  const insert = db.prepare(`
    INSERT INTO v4_events (seq, id, device_id, start_ms, end_ms, duration, category_id, app_id,
                           entity_id, project_id, branch_id, language_id, source_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const extend = db.prepare('UPDATE v4_events SET end_ms = ?, duration = ? WHERE seq = ?')
  const dirty = db.prepare('INSERT OR IGNORE INTO dirty_slots (slot) VALUES (?)')
  let count = 0
  let maxEnd = 0
  for (const e of old.iterate() as Iterable<OldEvent>) {
    const id = Buffer.from(uuidParse(eventId(own.uuid, { ...e, startMs: e.start_ms })))
    const duration = storedDuration(e.duration, e.start_ms, e.end_ms)
    const found = find.get(e.start_ms, id) as { seq: number; end_ms: number } | undefined
    if (found) {
      if (e.end_ms > found.end_ms) extend.run(e.end_ms, duration, found.seq)
    } else {
      insert.run(
        ++seq,
        id,
        ownId,
        e.start_ms,
        e.end_ms,
        duration,
        e.category_id,
        e.app_id,
        e.entity_id,
        e.project_id,
        e.branch_id,
        e.language_id,
        e.source_id,
      )
      count++
    }
    maxEnd = Math.max(maxEnd, e.end_ms)
    for (let s = Math.floor(e.start_ms / SLOT_MS); s <= Math.floor(e.end_ms / SLOT_MS); s++) {
      dirty.run(s)
    }
  }
  db.prepare('UPDATE devices SET events = ?, last_seen_ms = ? WHERE id = ?').run(
    count,
    count > 0 ? maxEnd : null,
    ownId,
  )

  // AFK periods and input rows belong to the daemon's own device.
  const afk = db.prepare('SELECT start_ms, end_ms, duration FROM afk_periods ORDER BY start_ms')
  const insertAfk = db.prepare(
    'INSERT INTO v4_afk_periods (seq, device_id, start_ms, end_ms, duration) VALUES (?, ?, ?, ?, ?)',
  )
  for (const p of afk.iterate() as Iterable<{
    start_ms: number
    end_ms: number | null
    duration: number | null
  }>) {
    insertAfk.run(++seq, ownId, p.start_ms, p.end_ms, p.duration)
    const last = p.end_ms ?? maxEnd
    for (let s = Math.floor(p.start_ms / SLOT_MS); s <= Math.floor(last / SLOT_MS); s++) {
      dirty.run(s)
    }
  }
  db.prepare(
    `INSERT INTO v4_input_activity (bucket_ms, device_id, source, lc, rc, mc, kp, mm, scroll)
     SELECT bucket_ms, ?, source, lc, rc, mc, kp, mm, scroll FROM input_activity`,
  ).run(ownId)

  db.exec(FINAL)
  for (const key of db.prepare('SELECT key FROM settings ORDER BY key').all() as {
    key: string
  }[]) {
    db.prepare('UPDATE settings SET seq = ? WHERE key = ?').run(++seq, key.key)
  }
  const setMeta = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  )
  setMeta.run('seq', seq)
  setMeta.run('max_end_ms', maxEnd)
}

/** The client's duration, kept only when it says something `end - start` does not. */
export function storedDuration(
  duration: number | null,
  startMs: number,
  endMs: number,
): number | null {
  return duration === null || duration === Math.round((endMs - startMs) / 1000) ? null : duration
}
