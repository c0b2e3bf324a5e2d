/**
 * The PostgreSQL schema, as numbered migrations (`schema_version` in `meta` is the newest applied).
 * Never edit a released migration: add the next one. The schema is the SQLite store's in
 * PostgreSQL's terms, with names kept inline in event rows (PostgreSQL compresses and indexes
 * them; no per-batch dimension cache across processes to keep coherent).
 *
 * Feed positions (`seq`) come from `meta.seq`, advanced inside write transactions that hold their
 * diary's advisory lock (`WRITE_LOCK` and the schema, see `lockDiary`): a diary's writes, from any
 * daemon process on the database, commit one at a time and in the order they drew their positions
 * — so a reader of the feed never sees a later position before an earlier one has committed.
 */

/** One migration: its number and the statements that apply it. */
export interface PgMigration {
  version: number
  name: string
  sql: string
}

const V1 = `
CREATE TABLE meta (key text PRIMARY KEY, value bigint NOT NULL);

CREATE TABLE devices (
  id bigserial PRIMARY KEY,
  uuid text NOT NULL UNIQUE,
  name text NOT NULL UNIQUE,
  own boolean NOT NULL DEFAULT false,
  created_ms bigint NOT NULL,
  last_seen_ms bigint,
  events bigint NOT NULL DEFAULT 0,
  seq bigint NOT NULL
);
CREATE UNIQUE INDEX devices_own ON devices (own) WHERE own;
CREATE INDEX devices_seq ON devices (seq);

-- Names with a public id (apps, categories, projects), and what is known of entities.
CREATE TABLE apps (uuid text PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE categories (uuid text PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE projects (
  uuid text PRIMARY KEY, name text NOT NULL UNIQUE, root_path text, last_updated bigint NOT NULL
);
CREATE INDEX projects_recent ON projects (last_updated DESC, uuid DESC);
CREATE TABLE entities (
  project text NOT NULL, name text NOT NULL, type text, PRIMARY KEY (project, name)
);

-- Events: half-open [start_ms, end_ms); id is the content id (device, source, start, names).
CREATE TABLE events (
  seq bigint PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  device_id bigint NOT NULL,
  start_ms bigint NOT NULL,
  end_ms bigint NOT NULL CHECK (end_ms >= start_ms),
  duration integer CHECK (duration >= 0),
  category text NOT NULL,
  app text NOT NULL,
  entity text NOT NULL,
  project text NOT NULL,
  branch text,
  language text,
  source text NOT NULL
);
CREATE INDEX events_start ON events (start_ms, id);
CREATE INDEX events_end ON events (end_ms);
CREATE INDEX events_device_source ON events (device_id, source, start_ms);

CREATE TABLE afk_periods (
  seq bigint PRIMARY KEY,
  device_id bigint NOT NULL,
  start_ms bigint NOT NULL,
  end_ms bigint CHECK (end_ms IS NULL OR end_ms >= start_ms),
  inferred_end_ms bigint,
  duration integer CHECK (duration >= 0),
  source text,
  UNIQUE (device_id, start_ms)
);
CREATE INDEX afk_start ON afk_periods (start_ms);

CREATE TABLE tombstones (
  seq bigint PRIMARY KEY, kind text NOT NULL, id text NOT NULL, start_ms bigint,
  UNIQUE (kind, id)
);

CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL, seq bigint NOT NULL);
CREATE INDEX settings_seq ON settings (seq);

CREATE TABLE labels (
  seq bigint PRIMARY KEY,
  id text NOT NULL UNIQUE,
  text text NOT NULL,
  context text,
  start_ms bigint NOT NULL,
  end_ms bigint NOT NULL CHECK (end_ms >= start_ms),
  created_ms bigint NOT NULL,
  updated_ms bigint NOT NULL,
  words tsvector GENERATED ALWAYS AS
    (to_tsvector('simple', text || ' ' || coalesce(context, ''))) STORED
);
CREATE INDEX labels_start ON labels (start_ms);
CREATE INDEX labels_words ON labels USING gin (words);

CREATE TABLE collectors (
  source text NOT NULL,
  device_id bigint NOT NULL,
  kind text NOT NULL CHECK (kind IN ('events', 'afk', 'input')),
  last_seen_ms bigint NOT NULL,
  items bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (source, device_id, kind)
);

CREATE TABLE input_activity (
  bucket_ms bigint NOT NULL CHECK (bucket_ms % 300000 = 0),
  device_id bigint NOT NULL,
  source text NOT NULL,
  lc bigint NOT NULL DEFAULT 0, rc bigint NOT NULL DEFAULT 0, mc bigint NOT NULL DEFAULT 0,
  kp bigint NOT NULL DEFAULT 0, mm bigint NOT NULL DEFAULT 0, scroll bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket_ms, device_id, source)
);
CREATE TABLE input_batches (id text PRIMARY KEY, received_ms bigint NOT NULL);
CREATE INDEX input_batches_received ON input_batches (received_ms);

CREATE TABLE api_tokens (
  row bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  token_salt text NOT NULL,
  token_preview text NOT NULL,
  acl text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint,
  last_used_at bigint,
  revoked boolean NOT NULL DEFAULT false
);

CREATE TABLE wakatime_agents (
  id bigserial PRIMARY KEY, user_agent text NOT NULL, editor text NOT NULL, os text NOT NULL,
  UNIQUE (user_agent, editor, os)
);
CREATE TABLE wakatime_heartbeats (
  device_id bigint NOT NULL,
  hash bytea NOT NULL,
  source text NOT NULL,
  time_ms bigint NOT NULL,
  entity text NOT NULL, type text NOT NULL, category text NOT NULL, project text NOT NULL,
  branch text NOT NULL, language text NOT NULL,
  is_write boolean NOT NULL,
  agent_id bigint NOT NULL,
  extra text,
  deleted boolean NOT NULL DEFAULT false,
  PRIMARY KEY (device_id, hash)
);
CREATE INDEX wakatime_heartbeats_stream ON wakatime_heartbeats (device_id, source, time_ms, hash);
CREATE INDEX wakatime_heartbeats_time ON wakatime_heartbeats (time_ms);
CREATE TABLE wakatime_machines (
  device_id bigint PRIMARY KEY, last_ms bigint NOT NULL, agent_id bigint NOT NULL, project text
);

-- ActivityWatch: ids never reused (a sequence); last_heartbeat is the event the bucket's last
-- heartbeat merged into or created (kept in the database: any daemon process may take the next).
CREATE TABLE aw_buckets (
  row bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  type text NOT NULL, client text NOT NULL, hostname text NOT NULL,
  created_ns bigint NOT NULL,
  data text NOT NULL DEFAULT '{}',
  last_heartbeat bigint
);
CREATE TABLE aw_events (
  id bigserial PRIMARY KEY,
  bucket_row bigint NOT NULL REFERENCES aw_buckets (row),
  start_ns bigint NOT NULL,
  end_ns bigint NOT NULL CHECK (end_ns >= start_ns),
  data text NOT NULL
);
CREATE INDEX aw_events_bucket_start ON aw_events (bucket_row, start_ns);
CREATE TABLE aw_settings (key text PRIMARY KEY, value text NOT NULL);

CREATE TABLE hook_rules (
  id text PRIMARY KEY, position integer NOT NULL, rule text NOT NULL, state text NOT NULL
);
CREATE TABLE hook_log (
  id bigserial PRIMARY KEY,
  hook_id text NOT NULL,
  fired_ms bigint NOT NULL,
  payload text NOT NULL,
  actions text NOT NULL,
  running boolean NOT NULL DEFAULT false
);
CREATE INDEX hook_log_hook ON hook_log (hook_id, id);
CREATE TABLE hook_config (key text PRIMARY KEY, value text NOT NULL);
`

