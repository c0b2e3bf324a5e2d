/**
 * `daybook wakatime setup [--undo]`: points every WakaTime editor plugin at the running daemon.
 *
 * All of them read `~/.wakatime.cfg` (or `$WAKATIME_HOME/.wakatime.cfg`) through `wakatime-cli`,
 * so one file changes: `api_url` and `api_key` in `[settings]`, everything else kept as it was.
 * The key is a new WakaTime-format key of scope `ingest` (it can record, and read today's total
 * for the status bar, nothing else). The file as it was is kept beside it; `--undo` puts it back
 * and revokes the key.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ApiError, DaybookClient, UnreachableError, findDaemon } from '../client/client.ts'
import { discoveryUrl } from '../config/discovery.ts'
import { writeFileAtomic } from '../config/files.ts'
import { flagOptions, readSettings } from '../config/load.ts'
import { CliError, type Command, parseFlags } from './command.ts'

const HELP = `Usage: daybook wakatime setup [--undo] [options]

Points every WakaTime editor plugin (VS Code, JetBrains, Vim, Emacs, ... all
of them go through wakatime-cli) at the running daemon: creates a WakaTime
key of scope ingest and writes api_url and api_key into the [settings] of
~/.wakatime.cfg (or $WAKATIME_HOME/.wakatime.cfg), keeping every other line.
The file as it was is saved beside it as .wakatime.cfg.daybook-backup.

  --undo            Put the saved file back and revoke the key setup made
  --url URL         The daemon's address as the plugins reach it
                    (default: where the running daemon listens)
  --data-dir DIR    Find the daemon through DIR/daemon.json   [DAYBOOK_DATA_DIR]
  --config-dir DIR  Read the admin token from DIR/auth.token  [DAYBOOK_CONFIG_DIR]
  -h, --help        Show this help

By hand: in ~/.wakatime.cfg, under [settings], set
  api_url = http://127.0.0.1:<port>/api/v1
  api_key = <daybook token create --scope ingest --format wakatime --name ...>
`

/** What the backup holds when there was no file before setup (undo then removes the file). */
const NO_FILE = '; daybook wakatime setup: there was no .wakatime.cfg before\n'

/** The config file every WakaTime plugin reads. */
function wakatimeConfigFile(env: NodeJS.ProcessEnv): string {
  const home = env.WAKATIME_HOME || env.HOME || os.homedir()
  return path.join(home, '.wakatime.cfg')
}

/** `~/…` for messages. */
function shown(file: string): string {
  const home = os.homedir()
  return file.startsWith(`${home}${path.sep}`) ? `~${file.slice(home.length)}` : file
}

/** `8f1c2b…1d2e`: a key as previews show it. */
function preview(key: string): string {
  return `${key.slice(0, 6)}…${key.slice(-4)}`
}

interface Setting {
  value: string | undefined
}

/**
 * Sets `api_url` and `api_key` in the `[settings]` section of an INI text, keeping every other
 * line (comments, other sections, other settings, the line endings). Returns the new text and
 * the values it replaced.
 */
export function setWakatimeSettings(
  text: string,
  values: { api_url: string; api_key: string },
): { text: string; before: Record<'api_url' | 'api_key', Setting> } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/)
  const before: Record<'api_url' | 'api_key', Setting> = {
    api_url: { value: undefined },
    api_key: { value: undefined },
  }
  let section: string | undefined
  let settingsStart = -1
  let settingsEnd = lines.length
  const done = new Set<string>()
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    const header = /^\s*\[([^\]]*)\]\s*$/.exec(line)
    if (header) {
      if (section === 'settings') settingsEnd = i
      section = (header[1] as string).trim().toLowerCase()
      if (section === 'settings' && settingsStart < 0) settingsStart = i
      continue
    }
    if (section !== 'settings') continue
    const m = /^(\s*)(api_url|api_key)(\s*[=:]\s*)(.*?)\s*$/i.exec(line)
    if (!m) continue
    const key = (m[2] as string).toLowerCase() as 'api_url' | 'api_key'
    if (done.has(key)) continue
    before[key].value = m[4]
    lines[i] = `${m[1] ?? ''}${key} = ${values[key]}`
    done.add(key)
  }
  const missing = (['api_url', 'api_key'] as const)
    .filter((k) => !done.has(k))
    .map((k) => `${k} = ${values[k]}`)
  if (settingsStart < 0) {
    if (lines.length > 0 && (lines[lines.length - 1] as string).trim() !== '') lines.push('')
    lines.push('[settings]', ...missing)
  } else if (missing.length > 0) {
    // At the end of [settings], before any blank lines that separate it from the next section.
    let at = settingsEnd
    while (at > settingsStart + 1 && (lines[at - 1] as string).trim() === '') at--
    lines.splice(at, 0, ...missing)
  }
  return { text: lines.join(eol) + eol, before }
}

