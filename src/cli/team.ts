/**
 * `daybook team …`: teams on a team server, through the running daemon, as the user whose token
 * the client holds: make one, invite, accept, say what you share, leave; the team's totals and
 * leaderboard.
 */
import type { TeamDetail, TeamTotals } from '../client/api.ts'
import { formatDuration } from '../domain/time.ts'
import { USER_NAME_RE } from '../domain/users.ts'
import { CliError, type Command, parseFlags } from './command.ts'
import { CLIENT_FLAGS, ask, clientFlags, connect } from './connect.ts'
import { columns } from './format.ts'

const HELP = `Usage: daybook team <command> [options]

Teams of users on a team server, by consent: a team admin invites, only the
invited user accepts, and each member shares nothing until they name the
projects they share. A shared project shows its totals (and languages) to the
team; its titles, files, URLs and labels only when shared with --details.
Acts as the user of the token (DAYBOOK_TOKEN, else <config-dir>/auth.token);
changes need an admin token of that user, reads a read token.

Commands:
  list                  Your teams and invitations
  create NAME           Make a team (you are its admin; you share nothing yet)
  show ID               The team and its members (who has accepted)
  invite ID USER        Invite a user (team admins)
  accept ID             Accept your invitation
  share ID [PROJECT...] [--details PROJECT]...
                        Share these projects with the team, and nothing else
                        (replaces what you shared; none: share nothing).
                        --details PROJECT also shares that project's titles,
                        files, URLs and labels (it is shared too)
  shares ID             What you share with the team
  totals ID             What the members share, per member, project, language
  leaderboard ID        Members by shared active time
  leave ID              Leave the team (or decline an invitation)
  remove ID USER        Remove a member (team admins)
  delete ID             Delete the team (team admins)

Options:
  --range RANGE     totals and leaderboard: a WakaTime range (default
                    last_7_days; today, week, month, last_30_days, all_time …)
  --json            Print the daemon's JSON answer instead
${clientFlags}
  -h, --help        Show this help
`

const FLAGS = {
  details: { type: 'string', multiple: true },
  range: { type: 'string' },
  json: { type: 'boolean' },
  ...CLIENT_FLAGS,
} as const

const COMMANDS =
  'list, create, show, invite, accept, share, shares, totals, leaderboard, leave, remove or delete'