/**
 * Users of a team server: the directory of whose diaries this daemon serves. Each user's data is
 * a schema of its own (`<schema>_u_<name>`); only the first schema's rows are read. The owner's
 * diary is the first schema itself: the data kept before there were users.
 */
const V2 = `
CREATE TABLE users (
  name text PRIMARY KEY,
  admin boolean NOT NULL,
  created_ms bigint NOT NULL,
  owner boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX users_owner ON users (owner) WHERE owner;
`

/**
 * Teams (the directory's, like users): members by invitation (`joined` once they accept), and what
 * each joined member shares, a row per project with or without its details. The directory's
 * version in `meta`, bumped with every change of its users.
 */
const V3 = `
CREATE TABLE teams (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_by text NOT NULL,
  created_ms bigint NOT NULL
);
CREATE TABLE team_members (
  team_id text NOT NULL,
  user_name text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'member')),
  joined boolean NOT NULL,
  invited_by text NOT NULL,
  since_ms bigint NOT NULL,
  PRIMARY KEY (team_id, user_name)
);
CREATE INDEX team_members_user ON team_members (user_name);
CREATE TABLE team_shares (
  team_id text NOT NULL,
  user_name text NOT NULL,
  project text NOT NULL,
  details boolean NOT NULL,
  PRIMARY KEY (team_id, user_name, project)
);
INSERT INTO meta (key, value) VALUES ('directory', 0) ON CONFLICT (key) DO NOTHING;
`