export const wakatimeCommand: Command = {
  name: 'wakatime',
  help: HELP,
  async run(argv, env) {
    const { values, positionals } = parseFlags('wakatime', argv, flagOptions('wakatime'), true)
    const [sub, ...extra] = positionals
    if (sub !== 'setup' || extra.length > 0) {
      throw new CliError(
        `${sub === undefined ? 'name a command' : `unknown command ${JSON.stringify(positionals.join(' '))}`}: use setup or setup --undo (see daybook wakatime --help)`,
        2,
      )
    }
    const settings = readSettings('wakatime', values, env)
    const file = wakatimeConfigFile(env)
    const backup = `${file}.daybook-backup`
    // An unreachable daemon is one line from main's failure handler, like every command's.
    const client = () =>
      DaybookClient.local({
        dataDir: settings.dataDir,
        configDir: settings.configDir,
        url: settings.pluginUrl,
        env,
      })
    if (settings.undo) return undo(file, backup, client)

    const apiUrl = `${(settings.pluginUrl ?? daemonUrl(settings.dataDir)).replace(/\/+$/, '')}/api/v1`
    const existed = existsSync(file)
    const original = existed ? readFileSync(file, 'utf8') : ''
    const token = await ask(() =>
      client()
        .api()
        .createToken({
          name: `WakaTime plugins (${os.hostname()})`,
          acl: 'ingest',
          expiry: 'never',
          format: 'wakatime',
        }),
    )
    const { text, before } = setWakatimeSettings(original, {
      api_url: apiUrl,
      api_key: token.token,
    })
    // The first setup's backup is the file as the user had it; a second setup keeps it.
    const keptBackup = existsSync(backup)
    if (!keptBackup) writeFileAtomic(backup, existed ? original : NO_FILE)
    writeFileAtomic(file, text)
    // A key an earlier setup made, now replaced, is revoked: a key in no file serves nobody.
    const replaced =
      before.api_key.value === undefined
        ? undefined
        : await revokeKey(client, before.api_key.value, token.id)
    const was = (s: Setting, show: (v: string) => string = (v) => v) =>
      s.value === undefined ? '(not set before)' : `(was ${show(s.value)})`
    process.stdout.write(
      `Updated ${shown(file)}${existed ? '' : ' (new file)'}:\n` +
        `  api_url = ${apiUrl}  ${was(before.api_url)}\n` +
        `  api_key = ${preview(token.token)}  a new WakaTime key of scope ingest ${was(before.api_key, preview)}\n` +
        `Everything else in it is unchanged. ${keptBackup ? 'The backup of your original file is kept' : 'The file as it was is saved'} in ${shown(backup)};\n` +
        'daybook wakatime setup --undo puts it back.\n' +
        (replaced
          ? `Revoked the key it replaced, ${preview(replaced)}, which an earlier setup made.\n`
          : '') +
        'Editors pick the change up with their next heartbeat.\n',
    )
    if (/^\s*api_key_vault_cmd\s*[=:]/im.test(text)) {
      process.stderr.write(
        `Note: ${shown(file)} sets api_key_vault_cmd, which wakatime-cli uses instead of api_key; remove it for the plugins to use the new key.\n`,
      )
    }
    return 0
  },
}

/** The daemon's TCP address from its discovery file (plugins cannot use a Unix socket). */
function daemonUrl(dataDir: string): string {
  let url: string | undefined
  try {
    url = discoveryUrl(findDaemon(dataDir))
  } catch (err) {
    if (err instanceof UnreachableError) throw new CliError(err.message)
    throw err
  }
  if (url === undefined) {
    throw new CliError(
      'the daemon listens on no TCP port, which WakaTime plugins need; restart it with --port, or pass --url',
    )
  }
  return url
}

async function undo(file: string, backup: string, client: () => DaybookClient): Promise<number> {
  if (!existsSync(backup)) {
    throw new CliError(
      `nothing to undo: there is no ${shown(backup)} (setup was not run, or was undone)`,
    )
  }
  const current = existsSync(file) ? readFileSync(file, 'utf8') : ''
  const key = /^\s*api_key\s*[=:]\s*(\S+)\s*$/im.exec(current)?.[1]
  const saved = readFileSync(backup, 'utf8')
  if (saved === NO_FILE) rmSync(file, { force: true })
  else writeFileAtomic(file, saved)
  rmSync(backup, { force: true })
  process.stdout.write(
    saved === NO_FILE
      ? `Removed ${shown(file)}: there was none before setup.\n`
      : `Restored ${shown(file)} as it was before setup.\n`,
  )
  // The key setup made is no longer needed: revoke it, if the daemon knows it.
  if (key !== undefined && (await revokeKey(client, key))) {
    process.stdout.write(`Revoked the key ${preview(key)}.\n`)
  }
  return 0
}

/**
 * Revokes the live WakaTime key whose preview matches `key` (never `keep`); resolves to the key
 * when one was revoked. A daemon that cannot be asked is reported, not fatal.
 */
async function revokeKey(
  client: () => DaybookClient,
  key: string,
  keep?: string,
): Promise<string | undefined> {
  try {
    const api = client().api()
    const made = (await api.tokens()).find(
      (t) =>
        t.token_preview === preview(key) && t.format === 'wakatime' && !t.revoked && t.id !== keep,
    )
    if (!made) return undefined
    await api.revokeToken(made.id)
    return key
  } catch (err) {
    if (!(err instanceof UnreachableError || err instanceof ApiError || err instanceof CliError)) {
      throw err
    }
    process.stderr.write(
      `Could not revoke the key ${preview(key)}: ${err.message}. Revoke it with daybook token revoke when the daemon runs.\n`,
    )
    return undefined
  }
}

/** Runs a request, turning the daemon's refusals into one clear line. */
async function ask<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send()
  } catch (err) {
    if (err instanceof UnreachableError) throw new CliError(err.message)
    if (err instanceof ApiError) throw new CliError(`the daemon refused: ${err.message}`)
    throw err
  }
}
