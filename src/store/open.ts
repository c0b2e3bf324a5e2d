/**
 * `openStore(config)`: the one way the daemon, the CLI and the tests get a store. SQLite (in worker
 * threads) is the embedded default; PostgreSQL (`postgres/`) holds a team server's data. Both pass
 * the same conformance suite.
 */
import type { Store } from './ports.ts'
import { SqliteStore } from './sqlite/sqlite-store.ts'

export { retireIdleThreads } from './sqlite/sqlite-store.ts'

export interface SqliteConfig {
  driver: 'sqlite'
  /** The database file (created owner-only when missing). */
  file: string
  /** Reader workers beside the writer (default 1; 0 reads on the writer). */
  readers?: number
  /** Told when a store worker dies unexpectedly. */
  onFailure?: (err: Error) => void
}

export interface PostgresConfig {
  driver: 'postgres'
  /** `postgres://user:password@host:port/database?sslmode=…` */
  url: string
  /** Most connections this process opens (default 10). */
  poolSize?: number
  /** Milliseconds a statement may run (default 30000; 0: no limit). */
  statementTimeoutMs?: number
  /** The schema the tables live in (default `public`). */
  schema?: string
}

export type StoreConfig = SqliteConfig | PostgresConfig

/**
 * Opens a store. Throws `SchemaTooNewError` for a database written by a newer Daybook; does not
 * migrate (call `store.migrate()`).
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.driver === 'postgres') {
    // Loaded only for PostgreSQL: the embedded daemon never loads `pg`.
    const { PostgresStore } = await import('./postgres/pg-store.ts')
    return PostgresStore.open({
      url: config.url,
      max: config.poolSize,
      statementTimeoutMs: config.statementTimeoutMs,
      schema: config.schema,
    })
  }
  return SqliteStore.open({
    file: config.file,
    readers: config.readers,
    onFailure: config.onFailure,
  })
}
