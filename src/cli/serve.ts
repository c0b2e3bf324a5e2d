/**
 * `daybook serve`: parses the flags and environment, hands the configuration to the daemon
 * (`src/daemon/`), and owns the process: signals, the console, the exit code.
 *
 * Signals: until the daemon is ready, SIGINT or SIGTERM ends the process at once, by the signal
 * itself. Nothing has been acknowledged yet and every step begun is safe to abandon (the data-dir
 * lock is the operating system's, a migration is a transaction, a stale socket is replaced at the
 * next start), and a step stuck in a store thread cannot hold the process. From ready on, a
 * signal stops the daemon cleanly; a second one during that stop ends the process at once.
 */
import { daemonConfig, type DaemonConfig } from '../config/daemon-config.ts'
import { flagOptions, readSettings } from '../config/load.ts'
import { tokenFile } from '../config/paths.ts'
import type { Daemon } from '../daemon/daemon.ts'
import { lifecycleLog } from '../daemon/log.ts'
import { StartError } from '../daemon/start-error.ts'
import { DAYBOOK_VERSION } from '../version.ts'
import { CliError, type Command, parseFlags } from './command.ts'

const HELP = `Usage: daybook serve [options]

Runs the Daybook daemon: stores activity events and serves the API.

Options:
  --host HOST        Address to listen on (default 127.0.0.1)     [DAYBOOK_HOST, HOST]
                     Anything but a loopback address is reachable from other
                     machines: it must be asked for, and a warning is printed.
  --port PORT        TCP port; 0 picks a free one (default 5610)   [DAYBOOK_PORT, PORT]
  --data-dir DIR     Where the database, socket and daemon.json live     [DAYBOOK_DATA_DIR]
                     (default: ~/.local/share/daybook, or the platform's data dir)
  --db-path FILE     The database file (default <data-dir>/daybook.db)
                                                   [DAYBOOK_DB_PATH, ACTIVITY_DB_PATH]
  --database URL     Keep the data in PostgreSQL instead (a team server), as
                     postgres://user:password@host:5432/daybook?sslmode=require
                     (prefer the variable: a flag shows in the process list)
                                                        [DAYBOOK_DATABASE_URL]
                     With it: connections per process [DAYBOOK_DB_POOL_SIZE]
                     (default 10), statement timeout in ms, 0 for none
                     [DAYBOOK_DB_STATEMENT_TIMEOUT_MS] (default 30000), and the
                     schema of the tables [DAYBOOK_DB_SCHEMA] (default public)
                     Store calls slower than this many ms are logged as warnings
                     with their route [DAYBOOK_SLOW_QUERY_MS] (default 1000, 0: off;
                     SQLite or PostgreSQL)
  --config-dir DIR   Where the default token file lives                  [DAYBOOK_CONFIG_DIR]
                     (default: ~/.config/daybook, or the platform's config dir)
  --socket [PATH]    Also listen on a Unix socket                        [DAYBOOK_SOCKET]
                     (default path: <data-dir>/run/daybook.sock; dir 0700, socket 0600)
  --no-tcp           Serve on the Unix socket only (implies --socket)
  --mdns             Advertise the daemon on the local network as _daybook._tcp
                     (DNS-SD; TXT: version, api, protocol), withdrawn at exit [DAYBOOK_MDNS]
  --log-level LEVEL  fatal, error, warn, info, debug or trace (default info) [DAYBOOK_LOG_LEVEL]
  --log-format F     human (default: one line per entry) or json (JSON lines) [DAYBOOK_LOG_FORMAT]
  --allow-host NAME  Also answer requests addressed to NAME (repeatable) [DAYBOOK_ALLOWED_HOSTS]
                     On loopback only localhost, 127.0.0.1 and [::1] are answered
                     (any port); other Host headers get 421, against DNS rebinding.
  --cors-origin ORIGIN
                     Let web pages from ORIGIN call the API, e.g.        [DAYBOOK_CORS_ORIGINS]
                     http://localhost:3000 (repeatable). The daemon's own
                     origins are always allowed; there is no wildcard.
  --aw               Also serve ActivityWatch's API (/api/0) for its watchers, browser
                     extension and clients, on 127.0.0.1:5600          [DAYBOOK_AW]
  --aw-port PORT     Port of the ActivityWatch API (default 5600)        [DAYBOOK_AW_PORT]
  --aw-open          Serve the whole ActivityWatch API without a token (for ActivityWatch's
                     own web UI); a warning is printed               [DAYBOOK_AW_OPEN]
  -h, --help         Show this help

  The DAYBOOK_* variables win over the frames server's names (HOST, PORT, ACTIVITY_DB_PATH).

Several devices (see README, "Several devices"):
  --hub              Be the hub other daemons sync with (daybook pair makes a code for each);
                     also listens on the Unix socket (for the CLI on this machine); with
                     --database a PostgreSQL hub (its spokes keep their diaries in SQLite)
  --tls-self-signed  Speak TLS with a certificate made once, kept 0600 in <config-dir>/hub-tls;
                     devices pin it by the fingerprint daybook pair prints
  --tls-cert FILE    Speak TLS with this certificate (PEM) ...
  --tls-key FILE     ... and its private key
  --behind-proxy     A TLS proxy is in front: the hub binds loopback only (with --public-name)
  --public-name NAME The name devices reach the hub by (repeatable): in the pairing URL, the
                     certificate and the Host check
  A hub bound to a non-loopback address without TLS refuses to start.

Access:
  Every route but /health, /healthz and /readyz needs "Authorization: Bearer <token>".
  The admin token is created on first start in <config-dir>/auth.token (mode 0600);
  DAYBOOK_TOKEN=<secret> uses that secret instead. The daemon refuses to start when the
  token file is readable by other users. Scoped tokens: see daybook token --help.
  More than 20 failed authentications a minute from one address get 429.
  ActivityWatch API (--aw): without a token only what a watcher does (info, list and
  create buckets, heartbeats, new events); everything else needs a Daybook token.
  Environment lists (DAYBOOK_ALLOWED_HOSTS, DAYBOOK_CORS_ORIGINS) are comma-separated.
  SERVER_API_KEY=<key>                  also accept <key> as an ingest-only key (POST /frames,
                                        where it may be sent raw: "Authorization: <key>")
  DAYBOOK_PUBLIC_ACTIVITY_SUMMARY=true  serve GET /activity/summary without a token
  GET_RATE_LIMIT_MAX_REQUESTS=N         GET /activity/summary requests allowed per client
  GET_RATE_LIMIT_WINDOW_SEC=N           address and window (default 30 per 60 s)
  DAYBOOK_MAX_CONNECTIONS=N             open TCP connections at once (default: the open-file
                                        limit less 160 kept for the database, at most 1024)
  DAYBOOK_MAX_CONNECTIONS_PER_ADDRESS=N open TCP connections from one address (default 64);
                                        at a cap, connections that sent no whole request in
                                        3 s close first, then idle ones; a few more slots are
                                        kept for requests with a valid token (others get 503)
  DAYBOOK_HEADERS_TIMEOUT_SEC=N         a request's headers must arrive within N s (default 30)
  DAYBOOK_REQUEST_TIMEOUT_SEC=N         the whole request within N s (default 60); else 408
  DAYBOOK_IMPORT_IDLE_TIMEOUT_SEC=N     an import's upload (POST /v1/import) has no total limit
                                        but may pause at most N s between chunks (default 60);
                                        else 408, and the job keeps what came before
  DAYBOOK_IMPORT_MAX_MB=N               an import's upload is at most N MB (default 16384);
                                        else 413
  DAYBOOK_SYNC_RETRY_MAX_SEC=N          a spoke whose hub cannot be reached tries again after
                                        a backoff of at most N s (default 10)

Chat (/v1/chat/completions, OpenAI-compatible; the model server is any OpenAI-compatible one):
  DAYBOOK_LLM_BASE_URL=URL              e.g. http://127.0.0.1:11434/v1 (Ollama)
  DAYBOOK_LLM_MODEL=NAME                the model asked for as "daybook"
  DAYBOOK_LLM_API_KEY=KEY               sent to the model server, never shown or logged
  POST /v1/settings/llm-config sets the same (kept in <config-dir>/llm.json, 0600) and wins.

Files:
  <data-dir>/daybook.db    the database (SQLite, WAL)
  <data-dir>/daemon.json   pid, host, port, socket, version, startedAt; removed at exit

Input activity older than the inputRetentionDays setting (default 30 days; 0 keeps it) is
deleted at start and then once a day.

Stops cleanly on SIGINT or SIGTERM: in-flight requests finish, then the database closes.
A signal before it is ready ends it at once (nothing has been acknowledged yet); a second
signal during a clean stop ends it at once too.
`

