/**
 * Sync on the PostgreSQL store: not yet. A hub keeps its diary in SQLite (`--hub` with
 * `--database` is refused at start), and a daemon on PostgreSQL never pairs. So it has nothing
 * to report (no cursors, no paired devices), and every sync write is refused with a typed error
 * the API answers as 409 naming the reason.
 */
import { ConflictError } from '../../domain/errors.ts'
import type { SyncStore } from '../ports.ts'

function refuse(): never {
  throw new ConflictError(
    'sync_needs_sqlite',
    'sync runs on the SQLite store for now; this daemon keeps its diary in PostgreSQL',
  )
}

/** The sync port of a PostgreSQL store: empty reads, refused writes. */
export function pgSyncStore(): SyncStore {
  return {
    changes: async () => refuse(),
    pending: async () => 0,
    apply: async () => refuse(),
    cursors: async () => ({ pulledSeq: 0, pulledEpoch: null, pushedSeq: 0 }),
    setPushed: async () => refuse(),
    resetCursors: async () => undefined,
    createCode: async () => refuse(),
    pair: async () => refuse(),
    clients: async () => [],
    revoke: async () => false,
    touch: async () => undefined,
    pushedFor: async () => refuse(),
  }
}
