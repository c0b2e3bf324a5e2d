-- WakaTime heartbeats, kept as sent: the events of the one timeline are derived from them, and a
-- late heartbeat re-derives the stretch of its stream it falls in. A heartbeat is identified on
-- its device by `hash` (16 bytes of SHA-256 over entity, type, category, project, branch,
-- language, is_write and time in ms), so a re-send is stored once. Its stream is the editor on the
-- device: `source_id` names `wakatime-<editor>` in `sources`, the source of the derived events.
-- Names are as sent ('' when absent), placeholders such as <<LAST_PROJECT>> included. A heartbeat
-- whose event was deleted is kept as a blank marker (`deleted` = 1, names emptied): it still ends
-- the coverage of the one before it, covers nothing itself, and a re-send of it stays deleted.
CREATE TABLE wakatime_agents (
  id INTEGER PRIMARY KEY,
  user_agent TEXT NOT NULL,
  editor TEXT NOT NULL,
  os TEXT NOT NULL,
  UNIQUE (user_agent, editor, os)
);

CREATE TABLE wakatime_heartbeats (
  device_id INTEGER NOT NULL,
  hash BLOB NOT NULL,
  source_id INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  entity TEXT NOT NULL,
  type TEXT NOT NULL,
  category TEXT NOT NULL,
  project TEXT NOT NULL,
  branch TEXT NOT NULL,
  language TEXT NOT NULL,
  is_write INTEGER NOT NULL CHECK (is_write IN (0, 1)),
  agent_id INTEGER NOT NULL,
  extra TEXT,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  PRIMARY KEY (device_id, hash)
) WITHOUT ROWID;
-- A stream in order (re-derivation walks it), and all streams by time (a day's heartbeats).
CREATE INDEX wakatime_heartbeats_stream ON wakatime_heartbeats (device_id, source_id, time_ms, hash);
CREATE INDEX wakatime_heartbeats_time ON wakatime_heartbeats (time_ms);

-- The latest heartbeat of each device: when, through which agent, in which project.
CREATE TABLE wakatime_machines (
  device_id INTEGER PRIMARY KEY,
  last_ms INTEGER NOT NULL,
  agent_id INTEGER NOT NULL,
  project TEXT
);
