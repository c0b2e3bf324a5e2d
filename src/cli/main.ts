/**
 * `daybook <command>`: the entry point of the CLI and the daemon.
 */
import { ApiError, UnreachableError } from '../client/client.ts'
import { ConfigError } from '../config/load.ts'
import { DAYBOOK_VERSION } from '../version.ts'
import { type Command, CliError } from './command.ts'

interface CommandEntry {
  name: string
  /** One line for `daybook --help`. */
  summary: string
  load: () => Promise<Command>
}

/**
 * Every command: its name and its line for `daybook --help`, and its code, loaded only when it
 * runs (or shows its own help): a command loads its own dependencies and no other's, which is
 * most of a short command's start.
 */
const COMMANDS: CommandEntry[] = [
  {
    name: 'serve',
    summary: 'Run the daemon (HTTP on 127.0.0.1:5610, optionally a Unix socket)',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    name: 'status',
    summary: "The running daemon's status; exits 1 when none answers",
    load: async () => (await import('./status.ts')).statusCommand,
  },
  {
    name: 'open',
    summary: 'Open the dashboard in a browser, signed in by a one-time link',
    load: async () => (await import('./open.ts')).openCommand,
  },
  {
    name: 'summary',
    summary: 'Print where the time went (today, this week, a date range)',
    load: async () => (await import('./summary.ts')).summaryCommand,
  },
  {
    name: 'tail',
    summary: 'Print the live stream: events, AFK, input, labels, as they happen',
    load: async () => (await import('./tail.ts')).tailCommand,
  },
  {
    name: 'watch',
    summary: 'Record by itself: the focused window, time away, keyboard and mouse counts',
    load: async () => (await import('./watch.ts')).watchCommand,
  },
  {
    name: 'service',
    summary: 'Run the daemon and the watchers as your services (systemd, launchd)',
    load: async () => (await import('./service.ts')).serviceCommand,
  },
  {
    name: 'token',
    summary: 'Create, list, revoke or delete scoped API tokens; refresh the admin token',
    load: async () => (await import('./token.ts')).tokenCommand,
  },
  {
    name: 'user',
    summary: 'Add, list or remove the users of a team server',
    load: async () => (await import('./user.ts')).userCommand,
  },
  {
    name: 'team',
    summary: 'Teams on a team server: invite, accept, share totals, leaderboard',
    load: async () => (await import('./team.ts')).teamCommand,
  },
  {
    name: 'hooks',
    summary: 'List hook rules, their firing log, or test a rule’s actions',
    load: async () => (await import('./hooks.ts')).hooksCommand,
  },
  {
    name: 'screenshots',
    summary: 'Screenshot capture: status, on/off, pause, resume, purge',
    load: async () => (await import('./screenshots.ts')).screenshotsCommand,
  },
  {
    name: 'import',
    summary: 'Import history: Daybook, CSV, ActivityWatch, WakaTime or Wakapi exports',
    load: async () => (await import('./exchange.ts')).importCommand,
  },
  {
    name: 'export',
    summary: 'Write your history to a file: daybook (lossless), csv, activitywatch or wakatime',
    load: async () => (await import('./exchange.ts')).exportCommand,
  },
  {
    name: 'backup',
    summary: 'Back up the database while the daemon runs (gzip, integrity-checked)',
    load: async () => (await import('./backup.ts')).backupCommand,
  },
  {
    name: 'restore',
    summary: 'Restore a backup into a data dir (the daemon stopped; the old database kept)',
    load: async () => (await import('./backup.ts')).restoreCommand,
  },
  {
    name: 'wakatime',
    summary: 'Point every WakaTime editor plugin at this daemon (setup, or setup --undo)',
    load: async () => (await import('./wakatime.ts')).wakatimeCommand,
  },
  {
    name: 'mcp',
    summary: 'Serve Daybook to MCP clients (Claude, Cursor, ...) over stdio',
    load: async () => (await import('./mcp.ts')).mcpCommand,
  },
  {
    name: 'migrate',
    summary: 'Apply pending database migrations',
    load: async () => (await import('./migrate.ts')).migrateCommand,
  },
  {
    name: 'pair',
    summary: 'On a hub: a pairing code, and the command that joins a new device',
    load: async () => (await import('./sync.ts')).pairCommand,
  },
  {
    name: 'sync',
    summary: 'Sync with a hub: join, status, now, leave',
    load: async () => (await import('./sync.ts')).syncCommand,
  },
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

let guarded = false

/**
 * A reader that goes away (`daybook summary | head -1`) ends the command quietly with the exit
 * status a shell gives for SIGPIPE; any other failure to write is one line.
 */
function guardStdout(): void {
  // Once per process: a caller may run several commands in one (the tests do).
  if (guarded) return
  guarded = true
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
  const entry = COMMANDS.find((c) => c.name === name)
  if (!entry) {
    process.stderr.write(`daybook: unknown command ${JSON.stringify(name)} (see daybook --help)\n`)
    return 2
  }
  const command = await entry.load()
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
