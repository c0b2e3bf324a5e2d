/**
 * `daybook pair` (on a hub) and `daybook sync join|status|now|leave` (on a device): one diary
 * across devices. Both talk to the daemon on this machine, which holds the database and does the
 * syncing; see `src/services/sync/`.
 */
import type { DaybookClient } from '../client/client.ts'
import { ApiError, UnreachableError } from '../client/client.ts'
import type { SyncStatus } from '../client/api.ts'
import { CliError, type Command, parseFlags } from './command.ts'
import { CLIENT_FLAGS, clientFlags, connect } from './connect.ts'

const PAIR_HELP = `Usage: daybook pair [--name NAME] [--expires 10m] [--user USER] [--json]

On a hub (daybook serve --hub): makes a pairing code for a new device and prints the one
command to run there:

  daybook sync join https://hub.example:5610 ABCD-EFGH-JKMN-PQRS --fingerprint SHA256:...

The code works once, expires (default after 10 minutes; --expires takes 30s, 10m, 2h, 1d, at
most 7d) and is 80 random bits. The fingerprint is the hub's certificate's: the device refuses
a hub that presents another one.

On a team server (users: see daybook user --help), --user pairs the device with that user's
diary: what it pushes lands there only, and it pulls that diary only. That needs a server
admin's token (the default token is the owner's). Without --user the device pairs with the
diary of the token's user (the owner's for the default token).

Options:
  --name NAME     The name the device will have (default: its own)
  --expires SPAN  How long the code works (default 10m)
  --user USER     Pair the device with this user's diary (a server admin only)
  --json          Print {"url","code","fingerprint","expiresAt"}
${clientFlags}
  -h, --help      Show this help
`

const SYNC_HELP = `Usage: daybook sync <command> [options]

Syncs this daemon with a hub, so every device shows every device's time: see README,
"Several devices". This daemon keeps recording while the hub is away and catches up after.

Commands:
  join URL CODE --fingerprint SHA256:...
                  Pair with the hub at URL using a code from daybook pair there, and start
                  syncing. A hub presenting another certificate than FINGERPRINT is refused.
                  (Without --fingerprint: a hub behind a TLS proxy with a public certificate.)
  status          The hub, state (synced, syncing, offline, refused; unpaired when
                  not paired), cursors, pending changes, last push and pull, last error
  now             Push everything pending and pull until caught up
  leave           Stop syncing: the token is revoked on the hub when it is reachable; all
                  data stays here

Options:
  --fingerprint FP  With join: the hub certificate's fingerprint (SHA256:...)
  --json            Print the daemon's JSON answer
${clientFlags}
  -h, --help        Show this help

Exit status: 0; 1 when the daemon refuses, or (status, now) the state is offline or refused.
`

const SYNC_CLIENT_FLAGS = {
  json: { type: 'boolean' },
  ...CLIENT_FLAGS,
} as const

/** Runs a request, turning the daemon's refusals into one clear line. */
async function ask<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send()
  } catch (err) {
    if (err instanceof UnreachableError) throw new CliError(err.message)
    if (err instanceof ApiError)
      throw new CliError(`the daemon refused: ${err.message} (${err.code})`)
    throw err
  }
}

function usage(command: string, message: string): never {
  throw new CliError(`${message} (see daybook ${command} --help)`, 2)
}

