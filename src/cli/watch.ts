/**
 * `daybook watch`: the window, AFK and input collectors in one process. Owns the process: the
 * platform sources, the timers, signals, the spool lock and the status report; the logic is in
 * `src/collectors/` (trackers, `InputCollector`, and the outbox and courier every collector
 * shares).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { DaybookClient } from '../client/client.ts'
import { InputCollector } from '../collectors/input/collector.ts'
import {
  type InputItem,
  daybookInputDelivery,
  framesDelivery,
  readInputSpoolV1,
} from '../collectors/input/deliveries.ts'
import { uiohookSource } from '../collectors/platform/uiohook.ts'
import { Courier, type Delivery, jsonArrayDelivery } from '../collectors/core/courier.ts'
import { lockSpoolDir, spoolDir } from '../collectors/core/lock.ts'
import { defaultConfigDir, defaultDataDir } from '../config/paths.ts'
import { AfkTracker, type AfkPeriodInput } from '../collectors/afk/tracker.ts'
import { Outbox } from '../collectors/core/outbox.ts'
import {
  type CollectorStatus,
  readWatchStatus,
  watchStatusFile,
  writeWatchStatus,
} from '../collectors/core/status.ts'
import { isProcessAlive } from '../config/process.ts'
import { DesktopWatcher } from '../collectors/desktop-watcher.ts'
import { openDesktop } from '../collectors/platform/desktop.ts'
import type { PrivacyRules } from '../collectors/window/privacy.ts'
import { WindowTracker, type WindowEvent } from '../collectors/window/tracker.ts'
import { CliError, type Command, parseFlags } from './command.ts'

const HELP = `Usage: daybook watch [window] [afk] [input] [options]

Records by itself and sends to Daybook: the focused window (app and title, as events that run
while they stay the same), time away from the keyboard (AFK periods, after --afk-timeout
without input), and keyboard and mouse counts per 5-minute bucket. Without names, all three;
--no-window, --no-afk, --no-input leave one out. Linux/X11: any EWMH window manager (under
Wayland only XWayland windows are seen). macOS and Windows: windows through the get-windows
package (npm install get-windows; macOS asks for the Accessibility and Screen Recording
permissions), time away and input through the keyboard and mouse hook.

Nothing is lost: what is not yet acknowledged waits in <data-dir>/spool/ (written atomically);
a failed send (no daemon, network error, any non-2xx answer) keeps it and retries with backoff
up to 5 minutes; a restart resumes from the spool; re-sends are harmless (events and AFK
periods are identified by their start and names, input buckets by id).

Options:
  --afk-timeout SEC  Away after SEC seconds without input (default 180), dated back to the
                     last input; back at the next input
  --exclude-app RE   Do not record windows of apps matching RE (repeatable; case-insensitive)
  --exclude-title RE Do not record windows whose title matches RE (repeatable)
  --redact-title RE  Record windows whose title matches RE as "[redacted]" (repeatable)
  --no-redact-private
                     Record private and incognito browser windows' titles too (by default
                     they are redacted)
  --dry-run          Print what would be sent (window and AFK), send nothing
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

const WATCH_FLAGS = {
  'sample-ms': { type: 'string' },
  'flush-sec': { type: 'string' },
  'data-dir': { type: 'string' },
  'config-dir': { type: 'string' },
  url: { type: 'string' },
  key: { type: 'string' },
  'key-file': { type: 'string' },
  format: { type: 'string' },
  verbose: { type: 'boolean' },
  'afk-timeout': { type: 'string' },
  'exclude-app': { type: 'string', multiple: true },
  'exclude-title': { type: 'string', multiple: true },
  'redact-title': { type: 'string', multiple: true },
  'no-redact-private': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'no-window': { type: 'boolean' },
  'no-afk': { type: 'boolean' },
  'no-input': { type: 'boolean' },
  status: { type: 'boolean' },
} as const

function parseWatchArgs(argv: string[]) {
  return parseFlags('watch', argv, WATCH_FLAGS, true)
}

/** What the collector calls itself when sending. */
export const INPUT_SOURCE = 'daybook-input'

export interface WatchInputConfig {
  sampleMs: number
  flushMs: number
  dataDir: string
  configDir: string
  url: string | undefined
  key: string | undefined
  format: 'daybook' | 'frames'
  verbose: boolean
}

