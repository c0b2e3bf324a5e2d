-- Screenshots: one index row a frame (its file is screenshots/<date>/<filename> under the data
-- dir), its OCR text and title in a full-text index kept in step by triggers, and the capture
-- settings (JSON, as src/domain/screenshots.ts defines them). Not in the change feed.
CREATE TABLE screenshots (
  id INTEGER PRIMARY KEY,
  filename TEXT NOT NULL UNIQUE,
  date TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  device TEXT NOT NULL,
  app TEXT NOT NULL,
  title TEXT NOT NULL,
  url TEXT,
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  hash TEXT NOT NULL,
  text TEXT,
  ocr_ms INTEGER
);
CREATE INDEX screenshots_at ON screenshots (at_ms);

CREATE VIRTUAL TABLE screenshots_fts USING fts5 (
  text,
  title,
  content = 'screenshots',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER screenshots_fts_insert AFTER INSERT ON screenshots BEGIN
  INSERT INTO screenshots_fts (rowid, text, title) VALUES (new.id, coalesce(new.text, ''), new.title);
END;
CREATE TRIGGER screenshots_fts_delete AFTER DELETE ON screenshots BEGIN
  INSERT INTO screenshots_fts (screenshots_fts, rowid, text, title)
  VALUES ('delete', old.id, coalesce(old.text, ''), old.title);
END;

CREATE TABLE screenshot_config (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
