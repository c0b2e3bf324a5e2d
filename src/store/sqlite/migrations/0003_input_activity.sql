-- Keyboard and mouse counts: one row per 5-minute bucket (epoch ms, UTC) and source. Requests add
-- their counts to the row (upsert), so a bucket never has more than one row per source.
CREATE TABLE input_activity (
  bucket_ms INTEGER NOT NULL CHECK (bucket_ms % 300000 = 0),
  source TEXT NOT NULL,
  lc INTEGER NOT NULL DEFAULT 0 CHECK (lc >= 0),
  rc INTEGER NOT NULL DEFAULT 0 CHECK (rc >= 0),
  mc INTEGER NOT NULL DEFAULT 0 CHECK (mc >= 0),
  kp INTEGER NOT NULL DEFAULT 0 CHECK (kp >= 0),
  mm INTEGER NOT NULL DEFAULT 0 CHECK (mm >= 0),
  scroll INTEGER NOT NULL DEFAULT 0 CHECK (scroll >= 0),
  PRIMARY KEY (bucket_ms, source)
) WITHOUT ROWID;

-- Ids of input batches already added, so a batch re-sent after a lost response is not counted
-- twice. Kept for a limited time (see InputRetention), not forever.
CREATE TABLE input_batches (
  id TEXT PRIMARY KEY NOT NULL,
  received_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX idx_input_batches_received ON input_batches (received_ms);
