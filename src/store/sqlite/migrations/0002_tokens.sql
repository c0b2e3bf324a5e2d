-- Scoped API tokens (skill-daemon's ApiToken). Only a salted hash of each secret is stored:
-- token_hash = hex(SHA-256(token_salt ‖ secret)). Times are unix seconds; a null expires_at
-- never expires. The default admin token lives in its file, not here.
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  token_salt TEXT NOT NULL,
  token_preview TEXT NOT NULL,
  acl TEXT NOT NULL CHECK (acl IN ('admin', 'read_only', 'data', 'stream', 'ingest')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  last_used_at INTEGER,
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
);
CREATE INDEX idx_api_tokens_created ON api_tokens (created_at, id);