/** The daemon's configuration from `daybook serve`'s flags and the environment. */
export function resolveServeConfig(argv: string[], env: NodeJS.ProcessEnv): DaemonConfig {
  // `--socket` takes an optional value: bare, it means the default path.
  const args = argv.map((a, i) =>
    a === '--socket' && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('-'))
      ? '--socket='
      : a,
  )
  const { values } = parseFlags('serve', args, flagOptions('serve'))
  return daemonConfig(readSettings('serve', values, env))
}

/** Ends the process by `signal` itself, whatever its threads are doing. */
function endBy(signal: NodeJS.Signals): never {
  process.removeAllListeners(signal)
  process.kill(process.pid, signal)
  // Delivered before kill() returns on POSIX; elsewhere, or if it was not, exit as a shell would.
  process.exit(128 + (signal === 'SIGINT' ? 2 : 15))
}

/**
 * Ends the threads the SQLite store keeps for a store opened again, once the daemon has stopped
 * (or failed to start): the process ends with none. Loaded with the daemon, so already in memory.
 */
async function retireStoreThreads(): Promise<void> {
  await (await import('../store/open.ts')).retireIdleThreads()
}

/** The line saying where the daemon listens. */
function listeningLine(config: DaemonConfig, daemon: Daemon): string {
  const scheme = config.hub?.tls === undefined ? 'http' : 'https'
  const where = [
    config.tcp
      ? `${scheme}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${daemon.port}`
      : undefined,
    config.socket ? `unix:${config.socket}` : undefined,
    daemon.awPort === undefined
      ? undefined
      : `http://127.0.0.1:${daemon.awPort} (ActivityWatch API)`,
  ].filter(Boolean)
  const tokenNote = config.token ? 'DAYBOOK_TOKEN' : tokenFile(config.configDir)
  const hub =
    daemon.hub === undefined
      ? ''
      : `\nhub for devices at ${daemon.hub.url}${daemon.hub.fingerprint === undefined ? '' : ` (certificate ${daemon.hub.fingerprint})`}; pair one with daybook pair`
  return `daybook ${DAYBOOK_VERSION} listening on ${where.join(' and ')} (token: ${tokenNote})${hub}`
}

