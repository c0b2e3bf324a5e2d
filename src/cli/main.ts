/**
 * `daybook <command>`: the entry point of the CLI and the daemon.
 */
import { ApiError, UnreachableError } from '../client/client.ts'
import { ConfigError } from '../config/load.ts'
import { DAYBOOK_VERSION } from '../version.ts'
import { type Command, CliError } from './command.ts'
import { backupCommand, restoreCommand } from './backup.ts'
import { exportCommand, importCommand } from './exchange.ts'
import { hooksCommand } from './hooks.ts'
import { mcpCommand } from './mcp.ts'
import { migrateCommand } from './migrate.ts'
import { openCommand } from './open.ts'
import { screenshotsCommand } from './screenshots.ts'
import { serveCommand } from './serve.ts'
import { serviceCommand } from './service.ts'
import { statusCommand } from './status.ts'
import { summaryCommand } from './summary.ts'
import { pairCommand, syncCommand } from './sync.ts'
import { tailCommand } from './tail.ts'
import { tokenCommand } from './token.ts'
import { userCommand } from './user.ts'
import { teamCommand } from './team.ts'
import { watchCommand } from './watch.ts'
import { wakatimeCommand } from './wakatime.ts'

const COMMANDS: Command[] = [
  serveCommand,
  statusCommand,
  openCommand,
  summaryCommand,
  tailCommand,
  watchCommand,
  serviceCommand,
  tokenCommand,
  userCommand,
  teamCommand,
  hooksCommand,
  screenshotsCommand,
  importCommand,
  exportCommand,
  backupCommand,
  restoreCommand,
  wakatimeCommand,
  mcpCommand,
  migrateCommand,
  pairCommand,
  syncCommand,
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
  daybook open                                           the dashboard, signed in
  daybook summary --range week --by project              where this week went
  daybook tail --types EventsInserted,AfkChanged         watch activity arrive
  daybook token create --name my-watcher --scope ingest  a write-only key for a collector
  daybook watch                                          record windows, time away, input
  daybook service install                                run the daemon and watchers at login
  daybook import wakatime-export.json                    bring your WakaTime history
  daybook export --out daybook.ndjson                    take everything with you
`
}

/** The one line to print for a failure a user can act on; undefined for a bug. */
function describeFailure(err: unknown): string | undefined {
  if (err instanceof CliError || err instanceof ConfigError || err instanceof UnreachableError) {
    return err.message
  }
  if (err instanceof ApiError) {
    const line = `the daemon refused: ${err.message} (${err.status} ${err.code})`
    if (err.status === 401 && err.missingTokenFile !== undefined) {
      return (
        `${line}; no token was sent: the token file ${err.missingTokenFile} is missing ` +
        '(a running daemon keeps using the last token it read): set DAYBOOK_TOKEN, or restart ' +
        'the daemon to have a new file made'
      )
    }
    return line
  }
  return undefined
}

/**
 * A reader that goes away (`daybook summary | head -1`) ends the command quietly with the exit
 * status a shell gives for SIGPIPE; any other failure to write is one line.
 */
function guardStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') process.stderr.write(`daybook: cannot write output: ${err.message}\n`)
    process.exit(err.code === 'EPIPE' ? 141 : 1)
  })
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
  guardStdout()
  try {
    return await command.run(rest, env)
  } catch (err) {
    const message = describeFailure(err)
    if (message === undefined) throw err
    process.stderr.write(`daybook ${command.name}: ${message}\n`)
    if (err instanceof CliError && err.showUsage) {
      const usageLine = command.help.split('\n')[0] ?? ''
      process.stderr.write(`${usageLine} (see daybook ${command.name} --help)\n`)
    }
    return err instanceof CliError || err instanceof ConfigError ? err.exitCode : 1
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2))
}