export const teamCommand: Command = {
  name: 'team',
  help: HELP,
  async run(argv, env) {
    const { values, positionals } = parseFlags('team', argv, FLAGS, true)
    const [sub, ...args] = positionals
    const api = () => connect(values, env).api()
    const json = values.json === true
    const print = (value: unknown, text: string) => {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`)
      return 0
    }
    if (sub !== 'share' && values.details !== undefined) usage('--details is for share')
    if (sub !== 'totals' && sub !== 'leaderboard' && values.range !== undefined) {
      usage('--range is for totals and leaderboard')
    }
    switch (sub) {
      case 'list': {
        take(sub, args, [])
        const teams = await ask(() => api().teams())
        return print(
          teams,
          teams.length === 0
            ? 'You are in no team and invited to none.'
            : columns([
                ['ID', 'NAME', 'ROLE', 'JOINED'],
                ...teams.map((t) => [t.id, t.name, t.role, t.joined ? 'yes' : 'invited']),
              ]),
        )
      }
      case 'create': {
        const [name] = take(sub, args, ['NAME'])
        const team = await ask(() => api().createTeam(name))
        return print(
          team,
          `Made team ${team.name} (${team.id}); invite with: daybook team invite ${team.id} USER`,
        )
      }
      case 'show': {
        const [id] = take(sub, args, ['ID'])
        const team = await ask(() => api().team(id))
        return print(team, describe(team))
      }
      case 'invite': {
        const [id, user] = take(sub, args, ['ID', 'USER'])
        checkUser(user)
        const team = await ask(() => api().inviteToTeam(id, user))
        return print(team, `Invited ${user} to ${team.name}; they are in once they accept.`)
      }
      case 'accept': {
        const [id] = take(sub, args, ['ID'])
        const team = await ask(() => api().acceptTeam(id))
        return print(
          team,
          `You are in ${team.name}. You share nothing yet: daybook team share ${id} PROJECT...`,
        )
      }
      case 'share': {
        const [id, ...projects] = args
        if (id === undefined) usage('share needs a team ID')
        const details = values.details ?? []
        const names = [...new Set([...projects, ...details])]
        const shares = await ask(() =>
          api().setTeamShares(id, {
            projects: names.map((name) => ({ name, details: details.includes(name) })),
          }),
        )
        return print(shares, sharesText(shares.projects))
      }
      case 'shares': {
        const [id] = take(sub, args, ['ID'])
        const shares = await ask(() => api().teamShares(id))
        return print(shares, sharesText(shares.projects))
      }
      case 'totals': {
        const [id] = take(sub, args, ['ID'])
        const totals = await ask(() => api().teamTotals(id, values.range))
        return print(totals, totalsText(totals))
      }
      case 'leaderboard': {
        const [id] = take(sub, args, ['ID'])
        const board = await ask(() => api().leaderboard(id, values.range))
        return print(
          board,
          board.data.length === 0
            ? 'Nobody in this team yet.'
            : columns([
                ['RANK', 'USER', 'TOTAL', 'DAILY', 'LANGUAGES'],
                ...board.data.map((e) => [
                  String(e.rank),
                  e.user.username,
                  formatDuration(e.running_total.total_seconds),
                  formatDuration(e.running_total.daily_average),
                  e.running_total.languages
                    .slice(0, 3)
                    .map((l) => l.name)
                    .join(', '),
                ]),
              ]),
        )
      }
      case 'leave': {
        const [id] = take(sub, args, ['ID'])
        const me = (await ask(() => api().team(id))).you.user
        const left = await ask(() => api().leaveTeam(id, me))
        return print(
          left,
          left.deleted
            ? 'You left; nobody was left in it, so the team is gone.'
            : 'You left the team; what you shared went with you.',
        )
      }
      case 'remove': {
        const [id, user] = take(sub, args, ['ID', 'USER'])
        checkUser(user)
        const left = await ask(() => api().leaveTeam(id, user))
        return print(left, `Removed ${user} from the team; what they shared went with them.`)
      }
      case 'delete': {
        const [id] = take(sub, args, ['ID'])
        const done = await ask(() => api().deleteTeam(id))
        return print(done, 'Deleted the team.')
      }
      case undefined:
        return usage(`name a command: ${COMMANDS}`)
      default:
        return usage(`unknown command ${JSON.stringify(sub)}: use ${COMMANDS}`)
    }
  },
}

function usage(message: string): never {
  throw new CliError(`${message} (see daybook team --help)`, 2)
}

/** Exactly the arguments `names` lists, in order. */
function take<const N extends readonly string[]>(
  sub: string,
  args: string[],
  names: N,
): { [K in keyof N]: string } {
  if (args.length !== names.length) {
    usage(
      names.length === 0
        ? `${sub} takes no arguments`
        : `${sub} needs ${names.join(' ')}, got ${args.length} argument${args.length === 1 ? '' : 's'}`,
    )
  }
  return args as unknown as { [K in keyof N]: string }
}

function checkUser(user: string): void {
  if (!USER_NAME_RE.test(user)) {
    usage(`user name ${JSON.stringify(user)} must be 1-32 lower-case letters, digits or _`)
  }
}

function describe(team: TeamDetail): string {
  return [
    `${team.name} (${team.id}), made by ${team.createdBy}`,
    columns([
      ['USER', 'ROLE', 'JOINED', 'INVITED BY'],
      ...team.members.map((m) => [m.user, m.role, m.joined ? 'yes' : 'invited', m.invitedBy]),
    ]),
  ].join('\n')
}

function sharesText(projects: { name: string; details: boolean }[]): string {
  if (projects.length === 0) return 'You share nothing with this team.'
  return columns([
    ['PROJECT', 'SHARED'],
    ...projects.map((p) => [p.name, p.details ? 'totals and details' : 'totals']),
  ])
}

function totalsText(t: TeamTotals): string {
  const rows = [['USER', 'PROJECT', 'TIME']]
  for (const m of t.members) {
    rows.push([m.user, '(all shared)', formatDuration(m.seconds)])
    for (const p of m.projects) rows.push(['', p.name, formatDuration(p.seconds)])
  }
  return `${t.team.name}, ${t.range}\n${columns(rows)}`
}
