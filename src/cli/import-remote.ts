/**
 * `daybook import --from-url`: heartbeats from a WakaTime-compatible server (Wakapi,
 * wakatime.com), a day at a time over `GET {url}/users/current/heartbeats?date=YYYY-MM-DD`, each
 * day's answer streamed into the daemon as a Wakapi import. Run again after an interruption, the
 * days already imported are duplicates: that is the resume.
 */
import { Readable } from 'node:stream'
import { Temporal } from 'temporal-polyfill'
import { emptySummary, mergeSummary } from '../domain/exchange.ts'
import type { Job } from './exchange.ts'
import { CliError } from './command.ts'

/** The longest stretch fetched without `--start`: a year. */
const DEFAULT_DAYS = 365

function day(value: string, flag: string): Temporal.PlainDate {
  try {
    return Temporal.PlainDate.from(value.slice(0, 10))
  } catch {
    throw new CliError(`${flag} must be a date (YYYY-MM-DD), got ${JSON.stringify(value)}`, 2)
  }
}

/**
 * Imports every day from `start` to `end` (inclusive, UTC) through `send`; reports the days'
 * summaries as one. Resolves to the exit code.
 */
export async function importFromServer(
  options: {
    url: string
    key: string
    start?: string | undefined
    end?: string | undefined
    dryRun: boolean
    atomic: boolean
  },
  send: (body: Readable, name: string, total: number | undefined) => Promise<Job>,
  report: (job: Job) => void,
): Promise<number> {
  const base = options.url.replace(/\/+$/, '')
  const today = Temporal.Now.plainDateISO('UTC')
  const last = options.end === undefined ? today : day(options.end, '--end')
  const first =
    options.start === undefined
      ? last.subtract({ days: DEFAULT_DAYS - 1 })
      : day(options.start, '--start')
  if (Temporal.PlainDate.compare(first, last) > 0) {
    throw new CliError('--start is after --end', 2)
  }
  const auth = `Basic ${Buffer.from(options.key).toString('base64')}`
  const total: Job = {
    id: '',
    format: 'wakapi',
    state: 'done',
    dryRun: options.dryRun,
    summary: emptySummary(),
    error: null,
    kept: null,
  }
  for (let d = first; Temporal.PlainDate.compare(d, last) <= 0; d = d.add({ days: 1 })) {
    const url = `${base}/users/current/heartbeats?date=${d.toString()}`
    let res: Response
    try {
      res = await fetch(url, { headers: { authorization: auth, accept: 'application/json' } })
    } catch (err) {
      throw new CliError(`cannot reach ${base}: ${(err as Error).message}`)
    }
    if (res.status === 401 || res.status === 403) {
      throw new CliError(`${base} refused the API key (HTTP ${res.status})`)
    }
    if (!res.ok || !res.body) {
      throw new CliError(`${url}: HTTP ${res.status}; expected {"data": [heartbeats]}`)
    }
    const length = Number(res.headers.get('content-length') ?? Number.NaN)
    const job = await send(
      Readable.fromWeb(res.body),
      `${base} ${d.toString()}`,
      Number.isFinite(length) ? length : undefined,
    )
    mergeSummary(total.summary, job.summary)
    if (job.state === 'failed') {
      report({ ...total, state: 'failed', error: job.error, kept: job.kept })
      return 1
    }
  }
  report(total)
  return 0
}
