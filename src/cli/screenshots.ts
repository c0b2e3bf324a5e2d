/**
 * `daybook screenshots status|pause|resume|purge`: the running daemon's screenshot capture.
 * Turning capture on and its settings are `POST /v1/settings/screenshot/config` (or the
 * dashboard); these are the quick controls. Needs the admin token (status: a read token).
 */
import { type CaptureState, ScreenshotsApi } from '../client/screenshots.ts'
import { CliError, type Command, parseFlags } from './command.ts'
import { CLIENT_FLAGS, clientFlags, connect } from './connect.ts'

const HELP = `Usage: daybook screenshots <command> [options]

What was on screen: with capture on (off by default), daybook watch takes a frame of the focused
window every 30 s and 2 s after a window change, reads its text (OCR, on this machine), and the
daemon keeps it under <data-dir>/screenshots for 14 days, at most 2 GB. Private and incognito
windows, windows daybook watch excludes (--exclude-app, --exclude-title, --exclude-url), time away
and a locked screen are never captured. Change the settings with
POST /v1/settings/screenshot/config, e.g. {"enabled": true}.

Commands:
  status               Whether capture is on, frames kept, their size, the oldest
  on | off             Turn capture on or off
  pause [--for DUR]    Stop capturing for DUR (90s, 30m, 1h, 2d) or until resumed
  resume               End a pause
  purge --all          Delete every frame
  purge [--start T] [--end T]
                       Delete the frames taken in a range (T: 2026-04-13 or 2026-04-13T08:00Z)

Options:
  --for DUR       How long a pause lasts
  --start T       Purge from T on
  --end T         Purge before T
  --all           Purge everything
  --json          Print the daemon's JSON answer instead
${clientFlags}
  -h, --help      Show this help
`

const FLAGS = {
  for: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
  ...CLIENT_FLAGS,
} as const

function usage(message: string): never {
  throw new CliError(`${message} (see daybook screenshots --help)`, 2)
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** `90s`, `30m`, `1h`, `2d` in seconds. */
export function durationSecs(text: string): number {
  const m = /^(\d+)\s*([smhd])$/i.exec(text.trim())
  const secs = m ? Number(m[1]) * (UNITS[(m[2] as string).toLowerCase()] as number) : NaN
  if (!Number.isInteger(secs) || secs < 1) {
    usage(`--for must be a duration like 90s, 30m, 1h or 2d, got ${JSON.stringify(text)}`)
  }
  return secs
}

function instant(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const ms = Date.parse(text)
  if (Number.isNaN(ms)) usage(`--${flag} must be a date or time, got ${JSON.stringify(text)}`)
  return ms / 1000
}

function describe(s: CaptureState): string {
  return s.capturing
    ? `capturing every ${s.config.intervalSecs} s (${s.config.scope})`
    : `not capturing: ${s.reason}`
}

export const screenshotsCommand: Command = {
  name: 'screenshots',
  help: HELP,
  async run(argv, env) {
    const { values, positionals } = parseFlags('screenshots', argv, FLAGS, true)
    const [sub, ...extra] = positionals
    if (extra.length > 0) usage(`unexpected argument ${JSON.stringify(extra[0])}`)
    const api = () => new ScreenshotsApi(connect(values, env).api())
    const out = (value: unknown, text: string) =>
      process.stdout.write(
        values.json === true ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`,
      )
    switch (sub) {
      case 'status': {
        const m = await api().metrics()
        const size = `${(m.bytes / 1024 ** 2).toFixed(1)} MB`
        const oldest =
          m.oldest === null ? '' : `, the oldest from ${new Date(m.oldest * 1000).toISOString()}`
        out(
          m,
          `${m.capturing ? 'capturing' : `not capturing: ${m.reason}`}; ${m.frames} frames, ${size}${oldest}`,
        )
        return 0
      }
      case 'on':
      case 'off': {
        const config = await api().setConfig({ enabled: sub === 'on' })
        out(config, `capture is ${config.enabled ? 'on' : 'off'}`)
        return 0
      }
      case 'pause': {
        const forSecs = values.for === undefined ? undefined : durationSecs(values.for)
        const state = await api().pause(forSecs)
        out(state, describe(state))
        return 0
      }
      case 'resume': {
        const state = await api().resume()
        out(state, describe(state))
        return 0
      }
      case 'purge': {
        const startUtc = instant('start', values.start)
        const endUtc = instant('end', values.end)
        const all = values.all === true
        if (all === (startUtc !== undefined || endUtc !== undefined)) {
          usage('purge needs --all, or --start and/or --end')
        }
        const r = await api().purge(all ? { all } : { startUtc, endUtc })
        out(r, `${r.deleted} frame${r.deleted === 1 ? '' : 's'} deleted`)
        return 0
      }
      default:
        usage(
          sub === undefined
            ? 'a command is needed: status, on, off, pause, resume or purge'
            : `unknown command ${JSON.stringify(sub)}`,
        )
    }
  },
}
