/**
 * Migration 9: sync between daemons (a hub and its spokes).
 *
 * - `origin` on every row kind of the feed: null for a row as this daemon last changed it, else
 *   the device (`devices.id`) of the daemon it was received from in that state, so a spoke pushes
 *   only what it made and a hub does not send a spoke back its own changes. Every local write
 *   that changes a row sets it back to null.
 * - `version`: the hybrid-clock time of the latest change of labels, settings and device names
 *   (last writer wins), of events derived from WakaTime heartbeats (re-derived by their own
 *   daemon), and of tombstones; 0 or null before this migration.
 * - Input buckets join the feed (`seq`); existing rows get positions after every other row.
 * - Tombstones say whose event or period they were (`device_id`).
 * - A hub's pairing codes (only a hash of each) and paired devices (only a hash of each token).
 */
import type { DatabaseSync } from 'node:sqlite'

const SCHEMA = `
ALTER TABLE events ADD COLUMN version INTEGER;
ALTER TABLE events ADD COLUMN origin INTEGER;
ALTER TABLE afk_periods ADD COLUMN origin INTEGER;
ALTER TABLE input_activity ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE input_activity ADD COLUMN origin INTEGER;
ALTER TABLE tombstones ADD COLUMN device_id INTEGER;
ALTER TABLE tombstones ADD COLUMN version INTEGER;
ALTER TABLE tombstones ADD COLUMN origin INTEGER;
ALTER TABLE labels ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE labels ADD COLUMN origin INTEGER;
ALTER TABLE settings ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE settings ADD COLUMN origin INTEGER;
ALTER TABLE devices ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN origin INTEGER;

-- Pairing codes a hub handed out: a SHA-256 of the code (the code itself is shown once), the
-- name the device will have, when it expires and when it was used (a code works once).
CREATE TABLE sync_codes (
  hash BLOB PRIMARY KEY NOT NULL,
  name TEXT,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER
) WITHOUT ROWID;

-- Devices paired with this hub: the token bound to each (a SHA-256 of it; tokens never sync),
-- and how far the hub has stored the device's own changes (its feed position, acknowledged in
-- the transaction that stored them). \`epoch\` is the device's run the cursor was given in.
CREATE TABLE sync_clients (
  id TEXT PRIMARY KEY NOT NULL,
  device_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  token_preview TEXT NOT NULL,
  paired_ms INTEGER NOT NULL,
  last_seen_ms INTEGER,
  pushed_seq INTEGER NOT NULL DEFAULT 0,
  epoch INTEGER,
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
);
CREATE INDEX sync_clients_device ON sync_clients (device_id);
`

export function up(db: DatabaseSync): void {
  db.exec(SCHEMA)
  // Existing input buckets get feed positions after every row there is, in bucket order.
  const base =
    (db.prepare("SELECT value FROM meta WHERE key = 'seq'").get() as { value: number } | undefined)
      ?.value ?? 0
  const count = (db.prepare('SELECT count(*) AS n FROM input_activity').get() as { n: number }).n
  db.prepare(
    `UPDATE input_activity SET seq = $base + n.rn
     FROM (SELECT bucket_ms AS b, device_id AS d, source AS s,
                  row_number() OVER (ORDER BY bucket_ms, device_id, source) AS rn
           FROM input_activity) AS n
     WHERE input_activity.bucket_ms = n.b AND input_activity.device_id = n.d
       AND input_activity.source = n.s`,
  ).run({ base })
  db.exec('CREATE INDEX input_seq ON input_activity (seq)')
  db.prepare(
    `INSERT INTO meta (key, value) VALUES ('seq', $v)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  ).run({ v: base + count })
}