/** Flags over environment over defaults. */
export function resolveWatchInputConfig(argv: string[], env: NodeJS.ProcessEnv): WatchInputConfig {
  const { values } = parseWatchArgs(argv)
  const format = values.format ?? 'daybook'
  if (format !== 'daybook' && format !== 'frames') {
    throw new CliError(`--format must be daybook or frames, got ${JSON.stringify(format)}`, 2)
  }
  if (values.url !== undefined) {
    let url: URL
    try {
      url = new URL(values.url)
    } catch {
      throw new CliError(`--url must be an http or https URL, got ${JSON.stringify(values.url)}`, 2)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CliError(`--url must be an http or https URL, got ${JSON.stringify(values.url)}`, 2)
    }
  }
  return {
    sampleMs: integerFlag(values['sample-ms'], '--sample-ms', 1000, 10, 60_000),
    flushMs: integerFlag(values['flush-sec'], '--flush-sec', 30, 1, 3600) * 1000,
    dataDir: path.resolve(values['data-dir'] ?? (env.DAYBOOK_DATA_DIR || defaultDataDir(env))),
    configDir: path.resolve(
      values['config-dir'] ?? (env.DAYBOOK_CONFIG_DIR || defaultConfigDir(env)),
    ),
    url: values.url,
    key: resolveKey(values['key-file'], values.key, env),
    format,
    verbose: values.verbose === true,
  }
}

