-- Hook rules and their state (JSON, as the domain defines them: src/domain/hooks/), in the order
-- they were given; the firing log, newest first by id; the do-not-disturb settings. None of it
-- is in the change feed: it is this daemon's own configuration.
CREATE TABLE hook_rules (
  id TEXT PRIMARY KEY NOT NULL,
  position INTEGER NOT NULL,
  rule TEXT NOT NULL,
  state TEXT NOT NULL
);

CREATE TABLE hook_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  hook_id TEXT NOT NULL,
  fired_ms INTEGER NOT NULL,
  payload TEXT NOT NULL,
  actions TEXT NOT NULL,
  -- 1 while an action of the entry is still running (found at start-up after a crash).
  running INTEGER NOT NULL DEFAULT 0 CHECK (running IN (0, 1))
);
CREATE INDEX hook_log_hook ON hook_log (hook_id, id);
CREATE INDEX hook_log_running ON hook_log (running) WHERE running = 1;

CREATE TABLE hook_config (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