export const serveCommand: Command = {
  name: 'serve',
  help: HELP,
  async run(argv, env) {
    const config = resolveServeConfig(argv, env)
    const say = lifecycleLog(config.logFormat)
    let daemon: Daemon | undefined
    let stopping: Promise<number> | undefined
    let finish: (code: Promise<number>) => void = () => undefined
    const finished = new Promise<number>((resolve) => (finish = resolve))
    // In before the start: a signal at any moment meets one of the rules above.
    const onSignal = (signal: NodeJS.Signals) => {
      if (daemon === undefined) {
        say(`daybook: ${signal} received while starting, exiting now`)
        endBy(signal)
      }
      if (stopping !== undefined) {
        say(`daybook: ${signal} again, exiting now`)
        endBy(signal)
      }
      say(`daybook: ${signal} received, shutting down`)
      stopping = daemon.close().then(
        () => retireStoreThreads().then(() => 0),
        (err: unknown) => {
          say(`daybook: shutdown failed: ${(err as Error).message}`, 'error')
          return 1
        },
      )
      finish(stopping)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      // The daemon's code (the HTTP stack, the store, every service) loads here, not with the CLI:
      // every other command starts without it.
      const { startDaemon } = await import('../daemon/daemon.ts')
      daemon = await startDaemon(config, { warn: (line) => say(`daybook serve: ${line}`, 'warn') })
    } catch (err) {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await retireStoreThreads().catch(() => undefined) // the start's own failure is what to report
      throw err instanceof StartError ? new CliError(err.message) : err
    }
    say(listeningLine(config, daemon))
    return finished
  },
}
