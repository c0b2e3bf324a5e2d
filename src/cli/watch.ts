/**
 * `daybook watch input`: the keyboard and mouse collector. Owns the process: the hook, the timer,
 * signals and the spool lock; the logic is `InputCollector`.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { DaybookClient } from '../client/client.ts'
import { InputCollector } from '../collectors/input-collector.ts'
import { uiohookSource } from '../collectors/platform/uiohook.ts'
import { DaybookSender, FramesSender } from '../collectors/sender.ts'
import { Spool, lockSpool, spoolFile } from '../collectors/spool.ts'
import type { Sender } from '../collectors/input-collector.ts'
import { defaultConfigDir, defaultDataDir } from '../config/paths.ts'
import { CliError, type Command, parseFlags } from './command.ts'

const HELP = `Usage: daybook watch input [options]

Counts key presses, left/right/middle clicks, scroll steps and mouse motion with global
hooks (XRecord on X11), per 5-minute bucket, and sends the counts to Daybook.

Nothing is lost: unsent counts wait in <data-dir>/spool/input.json (written atomically);
a failed send (no daemon, network error, any non-2xx answer) keeps them and retries with
backoff up to 5 minutes; a restart resumes from the spool; every bucket is sent with an
id, so a re-send after a lost answer is not counted twice.

Options:
  --sample-ms N      Move counters into the current bucket every N ms (default 1000)
  --flush-sec N      Send new counts every N s, only when there are any (default 30)
  --data-dir DIR     The daemon's data dir: its daemon.json, and the spool  [DAYBOOK_DATA_DIR]
  --config-dir DIR   Where the token file auth.token is                     [DAYBOOK_CONFIG_DIR]
  --url URL          Send to another server instead of the local daemon:
                       a Daybook base URL (https://host:5610), or with --format frames
                       a seed-001 frames URL (http://host:5000/frames)
  --key-file FILE    Read the key to send from FILE                              [DAYBOOK_KEY]
                     (default: DAYBOOK_KEY, else DAYBOOK_TOKEN, else <config-dir>/auth.token)
  --key KEY          The key itself; other users can read it in the process list, so
                     prefer --key-file or DAYBOOK_KEY
  --verbose          Say what was sent every 5 minutes (the first send is always said)
  --format FORMAT    daybook: POST /v1/input, many buckets per request (default)
                     frames:  seed 001's POST /frames, one bucket per request, the key sent
                              raw in Authorization, as the seed's client does
  -h, --help         Show this help

The local daemon is found through <data-dir>/daemon.json at every send, so the
collector may start first and survives daemon restarts.

Stops on SIGINT or SIGTERM after a last send; what could not be sent stays in the
spool for the next start. Only a hard kill can lose counts: at most --flush-sec of them.
`

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
  const { values } = parseFlags('watch', argv, {
    'sample-ms': { type: 'string' },
    'flush-sec': { type: 'string' },
    'data-dir': { type: 'string' },
    'config-dir': { type: 'string' },
    url: { type: 'string' },
    key: { type: 'string' },
    'key-file': { type: 'string' },
    format: { type: 'string' },
    verbose: { type: 'boolean' },
  })
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

/** The sender a configuration asks for. */
export function makeSender(config: WatchInputConfig, env: NodeJS.ProcessEnv): Sender {
  const { url, format } = config
  if (url === undefined) {
    const client = () =>
      DaybookClient.local({
        dataDir: config.dataDir,
        configDir: config.configDir,
        token: config.key,
        env,
      })
    const target = `the daybook daemon of ${config.dataDir}`
    return format === 'daybook'
      ? new DaybookSender({ client, path: '/v1/input', source: INPUT_SOURCE, target })
      : new FramesSender({
          client,
          path: '/v1/frames',
          source: INPUT_SOURCE,
          target,
          key: undefined,
        })
  }
  const parsed = new URL(url)
  const key = config.key ?? (env.DAYBOOK_TOKEN || undefined)
  if (format === 'frames') {
    const client = () => new DaybookClient({ endpoint: { baseUrl: parsed.origin } })
    const framesPath =
      parsed.pathname === '/' || parsed.pathname === ''
        ? '/frames'
        : `${parsed.pathname}${parsed.search}`
    return new FramesSender({
      client,
      path: framesPath,
      source: INPUT_SOURCE,
      target: `${parsed.origin}${framesPath}`,
      key,
    })
  }
  const base = parsed.pathname.replace(/\/+$/, '')
  const client = () => new DaybookClient({ endpoint: { baseUrl: parsed.origin }, token: key })
  return new DaybookSender({
    client,
    path: `${base}/v1/input`,
    source: INPUT_SOURCE,
    target: `${parsed.origin}${base}`,
  })
}

async function watchInput(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const config = resolveWatchInputConfig(argv, env)
  const log = (line: string) => process.stderr.write(`daybook watch input: ${line}\n`)
  let release: () => void
  try {
    release = lockSpool(config.dataDir)
  } catch (err) {
    throw new CliError((err as Error).message)
  }
  try {
    const spool = Spool.open(spoolFile(config.dataDir), log)
    const sender = makeSender(config, env)
    let source
    try {
      source = await uiohookSource(env)
    } catch (err) {
      throw new CliError(`cannot watch input: ${(err as Error).message}`)
    }
    const collector = new InputCollector({
      spool,
      sender,
      clock: Date.now,
      flushMs: config.flushMs,
      log,
      verbose: config.verbose,
    })
    // Listening before the hook starts: a signal from then on gets the clean stop below.
    const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    await source.start((kind, n) => collector.record(kind, n))
    log(
      `counting input; sending to ${sender.target} every ${config.flushMs / 1000} s` +
        (spool.size > 0 ? `; ${spool.size} bucket(s) from the spool first` : ''),
    )
    if (spool.size > 0) await collector.flush()
    const timer = setInterval(() => void collector.tick(), config.sampleMs)

    const signal = await stopSignal
    // A second signal while the last send runs: leave at once (the spool is already on disk).
    const again = (s: NodeJS.Signals) => {
      log(`${s} again, exiting now; unsent counts stay in ${spool.file}`)
      process.exit(1)
    }
    process.once('SIGINT', again)
    process.once('SIGTERM', again)
    log(`${signal} received, sending what is left`)
    clearInterval(timer)
    await source.stop()
    const empty = await collector.stop()
    log(
      empty
        ? 'stopped; every count was sent'
        : `stopped; ${spool.size} bucket(s) wait in ${spool.file} for the next start`,
    )
    return 0
  } finally {
    release()
  }
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'Run a collector: daybook watch input (keyboard and mouse counts)',
  help: HELP,
  async run(argv, env) {
    const [what, ...rest] = argv
    if (what !== 'input') {
      throw new CliError(
        what === undefined
          ? 'say what to watch: daybook watch input (see daybook watch --help)'
          : `unknown watcher ${JSON.stringify(what)}; known: input`,
        2,
      )
    }
    return watchInput(rest, env)
  },
}
