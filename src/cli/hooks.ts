/**
 * `daybook hooks list|log|test`: the running daemon's hook rules, their firing log, and a test
 * run of a rule's actions. Hooks are admin-only: the admin token (DAYBOOK_TOKEN, else the token
 * file) is needed.
 */
import type { HookLogEntry, HookRule, HookStatus } from '../client/hooks.ts'
import { HooksApi } from '../client/hooks.ts'
import { CliError, type Command, parseFlags } from './command.ts'
import { CLIENT_FLAGS, clientFlags, connect } from './connect.ts'
import { columns, localTime } from './format.ts'

const HELP = `Usage: daybook hooks <command> [options]

Hook rules act on what you do: a break reminder, a daily budget, a webhook when work on a
project starts and stops, a command when you come back. Rules are made in the dashboard's
Hooks page or with POST /v1/hooks; this shows them. Needs the admin token.

Commands:
  list          The rules: when each fires, how far along it is ("38 of 50 minutes"),
                when it last fired and its last error
  log [ID]      The firing log, newest first (of rule ID): when, and how each action went
  test ID       Run rule ID's actions once with a sample payload ("test": true) and print
                how each went; exits 1 when one failed

Options:
  --limit N       Entries of the log (default 20, at most 500)
  --json          Print the daemon's JSON answer instead
${clientFlags}
  -h, --help      Show this help
`

const FLAGS = {
  limit: { type: 'string' },
  json: { type: 'boolean' },
  ...CLIENT_FLAGS,
} as const

function usage(message: string): never {
  throw new CliError(`${message} (see daybook hooks --help)`, 2)
}

export const hooksCommand: Command = {
  name: 'hooks',
  help: HELP,
  async run(argv, env) {
    const { values, positionals } = parseFlags('hooks', argv, FLAGS, true)
    const [sub, ...args] = positionals
    const json = values.json === true
    const hooks = () => new HooksApi(connect(values, env).api())
    const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
    switch (sub) {
      case 'list': {
        if (args.length > 0) usage(`list takes no arguments, got ${JSON.stringify(args[0])}`)
        const api = hooks()
        const [rules, statuses] = await Promise.all([api.rules(), api.statuses()])
        if (json)
          print(rules.map((rule) => ({ rule, status: statuses.find((s) => s.id === rule.id) })))
        else process.stdout.write(formatRules(rules, statuses))
        return 0
      }
      case 'log': {
        if (args.length > 1) usage('log takes at most one rule ID')
        const limit = values.limit === undefined ? 20 : Number(values.limit)
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
          usage(`--limit must be a whole number from 1 to 500, got ${JSON.stringify(values.limit)}`)
        }
        const entries = await hooks().log({
          limit,
          ...(args[0] === undefined ? {} : { hookId: args[0] }),
        })
        if (json) print(entries)
        else process.stdout.write(formatLog(entries))
        return 0
      }
      case 'test': {
        const [id, ...extra] = args
        if (id === undefined || extra.length > 0) usage('test needs exactly one rule ID')
        const entry = await hooks().test(id)
        if (json) print(entry)
        else process.stdout.write(formatTest(entry))
        return entry.actions.every((a) => a.ok !== false) ? 0 : 1
      }
      case undefined:
        return usage('name a command: list, log or test')
      default:
        return usage(`unknown command ${JSON.stringify(sub)}: use list, log or test`)
    }
  },
}

/** The rules as a table, then their last errors. */
export function formatRules(rules: readonly HookRule[], statuses: readonly HookStatus[]): string {
  if (rules.length === 0) {
    return 'No hook rules. Make one in the dashboard (Hooks) or with POST /v1/hooks.\n'
  }
  const rows = [['ID', 'NAME', 'WHEN', 'NOW', 'LAST FIRED']]
  const errors: string[] = []
  for (const rule of rules) {
    const status = statuses.find((s) => s.id === rule.id)
    const when = `${rule.when.kind}${rule.when.minutes === undefined ? '' : ` ${rule.when.minutes}m`}`
    rows.push([
      rule.id,
      rule.name,
      when,
      !rule.enabled ? 'off' : (status?.progress?.text ?? '…'),
      status?.lastFired ? localTime(Date.parse(status.lastFired)) : 'never',
    ])
    if (status?.lastError) errors.push(`${rule.id}: ${status.lastError}`)
    if (status && status.waiting > 0) {
      errors.push(`${rule.id}: ${status.waiting} notification(s) wait for do-not-disturb to end`)
    }
  }
  const notes = errors.length === 0 ? '' : `\n${errors.join('\n')}\n`
  return `${columns(rows)}\n${notes}`
}

/** One action's outcome in a few words: `webhook 204`, `command failed: exited with status 3`. */
function outcome(a: HookLogEntry['actions'][number]): string {
  if (a.ok === null) return `${a.kind} ${String(a.status)}`
  if (a.ok) return `${a.kind} ${a.status === null ? 'ok' : String(a.status)}`
  return `${a.kind} failed: ${a.error ?? String(a.status)}`
}

export function formatLog(entries: readonly HookLogEntry[]): string {
  if (entries.length === 0) return 'No hook has fired yet.\n'
  const rows = [['FIRED', 'RULE', 'ACTIONS']]
  for (const e of entries) {
    const test = (e.payload as { test?: boolean }).test === true ? ' (test)' : ''
    rows.push([
      localTime(Date.parse(e.firedAt)),
      `${e.hookId}${test}`,
      e.actions.map(outcome).join(' · '),
    ])
  }
  return `${columns(rows)}\n`
}

function formatTest(entry: HookLogEntry): string {
  const lines = entry.actions.map((a) => {
    const output = a.output === undefined ? '' : `\n    ${a.output.split('\n').join('\n    ')}`
    return `  ${outcome(a)} (${a.durationMs} ms)${output}`
  })
  return `Ran the actions of ${entry.hookId} with a sample payload (log entry ${entry.id}):\n${lines.join('\n')}\n`
}
