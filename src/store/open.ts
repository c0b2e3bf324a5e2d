/**
 * `openStore(config)`: the one way the daemon, the CLI and the tests get a store. SQLite (in worker
 * threads) is the embedded default; a PostgreSQL store for several devices is meant to be added
 * here, passing the same conformance suite.
 */
import type { Store } from './ports.ts'
import { SqliteStore } from './sqlite/sqlite-store.ts'

export interface SqliteConfig {
  driver: 'sqlite'
  /** The database file (created owner-only when missing). */
  file: string
  /** Reader workers beside the writer (default 1; 0 reads on the writer). */
  readers?: number
  /** Told when a store worker dies unexpectedly. */
  onFailure?: (err: Error) => void
}

export type StoreConfig = SqliteConfig

/**
 * Opens a store. Throws `SchemaTooNewError` for a database written by a newer Daybook; does not
 * migrate (call `store.migrate()`).
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  return SqliteStore.open({
    file: config.file,
    readers: config.readers,
    onFailure: config.onFailure,
  })
}
