/**
 * `daybook token create|list|revoke|delete|refresh`: scoped tokens, managed through the running daemon (which
 * alone holds the database and the live token cache, so a revocation takes effect at once).
 */
import { TOKEN_SCOPES, type Scope } from '../domain/access.ts'
import { EXPIRIES, type Expiry, TOKEN_FORMATS, type TokenFormat } from '../services/tokens.ts'
import type { DaybookClient } from '../client/client.ts'
import { ApiError, UnreachableError } from '../client/client.ts'
import type { Token } from '../client/api.ts'
import { columns } from './format.ts'
import { CliError, type Command, parseFlags } from './command.ts'
import { CLIENT_FLAGS, connect } from './connect.ts'

const HELP = `Usage: daybook token <command> [options]

Manages scoped API tokens on the running daemon. Needs the admin token: DAYBOOK_TOKEN,
else <config-dir>/auth.token.

Commands:
  create --name NAME --scope SCOPE [--expiry EXPIRY] [--format FORMAT] [--user USER]
                    Create a token. Its secret is printed alone on stdout, and
                    shown only this once (notes go to stderr), so
                    TOKEN=$(daybook token create ...) works. With --user, a
                    token of that user's diary on a team server (needs a server
                    admin's token; see daybook user --help).
  list              List tokens: id, name, scope, preview, dates, status.
                    Never shows secrets.
  revoke ID         Revoke a token; it is refused from the next request on, still listed.
  delete ID         Delete a token; it is refused from the next request on, no longer listed.
  refresh           Replace the default admin token: the daemon rewrites its token file
                    (<config-dir>/auth.token) and the old secret stops working at once.

Scopes:
  admin      everything, including tokens and settings
  read_only  GET and HEAD anywhere except the token list
  data       reads, plus labels, history, search and analysis
  stream     live streams, status and version only
  ingest     only the write routes collectors use (events, AFK, input, WakaTime
             heartbeats); no reads but today's total for an editor's status bar

Expiry: day, week, month (30 days), quarter (90 days) or never (default never).

Format: daybook (default, an sk-... secret) or wakatime (a lowercase UUID, the
only key format WakaTime plugins accept; see daybook wakatime setup).

Options:
  --json            Print the daemon's JSON answer instead
  --data-dir DIR    Find the daemon through DIR/daemon.json   [DAYBOOK_DATA_DIR]
  --config-dir DIR  Read the admin token from DIR/auth.token  [DAYBOOK_CONFIG_DIR]
  --url URL         Talk to the daemon at URL (e.g. http://127.0.0.1:5610)
  -h, --help        Show this help
`

const FLAGS = {
  name: { type: 'string' },
  scope: { type: 'string' },
  expiry: { type: 'string' },
  format: { type: 'string' },
  user: { type: 'string' },
  json: { type: 'boolean' },
  ...CLIENT_FLAGS,
} as const

export const tokenCommand: Command = {
  name: 'token',
  help: HELP,
  async run(argv, env) {
    const { values, positionals } = parseFlags('token', argv, FLAGS, true)
    const [sub, ...args] = positionals
    // An unreachable daemon is one line from main's failure handler, like every command's.
    const client = () => connect(values, env)
    const json = values.json === true
    switch (sub) {
      case 'create': {
        noArguments(sub, args)
        const name = values.name
        if (name === undefined || name.trim() === '') usage('create needs --name NAME')
        const scope = oneOf('--scope', values.scope, TOKEN_SCOPES)
        const expiry = oneOf('--expiry', values.expiry ?? 'never', EXPIRIES)
        const format = oneOf('--format', values.format ?? 'daybook', TOKEN_FORMATS)
        return create(client(), { name, acl: scope, expiry, format }, json, values.user)
      }
      case 'list':
        noArguments(sub, args)
        return list(client(), json)
      case 'revoke':
      case 'delete': {
        const [id, ...extra] = args
        if (id === undefined || extra.length > 0) usage(`${sub} needs exactly one token ID`)
        return remove(client(), sub, id, json)
      }
      case 'refresh':
        noArguments(sub, args)
        return refresh(client(), json)
      case undefined:
        return usage('name a command: create, list, revoke, delete or refresh')
      default:
        return usage(
          `unknown command ${JSON.stringify(sub)}: use create, list, revoke, delete or refresh`,
        )
    }
  },
}

function usage(message: string): never {
  throw new CliError(`${message} (see daybook token --help)`, 2)
}

