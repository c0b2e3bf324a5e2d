-- ActivityWatch buckets and events, kept as ActivityWatch keeps them so its clients read back
-- exactly what they wrote: times in integer nanoseconds (UTC), data as JSON text (keys sorted).
-- They also feed the timeline through the ingest service; these rows are the ActivityWatch view.
CREATE TABLE aw_buckets (
  row INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  client TEXT NOT NULL,
  hostname TEXT NOT NULL,
  created_ns INTEGER NOT NULL,
  data TEXT NOT NULL DEFAULT '{}'
);

-- AUTOINCREMENT: an event id is never handed out twice, so a client that still holds the id of a
-- deleted event cannot replace an unrelated newer one with it.
CREATE TABLE aw_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket_row INTEGER NOT NULL REFERENCES aw_buckets (row),
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL CHECK (end_ns >= start_ns),
  data TEXT NOT NULL
);
CREATE INDEX aw_events_bucket_start ON aw_events (bucket_row, start_ns);
CREATE INDEX aw_events_bucket_end ON aw_events (bucket_row, end_ns);

-- ActivityWatch's settings (its web UI's preferences), key to JSON text.
CREATE TABLE aw_settings (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) WITHOUT ROWID;
