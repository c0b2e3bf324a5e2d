/**
 * `daybook migrate`: bring the database schema up to date without starting the daemon.
 */
import { flagOptions, readSettings } from '../config/load.ts'
import { DaybookError } from '../domain/errors.ts'
import { openStore } from '../store/open.ts'
import type { Store } from '../store/ports.ts'
import { CliError, type Command, parseFlags } from './command.ts'

const HELP = `Usage: daybook migrate [options]

Applies pending schema migrations to the database, each in its own transaction.
The daemon also does this at start; this command does it without serving.

Options:
  --data-dir DIR  Data dir holding daybook.db                      [DAYBOOK_DATA_DIR]
  --db-path FILE  The database file (default <data-dir>/daybook.db)
                                         [DAYBOOK_DB_PATH, ACTIVITY_DB_PATH]
  --status        Only print the schema version and what is pending
  -h, --help      Show this help
`

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending database migrations',
  help: HELP,
  async run(argv, env) {
    const { values } = parseFlags('migrate', argv, flagOptions('migrate'))
    const { dbPath: file, status } = readSettings('migrate', values, env)
    let store: Store
    try {
      store = await openStore({ driver: 'sqlite', file, readers: 0 })
    } catch (err) {
      throw new CliError(
        err instanceof DaybookError
          ? err.message
          : `cannot open ${file}: ${(err as Error).message}`,
      )
    }
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
