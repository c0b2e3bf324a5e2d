/**
 * `daybook service install|uninstall|status`: runs the daemon and the watchers as the user's
 * services, restarted on failure: systemd user units on Linux, launchd agents on macOS.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { makeDirs } from '../config/files.ts'
import { CliError, type Command, parseFlags } from './command.ts'

const HELP = `Usage: daybook service <install|uninstall|status> [options]

Runs Daybook as your own background services, started at login and restarted on failure:
the daemon (daybook serve) and the watchers (daybook watch: window, AFK, input). Linux:
systemd user units in ~/.config/systemd/user (the watchers start with the graphical session);
macOS: launchd agents in ~/Library/LaunchAgents.

Commands:
  install     Write the units and start them (systemctl --user enable --now)
  uninstall   Stop them and remove the units
  status      Say which units are installed and whether they run

Options:
  --no-watch     Install the daemon only
  --aw           Also serve ActivityWatch's API (daybook serve --aw) for its watchers
  --print        Print the units instead of writing them
  --unit-dir DIR Write the units to DIR and start nothing (for packaging and checks)
  -h, --help     Show this help
`

/** How to start daybook: the pinned Node and the launcher of this checkout. */
export interface Launch {
  node: string
  script: string
}

function thisLaunch(): Launch {
  const root = path.resolve(import.meta.dirname, '..', '..')
  const pinned = path.join(root, 'node_modules', 'node', 'bin', 'node')
  return {
    node: existsSync(pinned) ? pinned : process.execPath,
    script: path.join(root, 'bin', 'daybook.js'),
  }
}

const quote = (arg: string) =>
  /^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\$`])/g, '\\$1')}"`

/** The systemd user units: name → content. */
function systemdUnits(launch: Launch, options: { watch: boolean; aw: boolean }) {
  const exec = (...args: string[]) => [launch.node, launch.script, ...args].map(quote).join(' ')
  const units: Record<string, string> = {
    'daybook.service': `[Unit]
Description=Daybook: where your time goes, kept on this machine
Documentation=https://github.com/daybook/daybook

[Service]
ExecStart=${exec('serve', ...(options.aw ? ['--aw'] : []))}
Restart=on-failure
RestartSec=5
# SIGTERM stops it cleanly: requests in flight finish, then the database closes.
KillSignal=SIGTERM
TimeoutStopSec=30

[Install]
WantedBy=default.target
`,
  }
  if (options.watch) {
    units['daybook-watch.service'] = `[Unit]
Description=Daybook watchers: the focused window, time away, keyboard and mouse counts
After=daybook.service graphical-session.target
PartOf=graphical-session.target

[Service]
ExecStart=${exec('watch')}
Restart=on-failure
RestartSec=5
KillSignal=SIGTERM
TimeoutStopSec=30

[Install]
WantedBy=graphical-session.target
`
  }
  return units
}

/** The launchd agents (macOS): file name → content. */
function launchdAgents(launch: Launch, options: { watch: boolean; aw: boolean }) {
  const agent = (label: string, args: string[]) => `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>${label}</string>
  <key>ProgramArguments</key>
  <array>
${[launch.node, launch.script, ...args].map((a) => `    <string>${a.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</string>`).join('\n')}
  </array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
</dict>
</plist>
`
  const out: Record<string, string> = {
    'org.daybook.daemon.plist': agent('org.daybook.daemon', [
      'serve',
      ...(options.aw ? ['--aw'] : []),
    ]),
  }
  if (options.watch) out['org.daybook.watch.plist'] = agent('org.daybook.watch', ['watch'])
  return out
}

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(command, args, { encoding: 'utf8' })
  return {
    ok: r.status === 0,
    output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || (r.error?.message ?? ''),
  }
}

export const serviceCommand: Command = {
  name: 'service',
  help: HELP,
  async run(argv, env) {
    const parsed = parseFlags(
      'service',
      argv,
      {
        'no-watch': { type: 'boolean' },
        aw: { type: 'boolean' },
        print: { type: 'boolean' },
        'unit-dir': { type: 'string' },
      },
      true,
    )
    const values = parsed.values
    const [sub, ...extra]: string[] = parsed.positionals
    if (
      sub === undefined ||
      !['install', 'uninstall', 'status'].includes(sub) ||
      extra.length > 0
    ) {
      throw new CliError('name one command: install, uninstall or status', 2, true)
    }
    const mac = process.platform === 'darwin'
    if (process.platform !== 'linux' && !mac) {
      throw new CliError(
        `services on ${process.platform} are not supported yet; run daybook serve yourself`,
      )
    }
    const options = { watch: values['no-watch'] !== true, aw: values.aw === true }
    const units = mac ? launchdAgents(thisLaunch(), options) : systemdUnits(thisLaunch(), options)
    if (values.print === true) {
      for (const [name, text] of Object.entries(units)) process.stdout.write(`# ${name}\n${text}\n`)
      return 0
    }
    const home = env.HOME ?? os.homedir()
    const explicit = values['unit-dir']
    const dir =
      explicit ??
      (mac
        ? path.join(home, 'Library', 'LaunchAgents')
        : path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'systemd', 'user'))
    const names = Object.keys(
      mac
        ? launchdAgents(thisLaunch(), { watch: true, aw: false })
        : systemdUnits(thisLaunch(), { watch: true, aw: false }),
    )
    if (sub === 'status') {
      for (const name of names) {
        const file = path.join(dir, name)
        const state = !existsSync(file)
          ? 'not installed'
          : mac
            ? 'installed'
            : run('systemctl', ['--user', 'is-active', name]).output || 'installed'
        process.stdout.write(`${name}: ${state}\n`)
      }
      return 0
    }
    if (sub === 'uninstall') {
      if (!explicit && !mac) run('systemctl', ['--user', 'disable', '--now', ...names])
      if (!explicit && mac) for (const n of names) run('launchctl', ['unload', path.join(dir, n)])
      for (const name of names) rmSync(path.join(dir, name), { force: true })
      if (!explicit && !mac) run('systemctl', ['--user', 'daemon-reload'])
      process.stdout.write(`Removed ${names.join(', ')} from ${dir}\n`)
      return 0
    }
    makeDirs(dir)
    for (const [name, text] of Object.entries(units)) writeFileSync(path.join(dir, name), text)
    process.stdout.write(`Wrote ${Object.keys(units).join(', ')} to ${dir}\n`)
    if (explicit) return 0
    const started = mac
      ? Object.keys(units).map((n) => run('launchctl', ['load', '-w', path.join(dir, n)]))
      : [
          run('systemctl', ['--user', 'daemon-reload']),
          run('systemctl', ['--user', 'enable', '--now', ...Object.keys(units)]),
        ]
    const failed = started.find((r) => !r.ok)
    if (failed)
      throw new CliError(`the units are written but could not be started: ${failed.output}`)
    process.stdout.write('Started; daybook service status says how they run.\n')
    return 0
  },
}
