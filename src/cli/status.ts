/**
 * `daybook status`: what the running daemon is doing, and which collectors went quiet.
 */
import type { StatusReport } from '../client/api.ts'
import { CliError, type Command, parseFlags } from './command.ts'
import { clientFlags, connect } from './connect.ts'
import { formatDuration } from '../domain/time.ts'
import { count } from '../domain/words.ts'
import { columns } from './format.ts'

const HELP = `Usage: daybook status [options]

Prints the running daemon's status: version, uptime, the database and its size, how many
events, AFK periods, input buckets and labels it holds, when each collector last sent data,
how many live-stream clients are connected, and scheduled backups (the last, the next). Exits 1 when no daemon answers.

Options:
  --json          Print the status as JSON (GET /v1/status)
${clientFlags}
  -h, --help      Show this help
`

type Status = StatusReport

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit] ?? 'B'}`
}

/** Scheduled backups in one line: off, or how often, the last and the next. */
function backupsLine(b: Status['backups']): string {
  const last = b.last ? `last ${b.last.createdAt} (${formatBytes(b.last.bytes)})` : 'none yet'
  if (!b.enabled) return `scheduled off; ${last} in ${b.dir}`
  return `every ${count(b.everyHours, 'hour')}, newest ${b.keep} kept, in ${b.dir}; ${last}; next ${b.next ?? '-'}`
}

/** The status as the lines a person reads. */
function formatStatus(s: Status, where: string): string {
  const c = s.counts
  const lines = [
    `daybook ${s.version} at ${where}, up ${formatDuration(s.uptimeSeconds)}`,
    `database  ${s.database.location}${s.database.bytes === null ? '' : ` (${formatBytes(s.database.bytes)})`}`,
    `stored    ${count(c.events, 'event')}, ${count(c.afkPeriods, 'AFK period')}, ` +
      `${count(c.inputBuckets, 'input bucket')}, ${count(c.labels, 'label')}, ` +
      count(c.devices, 'device'),
    `stream    ${s.streams.websocketClients} connected`,
    `backups   ${backupsLine(s.backups)}`,
  ]
  if (s.backups.failure) {
    lines.push(
      `          the backup of ${s.backups.failure.at} failed: ${s.backups.failure.message}`,
    )
  }
  if (s.rollups.pendingSlots > 0) {
    lines.push(`rollups   ${s.rollups.pendingSlots} slots being recomputed`)
  }
  if (s.collectors.length === 0) lines.push('', 'No collector has sent data yet.')
  else {
    lines.push('', 'Collectors (last data received):')
    const rows = s.collectors.map((k) => [
      `  ${k.source}`,
      k.device,
      k.kind,
      k.silentSeconds < 60 ? 'just now' : `${formatDuration(k.silentSeconds)} ago`,
      count(k.items, 'item'),
    ])
    lines.push(columns(rows))
  }
  return `${lines.join('\n')}\n`
}

export const statusCommand: Command = {
  name: 'status',
  help: HELP,
  async run(argv, env) {
    const { values } = parseFlags('status', argv, {
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
      'config-dir': { type: 'string' },
      url: { type: 'string' },
    })
    const client = connect(values, env)
    const status = await client.api().status()
    if (typeof status !== 'object' || typeof status.counts !== 'object') {
      throw new CliError(`${client.describe()} did not answer like a Daybook daemon`)
    }
    process.stdout.write(
      values.json === true
        ? `${JSON.stringify(status, null, 2)}\n`
        : formatStatus(status, client.describe()),
    )
    return 0
  },
}