function noArguments(sub: string, args: string[]): void {
  if (args.length > 0) usage(`${sub} takes no arguments, got ${JSON.stringify(args[0])}`)
}

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T {
  if (value === undefined) usage(`create needs ${flag} (${allowed.join(', ')})`)
  if (!(allowed as readonly string[]).includes(value)) {
    usage(`${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`)
  }
  return value as T
}

/** Runs a request, turning the daemon's refusals into one clear line. */
async function ask<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send()
  } catch (err) {
    if (err instanceof UnreachableError) throw new CliError(err.message)
    if (err instanceof ApiError) {
      const hint =
        err.status === 401
          ? ' (the admin token comes from DAYBOOK_TOKEN or <config-dir>/auth.token)'
          : err.status === 403
            ? ' (managing tokens needs an admin token)'
            : ''
      throw new CliError(`the daemon refused: ${err.message}${hint}`)
    }
    throw err
  }
}

async function create(
  client: DaybookClient,
  body: { name: string; acl: Scope; expiry: Expiry; format: TokenFormat },
  json: boolean,
  user?: string,
): Promise<number> {
  const token = await ask(() => client.api().createToken(body, user))
  if (json) {
    process.stdout.write(`${JSON.stringify(token, null, 2)}\n`)
    return 0
  }
  process.stdout.write(`${token.token}\n`)
  process.stderr.write(
    `Created token ${token.id} ${JSON.stringify(token.name)}` +
      `${user === undefined ? '' : ` of user ${user}`}: scope ${token.acl}, ` +
      `expires ${formatTime(token.expires_at, 'never')}.\n` +
      'The secret above is shown only this once: store it now.\n',
  )
  return 0
}

async function list(client: DaybookClient, json: boolean): Promise<number> {
  const tokens = await ask(() => client.api().tokens())
  const now = Date.now() / 1000
  const status = (t: Token) =>
    t.revoked ? 'revoked' : t.expires_at !== null && now >= t.expires_at ? 'expired' : 'active'
  if (json) {
    // What a person can use: the API's wire shape also carries fields kept empty for its
    // clients (the hash and salt) and the preview under `token`.
    const iso = (sec: number | null) => (sec === null ? null : new Date(sec * 1000).toISOString())
    const view = tokens.map((t) => ({
      id: t.id,
      name: t.name,
      scope: t.acl,
      format: t.format,
      preview: t.token_preview,
      created: iso(t.created_at),
      expires: iso(t.expires_at),
      lastUsed: iso(t.last_used_at),
      status: status(t),
    }))
    process.stdout.write(`${JSON.stringify(view, null, 2)}\n`)
    return 0
  }
  if (tokens.length === 0) {
    process.stdout.write('No tokens. Create one with: daybook token create --name N --scope S\n')
    return 0
  }
  const rows = [
    ['ID', 'NAME', 'SCOPE', 'TOKEN', 'CREATED', 'EXPIRES', 'LAST USED', 'STATUS'],
    ...tokens.map((t) => [
      t.id,
      t.name,
      t.acl,
      t.token_preview,
      formatTime(t.created_at, ''),
      formatTime(t.expires_at, 'never'),
      formatTime(t.last_used_at, 'never'),
      status(t),
    ]),
  ]
  process.stdout.write(`${columns(rows)}\n`)
  return 0
}

async function remove(
  client: DaybookClient,
  how: 'revoke' | 'delete',
  id: string,
  json: boolean,
): Promise<number> {
  const api = client.api()
  const result = await ask(() => (how === 'revoke' ? api.revokeToken(id) : api.deleteToken(id)))
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`)
  if (!result.ok) throw new CliError(`no token with id ${JSON.stringify(id)}`)
  if (!json) {
    process.stdout.write(
      how === 'revoke'
        ? `Revoked token ${id}; it is refused from now on.\n`
        : `Deleted token ${id}; it is refused from now on and no longer listed.\n`,
    )
  }
  return 0
}

async function refresh(client: DaybookClient, json: boolean): Promise<number> {
  const result = await ask(() => client.api().refreshDefaultToken())
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`)
  else {
    // The secret stays in the token file the daemon rewrote; the terminal does not need it.
    process.stdout.write(
      'Replaced the default admin token; the token file holds the new one, the old one is refused.\n',
    )
  }
  return 0
}

/** Unix seconds as local `YYYY-MM-DD HH:MM`, or `none` for null. */
function formatTime(sec: number | null, none: string): string {
  if (sec === null) return none
  const d = new Date(sec * 1000)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}
