-- Dimensions: UUIDv7 ids, names unique (case-sensitive), last_updated = unix seconds of the
-- latest activity that used the row.
CREATE TABLE apps (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  last_updated INTEGER NOT NULL
);
CREATE TABLE categories (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  last_updated INTEGER NOT NULL
);
CREATE TABLE languages (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  last_updated INTEGER NOT NULL
);
CREATE TABLE sources (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  last_updated INTEGER NOT NULL
);
CREATE TABLE projects (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL UNIQUE,
  root_path TEXT,
  last_updated INTEGER NOT NULL
);
CREATE INDEX idx_projects_recent ON projects (last_updated DESC, id DESC);
CREATE TABLE branches (
  id TEXT PRIMARY KEY NOT NULL,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  last_updated INTEGER NOT NULL,
  UNIQUE (project_id, name)
);
CREATE TABLE entities (
  id TEXT PRIMARY KEY NOT NULL,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  type TEXT,
  last_updated INTEGER NOT NULL,
  UNIQUE (project_id, name)
);

-- Events: millisecond UTC times, half-open [start_ms, end_ms).
CREATE TABLE events (
  id TEXT PRIMARY KEY NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL CHECK (end_ms >= start_ms),
  duration INTEGER CHECK (duration >= 0),
  category_id TEXT NOT NULL REFERENCES categories (id),
  app_id TEXT NOT NULL REFERENCES apps (id),
  entity_id TEXT NOT NULL REFERENCES entities (id),
  project_id TEXT NOT NULL REFERENCES projects (id),
  branch_id TEXT REFERENCES branches (id),
  language_id TEXT REFERENCES languages (id),
  source_id TEXT NOT NULL REFERENCES sources (id)
);
CREATE INDEX idx_events_start ON events (start_ms);
CREATE INDEX idx_events_project_start ON events (project_id, start_ms);
CREATE INDEX idx_events_app_start ON events (app_id, start_ms);

-- AFK periods; end_ms NULL while the period is still open.
CREATE TABLE afk_periods (
  id TEXT PRIMARY KEY NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER CHECK (end_ms IS NULL OR end_ms >= start_ms),
  duration INTEGER CHECK (duration >= 0)
);
CREATE INDEX idx_afk_start ON afk_periods (start_ms);

-- Project names, searchable by word prefix.
CREATE VIRTUAL TABLE projects_fts USING fts5 (
  name,
  content = 'projects',
  content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER projects_fts_insert AFTER INSERT ON projects BEGIN
  INSERT INTO projects_fts (rowid, name) VALUES (new.rowid, new.name);
END;
CREATE TRIGGER projects_fts_delete AFTER DELETE ON projects BEGIN
  INSERT INTO projects_fts (projects_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
END;
CREATE TRIGGER projects_fts_rename AFTER UPDATE OF name ON projects BEGIN
  INSERT INTO projects_fts (projects_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
  INSERT INTO projects_fts (rowid, name) VALUES (new.rowid, new.name);
END;

-- Daemon settings (key -> JSON value) and internal bookkeeping.
CREATE TABLE settings (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
CREATE TABLE meta (
  key TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
);