/**
 * Sync (a hub and its spokes), as the SQLite store's migration 0010 and 0016:
 * - `origin` on every row kind of the feed: null for a row as this daemon last changed it, else
 *   the device (`devices.id`) of the daemon it was received from in that state. Every local
 *   write that changes a row sets it back to null.
 * - `version`: the hybrid-clock time of the latest change of labels, settings and device names,
 *   of events derived from WakaTime heartbeats, and of tombstones (0 or null before).
 * - Input buckets join the feed (`seq`): existing rows get positions after every other row.
 * - Tombstones say whose event or period they were (`device_id`).
 * - A hub's pairing codes (a hash of each) and paired devices (a hash of each token).
 * - `sync_frames`: screenshots' index rows received from devices (the server keeps no frames of
 *   its own and no images), held so the hub passes them on; a deleted one leaves a tombstone.
 */
const V4 = `
ALTER TABLE events ADD COLUMN version bigint, ADD COLUMN origin bigint;
ALTER TABLE afk_periods ADD COLUMN origin bigint;
ALTER TABLE input_activity ADD COLUMN seq bigint NOT NULL DEFAULT 0, ADD COLUMN origin bigint;
ALTER TABLE tombstones ADD COLUMN device_id bigint, ADD COLUMN version bigint,
  ADD COLUMN origin bigint;
ALTER TABLE labels ADD COLUMN version bigint NOT NULL DEFAULT 0, ADD COLUMN origin bigint;
ALTER TABLE settings ADD COLUMN version bigint NOT NULL DEFAULT 0, ADD COLUMN origin bigint;
ALTER TABLE devices ADD COLUMN version bigint NOT NULL DEFAULT 0, ADD COLUMN origin bigint;

INSERT INTO meta (key, value) VALUES ('seq', 0) ON CONFLICT (key) DO NOTHING;
UPDATE input_activity i SET seq = m.value + n.rn
FROM (SELECT bucket_ms, device_id, source,
             row_number() OVER (ORDER BY bucket_ms, device_id, source) AS rn
      FROM input_activity) n, meta m
WHERE m.key = 'seq' AND i.bucket_ms = n.bucket_ms AND i.device_id = n.device_id
  AND i.source = n.source;
UPDATE meta SET value = value + (SELECT count(*) FROM input_activity) WHERE key = 'seq';
CREATE INDEX input_seq ON input_activity (seq);
CREATE INDEX tombstones_seq ON tombstones (seq);

CREATE TABLE sync_codes (
  hash bytea PRIMARY KEY,
  name text,
  created_ms bigint NOT NULL,
  expires_ms bigint NOT NULL,
  used_ms bigint
);
CREATE TABLE sync_clients (
  id text PRIMARY KEY,
  device_id bigint NOT NULL,
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  token_preview text NOT NULL,
  paired_ms bigint NOT NULL,
  last_seen_ms bigint,
  pushed_seq bigint NOT NULL DEFAULT 0,
  epoch bigint,
  revoked boolean NOT NULL DEFAULT false
);
CREATE INDEX sync_clients_device ON sync_clients (device_id);
CREATE TABLE sync_frames (
  id text PRIMARY KEY,
  device_id bigint NOT NULL,
  filename text NOT NULL,
  at_ms bigint NOT NULL,
  frame text NOT NULL,
  seq bigint NOT NULL,
  origin bigint
);
CREATE INDEX sync_frames_seq ON sync_frames (seq);
`

/** Every migration, in order. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  { version: 1, name: 'initial', sql: V1 },
  { version: 2, name: 'users', sql: V2 },
  { version: 3, name: 'teams', sql: V3 },
  { version: 4, name: 'sync', sql: V4 },
]

/** The newest schema version this build knows. */
export const PG_LATEST = PG_MIGRATIONS.length

/**
 * The first key of the advisory lock every write transaction (and `migrate`) holds, the second
 * being a hash of its diary's schema: one writer at a time per diary (`lockDiary`).
 */
export const WRITE_LOCK = 0x6461_7962 // "dayb"

/** The `meta` key of a diary's tokens' version (see `TokenStore.version`). */
export const TOKENS_VERSION = 'tokens'