/** The key from `--key-file`, else `DAYBOOK_KEY`, else `--key`; undefined for the defaults. */
function resolveKey(
  file: string | undefined,
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (file !== undefined) {
    let text: string
    try {
      text = readFileSync(file, 'utf8').trim()
    } catch (err) {
      throw new CliError(
        `cannot read --key-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        2,
      )
    }
    if (text === '') throw new CliError(`--key-file ${file} is empty`, 2)
    return text
  }
  if (env.DAYBOOK_KEY !== undefined && env.DAYBOOK_KEY !== '') return env.DAYBOOK_KEY
  return flag === '' ? undefined : flag
}

function integerFlag(
  value: string | undefined,
  flag: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new CliError(
      `${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
      2,
    )
  }
  return n
}

/** Where the collectors send: a client per attempt and how log lines name it. */
export interface SendTarget {
  /**
   * Makes the client for one attempt: the local daemon is looked up through its daemon.json
   * each time, so the watcher may start first and survives daemon restarts (new port, new token).
   */
  client: () => DaybookClient
  /** Describes the target in log lines. */
  name: string
  /** Path prefix of the Daybook API on that server (`''` for the local daemon). */
  base: string
}

/** The Daybook server a configuration sends to: the local daemon, or `--url`. */
export function daybookTarget(config: WatchInputConfig, env: NodeJS.ProcessEnv): SendTarget {
  if (config.url === undefined) {
    return {
      client: () =>
        DaybookClient.local({
          dataDir: config.dataDir,
          configDir: config.configDir,
          token: config.key,
          env,
        }),
      name: `the daybook daemon of ${config.dataDir}`,
      base: '',
    }
  }
  const parsed = new URL(config.url)
  const base = parsed.pathname.replace(/\/+$/, '')
  const token = config.key ?? (env.DAYBOOK_TOKEN || undefined)
  return {
    client: () => new DaybookClient({ endpoint: { baseUrl: parsed.origin }, token }),
    name: `${parsed.origin}${base}`,
    base,
  }
}

/** Where and how input counts go, in the format the configuration asks for. */
export function inputRoute(
  config: WatchInputConfig,
  env: NodeJS.ProcessEnv,
): SendTarget & { delivery: Delivery<InputItem> } {
  if (config.format === 'daybook' || config.url === undefined) {
    const target = daybookTarget(config, env)
    const delivery =
      config.format === 'daybook'
        ? daybookInputDelivery(`${target.base}/v1/input`, INPUT_SOURCE)
        : framesDelivery('/v1/frames', INPUT_SOURCE, undefined)
    return { ...target, delivery }
  }
  // A frames server elsewhere: the raw key in Authorization, no bearer token.
  const parsed = new URL(config.url)
  const framesPath =
    parsed.pathname === '/' || parsed.pathname === ''
      ? '/frames'
      : `${parsed.pathname}${parsed.search}`
  const key = config.key ?? (env.DAYBOOK_TOKEN || undefined)
  return {
    client: () => new DaybookClient({ endpoint: { baseUrl: parsed.origin } }),
    name: `${parsed.origin}${framesPath}`,
    base: '',
    delivery: framesDelivery(framesPath, INPUT_SOURCE, key),
  }
}

/** A running collector: `stop()` ends it after a last send. */
interface Running {
  stop(): Promise<void>
  status(): CollectorStatus[]
}

/** One collector's line in the status report: what waits in its outbox, what its courier sent. */
function collectorStatus<T>(
  collector: CollectorStatus['collector'],
  state: string,
  outbox: Outbox<T>,
  courier: Courier<T>,
  last: string | null,
): CollectorStatus {
  const sent = courier.lastSentMs
  return {
    collector,
    state,
    waiting: outbox.size,
    delivered: courier.delivered,
    lastSentAt: sent === undefined ? null : new Date(sent).toISOString(),
    last,
  }
}

/** Starts the input collector; the caller owns signals and the spool lock. */
async function startInput(config: WatchInputConfig, env: NodeJS.ProcessEnv): Promise<Running> {
  const log = (line: string) => process.stderr.write(`daybook watch input: ${line}\n`)
  const outbox = new Outbox<InputItem>(
    path.join(spoolDir(config.dataDir), 'input.json'),
    log,
    readInputSpoolV1,
  )
  const route = inputRoute(config, env)
  const collector = new InputCollector({
    outbox,
    delivery: route.delivery,
    client: route.client,
    target: route.name,
    clock: Date.now,
    flushMs: config.flushMs,
    log,
    verbose: config.verbose,
  })
  const source = uiohookSource(env)
  try {
    await source.start((kind, n) => collector.record(kind, n))
  } catch (err) {
    throw new CliError(`cannot watch input: ${(err as Error).message}`)
  }
  log(
    `counting input; sending to ${route.name} every ${config.flushMs / 1000} s` +
      (outbox.size > 0 ? `; ${outbox.size} bucket(s) from the spool first` : ''),
  )
  if (outbox.size > 0) await collector.flush()
  const timer = setInterval(() => void collector.tick(), config.sampleMs)
  const { courier } = collector
  return {
    status: () => [
      collectorStatus(
        'input',
        courier.failures > 0 ? 'retrying' : 'sending',
        outbox,
        courier,
        null,
      ),
    ],
    async stop() {
      clearInterval(timer)
      await source.stop()
      const empty = await collector.stop()
      log(
        empty
          ? 'stopped; every count was sent'
          : `stopped; ${outbox.size} bucket(s) wait in ${outbox.file} for the next start`,
      )
    },
  }
}

/** Starts the window and AFK watchers (those asked for) on this desktop. */
async function startDesktop(
  config: WatchInputConfig,
  desktop: DesktopConfig,
  env: NodeJS.ProcessEnv,
): Promise<Running> {
  const log = (line: string) => process.stderr.write(`daybook watch: ${line}\n`)
  let source
  try {
    source = await openDesktop(env)
  } catch (err) {
    throw new CliError(`cannot watch the desktop: ${(err as Error).message}`)
  }
  const { client, name: target, base } = daybookTarget(config, env)
  const spool = spoolDir(config.dataDir)
  const courier = <T>(outbox: Outbox<T>, route: string, what: string, unit: string) =>
    new Courier<T>({
      outbox,
      delivery: jsonArrayDelivery<T>(`${base}${route}`),
      client,
      target,
      what,
      unit,
      clock: Date.now,
      log,
    })
  const windowOutbox = new Outbox<WindowEvent>(path.join(spool, 'window.json'), log)
  const afkOutbox = new Outbox<AfkPeriodInput>(path.join(spool, 'afk.json'), log)
  const watcher = new DesktopWatcher({
    source,
    clock: Date.now,
    log,
    window: desktop.window
      ? {
          tracker: new WindowTracker(desktop.privacy),
          outbox: windowOutbox,
          courier: courier(windowOutbox, '/v1/events', 'window events', 'event(s)'),
        }
      : undefined,
    afk: desktop.afk
      ? {
          tracker: new AfkTracker(desktop.afkTimeoutMs),
          outbox: afkOutbox,
          courier: courier(afkOutbox, '/v1/afk', 'AFK periods', 'period(s)'),
        }
      : undefined,
    dryRun: desktop.dryRun
      ? (kind, item) => process.stdout.write(`${JSON.stringify({ [kind]: item })}\n`)
      : undefined,
  })
  source.onChange(() => void watcher.tick())
  const sampler = setInterval(() => void watcher.tick(), config.sampleMs)
  const sender = desktop.dryRun
    ? undefined
    : setInterval(() => void watcher.flush(), Math.min(config.flushMs, 10_000))
  await watcher.tick()
  log(
    `watching ${[desktop.window ? 'the focused window' : '', desktop.afk ? `time away (after ${desktop.afkTimeoutMs / 1000} s without input)` : ''].filter(Boolean).join(' and ')}` +
      (desktop.dryRun ? '; --dry-run: printing instead of sending' : `; sending to ${target}`),
  )
  if (!desktop.dryRun) await watcher.flush(true)
  const windowCourier = watcher.couriers.window
  const afkCourier = watcher.couriers.afk
  return {
    status: () => {
      const state = watcher.away ? 'away' : 'watching'
      const rows: CollectorStatus[] = []
      if (desktop.window && windowCourier) {
        const e = watcher.lastEvent
        const last = e ? `${e.app_name}: ${e.entity_name} until ${e.end_timestamp}` : null
        rows.push(collectorStatus('window', state, windowOutbox, windowCourier, last))
      }
      if (desktop.afk && afkCourier) {
        const p = watcher.lastAfk
        const last = p ? `away from ${p.afk_start}${p.afk_end ? ` to ${p.afk_end}` : ''}` : null
        rows.push(collectorStatus('afk', state, afkOutbox, afkCourier, last))
      }
      return rows
    },
    async stop() {
      clearInterval(sampler)
      if (sender) clearInterval(sender)
      await watcher.stop()
      source.close()
      const left = windowOutbox.size + afkOutbox.size
      const sent = `${windowCourier?.delivered ?? 0} window event and ${afkCourier?.delivered ?? 0} AFK updates sent`
      log(
        left === 0
          ? `stopped; ${sent}, nothing left`
          : `stopped; ${sent}, ${left} item(s) wait in ${spool}`,
      )
    },
  }
}

export interface DesktopConfig {
  window: boolean
  afk: boolean
  input: boolean
  afkTimeoutMs: number
  dryRun: boolean
  privacy: PrivacyRules
}

const COLLECTORS = ['window', 'afk', 'input'] as const

/** Which collectors, with what rules: positionals name them (none: all), `--no-X` leaves one out. */
export function resolveDesktopConfig(argv: string[]): DesktopConfig {
  const parsed = parseWatchArgs(argv)
  const values = parsed.values
  const positionals: string[] = parsed.positionals
  for (const p of positionals) {
    if (!(COLLECTORS as readonly string[]).includes(p)) {
      throw new CliError(`unknown watcher ${JSON.stringify(p)}; known: ${COLLECTORS.join(', ')}`, 2)
    }
  }
  const wanted = (name: (typeof COLLECTORS)[number]) =>
    (positionals.length === 0 || positionals.includes(name)) && values[`no-${name}`] !== true
  const regexes = (flag: string, list: string[] | undefined) =>
    (list ?? []).map((source) => {
      try {
        return new RegExp(source, 'i')
      } catch (err) {
        throw new CliError(`${flag}: ${(err as Error).message}`, 2)
      }
    })
  const config: DesktopConfig = {
    window: wanted('window'),
    afk: wanted('afk'),
    input: wanted('input'),
    afkTimeoutMs: integerFlag(values['afk-timeout'], '--afk-timeout', 180, 1, 86_400) * 1000,
    dryRun: values['dry-run'] === true,
    privacy: {
      excludeApps: regexes('--exclude-app', values['exclude-app']),
      excludeTitles: regexes('--exclude-title', values['exclude-title']),
      redactTitles: regexes('--redact-title', values['redact-title']),
      redactPrivate: values['no-redact-private'] !== true,
    },
  }
  if (!config.window && !config.afk && !config.input) {
    throw new CliError('every watcher is turned off; nothing to do', 2)
  }
  return config
}

async function watch(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const config = resolveWatchInputConfig(argv, env)
  if (parseWatchArgs(argv).values.status === true) return printStatus(config)
  const desktop = resolveDesktopConfig(argv)
  let release = () => {}
  if (!desktop.dryRun) {
    try {
      release = lockSpoolDir(config.dataDir)
    } catch (err) {
      throw new CliError((err as Error).message)
    }
  }
  const running: Running[] = []
  // Listening before anything starts: a signal from then on gets the clean stop below.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  try {
    if (desktop.window || desktop.afk) running.push(await startDesktop(config, desktop, env))
    if (desktop.input && !desktop.dryRun) running.push(await startInput(config, env))
  } catch (err) {
    for (const r of running) await r.stop()
    release()
    throw err
  }
  const statusFile = watchStatusFile(config.dataDir)
  const report = () => {
    try {
      writeWatchStatus(statusFile, {
        pid: process.pid,
        target: config.url ?? `the daybook daemon of ${config.dataDir}`,
        updatedAt: new Date().toISOString(),
        collectors: running.flatMap((r) => r.status()),
      })
    } catch {
      // A status report is a courtesy; recording goes on without it.
    }
  }
  report()
  const reporter = setInterval(report, 2000)
  const signal = await stopSignal
  clearInterval(reporter)
  // A second signal while the last sends run: leave at once (the outboxes are on disk).
  const again = (s: NodeJS.Signals) => {
    process.stderr.write(`daybook watch: ${s} again, exiting now; unsent data stays in the spool\n`)
    process.exit(1)
  }
  process.once('SIGINT', again)
  process.once('SIGTERM', again)
  process.stderr.write(`daybook watch: ${signal} received, sending what is left\n`)
  for (const r of running) await r.stop()
  report()
  release()
  return 0
}

/** `daybook watch --status`: the running watcher's last report. */
async function printStatus(config: WatchInputConfig): Promise<number> {
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
  summary: 'Record by itself: the focused window, time away, keyboard and mouse counts',
  help: HELP,
  async run(argv, env) {
    return watch(argv, env)
  },
}
