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
transaction; PostgreSQL: all in one, creating the schema when missing), then
to every user's diary of a team server (SQLite: <data-dir>/users/NAME.db;
PostgreSQL: the schema <schema>_u_NAME), one line each. The daemon also does
this at start; this command does it without serving.

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
  --status        Only print the schema versions and what is pending
  -h, --help      Show this help
`

export const migrateCommand: Command = {
  name: 'migrate',
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
    try {
      const lines = await migrateAll(store, status)
      process.stdout.write(lines.map((l) => `${l}\n`).join(''))
      return 0
    } finally {
      await store.close()
    }
  },
}

/** One line of where a store's schema stands, or of what migrating it did. */
async function migrateOne(store: Store, status: boolean): Promise<string> {
  const file = store.location
  const { version: before, latest } = await store.schema()
  if (status) {
    return `${file}: schema version ${before} of ${latest}${before < latest ? ` (${latest - before} pending)` : ' (up to date)'}`
  }
  const applied = await store.migrate()
  const { version: after } = await store.schema()
  return applied.length === 0
    ? `${file}: schema version ${before}, up to date`
    : `${file}: migrated from version ${before} to ${after} (applied ${applied.join(', ')})`
}

/**
 * The main database, then every user's diary (the directory is in the main database, read once
 * it is current; with `status`, only when it has one yet). A diary that fails stops the run with
 * the user named: the ones before it are done, and running again finishes the rest.
 */
async function migrateAll(store: Store, status: boolean): Promise<string[]> {
  const lines = [await migrateOne(store, status)]
  const { version, latest } = await store.schema()
  if (version < latest) return lines
  for (const user of await store.users.list()) {
    if (user.owner) continue
    const diary = await store.openDiary(user.name)
    try {
      lines.push(`user ${user.name}: ${await migrateOne(diary, status)}`)
    } catch (err) {
      throw new CliError(
        `${lines.join('\n')}\nuser ${user.name}: cannot migrate ${diary.location}: ${(err as Error).message}`,
      )
    } finally {
      await diary.close()
    }
  }
  return lines
}
