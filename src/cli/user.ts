/**
 * `daybook user add|list|remove|admin`: the users of a team server, managed through the running
 * daemon (which holds the directory and opens each user's diary). Needs a server admin's token.
 */

import type { User } from '../client/api.ts'
import { USER_NAME_RE } from '../domain/users.ts'
import { columns } from './format.ts'
import { CliError, type Command, parseFlags } from './command.ts'
import { CLIENT_FLAGS, ask, connect } from './connect.ts'

const HELP = `Usage: daybook user <command> [options]

Manages the users of a team server on the running daemon: each user has a diary of
their own (their tokens, devices, settings, labels, totals and change feed), which no
other user's token can read. Needs the token of a server admin: DAYBOOK_TOKEN, else
<config-dir>/auth.token (the owner's, an admin).

Commands:
  add NAME [--admin]   Add a user with an empty diary (--admin: a server admin,
                       who may manage users). NAME: 1-32 lower-case letters, digits
                       or _, starting with a letter. Then make their tokens:
                       daybook token create --user NAME --name laptop --scope admin
  list                 List users: name, server admin, owner, created.
  remove NAME          Remove a user: their tokens stop working at once and their
                       diary is deleted. Refused for the last server admin and for
                       the owner (whose diary holds the directory of users).
  admin NAME --on|--off
                       Make a user a server admin, or not (refused for the last one).

Options:
  --json            Print the daemon's JSON answer instead
  --data-dir DIR    Find the daemon through DIR/daemon.json   [DAYBOOK_DATA_DIR]
  --config-dir DIR  Read the admin token from DIR/auth.token  [DAYBOOK_CONFIG_DIR]
  --url URL         Talk to the daemon at URL (e.g. http://127.0.0.1:5610)
  -h, --help        Show this help
`

const FLAGS = {
  admin: { type: 'boolean' },
  on: { type: 'boolean' },
  off: { type: 'boolean' },
  json: { type: 'boolean' },
  ...CLIENT_FLAGS,
} as const

export const userCommand: Command = {
  name: 'user',
  help: HELP,
  async run(argv, env) {
    const { values, positionals } = parseFlags('user', argv, FLAGS, true)
    const [sub, ...args] = positionals
    const client = () => connect(values, env)
    const json = values.json === true
    const print = (value: unknown, line: string) => {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${line}\n`)
      return 0
    }
    switch (sub) {
      case 'add': {
        const name = oneName(sub, args)
        const user = await ask(() =>
          client()
            .api()
            .addUser(name, values.admin === true),
        )
        return print(user, `Added user ${user.name}${user.admin ? ' (server admin)' : ''}.`)
      }
      case 'list': {
        if (args.length > 0) usage(`list takes no arguments, got ${JSON.stringify(args[0])}`)
        const users = await ask(() => client().api().users())
        return print(users, table(users))
      }
      case 'remove': {
        const name = oneName(sub, args)
        const result = await ask(() => client().api().removeUser(name))
        return print(
          result,
          `Removed user ${name}; their tokens are refused and their diary is gone.`,
        )
      }
      case 'admin': {
        const name = oneName(sub, args)
        if (values.on === values.off) usage('admin needs --on or --off')
        const user = await ask(() =>
          client()
            .api()
            .setUserAdmin(name, values.on === true),
        )
        return print(user, `${user.name} is ${user.admin ? 'now' : 'no longer'} a server admin.`)
      }
      case undefined:
        return usage('name a command: add, list, remove or admin')
      default:
        return usage(`unknown command ${JSON.stringify(sub)}: use add, list, remove or admin`)
    }
  },
}

function usage(message: string): never {
  throw new CliError(`${message} (see daybook user --help)`, 2)
}

function oneName(sub: string, args: string[]): string {
  const [name, ...extra] = args
  if (name === undefined || extra.length > 0) usage(`${sub} needs exactly one user NAME`)
  if (!USER_NAME_RE.test(name)) {
    usage(
      `user name ${JSON.stringify(name)} must be 1-32 lower-case letters, digits or _, starting with a letter`,
    )
  }
  return name
}

function table(users: User[]): string {
  return columns([
    ['NAME', 'ADMIN', 'OWNER', 'CREATED'],
    ...users.map((u) => [u.name, u.admin ? 'yes' : 'no', u.owner ? 'yes' : 'no', u.createdAt]),
  ])
}
