/**
 * `daybook watch`: parses the flags, hands the configuration to the collectors
 * (`src/collectors/runtime.ts`), and owns the process: signals, the console, the exit code.
 */
import { clientConnector } from '../client/client.ts'
import { readWatchStatus, watchStatusFile } from '../config/watch-status.ts'
import { flagOptions, readSettings } from '../config/load.ts'
import { isProcessAlive } from '../config/process.ts'
import { type WatchConfig, watchConfig } from '../config/watch-config.ts'
import { CliError, type Command, parseFlags } from './command.ts'

const HELP = `Usage: daybook watch [window] [afk] [input] [screenshots] [options]

Records by itself and sends to Daybook: the focused window (app and title, as events that run
while they stay the same), time away from the keyboard (AFK periods, after --afk-timeout
without input), and keyboard and mouse counts per 5-minute bucket. Without names, all three;
--no-window, --no-afk, --no-input leave one out. Linux/X11: any EWMH window manager (under
Wayland only XWayland windows are seen). macOS and Windows: windows through the get-windows
package (npm install get-windows; macOS asks for the Accessibility and Screen Recording
permissions), time away and input through the keyboard and mouse hook.

Screenshots (X11 only) are off until turned on in the daemon (daybook screenshots on); without
names the watcher waits for that, asking every 5 s, and captures nothing before. Frames skip
private and incognito windows, windows excluded below, time away and a locked screen; their
text is read here (OCR), and they are sent to the local daemon, which keeps them. See
daybook screenshots --help.

Nothing is lost: what is not yet acknowledged waits in <data-dir>/spool/ (written atomically);
a failed send (no daemon, network error, any non-2xx answer) keeps it and retries with backoff
up to 5 minutes; a restart resumes from the spool; re-sends are harmless (events and AFK
periods are identified by their start and names, input buckets by id).

Options:
  --afk-timeout SEC  Away after SEC seconds without input (default 180), dated back to the
                     last input; back at the next input
  --exclude-app RE   Do not record windows of apps matching RE (repeatable; case-insensitive)
  --exclude-title RE Do not record windows whose title matches RE (repeatable)
  --exclude-url RE   Do not record browser windows whose page (the URL in the title) matches
                     RE (repeatable)
  --redact-title RE  Record windows whose title matches RE as "[redacted]" (repeatable)
  --no-redact-private
                     Record private and incognito browser windows' titles too (by default
                     they are redacted)
  --no-screenshots   Never run the screenshot collector
  --dry-run          Print what would be sent (window and AFK), send nothing; no screenshots
  --status           Print the running watcher's state and what it last sent; exit 1 when
                     none runs for this data dir
  --sample-ms N      Sample every N ms (default 1000)
  --flush-sec N      Send input counts every N s, only when there are any (default 30);
                     window and AFK changes go out within 10 s
  --verbose          Say what was sent every 5 minutes (the first send is always said)
  --data-dir DIR     The daemon's data dir: its daemon.json, and the spool  [DAYBOOK_DATA_DIR]
  --config-dir DIR   Where the token file auth.token is                     [DAYBOOK_CONFIG_DIR]
  --url URL          Send to another server instead of the local daemon:
                       a Daybook base URL (https://host:5610), or with --format frames
                       a frames server's URL (http://host:5000/frames; input only)
  --key-file FILE    Read the key to send from FILE                              [DAYBOOK_KEY]
                     (default: DAYBOOK_KEY, else DAYBOOK_TOKEN, else <config-dir>/auth.token)
  --key KEY          The key itself; other users can read it in the process list, so
                     prefer --key-file or DAYBOOK_KEY
  --format FORMAT    Input counts as daybook: POST /v1/input, many buckets per request
                     (default), or frames: the frames protocol's POST /frames, one bucket per request,
                     the key sent raw in Authorization, as the frames client does
  -h, --help         Show this help

The local daemon is found through <data-dir>/daemon.json at every send, so the
watchers may start first and survive daemon restarts. Sources: daybook-window,
daybook-afk, daybook-input.

Stops on SIGINT or SIGTERM after a last send: the current window event and AFK period end
then; what could not be sent stays in the spool for the next start.
`

/** The collectors' configuration from `daybook watch`'s arguments and the environment. */
export function resolveWatchConfig(argv: string[], env: NodeJS.ProcessEnv): WatchConfig {
  const { values, positionals } = parseFlags('watch', argv, flagOptions('watch'), true)
  return watchConfig(readSettings('watch', values, env), positionals)
}

async function watch(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const config = resolveWatchConfig(argv, env)
  if (config.status) return printStatus(config)
  // Listening before anything starts: a signal from then on gets the clean stop below.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  // Loaded here, not with the CLI: the daemon and every other command start without the
  // collectors' platform clients.
  const { CollectorError, startCollectors } = await import('../collectors/runtime.ts')
  let collectors
  try {
    collectors = await startCollectors(config, env, clientConnector)
  } catch (err) {
    throw err instanceof CollectorError ? new CliError(err.message) : err
  }
  const signal = await stopSignal
  // A second signal while the last sends run: leave at once (the outboxes are on disk).
  const again = (s: NodeJS.Signals) => {
    process.stderr.write(`daybook watch: ${s} again, exiting now; unsent data stays in the spool\n`)
    process.exit(1)
  }
  process.once('SIGINT', again)
  process.once('SIGTERM', again)
  process.stderr.write(`daybook watch: ${signal} received, sending what is left\n`)
  await collectors.stop()
  return 0
}

/** `daybook watch --status`: the running watcher's last report. */
async function printStatus(config: WatchConfig): Promise<number> {
  const status = await readWatchStatus(watchStatusFile(config.dataDir))
  if (!status) {
    throw new CliError(`no watcher has run for ${config.dataDir} (start one with: daybook watch)`)
  }
  const alive = isProcessAlive(status.pid)
  process.stdout.write(
    `${alive ? `running (pid ${status.pid})` : 'not running'}, sending to ${status.target}; ` +
      `last report ${status.updatedAt}\n`,
  )
  for (const c of status.collectors) {
    process.stdout.write(
      `  ${c.collector.padEnd(6)}  ${c.state.padEnd(8)}  ${c.delivered} sent, ${c.waiting} waiting` +
        `${c.lastSentAt ? `, last sent ${c.lastSentAt}` : ''}${c.last ? `\n          last: ${c.last}` : ''}\n`,
    )
  }
  return alive ? 0 : 1
}

export const watchCommand: Command = {
  name: 'watch',
  help: HELP,
  async run(argv, env) {
    return watch(argv, env)
  },
}
