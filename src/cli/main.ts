/**
 * `daybook <command>`: the entry point of the CLI and the daemon.
 */
import { ApiError, UnreachableError } from '../client/client.ts'
import { DAYBOOK_VERSION } from '../version.ts'
import { type Command, CliError } from './command.ts'
import { migrateCommand } from './migrate.ts'
import { serveCommand } from './serve.ts'
import { statusCommand } from './status.ts'
import { summaryCommand } from './summary.ts'
import { tailCommand } from './tail.ts'
import { tokenCommand } from './token.ts'
import { watchCommand } from './watch.ts'
import { wakatimeCommand } from './wakatime.ts'

const COMMANDS: Command[] = [
  serveCommand,
  statusCommand,
  summaryCommand,
  tailCommand,
  watchCommand,
  tokenCommand,
  wakatimeCommand,
  migrateCommand,
]

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return `daybook ${DAYBOOK_VERSION}: where your time goes, kept on your own machine.

Usage: daybook <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options:
  -h, --help     Show help (also: daybook <command> --help)
  -v, --version  Print the version

Examples:
  daybook serve                                          run the daemon
  daybook status                                         is it running, what it holds
  daybook summary --range week --by project              where this week went
  daybook tail --types EventsInserted,AfkChanged         watch activity arrive
  daybook token create --name my-watcher --scope ingest  a write-only key for a collector
  daybook watch input                                    count keyboard and mouse activity
`
}

/** The one line to print for a failure a user can act on; undefined for a bug. */
function describeFailure(err: unknown): string | undefined {
  if (err instanceof CliError || err instanceof UnreachableError) return err.message
  if (err instanceof ApiError)
    return `the daemon refused: ${err.message} (${err.status} ${err.code})`
  return undefined
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage())
    return name === undefined ? 2 : 0
  }
  if (name === '-v' || name === '--version') {
    process.stdout.write(`${DAYBOOK_VERSION}\n`)
    return 0
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (!command) {
    process.stderr.write(`daybook: unknown command ${JSON.stringify(name)} (see daybook --help)\n`)
    return 2
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(command.help)
    return 0
  }
  try {
    return await command.run(rest, env)
  } catch (err) {
    const message = describeFailure(err)
    if (message === undefined) throw err
    process.stderr.write(`daybook ${command.name}: ${message}\n`)
    return err instanceof CliError ? err.exitCode : 1
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2))
}
