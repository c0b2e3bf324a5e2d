/**
 * Screenshots' index rows join sync (their images stay on their device).
 *
 * - A frame names its device by `device_id` (`devices.id`) instead of a name: names change and
 *   differ between daemons, and two devices may share a name's slug, so a frame is one per
 *   device and file name (`UNIQUE (device_id, filename)`) rather than per file name.
 * - `seq` and `origin`, as every row kind of the feed has: a frame from another daemon has an
 *   origin, and its image is not here. Existing frames get feed positions after every row.
 * - `screenshot_unlinks`: image files of frames another daemon deleted (a purge there), to be
 *   deleted here by the screenshot service; written with the deletion, so none is forgotten.
 *
 * The table is rebuilt keeping each row's id, so the full-text index (rowid = id) stays valid.
 */
import { randomUUID } from 'node:crypto'
import type { DatabaseSync } from 'node:sqlite'
import { namedDeviceId } from '../../../domain/events.ts'

const CREATE = `
DROP TRIGGER screenshots_fts_insert;
DROP TRIGGER screenshots_fts_delete;
CREATE TABLE screenshots_next (
  id INTEGER PRIMARY KEY,
  filename TEXT NOT NULL,
  date TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  device_id INTEGER NOT NULL,
  app TEXT NOT NULL,
  title TEXT NOT NULL,
  url TEXT,
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  hash TEXT NOT NULL,
  text TEXT,
  ocr_ms INTEGER,
  seq INTEGER NOT NULL,
  origin INTEGER,
  UNIQUE (device_id, filename)
);
`

const COPY = `
INSERT INTO screenshots_next
  (id, filename, date, at_ms, device_id, app, title, url, bytes, width, height, hash, text, ocr_ms,
   seq, origin)
SELECT s.id, s.filename, s.date, s.at_ms, d.id, s.app, s.title, s.url, s.bytes, s.width, s.height,
  s.hash, s.text, s.ocr_ms, $base + row_number() OVER (ORDER BY s.id), NULL
FROM screenshots s JOIN devices d ON d.name = s.device
`

const FINISH = `
DROP TABLE screenshots;
ALTER TABLE screenshots_next RENAME TO screenshots;
CREATE INDEX screenshots_at ON screenshots (at_ms);
CREATE INDEX screenshots_seq ON screenshots (seq);
CREATE INDEX screenshots_name ON screenshots (filename);
CREATE TRIGGER screenshots_fts_insert AFTER INSERT ON screenshots BEGIN
  INSERT INTO screenshots_fts (rowid, text, title) VALUES (new.id, coalesce(new.text, ''), new.title);
END;
CREATE TRIGGER screenshots_fts_delete AFTER DELETE ON screenshots BEGIN
  INSERT INTO screenshots_fts (screenshots_fts, rowid, text, title)
  VALUES ('delete', old.id, coalesce(old.text, ''), old.title);
END;
CREATE TABLE screenshot_unlinks (
  date TEXT NOT NULL,
  filename TEXT NOT NULL,
  PRIMARY KEY (date, filename)
) WITHOUT ROWID;
`

export function up(db: DatabaseSync): void {
  let seq =
    (db.prepare("SELECT value FROM meta WHERE key = 'seq'").get() as { value: number } | undefined)
      ?.value ?? 0
  // A frame's device by name, created as ingest creates a device it has not seen.
  const missing = db
    .prepare(
      `SELECT DISTINCT s.device AS name FROM screenshots s
       WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.name = s.device)`,
    )
    .all() as { name: string }[]
  const taken = db.prepare('SELECT 1 AS x FROM devices WHERE uuid = ?')
  const insert = db.prepare(
    'INSERT INTO devices (uuid, name, own, created_ms, events, seq) VALUES (?, ?, 0, ?, 0, ?)',
  )
  for (const { name } of missing) {
    let uuid = namedDeviceId(name)
    if (taken.get(uuid)) uuid = randomUUID()
    insert.run(uuid, name, Date.now(), ++seq)
  }
  const frames = (db.prepare('SELECT count(*) AS n FROM screenshots').get() as { n: number }).n
  db.exec(CREATE)
  db.prepare(COPY).run({ base: seq })
  db.exec(FINISH)
  db.prepare(
    `INSERT INTO meta (key, value) VALUES ('seq', $v)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  ).run({ v: seq + frames })
}