export const pairCommand: Command = {
  name: 'pair',
  help: PAIR_HELP,
  async run(argv, env) {
    const { values, positionals } = parseFlags(
      'pair',
      argv,
      {
        ...SYNC_CLIENT_FLAGS,
        name: { type: 'string' },
        expires: { type: 'string' },
        user: { type: 'string' },
      },
      true,
    )
    if (positionals.length > 0)
      usage('pair', `unexpected argument ${JSON.stringify(positionals[0])}`)
    if (values.expires !== undefined && !/^[0-9]+[smhd]$/.test(values.expires)) {
      usage(
        'pair',
        `--expires takes a span such as 30s, 10m, 2h or 1d, got ${JSON.stringify(values.expires)}`,
      )
    }
    const client = connect(values, env)
    const code = await ask(() =>
      client.api().syncPair(
        {
          ...(values.name === undefined ? {} : { name: values.name }),
          ...(values.expires === undefined ? {} : { expires: values.expires }),
        },
        values.user,
      ),
    )
    if (values.json === true) {
      const { url, code: text, fingerprint, expiresAt } = code
      process.stdout.write(`${JSON.stringify({ url, code: text, fingerprint, expiresAt })}\n`)
      return 0
    }
    process.stdout.write(`${code.command}\n`)
    process.stderr.write(
      `Run that on the new device (its daemon running). The code works once, until ${code.expiresAt}.\n`,
    )
    return 0
  },
}

export const syncCommand: Command = {
  name: 'sync',
  help: SYNC_HELP,
  async run(argv, env) {
    const { values, positionals } = parseFlags(
      'sync',
      argv,
      { ...SYNC_CLIENT_FLAGS, fingerprint: { type: 'string' } },
      true,
    )
    const [sub, ...args] = positionals
    const client = (): DaybookClient => connect(values, env)
    const json = values.json === true
    switch (sub) {
      case 'join': {
        const [url, code, ...extra] = args
        if (url === undefined || code === undefined || extra.length > 0) {
          usage(
            'sync',
            'join needs the hub URL and the code: daybook sync join URL CODE --fingerprint FP',
          )
        }
        const status = await ask(() =>
          client()
            .api()
            .syncJoin({
              url,
              code,
              ...(values.fingerprint === undefined ? {} : { fingerprint: values.fingerprint }),
            }),
        )
        if (json) process.stdout.write(`${JSON.stringify(status)}\n`)
        else
          process.stdout.write(
            `Paired with ${url}; syncing in the background (daybook sync status).\n`,
          )
        return 0
      }
      case 'status':
      case 'now': {
        if (args.length > 0) usage('sync', `${sub} takes no arguments`)
        const api = client().api()
        const status = await ask(() => (sub === 'now' ? api.syncNow() : api.syncStatus()))
        if (json) process.stdout.write(`${JSON.stringify(status)}\n`)
        else process.stdout.write(describeStatus(status))
        return status.state === 'offline' || status.state === 'refused' ? 1 : 0
      }
      case 'leave': {
        if (args.length > 0) usage('sync', 'leave takes no arguments')
        const left = await ask(() => client().api().syncLeave())
        if (json) process.stdout.write(`${JSON.stringify(left)}\n`)
        else {
          process.stdout.write(
            left.hubReached
              ? 'Left the hub: its token for this device is revoked; all data stays here.\n'
              : 'Stopped syncing; all data stays here. The hub was not reached: revoke this device there (POST /v1/sync/clients/revoke).\n',
          )
        }
        return 0
      }
      case undefined:
        return usage('sync', 'name a command: join, status, now or leave')
      default:
        return usage(
          'sync',
          `unknown command ${JSON.stringify(sub)}: use join, status, now or leave`,
        )
    }
  },
}

/** A status as lines for a person. */
function describeStatus(s: SyncStatus): string {
  if (s.role === 'none') return 'Not syncing: pair with a hub with daybook sync join.\n'
  if (s.role === 'hub')
    return `This daemon is a hub (${s.hub ?? ''}); pair devices with daybook pair.\n`
  const lines = [
    `hub:        ${s.hub ?? ''}`,
    `state:      ${s.state}`,
    `pending:    ${s.pending} change${s.pending === 1 ? '' : 's'} not yet on the hub`,
    `pushed:     up to ${s.pushedSeq}${s.lastPushAt === null ? '' : `, last at ${s.lastPushAt}`}`,
    `pulled:     up to ${s.pulledSeq}${s.lastPullAt === null ? '' : `, last at ${s.lastPullAt}`}`,
  ]
  if (s.lastError !== null) lines.push(`last error: ${s.lastError}`)
  return `${lines.join('\n')}\n`
}
