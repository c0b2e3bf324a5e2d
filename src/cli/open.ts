/**
 * `daybook open`: signs the browser in to the dashboard without copying a token. Asks the
 * running daemon (with the admin token, like every command) for a one-time code, prints the URL
 * that carries it, and opens that URL where there is a desktop to open it on.
 */
import type { SessionCode } from '../client/api.ts'
import { ApiError } from '../client/client.ts'
import { CliError, type Command, parseFlags } from './command.ts'
import { CLIENT_FLAGS, connect } from './connect.ts'

const HELP = `Usage: daybook open [--admin] [--no-browser]

Opens the dashboard, signed in. Asks the running daemon for a one-time sign-in
code (good for 2 minutes, once), prints the dashboard's URL with the code on
stdout, and opens it in your browser when a desktop is present (DISPLAY or
WAYLAND_DISPLAY on Linux; always on macOS and Windows).

The page trades the code for a session token kept in that browser tab only:
scope data (reads, labels, analysis, live updates) for 12 hours, or with
--admin, scope admin (settings, tokens) for 1 hour. Sessions are listed by
daybook token list as "dashboard session" and can be revoked there.

Needs the daemon's TCP listener (a browser cannot use the Unix socket) and the
admin token: DAYBOOK_TOKEN, else <config-dir>/auth.token.

Options:
  --admin           Sign in with an admin session (1 hour) instead of data
  --no-browser      Print the URL only; open it yourself
  --data-dir DIR    Find the daemon through DIR/daemon.json   [DAYBOOK_DATA_DIR]
  --config-dir DIR  Read the admin token from DIR/auth.token  [DAYBOOK_CONFIG_DIR]
  --url URL         Talk to the daemon at URL (e.g. http://127.0.0.1:5610)
  -h, --help        Show this help
`

const FLAGS = {
  admin: { type: 'boolean' },
  'no-browser': { type: 'boolean' },
  ...CLIENT_FLAGS,
} as const

/** Whether a browser can be shown: a desktop session on Linux and the BSDs, always elsewhere. */
export function hasDesktop(env: NodeJS.ProcessEnv, platform = process.platform): boolean {
  if (platform === 'darwin' || platform === 'win32') return true
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
}

export const openCommand: Command = {
  name: 'open',
  help: HELP,
  async run(argv, env) {
    const { values } = parseFlags('open', argv, FLAGS)
    const client = connect(values, env)
    let issued: SessionCode
    try {
      issued = await client.api().createSessionCode(values.admin === true ? 'admin' : 'data')
    } catch (err) {
      if (err instanceof ApiError && err.code === 'dashboard_needs_tcp') {
        throw new CliError(
          'the dashboard needs the daemon’s TCP listener, and this daemon serves only its Unix ' +
            'socket: restart it without --no-tcp',
        )
      }
      throw err
    }
    // The URL alone on stdout, so URL=$(daybook open --no-browser) works; notes go to stderr.
    process.stdout.write(`${issued.url}\n`)
    const note = `The link signs in once, within 2 minutes (${issued.scope} session).`
    if (values['no-browser'] === true || !hasDesktop(env)) {
      process.stderr.write(`${note} Open it in your browser.\n`)
      return 0
    }
    try {
      const { default: open } = await import('open')
      await open(issued.url)
      process.stderr.write(`Opening the dashboard in your browser. ${note}\n`)
    } catch (err) {
      process.stderr.write(
        `Could not start a browser (${(err as Error).message}). ${note} Open it yourself.\n`,
      )
    }
    return 0
  },
}
