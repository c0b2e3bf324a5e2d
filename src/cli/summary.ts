/**
 * `daybook summary`: where the time went, as a table, from the running daemon.
 */
import { Temporal } from 'temporal-polyfill'
import type { PresetParam } from '../client/api.ts'
import { daysPreset, summarize } from '../client/reports.ts'
import type { DaybookClient } from '../client/client.ts'
import { makeCalendar, processTimeZone } from '../domain/calendar.ts'
import { parseLocalDate } from '../domain/periods.ts'
import { CliError, type Command, parseFlags } from './command.ts'
import { formatDuration } from '../domain/time.ts'
import { bar, columns } from './format.ts'
import { clientFlags, connect } from './connect.ts'

const HELP = `Usage: daybook summary [options]

Prints the active time of a range, per project (or app, language, category), from the running
daemon. Time is counted once where events overlap, and time away from the keyboard is left out.

Options:
  --range RANGE   today (default), yesterday, week, month, YYYY-MM-DD,
                  or YYYY-MM-DD..YYYY-MM-DD (both days included)
  --by DIM        project (default), app, language or category
  --tz ZONE       IANA time zone (default: the daemon's timezone setting, else this machine's)
  --json          Print JSON instead of a table
${clientFlags}
  -h, --help      Show this help
`

const DIMENSIONS = ['project', 'app', 'language', 'category'] as const
type By = (typeof DIMENSIONS)[number]

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/

/** The preset for `--range`, in the zone and day boundary given. */
function rangePreset(range: string, zone: string, startOfDay: string): PresetParam {
  const named: Record<string, PresetParam> = {
    today: 'today',
    yesterday: 'yesterday',
    week: 'thisWeek',
    month: 'thisMonth',
  }
  const preset = named[range]
  if (preset !== undefined) return preset
  const parts = range.split('..')
  const from = parts[0] ?? ''
  const to = parts[1] ?? from
  if (parts.length > 2 || !DATE_RE.test(from) || !DATE_RE.test(to)) {
    throw new CliError(
      `--range must be today, yesterday, week, month, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, got ${JSON.stringify(range)}`,
      2,
    )
  }
  const first = parseLocalDate(from)
  const last = parseLocalDate(to)
  if (first === undefined || last === undefined) {
    throw new CliError(`--range has a date that does not exist: ${range}`, 2)
  }
  if (Temporal.PlainDate.compare(last, first) < 0)
    throw new CliError(`--range ends before it starts: ${range}`, 2)
  return daysPreset(first, last, makeCalendar(zone, startOfDay))
}

export const summaryCommand: Command = {
  name: 'summary',
  help: HELP,
  async run(argv, env) {
    const { values } = parseFlags('summary', argv, {
      range: { type: 'string', default: 'today' },
      by: { type: 'string', default: 'project' },
      tz: { type: 'string' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
      'config-dir': { type: 'string' },
      url: { type: 'string' },
    })
    const by = values.by as By
    if (!DIMENSIONS.includes(by))
      throw new CliError(`--by must be one of ${DIMENSIONS.join(', ')}`, 2)
    const client: DaybookClient = connect(values, env)
    const api = client.api()
    const settings = await api.settings()
    // The daemon's zone when it has one set; otherwise this machine's, which a local daemon shares.
    const zone = values.tz ?? settings.timezone ?? processTimeZone()
    try {
      makeCalendar(zone)
    } catch {
      throw new CliError(
        `--tz: unknown time zone ${JSON.stringify(zone)}; use an IANA name such as Europe/Berlin`,
        2,
      )
    }
    const preset = rangePreset(values.range, zone, settings.startOfDay)
    const {
      totalSeconds: total,
      groups,
      unassignedSeconds: unassigned,
    } = await summarize(api, {
      preset,
      tz: zone,
      groupBy: by,
    })

    if (values.json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            range: values.range,
            timezone: zone,
            by,
            totalSeconds: total,
            groups,
            unassignedSeconds: unassigned,
          },
          null,
          2,
        )}\n`,
      )
      return 0
    }
    const max = Math.max(0, ...groups.map((g) => g.seconds), unassigned)
    const rows = groups.map((g) => [g.name, formatDuration(g.seconds), bar(g.seconds, max)])
    if (unassigned > 0) rows.push([`(no ${by})`, formatDuration(unassigned), bar(unassigned, max)])
    process.stdout.write(`${values.range} (${zone}): ${formatDuration(total)} active\n`)
    process.stdout.write(rows.length === 0 ? 'no activity recorded\n' : `${columns(rows)}\n`)
    return 0
  },
}
