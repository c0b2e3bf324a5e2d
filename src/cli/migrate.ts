/**
 * `daybook migrate`: bring the database schema up to date without starting the daemon.
 */
import { databaseConfig } from '../config/daemon-config.ts'
import { flagOptions, readSettings } from '../config/load.ts'
import { DaybookError } from '../domain/errors.ts'
import type { Store } from '../store/ports.ts'
import { CliError, type Command, parseFlags } from './command.ts'

const HELP = `Usage: daybook migrate [options]

Applies pending schema migrations to the database (SQLite: each in its own
transaction; PostgreSQL: all in one, creating the schema when missing).
The daemon also does this at start; this command does it without serving.

Options:
  --data-dir DIR  Data dir holding daybook.db                      [DAYBOOK_DATA_DIR]
  --db-path FILE  The database file (default <data-dir>/daybook.db)
                                         [DAYBOOK_DB_PATH, ACTIVITY_DB_PATH]
  --database URL  A PostgreSQL database instead of the file, as
                  postgres://user:password@host:5432/daybook?sslmode=require
                                                    [DAYBOOK_DATABASE_URL]
                  Pool size, statement timeout and schema:
                  [DAYBOOK_DB_POOL_SIZE] (default 10)
                  [DAYBOOK_DB_STATEMENT_TIMEOUT_MS] (default 30000; 0: none)
                  [DAYBOOK_DB_SCHEMA] (default public)
  --status        Only print the schema version and what is pending
  -h, --help      Show this help
`

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending database migrations',
  help: HELP,
  async run(argv, env) {
    const { values } = parseFlags('migrate', argv, flagOptions('migrate'))
    const settings = readSettings('migrate', values, env)
    const { status } = settings
    const database = databaseConfig(settings)
    let store: Store
    try {
      const { openStore } = await import('../store/open.ts')
      store = await openStore(
        database === undefined
          ? { driver: 'sqlite', file: settings.dbPath, readers: 0 }
          : { driver: 'postgres', ...database },
      )
    } catch (err) {
      throw new CliError(
        err instanceof DaybookError || database !== undefined
          ? (err as Error).message
          : `cannot open ${settings.dbPath}: ${(err as Error).message}`,
      )
    }
    const file = store.location
    try {
      const { version: before, latest } = await store.schema()
      if (status) {
        process.stdout.write(
          `${file}: schema version ${before} of ${latest}${before < latest ? ` (${latest - before} pending)` : ' (up to date)'}\n`,
        )
        return 0
      }
      const applied = await store.migrate()
      const { version: after } = await store.schema()
      process.stdout.write(
        applied.length === 0
          ? `${file}: schema version ${before}, up to date\n`
          : `${file}: migrated from version ${before} to ${after} (applied ${applied.join(', ')})\n`,
      )
      return 0
    } finally {
      await store.close()
    }
  },
}
