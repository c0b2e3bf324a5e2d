/**
 * What `daybook watch` runs with: its settings (`settings.ts`) as the collectors use them.
 */
import { readFileSync } from 'node:fs'
import { ConfigError } from './load.ts'
import type { SettingsOf } from './settings.ts'

/** What the window watcher must not record, or must record without its title. */
export interface PrivacyRules {
  /** Windows of these apps, or whose title matches, are not recorded. */
  excludeApps: RegExp[]
  excludeTitles: RegExp[]
  /** Titles matching these are recorded as `[redacted]`. */
  redactTitles: RegExp[]
  /** Private and incognito browser windows are redacted (default true). */
  redactPrivate: boolean
}

/** The collectors `daybook watch` can run. */
const COLLECTORS = ['window', 'afk', 'input'] as const
export type CollectorName = (typeof COLLECTORS)[number]

/** The collectors' configuration, read and checked once (`readSettings('watch', …)`). */
export interface WatchConfig {
  dataDir: string
  configDir: string
  /** Another server to send to instead of the local daemon. */
  url: string | undefined
  /** The key to send: --key-file, else DAYBOOK_KEY, else --key; undefined for the default. */
  key: string | undefined
  /** DAYBOOK_TOKEN: the default token, when no key is given. */
  token: string | undefined
  format: 'daybook' | 'frames'
  sampleMs: number
  flushMs: number
  verbose: boolean
  /** Only print the running watcher's report. */
  status: boolean
  window: boolean
  afk: boolean
  input: boolean
  afkTimeoutMs: number
  /** Print window and AFK changes instead of sending them. */
  dryRun: boolean
  privacy: PrivacyRules
}

/** The collectors' configuration; `positionals` name the collectors to run (none: all). */
export function watchConfig(s: SettingsOf<'watch'>, positionals: readonly string[]): WatchConfig {
  for (const p of positionals) {
    if (!(COLLECTORS as readonly string[]).includes(p)) {
      throw new ConfigError(`unknown watcher ${JSON.stringify(p)}; known: ${COLLECTORS.join(', ')}`)
    }
  }
  const off = { window: s.noWindow, afk: s.noAfk, input: s.noInput }
  const wanted = (name: CollectorName) =>
    (positionals.length === 0 || positionals.includes(name)) && !off[name]
  const config: WatchConfig = {
    dataDir: s.dataDir,
    configDir: s.configDir,
    url: s.url,
    key: s.keyFile === undefined ? s.key || undefined : readKeyFile(s.keyFile),
    token: s.token,
    format: s.format,
    sampleMs: s.sampleMs,
    flushMs: s.flushSec * 1000,
    verbose: s.verbose,
    status: s.status,
    window: wanted('window'),
    afk: wanted('afk'),
    input: wanted('input'),
    afkTimeoutMs: s.afkTimeoutSec * 1000,
    dryRun: s.dryRun,
    privacy: {
      excludeApps: regexes('--exclude-app', s.excludeApps),
      excludeTitles: regexes('--exclude-title', s.excludeTitles),
      redactTitles: regexes('--redact-title', s.redactTitles),
      redactPrivate: !s.noRedactPrivate,
    },
  }
  if (!config.status && !config.window && !config.afk && !config.input) {
    throw new ConfigError('every watcher is turned off; nothing to do')
  }
  return config
}

function readKeyFile(file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8').trim()
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new ConfigError(`cannot read --key-file ${file}: ${e.code ?? e.message}`)
  }
  if (text === '') throw new ConfigError(`--key-file ${file} is empty`)
  return text
}

/** Case-insensitive patterns from a repeatable flag. */
function regexes(flag: string, sources: readonly string[]): RegExp[] {
  return sources.map((source) => {
    try {
      return new RegExp(source, 'i')
    } catch (err) {
      throw new ConfigError(`${flag}: ${(err as Error).message}`)
    }
  })
}
